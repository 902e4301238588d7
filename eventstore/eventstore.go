// Package eventstore is gongkai's append-only event log on NATS JetStream.
//
// Every event is one message on the subject
//
//	ledger.<community>.<aggregate-type>.<aggregate-id>
//
// of one stream that is created immutable (deny delete, deny purge, no
// rollup, no limits, no TTL). An aggregate's version is the stream sequence
// of the last message on its subject; an append names the version it
// decided on and fails with a *ConflictError if another append came first.
// The events of one request commit together (atomic batch publish). Each
// request carries an idempotency key, stored in the headers and payload of
// its events; a retry with the same key returns the original result at any
// later time.
package eventstore

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"
)

// Header names written on every message.
const (
	HeaderIdempotency = "Gongkai-Idempotency" // hex SHA-256 of community, key
	HeaderRequest     = "Gongkai-Request"     // fingerprint of the request
	HeaderCommand     = "Gongkai-Command"     // index of the append in its request
	HeaderType        = "Gongkai-Type"        // event type
	HeaderEventID     = "Gongkai-Event-Id"
	// HeaderPayloadSHA256 is the hex SHA-256 of the payload as appended, so
	// that a payload changed in storage is found at its own sequence.
	HeaderPayloadSHA256 = "Gongkai-Payload-Sha256"
)

// SubjectPrefix is the first token of every event subject.
const SubjectPrefix = "ledger"

// MaxEventsPerRequest is JetStream's limit on one atomic batch.
const MaxEventsPerRequest = 1000

// Event is one event as stored: the envelope around the domain data. The
// JSON encoding of Event is the stored payload; it is never rewritten.
type Event struct {
	ID             string          `json:"id"`
	Type           string          `json:"type"`
	Schema         int             `json:"schema"`
	Community      string          `json:"community"`
	AggregateType  string          `json:"aggregate_type"`
	AggregateID    string          `json:"aggregate_id"`
	EffectiveDate  string          `json:"effective_date"`
	RecordedAt     time.Time       `json:"recorded_at"`
	IdempotencyKey string          `json:"idempotency_key"`
	Actor          string          `json:"actor,omitempty"`
	Data           json.RawMessage `json:"data"`
}

// Subject returns the event's subject.
func (e *Event) Subject() string { return Subject(e.Community, e.AggregateType, e.AggregateID) }

// Subject returns the subject of an aggregate.
func Subject(community, aggregateType, aggregateID string) string {
	return SubjectPrefix + "." + community + "." + aggregateType + "." + aggregateID
}

// Stored is an event read back from the stream.
type Stored struct {
	Event
	Seq     uint64
	Subject string
	// Time is when the stream stored the message.
	Time time.Time
	// Raw is the exact stored payload.
	Raw []byte
	// Pending is how many messages followed this one in the stream when it
	// was delivered (set by Follow).
	Pending uint64
	// Rejected, when not empty, says why the message is not a fact: it
	// has no valid writer signature, or it is a copy (see Validator).
	// Readers pass over it; the Merkle tree still commits to it.
	Rejected string
}

// Append is the events of one command on one aggregate.
type Append struct {
	AggregateType string
	AggregateID   string
	// ExpectedVersion is the aggregate's version the command was decided on
	// (0 for a new aggregate). It is checked for the first append of each
	// aggregate in a request; later appends of the same aggregate in the same
	// request follow on from it.
	ExpectedVersion uint64
	Events          []Event
	// keyOp is the HeaderKeyOp of a writer key event.
	keyOp string
	// expectSubject, when set, is the wildcard subject ExpectedVersion is
	// checked against instead of the aggregate's own.
	expectSubject string
}

// Request is everything that must commit together.
type Request struct {
	Community      string
	IdempotencyKey string
	// Fingerprint identifies the request's content; a retry with the same key
	// and another fingerprint fails with ErrIdempotencyMismatch.
	Fingerprint string
	Appends     []Append
}

// EventRef names one appended event.
type EventRef struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Seq  uint64 `json:"stream_seq"`
}

// AppendResult is the outcome of one Append.
type AppendResult struct {
	AggregateType string     `json:"aggregate_type"`
	AggregateID   string     `json:"aggregate_id"`
	Events        []EventRef `json:"events"`
	// Version is the aggregate's version after this append.
	Version uint64 `json:"aggregate_version"`
}

// Result is the outcome of a Request.
type Result struct {
	Appends []AppendResult `json:"results"`
	// Replayed is true when the result is the stored one of an earlier
	// request with the same idempotency key.
	Replayed bool `json:"idempotent_replay"`
}

// Config configures a Store.
type Config struct {
	// Stream is the stream's name; default "GONGKAI".
	Stream string
	// Replicas is the stream's replica count when Open creates it; default 1.
	Replicas int
	// DuplicateWindow is JetStream's duplicate window; default 2 minutes.
	DuplicateWindow time.Duration
	// StartRetry is how long Open keeps trying while the stream does not
	// answer (a cluster electing its leader); default 30 seconds.
	StartRetry time.Duration
	// Logger receives the store's logs; default discards them.
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Gate, when set, is asked before every append; while it returns an
	// error the append is refused with a *RefusedError wrapping it (the
	// guard's verdict on the stream and its storage).
	Gate func() error
	// OnWriteError, when set, is told of every append that failed for a
	// reason other than a conflict or a bad request (so that the guard can
	// look at the storage at once).
	OnWriteError func(error)
	// Writer signs every appended message. Without one the store can read
	// but refuses every append.
	Writer WriterKey
	// NoCreate makes Open fail with ErrStreamMissing instead of creating a
	// missing stream (the instance's records say a longer ledger existed).
	NoCreate bool
	// VerifiedFile, when set, is a file of this instance's where the store
	// keeps a snapshot of its index (SaveVerified), so that a restart
	// restores the index and reads, and verifies the writer signatures
	// of, only the messages stored after it.
	VerifiedFile string
	// ListTypes are aggregate types (the third token of a subject, see
	// Subject) whose messages the index lists, all communities together,
	// so that ReadTypes reads them without a scan of the stream.
	ListTypes []string
	// IndexByFollow makes Open skip its read of every message's headers
	// (the idempotency index and the validator's verdicts): the caller
	// follows the stream from sequence 1 at once (Follow), which builds
	// the same index as it goes, and waits for that before appending (the
	// command service is not ready before). A lookup or append that comes
	// earlier reads what is missing itself.
	IndexByFollow bool
	// MaxInFlight is how many publishes may be outstanding before
	// concurrent appends wait to be committed together as one atomic batch
	// (group commit); default 1.
	MaxInFlight int
}

// ErrStreamMissing is returned by Open when the stream does not exist and
// Config.NoCreate is set.
var ErrStreamMissing = errors.New("the ledger stream does not exist")

// Store is the event log. It is safe for concurrent use.
type Store struct {
	js     jetstream.JetStream
	stream jetstream.Stream
	name   string
	log    *slog.Logger
	idx    *index
	keys   keyedMutex
	gate   func() error
	onErr  func(error)
	writer WriterKey
	// genesisMu serialises the registration of the first writer key.
	genesisMu sync.Mutex
	// verifiedFile keeps the index's snapshot (SaveVerified): the last
	// one through savedThrough, written at savedAt.
	verifiedFile string
	saveMu       sync.Mutex
	savedThrough uint64
	savedAt      time.Time
	now          func() time.Time
	// created is when the stream Open found was created; a stream found
	// later with another creation time was deleted and made anew.
	created time.Time
	// commits coalesces concurrent appends into atomic batches.
	commits committer
	// openedAt is the stream's last sequence when Open found it.
	openedAt uint64
}

// Open connects the store to its stream on js, creating the stream if it
// does not exist, and refuses (*StreamConfigError) a stream whose
// configuration is weaker than an immutable log needs. It restores the
// index from the snapshot in Config.VerifiedFile when that is one of this
// stream (and logs why not otherwise), then reads the headers of every
// later message once to index idempotency keys (unless
// Config.IndexByFollow leaves that to the caller's Follow); afterwards
// every message that Follow delivers, and every append, keeps the index
// current.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config) (*Store, error) {
	if cfg.Stream == "" {
		cfg.Stream = "GONGKAI"
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = 1
	}
	if cfg.DuplicateWindow == 0 {
		cfg.DuplicateWindow = 2 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.StartRetry == 0 {
		cfg.StartRetry = 30 * time.Second
	}
	retry := func(what string, f func() error) error {
		return RetryTransient(ctx, cfg.Logger, what, cfg.StartRetry, f)
	}
	var st jetstream.Stream
	err := retry("open stream", func() error {
		var err error
		st, err = js.Stream(ctx, cfg.Stream)
		if errors.Is(err, jetstream.ErrStreamNotFound) {
			if cfg.NoCreate {
				return ErrStreamMissing
			}
			st, err = CreateStream(ctx, js, StreamConfig(cfg.Stream, cfg.Replicas, cfg.DuplicateWindow), cfg.Logger)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open stream %s: %w", cfg.Stream, err)
	}
	if err := CheckStreamConfig(st.CachedInfo().Config); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Store{js: js, stream: st, name: cfg.Stream, log: cfg.Logger, idx: newIndex(cfg.ListTypes), gate: cfg.Gate, onErr: cfg.OnWriteError,
		created: st.CachedInfo().Created, writer: cfg.Writer, now: cfg.Now}
	s.commits = committer{s: s, maxInFlight: cmp.Or(cfg.MaxInFlight, defaultMaxInFlight)}
	start := time.Now()
	s.openedAt = st.CachedInfo().State.LastSeq
	var restored uint64 // through the snapshot
	if s.verifiedFile = cfg.VerifiedFile; s.verifiedFile != "" {
		sn, err := s.restoreSnapshot(ctx, s.openedAt)
		switch {
		case err == nil:
			restored = sn.thru
			s.savedThrough, s.savedAt = sn.thru, s.now()
			s.log.Info("index restored from snapshot", "through_seq", sn.thru, "keys", s.idx.len(), "took", time.Since(start))
		case errors.Is(err, os.ErrNotExist):
			s.log.Info("no index snapshot: the index is built from the stream's start", "file", s.verifiedFile)
		default:
			s.log.Warn("index snapshot not used: the index is built from the stream's start", "file", s.verifiedFile, "reason", err)
		}
	}
	if cfg.IndexByFollow {
		// The caller's Follow from the start builds the index, or what a
		// snapshot left of it (one read of the stream at start, not two);
		// what it finds is logged once it has read what the stream held
		// at Open.
		s.idx.onThrough(s.openedAt, func() {
			s.log.Info("idempotency index built by following the stream", "keys", s.idx.len(), "through_seq", s.openedAt,
				"restored_through_seq", restored, "took", time.Since(start))
			s.logRejected()
		})
	} else {
		// syncIndex resumes after the last message it indexed.
		if err := retry("index idempotency keys", func() error { return s.syncIndex(ctx) }); err != nil {
			return nil, fmt.Errorf("index idempotency keys: %w", err)
		}
		s.log.Info("idempotency index loaded", "keys", s.idx.len(), "through_seq", s.idx.through(), "took", time.Since(start))
		s.logRejected()
	}
	if st.CachedInfo().State.Msgs == 0 && !s.writer.IsZero() && !cfg.NoCreate {
		// A new ledger starts with its writer key: nothing before it can
		// pass as legacy history.
		if err := s.ensureGenesis(ctx); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *Store) logRejected() {
	for _, r := range s.Rejected() {
		s.log.Error("ALARM: a stored message is not a fact", "stream_seq", r.Seq, "subject", r.Subject, "reason", r.Reason)
	}
}

// transient reports whether err is one a cluster electing a leader, or a
// connection moving to another server, gives for a while: a request timed
// out or found no responder, a consumer missed its heartbeats.
func transient(err error) bool {
	for _, t := range []error{context.DeadlineExceeded, nats.ErrTimeout, nats.ErrNoResponders,
		nats.ErrConnectionReconnecting, jetstream.ErrNoHeartbeat, jetstream.ErrNoStreamResponse} {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

// RetryTransient runs f until it succeeds, fails with an error that is not
// transient (a timeout, no responder, a missed heartbeat: what a cluster
// electing a leader answers for a while), ctx ends or the retry time is
// spent, pausing half a second between tries. Start-up uses it so that a
// process started during an election waits instead of exiting.
func RetryTransient(ctx context.Context, log *slog.Logger, what string, within time.Duration, f func() error) error {
	deadline := time.Now().Add(within)
	for {
		err := f()
		if err == nil || ctx.Err() != nil || !transient(err) || time.Now().After(deadline) {
			return err
		}
		log.Warn(what+": the stream is not answering yet; trying again", "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// codeNoPeers is JetStream's "no suitable peers for placement": a cluster
// that has elected its meta leader but not yet heard from enough servers.
const codeNoPeers = 10005

// CreateStream creates a stream, waiting up to 30 s for a cluster that is
// still forming to have enough servers for the replicas.
func CreateStream(ctx context.Context, js jetstream.JetStream, c jetstream.StreamConfig, log *slog.Logger) (jetstream.Stream, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := js.CreateStream(ctx, c)
		var apiErr *jetstream.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode != codeNoPeers || time.Now().After(deadline) {
			if err == nil {
				log.Info("created stream", "stream", c.Name, "replicas", c.Replicas)
			}
			return st, err
		}
		log.Info("cluster not ready for the stream's replicas; waiting", "stream", c.Name, "replicas", c.Replicas)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// StreamConfig is the configuration Open creates a stream with: immutable,
// unlimited, with atomic batch publish.
func StreamConfig(name string, replicas int, dupWindow time.Duration) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:               name,
		Description:        "gongkai audit ledger: immutable, never delete or purge",
		Subjects:           []string{SubjectPrefix + ".>"},
		Retention:          jetstream.LimitsPolicy,
		MaxMsgs:            -1,
		MaxBytes:           -1,
		MaxAge:             0,
		MaxMsgsPerSubject:  -1,
		Storage:            jetstream.FileStorage,
		Replicas:           replicas,
		Duplicates:         dupWindow,
		DenyDelete:         true,
		DenyPurge:          true,
		AllowRollup:        false,
		AllowDirect:        true,
		AllowAtomicPublish: true,
	}
}

// CheckStreamConfig returns a *StreamConfigError naming the first setting of
// c that is weaker than an immutable audit log needs.
func CheckStreamConfig(c jetstream.StreamConfig) error {
	bad := func(setting, got, want string) error {
		return &StreamConfigError{Stream: c.Name, Setting: setting, Got: got, Want: want}
	}
	switch {
	case !c.DenyDelete:
		return bad("deny_delete", "false", "true")
	case !c.DenyPurge:
		return bad("deny_purge", "false", "true")
	case c.AllowRollup:
		return bad("allow_rollup_hdrs", "true", "false")
	case c.AllowMsgTTL:
		return bad("allow_msg_ttl", "true", "false")
	case c.SubjectDeleteMarkerTTL != 0:
		return bad("subject_delete_marker_ttl", c.SubjectDeleteMarkerTTL.String(), "0")
	case c.MaxAge != 0:
		return bad("max_age", c.MaxAge.String(), "0 (unlimited)")
	case c.MaxMsgs > 0:
		return bad("max_msgs", strconv.FormatInt(c.MaxMsgs, 10), "-1 (unlimited)")
	case c.MaxBytes > 0:
		return bad("max_bytes", strconv.FormatInt(c.MaxBytes, 10), "-1 (unlimited)")
	case c.MaxMsgsPerSubject > 0:
		return bad("max_msgs_per_subject", strconv.FormatInt(c.MaxMsgsPerSubject, 10), "-1 (unlimited)")
	case c.Retention != jetstream.LimitsPolicy:
		return bad("retention", c.Retention.String(), "limits")
	case c.Storage != jetstream.FileStorage:
		return bad("storage", c.Storage.String(), "file")
	case c.PersistMode == jetstream.AsyncPersistMode:
		return bad("persist_mode", "async", "default")
	case !c.AllowAtomicPublish:
		return bad("allow_atomic", "false", "true")
	case c.Sealed:
		return bad("sealed", "true", "false")
	}
	return nil
}

// IdempotencyHash is the value of HeaderIdempotency for a key in a community.
func IdempotencyHash(community, key string) string {
	h := sha256.Sum256([]byte(community + "\n" + key))
	return hex.EncodeToString(h[:])
}

// Append commits all events of req together, or none. It returns the stored
// result of an earlier request with the same idempotency key (Replayed set),
// a *ConflictError when an expected version is stale, ErrIdempotencyMismatch
// when the key was used for a different request, or an error wrapping
// ErrInvalid for a malformed request.
func (s *Store) Append(ctx context.Context, req Request) (Result, error) {
	if err := validate(req); err != nil {
		return Result{}, err
	}
	if err := s.Writable(); err != nil {
		return Result{}, err
	}
	if err := s.ensureWriter(ctx); err != nil {
		return Result{}, err
	}
	return s.append(ctx, req)
}

func (s *Store) append(ctx context.Context, req Request) (Result, error) {
	ih := IdempotencyHash(req.Community, req.IdempotencyKey)
	unlock := s.keys.lock(ih)
	defer unlock()

	var maxExpected uint64
	for _, a := range req.Appends {
		maxExpected = max(maxExpected, a.ExpectedVersion)
	}
	// Every event up to the versions decided on must be indexed, so that a
	// retry of a request that already moved these aggregates is found.
	if err := s.ensureIndexed(ctx, maxExpected); err != nil {
		return Result{}, err
	}
	if res, ok, err := s.replay(ctx, ih, req.Fingerprint); ok || err != nil {
		return res, err
	}

	msgs, inputs, err := s.messages(req, ih)
	if err != nil {
		return Result{}, err
	}
	s.idx.addOwn(msgs, inputs)
	defer s.idx.dropOwn(msgs)
	alone := false
	for _, a := range req.Appends {
		alone = alone || a.keyOp != "" || a.expectSubject != ""
	}
	first, err := s.commits.commit(ctx, msgs, alone)
	last := first + uint64(len(msgs)) - 1
	if err != nil {
		// A conflict or a duplicate may be our own earlier attempt, committed
		// by another instance or before a lost acknowledgement.
		if errors.Is(err, ErrConflict) || errors.Is(err, errDuplicate) {
			if serr := s.syncIndexFor(ctx); serr != nil {
				return Result{}, serr
			}
			if res, ok, rerr := s.replay(ctx, ih, req.Fingerprint); ok || rerr != nil {
				return res, rerr
			}
		}
		if errors.Is(err, errDuplicate) {
			return Result{}, fmt.Errorf("append: duplicate message not found in the index")
		}
		if s.onErr != nil && !errors.Is(err, ErrConflict) {
			s.onErr(err)
		}
		return Result{}, err
	}
	for i, m := range msgs {
		s.idx.observe(first+uint64(i), m.Subject, m.Header, m.Data, true)
	}
	// Stored is not yet recorded: if the log revoked this instance's key
	// meanwhile, the message is not a fact and the client must not be
	// told otherwise.
	why, ok := s.idx.waitVerdict(ctx, last, time.Second)
	if !ok {
		vctx, cancel := context.WithTimeout(ctx, syncTimeout)
		why, err = s.verdict(vctx, last)
		cancel()
		if err != nil {
			return Result{}, err
		}
	}
	for seq := first; seq < last && why == ""; seq++ {
		why, _ = s.idx.verdict(seq)
	}
	if why != "" {
		return Result{}, &RefusedError{Reason: fmt.Errorf("stored at sequences %d to %d but not a fact: %s", first, last, why)}
	}
	return resultOf(req, first), nil
}

func validate(req Request) error {
	n := 0
	for _, a := range req.Appends {
		if len(a.Events) == 0 {
			return fmt.Errorf("%w: append to %s/%s has no events", ErrInvalid, a.AggregateType, a.AggregateID)
		}
		for _, e := range a.Events {
			if e.Community != req.Community || e.AggregateType != a.AggregateType || e.AggregateID != a.AggregateID {
				return fmt.Errorf("%w: event %s does not belong to %s/%s", ErrInvalid, e.ID, a.AggregateType, a.AggregateID)
			}
			for _, tok := range []string{e.Community, e.AggregateType, e.AggregateID} {
				if tok == "" || strings.ContainsAny(tok, ".*> \t\r\n") {
					return fmt.Errorf("%w: %q is not a subject token", ErrInvalid, tok)
				}
			}
		}
		n += len(a.Events)
	}
	switch {
	case n == 0:
		return fmt.Errorf("%w: no events", ErrInvalid)
	case n > MaxEventsPerRequest:
		return fmt.Errorf("%w: %d events, at most %d per request", ErrTooManyEvents, n, MaxEventsPerRequest)
	case req.IdempotencyKey == "":
		return fmt.Errorf("%w: idempotency key required", ErrInvalid)
	}
	return nil
}

func (s *Store) messages(req Request, ih string) (msgs []*nats.Msg, inputs [][]byte, err error) {
	checked := map[string]bool{}
	lastPart := map[string]int{} // subject -> part of its latest message in this request
	n := 0
	for _, a := range req.Appends {
		n += len(a.Events)
	}
	for i, a := range req.Appends {
		for j, e := range a.Events {
			e.IdempotencyKey = req.IdempotencyKey
			data, err := json.Marshal(e)
			if err != nil {
				return nil, nil, fmt.Errorf("encode event %s: %w", e.ID, err)
			}
			m := nats.NewMsg(e.Subject())
			m.Data = data
			m.Header.Set(HeaderIdempotency, ih)
			m.Header.Set(HeaderRequest, req.Fingerprint)
			m.Header.Set(HeaderCommand, strconv.Itoa(i))
			m.Header.Set(HeaderType, e.Type)
			m.Header.Set(HeaderEventID, e.ID)
			sum := sha256.Sum256(data)
			m.Header.Set(HeaderPayloadSHA256, hex.EncodeToString(sum[:]))
			if j == 0 && !checked[m.Subject] {
				checked[m.Subject] = true
				m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(a.ExpectedVersion, 10))
				if a.expectSubject != "" {
					m.Header.Set(jetstream.ExpectedLastSubjSeqSubjHeader, a.expectSubject)
				}
			}
			if k, ok := lastPart[m.Subject]; ok {
				m.Header.Set(HeaderPrev, "^"+strconv.Itoa(k))
			} else {
				m.Header.Set(HeaderPrev, strconv.FormatUint(a.ExpectedVersion, 10))
			}
			lastPart[m.Subject] = len(msgs)
			m.Header.Set(HeaderPart, fmt.Sprintf("%d/%d", len(msgs), n))
			if a.keyOp != "" {
				m.Header.Set(HeaderKeyOp, a.keyOp)
			}
			m.Header.Set(HeaderWriter, s.writer.ID)
			input := signedMessageOf(m.Subject, m.Header).SigningInput()
			m.Header.Set(HeaderWriterSig, s.writer.signInput(input))
			msgs = append(msgs, m)
			inputs = append(inputs, input)
		}
	}
	return msgs, inputs, nil
}

var errDuplicate = errors.New("duplicate publish")

// publish stores msgs: one message with a plain publish (deduplicated by
// JetStream within its window), several as one atomic batch.
func (s *Store) publish(ctx context.Context, msgs []*nats.Msg) (first, last uint64, err error) {
	if len(msgs) == 1 {
		m := msgs[0]
		m.Header.Set(jetstream.MsgIDHeader, m.Header.Get(HeaderIdempotency))
		ack, err := s.js.PublishMsg(ctx, m)
		if err != nil {
			return 0, 0, s.translate(ctx, err, msgs)
		}
		if ack.Duplicate {
			return 0, 0, errDuplicate
		}
		return ack.Sequence, ack.Sequence, nil
	}
	ack, err := jetstreamext.PublishMsgBatch(ctx, s.js, msgs)
	if err != nil {
		return 0, 0, s.translate(ctx, err, msgs)
	}
	if ack.BatchSize != uint64(len(msgs)) {
		return 0, 0, fmt.Errorf("append: batch ack for %d messages, sent %d", ack.BatchSize, len(msgs))
	}
	return ack.Sequence - ack.BatchSize + 1, ack.Sequence, nil
}

// translate turns JetStream's wrong-last-sequence error into a
// *ConflictError naming the first stale aggregate and its current version.
func (s *Store) translate(ctx context.Context, err error, msgs []*nats.Msg) error {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return fmt.Errorf("append: %w", err)
	}
	switch apiErr.ErrorCode {
	case jetstream.JSErrCodeStreamWrongLastSequence:
		for _, m := range msgs {
			want := m.Header.Get(jetstream.ExpectedLastSubjSeqHeader)
			if want == "" {
				continue
			}
			exp, _ := strconv.ParseUint(want, 10, 64)
			cur, verr := s.Version(ctx, m.Subject)
			if verr != nil {
				return verr
			}
			if cur != exp {
				return &ConflictError{Subject: m.Subject, Expected: exp, Current: cur}
			}
		}
		return &ConflictError{Subject: msgs[0].Subject}
	case jetstreamext.JSErrCodeBatchPublishDuplicateMsgID:
		return errDuplicate
	}
	return fmt.Errorf("append: %w", err)
}

// resultOf builds the result of a committed request whose first event has
// stream sequence first (the events of a request are stored contiguously).
func resultOf(req Request, first uint64) Result {
	res := Result{Appends: make([]AppendResult, len(req.Appends))}
	seq := first
	for i, a := range req.Appends {
		ar := AppendResult{AggregateType: a.AggregateType, AggregateID: a.AggregateID}
		for _, e := range a.Events {
			ar.Events = append(ar.Events, EventRef{ID: e.ID, Type: e.Type, Seq: seq})
			ar.Version = seq
			seq++
		}
		res.Appends[i] = ar
	}
	return res
}

// Lookup returns the stored result of an earlier request with this
// idempotency key in community, if there is one, once every message up to
// sequence upTo is indexed (pass the versions the request was decided on).
// It returns ErrIdempotencyMismatch when the key was used for a request
// with another fingerprint.
func (s *Store) Lookup(ctx context.Context, community, key, fingerprint string, upTo uint64) (Result, bool, error) {
	if err := s.ensureIndexed(ctx, upTo); err != nil {
		return Result{}, false, err
	}
	return s.replay(ctx, IdempotencyHash(community, key), fingerprint)
}

// replay returns the stored result for an idempotency hash, if indexed.
func (s *Store) replay(ctx context.Context, ih, fingerprint string) (Result, bool, error) {
	e, ok := s.idx.get(ih)
	if !ok {
		return Result{}, false, nil
	}
	if e.fp != fpOf(fingerprint) {
		return Result{}, false, ErrIdempotencyMismatch
	}
	res := Result{Replayed: true}
	for seq := e.first; seq <= e.last(); seq++ {
		ev, err := s.get(ctx, seq)
		if err != nil {
			return Result{}, false, fmt.Errorf("replay idempotent result: %w", err)
		}
		if ev.header.Get(HeaderIdempotency) != ih {
			// The index keys on half the hash; the stored message has all
			// of it. Another request's (or, in a legacy log, one stored
			// between two parts of this one).
			continue
		}
		cmd, _ := strconv.Atoi(ev.header.Get(HeaderCommand))
		for len(res.Appends) <= cmd {
			res.Appends = append(res.Appends, AppendResult{})
		}
		ar := &res.Appends[cmd]
		ar.AggregateType, ar.AggregateID = ev.AggregateType, ev.AggregateID
		ar.Events = append(ar.Events, EventRef{ID: ev.ID, Type: ev.Type, Seq: seq})
		ar.Version = seq
	}
	if len(res.Appends) == 0 {
		return Result{}, false, nil // another request's key with the same first half
	}
	return res, true, nil
}

type storedWithHeader struct {
	Stored
	header nats.Header
}

// get reads the event at a stream sequence (jetstream.ErrMsgNotFound if none).
func (s *Store) get(ctx context.Context, seq uint64) (storedWithHeader, error) {
	m, err := s.stream.GetMsg(ctx, seq)
	if err != nil {
		return storedWithHeader{}, fmt.Errorf("get %d: %w", seq, err)
	}
	st, err := decode(m.Data, m.Sequence, m.Subject, m.Time)
	return storedWithHeader{st, m.Header}, err
}

func decode(data []byte, seq uint64, subject string, t time.Time) (Stored, error) {
	var e Event
	if err := json.Unmarshal(data, &e); err != nil {
		return Stored{}, fmt.Errorf("decode event at %d: %w", seq, err)
	}
	return Stored{Event: e, Seq: seq, Subject: subject, Time: t, Raw: data}, nil
}

// Message returns the stored message at seq, with its exact payload bytes
// (jetstream.ErrMsgNotFound, wrapped, if there is none).
func (s *Store) Message(ctx context.Context, seq uint64) (Stored, error) {
	st, err := s.get(ctx, seq)
	return st.Stored, err
}

// StoredAt returns when the stream stored the message at seq.
func (s *Store) StoredAt(ctx context.Context, seq uint64) (time.Time, error) {
	m, err := s.stream.GetMsg(ctx, seq)
	if err != nil {
		return time.Time{}, fmt.Errorf("get %d: %w", seq, err)
	}
	return m.Time, nil
}

// Version returns an aggregate's version: the stream sequence of the last
// message on its subject, or 0 if it has none.
func (s *Store) Version(ctx context.Context, subject string) (uint64, error) {
	m, err := s.stream.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("version of %s: %w", subject, err)
	}
	return m.Sequence, nil
}

// LastSeq returns the stream's last sequence (0 when empty).
func (s *Store) LastSeq(ctx context.Context) (uint64, error) {
	info, err := s.stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("stream info: %w", err)
	}
	return info.State.LastSeq, nil
}

// Load reads all events of one aggregate in order and returns its version.
func (s *Store) Load(ctx context.Context, community, aggregateType, aggregateID string) ([]Stored, uint64, error) {
	subject := Subject(community, aggregateType, aggregateID)
	version, err := s.Version(ctx, subject)
	if err != nil || version == 0 {
		return nil, 0, err
	}
	if out, ok, err := s.loadDirect(ctx, subject, version); ok || err != nil {
		return out, version, err
	}
	out, err := s.loadConsumer(ctx, subject, version)
	return out, version, err
}

// loadConsumer reads subject's messages through sequence version with an
// ordered consumer on the subject.
func (s *Store) loadConsumer(ctx context.Context, subject string, version uint64) ([]Stored, error) {
	var out []Stored
	err := s.read(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}}, version, func(m jetstream.Msg, seq uint64) error {
		st := mustDecode(m, seq)
		var err error
		if st.Rejected, err = s.verdict(ctx, seq); err != nil {
			return err
		}
		out = append(out, st)
		return nil
	})
	return out, err
}

// loadBatch is how many messages one direct get of Load asks for.
const loadBatch = 256

// loadDirect reads subject's messages through sequence version with direct
// get batches filtered by the subject: JetStream finds them through its
// subject index, where an ordered consumer on the subject scans the stream
// (at a million events p50 0.18 against 0.57 ms, p99 0.46 against 42 ms,
// docs/benchmarks.md). ok is false, with no error, when the answer stops
// short of version or direct gets fail (a replica behind the leader, a
// server without batch direct gets): Load then reads with a consumer.
func (s *Store) loadDirect(ctx context.Context, subject string, version uint64) (out []Stored, ok bool, err error) {
	for seq := uint64(1); ; {
		it, err := jetstreamext.GetBatch(ctx, s.js, s.name, loadBatch, jetstreamext.GetBatchSubject(subject), jetstreamext.GetBatchSeq(seq))
		if err != nil {
			return nil, false, nil
		}
		n, last := 0, uint64(0)
		for m, err := range it {
			if err != nil {
				return nil, false, nil
			}
			if m.Subject != subject || m.Sequence < seq || m.Sequence <= last {
				return nil, false, nil // not what was asked for
			}
			n, last = n+1, m.Sequence
			if m.Sequence > version {
				break // stored after the version this load reads to
			}
			st, derr := decode(m.Data, m.Sequence, m.Subject, m.Time)
			if derr != nil {
				// Not an event envelope: handed on raw, as mustDecode does.
				st = Stored{Seq: m.Sequence, Subject: m.Subject, Time: m.Time, Raw: m.Data}
			}
			if st.Rejected, err = s.verdict(ctx, m.Sequence); err != nil {
				return nil, false, err
			}
			out = append(out, st)
		}
		switch {
		case last >= version && len(out) > 0 && out[len(out)-1].Seq == version:
			return out, true, nil
		case last >= version || n < loadBatch:
			return nil, false, nil // the subject's last message is not the one Version named
		}
		seq = last + 1
	}
}

// Read calls fn for every event from sequence from (1 if 0) up to the
// stream's last sequence at the time of the call, in order. It stops at
// the first error fn returns.
func (s *Store) Read(ctx context.Context, from uint64, fn func(Stored) error) error {
	last, err := s.LastSeq(ctx)
	if err != nil || last < max(from, 1) {
		return err
	}
	return s.read(ctx, startAt(from), last, func(m jetstream.Msg, seq uint64) error {
		s.idx.observe(seq, m.Subject(), m.Headers(), m.Data(), false)
		st := mustDecode(m, seq)
		var err error
		if st.Rejected, err = s.verdict(ctx, seq); err != nil {
			return err
		}
		return fn(st)
	})
}

// ReadCommunity calls fn for every message on one community's subjects,
// in stream order, up to the stream's last message at the time of the
// call. The store's index lists each community's sequences, so it reads
// them by direct gets, a few at a time, instead of scanning the stream
// with a subject filter (docs/benchmarks.md, issue 12), for an auditor's
// replay of one community. Messages that are not facts come with Rejected
// set.
func (s *Store) ReadCommunity(ctx context.Context, community string, fn func(Stored) error) error {
	last, err := s.LastSeq(ctx)
	if err != nil || last == 0 {
		return err
	}
	if err := s.ensureIndexed(ctx, last); err != nil {
		return err
	}
	return s.readSeqs(ctx, "community "+community, s.idx.communitySeqs(community, last), fn)
}

// ReadTypes calls fn for every message of the aggregate types that
// Config.ListTypes names, all communities together, in stream order, up
// to sequence upTo (or the stream's last message, if that comes first).
// It reads them by direct gets, as ReadCommunity does. Messages that are
// not facts come with Rejected set.
func (s *Store) ReadTypes(ctx context.Context, upTo uint64, fn func(Stored) error) error {
	last, err := s.LastSeq(ctx)
	if err != nil || last == 0 {
		return err
	}
	upTo = min(upTo, last)
	if err := s.ensureIndexed(ctx, upTo); err != nil {
		return err
	}
	return s.readSeqs(ctx, "listed types", s.idx.typeSeqs(upTo), fn)
}

// SubjectVersion returns the sequence of the last message on subject (of
// any message, fact or not, as an append's expected version counts), and
// whether there is one, as of Indexed: the index may not have read the
// latest messages yet. (Subjects are told apart by a 64-bit keyed hash:
// of two colliding subjects, the later message's sequence is reported.)
func (s *Store) SubjectVersion(subject string) (uint64, bool) {
	return s.idx.subjectVersion(subject)
}

// readSeqs calls fn for the messages at seqs (indexed ones, of what), in order,
// reading them by direct gets a few at a time, with Rejected set.
func (s *Store) readSeqs(ctx context.Context, what string, seqs []uint64, fn func(Stored) error) error {
	const inFlight = 8
	for start := 0; start < len(seqs); start += 256 {
		chunk := seqs[start:min(start+256, len(seqs))]
		got := make([]Stored, len(chunk))
		errs := make([]error, len(chunk))
		var wg sync.WaitGroup
		next := make(chan int)
		for range inFlight {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					m, err := s.stream.GetMsg(ctx, chunk[i])
					if err != nil {
						errs[i] = fmt.Errorf("read %s at %d: %w", what, chunk[i], err)
						continue
					}
					st, derr := decode(m.Data, m.Sequence, m.Subject, m.Time)
					if derr != nil {
						st = Stored{Seq: m.Sequence, Subject: m.Subject, Time: m.Time, Raw: m.Data}
					}
					got[i] = st
				}
			}()
		}
		for i := range chunk {
			next <- i
		}
		close(next)
		wg.Wait()
		for i, st := range got {
			if errs[i] != nil {
				return errs[i]
			}
			var err error
			if st.Rejected, err = s.verdict(ctx, st.Seq); err != nil {
				return err
			}
			if err := fn(st); err != nil {
				return err
			}
		}
	}
	return nil
}

// Follow calls fn for every event from sequence from (1 if 0) in order, and
// then for each new event as it is stored, until ctx ends or fn fails. The
// messages it sees also keep the idempotency index current with appends
// made by other instances.
func (s *Store) Follow(ctx context.Context, from uint64, fn func(Stored) error) error {
	cons, err := s.stream.OrderedConsumer(ctx, startAt(from))
	if err != nil {
		return fmt.Errorf("follow: %w", err)
	}
	it, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("follow: %w", err)
	}
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	defer it.Stop()
	for {
		m, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("follow: %w", err)
		}
		md, err := m.Metadata()
		if err != nil {
			return fmt.Errorf("follow: %w", err)
		}
		s.idx.observe(md.Sequence.Stream, m.Subject(), m.Headers(), m.Data(), false)
		st := mustDecode(m, md.Sequence.Stream)
		st.Pending = md.NumPending
		if st.Rejected, err = s.verdict(ctx, st.Seq); err != nil {
			return err
		}
		if err := fn(st); err != nil {
			return err
		}
	}
}

func mustDecode(m jetstream.Msg, seq uint64) Stored {
	md, _ := m.Metadata()
	st, err := decode(m.Data(), seq, m.Subject(), md.Timestamp)
	if err != nil {
		// A message that is not an event envelope is still part of the log;
		// hand it on with its raw bytes so that readers can report it.
		st = Stored{Seq: seq, Subject: m.Subject(), Time: md.Timestamp, Raw: m.Data()}
	}
	return st
}

func startAt(from uint64) jetstream.OrderedConsumerConfig {
	if from <= 1 {
		return jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	}
	return jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: from}
}

// read runs an ordered consumer and calls fn until it has delivered the
// message at sequence last (or a later one).
func (s *Store) read(ctx context.Context, cfg jetstream.OrderedConsumerConfig, last uint64, fn func(jetstream.Msg, uint64) error) error {
	cons, err := s.stream.OrderedConsumer(ctx, cfg)
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(1024))
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	defer it.Stop()
	for {
		m, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("read: %w", err)
		}
		md, err := m.Metadata()
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		if err := fn(m, md.Sequence.Stream); err != nil {
			return err
		}
		if md.Sequence.Stream >= last || md.NumPending == 0 && cfg.FilterSubjects != nil {
			return nil
		}
	}
}

// syncTimeout bounds a read of the stream into the index made for one
// request (a read that stalls while a cluster changes its leader must not
// hold the index, and everyone waiting for it, for long).
const syncTimeout = 30 * time.Second

// syncIndexFor is syncIndex for one request: it gives up after
// syncTimeout.
func (s *Store) syncIndexFor(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	return s.syncIndex(ctx)
}

// syncIndex reads the idempotency headers of every message from the first
// one not yet indexed to the stream's end.
func (s *Store) syncIndex(ctx context.Context) error {
	select {
	case s.idx.syncing <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.idx.syncing }()
	from := s.idx.through() + 1
	last, err := s.LastSeq(ctx)
	if err != nil || last < from {
		return err
	}
	cfg := startAt(from)
	cfg.HeadersOnly = true
	return s.read(ctx, cfg, last, func(m jetstream.Msg, seq uint64) error {
		s.idx.observe(seq, m.Subject(), m.Headers(), nil, false)
		return nil
	})
}

// verdict returns why the message at seq is not a fact ("" if it is),
// reading the stream into the index up to seq if it is not there yet.
func (s *Store) verdict(ctx context.Context, seq uint64) (string, error) {
	if r, ok := s.idx.verdict(seq); ok {
		return r, nil
	}
	if err := s.syncIndex(ctx); err != nil {
		return "", err
	}
	r, _ := s.idx.verdict(seq)
	return r, nil
}

// ensureIndexed makes sure every message up to sequence upTo is indexed.
// Follow normally has done it already; if not, it reads.
func (s *Store) ensureIndexed(ctx context.Context, upTo uint64) error {
	if upTo <= s.idx.through() {
		return nil
	}
	return s.syncIndexFor(ctx)
}

// keyedMutex serialises requests with the same idempotency key.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyLock
}

type keyLock struct {
	mu   sync.Mutex
	refs int
}

func (k *keyedMutex) lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyLock{}
	}
	l := k.locks[key]
	if l == nil {
		l = &keyLock{}
		k.locks[key] = l
	}
	l.refs++
	k.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		k.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}

// CheckIntegrity checks that the stream can still be the ledger: it exists
// and is the stream Open found (not deleted and created anew), its
// configuration is still immutable and unlimited and it is not sealed, it
// starts at sequence 1 with no message removed, and it holds at least
// atLeast messages (the largest size gongkai has signed, stored or seen
// cosigned). It returns an error saying what is wrong, for /readyz.
func (s *Store) CheckIntegrity(ctx context.Context, atLeast uint64, why string) error {
	info, err := s.stream.Info(ctx)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		return fmt.Errorf("stream %s is gone (deleted); the ledger cannot take writes until an operator restores it (docs/deploy.md)", s.name)
	case err != nil:
		return fmt.Errorf("stream %s does not answer (no leader or quorum, or JetStream stopped): %v", s.name, err)
	}
	if err := CheckStreamConfig(info.Config); err != nil {
		return err
	}
	if err := CheckQuorum(info); err != nil {
		return err
	}
	if !s.created.IsZero() && !info.Created.Equal(s.created) {
		return fmt.Errorf("stream %s was replaced: it was created at %s, the one found now at %s",
			s.name, s.created.UTC().Format(time.RFC3339Nano), info.Created.UTC().Format(time.RFC3339Nano))
	}
	st := info.State
	if st.Msgs > 0 && st.FirstSeq != 1 {
		return fmt.Errorf("stream %s starts at sequence %d, must be 1: messages were removed from its start", s.name, st.FirstSeq)
	}
	if st.NumDeleted > 0 || st.Msgs != st.LastSeq {
		return fmt.Errorf("stream %s holds %d messages up to sequence %d: %d were deleted", s.name, st.Msgs, st.LastSeq, st.LastSeq-st.Msgs)
	}
	if st.LastSeq < atLeast {
		return &ShrunkError{Stream: s.name, Have: st.LastSeq, Known: atLeast, Why: why}
	}
	return nil
}

// CheckQuorum returns an error when a replicated stream has no leader, or
// its leader does not hear from a majority of its replicas: it cannot
// store a write then, although it may still answer for its state.
func CheckQuorum(info *jetstream.StreamInfo) error {
	c := info.Cluster
	if c == nil || info.Config.Replicas <= 1 {
		return nil
	}
	if c.Leader == "" {
		return fmt.Errorf("stream %s has no leader (no quorum: a majority of its %d replicas is down or electing)", info.Config.Name, info.Config.Replicas)
	}
	alive := 1 // the leader
	for _, p := range c.Replicas {
		if !p.Offline && p.Active < 5*time.Second {
			alive++
		}
	}
	if total := len(c.Replicas) + 1; alive*2 <= total {
		return fmt.Errorf("stream %s does not answer for writes: no quorum, its leader %s hears from %d of %d replicas", info.Config.Name, c.Leader, alive, total)
	}
	return nil
}

// ShrunkError is a stream holding fewer messages than gongkai knows the
// ledger had: truncated, or restored from an older backup.
type ShrunkError struct {
	Stream      string
	Have, Known uint64
	// Why says where the known sizes come from.
	Why string
}

func (e *ShrunkError) Error() string {
	return fmt.Sprintf("stream %s holds %d messages but the ledger is known to have had at least %d (%s; "+
		"truncated, or restored from an older backup): gongkai signs nothing and takes no writes until an operator decides (docs/deploy.md, \"The log is shorter than it was\")",
		e.Stream, e.Have, e.Known, e.Why)
}
