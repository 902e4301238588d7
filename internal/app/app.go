// Package app wires gongkai together: the event store on an embedded or
// external NATS server, the command service, read models and the web
// server. cmd/gongkai and the end-to-end tests share it.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gongkai/gongkai/eventstore"
	"github.com/gongkai/gongkai/internal/auth"
	"github.com/gongkai/gongkai/internal/command"
	"github.com/gongkai/gongkai/internal/demo"
	"github.com/gongkai/gongkai/internal/projector"
	"github.com/gongkai/gongkai/internal/web"
	"github.com/gongkai/gongkai/projections"
	"github.com/gongkai/gongkai/projections/postgres"
)

// Config is the configuration of `gongkai serve`.
type Config struct {
	// Addr is the HTTP listen address.
	Addr string
	// DataDir holds the embedded JetStream files.
	DataDir string
	// NATSURLs, when set, selects an external NATS cluster instead of the
	// embedded server.
	NATSURLs []string
	// NATSCreds is a credentials file for the external cluster.
	NATSCreds string
	// NATSListen makes the embedded server accept network clients.
	NATSListen string
	// Stream is the stream name; Replicas its replicas when created.
	Stream   string
	Replicas int
	// DuplicateWindow is JetStream's duplicate window (tests shorten it).
	DuplicateWindow time.Duration
	// AdminToken bootstraps the administrator.
	AdminToken string
	// Demo loads the demo community when the log is empty.
	Demo bool
	// Postgres, when set, keeps the read models in PostgreSQL (a pgx DSN)
	// instead of memory.
	Postgres string
	// NoSync turns off fsync in the embedded server (benchmarks only).
	NoSync bool
	// Now and NewID are the clock and id generator; defaults time.Now, UUIDv7.
	Now   func() time.Time
	NewID func() string
}

// Started describes a running server, for the caller of Run.
type Started struct {
	// Addr is the HTTP address the server accepts connections on.
	Addr  string
	Store *eventstore.Store
}

// Run serves until ctx ends, then shuts down gracefully. When listening is
// set it is called once the server accepts connections.
func Run(ctx context.Context, cfg Config, log *slog.Logger, listening func(Started)) error {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = func() string { return uuid.Must(uuid.NewV7()).String() }
	}
	nc, fsync, closeNATS, err := connect(cfg, log)
	if err != nil {
		return err
	}
	defer closeNATS()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	store, err := eventstore.Open(ctx, js, eventstore.Config{Stream: cfg.Stream, Replicas: cfg.Replicas,
		DuplicateWindow: cfg.DuplicateWindow, Logger: log})
	if err != nil {
		return err
	}
	startSeq, err := store.LastSeq(ctx)
	if err != nil {
		return err
	}

	svc := command.New(store, cfg.Now, cfg.NewID, log)
	tokens := auth.New(cfg.AdminToken)
	if cfg.AdminToken == "" {
		log.Warn("GONGKAI_ADMIN_TOKEN is not set: no one can write or issue tokens")
	}
	svc.Also = append(svc.Also, tokens.Apply)
	var (
		boardB, financeB projections.Backend
		runners          []*projector.Runner
		writers          []*projector.Writer
	)
	if cfg.Postgres != "" {
		pool, err := pgxpool.New(ctx, cfg.Postgres)
		if err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
		defer pool.Close()
		if err := postgres.Migrate(ctx, pool); err != nil {
			return err
		}
		var pgs []*postgres.Backend
		for _, m := range []projections.Model{projections.BoardModel, projections.FinanceModel} {
			b, err := postgres.New(ctx, pool, m, log)
			if err != nil {
				return err
			}
			pgs = append(pgs, b)
			writers = append(writers, projector.NewWriter(store, pool, b, log))
		}
		boardB, financeB = pgs[0], pgs[1]
	} else {
		boardB, financeB = projections.NewMemory(projections.BoardModel), projections.NewMemory(projections.FinanceModel)
		runners = []*projector.Runner{projector.New(boardB, log), projector.New(financeB, log)}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	goRun := func(name string, fn func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(ctx); err != nil && ctx.Err() == nil {
				errc <- fmt.Errorf("%s: %w", name, err)
			}
		}()
	}
	handlers := []projector.Handler{svc}
	for _, r := range runners {
		handlers = append(handlers, r)
	}
	goRun("feed", func(ctx context.Context) error { return projector.Feed(ctx, store, log, handlers...) })
	for _, w := range writers {
		goRun("writer", w.Run)
	}
	if cfg.Demo && startSeq == 0 {
		goRun("demo", func(ctx context.Context) error {
			if err := demo.Load(ctx, svc); err != nil {
				return err
			}
			log.Info("demo community loaded", "community", demo.Community)
			return nil
		})
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler: web.NewServer(web.Deps{Commands: svc, Store: store, Board: projections.BoardOn{Backend: boardB}, Finance: projections.FinanceOn{Backend: financeB},
			Runners: runners, Writers: writers, Tokens: tokens,
			Log: log, Now: cfg.Now, NewID: cfg.NewID, Fsync: fsync}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	goRun("http", func(context.Context) error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	log.Info("serving", "addr", ln.Addr().String(), "fsync", fsync, "stream_last_seq", startSeq)
	if listening != nil {
		listening(Started{Addr: ln.Addr().String(), Store: store})
	}

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	log.Info("shutting down")
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	_ = srv.Shutdown(sctx)
	cancel()
	wg.Wait()
	return runErr
}

func connect(cfg Config, log *slog.Logger) (nc *nats.Conn, fsync string, closeFn func(), err error) {
	if len(cfg.NATSURLs) > 0 {
		opts := []nats.Option{nats.Name("gongkai"), nats.MaxReconnects(-1)}
		if cfg.NATSCreds != "" {
			opts = append(opts, nats.UserCredentials(cfg.NATSCreds))
		}
		nc, err = nats.Connect(strings.Join(cfg.NATSURLs, ","), opts...)
		if err != nil {
			return nil, "", nil, fmt.Errorf("connect to NATS %v: %w", cfg.NATSURLs, err)
		}
		log.Info("connected to external NATS", "url", nc.ConnectedUrlRedacted())
		return nc, "external cluster (set by the cluster's sync_interval; stream replicas " + fmt.Sprint(max(cfg.Replicas, 1)) + ")", func() { nc.Close() }, nil
	}
	if cfg.DataDir == "" {
		return nil, "", nil, errors.New("--data is required for the embedded NATS server")
	}
	e, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{Dir: cfg.DataDir, Listen: cfg.NATSListen, NoSync: cfg.NoSync})
	if err != nil {
		return nil, "", nil, err
	}
	fsync = "always (embedded, fsync on every write)"
	if cfg.NoSync {
		fsync = "OFF (benchmark mode: acknowledged writes may be lost)"
	}
	log.Info("embedded NATS started", "dir", cfg.DataDir, "listen", cfg.NATSListen)
	return e.Conn, fsync, e.Close, nil
}
