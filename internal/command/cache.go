package command

import (
	"context"
	"sync"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/eventstore"
)

// cache holds the current state of every aggregate, built from the stream,
// so that a command never reads its aggregate back from JetStream.
type cache struct {
	mu    sync.Mutex
	cond  *sync.Cond
	pos   uint64 // last stream sequence applied from the follower
	aggs  map[string]*aggregate
	ready bool
}

// aggregate is the cached state of one aggregate; version is the stream
// sequence of its last event.
type aggregate struct {
	version   uint64
	community *domain.Community
	matter    *domain.Matter
}

func newCache() *cache {
	c := &cache{aggs: map[string]*aggregate{}}
	c.cond = sync.NewCond(&c.mu)
	return c
}

// applyStored folds one event from the follower.
func (c *cache) applyStored(st eventstore.Stored) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pos = st.Seq
	defer c.cond.Broadcast()
	a := c.aggs[st.Subject]
	if a != nil && st.Seq <= a.version {
		return // our own append, already applied
	}
	switch st.AggregateType {
	case domain.AggregateCommunity, domain.AggregateMatter:
	default:
		return
	}
	ev, err := domain.DecodeEvent(st.Type, st.Schema, st.Data)
	if err != nil {
		return // not a domain event; the board reports it
	}
	if a == nil {
		a = &aggregate{}
		c.aggs[st.Subject] = a
	}
	a.version = st.Seq
	date, _ := domain.ParseDate(st.EffectiveDate)
	switch st.AggregateType {
	case domain.AggregateCommunity:
		if a.community == nil {
			a.community = &domain.Community{ID: st.AggregateID}
		}
		a.community.Apply(ev)
	case domain.AggregateMatter:
		if a.matter == nil {
			a.matter = &domain.Matter{ID: st.AggregateID}
		}
		a.matter.Apply(ev, date)
	}
}

// get returns a copy of an aggregate's state (zero if unknown).
func (c *cache) get(subject string) aggregate {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := c.aggs[subject]
	if a == nil {
		return aggregate{}
	}
	return aggregate{version: a.version, community: a.community.Clone(), matter: a.matter.Clone()}
}

// version returns an aggregate's cached version (0 if unknown).
func (c *cache) version(subject string) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a := c.aggs[subject]; a != nil {
		return a.version
	}
	return 0
}

// put stores the state after our own append, unless the follower has
// already moved the aggregate further.
func (c *cache) put(subject string, a aggregate) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur := c.aggs[subject]; cur != nil && cur.version >= a.version {
		return
	}
	c.aggs[subject] = &aggregate{version: a.version, community: a.community, matter: a.matter}
}

// waitFor blocks until the follower has applied sequence seq or ctx ends.
func (c *cache) waitFor(ctx context.Context, seq uint64) error {
	stop := context.AfterFunc(ctx, func() {
		c.mu.Lock()
		c.cond.Broadcast()
		c.mu.Unlock()
	})
	defer stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.pos < seq && ctx.Err() == nil {
		c.cond.Wait()
	}
	return ctx.Err()
}

func (c *cache) setReady() {
	c.mu.Lock()
	c.ready = true
	c.cond.Broadcast()
	c.mu.Unlock()
}

func (c *cache) waitReady(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		c.mu.Lock()
		c.cond.Broadcast()
		c.mu.Unlock()
	})
	defer stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	for !c.ready && ctx.Err() == nil {
		c.cond.Wait()
	}
	return ctx.Err()
}
