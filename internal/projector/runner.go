// Package projector feeds the process's consumers of the stream (the command
// service's aggregate cache and every read model) from one ordered consumer:
// each catches up from its own position, then follows live.
package projector

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/eventstore"
	"github.com/gongkai/gongkai/projections"
)

// Handler is one consumer of the feed.
type Handler interface {
	// Start returns the first sequence the handler needs; target is the
	// stream's last sequence when the feed starts, which the handler must
	// apply before it is ready.
	Start(ctx context.Context, target uint64) (from uint64, err error)
	// Handle applies one event; events at or below the handler's position
	// are skipped by the handler itself.
	Handle(ctx context.Context, e eventstore.Stored) error
}

// Feed follows the stream from the lowest position any handler needs and
// hands each event to every handler, in order, until ctx ends or a handler
// fails. When following breaks (a cluster electing a new leader), it
// follows again from the next event after a pause.
func Feed(ctx context.Context, store *eventstore.Store, log *slog.Logger, handlers ...Handler) error {
	var target uint64
	err := eventstore.RetryTransient(ctx, log, "read the stream's last sequence", 30*time.Second, func() (err error) {
		target, err = store.LastSeq(ctx)
		return err
	})
	if err != nil {
		return err
	}
	from := target + 1
	for _, h := range handlers {
		f, err := h.Start(ctx, target)
		if err != nil {
			return err
		}
		from = min(from, f)
	}
	for {
		var handlerErr error
		err := store.Follow(ctx, from, func(e eventstore.Stored) error {
			for _, h := range handlers {
				if err := h.Handle(ctx, e); err != nil {
					handlerErr = err
					return err
				}
			}
			from = e.Seq + 1
			return nil
		})
		if ctx.Err() != nil || handlerErr != nil {
			return handlerErr
		}
		log.Warn("following the stream broke; following again", "from_seq", from, "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// Runner feeds one read model.
type Runner struct {
	rm  projections.ReadModel
	log *slog.Logger
	// model and dec are set by NewRunners: the runner decodes what model
	// wants through dec, shared with the other runners of its feed.
	model  projections.Model
	dec    *decoder
	ready  atomic.Bool
	pos    atomic.Uint64
	target atomic.Uint64
}

// New returns a runner for rm, whose read model decodes each event itself.
func New(rm projections.ReadModel, log *slog.Logger) *Runner {
	return &Runner{rm: rm, log: log.With("read_model", rm.Name())}
}

// NewRunners returns a runner for each backend, to be handed to one Feed:
// the runners share a decoder, so that an event several read models want is
// decoded once and the same domain.Event is handed to each of them
// (projections.Event.Decoded), and an event none wants is not decoded.
func NewRunners(log *slog.Logger, backends ...projections.Backend) []*Runner {
	dec := &decoder{decode: domain.DecodeEvent}
	out := make([]*Runner, len(backends))
	for i, b := range backends {
		r := New(b, log)
		r.model, r.dec = b.Model(), dec
		out[i] = r
	}
	return out
}

// Status is a runner's progress.
type Status struct {
	Name     string `json:"name"`
	Ready    bool   `json:"ready"`
	Position uint64 `json:"position"`
	// Target is the stream's last sequence when the runner started; the
	// read model is ready once it has applied it.
	Target uint64 `json:"target"`
}

// Status returns the runner's progress.
func (r *Runner) Status() Status {
	return Status{Name: r.rm.Name(), Ready: r.ready.Load(), Position: r.pos.Load(), Target: r.target.Load()}
}

// Start reads the read model's position.
func (r *Runner) Start(ctx context.Context, target uint64) (uint64, error) {
	pos, err := r.rm.Position(ctx)
	if err != nil {
		return 0, fmt.Errorf("%s position: %w", r.rm.Name(), err)
	}
	r.pos.Store(pos)
	r.target.Store(target)
	if pos >= target {
		r.markReady()
	}
	return pos + 1, nil
}

// Handle applies one event to the read model.
func (r *Runner) Handle(ctx context.Context, e eventstore.Stored) error {
	if e.Seq <= r.pos.Load() {
		return nil
	}
	pe := Convert(e)
	if r.dec != nil && projections.Wanted(r.model, pe) {
		// On an error the read model decodes again and says why it
		// cannot apply the event.
		pe.Decoded, _ = r.dec.event(pe)
	}
	if err := r.rm.Apply(ctx, []projections.Event{pe}); err != nil {
		return err
	}
	r.pos.Store(e.Seq)
	if e.Seq >= r.target.Load() && !r.ready.Load() {
		r.markReady()
	}
	return nil
}

func (r *Runner) markReady() {
	r.ready.Store(true)
	r.log.Info("read model caught up", "stream_seq", r.pos.Load())
}

// Convert turns a stored event into a read model's event.
func Convert(st eventstore.Stored) projections.Event {
	return projections.Event{
		Seq: st.Seq, Type: st.Type, Schema: st.Schema, Community: st.Community,
		AggregateType: st.AggregateType, AggregateID: st.AggregateID,
		EffectiveDate: st.EffectiveDate, RecordedAt: st.RecordedAt, Actor: st.Actor, Data: st.Data, Rejected: st.Rejected,
	}
}

// CommunityReader reads one community's events from the store as read
// models see them (an auditor's replay, internal/audit.Source).
type CommunityReader struct{ Store *eventstore.Store }

// ReadCommunity calls fn for each message of the community, in order.
func (c CommunityReader) ReadCommunity(ctx context.Context, community string, fn func(projections.Event) error) error {
	return c.Store.ReadCommunity(ctx, community, func(st eventstore.Stored) error { return fn(Convert(st)) })
}
