// Package transparency makes gongkai's log verifiable: an RFC 6962 Merkle
// tree over the ledger stream in sequence order, signed checkpoints in the
// C2SP tlog-checkpoint format, inclusion and consistency proofs, offline
// proof bundles and a witness. docs/verification.md specifies the formats.
package transparency

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/transparency-dev/merkle/rfc6962"
)

// Leaf format versions: the first line of every leaf.
const (
	LeafV1 = "gongkai-leaf v1"
	GapV1  = "gongkai-gap v1"
)

// Leaf is the record the tree commits to for one stream message. A gap leaf
// stands for a sequence the stream does not have: it carries no subject,
// event id or payload hash.
//
// Encoding (each line ends in "\n", fields have no spaces or newlines):
//
//	gongkai-leaf v1
//	origin <origin>
//	stream <stream name>
//	seq <decimal stream sequence>
//	subject <NATS subject>
//	event <event id, or - when the message has none>
//	sha256 <lower-case hex SHA-256 of the exact stored payload bytes>
//
// and for a gap:
//
//	gongkai-gap v1
//	origin <origin>
//	stream <stream name>
//	seq <decimal stream sequence>
type Leaf struct {
	Origin  string
	Stream  string
	Seq     uint64
	Gap     bool
	Subject string
	EventID string
	Payload [sha256.Size]byte
}

// NewLeaf makes the leaf of a stored message.
func NewLeaf(origin, stream string, seq uint64, subject, eventID string, payload []byte) Leaf {
	if eventID == "" {
		eventID = "-"
	}
	return Leaf{Origin: origin, Stream: stream, Seq: seq, Subject: subject, EventID: eventID, Payload: sha256.Sum256(payload)}
}

// Marshal encodes the leaf.
func (l Leaf) Marshal() []byte {
	var b bytes.Buffer
	if l.Gap {
		fmt.Fprintf(&b, "%s\norigin %s\nstream %s\nseq %d\n", GapV1, l.Origin, l.Stream, l.Seq)
		return b.Bytes()
	}
	fmt.Fprintf(&b, "%s\norigin %s\nstream %s\nseq %d\nsubject %s\nevent %s\nsha256 %s\n",
		LeafV1, l.Origin, l.Stream, l.Seq, l.Subject, l.EventID, hex.EncodeToString(l.Payload[:]))
	return b.Bytes()
}

// Hash is the leaf's RFC 6962 leaf hash: SHA-256(0x00 || Marshal()).
func (l Leaf) Hash() []byte { return rfc6962.DefaultHasher.HashLeaf(l.Marshal()) }

// ErrLeaf is wrapped by every leaf parse error.
var ErrLeaf = errors.New("malformed leaf")

// ParseLeaf decodes a leaf strictly: the exact lines in order, nothing more,
// so that Marshal(ParseLeaf(b)) == b for every b it accepts.
func ParseLeaf(b []byte) (Leaf, error) {
	var l Leaf
	s := string(b)
	if !strings.HasSuffix(s, "\n") {
		return l, fmt.Errorf("%w: must end with a newline", ErrLeaf)
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	want := []string{"origin", "stream", "seq", "subject", "event", "sha256"}
	switch {
	case len(lines) == 4 && lines[0] == GapV1:
		l.Gap, want = true, want[:3]
	case len(lines) == 7 && lines[0] == LeafV1:
	default:
		return l, fmt.Errorf("%w: unknown version or wrong number of lines", ErrLeaf)
	}
	vals := make([]string, len(want))
	for i, key := range want {
		v, ok := strings.CutPrefix(lines[i+1], key+" ")
		if !ok || v == "" || strings.ContainsAny(v, " \t\r") {
			return l, fmt.Errorf("%w: line %d must be %q and a value without spaces", ErrLeaf, i+2, key)
		}
		vals[i] = v
	}
	l.Origin, l.Stream = vals[0], vals[1]
	seq, err := strconv.ParseUint(vals[2], 10, 64)
	if err != nil || strconv.FormatUint(seq, 10) != vals[2] || seq == 0 {
		return l, fmt.Errorf("%w: seq %q", ErrLeaf, vals[2])
	}
	l.Seq = seq
	if l.Gap {
		return l, nil
	}
	l.Subject, l.EventID = vals[3], vals[4]
	h, err := hex.DecodeString(vals[5])
	if err != nil || len(h) != sha256.Size || hex.EncodeToString(h) != vals[5] {
		return l, fmt.Errorf("%w: sha256 must be 64 lower-case hex digits", ErrLeaf)
	}
	copy(l.Payload[:], h)
	return l, nil
}
