// Package storetest is the conformance suite for gongkai's event store. Any
// implementation of Store must pass Run; eventstore's JetStream store does.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gongkai/gongkai/eventstore"
)

// Store is what the suite exercises.
type Store interface {
	Append(ctx context.Context, req eventstore.Request) (eventstore.Result, error)
	Load(ctx context.Context, community, aggregateType, aggregateID string) ([]eventstore.Stored, uint64, error)
	Read(ctx context.Context, from uint64, fn func(eventstore.Stored) error) error
	Follow(ctx context.Context, from uint64, fn func(eventstore.Stored) error) error
	LastSeq(ctx context.Context) (uint64, error)
}

// Harness opens an empty store for one test. Reopen returns a new Store on
// the same log, as after a restart of the process.
type Harness func(t *testing.T) (s Store, reopen func() Store)

// Run runs the conformance suite.
func Run(t *testing.T, open Harness) {
	tests := []struct {
		name string
		fn   func(*testing.T, Harness)
	}{
		{"AppendThenLoad", testAppendThenLoad},
		{"StaleVersionConflicts", testStaleVersionConflicts},
		{"ConcurrentAppendsOneWins", testConcurrentAppendsOneWins},
		{"IdempotentRetry", testIdempotentRetry},
		{"IdempotencySurvivesReopen", testIdempotencySurvivesReopen},
		{"KeyReusedForOtherRequest", testKeyReusedForOtherRequest},
		{"SameKeyInParallelOnTwoInstances", testSameKeyInParallelOnTwoInstances},
		{"BatchIsAllOrNothing", testBatchIsAllOrNothing},
		{"BatchChainsOneAggregate", testBatchChainsOneAggregate},
		{"ReadAndFollowInOrder", testReadAndFollowInOrder},
		{"RejectsInvalidRequests", testRejectsInvalidRequests},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open) })
	}
}

// Event returns an event of type "test.happened" on aggregate test/id.
func Event(community, id string, n int) eventstore.Event {
	return eventstore.Event{
		ID: uuid.NewString(), Type: "test.happened", Schema: 1, Community: community,
		AggregateType: "test", AggregateID: id, EffectiveDate: "2025-01-02",
		RecordedAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, n)),
	}
}

func req(key string, version uint64, id string, events ...eventstore.Event) eventstore.Request {
	return eventstore.Request{Community: "c1", IdempotencyKey: key, Fingerprint: "fp-" + key,
		Appends: []eventstore.Append{{AggregateType: "test", AggregateID: id, ExpectedVersion: version, Events: events}}}
}

func mustAppend(t *testing.T, s Store, r eventstore.Request) eventstore.Result {
	t.Helper()
	res, err := s.Append(context.Background(), r)
	if err != nil {
		t.Fatalf("Append(%s) = %v", r.IdempotencyKey, err)
	}
	return res
}

func lastSeq(t *testing.T, s Store) uint64 {
	t.Helper()
	n, err := s.LastSeq(context.Background())
	if err != nil {
		t.Fatalf("LastSeq: %v", err)
	}
	return n
}

func testAppendThenLoad(t *testing.T, open Harness) {
	s, _ := open(t)
	res := mustAppend(t, s, req("k1", 0, "a", Event("c1", "a", 1), Event("c1", "a", 2)))
	if len(res.Appends) != 1 || len(res.Appends[0].Events) != 2 || res.Replayed {
		t.Fatalf("Append = %+v, want one append of two events", res)
	}
	evs := res.Appends[0].Events
	if evs[1].Seq != evs[0].Seq+1 || res.Appends[0].Version != evs[1].Seq {
		t.Fatalf("Append = %+v, want contiguous sequences and version = last sequence", res)
	}
	mustAppend(t, s, req("other", 0, "b", Event("c1", "b", 9)))
	got, version, err := s.Load(context.Background(), "c1", "test", "a")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if version != evs[1].Seq || len(got) != 2 {
		t.Fatalf("Load = %d events at version %d, want 2 at %d", len(got), version, evs[1].Seq)
	}
	for i, e := range got {
		if e.Seq != evs[i].Seq || e.ID != evs[i].ID || string(e.Data) != fmt.Sprintf(`{"n":%d}`, i+1) || e.IdempotencyKey != "k1" {
			t.Errorf("Load[%d] = seq %d id %s data %s key %q, want seq %d id %s", i, e.Seq, e.ID, e.Data, e.IdempotencyKey, evs[i].Seq, evs[i].ID)
		}
	}
	none, v, err := s.Load(context.Background(), "c1", "test", "missing")
	if err != nil || v != 0 || len(none) != 0 {
		t.Fatalf("Load(missing) = %d events, version %d, %v; want none, 0, nil", len(none), v, err)
	}
}

func testStaleVersionConflicts(t *testing.T, open Harness) {
	s, _ := open(t)
	first := mustAppend(t, s, req("k1", 0, "a", Event("c1", "a", 1)))
	_, err := s.Append(context.Background(), req("k2", 0, "a", Event("c1", "a", 2)))
	var ce *eventstore.ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, eventstore.ErrConflict) {
		t.Fatalf("Append at stale version = %v, want *ConflictError", err)
	}
	if ce.Current != first.Appends[0].Version || ce.Expected != 0 {
		t.Errorf("conflict = %+v, want expected 0, current %d", ce, first.Appends[0].Version)
	}
	mustAppend(t, s, req("k3", ce.Current, "a", Event("c1", "a", 3)))
}

func testConcurrentAppendsOneWins(t *testing.T, open Harness) {
	s, _ := open(t)
	base := mustAppend(t, s, req("k0", 0, "a", Event("c1", "a", 0))).Appends[0].Version
	const n = 8
	var ok, conflicts atomic.Int32
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Append(context.Background(), req(fmt.Sprintf("c%d", i), base, "a", Event("c1", "a", i)))
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, eventstore.ErrConflict):
				conflicts.Add(1)
			default:
				t.Errorf("Append: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 || conflicts.Load() != n-1 {
		t.Fatalf("%d succeeded and %d conflicted, want 1 and %d", ok.Load(), conflicts.Load(), n-1)
	}
	if got := lastSeq(t, s); got != base+1 {
		t.Fatalf("LastSeq = %d, want %d", got, base+1)
	}
}

// One request of several events on new aggregates, sent with one key at the
// same moment to two instances of the store: it is committed once, and both
// get its result.
func testSameKeyInParallelOnTwoInstances(t *testing.T, open Harness) {
	s1, reopen := open(t)
	s2 := reopen()
	const rounds = 20
	for i := range rounds {
		key := fmt.Sprintf("twin-%d", i)
		mk := func() eventstore.Request {
			b, c := fmt.Sprintf("b%d", i), fmt.Sprintf("c%d", i)
			return eventstore.Request{Community: "c1", IdempotencyKey: key, Fingerprint: "fp-" + key,
				Appends: []eventstore.Append{
					{AggregateType: "test", AggregateID: b, Events: []eventstore.Event{Event("c1", b, 1)}},
					{AggregateType: "test", AggregateID: c, Events: []eventstore.Event{Event("c1", c, 1)}},
				}}
		}
		before := lastSeq(t, s1)
		var results [2]eventstore.Result
		var errs [2]error
		var wg sync.WaitGroup
		start := make(chan struct{})
		for j, s := range []Store{s1, s2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := mk()
				<-start
				results[j], errs[j] = s.Append(context.Background(), r)
			}()
		}
		close(start)
		wg.Wait()
		for j, err := range errs {
			if err != nil {
				t.Fatalf("round %d: instance %d: Append = %v", i, j+1, err)
			}
		}
		if got := lastSeq(t, s1); got != before+2 {
			t.Fatalf("round %d: the request was stored %d times (last sequence %d → %d)", i, (got-before)/2, before, got)
		}
		a, b := results[0], results[1]
		if a.Replayed == b.Replayed {
			t.Fatalf("round %d: Replayed = %v and %v, want exactly one replay", i, a.Replayed, b.Replayed)
		}
		a.Replayed, b.Replayed = false, false
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("round %d: results differ: %+v and %+v", i, a, b)
		}
	}
}

func testIdempotentRetry(t *testing.T, open Harness) {
	s, _ := open(t)
	r := req("k1", 0, "a", Event("c1", "a", 1), Event("c1", "a", 2))
	first := mustAppend(t, s, r)
	before := lastSeq(t, s)
	// A retry re-decides with fresh event ids and the now-current version.
	retry := req("k1", first.Appends[0].Version, "a", Event("c1", "a", 1), Event("c1", "a", 2))
	again := mustAppend(t, s, retry)
	if !again.Replayed {
		t.Errorf("retry Replayed = false, want true")
	}
	again.Replayed = false
	if fmt.Sprint(again) != fmt.Sprint(first) {
		t.Errorf("retry = %+v, want the original %+v", again, first)
	}
	if after := lastSeq(t, s); after != before {
		t.Errorf("LastSeq after retry = %d, want %d", after, before)
	}
}

func testIdempotencySurvivesReopen(t *testing.T, open Harness) {
	s, reopen := open(t)
	first := mustAppend(t, s, req("k1", 0, "a", Event("c1", "a", 1)))
	mustAppend(t, s, req("k2", 0, "b", Event("c1", "b", 1)))
	s2 := reopen()
	before := lastSeq(t, s2)
	again := mustAppend(t, s2, req("k1", 0, "a", Event("c1", "a", 1)))
	if !again.Replayed || again.Appends[0].Version != first.Appends[0].Version || again.Appends[0].Events[0].ID != first.Appends[0].Events[0].ID {
		t.Fatalf("retry after reopen = %+v, want replay of %+v", again, first)
	}
	if after := lastSeq(t, s2); after != before {
		t.Errorf("LastSeq after retry = %d, want %d", after, before)
	}
}

func testKeyReusedForOtherRequest(t *testing.T, open Harness) {
	s, _ := open(t)
	mustAppend(t, s, req("k1", 0, "a", Event("c1", "a", 1)))
	other := req("k1", 0, "b", Event("c1", "b", 1))
	other.Fingerprint = "something else"
	if _, err := s.Append(context.Background(), other); !errors.Is(err, eventstore.ErrIdempotencyMismatch) {
		t.Fatalf("Append with reused key = %v, want ErrIdempotencyMismatch", err)
	}
	// The same key in another community is another key.
	r := req("k1", 0, "a", Event("c2", "a", 1))
	r.Community = "c2"
	if res := mustAppend(t, s, r); res.Replayed {
		t.Fatalf("same key in another community was replayed")
	}
}

func testBatchIsAllOrNothing(t *testing.T, open Harness) {
	s, _ := open(t)
	mustAppend(t, s, req("k0", 0, "b", Event("c1", "b", 0)))
	before := lastSeq(t, s)
	r := eventstore.Request{Community: "c1", IdempotencyKey: "batch", Fingerprint: "fp",
		Appends: []eventstore.Append{
			{AggregateType: "test", AggregateID: "a", ExpectedVersion: 0, Events: []eventstore.Event{Event("c1", "a", 1)}},
			{AggregateType: "test", AggregateID: "c", ExpectedVersion: 0, Events: []eventstore.Event{Event("c1", "c", 1)}},
			{AggregateType: "test", AggregateID: "b", ExpectedVersion: 0, Events: []eventstore.Event{Event("c1", "b", 1)}}, // stale
		}}
	if _, err := s.Append(context.Background(), r); !errors.Is(err, eventstore.ErrConflict) {
		t.Fatalf("batch with a stale third append = %v, want conflict", err)
	}
	if after := lastSeq(t, s); after != before {
		t.Fatalf("LastSeq = %d after a failed batch, want %d", after, before)
	}
	for _, id := range []string{"a", "c"} {
		if evs, _, _ := s.Load(context.Background(), "c1", "test", id); len(evs) != 0 {
			t.Errorf("aggregate %s has %d events after a failed batch", id, len(evs))
		}
	}
	r.Appends[2].ExpectedVersion = before
	res := mustAppend(t, s, r)
	if len(res.Appends) != 3 || res.Appends[2].Version != before+3 {
		t.Fatalf("batch = %+v, want 3 appends ending at %d", res, before+3)
	}
}

func testBatchChainsOneAggregate(t *testing.T, open Harness) {
	s, _ := open(t)
	r := eventstore.Request{Community: "c1", IdempotencyKey: "chain", Fingerprint: "fp",
		Appends: []eventstore.Append{
			{AggregateType: "test", AggregateID: "a", Events: []eventstore.Event{Event("c1", "a", 1)}},
			{AggregateType: "test", AggregateID: "a", Events: []eventstore.Event{Event("c1", "a", 2), Event("c1", "a", 3)}},
		}}
	res := mustAppend(t, s, r)
	if res.Appends[0].Version+2 != res.Appends[1].Version {
		t.Fatalf("chained versions = %d, %d", res.Appends[0].Version, res.Appends[1].Version)
	}
	again := mustAppend(t, s, r)
	if !again.Replayed || len(again.Appends) != 2 || len(again.Appends[1].Events) != 2 || again.Appends[1].Version != res.Appends[1].Version {
		t.Fatalf("replayed chain = %+v, want %+v", again, res)
	}
}

func testReadAndFollowInOrder(t *testing.T, open Harness) {
	s, _ := open(t)
	var want []string
	for i := range 5 {
		res := mustAppend(t, s, req(fmt.Sprint("k", i), 0, fmt.Sprint("a", i), Event("c1", fmt.Sprint("a", i), i)))
		want = append(want, res.Appends[0].Events[0].ID)
	}
	var got []string
	var seqs []uint64
	if err := s.Read(context.Background(), 0, func(e eventstore.Stored) error {
		if e.Community == eventstore.WriterCommunity {
			return nil // the log's writer key registration comes first
		}
		if e.Rejected != "" {
			t.Errorf("Read: own append at %d rejected: %s", e.Seq, e.Rejected)
		}
		got, seqs = append(got, e.ID), append(seqs, e.Seq)
		return nil
	}); err != nil {
		t.Fatalf("Read: %v", err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Read = %v, want %v", got, want)
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Fatalf("Read sequences %v are not contiguous", seqs)
		}
	}
	var partial []uint64
	_ = s.Read(context.Background(), seqs[3], func(e eventstore.Stored) error { partial = append(partial, e.Seq); return nil })
	if fmt.Sprint(partial) != fmt.Sprint(seqs[3:]) {
		t.Fatalf("Read from %d = %v, want %v", seqs[3], partial, seqs[3:])
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	followed := make(chan uint64, 16)
	done := make(chan error, 1)
	go func() {
		done <- s.Follow(ctx, seqs[2], func(e eventstore.Stored) error { followed <- e.Seq; return nil })
	}()
	live := mustAppend(t, s, req("live", 0, "z", Event("c1", "z", 1))).Appends[0].Version
	wantFollow := append(append([]uint64{}, seqs[2:]...), live)
	for _, w := range wantFollow {
		select {
		case g := <-followed:
			if g != w {
				t.Fatalf("Follow delivered %d, want %d", g, w)
			}
		case <-ctx.Done():
			t.Fatalf("Follow did not deliver %d", w)
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Follow after cancel = %v, want context.Canceled", err)
	}
}

func testRejectsInvalidRequests(t *testing.T, open Harness) {
	s, _ := open(t)
	before := lastSeq(t, s)
	bad := map[string]eventstore.Request{
		"no events":       {Community: "c1", IdempotencyKey: "k"},
		"no key":          req("", 0, "a", Event("c1", "a", 1)),
		"wildcard id":     req("k", 0, "a.*", func() eventstore.Event { e := Event("c1", "a.*", 1); return e }()),
		"foreign event":   req("k", 0, "a", Event("c1", "b", 1)),
		"too many events": req("k", 0, "a", func() []eventstore.Event { return many(1001) }()...),
	}
	for name, r := range bad {
		if _, err := s.Append(context.Background(), r); !errors.Is(err, eventstore.ErrInvalid) {
			t.Errorf("%s: Append = %v, want ErrInvalid", name, err)
		}
	}
	if after := lastSeq(t, s); after != before {
		t.Fatalf("LastSeq = %d after invalid requests, want %d", after, before)
	}
}

func many(n int) []eventstore.Event {
	out := make([]eventstore.Event, n)
	for i := range out {
		out[i] = Event("c1", "a", i)
	}
	return out
}
