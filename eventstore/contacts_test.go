package eventstore_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
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

// The embedded server's reader, who may copy the ledger, cannot read the
// contacts bucket in any way ReaderAllow offers (ReaderDeny).
func TestContactsHiddenFromReader(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	e, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{Dir: t.TempDir(), Listen: addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	ctx := context.Background()
	js, err := jetstream.New(e.Conn)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := eventstore.OpenContacts(ctx, js, contactKey(7), 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := cs.Put(ctx, "c1", eventstore.Contact{Phone: "13912345678"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "S", Subjects: []string{"s.>"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "s.x", []byte("public")); err != nil {
		t.Fatal(err)
	}
	pw, err := os.ReadFile(e.ReaderPasswordFile)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect("nats://"+addr, nats.UserInfo(eventstore.ReaderUser, strings.TrimSpace(string(pw))), nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	rjs, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	short := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, 2*time.Second) }

	// The reader still reads other streams.
	c1, cancel := short()
	s, err := rjs.Stream(c1, "S")
	cancel()
	if err != nil {
		t.Fatalf("reader: stream info of S: %v", err)
	}
	if m, err := s.GetMsg(ctx, 1, jetstream.WithGetMsgSubject("")); err != nil || string(m.Data) != "public" {
		t.Errorf("reader: get from S: %v", err)
	}

	c2, cancel := short()
	defer cancel()
	if _, err := rjs.Stream(c2, "KV_"+eventstore.ContactsBucket); err == nil {
		t.Errorf("reader: stream info of the contacts bucket allowed")
	}
	for _, subj := range []string{
		"$JS.API.DIRECT.GET.KV_" + eventstore.ContactsBucket + ".$KV." + eventstore.ContactsBucket + ".c1." + ref,
		"$JS.API.DIRECT.GET.KV_" + eventstore.ContactsBucket,
		"$JS.API.STREAM.MSG.GET.KV_" + eventstore.ContactsBucket,
		"$JS.API.CONSUMER.CREATE.KV_" + eventstore.ContactsBucket,
	} {
		body := []byte(`{"seq":1}`)
		if strings.Contains(subj, "CONSUMER") {
			body = []byte(`{"stream_name":"KV_` + eventstore.ContactsBucket + `","config":{"ack_policy":"none"}}`)
		}
		msg, err := nc.Request(subj, body, time.Second)
		if err == nil && bytes.Contains(msg.Data, []byte(`"error"`)) == false {
			t.Errorf("reader: %s answered %q", subj, msg.Data)
		}
	}
}
