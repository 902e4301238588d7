package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gongkai/gongkai/internal/transparency"
)

// runWitness runs a witness for another party (the town): it cosigns a
// log's checkpoints, each only if it is consistent with the last one it
// cosigned (C2SP tlog-witness, POST /add-checkpoint).
func runWitness(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	var keyFile, logKeys, state, addr string
	fs := newFlags("witness", getenv, stderr)
	fs.str(&keyFile, "key", "GONGKAI_WITNESS_KEY", "witness.key", "the witness's signer key file (gongkai keygen --origin <witness name>)")
	fs.str(&logKeys, "log-key", "GONGKAI_WITNESS_LOG_KEYS", "", "verifier keys of the logs it witnesses, comma-separated (a log's origin is its key's name; give both keys of a log during a key rotation)")
	fs.str(&state, "state", "GONGKAI_WITNESS_STATE", "witness-state", "directory for the last cosigned size of each log")
	fs.str(&addr, "addr", "GONGKAI_WITNESS_ADDR", "127.0.0.1:8090", "HTTP listen address")
	if err := fs.parse(args); err != nil {
		return err
	}
	skey, err := os.ReadFile(keyFile)
	if err != nil {
		return err
	}
	if logKeys == "" {
		return errors.New("--log-key is required")
	}
	w, err := transparency.NewWitness(strings.TrimSpace(string(skey)), strings.Split(logKeys, ","), state)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	srv := &http.Server{Addr: addr, Handler: w, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	log.Info("witness serving", "addr", addr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("witness: %w", err)
	}
	return nil
}
