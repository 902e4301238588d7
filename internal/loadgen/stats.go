package loadgen

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Kind is a kind of operation the bench measures.
type Kind string

// The operations of the mix, and the baselines.
const (
	KindMatter     Kind = "matter stage command"
	KindVoucher    Kind = "voucher (books.post_voucher)"
	KindBoardPage  Kind = "board page GET /c/{c}"
	KindMatterPage Kind = "matter page GET /c/{c}/matters/{id}"
	KindBoardJSON  Kind = "board JSON GET /api/v1/communities/{c}/board"
	KindWrites     Kind = "all writes"
	KindReads      Kind = "all reads"
	KindRaw        Kind = "baseline: raw synchronous publish, one message per request"
	KindBatch      Kind = "baseline: atomic batch publish, coalesced"
	KindHealthz    Kind = "baseline: GET /healthz"
)

// Stats are the figures of one kind of operation.
type Stats struct {
	Kind    Kind    `json:"kind"`
	Count   int     `json:"count"` // operations that succeeded
	Events  int     `json:"events,omitempty"`
	Seconds float64 `json:"seconds"`
	// Errors counts failed operations by status and problem code
	// ("409 version_conflict", "transport").
	Errors map[string]int `json:"errors,omitempty"`
	PerSec float64        `json:"per_second"`
	P50    float64        `json:"p50_ms"`
	P90    float64        `json:"p90_ms"`
	P99    float64        `json:"p99_ms"`
	// Baseline names the baseline this figure is compared with;
	// RateRatio and P50Ratio are its rate and p50 over the baseline's.
	Baseline  Kind    `json:"baseline,omitempty"`
	RateRatio float64 `json:"rate_ratio,omitempty"`
	P50Ratio  float64 `json:"p50_ratio,omitempty"`
	// MeanBatch is the mean number of events per atomic batch (KindBatch).
	MeanBatch float64 `json:"mean_batch,omitempty"`
}

// ErrorCount is the number of failed operations.
func (s Stats) ErrorCount() int {
	n := 0
	for _, v := range s.Errors {
		n += v
	}
	return n
}

func (s Stats) errorText() string {
	n := s.ErrorCount()
	if n == 0 {
		return "0"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(s.Errors)) {
		parts = append(parts, fmt.Sprintf("%s: %d", k, s.Errors[k]))
	}
	return fmt.Sprintf("%d (%s)", n, strings.Join(parts, ", "))
}

// sample collects one kind's latencies and errors in one client; samples
// are merged after the run.
type sample struct {
	lats   []time.Duration
	events int
	errors map[string]int
}

func (s *sample) ok(d time.Duration, events int) {
	s.lats = append(s.lats, d)
	s.events += events
}

func (s *sample) fail(why string) {
	if s.errors == nil {
		s.errors = map[string]int{}
	}
	s.errors[why]++
}

func (s *sample) merge(o *sample) {
	s.lats = append(s.lats, o.lats...)
	s.events += o.events
	for k, v := range o.errors {
		if s.errors == nil {
			s.errors = map[string]int{}
		}
		s.errors[k] += v
	}
}

// stats sorts the latencies and computes the figures over elapsed.
func (s *sample) stats(kind Kind, elapsed time.Duration) Stats {
	slices.Sort(s.lats)
	p := func(q int) float64 {
		if len(s.lats) == 0 {
			return 0
		}
		return ms(s.lats[min(len(s.lats)-1, len(s.lats)*q/100)])
	}
	st := Stats{Kind: kind, Count: len(s.lats), Events: s.events, Seconds: elapsed.Seconds(), Errors: s.errors,
		P50: p(50), P90: p(90), P99: p(99)}
	if elapsed > 0 {
		st.PerSec = float64(st.Count) / elapsed.Seconds()
	}
	return st
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// compare sets s's ratios to base: the p50's, and the rate's with rate
// set. A kind that is only part of a mix has no rate ratio: its clients
// spent their time on other kinds too.
func (s *Stats) compare(base Stats, rate bool) {
	s.Baseline = base.Kind
	if rate && base.PerSec > 0 {
		s.RateRatio = s.PerSec / base.PerSec
	}
	if base.P50 > 0 {
		s.P50Ratio = s.P50 / base.P50
	}
}
