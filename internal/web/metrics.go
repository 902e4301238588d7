package web

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics is gongkai's Prometheus collector: the stream's last sequence and
// each read model's position and lag, read when scraped.
type metrics struct {
	s        *Server
	last     *prometheus.Desc
	position *prometheus.Desc
	lagN     *prometheus.Desc
	lagS     *prometheus.Desc
	writer   *prometheus.Desc
	tree     *prometheus.Desc
	cpSize   *prometheus.Desc
	gaps     *prometheus.Desc
	rejected *prometheus.Desc
	alarm    *prometheus.Desc
	seqr     *prometheus.Desc
	commits  [6]*prometheus.Desc
	figures  [3]*prometheus.Desc
	cacheIO  [2]*prometheus.Desc
	witness  [2]*prometheus.Desc
}

func newMetricsHandler(s *Server) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.ops.register(reg)
	labels := []string{"read_model", "backend"}
	reg.MustRegister(&metrics{
		s:        s,
		last:     prometheus.NewDesc("gongkai_stream_last_seq", "Last sequence of the ledger stream.", nil, nil),
		position: prometheus.NewDesc("gongkai_read_model_position", "Last stream sequence a read model has applied.", labels, nil),
		lagN:     prometheus.NewDesc("gongkai_read_model_lag_events", "Stream events a read model has not applied yet.", labels, nil),
		lagS:     prometheus.NewDesc("gongkai_read_model_lag_seconds", "Age of the oldest stream event a read model has not applied.", labels, nil),
		writer:   prometheus.NewDesc("gongkai_read_model_writer", "1 when this instance writes the read model.", labels, nil),
		tree:     prometheus.NewDesc("gongkai_tree_size", "Leaves in this instance's Merkle tree of the log.", nil, nil),
		cpSize:   prometheus.NewDesc("gongkai_checkpoint_size", "Size of the latest signed checkpoint.", nil, nil),
		gaps:     prometheus.NewDesc("gongkai_tree_gaps", "Stream sequences found missing and recorded as gap leaves (an alarm).", nil, nil),
		rejected: prometheus.NewDesc("gongkai_rejected_messages", "Stored messages that are not facts: no valid writer signature, or a copy (an alarm).", nil, nil),
		alarm: prometheus.NewDesc("gongkai_log_alarm", "1 while the verifiable log holds an alarm (a tree write failed, a gap, a signing error, "+
			"or a checkpoint cosigned by fewer witnesses than the quorum); /readyz says which.", nil, nil),
		seqr: prometheus.NewDesc("gongkai_log_sequencer", "1 when this instance is the sequencer that signs checkpoints.", nil, nil),
		commits: [6]*prometheus.Desc{
			prometheus.NewDesc("gongkai_append_publishes_total", "Appends published on their own (no other append was waiting).", nil, nil),
			prometheus.NewDesc("gongkai_append_batches_total", "Group commits: atomic batches holding the appends that waited while another publish was outstanding.", nil, nil),
			prometheus.NewDesc("gongkai_append_batched_requests_total", "Appends (requests) committed in group batches; divided by the batches, the mean batch size.", nil, nil),
			prometheus.NewDesc("gongkai_append_batched_messages_total", "Events (messages) committed in group batches.", nil, nil),
			prometheus.NewDesc("gongkai_append_batch_fallbacks_total", "Group batches JetStream refused (a stale check in one append), whose appends were then published one by one.", nil, nil),
			prometheus.NewDesc("gongkai_append_batch_seconds_total", "Time spent publishing group batches, until durable.", nil, nil),
		},
		figures: [3]*prometheus.Desc{
			prometheus.NewDesc("gongkai_ready_seconds", "Seconds from the process's start until the command service first caught up with the stream (0 until then).", nil, nil),
			prometheus.NewDesc("gongkai_command_cache_aggregates", "Aggregates whose state the command service keeps in memory.", nil, nil),
			prometheus.NewDesc("gongkai_idempotency_index_requests", "Requests the idempotency index holds in memory (about 40 bytes each).", nil, nil),
		},
		cacheIO: [2]*prometheus.Desc{
			prometheus.NewDesc("gongkai_command_cache_loads_total", "Aggregates the command service read from the log because its cache did not hold them.", nil, nil),
			prometheus.NewDesc("gongkai_command_cache_evictions_total", "Aggregates the command service dropped from its cache for room (read again when needed).", nil, nil),
		},
		witness: [2]*prometheus.Desc{
			prometheus.NewDesc("gongkai_witness_cosignatures_total", "Checkpoints a witness cosigned, since the start.", []string{"witness"}, nil),
			prometheus.NewDesc("gongkai_witness_cosign_failures_total", "Checkpoints a witness was asked to cosign and did not, since the start.", []string{"witness"}, nil),
		},
	})
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}

func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.last, m.position, m.lagN, m.lagS, m.writer, m.tree, m.cpSize, m.gaps, m.rejected, m.alarm, m.seqr} {
		ch <- d
	}
	for _, d := range append(append(append(m.commits[:], m.figures[:]...), m.witness[:]...), m.cacheIO[:]...) {
		ch <- d
	}
}

func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	last, rms := m.s.readModels(ctx)
	if m.s.TLog != nil {
		st := m.s.TLog.Status()
		ch <- prometheus.MustNewConstMetric(m.tree, prometheus.GaugeValue, float64(st.TreeSize))
		ch <- prometheus.MustNewConstMetric(m.cpSize, prometheus.GaugeValue, float64(st.CheckpointSize))
		ch <- prometheus.MustNewConstMetric(m.gaps, prometheus.GaugeValue, float64(len(st.Gaps)))
		ch <- prometheus.MustNewConstMetric(m.alarm, prometheus.GaugeValue, boolGauge(st.Alarm != ""))
		ch <- prometheus.MustNewConstMetric(m.seqr, prometheus.GaugeValue, boolGauge(st.Sequencer))
		for _, w := range st.Witnesses {
			ch <- prometheus.MustNewConstMetric(m.witness[0], prometheus.CounterValue, float64(w.Cosigned), w.Name)
			ch <- prometheus.MustNewConstMetric(m.witness[1], prometheus.CounterValue, float64(w.Failed), w.Name)
		}
	}
	ch <- prometheus.MustNewConstMetric(m.last, prometheus.GaugeValue, float64(last))
	if m.s.Figures != nil {
		f := m.s.Figures()
		for i, v := range []float64{f.ReadyAfter.Seconds(), float64(f.Aggregates), float64(f.IndexedRequests)} {
			ch <- prometheus.MustNewConstMetric(m.figures[i], prometheus.GaugeValue, v)
		}
		ch <- prometheus.MustNewConstMetric(m.cacheIO[0], prometheus.CounterValue, float64(f.Loads))
		ch <- prometheus.MustNewConstMetric(m.cacheIO[1], prometheus.CounterValue, float64(f.Evictions))
	}
	if m.s.Commits != nil {
		c := m.s.Commits()
		for i, v := range []float64{float64(c.Publishes), float64(c.Batches), float64(c.BatchedRequests), float64(c.BatchedMessages),
			float64(c.Fallbacks), c.BatchTime.Seconds()} {
			ch <- prometheus.MustNewConstMetric(m.commits[i], prometheus.CounterValue, v)
		}
	}
	ch <- prometheus.MustNewConstMetric(m.rejected, prometheus.GaugeValue, float64(len(m.s.rejected())))
	for _, rm := range rms {
		l := []string{rm.Name, rm.Backend}
		ch <- prometheus.MustNewConstMetric(m.position, prometheus.GaugeValue, float64(rm.Position), l...)
		ch <- prometheus.MustNewConstMetric(m.lagN, prometheus.GaugeValue, float64(rm.LagEvents), l...)
		ch <- prometheus.MustNewConstMetric(m.lagS, prometheus.GaugeValue, rm.LagSeconds, l...)
		w := 0.0
		if rm.Backend == "memory" || rm.Role == "writer" {
			w = 1
		}
		ch <- prometheus.MustNewConstMetric(m.writer, prometheus.GaugeValue, w, l...)
	}
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
