package transparency

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

var rf = &compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}

// Tree is an append-only RFC 6962 Merkle tree whose node hashes are kept in
// files, one per level (level-NN: the hashes of the perfect subtrees of size
// 2^NN in index order, 32 bytes each). A restart reopens the files and goes
// on from the tree's own size without rehashing. It is safe for concurrent
// use.
type Tree struct {
	dir    string
	mu     sync.RWMutex
	levels []*os.File
	rng    *compact.Range
}

// OpenTree opens (or creates) the tree in dir.
func OpenTree(dir string) (*Tree, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("tree: %w", err)
	}
	t := &Tree{dir: dir}
	f, err := t.level(0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := uint64(st.Size()) / 32
	// A torn last write leaves a partial hash: drop it.
	if err := f.Truncate(int64(size * 32)); err != nil {
		return nil, err
	}
	ids := compact.RangeNodes(0, size, nil)
	hashes, err := t.read(ids)
	if err != nil {
		return nil, fmt.Errorf("tree: reopen at size %d: %w", size, err)
	}
	if t.rng, err = rf.NewRange(0, size, hashes); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *Tree) level(l uint) (*os.File, error) {
	for uint(len(t.levels)) <= l {
		name := filepath.Join(t.dir, fmt.Sprintf("level-%02d", len(t.levels)))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("tree: %w", err)
		}
		t.levels = append(t.levels, f)
	}
	return t.levels[l], nil
}

// Close closes the files.
func (t *Tree) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	var errs []error
	for _, f := range t.levels {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}

// Size returns the number of leaves.
func (t *Tree) Size() uint64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.rng.End()
}

// Append adds leaf hashes at the end and writes the new nodes. When a write
// fails (a full disk) the tree stays as it was, in memory and on disk, so
// that the same leaves can be appended again.
func (t *Tree) Append(leafHashes ...[]byte) (err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old, err := rf.NewRange(t.rng.Begin(), t.rng.End(), append([][]byte(nil), t.rng.Hashes()...))
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			t.rng = old
			for l, f := range t.levels {
				_ = f.Truncate(int64(old.End()>>uint(l)) * 32)
			}
		}
	}()
	var werr error
	visit := func(id compact.NodeID, h []byte) {
		f, err := t.level(id.Level)
		if err == nil {
			_, err = f.WriteAt(h, int64(id.Index)*32)
		}
		if err != nil && werr == nil {
			werr = err
		}
	}
	for _, h := range leafHashes {
		if err := t.rng.Append(h, visit); err != nil {
			return err
		}
	}
	return werr
}

// Sync flushes the files to disk.
func (t *Tree) Sync() error {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, f := range t.levels {
		if err := f.Sync(); err != nil {
			return err
		}
	}
	return nil
}

// read returns the stored hashes of perfect nodes.
func (t *Tree) read(ids []compact.NodeID) ([][]byte, error) {
	out := make([][]byte, len(ids))
	for i, id := range ids {
		f, err := t.level(id.Level)
		if err != nil {
			return nil, err
		}
		h := make([]byte, 32)
		if _, err := f.ReadAt(h, int64(id.Index)*32); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("node %d/%d not stored", id.Level, id.Index)
			}
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}

// RootAt returns the root hash of the tree's first size leaves.
func (t *Tree) RootAt(size uint64) ([]byte, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if size > t.rng.End() {
		return nil, fmt.Errorf("size %d is beyond the tree's %d", size, t.rng.End())
	}
	if size == t.rng.End() {
		return t.rng.GetRootHash(nil)
	}
	hashes, err := t.read(compact.RangeNodes(0, size, nil))
	if err != nil {
		return nil, err
	}
	r, err := rf.NewRange(0, size, hashes)
	if err != nil {
		return nil, err
	}
	return r.GetRootHash(nil)
}

// LeafHash returns the hash of leaf index.
func (t *Tree) LeafHash(index uint64) ([]byte, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	h, err := t.read([]compact.NodeID{compact.NewNodeID(0, index)})
	if err != nil {
		return nil, err
	}
	return h[0], nil
}

// InclusionProof returns the proof that leaf index is in the tree of size.
func (t *Tree) InclusionProof(index, size uint64) ([][]byte, error) {
	if size > t.Size() || index >= size {
		return nil, fmt.Errorf("no leaf %d in a tree of size %d (tree has %d)", index, size, t.Size())
	}
	nodes, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, err
	}
	return t.rehash(nodes)
}

// ConsistencyProof returns the proof that the tree of size2 extends size1.
func (t *Tree) ConsistencyProof(size1, size2 uint64) ([][]byte, error) {
	if size2 > t.Size() || size1 > size2 {
		return nil, fmt.Errorf("no consistency proof from %d to %d (tree has %d)", size1, size2, t.Size())
	}
	nodes, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, err
	}
	return t.rehash(nodes)
}

func (t *Tree) rehash(nodes proof.Nodes) ([][]byte, error) {
	t.mu.RLock()
	hashes, err := t.read(nodes.IDs)
	t.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	return nodes.Rehash(hashes, rfc6962.DefaultHasher.HashChildren)
}
