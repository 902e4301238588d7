package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
)

const community = `{"type":"community.register","aggregate_id":"c1","effective_date":"2025-01-02","data":{"name":"测试社区","kind":"社区","town":"示例镇","county":"示例县"}}`

func register(id, date string) string {
	return fmt.Sprintf(`{"type":"matter.register","aggregate_id":%q,"effective_date":%q,"data":{"title":"事项 %s"}}`, id, date, id)
}

func step(typ, id, date, data string) string {
	return fmt.Sprintf(`{"type":%q,"aggregate_id":%q,"effective_date":%q,"data":%s}`, typ, id, date, data)
}

func mustStatus(t *testing.T, r apptest.Response, want int) map[string]any {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status = %d, want %d: %s", r.Status, want, r.Body)
	}
	return r.JSON(t)
}

func setup(t *testing.T, cfg app.Config) *apptest.Server {
	s := apptest.Start(t, cfg)
	reply := mustStatus(t, s.Command(t, "c1", "setup-community", community), http.StatusCreated)
	waitSeq(t, s, "/api/v1/communities/c1/board", uint64(reply["aggregate_version"].(float64)))
	return s
}

// Two commands on one matter at the same version: exactly one is recorded,
// the other gets 409 with the current version.
func TestConcurrentCommandsOneWins(t *testing.T) {
	s := setup(t, app.Config{})
	reg := mustStatus(t, s.Command(t, "c1", "reg-m1", register("m1", "2025-02-01")), http.StatusCreated)
	version := fmt.Sprint(reg["aggregate_version"])

	const n = 2
	replies := make([]apptest.Response, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			replies[i] = s.Command(t, "c1", fmt.Sprint("propose-", i), step("matter.propose", "m1", "2025-02-02", fmt.Sprintf(`{"summary":"client %d"}`, i)),
				"If-Match", `"`+version+`"`)
		}()
	}
	close(start)
	wg.Wait()
	var won, lost []map[string]any
	for _, r := range replies {
		switch r.Status {
		case http.StatusCreated:
			won = append(won, r.JSON(t))
		case http.StatusConflict:
			if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("409 Content-Type = %q", ct)
			}
			lost = append(lost, r.JSON(t))
		default:
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
	}
	if len(won) != 1 || len(lost) != 1 {
		t.Fatalf("%d won and %d lost, want 1 and 1", len(won), len(lost))
	}
	if lost[0]["current_version"] != won[0]["aggregate_version"] {
		t.Fatalf("409 current_version = %v, want the winner's version %v", lost[0]["current_version"], won[0]["aggregate_version"])
	}
	// The loser can decide again at the current version: now the stage is
	// out of order, which is a rule, not a conflict.
	again := s.Command(t, "c1", "propose-late", step("matter.propose", "m1", "2025-02-02", `{}`),
		"If-Match", fmt.Sprint(lost[0]["current_version"]))
	if p := mustStatus(t, again, http.StatusUnprocessableEntity); p["code"] != "stage_out_of_order" {
		t.Fatalf("late propose = %v, want stage_out_of_order", p)
	}
}

// A retry after JetStream's duplicate window, and after a restart, returns
// the original reply and adds nothing to the log.
func TestIdempotentRetryAfterDuplicateWindow(t *testing.T) {
	const window = time.Second
	dir := t.TempDir()
	cfg := app.Config{DataDir: dir, DuplicateWindow: window}
	s := apptest.StartOn(t, cfg)
	mustStatus(t, s.Command(t, "c1", "setup-community", community), http.StatusCreated)
	body := register("m1", "2025-02-01")
	first := s.Command(t, "c1", "retry-me", body)
	want := mustStatus(t, first, http.StatusCreated)
	before := s.LastSeq(t)

	time.Sleep(window + 500*time.Millisecond)
	again := s.Command(t, "c1", "retry-me", body)
	got := mustStatus(t, again, http.StatusOK)
	if got["idempotent_replay"] != true {
		t.Errorf("retry idempotent_replay = %v, want true", got["idempotent_replay"])
	}
	got["idempotent_replay"] = false
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("retry = %v, want the original %v", got, want)
	}
	if after := s.LastSeq(t); after != before {
		t.Fatalf("LastSeq after retry = %d, want %d", after, before)
	}

	// The same key with another body is refused.
	other := s.Command(t, "c1", "retry-me", register("m2", "2025-02-01"))
	if p := mustStatus(t, other, http.StatusUnprocessableEntity); p["code"] != "idempotency_key_reused" {
		t.Errorf("reused key = %v", p)
	}

	s.Stop(t)
	s2 := apptest.StartOn(t, cfg)
	got2 := mustStatus(t, s2.Command(t, "c1", "retry-me", body), http.StatusOK)
	if got2["aggregate_version"] != want["aggregate_version"] || got2["idempotent_replay"] != true {
		t.Fatalf("retry after restart = %v, want replay of %v", got2, want)
	}
	if after := s2.LastSeq(t); after != before {
		t.Fatalf("LastSeq after restart and retry = %d, want %d", after, before)
	}
}

// A batch whose third command breaks a rule is refused whole, naming it.
func TestBatchIsAtomic(t *testing.T) {
	s := setup(t, app.Config{})
	before := s.LastSeq(t)
	batch := `{"commands":[` + strings.Join([]string{
		register("b1", "2025-03-01"),
		step("matter.propose", "b1", "2025-03-02", `{}`),
		step("matter.resolve", "b1", "2025-03-03", `{"votes":{"expected":15,"present":12,"for":10,"against":1,"abstain":1}}`),
		register("b2", "2025-03-01"),
	}, ",") + `]}`
	p := mustStatus(t, s.Batch(t, "c1", "batch-1", batch), http.StatusUnprocessableEntity)
	if p["command_index"] != float64(2) || p["code"] != "stage_out_of_order" || p["detail_zh"] == "" {
		t.Fatalf("problem = %v, want command_index 2, stage_out_of_order", p)
	}
	if after := s.LastSeq(t); after != before {
		t.Fatalf("LastSeq = %d after a refused batch, want %d", after, before)
	}
	board := mustStatus(t, apptest.Do(t, "GET", s.URL+"/api/v1/communities/c1/board", nil, nil), http.StatusOK)
	if m := board["matters"].([]any); len(m) != 0 {
		t.Fatalf("board has %d matters after a refused batch", len(m))
	}

	// The batch without the bad command commits whole, in order.
	good := `{"commands":[` + strings.Join([]string{
		register("b1", "2025-03-01"),
		step("matter.propose", "b1", "2025-03-02", `{}`),
		register("b2", "2025-03-01"),
	}, ",") + `]}`
	res := mustStatus(t, s.Batch(t, "c1", "batch-2", good), http.StatusCreated)
	results := res["results"].([]any)
	if len(results) != 3 || s.LastSeq(t) != before+3 {
		t.Fatalf("batch results = %v, LastSeq %d, want 3 events after %d", results, s.LastSeq(t), before)
	}
}

// Clerk tokens are scoped to one community; reading needs no token.
func TestTokens(t *testing.T) {
	s := setup(t, app.Config{})
	admin := map[string]string{"Authorization": "Bearer " + apptest.AdminToken}
	tok := mustStatus(t, apptest.Do(t, "POST", s.URL+"/api/v1/tokens", []byte(`{"community":"c1","label":"文书 李娜"}`), admin), http.StatusCreated)
	clerk := "Bearer " + tok["token"].(string)
	write := func(c, auth, key string) int {
		return apptest.Do(t, "POST", s.URL+"/api/v1/communities/"+c+"/commands", []byte(register(key, "2025-02-01")),
			map[string]string{"Authorization": auth, "Idempotency-Key": key}).Status
	}
	if got := write("c1", clerk, "k1"); got != http.StatusCreated {
		t.Errorf("clerk writes to own community: %d", got)
	}
	if got := write("c2", clerk, "k2"); got != http.StatusForbidden {
		t.Errorf("clerk writes to another community: %d, want 403", got)
	}
	if got := write("c1", "Bearer nope", "k3"); got != http.StatusUnauthorized {
		t.Errorf("unknown token: %d, want 401", got)
	}
	if got := apptest.Do(t, "POST", s.URL+"/api/v1/tokens", []byte(`{"community":"c1","label":"x"}`), map[string]string{"Authorization": clerk}).Status; got != http.StatusForbidden {
		t.Errorf("clerk issues a token: %d, want 403", got)
	}
	rules := step("community.adopt_rule_set", "c1", "2025-02-01", `{"rule_set":{"id":"x","effective_from":"2025-01-01","votes":{}}}`)
	if got := apptest.Do(t, "POST", s.URL+"/api/v1/communities/c1/commands", []byte(rules),
		map[string]string{"Authorization": clerk, "Idempotency-Key": "k5"}).Status; got != http.StatusForbidden {
		t.Errorf("clerk adopts a rule set: %d, want 403", got)
	}
	if got := apptest.Do(t, "GET", s.URL+"/api/v1/communities/c1/board", nil, nil).Status; got != http.StatusOK {
		t.Errorf("anonymous board read: %d", got)
	}
	// The token survives a restart: it is in the log.
	s.Stop(t)
	s2 := apptest.StartOn(t, app.Config{DataDir: s.Dir})
	if got := apptest.Do(t, "POST", s2.URL+"/api/v1/communities/c1/commands", []byte(register("k4", "2025-02-01")),
		map[string]string{"Authorization": clerk, "Idempotency-Key": "k4"}).Status; got != http.StatusCreated {
		t.Errorf("clerk token after restart: %d", got)
	}
	// Revoked, it stops working, also after a restart.
	revoke := s2.URL + "/api/v1/communities/c1/tokens/" + tok["token_id"].(string)
	if got := apptest.Do(t, "DELETE", revoke, nil, map[string]string{"Authorization": clerk}).Status; got != http.StatusForbidden {
		t.Errorf("clerk revokes a token: %d, want 403", got)
	}
	mustStatus(t, apptest.Do(t, "DELETE", revoke, nil, admin), http.StatusOK)
	if got := apptest.Do(t, "POST", s2.URL+"/api/v1/communities/c1/commands", []byte(register("k6", "2025-02-01")),
		map[string]string{"Authorization": clerk, "Idempotency-Key": "k6"}).Status; got != http.StatusUnauthorized {
		t.Errorf("revoked token: %d, want 401", got)
	}
	s2.Stop(t)
	s3 := apptest.StartOn(t, app.Config{DataDir: s.Dir})
	if got := apptest.Do(t, "POST", s3.URL+"/api/v1/communities/c1/commands", []byte(register("k7", "2025-02-01")),
		map[string]string{"Authorization": clerk, "Idempotency-Key": "k7"}).Status; got != http.StatusUnauthorized {
		t.Errorf("revoked token after restart: %d, want 401", got)
	}
}

// /metrics reports the stream and each read model's position and lag.
func TestMetrics(t *testing.T) {
	s := setup(t, app.Config{})
	r := apptest.Do(t, "GET", s.URL+"/metrics", nil, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("/metrics: %d", r.Status)
	}
	body := string(r.Body)
	last := fmt.Sprintf("gongkai_stream_last_seq %d", s.LastSeq(t))
	for _, want := range []string{last, `gongkai_read_model_position{backend="memory",read_model="board"}`,
		`gongkai_read_model_lag_events{backend="memory",read_model="finance"}`, "go_goroutines"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
