package workbench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
	"github.com/gongkai/gongkai/internal/disclose"
	"github.com/gongkai/gongkai/projections"
)

// discloseNow is the clock of the disclosure tests: 2026-07-20 10:00 in
// Beijing, five days after 2026 Q2's finance disclosure was due (June 30
// + the default 15 days).
var discloseNow = time.Date(2026, 7, 20, 10, 0, 0, 0, domain.Shanghai)

// keepJar is a cookie jar that ignores expiry: the server's clock is
// fixed in the past, so its sessions' cookies expire, by the real clock,
// before they are set.
type keepJar struct {
	mu sync.Mutex
	c  map[string]string
}

func (j *keepJar) SetCookies(_ *url.URL, cs []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, c := range cs {
		if c.MaxAge < 0 || c.Value == "" {
			delete(j.c, c.Name)
		} else {
			j.c[c.Name] = c.Value
		}
	}
}

func (j *keepJar) Cookies(*url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []*http.Cookie
	for k, v := range j.c {
		out = append(out, &http.Cookie{Name: k, Value: v})
	}
	return out
}

var _ http.CookieJar = (*keepJar)(nil)

// person is a signed-in account of a disclosure test.
type person struct {
	*desk
	name string
}

func signIn(t *testing.T, s *apptest.Server, login, password, name string) *person {
	t.Helper()
	b := &apptest.Browser{URL: s.URL, Client: &http.Client{Jar: &keepJar{c: map[string]string{}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if r := b.SignIn(t, login, password); r.Status != http.StatusSeeOther {
		t.Fatalf("sign in %s: %d %.300s", login, r.Status, r.Body)
	}
	return &person{desk: &desk{t: t, s: s, b: b}, name: name}
}

// check fills a form and asks for its confirmation.
func (p *person) check(path string, vals map[string]string) apptest.Response {
	p.t.Helper()
	return p.fill(path, vals, "check")
}

// confirm posts a confirmation page's form as it is.
func (p *person) confirm(path string, page []byte) apptest.Response {
	p.t.Helper()
	form := fields(page)
	form.Set("action", "confirm")
	return p.b.PostForm(p.t, path, form)
}

// record fills a form, checks and confirms it, and wants a receipt.
func (p *person) record(path string, vals map[string]string) {
	p.t.Helper()
	r := p.check(path, vals)
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "确认记录") {
		p.t.Fatalf("%s: check %s: %d, want the confirmation: %s", p.name, path, r.Status, pageErrors(r.Body))
	}
	r = p.confirm(path, r.Body)
	if r.Status != http.StatusSeeOther {
		p.t.Fatalf("%s: confirm %s: %d, want 303: %s", p.name, path, r.Status, pageErrors(r.Body))
	}
	if rc := p.b.Get(p.t, r.Header.Get("Location")); rc.Status != http.StatusOK || !strings.Contains(string(rc.Body), p.name) {
		p.t.Fatalf("%s: receipt: %d %.400s", p.name, rc.Status, rc.Body)
	}
}

// refused fills a form and wants it refused with reason, recording
// nothing.
func (p *person) refused(path string, vals map[string]string, reason string) {
	p.t.Helper()
	before := p.s.LastSeq(p.t)
	r := p.check(path, vals)
	if r.Status == http.StatusOK && strings.Contains(string(r.Body), "确认记录") {
		r = p.confirm(path, r.Body)
	}
	if r.Status == http.StatusSeeOther || !strings.Contains(string(r.Body), reason) {
		p.t.Errorf("%s: %s: %d, want refused with %q: %s", p.name, path, r.Status, reason, pageErrors(r.Body))
	}
	if after := p.s.LastSeq(p.t); after != before {
		p.t.Errorf("%s: %s recorded something (LastSeq %d, was %d)", p.name, path, after, before)
	}
}

// postVoucher posts a voucher through the API as the administrator.
func postVoucher(t *testing.T, s *apptest.Server, date string, number int, summary, debit, credit, amount string) {
	t.Helper()
	body := fmt.Sprintf(`{"type":"books.post_voucher","aggregate_id":"books","effective_date":%q,"data":{"number":%d,"summary":%q,"preparer":"赵敏","lines":[{"account":%q,"debit":%q},{"account":%q,"credit":%q}]}}`,
		date, number, summary, debit, amount, credit, amount)
	if r := s.Command(t, "c1", "v-"+date+"-"+fmt.Sprint(number), body); r.Status != http.StatusCreated {
		t.Fatalf("voucher %s #%d: %d %s", date, number, r.Status, r.Body)
	}
}

// apiBooks reads the finance read model as the server's API serves it,
// for disclose.Payments.
type apiBooks struct {
	t   *testing.T
	url string
}

func (b apiBooks) get(path string, v any) error {
	r := apptest.Do(b.t, http.MethodGet, b.url+"/api/v1/communities/c1/finance/"+path, nil, nil)
	if r.Status != http.StatusOK {
		return fmt.Errorf("GET %s: %d %s", path, r.Status, r.Body)
	}
	return json.Unmarshal(r.Body, v)
}

func (b apiBooks) Position(context.Context) (uint64, error) { return 0, nil }
func (b apiBooks) Accounts(_ context.Context, _ string, year int) (l projections.AccountList, err error) {
	return l, b.get(fmt.Sprintf("accounts?year=%d", year), &l)
}
func (b apiBooks) BudgetExecution(_ context.Context, _ string, year int) (e projections.BudgetExecution, err error) {
	return e, b.get(fmt.Sprintf("budget?year=%d", year), &e)
}
func (b apiBooks) Vouchers(_ context.Context, _ string, month string) (l projections.VoucherList, err error) {
	return l, b.get("vouchers?month="+month, &l)
}
func (b apiBooks) Voucher(_ context.Context, _ string, id string) (v projections.VoucherView, err error) {
	return v, b.get("vouchers/"+id, &v)
}

// settle waits until the board and the finance read model have applied
// the whole log, for the pages (and the test) that read them.
func settle(t *testing.T, s *apptest.Server) {
	t.Helper()
	head := s.LastSeq(t)
	for deadline := time.Now().Add(10 * time.Second); ; {
		var v projections.VoucherList
		err := apiBooks{t, s.URL}.get("vouchers?month=2026-04", &v)
		if b := board(t, s); err == nil && b.AsOfSeq >= head && v.AsOfSeq >= head {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the read models did not reach %d", head)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// board reads the community's board as the API serves it.
func board(t *testing.T, s *apptest.Server) projections.BoardView {
	t.Helper()
	r := apptest.Do(t, http.MethodGet, s.URL+"/api/v1/communities/c1/board", nil, nil)
	var bv projections.BoardView
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &bv) != nil {
		t.Fatalf("board: %d %.300s", r.Status, r.Body)
	}
	return bv
}

func disclosureRow(t *testing.T, s *apptest.Server, item string) projections.DisclosureRow {
	t.Helper()
	settle(t, s)
	for _, r := range board(t, s).Disclosures {
		if r.Item == item {
			return r
		}
	}
	t.Fatalf("%s is not on the board", item)
	return projections.DisclosureRow{}
}

// lastDrafted returns the content of the latest disclosure.drafted event.
func lastDrafted(t *testing.T, s *apptest.Server, after uint64) domain.DisclosureDrafted {
	t.Helper()
	var d domain.DisclosureDrafted
	found := false
	for _, e := range s.EventsAfter(t, after) {
		if e.Type == domain.EvDisclosureDrafted {
			found = json.Unmarshal(e.Data, &d) == nil
		}
	}
	if !found {
		t.Fatalf("no disclosure.drafted after %d", after)
	}
	return d
}

func total(c domain.DisclosureContent, label string) domain.Fen {
	for _, t := range c.Totals {
		if t.Label == label {
			return t.Amount
		}
	}
	return -1
}

// TestDisclosureLifecycle takes finance disclosures through the forms with
// a clerk (李娜), the supervision committee (赵敏) and an account that is
// both (王芳), against a real server.
func TestDisclosureLifecycle(t *testing.T) {
	s := apptest.Start(t, app.Config{Now: func() time.Time { return discloseNow }})
	body := `{"type":"community.register","aggregate_id":"c1","effective_date":"2025-01-02","data":{"name":"幸福社区","kind":"社区","town":"示例镇","county":"示例县"}}`
	if r := s.Command(t, "c1", "register-c1", body); r.Status != http.StatusCreated {
		t.Fatalf("register c1: %d %s", r.Status, r.Body)
	}
	s.CreateAccount(t, "lina", "李娜", pwClerk, "clerk", "community:c1")
	s.CreateAccount(t, "zhao", "赵敏", pwClerk, "supervisor", "community:c1")
	s.CreateAccount(t, "wang", "王芳", pwClerk, "supervisor", "community:c1")
	grant, _ := json.Marshal(map[string]string{"role": "clerk", "scope": "community:c1"})
	if r := apptest.Do(t, http.MethodPost, s.URL+"/api/v1/accounts/wang/grant", grant, map[string]string{"Authorization": "Bearer " + apptest.AdminToken}); r.Status >= 300 {
		t.Fatalf("grant wang clerk: %d %s", r.Status, r.Body)
	}
	clerk := signIn(t, s, "lina", pwClerk, "李娜")
	super := signIn(t, s, "zhao", pwClerk, "赵敏")
	both := signIn(t, s, "wang", pwClerk, "王芳")

	// The second quarter's books: 5,000.00 and 2,000.00 received, 1,234.50
	// paid.
	postVoucher(t, s, "2026-04-03", 1, "收到镇拨款", "102", "503", "5000.00")
	postVoucher(t, s, "2026-05-10", 1, "收到门面租金", "101", "501", "2000.00")
	postVoucher(t, s, "2026-06-12", 1, "购买办公用品", "513", "101", "1234.50")

	// The desk lists the quarter, five days overdue; the clerk may draft
	// it, the supervision committee may not.
	settle(t, s)
	home := string(clerk.b.Get(t, "/c/c1/desk").Body)
	if !strings.Contains(home, "2026年第2季度财务收支公开") || !strings.Contains(home, "逾期5天未公开") ||
		!strings.Contains(home, "disclosure-draft?item=finance-2026-Q2") {
		t.Fatalf("the clerk's desk does not show Q2 five days overdue with a draft button:\n%s", home)
	}
	if strings.Contains(home, "逾期4天") || strings.Contains(home, "逾期6天") {
		t.Errorf("the desk counts the days wrong")
	}
	if sh := string(super.b.Get(t, "/c/c1/desk").Body); !strings.Contains(sh, "逾期5天未公开") || strings.Contains(sh, "disclosure-draft") {
		t.Errorf("the supervisor's desk: want the obligation without a draft button")
	}

	// Draft: the confirmation shows the totals in figures and words. A
	// voucher posted before the clerk confirms makes the content change:
	// the new one is shown, nothing is recorded, and it is confirmed again.
	const q2 = "/c/c1/desk/disclosure-draft?item=finance-2026-Q2"
	r := clerk.check(q2, map[string]string{"note": "第二季度收支情况"})
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "7,000.00 元") || !strings.Contains(string(r.Body), "柒仟元整") ||
		!strings.Contains(string(r.Body), "1,234.50 元") || !strings.Contains(string(r.Body), "壹仟贰佰叁拾肆元伍角") {
		t.Fatalf("draft confirmation: %d %s\n%.3000s", r.Status, pageErrors(r.Body), r.Body)
	}
	postVoucher(t, s, "2026-06-20", 2, "收到场地租金", "102", "501", "300.00")
	before := s.LastSeq(t)
	r = clerk.confirm(q2, r.Body)
	if r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "账目在您核对后有变动") || !strings.Contains(string(r.Body), "7,300.00 元") {
		t.Fatalf("confirming a content that changed: %d, want 409 with the new content: %s", r.Status, pageErrors(r.Body))
	}
	if after := s.LastSeq(t); after != before {
		t.Fatalf("a content the clerk did not see was recorded")
	}
	if r = clerk.confirm(q2, r.Body); r.Status != http.StatusSeeOther {
		t.Fatalf("confirming the new content: %d %s", r.Status, pageErrors(r.Body))
	}
	v1 := lastDrafted(t, s, before)
	if v1.Version != 1 || v1.DraftedBy != "lina" || v1.Content.Note != "第二季度收支情况" {
		t.Errorf("drafted %+v", v1)
	}
	// The totals are the books': disclose.Payments of the read model as
	// served, and the vouchers above worked out by hand.
	months := []string{"2026-04", "2026-05", "2026-06"}
	p, err := disclose.Payments(context.Background(), apiBooks{t, s.URL}, "c1", 2026, months)
	if err != nil {
		t.Fatal(err)
	}
	sum := p.Summarise(months)
	in, out := total(v1.Content, "本期收入合计"), total(v1.Content, "本期支出合计")
	if in != sum.Income || out != sum.Expense || total(v1.Content, "收支相抵") != sum.Income-sum.Expense {
		t.Errorf("draft totals %v, %v; disclose.Payments gives %v, %v", in, out, sum.Income, sum.Expense)
	}
	if in != 730000 || out != 123450 {
		t.Errorf("draft totals %v, %v; want 7300.00 received (5000 + 2000 + 300) and 1234.50 paid", in, out)
	}

	settle(t, s)
	if sh := string(super.b.Get(t, "/c/c1/desk").Body); !strings.Contains(sh, "disclosure-approve?item=finance-2026-Q2") ||
		!strings.Contains(sh, "disclosure-return?item=finance-2026-Q2") || !strings.Contains(sh, "待监督委员会审核") {
		t.Errorf("the supervisor's desk does not offer the review of the draft")
	}

	// Not reviewed yet: publishing is refused; the clerk may not review.
	const pub = "/c/c1/desk/disclosure-publish?item=finance-2026-Q2"
	clerk.refused(pub, map[string]string{"ch_board": "1"}, "此版本尚未经监督委员会审核同意，不能公开")
	if r := clerk.b.Get(t, "/c/c1/desk/disclosure-approve?item=finance-2026-Q2"); r.Status != http.StatusForbidden {
		t.Errorf("the clerk's approve form: %d, want 403", r.Status)
	}

	// The supervision committee returns it (an opinion is required); a
	// returned version cannot be published.
	super.refused("/c/c1/desk/disclosure-return?item=finance-2026-Q2", map[string]string{"opinion": ""}, "必填")
	super.record("/c/c1/desk/disclosure-return?item=finance-2026-Q2", map[string]string{"opinion": "请补充6月租金的说明"})
	clerk.refused(pub, map[string]string{"ch_board": "1"}, "监督委员会已退回此版本")

	// Who drafted a version may not review it, even with the role.
	both.record(q2, map[string]string{"note": "含6月场地租金300元"})
	both.refused("/c/c1/desk/disclosure-approve?item=finance-2026-Q2", map[string]string{"opinion": "同意"}, "起草人不能审核自己起草的公开内容")
	// The command service refuses it too: a confirmation posted without
	// the check.
	before = s.LastSeq(t)
	form := fields(both.b.Get(t, "/c/c1/desk/disclosure-approve?item=finance-2026-Q2").Body)
	form.Set("action", "confirm")
	if r := both.b.PostForm(t, "/c/c1/desk/disclosure-approve?item=finance-2026-Q2", form); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(string(r.Body), "起草人不能审核自己起草的公开内容") || s.LastSeq(t) != before {
		t.Errorf("self-review confirmed without the check: %d %s", r.Status, pageErrors(r.Body))
	}
	super.record("/c/c1/desk/disclosure-approve?item=finance-2026-Q2", map[string]string{"opinion": "同意公开"})

	// A voucher of the period posted after the approval: publishing is
	// refused as stale at the confirmation, and nothing is recorded.
	r = clerk.check(pub, map[string]string{"ch_board": "1", "ch_online": "1"})
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "确认记录") {
		t.Fatalf("publish check: %d %s", r.Status, pageErrors(r.Body))
	}
	postVoucher(t, s, "2026-06-25", 3, "支付保洁费", "513", "102", "100.00")
	before = s.LastSeq(t)
	if r = clerk.confirm(pub, r.Body); r.Status == http.StatusSeeOther || !strings.Contains(string(r.Body), "草稿生成后账目有变动，请重新生成草稿并送监督委员会审核") {
		t.Fatalf("publishing a stale version: %d %s", r.Status, pageErrors(r.Body))
	}
	if after := s.LastSeq(t); after != before {
		t.Fatalf("publishing a stale version recorded something")
	}

	// Drafted again, approved and published, after its due date.
	clerk.record(q2, map[string]string{"note": "含6月保洁费"})
	super.record("/c/c1/desk/disclosure-approve?item=finance-2026-Q2", nil)
	clerk.record(pub, map[string]string{"ch_board": "1", "ch_online": "1"})
	row := disclosureRow(t, s, "finance-2026-Q2")
	if n := len(row.Versions); n != 3 || row.Versions[2].Status != domain.StatusPublished || row.Versions[0].Status != domain.StatusReturned ||
		row.Versions[1].Status != domain.StatusReplaced || row.Versions[2].PostingDays != 7 || strings.Join(row.Versions[2].Channels, ",") != "公开栏,网上" {
		t.Errorf("finance-2026-Q2 = %+v", row.Versions)
	}
	if total(row.Versions[2].Content, "本期支出合计") != 133450 {
		t.Errorf("published expense %v, want 1334.50", total(row.Versions[2].Content, "本期支出合计"))
	}
	settle(t, s)
	home = string(clerk.b.Get(t, "/c/c1/desk").Body)
	if !strings.Contains(home, "逾期公开") || strings.Contains(home, "逾期5天未公开") || !strings.Contains(home, "已退回修改") ||
		!strings.Contains(home, "请补充6月租金的说明") || !strings.Contains(home, "disclosure-draft?item=finance-2026-Q2\">更正") {
		t.Errorf("the desk after publication:\n%s", home)
	}

	// A correction: version 2 of April's item, with a reason, reviewed
	// and published again.
	const apr = "/c/c1/desk/disclosure-draft?item=finance-2026-04"
	clerk.record(apr, nil)
	super.record("/c/c1/desk/disclosure-approve?item=finance-2026-04", nil)
	clerk.record("/c/c1/desk/disclosure-publish?item=finance-2026-04", map[string]string{"ch_board": "1", "ch_other": "村民微信群", "posting_days": "10"})
	clerk.refused(apr, nil, "必填")
	clerk.record(apr, map[string]string{"reason": "补充拨款文号", "note": "示镇财〔2026〕3号"})
	super.record("/c/c1/desk/disclosure-approve?item=finance-2026-04", map[string]string{"opinion": "同意更正"})
	clerk.record("/c/c1/desk/disclosure-publish?item=finance-2026-04", map[string]string{"ch_board": "1"})
	row = disclosureRow(t, s, "finance-2026-04")
	if len(row.Versions) != 2 {
		t.Fatalf("finance-2026-04 has %d versions, want 2", len(row.Versions))
	}
	v1p, v2p := row.Versions[0], row.Versions[1]
	if v1p.Status != domain.StatusPublished || v1p.SupersededBy != 2 || v1p.PostingDays != 10 || strings.Join(v1p.Channels, ",") != "公开栏,村民微信群" {
		t.Errorf("version 1 = %+v", v1p)
	}
	if v2p.Version != 2 || v2p.Status != domain.StatusPublished || v2p.Reason != "补充拨款文号" || v2p.ReviewedBy != "zhao" || v2p.Opinion != "同意更正" ||
		total(v2p.Content, "本期收入合计") != 500000 {
		t.Errorf("version 2 = %+v", v2p)
	}
	settle(t, s)
	home = string(super.b.Get(t, "/c/c1/desk").Body)
	if !strings.Contains(home, "已被第2版更正") || !strings.Contains(home, "补充拨款文号") {
		t.Errorf("the supervisor's desk does not show the correction")
	}
}

// TestDisclosureObligations: a matter's resolution and a budget on the
// desk's list, with their deadlines from the rules in force, and a
// budget's draft from the books.
func TestDisclosureObligations(t *testing.T) {
	s := apptest.Start(t, app.Config{Now: func() time.Time { return discloseNow }})
	cmds := []string{
		`{"type":"community.register","aggregate_id":"c1","effective_date":"2025-01-02","data":{"name":"幸福社区","kind":"社区","town":"示例镇","county":"示例县"}}`,
		`{"type":"matter.register","aggregate_id":"m-1","effective_date":"2026-06-01","data":{"title":"2026年度预算"}}`,
		`{"type":"matter.propose","aggregate_id":"m-1","effective_date":"2026-06-02","data":{}}`,
		`{"type":"matter.consult","aggregate_id":"m-1","effective_date":"2026-06-03","data":{}}`,
		`{"type":"matter.review","aggregate_id":"m-1","effective_date":"2026-06-05","data":{"votes":{"expected":6,"present":6,"for":6}}}`,
		`{"type":"matter.resolve","aggregate_id":"m-1","effective_date":"2026-06-10","data":{"votes":{"expected":15,"present":12,"for":11,"abstain":1},"text":"同意"}}`,
		`{"type":"budget.adopt","aggregate_id":"2026","effective_date":"2026-06-12","data":{"resolution":"m-1","lines":[{"line":"office","name":"办公经费","source":"town","amount":"20000.00"},{"line":"road","name":"村道维修","source":"county","amount":"6800.50"}]}}`,
	}
	for i, c := range cmds {
		if r := s.Command(t, "c1", fmt.Sprint("setup-", i), c); r.Status != http.StatusCreated {
			t.Fatalf("setup %d: %d %s", i, r.Status, r.Body)
		}
	}
	s.CreateAccount(t, "lina", "李娜", pwClerk, "clerk", "community:c1")
	clerk := signIn(t, s, "lina", pwClerk, "李娜")
	settle(t, s)
	home := string(clerk.b.Get(t, "/c/c1/desk").Body)
	// 决议公开 within 5 days of the vote (June 15): 35 days overdue, on the
	// matter's own form. The budget within 15 days of its adoption (June
	// 12): June 27, 23 days overdue on July 20.
	for _, want := range []string{"决议公开：2026年度预算", "逾期35天未公开", "matter-disclose-resolution?id=m-1",
		"2026年度预算公开", "应于2026年6月27日前公开", "逾期23天未公开", "disclosure-draft?item=budget-2026"} {
		if !strings.Contains(home, want) {
			t.Errorf("the desk does not show %q", want)
		}
	}
	if strings.Contains(home, "财务收支公开") {
		t.Errorf("the desk lists a finance period without books")
	}
	r := clerk.check("/c/c1/desk/disclosure-draft?item=budget-2026", nil)
	if b := string(r.Body); r.Status != http.StatusOK || !strings.Contains(b, "村道维修") || !strings.Contains(b, "26,800.50 元") || !strings.Contains(b, "贰万陆仟捌佰元伍角整") {
		t.Errorf("the budget's draft: %d %s", r.Status, pageErrors(r.Body))
	}
}
