package eventstore

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// loadEvents is a request of n events on aggregate id, the first numbered
// from.
func loadEvents(key string, version uint64, id string, from, n int) Request {
	evs := make([]Event, n)
	for i := range evs {
		evs[i] = Event{ID: fmt.Sprintf("%s-%d", id, from+i), Type: "test.happened", Schema: 1, Community: "c1",
			AggregateType: "test", AggregateID: id, EffectiveDate: "2025-01-02",
			RecordedAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, from+i))}
	}
	return Request{Community: "c1", IdempotencyKey: key, Fingerprint: "fp-" + key,
		Appends: []Append{{AggregateType: "test", AggregateID: id, ExpectedVersion: version, Events: evs}}}
}

// Load reads an aggregate by direct gets filtered by its subject, in pages
// of loadBatch, and gets exactly what an ordered consumer on the subject
// gets: every message through the version, in order, a message that is not
// an event handed on raw and marked as no fact. When the answer does not end
// at the version it was asked for (a replica behind the leader), the direct
// read gives way to the consumer.
func TestLoadReadsItsSubject(t *testing.T) {
	ctx := context.Background()
	e, js, w := testEmbedded(t)
	s, err := Open(ctx, js, Config{Writer: w})
	if err != nil {
		t.Fatal(err)
	}
	// 600 events of a1 in six requests, each followed by one of a2, so
	// that a1's messages are spread over the stream and span three pages.
	var a1, a2 uint64
	for r := range 6 {
		res, err := s.Append(ctx, loadEvents(fmt.Sprintf("a1-%d", r), a1, "a1", r*100, 100))
		if err != nil {
			t.Fatal(err)
		}
		a1 = res.Appends[0].Version
		if res, err = s.Append(ctx, loadEvents(fmt.Sprintf("a2-%d", r), a2, "a2", r, 1)); err != nil {
			t.Fatal(err)
		}
		a2 = res.Appends[0].Version
	}
	// A message on a1's subject that is not an event and not signed, as
	// someone holding the server could store.
	admin, err := e.ConnectAdmin()
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ajs, _ := jetstream.New(admin)
	subject := Subject("c1", "test", "a1")
	ack, err := ajs.Publish(ctx, subject, []byte("not an event"))
	if err != nil {
		t.Fatal(err)
	}

	got, version, err := s.Load(ctx, "c1", "test", "a1")
	if err != nil {
		t.Fatal(err)
	}
	if version != ack.Sequence || len(got) != 601 {
		t.Fatalf("version %d with %d messages, want %d with 601", version, len(got), ack.Sequence)
	}
	for i, st := range got[:600] {
		if st.ID != fmt.Sprintf("a1-%d", i) || st.Rejected != "" || (i > 0 && st.Seq <= got[i-1].Seq) {
			t.Fatalf("message %d: %s at %d (rejected %q)", i, st.ID, st.Seq, st.Rejected)
		}
	}
	if last := got[600]; string(last.Raw) != "not an event" || last.Rejected == "" || last.Seq != ack.Sequence {
		t.Fatalf("the stored non-event came back as %+v", last)
	}

	direct, ok, err := s.loadDirect(ctx, subject, version)
	if err != nil || !ok {
		t.Fatalf("direct read: ok %v, %v", ok, err)
	}
	viaConsumer, err := s.loadConsumer(ctx, subject, version)
	if err != nil {
		t.Fatal(err)
	}
	for i := range direct {
		// The consumer's time is in the local zone, the direct get's in
		// UTC: the same instant.
		direct[i].Time, viaConsumer[i].Time = direct[i].Time.UTC(), viaConsumer[i].Time.UTC()
	}
	if !reflect.DeepEqual(direct, viaConsumer) {
		t.Fatalf("direct and consumer reads differ: %d and %d messages; %s", len(direct), len(viaConsumer), firstDiff(direct, viaConsumer))
	}

	// Through an earlier version: only what was stored by then.
	early, ok, err := s.loadDirect(ctx, subject, got[99].Seq)
	if err != nil || !ok || len(early) != 100 {
		t.Fatalf("direct read through %d: %d messages, ok %v, %v", got[99].Seq, len(early), ok, err)
	}
	// An answer that does not end at the version asked for gives way.
	for _, v := range []uint64{version + 5, a2} {
		if out, ok, err := s.loadDirect(ctx, subject, v); ok || err != nil || out != nil {
			t.Fatalf("direct read through %d (not a message of the subject): ok %v, %d messages, %v", v, ok, len(out), err)
		}
	}
}

func firstDiff(a, b []Stored) string {
	for i := range a {
		if !reflect.DeepEqual(a[i], b[i]) {
			return fmt.Sprintf("%d: %+v\n vs %+v", i, a[i], b[i])
		}
	}
	return ""
}
