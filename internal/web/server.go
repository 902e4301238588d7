// Package web serves gongkai's JSON API and its public pages.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"time"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/auth"
	"github.com/gongkai/gongkai/internal/command"
	"github.com/gongkai/gongkai/internal/transparency"
	"github.com/gongkai/gongkai/internal/workbench"
	"github.com/gongkai/gongkai/projections"
)

// Body size limits.
const (
	MaxCommandBody = 1 << 20 // 1 MiB for one command
	MaxBatchBody   = 8 << 20 // 8 MiB for a batch of up to 1000 commands
)

// Commands is the command service: the one front door for every write.
type Commands interface {
	Execute(ctx context.Context, req command.Request) (command.Result, error)
	// Ready reports whether the service has caught up with the log.
	Ready() bool
	// State returns a copy of an aggregate's current state and version.
	State(community, aggregateType, id string) (domain.State, uint64)
	// Communities lists the registered communities' ids.
	Communities() []string
	RegisterWriter(ctx context.Context, actor, publicKey, label string) (string, command.Result, error)
	RevokeWriter(ctx context.Context, actor, id string) (command.Result, error)
}

// Access knows accounts, sessions and tokens (auth.Directory).
type Access interface {
	Authenticate(token string) (domain.Actor, bool)
	Session(sess auth.Session, now time.Time) (domain.Actor, bool)
	Account(login string) *domain.UserAccount
	Accounts() []*domain.UserAccount
	Tokens(community string) []domain.Token
	Token(id string) *domain.Token
}

// Ledger is what the pages show about the log itself.
type Ledger interface {
	LastSeq(ctx context.Context) (uint64, error)
	// StoredAt returns when the message at seq was stored.
	StoredAt(ctx context.Context, seq uint64) (time.Time, error)
	// Rejected lists the stored messages that are not facts.
	Rejected() []Rejection
}

// Rejection is a stored message that is not a fact (no valid writer
// signature, or a copy).
type Rejection struct {
	Seq       uint64 `json:"stream_seq"`
	Subject   string `json:"subject"`
	Community string `json:"community"`
	Reason    string `json:"reason"`
}

// ReadModelStatus is one read model's state, for /readyz.
type ReadModelStatus struct {
	Name    string
	Backend string // "memory" or "postgres"
	Ready   bool
	Role    string
	// Position is the last stream sequence it applied.
	Position uint64
	Error    string
}

// Proofs is the verifiable log (transparency.Log).
type Proofs interface {
	Latest() ([]byte, transparency.Checkpoint, time.Time)
	CheckpointCovering(ctx context.Context, seq uint64) ([]byte, transparency.Checkpoint, error)
	InclusionProof(index, size uint64) ([][]byte, error)
	ConsistencyProof(size1, size2 uint64) ([][]byte, error)
	Bundle(ctx context.Context, seq uint64) ([]byte, error)
	Segment(ctx context.Context, from, to uint64) ([]byte, error)
	Status() transparency.Status
	Origin() string
}

// Deps is what the server needs.
type Deps struct {
	Commands Commands
	Access   Access
	Ledger   Ledger
	// Secret signs sessions and CSRF tokens and peppers passwords.
	Secret  auth.Secret
	Board   projections.Board
	Finance projections.Finance
	// Audit builds auditors' reports from the log.
	Audit Auditor
	// Evaluations are the indicators computed from the log (年度考核).
	Evaluations projections.Evaluations
	// ReadModels reports the read models' state.
	ReadModels func() []ReadModelStatus
	Log        *slog.Logger
	Now        func() time.Time
	NewID      func() string
	// Fsync names the durability mode, shown in /readyz.
	Fsync string
	// TLog is the verifiable log (nil when not kept); LogKey its verifier key.
	TLog   Proofs
	LogKey string
	// Guard says whether the ledger may take writes (nil: always).
	Guard WriteGuard
	// DemoLoading, when set, reports that --demo is still loading.
	DemoLoading func() bool
	// PublicURL is the address the public reaches this server at, such as
	// "https://ledger.example.org" (see ParsePublicURL): every absolute
	// link and QR code is built from it, never from the request's Host.
	// Without it pages carry relative links and no QR code. An https
	// address also makes the session cookie Secure.
	PublicURL string
	// Contacts keeps residents' contact details outside the log (nil: a
	// question with contact details is refused).
	Contacts Contacts
	// Commits reports the group commit's counts for /metrics (nil: none).
	Commits func() CommitCounts
	// Figures reports what the process holds and when it became ready,
	// for /metrics (nil: none).
	Figures func() Figures
}

// Figures are a process's memory and start-up figures: the aggregates the
// command service keeps, the requests the idempotency index holds, and how
// long after the start the command service first caught up.
type Figures struct {
	Aggregates, IndexedRequests int
	// Loads and Evictions count aggregates the command service read from
	// the log on demand and dropped from its cache for room.
	Loads, Evictions uint64
	// ReadyAfter is zero until the command service has caught up.
	ReadyAfter time.Duration
}

// CommitCounts are the append path's publishes since the start: requests
// published alone, and group batches with what they held (ADR 0011).
type CommitCounts struct {
	Publishes, Batches, BatchedRequests, BatchedMessages, Fallbacks uint64
	BatchTime                                                       time.Duration
}

// WriteGuard says whether the ledger may take writes now: Err is nil when
// it may, and otherwise says why not.
type WriteGuard interface {
	Err() error
}

// Server is the HTTP handler.
type Server struct {
	Deps
	mux *http.ServeMux
	// authFailures throttles failed authentication per client address;
	// loginFailures failed sign-ins per account.
	authFailures  *throttle
	loginFailures *keyedThrottle[string]
	// hashing bounds the password hashes computed at once: each takes
	// 19 MiB and tens of milliseconds, and sign-ins from many addresses
	// must not exhaust the memory.
	hashing chan struct{}
	// cache keeps public pages and JSON until the stream moves (cache.go).
	cache *pageCache
	// asks limits residents' questions (handle_questions.go).
	asks *askLimits
	// ops counts requests and commands for /metrics (metrics_ops.go).
	ops *opsMetrics
}

// NewServer returns the handler with every route.
func NewServer(d Deps) http.Handler {
	s := &Server{Deps: d, mux: http.NewServeMux(),
		// Real time, not d.Now: under a test's fixed clock a blocked
		// address would stay blocked.
		authFailures:  newThrottle(AuthFailureLimit, AuthFailureWindow, maxThrottled, time.Now),
		loginFailures: newKeyedThrottle[string](LoginFailureLimit, LoginFailureWindow, maxThrottled, time.Now),
		hashing:       make(chan struct{}, max(2, runtime.NumCPU())),
		cache:         newPageCache(maxCachedReplies, maxCachedBytes), ops: newOpsMetrics()}
	if d.Commands != nil {
		// Every write is counted, the workbench's too.
		s.Commands = instrumented{d.Commands, s.ops}
		d.Commands = s.Commands
	}
	s.routes()
	workbench.New(workbench.Deps{Commands: d.Commands, SignedIn: s.SignedIn, CheckCSRF: s.CheckCSRF, Board: d.Board, Finance: d.Finance,
		ProofURL: s.proofURL, Communities: func(context.Context) []string { return d.Commands.Communities() },
		Head: func(ctx context.Context) (uint64, error) {
			if d.Ledger == nil {
				return 0, errors.New("no ledger")
			}
			return d.Ledger.LastSeq(ctx)
		},
		Now: d.Now, NewID: d.NewID, Log: d.Log, Secure: s.secure()}).Register(s.mux)
	return s
}

// proofURL is the link of the proof of the event at seq once a signed
// checkpoint covers it, "" before.
func (s *Server) proofURL(ctx context.Context, seq uint64) string {
	if s.TLog == nil {
		return ""
	}
	if _, _, err := s.TLog.CheckpointCovering(ctx, seq); err != nil {
		return ""
	}
	return fmt.Sprintf("%s/api/v1/log/bundle?seq=%d", s.PublicURL, seq)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// No reply of gongkai is meant to be framed; pages also say so in
	// their Content-Security-Policy (frame-ancestors 'none').
	w.Header().Set("X-Frame-Options", "DENY")
	_, route := s.mux.Handler(r)
	if route == "" || route == "/" {
		route = "other" // not found: the path is the client's to choose
	}
	sw := &statusWriter{ResponseWriter: w}
	t := time.Now()
	defer func() { s.ops.observe(route, sw.code, time.Since(t)) }()
	if s.serveCached(sw, r, s.mux) {
		return
	}
	s.mux.ServeHTTP(sw, r)
}

// errBusy is a password hash that waited too long for its turn.
var errBusy = errors.New("too many sign-ins at once")

// hashSlot runs fn while holding one of the password-hashing slots,
// waiting at most 10 seconds for one.
func (s *Server) hashSlot(ctx context.Context, fn func()) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	select {
	case s.hashing <- struct{}{}:
	case <-ctx.Done():
		return errBusy
	}
	defer func() { <-s.hashing }()
	fn()
	return nil
}

// verifyPassword and hashPassword are Secret's, within a hashing slot.
func (s *Server) verifyPassword(ctx context.Context, hash, password string) (ok bool, err error) {
	err = s.hashSlot(ctx, func() { ok = s.Secret.VerifyPassword(hash, password) })
	return ok, err
}

func (s *Server) hashPassword(ctx context.Context, password, seed string) (h string, err error) {
	err = s.hashSlot(ctx, func() { h = s.Secret.HashPassword(password, seed) })
	return h, err
}
