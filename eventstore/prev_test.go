package eventstore_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/gongkai/gongkai/eventstore"
	"github.com/gongkai/gongkai/eventstore/storetest"
)

// A message signed by the registered writer key but decided on a version
// its aggregate has left (one that JetStream refused, stored later by
// someone who can publish) is not a fact; nor is one whose Gongkai-Prev is
// malformed. One decided on the aggregate's current version is.
func TestSignedMessageBoundToItsVersion(t *testing.T) {
	ctx := context.Background()
	js := startEmbedded(t)
	s := openStore(t, js, eventstore.Config{})
	res, err := s.Append(ctx, eventstore.Request{Community: "c1", IdempotencyKey: "k1", Fingerprint: "f1",
		Appends: []eventstore.Append{{AggregateType: "test", AggregateID: "m1", Events: []eventstore.Event{storetest.Event("c1", "m1", 1)}}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Appends[0].Version == 0 {
		t.Fatal("no version")
	}
	publish := func(key, prev string) uint64 {
		t.Helper()
		data := []byte(`{"id":"e-` + key + `","type":"matter.registered","community":"c1","aggregate_type":"test","aggregate_id":"m1","data":{}}`)
		sum := sha256.Sum256(data)
		h := nats.Header{}
		h.Set(eventstore.HeaderIdempotency, eventstore.IdempotencyHash("c1", key))
		h.Set(eventstore.HeaderRequest, "fp-"+key)
		h.Set(eventstore.HeaderCommand, "0")
		h.Set(eventstore.HeaderPart, "0/1")
		h.Set(eventstore.HeaderPrev, prev)
		h.Set(eventstore.HeaderPayloadSHA256, hex.EncodeToString(sum[:]))
		testWriter.SignHeader("ledger.c1.test.m1", h)
		m := nats.NewMsg("ledger.c1.test.m1")
		m.Header, m.Data = h, data
		ack, err := js.PublishMsg(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		return ack.Sequence
	}
	stale := publish("stale", "0")           // decided on a new aggregate; m1 exists
	bad := publish("bad", "^3")              // a relative prev on part 0
	current := publish("current", "")        // unbound (gongkai always binds; kept for the table)
	fresh := publish("fresh", uToA(current)) // decided on the version it found
	if err := s.Read(ctx, 0, func(eventstore.Stored) error { return nil }); err != nil {
		t.Fatal(err)
	}
	got := map[uint64]string{}
	for _, r := range s.Rejected() {
		got[r.Seq] = r.Reason
	}
	if !strings.Contains(got[stale], "decided on its aggregate at version 0") {
		t.Errorf("stale message at %d: %q, want rejected as decided on version 0", stale, got[stale])
	}
	if !strings.Contains(got[bad], "malformed") {
		t.Errorf("message with prev ^3 at %d: %q, want rejected as malformed", bad, got[bad])
	}
	if got[current] != "" || got[fresh] != "" {
		t.Errorf("messages at %d and %d rejected: %q, %q", current, fresh, got[current], got[fresh])
	}
}

func uToA(n uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}
