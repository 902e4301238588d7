package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/eventstore"
	"github.com/gongkai/gongkai/internal/app"
)

// runCounty measures a county's instance (issue 14): stored events from
// communities communities, preloaded straight into the stream (signed with
// the instance's writer key, one request each: a registration per
// community, then matters registered and moved through two stages), then
// `gongkai serve` with PostgreSQL read models started on it twice: the
// first start catches the read models up from nothing, the second is a
// restart. For each: the time until /readyz is 200 with every read model
// caught up, and the live heap after a forced GC (the whole process: the
// embedded NATS server, gongkai and this driver, which holds nothing of
// the preload by then). With memory read models too, for comparison.
func runCounty(stored, communities int, heapprofile, restartprofile string, withMemory bool) error {
	ctx := context.Background()
	fmt.Printf("# gkbench -county %d events, %d communities, %d CPUs, %s, %s\n\n", stored, communities, runtime.NumCPU(), runtime.Version(),
		time.Now().UTC().Format(time.RFC3339))
	pg, err := startPG()
	if err != nil {
		return err
	}
	defer pg.stop()
	dir, err := os.MkdirTemp("", "gkbench-county-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	phase("preload")
	t0 := time.Now()
	if err := preloadCounty(ctx, dir, stored, communities); err != nil {
		return err
	}
	fmt.Printf("Preloaded %d events in %.1f s.\n\n", stored, time.Since(t0).Seconds())

	fmt.Println("| start | read models | ready (s) | live heap after GC (MiB) | heap objects | RSS (MiB) |")
	fmt.Println("|---|---|---|---|---|---|")
	type start struct {
		what string
		cfg  app.Config
	}
	starts := []start{
		{"first start: read models from nothing", app.Config{Postgres: pg.dsn()}},
		{"restart", app.Config{Postgres: pg.dsn()}},
		{"restart", app.Config{Postgres: pg.dsn()}},
	}
	if withMemory {
		starts = append(starts, start{"start", app.Config{}})
	}
	for i, run := range starts {
		phase(run.what)
		cfg := run.cfg
		cfg.Addr, cfg.DataDir, cfg.AdminToken = "127.0.0.1:0", dir, token
		var profile *os.File
		if i == 2 && restartprofile != "" {
			if profile, err = os.Create(restartprofile); err != nil {
				return err
			}
			if err := pprof.StartCPUProfile(profile); err != nil {
				return err
			}
		}
		t := time.Now()
		srv, err := startWith(ctx, cfg)
		if err != nil {
			return err
		}
		// Ready: /readyz answers 200 (the command service has caught up
		// too) and every read model has applied the whole stream.
		for {
			r := readyzOf(srv.url)
			if r.caughtUp() && r.Last >= uint64(stored) && readyzOK(srv.url) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		ready := time.Since(t)
		if profile != nil {
			pprof.StopCPUProfile()
			profile.Close()
		}
		if err := checkFacts(srv, uint64(stored)); err != nil {
			return err
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		backend := "PostgreSQL"
		if cfg.Postgres == "" {
			backend = "memory"
		}
		fmt.Printf("| %s | %s | %.1f | %.0f | %d | %.0f |\n", run.what, backend, ready.Seconds(), float64(ms.HeapAlloc)/(1<<20), ms.HeapObjects, rssMiB())
		if i == 2 {
			// The live heap is read; now commands on matters the
			// restarted server has not held yet (read from the log), then
			// on the same matters again (cached).
			if err := measureColdCommands(srv.url, stored, communities); err != nil {
				return err
			}
		}
		if i == 2 && heapprofile != "" {
			if err := writeHeapProfile(heapprofile); err != nil {
				return err
			}
		}
		srv.stop()
	}
	return nil
}

// preloadCounty writes the county's events with the writer key the server
// will find in dir.
func preloadCounty(ctx context.Context, dir string, stored, communities int) error {
	e, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{Dir: dir})
	if err != nil {
		return err
	}
	defer e.Close()
	js, _ := jetstream.New(e.Conn)
	p, err := openSigned(ctx, js, dir)
	if err != nil {
		return err
	}
	p.track = true
	add := func(c, aggType, id, typ string, day domain.Date, data any, fresh bool, key string) error {
		b, _ := json.Marshal(data)
		ev := eventstore.Event{ID: uuid.NewString(), Type: typ, Schema: domain.SchemaVersion, Community: c,
			AggregateType: aggType, AggregateID: id, EffectiveDate: day.String(),
			RecordedAt: time.Date(day.Year, day.Month, day.Day, 9, 0, 0, 0, domain.Shanghai).UTC(), Actor: "admin", Data: b}
		_, err := p.add(ctx, ev, key, fresh)
		return err
	}
	for i := range communities {
		c := fmt.Sprintf("c-%04d", i)
		data := map[string]string{"name": "基准社区 " + c, "kind": "社区", "town": fmt.Sprintf("镇%02d", i/50), "county": "县"}
		if err := add(c, domain.AggregateCommunity, c, domain.EvCommunityRegistered, domain.Date{Year: 2016, Month: 1, Day: 4}, data, true, "k-"+c); err != nil {
			return err
		}
	}
	// Matters of three events each (registered, proposed, consulted),
	// spread over ten years, communities interleaved.
	for i := 0; i < stored-communities; i += 3 {
		c := fmt.Sprintf("c-%04d", (i/3)%communities)
		n := i / 3 / communities
		id := fmt.Sprintf("m-%d", n)
		day := domain.Date{Year: 2016, Month: 1, Day: 5}.AddDays(n % 3650)
		reg := map[string]string{"title": "基准测试事项 " + id, "description": "用于测量县级实例内存与重启的事项，内容长度与真实事项相近。", "category": "基准", "amount": "1234.56"}
		if err := add(c, domain.AggregateMatter, id, domain.EvMatterRegistered, day, reg, true, "k-"+c+"-"+id); err != nil {
			return err
		}
		for j, st := range []string{domain.EvMatterProposed, domain.EvMatterConsulted}[:min(2, stored-communities-i-1)] {
			data := map[string]any{"summary": "基准测试：两委会议纪要摘要，长度与真实记录相近。"}
			if err := add(c, domain.AggregateMatter, id, st, day.AddDays(j+1), data, false, fmt.Sprintf("k-%s-%s-%d", c, id, j)); err != nil {
				return err
			}
		}
	}
	return p.flush(ctx)
}

// readyzOK reports whether /readyz answers 200.
func readyzOK(url string) bool {
	resp, err := http.Get(url + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// rssMiB is the process's resident size now.
func rssMiB() float64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	var size, rss int64
	fmt.Sscan(string(b), &size, &rss)
	return float64(rss*int64(os.Getpagesize())) / (1 << 20)
}

// measureColdCommands sends a review to 200 preloaded matters the server
// has not held since its start, one at a time, then a resolution to each
// (now cached), and prints the latencies: what a matter read from the log
// on demand costs a command (ADR 0012).
func measureColdCommands(url string, stored, communities int) error {
	matters := (stored - communities) / 3 / communities // per community
	if matters < 1 {
		return nil
	}
	const k = 200
	rng := rand.New(rand.NewPCG(14, 2026))
	type target struct {
		c, id string
		day   domain.Date
	}
	seen := map[target]bool{}
	var targets []target
	for len(targets) < k && len(seen) < communities*matters {
		n := rng.IntN(matters)
		t := target{fmt.Sprintf("c-%04d", rng.IntN(communities)), fmt.Sprintf("m-%d", n),
			domain.Date{Year: 2016, Month: 1, Day: 5}.AddDays(n%3650 + 3)}
		if !seen[t] {
			seen[t] = true
			targets = append(targets, t)
		}
	}
	run := func(what, typ, data string, days int) ([]time.Duration, error) {
		var lat []time.Duration
		for _, t := range targets {
			body := fmt.Sprintf(`{"type":%q,"aggregate_id":%q,"effective_date":%q,"data":%s}`, typ, t.id, t.day.AddDays(days).String(), data)
			start := time.Now()
			code, err := postTo(url, t.c, "cold-"+what+"-"+t.c+"-"+t.id, body)
			if err != nil {
				return nil, err
			}
			if code != http.StatusCreated {
				return nil, fmt.Errorf("%s %s/%s: status %d", typ, t.c, t.id, code)
			}
			lat = append(lat, time.Since(start))
		}
		return lat, nil
	}
	cold, err := run("review", domain.CmdReviewMatter, `{"votes":{"expected":6,"present":6,"for":6}}`, 0)
	if err != nil {
		return err
	}
	warm, err := run("resolve", domain.CmdResolveMatter, `{"votes":{"expected":15,"present":12,"for":11,"abstain":1},"text":"同意"}`, 5)
	if err != nil {
		return err
	}
	q := func(l []time.Duration, p float64) float64 {
		l = slices.Clone(l)
		slices.Sort(l)
		return float64(l[int(p*float64(len(l)-1))].Microseconds()) / 1000
	}
	fmt.Printf("\nCommands after the restart, one at a time, on %d matters out of %d: first command on each (read from the log) p50 %.2f ms, p99 %.2f ms; second (cached) p50 %.2f ms, p99 %.2f ms.\n\n",
		len(targets), communities*matters, q(cold, 0.5), q(cold, 0.99), q(warm, 0.5), q(warm, 0.99))
	return nil
}
