package web_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
	"github.com/gongkai/gongkai/internal/audit"
)

// waitCovered waits until a signed checkpoint covers the stream's last
// sequence.
func waitCovered(t *testing.T, s *apptest.Server) {
	t.Helper()
	last := s.LastSeq(t)
	for i := 0; ; i++ {
		r := apptest.Do(t, http.MethodGet, s.URL+"/api/v1/log/checkpoint", nil, nil)
		var size uint64
		if lines := strings.Split(string(r.Body), "\n"); r.Status == http.StatusOK && len(lines) > 1 {
			fmt.Sscan(lines[1], &size)
		}
		if size >= last {
			return
		}
		if i == 1500 {
			t.Fatalf("no checkpoint covers %d after 15 s", last)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func logKey(t *testing.T, s *apptest.Server) []note.Verifier {
	t.Helper()
	r := apptest.Do(t, http.MethodGet, s.URL+"/api/v1/log/key", nil, nil)
	v, err := note.NewVerifier(strings.TrimSpace(string(r.Body)))
	if err != nil {
		t.Fatalf("log key %q: %v", r.Body, err)
	}
	return []note.Verifier{v}
}

// closedYears records 2024 (one voucher, closed) and 2025 (vouchers, a
// reversal, every month closed, the year closed), each year covered by a
// checkpoint before the next begins, so that 2025's year-end segment holds
// its events.
func closedYears(t *testing.T) *apptest.Server {
	s := setup(t, app.Config{CheckpointEvery: 20 * time.Millisecond})
	mustCommands(t, s, "y2024",
		voucher("2024-12-10", 1, nil, dr("102", "1000.00"), cr("503", "1000.00")),
		step("books.close_month", "books", "2024-12-31", `{"month":"2024-12"}`),
		step("books.close_year", "books", "2024-12-31", `{"year":2024}`))
	waitCovered(t, s)
	mustCommands(t, s, "y2025",
		voucher("2025-01-05", 1, nil, dr("102", "20000.00"), cr("503", "20000.00")),
		voucher("2025-03-05", 1, nil, dr("513", "300.00"), cr("102", "300.00")),
		step("books.reverse_voucher", "books", "2025-03-06", `{"voucher":"2025-03-001","number":2,"reason":"重复","preparer":"赵敏"}`),
		voucher("2025-06-18", 1, nil, dr("513", "1260.00"), cr("102", "1260.00")))
	for m := 1; m <= 12; m++ {
		mustCommands(t, s, fmt.Sprint("close-", m), step("books.close_month", "books", monthEndOf(2025, m), fmt.Sprintf(`{"month":"2025-%02d"}`, m)))
	}
	mustCommands(t, s, "close-2025", step("books.close_year", "books", "2025-12-31", `{"year":2025}`))
	waitCovered(t, s)
	waitSeq(t, s, "/api/v1/communities/c1/finance/summary?year=2025", s.LastSeq(t))
	return s
}

// rezip rewrites a package with change applied to its files and the
// manifest's hashes (and event count) made to match, as someone who
// tampers with a package would.
func rezip(t *testing.T, pkg []byte, change func(files map[string][]byte, m *audit.Manifest)) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		files[f.Name] = b
	}
	var m audit.Manifest
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
		t.Fatal(err)
	}
	change(files, &m)
	m.Files = map[string]string{}
	for n, b := range files {
		if n != "manifest.json" {
			sum := sha256.Sum256(b)
			m.Files[n] = hex.EncodeToString(sum[:])
		}
	}
	files["manifest.json"], _ = json.Marshal(m)
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for n, b := range files {
		w, _ := zw.Create(n)
		w.Write(b)
	}
	zw.Close()
	return out.Bytes()
}

// The audit package of issue 12: accepted as exported; refused, with the
// reason, when one event line is altered, when one is removed, and when
// its checkpoints are another log's.
func TestAuditPackage(t *testing.T) {
	s := closedYears(t)
	s.CreateAccount(t, "shenji", "审计员", "correct horse battery", "auditor", "community:c1")
	tok := map[string]string{"Authorization": "Bearer " + accountToken(t, s, "c1", "shenji")}
	r := apptest.Do(t, http.MethodGet, s.URL+"/api/v1/communities/c1/audit/2025/package", nil, tok)
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("package: %d %s", r.Status, r.Body)
	}
	keys := logKey(t, s)
	rep, err := audit.VerifyPackage(r.Body, keys)
	if err != nil || !rep.OK() {
		t.Fatalf("the package as exported is refused: %v %+v", err, rep)
	}
	// 2025's events: the chart recorded for the year with its first
	// voucher, 3 vouchers and a reversal, 12 month closes and the year
	// close (18, all in the segment, which starts at the checkpoint that
	// covers 2024's close), and the community's registration, dated
	// 2025-01-02, before the segment: 19.
	if rep.Manifest.Events != 19 || rep.Manifest.SegmentTo <= rep.Manifest.SegmentFrom {
		t.Errorf("manifest: %+v, want 19 events and a segment", rep.Manifest)
	}
	if _, ok := rep.Manifest.Files["statements/books.xlsx"]; !ok {
		t.Errorf("the package holds no workbook: %v", rep.Manifest.Files)
	}
	if c := rep.Checks[2]; c.Name != "segment" || !strings.Contains(c.Detail, "all 18 of the community's events") {
		t.Errorf("segment check: %+v", c)
	}
	t.Logf("checks: %+v", rep.Checks)

	refused := func(name string, pkg []byte, keys []note.Verifier, check, reason string) {
		t.Helper()
		_, err := audit.VerifyPackage(pkg, keys)
		if !errors.Is(err, audit.ErrPackage) || !strings.Contains(err.Error(), check) || !strings.Contains(err.Error(), reason) {
			t.Errorf("%s: %v, want %s: …%s…", name, err, check, reason)
		}
	}
	// One line altered: the 1,260.00 payment made 126.00.
	refused("a line altered", rezip(t, r.Body, func(f map[string][]byte, _ *audit.Manifest) {
		f["events.jsonl"] = bytes.Replace(f["events.jsonl"], []byte(`"1260.00"`), []byte(`"126.00"`), 1)
	}), keys, "events", "is not the event its signed proof holds")
	// One line removed, with its index row and proof.
	refused("a line removed", rezip(t, r.Body, func(f map[string][]byte, m *audit.Manifest) {
		lines := bytes.SplitAfter(f["events.jsonl"], []byte("\n"))
		rows := bytes.SplitAfter(f["events-index.csv"], []byte("\n"))
		seq := strings.Split(string(rows[4]), ",")[1]
		f["events.jsonl"] = bytes.Join(append(lines[:3:3], lines[4:]...), nil)
		f["events-index.csv"] = bytes.Join(append(rows[:4:4], rows[5:]...), nil)
		delete(f, "proofs/"+seq+".tlog-proof")
		m.Events--
	}), keys, "segment", "is in the log but not in the package")
	// Checked against another log's key: its checkpoints are not this one's.
	other := setup(t, app.Config{CheckpointEvery: 20 * time.Millisecond})
	waitCovered(t, other)
	refused("another log's checkpoints", r.Body, logKey(t, other), "events", "bundle")
	// The turnover recomputed from the events is compared: a trial balance
	// changed in the package (its hash updated) is refused.
	refused("a trial balance changed", rezip(t, r.Body, func(f map[string][]byte, _ *audit.Manifest) {
		f["statements/trial-balance-2025-06.json"] = bytes.Replace(f["statements/trial-balance-2025-06.json"], []byte(`"debit": "1260.00"`), []byte(`"debit": "1200.00"`), 1)
	}), keys, "statements", "account 513")
	// A clerk may not download it.
	s.CreateAccount(t, "clerk7", "文书", "correct horse battery", "clerk", "community:c1")
	if r := apptest.Do(t, http.MethodGet, s.URL+"/api/v1/communities/c1/audit/2025/package", nil,
		map[string]string{"Authorization": "Bearer " + accountToken(t, s, "c1", "clerk7")}); r.Status != http.StatusForbidden {
		t.Errorf("a clerk downloads the package: %d", r.Status)
	}
}

// The demo's 2023, 2024 and 2025 packages verify: the turnover recomputed
// from the events alone (vouchers, reversals, depreciation, a donated
// asset, the years' closings, a change of chart) equals the read model's
// trial balances, whatever the chart.
func TestDemoAuditPackages(t *testing.T) {
	s := startGoldenDemo(t)
	admin := map[string]string{"Authorization": "Bearer " + apptest.AdminToken}
	keys := logKey(t, s)
	for _, year := range []int{2023, 2024, 2025} {
		r := apptest.Do(t, http.MethodGet, fmt.Sprintf("%s/api/v1/communities/wenhualu/audit/%d/package", s.URL, year), nil, admin)
		if r.Status != http.StatusOK {
			t.Fatalf("%d: %d %s", year, r.Status, r.Body)
		}
		rep, err := audit.VerifyPackage(r.Body, keys)
		if err != nil {
			t.Errorf("the demo's %d package: %v", year, err)
			continue
		}
		t.Logf("%d: %d events; %s", year, rep.Manifest.Events, rep.Checks[3].Detail)
	}
}

// A correction recorded in 2026 of a 2025 voucher shows on the 2025
// statements page and on the corrected voucher's page, and a voucher
// recorded long after its date says it was entered late.
func TestCorrectionsShowOnTheYear(t *testing.T) {
	s := closedYears(t)
	mustCommands(t, s, "correct", step("books.post_correction", "books", "2026-01-10",
		`{"number":1,"summary":"更正2025年6月办公费","preparer":"赵敏","corrects":"2025-06-001","reason":"金额多记60元","lines":[{"account":"102","debit":"60.00"},{"account":"513","credit":"60.00"}]}`))
	waitSeq(t, s, "/api/v1/communities/c1/finance/summary?year=2025", s.LastSeq(t))
	page := get(t, s, "/c/c1/finance/statements?year=2025")
	if !strings.Contains(page, "2025年度账目结账后，以后年度有蓝字更正凭证更正本年度凭证") || !strings.Contains(page, "2026-01-001</a> 更正 <a") {
		t.Errorf("the 2025 statements page does not show the later correction")
	}
	if v := get(t, s, "/c/c1/finance/vouchers/2025-06-001"); !strings.Contains(v, "结账后被蓝字更正") || !strings.Contains(v, "2026-01-001") {
		t.Errorf("the corrected voucher's page does not link its correction")
	}
	if page := get(t, s, "/c/c1/finance/statements?year=2024"); strings.Contains(page, "蓝字更正凭证更正本年度") {
		t.Errorf("the 2024 statements page shows a correction of 2025")
	}
	// Recorded today, dated 2025-06-18: entered late.
	if v := get(t, s, "/c/c1/finance/vouchers/2025-06-001"); !strings.Contains(v, "补录：凭证日期") {
		t.Errorf("a voucher recorded a year after its date does not say it was entered late")
	}
}
