package transparency_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	fnote "github.com/transparency-dev/formats/note"
	fproof "github.com/transparency-dev/formats/proof"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/gongkai/gongkai/internal/transparency"
)

// logKeys is a log's key pair as GenerateKey makes it.
type logKeys struct {
	skey, vkey string
	signer     note.Signer
	verifier   note.Verifier
}

func mustLogKeys(tb testing.TB, name string) logKeys {
	tb.Helper()
	skey, vkey, err := transparency.GenerateKey(name)
	if err != nil {
		tb.Fatalf("GenerateKey(%q): %v", name, err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		tb.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		tb.Fatal(err)
	}
	return logKeys{skey: skey, vkey: vkey, signer: s, verifier: v}
}

// witnessKeys is a witness's key pair from GenerateKey and its cosignature
// verifier.
type witnessKeys struct {
	skey, vkey string
	verifier   note.Verifier // cosignature/v1
}

func mustWitnessKeys(tb testing.TB, name string) witnessKeys {
	tb.Helper()
	skey, vkey, err := transparency.GenerateKey(name)
	if err != nil {
		tb.Fatal(err)
	}
	v, err := fnote.NewVerifierForCosignatureV1(vkey)
	if err != nil {
		tb.Fatalf("NewVerifierForCosignatureV1(%q): %v", vkey, err)
	}
	return witnessKeys{skey: skey, vkey: vkey, verifier: v}
}

// testLeaf is leaf i of a test tree named name: trees with different names
// share no leaf.
func testLeaf(origin, name string, i int) (transparency.Leaf, []byte) {
	payload := []byte(fmt.Sprintf(`{"tree":%q,"n":%d}`, name, i))
	return transparency.NewLeaf(origin, "GONGKAI", uint64(i+1), "ledger.c1.test."+name, fmt.Sprintf("%s-%d", name, i), payload), payload
}

// buildTree makes a tree in a temporary directory whose leaf i is
// testLeaf(origin, names[i], i): two trees share exactly the prefix where
// their names agree.
func buildTree(tb testing.TB, origin string, names []string) *transparency.Tree {
	tb.Helper()
	tr, err := transparency.OpenTree(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { tr.Close() })
	for i, name := range names {
		l, _ := testLeaf(origin, name, i)
		if err := tr.Append(l.Hash()); err != nil {
			tb.Fatal(err)
		}
	}
	return tr
}

// names returns n copies of s followed by m copies of t.
func names(s string, n int, t string, m int) []string {
	var out []string
	for range n {
		out = append(out, s)
	}
	for range m {
		out = append(out, t)
	}
	return out
}

// signedAt signs the checkpoint of tr at size.
func signedAt(tb testing.TB, tr *transparency.Tree, origin string, size uint64, signers ...note.Signer) []byte {
	tb.Helper()
	root, err := tr.RootAt(size)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := transparency.SignCheckpoint(transparency.Checkpoint{Origin: origin, Size: size, Hash: root}, signers...)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func consistency(tb testing.TB, tr *transparency.Tree, from, to uint64) [][]byte {
	tb.Helper()
	p, err := tr.ConsistencyProof(from, to)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// makeBundle builds the offline bundle of leaf index i of tr at size the
// way Log.Bundle does: a C2SP tlog-proof whose extra data is the leaf, an
// empty line and the payload.
func makeBundle(tb testing.TB, tr *transparency.Tree, origin, name string, i int, signed []byte) []byte {
	tb.Helper()
	var cp transparency.Checkpoint
	if _, err := cp.Unmarshal(signed); err != nil {
		tb.Fatal(err)
	}
	leaf, payload := testLeaf(origin, name, i)
	hashes, err := tr.InclusionProof(uint64(i), cp.Size)
	if err != nil {
		tb.Fatal(err)
	}
	p := fproof.TLogProof{Index: uint64(i), Checkpoint: signed, ExtraData: append(append(leaf.Marshal(), '\n'), payload...)}
	for _, h := range hashes {
		p.Hashes = append(p.Hashes, [32]byte(h))
	}
	return p.Marshal()
}

// verifyConsistent checks a consistency proof between two checkpoints.
func verifyConsistent(a, b transparency.Checkpoint, hashes [][]byte) error {
	return proof.VerifyConsistency(rfc6962.DefaultHasher, a.Size, b.Size, hashes, a.Hash, b.Hash)
}

func b64decode(tb testing.TB, ss []string) [][]byte {
	tb.Helper()
	out := make([][]byte, len(ss))
	for i, s := range ss {
		h, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(h) != 32 {
			tb.Fatalf("hash %q is not base64 of 32 bytes (%v)", s, err)
		}
		out[i] = h
	}
	return out
}

// waitFor polls cond every 20ms until it holds or timeout passes.
func waitFor(tb testing.TB, timeout time.Duration, what string, cond func() bool) time.Duration {
	tb.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > timeout {
			tb.Fatalf("%s: not within %v", what, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// logBuffer collects a component's log lines for assertions and for the
// test log on failure.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) Contains(s string) bool { return strings.Contains(l.String(), s) }

func newTestLogger(tb testing.TB, name string) (*slog.Logger, *logBuffer) {
	buf := &logBuffer{}
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("log of %s:\n%s", name, buf.String())
		}
	})
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

var bg = context.Background()
