package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gongkai/gongkai/internal/pgtest"
)

// answerPaths are the read endpoints whose answers must not depend on the
// backend.
var answerPaths = []string{
	"/api/v1/communities/e2e/board",
	"/api/v1/communities/e2e/finance/trial-balance?month=2025-03",
	"/api/v1/communities/e2e/finance/balance-sheet?month=2025-03",
	"/api/v1/communities/e2e/finance/income-statement?year=2025",
	"/api/v1/communities/e2e/finance/ledger?account=513&month=2025-03",
	"/api/v1/communities/e2e/finance/summary?year=2025",
}

func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

type readyz struct {
	Ready      bool   `json:"ready"`
	LastSeq    uint64 `json:"stream_last_seq"`
	ReadModels []struct {
		Name      string `json:"name"`
		Role      string `json:"role"`
		Position  uint64 `json:"position"`
		LagEvents uint64 `json:"lag_events"`
		Error     string `json:"error"`
	} `json:"read_models"`
}

func ready(t *testing.T, p *proc) (int, readyz) {
	t.Helper()
	code, body := get(t, p.url+"/readyz")
	var r readyz
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("readyz: %v: %s", err, body)
	}
	return code, r
}

// caughtUp waits until every read model of p has applied the whole stream.
func caughtUp(t *testing.T, p *proc, within time.Duration) readyz {
	t.Helper()
	deadline := time.Now().Add(within)
	var r readyz
	var code int
	for time.Now().Before(deadline) {
		code, r = ready(t, p)
		done := code == http.StatusOK && r.LastSeq > 0
		for _, rm := range r.ReadModels {
			done = done && rm.LagEvents == 0 && rm.Position == r.LastSeq
		}
		if done {
			return r
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("read models not caught up within %v: %d %+v\n%s", within, code, r, p.logs.String())
	return r
}

func answers(t *testing.T, p *proc) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, path := range answerPaths {
		code, body := get(t, p.url+path)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, code, body)
		}
		out[path] = string(body)
	}
	return out
}

func sameAnswers(t *testing.T, what string, want, got map[string]string) {
	t.Helper()
	for path, w := range want {
		if got[path] != w {
			gl, wl := strings.Split(got[path], "\n"), strings.Split(w, "\n")
			i := 0
			for i < len(gl) && i < len(wl) && gl[i] == wl[i] {
				i++
			}
			t.Errorf("%s: %s differs at line %d:\ngot  %q\nwant %q", what, path, i+1, at(gl, i), at(wl, i))
		}
	}
}

func at(l []string, i int) string {
	if i < len(l) {
		return l[i]
	}
	return "(end)"
}

func mustPost(t *testing.T, url, key, body string) {
	t.Helper()
	code, err := post(http.DefaultClient, url, key, body)
	if err != nil || code/100 != 2 {
		t.Fatalf("POST %s (%s): %d %v", url, key, code, err)
	}
}

// workload sends n matters and n vouchers to community e2e in batches, from
// voucher number first on, and returns the next voucher number.
func workload(t *testing.T, url string, tag string, n, first int) int {
	t.Helper()
	var cmds []string
	for i := range n {
		cmds = append(cmds, fmt.Sprintf(`{"type":"matter.register","aggregate_id":"m-%s-%d","effective_date":"2025-03-01","data":{"title":"事项 %d"}}`, tag, i, i))
		cmds = append(cmds, fmt.Sprintf(`{"type":"books.post_voucher","aggregate_id":"books","effective_date":"2025-03-02","data":{"number":%d,"summary":"应付办公费","lines":[{"account":"513","debit":"1.%02d"},{"account":"211","credit":"1.%02d"}],"preparer":"会计"}}`, first+i, i%100, i%100))
	}
	for i := 0; i < len(cmds); i += 400 {
		body := `{"commands":[` + strings.Join(cmds[i:min(i+400, len(cmds))], ",") + `]}`
		code, err := postBatch(url, fmt.Sprintf("w-%s-%d", tag, i), body)
		if err != nil || code != http.StatusCreated {
			t.Fatalf("batch %s %d: %d %v", tag, i, code, err)
		}
	}
	return first + n
}

func postBatch(base, key, body string) (int, error) {
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/communities/e2e/commands:batch", bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("Idempotency-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

const registerE2E = `{"type":"community.register","aggregate_id":"e2e","effective_date":"2025-01-01","data":{"name":"端到端社区","kind":"社区","town":"镇","county":"县"}}`

// memoryAnswers starts gongkai on dir with memory read models, a fresh
// rebuild from the log, and returns its answers.
func memoryAnswers(t *testing.T, dir string, extra ...string) map[string]string {
	t.Helper()
	m := startServe(t, bin, dir, freeAddr(t), extra...)
	caughtUp(t, m, 60*time.Second)
	a := answers(t, m)
	stop(t, m)
	return a
}

func stop(t *testing.T, p *proc) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		// Ask the process for its goroutines (SIGQUIT) and show its output
		// once it has exited, so that a hang says where it hung.
		_ = p.cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-done
		}
		out := p.logs.String()
		if len(out) > 60000 {
			out = out[len(out)-60000:]
		}
		t.Fatalf("no exit within 20s of SIGTERM; its output ends:\n%s", out)
	}
}

// The PostgreSQL projector is cut off from the database and killed with
// SIGKILL while it applies batches; after a restart its read models equal a
// fresh rebuild, with no event applied twice or skipped.
func TestFaultPostgresProjectorKilledMidBatch(t *testing.T) {
	pg := pgtest.Start(t)
	dsn := pg.NewDatabase(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	p := startServe(t, bin, dir, addr, "--postgres", dsn)
	mustPost(t, p.url+"/api/v1/communities/e2e/commands", "reg", registerE2E)
	next := workload(t, p.url, "a", 600, 1)

	// Cut the projector's database connections while it catches up.
	conn, err := pgx.Connect(context.Background(), pg.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	next = workload(t, p.url, "b", 900, next)
	for range 5 {
		if _, err := conn.Exec(context.Background(),
			`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname <> 'postgres' AND pid <> pg_backend_pid()`); err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * time.Millisecond)
	}
	workload(t, p.url, "c", 900, next)
	// Kill it while it is (very likely) still applying.
	_, r := ready(t, p)
	t.Logf("at SIGKILL: stream %d, read models %+v", r.LastSeq, r.ReadModels)
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()

	p2 := startServe(t, bin, dir, addr, "--postgres", dsn)
	caughtUp(t, p2, 60*time.Second)
	got := answers(t, p2)
	stop(t, p2)
	sameAnswers(t, "postgres after crash vs fresh rebuild", memoryAnswers(t, dir), got)
}

// With PostgreSQL stopped, appends still succeed (the log is the truth),
// /readyz reports the lag, and when PostgreSQL returns the read models catch
// up and equal a fresh rebuild.
func TestFaultPostgresDownWhileAppending(t *testing.T) {
	pg := pgtest.Start(t)
	dsn := pg.NewDatabase(t)
	dir := t.TempDir()
	p := startServe(t, bin, dir, freeAddr(t), "--postgres", dsn)
	mustPost(t, p.url+"/api/v1/communities/e2e/commands", "reg", registerE2E)
	next := workload(t, p.url, "a", 50, 1)
	caughtUp(t, p, 30*time.Second)

	pg.Stop(t)
	for i := range 30 {
		mustPost(t, p.url+"/api/v1/communities/e2e/commands", fmt.Sprint("down-", i),
			fmt.Sprintf(`{"type":"matter.register","aggregate_id":"down-%d","effective_date":"2025-03-01","data":{"title":"停库期间 %d"}}`, i, i))
	}
	next = workload(t, p.url, "b", 50, next)
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, r := ready(t, p)
		lagging := false
		for _, rm := range r.ReadModels {
			lagging = lagging || rm.LagEvents > 0
		}
		if code == http.StatusServiceUnavailable && lagging {
			t.Logf("readyz while PostgreSQL is down: %+v", r)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz = %d %+v, want 503 with the lag", code, r)
		}
		time.Sleep(100 * time.Millisecond)
	}

	pg.StartAgain(t)
	caughtUp(t, p, 60*time.Second)
	got := answers(t, p)
	stop(t, p)
	sameAnswers(t, "postgres after an outage vs fresh rebuild", memoryAnswers(t, dir), got)
}

// Two instances on one PostgreSQL: each read model has exactly one writer;
// killing it moves the writing to the other within seconds; the results
// equal a fresh rebuild.
func TestFaultTwoInstancesOneWriter(t *testing.T) {
	natsURL := startNATS(t).url
	pg := pgtest.Start(t)
	dsn := pg.NewDatabase(t)
	a := startServe(t, bin, "", freeAddr(t), "--nats", natsURL, "--postgres", dsn)
	b := startServe(t, bin, "", freeAddr(t), "--nats", natsURL, "--postgres", dsn)
	mustPost(t, a.url+"/api/v1/communities/e2e/commands", "reg", registerE2E)
	next := workload(t, a.url, "a", 100, 1)
	caughtUp(t, a, 30*time.Second)
	caughtUp(t, b, 30*time.Second)

	writers := func() map[string][]*proc {
		out := map[string][]*proc{}
		for _, p := range []*proc{a, b} {
			if p.cmd.ProcessState != nil {
				continue
			}
			_, r := ready(t, p)
			for _, rm := range r.ReadModels {
				if rm.Role == "writer" {
					out[rm.Name] = append(out[rm.Name], p)
				}
			}
		}
		return out
	}
	w := writers()
	for _, name := range []string{"board", "finance"} {
		if len(w[name]) != 1 {
			t.Fatalf("read model %s has %d writers, want 1", name, len(w[name]))
		}
	}
	victim := w["board"][0]
	survivor := a
	if victim == a {
		survivor = b
	}
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	victim.cmd.Wait()
	killed := time.Now()
	for {
		w = writers()
		if len(w["board"]) == 1 && len(w["finance"]) == 1 {
			break
		}
		if time.Since(killed) > 15*time.Second {
			t.Fatalf("no writer took over within 15s: %v", w)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("writing moved to the survivor %.1f s after SIGKILL", time.Since(killed).Seconds())
	workload(t, survivor.url, "b", 100, next)
	caughtUp(t, survivor, 30*time.Second)
	got := answers(t, survivor)
	sameAnswers(t, "survivor vs fresh rebuild", memoryAnswers(t, "", "--nats", natsURL), got)
}

// The demo gives byte-identical answers from memory and from PostgreSQL.
func TestDemoSameOnBothBackends(t *testing.T) {
	pg := pgtest.Start(t)
	dsn := pg.NewDatabase(t)
	dir := t.TempDir()
	paths := []string{"/api/v1/communities/wenhualu/board", "/api/v1/communities/wenhualu/finance/income-statement?year=2025",
		"/api/v1/communities/wenhualu/finance/balance-sheet?month=2025-12", "/api/v1/communities/wenhualu/finance/budget?year=2025",
		"/api/v1/communities/wenhualu/finance/summary?year=2025", "/api/v1/communities/wenhualu/finance/trial-balance?month=2026-01"}
	fetch := func(p *proc) map[string]string {
		out := map[string]string{}
		for _, path := range paths {
			code, body := get(t, p.url+path)
			if code != http.StatusOK {
				t.Fatalf("GET %s: %d %s", path, code, body)
			}
			out[path] = string(body)
		}
		return out
	}
	m := startServe(t, bin, dir, freeAddr(t), "--demo")
	for range 200 { // the demo loads after start
		if _, r := ready(t, m); r.LastSeq > 100 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	caughtUp(t, m, 30*time.Second)
	want := fetch(m)
	stop(t, m)
	p := startServe(t, bin, dir, freeAddr(t), "--postgres", dsn)
	caughtUp(t, p, 30*time.Second)
	sameAnswers(t, "demo on postgres vs memory", want, fetch(p))
}

// `gongkai projections rebuild` builds a read model into a fresh schema
// while a server serves and writes it, switches, and drops the old schema;
// a read model whose stored code version differs rebuilds itself at start.
func TestRebuildWithoutDowntime(t *testing.T) {
	natsURL := startNATS(t).url
	pg := pgtest.Start(t)
	dsn := pg.NewDatabase(t)
	p := startServe(t, bin, "", freeAddr(t), "--nats", natsURL, "--postgres", dsn)
	mustPost(t, p.url+"/api/v1/communities/e2e/commands", "reg", registerE2E)
	next := workload(t, p.url, "a", 200, 1)
	caughtUp(t, p, 30*time.Second)

	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	schemaOf := func(name string) string {
		var s string
		if err := conn.QueryRow(context.Background(), `SELECT schema_name FROM gongkai.read_models WHERE name = $1`, name).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	oldSchema := schemaOf("board")

	// Rebuild while appends go on and the page keeps answering.
	done := make(chan []byte, 1)
	go func() {
		out, err := exec.Command(bin, "projections", "rebuild", "board", "--nats", natsURL, "--postgres", dsn).CombinedOutput()
		if err != nil {
			out = append(out, []byte("\nexit: "+err.Error())...)
		}
		done <- out
	}()
	var out []byte
	for i := 0; out == nil; i++ {
		if code, _ := get(t, p.url+"/api/v1/communities/e2e/board"); code != http.StatusOK {
			t.Errorf("board answered %d during the rebuild", code)
		}
		if i < 20 {
			mustPost(t, p.url+"/api/v1/communities/e2e/commands", fmt.Sprint("during-", i),
				fmt.Sprintf(`{"type":"matter.register","aggregate_id":"during-%d","effective_date":"2025-03-01","data":{"title":"重建期间 %d"}}`, i, i))
		}
		select {
		case out = <-done:
		case <-time.After(20 * time.Millisecond):
		}
	}
	if !strings.Contains(string(out), "rebuilt board into schema") {
		t.Fatalf("rebuild: %s", out)
	}
	if s := schemaOf("board"); s == oldSchema {
		t.Fatalf("board still on schema %s after the rebuild", s)
	}
	var gone bool
	conn.QueryRow(context.Background(), `SELECT NOT EXISTS (SELECT 1 FROM information_schema.schemata WHERE schema_name = $1)`, oldSchema).Scan(&gone)
	if !gone {
		t.Errorf("old schema %s was not dropped", oldSchema)
	}
	workload(t, p.url, "b", 100, next)
	caughtUp(t, p, 30*time.Second)
	want := memoryAnswers(t, "", "--nats", natsURL)
	sameAnswers(t, "after rebuild vs fresh memory rebuild", want, answers(t, p))

	// A changed code version rebuilds at start.
	stop(t, p)
	financeSchema := schemaOf("finance")
	if _, err := conn.Exec(context.Background(), `UPDATE gongkai.read_models SET code_version = 0 WHERE name = 'finance'`); err != nil {
		t.Fatal(err)
	}
	p2 := startServe(t, bin, "", freeAddr(t), "--nats", natsURL, "--postgres", dsn)
	for deadline := time.Now().Add(30 * time.Second); schemaOf("finance") == financeSchema; {
		if time.Now().After(deadline) {
			t.Fatalf("finance was not rebuilt after its code version changed:\n%s", p2.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	caughtUp(t, p2, 60*time.Second)
	sameAnswers(t, "after a code-version rebuild", want, answers(t, p2))
}
