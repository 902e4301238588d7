// Command gkbench measures gongkai's append path and read-model replay on
// this machine, each beside its JetStream baseline in the same run. Results
// go to docs/benchmarks.md. It is not part of the test suite.
//
//	go run ./cmd/gkbench -n 3000 -stored 1000000
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gongkai/gongkai/eventstore"
	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/projector"
	"github.com/gongkai/gongkai/projections"
)

// token is the administrator token of the servers gkbench starts (long and
// random-looking, as gongkai requires).
const token = "gkbench-admin-7Qx2Vb9LmR4tZc8NpW3sYk6HdJ5"

// appendClients are the client counts of the append table (-clients).
var appendClients []int

func main() {
	n := flag.Int("n", 3000, "appends per measurement")
	restartOnly := flag.Bool("restart-only", false, "with -stored: skip the append measurements")
	finance := flag.Bool("finance", false, "measure the finance path (vouchers) instead of the core ledger")
	scale := flag.Bool("scale", false, "measure PostgreSQL catch-up and lag, and a 3-node cluster against the embedded server")
	tlog := flag.Bool("tlog", false, "measure the verifiable log: tree appends, proofs, full verify")
	leaves := flag.Int("leaves", 10_000_000, "with -tlog: leaves in the tree")
	gongkaiBin := flag.String("gongkai", "", "with -tlog: a gongkai binary for the full verify")
	catchupOnly := flag.Bool("catchup-only", false, "with -scale: stop after the PostgreSQL catch-up")
	natsServer := flag.String("nats-server", "", "with -scale: a nats-server binary for the cluster (go build -o nats-server github.com/nats-io/nats-server/v2)")
	stored := flag.Int("stored", 1_000_000, "events to preload for the replay and latency-at-size runs (0 to skip)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	pages := flag.Bool("pages", false, "measure the public pages of a demo server (board, matter) beside the board JSON while appends run")
	auditRun := flag.Bool("audit", false, "measure an auditor's year of one community out of -stored events from 1,000 communities beside a full replay")
	county := flag.Bool("county", false, "measure a county's instance: -stored events from 1,000 communities, PostgreSQL read models; time to ready and live heap on the first start and on restarts (with -heapprofile: a heap profile of the second restart)")
	countyMemory := flag.Bool("county-memory", true, "with -county: also start once with memory read models (about 0.6 KB of heap an event: leave it out beyond a few million)")
	restartprofile := flag.String("restartprofile", "", "with -county: write a CPU profile of the second restart, until ready, to this file")
	heapprofile := flag.String("heapprofile", "", "write a heap profile to this file once the last server has stopped, before the replay (what the stopped servers left live)")
	clientList := flag.String("clients", "1,16,64", "client counts of the append table, comma-separated")
	clusterRun := flag.Bool("cluster", false, "measure appends (-clients) on the embedded server and on a 3-node cluster of -nats-server processes, each beside its raw publish")
	flag.Parse()
	for _, f := range strings.Split(*clientList, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || c < 1 {
			fmt.Fprintf(os.Stderr, "gkbench: -clients %q: want positive numbers separated by commas\n", *clientList)
			os.Exit(2)
		}
		appendClients = append(appendClients, c)
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gkbench:", err)
			os.Exit(1)
		}
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	run := func(n, stored int, restartOnly bool) error { return run(n, stored, restartOnly, *heapprofile) }
	if *finance {
		run = runFinance
	}
	if *tlog {
		run = func(_, stored int, _ bool) error { return runTlog(*leaves, stored, *gongkaiBin) }
	}
	if *clusterRun {
		run = func(n, _ int, _ bool) error { return runCluster(n, *natsServer) }
	}
	if *scale {
		run = func(n, stored int, _ bool) error { return runScale(n, stored, *natsServer, *catchupOnly) }
	}
	if *auditRun {
		run = func(_, stored int, _ bool) error { return runAudit(stored, 1000, 3) }
	}
	if *county {
		run = func(_, stored int, _ bool) error {
			return runCounty(stored, 1000, *heapprofile, *restartprofile, *countyMemory)
		}
	}
	if *pages {
		run = func(int, int, bool) error { return runPages(64, 200, 10*time.Second) }
	}
	if err := run(*n, *stored, *restartOnly); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "gkbench:", err)
		os.Exit(1)
	}
}

func run(n, stored int, restartOnly bool, heapprofile string) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "gkbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Printf("# gkbench %s, %d CPUs, GOMAXPROCS %d, %s\n\n", runtime.Version(), runtime.NumCPU(), runtime.GOMAXPROCS(0), time.Now().UTC().Format(time.RFC3339))

	// 1. Appends: raw JetStream baseline and the ledger, same server, fsync on.
	phase("appends")
	srv, err := start(ctx, dir)
	if err != nil {
		return err
	}
	js, _ := jetstream.New(srv.nc)
	rawCfg := eventstore.StreamConfig("RAW", 1, 2*time.Minute)
	rawCfg.Subjects = []string{"rawledger.>"}
	if _, err := js.CreateStream(ctx, rawCfg); err != nil {
		return err
	}
	fmt.Println("## Appends with fsync on every write")
	fmt.Println()
	fmt.Println("| path | clients | appends | appends/s | p50 ms | p99 ms | CPU µs / append | ledger / raw |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	var batches []string
	for _, clients := range appendClients[:map[bool]int{false: len(appendClients), true: 0}[restartOnly]] {
		rawRes := measure(n, clients, func(c, i int) error { return rawPublish(ctx, js, c, i) })
		floor := measure(n, clients, func(int, int) error { return healthz(srv.url) })
		before := srv.store.CommitStats()
		led := measure(n, clients, func(c, i int) error { return ledgerAppend(srv.url, fmt.Sprintf("L%d-%d-%d", clients, c, i)) })
		after := srv.store.CommitStats()
		fmt.Printf("| raw JetStream sync publish (same payload and headers) | %d | %d | %.0f | %.2f | %.2f | %.0f | |\n", clients, rawRes.n, rawRes.rate(), ms(rawRes.p(50)), ms(rawRes.p(99)), rawRes.cpuPer())
		fmt.Printf("| HTTP floor: GET /healthz of the same server | %d | %d | %.0f | %.2f | %.2f | %.0f | |\n", clients, floor.n, floor.rate(), ms(floor.p(50)), ms(floor.p(99)), floor.cpuPer())
		fmt.Printf("| ledger: HTTP API + command service | %d | %d | %.0f | %.2f | %.2f | %.0f | %.0f %% |\n", clients, led.n, led.rate(), ms(led.p(50)), ms(led.p(99)), led.cpuPer(), 100*led.rate()/rawRes.rate())
		if line, ok := batchLine(fmt.Sprintf("%d clients", clients), before, after); ok {
			batches = append(batches, line)
		}
	}
	if len(batches) > 0 {
		fmt.Printf("\nGroup commit (ADR 0011): %s.\n", strings.Join(batches, "; "))
	}
	// Command latency with 10,000 events stored: top the stream up with the
	// preload's events, and let the server's feed take them in.
	if have, _ := srv.store.LastSeq(ctx); have < 10_000 && stored > 0 {
		if err := preload(ctx, srv, dir, int(have), 10_000); err != nil {
			return err
		}
		if err := checkFacts(srv, 10_000); err != nil {
			return err
		}
	}
	smallSize, _ := srv.store.LastSeq(ctx)
	latSmall := measure(min(n, 1000), 1, func(c, i int) error { return ledgerAppend(srv.url, fmt.Sprintf("S-%d", i)) })
	srv.stop()
	if stored == 0 {
		return nil
	}

	// 2. Preload the ledger stream to `stored` events with atomic batches,
	// signed with the server's writer key; every one must be a fact.
	phase("preload")
	srv, err = start(ctx, dir)
	if err != nil {
		return err
	}
	have, _ := srv.store.LastSeq(ctx)
	t0 := time.Now()
	if err := preload(ctx, srv, dir, int(have), stored); err != nil {
		return err
	}
	fmt.Printf("\nPreloaded %d events (signed, one request each) with atomic batches of 1000 in %.1f s.\n", stored-int(have), time.Since(t0).Seconds())
	last, _ := srv.store.LastSeq(ctx)
	if err := checkFacts(srv, last); err != nil {
		return err
	}
	fmt.Printf("The server's read models applied all %d messages; /readyz names no rejected message.\n", last)
	srv.stop()

	// 3. Restart on the full stream until /readyz is 200 (idempotency
	// index, aggregate cache and board): first with no record of verified
	// signatures, so that every signature is verified (as on the first
	// start after an upgrade or a restore), then with the record the first
	// restart left in <data>/tree/verified. Then command latency at that
	// size.
	verified := filepath.Join(dir, "tree", "verified")
	if err := os.Remove(verified); err != nil && !os.IsNotExist(err) {
		return err
	}
	phase("restart, every signature verified")
	t0 = time.Now()
	if srv, err = start(ctx, dir); err != nil {
		return err
	}
	readyAll := time.Since(t0)
	if err := checkFacts(srv, last); err != nil {
		return err
	}
	srv.stop()
	if _, err := os.Stat(verified); err != nil {
		return fmt.Errorf("the first restart left no record of verified signatures: %w", err)
	}
	phase("restart, verified record present")
	t0 = time.Now()
	if srv, err = start(ctx, dir); err != nil {
		return err
	}
	readyRecorded := time.Since(t0)
	if err := checkFacts(srv, last); err != nil {
		return err
	}
	phase("latency")
	latBig := measure(min(n, 1000), 1, func(c, i int) error { return ledgerAppend(srv.url, fmt.Sprintf("B-%d", i)) })
	fmt.Printf("\n## Command latency against the size of the stream (1 client)\n\n")
	fmt.Println("| events stored | appends | p50 ms | p99 ms | appends/s |")
	fmt.Println("|---|---|---|---|---|")
	fmt.Printf("| %d | %d | %.2f | %.2f | %.0f |\n", smallSize, latSmall.n, ms(latSmall.p(50)), ms(latSmall.p(99)), latSmall.rate())
	fmt.Printf("| %d | %d | %.2f | %.2f | %.0f |\n", last, latBig.n, ms(latBig.p(50)), ms(latBig.p(99)), latBig.rate())
	fmt.Printf("\n## Restart of `gongkai serve` on %d events until /readyz is 200\n\n", last)
	fmt.Println("| start | seconds |")
	fmt.Println("|---|---|")
	fmt.Printf("| no record of verified signatures: every signature verified | %.1f |\n", readyAll.Seconds())
	fmt.Printf("| verified through %d recorded by the previous start | %.1f |\n", last, readyRecorded.Seconds())
	fmt.Printf("\nDifference: %.1f s.\n", (readyAll - readyRecorded).Seconds())

	// 4. Board replay alone, beside a plain read of the same stream.
	srv.stop()
	if heapprofile != "" {
		runtime.GC()
		if err := writeHeapProfile(heapprofile); err != nil {
			return err
		}
	}
	phase("replay")
	r, err := replay(ctx, dir, projections.NewMemoryBoard(), nil)
	if err != nil {
		return err
	}
	r.print("Replay", "board")
	return nil
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// phase notes on stderr when a step starts, to match it with the machine's
// load.
func phase(what string) {
	fmt.Fprintln(os.Stderr, time.Now().UTC().Format(time.TimeOnly), what)
}

// checkFacts waits until every read model of srv has applied the stream
// through sequence want, and fails if /readyz or the store names a stored
// message that is not a fact (a preload gkbench did not sign right).
func checkFacts(srv *server, want uint64) error {
	deadline := time.Now().Add(15 * time.Minute)
	for {
		r := readyzOf(srv.url)
		if r.Last >= want && r.caughtUp() && r.minPosition() >= want {
			if len(r.Rejected) > 0 {
				return fmt.Errorf("/readyz: %s; first: %s", r.Alarm, r.Rejected[0])
			}
			if rej := srv.store.Rejected(); len(rej) > 0 {
				return fmt.Errorf("%d stored messages are not facts; first %+v", len(rej), rej[0])
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("read models did not reach sequence %d: %+v", want, r)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// replayResult is the cost of rebuilding one read model from the stream,
// beside a plain read of the same stream.
type replayResult struct {
	events              int
	plain, rebuild      time.Duration
	before, after, peak uint64 // heap bytes
}

// replay starts only the embedded NATS server on dir (so that the heap is
// the read model's), reads the stream plainly, then rebuilds rm from it in
// batches of 512. query, if set, runs on the rebuilt read model before the
// heap is measured.
func replay(ctx context.Context, dir string, rm projections.ReadModel, query func() error) (replayResult, error) {
	var r replayResult
	runtime.GC()
	e, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{Dir: dir})
	if err != nil {
		return r, err
	}
	defer e.Close()
	js, _ := jetstream.New(e.Conn)
	st, err := eventstore.Open(ctx, js, eventstore.Config{})
	if err != nil {
		return r, err
	}
	t0 := time.Now()
	if err := st.Read(ctx, 0, func(eventstore.Stored) error { r.events++; return nil }); err != nil {
		return r, err
	}
	r.plain = time.Since(t0)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r.before = ms.HeapAlloc
	batch := make([]projections.Event, 0, 512)
	t0 = time.Now()
	err = st.Read(ctx, 0, func(ev eventstore.Stored) error {
		batch = append(batch, projector.Convert(ev))
		if len(batch) < cap(batch) {
			return nil
		}
		err := rm.Apply(ctx, batch)
		batch = batch[:0]
		if ev.Seq%65536 < 512 {
			runtime.ReadMemStats(&ms)
			r.peak = max(r.peak, ms.HeapAlloc)
		}
		return err
	})
	if err == nil {
		err = rm.Apply(ctx, batch)
	}
	if err != nil {
		return r, err
	}
	r.rebuild = time.Since(t0)
	if query != nil {
		if err := query(); err != nil {
			return r, err
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	r.after = ms.HeapAlloc
	runtime.KeepAlive(rm)
	return r, nil
}

// print writes the replay as a table and a line about memory.
func (r replayResult) print(title, name string) {
	mib := func(b uint64) float64 { return float64(b) / (1 << 20) }
	fmt.Printf("\n## %s of %d events\n\n", title, r.events)
	fmt.Println("| reader | seconds | events/s |")
	fmt.Println("|---|---|---|")
	fmt.Printf("| plain ordered-consumer read (decode envelope only) | %.2f | %.0f |\n", r.plain.Seconds(), float64(r.events)/r.plain.Seconds())
	fmt.Printf("| %s read model (memory) | %.2f | %.0f |\n", name, r.rebuild.Seconds(), float64(r.events)/r.rebuild.Seconds())
	fmt.Printf("\n%s read model after the rebuild and GC: %.0f MiB live heap (before: %.0f MiB); peak heap sampled during the rebuild %.0f MiB; process peak RSS %.0f MiB over the whole run (includes the NATS server's block cache).\n",
		name, mib(r.after), mib(r.before), mib(r.peak), maxRSSMiB())
}

type server struct {
	url   string
	nc    *nats.Conn
	store *eventstore.Store
	stop  func()
}

// start runs gongkai serve in-process on dir with fsync on. The baseline
// and the preload use gongkai's own in-process NATS connection: the
// embedded server's listener admits only a reader.
func start(ctx context.Context, dir string) (*server, error) {
	cctx, cancel := context.WithCancel(ctx)
	started := make(chan app.Started, 1)
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() {
		done <- app.Run(cctx, app.Config{Addr: "127.0.0.1:0", DataDir: dir, AdminToken: token}, log,
			func(s app.Started) { started <- s })
	}()
	var s app.Started
	select {
	case s = <-started:
	case err := <-done:
		cancel()
		return nil, err
	}
	url := "http://" + s.Addr
	for {
		resp, err := http.Get(url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	nc := s.Conn
	if code, err := post(url, "bench-community", `{"type":"community.register","aggregate_id":"bench","effective_date":"2025-01-01","data":{"name":"基准社区","kind":"社区","town":"镇","county":"县"}}`); err != nil || code/100 != 2 {
		cancel()
		return nil, fmt.Errorf("register community: %d %v", code, err)
	}
	return &server{url: url, nc: nc, store: s.Store, stop: func() { cancel(); <-done }}, nil
}

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// batchLine describes the group commit's batches between two counts, if
// there were any.
func batchLine(label string, before, after eventstore.CommitStats) (string, bool) {
	b := after.Batches - before.Batches
	if b == 0 {
		return "", false
	}
	return fmt.Sprintf("%s: %d published alone, %d group batches of %.1f appends on average, %.2f ms a batch",
		label, after.Publishes-before.Publishes, b, float64(after.BatchedRequests-before.BatchedRequests)/float64(b),
		ms((after.BatchTime-before.BatchTime)/time.Duration(b))), true
}

// healthz is one GET /healthz: an HTTP round trip through the server's
// middleware with next to no work behind it.
func healthz(url string) error {
	resp, err := client.Get(url + "/healthz")
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/healthz %d", resp.StatusCode)
	}
	return nil
}

func post(url, key, body string) (int, error) {
	return postTo(url, "bench", key, body)
}

func postTo(url, community, key, body string) (int, error) {
	req, _ := http.NewRequest(http.MethodPost, url+"/api/v1/communities/"+community+"/commands", bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", key)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

func command(id string) string {
	return fmt.Sprintf(`{"type":"matter.register","aggregate_id":%q,"effective_date":"2025-02-01","data":{"title":"基准测试事项 %s","description":"用于测量写入速率的事项，内容长度与真实事项相近。","category":"基准","amount":"1234.56"}}`, id, id)
}

func ledgerAppend(url, id string) error {
	code, err := post(url, "k-"+id, command(id))
	if err == nil && code != http.StatusCreated {
		err = fmt.Errorf("status %d", code)
	}
	return err
}

// matterEvent is a matter.registered event as the ledger stores it, for the
// baseline and the preload.
func matterEvent(id string) eventstore.Event {
	data, _ := json.Marshal(map[string]string{"title": "基准测试事项 " + id, "description": "用于测量写入速率的事项，内容长度与真实事项相近。", "category": "基准", "amount": "1234.56"})
	return eventstore.Event{ID: uuid.NewString(), Type: "matter.registered", Schema: 1, Community: "bench",
		AggregateType: "matter", AggregateID: id, EffectiveDate: "2025-02-01", RecordedAt: time.Now().UTC(),
		IdempotencyKey: "k-" + id, Actor: "admin", Data: data}
}

// envelope is matterEvent's payload.
func envelope(id string) []byte {
	b, _ := json.Marshal(matterEvent(id))
	return b
}

func rawPublish(ctx context.Context, js jetstream.JetStream, c, i int) error {
	id := fmt.Sprintf("R-%d-%d-%d", c, i, time.Now().UnixNano())
	m := baselineMsg("rawledger.bench.matter."+id, matterEvent(id), "k-"+id)
	m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, "0")
	m.Header.Set(jetstream.MsgIDHeader, m.Header.Get(eventstore.HeaderIdempotency))
	_, err := js.PublishMsg(ctx, m)
	return err
}

// preload appends matters P-have … P-(want-1) to the ledger stream of the
// running server srv on dir, signed with its writer key.
func preload(ctx context.Context, srv *server, dir string, have, want int) error {
	key, err := writerKeyOf(dir)
	if err != nil {
		return err
	}
	js, _ := jetstream.New(srv.nc)
	p, err := newPreloader(ctx, js, srv.store, key)
	if err != nil {
		return err
	}
	for i := have; i < want; i++ {
		id := "P-" + strconv.Itoa(i)
		if _, err := p.add(ctx, matterEvent(id), "k-"+id, true); err != nil {
			return err
		}
	}
	return p.flush(ctx)
}

type result struct {
	n    int
	dur  time.Duration
	lats []time.Duration
	// cpu is the CPU time (user and system) this process spent while the
	// measurement ran: with the embedded server, the server, its NATS
	// server and the clients together.
	cpu time.Duration
}

// cpuPer is the process's CPU time per operation, in microseconds.
func (r result) cpuPer() float64 { return float64(r.cpu.Microseconds()) / float64(r.n) }

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (r result) rate() float64 { return float64(r.n) / r.dur.Seconds() }
func (r result) p(q int) time.Duration {
	if len(r.lats) == 0 {
		return 0
	}
	return r.lats[min(len(r.lats)-1, len(r.lats)*q/100)]
}

// measure runs n operations spread over clients goroutines.
func measure(n, clients int, op func(client, i int) error) result {
	var mu sync.Mutex
	var lats []time.Duration
	var wg sync.WaitGroup
	start, cpu0 := time.Now(), processCPU()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, n/clients+1)
			for i := c; i < n; i += clients {
				t := time.Now()
				if err := op(c, i); err != nil {
					fmt.Fprintln(os.Stderr, "op:", err)
					os.Exit(1)
				}
				local = append(local, time.Since(t))
			}
			mu.Lock()
			lats = append(lats, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	dur, cpu := time.Since(start), processCPU()-cpu0
	slices.Sort(lats)
	return result{n: n, dur: dur, lats: lats, cpu: cpu}
}

func runtimeCPUs() int { return runtime.NumCPU() }

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func maxRSSMiB() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Maxrss) / 1024
}
