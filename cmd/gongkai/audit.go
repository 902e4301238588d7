package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/eventstore"
	"github.com/gongkai/gongkai/internal/audit"
	"github.com/gongkai/gongkai/internal/projector"
)

const auditUsage = `usage: gongkai audit --community C --year Y [--as-of T] [--diff-as-of T2] [--json]
       (--data DIR | --nats URLS [--nats-creds FILE])

A community's fiscal year as the log had recorded it at T (all of it when
--as-of is not given): every matter with a stage in the year, the budget
and its execution, the journal, the trial balance and the statements at the
year's end, the events entered late, and, with --diff-as-of, every event
recorded after T and at or before T2 that bears on the year. T is a date
(2026-01-31, the end of that day in Beijing) or a time (2026-01-31T09:00:00+08:00).
It reads the community's own subjects only, and changes nothing.`

func runAudit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var data, natsURLs, creds, stream, community, year, asOf, diffAsOf string
	var asJSON bool
	fs := newFlags("audit", getenv, stderr)
	fs.str(&data, "data", "GONGKAI_DATA", "", "embedded JetStream directory (the server must be stopped)")
	fs.str(&natsURLs, "nats", "GONGKAI_NATS", "", "NATS URLs of the running cluster")
	fs.str(&creds, "nats-creds", "GONGKAI_NATS_CREDS", "", "NATS credentials file")
	fs.str(&stream, "stream", "GONGKAI_STREAM", "GONGKAI", "ledger stream")
	fs.str(&community, "community", "GONGKAI_COMMUNITY", "", "the community's id")
	fs.str(&year, "year", "GONGKAI_AUDIT_YEAR", "", "the fiscal year")
	fs.str(&asOf, "as-of", "GONGKAI_AUDIT_AS_OF", "", "as recorded at this date or time (default: everything)")
	fs.str(&diffAsOf, "diff-as-of", "GONGKAI_AUDIT_DIFF_AS_OF", "", "also list what was recorded after --as-of and up to this date or time")
	fs.boolean(&asJSON, "json", "GONGKAI_AUDIT_JSON", "write the report as JSON")
	if err := fs.parse(args); err != nil {
		return err
	}
	y, err := strconv.Atoi(year)
	if err != nil || y < 1949 || y > 9999 || !domain.ValidCommunityID(community) {
		return fmt.Errorf("--community and a four-digit --year are required\n%s", auditUsage)
	}
	o := audit.Options{Year: y}
	if o.AsOf, err = audit.ParseAsOf(asOf); err != nil {
		return fmt.Errorf("--as-of: %w", err)
	}
	if o.DiffAsOf, err = audit.ParseAsOf(diffAsOf); err != nil {
		return fmt.Errorf("--diff-as-of: %w", err)
	}
	if !o.DiffAsOf.IsZero() && !o.DiffAsOf.After(o.AsOf) {
		return errors.New("--diff-as-of must be later than --as-of")
	}
	js, closeJS, err := openJetStream("gongkai audit", natsURLs, creds, data)
	if errors.Is(err, errNoLog) {
		return fmt.Errorf("%w\n%s", err, auditUsage)
	}
	if err != nil {
		return err
	}
	defer closeJS()
	store, err := eventstore.Open(ctx, js, eventstore.Config{Stream: stream, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	h, err := audit.Load(ctx, projector.CommunityReader{Store: store}, community)
	if err != nil {
		return err
	}
	if len(h) == 0 {
		return fmt.Errorf("the log holds no records of community %q", community)
	}
	r, err := audit.Build(ctx, h, community, o)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return r.WriteText(stdout)
}
