package loadgen

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
)

// Machine describes where the bench ran (the bench's own process; on one
// machine the server shares it).
type Machine struct {
	CPUs       int    `json:"cpus"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	CPUModel   string `json:"cpu_model,omitempty"`
	OS         string `json:"os"`
	Go         string `json:"go"`
	// LoadStart and LoadEnd are /proc/loadavg's 1-minute load average
	// before the setup and after the run: other work on the machine.
	LoadStart string `json:"load_start,omitempty"`
	LoadEnd   string `json:"load_end,omitempty"`
}

// loadAvg is the 1-minute load average, or "" where there is none.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

func machine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), OS: runtime.GOOS + "/" + runtime.GOARCH, Go: runtime.Version(),
		LoadStart: loadAvg()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// Markdown writes the report as a section ready for docs/benchmarks.md:
// the command, the machine, the baselines and the run in one table, each
// figure beside its ratio to its baseline.
func (r *Report) Markdown(w io.Writer) error {
	bw := bufio.NewWriter(w)
	p := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }
	p("#### %d client(s), %s, mix %s\n\n", r.Clients, r.Start.Format("2006-01-02 15:04 UTC"), r.Mix)
	p("Command: `%s`\n\n", r.Command)
	m := r.Machine
	model := ""
	if m.CPUModel != "" {
		model = " (" + m.CPUModel + ")"
	}
	p("Machine: %d CPUs%s, GOMAXPROCS %d, %s, %s. Server %s, fsync `%s` (its /readyz); the bench ran on the same machine. ",
		m.CPUs, model, m.GOMAXPROCS, m.OS, m.Go, r.Server, r.Fsync)
	if m.LoadStart != "" {
		p("1-minute load average %s before the setup, %s after the run. ", m.LoadStart, m.LoadEnd)
	}
	p("Run `%s`: %d bench communities (`bench-%s-NN`), %d setup writes before the run.\n\n", r.Run, r.Communities, r.Run, r.Setup)
	if len(r.Baselines) > 0 {
		p("Baselines, measured in the same run just before the server run, with the same %d clients: GET /healthz on the server; and on %s, stream configured as gongkai's, the same mix's writes as events (command data as payload, gongkai's headers, a placeholder signature of the same size, expected last subject sequence and Msg-Id; %.0f bytes a message on average). ",
			r.Clients, r.BaselineWhere, r.BaselineBytes)
		if b, ok := r.Op(KindBatch); ok {
			p("The batch baseline coalesces every client's pending message into one atomic batch (at most 1000), one batch at a time: %.1f messages a batch on average. ", b.MeanBatch)
		}
		p("Writes are compared with the raw publish (and, in the last row, with the batch), reads with /healthz: their p50 each, and the rate of all writes (of all reads only when the mix is all reads), since a kind that is one part of the mix shares its clients' time with the others.\n\n")
	} else {
		p("No baselines (--baseline=false).\n\n")
	}
	p("| operation | count | errors | per s | p50 ms | p90 ms | p99 ms | per s ÷ baseline | p50 ÷ baseline p50 |\n")
	p("|---|---:|---|---:|---:|---:|---:|---:|---:|\n")
	row := func(s Stats, name string) {
		ratio := func(v float64) string {
			if s.Baseline == "" || v == 0 {
				return "–"
			}
			return fmt.Sprintf("%.2f", v)
		}
		count := fmt.Sprint(s.Count)
		if s.Events > s.Count && s.Kind != KindRaw && s.Kind != KindBatch {
			count = fmt.Sprintf("%d (%d events)", s.Count, s.Events)
		}
		p("| %s | %s | %s | %.0f | %.2f | %.2f | %.2f | %s | %s |\n", name, count, s.errorText(), s.PerSec, s.P50, s.P90, s.P99,
			ratio(s.RateRatio), ratio(s.P50Ratio))
	}
	for _, s := range r.Baselines {
		row(s, string(s.Kind))
	}
	for _, s := range r.Ops {
		if s.Count == 0 && s.ErrorCount() == 0 {
			continue // a kind the mix leaves out
		}
		name := string(s.Kind)
		switch {
		case s.Kind == KindWrites && s.Baseline == KindBatch:
			name = "**all writes** ÷ atomic batch"
		case s.Kind == KindWrites:
			name = "**all writes** ÷ raw publish"
		case s.Kind == KindReads:
			name = "**all reads**"
		}
		row(s, name)
	}
	if w, ok := r.Op(KindWrites); ok {
		p("\nAcknowledged writes: %d commands, %d events in %.1f s.", w.Count, w.Events, w.Seconds)
		if rd, _ := r.Op(KindReads); rd.Count > 0 {
			p(" The writes are one part of the mix (%s); the baselines publish writes only.", r.Mix)
		}
		p("\n")
	}
	return bw.Flush()
}
