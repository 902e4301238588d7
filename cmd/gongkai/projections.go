package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gongkai/gongkai/eventstore"
	"github.com/gongkai/gongkai/internal/projector"
	"github.com/gongkai/gongkai/projections"
	"github.com/gongkai/gongkai/projections/postgres"
)

// runProjections handles `gongkai projections rebuild NAME`: it builds the
// PostgreSQL read model NAME afresh from the stream into a new schema and
// switches to it when it has caught up; running servers keep serving the old
// build until the switch.
func runProjections(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	const use = "usage: gongkai projections rebuild NAME --postgres DSN (--nats URL[,URL...] | --data DIR)"
	if len(args) < 2 || args[0] != "rebuild" {
		return fmt.Errorf(use)
	}
	name := args[1]
	var model projections.Model
	for _, m := range []projections.Model{projections.BoardModel, projections.FinanceModel, projections.EvaluationModel} {
		if m.Name == name {
			model = m
		}
	}
	if model.Name == "" {
		return fmt.Errorf("unknown read model %q: board, finance or evaluation", name)
	}
	var dsn, natsURLs, creds, data, stream string
	fs := newFlags("projections rebuild", getenv, stderr)
	fs.str(&dsn, "postgres", "GONGKAI_POSTGRES", "", "PostgreSQL DSN")
	fs.str(&natsURLs, "nats", "GONGKAI_NATS", "", "NATS URLs of the running cluster")
	fs.str(&creds, "nats-creds", "GONGKAI_NATS_CREDS", "", "NATS credentials file")
	fs.str(&data, "data", "GONGKAI_DATA", "", "embedded JetStream directory (only while no server uses it)")
	fs.str(&stream, "stream", "GONGKAI_STREAM", "GONGKAI", "stream name")
	if err := fs.parse(args[2:]); err != nil {
		return err
	}
	if dsn == "" {
		return fmt.Errorf("--postgres is required\n%s", use)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	js, closeJS, err := openJetStream("gongkai projections rebuild", natsURLs, creds, data)
	if errors.Is(err, errNoLog) {
		return fmt.Errorf("%w\n%s", err, use)
	}
	if err != nil {
		return err
	}
	defer closeJS()
	store, err := eventstore.Open(ctx, js, eventstore.Config{Stream: stream, Logger: log})
	if err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer pool.Close()
	if err := postgres.Migrate(ctx, pool); err != nil {
		return err
	}
	b, err := postgres.New(ctx, pool, model, log)
	if err != nil {
		return err
	}
	if err := projector.Rebuild(ctx, store, b, log); err != nil {
		return err
	}
	schema, _, err := b.LiveBuild(ctx)
	if err != nil {
		return err
	}
	pos, _ := b.Position(ctx)
	fmt.Fprintf(stdout, "rebuilt %s into schema %s at stream sequence %d\n", name, schema, pos)
	return nil
}
