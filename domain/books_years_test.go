package domain_test

import (
	"fmt"
	"testing"

	"github.com/gongkai/gongkai/domain"
)

// closeYear closes every month of a year and the year.
func (l *booksLog) closeYear(year int) {
	l.t.Helper()
	for m := 1; m <= 12; m++ {
		end := []int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m-1]
		if m == 2 && year%4 == 0 {
			end = 29
		}
		l.do(fmt.Sprintf("%d-%02d-%02d", year, m, end), domain.CmdCloseMonth, fmt.Sprintf(`{"month":"%d-%02d"}`, year, m))
	}
	l.do(fmt.Sprintf("%d-12-31", year), domain.CmdCloseYear, fmt.Sprintf(`{"year":%d}`, year))
}

// netAssets is assets less liabilities on a date, from the chart of its
// year (the balance-sheet identity's left side minus liabilities).
func netAssets(b *domain.Books, d domain.Date) domain.Fen {
	var n domain.Fen
	for _, a := range b.ChartFor(d.Year).Accounts {
		switch a.Class {
		case domain.ClassAsset:
			n += b.Balance(a.Code, d)
		case domain.ClassLiability:
			n -= b.Balance(a.Code, d)
		}
	}
	return n
}

// The change of chart at 1 January 2024 moves every closing balance of
// 2023 into its account of the 2023 chart: net assets and each balance are
// kept, 202 应付款 becomes 211, a sub-account of 112 stays under 112, and a
// sub-account of the 2004 chart's 502 经营支出 (a code the 2023 chart gives
// to 投资收益) moves under 511 经营支出 and leaves 502.
func TestTransitionKeepsEveryBalance(t *testing.T) {
	l := newBooksLog(t)
	l.do("2023-01-03", domain.CmdDefineAccount, `{"code":"11201","parent":"112","name_zh":"张三"}`)
	l.do("2023-01-03", domain.CmdDefineAccount, `{"code":"50201","parent":"502","name_zh":"种植业支出"}`)
	l.do("2023-01-03", domain.CmdOpenBalances, `{"year":2023,"source":"2022年度资产负债表","preparer":"赵敏","lines":[`+
		`{"account":"101","debit":"500.00"},{"account":"102","debit":"30000.00"},{"account":"11201","debit":"200.00"},`+
		`{"account":"202","credit":"1000.00"},{"account":"301","credit":"29700.00"}]}`)
	l.do("2023-03-05", domain.CmdPostVoucher, `{"number":1,"summary":"种植支出","preparer":"赵敏","lines":[{"account":"50201","debit":"100.00"},{"account":"102","credit":"100.00"}]}`)
	l.closeYear(2023)
	end2023 := mustDate(t, "2023-12-31")
	before := netAssets(l.books, end2023)

	// Not before 2023 is closed, and not twice.
	evs := l.do("2024-01-02", domain.CmdTransition, `{"year":2024,"preparer":"赵敏"}`)
	tr := evs[0].(*domain.ChartTransitioned)
	if tr.From != "cn-village-2004" || tr.To != "cn-rural-collective-2023" {
		t.Fatalf("transition %s -> %s", tr.From, tr.To)
	}
	l.refuse("2024-01-03", domain.CmdTransition, `{"year":2024,"preparer":"赵敏"}`, "transition_done")

	jan1 := mustDate(t, "2024-01-01")
	if after := netAssets(l.books, jan1); after != before || before != 29600_00 {
		t.Errorf("net assets %s at the end of 2023, %s after the change; want 29600.00 (29,700 opening less 100 spent) both", before, after)
	}
	for code, want := range map[string]domain.Fen{"101": 500_00, "102": 29900_00, "112": 200_00, "11201": 200_00, "211": 1000_00, "202": 0} {
		if got := l.books.Balance(code, jan1); got != want {
			t.Errorf("balance of %s on 2024-01-01 = %s, want %s", code, got, want)
		}
	}
	var sum domain.Fen
	for _, ln := range tr.Lines {
		sum += ln.Debit - ln.Credit
	}
	if sum != 0 {
		t.Errorf("the transition voucher is out of balance by %s", sum)
	}
	if _, ok := l.books.AccountOf(2024, "50201"); ok {
		t.Error("50201 (under the 2004 chart's 502) is still an account in 2024, under 502 投资收益")
	}
	if !l.books.IsLeaf("502") {
		t.Error("502 投资收益 has sub-accounts of the old 502")
	}
	if a, ok := l.books.AccountOf(2024, "51101"); !ok || a.NameZH != "种植业支出" {
		t.Errorf("51101 = %+v, %v; want 种植业支出 under 511 经营支出", a, ok)
	}
	// The opening voucher is not reversed; opening balances are for
	// empty books only.
	l.refuse("2024-01-05", domain.CmdReverseVoucher, `{"voucher":"2024-01-000","number":1,"reason":"试","preparer":"赵敏"}`, "reversal_of_opening")
	l.refuse("2024-01-05", domain.CmdOpenBalances, `{"year":2024,"source":"x","preparer":"赵敏","lines":[{"account":"101","debit":"1.00"},{"account":"301","credit":"1.00"}]}`, "books_not_empty")
}

// Opening balances never put cash on the credit side.
func TestOpeningBalancesRules(t *testing.T) {
	l := newBooksLog(t)
	l.refuse("2026-01-05", domain.CmdOpenBalances, `{"year":2026,"source":"2025年度资产负债表","preparer":"赵敏","lines":[{"account":"311","debit":"100.00"},{"account":"101","credit":"100.00"}]}`, "opening_cash_negative")
	l.refuse("2026-01-05", domain.CmdOpenBalances, `{"year":2026,"source":"2025年度资产负债表","preparer":"赵敏","lines":[{"account":"101","debit":"100.00"},{"account":"501","credit":"100.00"}]}`, "opening_profit_and_loss")
	l.do("2026-01-05", domain.CmdOpenBalances, `{"year":2026,"source":"2025年度资产负债表","preparer":"赵敏","lines":[{"account":"101","debit":"100.00"},{"account":"301","credit":"100.00"}]}`)
	if ch := l.books.ChartFor(2026); ch.ID != "cn-rural-collective-2023" {
		t.Errorf("2026 books on %s", ch.ID)
	}
}

// A month of a year waiting for its change of chart stays open; a voucher
// before the books' first year is refused; reversing a receipt may not
// take cash below zero.
func TestBooksBoundaries(t *testing.T) {
	l := newBooksLog(t)
	l.do("2023-01-03", domain.CmdOpenBalances, `{"year":2023,"source":"2022年度资产负债表","preparer":"赵敏","lines":[{"account":"102","debit":"100.00"},{"account":"301","credit":"100.00"}]}`)
	l.closeYear(2023)
	l.refuse("2024-01-31", domain.CmdCloseMonth, `{"month":"2024-01"}`, "transition_required")

	n := newBooksLog(t)
	n.do("2024-01-03", domain.CmdOpenBalances, `{"year":2024,"source":"2023年度资产负债表","preparer":"赵敏","lines":[{"account":"102","debit":"100.00"},{"account":"301","credit":"100.00"}]}`)
	n.refuse("2023-06-01", domain.CmdPostVoucher, `{"number":1,"summary":"补记上年","preparer":"赵敏","lines":[{"account":"102","debit":"1.00"},{"account":"522","credit":"1.00"}]}`, "before_books")

	n.do("2024-02-01", domain.CmdPostVoucher, `{"number":1,"summary":"收到现金","preparer":"赵敏","lines":[{"account":"101","debit":"80.00"},{"account":"503","credit":"80.00"}]}`)
	n.do("2024-02-02", domain.CmdPostVoucher, `{"number":2,"summary":"现金支付","preparer":"赵敏","lines":[{"account":"513","debit":"50.00"},{"account":"101","credit":"50.00"}]}`)
	n.refuse("2024-02-03", domain.CmdReverseVoucher, `{"voucher":"2024-02-001","number":3,"reason":"收款记错","preparer":"赵敏"}`, "cash_negative")
}

// A payment is not hidden by a receipt in the same voucher, and a transfer
// between cash and bank is none; the chart of a year without one is the
// chart in force.
func TestPaymentsAndCharts(t *testing.T) {
	l := newBooksLog(t)
	l.refuse("2025-01-02", domain.CmdAdoptChart, `{"chart":"cn-village-2004"}`, "chart_not_in_force")
	l.do("2025-01-03", domain.CmdOpenBalances, `{"year":2025,"source":"2024年度资产负债表","preparer":"赵敏","lines":[{"account":"101","debit":"20000.00"},{"account":"102","debit":"50000.00"},{"account":"301","credit":"70000.00"}]}`)
	l.refuse("2025-01-05", domain.CmdPostVoucher, `{"number":1,"summary":"混合凭证","preparer":"赵敏","lines":[`+
		`{"account":"513","debit":"12000.00"},{"account":"101","debit":"12000.00"},{"account":"102","credit":"12000.00"},{"account":"501","credit":"12000.00"}]}`, "resolution_required")
	l.do("2025-01-05", domain.CmdPostVoucher, `{"number":1,"summary":"提取现金","preparer":"赵敏","lines":[{"account":"101","debit":"12000.00"},{"account":"102","credit":"12000.00"}]}`)
	// 101 has a balance of its own now: a sub-account under it would trap it.
	l.refuse("2025-01-06", domain.CmdDefineAccount, `{"code":"10101","parent":"101","name_zh":"备用金"}`, "parent_has_balance")
	if p := domain.ChartInForce(2025).Payment([]domain.Line{{Account: "513", Debit: 100}, {Account: "101", Credit: 40}, {Account: "10201", Credit: 60}}); p != 100 {
		t.Errorf("a payment from cash and a bank sub-account = %s, want 1.00", p)
	}
}
