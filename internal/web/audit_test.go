package web_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
)

// The audit view through the API and the page: an auditor of the town
// reads c1's 2025 as recorded on 2026-01-01 and what was recorded up to
// 2026-02-28 (a December voucher entered on 2026-01-10); a clerk may not.
func TestAuditView(t *testing.T) {
	var now atomic.Value
	now.Store(time.Date(2025, 12, 1, 10, 0, 0, 0, domain.Shanghai))
	s := setup(t, app.Config{Now: func() time.Time { return now.Load().(time.Time) }})
	mustCommands(t, s, "nov", voucher("2025-11-20", 1, nil, dr("102", "5000.00"), cr("503", "5000.00")))
	now.Store(time.Date(2026, 1, 10, 9, 0, 0, 0, domain.Shanghai))
	mustCommands(t, s, "dec", voucher("2025-12-15", 1, nil, dr("513", "800.00"), cr("102", "800.00")))

	s.CreateAccount(t, "shenji", "审计员", "correct horse battery", "auditor", "town:示例镇")
	s.CreateAccount(t, "clerk9", "文书", "correct horse battery", "clerk", "community:c1")
	auditor := map[string]string{"Authorization": "Bearer " + accountToken(t, s, "c1", "shenji")}
	clerk := map[string]string{"Authorization": "Bearer " + accountToken(t, s, "c1", "clerk9")}
	path := s.URL + "/api/v1/communities/c1/audit/2025?as_of=2026-01-01&diff_as_of=2026-02-28"

	if r := apptest.Do(t, http.MethodGet, path, nil, clerk); r.Status != http.StatusForbidden {
		t.Errorf("a clerk reads the audit view: %d", r.Status)
	}
	if r := apptest.Do(t, http.MethodGet, path, nil, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("no token: %d", r.Status)
	}
	r := apptest.Do(t, http.MethodGet, path, nil, auditor)
	if r.Status != http.StatusOK {
		t.Fatalf("audit view: %d %s", r.Status, r.Body)
	}
	var rep struct {
		Journal []struct{ ID string }
		Changes []struct {
			Type          string `json:"type"`
			EffectiveDate string `json:"effective_date"`
			LateDays      int    `json:"late_days"`
		}
	}
	if err := json.Unmarshal(r.Body, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Journal) != 1 || rep.Journal[0].ID != "2025-11-001" {
		t.Errorf("as of 2026-01-01 the journal = %+v, want 2025-11-001 alone", rep.Journal)
	}
	// Recorded 2026-01-10 for 2025-12-15: 26 days late.
	if len(rep.Changes) != 1 || rep.Changes[0].EffectiveDate != "2025-12-15" || rep.Changes[0].LateDays != 26 || rep.Changes[0].Type != domain.EvVoucherPosted {
		t.Errorf("changes = %+v, want the December voucher, 26 days late", rep.Changes)
	}
	for _, bad := range []string{"?as_of=yesterday", "?as_of=2026-03-01&diff_as_of=2026-01-01"} {
		if r := apptest.Do(t, http.MethodGet, s.URL+"/api/v1/communities/c1/audit/2025"+bad, nil, auditor); r.Status != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", bad, r.Status)
		}
	}
	// The books as an Excel workbook, as recorded at 2026-01-01: the
	// journal holds November's voucher and not December's.
	x := apptest.Do(t, http.MethodGet, s.URL+"/api/v1/communities/c1/audit/2025/books.xlsx?as_of=2026-01-01", nil, auditor)
	if x.Status != http.StatusOK {
		t.Fatalf("books.xlsx: %d %s", x.Status, x.Body)
	}
	f, err := excelize.OpenReader(bytes.NewReader(x.Body))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows("序时账")
	f.Close()
	journal := fmt.Sprint(rows)
	if !strings.Contains(journal, "2025-11-001") || strings.Contains(journal, "2025-12-001") {
		t.Errorf("the workbook's journal as of 2026-01-01: %s", journal)
	}
	if r := apptest.Do(t, http.MethodGet, s.URL+"/api/v1/communities/c1/audit/2025/books.xlsx", nil, clerk); r.Status != http.StatusForbidden {
		t.Errorf("a clerk downloads the books: %d", r.Status)
	}
	// The open data: public, the board's matters as CSV with a dictionary.
	od := apptest.Do(t, http.MethodGet, s.URL+"/api/v1/communities/c1/open-data.zip", nil, nil)
	zr, err := zip.NewReader(bytes.NewReader(od.Body), int64(len(od.Body)))
	if od.Status != http.StatusOK || err != nil {
		t.Fatalf("open data: %d %v", od.Status, err)
	}
	names := map[string]bool{}
	for _, zf := range zr.File {
		names[zf.Name] = true
	}
	for _, n := range []string{"matters.csv", "stages.csv", "disclosures.csv", "questions.csv", "datadictionary.json", "README.md"} {
		if !names[n] {
			t.Errorf("the open data lacks %s: %v", n, names)
		}
	}

	// The page, for the signed-in auditor, private (signed in on today's
	// clock: the browser's cookie jar keeps real time).
	now.Store(time.Now())
	b := s.SignIn(t, "shenji", "correct horse battery")
	page := b.Get(t, "/c/c1/audit/2025?as_of=2026-01-01&diff_as_of=2026-02-28")
	if page.Status != http.StatusOK || !strings.Contains(string(page.Body), "2025年度审计视图") ||
		!strings.Contains(string(page.Body), "业务日期 2025-12-15，记录于 2026-01-10 09:00") {
		t.Errorf("audit page: %d %s", page.Status, page.Body)
	}
	if cc := page.Header.Get("Cache-Control"); !strings.Contains(cc, "private") && !strings.Contains(cc, "no-store") {
		t.Errorf("audit page Cache-Control %q", cc)
	}
}
