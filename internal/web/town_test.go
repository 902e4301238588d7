package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
)

// The town's page lists the communities registered in the town, not
// another town's, each with its overdue disclosures, unanswered questions
// and findings: c1's resolution of 2025-01-07 was never disclosed (due
// 2025-01-12 under the default 5 days), c2's was, the next day.
func TestTownPage(t *testing.T) {
	s := setup(t, app.Config{Now: func() time.Time { return time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC) }})
	registerCommunity(t, s, "c2", "示例镇")
	registerCommunity(t, s, "c9", "其他镇")
	mustCommands(t, s, "c1-matter", matterSteps("m1", votesPassJSON)...)
	for i, c := range append(matterSteps("m2", votesPassJSON), step("matter.disclose_resolution", "m2", "2025-01-08", `{"channels":["公开栏"]}`)) {
		mustStatus(t, s.Command(t, "c2", "c2-"+string(rune('a'+i)), c), http.StatusCreated)
	}
	waitSeq(t, s, "/api/v1/communities/c2/board", s.LastSeq(t))
	page := get(t, s, "/town/"+url.PathEscape("示例镇"))
	c1, c2, ok := strings.Cut(page, `href="/c/c2"`)
	if !ok || !strings.Contains(c1, `href="/c/c1"`) || strings.Contains(page, `href="/c/c9"`) {
		t.Fatalf("the town page lists the wrong communities:\n%s", page)
	}
	for _, w := range []string{"决议公开：事项 m1", "逾期48天", "决议未按期公开"} {
		if !strings.Contains(c1, w) {
			t.Errorf("c1's row lacks %q", w)
		}
	}
	c2, _, _ = strings.Cut(c2, "</tr>")
	if strings.Contains(c2, "决议未按期公开") || strings.Contains(c2, `class="void"`) {
		t.Errorf("c2's row shows a lateness it does not have:\n%s", c2)
	}
	if r := apptest.Do(t, http.MethodGet, s.URL+"/town/"+url.PathEscape("无此镇"), nil, nil); r.Status != http.StatusNotFound {
		t.Errorf("an unknown town: %d", r.Status)
	}
}
