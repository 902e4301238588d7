package eventstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gongkai/gongkai/eventstore"
	"github.com/gongkai/gongkai/eventstore/storetest"
)

func startEmbedded(t *testing.T) jetstream.JetStream {
	t.Helper()
	e, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	js, err := jetstream.New(e.Conn)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// testWriter is the writer key of every store in these tests: a store
// reopened on the same stream is the same instance restarted.
var testWriter = func() eventstore.WriterKey {
	k, err := eventstore.GenerateWriterKey()
	if err != nil {
		panic(err)
	}
	return k
}()

func openStore(t *testing.T, js jetstream.JetStream, cfg eventstore.Config) *eventstore.Store {
	t.Helper()
	if cfg.Writer.IsZero() {
		cfg.Writer = testWriter
	}
	s, err := eventstore.Open(context.Background(), js, cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (storetest.Store, func() storetest.Store) {
		js := startEmbedded(t)
		s := openStore(t, js, eventstore.Config{})
		return s, func() storetest.Store { return openStore(t, js, eventstore.Config{}) }
	})
}

// A retry after JetStream's duplicate window has passed still returns the
// original result and stores nothing: idempotency is the ledger's own.
func TestIdempotencyOutlivesDuplicateWindow(t *testing.T) {
	js := startEmbedded(t)
	const window = time.Second
	s := openStore(t, js, eventstore.Config{DuplicateWindow: window})
	ctx := context.Background()
	r := eventstore.Request{Community: "c1", IdempotencyKey: "once", Fingerprint: "fp",
		Appends: []eventstore.Append{{AggregateType: "test", AggregateID: "a", Events: []eventstore.Event{storetest.Event("c1", "a", 1)}}}}
	first, err := s.Append(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(window + 500*time.Millisecond)
	// Another process, started after the window, gets the same answer.
	s2 := openStore(t, js, eventstore.Config{DuplicateWindow: window})
	for _, st := range []*eventstore.Store{s, s2} {
		r.Appends[0].ExpectedVersion = first.Appends[0].Version
		r.Appends[0].Events = []eventstore.Event{storetest.Event("c1", "a", 1)}
		again, err := st.Append(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if !again.Replayed || again.Appends[0].Events[0] != first.Appends[0].Events[0] {
			t.Fatalf("retry after window = %+v, want replay of %+v", again, first)
		}
	}
	if last, _ := s.LastSeq(ctx); last != first.Appends[0].Version {
		t.Fatalf("LastSeq = %d, want %d", last, first.Appends[0].Version)
	}
}

// Open refuses a stream whose configuration would allow rewriting history.
func TestOpenRefusesWeakStream(t *testing.T) {
	weaken := map[string]func(*jetstream.StreamConfig){
		"deny_delete":   func(c *jetstream.StreamConfig) { c.DenyDelete = false },
		"deny_purge":    func(c *jetstream.StreamConfig) { c.DenyPurge = false },
		"max_bytes":     func(c *jetstream.StreamConfig) { c.MaxBytes = 1 << 30 },
		"max_age":       func(c *jetstream.StreamConfig) { c.MaxAge = time.Hour },
		"max_msgs":      func(c *jetstream.StreamConfig) { c.MaxMsgs = 100 },
		"allow_msg_ttl": func(c *jetstream.StreamConfig) { c.AllowMsgTTL = true },
	}
	for setting, weaken := range weaken {
		t.Run(setting, func(t *testing.T) {
			js := startEmbedded(t)
			cfg := eventstore.StreamConfig("GONGKAI", 1, time.Minute)
			weaken(&cfg)
			if _, err := js.CreateStream(context.Background(), cfg); err != nil {
				t.Fatal(err)
			}
			_, err := eventstore.Open(context.Background(), js, eventstore.Config{})
			var sce *eventstore.StreamConfigError
			if !errors.As(err, &sce) || sce.Setting != setting || !strings.Contains(err.Error(), setting) {
				t.Fatalf("Open = %v, want a StreamConfigError naming %s", err, setting)
			}
		})
	}
}

// The stream Open creates really refuses deletes and purges.
func TestStreamDeniesDeleteAndPurge(t *testing.T) {
	e, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	js, _ := jetstream.New(e.Conn)
	s := openStore(t, js, eventstore.Config{})
	// gongkai's own user may not delete or purge at all (TestGongkaiRights);
	// the server's administrator may, so what refuses it is the stream.
	nc, err := e.ConnectAdmin()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ = jetstream.New(nc)
	ctx := context.Background()
	res, err := s.Append(ctx, eventstore.Request{Community: "c1", IdempotencyKey: "k", Fingerprint: "f",
		Appends: []eventstore.Append{{AggregateType: "test", AggregateID: "a", Events: []eventstore.Event{storetest.Event("c1", "a", 1)}}}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, "GONGKAI")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteMsg(ctx, res.Appends[0].Version); err == nil {
		t.Errorf("DeleteMsg succeeded on the ledger stream")
	}
	if err := st.Purge(ctx); err == nil {
		t.Errorf("Purge succeeded on the ledger stream")
	}
	if last, _ := s.LastSeq(ctx); last != res.Appends[0].Version {
		t.Fatalf("LastSeq = %d, want %d", last, res.Appends[0].Version)
	}
}

// ReadCommunity reads one community's events in stream order and no
// other's, across batches of its direct gets, and nothing for a community
// without events.
func TestReadCommunity(t *testing.T) {
	js := startEmbedded(t)
	s := openStore(t, js, eventstore.Config{})
	ctx := context.Background()
	var want []uint64
	for i := range 2500 {
		c := []string{"c1", "c2"}[i%2]
		id := fmt.Sprintf("a%d", i)
		res, err := s.Append(ctx, eventstore.Request{Community: c, IdempotencyKey: id, Fingerprint: "fp",
			Appends: []eventstore.Append{{AggregateType: "test", AggregateID: id, Events: []eventstore.Event{storetest.Event(c, id, 1)}}}})
		if err != nil {
			t.Fatal(err)
		}
		if c == "c1" {
			want = append(want, res.Appends[0].Version)
		}
	}
	var got []uint64
	if err := s.ReadCommunity(ctx, "c1", func(st eventstore.Stored) error {
		if st.Community != "c1" || len(st.Raw) == 0 || st.Rejected != "" {
			t.Errorf("read %+v", st)
		}
		got = append(got, st.Seq)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("c1: read %d events, want %d in order", len(got), len(want))
	}
	n := 0
	if err := s.ReadCommunity(ctx, "nobody", func(eventstore.Stored) error { n++; return nil }); err != nil || n != 0 {
		t.Errorf("a community without events: %d events, %v", n, err)
	}
}
