// Package command is gongkai's command service: it loads an aggregate's
// state, decides with the pure domain and appends the events at the version
// it decided on.
package command

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/eventstore"
)

// MaxBatch is the most commands one batch request may hold.
const MaxBatch = 1000

// Command is one command as the API receives it.
type Command struct {
	Type          string          `json:"type"`
	AggregateID   string          `json:"aggregate_id"`
	EffectiveDate string          `json:"effective_date"`
	Data          json.RawMessage `json:"data"`
}

// Request is one or more commands that commit together.
type Request struct {
	Community      string
	IdempotencyKey string
	// Actor is who sends the request, with the roles it holds; its ID is
	// recorded with every event.
	Actor domain.Actor
	// IfMatch, when set, is the version the client expects the aggregate of
	// a single-command request to have.
	IfMatch  *uint64
	Commands []Command
	// DryRun decides every command against the current state and records
	// nothing: Execute returns the errors a real request would, or an
	// empty Result.
	DryRun bool
}

// Error is the failure of one command of a request; Index is its position.
type Error struct {
	Index int
	Type  string
	Err   error
}

func (e *Error) Error() string { return fmt.Sprintf("command %d (%s): %v", e.Index, e.Type, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// ErrTooMany is returned for a batch of more than MaxBatch commands, or with
// more than eventstore.MaxEventsPerRequest events.
var ErrTooMany = errors.New("too many commands in one request")

// ErrEmpty is returned for a request without commands.
var ErrEmpty = errors.New("no commands")

// ErrForbidden is wrapped in an *Error for a command the actor may not send.
var ErrForbidden = errors.New("the actor's roles do not allow this command")

// Service executes commands.
type Service struct {
	store  *eventstore.Store
	now    func() time.Time
	newID  func() string
	log    *slog.Logger
	cache  *cache
	locks  keyedLocks
	target uint64
	// Observe receives the facts of the kept types (KeptTypes) the feed
	// delivers, and this instance's own events as soon as they are
	// appended (so a new account can sign in at once). An own event may
	// arrive twice (own, then from the feed, when the feed delivered it
	// before the append returned); Fact.Seq tells.
	Observe []func(Fact)
}

// Fact is one domain event of the log.
type Fact struct {
	Seq                                   uint64
	Community, AggregateType, AggregateID string
	Actor                                 string
	RecordedAt                            time.Time
	Date                                  domain.Date
	Event                                 domain.Event
}

// New returns a service over store. now and newID are the injected clock and
// event id generator.
func New(store *eventstore.Store, now func() time.Time, newID func() string, log *slog.Logger) *Service {
	return &Service{store: store, now: now, newID: newID, log: log, cache: newCache(0)}
}

// LimitCache sets how many aggregates of the types not kept whole the cache
// holds (DefaultMaxCached if n <= 0); call it before Start.
func (s *Service) LimitCache(n int) { s.cache = newCache(n) }

// Start prepares the service to be fed the stream (see projector.Feed);
// it accepts commands once it has applied target. When the store's index
// already reaches a sequence P (restored from its snapshot at Open), the
// aggregates of the kept types are read from their own messages up to P,
// which the store lists, and the feed starts after P: a restart reads only
// what is new. Otherwise the feed starts at 1 and the cache builds them as
// it passes.
func (s *Service) Start(ctx context.Context, target uint64) (uint64, error) {
	s.target = target
	from := uint64(1)
	if p := s.store.Indexed(); p > 0 {
		start, n := time.Now(), 0
		err := s.store.ReadTypes(ctx, p, func(st eventstore.Stored) error {
			s.apply(st)
			n++
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("read the kept aggregates: %w", err)
		}
		s.log.Info("command service: kept aggregates read from their own messages; following the stream after them",
			"messages", n, "through_seq", p, "from_seq", p+1, "took", time.Since(start))
		s.cache.mu.Lock()
		s.cache.pos = max(s.cache.pos, p)
		s.cache.mu.Unlock()
		from = p + 1
	}
	if target < from {
		s.cache.setReady()
	}
	return from, nil
}

// Handle applies one event to the aggregate cache and tells the observers.
func (s *Service) Handle(_ context.Context, st eventstore.Stored) error {
	s.apply(st)
	if st.Seq == s.target {
		s.cache.setReady()
	}
	return nil
}

// apply folds one stored event into the cache and passes a fact of a kept
// type to Observe.
func (s *Service) apply(st eventstore.Stored) {
	ev := s.cache.applyStored(st)
	if ev != nil && len(s.Observe) > 0 {
		date, _ := domain.ParseDate(st.EffectiveDate)
		f := Fact{Seq: st.Seq, Community: st.Community, AggregateType: st.AggregateType, AggregateID: st.AggregateID,
			Actor: st.Actor, RecordedAt: st.RecordedAt, Date: date, Event: ev}
		for _, fn := range s.Observe {
			fn(f)
		}
	}
}

// Ready reports whether the service has caught up with the stream.
func (s *Service) Ready() bool { return s.cache.isReady() }

// Figures are what the service holds and when it became ready, for
// /metrics.
type Figures struct {
	// Aggregates is the number of aggregates in the cache.
	Aggregates int
	// Loads is how many aggregates were read from their subjects, and
	// Evictions how many were dropped from the cache for room.
	Loads, Evictions uint64
	// ReadyAt is when the service first caught up (zero before).
	ReadyAt time.Time
}

// Figures returns the service's figures now.
func (s *Service) Figures() Figures {
	s.cache.mu.RLock()
	defer s.cache.mu.RUnlock()
	return Figures{Aggregates: len(s.cache.aggs), Loads: s.cache.loads.Load(), Evictions: s.cache.evictions.Load(),
		ReadyAt: s.cache.readyAt}
}

// Fingerprint identifies a request's content for idempotency.
func Fingerprint(community string, cmds []Command) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", community)
	for _, c := range cmds {
		var data bytes.Buffer
		if err := json.Compact(&data, c.Data); err != nil {
			data.Write(c.Data)
		}
		fmt.Fprintf(h, "%q %q %q %s\n", c.Type, c.AggregateID, c.EffectiveDate, data.Bytes())
	}
	return hex.EncodeToString(h.Sum(nil))
}

type decoded struct {
	cmd         domain.Command
	cmdType     string
	aggregateID string
	subject     string
	aggType     string
	date        domain.Date
}

// Execute decides and appends a request. It returns the stored result (the
// original one for a retried idempotency key), an *Error wrapping a
// *domain.ValidationError, *domain.RuleError, *domain.NotFoundError or
// ErrForbidden, a *ConflictError, *RefusedError, ErrIdempotencyMismatch,
// ErrTooMany, ErrTooManyEvents or ErrEmpty.
func (s *Service) Execute(ctx context.Context, req Request) (Result, error) {
	res, err := s.execute(ctx, req)
	return resultOf(res), translate(err)
}

func (s *Service) execute(ctx context.Context, req Request) (eventstore.Result, error) {
	switch {
	case len(req.Commands) == 0:
		return eventstore.Result{}, ErrEmpty
	case len(req.Commands) > MaxBatch:
		return eventstore.Result{}, ErrTooMany
	}
	if err := s.cache.waitReady(ctx); err != nil {
		return eventstore.Result{}, err
	}
	if err := s.store.Writable(); err != nil {
		return eventstore.Result{}, err
	}
	cmds := make([]decoded, len(req.Commands))
	subjects := make([]string, 0, len(req.Commands))
	town := s.townOf(req.Community)
	for i, c := range req.Commands {
		// Who may send what is checked before the data is looked at; the
		// full check, with the decided data, follows in decide.
		if !mayTry(req.Actor, c.Type, req.Community, town) {
			return eventstore.Result{}, &Error{Index: i, Type: c.Type, Err: ErrForbidden}
		}
		d, err := decode(req.Community, c)
		if err != nil {
			return eventstore.Result{}, &Error{Index: i, Type: c.Type, Err: err}
		}
		cmds[i] = d
		subjects = append(subjects, d.subject)
	}
	unlock := s.locks.lock(subjects)
	defer unlock()
	if err := s.ensure(ctx, subjects); err != nil {
		return eventstore.Result{}, err
	}

	fp := Fingerprint(req.Community, req.Commands)
	// A retry is answered before deciding: deciding again could fail on the
	// state the original request created.
	var upTo uint64
	for _, d := range cmds {
		upTo = max(upTo, s.cache.version(d.subject))
	}
	if res, ok, err := s.store.Lookup(ctx, req.Community, req.IdempotencyKey, fp, upTo); ok || err != nil {
		return res, err
	}
	for attempt, loads := 0, 0; ; attempt++ {
		d, missing, err := s.decide(ctx, req, cmds)
		if len(missing) > 0 {
			// Deciding looked at aggregates that are not cached: load
			// them and decide again. What it decided without them is
			// never used.
			if loads++; loads > 4 {
				return eventstore.Result{}, fmt.Errorf("the aggregates the request needs do not stay in the command cache (--cache-aggregates %d): %v", s.cache.max, missing)
			}
			attempt--
			if err := s.ensure(ctx, missing); err != nil {
				return eventstore.Result{}, err
			}
			continue
		}
		if errors.Is(err, errRetry) && attempt < 3 {
			s.forget(subjects)
			if err := s.catchUp(ctx, *req.IfMatch); err != nil {
				return eventstore.Result{}, err
			}
			continue
		}
		if err != nil {
			return eventstore.Result{}, err
		}
		if req.DryRun {
			return eventstore.Result{}, nil
		}
		d.req.Fingerprint = fp
		res, err := s.store.Append(ctx, d.req)
		var ce *eventstore.ConflictError
		if errors.As(err, &ce) && req.IfMatch == nil && attempt < 3 {
			// Another instance moved the aggregate: catch up and decide
			// again, with the aggregates read again from the log if the
			// cache does not keep their type whole (what it held may have
			// missed an event).
			s.forget(subjects)
			if s.catchUp(ctx, ce.Current) == nil {
				if err := s.ensure(ctx, subjects); err != nil {
					return eventstore.Result{}, err
				}
				continue
			}
		}
		if err != nil {
			return eventstore.Result{}, err
		}
		if !res.Replayed {
			s.applyOwn(req, cmds, d, res)
		}
		return res, nil
	}
}

// ensure loads the aggregates of subjects that the cache does not hold.
// One the store's index has never seen a message on is new: it is cached
// empty without a read.
func (s *Service) ensure(ctx context.Context, subjects []string) error {
	for _, subject := range subjects {
		if kept(subject) || s.cache.addIfNew(subject, s.store.SubjectVersion) {
			continue
		}
		if err := s.cache.load(ctx, s.store, subject); err != nil {
			return fmt.Errorf("load %s: %w", subject, err)
		}
	}
	return nil
}

// forget drops the cached states of subjects of types not kept whole.
func (s *Service) forget(subjects []string) {
	for _, subject := range subjects {
		s.cache.drop(subject)
	}
}

// catchUp waits, at most 5 seconds, for the feed to apply sequence seq.
func (s *Service) catchUp(ctx context.Context, seq uint64) error {
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.cache.waitFor(wctx, seq); err != nil {
		return fmt.Errorf("catch up to sequence %d: %w", seq, err)
	}
	return nil
}

func decode(community string, c Command) (decoded, error) {
	var fe []domain.FieldError
	aggType := domain.AggregateType(c.Type)
	if !domain.ValidAggregateID(c.AggregateID) {
		fe = append(fe, domain.FieldError{Field: "aggregate_id", Reason: "required; letters, digits, - and _ only, at most 64 characters",
			ReasonZH: "必填；仅限字母、数字、- 和 _，最多64个字符"})
	}
	date, err := domain.ParseDate(c.EffectiveDate)
	if err != nil {
		fe = append(fe, domain.FieldError{Field: "effective_date", Reason: "required: a real date written YYYY-MM-DD",
			ReasonZH: "必填：真实日期，格式 YYYY-MM-DD"})
	}
	cmd, err := domain.DecodeCommand(c.Type, c.Data)
	if err != nil {
		if errors.Is(err, domain.ErrUnknownCommand) {
			return decoded{}, err
		}
		vf, ok := domain.AsValidation(err)
		if !ok {
			return decoded{}, err
		}
		fe = append(fe, vf...)
	}
	if len(fe) > 0 {
		return decoded{}, &domain.ValidationError{Fields: fe}
	}
	return decoded{cmd: cmd, cmdType: c.Type, aggregateID: c.AggregateID, aggType: aggType, date: date,
		subject: eventstore.Subject(community, aggType, c.AggregateID)}, nil
}

// decided is the outcome of deciding a request: what to append, and the
// events to fold into the cache once the append succeeds.
type decided struct {
	req    eventstore.Request
	events [][]domain.Event // per command
}

// decide runs every command against the cached state, each seeing the
// events of the commands before it, and builds the append request. It
// holds the cache's read lock; states a later command of the batch may
// look at are copied before the batch's own events are folded into them.
// It also returns the subjects it looked at that are not cached: then
// what it decided is void, and Execute loads them and decides again.
func (s *Service) decide(ctx context.Context, req Request, cmds []decoded) (decided, []string, error) {
	s.cache.mu.RLock()
	defer s.cache.mu.RUnlock()
	overlay := map[string]view{}
	var missing []string
	state := func(subject string) view {
		if a, ok := overlay[subject]; ok {
			return a
		}
		v, ok := s.cache.lookup(subject)
		if !ok && !kept(subject) && !slices.Contains(missing, subject) {
			missing = append(missing, subject)
		}
		return v
	}
	commSubject := eventstore.Subject(req.Community, domain.AggregateCommunity, req.Community)
	now := s.now()
	out := decided{req: eventstore.Request{Community: req.Community, IdempotencyKey: req.IdempotencyKey}}
	for i, d := range cmds {
		c := req.Commands[i]
		target := state(d.subject)
		expected := target.version
		if i == 0 && req.IfMatch != nil && *req.IfMatch != target.version {
			return out, missing, s.ifMatchMismatch(ctx, d.subject, *req.IfMatch)
		}
		community, _ := state(commSubject).state.(*domain.Community)
		if err := allowed(req, d, community, target.state, func(id string) *domain.Community {
			c, _ := state(eventstore.Subject(id, domain.AggregateCommunity, id)).state.(*domain.Community)
			return c
		}); err != nil {
			return out, missing, &Error{Index: i, Type: c.Type, Err: err}
		}
		env := domain.EnvFor(domain.Env{
			Today: domain.DateOf(now), Date: d.date, CommunityID: req.Community,
			Community: community, AggregateID: c.AggregateID,
			LookupMatter: func(id string) *domain.Matter {
				m, _ := state(eventstore.Subject(req.Community, domain.AggregateMatter, id)).state.(*domain.Matter)
				return m
			},
			LookupBudget: func(year int) *domain.Budget {
				b, _ := state(eventstore.Subject(req.Community, domain.AggregateBudget, fmt.Sprint(year))).state.(*domain.Budget)
				return b
			},
			LookupCommunity: func(id string) *domain.Community {
				c, _ := state(eventstore.Subject(id, domain.AggregateCommunity, id)).state.(*domain.Community)
				return c
			},
			LookupAccount: func(login string) *domain.UserAccount {
				a, _ := state(eventstore.Subject(domain.SystemCommunity, domain.AggregateAccount, login)).state.(*domain.UserAccount)
				return a
			},
			LookupDisclosure: func(item string) *domain.Disclosure {
				d, _ := state(eventstore.Subject(req.Community, domain.AggregateDisclosure, item)).state.(*domain.Disclosure)
				return d
			},
			Actor: req.Actor.ID,
		}, target.state)
		events, err := d.cmd.Decide(env)
		if err != nil {
			return out, missing, &Error{Index: i, Type: c.Type, Err: err}
		}
		app := eventstore.Append{AggregateType: d.aggType, AggregateID: c.AggregateID, ExpectedVersion: expected}
		for _, ev := range events {
			data, err := json.Marshal(ev)
			if err != nil {
				return out, missing, fmt.Errorf("encode %s: %w", ev.EventType(), err)
			}
			app.Events = append(app.Events, eventstore.Event{
				ID: s.newID(), Type: ev.EventType(), Schema: domain.SchemaVersion, Community: req.Community,
				AggregateType: d.aggType, AggregateID: c.AggregateID, EffectiveDate: d.date.String(),
				RecordedAt: now.UTC(), Actor: req.Actor.ID, Data: data,
			})
		}
		out.req.Appends = append(out.req.Appends, app)
		out.events = append(out.events, events)
		if i < len(cmds)-1 && (d.aggType != domain.AggregateBooks || touchedLater(cmds[i+1:], d.subject)) {
			// Later commands of the batch must see these events. The books
			// are looked at by no other aggregate, and copying them costs
			// their size, so they are copied only when touched again. A
			// state already in the overlay is this batch's own copy.
			st := target.state
			if _, own := overlay[d.subject]; !own {
				st = domain.CloneState(st)
			}
			for _, ev := range events {
				st = domain.ApplyTo(st, d.aggType, c.AggregateID, ev, d.date)
			}
			overlay[d.subject] = view{version: target.version, state: st}
		}
	}
	return out, missing, nil
}

func touchedLater(rest []decoded, subject string) bool {
	for _, d := range rest {
		if d.subject == subject {
			return true
		}
	}
	return false
}

// ifMatchMismatch explains an If-Match that differs from the cached
// version: the client may have seen a later version, written by another
// instance, so the log decides.
func (s *Service) ifMatchMismatch(ctx context.Context, subject string, want uint64) error {
	cur, err := s.store.Version(ctx, subject)
	if err != nil {
		return err
	}
	if cur != want {
		return &eventstore.ConflictError{Subject: subject, Expected: want, Current: cur}
	}
	return errRetry
}

// errRetry asks Execute to wait for the feed and decide again.
var errRetry = errors.New("cache behind the log")

// applyOwn folds the events of a committed request into the cache and
// tells the observers.
func (s *Service) applyOwn(req Request, cmds []decoded, d decided, res eventstore.Result) {
	s.cache.mu.Lock()
	for i, ar := range res.Appends {
		if _, ok := s.cache.aggs[cmds[i].subject]; !ok && !kept(cmds[i].subject) {
			// Dropped from the cache since it was decided on: the feed
			// passes over its events meanwhile, so what it held would be
			// behind. It is loaded when it is needed again.
			continue
		}
		for j, ref := range ar.Events {
			s.cache.applyLocked(cmds[i].subject, cmds[i].aggType, ar.AggregateID, ref.Seq, d.events[i][j], cmds[i].date)
		}
	}
	s.cache.mu.Unlock()
	if len(s.Observe) == 0 {
		return
	}
	now := s.now().UTC()
	for i, ar := range res.Appends {
		for j, ref := range ar.Events {
			f := Fact{Seq: ref.Seq, Community: req.Community, AggregateType: cmds[i].aggType, AggregateID: ar.AggregateID,
				Actor: req.Actor.ID, RecordedAt: now, Date: cmds[i].date, Event: d.events[i][j]}
			for _, fn := range s.Observe {
				fn(f)
			}
		}
	}
}

// State returns a copy of an aggregate's current state (nil if it does not
// exist) and its version, as this instance knows it. An aggregate the
// cache does not hold is read from the log (nil if that fails; the error is
// logged).
func (s *Service) State(community, aggregateType, id string) (domain.State, uint64) {
	subject := eventstore.Subject(community, aggregateType, id)
	if err := s.loadFor(subject); err != nil {
		s.log.Warn("could not read an aggregate", "subject", subject, "err", err)
		return nil, 0
	}
	s.cache.mu.RLock()
	defer s.cache.mu.RUnlock()
	a := s.cache.view(subject)
	return domain.CloneState(a.state), a.version
}

// loadFor loads one aggregate for a reader, within 10 seconds.
func (s *Service) loadFor(subject string) error {
	if kept(subject) || s.cache.addIfNew(subject, s.store.SubjectVersion) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.ensure(ctx, []string{subject})
}

// keyedLocks serialises this process's commands on the same aggregates. A
// lock lives only while someone holds or waits for it.
type keyedLocks struct {
	mu    sync.Mutex
	locks map[string]*keyedLock
}

type keyedLock struct {
	sync.Mutex
	refs int
}

func (k *keyedLocks) lock(keys []string) (unlock func()) {
	keys = slices.Clone(keys)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyedLock{}
	}
	ls := make([]*keyedLock, len(keys))
	for i, key := range keys {
		l := k.locks[key]
		if l == nil {
			l = &keyedLock{}
			k.locks[key] = l
		}
		l.refs++
		ls[i] = l
	}
	k.mu.Unlock()
	for _, l := range ls {
		l.Lock()
	}
	return func() {
		for _, l := range ls {
			l.Unlock()
		}
		k.mu.Lock()
		for i, l := range ls {
			if l.refs--; l.refs == 0 {
				delete(k.locks, keys[i])
			}
		}
		k.mu.Unlock()
	}
}

// Communities returns the ids of the registered communities, sorted.
func (s *Service) Communities() []string {
	s.cache.mu.RLock()
	defer s.cache.mu.RUnlock()
	var out []string
	for _, a := range s.cache.aggs {
		if c, ok := a.state.(*domain.Community); ok && c != nil && c.Name != "" {
			out = append(out, c.ID)
		}
	}
	slices.Sort(out)
	return out
}
