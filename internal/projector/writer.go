package projector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gongkai/gongkai/eventstore"
	"github.com/gongkai/gongkai/projections"
	"github.com/gongkai/gongkai/projections/postgres"
)

// BatchSize is the most events a writer applies in one transaction.
const BatchSize = 500

// Writer runs one PostgreSQL read model in this instance. Of all instances
// on one database, the one holding the read model's advisory lock writes;
// the others stand by, retrying the lock every second, and take over when
// the writer's session ends. A writer rebuilds the read model first when
// the code version that built it differs from this binary's.
type Writer struct {
	store *eventstore.Store
	pool  *pgxpool.Pool
	b     *postgres.Backend
	log   *slog.Logger
	retry time.Duration

	mu     sync.Mutex
	status WriterStatus
}

// WriterStatus is what /readyz and /metrics show of a writer.
type WriterStatus struct {
	Name string `json:"name"`
	// Role is "writer", "standby", "rebuilding" or "starting".
	Role string `json:"role"`
	// Position is the read model's position in PostgreSQL, as last seen.
	Position uint64    `json:"position"`
	At       time.Time `json:"position_time"`
	Error    string    `json:"error,omitempty"`
}

// NewWriter returns the writer of backend b.
func NewWriter(store *eventstore.Store, pool *pgxpool.Pool, b *postgres.Backend, log *slog.Logger) *Writer {
	return &Writer{store: store, pool: pool, b: b, log: log.With("read_model", b.Name()), retry: time.Second,
		status: WriterStatus{Name: b.Name(), Role: "starting"}}
}

// Status returns the writer's status.
func (w *Writer) Status() WriterStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.status
}

func (w *Writer) set(f func(*WriterStatus)) {
	w.mu.Lock()
	f(&w.status)
	w.mu.Unlock()
}

// Run writes or stands by until ctx ends.
func (w *Writer) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		if p, err := w.b.At(ctx); err == nil {
			w.set(func(s *WriterStatus) { s.Position, s.At, s.Error = p.Seq, p.Time, "" })
		} else {
			w.set(func(s *WriterStatus) { s.Error = err.Error() })
		}
		err := w.lead(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			w.log.Warn("read model writer stopped; retrying", "err", err)
			w.set(func(s *WriterStatus) { s.Error = err.Error() })
		}
		select {
		case <-ctx.Done():
		case <-time.After(w.retry):
		}
	}
	return nil
}

// lead takes the lock if it can and writes while it holds it.
func (w *Writer) lead(ctx context.Context) error {
	conn, err := w.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, postgres.LockID(w.b.Name())).Scan(&got); err != nil {
		return err
	}
	if !got {
		w.set(func(s *WriterStatus) { s.Role = "standby" })
		return nil
	}
	defer conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, postgres.LockID(w.b.Name()))
	w.set(func(s *WriterStatus) { s.Role = "writer" })
	w.log.Info("holding the writer lock")
	if _, version, err := w.b.LiveBuild(ctx); err != nil {
		return err
	} else if version != w.b.Model().Version {
		w.log.Info("code version changed: rebuilding", "stored_version", version, "code_version", w.b.Model().Version)
		w.set(func(s *WriterStatus) { s.Role = "rebuilding" })
		if err := Rebuild(ctx, w.store, w.b, w.log); err != nil {
			return err
		}
		w.set(func(s *WriterStatus) { s.Role = "writer" })
	}
	pos, err := w.b.Position(ctx)
	if err != nil {
		return err
	}
	alive := func() error {
		_, err := conn.Exec(ctx, `SELECT 1`)
		return err
	}
	return w.follow(ctx, pos, alive)
}

// FlushEvery is the longest an event waits in a writer's batch.
const FlushEvery = 20 * time.Millisecond

// follow applies the stream from pos+1 in batches: a batch is written when
// it is full, or when its first event has waited FlushEvery.
func (w *Writer) follow(ctx context.Context, pos uint64, alive func() error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := make(chan eventstore.Stored, BatchSize)
	followErr := make(chan error, 1)
	go func() {
		followErr <- w.store.Follow(ctx, pos+1, func(e eventstore.Stored) error {
			select {
			case events <- e:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	var batch []projections.Event
	var pending uint64 // messages after the last one received
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := alive(); err != nil {
			return fmt.Errorf("writer lock lost: %w", err)
		}
		if err := w.b.Apply(ctx, batch); err != nil {
			return err
		}
		last := batch[len(batch)-1]
		w.set(func(s *WriterStatus) { s.Position, s.At, s.Error = last.Seq, last.RecordedAt, "" })
		batch = batch[:0]
		if pending == 0 {
			// Caught up: keep the states of the communities written
			// last only.
			w.b.TrimStates()
		}
		return nil
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		select {
		case e := <-events:
			if len(batch) == 0 {
				timer.Reset(FlushEvery)
			}
			batch = append(batch, Convert(e))
			pending = e.Pending
			if len(batch) >= BatchSize {
				if err := flush(); err != nil {
					return err
				}
			}
		case <-timer.C:
			if err := flush(); err != nil {
				return err
			}
		case err := <-followErr:
			if ctx.Err() != nil {
				return nil
			}
			return err
		case <-ctx.Done():
			return nil
		}
	}
}

// Rebuild fills a fresh build of the read model from the start of the
// stream, switches to it once it has caught up with the live build, and
// drops the old one. Readers are served by the old build until the switch.
func Rebuild(ctx context.Context, store *eventstore.Store, b *postgres.Backend, log *slog.Logger) error {
	schema, err := b.CreateBuild(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	var pos uint64
	for {
		var batch []projections.Event
		err := store.Read(ctx, pos+1, func(e eventstore.Stored) error {
			batch = append(batch, Convert(e))
			if len(batch) >= BatchSize {
				if err := b.ApplyTo(ctx, schema, batch); err != nil {
					return err
				}
				batch = batch[:0]
			}
			return nil
		})
		if err == nil {
			err = b.ApplyTo(ctx, schema, batch)
		}
		if err != nil {
			_ = b.DropBuild(context.Background(), schema)
			return fmt.Errorf("rebuild %s: %w", b.Name(), err)
		}
		p, err := b.PositionOf(ctx, schema)
		if err != nil {
			return err
		}
		pos = p.Seq
		err = b.Switch(ctx, schema)
		if errors.Is(err, postgres.ErrBehind) {
			continue // the live build moved on while we built: catch up
		}
		if err != nil {
			_ = b.DropBuild(context.Background(), schema)
			return err
		}
		log.Info("rebuilt read model", "read_model", b.Name(), "schema", schema, "stream_seq", pos, "took", time.Since(start))
		return nil
	}
}
