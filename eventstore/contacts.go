package eventstore

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gongkai/gongkai/domain"
)

// Contact details (联系方式) a resident left with a question are personal
// information that the resident may ask to have deleted (个人信息保护法
// §47), so they are never in the immutable log: the log holds only an
// opaque reference, and the details live in the key-value bucket
// ContactsBucket, one key per question, encrypted, and purged on request.

// ContactsBucket is the JetStream key-value bucket of contact details (its
// stream is "KV_" + ContactsBucket). It keeps one revision per key.
const ContactsBucket = "GONGKAI_CONTACTS"

// ReaderDeny are the subjects the embedded server's reader may not publish
// to although ReaderAllow would let it: every way of reading the contacts
// bucket. Its values are encrypted, but a copy taken before a deletion
// would outlive it. The same list is in docs/deploy.md for a cluster.
var ReaderDeny = []string{
	"$JS.API.STREAM.INFO.KV_" + ContactsBucket,
	"$JS.API.STREAM.MSG.GET.KV_" + ContactsBucket,
	"$JS.API.DIRECT.GET.KV_" + ContactsBucket,
	"$JS.API.DIRECT.GET.KV_" + ContactsBucket + ".>",
	"$JS.API.CONSUMER.CREATE.KV_" + ContactsBucket,
	"$JS.API.CONSUMER.CREATE.KV_" + ContactsBucket + ".>",
	"$JS.API.CONSUMER.MSG.NEXT.KV_" + ContactsBucket + ".*",
	"$JS.API.CONSUMER.INFO.KV_" + ContactsBucket + ".*",
}

// MaxContactBytes bounds one record's JSON before encryption.
const MaxContactBytes = 4 << 10

// Contact is one resident's contact details, as given with a question.
type Contact struct {
	Name  string `json:"name,omitempty"`
	Phone string `json:"phone,omitempty"`
	Note  string `json:"note,omitempty"`
	// ForgetHash is the hex SHA-256 of the one-time token with which the
	// resident may delete the record; the token itself is kept nowhere.
	ForgetHash string `json:"forget_hash,omitempty"`
}

// ErrContactTooLarge is returned by Put for a record over MaxContactBytes.
var ErrContactTooLarge = errors.New("contact details too large")

var refRE = regexp.MustCompile(`^[a-f0-9]{32}$`)

// Contacts is the store of contact details. It is safe for concurrent use.
//
// A stored value is, version 1:
//
//	0x01 || nonce (12 bytes) || AES-256-GCM(key, nonce, JSON(Contact), aad)
//
// where aad is "gongkai contact v1\x00" followed by the value's key
// (community "." ref), so that a value moved to another key does not open.
type Contacts struct {
	kv   jetstream.KeyValue
	aead cipher.AEAD
}

// OpenContacts opens the contacts bucket, creating it (file storage, one
// revision per key, replicas as given) when it does not exist. key is the
// 32-byte AES-256 key, derived by the caller from the instance's secret
// key: every instance of one log needs the same.
func OpenContacts(ctx context.Context, js jetstream.JetStream, key []byte, replicas int) (*Contacts, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("contacts: the key must be 32 bytes, not %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("contacts: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("contacts: %w", err)
	}
	kv, err := js.KeyValue(ctx, ContactsBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: ContactsBucket, History: 1,
			Storage: jetstream.FileStorage, Replicas: max(replicas, 1),
			Description: "gongkai: residents' contact details, encrypted, deleted on request"})
	}
	if err != nil {
		return nil, fmt.Errorf("contacts bucket %s: %w", ContactsBucket, err)
	}
	return &Contacts{kv: kv, aead: aead}, nil
}

// contactKey returns the bucket key of a record, or an error when the
// community or the reference is malformed.
func contactKey(community, ref string) (string, error) {
	if !domain.ValidCommunityID(community) {
		return "", fmt.Errorf("contacts: bad community id %q", community)
	}
	if !refRE.MatchString(ref) {
		return "", fmt.Errorf("contacts: bad reference %q", ref)
	}
	return community + "." + ref, nil
}

func contactAAD(key string) []byte { return []byte("gongkai contact v1\x00" + key) }

// Put stores c for community under a new random reference (32 lowercase
// hex digits) and returns it. It returns ErrContactTooLarge for a record
// over MaxContactBytes, or the bucket's error.
func (s *Contacts) Put(ctx context.Context, community string, c Contact) (string, error) {
	plain, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	if len(plain) > MaxContactBytes {
		return "", ErrContactTooLarge
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	ref := hex.EncodeToString(b)
	key, err := contactKey(community, ref)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	value := append([]byte{1}, nonce...)
	value = s.aead.Seal(value, nonce, plain, contactAAD(key))
	if _, err := s.kv.Create(ctx, key, value); err != nil {
		return "", fmt.Errorf("store contact details: %w", err)
	}
	return ref, nil
}

// Get returns the record of ref in community, and false when there is
// none (never stored, or deleted). It returns an error when the bucket
// cannot be read or the value does not open with this instance's key.
func (s *Contacts) Get(ctx context.Context, community, ref string) (Contact, bool, error) {
	key, err := contactKey(community, ref)
	if err != nil {
		return Contact{}, false, err
	}
	e, err := s.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Contact{}, false, nil
	}
	if err != nil {
		return Contact{}, false, fmt.Errorf("read contact details: %w", err)
	}
	v := e.Value()
	n := s.aead.NonceSize()
	if len(v) < 1+n || v[0] != 1 {
		return Contact{}, false, fmt.Errorf("contact details %s: unknown format", key)
	}
	plain, err := s.aead.Open(nil, v[1:1+n], v[1+n:], contactAAD(key))
	if err != nil {
		return Contact{}, false, fmt.Errorf("contact details %s do not open with this instance's secret key: %w", key, err)
	}
	var c Contact
	if err := json.Unmarshal(plain, &c); err != nil {
		return Contact{}, false, fmt.Errorf("contact details %s: %w", key, err)
	}
	return c, true, nil
}

// Delete removes the record of ref in community: it purges the key, so
// that no revision of it is kept (the bucket keeps an empty purge marker).
// Deleting a record that does not exist is not an error.
func (s *Contacts) Delete(ctx context.Context, community, ref string) error {
	key, err := contactKey(community, ref)
	if err != nil {
		return err
	}
	if err := s.kv.Purge(ctx, key); err != nil {
		return fmt.Errorf("delete contact details: %w", err)
	}
	return nil
}
