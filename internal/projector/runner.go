// Package projector feeds read models from the event store: it catches a
// read model up from its position, then follows the stream live.
package projector

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/gongkai/gongkai/eventstore"
	"github.com/gongkai/gongkai/projections"
)

// Runner feeds one read model.
type Runner struct {
	store  *eventstore.Store
	rm     projections.ReadModel
	log    *slog.Logger
	ready  atomic.Bool
	pos    atomic.Uint64
	target atomic.Uint64
}

// New returns a runner for rm.
func New(store *eventstore.Store, rm projections.ReadModel, log *slog.Logger) *Runner {
	return &Runner{store: store, rm: rm, log: log.With("read_model", rm.Name())}
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

// Run catches up and follows until ctx ends or the read model fails.
func (r *Runner) Run(ctx context.Context) error {
	pos, err := r.rm.Position(ctx)
	if err != nil {
		return fmt.Errorf("%s position: %w", r.rm.Name(), err)
	}
	last, err := r.store.LastSeq(ctx)
	if err != nil {
		return err
	}
	r.pos.Store(pos)
	r.target.Store(last)
	if pos >= last {
		r.markReady()
	}
	return r.store.Follow(ctx, pos+1, func(st eventstore.Stored) error {
		if err := r.rm.Apply(ctx, []projections.Event{Convert(st)}); err != nil {
			return err
		}
		r.pos.Store(st.Seq)
		if st.Seq >= last && !r.ready.Load() {
			r.markReady()
		}
		return nil
	})
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
		EffectiveDate: st.EffectiveDate, RecordedAt: st.RecordedAt, Data: st.Data,
	}
}
