package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/eventstore"
	"github.com/gongkai/gongkai/internal/app"
)

// pgServer is a private PostgreSQL server for the benchmark.
type pgServer struct {
	dir, bin string
	port     int
}

func (p *pgServer) run(tool string, args ...string) error {
	cmd := exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(p.bin, tool)}, args...)...)
	if os.Geteuid() != 0 {
		cmd = exec.Command(filepath.Join(p.bin, tool), args...)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", tool, err, out)
	}
	return nil
}

func startPG() (*pgServer, error) {
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(bins) == 0 {
		return nil, fmt.Errorf("PostgreSQL server not installed (apt-get install -y postgresql)")
	}
	dir, err := os.MkdirTemp("", "gkbench-pg-")
	if err != nil {
		return nil, err
	}
	os.Chmod(dir, 0o777)
	p := &pgServer{dir: dir, bin: filepath.Dir(bins[0]), port: freePort()}
	if err := p.run("initdb", "-D", dir+"/data", "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"); err != nil {
		return nil, err
	}
	err = p.run("pg_ctl", "-D", dir+"/data", "-l", dir+"/log", "-w", "-o",
		fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on", p.port, dir), "start")
	return p, err
}

func (p *pgServer) dsn() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port)
}

func (p *pgServer) stop() {
	p.run("pg_ctl", "-D", p.dir+"/data", "-m", "fast", "-w", "stop")
	os.RemoveAll(p.dir)
}

func freePort() int {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// runScale measures PostgreSQL catch-up beside a plain COPY, projection lag
// at a steady append rate, and append rates on a 3-node cluster beside the
// embedded server.
func runScale(n, stored int, natsServer string, catchupOnly bool) error {
	ctx := context.Background()
	fmt.Printf("# gkbench -scale %d CPUs, %s\n\n", runtimeCPUs(), time.Now().UTC().Format(time.RFC3339))
	pg, err := startPG()
	if err != nil {
		return err
	}
	defer pg.stop()
	dir, _ := os.MkdirTemp("", "gkbench-scale-")
	defer os.RemoveAll(dir)

	// 1. Preload: half matters, half vouchers of one community.
	e, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{Dir: dir})
	if err != nil {
		return err
	}
	js, _ := jetstream.New(e.Conn)
	p, err := openSigned(ctx, js, dir)
	if err != nil {
		return err
	}
	var payloads [][]byte
	perMonth := (stored/2 + 119) / 120
	for i := range stored {
		var ev eventstore.Event
		if i%2 == 0 {
			ev = matterEvent("P-" + strconv.Itoa(i))
		} else {
			v := i / 2
			date := domain.Date{Year: 2015 + v/perMonth/12, Month: time.Month(v/perMonth%12 + 1), Day: 15}
			ev = voucherEvent("bench", date, v%perMonth+1)
		}
		payload, err := p.add(ctx, ev, "s-"+strconv.Itoa(i), i%2 == 0)
		if err != nil {
			return err
		}
		payloads = append(payloads, payload)
	}
	if err := p.flush(ctx); err != nil {
		return err
	}
	e.Close()

	// Plain COPY of the same events into one table: the PostgreSQL limit.
	conn, err := pgx.Connect(ctx, pg.dsn())
	if err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE plain (seq bigint PRIMARY KEY, body jsonb NOT NULL)`); err != nil {
		return err
	}
	t0 := time.Now()
	_, err = conn.CopyFrom(ctx, pgx.Identifier{"plain"}, []string{"seq", "body"}, pgx.CopyFromSlice(len(payloads), func(i int) ([]any, error) {
		return []any{int64(i + 1), string(payloads[i])}, nil
	}))
	if err != nil {
		return err
	}
	copyDur := time.Since(t0)
	// The same payloads as documents of a read model's docs table (both
	// indexes), written the way a writer writes them: a transaction per 250
	// documents, pipelined upserts or COPY into a staging table.
	upserts, err := upsertLimit(ctx, conn, payloads, false)
	if err != nil {
		return err
	}
	staged, err := upsertLimit(ctx, conn, payloads, true)
	if err != nil {
		return err
	}
	conn.Close(ctx)

	t0 = time.Now()
	srv, err := startWith(ctx, app.Config{Addr: "127.0.0.1:0", DataDir: dir, AdminToken: token, Postgres: pg.dsn()})
	if err != nil {
		return err
	}
	var firstAnswer, firstProgress time.Duration
	for {
		r := readyzOf(srv.url)
		if firstAnswer == 0 && r.Last > 0 {
			firstAnswer = time.Since(t0)
		}
		if firstProgress == 0 && r.minPosition() > 0 && len(r.ReadModels) > 0 {
			firstProgress = time.Since(t0)
		}
		if r.caughtUp() && r.Last >= uint64(stored) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	catchUp := time.Since(t0)
	if err := checkFacts(srv, uint64(stored)); err != nil {
		return err
	}
	fmt.Println("## PostgreSQL read models: catch-up from the stream")
	fmt.Println()
	fmt.Println("| what | events | seconds | events/s |")
	fmt.Println("|---|---|---|---|")
	fmt.Printf("| plain COPY of the same payloads into one table (the PostgreSQL limit) | %d | %.1f | %.0f |\n", stored, copyDur.Seconds(), float64(stored)/copyDur.Seconds())
	fmt.Printf("| upserts into a docs table, 250 per transaction, pipelined (`pgx.Batch`) | %d | %.1f | %.0f |\n", stored, upserts.Seconds(), float64(stored)/upserts.Seconds())
	fmt.Printf("| upserts into a docs table, 250 per transaction, `COPY` to a staging table + `INSERT … SELECT` | %d | %.1f | %.0f |\n", stored, staged.Seconds(), float64(stored)/staged.Seconds())
	fmt.Printf("| gongkai serve --postgres: board and finance caught up from 0 (start included) | %d | %.1f | %.0f |\n", stored, catchUp.Seconds(), float64(stored)/catchUp.Seconds())
	fmt.Printf("\n(/readyz answered %.1f s after the start; every read model had applied its first batch after %.1f s.)\n\n", firstAnswer.Seconds(), firstProgress.Seconds())
	if catchupOnly {
		srv.stop()
		return nil
	}

	// 2. Lag at a steady 1,000 appends/s for 20 s.
	if err := register(srv.url, "lag"); err != nil {
		return err
	}
	type sent struct {
		seq uint64
		at  time.Time
	}
	var mu sync.Mutex
	var acks []sent
	var lags []time.Duration
	stopSampling := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Add(1)
	go func() {
		defer sampler.Done()
		for {
			select {
			case <-stopSampling:
				return
			case <-time.After(10 * time.Millisecond):
			}
			r := readyzOf(srv.url)
			pos := r.minPosition()
			now := time.Now()
			mu.Lock()
			keep := acks[:0]
			for _, a := range acks {
				if a.seq <= pos {
					lags = append(lags, now.Sub(a.at))
				} else {
					keep = append(keep, a)
				}
			}
			acks = keep
			mu.Unlock()
		}
	}()
	const rate, seconds = 1000, 20
	start := time.Now()
	var wg sync.WaitGroup
	var errs int
	for c := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; i < rate*seconds; i += 32 {
				due := start.Add(time.Duration(i) * time.Second / rate)
				time.Sleep(time.Until(due))
				id := fmt.Sprintf("lag-%d", i)
				seq, err := postSeq(srv.url, "lag", id, fmt.Sprintf(`{"type":"matter.register","aggregate_id":%q,"effective_date":"2025-02-01","data":{"title":"延迟测试"}}`, id))
				mu.Lock()
				if err != nil {
					errs++
				} else {
					acks = append(acks, sent{seq, time.Now()})
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	achieved := float64(rate*seconds) / time.Since(start).Seconds()
	time.Sleep(2 * time.Second)
	close(stopSampling)
	sampler.Wait()
	slices.Sort(lags)
	pct := func(q int) float64 {
		if len(lags) == 0 {
			return 0
		}
		return float64(lags[min(len(lags)-1, len(lags)*q/100)].Microseconds()) / 1000
	}
	fmt.Printf("\n## Projection lag at a steady append rate\n\n")
	fmt.Printf("Target 1000 appends/s for %d s through the API (32 clients); achieved %.0f appends/s, %d errors. Lag from the append's acknowledgement until both PostgreSQL read models had applied it (sampled every 10 ms): p50 %.0f ms, p99 %.0f ms, max %.0f ms over %d appends.\n",
		seconds, achieved, errs, pct(50), pct(99), pct(100), len(lags))
	srv.stop()

	// 3. Append rate: embedded server against a 3-node cluster.
	if natsServer == "" {
		fmt.Println("\n(no -nats-server binary given: cluster comparison skipped)")
		return nil
	}
	return clusterAppends(ctx, n, natsServer, dir, []int{1, 16})
}

// runCluster is -cluster: clusterAppends at the -clients counts.
func runCluster(n int, natsServer string) error {
	if natsServer == "" {
		return fmt.Errorf("-cluster needs -nats-server")
	}
	dir, err := os.MkdirTemp("", "gkbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Printf("# gkbench -cluster %s, %d CPUs, GOMAXPROCS %d, %s\n", runtime.Version(), runtime.NumCPU(), runtime.GOMAXPROCS(0), time.Now().UTC().Format(time.RFC3339))
	return clusterAppends(context.Background(), n, natsServer, dir, appendClients)
}

// clusterAppends measures appends through the HTTP API beside the raw
// per-message synchronous publish, on the embedded server and on a 3-node
// cluster of natsServer processes (stream R3), at each client count, with
// the group commit's counts.
func clusterAppends(ctx context.Context, n int, natsServer, dir string, clientCounts []int) error {
	cluster, err := startClusterBench(natsServer)
	if err != nil {
		return err
	}
	defer cluster.stop()
	fmt.Printf("\n## Appends: embedded server against a 3-node cluster (stream R3), fsync on every write\n\n")
	fmt.Println("| server | path | clients | appends | appends/s | p50 ms | p99 ms | ledger / raw |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	var batches []string
	for _, target := range []struct {
		name string
		cfg  app.Config
	}{
		{"embedded", app.Config{Addr: "127.0.0.1:0", DataDir: filepath.Join(dir, "embedded"), AdminToken: token}},
		// Its tree and keys in the run's directory, not the working one,
		// where a tree left by an earlier run would not match the new
		// cluster's empty stream.
		{"3-node cluster", app.Config{Addr: "127.0.0.1:0", NATSURLs: cluster.urls, Replicas: 3, AdminToken: token, DataDir: filepath.Join(dir, "cluster")}},
	} {
		s, err := startWith(ctx, target.cfg)
		if err != nil {
			return err
		}
		if err := register(s.url, "bench"); err != nil {
			return err
		}
		jsx, _ := jetstream.New(s.nc)
		rawCfg := eventstore.StreamConfig("RAW", max(target.cfg.Replicas, 1), 2*time.Minute)
		rawCfg.Subjects = []string{"rawledger.>"}
		if _, err := jsx.CreateStream(ctx, rawCfg); err != nil {
			return err
		}
		for _, clients := range clientCounts {
			raw := measure(n, clients, func(c, i int) error { return rawPublish(ctx, jsx, c, i) })
			before := s.store.CommitStats()
			led := measure(n, clients, func(c, i int) error {
				return ledgerAppend(s.url, fmt.Sprintf("%s-%d-%d-%d", strings.ReplaceAll(target.name, " ", ""), clients, c, i))
			})
			after := s.store.CommitStats()
			fmt.Printf("| %s | raw JetStream sync publish | %d | %d | %.0f | %.2f | %.2f | |\n", target.name, clients, raw.n, raw.rate(), ms(raw.p(50)), ms(raw.p(99)))
			fmt.Printf("| %s | ledger (HTTP API) | %d | %d | %.0f | %.2f | %.2f | %.0f %% |\n", target.name, clients, led.n, led.rate(), ms(led.p(50)), ms(led.p(99)), 100*led.rate()/raw.rate())
			if line, ok := batchLine(fmt.Sprintf("%s, %d clients", target.name, clients), before, after); ok {
				batches = append(batches, line)
			}
		}
		s.stop()
	}
	if len(batches) > 0 {
		fmt.Printf("\nGroup commit (ADR 0011): %s.\n", strings.Join(batches, "; "))
	}
	return nil
}

type readyzReply struct {
	Last       uint64 `json:"stream_last_seq"`
	ReadModels []struct {
		Position  uint64 `json:"position"`
		LagEvents uint64 `json:"lag_events"`
	} `json:"read_models"`
	Alarm    string            `json:"alarm"`
	Rejected []json.RawMessage `json:"rejected_messages"`
}

func (r readyzReply) caughtUp() bool {
	ok := len(r.ReadModels) > 0
	for _, rm := range r.ReadModels {
		ok = ok && rm.LagEvents == 0
	}
	return ok
}

func (r readyzReply) minPosition() uint64 {
	var p uint64 = 1 << 63
	for _, rm := range r.ReadModels {
		p = min(p, rm.Position)
	}
	return p
}

func readyzOf(url string) readyzReply {
	var r readyzReply
	resp, err := http.Get(url + "/readyz")
	if err != nil {
		return r
	}
	defer resp.Body.Close()
	json.NewDecoder(resp.Body).Decode(&r)
	return r
}

// postSeq posts a command and returns the stream sequence of its event.
func postSeq(url, community, key, body string) (uint64, error) {
	req, _ := http.NewRequest(http.MethodPost, url+"/api/v1/communities/"+community+"/commands", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", key)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var reply struct {
		Version uint64 `json:"aggregate_version"`
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return 0, fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	err = json.Unmarshal(b, &reply)
	return reply.Version, err
}

// startWith runs gongkai in-process with cfg, and a NATS connection for
// baselines: its own to the cluster, or gongkai's in-process one to the
// embedded server (whose listener admits only a reader).
func startWith(ctx context.Context, cfg app.Config) (*server, error) {
	natsURL := strings.Join(cfg.NATSURLs, ",")
	cctx, cancel := context.WithCancel(ctx)
	started := make(chan app.Started, 1)
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() { done <- app.Run(cctx, cfg, log, func(s app.Started) { started <- s }) }()
	var s app.Started
	select {
	case s = <-started:
	case err := <-done:
		cancel()
		return nil, err
	}
	url := "http://" + s.Addr
	for readyzOf(url).ReadModels == nil {
		time.Sleep(20 * time.Millisecond)
	}
	if natsURL == "" {
		return &server{url: url, nc: s.Conn, store: s.Store, stop: func() { cancel(); <-done }}, nil
	}
	nc, err := nats.Connect(natsURL)
	if err != nil {
		cancel()
		return nil, err
	}
	return &server{url: url, nc: nc, store: s.Store, stop: func() { nc.Close(); cancel(); <-done }}, nil
}

type benchCluster struct {
	urls  []string
	procs []*exec.Cmd
	dir   string
}

func (c *benchCluster) stop() {
	for _, p := range c.procs {
		p.Process.Kill()
		p.Wait()
	}
	os.RemoveAll(c.dir)
}

func startClusterBench(bin string) (*benchCluster, error) {
	dir, _ := os.MkdirTemp("", "gkbench-cluster-")
	c := &benchCluster{dir: dir}
	var client, route [3]int
	for i := range 3 {
		client[i], route[i] = freePort(), freePort()
	}
	for i := range 3 {
		var routes []string
		for j := range 3 {
			if j != i {
				routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", route[j]))
			}
		}
		conf := filepath.Join(dir, fmt.Sprintf("n%d.conf", i+1))
		os.WriteFile(conf, []byte(fmt.Sprintf("server_name: n%d\nhost: 127.0.0.1\nport: %d\njetstream { store_dir: %q, sync_interval: always }\ncluster { name: bench, host: 127.0.0.1, port: %d, routes: [%s] }\n",
			i+1, client[i], filepath.Join(dir, fmt.Sprint("n", i+1)), route[i], strings.Join(routes, ", "))), 0o644)
		p := exec.Command(bin, "-c", conf)
		if err := p.Start(); err != nil {
			return nil, err
		}
		c.procs = append(c.procs, p)
		c.urls = append(c.urls, fmt.Sprintf("nats://127.0.0.1:%d", client[i]))
	}
	nc, err := nats.Connect(strings.Join(c.urls, ","), nats.RetryOnFailedConnect(true), nats.MaxReconnects(-1))
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	for deadline := time.Now().Add(30 * time.Second); ; {
		cctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := js.AccountInfo(cctx)
		cancel()
		if err == nil {
			return c, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("cluster not ready: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// upsertLimit writes payloads as documents into a table shaped like a read
// model's docs table, 250 per transaction, and returns how long it took.
func upsertLimit(ctx context.Context, conn *pgx.Conn, payloads [][]byte, staged bool) (time.Duration, error) {
	const per = 250
	if _, err := conn.Exec(ctx, `DROP TABLE IF EXISTS docs;
		CREATE TABLE docs (community text NOT NULL, kind text NOT NULL, key text NOT NULL,
			ord bigint NOT NULL, seq bigint NOT NULL, body jsonb NOT NULL, PRIMARY KEY (community, kind, key));
		CREATE INDEX ON docs (community, seq);
		CREATE TEMP TABLE IF NOT EXISTS stage (community text, kind text, key text, ord bigint, seq bigint, body text) ON COMMIT DELETE ROWS`); err != nil {
		return 0, err
	}
	const upsert = ` ON CONFLICT (community, kind, key) DO UPDATE SET seq = EXCLUDED.seq, body = EXCLUDED.body`
	t0 := time.Now()
	for i := 0; i < len(payloads); i += per {
		tx, err := conn.Begin(ctx)
		if err != nil {
			return 0, err
		}
		rows := make([][]any, 0, per)
		for j := i; j < min(i+per, len(payloads)); j++ {
			rows = append(rows, []any{"bench", "doc", strconv.Itoa(j), int64(j + 1), int64(j + 1), string(payloads[j])})
		}
		if staged {
			if _, err = tx.CopyFrom(ctx, pgx.Identifier{"stage"}, []string{"community", "kind", "key", "ord", "seq", "body"}, pgx.CopyFromRows(rows)); err == nil {
				_, err = tx.Exec(ctx, `INSERT INTO docs SELECT community, kind, key, ord, seq, body::jsonb FROM stage`+upsert)
			}
		} else {
			b := &pgx.Batch{}
			for _, r := range rows {
				b.Queue(`INSERT INTO docs (community, kind, key, ord, seq, body) VALUES ($1, $2, $3, $4, $5, $6)`+upsert, r...)
			}
			err = tx.SendBatch(ctx, b).Close()
		}
		if err == nil {
			err = tx.Commit(ctx)
		}
		if err != nil {
			tx.Rollback(ctx)
			return 0, err
		}
	}
	return time.Since(t0), nil
}
