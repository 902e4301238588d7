package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gongkai/gongkai/internal/loadgen"
)

const benchUsage = `usage:
  gongkai bench [--server URL] [--clients N] [--duration T] [--communities N]
                [--mix matter=40,voucher=30,read=30] [--baseline=false]
                [--baseline-dir DIR] [--baseline-duration T] [--token-file F]
                [--json FILE] [--acked FILE]
Drives a running server with N clients for T seconds: matter stage commands
and vouchers through the commands endpoint, in bench communities of its own
(bench-<run>-NN), and reads of the board page, matter pages and the board
JSON. Before that, with the same clients, it measures the baselines: GET
/healthz on the server, and a raw synchronous JetStream publish and an
atomic batch publish of the same writes on a private embedded nats-server
that fsyncs every write, in --baseline-dir (put it on the server's data
filesystem). Prints a Markdown section for docs/benchmarks.md.
Acts with GONGKAI_ADMIN_TOKEN, or the first line of --token-file (an
administrator's token: it registers the bench communities).
What it writes stays in the server's log for good, as everything does: run
it against a test server, never against a community's real ledger.`

// runBench runs `gongkai bench` and prints its report as Markdown.
func runBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var cfg loadgen.Config
	var mix, tokenFile, jsonOut, ackedOut string
	fs := newFlags("bench", getenv, stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, benchUsage); fs.PrintDefaults() }
	fs.str(&cfg.Server, "server", "GONGKAI_SERVER", "http://127.0.0.1:8080", "URL of the running gongkai server")
	fs.str(&tokenFile, "token-file", "GONGKAI_TOKEN_FILE", "", "file whose first line is an administrator's token (default: $GONGKAI_ADMIN_TOKEN)")
	intFlag(fs, &cfg.Clients, "clients", "GONGKAI_BENCH_CLIENTS", 64, "concurrent clients, in the run and in each baseline")
	fs.duration(&cfg.Duration, "duration", "GONGKAI_BENCH_DURATION", 30*time.Second, "how long the server run lasts")
	fs.duration(&cfg.BaselineDuration, "baseline-duration", "GONGKAI_BENCH_BASELINE_DURATION", 0, "how long each baseline lasts (default --duration)")
	intFlag(fs, &cfg.Communities, "communities", "GONGKAI_BENCH_COMMUNITIES", 20, "bench communities the clients share (each client writes to one)")
	fs.str(&mix, "mix", "GONGKAI_BENCH_MIX", loadgen.DefaultMix.String(), "percent of operations of each kind: matter stage commands, vouchers, reads (board page, matter page, board JSON in equal parts)")
	cfg.Baseline = true
	if v := getenv("GONGKAI_BENCH_BASELINE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("$GONGKAI_BENCH_BASELINE: %w", err)
		}
		cfg.Baseline = b
	}
	fs.BoolVar(&cfg.Baseline, "baseline", cfg.Baseline, "measure the baselines in the same run ($GONGKAI_BENCH_BASELINE)")
	fs.str(&cfg.BaselineDir, "baseline-dir", "GONGKAI_BENCH_BASELINE_DIR", os.TempDir(), "directory for the baselines' private NATS server files (a temporary directory in it, removed afterwards)")
	fs.str(&jsonOut, "json", "GONGKAI_BENCH_JSON", "", "also write the report as JSON to this file")
	fs.str(&ackedOut, "acked", "GONGKAI_BENCH_ACKED", "", "write every acknowledged write to this file, one a line: community, idempotency key, events")
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s", benchUsage)
	}
	var err error
	if cfg.Mix, err = loadgen.ParseMix(mix); err != nil {
		return err
	}
	if cfg.Clients < 1 || cfg.Communities < 1 || cfg.Duration <= 0 {
		return fmt.Errorf("--clients, --communities and --duration must be positive")
	}
	cfg.Server = strings.TrimRight(cfg.Server, "/")
	if cfg.Token, err = benchToken(tokenFile, getenv); err != nil {
		return err
	}
	if ackedOut != "" {
		f, err := os.Create(ackedOut)
		if err != nil {
			return err
		}
		defer f.Close()
		cfg.Acked = f
	}
	cfg.Command = "gongkai " + strings.Join(append([]string{"bench"}, args...), " ")
	cfg.Log = slog.New(slog.NewTextHandler(stderr, nil))
	rep, err := loadgen.Run(ctx, cfg)
	if rep == nil {
		return fmt.Errorf("bench: %w", err)
	}
	if err != nil {
		// Interrupted: the figures so far, then the error.
		defer fmt.Fprintf(stderr, "bench interrupted (%v): the figures above cover the run until then\n", err)
	}
	if jsonOut != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return rep.Markdown(stdout)
}

// benchToken is the first line of file, or GONGKAI_ADMIN_TOKEN.
func benchToken(file string, getenv func(string) string) (string, error) {
	if file == "" {
		if t := getenv("GONGKAI_ADMIN_TOKEN"); t != "" {
			return t, nil
		}
		return "", fmt.Errorf("set GONGKAI_ADMIN_TOKEN or --token-file: the bench registers its own communities, which needs an administrator")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	t, _, _ := strings.Cut(string(b), "\n")
	if t = strings.TrimSpace(t); t == "" {
		return "", fmt.Errorf("%s: no token on its first line", file)
	}
	return t, nil
}

// intFlag is an int flag whose default comes from env.
func intFlag(fs *envFlags, p *int, name, env string, def int, usage string) {
	if v := fs.getenv(env); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			fs.errs = append(fs.errs, fmt.Errorf("$%s: %w", env, err))
		}
		def = n
	}
	fs.IntVar(p, name, def, usage+" ($"+env+")")
}
