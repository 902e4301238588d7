package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/command"
)

// envFlags is a FlagSet whose defaults come from GONGKAI_* variables.
type envFlags struct {
	*flag.FlagSet
	getenv func(string) string
	errs   []error
}

func newFlags(name string, getenv func(string) string, stderr io.Writer) *envFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return &envFlags{FlagSet: fs, getenv: getenv}
}

func (f *envFlags) str(p *string, name, env, def, usage string) {
	if v := f.getenv(env); v != "" {
		def = v
	}
	f.StringVar(p, name, def, usage+" ($"+env+")")
}

func (f *envFlags) boolean(p *bool, name, env string, usage string) {
	def := false
	if v := f.getenv(env); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("$%s: %w", env, err))
		}
		def = b
	}
	f.BoolVar(p, name, def, usage+" ($"+env+")")
}

func (f *envFlags) duration(p *time.Duration, name, env string, def time.Duration, usage string) {
	if v := f.getenv(env); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("$%s: %w", env, err))
		}
		def = d
	}
	f.DurationVar(p, name, def, usage+" ($"+env+")")
}

func (f *envFlags) parse(args []string) error {
	if len(f.errs) > 0 {
		return f.errs[0]
	}
	return f.Parse(args)
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	var cfg app.Config
	var natsURLs, logFormat string
	fs := newFlags("serve", getenv, stderr)
	fs.str(&cfg.Addr, "addr", "GONGKAI_ADDR", "127.0.0.1:8080", "HTTP listen address")
	fs.str(&cfg.PublicURL, "public-url", "GONGKAI_PUBLIC_URL", "", "the address the public reaches this server at, such as https://ledger.example.org: the checkpoint link and QR code on pages are built from it (default: a relative link and no QR code; the request's Host is never used)")
	fs.str(&cfg.DataDir, "data", "GONGKAI_DATA", "./data", "directory of the embedded JetStream files")
	fs.str(&natsURLs, "nats", "GONGKAI_NATS", "", "comma-separated URLs of an external NATS cluster (instead of the embedded server)")
	fs.str(&cfg.NATSCreds, "nats-creds", "GONGKAI_NATS_CREDS", "", "credentials file for the external NATS cluster")
	fs.str(&cfg.NATSListen, "nats-listen", "GONGKAI_NATS_LISTEN", "", "host:port on which the embedded NATS server accepts clients, as the read-only user \"reader\" only (default: none, in-process only)")
	fs.str(&cfg.NATSReaderPasswordFile, "nats-reader-password-file", "GONGKAI_NATS_READER_PASSWORD_FILE", "", "file with the password of the NATS user \"reader\" on --nats-listen, one line (default <data>/nats-reader.password, created with mode 0600 when missing)")
	fs.str(&cfg.NATSTLSCert, "nats-tls-cert", "GONGKAI_NATS_TLS_CERT", "", "PEM certificate file: --nats-listen then requires TLS (with --nats-tls-key)")
	fs.str(&cfg.NATSTLSKey, "nats-tls-key", "GONGKAI_NATS_TLS_KEY", "", "PEM private key file of --nats-tls-cert")
	fs.str(&cfg.Stream, "stream", "GONGKAI_STREAM", "GONGKAI", "JetStream stream name")
	replicas := fs.Int("replicas", 1, "replicas of the stream when gongkai creates it (3 in a cluster)")
	fs.duration(&cfg.DuplicateWindow, "duplicate-window", "GONGKAI_DUPLICATE_WINDOW", 2*time.Minute, "JetStream duplicate window of a new stream")
	fs.boolean(&cfg.Demo, "demo", "GONGKAI_DEMO", "load the demo community 文化路社区 (wenhualu) when the log is empty")
	fs.str(&cfg.Postgres, "postgres", "GONGKAI_POSTGRES", "", "PostgreSQL DSN: keep the read models there instead of in memory")
	fs.str(&logFormat, "log", "GONGKAI_LOG", "text", "log format: text or json")
	var witnesses string
	fs.str(&cfg.Origin, "origin", "GONGKAI_ORIGIN", "", "the verifiable log's origin, the name in its checkpoints and leaves (default gongkai/<stream in lower case>)")
	fs.str(&cfg.SignerKey, "signer-key", "GONGKAI_SIGNER_KEY", "", "checkpoint signer key file from gongkai keygen (default <data>/signer.key: the embedded server creates it on first start; with --nats it is used if present and never created)")
	fs.str(&cfg.OldSignerKey, "old-signer-key", "GONGKAI_OLD_SIGNER_KEY", "", "the previous signer key file: during a key rotation checkpoints are signed with both keys")
	fs.str(&cfg.TreeDir, "tree", "GONGKAI_TREE", "", "directory of the Merkle tree's node hashes, one per instance (default <data>/tree)")
	fs.str(&witnesses, "witness", "GONGKAI_WITNESSES", "", "comma-separated URLs of witnesses asked to cosign each checkpoint")
	quorum := fs.Int("witness-quorum", 0, "cosignatures each checkpoint should get; fewer raise an alarm in /readyz")
	fs.str(&cfg.SecretKey, "secret-key", "GONGKAI_SECRET_KEY", "", "secret key file that peppers passwords and signs sessions (default <data>/secret.key, created on first start; every instance of one log needs the same file: docs/deploy.md \"Accounts and sessions\")")
	fs.str(&cfg.WriterKey, "writer-key", "GONGKAI_WRITER_KEY", "", "writer key file that signs every message this instance appends (default <data>/writer.key, created on first start; see docs/deploy.md \"Writer keys\")")
	fs.BoolVar(&cfg.Init, "init", false, "start a new, empty ledger although this instance's tree says a longer one existed (the old tree is moved aside; announce the new log)")
	fs.duration(&cfg.CheckpointEvery, "checkpoint-every", "GONGKAI_CHECKPOINT_EVERY", time.Minute, "least time between checkpoints while events arrive")
	intFlag(fs, &cfg.CacheAggregates, "cache-aggregates", "GONGKAI_CACHE_AGGREGATES", command.DefaultMaxCached, "how many matters, budgets, books, disclosures and questions the command service keeps in memory; others are read from the log when a command needs them (communities, accounts, tokens and evaluations are always kept); at least 2000")
	if err := fs.parse(args); err != nil {
		return err
	}
	cfg.Replicas = *replicas
	cfg.WitnessQuorum = *quorum
	if natsURLs != "" {
		cfg.NATSURLs = strings.Split(natsURLs, ",")
	}
	for _, u := range strings.Split(witnesses, ",") {
		if u = strings.TrimSpace(u); u != "" {
			cfg.Witnesses = append(cfg.Witnesses, u)
		}
	}
	cfg.AdminToken = getenv("GONGKAI_ADMIN_TOKEN")
	now, err := faultClock(getenv)
	if err != nil {
		return err
	}
	cfg.Now = now
	var h slog.Handler = slog.NewTextHandler(stderr, nil)
	if logFormat == "json" {
		h = slog.NewJSONHandler(stderr, nil)
	}
	return app.Run(ctx, cfg, slog.New(h), nil)
}
