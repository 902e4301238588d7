package eventstore

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// Rejection is a stored message that is not a fact: it has no valid writer
// signature of a registered key, or it is a copy of a signed message stored
// where its request did not put it. The Merkle tree still commits to it
// (the log is what it is); read models, the command cache and the
// idempotency index pass over it, and /readyz, the metrics, the affected
// community's pages and `gongkai verify` name it.
type Rejection struct {
	Seq       uint64 `json:"stream_seq"`
	Subject   string `json:"subject"`
	Community string `json:"community"`
	Reason    string `json:"reason"`
}

// Validator decides, message by message in stream order, which messages are
// facts. It knows the registered writer keys (from the key events it has
// seen) and every request's idempotency hash, first sequence and size.
//
// Messages stored before the first writer key registration (the genesis,
// which is signed by the key it registers) were written before gongkai
// signed its messages; they are accepted as legacy history. From the
// genesis on, every message must be signed by a key registered at an
// earlier sequence and not revoked before it.
//
// A Validator is not safe for concurrent use; index wraps it.
type Validator struct {
	keys     keyTable
	writers  map[string]*writerState
	genesis  uint64
	legacy   uint64
	rejected map[uint64]Rejection
	order    []uint64
	// last is every subject's last sequence, of any message (as JetStream
	// counts it for an append's expected version), by a keyed hash of the
	// subject (subjectHash). The key is random when the index starts from
	// nothing and kept in its snapshot: no one writing subjects can aim at
	// a collision, and one would only reject a message, never accept one.
	last    map[uint64]uint64
	lastKey [32]byte
}

// idxEntry is one request of the index, 24 bytes without pointers (the
// garbage collector does not scan a million of them, and nothing keeps a
// message's headers alive: a fingerprint string taken from them held the
// whole header block, some 700 bytes a request).
type idxEntry struct {
	first uint64
	span  uint32 // last sequence - first
	n     uint32 // parts of the request; 0 for legacy messages
	fp    fpHash
}

func (e idxEntry) last() uint64 { return e.first + uint64(e.span) }

// keyTable is the idempotency index. The requests restored from a snapshot
// are a slice sorted by key (40 bytes a request, nothing for the garbage
// collector to scan, against some 100 in a map); those indexed since are
// a map. Every read and write goes through lookup and add.
type keyTable struct {
	base []keyRec // sorted by key, each key once; entries change in place
	m    map[idemKey]idxEntry
}

type keyRec struct {
	k idemKey
	e idxEntry
}

// cmpKey orders requests by key (as bytes.Compare would, faster).
func cmpKey(r keyRec, k idemKey) int { return compareKeys(r.k, k) }

func compareKeys(a, b idemKey) int {
	if c := cmp.Compare(binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(b[:8])); c != 0 {
		return c
	}
	return cmp.Compare(binary.BigEndian.Uint64(a[8:]), binary.BigEndian.Uint64(b[8:]))
}

func (t *keyTable) lookup(k idemKey) (idxEntry, bool) {
	if e, ok := t.m[k]; ok {
		return e, true
	}
	if i, ok := slices.BinarySearchFunc(t.base, k, cmpKey); ok {
		return t.base[i].e, true
	}
	return idxEntry{}, false
}

// add sets k's entry: in place if k was restored, else in the map.
func (t *keyTable) add(k idemKey, e idxEntry) {
	if i, ok := slices.BinarySearchFunc(t.base, k, cmpKey); ok {
		t.base[i].e = e
		return
	}
	t.m[k] = e
}

func (t *keyTable) len() int { return len(t.base) + len(t.m) }

// subjectHash is the key of a subject in last: the first 8 bytes of the
// SHA-256 of lastKey and the subject (cheaper here than a keyed BLAKE2b,
// which allocates; 150 ns).
func (v *Validator) subjectHash(subject string) uint64 {
	var sum [32]byte
	if len(subject) <= 224 {
		var buf [32 + 224]byte
		n := copy(buf[:], v.lastKey[:])
		n += copy(buf[n:], subject)
		sum = sha256.Sum256(buf[:n])
	} else {
		h := sha256.New()
		h.Write(v.lastKey[:])
		h.Write([]byte(subject))
		h.Sum(sum[:0])
	}
	return binary.LittleEndian.Uint64(sum[:8])
}

// fpHash identifies a request's fingerprint: the first 8 bytes of its
// SHA-256 (it tells a retry from another request sent with the same key).
type fpHash [8]byte

func fpOf(fingerprint string) fpHash {
	h := sha256.Sum256([]byte(fingerprint))
	return fpHash(h[:8])
}

type writerState struct {
	pub       ed25519.PublicKey
	from      uint64 // sequence of its registration
	revokedAt uint64 // 0 while active
}

// NewValidator returns a validator for a stream read from sequence 1.
func NewValidator() *Validator {
	v := &Validator{keys: keyTable{m: map[idemKey]idxEntry{}}, writers: map[string]*writerState{}, rejected: map[uint64]Rejection{},
		last: map[uint64]uint64{}}
	rand.Read(v.lastKey[:])
	return v
}

// Check decides the message at seq (called for every sequence in order).
// data is the stored payload, or nil when only the headers were read; then
// the payload's hash is taken from its header, which the signature covers.
// It returns "" for a fact and otherwise why the message is not one.
func (v *Validator) Check(seq uint64, subject string, h nats.Header, data []byte) string {
	return v.decide(seq, subject, h, data, false)
}

// decide is Check; signed says the caller signed this very message itself
// (an append's own acknowledgement), so its signature needs no checking.
func (v *Validator) decide(seq uint64, subject string, h nats.Header, data []byte, signed bool) string {
	reason := v.check(seq, subject, h, data, signed)
	v.last[v.subjectHash(subject)] = seq
	if reason != "" {
		community := ""
		if t := strings.SplitN(subject, ".", 3); len(t) > 1 {
			community = t[1]
		}
		v.rejected[seq] = Rejection{Seq: seq, Subject: subject, Community: community, Reason: reason}
		v.order = append(v.order, seq)
	}
	return reason
}

func (v *Validator) check(seq uint64, subject string, h nats.Header, data []byte, signed bool) string {
	ih, fp := h.Get(HeaderIdempotency), h.Get(HeaderRequest)
	writer := h.Get(HeaderWriter)
	if data != nil {
		sum := sha256.Sum256(data)
		if got := h.Get(HeaderPayloadSHA256); got != "" && got != hex.EncodeToString(sum[:]) {
			return "payload does not match its recorded SHA-256"
		}
	}
	if writer == "" {
		if v.genesis != 0 {
			return "no writer signature"
		}
		// Legacy: written before gongkai signed its messages.
		v.legacy++
		if k, ok := key(ih); ok {
			e, ok := v.keys.lookup(k)
			if !ok {
				e = idxEntry{first: seq, fp: fpOf(fp)}
			}
			first, last := min(e.first, seq), max(e.last(), seq)
			e.first, e.span = first, uint32(last-first)
			v.keys.add(k, e)
		}
		return ""
	}
	m := signedMessageOf(subject, h)
	sig, err := base64.StdEncoding.DecodeString(h.Get(HeaderWriterSig))
	if err != nil {
		return "malformed writer signature"
	}
	var op, opID string
	var opPub ed25519.PublicKey
	if m.KeyOp != "" {
		if op, opID, opPub, err = parseKeyOp(m.KeyOp); err != nil {
			return "writer key event: " + err.Error()
		}
		if subject != writerSubjectPrefix+opID {
			return "writer key event on the wrong subject"
		}
	} else if strings.HasPrefix(subject, writerSubjectPrefix) {
		return "message on a writer key subject without a key operation"
	}
	w := v.writers[writer]
	var pub ed25519.PublicKey
	switch {
	case w != nil && w.revokedAt == 0:
		pub = w.pub
	case w != nil:
		return fmt.Sprintf("signed by writer key %s, revoked at sequence %d", writer, w.revokedAt)
	case v.genesis == 0 && op == "register" && opID == writer:
		pub = opPub // the genesis: signed by the key it registers
	default:
		return fmt.Sprintf("signed by writer key %s, which is not registered", writer)
	}
	if !signed && !ed25519.Verify(pub, m.SigningInput(), sig) {
		return fmt.Sprintf("writer signature of key %s does not verify", writer)
	}
	k, n, ok := parsePart(m.Part)
	ik, ok2 := key(ih)
	if !ok || !ok2 {
		return "signed message without a valid part or idempotency header"
	}
	e, seen := v.keys.lookup(ik)
	switch {
	case !seen && k != 0:
		return fmt.Sprintf("part %d of %d of a request whose first part is not in the log (a copy)", k, n)
	case seen && (e.n == 0 || seq != e.first+k || n != uint64(e.n) || fpOf(fp) != e.fp):
		return fmt.Sprintf("copy of part %d of the request stored at sequence %d", k, e.first)
	}
	// The version it was decided on: a message JetStream refused, stored
	// later by someone else, lands where its subject has moved on.
	if m.Prev != "" {
		want, ok := uint64(0), false
		if rel, isRel := strings.CutPrefix(m.Prev, "^"); isRel {
			if p, err := strconv.ParseUint(rel, 10, 32); err == nil && p < k {
				want, ok = seq-k+p, true
			}
		} else if p, err := strconv.ParseUint(m.Prev, 10, 64); err == nil {
			want, ok = p, true
		}
		if !ok {
			return "malformed " + HeaderPrev
		}
		if got := v.last[v.subjectHash(subject)]; got != want {
			return fmt.Sprintf("decided on its aggregate at version %d, but the aggregate was at %d when it was stored", want, got)
		}
	}
	if !seen {
		v.keys.add(ik, idxEntry{first: seq, span: uint32(n - 1), n: uint32(n), fp: fpOf(fp)})
	}
	switch op {
	case "register":
		if v.writers[opID] == nil {
			v.writers[opID] = &writerState{pub: opPub, from: seq}
		}
		if v.genesis == 0 {
			v.genesis = seq
		}
	case "revoke":
		if t := v.writers[opID]; t != nil && t.revokedAt == 0 {
			t.revokedAt = seq
		}
	}
	return ""
}

// Rejected returns the rejected messages in stream order.
func (v *Validator) Rejected() []Rejection {
	out := make([]Rejection, 0, len(v.order))
	for _, s := range v.order {
		out = append(out, v.rejected[s])
	}
	return out
}

// Legacy returns how many messages were accepted as written before writer
// signatures (before the genesis).
func (v *Validator) Legacy() uint64 { return v.legacy }

// Genesis returns the sequence of the first writer key registration (0 if
// none yet).
func (v *Validator) Genesis() uint64 { return v.genesis }

// Active reports whether writer key id is registered and not revoked.
func (v *Validator) Active(id string) bool {
	w := v.writers[id]
	return w != nil && w.revokedAt == 0
}

// Writers returns the ids of the registered writer keys with the sequence
// of their registration and of their revocation (0 while active).
func (v *Validator) Writers() map[string][2]uint64 {
	out := map[string][2]uint64{}
	for id, w := range v.writers {
		out[id] = [2]uint64{w.from, w.revokedAt}
	}
	return out
}

// index runs a Validator over the stream in order, whichever way each
// message arrives (an append's own acknowledgement, the feed, a read of the
// stream), and answers idempotency look-ups from it.
type index struct {
	// syncing is held (a one-slot semaphore, so that waiting for it
	// respects a context) while reading the stream into the index.
	syncing chan struct{}

	mu      sync.Mutex
	v       *Validator
	thru    uint64
	pending map[uint64]pendingMsg // messages beyond thru+1, waiting for the gap
	// whenThrough runs once the index reaches whenSeq (onThrough).
	whenThrough func()
	whenSeq     uint64
	moved       chan struct{} // closed and replaced whenever thru moves
	// communities lists each community's stream sequences in order (8
	// bytes an event), so that one community is read by direct gets of
	// its own messages rather than a scan of the stream.
	communities map[string][]uint64
	// types lists, for each aggregate type of Config.ListTypes (every one
	// there, if only with an empty list), its sequences in stream order,
	// all communities together.
	types map[string][]uint64
	// own holds, by signature, the messages of this instance's appends
	// in flight: the members of an atomic batch reach the follower before
	// the batch's acknowledgement reaches the append, and a message that
	// is exactly one this instance signed needs no verification.
	own map[string]ownMsg
}

// ownMsg is what an append signed: the writer key id and signing input.
type ownMsg struct {
	writer string
	input  []byte
}

type pendingMsg struct {
	subject string
	header  nats.Header
	data    []byte
	signed  bool
}

// newIndex returns an index at the stream's start that lists the
// aggregate types listTypes.
func newIndex(listTypes []string) *index {
	x := &index{v: NewValidator(), pending: map[uint64]pendingMsg{}, moved: make(chan struct{}), syncing: make(chan struct{}, 1),
		communities: map[string][]uint64{}, types: map[string][]uint64{}, own: map[string]ownMsg{}}
	for _, t := range listTypes {
		x.types[t] = []uint64{}
	}
	return x
}

// observe decides the message at seq once every earlier one is decided;
// signed is set for a message this store signed and appended itself.
func (x *index) observe(seq uint64, subject string, h nats.Header, data []byte, signed bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if seq <= x.thru {
		return
	}
	signed = signed || x.isOwn(subject, h)
	if seq > x.thru+1 {
		if _, ok := x.pending[seq]; !ok {
			x.pending[seq] = pendingMsg{subject, h, data, signed}
		}
		return
	}
	x.v.decide(seq, subject, h, data, signed)
	x.list(seq, subject)
	x.thru = seq
	defer func() {
		close(x.moved)
		x.moved = make(chan struct{})
		if x.whenThrough != nil && x.thru >= x.whenSeq {
			go x.whenThrough()
			x.whenThrough = nil
		}
	}()
	for {
		p, ok := x.pending[x.thru+1]
		if !ok {
			break
		}
		delete(x.pending, x.thru+1)
		x.thru++
		x.v.decide(x.thru, p.subject, p.header, p.data, p.signed)
		x.list(x.thru, p.subject)
	}
}

// isOwn says the message is one an append of this instance signed and
// has in flight: the same writer key id, signature and signing input, so
// its signature verifies as surely as if it were checked.
func (x *index) isOwn(subject string, h nats.Header) bool {
	if len(x.own) == 0 {
		return false
	}
	o, ok := x.own[h.Get(HeaderWriterSig)]
	return ok && o.writer == h.Get(HeaderWriter) && bytes.Equal(o.input, signedMessageOf(subject, h).SigningInput())
}

// addOwn records the messages an append is about to publish (isOwn).
func (x *index) addOwn(msgs []*nats.Msg, inputs [][]byte) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for i, m := range msgs {
		x.own[m.Header.Get(HeaderWriterSig)] = ownMsg{writer: m.Header.Get(HeaderWriter), input: inputs[i]}
	}
}

// dropOwn forgets them once the append has its answer.
func (x *index) dropOwn(msgs []*nats.Msg) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, m := range msgs {
		delete(x.own, m.Header.Get(HeaderWriterSig))
	}
}

// list records seq under the community its subject names
// ("ledger.<community>.<aggregate type>.…") and, if the aggregate type is
// listed, under its type.
func (x *index) list(seq uint64, subject string) {
	rest, ok := strings.CutPrefix(subject, SubjectPrefix+".")
	if !ok {
		return
	}
	c, rest, _ := strings.Cut(rest, ".")
	x.communities[c] = append(x.communities[c], seq)
	typ, _, _ := strings.Cut(rest, ".")
	if seqs, ok := x.types[typ]; ok {
		x.types[typ] = append(seqs, seq)
	}
}

// typeSeqs returns the sequences of the listed aggregate types up to upTo,
// in stream order.
func (x *index) typeSeqs(upTo uint64) []uint64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	var out []uint64
	for _, seqs := range x.types {
		n, _ := slices.BinarySearch(seqs, upTo+1)
		out = append(out, seqs[:n]...)
	}
	slices.Sort(out)
	return out
}

// subjectVersion returns the last sequence of any message on subject the
// index has decided, and whether it has decided one.
func (x *index) subjectVersion(subject string) (uint64, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	seq, ok := x.v.last[x.v.subjectHash(subject)]
	return seq, ok
}

// communitySeqs returns a copy of a community's sequences up to upTo.
func (x *index) communitySeqs(community string, upTo uint64) []uint64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	seqs := x.communities[community]
	n, _ := slices.BinarySearch(seqs, upTo+1)
	return slices.Clone(seqs[:n])
}

// verdict returns why the message at seq is not a fact ("" if it is), and
// false when the index has not reached seq yet.
func (x *index) verdict(seq uint64) (string, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if seq > x.thru {
		return "", false
	}
	return x.v.rejected[seq].Reason, true
}

// waitVerdict is verdict, waiting up to d for the index to reach seq (the
// feed fills a gap left by other instances' appends within milliseconds).
func (x *index) waitVerdict(ctx context.Context, seq uint64, d time.Duration) (string, bool) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		x.mu.Lock()
		if seq <= x.thru {
			r := x.v.rejected[seq].Reason
			x.mu.Unlock()
			return r, true
		}
		moved := x.moved
		x.mu.Unlock()
		select {
		case <-moved:
		case <-timer.C:
			return "", false
		case <-ctx.Done():
			return "", false
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
	return x.v.keys.lookup(k)
}

// key decodes a HeaderIdempotency value.
func key(ih string) (idemKey, bool) {
	var k [32]byte
	if len(ih) != 64 {
		return idemKey{}, false
	}
	_, err := hex.Decode(k[:], []byte(ih))
	return idemKey(k[:16]), err == nil
}

// idemKey is the first 16 bytes of an idempotency hash (a SHA-256): the
// index's key. A replay checks the full hash on the stored messages.
type idemKey [16]byte

// onThrough runs fn, once, when the index has read through seq.
func (x *index) onThrough(seq uint64, fn func()) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.thru >= seq {
		go fn()
		return
	}
	x.whenThrough, x.whenSeq = fn, seq
}

func (x *index) through() uint64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.thru
}

func (x *index) len() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.v.keys.len()
}

func (x *index) with(fn func(v *Validator)) {
	x.mu.Lock()
	defer x.mu.Unlock()
	fn(x.v)
}
