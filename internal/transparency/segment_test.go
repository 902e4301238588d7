package transparency_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

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
		v, err := transparency.VerifySegment(marshalSegment(t, segmentOf(t, tr, origin, lk, mainNames, c.from, c.to)), []note.Verifier{lk.verifier}, nil, 0)
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
			_, err := transparency.VerifySegment(marshalSegment(t, b), []note.Verifier{lk.verifier}, nil, 0)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("VerifySegment = %v, want an error mentioning %q", err, c.want)
			}
		})
	}
	t.Run("unknown field", func(t *testing.T) {
		b := marshalSegment(t, segmentOf(t, tr, origin, lk, mainNames, 7, 20))
		b = append([]byte(`{"extra":1,`), b[1:]...)
		if _, err := transparency.VerifySegment(b, []note.Verifier{lk.verifier}, nil, 0); err == nil || !strings.Contains(err.Error(), "extra") {
			t.Fatalf("VerifySegment = %v, want an unknown-field error", err)
		}
	})
}

// A running log finds, among many stored checkpoints, the first that covers
// each sequence, and serves a segment between any two of its checkpoint
// sizes that verifies; a size without a checkpoint has no segment.
func TestLogSegments(t *testing.T) {
	t.Parallel()
	l := startLedger(t)
	lk := mustLogKeys(t, "gongkai.test/segments")
	n := startNode(t, l, "seg", lk)
	var last uint64
	for round := range 12 {
		last = l.appendEvents(t, 1+round%3)
		waitFor(t, 20*time.Second, fmt.Sprintf("a checkpoint of size %d", last), func() bool { return n.checkpointSize() >= last })
	}
	cps, _ := l.checkpoints(t, lk.verifier)
	if len(cps) < 12 {
		t.Fatalf("%d checkpoints, want at least 12", len(cps))
	}
	check := func(t *testing.T) {
		for seq := uint64(1); seq <= last; seq++ {
			var want transparency.Checkpoint
			for _, cp := range cps {
				if cp.Size >= seq {
					want = cp
					break
				}
			}
			_, got, err := n.log.CheckpointCovering(bg, seq)
			if err != nil || got.Size != want.Size {
				t.Fatalf("CheckpointCovering(%d) = size %d, %v; want size %d (sizes %v)", seq, got.Size, err, want.Size, sizes(cps))
			}
		}
		if _, _, err := n.log.CheckpointCovering(bg, last+1); !errors.Is(err, transparency.ErrNoCheckpoint) {
			t.Fatalf("CheckpointCovering(%d) = %v, want ErrNoCheckpoint", last+1, err)
		}
		starts := append([]uint64{0}, sizes(cps)...)
		for i, from := range starts {
			for _, to := range starts[i+1:] {
				b, err := n.log.Segment(bg, from, to)
				if err != nil {
					t.Fatalf("Segment(%d, %d): %v", from, to, err)
				}
				v, err := transparency.VerifySegment(b, []note.Verifier{lk.verifier}, nil, 0)
				if err != nil || v.From.Size != from || v.To.Size != to {
					t.Fatalf("segment %d..%d: verified %d..%d, %v", from, to, v.From.Size, v.To.Size, err)
				}
			}
		}
		signed := map[uint64]bool{}
		for _, cp := range cps {
			signed[cp.Size] = true
		}
		for size := uint64(1); size <= last; size++ {
			if signed[size] {
				continue
			}
			if _, err := n.log.Segment(bg, 0, size); !errors.Is(err, transparency.ErrNoCheckpoint) {
				t.Fatalf("segment to size %d, which has no checkpoint: %v, want ErrNoCheckpoint", size, err)
			}
			if _, err := n.log.Segment(bg, size, last); !errors.Is(err, transparency.ErrNoCheckpoint) {
				t.Fatalf("segment from size %d, which has no checkpoint: %v, want ErrNoCheckpoint", size, err)
			}
		}
	}
	t.Run("by halves", check)
	// A message of another subject in the checkpoint stream: read in order.
	if _, err := l.js.Publish(bg, "gongkai-checkpoints.OTHER", []byte("not ours")); err != nil {
		t.Fatal(err)
	}
	t.Run("in order", check)
}

// With witnesses required, both ends of a segment must carry enough
// cosignatures.
func TestVerifySegmentWitnessQuorum(t *testing.T) {
	const origin = "gongkai.test/segment-witnessed"
	lk := mustLogKeys(t, origin)
	wk := mustWitnessKeys(t, "witness.test/town")
	leafNames := names("w", 20, "", 0)
	tr := buildTree(t, origin, leafNames)
	w, err := transparency.NewWitness(wk.skey, []string{lk.vkey}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cosign := func(old, size uint64) string {
		signed := signedAt(t, tr, origin, size, lk.signer)
		var pf [][]byte
		if old > 0 {
			pf = consistency(t, tr, old, size)
		}
		sigs, err := w.Add(transparency.AddCheckpointRequest{OldSize: old, Proof: pf, Checkpoint: signed})
		if err != nil {
			t.Fatal(err)
		}
		return string(signed) + string(sigs)
	}
	b := segmentOf(t, tr, origin, lk, leafNames, 7, 20)
	logKeys, witnesses := []note.Verifier{lk.verifier}, []note.Verifier{wk.verifier}
	if _, err := transparency.VerifySegment(marshalSegment(t, b), logKeys, witnesses, 1); err == nil || !strings.Contains(err.Error(), "0 witness cosignatures, need 1") {
		t.Fatalf("uncosigned segment with a quorum of 1: %v, want a quorum error", err)
	}
	b.From.Checkpoint = cosign(0, 7)
	if _, err := transparency.VerifySegment(marshalSegment(t, b), logKeys, witnesses, 1); err == nil || !strings.Contains(err.Error(), "to checkpoint") {
		t.Fatalf("segment with only its start cosigned: %v, want the end refused", err)
	}
	b.To.Checkpoint = cosign(7, 20)
	if _, err := transparency.VerifySegment(marshalSegment(t, b), logKeys, witnesses, 1); err != nil {
		t.Fatalf("cosigned segment: %v", err)
	}
}
