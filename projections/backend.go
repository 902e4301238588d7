package projections

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gongkai/gongkai/domain"
)

// Position is how far a read model has applied the stream: the last stream
// sequence and the time the log recorded that event, in UTC to the
// microsecond (as PostgreSQL keeps it).
type Position struct {
	Seq  uint64    `json:"seq"`
	Time time.Time `json:"time"`
}

// DocKey names one document of a community's state: a backend that stores
// states (PostgreSQL) keeps one row per document.
type DocKey struct {
	Kind string
	Key  string
}

// State is a read model's state of one community. Apply folds one event and
// names the documents it changed; Doc encodes a document; Load rebuilds the
// state from its documents, given in the order they were first written, and
// replaces a document it has loaded before with a newer version.
//
// Apply must not change ev or anything reachable from it (slices, maps,
// pointers), and must not later change a part of ev it keeps: the same ev
// may be handed to the states of several read models (Event.Decoded).
type State interface {
	Apply(e Event, ev domain.Event) ([]DocKey, error)
	Doc(k DocKey) ([]byte, error)
	Load(k DocKey, body []byte) error
}

// Model describes a read model: its name, the version of its code (a
// backend rebuilds a read model whose stored version differs), which events
// it reads and how to make the state of a community.
type Model struct {
	Name    string
	Version int
	Wants   func(e Event) bool
	New     func(community string) State
}

// Backend keeps the states of one read model.
type Backend interface {
	ReadModel
	// Model returns the read model the backend keeps.
	Model() Model
	// View calls fn with the state of one community (nil when it has none)
	// and the position of the read model. fn must neither keep nor change
	// the state.
	View(ctx context.Context, community string, fn func(State, Position) error) error
	// At returns the read model's position.
	At(ctx context.Context) (Position, error)
}

// Memory is the in-memory backend. It is safe for concurrent use.
type Memory struct {
	model  Model
	mu     sync.RWMutex
	pos    Position
	states map[string]State
}

// NewMemory returns an empty in-memory backend for model.
func NewMemory(m Model) *Memory { return &Memory{model: m, states: map[string]State{}} }

// Name returns the model's name.
func (m *Memory) Name() string { return m.model.Name }

// Model returns the model.
func (m *Memory) Model() Model { return m.model }

// Position returns the last applied stream sequence.
func (m *Memory) Position(ctx context.Context) (uint64, error) {
	p, err := m.At(ctx)
	return p.Seq, err
}

// At returns the position.
func (m *Memory) At(context.Context) (Position, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.pos, nil
}

// Apply folds events in stream order, skipping those already applied.
func (m *Memory) Apply(_ context.Context, events []Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range events {
		if e.Seq <= m.pos.Seq {
			continue
		}
		if Wanted(m.model, e) {
			ev, err := decoded(e)
			if err != nil {
				return fmt.Errorf("%s: event %d: %w", m.model.Name, e.Seq, err)
			}
			st := m.states[e.Community]
			if st == nil {
				st = m.model.New(e.Community)
				m.states[e.Community] = st
			}
			if _, err := st.Apply(e, ev); err != nil {
				return fmt.Errorf("%s: event %d: %w", m.model.Name, e.Seq, err)
			}
		}
		m.pos = Position{Seq: e.Seq, Time: e.RecordedAt.UTC().Truncate(time.Microsecond)}
	}
	return nil
}

// decoded returns e.Decoded, or decodes e.Data when it is nil.
func decoded(e Event) (domain.Event, error) {
	if e.Decoded == nil {
		return domain.DecodeEvent(e.Type, e.Schema, e.Data)
	}
	if t := e.Decoded.EventType(); t != e.Type {
		return nil, fmt.Errorf("decoded as %s, stored as %s", t, e.Type)
	}
	return e.Decoded, nil
}

// View calls fn with a community's state under the read lock.
func (m *Memory) View(_ context.Context, community string, fn func(State, Position) error) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	st := m.states[community]
	if st == nil {
		return fn(nil, m.pos)
	}
	return fn(st, m.pos)
}
