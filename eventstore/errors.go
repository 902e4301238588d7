package eventstore

import (
	"errors"
	"fmt"
)

// ErrConflict is matched (errors.Is) by every *ConflictError.
var ErrConflict = errors.New("version conflict")

// ConflictError is an append whose expected version is not the aggregate's
// current version: someone else appended first.
type ConflictError struct {
	Subject  string
	Expected uint64
	Current  uint64
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("version conflict on %s: expected %d, current %d", e.Subject, e.Expected, e.Current)
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// ErrIdempotencyMismatch is returned when an idempotency key is reused for a
// different request.
var ErrIdempotencyMismatch = errors.New("idempotency key was already used for a different request")

// ErrInvalid is wrapped when an append request is malformed.
var ErrInvalid = errors.New("invalid append request")

// ErrTooManyEvents is wrapped (with ErrInvalid) when a request holds more
// than MaxEventsPerRequest events.
var ErrTooManyEvents = fmt.Errorf("%w: too many events", ErrInvalid)

// StreamConfigError is returned by Open when the live stream's configuration
// is weaker than an immutable audit log needs.
type StreamConfigError struct {
	Stream  string
	Setting string // the JetStream config key, such as "deny_delete"
	Got     string
	Want    string
}

func (e *StreamConfigError) Error() string {
	return fmt.Sprintf("stream %s is not safe for an audit log: %s is %s, must be %s; "+
		"gongkai refuses to run against it (a stream's immutability cannot be added later: "+
		"create a new stream and copy the events, see docs/adr/0001-event-store.md)",
		e.Stream, e.Setting, e.Got, e.Want)
}

// RefusedError is an append refused because the ledger may not take writes
// now: its stream was found shortened, limited, sealed or missing, its
// storage is full, or it has not been checked yet. Reason says which.
type RefusedError struct {
	Reason error
}

func (e *RefusedError) Error() string { return "append refused: " + e.Reason.Error() }
func (e *RefusedError) Unwrap() error { return e.Reason }
