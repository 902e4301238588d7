package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
)

// disclosureNow is the tests' clock: 2025-05-20 in Beijing.
var disclosureNow = time.Date(2025, 5, 20, 2, 0, 0, 0, time.UTC)

// post sends a JSON write with a token.
func post(t *testing.T, s *apptest.Server, token, path, key, body string) apptest.Response {
	t.Helper()
	return apptest.Do(t, http.MethodPost, s.URL+path, []byte(body), map[string]string{
		"Authorization": "Bearer " + token, "Idempotency-Key": key, "Content-Type": "application/json"})
}

// The lifecycle of a disclosure through the API, as a clerk and a member
// of the supervision committee would go through it, and what the public
// sees at each step. The figures are worked out by hand from the vouchers
// the test posts:
//
//	2025-01-15  Dr 102 60,000.00 / Cr 503  income  60,000.00
//	2025-02-10  Dr 513  3,000.00 / Cr 102  expense  3,000.00 (office)
//	2025-03-05  Dr 513    200.00 / Cr 102  expense    200.00
//	2025-03-06  red-ink reversal of it     expense   -200.00
//	2025-03-07  Dr 513 15,000.00 / Cr 102  expense 15,000.00 (m-road)
//
// so 2025-Q1: income 60,000.00, expense 18,000.00, net 42,000.00; a
// voucher of 50.00 posted late into March makes it 18,050.00 and
// 41,950.00.
func TestDisclosureLifecycle(t *testing.T) {
	s := setupBooksWith(t, app.Config{Now: func() time.Time { return disclosureNow }})
	s.CreateAccount(t, "clerk1", "文书", "correct horse battery", "clerk", "community:c1")
	clerk := accountToken(t, s, "c1", "clerk1")
	s.CreateAccount(t, "jiandu", "监督委员", "correct horse battery", "supervisor", "community:c1")
	sup := accountToken(t, s, "c1", "jiandu")
	base := "/api/v1/communities/c1/disclosures/finance-2025-Q1/"

	// The commands endpoint takes neither a draft nor a publication: a
	// client would choose the figures.
	before := s.LastSeq(t)
	r := mustStatus(t, s.Command(t, "c1", "forged", step("disclosure.draft", "finance-2025-Q1", "2025-04-02",
		`{"content":{"title":"伪造","tables":[],"totals":[{"label":"本期收入合计","amount":"1.00"}],"as_of_seq":1}}`)), http.StatusBadRequest)
	if r["code"] != "generated_command" || s.LastSeq(t) != before {
		t.Fatalf("a draft on the commands endpoint: %v, LastSeq %d -> %d", r, before, s.LastSeq(t))
	}

	// Drafted from the books.
	mustStatus(t, post(t, s, clerk, base+"draft", "d1", `{"effective_date":"2025-04-02"}`), http.StatusCreated)
	d := disclosureState(t, s, "finance-2025-Q1")
	v1 := d["versions"].([]any)[0].(map[string]any)
	totals := fmt.Sprint(v1["content"].(map[string]any)["totals"])
	for _, w := range []string{"amount:60000.00 label:本期收入合计", "amount:18000.00 label:本期支出合计", "amount:42000.00 label:收支相抵"} {
		if !strings.Contains(totals, w) {
			t.Errorf("draft totals %s lack %q", totals, w)
		}
	}
	// Not public while a draft.
	if r := apptest.Do(t, http.MethodGet, s.URL+"/c/c1/disclosures/finance-2025-Q1", nil, nil); r.Status != http.StatusNotFound {
		t.Errorf("an unpublished draft is public: %d", r.Status)
	}

	refused := func(name string, resp apptest.Response, status int, code string) {
		t.Helper()
		before := s.LastSeq(t)
		got := mustStatus(t, resp, status)
		if got["code"] != code || s.LastSeq(t) != before {
			t.Errorf("%s: %v (want %s), LastSeq %d -> %d", name, got, code, before, s.LastSeq(t))
		}
	}
	refused("publishing before review", post(t, s, clerk, base+"publish", "p0", `{"version":1,"channels":["公开栏"],"effective_date":"2025-04-03"}`),
		http.StatusUnprocessableEntity, "not_reviewed")
	refused("a clerk reviewing", post(t, s, clerk, "/api/v1/communities/c1/commands", "clerk-approve", step("disclosure.approve", "finance-2025-Q1", "2025-04-03", `{"version":1}`)),
		http.StatusForbidden, "forbidden")
	// Returned with an opinion: it cannot be published.
	mustStatus(t, post(t, s, sup, "/api/v1/communities/c1/commands", "ret", step("disclosure.return", "finance-2025-Q1", "2025-04-03", `{"version":1,"opinion":"请写明支出用途"}`)), http.StatusCreated)
	refused("publishing a returned draft", post(t, s, clerk, base+"publish", "p1", `{"version":1,"channels":["公开栏"],"effective_date":"2025-04-04"}`),
		http.StatusUnprocessableEntity, "returned")
	// Drafted again with a note, approved, and then the books change in
	// the period: publishing is refused as stale.
	mustStatus(t, post(t, s, clerk, base+"draft", "d2", `{"effective_date":"2025-04-05","note":"办公费用于购买办公用品"}`), http.StatusCreated)
	mustStatus(t, post(t, s, sup, "/api/v1/communities/c1/commands", "ok2", step("disclosure.approve", "finance-2025-Q1", "2025-04-06", `{"version":2,"opinion":"同意"}`)), http.StatusCreated)
	mustCommands(t, s, "late-voucher", voucher("2025-03-28", 4, nil, dr("513", "50.00"), cr("102", "50.00")))
	refused("publishing figures the books no longer give", post(t, s, clerk, base+"publish", "p2", `{"version":2,"channels":["公开栏"],"effective_date":"2025-04-07"}`),
		http.StatusConflict, "draft_stale")
	// Drafted a third time, approved, published: posting shorter than the
	// rule set's 公示期 is refused, the default taken.
	mustStatus(t, post(t, s, clerk, base+"draft", "d3", `{"effective_date":"2025-04-08","note":"办公费用于购买办公用品"}`), http.StatusCreated)
	mustStatus(t, post(t, s, sup, "/api/v1/communities/c1/commands", "ok3", step("disclosure.approve", "finance-2025-Q1", "2025-04-08", `{"version":3}`)), http.StatusCreated)
	refused("a 公示期 of 3 days", post(t, s, clerk, base+"publish", "p3", `{"version":3,"channels":["公开栏"],"posting_days":3,"effective_date":"2025-04-09"}`),
		http.StatusUnprocessableEntity, "posting_too_short")
	mustStatus(t, post(t, s, clerk, base+"publish", "p4", `{"version":3,"channels":["公开栏","网上"],"effective_date":"2025-04-09"}`), http.StatusCreated)

	page := string(waitFor(t, s, "/c/c1/disclosures/finance-2025-Q1", "2025年第1季度财务收支公开").Body)
	for _, w := range []string{"60000.00", "18050.00", "41950.00", "大写：壹万捌仟零伍拾元整", "公示期：7天，至2025年4月15日", "公开栏、网上", "办公费用于购买办公用品", "请写明支出用途"} {
		if w == "请写明支出用途" {
			if strings.Contains(page, w) {
				t.Errorf("the public page shows a returned draft's opinion")
			}
			continue
		}
		if !strings.Contains(page, w) {
			t.Errorf("the published page lacks %q", w)
		}
	}

	// A correction supersedes; both versions stay readable.
	refused("a new draft without a reason", post(t, s, clerk, base+"draft", "d5", `{"effective_date":"2025-04-20"}`),
		http.StatusUnprocessableEntity, "already_published")
	mustStatus(t, post(t, s, clerk, base+"draft", "d6", `{"effective_date":"2025-04-20","note":"办公费用于购买打印纸和墨盒","reason":"说明写得不具体"}`), http.StatusCreated)
	mustStatus(t, post(t, s, sup, "/api/v1/communities/c1/commands", "ok4", step("disclosure.approve", "finance-2025-Q1", "2025-04-21", `{"version":4}`)), http.StatusCreated)
	mustStatus(t, post(t, s, clerk, base+"publish", "p5", `{"version":4,"channels":["公开栏"],"effective_date":"2025-04-22"}`), http.StatusCreated)
	page = string(waitFor(t, s, "/c/c1/disclosures/finance-2025-Q1", "说明写得不具体").Body)
	for _, w := range []string{"本版为更正版（第4版），更正原因：说明写得不具体", "办公费用于购买打印纸和墨盒", "第3版，2025年4月9日公开，已被第4版更正", "办公费用于购买办公用品"} {
		if !strings.Contains(page, w) {
			t.Errorf("the corrected page lacks %q", w)
		}
	}
	// The catalogue: 2025-Q1 was due 2025-04-15 and published on 04-09.
	list := string(apptest.Do(t, http.MethodGet, s.URL+"/api/v1/communities/c1/disclosures", nil, nil).Body)
	var dv struct {
		Published []struct{ Item string }
		Done      []struct {
			Item      string
			Due, Done string
		}
	}
	if err := json.Unmarshal([]byte(list), &dv); err != nil {
		t.Fatal(err)
	}
	if len(dv.Published) != 1 || dv.Published[0].Item != "finance-2025-Q1" {
		t.Errorf("published: %+v", dv.Published)
	}
	found := false
	for _, o := range dv.Done {
		if o.Item == "finance-2025-Q1" {
			found = o.Due == "2025-04-15" && o.Done == "2025-04-09"
		}
	}
	if !found {
		t.Errorf("the catalogue does not record 2025-Q1 due 2025-04-15, done 2025-04-09: %s", list)
	}
}

// disclosureState reads an item's versions from the board JSON once the
// board has caught up.
func disclosureState(t *testing.T, s *apptest.Server, item string) map[string]any {
	t.Helper()
	waitSeq(t, s, "/api/v1/communities/c1/board", s.LastSeq(t))
	var b struct {
		Disclosures []map[string]any `json:"disclosures"`
	}
	if err := json.Unmarshal(apptest.Do(t, http.MethodGet, s.URL+"/api/v1/communities/c1/board", nil, nil).Body, &b); err != nil {
		t.Fatal(err)
	}
	for _, d := range b.Disclosures {
		if d["item"] == item {
			return d
		}
	}
	t.Fatalf("no disclosure %s on the board", item)
	return nil
}

// waitFor gets a page until it contains want (the read models apply the
// stream a moment after a write is acknowledged).
func waitFor(t *testing.T, s *apptest.Server, path, want string) apptest.Response {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := apptest.Do(t, http.MethodGet, s.URL+path, nil, nil)
		if r.Status == http.StatusOK && strings.Contains(string(r.Body), want) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never showed %q: %d %s", path, want, r.Status, r.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
