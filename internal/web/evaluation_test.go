package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
)

// plan is a two-indicator plan: resolutions disclosed on time (computed,
// linear from 0 to 1) worth disclosed points, and the evaluator's score of
// the work (entered, out of its weight) worth the rest.
func plan(disclosed int) string {
	return fmt.Sprintf(`{"town":"示例镇","year":2025,"indicators":[`+
		`{"id":"disclose","name_zh":"决议按期公开","weight":%d,"kind":"computed","rule":"resolutions_disclosed_on_time","scoring":{"kind":"linear","full_at":"1","zero_at":"0"}},`+
		`{"id":"work","name_zh":"工作实绩","weight":%d,"kind":"entered"}],`+
		`"rating":{"bands":[{"min_score":30,"stars":1},{"min_score":60,"stars":3}]}}`, disclosed, 100-disclosed)
}

// The town's evaluation: c1 never disclosed its resolution (0 of 1 on
// time), c2 did the next day (1 of 1); the evaluator scores c1's work 60 %
// and c2's 0 %. Under 60/40 weights: c1 = 0 + 0.6×40 = 24, c2 = 60 + 0 =
// 60 (3 stars): c2 first. Under 20/80: c1 = 0.6×80 = 48 (1 star), c2 = 20:
// c1 first. Before publication the scores are the evaluators' only; after
// the close a new plan is refused.
func TestTownEvaluation(t *testing.T) {
	s := setup(t, app.Config{Now: func() time.Time { return time.Date(2026, 1, 20, 10, 0, 0, 0, time.UTC) }})
	registerCommunity(t, s, "c2", "示例镇")
	mustCommands(t, s, "c1-matter", matterSteps("m1", votesPassJSON)...)
	for i, c := range append(matterSteps("m2", votesPassJSON), step("matter.disclose_resolution", "m2", "2025-01-08", `{"channels":["公开栏"]}`)) {
		mustStatus(t, s.Command(t, "c2", fmt.Sprint("c2-", i), c), http.StatusCreated)
	}
	s.CreateAccount(t, "kaohe", "考核员", "correct horse battery", "evaluator", "town:示例镇")
	s.CreateAccount(t, "kaohe2", "外镇考核员", "correct horse battery", "evaluator", "town:其他镇")
	ev := map[string]string{"Authorization": "Bearer " + accountToken(t, s, "c1", "kaohe")}
	other := map[string]string{"Authorization": "Bearer " + accountToken(t, s, "c1", "kaohe2")}
	base := "/api/v1/towns/" + url.PathEscape("示例镇") + "/evaluation/2025"
	send := func(h map[string]string, key, body string, want int) map[string]any {
		t.Helper()
		hh := map[string]string{"Idempotency-Key": key, "Content-Type": "application/json"}
		for k, v := range h {
			hh[k] = v
		}
		return mustStatus(t, apptest.Do(t, http.MethodPost, s.URL+base+"/commands", []byte(body), hh), want)
	}
	send(ev, "plan1", `{"type":"evaluation.publish_plan","data":`+plan(60)+`}`, http.StatusCreated)
	send(ev, "s1", `{"type":"evaluation.enter_score","data":{"community":"c1","indicator":"work","score":"24","evidence":"走访记录"}}`, http.StatusCreated)
	send(ev, "s2", `{"type":"evaluation.enter_score","data":{"community":"c2","indicator":"work","score":"0","evidence":"走访记录"}}`, http.StatusCreated)
	// Another town's evaluator may not score here.
	send(other, "x1", `{"type":"evaluation.enter_score","data":{"community":"c1","indicator":"work","score":"40","evidence":"伪造"}}`, http.StatusForbidden)
	waitSeq(t, s, "/api/v1/communities/c2/board", s.LastSeq(t))

	type view struct {
		Communities []struct {
			Community, Total string
			Rank, Stars      int
			Scores           map[string]any
			Values           []struct {
				ID       string
				Num, Den int64
				Seqs     []uint64 `json:"stream_seqs"`
			}
		}
	}
	read := func(h map[string]string) view {
		t.Helper()
		var v view
		r := apptest.Do(t, http.MethodGet, s.URL+base, nil, h)
		if r.Status != http.StatusOK || json.Unmarshal(r.Body, &v) != nil {
			t.Fatalf("evaluation: %d %s", r.Status, r.Body)
		}
		return v
	}
	ranks := func(v view) string {
		var out []string
		for _, c := range v.Communities {
			out = append(out, fmt.Sprintf("%s:%d:%s:%d", c.Community, c.Rank, c.Total, c.Stars))
		}
		return strings.Join(out, " ")
	}
	if got := ranks(read(ev)); got != "c2:1:60.00:3 c1:2:24.00:0" {
		t.Errorf("60/40 as the evaluator sees it: %s", got)
	}
	// Another town's evaluator sees no unpublished score either.
	for _, c := range read(other).Communities {
		if c.Total != "" || c.Scores != nil {
			t.Errorf("another town's evaluator sees unpublished scores: %+v", c)
		}
	}
	// The public sees the computed indicators, not the unpublished scores.
	pub := read(nil)
	for _, c := range pub.Communities {
		if c.Total != "" || c.Scores != nil {
			t.Errorf("the public sees unpublished scores: %+v", c)
		}
		for _, v := range c.Values {
			if v.ID == "resolutions_disclosed_on_time" {
				want := map[string][2]int64{"c1": {0, 1}, "c2": {1, 1}}[c.Community]
				if v.Num != want[0] || v.Den != want[1] || len(v.Seqs) == 0 {
					t.Errorf("%s resolutions disclosed on time = %d/%d (%v), want %d/%d with its events", c.Community, v.Num, v.Den, v.Seqs, want[0], want[1])
				}
			}
		}
	}
	// New weights reverse the ranks.
	send(ev, "plan2", `{"type":"evaluation.publish_plan","data":`+plan(20)+`}`, http.StatusCreated)
	// The work is now out of 80: rescore to keep 60 % and 0 %.
	send(ev, "s3", `{"type":"evaluation.enter_score","data":{"community":"c1","indicator":"work","score":"48","evidence":"走访记录"}}`, http.StatusCreated)
	if got := ranks(read(ev)); got != "c1:1:48.00:1 c2:2:20.00:0" {
		t.Errorf("20/80: %s", got)
	}
	// Closed and published: everyone sees the result; a new plan is refused.
	send(ev, "close", `{"type":"evaluation.close","data":{}}`, http.StatusCreated)
	if got := ranks(read(nil)); got != "c1:1:48.00:1 c2:2:20.00:0" {
		t.Errorf("published: %s", got)
	}
	r := send(ev, "plan3", `{"type":"evaluation.publish_plan","data":`+plan(50)+`}`, http.StatusUnprocessableEntity)
	if r["code"] != "evaluation_closed" {
		t.Errorf("a plan after the close: %v", r)
	}
	page := get(t, s, "/town/"+url.PathEscape("示例镇")+"/evaluation/2025")
	for _, w := range []string{"示例镇 · 2025年度考核", "考核已结束并公布", "48.00", "★", "<svg", "/api/v1/log/bundle?seq="} {
		if !strings.Contains(page, w) {
			t.Errorf("the evaluation page lacks %q", w)
		}
	}
}
