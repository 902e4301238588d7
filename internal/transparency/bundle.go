package transparency

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"

	fproof "github.com/transparency-dev/formats/proof"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

// Bundle builds the offline proof bundle of the event at stream sequence
// seq: a C2SP tlog-proof whose extra data is the leaf, an empty line and
// the exact stored payload, with the inclusion proof in the latest
// checkpoint and that checkpoint with its cosignatures.
func (l *Log) Bundle(ctx context.Context, seq uint64) ([]byte, error) {
	signed, cp, _ := l.Latest()
	if signed == nil {
		return nil, errors.New("no checkpoint yet")
	}
	if seq == 0 || seq > cp.Size {
		return nil, fmt.Errorf("sequence %d is not in the latest checkpoint (size %d) yet", seq, cp.Size)
	}
	st, err := l.store.Message(ctx, seq)
	if err != nil {
		return nil, err
	}
	leaf := NewLeaf(l.cfg.Origin, l.cfg.Stream, seq, st.Subject, st.ID, st.Raw)
	hashes, err := l.tree.InclusionProof(seq-1, cp.Size)
	if err != nil {
		return nil, err
	}
	p := fproof.TLogProof{Index: seq - 1, Checkpoint: signed, ExtraData: append(append(leaf.Marshal(), '\n'), st.Raw...)}
	for _, h := range hashes {
		p.Hashes = append(p.Hashes, [32]byte(h))
	}
	return p.Marshal(), nil
}

// Verified is what an offline bundle proves.
type Verified struct {
	Leaf       Leaf
	Payload    []byte
	Checkpoint Checkpoint
	// Witnesses are the names of the witnesses whose cosignatures verified.
	Witnesses []string
}

// VerifyBundle checks a proof bundle offline: the checkpoint's signature by
// one of the log's keys (two across a key rotation), at least quorum
// cosignatures among the witness keys, the
// payload against the leaf, and the leaf's inclusion in the checkpoint.
func VerifyBundle(bundle []byte, logKeys, witnesses []note.Verifier, quorum int) (Verified, error) {
	var v Verified
	var p fproof.TLogProof
	if err := p.Unmarshal(bundle); err != nil {
		return v, fmt.Errorf("bundle: %w", err)
	}
	if !bytes.Equal(p.Marshal(), bundle) {
		return v, errors.New("bundle: not in canonical form")
	}
	leafBytes, payload, ok := bytes.Cut(p.ExtraData, []byte("\n\n"))
	if !ok {
		return v, errors.New("bundle: extra data must be the leaf, an empty line and the payload")
	}
	leaf, err := ParseLeaf(append(leafBytes, '\n'))
	if err != nil {
		return v, fmt.Errorf("bundle: %w", err)
	}
	if leaf.Gap || sha256.Sum256(payload) != leaf.Payload {
		return v, errors.New("bundle: the payload does not match the leaf's sha256")
	}
	if leaf.Seq != p.Index+1 {
		return v, fmt.Errorf("bundle: leaf sequence %d does not match index %d", leaf.Seq, p.Index)
	}
	cp, names, err := OpenCosigned(p.Checkpoint, logKeys, witnesses, quorum)
	if err != nil {
		return v, fmt.Errorf("bundle: %w", err)
	}
	if cp.Origin != leaf.Origin {
		return v, fmt.Errorf("bundle: leaf of %q in a checkpoint of %q", leaf.Origin, cp.Origin)
	}
	v.Witnesses = names
	hashes := make([][]byte, len(p.Hashes))
	for i := range p.Hashes {
		hashes[i] = p.Hashes[i][:]
	}
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, p.Index, cp.Size, leaf.Hash(), hashes, cp.Hash); err != nil {
		return v, fmt.Errorf("bundle: inclusion: %w", err)
	}
	v.Leaf, v.Payload, v.Checkpoint = leaf, payload, cp
	return v, nil
}

// OpenCosigned opens a checkpoint note that must be signed by one of the
// log's keys and cosigned by at least quorum of the witnesses, and returns
// it with the names of the witnesses whose cosignatures verified.
func OpenCosigned(signed []byte, logKeys, witnesses []note.Verifier, quorum int) (Checkpoint, []string, error) {
	cp, n, err := OpenCheckpoint(signed, append(slices.Clone(logKeys), witnesses...)...)
	if err != nil {
		return cp, nil, err
	}
	signedByLog := false
	var names []string
	for _, s := range n.Sigs {
		for _, k := range logKeys {
			signedByLog = signedByLog || s.Name == k.Name() && s.Hash == k.KeyHash()
		}
		for _, w := range witnesses {
			if s.Name == w.Name() && s.Hash == w.KeyHash() {
				names = append(names, w.Name())
			}
		}
	}
	if !signedByLog {
		return cp, nil, errors.New("the checkpoint is not signed by the log's key")
	}
	if len(names) < quorum {
		return cp, names, fmt.Errorf("%d witness cosignatures, need %d", len(names), quorum)
	}
	return cp, names, nil
}
