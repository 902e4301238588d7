package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

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
	o := audit.Options{Year: y, Now: time.Now()}
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

const exportUsage = `usage: gongkai export --community C --year Y --out FILE.zip [--server URL]

Downloads the audit package of a community's year from the running server
(an auditor's token in GONGKAI_TOKEN): the year's events with their exact
stored bytes and proof bundles, the year-end segment, the statements, and
a README describing every file. Check it with gongkai verify package.`

func runExport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var server, community, year, out string
	fs := newFlags("export", getenv, stderr)
	fs.str(&server, "server", "GONGKAI_SERVER", "http://127.0.0.1:8080", "URL of the running gongkai server")
	fs.StringVar(&community, "community", "", "the community's id")
	fs.StringVar(&year, "year", "", "the fiscal year")
	fs.StringVar(&out, "out", "", "the zip file to write (must not exist)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if y, err := strconv.Atoi(year); err != nil || y < 1949 || y > 9999 || !domain.ValidCommunityID(community) || out == "" {
		return errors.New(exportUsage)
	}
	token := getenv("GONGKAI_TOKEN")
	if token == "" {
		token = getenv("GONGKAI_ADMIN_TOKEN")
	}
	if token == "" {
		return errors.New("set GONGKAI_TOKEN to an auditor's API token")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(server, "/")+"/api/v1/communities/"+community+"/audit/"+year+"/package", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<31))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("the server refused (%d): %s", resp.StatusCode, body)
	}
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(body); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "已写入审计资料包 %s（%d 字节）/ wrote the audit package %s (%d bytes)\n", out, len(body), out, len(body))
	return nil
}

// verifyPackage checks an audit package offline (audit.VerifyPackage).
func verifyPackage(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return errors.New("usage: gongkai verify package FILE.zip --key PUBKEY")
	}
	file := args[0]
	var key string
	fs := newFlags("verify package", getenv, stderr)
	fs.str(&key, "key", "GONGKAI_LOG_KEY", "", "the log's verifier key (as the town publishes it, not the one in the package); after a rotation every key, comma-separated")
	if err := fs.parse(args[1:]); err != nil {
		return err
	}
	if key == "" {
		return errors.New("--key is required: the log's verifier key as the town publishes it")
	}
	vs, err := verifiers(key)
	if err != nil {
		return fmt.Errorf("--key: %w", err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	rep, err := audit.VerifyPackage(b, vs)
	for _, c := range rep.Checks {
		mark := "OK "
		if !c.OK {
			mark = "BAD"
		}
		fmt.Fprintf(stdout, "%s %s / %s: %s\n", mark, c.NameZH, c.Name, c.Detail)
	}
	if err != nil {
		return errVerify
	}
	m := rep.Manifest
	fmt.Fprintf(stdout, "OK: %s（%s）%d年度审计资料包核验通过：%d 条事件", m.Name, m.Community, m.Year, m.Events)
	if m.Uncovered > 0 {
		fmt.Fprintf(stdout, "；另有 %d 条在最新签署检查点之后，未包含", m.Uncovered)
	}
	fmt.Fprintln(stdout)
	return nil
}
