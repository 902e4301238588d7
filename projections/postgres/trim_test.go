package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/pgtest"
	"github.com/gongkai/gongkai/projections"
)

// TestStatesBounded: once caught up, the writer keeps the states of the
// maxStates communities it wrote last, and reads keep at most maxStates; a
// community whose state was dropped is loaded from its documents, and what
// the board shows is the same. States idle for idleStates are dropped.
func TestStatesBounded(t *testing.T) {
	ctx := context.Background()
	srv := pgtest.Start(t)
	pool, err := pgxpool.New(ctx, srv.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	b, err := New(ctx, pool, projections.BoardModel, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer func(m int, d time.Duration) { maxStates, idleStates = m, d }(maxStates, idleStates)
	maxStates = 100
	n := maxStates + 30
	community := func(i int) string { return fmt.Sprintf("c%03d", i) }
	seq := uint64(0)
	event := func(c, aggType, id, typ string, v any) projections.Event {
		seq++
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return projections.Event{Seq: seq, Type: typ, Schema: domain.SchemaVersion, Community: c,
			AggregateType: aggType, AggregateID: id, EffectiveDate: "2025-03-01",
			RecordedAt: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), Data: data}
	}
	matter := func(c, id string) projections.Event {
		return event(c, domain.AggregateMatter, id, domain.EvMatterRegistered, domain.MatterRegistered{Title: "事项 " + id})
	}
	var events []projections.Event
	for i := range n {
		events = append(events, event(community(i), domain.AggregateCommunity, community(i), domain.EvCommunityRegistered,
			domain.CommunityRegistered{Name: "社区 " + community(i), Kind: "社区", Town: "示例镇", County: "青山县"}))
	}
	for i := range n {
		events = append(events, matter(community(i), "m-1"))
	}
	if err := b.Apply(ctx, events); err != nil {
		t.Fatal(err)
	}
	if got := len(b.wstate); got != n {
		t.Fatalf("writer states before trimming: %d, want %d", got, n)
	}
	b.TrimStates()
	if got := len(b.wstate); got != maxStates {
		t.Fatalf("writer states after trimming: %d, want %d", got, maxStates)
	}
	if b.wstate[community(0)] != nil || b.wstate[community(n-1)] == nil {
		t.Fatal("trimming kept an old community's state or dropped the last one's")
	}
	// A second matter and a stage of the first (which needs the matter as
	// recorded) in a dropped community and in a kept one.
	propose := func(c string) projections.Event {
		return event(c, domain.AggregateMatter, "m-1", domain.EvMatterProposed, domain.MatterProposed{Summary: "提议"})
	}
	extra := []projections.Event{matter(community(0), "m-2"), propose(community(0)), matter(community(n-1), "m-2"), propose(community(n - 1))}
	if err := b.Apply(ctx, extra); err != nil {
		t.Fatal(err)
	}
	// The same events in memory, as the board must show them.
	mem := projections.NewMemory(projections.BoardModel)
	if err := mem.Apply(ctx, append(events, extra...)); err != nil {
		t.Fatal(err)
	}
	board, want := projections.BoardOn{Backend: b}, projections.BoardOn{Backend: mem}
	for i := range n {
		v, err := board.Board(ctx, community(i))
		if err != nil {
			t.Fatal(err)
		}
		w, err := want.Board(ctx, community(i))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(v)
		exp, _ := json.Marshal(w)
		if string(got) != string(exp) {
			t.Errorf("%s:\n got %s\nwant %s", community(i), got, exp)
		}
		if m := len(v.Matters); (i == 0 || i == n-1) && m != 2 {
			t.Errorf("%s shows %d matters, want 2", community(i), m)
		}
	}
	if got := len(b.states); got > maxStates {
		t.Errorf("%d states kept for reading, want at most %d", got, maxStates)
	}
	// Idle ones go whatever their number.
	idleStates = 0
	b.TrimStates()
	if got := len(b.wstate); got != 0 {
		t.Errorf("writer states after trimming idle ones: %d, want 0", got)
	}
}
