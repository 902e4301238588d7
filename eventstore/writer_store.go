package eventstore

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/gongkai/gongkai/domain"
)

// ErrNoWriterKey is wrapped in the *RefusedError of an append by a store
// without a writer key.
var ErrNoWriterKey = errors.New("this instance has no writer key")

// WriterNotRegisteredError is wrapped in the *RefusedError of an append
// whose writer key is not (or no longer) registered in the log.
type WriterNotRegisteredError struct{ KeyID string }

func (e *WriterNotRegisteredError) Error() string {
	return fmt.Sprintf("writer key %s is not registered in the log (or was revoked): an administrator registers it through an instance "+
		"whose key is (POST /api/v1/writers, docs/deploy.md \"Writer keys\")", e.KeyID)
}

// Writable returns a *RefusedError when appends are refused now (the
// guard's verdict on the storage), so that a command is refused for that
// reason before it is decided on a state that may be wrong.
func (s *Store) Writable() error {
	if s.gate != nil {
		if err := s.gate(); err != nil {
			return &RefusedError{Reason: err}
		}
	}
	return nil
}

// CheckWriter returns why this instance cannot sign a fact now: it has no
// writer key, or the log has writer keys and this one is not (or no
// longer) registered among them. A log without any writer key yet (written
// before writer signatures) is fine: the first append registers the key.
func (s *Store) CheckWriter() error {
	if s.writer.IsZero() {
		return ErrNoWriterKey
	}
	if s.idx.through() < s.openedAt {
		return nil // not known yet: the index is still reading the stream (IndexByFollow)
	}
	var genesis uint64
	var active bool
	s.idx.with(func(v *Validator) { genesis, active = v.Genesis(), v.Active(s.writer.ID) })
	if genesis != 0 && !active {
		return &WriterNotRegisteredError{KeyID: s.writer.ID}
	}
	return nil
}

// WriterID returns the id of the store's writer key ("" without one).
func (s *Store) WriterID() string { return s.writer.ID }

// WriterActive reports whether the store's writer key is registered and not
// revoked, as far as the index has read the stream.
func (s *Store) WriterActive() bool {
	active := false
	s.idx.with(func(v *Validator) { active = v.Active(s.writer.ID) })
	return !s.writer.IsZero() && active
}

// Indexed returns the last sequence the index has read (and judged: fact
// or not) without a gap.
func (s *Store) Indexed() uint64 { return s.idx.through() }

// IndexedRequests returns how many requests the idempotency index holds.
func (s *Store) IndexedRequests() int { return s.idx.len() }

// Rejected returns the stored messages found not to be facts so far, in
// stream order.
func (s *Store) Rejected() []Rejection {
	var out []Rejection
	s.idx.with(func(v *Validator) { out = v.Rejected() })
	return out
}

// ensureWriter makes sure this store may sign appends: it registers its key
// as the log's first (the genesis) when the log has none yet, and refuses
// when the log has writer keys and this one is not among the active ones.
func (s *Store) ensureWriter(ctx context.Context) error {
	if s.writer.IsZero() {
		return &RefusedError{Reason: ErrNoWriterKey}
	}
	if s.WriterActive() {
		return nil
	}
	if err := s.syncIndexFor(ctx); err != nil {
		return err
	}
	if s.WriterActive() {
		return nil
	}
	var genesis uint64
	s.idx.with(func(v *Validator) { genesis = v.Genesis() })
	if genesis != 0 {
		return &RefusedError{Reason: &WriterNotRegisteredError{KeyID: s.writer.ID}}
	}
	if err := s.ensureGenesis(ctx); err != nil {
		return err
	}
	if !s.WriterActive() {
		return &RefusedError{Reason: &WriterNotRegisteredError{KeyID: s.writer.ID}}
	}
	return nil
}

// ensureGenesis registers the store's writer key as the log's first, signed
// by itself, unless some writer key is registered already. The append
// expects no message on any writer key subject, so of two instances racing
// only one genesis is stored.
func (s *Store) ensureGenesis(ctx context.Context) error {
	s.genesisMu.Lock()
	defer s.genesisMu.Unlock()
	var genesis uint64
	s.idx.with(func(v *Validator) { genesis = v.Genesis() })
	if genesis != 0 {
		return nil
	}
	legacy, err := s.LastSeq(ctx)
	if err != nil {
		return err
	}
	req := s.keyOpRequest("register", s.writer.ID, s.writer.Public(), "genesis: the log's first writer key", "system")
	req.Appends[0].expectSubject = genesisHeader
	_, err = s.append(ctx, req)
	if errors.Is(err, ErrConflict) {
		return s.syncIndexFor(ctx) // another instance registered first
	}
	if err != nil {
		return fmt.Errorf("register the first writer key: %w", err)
	}
	s.log.Info("registered this instance's writer key as the log's first", "writer_key", s.writer.ID, "legacy_messages", legacy)
	return nil
}

// keyOpRequest builds the request of a writer key event.
func (s *Store) keyOpRequest(op, id, pub, label, actor string) Request {
	typ, keyOp := EvWriterRegistered, "register "+id+" "+pub
	if op == "revoke" {
		typ, keyOp = EvWriterRevoked, "revoke "+id
	}
	data, _ := json.Marshal(WriterKeyData{KeyID: id, PublicKey: pub, Label: label})
	now := time.Now().UTC()
	ikey := op + "-writer-key-" + id + "-" + uuid.NewString()
	return Request{
		Community: WriterCommunity, IdempotencyKey: ikey, Fingerprint: ikey,
		Appends: []Append{{AggregateType: AggregateWriter, AggregateID: id, keyOp: keyOp,
			ExpectedVersion: 0, Events: []Event{{
				ID: uuid.Must(uuid.NewV7()).String(), Type: typ, Schema: 1, Community: WriterCommunity,
				AggregateType: AggregateWriter, AggregateID: id, EffectiveDate: now.In(shanghai).Format(time.DateOnly),
				RecordedAt: now, Actor: actor, Data: data}}}},
	}
}

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return l
}()

// RegisterWriter records another writer key (standard base64 Ed25519
// public key), signed by this store's key. The administrator does this
// before another instance with its own key starts writing.
func (s *Store) RegisterWriter(ctx context.Context, publicKey, label, actor string) (string, Result, error) {
	b, err := base64.StdEncoding.DecodeString(publicKey)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return "", Result{}, fmt.Errorf("%w: the public key must be 32 bytes of Ed25519 key in standard base64", ErrInvalid)
	}
	id := WriterKeyID(ed25519.PublicKey(b))
	req := s.keyOpRequest("register", id, publicKey, label, actor)
	req.Appends[0].ExpectedVersion = 0
	res, err := s.Append(ctx, req)
	return id, res, err
}

// RevokeWriter records that a writer key signs no more facts from now on.
// It returns a *domain.NotFoundError for a key that is not registered.
func (s *Store) RevokeWriter(ctx context.Context, id, actor string) (Result, error) {
	v, err := s.Version(ctx, writerSubjectPrefix+id)
	if err != nil {
		return Result{}, err
	}
	if v == 0 {
		return Result{}, &domain.NotFoundError{What: "writer key", ID: id}
	}
	req := s.keyOpRequest("revoke", id, "", "", actor)
	req.Appends[0].ExpectedVersion = v
	return s.Append(ctx, req)
}

// genesisHeader is the wildcard subject the genesis expects to be empty.
const genesisHeader = writerSubjectPrefix + "*"
