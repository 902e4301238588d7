package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
	"github.com/gongkai/gongkai/internal/demo"
)

// gongkai serve --demo loads 文化路社区 once, and its board shows the
// matters at their stages, one resolved with its vote.
func TestDemo(t *testing.T) {
	dir := t.TempDir()
	s := apptest.StartOn(t, app.Config{DataDir: dir, Demo: true})
	// The demo is one atomic batch, loaded after start: wait until the
	// board has applied all of it.
	want := uint64(demo.Events())
	var board map[string]any
	for range 500 {
		r := apptest.Do(t, "GET", s.URL+"/api/v1/communities/"+demo.Community+"/board", nil, nil)
		if r.Status == http.StatusOK {
			board = r.JSON(t)
			if uint64(board["as_of_seq"].(float64)) >= want {
				break
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	if board == nil || board["name"] != "文化路社区" {
		t.Fatalf("demo board = %v", board)
	}
	stages := map[string]string{}
	for _, m := range board["matters"].([]any) {
		m := m.(map[string]any)
		stages[m["id"].(string)] = m["stage"].(string)
	}
	wantStages := map[string]string{"m-2024-01": "result_disclosed", "m-2024-02": "implementing", "m-2025-01": "resolved",
		"m-2025-02": "resolution_disclosed", "m-2025-03": "reviewed", "m-2025-04": "proposed", "m-2025-05": "withdrawn"}
	for id, st := range wantStages {
		if stages[id] != st {
			t.Errorf("demo matter %s stage = %q, want %q", id, stages[id], st)
		}
	}
	page := string(apptest.Do(t, "GET", s.URL+"/c/"+demo.Community+"?year=2025", nil, nil).Body)
	for _, w := range []string{"出租社区临街门面发展集体经济", "代表会议决议", "表决未通过"} {
		if !strings.Contains(page, w) {
			t.Errorf("demo page lacks %q", w)
		}
	}
	passed := string(apptest.Do(t, "GET", s.URL+"/c/"+demo.Community+"/matters/m-2025-01", nil, nil).Body)
	failed := string(apptest.Do(t, "GET", s.URL+"/c/"+demo.Community+"/matters/m-2025-02", nil, nil).Body)
	if !strings.Contains(passed, "表决通过") || !strings.Contains(failed, "表决未通过") {
		t.Errorf("the demo's matter pages do not say that m-2025-01 passed and m-2025-02 failed")
	}
	seq := s.LastSeq(t)
	s.Stop(t)
	// A restart with --demo on a log that is not empty adds nothing.
	s2 := apptest.StartOn(t, app.Config{DataDir: dir, Demo: true})
	if got := s2.LastSeq(t); got != seq {
		t.Fatalf("LastSeq after a second --demo start = %d, want %d", got, seq)
	}
}
