// Package postgres keeps gongkai's read models in PostgreSQL.
//
// Each build of a read model lives in its own schema with two tables: docs,
// the documents of each community's state (projections.State), and position,
// the last stream sequence applied. A batch of events and the new position
// are written in one transaction, so a crash never applies an event twice or
// skips one. gongkai.read_models names the live schema of each read model;
// a rebuild fills a fresh schema and switches to it in one transaction.
package postgres

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/projections"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate applies the embedded migrations of the control schema, recording
// each in gongkai.migrations. It is safe to run from several instances.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback(ctx)
	// One instance migrates at a time.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7261001)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS gongkai;
		CREATE TABLE IF NOT EXISTS gongkai.migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		v, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(name, "migrations/"), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
		var done bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM gongkai.migrations WHERE version = $1)`, v).Scan(&done); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if done {
			continue
		}
		sql, _ := migrations.ReadFile(name)
		if _, err := tx.Exec(ctx, string(sql)); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO gongkai.migrations (version) VALUES ($1)`, v); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	return tx.Commit(ctx)
}

// Backend keeps one read model in PostgreSQL. It implements
// projections.Backend. Any number of instances may read; only the one that
// holds the read model's writer lock (see Writer) may Apply.
type Backend struct {
	pool  *pgxpool.Pool
	model projections.Model
	log   *slog.Logger

	mu     sync.Mutex
	schema string                       // the schema the states below came from
	states map[string]*cachedState      // community -> state, for reads
	wstate map[string]projections.State // the writer's states, valid for schema at wpos
	wpos   uint64
	// wused is when each of wstate's communities was last written (Unix
	// nanoseconds); see TrimStates.
	wused map[string]int64
}

// What a backend keeps in memory (ADR 0012): a community's state, for
// reading or for its writer, is dropped once it has not been used for
// idleStates, and beyond maxStates the least recently used go first; a
// dropped one is loaded from its documents when it is needed again, so
// that what the process holds does not grow with the log. The idle time
// keeps the communities in use warm (reloading one costs each read model
// a read of all its documents: about 10 ms a command for a community of
// a thousand events in the county benchmark).
var (
	maxStates  = 1000
	idleStates = 10 * time.Minute
)

type cachedState struct {
	mu    sync.Mutex
	seq   uint64 // position the state was refreshed at
	docs  int    // documents loaded so far
	state projections.State
	used  atomic.Int64 // when it was last read, Unix nanoseconds
}

// New returns the backend of model. The control schema must be migrated.
// When the read model has no build yet, New creates its first schema.
func New(ctx context.Context, pool *pgxpool.Pool, model projections.Model, log *slog.Logger) (*Backend, error) {
	b := &Backend{pool: pool, model: model, log: log.With("read_model", model.Name), states: map[string]*cachedState{}}
	if _, _, err := b.live(ctx, pool); errors.Is(err, pgx.ErrNoRows) {
		schema, err := b.CreateBuild(ctx)
		if err != nil {
			return nil, err
		}
		_, err = pool.Exec(ctx, `INSERT INTO gongkai.read_models (name, schema_name, code_version) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO NOTHING`, model.Name, schema, model.Version)
		if err != nil {
			return nil, fmt.Errorf("%s: register: %w", model.Name, err)
		}
	} else if err != nil {
		return nil, err
	}
	return b, nil
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// live returns the live schema and its code version.
func (b *Backend) live(ctx context.Context, q querier) (schema string, version int, err error) {
	err = q.QueryRow(ctx, `SELECT schema_name, code_version FROM gongkai.read_models WHERE name = $1`, b.model.Name).Scan(&schema, &version)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		err = fmt.Errorf("%s: live schema: %w", b.model.Name, err)
	}
	return schema, version, err
}

// CreateBuild creates an empty schema for a new build and returns its name.
func (b *Backend) CreateBuild(ctx context.Context) (string, error) {
	var n int64
	if err := b.pool.QueryRow(ctx, `SELECT nextval('gongkai.builds')`).Scan(&n); err != nil {
		return "", fmt.Errorf("%s: new build: %w", b.model.Name, err)
	}
	schema := fmt.Sprintf("rm_%s_v%d_%d", b.model.Name, b.model.Version, n)
	s := pgx.Identifier{schema}.Sanitize()
	_, err := b.pool.Exec(ctx, `CREATE SCHEMA `+s+`;
		CREATE TABLE `+s+`.docs (
			community text NOT NULL, kind text NOT NULL, key text NOT NULL,
			ord bigint NOT NULL, seq bigint NOT NULL, body jsonb NOT NULL,
			PRIMARY KEY (community, kind, key));
		CREATE INDEX ON `+s+`.docs (community, seq);
		CREATE TABLE `+s+`.position (
			id integer PRIMARY KEY DEFAULT 1 CHECK (id = 1), seq bigint NOT NULL, at timestamptz);
		INSERT INTO `+s+`.position (seq) VALUES (0);`)
	if err != nil {
		return "", fmt.Errorf("%s: create %s: %w", b.model.Name, schema, err)
	}
	return schema, nil
}

// Name returns the read model's name.
func (b *Backend) Name() string { return b.model.Name }

// Model returns the read model.
func (b *Backend) Model() projections.Model { return b.model }

// Position returns the live build's last applied sequence.
func (b *Backend) Position(ctx context.Context) (uint64, error) {
	p, err := b.At(ctx)
	return p.Seq, err
}

// At returns the live build's position.
func (b *Backend) At(ctx context.Context) (projections.Position, error) {
	var p projections.Position
	err := retrySwitched(func() (err error) {
		p, err = b.at(ctx)
		return err
	})
	return p, err
}

func (b *Backend) at(ctx context.Context) (projections.Position, error) {
	tx, err := b.pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return projections.Position{}, err
	}
	defer tx.Rollback(ctx)
	schema, _, err := b.live(ctx, tx)
	if err != nil {
		return projections.Position{}, err
	}
	return positionOf(ctx, tx, schema)
}

func positionOf(ctx context.Context, q querier, schema string) (projections.Position, error) {
	var p projections.Position
	var at *time.Time
	err := q.QueryRow(ctx, `SELECT seq, at FROM `+pgx.Identifier{schema}.Sanitize()+`.position`).Scan(&p.Seq, &at)
	if at != nil {
		p.Time = at.UTC()
	}
	if err != nil {
		return p, fmt.Errorf("position of %s: %w", schema, err) // wraps the PgError for retrySwitched
	}
	return p, nil
}

// View loads a community's state from the live build (refreshing a cached
// copy with the documents changed since it was loaded) and calls fn.
func (b *Backend) View(ctx context.Context, community string, fn func(projections.State, projections.Position) error) error {
	return retrySwitched(func() error { return b.view(ctx, community, fn) })
}

// retrySwitched retries a read that raced a rebuild's switch: it read the
// old build's name just before the old build was dropped.
func retrySwitched(read func() error) error {
	var err error
	for range 3 {
		err = read()
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || (pgErr.Code != "42P01" && pgErr.Code != "3F000") {
			return err
		}
	}
	return err
}

func (b *Backend) view(ctx context.Context, community string, fn func(projections.State, projections.Position) error) error {
	tx, err := b.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("%s: view: %w", b.model.Name, err)
	}
	defer tx.Rollback(ctx)
	schema, _, err := b.live(ctx, tx)
	if err != nil {
		return err
	}
	pos, err := positionOf(ctx, tx, schema)
	if err != nil {
		return err
	}
	b.mu.Lock()
	if b.schema != schema {
		b.schema, b.states, b.wstate = schema, map[string]*cachedState{}, nil
	}
	cs := b.states[community]
	if cs == nil {
		cs = &cachedState{}
		b.states[community] = cs
		b.trimReadsLocked(community)
	}
	cs.used.Store(time.Now().UnixNano())
	b.mu.Unlock()

	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.state == nil || cs.seq != pos.Seq {
		if cs.state == nil {
			cs.state, cs.seq, cs.docs = b.model.New(community), 0, 0
		}
		n, err := loadDocs(ctx, tx, schema, community, cs.seq, cs.state)
		if err != nil {
			cs.state = nil
			return err
		}
		cs.seq, cs.docs = pos.Seq, cs.docs+n
	}
	if cs.docs == 0 {
		return fn(nil, pos)
	}
	return fn(cs.state, pos)
}

// loadDocs loads into st the documents of community changed after sequence
// since, in the order they were first written, and returns how many.
func loadDocs(ctx context.Context, tx pgx.Tx, schema, community string, since uint64, st projections.State) (int, error) {
	rows, err := tx.Query(ctx, `SELECT kind, key, body::text FROM `+pgx.Identifier{schema}.Sanitize()+`.docs
		WHERE community = $1 AND seq > $2 ORDER BY ord, kind, key`, community, since)
	if err != nil {
		return 0, fmt.Errorf("load %s: %w", community, err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var k projections.DocKey
		var body string
		if err := rows.Scan(&k.Kind, &k.Key, &body); err != nil {
			return n, err
		}
		if err := st.Load(k, []byte(body)); err != nil {
			return n, fmt.Errorf("load %s %v: %w", community, k, err)
		}
		n++
	}
	return n, rows.Err()
}

// Apply writes events into the live build in one transaction with the new
// position. Events at or below the position are skipped. It must be called
// only by the holder of the writer lock.
func (b *Backend) Apply(ctx context.Context, events []projections.Event) error {
	return b.applyTo(ctx, "", events)
}

// applyTo applies events to schema (the live one when empty).
func (b *Backend) applyTo(ctx context.Context, schema string, events []projections.Event) error {
	tx, err := b.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("%s: apply: %w", b.model.Name, err)
	}
	defer tx.Rollback(ctx)
	if schema == "" {
		// FOR SHARE holds off a rebuild's switch until this batch commits.
		if err := tx.QueryRow(ctx, `SELECT schema_name FROM gongkai.read_models WHERE name = $1 FOR SHARE`, b.model.Name).Scan(&schema); err != nil {
			return fmt.Errorf("%s: apply: live schema: %w", b.model.Name, err)
		}
	}
	s := pgx.Identifier{schema}.Sanitize()
	var pos uint64
	if err := tx.QueryRow(ctx, `SELECT seq FROM `+s+`.position FOR UPDATE`).Scan(&pos); err != nil {
		return fmt.Errorf("%s: apply: %w", b.model.Name, err)
	}
	b.mu.Lock()
	if b.schema != schema {
		b.schema, b.states, b.wstate = schema, map[string]*cachedState{}, nil
	}
	if b.wstate == nil || b.wpos != pos {
		// Our states are only good for the position we last wrote: another
		// writer, or a failed batch, may have moved on since.
		b.wstate, b.wused = map[string]projections.State{}, map[string]int64{}
	}
	wstate, wused := b.wstate, b.wused
	b.mu.Unlock()

	type docRef struct {
		community string
		key       projections.DocKey
	}
	changed := map[docRef]uint64{} // last sequence that changed the document
	first := map[docRef]uint64{}   // first, its order if the document is new
	var order []docRef
	var last projections.Event
	for _, e := range events {
		if e.Seq <= pos {
			continue
		}
		last = e
		if !projections.Wanted(b.model, e) {
			continue
		}
		st := wstate[e.Community]
		if st == nil {
			st = b.model.New(e.Community)
			if _, err := loadDocs(ctx, tx, schema, e.Community, 0, st); err != nil {
				return b.forget(err)
			}
			wstate[e.Community] = st
		}
		wused[e.Community] = time.Now().UnixNano()
		ev, err := domain.DecodeEvent(e.Type, e.Schema, e.Data)
		if err != nil {
			return b.forget(fmt.Errorf("%s: event %d: %w", b.model.Name, e.Seq, err))
		}
		keys, err := st.Apply(e, ev)
		if err != nil {
			return b.forget(fmt.Errorf("%s: event %d: %w", b.model.Name, e.Seq, err))
		}
		for _, k := range keys {
			r := docRef{e.Community, k}
			if _, seen := changed[r]; !seen {
				order = append(order, r)
				first[r] = e.Seq
			}
			changed[r] = e.Seq
		}
	}
	if last.Seq == 0 {
		return nil // nothing new
	}
	batch := &pgx.Batch{}
	for _, r := range order {
		body, err := wstate[r.community].Doc(r.key)
		if err != nil {
			return b.forget(err)
		}
		batch.Queue(`INSERT INTO `+s+`.docs (community, kind, key, ord, seq, body) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (community, kind, key) DO UPDATE SET seq = EXCLUDED.seq, body = EXCLUDED.body`,
			r.community, r.key.Kind, r.key.Key, first[r], changed[r], string(body))
	}
	batch.Queue(`UPDATE `+s+`.position SET seq = $1, at = $2`, last.Seq, last.RecordedAt)
	if err := tx.SendBatch(ctx, batch).Close(); err != nil {
		return b.forget(fmt.Errorf("%s: write batch: %w", b.model.Name, err))
	}
	if err := tx.Commit(ctx); err != nil {
		return b.forget(fmt.Errorf("%s: commit: %w", b.model.Name, err))
	}
	b.mu.Lock()
	b.wpos = last.Seq
	b.mu.Unlock()
	return nil
}

// ApplyTo writes events into a build that is not live yet (a rebuild).
func (b *Backend) ApplyTo(ctx context.Context, schema string, events []projections.Event) error {
	return b.applyTo(ctx, schema, events)
}

// PositionOf returns the position of a build.
func (b *Backend) PositionOf(ctx context.Context, schema string) (projections.Position, error) {
	return positionOf(ctx, b.pool, schema)
}

// LiveBuild returns the live schema and the code version that built it.
func (b *Backend) LiveBuild(ctx context.Context) (schema string, version int, err error) {
	return b.live(ctx, b.pool)
}

// ErrBehind is returned by Switch when the new build has not caught up with
// the live one.
var ErrBehind = errors.New("the new build is behind the live one")

// Switch makes schema the live build, if it has caught up with the live one,
// and drops the old build. It returns ErrBehind otherwise.
func (b *Backend) Switch(ctx context.Context, schema string) error {
	tx, err := b.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	var old string
	if err := tx.QueryRow(ctx, `SELECT schema_name FROM gongkai.read_models WHERE name = $1 FOR UPDATE`, b.model.Name).Scan(&old); err != nil {
		return fmt.Errorf("%s: switch: %w", b.model.Name, err)
	}
	oldPos, err := positionOf(ctx, tx, old)
	if err != nil {
		return err
	}
	newPos, err := positionOf(ctx, tx, schema)
	if err != nil {
		return err
	}
	if newPos.Seq < oldPos.Seq {
		return fmt.Errorf("%w: %d < %d", ErrBehind, newPos.Seq, oldPos.Seq)
	}
	if _, err := tx.Exec(ctx, `UPDATE gongkai.read_models SET schema_name = $2, code_version = $3, switched_at = now() WHERE name = $1`,
		b.model.Name, schema, b.model.Version); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DROP SCHEMA `+pgx.Identifier{old}.Sanitize()+` CASCADE`); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	b.log.Info("switched to new build", "schema", schema, "old_schema", old, "stream_seq", newPos.Seq)
	return nil
}

// DropBuild drops a build that never went live.
func (b *Backend) DropBuild(ctx context.Context, schema string) error {
	_, err := b.pool.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`)
	return err
}

// LockID is the advisory lock that the writer of a read model holds.
func LockID(name string) int64 {
	var h int64 = 7261002
	for _, c := range name {
		h = h*31 + int64(c)
	}
	return h
}

// TrimStates drops the writer's states of the communities it has not
// written for idleStates, and beyond maxStates those written longest ago.
// The writer calls it when it has caught up with the stream (while
// catching up it keeps every community it meets: the stream interleaves
// them, and reloading one for each batch would cost more than holding
// it).
func (b *Backend) TrimStates() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range stale(b.wused, "") {
		delete(b.wstate, c)
		delete(b.wused, c)
	}
}

// trimReadsLocked drops the states kept for reading that were not read
// for idleStates, and beyond maxStates those read longest ago, but not
// keep's. The caller holds b.mu.
func (b *Backend) trimReadsLocked(keep string) {
	used := make(map[string]int64, len(b.states))
	for c, cs := range b.states {
		used[c] = cs.used.Load()
	}
	for _, c := range stale(used, keep) {
		delete(b.states, c)
	}
}

// stale returns the keys of used (times of last use) to drop: those idle
// for idleStates, and the oldest beyond maxStates; never keep.
func stale(used map[string]int64, keep string) []string {
	cutoff := time.Now().Add(-idleStates).UnixNano()
	var out, rest []string
	for c, t := range used {
		switch {
		case c == keep:
		case t < cutoff:
			out = append(out, c)
		default:
			rest = append(rest, c)
		}
	}
	room := maxStates
	if keep != "" {
		room-- // keep stays too
	}
	if over := len(rest) - room; over > 0 {
		slices.SortFunc(rest, func(a, b string) int { return cmp.Compare(used[a], used[b]) })
		out = append(out, rest[:over]...)
	}
	return out
}

// forget drops the writer's states after a failed batch: they may hold
// events that were not committed.
func (b *Backend) forget(err error) error {
	b.mu.Lock()
	b.wstate = nil
	b.mu.Unlock()
	return err
}
