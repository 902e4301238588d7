package command

import (
	"context"
	"sync"
	"time"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/eventstore"
)

// cache holds the current state of every aggregate, built from the stream,
// so that a command never reads its aggregate back from JetStream.
//
// States are changed in place, under mu's write lock: by the feed for
// events of other instances, and by Execute for its own appends. Deciding
// reads states under the read lock and never changes them.
type cache struct {
	mu    sync.RWMutex
	cond  *sync.Cond
	pos   uint64 // last stream sequence the feed applied
	aggs  map[string]*aggregate
	ready bool
	// readyAt is when the cache first caught up with the stream.
	readyAt time.Time
}

// aggregate is the cached state of one aggregate; version is the stream
// sequence of its last event.
type aggregate struct {
	version uint64
	state   domain.State
}

func newCache() *cache {
	c := &cache{aggs: map[string]*aggregate{}}
	c.cond = sync.NewCond(&c.mu)
	return c
}

// applyStored folds one event from the feed and returns it when it is a
// domain event and a fact.
func (c *cache) applyStored(st eventstore.Stored) domain.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pos = st.Seq
	defer c.cond.Broadcast()
	if st.Rejected != "" {
		// Not a fact: the aggregate's state ignores it, but its subject's
		// last sequence (what an append checks) has moved.
		if a := c.aggs[st.Subject]; a != nil && a.version < st.Seq {
			a.version = st.Seq
		} else if a == nil {
			c.aggs[st.Subject] = &aggregate{version: st.Seq}
		}
		return nil
	}
	if a := c.aggs[st.Subject]; a != nil && st.Seq <= a.version {
		// This instance's own append, applied (and observed) when it was
		// acknowledged: not decoded a second time.
		return nil
	}
	ev, err := domain.DecodeEvent(st.Type, st.Schema, st.Data)
	if err != nil {
		return nil // not a domain event (a writer key); read models report the rest
	}
	date, _ := domain.ParseDate(st.EffectiveDate)
	c.applyLocked(st.Subject, st.AggregateType, st.AggregateID, st.Seq, ev, date)
	return ev
}

func (c *cache) applyLocked(subject, aggType, id string, seq uint64, ev domain.Event, date domain.Date) {
	a := c.aggs[subject]
	if a == nil {
		a = &aggregate{}
		c.aggs[subject] = a
	}
	if seq <= a.version {
		return // applied already (our own append, or a redelivery)
	}
	a.state = domain.ApplyTo(a.state, aggType, id, ev, date)
	a.version = seq
}

// view returns the state and version of an aggregate; the caller holds the
// read lock and must not change the state.
func (c *cache) view(subject string) aggregate {
	if a := c.aggs[subject]; a != nil {
		return *a
	}
	return aggregate{}
}

// version returns an aggregate's cached version (0 if unknown).
func (c *cache) version(subject string) uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.view(subject).version
}

// waitFor blocks until the feed has applied sequence seq or ctx ends.
func (c *cache) waitFor(ctx context.Context, seq uint64) error {
	return c.wait(ctx, func() bool { return c.pos >= seq })
}

func (c *cache) waitReady(ctx context.Context) error {
	return c.wait(ctx, func() bool { return c.ready })
}

func (c *cache) wait(ctx context.Context, done func() bool) error {
	stop := context.AfterFunc(ctx, func() {
		c.mu.Lock()
		c.cond.Broadcast()
		c.mu.Unlock()
	})
	defer stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	for !done() && ctx.Err() == nil {
		c.cond.Wait()
	}
	return ctx.Err()
}

func (c *cache) setReady() {
	c.mu.Lock()
	if !c.ready {
		c.readyAt = time.Now()
	}
	c.ready = true
	c.cond.Broadcast()
	c.mu.Unlock()
}

func (c *cache) isReady() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.ready
}
