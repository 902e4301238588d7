package main_test

// The fault suite (issue 14, docs/faults.md). Every scenario is a test
// named TestFault…, so that
//
//	go test ./cmd/gongkai -run TestFault
//
// runs them all, against real gongkai binaries, nats-server processes and
// private PostgreSQL servers. ./scripts/test runs the short form (CI);
// -faults.long, or GONGKAI_FAULTS=long, runs the long form with more kills,
// more appends and longer outages (./scripts/faults).
//
// The scenarios in this file:
//   - TestFaultKillsDuringAppends: gongkai serve killed with SIGKILL again
//     and again while clients append;
//   - TestFaultClusterLeaderThenQuorum: a 3-node cluster loses its stream
//     leader, then its quorum, then comes back;
//   - TestFaultPostgresCatchUp: PostgreSQL restarted and cut off while the
//     read models catch up with a backlog;
//   - TestFaultClockSkew: two instances on one stream, one of them with its
//     clock two minutes ahead.
//
// Elsewhere: TestFaultClusterServeStartsDuringElection
// (e2e_cluster_test.go), TestFaultNoQuorumThenBack (e2e_integrity_test.go),
// TestFaultPostgresProjectorKilledMidBatch, TestFaultPostgresDownWhileAppending
// and TestFaultTwoInstancesOneWriter (e2e_postgres_test.go), TestFaultDiskFull
// (e2e_diskfull_test.go).

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gongkai/gongkai/eventstore"
	"github.com/gongkai/gongkai/internal/pgtest"
)

var faultsLong = flag.Bool("faults.long", os.Getenv("GONGKAI_FAULTS") == "long",
	"run the fault suite's long form: more kills, more appends, longer outages (also GONGKAI_FAULTS=long)")

// scale returns short in the fault suite's short form and long in its long
// form.
func scale[T any](short, long T) T {
	if *faultsLong {
		return long
	}
	return short
}

// appenders are clients that each register matters one after another in
// community e2e, and send a matter again with the same idempotency key
// until they get a 2xx, as a careful client does.
type appenders struct {
	t      *testing.T
	url    string
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	firstTry map[string]time.Time // when each key was first sent
	ackedAt  map[string]time.Time // when each key got its 2xx
	pending  map[string]string    // key -> body, sent without a 2xx yet
	failures int                  // tries that got no 2xx
}

func matterBody(id string) string {
	return fmt.Sprintf(`{"type":"matter.register","aggregate_id":%q,"effective_date":"2025-02-01","data":{"title":"事项 %s"}}`, id, id)
}

// startAppenders starts n clients sending to cmdURL; their keys (also the
// matters' ids) start with prefix.
func startAppenders(t *testing.T, cmdURL, prefix string, n int) *appenders {
	ctx, cancel := context.WithCancel(context.Background())
	a := &appenders{t: t, url: cmdURL, cancel: cancel, firstTry: map[string]time.Time{},
		ackedAt: map[string]time.Time{}, pending: map[string]string{}}
	for c := range n {
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			client := &http.Client{Timeout: 10 * time.Second}
			for i := 0; ctx.Err() == nil; i++ {
				key := fmt.Sprintf("%s-c%d-%d", prefix, c, i)
				body := matterBody(key)
				a.mu.Lock()
				a.firstTry[key], a.pending[key] = time.Now(), body
				a.mu.Unlock()
				for ctx.Err() == nil {
					code, err := post(client, cmdURL, key, body)
					if err == nil && code/100 == 2 {
						a.mu.Lock()
						a.ackedAt[key] = time.Now()
						delete(a.pending, key)
						a.mu.Unlock()
						break
					}
					if err == nil && code/100 == 4 {
						t.Errorf("append %s: status %d, a client error", key, code)
						return
					}
					a.mu.Lock()
					a.failures++
					a.mu.Unlock()
					select {
					case <-ctx.Done():
					case <-time.After(50 * time.Millisecond):
					}
				}
			}
		}()
	}
	return a
}

// acked returns how many keys got a 2xx.
func (a *appenders) acked() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.ackedAt)
}

// waitAcked waits until n keys got a 2xx and fails the test after within.
func (a *appenders) waitAcked(t *testing.T, n int, within time.Duration, what string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for a.acked() < n {
		if time.Now().After(deadline) {
			a.mu.Lock()
			got, failures := len(a.ackedAt), a.failures
			a.mu.Unlock()
			t.Fatalf("%s: %d of %d appends acknowledged within %v (%d failed tries)", what, got, n, within, failures)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop stops the clients; keys still without a 2xx stay pending.
func (a *appenders) stop() {
	a.cancel()
	a.wg.Wait()
}

// ackedKeys returns the keys that got a 2xx.
func (a *appenders) ackedKeys() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var keys []string
	for k := range a.ackedAt {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// retryPending sends every pending key again (after stop) until it gets a
// 2xx, and returns the keys it sent.
func (a *appenders) retryPending(t *testing.T) []string {
	t.Helper()
	a.mu.Lock()
	pending := make(map[string]string, len(a.pending))
	for k, b := range a.pending {
		pending[k] = b
	}
	a.mu.Unlock()
	var keys []string
	for k, body := range pending {
		mustRetry(t, a.url, k, body, 60*time.Second)
		a.mu.Lock()
		a.ackedAt[k] = time.Now()
		delete(a.pending, k)
		a.mu.Unlock()
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// mustRetry sends a command with its key until it gets a 2xx.
func mustRetry(t *testing.T, url, key, body string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		code, err := post(http.DefaultClient, url, key, body)
		if err == nil && code/100 == 2 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("retry %s: no 2xx within %v (%d %v)", key, within, code, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkOnce fails the test for every key of want that is not in inLog
// exactly once, and for every key in inLog more than once.
func checkOnce(t *testing.T, what string, want []string, inLog map[string]int) {
	t.Helper()
	bad := 0
	for _, k := range want {
		if inLog[k] != 1 {
			bad++
			if bad <= 20 {
				t.Errorf("%s: key %s is in the log %d times, want 1", what, k, inLog[k])
			}
		}
	}
	for k, n := range inLog {
		if n > 1 {
			bad++
			if bad <= 20 {
				t.Errorf("%s: key %s is in the log %d times", what, k, n)
			}
		}
	}
	if bad > 20 {
		t.Errorf("%s: %d keys in all are not in the log exactly once", what, bad)
	}
}

// logKeys reads the GONGKAI stream through js and counts the events of each
// idempotency key. A cluster that has just recovered may answer "JetStream
// system temporarily unavailable" for a while: it reads again until it gets
// the whole log, for up to a minute.
func logKeys(t *testing.T, js jetstream.JetStream) map[string]int {
	t.Helper()
	read := func() (map[string]int, error) {
		store, err := eventstore.Open(context.Background(), js, eventstore.Config{})
		if err != nil {
			return nil, err
		}
		n := map[string]int{}
		err = store.Read(context.Background(), 0, func(e eventstore.Stored) error {
			n[e.IdempotencyKey]++
			return nil
		})
		return n, err
	}
	deadline := time.Now().Add(time.Minute)
	for {
		n, err := read()
		if err == nil {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("read the log: %v", err)
		}
		t.Logf("read the log: %v; reading again", err)
		time.Sleep(500 * time.Millisecond)
	}
}

// gongkai serve is killed with SIGKILL again and again (20 times in the
// short form, 100 in the long) while 24 clients append (enough for group
// commit to put waiting appends into atomic batches), each retrying its
// unanswered append with the same key once the server is back. After each
// kill, with the server down, every append acknowledged so far is in the
// log exactly once and no key is there twice; at the end every append, the
// unanswered ones retried, is in the log and on the board exactly once, and
// the server stops cleanly on SIGTERM.
func TestFaultKillsDuringAppends(t *testing.T) {
	kills := scale(20, 100)
	between := scale(30, 150) // acknowledged appends between two kills
	dir := t.TempDir()
	addr := freeAddr(t)
	p := startServe(t, bin, dir, addr)
	cmdURL := p.url + "/api/v1/communities/e2e/commands"
	mustPost(t, cmdURL, "community", registerE2E)

	ap := startAppenders(t, cmdURL, "k", 24)
	defer ap.stop()
	recordedUnanswered, batches := 0, 0.0
	for k := range kills {
		ap.waitAcked(t, ap.acked()+between, 60*time.Second, fmt.Sprintf("before kill %d", k+1))
		time.Sleep(time.Duration(rand.IntN(30)) * time.Millisecond) // not always at the same point of an append
		batches += metricValue(p.url, "gongkai_append_batches_total")
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = p.cmd.Wait()

		// With the server down: what was acknowledged is in the log once.
		acked := ap.ackedKeys()
		inLog := keysInLog(t, dir)
		checkOnce(t, fmt.Sprintf("after kill %d", k+1), acked, inLog)
		ap.mu.Lock()
		unanswered, recorded := len(ap.pending), 0
		for key := range ap.pending {
			if inLog[key] > 0 {
				recorded++
			}
		}
		ap.mu.Unlock()
		recordedUnanswered += recorded
		t.Logf("kill %d: %d appends acknowledged; %d unanswered, %d of them recorded", k+1, len(acked), unanswered, recorded)
		if t.Failed() {
			t.FailNow()
		}
		p = startServe(t, bin, dir, addr)
	}
	ap.waitAcked(t, ap.acked()+between, 60*time.Second, "after the last kill")
	ap.stop()
	retried := ap.retryPending(t)
	all := ap.ackedKeys()
	t.Logf("%d kills; %d appends acknowledged, %d of them retries sent after the clients stopped; %d unanswered appends were recorded before their retry; "+
		"about %.0f group batches committed before the kills (counted just before each)", kills, len(all), len(retried), recordedUnanswered, batches)

	// On the board: every matter once, registered by one event (once the
	// board has applied the retries: a reply does not wait for it).
	caughtUp(t, p, 60*time.Second)
	onBoard := boardEvents(t, p.url)
	for _, k := range all {
		if onBoard[k] != 1 {
			t.Errorf("matter %s is on the board from %d events, want 1", k, onBoard[k])
		}
	}
	if len(onBoard) != len(all) {
		t.Errorf("board has %d matters, sent %d", len(onBoard), len(all))
	}

	// Graceful shutdown on SIGTERM.
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, p.logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("no exit within 20s of SIGTERM")
	}
	checkOnce(t, "at the end", append(all, "community"), keysInLog(t, dir))
}

// A 3-node cluster, the stream at 3 replicas, while four clients append:
// the stream leader is killed with SIGKILL and appends resume on the two
// nodes left; then the new leader is killed too, and with one node of three
// the cluster has no quorum. For that outage (5 s short, 30 s long) a probe
// sends appends never sent before: none may be acknowledged, and no client
// append first sent after the quorum was lost may be either. Both nodes
// come back, the stream recovers, appends resume; every probe and pending
// append is retried with its key, and then every acknowledged append is in
// the log exactly once and no key is there twice.
func TestFaultClusterLeaderThenQuorum(t *testing.T) {
	outage := scale(5*time.Second, 30*time.Second)
	nodes := startCluster(t)
	p := startServe(t, bin, "", freeAddr(t), "--nats", urls(nodes), "--replicas", "3")
	cmdURL := p.url + "/api/v1/communities/e2e/commands"
	mustPost(t, cmdURL, "reg", registerE2E)

	ap := startAppenders(t, cmdURL, "q", 4)
	defer ap.stop()
	ap.waitAcked(t, scale(100, 500), 60*time.Second, "before the first kill")

	nc := connectCluster(t, nodes)
	defer nc.Close()
	js, _ := jetstream.New(nc)
	leader := streamLeader(t, js, nodes)
	before := ap.acked()
	if err := leader.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = leader.cmd.Wait()
	killed := time.Now()
	t.Logf("killed stream leader %s after %d acknowledged appends", leader.name, before)
	ap.waitAcked(t, before+scale(100, 500), 90*time.Second, "with the stream leader killed")
	t.Logf("%d more appends acknowledged %.1f s after the kill", ap.acked()-before, time.Since(killed).Seconds())

	// Now the quorum: the new leader goes too.
	second := streamLeader(t, js, nodes)
	if second == leader {
		t.Fatalf("the killed node %s still leads the stream", leader.name)
	}
	if err := second.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = second.cmd.Wait()
	lostAt := time.Now()
	t.Logf("killed the new stream leader %s after %d acknowledged appends: one node of three left", second.name, ap.acked())

	var probes []string
	refusals := map[int]int{}
	for i := 0; time.Since(lostAt) < outage; i++ {
		key := fmt.Sprintf("probe-%d", i)
		probes = append(probes, key)
		code, err := post(&http.Client{Timeout: 10 * time.Second}, cmdURL, key, matterBody(key))
		if err == nil && code/100 == 2 {
			t.Errorf("append %s acknowledged (%d) %.1f s after the quorum was lost", key, code, time.Since(lostAt).Seconds())
		}
		refusals[code]++
		time.Sleep(100 * time.Millisecond)
	}
	backAt := time.Now()
	// No client append first sent in the outage was acknowledged in it.
	ap.mu.Lock()
	for key, first := range ap.firstTry {
		if at, ok := ap.ackedAt[key]; ok && first.After(lostAt) && at.Before(backAt) {
			t.Errorf("append %s, first sent %.1f s after the quorum was lost, acknowledged before it came back",
				key, first.Sub(lostAt).Seconds())
		}
	}
	ap.mu.Unlock()
	t.Logf("quorum lost for %.1f s: %d probe appends, none acknowledged (replies by status, 0 for no reply: %v)",
		backAt.Sub(lostAt).Seconds(), len(probes), refusals)

	leader.start(t)
	second.start(t)
	waitStreamRecovered(t, js, 90*time.Second)
	ap.waitAcked(t, ap.acked()+scale(100, 500), 90*time.Second, "after the quorum came back")
	ap.stop()

	recordedProbes := 0
	for k, n := range logKeys(t, js) {
		if strings.HasPrefix(k, "probe-") && n > 0 {
			recordedProbes++
		}
	}
	for _, k := range probes {
		mustRetry(t, cmdURL, k, matterBody(k), 60*time.Second)
	}
	ap.retryPending(t)
	stop(t, p)
	all := append(ap.ackedKeys(), probes...)
	checkOnce(t, "after the cluster recovered", all, logKeys(t, js))
	ap.mu.Lock()
	failures := ap.failures
	ap.mu.Unlock()
	t.Logf("%d appends acknowledged in all, %d failed client tries retried, %d probes recorded before their retry; all in the log once",
		len(all), failures, recordedProbes)
}

// catchingUp waits until a read model of p has moved past from and is
// still behind the stream: catch-up is under way. It fails the test when
// every read model has caught up first (the backlog was too small for the
// test to be a test) or after within.
func catchingUp(t *testing.T, p *proc, from uint64, within time.Duration) readyz {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		_, r := ready(t, p)
		moved, behind := false, false
		for _, rm := range r.ReadModels {
			moved = moved || rm.Position > from
			behind = behind || rm.Position < r.LastSeq
		}
		if moved && behind {
			return r
		}
		if moved && !behind {
			t.Fatalf("the read models caught up with %d events before a fault could be injected: make the backlog larger", r.LastSeq)
		}
		if time.Now().After(deadline) {
			t.Fatalf("catch-up did not start within %v: %+v", within, r)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// positions returns the lowest and highest position of p's read models.
func positions(r readyz) (lo, hi uint64) {
	lo = r.LastSeq
	for _, rm := range r.ReadModels {
		lo, hi = min(lo, rm.Position), max(hi, rm.Position)
	}
	return lo, hi
}

// PostgreSQL read models catching up with a backlog (appended while
// PostgreSQL was stopped: 6,000 events short, 40,000 long) meet faults in
// turn, each while catch-up is under way: PostgreSQL restarted (fast
// shutdown, down 1 s short, 5 s long), then every connection of gongkai's
// cut (pg_terminate_backend, three times). Short: 2 faults, long: 6. The
// read models end equal to a fresh replay into memory, with every backlog
// matter on the board once.
func TestFaultPostgresCatchUp(t *testing.T) {
	n := scale(3000, 20000) // matters, and as many vouchers
	faults := scale(2, 6)
	down := scale(time.Second, 5*time.Second)
	pg := pgtest.Start(t)
	dsn := pg.NewDatabase(t)
	dir := t.TempDir()
	p := startServe(t, bin, dir, freeAddr(t), "--postgres", dsn)
	mustPost(t, p.url+"/api/v1/communities/e2e/commands", "reg", registerE2E)
	start := caughtUp(t, p, 30*time.Second).LastSeq

	pg.Stop(t)
	workload(t, p.url, "backlog", n, 1)
	_, r := ready(t, p)
	t.Logf("backlog: stream at %d, read models at %d while PostgreSQL is down", r.LastSeq, start)

	pg.StartAgain(t)
	from := start
	for i := range faults {
		r := catchingUp(t, p, from, 60*time.Second)
		lo, hi := positions(r)
		if i%2 == 0 {
			pg.Stop(t)
			time.Sleep(down)
			pg.StartAgain(t)
			t.Logf("fault %d: PostgreSQL restarted with the read models at %d..%d of %d", i+1, lo, hi, r.LastSeq)
		} else {
			conn, err := pgx.Connect(context.Background(), pg.DSN("postgres"))
			if err != nil {
				t.Fatal(err)
			}
			for range 3 {
				if _, err := conn.Exec(context.Background(),
					`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname <> 'postgres' AND pid <> pg_backend_pid()`); err != nil {
					t.Fatal(err)
				}
				time.Sleep(20 * time.Millisecond)
			}
			conn.Close(context.Background())
			t.Logf("fault %d: connections cut with the read models at %d..%d of %d", i+1, lo, hi, r.LastSeq)
		}
		from = hi
	}
	caughtUp(t, p, 180*time.Second)
	onBoard := boardEvents(t, p.url)
	for i := range n {
		if id := fmt.Sprintf("m-backlog-%d", i); onBoard[id] != 1 {
			t.Errorf("matter %s is on the board from %d events, want 1", id, onBoard[id])
		}
	}
	got := answers(t, p)
	stop(t, p)
	sameAnswers(t, "postgres after faults during catch-up vs fresh rebuild", memoryAnswers(t, dir), got)
}

// skewedBin builds gongkai with the faultinject tag, whose serve takes its
// clock offset from GONGKAI_FAULT_CLOCK_OFFSET (clock_faultinject.go).
func skewedBin(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "gongkai-faultinject")
	if b, err := exec.Command("go", "build", "-tags", "faultinject", "-o", out, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build -tags faultinject: %v\n%s", err, b)
	}
	return out
}

type postResult struct {
	Events []struct {
		Seq uint64 `json:"stream_seq"`
	} `json:"events"`
}

// Three instances append to one stream on one nats-server, with clocks
// that differ: B runs the normal build with GONGKAI_FAULT_CLOCK_OFFSET in
// its environment, which it must ignore; A (+2 min) and C (-2 min) run the
// faultinject build. All three hold the checkpoint signer key and ask one
// witness to cosign. Checked: every append through any of them is recorded
// once, each records the next stage of matters the others registered,
// recorded_at is each instance's own clock (so it runs backwards in stream
// order), every instance serves a checkpoint covering the whole log with
// no alarm, the auditor's as-of view is a prefix of the log even where
// recorded_at runs backwards, and the sequencer lease moves from B to A or
// C, and on until C holds it, each new holder signing a checkpoint of what
// was appended since, without waiting for its clock to catch up. At the end
// gongkai verify checks every checkpoint against the stream.
func TestFaultClockSkew(t *testing.T) {
	const skew = 2 * time.Minute
	const origin, witnessName = "gongkai.test/e2e-skew", "witness.test/e2e-skew"
	n := scale(5, 50) // matters for each ordered pair of instances
	dir := t.TempDir()
	signerFile, logKey := keygen(t, dir, origin, "signer.key")
	witnessFile, _ := keygen(t, dir, witnessName, "witness.key")
	wurl := startWitness(t, dir, witnessFile, logKey)
	natsURL := startNATS(t).url
	args := []string{"--nats", natsURL, "--signer-key", signerFile, "--origin", origin,
		"--witness", wurl, "--witness-quorum", "1", "--checkpoint-every", "1s"}
	offset := func(d time.Duration) []string { return []string{"GONGKAI_FAULT_CLOCK_OFFSET=" + d.String()} }
	skewed := skewedBin(t)
	// B first, so that it takes the sequencer lease.
	b := startServeEnv(t, offset(skew), bin, "", freeAddr(t), args...)
	waitLease(t, []*proc{b}, 30*time.Second)
	a := startServeEnv(t, offset(skew), skewed, "", freeAddr(t), args...)
	c := startServeEnv(t, offset(-skew), skewed, "", freeAddr(t), args...)
	name := map[*proc]string{a: "A (+2m)", b: "B", c: "C (-2m)"}
	clock := map[*proc]time.Duration{a: skew, b: 0, c: -skew}
	cmd := func(p *proc) string { return p.url + "/api/v1/communities/e2e/commands" }

	t0 := time.Now()
	via := map[string]*proc{} // key -> the instance it was sent through
	send := func(p *proc, key, body string) {
		t.Helper()
		mustRetry(t, cmd(p), key, body, 30*time.Second)
		via[key] = p
	}
	send(b, "reg", registerE2E)
	for i := range n {
		for _, pair := range [][2]*proc{{a, b}, {b, a}, {a, c}, {c, a}, {b, c}, {c, b}} {
			reg, prop := pair[0], pair[1]
			id := fmt.Sprintf("skew-%s%s-%d", name[reg][:1], name[prop][:1], i)
			send(reg, id, matterBody(id))
			waitMatter(t, prop, id, 30*time.Second)
			send(prop, id+"-propose", fmt.Sprintf(`{"type":"matter.propose","aggregate_id":%q,"effective_date":"2025-02-02","data":{}}`, id))
		}
	}
	t1 := time.Now()

	nc := connectCluster(t, []*natsNode{{url: natsURL}})
	defer nc.Close()
	js, _ := jetstream.New(nc)
	store, err := eventstore.Open(context.Background(), js, eventstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	inLog := map[string]int{}
	var events []eventstore.Stored
	if err := store.Read(context.Background(), 0, func(e eventstore.Stored) error {
		inLog[e.IdempotencyKey]++
		if e.Community == "e2e" {
			events = append(events, e)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range via {
		keys = append(keys, k)
	}
	checkOnce(t, "with skewed clocks", keys, inLog)

	// recorded_at is the recording instance's clock; count where it runs
	// backwards in stream order.
	slack := 10 * time.Second
	backwards := 0
	for i, e := range events {
		off := clock[via[e.IdempotencyKey]]
		if lo, hi := t0.Add(off-slack), t1.Add(off+slack); e.RecordedAt.Before(lo) || e.RecordedAt.After(hi) {
			t.Errorf("event %d (%s through %s) recorded_at %s, want between %s and %s", e.Seq, e.IdempotencyKey,
				name[via[e.IdempotencyKey]], e.RecordedAt.Format(time.RFC3339), lo.Format(time.RFC3339), hi.Format(time.RFC3339))
		}
		if i > 0 && e.RecordedAt.Before(events[i-1].RecordedAt) {
			backwards++
		}
	}
	t.Logf("%d events of community e2e in %.1f s; recorded_at runs backwards %d times in stream order", len(events), t1.Sub(t0).Seconds(), backwards)
	if backwards == 0 {
		t.Errorf("recorded_at never runs backwards: the skew did not take effect")
	}

	// Every instance serves a checkpoint of the whole log, cosigned by the
	// witness (a missing cosignature is an alarm in /readyz).
	last, _ := store.LastSeq(context.Background())
	for _, p := range []*proc{a, b, c} {
		waitCheckpoint(t, p, last)
		if code, body := get(t, p.url+"/readyz"); code != http.StatusOK || strings.Contains(string(body), `"alarm"`) {
			t.Errorf("/readyz of %s: %d %s", name[p], code, body)
		}
	}

	// The auditor's view as recorded at the time A gave its middle event:
	// later than everything B and C recorded, earlier than A's later half.
	var fromA []time.Time
	for _, e := range events {
		if via[e.IdempotencyKey] == a {
			fromA = append(fromA, e.RecordedAt)
		}
	}
	checkAsOfPrefix(t, b, events, fromA[len(fromA)/2])

	// The lease moves: its holder is killed, another takes it and signs
	// what was appended since; again, until C, whose clock is behind the
	// NATS server's, has taken it over (once or twice).
	alive := []*proc{a, b, c}
	for round, next := 0, b; next != c; round++ {
		holder := waitLease(t, alive, 30*time.Second)
		if err := holder.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = holder.cmd.Wait()
		alive = slices.DeleteFunc(alive, func(p *proc) bool { return p == holder })
		key := fmt.Sprintf("after-kill-%d", round)
		send(alive[0], key, matterBody(key))
		next = waitLease(t, alive, 60*time.Second)
		last, _ = store.LastSeq(context.Background())
		waitCheckpoint(t, next, last)
		t.Logf("the sequencer lease moved from %s to %s, which signed a checkpoint of size %d", name[holder], name[next], last)
	}
	for _, p := range alive {
		stop(t, p)
	}
	if code, out := runGongkai(t, "verify", "--nats", natsURL, "--key", logKey); code != 0 {
		t.Errorf("gongkai verify: exit %d\n%s", code, out)
	}
}

// waitLease waits until one of ps holds the sequencer lease and returns
// it; it fails the test when two hold it at once, or after within.
func waitLease(t *testing.T, ps []*proc, within time.Duration) *proc {
	t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(100 * time.Millisecond) {
		var holders []*proc
		for _, p := range ps {
			if holdsLease(t, p) {
				holders = append(holders, p)
			}
		}
		if len(holders) > 1 {
			t.Fatalf("%d instances hold the sequencer lease at once", len(holders))
		}
		if len(holders) == 1 {
			return holders[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no instance took the sequencer lease within %v", within)
		}
	}
}

// holdsLease reports whether p's /readyz says it holds the sequencer lease.
func holdsLease(t *testing.T, p *proc) bool {
	t.Helper()
	_, body := get(t, p.url+"/readyz")
	var r struct {
		Log map[string]any `json:"verifiable_log"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	return r.Log["sequencer"] == true
}

// waitMatter waits until matter id is on p's board.
func waitMatter(t *testing.T, p *proc, id string, within time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(within); boardEvents(t, p.url)[id] == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("matter %s not on %s's board within %v", id, p.url, within)
		}
	}
}

// checkAsOfPrefix asks p for community e2e's audit of 2025 as recorded at
// asOf and checks that the matter events it shows (their rows' stream
// sequences) are a prefix of the community's matter events in stream order:
// a state the log really passed through, not one in which a matter's
// proposal stands without its registration.
func checkAsOfPrefix(t *testing.T, p *proc, events []eventstore.Stored, asOf time.Time) {
	t.Helper()
	at := asOf.UTC().Format(time.RFC3339Nano)
	req, _ := http.NewRequest(http.MethodGet, p.url+"/api/v1/communities/e2e/audit/2025?as_of="+at, nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	code := resp.StatusCode
	if code != http.StatusOK {
		t.Errorf("audit as of %s: %d %s", at, code, body)
		return
	}
	var rep struct {
		Events  int `json:"events"`
		Matters []struct {
			ID    string   `json:"id"`
			Stage string   `json:"stage"`
			Seqs  []uint64 `json:"stream_seqs"`
		} `json:"matters"`
	}
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatal(err)
	}
	shown := map[uint64]bool{}
	for _, m := range rep.Matters {
		for _, s := range m.Seqs {
			shown[s] = true
		}
	}
	// A state the log passed through is its first rep.Events events: the
	// matter rows must be built from exactly the matter events among them.
	var want, missing, extra []string
	for i, e := range events {
		if e.AggregateType != "matter" {
			continue
		}
		desc := fmt.Sprintf("%d (%s %s, recorded %s)", e.Seq, e.Type, e.AggregateID, e.RecordedAt.Format(time.RFC3339))
		switch {
		case i < rep.Events && !shown[e.Seq]:
			missing = append(missing, desc)
		case i >= rep.Events && shown[e.Seq]:
			extra = append(extra, desc)
		}
		if i < rep.Events {
			want = append(want, desc)
		}
	}
	t.Logf("audit as of %s on %s: %d events, %d of them matter events; %d matter events shown", at, p.url, rep.Events, len(want), len(shown))
	if len(want) < 2 {
		t.Errorf("the audit as of %s holds %d matter events: too few to show whether it is a prefix of the log", at, len(want))
	}
	if len(missing) > 0 || len(extra) > 0 {
		t.Errorf("the audit as of %s is not a state the log passed through: it counts %d events, but of the matter events among the first %d it leaves out %d (first %s) and shows %d later ones (first %s)",
			at, rep.Events, rep.Events, len(missing), first(missing), len(extra), first(extra))
	}
}

func first(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return l[0]
}

// metricValue reads one unlabelled metric from a server's /metrics (0 when
// it cannot).
func metricValue(url, name string) float64 {
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}
