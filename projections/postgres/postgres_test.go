package postgres_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gongkai/gongkai/internal/pgtest"
	"github.com/gongkai/gongkai/projections"
	"github.com/gongkai/gongkai/projections/postgres"
	"github.com/gongkai/gongkai/projections/projectiontest"
)

func TestConformance(t *testing.T) {
	srv := pgtest.Start(t)
	projectiontest.Run(t, func(t *testing.T, m projections.Model) projections.Backend {
		pool, err := pgxpool.New(context.Background(), srv.NewDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		if err := postgres.Migrate(context.Background(), pool); err != nil {
			t.Fatal(err)
		}
		b, err := postgres.New(context.Background(), pool, m, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}
