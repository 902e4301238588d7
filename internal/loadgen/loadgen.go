// Package loadgen drives a running gongkai server with a realistic mix of
// clerks' commands and residents' reads, and measures, in the same run,
// the JetStream baselines the server's writes are judged against: a raw
// synchronous publish of one message per request, and atomic batches of
// the same messages, both with fsync on every write. `gongkai bench` is
// its command line; docs/benchmarks.md has its results.
//
// The server is written to only through its commands endpoint, in bench
// communities of its own (ids bench-<run>-NN, named as bench data), so a
// run never touches a real community's records.
package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config is one bench run.
type Config struct {
	// Server is the gongkai server's base URL, Token an administrator's
	// token (community registration needs one).
	Server, Token string
	// Clients is the number of concurrent clients, in the server run and
	// in every baseline.
	Clients int
	// Duration is how long the server run lasts; BaselineDuration how
	// long each baseline does (default Duration).
	Duration, BaselineDuration time.Duration
	// Communities is the number of bench communities the clients share.
	Communities int
	Mix         Mix
	// Baseline turns the baselines on; BaselineDir is where their private
	// NATS server keeps its files (a temporary directory is made in it and
	// removed afterwards). Put it on the server's data filesystem.
	Baseline    bool
	BaselineDir string
	// Acked, if set, receives one line per acknowledged write, setup
	// included: "community key events".
	Acked io.Writer
	// Command is the command line, for the report.
	Command string
	Log     *slog.Logger
}

// Mix is the share of each kind of operation, in percent; they add up to
// 100. Reads are split evenly over the board page, a matter page and the
// board JSON.
type Mix struct {
	Matter, Voucher, Read int
}

// DefaultMix is 40 % matter stage commands, 30 % vouchers and 30 % reads.
var DefaultMix = Mix{Matter: 40, Voucher: 30, Read: 30}

func (m Mix) String() string {
	return fmt.Sprintf("matter=%d,voucher=%d,read=%d", m.Matter, m.Voucher, m.Read)
}

// ParseMix reads "matter=40,voucher=30,read=30"; kinds left out are 0.
func ParseMix(s string) (Mix, error) {
	var m Mix
	for part := range strings.SplitSeq(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(strings.TrimSuffix(val, "%"))
		if !ok || err != nil || n < 0 {
			return Mix{}, fmt.Errorf("mix %q: want kind=percent, such as matter=40,voucher=30,read=30", s)
		}
		switch name {
		case "matter":
			m.Matter = n
		case "voucher":
			m.Voucher = n
		case "read":
			m.Read = n
		default:
			return Mix{}, fmt.Errorf("mix %q: unknown kind %q (matter, voucher, read)", s, name)
		}
	}
	if m.Matter+m.Voucher+m.Read != 100 {
		return Mix{}, fmt.Errorf("mix %q: the shares add up to %d, not 100", s, m.Matter+m.Voucher+m.Read)
	}
	return m, nil
}

// Report is the outcome of a run.
type Report struct {
	Command string    `json:"command"`
	Start   time.Time `json:"start"`
	Machine Machine   `json:"machine"`
	Server  string    `json:"server"`
	// Fsync is the server's fsync mode as its /readyz states it.
	Fsync       string `json:"fsync"`
	Clients     int    `json:"clients"`
	Communities int    `json:"communities"`
	Mix         string `json:"mix"`
	Run         string `json:"run"` // the run's id, in community ids and keys
	// Ops are the server run's figures, per kind and overall.
	Ops []Stats `json:"ops"`
	// Baselines are the baselines' figures; BaselineWhere says where they
	// published and BaselineBytes the mean size of a message (payload and
	// headers).
	Baselines     []Stats `json:"baselines,omitempty"`
	BaselineWhere string  `json:"baseline_where,omitempty"`
	BaselineBytes float64 `json:"baseline_message_bytes,omitempty"`
	// Setup counts the writes made before the run: registrations and one
	// matter per community.
	Setup int `json:"setup_writes"`
}

// Op returns the figures of kind, from the run or the baselines.
func (r *Report) Op(kind Kind) (Stats, bool) {
	for _, s := range append(append([]Stats{}, r.Ops...), r.Baselines...) {
		if s.Kind == kind {
			return s, true
		}
	}
	return Stats{}, false
}

// Run sets up the bench communities, measures the baselines (when
// cfg.Baseline), then drives the server for cfg.Duration. It returns an
// error when the server cannot be set up or a baseline fails; failed
// operations during the run are counted in the report, not returned.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Clients < 1 || cfg.Communities < 1 || cfg.Duration <= 0 {
		return nil, fmt.Errorf("clients, communities and duration must be positive")
	}
	if cfg.BaselineDuration <= 0 {
		cfg.BaselineDuration = cfg.Duration
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	b := &bench{cfg: cfg, run: runID(), http: &http.Client{
		Timeout: time.Minute,
		Transport: &http.Transport{MaxIdleConns: cfg.Clients + 4, MaxIdleConnsPerHost: cfg.Clients + 4,
			DisableCompression: true},
	}}
	defer b.http.CloseIdleConnections()
	rep := &Report{Command: cfg.Command, Start: time.Now().UTC(), Machine: machine(), Server: cfg.Server,
		Clients: cfg.Clients, Communities: cfg.Communities, Mix: cfg.Mix.String(), Run: b.run}
	var err error
	if rep.Fsync, err = b.fsync(ctx); err != nil {
		return nil, err
	}
	cfg.Log.Info("setting up bench communities", "run", b.run, "communities", cfg.Communities)
	if rep.Setup, err = b.setup(ctx); err != nil {
		return nil, err
	}
	if cfg.Baseline {
		if err := b.baselines(ctx, rep); err != nil {
			return nil, fmt.Errorf("baseline: %w", err)
		}
	}
	cfg.Log.Info("driving the server", "clients", cfg.Clients, "duration", cfg.Duration)
	rep.Ops = b.drive(ctx)
	rep.Machine.LoadEnd = loadAvg()
	if cfg.Baseline {
		raw, _ := rep.Op(KindRaw)
		batch, _ := rep.Op(KindBatch)
		healthz, _ := rep.Op(KindHealthz)
		var extra []Stats
		for i := range rep.Ops {
			s := &rep.Ops[i]
			switch s.Kind {
			case KindMatter, KindVoucher:
				s.compare(raw, false)
			case KindWrites:
				s.compare(raw, true)
				vs := *s
				vs.compare(batch, true)
				extra = append(extra, vs)
			case KindBoardPage, KindMatterPage, KindBoardJSON, KindReads:
				s.compare(healthz, b.cfg.Mix.Read == 100)
			}
		}
		rep.Ops = append(rep.Ops, extra...)
	}
	return rep, ctx.Err()
}

type bench struct {
	cfg         Config
	run         string
	http        *http.Client
	communities []string
	books       []*books
	seeds       []string // one matter per community, on its board before the run
	ackMu       sync.Mutex
}

// runID is 6 random hex digits, so that runs against one server never
// share a community or a key.
func runID() string {
	return fmt.Sprintf("%06x", rand.Uint32()&0xffffff)
}

// fsync reads the server's fsync mode from /readyz, which must answer 200.
func (b *bench) fsync(ctx context.Context) (string, error) {
	code, body, err := b.get(ctx, "/readyz")
	if err != nil {
		return "", fmt.Errorf("server %s: %w", b.cfg.Server, err)
	}
	if code != http.StatusOK {
		return "", fmt.Errorf("server %s is not ready: /readyz %d %s", b.cfg.Server, code, bytes.TrimSpace(body))
	}
	var r struct {
		Fsync any `json:"fsync"`
	}
	_ = json.Unmarshal(body, &r)
	return fmt.Sprint(r.Fsync), nil
}

// setup registers the bench communities and one matter in each, and waits
// until every board shows its matter.
func (b *bench) setup(ctx context.Context) (int, error) {
	n := 0
	seedClerk := &clerk{run: b.run, client: 0}
	for i := range b.cfg.Communities {
		id := fmt.Sprintf("bench-%s-%02d", b.run, i+1)
		b.communities = append(b.communities, id)
		b.books = append(b.books, &books{})
		reg := write{community: id, key: "bench-" + b.run + "-register-" + id, envelope: envelope{
			Type: "community.register", AggregateID: id, EffectiveDate: "2025-01-01",
			Data: json.RawMessage(fmt.Sprintf(`{"name":"基准测试数据 %s（bench data, not a community）","kind":"社区","town":"基准测试镇 bench","county":"基准测试县 bench"}`, id)),
		}}
		seedClerk.client = -(i + 1)
		seed := seedClerk.matterWrite(id)
		seedClerk.matter = ""
		for _, w := range []write{reg, seed} {
			r := b.send(ctx, w)
			if r.err != nil {
				return n, fmt.Errorf("set up %s: %s %s: %w", id, w.envelope.Type, w.envelope.AggregateID, r.err)
			}
			n++
		}
		b.seeds = append(b.seeds, seed.envelope.AggregateID)
	}
	deadline := time.Now().Add(30 * time.Second)
	for i, c := range b.communities {
		for {
			code, _, err := b.get(ctx, "/c/"+c+"/matters/"+b.seeds[i])
			if err == nil && code == http.StatusOK {
				break
			}
			if time.Now().After(deadline) {
				return n, fmt.Errorf("set up %s: matter %s not on the board after 30 s (%d, %v)", c, b.seeds[i], code, err)
			}
			select {
			case <-ctx.Done():
				return n, ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	return n, nil
}

// reply is the outcome of one request: the events recorded and the
// aggregate's version on success, else why it failed.
type reply struct {
	events  int
	version uint64
	err     error
	why     string // status and problem code, or "transport"
	unknown bool   // no answer: the command may or may not be recorded
}

// send posts one write to the commands endpoint and, when it is
// acknowledged, notes it in cfg.Acked.
func (b *bench) send(ctx context.Context, w write) reply {
	body, _ := json.Marshal(w.envelope)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		b.cfg.Server+"/api/v1/communities/"+url.PathEscape(w.community)+"/commands", bytes.NewReader(body))
	if err != nil {
		return reply{err: err, why: "request"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+b.cfg.Token)
	req.Header.Set("Idempotency-Key", w.key)
	resp, err := b.http.Do(req)
	if err != nil {
		return reply{err: err, why: "transport", unknown: true}
	}
	out, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return reply{err: err, why: "transport", unknown: true}
	}
	if resp.StatusCode != http.StatusCreated {
		var p struct {
			Code   string `json:"code"`
			Detail string `json:"detail"`
		}
		_ = json.Unmarshal(out, &p)
		why := strconv.Itoa(resp.StatusCode)
		if p.Code != "" {
			why += " " + p.Code
		}
		if resp.StatusCode == http.StatusOK {
			why += " replayed" // a fresh key must not be a replay
		}
		return reply{err: fmt.Errorf("%s: %s", why, p.Detail), why: why, unknown: resp.StatusCode >= 500}
	}
	var r struct {
		Events []struct {
			StreamSeq uint64 `json:"stream_seq"`
		} `json:"events"`
		Version uint64 `json:"aggregate_version"`
	}
	if err := json.Unmarshal(out, &r); err != nil || len(r.Events) == 0 {
		return reply{err: fmt.Errorf("201 with a reply not understood: %.200s", out), why: "201 unreadable", unknown: true}
	}
	if b.cfg.Acked != nil {
		b.ackMu.Lock()
		fmt.Fprintf(b.cfg.Acked, "%s %s %d\n", w.community, w.key, len(r.Events))
		b.ackMu.Unlock()
	}
	return reply{events: len(r.Events), version: r.Version}
}

// get reads path and returns its status and body. It sends
// Accept-Encoding: gzip, as browsers do, and does not decode the reply.
func (b *bench) get(ctx context.Context, path string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.cfg.Server+path, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := b.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// kinds in the order of the report.
var runKinds = []Kind{KindMatter, KindVoucher, KindWrites, KindBoardPage, KindMatterPage, KindBoardJSON, KindReads}

// drive runs the mix with cfg.Clients clients for cfg.Duration.
func (b *bench) drive(ctx context.Context) []Stats {
	samples := make([]map[Kind]*sample, b.cfg.Clients)
	ctx, cancel := context.WithTimeout(ctx, b.cfg.Duration+time.Minute)
	defer cancel()
	end := time.Now().Add(b.cfg.Duration)
	start := time.Now()
	var wg sync.WaitGroup
	for c := range b.cfg.Clients {
		samples[c] = map[Kind]*sample{}
		for _, k := range runKinds {
			samples[c][k] = &sample{}
		}
		wg.Go(func() { b.client(ctx, c, end, samples[c]) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	var out []Stats
	for _, k := range runKinds {
		all := &sample{}
		for _, s := range samples {
			all.merge(s[k])
			switch {
			case k == KindWrites:
				all.merge(s[KindMatter])
				all.merge(s[KindVoucher])
			case k == KindReads:
				all.merge(s[KindBoardPage])
				all.merge(s[KindMatterPage])
				all.merge(s[KindBoardJSON])
			}
		}
		out = append(out, all.stats(k, elapsed))
	}
	return out
}

// client is one clerk and resident: until end, it picks an operation by
// the mix and does it. Writes go to the clerk's own community; reads to
// any bench community.
func (b *bench) client(ctx context.Context, c int, end time.Time, s map[Kind]*sample) {
	rng := rand.New(rand.NewPCG(uint64(c), uint64(time.Now().UnixNano())))
	own := c % len(b.communities)
	cl := &clerk{run: b.run, client: c}
	for time.Now().Before(end) && ctx.Err() == nil {
		r := rng.IntN(100)
		switch {
		case r < b.cfg.Mix.Matter:
			w := cl.matterWrite(b.communities[own])
			t := time.Now()
			rep := b.send(ctx, w)
			d := time.Since(t)
			cl.matterDone(rep.err == nil, rep.version)
			record(s[KindMatter], d, rep)
		case r < b.cfg.Mix.Matter+b.cfg.Mix.Voucher:
			bk := b.books[own]
			bk.mu.Lock()
			date, number := bk.next()
			w := cl.voucherWrite(b.communities[own], date, number)
			t := time.Now()
			rep := b.send(ctx, w)
			d := time.Since(t)
			bk.release(rep.err == nil, rep.unknown)
			bk.mu.Unlock()
			record(s[KindVoucher], d, rep)
		default:
			comm := rng.IntN(len(b.communities))
			kind, path := KindBoardJSON, "/api/v1/communities/"+b.communities[comm]+"/board"
			switch rng.IntN(3) {
			case 0:
				kind, path = KindBoardPage, "/c/"+b.communities[comm]
			case 1:
				// A matter taken through every stage some time ago, or
				// a community's seed matter: both are on the board.
				m := b.seeds[comm]
				if len(cl.done) > 0 && rng.IntN(2) == 0 {
					comm, m = own, cl.done[rng.IntN(len(cl.done))]
				}
				kind, path = KindMatterPage, "/c/"+b.communities[comm]+"/matters/"+m
			}
			t := time.Now()
			code, _, err := b.get(ctx, path)
			d := time.Since(t)
			switch {
			case err != nil:
				s[kind].fail("transport")
			case code != http.StatusOK:
				s[kind].fail(strconv.Itoa(code))
			default:
				s[kind].ok(d, 0)
			}
		}
	}
}

func record(s *sample, d time.Duration, r reply) {
	if r.err != nil {
		if errors.Is(r.err, context.Canceled) || errors.Is(r.err, context.DeadlineExceeded) {
			r.why = "cancelled"
		}
		s.fail(r.why)
		return
	}
	s.ok(d, r.events)
}
