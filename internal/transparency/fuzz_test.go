package transparency_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/gongkai/gongkai/internal/transparency"
)

// A leaf that ParseLeaf accepts is exactly the encoding of what it
// returns, so the hash of the parsed leaf is the hash of the bytes.
func FuzzParseLeaf(f *testing.F) {
	real := transparency.NewLeaf("gongkai/gongkai", "GONGKAI", 42, "ledger.c1.matter.m1",
		"0196f5a0-7c1e-7000-8000-000000000001", []byte(`{"id":"0196f5a0","type":"matter.registered"}`))
	noID := transparency.NewLeaf("gongkai.example/wenhualu", "GONGKAI", 1, "ledger.c1.community.c1", "", []byte("{}"))
	gap := transparency.Leaf{Origin: "gongkai/gongkai", Stream: "GONGKAI", Seq: 7, Gap: true}
	for _, b := range [][]byte{real.Marshal(), noID.Marshal(), gap.Marshal()} {
		f.Add(b)
	}
	f.Add([]byte("gongkai-gap v1\norigin o\nstream S\nseq 07\n"))
	f.Add([]byte("gongkai-gap v1\norigin o\nstream S\nseq 0\n"))
	f.Add(bytes.Replace(real.Marshal(), []byte("sha256 "), []byte("sha256 A"), 1))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := transparency.ParseLeaf(b)
		if err != nil {
			if !errors.Is(err, transparency.ErrLeaf) {
				t.Fatalf("ParseLeaf error %v does not wrap ErrLeaf", err)
			}
			return
		}
		if got := l.Marshal(); !bytes.Equal(got, b) {
			t.Fatalf("ParseLeaf(%q).Marshal() = %q", b, got)
		}
		if h := l.Hash(); !bytes.Equal(h, rfc6962.DefaultHasher.HashLeaf(b)) || !bytes.Equal(h, l.Hash()) {
			t.Fatalf("Hash of %q is not HashLeaf of its bytes", b)
		}
		again, err := transparency.ParseLeaf(l.Marshal())
		if err != nil || again != l {
			t.Fatalf("ParseLeaf(Marshal()) = %+v, %v, want %+v", again, err, l)
		}
		if l.Seq == 0 || l.Origin == "" || l.Stream == "" {
			t.Fatalf("ParseLeaf(%q) accepted %+v", b, l)
		}
		if l.Gap && (l.Subject != "" || l.EventID != "" || l.Payload != [sha256.Size]byte{}) {
			t.Fatalf("gap leaf %+v carries event fields", l)
		}
	})
}

// NewLeaf's encoding parses back to the same leaf when every field is a
// non-empty value without white space; otherwise ParseLeaf refuses it.
func TestLeafFields(t *testing.T) {
	for _, c := range []struct {
		origin, stream, subject, eventID string
		seq                              uint64
		ok                               bool
	}{
		{"gongkai/gongkai", "GONGKAI", "ledger.c1.matter.m1", "e1", 1, true},
		{"gongkai/gongkai", "GONGKAI", "ledger.c1.matter.m1", "", 1, true}, // recorded as "-"
		{"公开/文化路", "GONGKAI", "ledger.社区.matter.m1", "e1", 1 << 63, true},
		{"gongkai/gongkai", "GONGKAI", "ledger.c1.matter.m1", "e 1", 1, false},
		{"gongkai/gongkai", "GONGKAI", "ledger.c1.matter.m1", "e1\nsha256 x", 1, false},
		{"gongkai/gongkai", "GONGKAI", "ledger.c1.matter.m1", "e1\r", 1, false},
		{"gongkai/gongkai", "GONGKAI", "ledger.c1.matter.m1", "e1", 0, false},
		{"", "GONGKAI", "ledger.c1.matter.m1", "e1", 1, false},
		{"o", "", "s", "e", 1, false},
		{"o", "S", "", "e", 1, false},
	} {
		l := transparency.NewLeaf(c.origin, c.stream, c.seq, c.subject, c.eventID, []byte("payload"))
		got, err := transparency.ParseLeaf(l.Marshal())
		if c.ok != (err == nil) || (err == nil && got != l) {
			t.Errorf("ParseLeaf(NewLeaf(%q, %q, %d, %q, %q).Marshal()) = %+v, %v; want ok=%v", c.origin, c.stream, c.seq, c.subject, c.eventID, got, err, c.ok)
		}
	}
	if l := transparency.NewLeaf("o", "S", 1, "s", "", nil); l.EventID != "-" {
		t.Errorf("NewLeaf without an event id: EventID = %q, want -", l.EventID)
	}
	gap := transparency.Leaf{Origin: "o", Stream: "S", Seq: 3, Gap: true}
	leaf := transparency.Leaf{Origin: "o", Stream: "S", Seq: 3}
	if bytes.Equal(gap.Hash(), leaf.Hash()) {
		t.Error("a gap leaf hashes like an event leaf")
	}
}

// checkpointSeeds are signed checkpoint notes for the fuzzers.
func checkpointSeeds(tb testing.TB, lk logKeys, wk witnessKeys) [][]byte {
	origin := lk.signer.Name()
	tr := buildTree(tb, origin, names("seed", 9, "", 0))
	w, err := transparency.NewWitness(wk.skey, []string{lk.vkey}, tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	plain := signedAt(tb, tr, origin, 9, lk.signer)
	sigs, err := w.Add(transparency.AddCheckpointRequest{Checkpoint: plain})
	if err != nil {
		tb.Fatal(err)
	}
	root, _ := tr.RootAt(1)
	ext, err := note.Sign(&note.Note{Text: origin + "\n1\n" + b64(root) + "\nextension line\n"}, lk.signer)
	if err != nil {
		tb.Fatal(err)
	}
	empty := sizeZero(tb, origin, emptyRoot, lk.signer)
	notEmpty := sizeZero(tb, origin, root, lk.signer)
	return [][]byte{plain, append(bytes.Clone(plain), sigs...), ext, empty, notEmpty, withBadLine(plain, false)}
}

// The checkpoint body round-trips: what Checkpoint.Unmarshal reads,
// Marshal writes back as the same prefix, or else OpenCheckpoint refuses
// the note even when it is correctly signed (as it refuses a size-0
// checkpoint without the empty tree's root). OpenCheckpoint never panics,
// and it accepts a note only when it carries the log key's own signature
// of the note's text, encoded as the log writes it.
func FuzzCheckpoint(f *testing.F) {
	lk := mustLogKeys(f, "gongkai.test/fuzz")
	wk := mustWitnessKeys(f, "witness.test/fuzz")
	for _, s := range checkpointSeeds(f, lk, wk) {
		f.Add(s)
		text, _, _ := bytes.Cut(s, []byte("\n\n"))
		f.Add(append(text, '\n'))
	}
	f.Add([]byte("gongkai.test/fuzz\n007\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"))
	f.Add([]byte("gongkai.test/fuzz\n7\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=\n"))
	f.Add([]byte("gongkai.test/fuzz\n7\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var cp transparency.Checkpoint
		rest, err := cp.Unmarshal(b)
		if err == nil {
			prefix := b[:len(b)-len(rest)]
			canonical := bytes.Equal(cp.Marshal(), prefix)
			var again transparency.Checkpoint
			if rest2, err := again.Unmarshal(cp.Marshal()); err != nil || rest2 != nil || !reflect.DeepEqual(again, cp) {
				t.Fatalf("Unmarshal(Marshal(%+v)) = %+v, %q, %v", cp, again, rest2, err)
			}
			// Signed as it is by the log's own key. (note.Sign also signs
			// text that note.Open refuses to read: see noteText.)
			if signed, err := note.Sign(&note.Note{Text: string(b)}, lk.signer); err == nil && noteText(b) {
				got, n, err := transparency.OpenCheckpoint(signed, lk.verifier)
				switch {
				case err == nil && !canonical:
					t.Fatalf("OpenCheckpoint accepted the body %q, which Marshal writes as %q", prefix, cp.Marshal())
				case err == nil && (!reflect.DeepEqual(got, cp) || n.Text != string(b)):
					t.Fatalf("OpenCheckpoint(sign(%q)) = %+v, %q, want %+v", b, got, n.Text, cp)
				case err != nil && canonical && len(cp.Hash) == sha256.Size && (cp.Size != 0 || bytes.Equal(cp.Hash, emptyRoot)):
					t.Fatalf("OpenCheckpoint refused the correctly signed canonical checkpoint %q: %v", signed, err)
				}
			}
		}
		got, n, err := transparency.OpenCheckpoint(b, lk.verifier, wk.verifier)
		if err != nil {
			return
		}
		want, err := note.Sign(&note.Note{Text: n.Text}, lk.signer) // Ed25519 is deterministic
		if err != nil {
			t.Fatal(err)
		}
		_, line, _ := bytes.Cut(want, []byte("\n\n"))
		if !bytes.HasPrefix(b, []byte(n.Text)) || !bytes.Contains(b[len(n.Text):], line) {
			t.Fatalf("OpenCheckpoint accepted %q, which lacks the log's signature line %q", b, line)
		}
		if !bytes.HasPrefix([]byte(n.Text), got.Marshal()) {
			t.Fatalf("OpenCheckpoint accepted %q as %+v", b, got)
		}
	})
}

// noteText reports whether note.Open can read a note with text b: valid
// UTF-8 without control characters other than newlines.
func noteText(b []byte) bool {
	return utf8.Valid(b) && !bytes.ContainsFunc(b, func(r rune) bool { return r < 0x20 && r != '\n' })
}

// An add-checkpoint request that ParseAddCheckpoint accepts is exactly the
// encoding of what it returns; the witness never panics on it.
func FuzzAddCheckpoint(f *testing.F) {
	lk := mustLogKeys(f, "gongkai.test/fuzz")
	wk := mustWitnessKeys(f, "witness.test/fuzz")
	tr := buildTree(f, "gongkai.test/fuzz", names("seed", 9, "", 0))
	for _, s := range checkpointSeeds(f, lk, wk) {
		f.Add(transparency.AddCheckpointRequest{OldSize: 0, Checkpoint: s}.Marshal())
	}
	f.Add(transparency.AddCheckpointRequest{OldSize: 3, Proof: consistency(f, tr, 3, 9), Checkpoint: signedAt(f, tr, "gongkai.test/fuzz", 9, lk.signer)}.Marshal())
	f.Add([]byte("old 0\n\n"))
	f.Add([]byte("old 01\n\n"))
	f.Add([]byte("old 1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\r\n\n"))
	f.Add([]byte("old 1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=\n\n"))
	w, err := transparency.NewWitness(wk.skey, []string{lk.vkey}, f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := transparency.ParseAddCheckpoint(b)
		if err != nil {
			return
		}
		if got := r.Marshal(); !bytes.Equal(got, b) {
			t.Fatalf("ParseAddCheckpoint(%q).Marshal() = %q", b, got)
		}
		again, err := transparency.ParseAddCheckpoint(r.Marshal())
		if err != nil || !reflect.DeepEqual(again, r) {
			t.Fatalf("ParseAddCheckpoint(Marshal()) = %+v, %v, want %+v", again, err, r)
		}
		if sigs, err := w.Add(r); err == nil {
			if _, err := note.Open(append(bytes.Clone(r.Checkpoint), sigs...), note.VerifierList(lk.verifier, wk.verifier)); err != nil {
				t.Fatalf("the witness cosigned %q with %q, which does not verify: %v", r.Checkpoint, sigs, err)
			}
		}
	})
}

// bundleFixture is a real bundle, cosigned, and the keys that verify it.
type bundleFixture struct {
	bundle []byte
	lk     logKeys
	wk     witnessKeys
}

func newBundleFixture(tb testing.TB) bundleFixture {
	const origin = "gongkai.test/bundle"
	lk := mustLogKeys(tb, origin)
	wk := mustWitnessKeys(tb, "witness.test/bundle")
	tr := buildTree(tb, origin, names("b", 11, "", 0))
	w, err := transparency.NewWitness(wk.skey, []string{lk.vkey}, tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	signed := signedAt(tb, tr, origin, 11, lk.signer)
	sigs, err := w.Add(transparency.AddCheckpointRequest{Checkpoint: signed})
	if err != nil {
		tb.Fatal(err)
	}
	b := makeBundle(tb, tr, origin, "b", 6, append(signed, sigs...))
	fx := bundleFixture{bundle: b, lk: lk, wk: wk}
	if _, err := fx.verify(b); err != nil {
		tb.Fatalf("the fixture bundle does not verify: %v\n%s", err, b)
	}
	return fx
}

func (fx bundleFixture) verify(b []byte) (transparency.Verified, error) {
	return transparency.VerifyBundle(b, []note.Verifier{fx.lk.verifier}, []note.Verifier{fx.wk.verifier}, 1)
}

// flips are the byte changes the flip tests make at every position: every
// single bit, and "\n" into "\r".
var flips = []byte{0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, '\n' ^ '\r'}

// checkFlips checks that no single flipped byte of a verifying bundle
// verifies.
func checkFlips(t *testing.T, b []byte, verify func([]byte) (transparency.Verified, error)) {
	t.Helper()
	bad := 0
	for i := range b {
		for _, mask := range flips {
			c := bytes.Clone(b)
			c[i] ^= mask
			if _, err := verify(c); err == nil {
				if bad++; bad <= 10 {
					t.Errorf("byte %d of the bundle (%q in line %q) xor %#02x: still verifies", i, b[i], lineAt(b, i), mask)
				}
			}
		}
	}
	if bad > 10 {
		t.Errorf("... %d flipped bundles verified in all", bad)
	}
}

func lineAt(b []byte, i int) string {
	start := bytes.LastIndexByte(b[:i], '\n') + 1
	end := bytes.IndexByte(b[i:], '\n')
	if end < 0 {
		end = len(b) - i
	}
	line, at := b[start:i+end], i-start
	if len(line) > 60 { // show the changed byte with some context
		from, to := max(at-30, 0), min(at+30, len(line))
		return fmt.Sprintf("…%s…(column %d)", line[from:to], at)
	}
	return string(line)
}

// A real bundle with any one byte changed does not verify.
func TestBundleByteFlips(t *testing.T) {
	fx := newBundleFixture(t)
	checkFlips(t, fx.bundle, fx.verify)
}

// VerifyBundle never panics; what it accepts is consistent in itself; and
// the real bundle changed in any one byte (as the fuzzer's mutations of
// the seed often are) never verifies. TestBundleByteFlips checks every
// position of the real bundle with a few masks; this explores every value.
func FuzzBundle(f *testing.F) {
	fx := newBundleFixture(f)
	f.Add(fx.bundle)
	for _, i := range []int{len(fx.bundle) - 1, bytes.Index(fx.bundle, []byte("=\n")) - 1} {
		c := bytes.Clone(fx.bundle)
		c[i] ^= 0x07
		f.Add(c)
	}
	f.Add([]byte("c2sp.org/tlog-proof@v1\nindex 0\n\n"))
	f.Add([]byte("c2sp.org/tlog-proof@v1\nextra \nindex 0\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := fx.verify(b)
		if err != nil {
			return
		}
		if sha256.Sum256(v.Payload) != v.Leaf.Payload || v.Leaf.Seq == 0 || v.Leaf.Seq > v.Checkpoint.Size ||
			v.Checkpoint.Origin != fx.lk.signer.Name() || len(v.Witnesses) != 1 {
			t.Fatalf("VerifyBundle(%q) = %+v", b, v)
		}
		if len(b) == len(fx.bundle) {
			var diff []int
			for i := range b {
				if b[i] != fx.bundle[i] {
					diff = append(diff, i)
				}
			}
			if len(diff) == 1 {
				i := diff[0]
				t.Fatalf("byte %d of the bundle (%q in line %q) changed to %q: still verifies", i, fx.bundle[i], lineAt(fx.bundle, i), b[i])
			}
		}
	})
}

func b64(h []byte) string { return base64.StdEncoding.EncodeToString(h) }

// FuzzVerifySegment: no input makes VerifySegment panic, and a segment it
// accepts has as many leaves as its sizes differ, numbered on from the
// start size (checked again from its parts).
func FuzzVerifySegment(f *testing.F) {
	const origin = "gongkai.test/fuzzseg"
	lk := mustLogKeys(f, origin)
	leafNames := names("fz", 9, "", 0)
	tr := buildTree(f, origin, leafNames)
	seg := func(from, to uint64) []byte {
		b := transparency.SegmentBundle{Format: transparency.SegmentFormat, From: transparency.SegmentEnd{Size: from},
			To: transparency.SegmentEnd{Size: to, Checkpoint: string(signedAt(f, tr, origin, to, lk.signer))}, Leaves: []string{}}
		if from > 0 {
			b.From.Checkpoint = string(signedAt(f, tr, origin, from, lk.signer))
			b.From.Frontier, _ = tr.Frontier(from)
		}
		for i := from; i < to; i++ {
			l, _ := testLeaf(origin, leafNames[i], int(i))
			b.Leaves = append(b.Leaves, string(l.Marshal()))
		}
		out, _ := json.Marshal(b)
		return out
	}
	f.Add(seg(0, 9))
	f.Add(seg(5, 9))
	f.Add(seg(3, 3))
	f.Add([]byte(`{"format":"gongkai-segment/v1","from":{"size":0},"to":{"size":0},"leaves":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := transparency.VerifySegment(b, []note.Verifier{lk.verifier}, nil, 0)
		if err != nil {
			return
		}
		if uint64(len(v.Leaves)) != v.To.Size-v.From.Size {
			t.Fatalf("accepted a segment from %d to %d with %d leaves", v.From.Size, v.To.Size, len(v.Leaves))
		}
		for i, l := range v.Leaves {
			if l.Seq != v.From.Size+uint64(i)+1 {
				t.Fatalf("accepted leaf %d with sequence %d in a segment from %d", i, l.Seq, v.From.Size)
			}
		}
	})
}
