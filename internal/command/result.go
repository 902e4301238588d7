package command

import (
	"errors"
	"fmt"

	"github.com/gongkai/gongkai/eventstore"
)

// The replies and errors of the command service. They are what the pages
// and the API show, so they belong here rather than to the store: the web
// knows the command service, never the store behind it.

// EventRef identifies one stored event.
type EventRef struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Seq  uint64 `json:"stream_seq"`
}

// AppendResult is what one command recorded.
type AppendResult struct {
	AggregateType string     `json:"aggregate_type"`
	AggregateID   string     `json:"aggregate_id"`
	Events        []EventRef `json:"events"`
	// Version is the aggregate's version after the command: the stream
	// sequence of its last event.
	Version uint64 `json:"aggregate_version"`
}

// Result is what a request recorded, command by command.
type Result struct {
	Appends []AppendResult `json:"results"`
	// Replayed is set when the request was recorded before (the same
	// idempotency key and content) and this is the original result.
	Replayed bool `json:"idempotent_replay"`
}

// LastSeq is the stream sequence of the request's last event.
func (r Result) LastSeq() uint64 {
	var last uint64
	for _, a := range r.Appends {
		for _, e := range a.Events {
			last = max(last, e.Seq)
		}
	}
	return last
}

func resultOf(r eventstore.Result) Result {
	out := Result{Replayed: r.Replayed, Appends: make([]AppendResult, len(r.Appends))}
	for i, a := range r.Appends {
		ar := AppendResult{AggregateType: a.AggregateType, AggregateID: a.AggregateID, Version: a.Version,
			Events: make([]EventRef, len(a.Events))}
		for j, e := range a.Events {
			ar.Events[j] = EventRef{ID: e.ID, Type: e.Type, Seq: e.Seq}
		}
		out.Appends[i] = ar
	}
	return out
}

// ConflictError is an aggregate that changed since the version a command
// was decided on (or the If-Match a client sent).
type ConflictError struct {
	Subject  string
	Expected uint64
	Current  uint64
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("version conflict on %s: expected %d, current %d", e.Subject, e.Expected, e.Current)
}

// RefusedError is a write refused because the ledger's storage or writer
// key is not sound (see internal/guard); Reason says why.
type RefusedError struct {
	Reason error
}

func (e *RefusedError) Error() string { return "writes refused: " + e.Reason.Error() }

// Errors of a request as a whole.
var (
	// ErrIdempotencyMismatch: the idempotency key was used for another request.
	ErrIdempotencyMismatch = errors.New("idempotency key was already used for a different request")
	// ErrTooManyEvents: the commands decide more events than one request may append.
	ErrTooManyEvents = fmt.Errorf("too many events in one request (at most %d)", eventstore.MaxEventsPerRequest)
	// ErrInvalid: nothing to record (a command decided no event).
	ErrInvalid = errors.New("invalid request")
)

// MaxEvents is the most events one request may append.
const MaxEvents = eventstore.MaxEventsPerRequest

// translate turns the store's errors into the command service's.
func translate(err error) error {
	var ce *eventstore.ConflictError
	var rf *eventstore.RefusedError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ce):
		return &ConflictError{Subject: ce.Subject, Expected: ce.Expected, Current: ce.Current}
	case errors.As(err, &rf):
		return &RefusedError{Reason: rf.Reason}
	case errors.Is(err, eventstore.ErrIdempotencyMismatch):
		return ErrIdempotencyMismatch
	case errors.Is(err, eventstore.ErrTooManyEvents):
		return ErrTooManyEvents
	case errors.Is(err, eventstore.ErrInvalid):
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return err
}
