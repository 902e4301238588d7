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
	// Actor names who sent the request (a token id).
	Actor string
	// Admin is set when the actor is the administrator.
	Admin bool
	// IfMatch, when set, is the version the client expects the aggregate of
	// a single-command request to have.
	IfMatch  *uint64
	Commands []Command
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
var ErrForbidden = errors.New("only the administrator may send this command")

// adminOnly are the command types that only the administrator may send: a
// clerk records the community's affairs, not its identity or its rules.
var adminOnly = map[string]bool{domain.CmdRegisterCommunity: true, domain.CmdAdoptRuleSet: true}

// Service executes commands.
type Service struct {
	store  *eventstore.Store
	now    func() time.Time
	newID  func() string
	log    *slog.Logger
	cache  *cache
	locks  keyedLocks
	target uint64
	// Also receives every event the service is fed (the token set does).
	Also []func(eventstore.Stored)
}

// New returns a service over store. now and newID are the injected clock and
// event id generator.
func New(store *eventstore.Store, now func() time.Time, newID func() string, log *slog.Logger) *Service {
	return &Service{store: store, now: now, newID: newID, log: log, cache: newCache()}
}

// Start prepares the service to be fed the whole stream (see
// projector.Feed); it accepts commands once it has applied target.
func (s *Service) Start(_ context.Context, target uint64) (uint64, error) {
	s.target = target
	if target == 0 {
		s.cache.setReady()
	}
	return 1, nil
}

// Handle applies one event to the aggregate cache and passes it to Also.
func (s *Service) Handle(_ context.Context, st eventstore.Stored) error {
	s.cache.applyStored(st)
	for _, fn := range s.Also {
		fn(st)
	}
	if st.Seq == s.target {
		s.cache.setReady()
	}
	return nil
}

// Ready reports whether the service has caught up with the stream.
func (s *Service) Ready() bool {
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	return s.cache.ready
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
	cmd     domain.Command
	subject string
	aggType string
	date    domain.Date
}

// Execute decides and appends a request. It returns the stored result (the
// original one for a retried idempotency key), an *Error wrapping a
// *domain.ValidationError, *domain.RuleError or *domain.NotFoundError, an
// *eventstore.ConflictError, eventstore.ErrIdempotencyMismatch, ErrTooMany
// or ErrEmpty.
func (s *Service) Execute(ctx context.Context, req Request) (eventstore.Result, error) {
	switch {
	case len(req.Commands) == 0:
		return eventstore.Result{}, ErrEmpty
	case len(req.Commands) > MaxBatch:
		return eventstore.Result{}, ErrTooMany
	}
	if err := s.cache.waitReady(ctx); err != nil {
		return eventstore.Result{}, err
	}
	cmds := make([]decoded, len(req.Commands))
	subjects := make([]string, 0, len(req.Commands))
	for i, c := range req.Commands {
		if adminOnly[c.Type] && !req.Admin {
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
	for attempt := 0; ; attempt++ {
		states, er, err := s.decide(ctx, req, cmds)
		if err != nil {
			return eventstore.Result{}, err
		}
		er.Fingerprint = fp
		res, err := s.store.Append(ctx, er)
		var ce *eventstore.ConflictError
		if errors.As(err, &ce) && req.IfMatch == nil && attempt < 3 {
			// Another instance moved the aggregate: catch up and decide again.
			wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			werr := s.cache.waitFor(wctx, ce.Current)
			cancel()
			if werr == nil {
				continue
			}
		}
		if err != nil {
			return eventstore.Result{}, err
		}
		if !res.Replayed {
			for i, ar := range res.Appends {
				a := states[cmds[i].subject]
				a.version = max(a.version, ar.Version)
				states[cmds[i].subject] = a
			}
			for subj, a := range states {
				s.cache.put(subj, a)
			}
		}
		return res, nil
	}
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
	return decoded{cmd: cmd, aggType: aggType, date: date,
		subject: eventstore.Subject(community, aggType, c.AggregateID)}, nil
}

// decide runs every command against the cached state, each seeing the
// events of the commands before it, and builds the append request.
func (s *Service) decide(ctx context.Context, req Request, cmds []decoded) (map[string]aggregate, eventstore.Request, error) {
	states := map[string]aggregate{}
	state := func(subject string) aggregate {
		if a, ok := states[subject]; ok {
			return a
		}
		a := s.cache.get(subject)
		states[subject] = a
		return a
	}
	commSubject := eventstore.Subject(req.Community, domain.AggregateCommunity, req.Community)
	now := s.now()
	er := eventstore.Request{Community: req.Community, IdempotencyKey: req.IdempotencyKey}
	for i, d := range cmds {
		c := req.Commands[i]
		target := state(d.subject)
		if i == 0 && req.IfMatch != nil && *req.IfMatch != target.version {
			if *req.IfMatch < target.version {
				return nil, er, &eventstore.ConflictError{Subject: d.subject, Expected: *req.IfMatch, Current: target.version}
			}
			// The client may have seen a later version than our cache (written
			// by another instance): ask the log, and catch up if it is so.
			cur, err := s.store.Version(ctx, d.subject)
			if err != nil {
				return nil, er, err
			}
			if cur != *req.IfMatch {
				return nil, er, &eventstore.ConflictError{Subject: d.subject, Expected: *req.IfMatch, Current: cur}
			}
			wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err = s.cache.waitFor(wctx, cur)
			cancel()
			if err != nil {
				return nil, er, fmt.Errorf("catch up to version %d: %w", cur, err)
			}
			delete(states, d.subject)
			target = state(d.subject)
		}
		env := domain.Env{
			Today: domain.DateOf(now), Date: d.date, CommunityID: req.Community,
			Community: state(commSubject).community, AggregateID: c.AggregateID, Matter: target.matter,
			LookupMatter: func(id string) *domain.Matter {
				return state(eventstore.Subject(req.Community, domain.AggregateMatter, id)).matter
			},
		}
		events, err := d.cmd.Decide(env)
		if err != nil {
			return nil, er, &Error{Index: i, Type: c.Type, Err: err}
		}
		app := eventstore.Append{AggregateType: d.aggType, AggregateID: c.AggregateID, ExpectedVersion: target.version}
		if i == 0 && req.IfMatch != nil {
			app.ExpectedVersion = *req.IfMatch
		}
		for _, ev := range events {
			data, err := json.Marshal(ev)
			if err != nil {
				return nil, er, fmt.Errorf("encode %s: %w", ev.EventType(), err)
			}
			app.Events = append(app.Events, eventstore.Event{
				ID: s.newID(), Type: ev.EventType(), Schema: domain.SchemaVersion, Community: req.Community,
				AggregateType: d.aggType, AggregateID: c.AggregateID, EffectiveDate: d.date.String(),
				RecordedAt: now.UTC(), Actor: req.Actor, Data: data,
			})
			switch d.aggType {
			case domain.AggregateCommunity:
				if target.community == nil {
					target.community = &domain.Community{ID: c.AggregateID}
				}
				target.community.Apply(ev)
			case domain.AggregateMatter:
				if target.matter == nil {
					target.matter = &domain.Matter{ID: c.AggregateID}
				}
				target.matter.Apply(ev, d.date)
			}
		}
		states[d.subject] = target
		er.Appends = append(er.Appends, app)
	}
	return states, er, nil
}

// keyedLocks serialises this process's commands on the same aggregates.
type keyedLocks struct {
	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

func (k *keyedLocks) lock(keys []string) (unlock func()) {
	keys = slices.Clone(keys)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*sync.Mutex{}
	}
	ms := make([]*sync.Mutex, len(keys))
	for i, key := range keys {
		if k.locks[key] == nil {
			k.locks[key] = &sync.Mutex{}
		}
		ms[i] = k.locks[key]
	}
	k.mu.Unlock()
	for _, m := range ms {
		m.Lock()
	}
	return func() {
		for _, m := range ms {
			m.Unlock()
		}
	}
}
