// Package natstest holds helpers for tests against real NATS servers.
package natstest

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// Violations collects the permissions violations a connection is told of:
// pass Handler as the connection's nats.ErrorHandler.
type Violations struct {
	mu   sync.Mutex
	errs []string
}

// Handler records an asynchronous error of the connection.
func (p *Violations) Handler(_ *nats.Conn, _ *nats.Subscription, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.errs = append(p.errs, err.Error())
}

// WaitFor waits up to 5 s for a permissions violation naming subject, and
// reports a test error (naming what was tried) if none comes.
func (p *Violations) WaitFor(t testing.TB, what, subject string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		p.mu.Lock()
		for _, e := range p.errs {
			if strings.Contains(e, "Permissions Violation") && strings.Contains(e, `"`+subject+`"`) {
				p.mu.Unlock()
				return
			}
		}
		errs := append([]string(nil), p.errs...)
		p.mu.Unlock()
		if time.Now().After(deadline) {
			t.Errorf("%s: no permissions violation for %s; violations: %q", what, subject, errs)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Errors returns the errors recorded so far.
func (p *Violations) Errors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.errs...)
}
