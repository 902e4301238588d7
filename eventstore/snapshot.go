package eventstore

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// The index snapshot, kept in Config.VerifiedFile, is the index's whole
// state at a stream sequence P, so that a restart restores it and reads
// only the messages after P. Every message through P was decided (its
// writer signature verified) when the snapshot was taken; a restored
// index does not decide them again. Version 2; integers are unsigned
// varints (uv) unless a size is given, fixed-size ones little-endian, and
// a string is a uv length and its bytes:
//
//	"gongkai-index v2\n"
//	stream name                  string
//	stream creation time         8 bytes, Unix nanoseconds
//	P                            uv
//	message at P                 32 bytes: SHA-256 of its subject, data and
//	                             HeaderWriterSig value, each as a string
//	subject hash key             32 bytes (see Validator.last)
//	genesis, legacy              uv, uv
//	writer keys                  uv count, then by id: id string, public
//	                             key string, registered uv, revoked uv (0)
//	rejections                   uv count, then in stream order: sequence
//	                             uv, subject, community, reason strings
//	requests                     uv count, then by key, each 40 bytes: key
//	                             16, first 8, span 4, parts 4, fingerprint 8
//	subjects' last sequences     uv count, then by hash, each 16 bytes:
//	                             subject hash 8, sequence 8
//	communities                  uv count, then by name: name string, uv
//	                             count, sequences as uv increments
//	listed aggregate types       as communities
//	checksum                     32 bytes: SHA-256 of all that precedes
//
// A file that is not exactly this (an older version, cut short, altered),
// or that was taken of another stream (another name or creation time: a
// stream deleted and made anew), beyond the stream's end, or at a
// sequence whose message is not the one it recorded, is not used: the
// index is built from the start. It is trusted like the instance's tree:
// both live in its own directory.
const snapshotMagic = "gongkai-index v2\n"

// snapshot is the index's state as the snapshot file holds it.
type snapshot struct {
	stream  string
	created int64 // Unix nanoseconds
	thru    uint64
	msgSum  [32]byte
	lastKey [32]byte
	genesis uint64
	legacy  uint64
	writers []snapWriter // by id
	// rejected are the rejections in stream order.
	rejected []Rejection
	// keys are the requests by key; taken from a live index, the
	// restored ones (keys) and those added since (added, in any order).
	keys, added []keyRec
	last        []lastRec // by hash once encoded
	communities []seqList // by name once encoded
	types       []seqList
}

type snapWriter struct {
	id              string
	pub             []byte
	from, revokedAt uint64
}

type lastRec struct{ hash, seq uint64 }

type seqList struct {
	name string
	seqs []uint64
}

// capture copies the index's state. It holds the index's lock only while
// it copies; the lists it shares are append-only, so what it took of them
// does not change.
func (x *index) capture() *snapshot {
	x.mu.Lock()
	defer x.mu.Unlock()
	v := x.v
	sn := &snapshot{thru: x.thru, lastKey: v.lastKey, genesis: v.genesis, legacy: v.legacy, keys: v.keys.base}
	if v.genesis == 0 {
		// Legacy messages widen restored entries in place until the genesis.
		sn.keys = slices.Clone(v.keys.base)
	}
	sn.added = make([]keyRec, 0, len(v.keys.m))
	for k, e := range v.keys.m {
		sn.added = append(sn.added, keyRec{k, e})
	}
	for id, w := range v.writers {
		sn.writers = append(sn.writers, snapWriter{id, w.pub, w.from, w.revokedAt})
	}
	for _, seq := range v.order {
		sn.rejected = append(sn.rejected, v.rejected[seq])
	}
	sn.last = make([]lastRec, 0, len(v.last))
	for h, seq := range v.last {
		sn.last = append(sn.last, lastRec{h, seq})
	}
	for c, seqs := range x.communities {
		sn.communities = append(sn.communities, seqList{c, seqs[:len(seqs):len(seqs)]})
	}
	for t, seqs := range x.types {
		sn.types = append(sn.types, seqList{t, seqs[:len(seqs):len(seqs)]})
	}
	return sn
}

// encode returns the snapshot file's content (it sorts sn's lists).
func (sn *snapshot) encode() []byte {
	slices.SortFunc(sn.added, func(a, b keyRec) int { return compareKeys(a.k, b.k) })
	keys := mergeKeys(sn.keys, sn.added)
	slices.SortFunc(sn.writers, func(a, b snapWriter) int { return cmp.Compare(a.id, b.id) })
	slices.SortFunc(sn.last, func(a, b lastRec) int { return cmp.Compare(a.hash, b.hash) })
	byName := func(a, b seqList) int { return cmp.Compare(a.name, b.name) }
	slices.SortFunc(sn.communities, byName)
	slices.SortFunc(sn.types, byName)

	size := 256 + 40*len(keys) + 16*len(sn.last) + 64*len(sn.rejected)
	for _, l := range sn.communities {
		size += 16 + 2*len(l.seqs)
	}
	for _, l := range sn.types {
		size += 16 + 2*len(l.seqs)
	}
	b := make([]byte, 0, size)
	str := func(s string) { b = binary.AppendUvarint(b, uint64(len(s))); b = append(b, s...) }
	uv := func(n uint64) { b = binary.AppendUvarint(b, n) }
	b = append(b, snapshotMagic...)
	str(sn.stream)
	b = binary.LittleEndian.AppendUint64(b, uint64(sn.created))
	uv(sn.thru)
	b = append(b, sn.msgSum[:]...)
	b = append(b, sn.lastKey[:]...)
	uv(sn.genesis)
	uv(sn.legacy)
	uv(uint64(len(sn.writers)))
	for _, w := range sn.writers {
		str(w.id)
		str(string(w.pub))
		uv(w.from)
		uv(w.revokedAt)
	}
	uv(uint64(len(sn.rejected)))
	for _, r := range sn.rejected {
		uv(r.Seq)
		str(r.Subject)
		str(r.Community)
		str(r.Reason)
	}
	uv(uint64(len(keys)))
	for _, r := range keys {
		b = append(b, r.k[:]...)
		b = binary.LittleEndian.AppendUint64(b, r.e.first)
		b = binary.LittleEndian.AppendUint32(b, r.e.span)
		b = binary.LittleEndian.AppendUint32(b, r.e.n)
		b = append(b, r.e.fp[:]...)
	}
	uv(uint64(len(sn.last)))
	for _, l := range sn.last {
		b = binary.LittleEndian.AppendUint64(b, l.hash)
		b = binary.LittleEndian.AppendUint64(b, l.seq)
	}
	for _, lists := range [][]seqList{sn.communities, sn.types} {
		uv(uint64(len(lists)))
		for _, l := range lists {
			str(l.name)
			uv(uint64(len(l.seqs)))
			prev := uint64(0)
			for _, seq := range l.seqs {
				uv(seq - prev)
				prev = seq
			}
		}
	}
	sum := sha256.Sum256(b)
	return append(b, sum[:]...)
}

// mergeKeys merges two lists of requests sorted by key.
func mergeKeys(a, b []keyRec) []keyRec {
	if len(b) == 0 {
		return a
	}
	out := make([]keyRec, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if compareKeys(a[0].k, b[0].k) < 0 {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return append(append(out, a...), b...)
}

// errSnapshot is wrapped by every reason a snapshot file is not read.
var errSnapshot = errors.New("not a valid index snapshot")

// decodeSnapshot parses a snapshot file's content. It checks the
// checksum, and that everything is in order and within P, and returns an
// error wrapping errSnapshot for anything else.
func decodeSnapshot(b []byte) (*snapshot, error) {
	if !bytes.HasPrefix(b, []byte(snapshotMagic)) {
		return nil, fmt.Errorf("%w: no %q header (an older version?)", errSnapshot, snapshotMagic[:len(snapshotMagic)-1])
	}
	if len(b) < len(snapshotMagic)+32 {
		return nil, fmt.Errorf("%w: cut short", errSnapshot)
	}
	body := b[:len(b)-32]
	if sum := sha256.Sum256(body); !bytes.Equal(sum[:], b[len(body):]) {
		return nil, fmt.Errorf("%w: checksum does not match (cut short or altered)", errSnapshot)
	}
	d := decoder{b: body[len(snapshotMagic):]}
	sn := &snapshot{}
	sn.stream = d.str()
	sn.created = int64(d.u64())
	sn.thru = d.uv()
	copy(sn.msgSum[:], d.bytes(32))
	copy(sn.lastKey[:], d.bytes(32))
	sn.genesis, sn.legacy = d.uv(), d.uv()
	in := func(seq uint64) bool { return seq >= 1 && seq <= sn.thru }
	for range d.count(4) {
		w := snapWriter{id: d.str(), pub: []byte(d.str()), from: d.uv(), revokedAt: d.uv()}
		if len(sn.writers) > 0 && w.id <= sn.writers[len(sn.writers)-1].id || len(w.pub) != ed25519.PublicKeySize ||
			!in(w.from) || w.revokedAt != 0 && !in(w.revokedAt) {
			d.fail("writer keys")
		}
		sn.writers = append(sn.writers, w)
	}
	for range d.count(4) {
		r := Rejection{Seq: d.uv(), Subject: d.str(), Community: d.str(), Reason: d.str()}
		if len(sn.rejected) > 0 && r.Seq <= sn.rejected[len(sn.rejected)-1].Seq || !in(r.Seq) || r.Reason == "" {
			d.fail("rejections")
		}
		sn.rejected = append(sn.rejected, r)
	}
	n := d.count(40)
	raw := d.bytes(40 * n)
	if d.err == nil {
		sn.keys = make([]keyRec, n)
		for i := range sn.keys {
			r := raw[40*i : 40*i+40]
			k := &sn.keys[i]
			copy(k.k[:], r[:16])
			k.e.first = binary.LittleEndian.Uint64(r[16:])
			k.e.span = binary.LittleEndian.Uint32(r[24:])
			k.e.n = binary.LittleEndian.Uint32(r[28:])
			copy(k.e.fp[:], r[32:40])
			// A request's later parts may come after P.
			if i > 0 && compareKeys(sn.keys[i-1].k, k.k) >= 0 || !in(k.e.first) {
				d.fail("requests")
				break
			}
		}
	}
	n = d.count(16)
	raw = d.bytes(16 * n)
	if d.err == nil {
		sn.last = make([]lastRec, n)
		for i := range sn.last {
			l := lastRec{binary.LittleEndian.Uint64(raw[16*i:]), binary.LittleEndian.Uint64(raw[16*i+8:])}
			if i > 0 && l.hash <= sn.last[i-1].hash || !in(l.seq) {
				d.fail("last sequences")
				break
			}
			sn.last[i] = l
		}
	}
	for _, lists := range []*[]seqList{&sn.communities, &sn.types} {
		for range d.count(2) {
			l := seqList{name: d.str()}
			if len(*lists) > 0 && l.name <= (*lists)[len(*lists)-1].name {
				d.fail("lists")
			}
			l.seqs = make([]uint64, 0, d.count(1))
			prev := uint64(0)
			for range cap(l.seqs) {
				inc := d.uv()
				if inc == 0 || prev+inc > sn.thru {
					d.fail("lists")
					break
				}
				prev += inc
				l.seqs = append(l.seqs, prev)
			}
			*lists = append(*lists, l)
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes")
	}
	if d.err != nil {
		return nil, d.err
	}
	return sn, nil
}

// decoder reads a snapshot's fields; after the first error it reads
// zeros and keeps that error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: malformed %s", errSnapshot, what)
	}
	d.b = nil
}

func (d *decoder) uv() uint64 {
	n, k := binary.Uvarint(d.b)
	if k <= 0 || k > 1 && d.b[k-1] == 0 { // and not in more bytes than it needs
		d.fail("number")
		return 0
	}
	d.b = d.b[k:]
	return n
}

func (d *decoder) bytes(n int) []byte {
	if n < 0 || n > len(d.b) {
		d.fail("field")
		return make([]byte, max(n, 0))
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

func (d *decoder) u64() uint64 { return binary.LittleEndian.Uint64(d.bytes(8)) }

func (d *decoder) str() string { return string(d.bytes(int(min(d.uv(), uint64(len(d.b)+1))))) }

// count reads a count of items of at least size bytes each, failing when
// the rest could not hold them (so that a bad count allocates nothing).
func (d *decoder) count(size int) int {
	n := d.uv()
	if n > uint64(len(d.b)/size) {
		d.fail("count")
		return 0
	}
	return int(n)
}

// restore sets a new index's state to sn's, listing the aggregate types
// it listed at the start (all of which sn must list).
func (x *index) restore(sn *snapshot) error {
	types := map[string][]uint64{}
	for _, l := range sn.types {
		types[l.name] = l.seqs
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for t := range x.types {
		if _, ok := types[t]; !ok {
			return fmt.Errorf("%w: aggregate type %s is listed now but was not then", errSnapshot, t)
		}
	}
	for t := range x.types {
		x.types[t] = types[t]
	}
	v := x.v
	v.keys = keyTable{base: sn.keys, m: map[idemKey]idxEntry{}}
	v.lastKey = sn.lastKey
	v.genesis, v.legacy = sn.genesis, sn.legacy
	for _, w := range sn.writers {
		v.writers[w.id] = &writerState{pub: w.pub, from: w.from, revokedAt: w.revokedAt}
	}
	for _, r := range sn.rejected {
		v.rejected[r.Seq] = r
		v.order = append(v.order, r.Seq)
	}
	v.last = make(map[uint64]uint64, len(sn.last))
	for _, l := range sn.last {
		v.last[l.hash] = l.seq
	}
	for _, l := range sn.communities {
		x.communities[l.name] = l.seqs
	}
	x.thru = sn.thru
	return nil
}

// messageSum identifies the stored message at a sequence in a snapshot.
func messageSum(subject string, data []byte, sig string) [32]byte {
	h := sha256.New()
	for _, f := range [][]byte{[]byte(subject), data, []byte(sig)} {
		h.Write(binary.AppendUvarint(nil, uint64(len(f))))
		h.Write(f)
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// sumAt returns the messageSum of the stored message at seq.
func (s *Store) sumAt(ctx context.Context, seq uint64) ([32]byte, error) {
	m, err := s.stream.GetMsg(ctx, seq)
	if err != nil {
		return [32]byte{}, fmt.Errorf("get %d: %w", seq, err)
	}
	return messageSum(m.Subject, m.Data, m.Header.Get(HeaderWriterSig)), nil
}

// restoreSnapshot restores the index from the snapshot file, if it is one
// of this stream at a sequence up to last whose message is still the one
// it recorded. It returns why not otherwise (wrapping os.ErrNotExist when
// there is no file).
func (s *Store) restoreSnapshot(ctx context.Context, last uint64) (*snapshot, error) {
	b, err := os.ReadFile(s.verifiedFile)
	if err != nil {
		return nil, err
	}
	sn, err := decodeSnapshot(b)
	switch {
	case err != nil:
		return nil, err
	case sn.stream != s.name:
		return nil, fmt.Errorf("%w: taken of stream %s", errSnapshot, sn.stream)
	case sn.created != s.created.UnixNano():
		return nil, fmt.Errorf("%w: taken of a stream created at %s, this one was created at %s (deleted and made anew?)", errSnapshot,
			time.Unix(0, sn.created).UTC().Format(time.RFC3339Nano), s.created.UTC().Format(time.RFC3339Nano))
	case sn.thru == 0 || sn.thru > last:
		return nil, fmt.Errorf("%w: taken at sequence %d, the stream ends at %d", errSnapshot, sn.thru, last)
	}
	sum, err := s.sumAt(ctx, sn.thru)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errSnapshot, err)
	}
	if sum != sn.msgSum {
		return nil, fmt.Errorf("%w: the message at sequence %d is not the one it was taken at", errSnapshot, sn.thru)
	}
	if err := s.idx.restore(sn); err != nil {
		return nil, err
	}
	return sn, nil
}

// snapshotEvery is how long a snapshot that moved less than an eighth of
// its size (and less than snapshotStep) waits before it is written again.
const (
	snapshotEvery = 10 * time.Minute
	snapshotStep  = 100_000
)

// SaveVerified writes the index's snapshot (see snapshotMagic) to the
// verified file, so that a restart restores the index and reads, and
// verifies, only the messages after it. Since the file is tens of MB at a
// million requests, it writes only when the index moved by at least
// minStep messages since the last snapshot and, but for minStep 0 (at
// shutdown: whenever it moved), by an eighth of its size, 100,000
// messages, or 10 minutes after the last one; and, but for minStep 0, not
// before the index has read what the stream held at Open. It returns an error when
// the file cannot be written, or the message at the snapshot's sequence
// cannot be read.
func (s *Store) SaveVerified(minStep uint64) error {
	if s.verifiedFile == "" {
		return nil
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	thru := s.idx.through()
	moved := thru - min(thru, s.savedThrough)
	if moved == 0 || moved < minStep || minStep > 0 && thru < s.openedAt {
		return nil // (nor while the index is still reading what the stream held at Open)
	}
	now := s.now()
	if minStep > 0 && moved < thru/8 && moved < snapshotStep && now.Sub(s.savedAt) < snapshotEvery {
		return nil
	}
	sn := s.idx.capture()
	sn.stream, sn.created = s.name, s.created.UnixNano()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var err error
	if sn.msgSum, err = s.sumAt(ctx, sn.thru); err != nil {
		return fmt.Errorf("save index snapshot: %w", err)
	}
	if err := writeFileAtomic(s.verifiedFile, sn.encode()); err != nil {
		return fmt.Errorf("save index snapshot: %w", err)
	}
	s.savedThrough, s.savedAt = sn.thru, now
	return nil
}

// writeFileAtomic replaces the file at path with b: a crash leaves the old
// content or the new, never a mix.
func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}
