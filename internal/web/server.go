// Package web serves gongkai's JSON API and its public pages.
package web

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gongkai/gongkai/eventstore"
	"github.com/gongkai/gongkai/internal/auth"
	"github.com/gongkai/gongkai/internal/command"
	"github.com/gongkai/gongkai/internal/projector"
	"github.com/gongkai/gongkai/internal/transparency"
	"github.com/gongkai/gongkai/projections"
)

// Body size limits.
const (
	MaxCommandBody = 1 << 20 // 1 MiB for one command
	MaxBatchBody   = 8 << 20 // 8 MiB for a batch of up to 1000 commands
)

// Deps is what the server needs.
type Deps struct {
	Commands *command.Service
	Store    *eventstore.Store
	Board    projections.Board
	Finance  projections.Finance
	Runners  []*projector.Runner
	Writers  []*projector.Writer
	Tokens   *auth.Tokens
	Log      *slog.Logger
	Now      func() time.Time
	NewID    func() string
	// Fsync names the durability mode, shown in /readyz.
	Fsync string
	// TLog is the verifiable log (nil when not kept); LogKey its verifier key.
	TLog   *transparency.Log
	LogKey string
	// Guard says whether the ledger may take writes (nil: always).
	Guard WriteGuard
	// DemoLoading, when set, reports that --demo is still loading.
	DemoLoading func() bool
	// PublicURL is the address the public reaches this server at, such as
	// "https://ledger.example.org" (see ParsePublicURL): every absolute
	// link and QR code is built from it, never from the request's Host.
	// Without it pages carry relative links and no QR code.
	PublicURL string
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
	// authFailures throttles failed authentication per client address.
	authFailures *throttle
}

// NewServer returns the handler with every route.
func NewServer(d Deps) http.Handler {
	s := &Server{Deps: d, mux: http.NewServeMux(),
		// Real time, not d.Now: under a test's fixed clock a blocked
		// address would stay blocked.
		authFailures: newThrottle(AuthFailureLimit, AuthFailureWindow, maxThrottled, time.Now)}
	s.routes()
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// No reply of gongkai is meant to be framed; pages also say so in
	// their Content-Security-Policy (frame-ancestors 'none').
	w.Header().Set("X-Frame-Options", "DENY")
	s.mux.ServeHTTP(w, r)
}
