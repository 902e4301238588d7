// Package guard watches what must hold for the ledger to take a write: the
// stream is there, immutable, not sealed, not shorter than any size gongkai
// has signed, stored or seen cosigned; the store has space; the stream has
// a leader. Each of these is a Check; the Guard runs them all at start and
// then every few seconds, and while any fails it blocks writes and signing
// and /readyz reports the reasons. A check that passes again lifts its block
// without a restart.
package guard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"
)

// Check is one condition for taking writes. Run returns nil when it holds,
// or an error whose text says what is wrong and what to do, in words an
// operator reads.
type Check struct {
	Name string
	Run  func(ctx context.Context) error
}

// Problem is one failing check.
type Problem struct {
	Check  string    `json:"check"`
	Reason string    `json:"reason"`
	Since  time.Time `json:"since"`
}

// checkTimeout bounds one check.
const checkTimeout = 5 * time.Second

// ErrNotChecked is returned by Err until every check has run once.
var ErrNotChecked = errors.New("the ledger's storage has not been checked yet")

// BlockedError is why writes are refused.
type BlockedError struct {
	Problems []Problem
}

func (e *BlockedError) Error() string {
	var parts []string
	for _, p := range e.Problems {
		parts = append(parts, p.Check+": "+p.Reason)
	}
	return "writes are refused: " + strings.Join(parts, "; ")
}

// Guard runs checks and remembers which fail. It is safe for concurrent use.
type Guard struct {
	log   *slog.Logger
	every time.Duration
	now   func() time.Time

	mu       sync.Mutex
	checks   []Check
	problems map[string]Problem
	checked  bool
	poke     chan struct{}
}

// New returns a guard that runs its checks every interval (default 2 s).
func New(log *slog.Logger, every time.Duration, now func() time.Time) *Guard {
	if every <= 0 {
		every = 2 * time.Second
	}
	if now == nil {
		now = time.Now
	}
	return &Guard{log: log, every: every, now: now, problems: map[string]Problem{}, poke: make(chan struct{}, 1)}
}

// Add adds a check; it runs from the next round on.
func (g *Guard) Add(c Check) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.checks = append(g.checks, c)
}

// CheckNow runs every check once and returns the resulting Err.
func (g *Guard) CheckNow(ctx context.Context) error {
	g.mu.Lock()
	checks := append([]Check(nil), g.checks...)
	g.mu.Unlock()
	// The checks run side by side, each for at most checkTimeout: a
	// stream that does not answer by then does not answer.
	errs := make([]error, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, checkTimeout)
			defer cancel()
			errs[i] = c.Run(cctx)
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	results := make(map[string]error, len(checks))
	for i, c := range checks {
		results[c.Name] = errs[i]
	}
	g.mu.Lock()
	for name, err := range results {
		old, had := g.problems[name]
		switch {
		case err == nil && had:
			delete(g.problems, name)
			g.log.Info("ledger check passes again; its block on writes is lifted", "check", name, "was", old.Reason)
		case err != nil && (!had || old.Reason != err.Error()):
			g.problems[name] = Problem{Check: name, Reason: err.Error(), Since: g.now()}
			g.log.Error("ledger check failed: writes are refused", "check", name, "reason", err.Error())
		}
	}
	g.checked = true
	g.mu.Unlock()
	return g.Err()
}

// Poke asks the running guard for a round of checks now, for example after
// a write failed in a way a check may explain.
func (g *Guard) Poke() {
	select {
	case g.poke <- struct{}{}:
	default:
	}
}

// Run checks at once and then every interval, or when poked, until ctx
// ends.
func (g *Guard) Run(ctx context.Context) error {
	t := time.NewTicker(g.every)
	defer t.Stop()
	for {
		if err := g.CheckNow(ctx); errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-g.poke:
		}
	}
}

// Err returns nil while every check holds, ErrNotChecked before the first
// round has finished, and a *BlockedError naming each failing check
// otherwise.
func (g *Guard) Err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.checked {
		return ErrNotChecked
	}
	if len(g.problems) == 0 {
		return nil
	}
	return &BlockedError{Problems: g.sortedLocked()}
}

// Problems returns the failing checks, by name.
func (g *Guard) Problems() []Problem {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.sortedLocked()
}

func (g *Guard) sortedLocked() []Problem {
	out := make([]Problem, 0, len(g.problems))
	for _, p := range g.problems {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Check < out[j].Check })
	return out
}

// String describes the guard's state for logs.
func (g *Guard) String() string {
	if err := g.Err(); err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%d checks hold", len(g.checks))
}
