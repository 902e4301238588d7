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
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/mod/sumdb/note"

	"github.com/gongkai/gongkai/eventstore"
	"github.com/gongkai/gongkai/internal/auth"
	"github.com/gongkai/gongkai/internal/command"
	"github.com/gongkai/gongkai/internal/demo"
	"github.com/gongkai/gongkai/internal/disclose"
	"github.com/gongkai/gongkai/internal/guard"
	"github.com/gongkai/gongkai/internal/projector"
	"github.com/gongkai/gongkai/internal/transparency"
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
	// NATSListen makes the embedded server accept network clients, who
	// must authenticate as the read-only user "reader" with the password
	// in NATSReaderPasswordFile (default <data>/nats-reader.password,
	// created with mode 0600 on first start). gongkai's own user may
	// connect only in-process.
	NATSListen             string
	NATSReaderPasswordFile string
	// NATSTLSCert and NATSTLSKey make the listener require TLS.
	NATSTLSCert, NATSTLSKey string
	// Stream is the stream name; Replicas its replicas when created.
	Stream   string
	Replicas int
	// DuplicateWindow is JetStream's duplicate window (tests shorten it).
	DuplicateWindow time.Duration
	// AdminToken bootstraps the administrator. Run refuses one that
	// auth.CheckAdminToken finds weak; empty means no administrator.
	AdminToken string
	// PublicURL is the address the public reaches the server at, such as
	// https://ledger.example.org (see web.ParsePublicURL): absolute links
	// and QR codes are built from it, never from a request's Host header.
	PublicURL string
	// Demo loads the demo community when the log is empty.
	Demo bool
	// Postgres, when set, keeps the read models in PostgreSQL (a pgx DSN)
	// instead of memory.
	Postgres string
	// Origin names the verifiable log (default "gongkai/<stream>").
	Origin string
	// SignerKey is the checkpoint signer key file; it defaults to
	// <data>/signer.key, which the embedded server creates on first start
	// (with an external cluster it is used if present, never created).
	// OldSignerKey also signs, during a key rotation.
	SignerKey, OldSignerKey string
	// TreeDir keeps the Merkle tree (default <data>/tree, or ./gongkai-tree
	// without a data directory).
	TreeDir string
	// Witnesses are URLs of witnesses asked to cosign each checkpoint;
	// WitnessQuorum how many cosignatures each should get (an alarm if not).
	Witnesses     []string
	WitnessQuorum int
	// CacheAggregates is how many aggregates of the types the command
	// service does not keep whole it holds (command.DefaultMaxCached if 0).
	CacheAggregates int
	// CheckpointEvery is the least time between checkpoints while events
	// arrive (default one minute).
	CheckpointEvery time.Duration
	// NoSync turns off fsync in the embedded server (benchmarks only).
	NoSync bool
	// GuardEvery is how often the ledger's storage is checked (default 2 s).
	GuardEvery time.Duration
	// WriterKey is the writer key file that signs every message this
	// instance appends (default <data>/writer.key, created on first start).
	WriterKey string
	// SecretKey is the file of the secret key that peppers passwords and
	// signs sessions (default <data>/secret.key, created on first start;
	// every instance of one log needs the same).
	SecretKey string
	// Init lets gongkai create an empty ledger stream although this
	// instance's own records (its tree) say a longer one existed: the
	// explicit, logged way to start a new log.
	Init bool
	// Now and NewID are the clock and id generator; defaults time.Now, UUIDv7.
	Now   func() time.Time
	NewID func() string
}

// Started describes a running server, for the caller of Run.
type Started struct {
	// Addr is the HTTP address the server accepts connections on.
	Addr  string
	Store *eventstore.Store
	// Conn is gongkai's own NATS connection, with its rights: on the
	// embedded server the in-process user eventstore.GongkaiUser.
	Conn *nats.Conn
}

// Run serves until ctx ends, then shuts down gracefully. When listening is
// set it is called once the server accepts connections.
func Run(ctx context.Context, cfg Config, log *slog.Logger, listening func(Started)) error {
	started := time.Now()
	if err := auth.CheckAdminToken(cfg.AdminToken); err != nil {
		return err
	}
	publicURL, err := web.ParsePublicURL(cfg.PublicURL)
	if err != nil {
		return err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = func() string { return uuid.Must(uuid.NewV7()).String() }
	}
	// The guard blocks every write until it has checked the ledger's
	// storage once, and again whenever a check fails.
	g := guard.New(log, cfg.GuardEvery, cfg.Now)
	nc, fsync, closeNATS, err := connect(cfg, log, g)
	if err != nil {
		return err
	}
	defer closeNATS()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	writer, err := loadWriterKey(&cfg, log)
	if err != nil {
		return err
	}
	// This instance's tree says how long the ledger was: a missing stream
	// is then never replaced by an empty one, unless --init says so.
	cfg.TreeDir = treeDir(cfg)
	if cfg.Stream == "" {
		cfg.Stream = "GONGKAI"
	}
	known := transparency.TreeSizeIn(cfg.TreeDir)
	err = eventstore.RetryTransient(ctx, log, "read the latest checkpoint", 30*time.Second, func() error {
		n, err := transparency.StoredSize(ctx, js, cfg.Stream)
		known = max(known, n)
		return err
	})
	if err != nil {
		return err
	}
	if known > 0 && cfg.Init {
		aside := cfg.TreeDir + ".replaced-" + cfg.Now().UTC().Format("20060102T150405Z")
		if err := os.Rename(cfg.TreeDir, aside); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("--init: move the old tree aside: %w", err)
		}
		log.Warn("--init: starting a new log where the records say one of this size existed; the old tree is kept aside", "old_tree", aside, "old_size", known)
		known = 0
	}
	store, err := eventstore.Open(ctx, js, eventstore.Config{Stream: cfg.Stream, Replicas: cfg.Replicas,
		DuplicateWindow: cfg.DuplicateWindow, Logger: log, Gate: g.Err, OnWriteError: func(error) { g.Poke() },
		Writer: writer, NoCreate: known > 0, VerifiedFile: filepath.Join(cfg.TreeDir, "verified"),
		// The feed below follows the stream from where the index's
		// snapshot ends (from its start without one); it builds the rest
		// of the idempotency index as it goes. The index lists the
		// messages of the aggregates the command service keeps whole, so
		// that a restart reads them without the rest of the log.
		IndexByFollow: true, ListTypes: command.KeptTypes})
	if errors.Is(err, eventstore.ErrStreamMissing) {
		return fmt.Errorf("the ledger stream is missing, but this instance's records (its tree in %s, the checkpoint stream) say it held %d entries: gongkai does not create an empty ledger in its place. "+
			"Restore the stream (docs/deploy.md, \"The log is shorter than it was\"), or start a new, announced log with --init / "+
			"账本数据流不存在，但本实例的记录显示账本曾有 %d 条记录：不会新建空账本。请恢复数据，或以 --init 明确开始新账本", cfg.TreeDir, known, known)
	}
	if err != nil {
		return err
	}
	var startSeq uint64
	err = eventstore.RetryTransient(ctx, log, "read the stream's last sequence", 30*time.Second, func() (err error) {
		startSeq, err = store.LastSeq(ctx)
		return err
	})
	if err != nil {
		return err
	}

	var tlog *transparency.Log
	var logKey string
	err = eventstore.RetryTransient(ctx, log, "open the verifiable log", 30*time.Second, func() (err error) {
		tlog, logKey, err = openLog(ctx, js, store, cfg, log, g.Err)
		return err
	})
	if err != nil {
		return err
	}

	svc := command.New(store, cfg.Now, cfg.NewID, log)
	if cfg.CacheAggregates != 0 && cfg.CacheAggregates < command.MinCached {
		log.Warn("--cache-aggregates is below the least a batch of commands needs; using that", "given", cfg.CacheAggregates, "using", command.MinCached)
		cfg.CacheAggregates = command.MinCached
	}
	svc.LimitCache(cfg.CacheAggregates)
	access := auth.New(cfg.AdminToken)
	if cfg.AdminToken == "" {
		log.Warn("GONGKAI_ADMIN_TOKEN is not set: scripts cannot write; people sign in with accounts (gongkai account create --admin)")
	}
	svc.Observe = append(svc.Observe, func(f command.Fact) {
		access.Observe(f.Seq, f.Community, f.AggregateType, f.AggregateID, f.Event, f.Date)
	})
	secret, secretCreated, err := loadSecret(&cfg, log)
	if err != nil {
		return err
	}
	var (
		boardB, financeB, evaluationB projections.Backend
		runners                       []*projector.Runner
		writers                       []*projector.Writer
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
		for _, m := range []projections.Model{projections.BoardModel, projections.FinanceModel, projections.EvaluationModel} {
			b, err := postgres.New(ctx, pool, m, log)
			if err != nil {
				return err
			}
			pgs = append(pgs, b)
			writers = append(writers, projector.NewWriter(store, pool, b, log))
		}
		boardB, financeB, evaluationB = pgs[0], pgs[1], pgs[2]
	} else {
		boardB, financeB = projections.NewMemory(projections.BoardModel), projections.NewMemory(projections.FinanceModel)
		evaluationB = projections.NewMemory(projections.EvaluationModel)
		// One feed, one decoder: each event is decoded once for the three.
		runners = projector.NewRunners(log, boardB, financeB, evaluationB)
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
	handlers := []projector.Handler{svc, tlog}
	for _, r := range runners {
		handlers = append(handlers, r)
	}
	goRun("feed", func(ctx context.Context) error { return projector.Feed(ctx, store, log, handlers...) })
	for _, w := range writers {
		goRun("writer", w.Run)
	}
	goRun("verifiable log", tlog.Run)
	g.Add(guard.Check{Name: "ledger_stream", Run: func(ctx context.Context) error {
		known, why := tlog.KnownSizes()
		err := store.CheckIntegrity(ctx, known, why)
		if err == nil {
			// While the stream is sound, remember how far its writer
			// signatures are verified, so that a restart need not verify
			// them all again.
			if serr := store.SaveVerified(1000); serr != nil {
				log.Warn("could not save how far signatures are verified", "err", serr)
			}
		}
		return err
	}})
	g.Add(guard.Check{Name: "checkpoint_stream", Run: tlog.CheckStorage})
	g.Add(guard.Check{Name: "writer_key", Run: func(context.Context) error { return store.CheckWriter() }})
	goRun("guard", g.Run)
	if secretCreated {
		// A new key where the log already holds accounts: their passwords
		// were peppered with another key and will not verify here (a
		// mistyped --secret-key, or a copy forgotten on a new instance).
		goRun("secret key check", func(ctx context.Context) error {
			for !svc.Ready() {
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(100 * time.Millisecond):
				}
			}
			if n := len(access.Accounts()); n > 0 {
				log.Error("the secret key was just created, but the log holds accounts: their passwords and sessions will not work on this instance. "+
					"Use the secret key file of the other instances (docs/deploy.md, \"Accounts and sessions\"), or reset every password", "file", cfg.SecretKey, "accounts", n)
			}
			return nil
		})
	}
	var demoLoading atomic.Bool
	// The demo loads into a ledger that holds nothing but writer keys.
	empty := startSeq <= 10
	for seq := uint64(1); empty && seq <= startSeq; seq++ {
		m, err := store.Message(ctx, seq)
		empty = err == nil && m.Community == eventstore.WriterCommunity
	}
	if cfg.Demo && empty {
		demoLoading.Store(true)
		goRun("demo", func(ctx context.Context) error {
			defer demoLoading.Store(false)
			// Writes wait for the guard's first look at the storage.
			for g.Err() != nil {
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(100 * time.Millisecond):
				}
			}
			if err := demo.Load(ctx, svc); err != nil {
				return err
			}
			head := func(ctx context.Context) (uint64, error) { return store.LastSeq(ctx) }
			gen := disclose.Generator{Books: projections.FinanceOn{Backend: financeB}, Head: head, Wait: time.Minute}
			if err := demo.LoadDisclosures(ctx, svc, gen); err != nil {
				return err
			}
			if err := demo.LoadTown(ctx, svc, gen); err != nil {
				return err
			}
			if err := demo.LoadEvaluation(ctx, svc); err != nil {
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
		Handler: web.NewServer(web.Deps{Commands: svc, Access: access, Secret: secret, Ledger: ledgerView{store},
			Board: projections.BoardOn{Backend: boardB}, Finance: projections.FinanceOn{Backend: financeB},
			Evaluations: projections.EvaluationOn{Backend: evaluationB},
			ReadModels:  readModelsOf(runners, writers), TLog: tlog, LogKey: logKey, Commits: commitCounts(store), Figures: figures(svc, store, started),
			Log: log, Now: cfg.Now, NewID: cfg.NewID, Fsync: fsync, Guard: g, DemoLoading: demoLoading.Load, PublicURL: publicURL,
			Contacts: openContacts(ctx, js, secret, cfg.Replicas, log), Audit: auditor{store}}),
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
		listening(Started{Addr: ln.Addr().String(), Store: store, Conn: nc})
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
	if g.Err() == nil {
		if err := store.SaveVerified(0); err != nil {
			log.Warn("could not save how far signatures are verified", "err", err)
		}
	}
	return runErr
}

// connect connects to the external cluster, or starts the embedded server
// and adds the check of its disk to g (and the watch that restarts
// JetStream once a full disk has room again).
func connect(cfg Config, log *slog.Logger, g *guard.Guard) (nc *nats.Conn, fsync string, closeFn func(), err error) {
	if len(cfg.NATSURLs) > 0 {
		// Replies arrive under gongkai's own inbox prefix, which
		// docs/deploy.md lets no reader subscribe to.
		opts := []nats.Option{nats.Name("gongkai"), nats.MaxReconnects(-1), nats.CustomInboxPrefix(eventstore.GongkaiInboxPrefix),
			natsErrors(log)}
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
	e, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{Dir: cfg.DataDir, Listen: cfg.NATSListen, NoSync: cfg.NoSync,
		ReaderPasswordFile: cfg.NATSReaderPasswordFile, TLSCert: cfg.NATSTLSCert, TLSKey: cfg.NATSTLSKey,
		ConnOptions: []nats.Option{natsErrors(log)}})
	if err != nil {
		return nil, "", nil, err
	}
	if e.ReaderPasswordCreated {
		log.Info("created the NATS reader password", "file", e.ReaderPasswordFile, "user", eventstore.ReaderUser)
	}
	g.Add(guard.Check{Name: "storage", Run: e.WatchStorage(cfg.DataDir, log)})
	fsync = "always (embedded, fsync on every write)"
	if cfg.NoSync {
		fsync = "OFF (benchmark mode: acknowledged writes may be lost)"
	}
	log.Info("embedded NATS started", "dir", cfg.DataDir, "listen", cfg.NATSListen, "tls", cfg.NATSTLSCert != "")
	return e.Conn, fsync, e.Close, nil
}

// natsErrors logs what the NATS server reports asynchronously, such as a
// permissions violation, which the caller otherwise sees only as a timeout.
func natsErrors(log *slog.Logger) nats.Option {
	return nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
		if sub != nil {
			log.Warn("NATS error", "err", err, "subject", sub.Subject)
			return
		}
		log.Warn("NATS error", "err", err)
	})
}

// openLog opens the verifiable log, loading (or, with the embedded server,
// creating) the signer key.
func openLog(ctx context.Context, js jetstream.JetStream, store *eventstore.Store, cfg Config, log *slog.Logger, gate func() error) (*transparency.Log, string, error) {
	stream := cfg.Stream
	if stream == "" {
		stream = "GONGKAI"
	}
	if cfg.Origin == "" {
		cfg.Origin = "gongkai/" + strings.ToLower(stream)
	}
	cfg.TreeDir = treeDir(cfg)
	if cfg.SignerKey == "" && cfg.DataDir != "" {
		cfg.SignerKey = filepath.Join(cfg.DataDir, "signer.key")
		_, err := os.Stat(cfg.SignerKey)
		switch {
		case errors.Is(err, os.ErrNotExist) && len(cfg.NATSURLs) > 0:
			// With an external cluster a key is never made here: every
			// instance would make its own (or fail where the data
			// directory does not exist), and whichever held the
			// sequencer lease would sign with a key no one else knows.
			cfg.SignerKey = ""
		case errors.Is(err, os.ErrNotExist):
			skey, vkey, err := transparency.GenerateKey(cfg.Origin)
			if err != nil {
				return nil, "", err
			}
			if err := os.WriteFile(cfg.SignerKey, []byte(skey+"\n"), 0o600); err != nil {
				return nil, "", fmt.Errorf("write signer key: %w", err)
			}
			log.Info("created a checkpoint signer key", "file", cfg.SignerKey, "verifier_key", vkey)
		}
	}
	var signers []note.Signer
	var vkey string
	for i, path := range []string{cfg.SignerKey, cfg.OldSignerKey} {
		if path == "" {
			continue
		}
		s, err := transparency.LoadSigner(path)
		if err != nil {
			return nil, "", err
		}
		signers = append(signers, s)
		if i == 0 {
			b, _ := os.ReadFile(path)
			if vkey, err = transparency.VerifierKeyOf(string(b)); err != nil {
				return nil, "", err
			}
		}
	}
	if len(signers) == 0 {
		log.Warn("no checkpoint signer key: the tree is built and proofs served, but no checkpoint is signed")
	}
	var witnesses []*transparency.WitnessClient
	for _, u := range cfg.Witnesses {
		witnesses = append(witnesses, transparency.NewWitnessClient(u, u))
	}
	tl, err := transparency.Open(ctx, js, store, transparency.Config{Origin: cfg.Origin, Stream: stream, TreeDir: cfg.TreeDir,
		Signers: signers, Witnesses: witnesses, WitnessQuorum: cfg.WitnessQuorum, MinInterval: cfg.CheckpointEvery, Replicas: cfg.Replicas, Now: cfg.Now, Logger: log, Gate: gate})
	return tl, vkey, err
}

// treeDir is where the instance keeps its Merkle tree.
func treeDir(cfg Config) string {
	switch {
	case cfg.TreeDir != "":
		return cfg.TreeDir
	case cfg.DataDir != "":
		return filepath.Join(cfg.DataDir, "tree")
	}
	return "gongkai-tree"
}

// loadSecret reads the instance's secret key (it peppers passwords and
// signs sessions), creating it on first start. Every instance of one log
// needs the same file.
func loadSecret(cfg *Config, log *slog.Logger) (auth.Secret, bool, error) {
	if cfg.SecretKey == "" {
		dir := cfg.DataDir
		if dir == "" {
			dir = "."
		}
		cfg.SecretKey = filepath.Join(dir, "secret.key")
	}
	sec, created, err := auth.LoadOrCreateSecret(cfg.SecretKey, true)
	if err != nil {
		return sec, false, err
	}
	if created {
		log.Warn("created a NEW secret key: it peppers passwords and signs sessions; every instance of this log needs this same file", "file", cfg.SecretKey)
	}
	return sec, created, nil
}

// ledgerView is what the pages show of the store.
type ledgerView struct{ *eventstore.Store }

func (l ledgerView) Rejected() []web.Rejection {
	var out []web.Rejection
	for _, r := range l.Store.Rejected() {
		out = append(out, web.Rejection{Seq: r.Seq, Subject: r.Subject, Community: r.Community, Reason: r.Reason})
	}
	return out
}

// readModelsOf reports the read models' state for /readyz.
func readModelsOf(runners []*projector.Runner, writers []*projector.Writer) func() []web.ReadModelStatus {
	return func() []web.ReadModelStatus {
		var out []web.ReadModelStatus
		for _, rn := range runners {
			st := rn.Status()
			out = append(out, web.ReadModelStatus{Name: st.Name, Backend: "memory", Ready: st.Ready, Position: st.Position})
		}
		for _, wr := range writers {
			st := wr.Status()
			out = append(out, web.ReadModelStatus{Name: st.Name, Backend: "postgres", Role: st.Role, Position: st.Position,
				Ready: st.Error == "" && st.Role != "starting", Error: st.Error})
		}
		return out
	}
}

// loadWriterKey reads the instance's writer key, creating it on first start.
func loadWriterKey(cfg *Config, log *slog.Logger) (eventstore.WriterKey, error) {
	if cfg.WriterKey == "" {
		dir := cfg.DataDir
		if dir == "" {
			dir = "."
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return eventstore.WriterKey{}, err
		}
		cfg.WriterKey = filepath.Join(dir, "writer.key")
	}
	k, created, err := eventstore.LoadOrCreateWriterKey(cfg.WriterKey, true)
	if err != nil {
		return k, err
	}
	if created {
		log.Info("created a writer key: every message this instance appends is signed with it", "file", cfg.WriterKey, "writer_key", k.ID)
	}
	return k, nil
}

// commitCounts reports the store's group commit to /metrics.
func commitCounts(store *eventstore.Store) func() web.CommitCounts {
	return func() web.CommitCounts {
		c := store.CommitStats()
		return web.CommitCounts{Publishes: c.Publishes, Batches: c.Batches, BatchedRequests: c.BatchedRequests,
			BatchedMessages: c.BatchedMessages, Fallbacks: c.Fallbacks, BatchTime: c.BatchTime}
	}
}

// figures reports the command service's and the index's size and the time
// to ready to /metrics.
func figures(svc *command.Service, store *eventstore.Store, started time.Time) func() web.Figures {
	return func() web.Figures {
		f := svc.Figures()
		out := web.Figures{Aggregates: f.Aggregates, IndexedRequests: store.IndexedRequests(), Loads: f.Loads, Evictions: f.Evictions}
		if !f.ReadyAt.IsZero() {
			out.ReadyAfter = f.ReadyAt.Sub(started)
		}
		return out
	}
}
