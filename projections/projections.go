// Package projections builds gongkai's read models from the event stream.
// A read model is fed every event once, in stream order, and remembers the
// last stream sequence it applied; it can always be rebuilt from the stream.
package projections

import (
	"context"
	"encoding/json"
	"time"

	"github.com/gongkai/gongkai/domain"
)

// Event is one stored event as a read model sees it.
type Event struct {
	Seq           uint64
	Type          string
	Schema        int
	Community     string
	AggregateType string
	AggregateID   string
	EffectiveDate string
	RecordedAt    time.Time
	// Actor is who sent the command that recorded the event: an
	// account's login, "admin" (the environment token) or a token's id.
	Actor string
	Data  json.RawMessage
	// Rejected, when not empty, says why the stored message is not a fact
	// (no valid writer signature; see eventstore.Validator). Every read
	// model passes over it: it only moves the position.
	Rejected string
	// Decoded, when not nil, is Data already decoded by domain.DecodeEvent,
	// which the in-memory backend uses instead of decoding Data again
	// (projector.NewRunners decodes once for every read model of a
	// feed). The same value may be handed to several read models: see
	// State.Apply. Other backends ignore it.
	Decoded domain.Event
}

// Wanted reports whether model m applies e: a fact it reads.
func Wanted(m Model, e Event) bool { return e.Rejected == "" && m.Wants(e) }

// ReadModel is a projection of the stream.
type ReadModel interface {
	// Name identifies the read model ("board").
	Name() string
	// Position returns the last stream sequence applied, 0 if none.
	Position(ctx context.Context) (uint64, error)
	// Apply folds events in stream order. Events at or below Position are
	// ignored, so a redelivered event is never applied twice. Apply returns
	// an error only when the read model can no longer be trusted.
	Apply(ctx context.Context, events []Event) error
}
