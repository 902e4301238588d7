package workbench

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/command"
)

func TestWithoutSessionRedirectsToLogin(t *testing.T) {
	b := newBench(t)
	b.signedIn = false
	for _, path := range []string{"/desk", "/desk/new-community", "/c/wenhualu/desk", "/c/wenhualu/desk/books-voucher?x=1", "/c/wenhualu/desk/receipt?f=a"} {
		rr := b.get(path)
		if rr.Code != http.StatusSeeOther || rr.Header().Get("Location") != "/login?next="+url.QueryEscape(path) {
			t.Errorf("GET %s = %d %q, want 303 to /login?next=%s", path, rr.Code, rr.Header().Get("Location"), path)
		}
	}
	rr := b.post("/c/wenhualu/desk/matter-register", url.Values{"csrf": {testCSRF}, "action": {"confirm"}})
	if rr.Code != http.StatusSeeOther || len(b.fake.Requests) != 0 {
		t.Errorf("POST without session = %d, %d requests", rr.Code, len(b.fake.Requests))
	}
}

func TestHeaders(t *testing.T) {
	b := newBench(t)
	for _, path := range []string{"/desk", "/c/wenhualu/desk", "/c/wenhualu/desk/matter-register", "/c/wenhualu/desk/nonesuch", "/c/nonesuch/desk"} {
		rr := b.get(path)
		if got := rr.Header().Get("Content-Security-Policy"); got != csp {
			t.Errorf("GET %s: CSP %q", path, got)
		}
		if got := rr.Header().Get("Cache-Control"); got != "no-store" {
			t.Errorf("GET %s: Cache-Control %q", path, got)
		}
		body := rr.Body.String()
		if rr.Code == http.StatusOK && (!strings.Contains(body, `action="/logout"`) || !strings.Contains(body, `name="csrf" value="`+testCSRF+`"`) || !strings.Contains(body, "李娜（lina）")) {
			t.Errorf("GET %s: no signed-in person or logout form", path)
		}
		if strings.Contains(body, "<script") || strings.Contains(body, "http://") || strings.Contains(body, "https://") {
			t.Errorf("GET %s: a script or an external resource", path)
		}
	}
}

func TestCSRF(t *testing.T) {
	b := newBench(t)
	form := url.Values{"id": {"m-2026-09"}, "title": {"x"}, "effective_date": {"2026-11-12"}, "action": {"confirm"}, "idem": {"wb-1"}}
	for _, token := range []string{"", "wrong"} {
		if token != "" {
			form.Set("csrf", token)
		}
		rr := b.post("/c/wenhualu/desk/matter-register", form)
		if rr.Code != http.StatusForbidden {
			t.Errorf("POST with csrf %q = %d, want 403", token, rr.Code)
		}
	}
	if n := len(b.fake.Requests); n != 0 {
		t.Errorf("%d requests executed, want none", n)
	}
}

func TestNoRoleForCommunity(t *testing.T) {
	b := newBench(t)
	b.actor = domain.Actor{ID: "zhao", Name: "赵敏", Grants: []domain.Grant{{Role: domain.AccessAuditor, Scope: domain.CommunityScope("wenhualu")}}}
	for _, path := range []string{"/c/wenhualu/desk", "/c/wenhualu/desk/books-voucher"} {
		rr := b.get(path)
		if rr.Code != http.StatusForbidden || !strings.Contains(rr.Body.String(), "没有记录权限") {
			t.Errorf("GET %s = %d, want 403 with a Chinese message", path, rr.Code)
		}
	}
	rr := b.get("/c/wenhualu/desk?lang=en")
	if rr.Code != http.StatusForbidden || !strings.Contains(rr.Body.String(), "no role to record") {
		t.Errorf("GET in English = %d", rr.Code)
	}
	// The supervision committee reviews disclosures: its desk has them
	// alone.
	b.actor.Grants = []domain.Grant{{Role: domain.AccessSupervisor, Scope: domain.CommunityScope("wenhualu")}}
	if rr := b.get("/c/wenhualu/desk"); rr.Code != http.StatusOK || !strings.Contains(rr.Body.String(), "<h2>公开</h2>") ||
		strings.Contains(rr.Body.String(), "books-voucher") || strings.Contains(rr.Body.String(), "matter-register") {
		t.Errorf("supervisor's workbench = %d, shows the wrong sections", rr.Code)
	}
	if rr := b.get("/c/wenhualu/desk/books-voucher"); rr.Code != http.StatusForbidden {
		t.Errorf("supervisor's voucher form = %d, want 403", rr.Code)
	}
	// An accountant may keep the books, not record matters.
	b.actor.Grants = []domain.Grant{{Role: domain.AccessAccountant, Scope: domain.CommunityScope("wenhualu")}}
	if rr := b.get("/c/wenhualu/desk"); rr.Code != http.StatusOK || strings.Contains(rr.Body.String(), "matter-register") || !strings.Contains(rr.Body.String(), "books-voucher") {
		t.Errorf("accountant's workbench = %d, shows the wrong forms", rr.Code)
	}
	if rr := b.get("/c/wenhualu/desk/matter-register"); rr.Code != http.StatusForbidden {
		t.Errorf("accountant's matter form = %d, want 403", rr.Code)
	}
	if rr := b.get("/desk"); !strings.Contains(rr.Body.String(), "/c/wenhualu/desk") {
		t.Errorf("accountant's desks do not list wenhualu")
	}
}

// TestServiceRefuses: a form the workbench shows may still be refused by
// the command service; the form says so and keeps the values.
func TestServiceRefuses(t *testing.T) {
	b := newBench(t)
	rr := b.submit("/c/wenhualu/desk/matter-register", map[string]string{"id": "m-2026-09", "title": "更换路灯", "effective_date": "2026-11-12"}, "check")
	form := hiddenAndValues(rr.Body.String())
	form.Set("action", "confirm")
	b.fake.Fail = &command.Error{Index: 0, Type: domain.CmdRegisterMatter, Err: command.ErrForbidden}
	rr = b.post("/c/wenhualu/desk/matter-register", form)
	if rr.Code != http.StatusForbidden || !strings.Contains(rr.Body.String(), "无权") || !strings.Contains(rr.Body.String(), `value="更换路灯"`) {
		t.Errorf("refused = %d\n%s", rr.Code, errorsOf(rr.Body.String()))
	}
	b.fake.Fail = errors.New("nats: timeout")
	rr = b.post("/c/wenhualu/desk/matter-register", form)
	if rr.Code != http.StatusOK || !strings.Contains(rr.Body.String(), "未能确认") || !strings.Contains(rr.Body.String(), `value="confirm"`) {
		t.Errorf("unknown outcome = %d: want the confirmation again with the same key\n%s", rr.Code, errorsOf(rr.Body.String()))
	}
	if !strings.Contains(rr.Body.String(), `name="idem" value="`+form.Get("idem")+`"`) {
		t.Errorf("the key changed after an unknown outcome")
	}
}

// TestErrors checks where errors are shown: beside the field they belong to.
func TestErrors(t *testing.T) {
	tests := []struct {
		name  string
		seed  []command.Command
		path  string
		vals  map[string]string
		field string
		want  string
	}{
		{"amount that is not one", nil, "/c/wenhualu/desk/matter-register", map[string]string{"title": "x", "amount": "六千八", "effective_date": "2026-11-12"},
			"amount", "请用阿拉伯数字"},
		{"date that does not exist", nil, "/c/wenhualu/desk/matter-register", map[string]string{"title": "x", "effective_date": "2026-02-30"},
			"effective_date", "2月"},
		{"title missing", nil, "/c/wenhualu/desk/matter-register", map[string]string{"effective_date": "2026-11-12"},
			"title", "必填"},
		{"date in the future (a rule)", nil, "/c/wenhualu/desk/matter-register", map[string]string{"title": "x", "effective_date": "2027-01-01"},
			"effective_date", "业务日期不能晚于今天"},
		{"present over expected", matterUpTo(3), "/c/wenhualu/desk/matter-review?id=m-2026-01",
			map[string]string{"votes.expected": "6", "votes.present": "7人", "votes.for": "5", "effective_date": "2026-10-20"},
			"votes.present", "实到人数不能超过应到人数"},
		{"count with a word", matterUpTo(3), "/c/wenhualu/desk/matter-review?id=m-2026-01",
			map[string]string{"votes.expected": "六", "votes.present": "6", "votes.for": "5", "effective_date": "2026-10-20"},
			"votes.expected", "数字"},
		{"stage out of order", matterUpTo(1), "/c/wenhualu/desk/matter-review?id=m-2026-01",
			map[string]string{"votes.expected": "6", "votes.present": "6", "votes.for": "5", "effective_date": "2026-10-20"},
			"", "程序顺序错误"},
		{"unbalanced voucher", nil, "/c/wenhualu/desk/books-voucher",
			map[string]string{"summary": "x", "effective_date": "2026-11-12", "lines.0.account": "513", "lines.0.debit": "100", "lines.1.account": "101", "lines.1.credit": "90"},
			"lines", "借贷不平衡"},
		{"a line with both sides, after a blank row", nil, "/c/wenhualu/desk/books-voucher",
			map[string]string{"summary": "x", "effective_date": "2026-11-12", "nlines": "3", "lines.1.account": "513", "lines.1.debit": "100", "lines.1.credit": "100",
				"lines.2.account": "101", "lines.2.credit": "100"},
			"lines.1", "借方、贷方金额须且只能填一项"},
		{"unknown account (a rule, on its line)", nil, "/c/wenhualu/desk/books-voucher",
			map[string]string{"summary": "x", "effective_date": "2026-11-12", "lines.0.account": "999", "lines.0.debit": "100", "lines.1.account": "101", "lines.1.credit": "100"},
			"lines.0.account", "科目 999"},
		{"wrong voucher number", vouchers(), "/c/wenhualu/desk/books-voucher",
			map[string]string{"number": "5", "summary": "x", "effective_date": "2026-11-12", "lines.0.account": "513", "lines.0.debit": "100", "lines.1.account": "101", "lines.1.credit": "100"},
			"number", "下一个凭证号是 2"},
		{"nothing corrected", matterUpTo(5), "/c/wenhualu/desk/matter-correct?id=m-2026-01&stage=resolved",
			map[string]string{"reason": "核对", "effective_date": "2026-11-30"},
			"", "没有更正内容"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBench(t)
			b.fake.seed(t, "wenhualu", tt.seed...)
			rr := b.submit(tt.path, tt.vals, "check")
			if rr.Code == http.StatusOK {
				t.Fatalf("check = 200, want an error")
			}
			errs := fieldErrors(rr.Body.String())
			found := false
			for _, e := range errs[tt.field] {
				found = found || strings.Contains(e, tt.want)
			}
			if !found {
				t.Errorf("errors = %v, want %q beside %q", errs, tt.want, tt.field)
			}
			// The values are kept.
			page := hiddenAndValues(rr.Body.String())
			for k, v := range tt.vals {
				if page.Get(k) != v {
					t.Errorf("value %s = %q, want %q kept", k, page.Get(k), v)
				}
			}
			if len(b.fake.Requests) != 0 {
				t.Errorf("a request was executed")
			}
		})
	}
}

func TestFieldOf(t *testing.T) {
	p := newParser("zh", values{}, []string{"effective_date", "id", "votes.expected", "votes.present", "lines.0.debit", "lines.3.debit", "post"}, "id",
		map[string]string{"person_id": "post"})
	p.lineRows = []int{0, 3}
	for path, want := range map[string]string{
		"effective_date":      "effective_date",
		"aggregate_id":        "id",
		"data.votes.present":  "votes.present",
		"data.votes":          "votes.expected",
		"data.lines[1].debit": "lines.3.debit",
		"data.lines[1]":       "lines.3",
		"data.lines":          "lines",
		"data.person_id":      "post",
		"data":                "",
		"type":                "",
		"data.nonesuch":       "",
	} {
		if got := p.fieldOf(path); got != want {
			t.Errorf("fieldOf(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestAddLineKeepsValues(t *testing.T) {
	b := newBench(t)
	vals := map[string]string{"summary": "支付", "lines.0.account": "513", "lines.0.debit": "1,234.50", "lines.1.account": "101", "lines.1.credit": "1,234.50"}
	rr := b.submit("/c/wenhualu/desk/books-voucher", vals, "add_line")
	if rr.Code != http.StatusOK {
		t.Fatalf("add_line = %d", rr.Code)
	}
	page := hiddenAndValues(rr.Body.String())
	for k, v := range vals {
		if page.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, page.Get(k), v)
		}
	}
	if page.Get("nlines") != "3" || !strings.Contains(rr.Body.String(), `name="lines.2.debit"`) {
		t.Errorf("nlines = %q, want a third row", page.Get("nlines"))
	}
	if len(b.fake.Requests) != 0 {
		t.Errorf("a request was executed")
	}
}

func TestConfirmation(t *testing.T) {
	b := newBench(t)
	b.fake.seed(t, "wenhualu", matterUpTo(4)...)
	rr := b.submit("/c/wenhualu/desk/matter-resolve?id=m-2026-01", map[string]string{"votes.expected": "15", "votes.present": "12人", "votes.for": "11人",
		"votes.abstain": "1", "effective_date": "2026年10月25日"}, "check")
	body := rr.Body.String()
	for _, want := range []string{"确认记录", "返回修改", "2026年10月25日", "12人", "达到法定人数，表决通过（规则集 cn-national-2018）", "李娜（lina）"} {
		if !strings.Contains(body, want) {
			t.Errorf("confirmation lacks %q", want)
		}
	}
	// Back to edit keeps the values as typed.
	form := hiddenAndValues(body)
	form.Set("action", "edit")
	rr = b.post("/c/wenhualu/desk/matter-resolve?id=m-2026-01", form)
	if got := hiddenAndValues(rr.Body.String()); got.Get("votes.present") != "12人" || got.Get("effective_date") != "2026年10月25日" || got.Get("idem") != form.Get("idem") {
		t.Errorf("edit = %v", got)
	}
}

func TestAmountsInWords(t *testing.T) {
	b := newBench(t)
	b.fake.seed(t, "wenhualu", vouchers()...)
	rr := b.submit("/c/wenhualu/desk/books-voucher", map[string]string{"summary": "支付", "effective_date": "2026-11-12",
		"lines.0.account": "513", "lines.0.debit": "4,800", "lines.1.account": "102", "lines.1.credit": "4800元"}, "check")
	body := rr.Body.String()
	for _, want := range []string{"4,800.00 元", "肆仟捌佰元整", "2026-11-002", "2（自动编号）", "2026年11月12日"} {
		if !strings.Contains(body, want) {
			t.Errorf("confirmation lacks %q\n%s", want, errorsOf(body))
		}
	}
}

func TestConflict(t *testing.T) {
	b := newBench(t)
	b.fake.seed(t, "wenhualu", matterUpTo(1)...)
	rr := b.submit("/c/wenhualu/desk/matter-propose?id=m-2026-01", map[string]string{"summary": "提议", "effective_date": "2026-10-13"}, "check")
	form := hiddenAndValues(rr.Body.String())
	// Someone else records the proposal meanwhile.
	b.fake.seed(t, "wenhualu", cmd(domain.CmdProposeMatter, "m-2026-01", "2026-10-13", map[string]string{"summary": "别人的提议"}))
	form.Set("action", "confirm")
	rr = b.post("/c/wenhualu/desk/matter-propose?id=m-2026-01", form)
	body := rr.Body.String()
	if rr.Code != http.StatusConflict || !strings.Contains(body, "此事项已被他人更新") || !strings.Contains(body, "党组织提议") {
		t.Errorf("conflict = %d\n%s", rr.Code, errorsOf(body))
	}
	if got := hiddenAndValues(body); got.Get("summary") != "提议" {
		t.Errorf("values not kept: %v", got)
	}
	if len(b.fake.Requests) != 1 || *b.fake.Requests[0].IfMatch != 1+2 {
		t.Errorf("requests %d; want one, at the version the form was filled against", len(b.fake.Requests))
	}
	// Submitted again, it is checked against the current record.
	form = hiddenAndValues(body)
	form.Set("action", "check")
	if rr := b.post("/c/wenhualu/desk/matter-propose?id=m-2026-01", form); !strings.Contains(rr.Body.String(), "程序顺序错误") {
		t.Errorf("after the conflict: %s", errorsOf(rr.Body.String()))
	}
}

func TestDoubleSubmitAndReceipt(t *testing.T) {
	b := newBench(t)
	rr := b.submit("/c/wenhualu/desk/matter-register", map[string]string{"id": "m-2026-09", "title": "更换路灯", "amount": "4,200", "effective_date": "2026-11-12"}, "check")
	form := hiddenAndValues(rr.Body.String())
	form.Set("action", "confirm")
	first := b.post("/c/wenhualu/desk/matter-register", form)
	second := b.post("/c/wenhualu/desk/matter-register", form)
	if first.Code != http.StatusSeeOther || second.Code != http.StatusSeeOther {
		t.Fatalf("confirm twice = %d, %d\n%s", first.Code, second.Code, errorsOf(second.Body.String()))
	}
	if _, ver := b.fake.State("wenhualu", domain.AggregateMatter, "m-2026-09"); ver == 0 {
		t.Fatal("not recorded")
	}
	loc1, loc2 := first.Header().Get("Location"), second.Header().Get("Location")
	q1, _ := url.Parse(loc1)
	q2, _ := url.Parse(loc2)
	if q1.Query().Get("s") != q2.Query().Get("s") || q2.Query().Get("r") != "1" {
		t.Errorf("receipts %s and %s: want the same sequences, the second a replay", loc1, loc2)
	}
	rr = b.get(loc1)
	body := rr.Body.String()
	for _, want := range []string{"已记录", "m-2026-09 更换路灯", "李娜（lina）", "2026年11月30日 23:56", "证明将在下一个检查点签发后提供", "党组织提议"} {
		if !strings.Contains(body, want) {
			t.Errorf("receipt lacks %q", want)
		}
	}
	if rr := b.get(loc2); !strings.Contains(rr.Body.String(), "没有重复记录") {
		t.Errorf("replayed receipt does not say so")
	}
	b.w.d.ProofURL = func(_ context.Context, seq uint64) string { return "/proof/" + strconv.FormatUint(seq, 10) }
	if rr := b.get(loc1); !strings.Contains(rr.Body.String(), `href="/proof/`) {
		t.Errorf("no proof link once covered")
	}
	// A receipt made up, or of another session, is refused.
	forged := strings.Replace(loc1, "a=m-2026-09", "a=m-2026-01", 1)
	if rr := b.get(forged); rr.Code != http.StatusBadRequest {
		t.Errorf("forged receipt = %d", rr.Code)
	}
}

// TestDumpPages writes pages to $WORKBENCH_DUMP for a look in a browser.
func TestDumpPages(t *testing.T) {
	dir := os.Getenv("WORKBENCH_DUMP")
	if dir == "" {
		t.Skip("set WORKBENCH_DUMP to a directory to write the pages there")
	}
	b := newBench(t)
	b.fake.seed(t, "wenhualu", budget2026()...)
	b.fake.seed(t, "wenhualu", vouchers()...)
	pages := map[string]string{
		"desks":   b.get("/desk").Body.String(),
		"home":    b.get("/c/wenhualu/desk").Body.String(),
		"voucher": b.get("/c/wenhualu/desk/books-voucher").Body.String(),
		"voucher-errors": b.submit("/c/wenhualu/desk/books-voucher", map[string]string{"summary": "x", "effective_date": "2026-11-12",
			"lines.0.account": "513", "lines.0.debit": "100", "lines.1.account": "101", "lines.1.credit": "9O"}, "check").Body.String(),
		"voucher-confirm": b.submit("/c/wenhualu/desk/books-voucher", map[string]string{"summary": "支付办公用品", "effective_date": "2026-11-12",
			"lines.0.account": "513", "lines.0.debit": "1,234.50", "lines.1.account": "102", "lines.1.credit": "1234.5"}, "check").Body.String(),
		"resolve":      b.get("/c/wenhualu/desk/matter-correct?id=m-2026-01&stage=resolved").Body.String(),
		"correct-pick": b.get("/c/wenhualu/desk/matter-correct?id=m-2026-01").Body.String(),
		"budget":       b.get("/c/wenhualu/desk/budget-adjust?year=2026").Body.String(),
		"rules":        b.get("/c/wenhualu/desk/rule-set?lang=en").Body.String(),
	}
	rr := b.record("/c/wenhualu/desk/books-reverse?voucher=2026-11-001", map[string]string{"reason": "记错", "effective_date": "2026-11-13"})
	pages["receipt"] = b.get(rr.Header().Get("Location")).Body.String()
	for name, body := range pages {
		if err := os.WriteFile(filepath.Join(dir, name+".html"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDoubleSubmit: the confirmation posted twice records once, also when
// the form filled something in (a voucher's number) or compares with the
// record (a correction).
func TestDoubleSubmit(t *testing.T) {
	tests := []struct {
		name string
		seed []command.Command
		path string
		vals map[string]string
	}{
		{"voucher numbered for you", vouchers(), "/c/wenhualu/desk/books-voucher", map[string]string{"summary": "支付", "effective_date": "2026-11-12",
			"lines.0.account": "513", "lines.0.debit": "1,234.50", "lines.1.account": "102", "lines.1.credit": "1,234.50"}},
		{"correction", matterUpTo(5), "/c/wenhualu/desk/matter-correct?id=m-2026-01&stage=resolved",
			map[string]string{"votes.present": "13", "votes.for": "12", "reason": "实到13人", "effective_date": "2026-11-30"}},
		{"review", matterUpTo(3), "/c/wenhualu/desk/matter-review?id=m-2026-01",
			map[string]string{"votes.expected": "6", "votes.present": "6", "votes.for": "6", "effective_date": "2026-10-20"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBench(t)
			b.fake.seed(t, "wenhualu", tt.seed...)
			rr := b.submit(tt.path, tt.vals, "check")
			form := hiddenAndValues(rr.Body.String())
			form.Set("action", "confirm")
			first := b.post(tt.path, form)
			second := b.post(tt.path, form)
			if first.Code != http.StatusSeeOther || second.Code != http.StatusSeeOther {
				t.Fatalf("confirm twice = %d, %d\n%s", first.Code, second.Code, errorsOf(second.Body.String()))
			}
			l1, _ := url.Parse(first.Header().Get("Location"))
			l2, _ := url.Parse(second.Header().Get("Location"))
			if l1.Query().Get("s") != l2.Query().Get("s") || l2.Query().Get("r") != "1" {
				t.Errorf("receipts %s, %s", l1, l2)
			}
			if string(b.fake.Requests[0].Commands[0].Data) != string(b.fake.Requests[1].Commands[0].Data) {
				t.Errorf("the second submission sent %s, the first %s", b.fake.Requests[1].Commands[0].Data, b.fake.Requests[0].Commands[0].Data)
			}
		})
	}
}

func TestHomeNextSteps(t *testing.T) {
	b := newBench(t)
	b.fake.seed(t, "wenhualu", matterUpTo(4)...)
	b.fake.seed(t, "wenhualu",
		cmd(domain.CmdRegisterMatter, "m-2026-02", "2026-10-12", map[string]string{"title": "收取停车费"}),
		cmd(domain.CmdProposeMatter, "m-2026-02", "2026-10-12", map[string]string{}),
		cmd(domain.CmdConsultMatter, "m-2026-02", "2026-10-12", map[string]string{}),
		cmd(domain.CmdReviewMatter, "m-2026-02", "2026-10-12", map[string]any{"votes": votes(6, 6, 6, 0, 0)}),
		cmd(domain.CmdResolveMatter, "m-2026-02", "2026-10-13", map[string]any{"votes": votes(15, 12, 5, 6, 1)}))
	body := b.get("/c/wenhualu/desk").Body.String()
	for _, want := range []string{
		"/c/wenhualu/desk/matter-resolve?id=m-2026-01", "/c/wenhualu/desk/matter-withdraw?id=m-2026-01", "/c/wenhualu/desk/matter-correct?id=m-2026-01",
		"/c/wenhualu/desk/matter-disclose-resolution?id=m-2026-02", "重新表决",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("home lacks %q", want)
		}
	}
	if strings.Contains(body, "matter-revoke?id=m-2026-02") || strings.Contains(body, "matter-report-implementation") {
		t.Errorf("home offers a step the stage does not allow")
	}
	// The correction chooser lists the recorded stages.
	body = b.get("/c/wenhualu/desk/matter-correct?id=m-2026-01").Body.String()
	for _, want := range []string{"stage=proposed", "stage=consulted", "stage=reviewed"} {
		if !strings.Contains(body, want) {
			t.Errorf("chooser lacks %q", want)
		}
	}
}

// TestVoucherNumberAfterConflict: a number filled in for the clerk is
// filled in again after someone else posted a voucher.
func TestVoucherNumberAfterConflict(t *testing.T) {
	b := newBench(t)
	b.fake.seed(t, "wenhualu", vouchers()...)
	vals := map[string]string{"summary": "支付", "effective_date": "2026-11-12",
		"lines.0.account": "513", "lines.0.debit": "100", "lines.1.account": "101", "lines.1.credit": "100"}
	rr := b.submit("/c/wenhualu/desk/books-voucher", vals, "check")
	form := hiddenAndValues(rr.Body.String())
	if form.Get("number") != "2" || form.Get("fixed") != "number" {
		t.Fatalf("confirmation carries number %q, fixed %q", form.Get("number"), form.Get("fixed"))
	}
	b.fake.seed(t, "wenhualu", cmd(domain.CmdPostVoucher, domain.BooksID, "2026-11-12", map[string]any{"number": 2, "summary": "别人的凭证", "preparer": "赵敏",
		"lines": []map[string]string{{"account": "102", "debit": "5.00"}, {"account": "503", "credit": "5.00"}}}))
	form.Set("action", "confirm")
	rr = b.post("/c/wenhualu/desk/books-voucher", form)
	if rr.Code != http.StatusConflict {
		t.Fatalf("confirm = %d", rr.Code)
	}
	form = hiddenAndValues(rr.Body.String())
	if form.Get("number") != "" {
		t.Errorf("number after the conflict = %q, want blank (numbered again)", form.Get("number"))
	}
	form.Set("action", "check")
	rr = b.post("/c/wenhualu/desk/books-voucher", form)
	if got := hiddenAndValues(rr.Body.String()).Get("number"); got != "3" {
		t.Errorf("number checked again = %q, want 3\n%s", got, errorsOf(rr.Body.String()))
	}
}
