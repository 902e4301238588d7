package eventstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// snapTypes are the aggregate types the stores in these tests list.
var snapTypes = []string{"account", "token"}

// publishRaw stores, bypassing the store, part k of n of the request ikey
// on subject as an append would write it, decided on version prev ("" for
// none), signed by key unless it is zero; alter may change it after
// signing. It returns the message's sequence.
func publishRaw(t *testing.T, js jetstream.JetStream, subject, ikey string, k, n int, prev string, key WriterKey, alter func(*nats.Msg)) uint64 {
	t.Helper()
	tok := strings.Split(subject, ".")
	data, _ := json.Marshal(Event{ID: fmt.Sprintf("%s-%d", ikey, k), Type: "test.happened", Schema: 1, Community: tok[1],
		AggregateType: tok[2], AggregateID: tok[3], IdempotencyKey: ikey, Data: json.RawMessage(`{}`)})
	sum := sha256.Sum256(data)
	m := nats.NewMsg(subject)
	m.Data = data
	m.Header.Set(HeaderIdempotency, IdempotencyHash(tok[1], ikey))
	m.Header.Set(HeaderRequest, "fp-"+ikey)
	m.Header.Set(HeaderCommand, "0")
	m.Header.Set(HeaderPayloadSHA256, hex.EncodeToString(sum[:]))
	m.Header.Set(HeaderPart, fmt.Sprintf("%d/%d", k, n))
	if prev != "" {
		m.Header.Set(HeaderPrev, prev)
	}
	if !key.IsZero() {
		key.SignHeader(subject, m.Header)
	}
	if alter != nil {
		alter(m)
	}
	ack, err := js.PublishMsg(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	return ack.Sequence
}

// snapRequest is a request in community of one append per aggregate
// ("type/id"), each of n events, on new aggregates.
func snapRequest(community, key string, n int, aggregates ...string) Request {
	r := Request{Community: community, IdempotencyKey: key, Fingerprint: "fp-" + key}
	for _, a := range aggregates {
		typ, id, _ := strings.Cut(a, "/")
		ap := Append{AggregateType: typ, AggregateID: id}
		for i := range n {
			ap.Events = append(ap.Events, Event{ID: fmt.Sprintf("%s-%s-%d", key, id, i), Type: typ + ".happened", Schema: 1,
				Community: community, AggregateType: typ, AggregateID: id, EffectiveDate: "2025-01-02",
				RecordedAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))})
		}
		r.Appends = append(r.Appends, ap)
	}
	return r
}

func mustOpen(t *testing.T, js jetstream.JetStream, cfg Config) *Store {
	t.Helper()
	s, err := Open(context.Background(), js, cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func mustAppend(t *testing.T, s *Store, r Request) Result {
	t.Helper()
	res, err := s.Append(context.Background(), r)
	if err != nil {
		t.Fatalf("append %s: %v", r.IdempotencyKey, err)
	}
	return res
}

// buildLedger writes a ledger with what an index must remember: legacy
// messages before the genesis (one request of two parts stored apart), the
// genesis, a second writer key registered, used and revoked, requests of
// several parts and aggregates in several communities and types, a
// subject written twice, and messages that are not facts (signed by the
// revoked key, unsigned, a header changed after signing). It returns the
// requests appended through the store.
func buildLedger(t *testing.T, js jetstream.JetStream, w, w2 WriterKey) []Request {
	t.Helper()
	ctx := context.Background()
	mustOpen(t, js, Config{}) // creates the stream without a writer key: no genesis
	zero := WriterKey{}
	publishRaw(t, js, "ledger.c1.test.l1", "legacy-a", 0, 2, "", zero, nil)
	publishRaw(t, js, "ledger.c2.account.l2", "legacy-b", 0, 1, "", zero, nil)
	publishRaw(t, js, "ledger.c1.test.l1", "legacy-a", 1, 2, "", zero, nil)

	a := mustOpen(t, js, Config{Writer: w, ListTypes: snapTypes})
	var reqs []Request
	add := func(s *Store, r Request) {
		mustAppend(t, s, r)
		reqs = append(reqs, r)
	}
	add(a, snapRequest("c1", "multi", 2, "account/acc1", "test/t1"))
	if _, _, err := a.RegisterWriter(ctx, w2.Public(), "second", "test"); err != nil {
		t.Fatal(err)
	}
	b := mustOpen(t, js, Config{Writer: w2, ListTypes: snapTypes})
	add(b, snapRequest("c2", "by-w2", 1, "token/tok1"))
	if _, err := a.RevokeWriter(ctx, w2.ID, "test"); err != nil {
		t.Fatal(err)
	}
	publishRaw(t, js, "ledger.c2.token.tok2", "forged-revoked", 0, 1, "0", w2, nil)
	publishRaw(t, js, "ledger.c3.account.acc9", "forged-unsigned", 0, 1, "0", zero, nil)
	publishRaw(t, js, "ledger.c3.token.tok9", "forged-header", 0, 1, "0", w, func(m *nats.Msg) { m.Header.Set(HeaderRequest, "other") })
	types := []string{"account", "token", "test", "evaluation"}
	for i := range 24 {
		c := fmt.Sprintf("c%d", 1+i%3)
		add(a, snapRequest(c, fmt.Sprintf("r%d", i), 1+i%3, fmt.Sprintf("%s/x%d", types[i%4], i), fmt.Sprintf("%s/y%d", types[(i+1)%4], i)))
	}
	// A subject written again, decided on its version.
	v, err := a.Version(ctx, "ledger.c1.account.acc1")
	if err != nil {
		t.Fatal(err)
	}
	again := snapRequest("c1", "again", 1, "account/acc1")
	again.Appends[0].ExpectedVersion = v
	add(a, again)
	return reqs
}

// indexView is an index's state in a form that compares: requests as a
// set, rejections in order, and the lists.
type indexView struct {
	Thru            uint64
	Keys            map[idemKey]idxEntry
	Writers         map[string]writerState
	Genesis, Legacy uint64
	Rejected        []Rejection
	Last            int
	Communities     map[string][]uint64
	Types           map[string][]uint64
}

func viewOf(t *testing.T, s *Store) indexView {
	t.Helper()
	x := s.idx
	x.mu.Lock()
	defer x.mu.Unlock()
	v := x.v
	iv := indexView{Thru: x.thru, Keys: maps.Clone(v.keys.m), Writers: map[string]writerState{}, Genesis: v.genesis, Legacy: v.legacy,
		Last: len(v.last), Communities: map[string][]uint64{}, Types: map[string][]uint64{}}
	for i, r := range v.keys.base {
		if _, dup := iv.Keys[r.k]; dup {
			t.Errorf("key %x is both restored and added", r.k)
		}
		if i > 0 && bytes.Compare(v.keys.base[i-1].k[:], r.k[:]) >= 0 {
			t.Errorf("restored keys out of order at %d", i)
		}
		iv.Keys[r.k] = r.e
	}
	for id, w := range v.writers {
		iv.Writers[id] = *w
	}
	iv.Rejected = v.Rejected()
	for c, seqs := range x.communities {
		iv.Communities[c] = slices.Clip(seqs)
	}
	for typ, seqs := range x.types {
		if len(seqs) > 0 {
			iv.Types[typ] = slices.Clip(seqs)
		}
	}
	return iv
}

// sameIndex fails unless the two stores' indexes hold the same state, the
// same verdict for every sequence, and each subject's version as
// JetStream has it.
func sameIndex(t *testing.T, got, want *Store) {
	t.Helper()
	g, w := viewOf(t, got), viewOf(t, want)
	gv, wv := reflect.ValueOf(g), reflect.ValueOf(w)
	for i := range gv.NumField() {
		if !reflect.DeepEqual(gv.Field(i).Interface(), wv.Field(i).Interface()) {
			t.Errorf("index %s = %v, want %v", gv.Type().Field(i).Name, gv.Field(i).Interface(), wv.Field(i).Interface())
		}
	}
	ctx := context.Background()
	for seq := uint64(1); seq <= w.Thru; seq++ {
		m, err := got.stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		version, err := got.Version(ctx, m.Subject)
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := got.SubjectVersion(m.Subject); !ok || v != version {
			t.Errorf("SubjectVersion(%s) = %d, %t, want %d", m.Subject, v, ok, version)
		}
		if a, b := mustVerdict(t, got, seq), mustVerdict(t, want, seq); a != b {
			t.Errorf("verdict at %d = %q, want %q", seq, a, b)
		}
	}
}

func mustVerdict(t *testing.T, s *Store, seq uint64) string {
	t.Helper()
	r, ok := s.idx.verdict(seq)
	if !ok {
		t.Fatalf("no verdict at %d", seq)
	}
	return r
}

// syncBuffer is a log destination safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// readTypes returns ReadTypes' messages through upTo as "seq subject
// rejection" lines.
func readTypes(t *testing.T, s *Store, upTo uint64) []string {
	t.Helper()
	var out []string
	err := s.ReadTypes(context.Background(), upTo, func(st Stored) error {
		out = append(out, typeLine(st))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// typeLine is a message as readTypes and wantTypes list it.
func typeLine(st Stored) string {
	return fmt.Sprintf("%d %s %q %s", st.Seq, st.Subject, st.Rejected, st.ID)
}

// wantTypes is what ReadTypes should give through upTo: every message of
// the listed types, read from the stream.
func wantTypes(t *testing.T, s *Store, upTo uint64) []string {
	t.Helper()
	var out []string
	err := s.Read(context.Background(), 1, func(st Stored) error {
		if typ := strings.Split(st.Subject, ".")[2]; slices.Contains(snapTypes, typ) && st.Seq <= upTo {
			out = append(out, typeLine(st))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A store opened on a snapshot restores the index its saver had, equal in
// every part to one built from sequence 1, reads nothing more at Open
// (IndexByFollow), and afterwards decides, replays, versions and lists
// exactly as the store built from the start does.
func TestSnapshotRestoresIndex(t *testing.T) {
	ctx := context.Background()
	js, w := testServer(t)
	w2, err := GenerateWriterKey()
	if err != nil {
		t.Fatal(err)
	}
	reqs := buildLedger(t, js, w, w2)
	file := filepath.Join(t.TempDir(), "verified")
	saver := mustOpen(t, js, Config{Writer: w, VerifiedFile: file, ListTypes: snapTypes})
	if err := saver.SaveVerified(0); err != nil {
		t.Fatal(err)
	}
	p := saver.Indexed()
	if last, _ := saver.LastSeq(ctx); p != last || p < 50 {
		t.Fatalf("saved through %d, the stream ends at %d", p, last)
	}

	var logs syncBuffer
	restored := mustOpen(t, js, Config{Writer: w, VerifiedFile: file, ListTypes: snapTypes, IndexByFollow: true,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if got := restored.Indexed(); got != p {
		t.Fatalf("Indexed() after Open on the snapshot = %d, want %d; logs:\n%s", got, p, logs.String())
	}
	if !strings.Contains(logs.String(), "index restored from snapshot") {
		t.Errorf("no restore logged:\n%s", logs.String())
	}
	if err := restored.CheckWriter(); err != nil {
		t.Errorf("CheckWriter on the restored index: %v", err)
	}
	fresh := mustOpen(t, js, Config{Writer: w, ListTypes: snapTypes})
	sameIndex(t, restored, fresh)
	if n := len(restored.idx.v.keys.base); n != fresh.idx.len() || n == 0 {
		t.Errorf("%d requests restored into the sorted table, want all %d", n, fresh.idx.len())
	}
	if rej := restored.Rejected(); len(rej) != 3 {
		t.Errorf("restored rejections: %+v, want the 3 forged messages", rej)
	}
	if got, want := readTypes(t, restored, p), wantTypes(t, fresh, p); !slices.Equal(got, want) || len(want) == 0 {
		t.Errorf("ReadTypes on the restored index =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// More, through the restored store: new requests, a retry of one
	// from before the snapshot, a subject written again, a forgery.
	var first []Result
	for i := range 6 {
		first = append(first, mustAppend(t, restored, snapRequest(fmt.Sprintf("c%d", 1+i%3), fmt.Sprintf("after%d", i), 2,
			fmt.Sprintf("account/n%d", i), fmt.Sprintf("token/n%d", i))))
	}
	for _, r := range append(slices.Clone(reqs[:3]), reqs[len(reqs)-1]) {
		for _, s := range []*Store{restored, fresh} {
			res, err := s.Append(ctx, r)
			if err != nil || !res.Replayed {
				t.Errorf("retry of %s: %+v, %v; want a replay", r.IdempotencyKey, res, err)
			}
		}
	}
	v, ok := restored.SubjectVersion("ledger.c2.token.n1")
	if !ok || v != first[1].Appends[1].Version {
		t.Errorf("SubjectVersion(ledger.c2.token.n1) = %d, %t, want %d", v, ok, first[1].Appends[1].Version)
	}
	again := snapRequest("c2", "after-again", 1, "token/n1")
	again.Appends[0].ExpectedVersion = v
	mustAppend(t, restored, again)
	publishRaw(t, js, "ledger.c1.account.acc1", "forged-after", 0, 1, "0", w, nil) // decided on version 0; acc1 exists
	last, _ := restored.LastSeq(ctx)
	for _, s := range []*Store{restored, fresh} {
		if err := s.ensureIndexed(ctx, last); err != nil {
			t.Fatal(err)
		}
	}
	sameIndex(t, restored, fresh)
	if r := mustVerdict(t, restored, last); !strings.Contains(r, "decided on its aggregate at version 0") {
		t.Errorf("forgery after the snapshot: %q", r)
	}
	for i, r := range first {
		for _, s := range []*Store{restored, fresh} {
			res, ok, err := s.Lookup(ctx, fmt.Sprintf("c%d", 1+i%3), fmt.Sprintf("after%d", i), fmt.Sprintf("fp-after%d", i), last)
			if err != nil || !ok || !reflect.DeepEqual(res.Appends, r.Appends) {
				t.Errorf("Lookup(after%d) = %+v, %t, %v; want %+v", i, res, ok, err, r)
			}
		}
	}
	want := wantTypes(t, fresh, last)
	for _, s := range []*Store{restored, fresh} {
		if got := readTypes(t, s, last); !slices.Equal(got, want) {
			t.Errorf("ReadTypes =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	if got := readTypes(t, restored, p+3); !slices.Equal(got, wantTypes(t, fresh, p+3)) {
		t.Errorf("ReadTypes up to %d = %s", p+3, strings.Join(got, "\n"))
	}
}

// Before the genesis, a legacy request's later part widens its entry, also
// one restored from a snapshot (in place in the sorted table).
func TestSnapshotLegacyWidensRestoredEntry(t *testing.T) {
	ctx := context.Background()
	js, _ := testServer(t)
	file := filepath.Join(t.TempDir(), "verified")
	saver := mustOpen(t, js, Config{VerifiedFile: file})
	zero := WriterKey{}
	publishRaw(t, js, "ledger.c1.test.a", "legacy-a", 0, 3, "", zero, nil)
	publishRaw(t, js, "ledger.c1.test.b", "legacy-b", 0, 1, "", zero, nil)
	if err := saver.ensureIndexed(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := saver.SaveVerified(0); err != nil {
		t.Fatal(err)
	}
	publishRaw(t, js, "ledger.c1.test.c", "legacy-c", 0, 1, "", zero, nil)
	publishRaw(t, js, "ledger.c1.test.a", "legacy-a", 2, 3, "", zero, nil)
	restored := mustOpen(t, js, Config{VerifiedFile: file})
	fresh := mustOpen(t, js, Config{})
	if len(restored.idx.v.keys.base) != 2 {
		t.Fatalf("%d requests restored, want 2", len(restored.idx.v.keys.base))
	}
	sameIndex(t, restored, fresh)
	e, ok := restored.idx.get(IdempotencyHash("c1", "legacy-a"))
	if !ok || e.first != 1 || e.last() != 4 {
		t.Errorf("legacy-a's entry = %+v, %t, want sequences 1 to 4", e, ok)
	}
}

// A snapshot that is not exactly one of this stream, at a message it still
// holds, is not used: the store says why, reads from the start, and ends
// with the index a store without a snapshot builds.
func TestSnapshotRefused(t *testing.T) {
	ctx := context.Background()
	js, w := testServer(t)
	w2, err := GenerateWriterKey()
	if err != nil {
		t.Fatal(err)
	}
	buildLedger(t, js, w, w2)
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	saver := mustOpen(t, js, Config{Writer: w, VerifiedFile: good, ListTypes: snapTypes})
	if err := saver.SaveVerified(0); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	p := saver.Indexed()
	reencode := func(change func(*snapshot)) []byte {
		sn, err := decodeSnapshot(b)
		if err != nil {
			t.Fatal(err)
		}
		change(sn)
		return sn.encode()
	}
	flipped := bytes.Clone(b)
	flipped[len(flipped)/2] ^= 1
	v1 := fmt.Sprintf("gongkai-verified v1\nGONGKAI\n%s\n%d\n\n", saver.created.UTC().Format(time.RFC3339Nano), p)
	fresh := mustOpen(t, js, Config{Writer: w, ListTypes: snapTypes})
	for _, c := range []struct {
		name      string
		content   []byte // nil: no file
		listTypes []string
		why       string // "": restored
	}{
		{"good", b, snapTypes, ""},
		{"missing", nil, snapTypes, "no index snapshot"},
		{"truncated", b[:len(b)/2], snapTypes, "checksum does not match"},
		{"flipped byte", flipped, snapTypes, "checksum does not match"},
		{"version 1", []byte(v1), snapTypes, "an older version"},
		{"beyond the end", reencode(func(sn *snapshot) { sn.thru = p + 10 }), snapTypes, "the stream ends at"},
		{"message changed", reencode(func(sn *snapshot) { sn.msgSum[5] ^= 1 }), snapTypes, "is not the one"},
		{"other stream", reencode(func(sn *snapshot) { sn.stream = "OTHER" }), snapTypes, "taken of stream OTHER"},
		{"type not listed then", b, append(slices.Clone(snapTypes), "evaluation"), "listed now but was not then"},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "verified")
			if c.content != nil {
				if err := os.WriteFile(file, c.content, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			var logs syncBuffer
			s := mustOpen(t, js, Config{Writer: w, VerifiedFile: file, ListTypes: c.listTypes, IndexByFollow: true,
				Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			want := uint64(0)
			if c.why == "" {
				want = p
			}
			if got := s.Indexed(); got != want {
				t.Fatalf("Indexed() after Open = %d, want %d; logs:\n%s", got, want, logs.String())
			}
			if !strings.Contains(logs.String(), cmpOr(c.why, "index restored from snapshot")) {
				t.Errorf("logs do not say %q:\n%s", c.why, logs.String())
			}
			if err := s.ensureIndexed(ctx, p); err != nil {
				t.Fatal(err)
			}
			if c.listTypes[len(c.listTypes)-1] == "evaluation" {
				return // lists one more type than fresh
			}
			sameIndex(t, s, fresh)
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// A snapshot of a stream that was deleted and made anew under the same
// name (another creation time), even one as long, is not used.
func TestSnapshotRefusedOnRecreatedStream(t *testing.T) {
	ctx := context.Background()
	e, js, w := testEmbedded(t)
	file := filepath.Join(t.TempDir(), "verified")
	s := mustOpen(t, js, Config{Writer: w, VerifiedFile: file})
	for i := range 5 {
		mustAppend(t, s, snapRequest("c1", fmt.Sprintf("k%d", i), 1, fmt.Sprintf("test/a%d", i)))
	}
	if err := s.SaveVerified(0); err != nil {
		t.Fatal(err)
	}
	p := s.Indexed()
	nc, err := e.ConnectAdmin()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	admin, _ := jetstream.New(nc)
	if err := admin.DeleteStream(ctx, "GONGKAI"); err != nil {
		t.Fatal(err)
	}
	// The server removes the old stream's files after it answers; making
	// the stream anew at once can fail ("error creating store for stream")
	// on a busy machine, so try again for a while.
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, err = Open(ctx, js, Config{Writer: w})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Open after deleting the stream: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for i := range 10 {
		mustAppend(t, s, snapRequest("c2", fmt.Sprintf("k%d", i), 1, fmt.Sprintf("test/b%d", i)))
	}
	if last, _ := s.LastSeq(ctx); last < p {
		t.Fatalf("the new stream ends at %d, before the snapshot's %d", last, p)
	}
	var logs syncBuffer
	reopened := mustOpen(t, js, Config{Writer: w, VerifiedFile: file, IndexByFollow: true, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if got := reopened.Indexed(); got != 0 {
		t.Fatalf("Indexed() after Open = %d, want 0 (snapshot of the old stream refused)", got)
	}
	if !strings.Contains(logs.String(), "deleted and made anew") {
		t.Errorf("logs do not say why:\n%s", logs.String())
	}
	last, _ := s.LastSeq(ctx)
	if err := reopened.ensureIndexed(ctx, last); err != nil {
		t.Fatal(err)
	}
	sameIndex(t, reopened, mustOpen(t, js, Config{Writer: w}))
}

// SaveVerified writes at shutdown (0) whenever the index moved, and
// otherwise only after minStep messages and an eighth of the index,
// 100,000 messages or 10 minutes.
func TestSnapshotCadence(t *testing.T) {
	js, w := testServer(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	file := filepath.Join(t.TempDir(), "verified")
	s := mustOpen(t, js, Config{Writer: w, VerifiedFile: file, Now: func() time.Time { return now }})
	for i := range 40 {
		mustAppend(t, s, snapRequest("c1", fmt.Sprintf("k%d", i), 1, fmt.Sprintf("test/a%d", i)))
	}
	save := func(minStep uint64, want uint64) {
		t.Helper()
		if err := s.SaveVerified(minStep); err != nil {
			t.Fatal(err)
		}
		if s.savedThrough != want {
			t.Fatalf("SaveVerified(%d) at %d: saved through %d, want %d", minStep, s.Indexed(), s.savedThrough, want)
		}
	}
	save(1000, 0) // moved less than minStep
	save(1, 41)   // the first: moved by all of it
	mustAppend(t, s, snapRequest("c1", "more", 1, "test/m"))
	save(1, 41) // 1 of 42: less than an eighth, and just now
	now = now.Add(11 * time.Minute)
	save(1, 42) // 10 minutes on
	mustAppend(t, s, snapRequest("c1", "more2", 1, "test/m2"))
	save(0, 43) // shutdown
	save(0, 43) // nothing moved
	if sn, err := decodeSnapshot(must(os.ReadFile(file))); err != nil || sn.thru != 43 {
		t.Fatalf("snapshot file: %v", err)
	}

	// A store still reading the stream (IndexByFollow, half way) does not
	// save but at shutdown.
	other := filepath.Join(t.TempDir(), "verified")
	f := mustOpen(t, js, Config{VerifiedFile: other, IndexByFollow: true})
	for seq := uint64(1); seq <= 20; seq++ {
		m := must(f.stream.GetMsg(context.Background(), seq))
		f.idx.observe(seq, m.Subject, m.Header, m.Data, false)
	}
	if err := f.SaveVerified(1); err != nil || f.savedThrough != 0 {
		t.Fatalf("SaveVerified(1) at 20 of 43: saved through %d, %v; want nothing yet", f.savedThrough, err)
	}
	if err := f.SaveVerified(0); err != nil || f.savedThrough != 20 {
		t.Fatalf("SaveVerified(0) at 20 of 43: saved through %d, %v; want 20", f.savedThrough, err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Decoding a snapshot takes it back exactly, and refuses every prefix of
// it and every change of a byte.
func TestSnapshotDecode(t *testing.T) {
	sn := &snapshot{stream: "GONGKAI", created: 1234567890, thru: 9, genesis: 3, legacy: 2,
		writers:     []snapWriter{{id: "a", pub: make([]byte, 32), from: 3}, {id: "b", pub: bytes.Repeat([]byte{1}, 32), from: 5, revokedAt: 7}},
		rejected:    []Rejection{{Seq: 8, Subject: "ledger.c.t.x", Community: "c", Reason: "no writer signature"}},
		keys:        []keyRec{{k: idemKey{1}, e: idxEntry{first: 1, span: 1, fp: fpHash{9}}}},
		added:       []keyRec{{k: idemKey{0, 2}, e: idxEntry{first: 4, span: 1, n: 2}}},
		last:        []lastRec{{7, 9}, {3, 8}},
		communities: []seqList{{"c", []uint64{1, 2, 4, 5, 8, 9}}, {"_gongkai", []uint64{3}}},
		types:       []seqList{{"t", []uint64{8}}, {"u", []uint64{}}}}
	sn.msgSum[0], sn.lastKey[31] = 1, 2
	b := sn.encode()
	got, err := decodeSnapshot(b)
	if err != nil {
		t.Fatal(err)
	}
	if again := got.encode(); !bytes.Equal(again, b) {
		t.Errorf("decode then encode changed the snapshot")
	}
	if len(got.keys) != 2 || got.keys[0].k != (idemKey{0, 2}) || got.keys[1].e.fp != (fpHash{9}) || got.types[1].name != "u" {
		t.Errorf("decoded %+v", got)
	}
	for n := range len(b) {
		if _, err := decodeSnapshot(b[:n]); err == nil {
			t.Fatalf("a snapshot cut at %d of %d bytes decoded", n, len(b))
		}
	}
	for i := range b {
		c := bytes.Clone(b)
		c[i] ^= 0x10
		if _, err := decodeSnapshot(c); err == nil {
			t.Fatalf("a snapshot with byte %d changed decoded", i)
		}
	}
}

// Snapshots taken while requests of several parts are being appended,
// and one taken between two parts of a request, restore to the index
// built from the start.
func TestSnapshotWhileAppending(t *testing.T) {
	ctx := context.Background()
	js, w := testServer(t)
	file := filepath.Join(t.TempDir(), "verified")
	s := mustOpen(t, js, Config{Writer: w, VerifiedFile: file, ListTypes: snapTypes})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 60 {
			if _, err := s.Append(ctx, snapRequest("c1", fmt.Sprintf("k%d", i), 3, fmt.Sprintf("account/a%d", i), fmt.Sprintf("test/t%d", i))); err != nil {
				t.Error(err)
			}
		}
	}()
	var taken [][]byte
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		if err := s.SaveVerified(0); err != nil {
			t.Fatal(err)
		}
		if b := must(os.ReadFile(file)); len(taken) == 0 || !bytes.Equal(b, taken[len(taken)-1]) {
			taken = append(taken, b)
		}
	}
	// One between two parts: the first part stored, the index through it.
	publishRaw(t, js, "ledger.c2.account.p0", "parts", 0, 3, "", w, nil)
	if err := s.ensureIndexed(ctx, s.Indexed()+1); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveVerified(0); err != nil {
		t.Fatal(err)
	}
	taken = append(taken, must(os.ReadFile(file)))
	publishRaw(t, js, "ledger.c2.token.p1", "parts", 1, 3, "", w, nil)
	publishRaw(t, js, "ledger.c2.test.p2", "parts", 2, 3, "", w, nil)
	last, _ := s.LastSeq(ctx)
	fresh := mustOpen(t, js, Config{Writer: w, ListTypes: snapTypes})
	if len(fresh.Rejected()) != 0 {
		t.Fatalf("rejected: %+v", fresh.Rejected())
	}
	if len(taken) > 8 { // a few of those taken while appending, and the last
		step := len(taken) / 8
		var few [][]byte
		for i := 0; i < len(taken)-1; i += step {
			few = append(few, taken[i])
		}
		taken = append(few, taken[len(taken)-1])
	}
	for i, b := range taken {
		sn, err := decodeSnapshot(b)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, b, 0o600); err != nil {
			t.Fatal(err)
		}
		restored := mustOpen(t, js, Config{Writer: w, VerifiedFile: file, ListTypes: snapTypes, IndexByFollow: true})
		if restored.Indexed() != sn.thru {
			t.Fatalf("snapshot %d of %d: restored through %d, the snapshot is at %d", i, len(taken), restored.Indexed(), sn.thru)
		}
		if err := restored.ensureIndexed(ctx, last); err != nil {
			t.Fatal(err)
		}
		sameIndex(t, restored, fresh)
	}
}

// FuzzSnapshotDecode: a snapshot body (checksummed, so that the fuzzer
// reaches the parser) either is refused or decodes into a snapshot that
// encodes back to the same bytes.
func FuzzSnapshotDecode(f *testing.F) {
	sn := &snapshot{stream: "GONGKAI", created: 1, thru: 5, genesis: 1, writers: []snapWriter{{id: "a", pub: make([]byte, 32), from: 1}},
		rejected:    []Rejection{{Seq: 4, Subject: "ledger.c.t.x", Community: "c", Reason: "r"}},
		keys:        []keyRec{{k: idemKey{1}, e: idxEntry{first: 2, n: 1}}},
		last:        []lastRec{{1, 2}, {9, 5}},
		communities: []seqList{{"c", []uint64{2, 4, 5}}}, types: []seqList{{"t", []uint64{4}}}}
	b := sn.encode()
	f.Add(b[len(snapshotMagic) : len(b)-32])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		in := append([]byte(snapshotMagic), body...)
		sum := sha256.Sum256(in)
		in = append(in, sum[:]...)
		got, err := decodeSnapshot(in)
		if err != nil {
			return
		}
		if out := got.encode(); !bytes.Equal(out, in) {
			t.Fatalf("decode then encode: %x, want %x", out, in)
		}
	})
}
