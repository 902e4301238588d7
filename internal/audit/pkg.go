package audit

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	fproof "github.com/transparency-dev/formats/proof"
	"golang.org/x/mod/sumdb/note"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/transparency"
	"github.com/gongkai/gongkai/projections"
)

// PackageFormat names the layout of an audit package (审计资料包).
const PackageFormat = "gongkai-audit-package/v1"

// Proofs is what the log gives a package: the year-end segment (nil when
// the year is not closed or no checkpoint covers it yet), the offline proof
// bundle of each event a signed checkpoint covers, and the log's verifier
// key.
type Proofs struct {
	Segment []byte
	Bundle  func(ctx context.Context, seq uint64) ([]byte, error)
	// Covered is the size of the latest signed checkpoint: events after it
	// have no bundle yet.
	Covered uint64
	LogKey  string
}

// Manifest is the package's manifest.json.
type Manifest struct {
	Format    string    `json:"format"`
	Community string    `json:"community"`
	Name      string    `json:"name"`
	Year      int       `json:"year"`
	CreatedAt time.Time `json:"created_at"`
	// Events counts the lines of events.jsonl; Uncovered the events of the
	// year recorded after the latest signed checkpoint, left out.
	Events    int `json:"events"`
	Uncovered int `json:"uncovered"`
	// SegmentFrom and SegmentTo are the segment's tree sizes (0, 0 without).
	SegmentFrom uint64 `json:"segment_from"`
	SegmentTo   uint64 `json:"segment_to"`
	// Files maps every other file to the hex SHA-256 of its bytes.
	Files map[string]string `json:"files"`
}

// WritePackage writes the audit package of a community's year as a zip:
// the events (the year's, and every event of the community inside the
// year-end segment) as JSON Lines of their exact stored bytes, each with
// its proof bundle, the segment, the log's key, the report and each
// month's trial balance as JSON, the XLSX workbook when xlsx is given, and
// a README that describes every file and field.
func WritePackage(ctx context.Context, w io.Writer, h History, community string, year int, p Proofs, now time.Time, xlsx []byte) error {
	r, err := Build(ctx, h, community, Options{Year: year, Now: now})
	if err != nil {
		return err
	}
	v, err := h.View(ctx, community, time.Time{})
	if err != nil {
		return err
	}
	m := Manifest{Format: PackageFormat, Community: community, Name: r.Name, Year: year, CreatedAt: now.UTC(), Files: map[string]string{}}
	var seg transparency.SegmentBundle
	if p.Segment != nil {
		if err := json.Unmarshal(p.Segment, &seg); err != nil {
			return fmt.Errorf("segment: %w", err)
		}
		m.SegmentFrom, m.SegmentTo = seg.From.Size, seg.To.Size
	}
	files := map[string][]byte{}
	var lines, index bytes.Buffer
	cw := csv.NewWriter(&index)
	_ = cw.Write([]string{"line", "stream_seq", "subject", "sha256"})
	for _, e := range h {
		inSegment := e.Seq > m.SegmentFrom && e.Seq <= m.SegmentTo
		if !inSegment && !Concerns(e, year) {
			continue
		}
		if e.Seq > p.Covered {
			m.Uncovered++
			continue
		}
		b, err := p.Bundle(ctx, e.Seq)
		if err != nil {
			return fmt.Errorf("proof of %d: %w", e.Seq, err)
		}
		pv, err := payloadOf(b)
		if err != nil {
			return fmt.Errorf("proof of %d: %w", e.Seq, err)
		}
		lines.Write(pv.payload)
		lines.WriteByte('\n')
		m.Events++
		sum := sha256.Sum256(pv.payload)
		_ = cw.Write([]string{strconv.Itoa(m.Events), strconv.FormatUint(e.Seq, 10), pv.subject, hex.EncodeToString(sum[:])})
		files[fmt.Sprintf("proofs/%d.tlog-proof", e.Seq)] = b
	}
	cw.Flush()
	files["events.jsonl"] = lines.Bytes()
	files["events-index.csv"] = index.Bytes()
	if p.Segment != nil {
		files["segment.json"] = p.Segment
	}
	files["keys/log.pub"] = []byte(p.LogKey + "\n")
	rep, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	files["statements/report.json"] = rep
	fb, err := json.MarshalIndent(r.Findings, "", "  ")
	if err != nil {
		return err
	}
	files["findings.json"] = fb
	for mo := 1; mo <= 12; mo++ {
		month := fmt.Sprintf("%04d-%02d", year, mo)
		tb, err := v.Finance.TrialBalance(ctx, community, month)
		if err != nil {
			continue
		}
		b, err := json.MarshalIndent(tb, "", "  ")
		if err != nil {
			return err
		}
		files["statements/trial-balance-"+month+".json"] = b
	}
	if xlsx != nil {
		files["statements/books.xlsx"] = xlsx
	}
	files["README.md"] = []byte(packageReadme)
	names := make([]string, 0, len(files))
	for n, b := range files {
		sum := sha256.Sum256(b)
		m.Files[n] = hex.EncodeToString(sum[:])
		names = append(names, n)
	}
	slices.Sort(names)
	zw := zip.NewWriter(w)
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	files["manifest.json"] = mb
	for _, name := range append([]string{"manifest.json"}, names...) {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: now.UTC()})
		if err != nil {
			return err
		}
		if _, err := fw.Write(files[name]); err != nil {
			return err
		}
	}
	return zw.Close()
}

type bundlePayload struct {
	subject string
	payload []byte
}

// payloadOf reads the leaf's subject and the stored payload from a bundle
// without verifying it (the writer trusts its own log; VerifyPackage
// verifies).
func payloadOf(bundle []byte) (bundlePayload, error) {
	var p fproof.TLogProof
	if err := p.Unmarshal(bundle); err != nil {
		return bundlePayload{}, err
	}
	leafText, payload, ok := bytes.Cut(p.ExtraData, []byte("\n\n"))
	if !ok {
		return bundlePayload{}, errors.New("no payload in the bundle")
	}
	leaf, err := transparency.ParseLeaf(append(leafText, '\n'))
	if err != nil {
		return bundlePayload{}, err
	}
	return bundlePayload{subject: leaf.Subject, payload: payload}, nil
}

// Check is one check of a package and its outcome.
type Check struct {
	Name, NameZH string
	OK           bool
	Detail       string
}

// PackageReport is what VerifyPackage found.
type PackageReport struct {
	Manifest Manifest
	Checks   []Check
}

// OK reports whether every check held.
func (r *PackageReport) OK() bool {
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return len(r.Checks) > 0
}

// ErrPackage wraps every reason a package is refused.
var ErrPackage = errors.New("audit package refused")

// VerifyPackage checks an audit package offline with the log's verifier
// keys (never the key inside the package): every file against the
// manifest, every event line against its proof bundle and the bundle
// against the log's signed checkpoint, the segment's checkpoints and
// leaves, that every event of the community inside the segment is in the
// package, and the year's turnover recomputed from the events alone
// (independently of gongkai's read models) against the trial balances in
// the package. It returns the checks and, when one failed, an error
// wrapping ErrPackage that names it.
func VerifyPackage(zipBytes []byte, keys []note.Verifier) (*PackageReport, error) {
	rep := &PackageReport{}
	fail := func(name, zh, format string, a ...any) (*PackageReport, error) {
		d := fmt.Sprintf(format, a...)
		rep.Checks = append(rep.Checks, Check{Name: name, NameZH: zh, Detail: d})
		return rep, fmt.Errorf("%w: %s: %s", ErrPackage, name, d)
	}
	pass := func(name, zh, format string, a ...any) {
		rep.Checks = append(rep.Checks, Check{Name: name, NameZH: zh, OK: true, Detail: fmt.Sprintf(format, a...)})
	}
	zr, err := zip.NewReader(bytes.NewReader(zipBytes), int64(len(zipBytes)))
	if err != nil {
		return fail("zip", "压缩包", "not a zip file: %v", err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		if strings.Contains(f.Name, "..") || path.IsAbs(f.Name) {
			return fail("zip", "压缩包", "unsafe file name %q", f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			return fail("zip", "压缩包", "%s: %v", f.Name, err)
		}
		b, err := io.ReadAll(io.LimitReader(rc, 1<<30))
		rc.Close()
		if err != nil {
			return fail("zip", "压缩包", "%s: %v", f.Name, err)
		}
		files[f.Name] = b
	}
	if err := json.Unmarshal(files["manifest.json"], &rep.Manifest); err != nil || rep.Manifest.Format != PackageFormat {
		return fail("manifest", "清单", "manifest.json missing or not %s", PackageFormat)
	}
	m := rep.Manifest
	for name, want := range m.Files {
		b, ok := files[name]
		sum := sha256.Sum256(b)
		if !ok || hex.EncodeToString(sum[:]) != want {
			return fail("files", "文件完整", "%s is missing or differs from the manifest", name)
		}
	}
	for name := range files {
		if _, ok := m.Files[name]; !ok && name != "manifest.json" {
			return fail("files", "文件完整", "%s is not in the manifest", name)
		}
	}
	pass("files", "文件完整", "%d files match the manifest", len(m.Files))

	// Each line against its bundle, each bundle against the log's key.
	var idx [][]string
	if idx, err = csv.NewReader(bytes.NewReader(files["events-index.csv"])).ReadAll(); err != nil || len(idx) == 0 {
		return fail("events", "事件", "events-index.csv unreadable")
	}
	idx = idx[1:]
	lines := bytes.Split(bytes.TrimSuffix(files["events.jsonl"], []byte("\n")), []byte("\n"))
	if len(files["events.jsonl"]) == 0 {
		lines = nil
	}
	if len(lines) != len(idx) || len(lines) != m.Events {
		return fail("events", "事件", "%d lines, %d index rows, manifest says %d", len(lines), len(idx), m.Events)
	}
	seqs := map[uint64]bool{}
	var events []projections.Event
	for i, line := range lines {
		seq, _ := strconv.ParseUint(idx[i][1], 10, 64)
		b, ok := files[fmt.Sprintf("proofs/%d.tlog-proof", seq)]
		if !ok {
			return fail("events", "事件", "line %d (sequence %d) has no proof bundle", i+1, seq)
		}
		v, err := transparency.VerifyBundle(b, keys, nil, 0)
		if err != nil {
			return fail("events", "事件", "line %d (sequence %d): %v", i+1, seq, err)
		}
		if v.Leaf.Seq != seq || !bytes.Equal(v.Payload, line) {
			return fail("events", "事件", "line %d (sequence %d) is not the event its signed proof holds", i+1, seq)
		}
		if seqs[seq] {
			return fail("events", "事件", "sequence %d is listed twice", seq)
		}
		seqs[seq] = true
		var st struct {
			Type          string          `json:"type"`
			Schema        int             `json:"schema"`
			Community     string          `json:"community"`
			AggregateType string          `json:"aggregate_type"`
			AggregateID   string          `json:"aggregate_id"`
			EffectiveDate string          `json:"effective_date"`
			RecordedAt    time.Time       `json:"recorded_at"`
			Data          json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(line, &st); err != nil || st.Community != m.Community {
			return fail("events", "事件", "line %d is not an event of %s", i+1, m.Community)
		}
		events = append(events, projections.Event{Seq: seq, Type: st.Type, Schema: st.Schema, Community: st.Community,
			AggregateType: st.AggregateType, AggregateID: st.AggregateID, EffectiveDate: st.EffectiveDate, RecordedAt: st.RecordedAt, Data: st.Data})
	}
	pass("events", "事件", "%d events, each in the log as signed by its key, byte for byte", len(lines))

	// The segment: complete and unaltered between its checkpoints, and
	// every event of the community inside it in the package.
	if sb, ok := files["segment.json"]; ok {
		vs, err := transparency.VerifySegment(sb, keys, nil, 0)
		if err != nil {
			return fail("segment", "年度区段", "%v", err)
		}
		prefix := "ledger." + m.Community + "."
		n := 0
		for _, l := range vs.Leaves {
			if !l.Gap && strings.HasPrefix(l.Subject, prefix) {
				n++
				if !seqs[l.Seq] {
					return fail("segment", "年度区段", "the community's event at sequence %d is in the log but not in the package", l.Seq)
				}
			}
		}
		pass("segment", "年度区段", "sizes %d to %d verified; all %d of the community's events in it are in the package", vs.From.Size, vs.To.Size, n)
	} else {
		pass("segment", "年度区段", "no year-end segment (the year is not closed, or no checkpoint covers it): completeness is not shown")
	}

	// The year's turnover by top-level account, from the events alone.
	got := turnover(events, m.Year)
	want := map[string][2]domain.Fen{}
	for mo := 1; mo <= 12; mo++ {
		b, ok := files[fmt.Sprintf("statements/trial-balance-%04d-%02d.json", m.Year, mo)]
		if !ok {
			continue
		}
		var tb projections.TrialBalance
		if err := json.Unmarshal(b, &tb); err != nil {
			return fail("statements", "报表", "trial balance %d: %v", mo, err)
		}
		for _, row := range tb.Rows {
			if row.Level == 0 && (row.Debit != 0 || row.Credit != 0) {
				t := want[row.Account]
				want[row.Account] = [2]domain.Fen{t[0] + row.Debit, t[1] + row.Credit}
			}
		}
	}
	accounts := map[string]bool{}
	for a := range got {
		accounts[a] = true
	}
	for a := range want {
		accounts[a] = true
	}
	for a := range accounts {
		if got[a] != want[a] {
			return fail("statements", "报表", "account %s: the events give debit %s credit %s for %d, the package's trial balances %s and %s",
				a, got[a][0], got[a][1], m.Year, want[a][0], want[a][1])
		}
	}
	pass("statements", "报表", "the year's debits and credits of %d accounts, recomputed from the events, equal the trial balances", len(accounts))
	return rep, nil
}

// turnover adds up, by top-level account (the first three digits of the
// code), the debits and credits of every voucher the events post in year,
// reading each event's JSON alone: the lines of a voucher, reversal,
// correction, depreciation, asset or year-end closing. Opening balances
// and a change of chart (voucher 0) carry balances into the year and are
// not turnover.
func turnover(events []projections.Event, year int) map[string][2]domain.Fen {
	out := map[string][2]domain.Fen{}
	for _, e := range events {
		if e.AggregateType != domain.AggregateBooks || !strings.HasPrefix(e.EffectiveDate, fmt.Sprintf("%04d-", year)) {
			continue
		}
		if e.Type == domain.EvBalancesOpened || e.Type == domain.EvChartTransitioned {
			continue
		}
		var d struct {
			Lines  []domain.Line `json:"lines"`
			Posted *struct {
				Lines []domain.Line `json:"lines"`
			} `json:"posted"`
		}
		if json.Unmarshal(e.Data, &d) != nil {
			continue
		}
		ls := d.Lines
		if d.Posted != nil {
			ls = append(ls, d.Posted.Lines...)
		}
		for _, l := range ls {
			a := l.Account
			if len(a) > 3 {
				a = a[:3]
			}
			t := out[a]
			out[a] = [2]domain.Fen{t[0] + l.Debit, t[1] + l.Credit}
		}
	}
	return out
}

const packageReadme = `# gongkai audit package (审计资料包)

One community's fiscal year as the log holds it, with what an auditor needs
to check it without trusting the server: ` + "`gongkai verify package FILE --key PUBKEY`" + `
checks it offline. Use the log key the town publishes, not keys/log.pub.

| file | what |
|---|---|
| manifest.json | format ("gongkai-audit-package/v1"), community, name, year, created_at (UTC), events (lines of events.jsonl), uncovered (events of the year recorded after the latest signed checkpoint, left out: export again later), segment_from / segment_to (tree sizes of the year-end segment, 0 without one), files: the SHA-256 of every other file |
| events.jsonl | one event per line, the exact bytes the log stored: every event of the community inside the year-end segment and every event that bears on the year (dated in it, or reversing or correcting a voucher of it), in stream order |
| events-index.csv | line, stream_seq, subject, sha256 of each line (UTF-8) |
| proofs/SEQ.tlog-proof | the offline proof bundle of the event at stream sequence SEQ (C2SP tlog-proof: the leaf and the stored payload as extra data, the inclusion proof, the signed checkpoint with its cosignatures); docs/verification.md of gongkai |
| segment.json | the year-end segment (gongkai-segment/v1): every leaf of the log between the checkpoint covering the previous year's close and the one covering this year's, with both signed checkpoints |
| keys/log.pub | the log's verifier key as the server knew it (for information) |
| statements/report.json | the year as recorded: matters, budget execution, journal (every voucher with its lines), trial balance and the official forms at the year's end, late entries, compliance findings |
| findings.json | the compliance findings that concern the year: rule (code), year, other_years, seqs (the events it rests on), title / title_zh, detail / detail_zh (with the figures and dates), severity (high, medium, low) |
| statements/trial-balance-YYYY-MM.json | each month's trial balance (科目余额表): per account opening, month's debit and credit, closing, with stream sequences |
| statements/books.xlsx | (when present) the journal, ledgers, trial balance and statements as a workbook |

Each event line is a JSON object: id (UUID), type (e.g. books.voucher_posted),
schema, community, aggregate_type, aggregate_id, effective_date (the
business date, YYYY-MM-DD, Beijing), recorded_at (when the log recorded it,
UTC), idempotency_key, actor (who sent it: an account's login, a token's
id, "admin", "public"), data (the event's fields, docs/api.md §7 of
gongkai). Amounts are strings in yuan with two decimals ("6800.00").

What verify package checks: every file against the manifest; every event
line against its proof bundle and every bundle against the log's key; the
segment's checkpoints and leaves, and that every event of the community in
the segment is in the package; and the year's debits and credits per
account recomputed from the event lines alone equal the trial balances.
`
