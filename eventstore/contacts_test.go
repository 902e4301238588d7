package eventstore_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gongkai/gongkai/eventstore"
)

func contactKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// rawContacts returns the data of every message the contacts bucket's
// stream holds.
func rawContacts(t *testing.T, js jetstream.JetStream) [][]byte {
	t.Helper()
	ctx := context.Background()
	st, err := js.Stream(ctx, "KV_"+eventstore.ContactsBucket)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && seq > 0; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			t.Fatalf("GetMsg(%d): %v", seq, err)
		}
		out = append(out, m.Data)
	}
	return out
}

// Contact details are stored encrypted outside the log, read back with
// the instance's key only, and gone without a trace in the bucket once
// deleted. The embedded server's own user (GongkaiDeny) may do all of it.
func TestContactsStore(t *testing.T) {
	ctx := context.Background()
	js := startEmbedded(t)
	cs, err := eventstore.OpenContacts(ctx, js, contactKey(7), 1)
	if err != nil {
		t.Fatal(err)
	}
	want := eventstore.Contact{Name: "王秀英", Phone: "13912345678", Note: "下午在家", ForgetHash: "ab"}
	ref, err := cs.Put(ctx, "c1", want)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if len(ref) != 32 || ref != string(bytes.ToLower([]byte(ref))) {
		t.Errorf("Put returned ref %q, want 32 lowercase hex digits", ref)
	}
	got, ok, err := cs.Get(ctx, "c1", ref)
	if err != nil || !ok {
		t.Fatalf("Get = %v, %v", ok, err)
	}
	if got != want {
		t.Errorf("Get = %+v, want %+v", got, want)
	}
	if _, ok, err := cs.Get(ctx, "c2", ref); ok || err != nil {
		t.Errorf("Get under another community = %v, %v; want not found", ok, err)
	}
	for _, raw := range rawContacts(t, js) {
		for _, clear := range []string{"13912345678", "王秀英", "下午在家"} {
			if bytes.Contains(raw, []byte(clear)) {
				t.Errorf("the bucket holds %q in clear", clear)
			}
		}
	}

	// Another instance's key does not open it.
	other, err := eventstore.OpenContacts(ctx, js, contactKey(8), 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.Get(ctx, "c1", ref); err == nil {
		t.Errorf("Get with another key: no error")
	}

	// A value copied under another key does not open.
	kv, err := js.KeyValue(ctx, eventstore.ContactsBucket)
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(ctx, "c1."+ref)
	if err != nil {
		t.Fatal(err)
	}
	moved := "0123456789abcdef0123456789abcdef"
	if _, err := kv.Put(ctx, "c1."+moved, e.Value()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cs.Get(ctx, "c1", moved); err == nil {
		t.Errorf("Get of a value moved to another key: no error")
	}
	if err := cs.Delete(ctx, "c1", moved); err != nil {
		t.Fatal(err)
	}

	if err := cs.Delete(ctx, "c1", ref); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, ok, err := cs.Get(ctx, "c1", ref); ok || err != nil {
		t.Errorf("Get after Delete = %v, %v; want not found", ok, err)
	}
	if _, err := kv.Get(ctx, "c1."+ref); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Errorf("bucket Get after Delete: %v, want ErrKeyNotFound", err)
	}
	for _, raw := range rawContacts(t, js) {
		if bytes.Equal(raw, e.Value()) {
			t.Errorf("the bucket still holds the deleted value")
		}
	}
	if err := cs.Delete(ctx, "c1", ref); err != nil {
		t.Errorf("Delete again: %v", err)
	}

	// Malformed names are refused before the bucket.
	if _, _, err := cs.Get(ctx, "C1", ref); err == nil {
		t.Errorf("Get with a bad community: no error")
	}
	if err := cs.Delete(ctx, "c1", "../x"); err == nil {
		t.Errorf("Delete with a bad ref: no error")
	}
	if _, err := cs.Put(ctx, "c1", eventstore.Contact{Note: string(make([]byte, eventstore.MaxContactBytes))}); !errors.Is(err, eventstore.ErrContactTooLarge) {
		t.Errorf("Put of a huge record: %v, want ErrContactTooLarge", err)
	}

	// Reopening finds the bucket as it is.
	again, err := eventstore.OpenContacts(ctx, js, contactKey(7), 1)
	if err != nil {
		t.Fatal(err)
	}
	ref2, err := again.Put(ctx, "c1", eventstore.Contact{Phone: "1"})
	if err != nil || ref2 == ref {
		t.Errorf("Put after reopening: %q, %v", ref2, err)
	}
}
