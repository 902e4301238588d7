package transparency_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/gongkai/gongkai/internal/transparency"
)

func leafHash(i int) []byte {
	return transparency.NewLeaf("o", "S", uint64(i+1), "ledger.c.t.a", fmt.Sprint("e", i), []byte(fmt.Sprint(i))).Hash()
}

// Every leaf's inclusion proof and every pair of sizes' consistency proof
// verify, also after the tree is closed and reopened part way.
func TestTreeProofs(t *testing.T) {
	dir := t.TempDir()
	tr, err := transparency.OpenTree(dir)
	if err != nil {
		t.Fatal(err)
	}
	const n = 67
	roots := map[uint64][]byte{}
	for i := range n {
		if i == 30 { // restart part way
			tr.Close()
			if tr, err = transparency.OpenTree(dir); err != nil {
				t.Fatal(err)
			}
			if tr.Size() != 30 {
				t.Fatalf("reopened size = %d, want 30", tr.Size())
			}
		}
		if err := tr.Append(leafHash(i)); err != nil {
			t.Fatal(err)
		}
		r, err := tr.RootAt(uint64(i + 1))
		if err != nil {
			t.Fatal(err)
		}
		roots[uint64(i+1)] = r
	}
	defer tr.Close()
	for size := uint64(1); size <= n; size++ {
		again, err := tr.RootAt(size)
		if err != nil || !bytes.Equal(again, roots[size]) {
			t.Fatalf("RootAt(%d) changed: %x vs %x (%v)", size, again, roots[size], err)
		}
		for i := uint64(0); i < size; i++ {
			p, err := tr.InclusionProof(i, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, i, size, leafHash(int(i)), p, roots[size]); err != nil {
				t.Fatalf("inclusion %d in %d: %v", i, size, err)
			}
		}
		for s1 := uint64(1); s1 <= size; s1++ {
			p, err := tr.ConsistencyProof(s1, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := proof.VerifyConsistency(rfc6962.DefaultHasher, s1, size, p, roots[s1], roots[size]); err != nil {
				t.Fatalf("consistency %d→%d: %v", s1, size, err)
			}
		}
	}
	// A wrong leaf does not verify.
	p, _ := tr.InclusionProof(5, n)
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, 5, n, leafHash(6), p, roots[n]); err == nil {
		t.Fatal("a wrong leaf verified")
	}
}
