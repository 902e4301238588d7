package loadgen

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"

	"github.com/gongkai/gongkai/eventstore"
)

// baselineStream is the stream of the private server the baselines
// publish to, configured as gongkai's own (eventstore.StreamConfig).
const baselineStream = "GONGKAI-BENCH"

// baselines measures, one after the other: GET /healthz on the server
// (the HTTP floor the reads are compared with), then, on a private
// embedded NATS server that fsyncs every write, the raw synchronous
// publish and the coalesced atomic batch publish of the writes of the
// same mix.
func (b *bench) baselines(ctx context.Context, rep *Report) error {
	b.cfg.Log.Info("baseline: GET /healthz", "clients", b.cfg.Clients, "duration", b.cfg.BaselineDuration)
	rep.Baselines = append(rep.Baselines, b.healthz(ctx))

	dir, err := os.MkdirTemp(b.cfg.BaselineDir, "gongkai-bench-baseline-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	e, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{Dir: dir})
	if err != nil {
		return err
	}
	defer e.Close()
	if !e.Server.JetStreamConfig().SyncAlways {
		return fmt.Errorf("the private NATS server does not fsync every write")
	}
	rep.BaselineWhere = fmt.Sprintf("a private embedded nats-server in this process (JetStream file store in %s, sync_interval always: fsync on every write; in-process connection, as gongkai serve's embedded server)", dir)
	js, err := jetstream.New(e.Conn)
	if err != nil {
		return err
	}
	if _, err := js.CreateStream(ctx, eventstore.StreamConfig(baselineStream, 1, 2*time.Minute)); err != nil {
		return err
	}
	// The baselines' own books, kept from one baseline to the next, since
	// both publish to the same subjects.
	p := &publisher{b: b, js: js, books: make([]*books, len(b.communities))}
	for i := range p.books {
		p.books[i] = &books{}
	}
	b.cfg.Log.Info("baseline: raw synchronous publish", "clients", b.cfg.Clients, "duration", b.cfg.BaselineDuration)
	raw := p.measure(ctx, "raw", KindRaw, p.raw)
	if p.msgs > 0 {
		rep.BaselineBytes = float64(p.bytes) / float64(p.msgs)
	}
	b.cfg.Log.Info("baseline: atomic batch publish", "clients", b.cfg.Clients, "duration", b.cfg.BaselineDuration)
	batches := p.startCommitter(ctx)
	batch := p.measure(ctx, "batch", KindBatch, p.batch)
	close(p.pending)
	<-batches
	if n := p.batches.Load(); n > 0 {
		batch.MeanBatch = float64(p.batched.Load()) / float64(n)
	}
	rep.Baselines = append(rep.Baselines, raw, batch)
	return nil
}

// healthz has every client GET /healthz back to back.
func (b *bench) healthz(ctx context.Context) Stats {
	samples := make([]*sample, b.cfg.Clients)
	end := time.Now().Add(b.cfg.BaselineDuration)
	start := time.Now()
	var wg sync.WaitGroup
	for c := range samples {
		s := &sample{}
		samples[c] = s
		wg.Go(func() {
			for time.Now().Before(end) && ctx.Err() == nil {
				t := time.Now()
				code, _, err := b.get(ctx, "/healthz")
				switch {
				case err != nil:
					s.fail("transport")
				case code != http.StatusOK:
					s.fail(strconv.Itoa(code))
				default:
					s.ok(time.Since(t), 0)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := &sample{}
	for _, s := range samples {
		all.merge(s)
	}
	return all.stats(KindHealthz, elapsed)
}

// publisher publishes the mix's writes, as events, to the private server.
type publisher struct {
	b     *bench
	js    jetstream.JetStream
	books []*books // the baselines' own, apart from the server run's

	mu          sync.Mutex
	msgs, bytes int

	pending          chan pendingMsg
	batches, batched atomic.Int64
}

type pendingMsg struct {
	m    *nats.Msg
	done chan batchResult
}

type batchResult struct {
	seq uint64
	err error
}

// measure runs publish for every write of cfg.Clients clerks, each
// writing to its own community as in the server run (matter stages and
// vouchers in the mix's proportion), for the baseline duration.
func (p *publisher) measure(ctx context.Context, tag string, kind Kind, publish func(context.Context, *nats.Msg) (uint64, error)) Stats {
	b := p.b
	writes := b.cfg.Mix.Matter + b.cfg.Mix.Voucher
	matterShare := b.cfg.Mix.Matter
	if writes == 0 {
		writes, matterShare = 1, 1
	}
	samples := make([]*sample, b.cfg.Clients)
	end := time.Now().Add(b.cfg.BaselineDuration)
	start := time.Now()
	var wg sync.WaitGroup
	for c := range samples {
		s := &sample{}
		samples[c] = s
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), uint64(time.Now().UnixNano())))
			own := c % len(b.communities)
			// The baselines' clerks have their own matters and keys.
			cl := &clerk{run: b.run + "-" + tag, client: c}
			for time.Now().Before(end) && ctx.Err() == nil {
				if rng.IntN(writes) < matterShare {
					w := cl.matterWrite(b.communities[own])
					t := time.Now()
					seq, err := publish(ctx, p.message(w, cl.version))
					d := time.Since(t)
					cl.matterDone(err == nil, seq)
					recordPublish(s, d, err)
					continue
				}
				bk := p.books[own]
				bk.mu.Lock()
				date, number := bk.next()
				w := cl.voucherWrite(b.communities[own], date, number)
				t := time.Now()
				seq, err := publish(ctx, p.message(w, bk.version))
				d := time.Since(t)
				if err == nil {
					bk.version = seq
				}
				bk.release(err == nil, false)
				bk.mu.Unlock()
				recordPublish(s, d, err)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := &sample{}
	for _, s := range samples {
		all.merge(s)
	}
	return all.stats(kind, elapsed)
}

func recordPublish(s *sample, d time.Duration, err error) {
	if err == nil {
		s.ok(d, 1)
		return
	}
	var apiErr *jetstream.APIError
	switch {
	case errors.As(err, &apiErr):
		s.fail(fmt.Sprintf("JetStream %d", apiErr.ErrorCode))
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		s.fail("cancelled")
	default:
		s.fail(err.Error())
	}
}

// raw publishes m alone and waits for its acknowledgement, as gongkai's
// store publishes a command of one event.
func (p *publisher) raw(ctx context.Context, m *nats.Msg) (uint64, error) {
	ack, err := p.js.PublishMsg(ctx, m)
	if err != nil {
		return 0, err
	}
	if ack.Duplicate {
		return 0, fmt.Errorf("duplicate acknowledgement for a fresh message")
	}
	return ack.Sequence, nil
}

// batch hands m to the committer and waits until its batch is stored.
func (p *publisher) batch(ctx context.Context, m *nats.Msg) (uint64, error) {
	done := make(chan batchResult, 1)
	p.pending <- pendingMsg{m: m, done: done}
	r := <-done
	return r.seq, r.err
}

// startCommitter starts the committer of the batch baseline: it takes
// every message pending (up to JetStream's 1000), publishes them as one
// atomic batch, answers each client with its sequence, and starts over;
// one batch at a time. This is the ideal group commit: the same clients,
// the same messages, coalesced. The returned channel closes when the
// committer has stopped, after p.pending is closed.
func (p *publisher) startCommitter(ctx context.Context) <-chan struct{} {
	p.pending = make(chan pendingMsg, p.b.cfg.Clients)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for first := range p.pending {
			batch := []pendingMsg{first}
		drain:
			for len(batch) < eventstore.MaxEventsPerRequest {
				select {
				case m, ok := <-p.pending:
					if !ok {
						break drain
					}
					batch = append(batch, m)
				default:
					break drain
				}
			}
			msgs := make([]*nats.Msg, len(batch))
			for i, m := range batch {
				msgs[i] = m.m
			}
			ack, err := jetstreamext.PublishMsgBatch(ctx, p.js, msgs)
			if err == nil && ack.BatchSize != uint64(len(msgs)) {
				err = fmt.Errorf("batch acknowledged with %d messages, sent %d", ack.BatchSize, len(msgs))
			}
			p.batches.Add(1)
			p.batched.Add(int64(len(msgs)))
			for i, m := range batch {
				if err != nil {
					m.done <- batchResult{err: err}
					continue
				}
				m.done <- batchResult{seq: ack.Sequence - ack.BatchSize + 1 + uint64(i)}
			}
		}
	}()
	return stopped
}

// placeholderSig stands in for the writer signature: the length of an
// Ed25519 signature in base64, so that a baseline message stores as many
// bytes as the ledger's, without the cost of signing.
var placeholderSig = base64.StdEncoding.EncodeToString(make([]byte, 64))

// message is w as gongkai's store would write its one event, decided on
// aggregate version prev: the envelope with the command's data as payload,
// the Gongkai-* headers, the writer's headers, the expected last subject
// sequence and the Msg-Id.
func (p *publisher) message(w write, prev uint64) *nats.Msg {
	env := w.envelope
	ev := eventstore.Event{ID: uuid.NewString(), Type: eventType(env.Type), Schema: 1, Community: w.community,
		AggregateType: env.aggregateType(), AggregateID: env.AggregateID, EffectiveDate: env.EffectiveDate,
		RecordedAt: time.Now().UTC(), IdempotencyKey: w.key, Actor: "admin", Data: env.Data}
	data, _ := json.Marshal(ev)
	m := nats.NewMsg(ev.Subject())
	m.Data = data
	ih := eventstore.IdempotencyHash(w.community, w.key)
	sum := sha256.Sum256(data)
	m.Header.Set(eventstore.HeaderIdempotency, ih)
	m.Header.Set(eventstore.HeaderRequest, ih)
	m.Header.Set(eventstore.HeaderCommand, "0")
	m.Header.Set(eventstore.HeaderType, ev.Type)
	m.Header.Set(eventstore.HeaderEventID, ev.ID)
	m.Header.Set(eventstore.HeaderPayloadSHA256, hex.EncodeToString(sum[:]))
	m.Header.Set(eventstore.HeaderPrev, strconv.FormatUint(prev, 10))
	m.Header.Set(eventstore.HeaderPart, "0/1")
	m.Header.Set(eventstore.HeaderWriter, "0000000000000000")
	m.Header.Set(eventstore.HeaderWriterSig, placeholderSig)
	m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(prev, 10))
	m.Header.Set(jetstream.MsgIDHeader, ih)
	n := len(m.Subject) + len(m.Data)
	for k, vs := range m.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	p.mu.Lock()
	p.msgs++
	p.bytes += n
	p.mu.Unlock()
	return m
}
