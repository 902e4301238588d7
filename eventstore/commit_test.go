package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// testServer starts an embedded server (fsync on) for the test and returns
// a connection to it and a writer key.
func testServer(t *testing.T) (jetstream.JetStream, WriterKey) {
	t.Helper()
	_, js, w := testEmbedded(t)
	return js, w
}

// testEmbedded is testServer, also returning the server.
func testEmbedded(tb testing.TB) (*Embedded, jetstream.JetStream, WriterKey) {
	tb.Helper()
	e, err := StartEmbedded(EmbeddedConfig{Dir: tb.TempDir()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(e.Close)
	js, err := jetstream.New(e.Conn)
	if err != nil {
		tb.Fatal(err)
	}
	w, err := GenerateWriterKey()
	if err != nil {
		tb.Fatal(err)
	}
	return e, js, w
}

// groupStore opens a store on a fresh embedded server whose committer
// allows one publish in flight, and takes that one slot, so that every
// append queues until the test calls release: the queued requests then go
// out together, as under load.
func groupStore(t *testing.T) *Store {
	t.Helper()
	js, w := testServer(t)
	s, err := Open(context.Background(), js, Config{Writer: w, MaxInFlight: 1})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (c *committer) hold() {
	c.mu.Lock()
	c.inFlight++
	c.mu.Unlock()
}

func (c *committer) waitQueued(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c.mu.Lock()
		got := len(c.queue)
		c.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d requests queued, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func testEvent(id string, n int) Event {
	return Event{ID: fmt.Sprintf("%s-%d", id, n), Type: "test.happened", Schema: 1, Community: "c1",
		AggregateType: "test", AggregateID: id, EffectiveDate: "2025-01-02",
		RecordedAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, n))}
}

func testRequest(key string, version uint64, id string, n int) Request {
	evs := make([]Event, n)
	for i := range evs {
		evs[i] = testEvent(id, i)
	}
	return Request{Community: "c1", IdempotencyKey: key, Fingerprint: "fp-" + key,
		Appends: []Append{{AggregateType: "test", AggregateID: id, ExpectedVersion: version, Events: evs}}}
}

type outcome struct {
	res Result
	err error
}

// appendAll starts every request at once and returns their outcomes once
// the test has let the queue go.
func appendAll(ctx context.Context, s *Store, reqs []Request) func() []outcome {
	out := make([]outcome, len(reqs))
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Go(func() {
			res, err := s.Append(ctx, r)
			out[i] = outcome{res, err}
		})
	}
	return func() []outcome { wg.Wait(); return out }
}

// Twenty requests queued behind one publish go out as one atomic batch;
// each gets its own contiguous sequences, the stream holds each event once
// in request order, every message is a fact, and a retry of each returns
// its original result.
func TestGroupCommitOneBatch(t *testing.T) {
	ctx := context.Background()
	s := groupStore(t)
	before, _ := s.LastSeq(ctx)
	s.commits.hold()
	var reqs []Request
	for i := range 20 {
		reqs = append(reqs, testRequest(fmt.Sprintf("k%d", i), 0, fmt.Sprintf("a%d", i), 1+i%3))
	}
	wait := appendAll(ctx, s, reqs)
	s.commits.waitQueued(t, len(reqs))
	s.commits.release()
	out := wait()

	st := s.CommitStats()
	if st.Batches != 1 || st.BatchedRequests != 20 || st.Fallbacks != 0 {
		t.Fatalf("stats %+v, want one batch of 20 requests", st)
	}
	total := 0
	seen := map[uint64]string{}
	for i, o := range out {
		if o.err != nil {
			t.Fatalf("request %d: %v", i, o.err)
		}
		evs := o.res.Appends[0].Events
		if len(evs) != len(reqs[i].Appends[0].Events) || o.res.Replayed {
			t.Fatalf("request %d: result %+v", i, o.res)
		}
		for j, ev := range evs {
			if j > 0 && ev.Seq != evs[j-1].Seq+1 {
				t.Fatalf("request %d: sequences %d, %d not contiguous", i, evs[j-1].Seq, ev.Seq)
			}
			if prev, dup := seen[ev.Seq]; dup {
				t.Fatalf("sequence %d given to %s and %s", ev.Seq, prev, ev.ID)
			}
			seen[ev.Seq] = ev.ID
			got, err := s.Message(ctx, ev.Seq)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != ev.ID || got.AggregateID != reqs[i].Appends[0].AggregateID || got.IdempotencyKey != reqs[i].IdempotencyKey {
				t.Fatalf("sequence %d holds %s of %s (key %s), want %s", ev.Seq, got.ID, got.AggregateID, got.IdempotencyKey, ev.ID)
			}
		}
		total += len(evs)
	}
	last, _ := s.LastSeq(ctx)
	if last-before != uint64(total) {
		t.Fatalf("stream grew by %d, requests hold %d events", last-before, total)
	}
	if r := s.Rejected(); len(r) != 0 {
		t.Fatalf("rejected: %+v", r)
	}
	s.idx.mu.Lock()
	own := len(s.idx.own)
	s.idx.mu.Unlock()
	if own != 0 {
		t.Fatalf("%d messages still recorded as in flight after every append returned", own)
	}
	for i, r := range reqs {
		res, err := s.Append(ctx, r)
		if err != nil || !res.Replayed || res.Appends[0].Version != out[i].res.Appends[0].Version {
			t.Fatalf("retry of request %d: %+v, %v; first %+v", i, res, err, out[i].res)
		}
	}
}

// A stale check makes JetStream refuse the whole batch; the requests are
// then published one by one, so the stale one fails alone with a conflict
// and the others commit.
func TestGroupCommitStaleRequestFailsAlone(t *testing.T) {
	ctx := context.Background()
	s := groupStore(t)
	first, err := s.Append(ctx, testRequest("x0", 0, "x", 1))
	if err != nil {
		t.Fatal(err)
	}
	_ = first
	s.commits.hold()
	reqs := []Request{testRequest("k0", 0, "a0", 1), testRequest("k1", 0, "a1", 2),
		testRequest("stale", 0, "x", 1), // decided on a new aggregate; x exists
		testRequest("k3", 0, "a3", 1), testRequest("k4", 0, "a4", 3), testRequest("k5", 0, "a5", 2)}
	wait := appendAll(ctx, s, reqs)
	s.commits.waitQueued(t, len(reqs))
	before, _ := s.LastSeq(ctx)
	s.commits.release()
	out := wait()
	if st := s.CommitStats(); st.Batches != 1 || st.Fallbacks != 1 {
		t.Fatalf("stats %+v, want one refused batch", st)
	}
	var ce *ConflictError
	if !errors.As(out[2].err, &ce) || ce.Current != first.Appends[0].Version {
		t.Fatalf("stale request: %v, want a conflict at version %d", out[2].err, first.Appends[0].Version)
	}
	n := 0
	for i, o := range out {
		if i == 2 {
			continue
		}
		if o.err != nil {
			t.Fatalf("request %d failed with the stale one: %v", i, o.err)
		}
		n += len(o.res.Appends[0].Events)
	}
	last, _ := s.LastSeq(ctx)
	if last-before != uint64(n) {
		t.Fatalf("stream grew by %d, the committed requests hold %d", last-before, n)
	}
	if r := s.Rejected(); len(r) != 0 {
		t.Fatalf("rejected: %+v", r)
	}
}

// Two requests decided on the same version of one aggregate never share a
// batch: the first commits, the second gets a conflict (not JetStream's
// refusal of a check on a subject written earlier in the same batch, which
// would fail every request of the batch).
func TestGroupCommitSameAggregateTwice(t *testing.T) {
	ctx := context.Background()
	s := groupStore(t)
	s.commits.hold()
	reqs := []Request{testRequest("k0", 0, "a", 4), testRequest("k1", 0, "b", 4), testRequest("k2", 0, "a", 4)}
	wait := appendAll(ctx, s, reqs)
	s.commits.waitQueued(t, len(reqs))
	s.commits.release()
	out := wait()
	var ce *ConflictError
	okA, conflictA := 0, 0
	for _, i := range []int{0, 2} {
		switch {
		case out[i].err == nil:
			okA++
		case errors.As(out[i].err, &ce):
			conflictA++
		default:
			t.Fatalf("request %d: %v", i, out[i].err)
		}
	}
	if okA != 1 || conflictA != 1 || out[1].err != nil {
		t.Fatalf("outcomes %+v", out)
	}
	if st := s.CommitStats(); st.Fallbacks != 0 {
		t.Fatalf("stats %+v: the two requests on one aggregate shared a batch", st)
	}
}

// A caller that gives up while its request waits in the queue gets an
// error and its request is not stored; the others commit.
func TestGroupCommitAbandonedWhileQueued(t *testing.T) {
	s := groupStore(t)
	s.commits.hold()
	ctx, cancel := context.WithCancel(context.Background())
	gone := make(chan error, 1)
	go func() {
		_, err := s.Append(ctx, testRequest("gone", 0, "g", 1))
		gone <- err
	}()
	s.commits.waitQueued(t, 1)
	cancel()
	if err := <-gone; !errors.Is(err, context.Canceled) {
		t.Fatalf("abandoned request: %v", err)
	}
	wait := appendAll(context.Background(), s, []Request{testRequest("k0", 0, "a", 1)})
	s.commits.waitQueued(t, 1)
	s.commits.release()
	if out := wait(); out[0].err != nil {
		t.Fatal(out[0].err)
	}
	if v, _ := s.Version(context.Background(), Subject("c1", "test", "g")); v != 0 {
		t.Fatalf("the abandoned request was stored at %d", v)
	}
}

// Fewer queued messages than a batch is worth are published side by side,
// each on its own: no batch, every request stored.
func TestGroupCommitSmallGroupSideBySide(t *testing.T) {
	ctx := context.Background()
	s := groupStore(t)
	s.commits.hold()
	reqs := []Request{testRequest("k0", 0, "a", 2), testRequest("k1", 0, "b", 1), testRequest("k2", 0, "c", 3)}
	wait := appendAll(ctx, s, reqs)
	s.commits.waitQueued(t, len(reqs))
	before := s.CommitStats()
	s.commits.release()
	for i, o := range wait() {
		if o.err != nil {
			t.Fatalf("request %d: %v", i, o.err)
		}
	}
	if st := s.CommitStats(); st.Batches != 0 || st.Publishes-before.Publishes != 3 {
		t.Fatalf("stats %+v (before %+v), want three publishes and no batch", st, before)
	}
	if last, _ := s.LastSeq(ctx); last < 7 {
		t.Fatalf("last sequence %d", last)
	}
}
