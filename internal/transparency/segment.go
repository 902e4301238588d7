package transparency

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"golang.org/x/mod/sumdb/note"

	"github.com/gongkai/gongkai/eventstore"
)

// SegmentFormat names the layout of a segment bundle.
const SegmentFormat = "gongkai-segment/v1"

// SegmentBundle proves that its leaves are the log's entries between two
// signed checkpoints, all of them, in order and unaltered: the frontier of
// the first checkpoint's tree (the roots of its perfect subtrees, left to
// right) hashes to that checkpoint's root, and the frontier extended by the
// leaves hashes to the second checkpoint's root. A year-end segment runs
// from the checkpoint that covers the previous year's close to the one that
// covers this year's (DESIGN §6): whoever holds it can check a year's part
// of the log without the years before it. docs/verification.md §12 gives
// the layout.
type SegmentBundle struct {
	Format string     `json:"format"`
	From   SegmentEnd `json:"from"`
	To     SegmentEnd `json:"to"`
	// Leaves are the leaves from sequence From.Size+1 to To.Size, each
	// exactly as hashed (Leaf.Marshal, with its final newline).
	Leaves []string `json:"leaves"`
}

// SegmentEnd is one end of a segment: a tree size and its signed checkpoint
// note (none for size 0). The From end carries the frontier hashes.
type SegmentEnd struct {
	Size       uint64   `json:"size"`
	Checkpoint string   `json:"checkpoint,omitempty"`
	Frontier   [][]byte `json:"frontier,omitempty"`
}

// Frontier returns the hashes of the perfect subtrees that make up the tree
// of size leaves, left to right (RFC 6962 compact range [0, size)).
func (t *Tree) Frontier(size uint64) ([][]byte, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if size > t.rng.End() {
		return nil, fmt.Errorf("size %d is beyond the tree's %d", size, t.rng.End())
	}
	return t.read(compact.RangeNodes(0, size, nil))
}

// ErrNoCheckpoint is returned when no stored checkpoint fits a request.
var ErrNoCheckpoint = errors.New("no such checkpoint")

// firstCheckpoint returns the earliest stored checkpoint of at least size
// leaves. Checkpoints are stored in order of size (the sequencer never
// signs a size below the latest stored one), so it searches by halves; a
// checkpoint stream shared with another log's subjects is read in order.
func (l *Log) firstCheckpoint(ctx context.Context, size uint64) ([]byte, Checkpoint, error) {
	info, err := l.cps.Info(ctx)
	if err != nil {
		return nil, Checkpoint{}, fmt.Errorf("checkpoints: %w", err)
	}
	get := func(seq uint64) ([]byte, Checkpoint, bool, error) {
		var cp Checkpoint
		m, err := l.cps.GetMsg(ctx, seq)
		if err != nil {
			return nil, cp, false, fmt.Errorf("checkpoint message %d: %w", seq, err)
		}
		if m.Subject != l.subject() {
			return nil, cp, false, nil
		}
		if _, err := cp.Unmarshal(m.Data); err != nil {
			return nil, cp, false, fmt.Errorf("checkpoint message %d: %w", seq, err)
		}
		return m.Data, cp, true, nil
	}
	first, last := max(info.State.FirstSeq, 1), info.State.LastSeq
	lo, hi := first, last+1 // the answer is in [lo, hi); hi: none
	for lo < hi {
		mid := lo + (hi-lo)/2
		_, cp, ours, err := get(mid)
		if err != nil {
			return nil, Checkpoint{}, err
		}
		if !ours {
			lo, hi = first, last+1
			break // another log's checkpoints in between: read in order
		}
		if cp.Size >= size {
			hi = mid
		} else {
			lo = mid + 1
		}
		if lo == hi {
			if hi > last {
				return nil, Checkpoint{}, fmt.Errorf("%w of size %d or more yet", ErrNoCheckpoint, size)
			}
			signed, cp, _, err := get(hi)
			return signed, cp, err
		}
	}
	for seq := lo; seq < hi; seq++ {
		signed, cp, ours, err := get(seq)
		if err != nil || ours && cp.Size >= size {
			return signed, cp, err
		}
	}
	return nil, Checkpoint{}, fmt.Errorf("%w of size %d or more yet", ErrNoCheckpoint, size)
}

// CheckpointCovering returns the first stored checkpoint whose tree holds
// stream sequence seq.
func (l *Log) CheckpointCovering(ctx context.Context, seq uint64) ([]byte, Checkpoint, error) {
	return l.firstCheckpoint(ctx, seq)
}

// checkpointOfSize returns a stored checkpoint of exactly size leaves.
func (l *Log) checkpointOfSize(ctx context.Context, size uint64) ([]byte, error) {
	signed, cp, err := l.firstCheckpoint(ctx, size)
	if err == nil && cp.Size != size {
		err = fmt.Errorf("%w of size %d", ErrNoCheckpoint, size)
	}
	return signed, err
}

// MaxSegmentLeaves is the most leaves a segment bundle holds (about 300
// bytes each): a larger one is refused rather than built in memory.
const MaxSegmentLeaves = 1_000_000

// Segment builds the segment bundle between the stored checkpoints of
// sizes from and to (from may be 0, the empty tree).
func (l *Log) Segment(ctx context.Context, from, to uint64) ([]byte, error) {
	if from > to {
		return nil, fmt.Errorf("segment from %d to %d: from is after to", from, to)
	}
	if to-from > MaxSegmentLeaves {
		return nil, fmt.Errorf("segment from %d to %d: %d leaves, at most %d per bundle; ask for shorter segments between intermediate checkpoints", from, to, to-from, MaxSegmentLeaves)
	}
	b := SegmentBundle{Format: SegmentFormat, From: SegmentEnd{Size: from}, To: SegmentEnd{Size: to}, Leaves: []string{}}
	if from > 0 {
		signed, err := l.checkpointOfSize(ctx, from)
		if err != nil {
			return nil, err
		}
		b.From.Checkpoint = string(signed)
		if b.From.Frontier, err = l.tree.Frontier(from); err != nil {
			return nil, err
		}
	}
	signed, err := l.checkpointOfSize(ctx, to)
	if err != nil {
		return nil, err
	}
	b.To.Checkpoint = string(signed)
	if err := l.leaves(ctx, from, to, func(leaf Leaf) error {
		b.Leaves = append(b.Leaves, string(leaf.Marshal()))
		return nil
	}); err != nil {
		return nil, err
	}
	return json.MarshalIndent(b, "", " ")
}

// leaves calls fn with the leaf of every stream sequence from from+1 to
// to, a gap leaf where the stream has no message, as the tree hashed them.
func (l *Log) leaves(ctx context.Context, from, to uint64, fn func(Leaf) error) error {
	if to <= from {
		return nil
	}
	next := from + 1
	err := l.store.Read(ctx, from+1, func(st eventstore.Stored) error {
		if st.Seq > to {
			return errStop
		}
		for ; next < st.Seq; next++ {
			if err := fn(Leaf{Origin: l.cfg.Origin, Stream: l.cfg.Stream, Seq: next, Gap: true}); err != nil {
				return err
			}
		}
		next = st.Seq + 1
		return fn(NewLeaf(l.cfg.Origin, l.cfg.Stream, st.Seq, st.Subject, st.ID, st.Raw))
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	if err == nil && next <= to {
		err = fmt.Errorf("the stream ends at %d, before %d", next-1, to)
	}
	return err
}

// VerifiedSegment is what a segment bundle proves.
type VerifiedSegment struct {
	From, To Checkpoint
	Leaves   []Leaf
}

// VerifySegment checks a segment bundle offline against the log's keys
// (two across a key rotation) and witnesses: both checkpoints signed by one
// of the keys and cosigned by at least quorum of the witnesses, the frontier hashing to the first root,
// the leaves numbered from the first size on and, appended to the
// frontier, hashing to the second root.
func VerifySegment(bundle []byte, logKeys, witnesses []note.Verifier, quorum int) (VerifiedSegment, error) {
	var v VerifiedSegment
	var b SegmentBundle
	dec := json.NewDecoder(bytes.NewReader(bundle))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return v, fmt.Errorf("segment: %w", err)
	}
	if dec.More() {
		return v, errors.New("segment: data after the bundle")
	}
	if b.Format != SegmentFormat {
		return v, fmt.Errorf("segment: format %q, want %q", b.Format, SegmentFormat)
	}
	to, err := openEnd("to", b.To, logKeys, witnesses, quorum)
	if err != nil {
		return v, err
	}
	from := Checkpoint{Origin: to.Origin}
	var rng *compact.Range
	if b.From.Size == 0 {
		if b.From.Checkpoint != "" || len(b.From.Frontier) != 0 {
			return v, errors.New("segment: a segment from size 0 has no checkpoint or frontier at its start")
		}
		rng = rf.NewEmptyRange(0)
	} else {
		if from, err = openEnd("from", b.From, logKeys, witnesses, quorum); err != nil {
			return v, err
		}
		if from.Origin != to.Origin {
			return v, fmt.Errorf("segment: checkpoints of %q and %q", from.Origin, to.Origin)
		}
		if rng, err = rf.NewRange(0, from.Size, b.From.Frontier); err != nil {
			return v, fmt.Errorf("segment: frontier: %w", err)
		}
		root, err := rng.GetRootHash(nil)
		if err != nil {
			return v, fmt.Errorf("segment: frontier: %w", err)
		}
		if !bytes.Equal(root, from.Hash) {
			return v, fmt.Errorf("segment: the frontier does not hash to the root of the checkpoint of size %d", from.Size)
		}
	}
	if from.Size > to.Size {
		return v, fmt.Errorf("segment: from size %d is after to size %d", from.Size, to.Size)
	}
	if uint64(len(b.Leaves)) != to.Size-from.Size {
		return v, fmt.Errorf("segment: %d leaves between sizes %d and %d, want %d", len(b.Leaves), from.Size, to.Size, to.Size-from.Size)
	}
	for i, text := range b.Leaves {
		want := from.Size + uint64(i) + 1
		leaf, err := ParseLeaf([]byte(text))
		if err != nil {
			return v, fmt.Errorf("segment: leaf of sequence %d: %w", want, err)
		}
		if leaf.Seq != want || leaf.Origin != to.Origin {
			return v, fmt.Errorf("segment: leaf %d is for sequence %d of %q, want %d of %q", i, leaf.Seq, leaf.Origin, want, to.Origin)
		}
		if err := rng.Append(leaf.Hash(), nil); err != nil {
			return v, err
		}
		v.Leaves = append(v.Leaves, leaf)
	}
	root, err := rng.GetRootHash(nil)
	if err != nil {
		return v, err
	}
	if to.Size == 0 {
		root = emptyRoot[:] // an empty compact range has no root hash
	}
	if !bytes.Equal(root, to.Hash) {
		return v, fmt.Errorf("segment: the leaves do not extend the tree to the root of the checkpoint of size %d", to.Size)
	}
	v.From, v.To = from, to
	return v, nil
}

// openEnd checks one end's checkpoint: signed by the log's key, cosigned
// by quorum witnesses, of the size the end names.
func openEnd(name string, e SegmentEnd, logKeys, witnesses []note.Verifier, quorum int) (Checkpoint, error) {
	if len(logKeys) == 0 {
		return Checkpoint{}, errors.New("segment: no log key")
	}
	cp, _, err := OpenCosigned([]byte(e.Checkpoint), logKeys, witnesses, quorum)
	if err != nil {
		return cp, fmt.Errorf("segment: %s checkpoint: %w", name, err)
	}
	if cp.Size != e.Size {
		return cp, fmt.Errorf("segment: %s checkpoint has size %d, the bundle says %d", name, cp.Size, e.Size)
	}
	return cp, nil
}
