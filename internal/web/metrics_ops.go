package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gongkai/gongkai/internal/command"
)

// opsMetrics are the counters and histograms an operator watches (issue
// 14, item 5): HTTP requests by route and status with their latency, and
// commands by type and outcome with the latency of their append (decide,
// sign, fsync). Routes are the mux's patterns, command types and problem
// codes fixed sets, so the label values stay few.
type opsMetrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	commands *prometheus.CounterVec
	appends  *prometheus.HistogramVec
}

func newOpsMetrics() *opsMetrics {
	return &opsMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gongkai_http_requests_total",
			Help: "HTTP requests answered, by route (the mux pattern) and status code."}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gongkai_http_request_duration_seconds",
			Help: "Time to answer an HTTP request, by route.", Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}},
			[]string{"route"}),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "gongkai_commands_total",
			Help: "Commands sent to the command service, by type and outcome: recorded, replayed (a retried idempotency key) or refused, with the problem code."},
			[]string{"type", "outcome", "code"}),
		appends: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "gongkai_command_duration_seconds",
			Help:    "Time the command service took for a request (decide, sign, append and fsync), by outcome.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}}, []string{"outcome"}),
	}
}

func (m *opsMetrics) register(reg *prometheus.Registry) {
	reg.MustRegister(m.requests, m.latency, m.commands, m.appends)
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe counts one request of route answered with code in d.
func (m *opsMetrics) observe(route string, code int, d time.Duration) {
	if m == nil {
		return // a Server not made by NewServer (tests)
	}
	if code == 0 {
		code = http.StatusOK
	}
	m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
	m.latency.WithLabelValues(route).Observe(d.Seconds())
}

// instrumented counts the commands a Commands executes.
type instrumented struct {
	Commands
	m *opsMetrics
}

func (c instrumented) Execute(ctx context.Context, req command.Request) (command.Result, error) {
	t := time.Now()
	res, err := c.Commands.Execute(ctx, req)
	outcome, code := "recorded", ""
	switch {
	case err != nil:
		outcome, code = "refused", problemFor(err).Code
	case res.Replayed:
		outcome = "replayed"
	}
	if !req.DryRun {
		c.m.appends.WithLabelValues(outcome).Observe(time.Since(t).Seconds())
	}
	for _, cmd := range req.Commands {
		c.m.commands.WithLabelValues(cmd.Type, outcome, code).Inc()
	}
	return res, err
}
