package web_test

import (
	"bytes"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
)

// /metrics counts HTTP requests by route and status, with their latency,
// and commands by type and outcome (recorded, replayed, refused with the
// problem code), with the append's latency; what it writes passes the
// linter promtool uses.
func TestOperatorMetrics(t *testing.T) {
	s := setup(t, app.Config{})
	// One recorded, the same again (replayed), one refused by a rule.
	mustStatus(t, s.Command(t, "c1", "m-reg", register("m1", "2025-02-01")), http.StatusCreated)
	mustStatus(t, s.Command(t, "c1", "m-reg", register("m1", "2025-02-01")), http.StatusOK)
	mustStatus(t, s.Command(t, "c1", "m-again", register("m1", "2025-02-01")), http.StatusUnprocessableEntity)
	for range 3 {
		apptest.Do(t, http.MethodGet, s.URL+"/c/c1", nil, nil)
	}
	apptest.Do(t, http.MethodGet, s.URL+"/no/such/page", nil, nil)

	r := apptest.Do(t, http.MethodGet, s.URL+"/metrics", nil, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("/metrics: %d", r.Status)
	}
	problems, err := promlint.New(bytes.NewReader(r.Body)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		if strings.HasPrefix(p.Metric, "gongkai_") {
			t.Errorf("lint: %s: %s", p.Metric, p.Text)
		}
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	value := func(name string, labels map[string]string) float64 {
		t.Helper()
		f := families[name]
		if f == nil {
			t.Fatalf("no %s", name)
		}
	next:
		for _, m := range f.Metric {
			for _, lp := range m.Label {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue next
				}
			}
			return sample(m)
		}
		return -1
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"gongkai_commands_total", map[string]string{"type": "matter.register", "outcome": "recorded", "code": ""}, 1},
		{"gongkai_commands_total", map[string]string{"type": "matter.register", "outcome": "replayed", "code": ""}, 1},
		{"gongkai_commands_total", map[string]string{"type": "matter.register", "outcome": "refused", "code": "already_registered"}, 1},
		{"gongkai_http_requests_total", map[string]string{"route": "GET /c/{community}", "code": "200"}, 3},
		{"gongkai_http_requests_total", map[string]string{"route": "other", "code": "404"}, 1},
		{"gongkai_http_requests_total", map[string]string{"route": "POST /api/v1/communities/{community}/commands", "code": "422"}, 1},
		{"gongkai_http_request_duration_seconds", map[string]string{"route": "GET /c/{community}"}, 3},
	} {
		if got := value(c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// Each recorded command's append is timed (setup's registration too).
	if got := value("gongkai_command_duration_seconds", map[string]string{"outcome": "recorded"}); got < 2 {
		t.Errorf("command durations observed: %v, want at least 2", got)
	}
	// The appends went out one at a time (nothing was waiting): published
	// alone, no group batch.
	if got := value("gongkai_append_publishes_total", nil); got < 2 {
		t.Errorf("gongkai_append_publishes_total = %v, want at least 2", got)
	}
	if got := value("gongkai_append_batches_total", nil); got != 0 {
		t.Errorf("gongkai_append_batches_total = %v for appends sent one after another", got)
	}
	// The server is ready (setup waited for it), its cache holds the
	// community and the matter, its index the requests.
	if got := value("gongkai_ready_seconds", nil); got <= 0 {
		t.Errorf("gongkai_ready_seconds = %v on a ready server", got)
	}
	if got := value("gongkai_command_cache_aggregates", nil); got < 2 {
		t.Errorf("gongkai_command_cache_aggregates = %v, want at least the community and the matter", got)
	}
	if got := value("gongkai_idempotency_index_requests", nil); got < 2 {
		t.Errorf("gongkai_idempotency_index_requests = %v, want at least 2", got)
	}
	if got := value("gongkai_log_alarm", nil); got != 0 {
		t.Errorf("gongkai_log_alarm = %v on a healthy log", got)
	}
	// Every gongkai metric the Grafana dashboard plots is one /metrics
	// writes (the witnesses' only with witnesses configured).
	dash, err := os.ReadFile("../../docs/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range regexp.MustCompile(`gongkai_[a-z_]+`).FindAllString(string(dash), -1) {
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_sum"), "_count")
		if families[base] == nil && !strings.HasPrefix(base, "gongkai_witness_") {
			t.Errorf("the dashboard plots %s, which /metrics does not write", name)
		}
	}
	if strings.Contains(string(r.Body), "/no/such/page") {
		t.Errorf("a path chosen by a client became a label")
	}
}

// sample is a counter's value or a histogram's count.
func sample(m *dto.Metric) float64 {
	if c := m.GetCounter(); c != nil {
		return c.GetValue()
	}
	if h := m.GetHistogram(); h != nil {
		return float64(h.GetSampleCount())
	}
	return m.GetGauge().GetValue()
}
