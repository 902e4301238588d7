package projections

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/gongkai/gongkai/domain"
)

// ErrNotFound is returned for a community the board does not know.
var ErrNotFound = errors.New("not found")

// BoardView is one community's public board (公开栏).
type BoardView struct {
	Community string `json:"community"`
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Town      string `json:"town"`
	County    string `json:"county"`
	// Matters are in order of registration.
	Matters []MatterRow `json:"matters"`
	// AsOfSeq is the last stream sequence the board has applied.
	AsOfSeq uint64 `json:"as_of_seq"`
	// Seqs are the stream sequences of the community's own events.
	Seqs []uint64 `json:"stream_seqs"`
}

// MatterRow is one matter on the board.
type MatterRow struct {
	ID              string                  `json:"id"`
	Title           string                  `json:"title"`
	Description     string                  `json:"description,omitempty"`
	Category        string                  `json:"category,omitempty"`
	Amount          domain.Fen              `json:"amount,omitempty"`
	Stage           domain.Stage            `json:"stage"`
	Dates           []StageDate             `json:"dates"`
	Review          *domain.Decision        `json:"review,omitempty"`
	Resolution      *domain.Decision        `json:"resolution,omitempty"`
	Implementations []domain.Implementation `json:"implementations,omitempty"`
	Reason          string                  `json:"reason,omitempty"`
	RevokedBy       string                  `json:"revoked_by,omitempty"`
	// Seqs are the stream sequences this row was built from, for proofs.
	Seqs []uint64 `json:"stream_seqs"`
}

// StageDate is the date a stage was reached.
type StageDate struct {
	Stage domain.Stage `json:"stage"`
	Date  domain.Date  `json:"date"`
	Seq   uint64       `json:"stream_seq"`
}

// Board is the read model of the public board for matters. Its memory
// backend is built here; every backend gives the same BoardView.
type Board interface {
	ReadModel
	// Board returns a community's board, or ErrNotFound.
	Board(ctx context.Context, community string) (BoardView, error)
}

// MemoryBoard is the in-memory Board. It is safe for concurrent use.
type MemoryBoard struct {
	mu          sync.RWMutex
	pos         uint64
	communities map[string]*boardState
}

type boardState struct {
	view    BoardView
	matters map[string]*matterState
	order   []string
}

type matterState struct {
	m     *domain.Matter
	seqs  []uint64
	dates []StageDate
}

// NewMemoryBoard returns an empty in-memory board.
func NewMemoryBoard() *MemoryBoard {
	return &MemoryBoard{communities: map[string]*boardState{}}
}

// Name returns "board".
func (b *MemoryBoard) Name() string { return "board" }

// Position returns the last applied stream sequence.
func (b *MemoryBoard) Position(context.Context) (uint64, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.pos, nil
}

// Apply folds events into the board.
func (b *MemoryBoard) Apply(_ context.Context, events []Event) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range events {
		if e.Seq <= b.pos {
			continue
		}
		if err := b.apply(e); err != nil {
			return fmt.Errorf("board: event %d: %w", e.Seq, err)
		}
		b.pos = e.Seq
	}
	return nil
}

func (b *MemoryBoard) apply(e Event) error {
	if e.AggregateType != domain.AggregateCommunity && e.AggregateType != domain.AggregateMatter {
		return nil // not on the board (tokens, later read models' events)
	}
	ev, err := domain.DecodeEvent(e.Type, e.Schema, e.Data)
	if err != nil {
		return err
	}
	date, _ := domain.ParseDate(e.EffectiveDate)
	cs := b.communities[e.Community]
	if cs == nil {
		cs = &boardState{view: BoardView{Community: e.Community}, matters: map[string]*matterState{}}
		b.communities[e.Community] = cs
	}
	switch e.AggregateType {
	case domain.AggregateCommunity:
		if r, ok := ev.(*domain.CommunityRegistered); ok {
			cs.view.Name, cs.view.Kind, cs.view.Town, cs.view.County = r.Name, r.Kind, r.Town, r.County
		}
		cs.view.Seqs = append(cs.view.Seqs, e.Seq)
	case domain.AggregateMatter:
		ms := cs.matters[e.AggregateID]
		if ms == nil {
			ms = &matterState{m: &domain.Matter{ID: e.AggregateID}}
			cs.matters[e.AggregateID] = ms
			cs.order = append(cs.order, e.AggregateID)
		}
		ms.m.Apply(ev, date)
		ms.seqs = append(ms.seqs, e.Seq)
		if _, ok := ev.(*domain.ImplementationReported); !ok || len(ms.m.Implementations) == 1 {
			ms.dates = append(ms.dates, StageDate{Stage: ms.m.Stage, Date: date, Seq: e.Seq})
		}
	}
	return nil
}

// Board returns a copy of a community's board.
func (b *MemoryBoard) Board(_ context.Context, community string) (BoardView, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	cs := b.communities[community]
	if cs == nil || cs.view.Name == "" {
		return BoardView{}, fmt.Errorf("community %s: %w", community, ErrNotFound)
	}
	v := cs.view
	v.AsOfSeq = b.pos
	v.Seqs = slices.Clone(cs.view.Seqs)
	v.Matters = make([]MatterRow, 0, len(cs.order))
	for _, id := range cs.order {
		v.Matters = append(v.Matters, row(cs.matters[id]))
	}
	return v, nil
}

func row(ms *matterState) MatterRow {
	m := ms.m.Clone()
	return MatterRow{
		ID: m.ID, Title: m.Title, Description: m.Description, Category: m.Category, Amount: m.Amount,
		Stage: m.Stage, Dates: slices.Clone(ms.dates), Review: m.Review, Resolution: m.Resolution,
		Implementations: m.Implementations, Reason: m.Reason, RevokedBy: m.RevokedBy,
		Seqs: slices.Clone(ms.seqs),
	}
}
