package transparency_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/gongkai/gongkai/internal/transparency"
)

// sigLine returns the single signature line of a note signed by one key.
func sigLine(tb testing.TB, signed []byte) []byte {
	tb.Helper()
	_, sigs, ok := bytes.Cut(signed, []byte("\n\n"))
	if !ok || bytes.Count(sigs, []byte("\n")) != 1 {
		tb.Fatalf("want a note with one signature line, got %q", signed)
	}
	return sigs
}

// nonCanonical re-encodes a signature line's base64 with a nonzero
// padding bit: it decodes to the same bytes, so the signature still
// verifies.
func nonCanonical(tb testing.TB, line []byte) []byte {
	tb.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	b := bytes.Clone(line)
	i := bytes.IndexByte(b, '=') - 1 // the last digit, which carries the padding bits
	if i < 0 || b[i+1:][1] != '\n' {
		tb.Fatalf("signature line %q does not end in one '=' of padding", line)
	}
	b[i] = alphabet[strings.IndexByte(alphabet, b[i])^1]
	sig := func(l []byte) []byte {
		s := strings.Fields(string(l))
		raw, err := base64.StdEncoding.DecodeString(s[len(s)-1])
		if err != nil {
			tb.Fatal(err)
		}
		return raw
	}
	if !bytes.Equal(sig(b), sig(line)) || bytes.Equal(b, line) {
		tb.Fatalf("%q is not another encoding of %q", b, line)
	}
	return b
}

// Every signature line by a known key must verify, whatever the order of
// the lines (C2SP signed-note: "If the key name and ID match a known key,
// verifiers MUST verify the signature"). OpenCheckpoint, and with it
// OpenCosigned, VerifyBundle and VerifySegment (which the verify proof,
// segment and consistency commands call), refuse a checkpoint whose valid
// log signature comes with an invalid line of the log's key name and key
// ID, before or after it, and the same for a witness's cosignature; a line
// by a key they do not know is ignored, even with the log's name.
func TestOpenCheckpointEverySignatureLine(t *testing.T) {
	const origin = "gongkai.test/lines"
	lk := mustLogKeys(t, origin)
	impostor := mustLogKeys(t, origin) // another key with the log's name
	wk := mustWitnessKeys(t, "witness.test/lines")
	leafNames := names("l", 11, "", 0)
	tr := buildTree(t, origin, leafNames)
	w, err := transparency.NewWitness(wk.skey, []string{lk.vkey}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	signed := signedAt(t, tr, origin, 11, lk.signer)
	cosig, err := w.Add(transparency.AddCheckpointRequest{Checkpoint: signed})
	if err != nil {
		t.Fatal(err)
	}
	text, _, _ := bytes.Cut(signed, []byte("\n\n"))
	cosigned := slices.Concat(signed, cosig)

	logLine := sigLine(t, signed)
	badLog := sigLine(t, flipSignature(signed))
	witLine := cosig
	badWit := sigLine(t, flipSignature(slices.Concat(text, []byte("\n\n"), cosig)))
	otherLine := sigLine(t, signedAt(t, tr, origin, 11, impostor.signer))
	checkpoint := func(lines ...[]byte) []byte {
		return slices.Concat(append([][]byte{text, []byte("\n\n")}, lines...)...)
	}

	// The premise: note.Open alone accepts a bad line after a valid one.
	if _, err := note.Open(checkpoint(logLine, badLog), note.VerifierList(lk.verifier)); err != nil {
		t.Fatalf("note.Open refuses a valid line followed by a bad one (%v): this test tests nothing", err)
	}

	cases := []struct {
		name  string
		lines [][]byte
		ok    bool
	}{
		{"log, witness", [][]byte{logLine, witLine}, true},
		{"witness, log", [][]byte{witLine, logLine}, true},
		{"log, the same log line again, witness", [][]byte{logLine, logLine, witLine}, true},
		{"log, another key with the log's name, witness", [][]byte{logLine, otherLine, witLine}, true},
		{"another key with the log's name, log, witness", [][]byte{otherLine, logLine, witLine}, true},
		{"log, bad log line, witness", [][]byte{logLine, badLog, witLine}, false},
		{"bad log line, log, witness", [][]byte{badLog, logLine, witLine}, false},
		{"log, witness, bad log line", [][]byte{logLine, witLine, badLog}, false},
		{"log, witness, bad witness line", [][]byte{logLine, witLine, badWit}, false},
		{"log, bad witness line, witness", [][]byte{logLine, badWit, witLine}, false},
		{"log, the log's signature again in non-canonical base64, witness", [][]byte{logLine, nonCanonical(t, logLine), witLine}, false},
		{"bad log line, another key with the log's name, witness", [][]byte{badLog, otherLine, witLine}, false},
	}
	logKeys, witnesses := []note.Verifier{lk.verifier}, []note.Verifier{wk.verifier}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cp := checkpoint(c.lines...)
			check := func(what string, err error) {
				t.Helper()
				switch {
				case c.ok && err != nil:
					t.Errorf("%s refused %q: %v", what, cp, err)
				case !c.ok && err == nil:
					t.Errorf("%s accepted %q", what, cp)
				}
			}
			_, _, err := transparency.OpenCheckpoint(cp, lk.verifier, wk.verifier)
			check("OpenCheckpoint", err)
			if !c.ok {
				var invalid *note.InvalidSignatureError
				if err != nil && !errors.As(err, &invalid) && !strings.Contains(err.Error(), "canonical base64") {
					t.Errorf("OpenCheckpoint: %v, want an invalid signature error", err)
				}
			}
			_, _, err = transparency.OpenCosigned(cp, logKeys, witnesses, 1)
			check("OpenCosigned", err)
			_, err = transparency.VerifyBundle(makeBundle(t, tr, origin, "l", 4, cp), logKeys, witnesses, 1)
			check("VerifyBundle", err)
			seg := segmentOf(t, tr, origin, lk, leafNames, 0, 11)
			seg.To.Checkpoint = string(cp)
			_, err = transparency.VerifySegment(marshalSegment(t, seg), logKeys, witnesses, 1)
			check("VerifySegment", err)
		})
	}
	// Without the witness's key its lines are unknown, and ignored.
	if _, _, err := transparency.OpenCheckpoint(checkpoint(logLine, badWit), lk.verifier); err != nil {
		t.Errorf("OpenCheckpoint without the witness's key refused a bad witness line: %v", err)
	}
	if _, _, err := transparency.OpenCheckpoint(cosigned, lk.verifier, wk.verifier); err != nil {
		t.Fatalf("the witness's own reply does not verify: %v", err)
	}
}

// A checkpoint of size 0 must carry the empty tree's root, SHA-256 of the
// empty string (RFC 6962, Section 2.1; C2SP tlog-witness): OpenCheckpoint,
// OpenCosigned and VerifySegment refuse any other root with ErrEmptyRoot.
func TestOpenCheckpointEmptyTree(t *testing.T) {
	const origin = "gongkai.test/empty"
	lk := mustLogKeys(t, origin)
	tr := buildTree(t, origin, names("e", 3, "", 0))
	otherRoot, _ := tr.RootAt(3)
	logKeys := []note.Verifier{lk.verifier}
	for _, c := range []struct {
		name string
		root []byte
		ok   bool
	}{
		{"the empty tree's root", emptyRoot, true},
		{"the root of a tree of 3 leaves", otherRoot, false},
		{"32 zero bytes", make([]byte, 32), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			signed := sizeZero(t, origin, c.root, lk.signer)
			check := func(what string, err error) {
				t.Helper()
				switch {
				case c.ok && err != nil:
					t.Errorf("%s refused %q: %v", what, signed, err)
				case !c.ok && !errors.Is(err, transparency.ErrEmptyRoot):
					t.Errorf("%s(%q) = %v, want ErrEmptyRoot", what, signed, err)
				}
			}
			cp, _, err := transparency.OpenCheckpoint(signed, lk.verifier)
			check("OpenCheckpoint", err)
			if err == nil && (cp.Size != 0 || !bytes.Equal(cp.Hash, emptyRoot)) {
				t.Errorf("OpenCheckpoint = %+v", cp)
			}
			_, _, err = transparency.OpenCosigned(signed, logKeys, nil, 0)
			check("OpenCosigned", err)
			seg := transparency.SegmentBundle{Format: transparency.SegmentFormat,
				To: transparency.SegmentEnd{Size: 0, Checkpoint: string(signed)}, Leaves: []string{}}
			_, err = transparency.VerifySegment(marshalSegment(t, seg), logKeys, nil, 0)
			check("VerifySegment", err)
		})
	}
}
