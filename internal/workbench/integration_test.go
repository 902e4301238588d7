package workbench_test

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
)

// These tests run a real server (embedded JetStream) and use the
// workbench as a browser does: a signed-in clerk, forms without
// JavaScript, the CSRF token and the idempotency key of each form.

const pwClerk = "Qz7-Mango-2026!"

var (
	inputRE    = regexp.MustCompile(`<input type="(?:hidden|text)"[^>]*? name="([^"]*)" value="([^"]*)"`)
	textareaRE = regexp.MustCompile(`(?s)<textarea id="[^"]*" name="([^"]*)" rows="3">(.*?)</textarea>`)
	selectRE   = regexp.MustCompile(`(?s)<select id="[^"]*" name="([^"]*)">(.*?)</select>`)
	selectedRE = regexp.MustCompile(`<option value="([^"]*)" selected>`)
	errRE      = regexp.MustCompile(`(?s)class="err" id="e-([^"]*)" role="alert">(.*?)<|<li>(.*?)</li>`)
)

// fields returns a page's form values as a browser sends them unchanged.
func fields(page []byte) url.Values {
	v := url.Values{}
	for _, m := range inputRE.FindAllSubmatch(page, -1) {
		v.Set(html.UnescapeString(string(m[1])), html.UnescapeString(string(m[2])))
	}
	for _, m := range textareaRE.FindAllSubmatch(page, -1) {
		v.Set(html.UnescapeString(string(m[1])), html.UnescapeString(string(m[2])))
	}
	for _, m := range selectRE.FindAllSubmatch(page, -1) {
		if s := selectedRE.FindSubmatch(m[2]); s != nil {
			v.Set(html.UnescapeString(string(m[1])), html.UnescapeString(string(s[1])))
		} else {
			v.Set(html.UnescapeString(string(m[1])), "")
		}
	}
	return v
}

func pageErrors(page []byte) string {
	var out []string
	for _, m := range errRE.FindAllSubmatch(page, -1) {
		out = append(out, html.UnescapeString(string(m[1])+" "+string(m[2])+string(m[3])))
	}
	return strings.Join(out, "; ")
}

type desk struct {
	t *testing.T
	s *apptest.Server
	b *apptest.Browser
}

// start runs a server with community c1 and signs in its clerk.
func start(t *testing.T) *desk {
	t.Helper()
	s := apptest.Start(t, app.Config{})
	body := `{"type":"community.register","aggregate_id":"c1","effective_date":"2025-01-02","data":{"name":"幸福社区","kind":"社区","town":"示例镇","county":"示例县"}}`
	if r := s.Command(t, "c1", "register-c1", body); r.Status != http.StatusCreated {
		t.Fatalf("register c1: %d %s", r.Status, r.Body)
	}
	s.CreateAccount(t, "lina", "李娜", pwClerk, "clerk", "community:c1")
	return &desk{t: t, s: s, b: s.SignIn(t, "lina", pwClerk)}
}

// fill opens a form, fills values in and submits it with action.
func (d *desk) fill(path string, vals map[string]string, action string) apptest.Response {
	d.t.Helper()
	r := d.b.Get(d.t, path)
	if r.Status != http.StatusOK {
		d.t.Fatalf("GET %s: %d %.400s", path, r.Status, r.Body)
	}
	form := fields(r.Body)
	for k, v := range vals {
		form.Set(k, v)
	}
	form.Set("action", action)
	return d.b.PostForm(d.t, path, form)
}

// record fills a form, checks the confirmation and confirms it; it
// returns the confirmation's values and the receipt's address.
func (d *desk) record(path string, vals map[string]string) (url.Values, string) {
	d.t.Helper()
	r := d.fill(path, vals, "check")
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "确认记录") {
		d.t.Fatalf("check %s: %d, want the confirmation: %s", path, r.Status, pageErrors(r.Body))
	}
	form := fields(r.Body)
	form.Set("action", "confirm")
	r = d.b.PostForm(d.t, path, form)
	if r.Status != http.StatusSeeOther {
		d.t.Fatalf("confirm %s: %d, want 303: %s", path, r.Status, pageErrors(r.Body))
	}
	loc := r.Header.Get("Location")
	if rc := d.b.Get(d.t, loc); rc.Status != http.StatusOK || !strings.Contains(string(rc.Body), "李娜（lina）") {
		d.t.Fatalf("receipt %s: %d %.400s", loc, rc.Status, rc.Body)
	}
	return form, loc
}

func (d *desk) events(after uint64) []apptest.Event {
	d.t.Helper()
	return d.s.EventsAfter(d.t, after)
}

func TestMatterThroughEveryStage(t *testing.T) {
	d := start(t)
	before := d.s.LastSeq(t)
	m := "?id=m-2026-01"
	d.record("/c/c1/desk/matter-register", map[string]string{"id": "m-2026-01", "title": "老年活动室供暖改造", "amount": "36,800元", "effective_date": "2026年10月12日"})
	d.record("/c/c1/desk/matter-propose"+m, map[string]string{"summary": "党支部提议", "effective_date": "2026/10/14"})
	d.record("/c/c1/desk/matter-consult"+m, map[string]string{"effective_date": "2026-10-16"})
	d.record("/c/c1/desk/matter-review"+m, map[string]string{"votes.expected": "6人", "votes.present": "6人", "votes.for": "6人", "effective_date": "2026-10-20"})
	_, receipt := d.record("/c/c1/desk/matter-resolve"+m, map[string]string{"votes.expected": "15人", "votes.present": "12人", "votes.for": "11人",
		"votes.abstain": "1人", "text": "同意改造。", "effective_date": "2026-10-25"})
	if r := d.b.Get(t, receipt); !strings.Contains(string(r.Body), "表决通过") || !strings.Contains(string(r.Body), "实到 12人") {
		t.Errorf("the resolution's receipt does not show the vote: %.600s", r.Body)
	}
	d.record("/c/c1/desk/matter-disclose-resolution"+m, map[string]string{"channels": "社区公开栏、微信群", "effective_date": "2026-10-26"})
	d.record("/c/c1/desk/matter-report-implementation"+m, map[string]string{"summary": "已开工", "effective_date": "2026-11-10"})
	d.record("/c/c1/desk/matter-disclose-result"+m, map[string]string{"channels": "社区公开栏", "summary": "已完工", "effective_date": "2026-11-20"})
	d.record("/c/c1/desk/matter-correct"+m+"&stage=resolved", map[string]string{"votes.present": "13人", "votes.for": "12人", "reason": "会议记录实到13人", "effective_date": "2026-11-25"})

	var types []string
	var resolved map[string]any
	for _, e := range d.events(before) {
		types = append(types, e.Type)
		if e.Actor != "lina" || e.Community != "c1" {
			t.Errorf("event %d by %q in %q", e.Seq, e.Actor, e.Community)
		}
		if e.Type == "matter.resolved" {
			_ = json.Unmarshal(e.Data, &resolved)
		}
	}
	want := []string{"matter.registered", "matter.proposed", "matter.consulted", "matter.reviewed", "matter.resolved", "matter.resolution_disclosed",
		"matter.implementation_reported", "matter.result_disclosed", "matter.stage_corrected"}
	if fmt.Sprint(types) != fmt.Sprint(want) {
		t.Fatalf("events %v, want %v", types, want)
	}
	if v := resolved["votes"].(map[string]any); v["present"] != 12.0 || v["for"] != 11.0 || v["abstain"] != 1.0 || resolved["passed"] != true {
		t.Errorf("matter.resolved = %v", resolved)
	}
}

func TestVoucherReversedAndDoubleSubmit(t *testing.T) {
	d := start(t)
	// October: a subsidy into the bank and cash drawn from it, for the
	// voucher below to pay from both (neither may go below zero).
	for i, body := range []string{
		`{"type":"books.post_voucher","aggregate_id":"books","effective_date":"2026-10-20","data":{"number":1,"summary":"收到镇拨款","preparer":"赵敏","lines":[{"account":"102","debit":"5000.00"},{"account":"503","credit":"5000.00"}]}}`,
		`{"type":"books.post_voucher","aggregate_id":"books","effective_date":"2026-10-21","data":{"number":2,"summary":"提取备用金","preparer":"赵敏","lines":[{"account":"101","debit":"1000.00"},{"account":"102","credit":"1000.00"}]}}`,
	} {
		if r := d.s.Command(t, "c1", fmt.Sprint("october-", i), body); r.Status != http.StatusCreated {
			t.Fatalf("October voucher %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	before := d.s.LastSeq(t)
	r := d.fill("/c/c1/desk/books-voucher", map[string]string{"summary": "购买办公用品", "effective_date": "2026-11-12",
		"lines.0.account": "513", "lines.0.debit": "1,234.50",
		"lines.1.account": "101", "lines.1.credit": "234.50"}, "add_line")
	form := fields(r.Body)
	if form.Get("nlines") != "3" || form.Get("lines.0.debit") != "1,234.50" {
		t.Fatalf("after add_line: %v", form)
	}
	form.Set("lines.2.account", "102")
	form.Set("lines.2.credit", "1,000")
	form.Set("action", "check")
	r = d.b.PostForm(t, "/c/c1/desk/books-voucher", form)
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "壹仟贰佰叁拾肆元伍角") {
		t.Fatalf("check: %d %s", r.Status, pageErrors(r.Body))
	}
	confirm := fields(r.Body)
	confirm.Set("action", "confirm")
	first := d.b.PostForm(t, "/c/c1/desk/books-voucher", confirm)
	afterFirst := d.s.LastSeq(t)
	second := d.b.PostForm(t, "/c/c1/desk/books-voucher", confirm)
	if first.Status != http.StatusSeeOther || second.Status != http.StatusSeeOther {
		t.Fatalf("confirm twice: %d, %d: %s", first.Status, second.Status, pageErrors(second.Body))
	}
	if after := d.s.LastSeq(t); after != afterFirst || afterFirst != before+1 {
		t.Fatalf("LastSeq %d, %d after the first and second confirmation from %d: want one event", afterFirst, after, before)
	}
	l1, _ := url.Parse(first.Header.Get("Location"))
	l2, _ := url.Parse(second.Header.Get("Location"))
	if l1.Query().Get("s") != l2.Query().Get("s") || l2.Query().Get("r") != "1" {
		t.Errorf("receipts %s and %s", l1, l2)
	}
	if rc := d.b.Get(t, l2.String()); !strings.Contains(string(rc.Body), "没有重复记录") || !strings.Contains(string(rc.Body), "2026-11-001") {
		t.Errorf("the second receipt: %.600s", rc.Body)
	}
	evs := d.events(before)
	var posted struct {
		Number int `json:"number"`
		Lines  []struct {
			Account, Debit, Credit string
		} `json:"lines"`
	}
	_ = json.Unmarshal(evs[0].Data, &posted)
	if evs[0].Type != "books.voucher_posted" || posted.Number != 1 || len(posted.Lines) != 3 || posted.Lines[0].Debit != "1234.50" || posted.Lines[2].Credit != "1000.00" {
		t.Fatalf("posted %s %s", evs[0].Type, evs[0].Data)
	}

	_, loc := d.record("/c/c1/desk/books-reverse?voucher=2026-11-001", map[string]string{"reason": "发票金额记错", "effective_date": "2026-11-13"})
	evs = d.events(afterFirst)
	if len(evs) != 1 || evs[0].Type != "books.voucher_reversed" || !strings.Contains(string(evs[0].Data), `"reverses":"2026-11-001"`) {
		t.Fatalf("reversal: %v", evs)
	}
	if rc := d.b.Get(t, loc); !strings.Contains(string(rc.Body), "2026-11-002") {
		t.Errorf("the reversal's receipt does not name the red-ink voucher")
	}
}

func TestFormWithoutCSRFRecordsNothing(t *testing.T) {
	d := start(t)
	r := d.b.Get(t, "/c/c1/desk/matter-register")
	form := fields(r.Body)
	form.Set("id", "m-x")
	form.Set("title", "修缮村道")
	form.Set("effective_date", "2026-11-02")
	form.Set("action", "confirm")
	before := d.s.LastSeq(t)
	for _, token := range []string{"", "forged"} {
		form.Set("csrf", token)
		if token == "" {
			form.Del("csrf")
		}
		if r := d.b.PostForm(t, "/c/c1/desk/matter-register", form); r.Status != http.StatusForbidden {
			t.Errorf("POST with csrf %q: %d, want 403", token, r.Status)
		}
	}
	if after := d.s.LastSeq(t); after != before {
		t.Fatalf("LastSeq %d, want %d: a form without its CSRF token recorded something", after, before)
	}
}

// Two clerks fill in the same stage; the second to confirm is told that
// the record changed, sees it, and keeps what was typed.
func TestConcurrentStage(t *testing.T) {
	d := start(t)
	d.record("/c/c1/desk/matter-register", map[string]string{"id": "m-1", "title": "修缮村道", "effective_date": "2026-11-02"})
	path := "/c/c1/desk/matter-propose?id=m-1"
	r := d.fill(path, map[string]string{"summary": "我的提议", "effective_date": "2026-11-03"}, "check")
	mine := fields(r.Body)
	mine.Set("action", "confirm")

	other := d.s.SignIn(t, "lina", pwClerk) // the same clerk on another phone
	o := &desk{t: t, s: d.s, b: other}
	o.record(path, map[string]string{"summary": "另一份提议", "effective_date": "2026-11-03"})

	before := d.s.LastSeq(t)
	r = d.b.PostForm(t, path, mine)
	body := string(r.Body)
	if r.Status != http.StatusConflict || !strings.Contains(body, "此事项已被他人更新") || !strings.Contains(body, "党组织提议") {
		t.Fatalf("late confirmation: %d %s", r.Status, pageErrors(r.Body))
	}
	if fields(r.Body).Get("summary") != "我的提议" {
		t.Errorf("the typed values were not kept")
	}
	if after := d.s.LastSeq(t); after != before {
		t.Errorf("the late confirmation recorded something")
	}
}
