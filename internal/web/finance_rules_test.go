package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
)

const (
	votesPassJSON = `{"expected":15,"present":12,"for":10,"against":1,"abstain":1}`
	votesFailJSON = `{"expected":15,"present":12,"for":6,"against":5,"abstain":1}`
)

// line is one voucher line as the API takes it; an empty side is left out.
type line struct{ account, debit, credit string }

func dr(account, amount string) line { return line{account: account, debit: amount} }
func cr(account, amount string) line { return line{account: account, credit: amount} }

// voucher is a books.post_voucher command; extra adds data fields such as
// matter and budget_line.
func voucher(date string, number int, extra map[string]string, lines ...line) string {
	ls := make([]map[string]string, len(lines))
	for i, l := range lines {
		ls[i] = map[string]string{"account": l.account}
		if l.debit != "" {
			ls[i]["debit"] = l.debit
		}
		if l.credit != "" {
			ls[i]["credit"] = l.credit
		}
	}
	data := map[string]any{"number": number, "summary": "测试凭证", "preparer": "赵敏", "lines": ls}
	for k, v := range extra {
		data[k] = v
	}
	return step("books.post_voucher", "books", date, mustMarshal(data))
}

// reversal is a books.reverse_voucher command.
func reversal(date, id string, number int) string {
	return step("books.reverse_voucher", "books", date,
		fmt.Sprintf(`{"voucher":%q,"number":%d,"reason":"金额记错","preparer":"赵敏"}`, id, number))
}

func mustMarshal(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// matterSteps takes a matter from registration to a resolution with the
// given representatives' vote; the party members' review passes.
func matterSteps(id, resolveVotes string) []string {
	return []string{
		register(id, "2025-01-03"),
		step("matter.propose", id, "2025-01-04", `{}`),
		step("matter.consult", id, "2025-01-05", `{}`),
		step("matter.review", id, "2025-01-06", `{"votes":`+votesPassJSON+`}`),
		step("matter.resolve", id, "2025-01-07", `{"votes":`+resolveVotes+`}`),
	}
}

// amountMatterSteps takes matter id, which approves amount yuan, to a
// passed resolution on resolved (the earlier stages on the days before it).
func amountMatterSteps(id, amount, resolved string) []string {
	d, err := time.Parse(time.DateOnly, resolved)
	if err != nil {
		panic(err)
	}
	day := func(n int) string { return d.AddDate(0, 0, -n).Format(time.DateOnly) }
	return []string{
		step("matter.register", id, day(4), fmt.Sprintf(`{"title":"事项 %s","amount":%q}`, id, amount)),
		step("matter.propose", id, day(3), `{}`),
		step("matter.consult", id, day(2), `{}`),
		step("matter.review", id, day(1), `{"votes":`+votesPassJSON+`}`),
		step("matter.resolve", id, resolved, `{"votes":`+votesPassJSON+`}`),
	}
}

// budget2025 adopts the 2025 budget under m-pass: office 5,000 yuan and
// works 50,000 yuan.
var budget2025 = step("budget.adopt", "2025", "2025-01-10", `{"resolution":"m-pass","lines":[`+
	`{"line":"office","name":"办公经费","source":"town","amount":"5000.00"},`+
	`{"line":"works","name":"道路修缮","source":"county","amount":"50000.00"}]}`)

func mustCommands(t *testing.T, s *apptest.Server, key string, cmds ...string) {
	t.Helper()
	for i, c := range cmds {
		mustStatus(t, s.Command(t, "c1", fmt.Sprint(key, "-", i), c), http.StatusCreated)
	}
}

// setupBooks registers c1 with a passed matter m-pass, a failed matter
// m-fail, a matter m-road approving 20,000.00 (resolved 2025-01-07), a
// matter m-late approving 1,000.00 (resolved 2025-05-10) and the 2025
// budget, and posts:
//
//	2024-12-001  Dr 102 500.00      Cr 503 500.00
//	2025-01-001  Dr 102 60000.00    Cr 503 60000.00    (January then closed)
//	2025-02-001  Dr 513 3000.00     Cr 102 3000.00     budget line office
//	2025-03-001  Dr 513 200.00      Cr 102 200.00
//	2025-03-002  reversal of 2025-03-001
//	2025-03-003  Dr 513 15000.00    Cr 102 15000.00    citing m-road
//
// so that bank (102) stands at 57,500.00 on 2025-02-28 and office has
// 2,000.00 left.
func setupBooks(t *testing.T) *apptest.Server {
	t.Helper()
	return setupBooksWith(t, app.Config{})
}

// setupBooksWith is setupBooks on a server of cfg.
func setupBooksWith(t *testing.T, cfg app.Config) *apptest.Server {
	t.Helper()
	s := setup(t, cfg)
	mustCommands(t, s, "matter-pass", matterSteps("m-pass", votesPassJSON)...)
	mustCommands(t, s, "matter-fail", matterSteps("m-fail", votesFailJSON)...)
	mustCommands(t, s, "matter-road", amountMatterSteps("m-road", "20000.00", "2025-01-07")...)
	mustCommands(t, s, "matter-late", amountMatterSteps("m-late", "1000.00", "2025-05-10")...)
	mustCommands(t, s, "books",
		budget2025,
		voucher("2024-12-15", 1, nil, dr("102", "500.00"), cr("503", "500.00")),
		voucher("2025-01-15", 1, nil, dr("102", "60000.00"), cr("503", "60000.00")),
		step("books.close_month", "books", "2025-01-31", `{"month":"2025-01"}`),
		voucher("2025-02-10", 1, map[string]string{"budget_line": "office"}, dr("513", "3000.00"), cr("102", "3000.00")),
		voucher("2025-03-05", 1, nil, dr("513", "200.00"), cr("102", "200.00")),
		reversal("2025-03-06", "2025-03-001", 2),
		voucher("2025-03-07", 3, map[string]string{"matter": "m-road"}, dr("513", "15000.00"), cr("102", "15000.00")),
	)
	return s
}

func hasHan(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
}

// Each finance rule refuses its command with 422 (404 for an unknown
// voucher), a problem+json whose code names the rule, detail in English
// and Chinese, the field at fault, and nothing added to the log.
func TestFinanceRulesChangeNothing(t *testing.T) {
	s := setupBooks(t)
	amount := func(a string) string {
		return step("books.post_voucher", "books", "2025-04-01",
			`{"number":1,"summary":"测试凭证","preparer":"赵敏","lines":[{"account":"102","credit":"10.00"},{"account":"513","debit":`+fmt.Sprintf("%q", a)+`}]}`)
	}
	office := map[string]string{"budget_line": "office"}
	cases := []struct {
		name   string
		body   string
		status int
		code   string
		field  string
		detail []string // substrings of detail (English) and of the field's reason
		zh     []string // substrings of detail_zh
	}{
		{name: "unbalanced voucher", body: voucher("2025-04-01", 1, nil, dr("513", "100.00"), cr("102", "90.00")),
			status: 422, code: "validation", field: "data.lines", detail: []string{"100.00", "90.00", "10.00"}},
		{name: "unknown account", body: voucher("2025-04-01", 1, nil, dr("999", "100.00"), cr("102", "100.00")),
			status: 422, code: "unknown_account", field: "data.lines[0].account", detail: []string{"999"}, zh: []string{"999"}},
		{name: "posting into a closed month", body: voucher("2025-01-20", 2, nil, dr("513", "100.00"), cr("102", "100.00")),
			status: 422, code: "period_closed", field: "effective_date", detail: []string{"2025-01"}, zh: []string{"2025-01", "已结账"}},
		{name: "reversing a voucher twice", body: reversal("2025-03-10", "2025-03-001", 3),
			status: 422, code: "already_reversed", field: "data.voucher", detail: []string{"2025-03-001", "2025-03-002"}, zh: []string{"2025-03-002"}},
		{name: "payment over 10,000 yuan without a matter", body: voucher("2025-04-01", 1, nil, dr("513", "10000.01"), cr("102", "10000.01")),
			status: 422, code: "resolution_required", field: "data.matter", detail: []string{"10000.01", "10000.00"}, zh: []string{"10000.01"}},
		{name: "voucher referencing a failed matter", body: voucher("2025-04-01", 1, map[string]string{"matter": "m-fail"}, dr("513", "100.00"), cr("102", "100.00")),
			status: 422, code: "resolution_not_passed", field: "data.matter", detail: []string{"m-fail"}, zh: []string{"m-fail"}},
		{name: "payments citing a resolution past the amount it approved", body: voucher("2025-04-01", 1, map[string]string{"matter": "m-road"}, dr("513", "5000.01"), cr("102", "5000.01")),
			status: 422, code: "over_resolution_amount", field: "data.matter", detail: []string{"m-road", "20000.00", "15000.00", "5000.01"}, zh: []string{"20000.00", "15000.00", "5000.01"}},
		{name: "payment dated before the resolution it cites", body: voucher("2025-04-01", 1, map[string]string{"matter": "m-late"}, dr("513", "100.00"), cr("102", "100.00")),
			status: 422, code: "resolution_after_payment", field: "data.matter", detail: []string{"m-late", "2025-05-10", "2025-04-01"}, zh: []string{"2025-05-10", "2025-04-01"}},
		{name: "balance assertion that does not hold", body: step("books.assert_balance", "books", "2025-02-28",
			`{"account":"102","balance":"57400.00","evidence":{"kind":"bank_statement","reference":"2025年2月对账单"}}`),
			status: 422, code: "balance_mismatch", field: "data.balance", detail: []string{"57500.00", "57400.00", "difference of -100.00"}, zh: []string{"相差 -100.00"}},
		{name: "voucher number that skips", body: voucher("2025-04-01", 2, nil, dr("513", "100.00"), cr("102", "100.00")),
			status: 422, code: "voucher_number", field: "data.number", detail: []string{"2025-04 is 1"}},
		{name: "over-budget payment", body: voucher("2025-04-01", 1, office, dr("513", "2500.00"), cr("102", "2500.00")),
			status: 422, code: "over_budget", field: "data.budget_line", detail: []string{"office", "2000.00", "2500.00"}, zh: []string{"2000.00"}},
		{name: "reversal of a voucher of another year", body: reversal("2025-04-01", "2024-12-001", 1),
			status: 422, code: "reversal_other_year", field: "data.voucher"},
		{name: "reversal of an unknown voucher", body: reversal("2025-04-01", "2025-09-099", 1),
			status: 404, code: "not_found", detail: []string{"2025-09-099"}, zh: []string{"凭证", "2025-09-099"}},
		{name: "amount with three decimals", body: amount("12.345"), status: 422, code: "validation", field: "data.lines[1].debit"},
		{name: "negative amount", body: amount("-1"), status: 422, code: "validation", field: "data.lines[1].debit"},
		{name: "exponent amount", body: amount("1e3"), status: 422, code: "validation", field: "data.lines[1].debit"},
		{name: "full-width digits", body: amount("１２"), status: 422, code: "validation", field: "data.lines[1].debit"},
		// An empty string is not an amount (leave the member out for none).
		{name: "empty amount", body: amount(""), status: 422, code: "validation", field: "data.lines[1].debit"},
		{name: "amount over one trillion yuan", body: amount("1000000000000.01"), status: 422, code: "validation", field: "data.lines[1].debit"},
	}
	before := s.LastSeq(t)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := s.Command(t, "c1", fmt.Sprint("rule-", i), tc.body)
			if r.Status != tc.status {
				t.Fatalf("status = %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type = %q, want application/problem+json", ct)
			}
			p := r.JSON(t)
			if p["code"] != tc.code {
				t.Errorf("code = %v, want %s: %s", p["code"], tc.code, r.Body)
			}
			detail, _ := p["detail"].(string)
			detailZH, _ := p["detail_zh"].(string)
			if detail == "" || !hasHan(detailZH) {
				t.Errorf("detail %q, detail_zh %q: want both, detail_zh in Chinese", detail, detailZH)
			}
			var reason string
			if tc.field != "" {
				found := false
				errs, _ := p["errors"].([]any)
				for _, e := range errs {
					e := e.(map[string]any)
					if e["field"] == tc.field && e["reason"] != "" && hasHan(fmt.Sprint(e["reason_zh"])) {
						found, reason = true, fmt.Sprint(e["reason"])
					}
				}
				if !found {
					t.Errorf("problem does not name field %q with reasons in both languages: %s", tc.field, r.Body)
				}
			}
			for _, want := range tc.detail {
				if !strings.Contains(detail, want) && !strings.Contains(reason, want) {
					t.Errorf("detail %q (reason %q) does not mention %q", detail, reason, want)
				}
			}
			for _, want := range tc.zh {
				if !strings.Contains(detailZH, want) {
					t.Errorf("detail_zh %q does not mention %q", detailZH, want)
				}
			}
			if after := s.LastSeq(t); after != before {
				t.Fatalf("LastSeq = %d after a refused command, want %d", after, before)
			}
		})
	}
}

// A voucher is reversed once; budget execution then counts the line's
// payments net of the reversal.
func TestReversalNetsBudgetExecution(t *testing.T) {
	s := setup(t, app.Config{})
	mustCommands(t, s, "matter-pass", matterSteps("m-pass", votesPassJSON)...)
	office := map[string]string{"budget_line": "office"}
	mustCommands(t, s, "books",
		budget2025,
		voucher("2025-02-01", 1, nil, dr("102", "5000.00"), cr("503", "5000.00")),
		voucher("2025-02-10", 2, office, dr("513", "3000.00"), cr("102", "3000.00")),
		voucher("2025-02-12", 3, office, dr("513", "800.00"), cr("102", "800.00")),
	)
	before := s.LastSeq(t)
	mustStatus(t, s.Command(t, "c1", "reverse-once", reversal("2025-02-15", "2025-02-002", 4)), http.StatusCreated)
	if after := s.LastSeq(t); after != before+1 {
		t.Fatalf("LastSeq = %d after a reversal, want %d", after, before+1)
	}
	again := mustStatus(t, s.Command(t, "c1", "reverse-twice", reversal("2025-02-16", "2025-02-002", 5)), http.StatusUnprocessableEntity)
	if again["code"] != "already_reversed" {
		t.Errorf("second reversal: code %v, want already_reversed", again["code"])
	}
	if after := s.LastSeq(t); after != before+1 {
		t.Fatalf("LastSeq = %d after a refused second reversal, want %d", after, before+1)
	}

	path := "/api/v1/communities/c1/finance/budget?year=2025"
	waitSeq(t, s, path, before+1)
	be := mustStatus(t, apptest.Do(t, http.MethodGet, s.URL+path, nil, nil), http.StatusOK)
	var got map[string]any
	for _, l := range be["lines"].([]any) {
		if l := l.(map[string]any); l["line"] == "office" {
			got = l
		}
	}
	// 3000.00 + 800.00 paid, 3000.00 reversed.
	want := map[string]string{"budget": "5000.00", "spent": "800.00", "remaining": "4200.00"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("office %s = %v, want %s: %v", k, got[k], v, got)
		}
	}
	if total := be["total"].(map[string]any); total["spent"] != "800.00" {
		t.Errorf("total spent = %v, want 800.00", total["spent"])
	}
}

// Payments may cite a resolution up to exactly the amount it approved; a
// reversal gives its amount back.
func TestResolutionAmountIsASpendingLimit(t *testing.T) {
	s := setupBooks(t)
	road := map[string]string{"matter": "m-road"}
	mustCommands(t, s, "limit",
		// 15,000.00 paid already: 5,000.00 more reaches 20,000.00 exactly.
		voucher("2025-04-01", 1, road, dr("513", "5000.00"), cr("102", "5000.00")))
	r := s.Command(t, "c1", "limit-over", voucher("2025-04-02", 2, road, dr("513", "0.01"), cr("102", "0.01")))
	if p := mustStatus(t, r, http.StatusUnprocessableEntity); p["code"] != "over_resolution_amount" {
		t.Fatalf("one fen past the approved amount: code %v, want over_resolution_amount", p["code"])
	}
	mustCommands(t, s, "limit-after-reversal",
		reversal("2025-04-03", "2025-03-003", 2), // gives back 15,000.00
		voucher("2025-04-04", 3, road, dr("513", "15000.00"), cr("102", "15000.00")))
}
