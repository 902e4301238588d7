package guard_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gongkai/gongkai/internal/guard"
)

// Writes wait for the first round; a failing check blocks with its reason
// and lifts when it passes again; the checks of a round run side by side.
func TestGuard(t *testing.T) {
	g := guard.New(slog.New(slog.DiscardHandler), time.Hour, nil)
	var broken atomic.Value
	broken.Store("")
	g.Add(guard.Check{Name: "stream", Run: func(context.Context) error {
		if r := broken.Load().(string); r != "" {
			return errors.New(r)
		}
		return nil
	}})
	g.Add(guard.Check{Name: "slow", Run: func(ctx context.Context) error {
		time.Sleep(200 * time.Millisecond)
		return nil
	}})
	g.Add(guard.Check{Name: "slow2", Run: func(ctx context.Context) error {
		time.Sleep(200 * time.Millisecond)
		return nil
	}})
	if err := g.Err(); !errors.Is(err, guard.ErrNotChecked) {
		t.Fatalf("Err before the first round = %v, want ErrNotChecked", err)
	}
	start := time.Now()
	if err := g.CheckNow(context.Background()); err != nil {
		t.Fatalf("CheckNow with every check passing = %v", err)
	}
	if took := time.Since(start); took > 380*time.Millisecond {
		t.Errorf("two 200 ms checks took %v: not side by side", took)
	}
	broken.Store("stream GONGKAI is sealed")
	err := g.CheckNow(context.Background())
	var be *guard.BlockedError
	if !errors.As(err, &be) || len(be.Problems) != 1 || be.Problems[0].Check != "stream" ||
		!strings.Contains(err.Error(), "sealed") || g.Err() == nil {
		t.Fatalf("CheckNow with a failing check = %v, want a BlockedError naming stream and the reason", err)
	}
	broken.Store("")
	if err := g.CheckNow(context.Background()); err != nil || g.Err() != nil || len(g.Problems()) != 0 {
		t.Fatalf("after the check passes again: %v, %v, %v", err, g.Err(), g.Problems())
	}
}

// Run checks at once when poked, not only on its interval.
func TestGuardPoke(t *testing.T) {
	g := guard.New(slog.New(slog.DiscardHandler), time.Hour, nil)
	var runs atomic.Int32
	g.Add(guard.Check{Name: "n", Run: func(context.Context) error { runs.Add(1); return nil }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { g.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitRuns := func(n int32) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for runs.Load() < n {
			if time.Now().After(deadline) {
				t.Fatalf("%d rounds, want %d", runs.Load(), n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitRuns(1)
	g.Poke()
	waitRuns(2)
}
