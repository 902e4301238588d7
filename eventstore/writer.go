package eventstore

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Header names of writer signatures (see SigningInput).
const (
	// HeaderWriter is the key id of the writer key that signed the message.
	HeaderWriter = "Gongkai-Writer"
	// HeaderWriterSig is the Ed25519 signature, in standard base64.
	HeaderWriterSig = "Gongkai-Writer-Sig"
	// HeaderPart is "k/n": the message is part k (from 0) of the n
	// messages its request stored together.
	HeaderPart = "Gongkai-Part"
	// HeaderPrev is the aggregate version the message was decided on: the
	// sequence its subject's last message must have had (the first
	// message of a subject in its request, as JetStream's expected last
	// subject sequence), or "^k" when the message follows part k of the
	// same request on the same subject. It binds a signed message to the
	// one place in the log where it was meant to go.
	HeaderPrev = "Gongkai-Prev"
	// HeaderKeyOp is set on writer key registrations and revocations:
	// "register <key id> <public key>" or "revoke <key id>".
	HeaderKeyOp = "Gongkai-Key-Op"
)

// Writer key events. They live under the reserved community WriterCommunity
// (not a valid community id, so no command can write there) on subjects
// ledger._gongkai.writer.<key id>.
const (
	WriterCommunity     = "_gongkai"
	AggregateWriter     = "writer"
	EvWriterRegistered  = "writer.key_registered"
	EvWriterRevoked     = "writer.key_revoked"
	writerSubjectPrefix = SubjectPrefix + "." + WriterCommunity + "." + AggregateWriter + "."
)

// WriterKeyData is the data of a writer key event.
type WriterKeyData struct {
	KeyID     string `json:"key_id"`
	PublicKey string `json:"public_key,omitempty"` // standard base64 of the Ed25519 key
	Label     string `json:"label,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

// WriterKey is a gongkai instance's writer key: every message it appends
// carries its signature, and a message without a valid signature of a
// registered key is not a fact (see Validator).
type WriterKey struct {
	priv ed25519.PrivateKey
	ID   string
}

// GenerateWriterKey makes a new writer key.
func GenerateWriterKey() (WriterKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return WriterKey{}, err
	}
	return newWriterKey(priv), nil
}

func newWriterKey(priv ed25519.PrivateKey) WriterKey {
	return WriterKey{priv: priv, ID: WriterKeyID(priv.Public().(ed25519.PublicKey))}
}

// WriterKeyID is the id of a public key: the first 16 hex digits of its
// SHA-256.
func WriterKeyID(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return hex.EncodeToString(h[:8])
}

// Public returns the key's public half in standard base64.
func (k WriterKey) Public() string {
	return base64.StdEncoding.EncodeToString(k.priv.Public().(ed25519.PublicKey))
}

// IsZero reports whether k holds no key.
func (k WriterKey) IsZero() bool { return k.priv == nil }

// writerKeyPrefix starts a writer key file: "gongkai-writer-key v1 <base64 seed>".
const writerKeyPrefix = "gongkai-writer-key v1 "

// Marshal returns the key file's content.
func (k WriterKey) Marshal() []byte {
	return []byte(writerKeyPrefix + base64.StdEncoding.EncodeToString(k.priv.Seed()) + "\n")
}

// ParseWriterKey parses a key file's content.
func ParseWriterKey(b []byte) (WriterKey, error) {
	s := strings.TrimSpace(string(b))
	if !strings.HasPrefix(s, writerKeyPrefix) {
		return WriterKey{}, errors.New("not a gongkai writer key (want a line \"gongkai-writer-key v1 <seed>\")")
	}
	seed, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, writerKeyPrefix))
	if err != nil || len(seed) != ed25519.SeedSize {
		return WriterKey{}, errors.New("writer key: bad seed")
	}
	return newWriterKey(ed25519.NewKeyFromSeed(seed)), nil
}

// LoadOrCreateWriterKey reads the writer key at path, creating it (0600)
// when the file does not exist and create is set.
func LoadOrCreateWriterKey(path string, create bool) (k WriterKey, created bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && create {
		if k, err = GenerateWriterKey(); err != nil {
			return k, false, err
		}
		if err := os.WriteFile(path, k.Marshal(), 0o600); err != nil {
			return k, false, fmt.Errorf("write writer key: %w", err)
		}
		return k, true, nil
	}
	if err != nil {
		return k, false, fmt.Errorf("writer key: %w", err)
	}
	k, err = ParseWriterKey(b)
	if err != nil {
		return k, false, fmt.Errorf("%s: %w", path, err)
	}
	return k, false, nil
}

// SignedMessage is what a writer signature covers.
type SignedMessage struct {
	Subject       string
	PayloadSHA256 string // hex
	Idempotency   string // HeaderIdempotency
	Request       string // HeaderRequest
	Command       string // HeaderCommand
	Part          string // HeaderPart
	Prev          string // HeaderPrev
	KeyOp         string // HeaderKeyOp, "" for most messages
}

func signedMessageOf(subject string, h interface{ Get(string) string }) SignedMessage {
	return SignedMessage{Subject: subject, PayloadSHA256: h.Get(HeaderPayloadSHA256), Idempotency: h.Get(HeaderIdempotency),
		Request: h.Get(HeaderRequest), Command: h.Get(HeaderCommand), Part: h.Get(HeaderPart), Prev: h.Get(HeaderPrev), KeyOp: h.Get(HeaderKeyOp)}
}

// SigningInput is the exact text a writer signs, version 1:
//
//	gongkai writer signature v1
//	subject <subject>
//	payload-sha256 <hex SHA-256 of the stored payload>
//	idempotency <Gongkai-Idempotency>
//	request <Gongkai-Request>
//	command <Gongkai-Command>
//	part <k>/<n>
//	prev <Gongkai-Prev>
//	key-op <Gongkai-Key-Op, or empty>
//
// each line ending in a newline. The stream sequence is not in it (it is
// not known before the message is stored); the part and the idempotency
// hash bind the message to its request, and prev to the version it was
// decided on, so that a copy stored elsewhere, or a message JetStream
// refused and someone stored later, is found (see Validator).
func (m SignedMessage) SigningInput() []byte {
	var b strings.Builder
	b.WriteString("gongkai writer signature v1\n")
	for _, kv := range [][2]string{{"subject", m.Subject}, {"payload-sha256", m.PayloadSHA256}, {"idempotency", m.Idempotency},
		{"request", m.Request}, {"command", m.Command}, {"part", m.Part}, {"prev", m.Prev}, {"key-op", m.KeyOp}} {
		b.WriteString(kv[0] + " " + kv[1] + "\n")
	}
	return []byte(b.String())
}

// Sign returns the signature header value of m.
func (k WriterKey) Sign(m SignedMessage) string {
	return k.signInput(m.SigningInput())
}

// signInput signs a SigningInput already built.
func (k WriterKey) signInput(input []byte) string {
	return base64.StdEncoding.EncodeToString(ed25519.Sign(k.priv, input))
}

// parsePart parses "k/n".
func parsePart(s string) (k, n uint64, ok bool) {
	a, b, found := strings.Cut(s, "/")
	if !found {
		return 0, 0, false
	}
	k, err1 := strconv.ParseUint(a, 10, 32)
	n, err2 := strconv.ParseUint(b, 10, 32)
	return k, n, err1 == nil && err2 == nil && k < n && n <= MaxEventsPerRequest+1
}

// parseKeyOp parses a HeaderKeyOp value.
func parseKeyOp(s string) (op, id string, pub ed25519.PublicKey, err error) {
	f := strings.Fields(s)
	switch {
	case len(f) == 3 && f[0] == "register":
		b, err := base64.StdEncoding.DecodeString(f[2])
		if err != nil || len(b) != ed25519.PublicKeySize {
			return "", "", nil, errors.New("bad public key")
		}
		pub = ed25519.PublicKey(b)
		if WriterKeyID(pub) != f[1] {
			return "", "", nil, errors.New("key id does not match the public key")
		}
		return "register", f[1], pub, nil
	case len(f) == 2 && f[0] == "revoke":
		return "revoke", f[1], nil, nil
	}
	return "", "", nil, fmt.Errorf("bad key operation %q", s)
}
