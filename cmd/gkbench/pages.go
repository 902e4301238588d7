package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gongkai/gongkai/internal/app"
)

// pageTarget is one address the pages run reads.
type pageTarget struct {
	name, path string
}

// runPages measures the public pages of the demo community beside its board
// JSON in the same run: for each address, conns clients read it as fast as
// they can for dur while an appender adds rate matters a second to another
// community, so that the stream moves under the pages all the time. The
// clients send Accept-Encoding: gzip, as browsers do, but do not decode
// the replies: the load generator shares the server's CPUs, and a
// browser's work is not the server's.
func runPages(conns, rate int, dur time.Duration) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, err := os.MkdirTemp("", "gkbench-pages-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Printf("# gkbench -pages %s, %d CPUs, GOMAXPROCS %d, %s\n\n", runtime.Version(), runtime.NumCPU(), runtime.GOMAXPROCS(0), time.Now().UTC().Format(time.RFC3339))
	phase("demo server")
	started := make(chan app.Started, 1)
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() {
		done <- app.Run(ctx, app.Config{Addr: "127.0.0.1:0", DataDir: dir, AdminToken: token, Demo: true,
			PublicURL: "https://ledger.example.org"}, log, func(s app.Started) { started <- s })
	}()
	var s app.Started
	select {
	case s = <-started:
	case err := <-done:
		return err
	}
	defer func() { cancel(); <-done }()
	url := "http://" + s.Addr
	// /readyz is 200 once the demo has loaded.
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the demo server is not ready after 2 minutes")
		}
	}
	if err := register(url, "bench"); err != nil {
		return err
	}

	targets := []pageTarget{
		{"board page", "/c/wenhualu"},
		{"matter page", "/c/wenhualu/matters/m-2025-01"},
		{"disclosure catalogue", "/c/wenhualu/disclosures"},
		{"disclosure page", "/c/wenhualu/disclosures/finance-2025-Q3"},
		{"board JSON", "/api/v1/communities/wenhualu/board"},
	}
	readers := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}}
	var notes []string
	fmt.Printf("## Reads at %d connections while %d appends a second run\n\n", conns, rate)
	fmt.Println("| address | requests | requests/s | p50 ms | p99 ms | bytes/reply (sent) | appends/s meanwhile |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, t := range targets {
		resp, err := getGzip(readers, url+t.path)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		enc := resp.Header.Get("Content-Encoding")
		if resp.StatusCode != http.StatusOK {
			notes = append(notes, fmt.Sprintf("%s %s: skipped, the server answers %d (no such page in this version)", t.name, t.path, resp.StatusCode))
			continue
		}
		phase(t.name)
		stop := make(chan struct{})
		var appended, failed atomic.Int64
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); appendAt(url, rate, stop, &appended, &failed) }()
		time.Sleep(time.Second) // the appender reaches its pace
		a0, t0 := appended.Load(), time.Now()
		res, err := readFor(readers, url+t.path, conns, dur)
		a1, t1 := appended.Load(), time.Now()
		close(stop)
		wg.Wait()
		if err != nil {
			return err
		}
		if enc != "" {
			enc = " " + enc
		}
		fmt.Printf("| %s `%s` | %d | %.0f | %.2f | %.2f | %d%s | %.0f |\n", t.name, t.path, res.n, res.rate(), ms(res.p(50)), ms(res.p(99)),
			len(body), enc, float64(a1-a0)/t1.Sub(t0).Seconds())
		if f := failed.Load(); f > 0 {
			notes = append(notes, fmt.Sprintf("%s: %d appends failed or were not sent (64 outstanding)", t.name, f))
		}
	}
	for _, n := range notes {
		fmt.Printf("\n%s\n", n)
	}
	return nil
}

// appendAt appends matters to the community "bench" at rate a second until
// stop closes, each in its own goroutine so that a slow append does not
// lower the rate (at most 64 at once).
func appendAt(url string, rate int, stop <-chan struct{}, ok, failed *atomic.Int64) {
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	slots := make(chan struct{}, 64)
	var wg sync.WaitGroup
	defer wg.Wait()
	start, issued := time.Now(), 0
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		// A late tick (the load generator shares the CPUs) issues every
		// append that is due, so that the rate holds.
		for due := int(time.Since(start).Seconds() * float64(rate)); issued < due; issued++ {
			select {
			case slots <- struct{}{}:
			default:
				failed.Add(1) // 64 appends outstanding: the ledger is behind
				continue
			}
			id := fmt.Sprintf("W-%d-%d", start.UnixNano(), issued)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-slots }()
				if err := ledgerAppend(url, id); err != nil {
					failed.Add(1)
					return
				}
				ok.Add(1)
			}()
		}
	}
}

// readFor has conns clients GET u back to back for d and returns every
// latency.
func readFor(c *http.Client, u string, conns int, d time.Duration) (result, error) {
	var mu sync.Mutex
	var lats []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	end := time.Now().Add(d)
	start := time.Now()
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []time.Duration
			var err error
			for time.Now().Before(end) {
				t := time.Now()
				var resp *http.Response
				if resp, err = getGzip(c, u); err != nil {
					break
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err == nil && resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("GET %s: status %d", u, resp.StatusCode)
				}
				if err != nil {
					break
				}
				local = append(local, time.Since(t))
			}
			mu.Lock()
			lats = append(lats, local...)
			if err != nil && firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	dur := time.Since(start)
	slices.Sort(lats)
	return result{n: len(lats), dur: dur, lats: lats}, firstErr
}

// getGzip GETs u accepting gzip, as a browser does.
func getGzip(c *http.Client, u string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept-Encoding", "gzip")
	return c.Do(req)
}
