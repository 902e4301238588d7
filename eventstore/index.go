package eventstore

import (
	"encoding/hex"
	"sync"
)

// index maps idempotency hashes to the stream sequences of their events and
// knows through which sequence the stream is fully indexed.
type index struct {
	syncMu sync.Mutex // held while reading the stream into the index

	mu      sync.Mutex
	keys    map[[32]byte]idxEntry // by the decoded idempotency hash
	thru    uint64
	pending map[uint64]uint64 // first -> last of ranges added beyond thru
}

type idxEntry struct {
	first, last uint64
	fingerprint string
}

func newIndex() *index {
	return &index{keys: map[[32]byte]idxEntry{}, pending: map[uint64]uint64{}}
}

// add records that sequences first..last are stored, with idempotency hash
// ih ("" for a message without one).
func (x *index) add(first, last uint64, ih, fingerprint string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if k, ok := key(ih); ok {
		e, ok := x.keys[k]
		if !ok {
			e = idxEntry{first: first, last: last, fingerprint: fingerprint}
		}
		e.first, e.last = min(e.first, first), max(e.last, last)
		x.keys[k] = e
	}
	if last <= x.thru {
		return
	}
	if first > x.thru+1 {
		x.pending[first] = max(x.pending[first], last)
		return
	}
	x.thru = last
	for {
		l, ok := x.pending[x.thru+1]
		if !ok {
			break
		}
		delete(x.pending, x.thru+1)
		x.thru = max(x.thru, l)
	}
	for f, l := range x.pending {
		if l <= x.thru {
			delete(x.pending, f)
		}
	}
}

func (x *index) get(ih string) (idxEntry, bool) {
	k, ok := key(ih)
	if !ok {
		return idxEntry{}, false
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	e, ok := x.keys[k]
	return e, ok
}

// key decodes a HeaderIdempotency value.
func key(ih string) ([32]byte, bool) {
	var k [32]byte
	if len(ih) != 64 {
		return k, false
	}
	_, err := hex.Decode(k[:], []byte(ih))
	return k, err == nil
}

func (x *index) through() uint64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.thru
}

func (x *index) len() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.keys)
}
