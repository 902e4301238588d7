package workbench

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/command"
)

// books2025 are books kept on the 2004 chart in 2025 and closed (as a log
// from before charts went by year holds them: the chart adopted without a
// year, which gongkai now accepts only for the chart in force): 张三
// (11201, under 112 应收款) owes 500.00 and 建筑队 (20201, under 202 应付款)
// is owed 200.00. From 2026 the law sets the 2023 chart, where 应付款 is
// 211.
func books2025() []command.Command {
	voucher := func(date string, n int, summary string, lines ...map[string]string) command.Command {
		return cmd(domain.CmdPostVoucher, domain.BooksID, date, map[string]any{"number": n, "summary": summary, "preparer": "赵敏", "lines": lines})
	}
	dr := func(a, amt string) map[string]string { return map[string]string{"account": a, "debit": amt} }
	cr := func(a, amt string) map[string]string { return map[string]string{"account": a, "credit": amt} }
	return []command.Command{
		cmd(domain.CmdDefineAccount, domain.BooksID, "2025-03-01", map[string]string{"code": "11201", "parent": "112", "name_zh": "张三"}),
		cmd(domain.CmdDefineAccount, domain.BooksID, "2025-03-01", map[string]string{"code": "20201", "parent": "202", "name_zh": "建筑队"}),
		voucher("2025-03-02", 1, "收到镇补助", dr("102", "8000.00"), cr("522", "8000.00")),
		voucher("2025-03-10", 2, "提取现金", dr("101", "1000.00"), cr("102", "1000.00")),
		voucher("2025-03-12", 3, "借给张三", dr("11201", "500.00"), cr("101", "500.00")),
		voucher("2025-03-20", 4, "维修费未付", dr("541", "200.00"), cr("20201", "200.00")),
		cmd(domain.CmdCloseMonth, domain.BooksID, "2025-03-31", map[string]string{"month": "2025-03"}),
		cmd(domain.CmdCloseYear, domain.BooksID, "2025-12-31", map[string]int{"year": 2025}),
	}
}

// TestChangeOfChart: books on the 2004 chart are told on the workbench
// that 2026 needs the change of chart; its confirmation lists what moves,
// with the old and the new accounts' names; afterwards the voucher form
// offers the 2023 chart's leaves and the sub-accounts carried over.
func TestChangeOfChart(t *testing.T) {
	b := newBench(t)
	b.fake.seedEvent("wenhualu", domain.AggregateBooks, domain.BooksID, "2025-01-02", &domain.ChartAdopted{Chart: "cn-village-2004", Version: 2})
	b.fake.seed(t, "wenhualu", books2025()...)

	home := b.get("/c/wenhualu/desk").Body.String()
	for _, want := range []string{"2026年度须先办理新旧会计制度衔接", "/c/wenhualu/desk/books-transition", "2026年度科目表：村集体经济组织会计制度"} {
		if !strings.Contains(home, want) {
			t.Errorf("home lacks %q", want)
		}
	}
	// A voucher of 2026 is refused until then.
	rr := b.submit("/c/wenhualu/desk/books-voucher", map[string]string{"summary": "x", "effective_date": "2026-11-12",
		"lines.0.account": "102", "lines.0.debit": "10", "lines.1.account": "522", "lines.1.credit": "10"}, "check")
	if errs := errorsOf(rr.Body.String()); rr.Code != http.StatusUnprocessableEntity || !strings.Contains(errs, "新旧衔接") {
		t.Errorf("a 2026 voucher before the change of chart = %d %s", rr.Code, errs)
	}

	rr = b.submit("/c/wenhualu/desk/books-transition", nil, "check")
	body := rr.Body.String()
	if rr.Code != http.StatusOK {
		t.Fatalf("check = %d %s", rr.Code, errorsOf(body))
	}
	for _, want := range []string{
		"cn-village-2004", "cn-rural-collective-2023", "transition-2004-2023", "2026年1月1日",
		"20201 应付款—建筑队 → 21101 应付款—建筑队", "200.00 元", "贰佰元整",
		"随之设置明细科目", "李娜（lina）",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("confirmation lacks %q", want)
		}
	}
	if strings.Contains(body, "11201 应收款—张三 →") {
		t.Errorf("confirmation moves 11201, the same account in both charts")
	}
	form := hiddenAndValues(body)
	form.Set("action", "confirm")
	if rr := b.post("/c/wenhualu/desk/books-transition", form); rr.Code != http.StatusSeeOther {
		t.Fatalf("confirm = %d %s", rr.Code, errorsOf(rr.Body.String()))
	}
	got := b.fake.Requests[0].Commands[0]
	if got.Type != domain.CmdTransition || got.EffectiveDate != "2026-11-30" || string(got.Data) != `{"year":2026,"preparer":"李娜"}` {
		t.Errorf("command = %s %s %s", got.Type, got.EffectiveDate, got.Data)
	}

	home = b.get("/c/wenhualu/desk").Body.String()
	if strings.Contains(home, "须先办理新旧会计制度衔接") || !strings.Contains(home, "2026年度科目表：农村集体经济组织会计制度") {
		t.Errorf("home after the change of chart still asks for it, or names the old chart")
	}
	page := b.get("/c/wenhualu/desk/books-voucher").Body.String()
	for _, want := range []string{`<option value="21101">21101 应付款—建筑队</option>`, `<option value="11201">11201 应收款—张三</option>`, `<option value="513">513 管理费用</option>`} {
		if !strings.Contains(page, want) {
			t.Errorf("voucher form lacks %s", want)
		}
	}
	for _, unwanted := range []string{`value="211"`, `value="112"`, `value="541"`, `value="20201"`} {
		if strings.Contains(page, unwanted) {
			t.Errorf("voucher form offers %s: an account with sub-accounts, or of the old chart", unwanted)
		}
	}
}

// TestSubAccountForm: a blank code numbers the sub-account for the clerk;
// the confirmation names it under its parent and says the parent takes no
// more postings; the voucher form then offers the sub-account instead.
func TestSubAccountForm(t *testing.T) {
	b := newBench(t)
	b.fake.seed(t, "wenhualu", vouchers()...)
	rr := b.submit("/c/wenhualu/desk/books-define-account?parent=112", map[string]string{"name_zh": "张三"}, "check")
	body := rr.Body.String()
	for _, want := range []string{"11201（自动编号）", "11201 应收款—张三", "凭证不能再直接记入 112 应收款"} {
		if !strings.Contains(body, want) {
			t.Errorf("confirmation lacks %q\n%s", want, errorsOf(body))
		}
	}
	rr = b.record("/c/wenhualu/desk/books-define-account?parent=112", map[string]string{"name_zh": "张三"})
	if rr.Code != http.StatusSeeOther {
		t.Fatalf("confirm = %d %s", rr.Code, errorsOf(rr.Body.String()))
	}
	if got := string(b.fake.Requests[0].Commands[0].Data); got != `{"code":"11201","parent":"112","name_zh":"张三"}` {
		t.Errorf("data = %s", got)
	}
	page := b.get("/c/wenhualu/desk/books-voucher").Body.String()
	if !strings.Contains(page, `<option value="11201">11201 应收款—张三</option>`) || strings.Contains(page, `value="112"`) {
		t.Errorf("the voucher form does not offer 11201 instead of 112")
	}
	// The next one is 11202; the balance check offers 112 and 11201.
	rr = b.submit("/c/wenhualu/desk/books-define-account?parent=112", map[string]string{"name_zh": "李四"}, "check")
	if !strings.Contains(rr.Body.String(), "11202（自动编号）") {
		t.Errorf("the second sub-account is not 11202: %s", errorsOf(rr.Body.String()))
	}
	page = b.get("/c/wenhualu/desk/books-balance").Body.String()
	if !strings.Contains(page, `<option value="112">112 应收款</option>`) || !strings.Contains(page, `<option value="11201">11201 应收款—张三</option>`) {
		t.Errorf("the balance check does not offer both 112 and 11201")
	}
}

// TestOpeningBalancesForm: the form offers only accounts that carry a
// balance into a year, and sends the lines as a voucher's.
func TestOpeningBalancesForm(t *testing.T) {
	b := newBench(t)
	page := b.get("/c/wenhualu/desk/books-open-balances").Body.String()
	if !strings.Contains(page, `<option value="102">102 银行存款</option>`) || strings.Contains(page, `value="513"`) {
		t.Errorf("the opening balances form offers the wrong accounts")
	}
	if home := b.get("/c/wenhualu/desk").Body.String(); !strings.Contains(home, "/c/wenhualu/desk/books-open-balances") {
		t.Errorf("home of empty books offers no opening balances")
	}
	rr := b.record("/c/wenhualu/desk/books-open-balances", map[string]string{"source": "2025年12月31日资产负债表（手工账）",
		"lines.0.account": "102", "lines.0.debit": "8,000", "lines.1.account": "101", "lines.1.debit": "500",
		"lines.2.account": "311", "lines.2.credit": "8,500"})
	if rr.Code != http.StatusSeeOther {
		t.Fatalf("confirm = %d %s", rr.Code, errorsOf(rr.Body.String()))
	}
	got := b.fake.Requests[0].Commands[0]
	want := `{"year":2026,"lines":[{"account":"102","debit":"8000.00"},{"account":"101","debit":"500.00"},{"account":"311","credit":"8500.00"}],"source":"2025年12月31日资产负债表（手工账）","preparer":"李娜"}`
	if got.Type != domain.CmdOpenBalances || string(got.Data) != want {
		t.Errorf("command = %s %s\nwant data %s", got.Type, got.Data, want)
	}
	home := b.get("/c/wenhualu/desk").Body.String()
	if strings.Contains(home, "books-open-balances") || strings.Contains(home, "books-reverse?voucher=2026-01-000") {
		t.Errorf("home offers opening balances again, or the reversal of the opening voucher")
	}
}

// TestBankOverdraftNote: with a rule set that allows an overdraft, a
// payment beyond the bank balance is shown as one on the confirmation.
func TestBankOverdraftNote(t *testing.T) {
	b := newBench(t)
	b.fake.seed(t, "wenhualu", vouchers()...)
	vals := map[string]string{"summary": "支付维修费", "effective_date": "2026-11-12",
		"lines.0.account": "513", "lines.0.debit": "6,000", "lines.1.account": "102", "lines.1.credit": "6,000"}
	rr := b.submit("/c/wenhualu/desk/books-voucher", vals, "check")
	if rr.Code != http.StatusUnprocessableEntity || !strings.Contains(errorsOf(rr.Body.String()), "透支") {
		t.Errorf("an overdraft without the rule set's leave = %d %s", rr.Code, errorsOf(rr.Body.String()))
	}
	rr = b.record("/c/wenhualu/desk/rule-set", map[string]string{"rule_set.id": "overdraft-2026", "rule_set.effective_from": "2026-11-01",
		"rule_set.bank_overdraft": "1", "effective_date": "2026-11-01"})
	if rr.Code != http.StatusSeeOther {
		t.Fatalf("rule set = %d %s", rr.Code, errorsOf(rr.Body.String()))
	}
	if got := string(b.fake.Requests[0].Commands[0].Data); !strings.Contains(got, `"bank_overdraft":true`) {
		t.Errorf("rule set data = %s", got)
	}
	rr = b.submit("/c/wenhualu/desk/books-voucher", vals, "check")
	if body := rr.Body.String(); rr.Code != http.StatusOK || !strings.Contains(body, "银行透支") || !strings.Contains(body, "102 银行存款 余额为 -1,000.00 元") {
		t.Errorf("confirmation = %d, want the overdraft noted %s", rr.Code, errorsOf(body))
	}
}
