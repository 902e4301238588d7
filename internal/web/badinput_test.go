package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
)

// Bad input gets a clear error in both languages and changes nothing.
func TestBadInputChangesNothing(t *testing.T) {
	s := setup(t, app.Config{})
	mustStatus(t, s.Command(t, "c1", "reg-m1", register("m1", "2025-02-01")), http.StatusCreated)
	admin := "Bearer " + apptest.AdminToken
	resolve := func(votes string) string {
		return step("matter.resolve", "m1", "2025-02-05", `{"votes":`+votes+`}`)
	}
	withAmount := func(amount string) string {
		return fmt.Sprintf(`{"type":"matter.register","aggregate_id":"m9","effective_date":"2025-02-01","data":{"title":"t","amount":%s}}`, amount)
	}
	titled := func(title string) string {
		return step("matter.register", "m9", "2025-02-01", `{"title":"`+title+`"}`)
	}
	var big strings.Builder
	big.WriteString(`{"type":"matter.register","aggregate_id":"m9","effective_date":"2025-02-01","data":{"title":"t","description":"`)
	big.WriteString(strings.Repeat("x", 2<<20))
	big.WriteString(`"}}`)
	var many strings.Builder
	many.WriteString(`{"commands":[`)
	for i := range 1001 {
		if i > 0 {
			many.WriteString(",")
		}
		many.WriteString(register(fmt.Sprint("n", i), "2025-02-01"))
	}
	many.WriteString(`]}`)

	cases := []struct {
		name      string
		community string
		path      string // default "/commands"
		url       string // instead of /api/v1/communities/{community}{path}
		body      string
		headers   map[string]string
		status    int
		field     string // a field the problem must name, if any
	}{
		{name: "malformed JSON", body: `{"type":`, status: 400},
		{name: "not an object", body: `[]`, status: 400},
		{name: "trailing data", body: register("m9", "2025-02-01") + ` {}`, status: 400},
		{name: "unknown command type", body: step("matter.approve", "m1", "2025-02-02", `{}`), status: 400, field: "type"},
		{name: "missing type", body: `{"aggregate_id":"m9","effective_date":"2025-02-01","data":{"title":"t"}}`, status: 400, field: "type"},
		{name: "extra envelope field", body: `{"type":"matter.register","aggregate_id":"m9","effective_date":"2025-02-01","data":{"title":"t"},"admin":true}`, status: 400, field: "admin"},
		{name: "extra data field", body: step("matter.register", "m9", "2025-02-01", `{"title":"t","owner":"me"}`), status: 422, field: "data.owner"},
		{name: "missing title", body: step("matter.register", "m9", "2025-02-01", `{}`), status: 422, field: "data.title"},
		{name: "missing aggregate id", body: `{"type":"matter.register","effective_date":"2025-02-01","data":{"title":"t"}}`, status: 422, field: "aggregate_id"},
		{name: "present > expected", body: resolve(`{"expected":15,"present":16,"for":10}`), status: 422, field: "data.votes.present"},
		{name: "votes > present", body: resolve(`{"expected":15,"present":10,"for":8,"against":2,"abstain":1}`), status: 422, field: "data.votes.for"},
		{name: "negative votes", body: resolve(`{"expected":15,"present":-1}`), status: 422, field: "data.votes"},
		{name: "fractional votes", body: resolve(`{"expected":15,"present":10.5}`), status: 422, field: "data.votes.present"},
		{name: "stage out of order", body: resolve(`{"expected":15,"present":12,"for":10}`), status: 422, field: "type"},
		{name: "unknown matter", body: step("matter.propose", "nosuch", "2025-02-02", `{}`), status: 404},
		{name: "negative amount", body: withAmount(`"-1"`), status: 422, field: "data.amount"},
		{name: "fractional fen", body: withAmount(`"12.345"`), status: 422, field: "data.amount"},
		{name: "overflowing amount", body: withAmount(`"10000000000000.00"`), status: 422, field: "data.amount"},
		{name: "amount as a number", body: withAmount(`12.5`), status: 422, field: "data.amount"},
		{name: "full-width digits", body: withAmount(`"１２"`), status: 422, field: "data.amount"},
		{name: "exponent amount", body: withAmount(`"1e3"`), status: 422, field: "data.amount"},
		{name: "impossible date", body: register("m9", "2025-02-30"), status: 422, field: "effective_date"},
		{name: "date with slashes", body: register("m9", "2025/02/01"), status: 422, field: "effective_date"},
		{name: "date in the future", body: register("m9", "2099-01-01"), status: 422, field: "effective_date"},
		{name: "date before previous stage", body: step("matter.propose", "m1", "2025-01-01", `{}`), status: 422, field: "effective_date"},
		{name: "2 MiB body", body: big.String(), status: 413},
		{name: "community with dot", community: "c.1", body: register("m9", "2025-02-01"), status: 400, field: "community"},
		{name: "community with star", community: "c*", body: register("m9", "2025-02-01"), status: 400, field: "community"},
		{name: "community with gt", community: "c%3E", body: register("m9", "2025-02-01"), status: 400, field: "community"},
		{name: "upper-case community", community: "C1", body: register("m9", "2025-02-01"), status: 400, field: "community"},
		{name: "aggregate id with dot", body: register("m.9", "2025-02-01"), status: 422, field: "aggregate_id"},
		{name: "aggregate id wildcard", body: register("*", "2025-02-01"), status: 422, field: "aggregate_id"},
		{name: "script tag in title", body: step("matter.register", "m9", "2025-02-01", `{"title":"<script>alert(1)</script>"}`), status: 422, field: "data.title"},
		{name: "control character in title", body: step("matter.register", "m9", "2025-02-01", `{"title":"a\u0007b"}`), status: 422, field: "data.title"},
		{name: "title too long", body: step("matter.register", "m9", "2025-02-01", `{"title":"`+strings.Repeat("长", 201)+`"}`), status: 422, field: "data.title"},
		{name: "no idempotency key", body: register("m9", "2025-02-01"), headers: map[string]string{"Idempotency-Key": ""}, status: 400, field: "Idempotency-Key"},
		{name: "no token", body: register("m9", "2025-02-01"), headers: map[string]string{"Authorization": ""}, status: 401},
		{name: "bad token", body: register("m9", "2025-02-01"), headers: map[string]string{"Authorization": "Bearer x"}, status: 401},
		{name: "bad If-Match", body: step("matter.propose", "m1", "2025-02-02", `{}`), headers: map[string]string{"If-Match": "abc"}, status: 400, field: "If-Match"},
		{name: "form content type", body: register("m9", "2025-02-01"), headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, status: 415},
		{name: "no content type", body: register("m9", "2025-02-01"), headers: map[string]string{"Content-Type": ""}, status: 415},
		{name: "content type jsonx", body: register("m9", "2025-02-01"), headers: map[string]string{"Content-Type": "application/jsonx"}, status: 415},
		{name: "content type latin1", body: register("m9", "2025-02-01"), headers: map[string]string{"Content-Type": "application/json; charset=latin1"}, status: 415},
		{name: "content type text/plain", body: register("m9", "2025-02-01"), headers: map[string]string{"Content-Type": "text/plain"}, status: 415},
		{name: "content type with another parameter", body: register("m9", "2025-02-01"), headers: map[string]string{"Content-Type": "application/json; charset=utf-8; profile=x"}, status: 415},
		{name: "content type json-seq", body: register("m9", "2025-02-01"), headers: map[string]string{"Content-Type": "application/json-seq"}, status: 415},
		{name: "invalid UTF-8 byte", body: titled("路灯\xff维修"), status: 400, field: "body"},
		{name: "overlong encoding", body: titled("\xc0\xaf"), status: 400, field: "body"},
		{name: "UTF-8 encoded surrogate", body: titled("\xed\xa0\x80"), status: 400, field: "body"},
		{name: "escaped lone high surrogate", body: titled(`\ud800`), status: 400, field: "body"},
		{name: "escaped lone low surrogate", body: titled(`\udc00`), status: 400, field: "body"},
		{name: "escaped high surrogate without its pair", body: titled(`\uD83D路灯`), status: 400, field: "body"},
		{name: "lone surrogate in a batch", path: "/commands:batch", body: `{"commands":[` + titled(`\udfff`) + `]}`, status: 400, field: "body"},
		{name: "data name in upper case", body: step("matter.register", "m9", "2025-02-01", `{"TITLE":"t"}`), status: 422, field: "data.TITLE"},
		{name: "data name capitalised", body: step("matter.register", "m9", "2025-02-01", `{"title":"t","Amount":"1.00"}`), status: 422, field: "data.Amount"},
		{name: "nested data name in another case", body: resolve(`{"Expected":15,"present":12,"for":10}`), status: 422, field: "data.votes.Expected"},
		{name: "envelope name in upper case", body: `{"TYPE":"matter.register","aggregate_id":"m9","effective_date":"2025-02-01","data":{"title":"t"}}`, status: 400, field: "TYPE"},
		{name: "envelope name with long s", path: "/commands:batch", body: `{"command\u017f":[` + register("m9", "2025-02-01") + `]}`, status: 400, field: "command\u017f"},
		{name: "envelope name given twice", body: `{"type":"matter.register","type":"matter.propose","aggregate_id":"m9","effective_date":"2025-02-01","data":{"title":"t"}}`, status: 400, field: "type"},
		{name: "data name given twice", body: step("matter.register", "m9", "2025-02-01", `{"title":"t","title":"u"}`), status: 422, field: "data.title"},
		{name: "token request name in upper case", url: "/api/v1/tokens", body: `{"COMMUNITY":"c1","label":"文书"}`, status: 400, field: "COMMUNITY"},
		{name: "token request not UTF-8", url: "/api/v1/tokens", body: "{\"community\":\"c1\",\"label\":\"\xe6\x96\"}", status: 400, field: "body"},
		{name: "token request without content type", url: "/api/v1/tokens", body: `{"community":"c1","label":"文书"}`, headers: map[string]string{"Content-Type": ""}, status: 415},
		{name: "empty amount", body: withAmount(`""`), status: 422, field: "data.amount"},
		{name: "empty batch", path: "/commands:batch", body: `{"commands":[]}`, status: 400, field: "commands"},
		{name: "batch of 1001", path: "/commands:batch", body: many.String(), status: 400, field: "commands"},
		{name: "register community twice", body: community, status: 422, field: "aggregate_id"},
		{name: "officer on another aggregate", body: step("community.appoint_officer", "other", "2025-02-01", `{"person_id":"p1","name":"王","role":"clerk"}`), status: 422, field: "aggregate_id"},
		{name: "community command in the future", body: step("community.appoint_officer", "c1", "2099-02-01", `{"person_id":"p1","name":"王","role":"clerk"}`), status: 422, field: "effective_date"},
		{name: "If-Match ahead of the log", body: step("matter.propose", "m1", "2025-02-02", `{}`), headers: map[string]string{"If-Match": "999"}, status: 409},
	}
	if len(cases) < 20 {
		t.Fatalf("only %d cases", len(cases))
	}
	before := s.LastSeq(t)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, path := tc.community, tc.path
			if c == "" {
				c = "c1"
			}
			if path == "" {
				path = "/commands"
			}
			h := map[string]string{"Authorization": admin, "Idempotency-Key": fmt.Sprint("bad-", i)}
			for k, v := range tc.headers {
				h[k] = v
			}
			url := s.URL + "/api/v1/communities/" + c + path
			if tc.url != "" {
				url = s.URL + tc.url
			}
			r := apptest.Do(t, http.MethodPost, url, []byte(tc.body), h)
			if r.Status != tc.status {
				t.Fatalf("status = %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type = %q, want application/problem+json", ct)
			}
			p := r.JSON(t)
			for _, k := range []string{"title", "title_zh", "detail", "detail_zh"} {
				if s, _ := p[k].(string); s == "" {
					t.Errorf("problem has no %s: %s", k, r.Body)
				}
			}
			if tc.field != "" {
				found := false
				errs, _ := p["errors"].([]any)
				for _, e := range errs {
					e := e.(map[string]any)
					if e["field"] == tc.field && e["reason"] != "" && e["reason_zh"] != "" {
						found = true
					}
				}
				if !found {
					t.Errorf("problem does not name field %q with reasons in both languages: %s", tc.field, r.Body)
				}
			}
			if after := s.LastSeq(t); after != before {
				t.Fatalf("LastSeq = %d after bad input, want %d", after, before)
			}
		})
	}
}

// Hostile text that is allowed (in a description) is stored as written and
// shown escaped on the page.
func TestHostileTextIsEscaped(t *testing.T) {
	s := setup(t, app.Config{})
	const hostile = `<script>alert("x")</script><img src=x onerror=alert(1)>`
	body := step("matter.register", "m1", "2025-02-01", fmt.Sprintf(`{"title":"路灯 & 道路","description":%q}`, hostile))
	reply := mustStatus(t, s.Command(t, "c1", "hostile", body), http.StatusCreated)
	// The reply does not wait for the read models: wait for the board.
	waitSeq(t, s, "/api/v1/communities/c1/board", uint64(reply["aggregate_version"].(float64)))
	// The board shows the title; the matter's page the description too.
	if html := string(apptest.Do(t, "GET", s.URL+"/c/c1?year=2025", nil, nil).Body); strings.Contains(html, "<script>") || !strings.Contains(html, "路灯 &amp; 道路") {
		t.Fatalf("board does not show the title escaped:\n%s", html)
	}
	for _, lang := range []string{"", "?lang=en"} {
		page := apptest.Do(t, "GET", s.URL+"/c/c1/matters/m1"+lang, nil, nil)
		if page.Status != http.StatusOK {
			t.Fatalf("page status %d", page.Status)
		}
		html := string(page.Body)
		if strings.Contains(html, "<script>") || strings.Contains(html, "<img") {
			t.Fatalf("page contains hostile markup unescaped:\n%s", html)
		}
		if !strings.Contains(html, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") || !strings.Contains(html, "路灯 &amp; 道路") {
			t.Fatalf("page does not show the text escaped:\n%s", html)
		}
	}
}

// The media type is application/json, in any case, with no parameter but
// charset=utf-8.
func TestJSONMediaTypes(t *testing.T) {
	s := setup(t, app.Config{})
	for i, ct := range []string{"application/json", "Application/JSON", "application/json; charset=utf-8", `application/json;charset="UTF-8"`} {
		body := register(fmt.Sprint("mt", i), "2025-02-01")
		mustStatus(t, s.Command(t, "c1", fmt.Sprint("media-type-", i), body, "Content-Type", ct), http.StatusCreated)
	}
}
