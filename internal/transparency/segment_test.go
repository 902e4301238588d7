package transparency_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gongkai/gongkai/internal/transparency"
)

// segmentOf builds the segment bundle of tr between sizes from and to, as
// Log.Segment lays it out, with leaves made by testLeaf.
func segmentOf(t *testing.T, tr *transparency.Tree, origin string, lk logKeys, leafNames []string, from, to uint64) transparency.SegmentBundle {
	t.Helper()
	b := transparency.SegmentBundle{Format: transparency.SegmentFormat, From: transparency.SegmentEnd{Size: from},
		To: transparency.SegmentEnd{Size: to, Checkpoint: string(signedAt(t, tr, origin, to, lk.signer))}, Leaves: []string{}}
	if from > 0 {
		b.From.Checkpoint = string(signedAt(t, tr, origin, from, lk.signer))
		f, err := tr.Frontier(from)
		if err != nil {
			t.Fatal(err)
		}
		b.From.Frontier = f
	}
	for i := from; i < to; i++ {
		l, _ := testLeaf(origin, leafNames[i], int(i))
		b.Leaves = append(b.Leaves, string(l.Marshal()))
	}
	return b
}

func marshalSegment(t *testing.T, b transparency.SegmentBundle) []byte {
	t.Helper()
	out, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A segment bundle proves that its leaves are all of the log between two
// checkpoints: anything left out, added, reordered or changed, a wrong
// frontier or a checkpoint not signed by the log's key is refused.
func TestVerifySegment(t *testing.T) {
	const origin = "gongkai.test/segment"
	lk := mustLogKeys(t, origin)
	impostor := mustLogKeys(t, origin)
	mainNames := names("main", 20, "", 0)
	tr := buildTree(t, origin, mainNames)
	fork := buildTree(t, origin, names("main", 12, "fork", 8))

	for _, c := range []struct{ from, to uint64 }{{7, 20}, {0, 20}, {0, 1}, {16, 16}, {1, 2}, {8, 13}} {
		v, err := transparency.VerifySegment(marshalSegment(t, segmentOf(t, tr, origin, lk, mainNames, c.from, c.to)), lk.verifier)
		if err != nil {
			t.Fatalf("segment %d..%d: %v", c.from, c.to, err)
		}
		if v.From.Size != c.from || v.To.Size != c.to || uint64(len(v.Leaves)) != c.to-c.from {
			t.Fatalf("segment %d..%d: verified %d..%d with %d leaves", c.from, c.to, v.From.Size, v.To.Size, len(v.Leaves))
		}
		if len(v.Leaves) > 0 && v.Leaves[0].Seq != c.from+1 {
			t.Fatalf("segment %d..%d: first leaf has sequence %d", c.from, c.to, v.Leaves[0].Seq)
		}
	}

	otherLeaf, _ := testLeaf(origin, "other", 9)
	cases := []struct {
		name   string
		change func(b *transparency.SegmentBundle)
		want   string
	}{
		{"a leaf changed", func(b *transparency.SegmentBundle) { b.Leaves[2] = string(otherLeaf.Marshal()) }, "do not extend"},
		{"a leaf left out", func(b *transparency.SegmentBundle) { b.Leaves = append(b.Leaves[:3], b.Leaves[4:]...) }, "leaves between"},
		{"the last leaf left out", func(b *transparency.SegmentBundle) { b.Leaves = b.Leaves[:len(b.Leaves)-1] }, "leaves between"},
		{"a leaf added", func(b *transparency.SegmentBundle) { b.Leaves = append(b.Leaves, b.Leaves[0]) }, "leaves between"},
		{"two leaves swapped", func(b *transparency.SegmentBundle) { b.Leaves[0], b.Leaves[1] = b.Leaves[1], b.Leaves[0] }, "want 8"},
		{"a frontier hash changed", func(b *transparency.SegmentBundle) { b.From.Frontier[0] = append([]byte{}, otherLeaf.Hash()...) }, "frontier does not hash"},
		{"a frontier hash missing", func(b *transparency.SegmentBundle) { b.From.Frontier = b.From.Frontier[1:] }, "frontier"},
		{"the start checkpoint signed by another key", func(b *transparency.SegmentBundle) {
			b.From.Checkpoint = string(signedAt(t, tr, origin, 7, impostor.signer))
		}, "from checkpoint"},
		{"the end checkpoint signed by another key", func(b *transparency.SegmentBundle) {
			b.To.Checkpoint = string(signedAt(t, tr, origin, 20, impostor.signer))
		}, "to checkpoint"},
		{"the end checkpoint of a forked log", func(b *transparency.SegmentBundle) {
			b.To.Checkpoint = string(signedAt(t, fork, origin, 20, lk.signer))
		}, "do not extend"},
		{"an end size that is not its checkpoint's", func(b *transparency.SegmentBundle) { b.To.Size = 19 }, "the bundle says 19"},
		{"a start at 0 with a checkpoint", func(b *transparency.SegmentBundle) { b.From.Size = 0 }, "from size 0"},
		{"another format", func(b *transparency.SegmentBundle) { b.Format = "gongkai-segment/v0" }, "format"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := segmentOf(t, tr, origin, lk, mainNames, 7, 20)
			c.change(&b)
			_, err := transparency.VerifySegment(marshalSegment(t, b), lk.verifier)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("VerifySegment = %v, want an error mentioning %q", err, c.want)
			}
		})
	}
	t.Run("unknown field", func(t *testing.T) {
		b := marshalSegment(t, segmentOf(t, tr, origin, lk, mainNames, 7, 20))
		b = append([]byte(`{"extra":1,`), b[1:]...)
		if _, err := transparency.VerifySegment(b, lk.verifier); err == nil || !strings.Contains(err.Error(), "extra") {
			t.Fatalf("VerifySegment = %v, want an unknown-field error", err)
		}
	})
}
