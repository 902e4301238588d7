package command

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/eventstore"
)

// KeptTypes are the aggregate types the cache keeps whole, every aggregate
// of them from the stream: few and small (communities, accounts, tokens,
// evaluation plans), and looked at by deciding, signing in and listing
// without a subject to load. Every other aggregate (matters, budgets, books,
// disclosures, questions) is kept while it is used and loaded from its own
// subject when it is needed again (ADR 0012). The store lists the kept
// types' messages (eventstore.Config.ListTypes), so that a restart reads
// only them and what is new.
var KeptTypes = []string{domain.AggregateCommunity, domain.AggregateAccount, domain.AggregateToken, domain.AggregateEvaluation}

// DefaultMaxCached is how many aggregates of the other types the cache
// holds by default (about 800 bytes a matter; a community's books are
// larger).
const DefaultMaxCached = 20000

// MinCached is the least limit a server should run with: a batch of
// MaxBatch commands may need twice as many aggregates at once.
const MinCached = 2 * MaxBatch

// cache holds the state of the aggregates deciding needs: every aggregate
// of the kept types, and the most recently used of the others, at most max
// of them. A state is current as of the feed's position: the feed applies
// every event of a cached aggregate, and passes over the others without
// decoding them.
//
// States are changed in place, under mu's write lock: by the feed for
// events of other instances, by Execute for its own appends, and by a load.
// Deciding reads states under the read lock and never changes them.
type cache struct {
	mu    sync.RWMutex
	cond  *sync.Cond
	pos   uint64 // last stream sequence the feed applied
	aggs  map[string]*aggregate
	ready bool
	// readyAt is when the cache first caught up with the stream.
	readyAt time.Time
	// loading collects the feed's events for aggregates being loaded.
	loading map[string]*loadingAgg
	// max is how many aggregates of the other types it keeps; evictable
	// counts them.
	max       int
	evictable int
	clock     atomic.Uint64 // ticks for used
	loads     atomic.Uint64
	evictions atomic.Uint64
	// afterRead, in tests, runs after a load has read its subject.
	afterRead func()
}

// aggregate is the cached state of one aggregate; version is the stream
// sequence of its last message.
type aggregate struct {
	version uint64
	state   domain.State
	kept    bool
	used    atomic.Uint64 // clock tick of its last use
}

// view is an aggregate's version and state as deciding sees them.
type view struct {
	version uint64
	state   domain.State
}

// loadingAgg is an aggregate being read from its subject: the events the
// feed delivers for it meanwhile wait here.
type loadingAgg struct {
	done   chan struct{}
	stored []eventstore.Stored
}

func newCache(maxCached int) *cache {
	if maxCached <= 0 {
		maxCached = DefaultMaxCached
	}
	c := &cache{aggs: map[string]*aggregate{}, loading: map[string]*loadingAgg{}, max: maxCached}
	c.cond = sync.NewCond(&c.mu)
	return c
}

// kept reports whether the aggregate type of subject ("ledger.<community>.
// <type>.<id>") is one the cache keeps whole.
func kept(subject string) bool {
	// The third token, found without splitting (this runs for every
	// event the feed delivers).
	rest := subject
	for range 2 {
		i := strings.IndexByte(rest, '.')
		if i < 0 {
			return false
		}
		rest = rest[i+1:]
	}
	if i := strings.IndexByte(rest, '.'); i >= 0 {
		rest = rest[:i]
	}
	return slices.Contains(KeptTypes, rest)
}

// split returns a subject's community, aggregate type and id.
func split(subject string) (community, aggType, id string) {
	f := strings.SplitN(subject, ".", 4)
	if len(f) != 4 {
		return "", "", ""
	}
	return f[1], f[2], f[3]
}

// applyStored folds one event from the feed and returns it when it is a
// domain event, a fact, of a kept type.
func (c *cache) applyStored(st eventstore.Stored) domain.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pos = max(c.pos, st.Seq)
	defer c.cond.Broadcast()
	// Whether a type is kept is read from the subject, never from the
	// message's own fields (a forged message could claim another type).
	isKept := kept(st.Subject)
	a := c.aggs[st.Subject]
	if a == nil && !isKept {
		if l := c.loading[st.Subject]; l != nil {
			l.stored = append(l.stored, st)
		}
		// Not cached: loaded from its subject when it is needed.
		return nil
	}
	ev := c.foldLocked(st)
	if ev == nil || !isKept {
		return nil
	}
	return ev
}

// foldLocked folds one stored message into its aggregate (creating it)
// and returns the domain event if it was a fact and new.
func (c *cache) foldLocked(st eventstore.Stored) domain.Event {
	a := c.aggs[st.Subject]
	if a != nil && st.Seq <= a.version {
		// This instance's own append, applied (and observed) when it was
		// acknowledged, or a message a load had read: not decoded again.
		return nil
	}
	if st.Rejected != "" {
		// Not a fact: the aggregate's state ignores it, but its subject's
		// last sequence (what an append checks) has moved.
		c.getLocked(st.Subject).version = st.Seq
		return nil
	}
	ev, err := domain.DecodeEvent(st.Type, st.Schema, st.Data)
	if err != nil {
		// Not a domain event (a writer key); read models report the rest.
		c.getLocked(st.Subject).version = st.Seq
		return nil
	}
	date, _ := domain.ParseDate(st.EffectiveDate)
	c.applyLocked(st.Subject, st.AggregateType, st.AggregateID, st.Seq, ev, date)
	return ev
}

// getLocked returns a subject's cached aggregate, adding an empty one.
func (c *cache) getLocked(subject string) *aggregate {
	a := c.aggs[subject]
	if a == nil {
		a = &aggregate{kept: kept(subject)}
		a.used.Store(c.clock.Add(1))
		c.aggs[subject] = a
		if !a.kept {
			c.evictable++
			c.evictLocked(subject)
		}
	}
	return a
}

func (c *cache) applyLocked(subject, aggType, id string, seq uint64, ev domain.Event, date domain.Date) {
	a := c.getLocked(subject)
	if seq <= a.version {
		return // applied already (our own append, or a redelivery)
	}
	a.state = domain.ApplyTo(a.state, aggType, id, ev, date)
	a.version = seq
}

// evictLocked drops the least recently used evictable aggregates, other
// than subject, once there are more than max of them: down to seven
// eighths of max, so that it sorts once in a while, not on every load.
func (c *cache) evictLocked(subject string) {
	if c.evictable <= c.max {
		return
	}
	type use struct {
		subject string
		tick    uint64
	}
	uses := make([]use, 0, c.evictable)
	for s, a := range c.aggs {
		if !a.kept && s != subject {
			uses = append(uses, use{s, a.used.Load()})
		}
	}
	slices.SortFunc(uses, func(a, b use) int { return cmp.Compare(a.tick, b.tick) })
	n := c.evictable - c.max + c.max/8
	for _, u := range uses[:min(n, len(uses))] {
		delete(c.aggs, u.subject)
		c.evictable--
		c.evictions.Add(1)
	}
}

// drop forgets an evictable aggregate (its cached state may be
// behind the log); the next use loads it again.
func (c *cache) drop(subject string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a := c.aggs[subject]; a != nil && !a.kept {
		delete(c.aggs, subject)
		c.evictable--
	}
}

// lookup returns a cached aggregate's version and state, and whether it is
// cached; the caller holds the read lock and must not change the state.
func (c *cache) lookup(subject string) (view, bool) {
	a := c.aggs[subject]
	if a == nil {
		return view{}, false
	}
	a.used.Store(c.clock.Add(1))
	return view{version: a.version, state: a.state}, true
}

// view returns the state and version of a cached aggregate (zero if it is
// not cached); the caller holds the read lock.
func (c *cache) view(subject string) view {
	v, _ := c.lookup(subject)
	return v
}

// version returns an aggregate's cached version (0 if unknown).
func (c *cache) version(subject string) uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.view(subject).version
}

// addIfNew reports whether subject's aggregate is cached, first caching it
// empty if version (the store's index) has seen no message on it. It
// decides under the lock, which the feed takes only after the index has
// seen a message: an event the feed has passed over is never missed.
func (c *cache) addIfNew(subject string, version func(string) (uint64, bool)) bool {
	c.mu.RLock()
	_, ok := c.aggs[subject]
	c.mu.RUnlock()
	if ok {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.aggs[subject]; ok {
		return true
	}
	if c.loading[subject] != nil {
		return false
	}
	if _, seen := version(subject); seen {
		return false
	}
	c.getLocked(subject)
	return true
}

// load reads an aggregate of a type the cache does not keep whole from its
// subject and caches it. The feed's events for the subject that arrive
// while it reads are kept and folded in after what it read, so that none
// is lost.
func (c *cache) load(ctx context.Context, store *eventstore.Store, subject string) error {
	c.mu.Lock()
	for {
		if _, ok := c.aggs[subject]; ok {
			c.mu.Unlock()
			return nil
		}
		l := c.loading[subject]
		if l == nil {
			break
		}
		c.mu.Unlock()
		select {
		case <-l.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		c.mu.Lock()
	}
	l := &loadingAgg{done: make(chan struct{})}
	c.loading[subject] = l
	c.mu.Unlock()

	community, aggType, id := split(subject)
	stored, _, err := store.Load(ctx, community, aggType, id)
	if c.afterRead != nil {
		c.afterRead()
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.loading, subject)
	close(l.done)
	if err != nil {
		return err
	}
	c.loads.Add(1)
	// Cached even when the log holds nothing on it yet: the feed then
	// folds in whatever is stored on it next.
	c.getLocked(subject)
	for _, st := range append(stored, l.stored...) {
		c.foldLocked(st)
	}
	return nil
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
