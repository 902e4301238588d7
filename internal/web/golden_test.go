package web_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
	"github.com/gongkai/gongkai/internal/demo"
	"github.com/gongkai/gongkai/projections"
)

var update = flag.Bool("update", false, "rewrite golden files")

// goldenNow is the fixed clock of the golden tests: late in 2026, so that
// the demo's year 2025 is closed and in the past.
var goldenNow = time.Date(2026, 11, 26, 8, 0, 0, 0, time.FixedZone("CST", 8*60*60))

// startGoldenDemo runs a server with the demo loaded, a fixed clock and
// sequential ids, and waits until the board and the books have applied the
// whole demo, so that every reply is the same on every run.
func startGoldenDemo(t *testing.T) *apptest.Server {
	t.Helper()
	var n atomic.Uint64
	s := apptest.StartOn(t, app.Config{DataDir: t.TempDir(), Demo: true,
		Now:   func() time.Time { return goldenNow },
		NewID: func() string { return fmt.Sprintf("00000000-0000-7000-8000-%012d", n.Add(1)) },
	})
	want := uint64(demo.Events())
	waitSeq(t, s, "/api/v1/communities/"+demo.Community+"/board", want)
	// The books are a read model of their own, fed one event at a time:
	// wait until they too have applied the last event of the demo.
	last := s.LastSeq(t)
	if last < want {
		t.Fatalf("LastSeq = %d after the board applied the demo, want at least %d", last, want)
	}
	waitSeq(t, s, "/api/v1/communities/"+demo.Community+"/finance/summary?year=2025", last)
	// The statements page of 2025 links the year-end segment once a
	// checkpoint covers the close of 2025 (signed at once on a year close).
	for i := 0; ; i++ {
		r := apptest.Do(t, http.MethodGet, s.URL+"/api/v1/communities/"+demo.Community+"/log/years/2025", nil, nil)
		if r.Status == http.StatusOK {
			break
		}
		if i == 3000 {
			t.Fatalf("no year-end segment of 2025 after 30s: %d %s", r.Status, r.Body)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return s
}

// waitSeq polls path until its as_of_seq reaches want.
func waitSeq(t *testing.T, s *apptest.Server, path string, want uint64) {
	t.Helper()
	var got uint64
	for range 1000 {
		r := apptest.Do(t, http.MethodGet, s.URL+path, nil, nil)
		if r.Status == http.StatusOK {
			if seq, ok := r.JSON(t)["as_of_seq"].(float64); ok {
				if got = uint64(seq); got >= want {
					return
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("GET %s: as_of_seq = %d after 10s, want %d", path, got, want)
}

// checkGolden compares got with testdata/golden/name, or rewrites the file
// with -update. On a mismatch it reports the first line that differs.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/web -run Golden -update to create it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(gl), len(wl)); i++ {
		g, w := "<end of file>", "<end of file>"
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Errorf("%s line %d:\n got: %s\nwant: %s\n(run with -update if the change is intended)", path, i+1, g, w)
			return
		}
	}
}

// The statements of the demo's year 2025 are byte for byte the same as the
// golden files, both as JSON and as rendered pages.
func TestGoldenFinance(t *testing.T) {
	s := startGoldenDemo(t)
	api := s.URL + "/api/v1/communities/" + demo.Community + "/finance/"
	page := s.URL + "/c/" + demo.Community + "/finance"
	bodies := map[string][]byte{}
	for _, c := range []struct {
		name, url string
		status    int
	}{
		{"income-statement-2025.json", api + "income-statement?year=2025", http.StatusOK},
		{"balance-sheet-2025-12.json", api + "balance-sheet?month=2025-12", http.StatusOK},
		{"trial-balance-2025-06.json", api + "trial-balance?month=2025-06", http.StatusOK},
		// After the year-end carry-forward, with no voucher of 2026.
		{"trial-balance-2026-01.json", api + "trial-balance?month=2026-01", http.StatusOK},
		{"budget-2025.json", api + "budget?year=2025", http.StatusOK},
		{"summary-2025.json", api + "summary?year=2025", http.StatusOK},
		{"ledger-102-2025-06.json", api + "ledger?account=102&month=2025-06", http.StatusOK},
		{"finance-2025.html", page + "?year=2025", http.StatusOK},
		{"budget-2025.html", page + "/budget?year=2025", http.StatusOK},
		{"statements-2025.html", page + "/statements?year=2025", http.StatusOK},
		{"statements-2025-en.html", page + "/statements?year=2025&lang=en", http.StatusOK},
		// The official forms: 2023 on the 2004 chart, 2025 on the 2023
		// chart; the books' day-books, vouchers and reconciliation.
		{"form-balance-sheet-2023-12.json", api + "forms/balance-sheet?month=2023-12", http.StatusOK},
		{"form-income-2023.json", api + "forms/income-and-distribution?year=2023", http.StatusOK},
		{"form-balance-sheet-2025-12.json", api + "forms/balance-sheet?month=2025-12", http.StatusOK},
		{"form-income-2025.json", api + "forms/income-and-distribution?year=2025", http.StatusOK},
		{"accounts-2025.json", api + "accounts?year=2025", http.StatusOK},
		{"cash-book-102-2025-06.json", api + "cash-book?account=102&month=2025-06", http.StatusOK},
		{"vouchers-2025-06.json", api + "vouchers?month=2025-06", http.StatusOK},
		{"voucher-2025-06-005.json", api + "vouchers/2025-06-005", http.StatusOK},
		{"bank-reconciliation-2025-06.json", api + "bank-reconciliation?account=102&month=2025-06&statement_balance=34120.00&bank_paid=20.00&outstanding=2025-06-007/1", http.StatusOK},
		{"statements-2023.html", page + "/statements?year=2023", http.StatusOK},
		{"ledger-513-2025-06.html", page + "/ledger?account=513&month=2025-06", http.StatusOK},
		{"cash-102-2025-06.html", page + "/cash?account=102&month=2025-06", http.StatusOK},
		{"vouchers-2025-06.html", page + "/vouchers?month=2025-06", http.StatusOK},
		{"voucher-2025-06-005.html", page + "/vouchers/2025-06-005", http.StatusOK},
		{"voucher-2024-01-000.html", page + "/vouchers/2024-01-000", http.StatusOK},
		{"bank-reconciliation-2025-06.html", page + "/bank-reconciliation?account=102&month=2025-06&statement_balance=34120.00&bank_paid=20.00&outstanding=2025-06-007/1", http.StatusOK},
	} {
		r := apptest.Do(t, http.MethodGet, c.url, nil, nil)
		if r.Status != c.status {
			t.Errorf("GET %s: status %d, want %d: %s", c.url, r.Status, c.status, r.Body)
		}
		bodies[c.name] = r.Body
		checkGolden(t, c.name, r.Body)
	}

	// The facts below hold whatever the golden files say, so that a
	// wrong golden file cannot pass unnoticed.
	decode := func(name string, v any) {
		t.Helper()
		if err := json.Unmarshal(bodies[name], v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}

	var is projections.IncomeStatement
	decode("income-statement-2025.json", &is)
	var collective *projections.StatementRow
	for i := range is.Rows {
		if is.Rows[i].Code == "501" {
			collective = &is.Rows[i]
		}
	}
	if collective == nil || collective.Amount.String() != "14000.00" {
		t.Errorf("income statement 2025 row 501 = %+v, want amount 14000.00 (four quarters of 3500.00 rent)", collective)
	}
	// The figures themselves are worked out by hand in
	// demo_statements_test.go; here the two replies must agree.
	var isForm projections.Form
	decode("form-income-2025.json", &isForm)
	for _, r := range isForm.Rows {
		if r.Kind == "total" && strings.Contains(r.LabelZH, "本年收益") && r.Amounts["year"] != is.Result {
			t.Errorf("income statement 2025 result = %s; the official form's %s is %s", is.Result, r.LabelZH, r.Amounts["year"])
		}
	}

	var bs projections.BalanceSheet
	decode("balance-sheet-2025-12.json", &bs)
	var assets domain.Fen
	for _, r := range bs.Assets {
		assets += r.Amount
	}
	if !bs.Balanced || bs.TotalAssets == 0 || bs.TotalAssets != bs.TotalLiabilities+bs.TotalEquity || assets != bs.TotalAssets {
		t.Errorf("balance sheet 2025-12: balanced %v, assets %s (rows sum to %s), liabilities %s + equity %s; want balanced and not empty",
			bs.Balanced, bs.TotalAssets, assets, bs.TotalLiabilities, bs.TotalEquity)
	}

	var be projections.BudgetExecution
	decode("budget-2025.json", &be)
	const staff, allowance, months = 5, 458_00, 12
	var staffLine *projections.BudgetExecLine
	for i := range be.Lines {
		if be.Lines[i].Line == "staff" {
			staffLine = &be.Lines[i]
		}
	}
	if staffLine == nil || staffLine.Budget != domain.Fen(staff*allowance*months) || staffLine.Budget.String() != "27480.00" || staffLine.Percent != 10000 {
		t.Errorf("budget 2025 line staff = %+v, want budget 27480.00 (5 × 458.00 × 12) and percent_bp 10000", staffLine)
	}
	totalBudget := domain.Fen(staff*allowance*months + 20000_00 + 23500_00 + 5000_00)
	if be.Total.Budget != totalBudget {
		t.Errorf("budget 2025 total = %s, want %s", be.Total.Budget, totalBudget)
	}
	budgetPage := string(bodies["budget-2025.html"])
	for _, w := range []string{totalBudget.Capital(), "<svg"} {
		if !strings.Contains(budgetPage, w) {
			t.Errorf("budget page 2025 lacks %q", w)
		}
	}

	statements := string(bodies["statements-2025.html"])
	for _, w := range []string{"资产负债表", "收益及收益分配表", "2023年格式行次未经官方原文核对", "✓ 资产总计 = 负债和所有者权益总计",
		"六、年末未分配收益", "@page{size:A4"} {
		if !strings.Contains(statements, w) {
			t.Errorf("statements page 2025 lacks %q", w)
		}
	}
	old := string(bodies["statements-2023.html"])
	for _, w := range []string{"村会01表", "村会02表", "存　货", "4. 农户分配", "101</a> 现金"} {
		if !strings.Contains(old, w) {
			t.Errorf("statements page 2023 (2004 chart) lacks %q", w)
		}
	}
	if strings.Contains(old, "未经官方原文核对") {
		t.Errorf("statements page 2023 says its (verified) 2004 forms are unverified")
	}
	// Every official balance sheet of the demo balances, and its income
	// form agrees with it.
	for _, name := range []string{"form-balance-sheet-2023-12.json", "form-balance-sheet-2025-12.json", "form-income-2023.json", "form-income-2025.json"} {
		var f projections.Form
		decode(name, &f)
		if !f.Balanced || len(f.Checks) == 0 || len(f.Unplaced) != 0 {
			t.Errorf("%s: balanced %v, checks %+v, left off %v", name, f.Balanced, f.Checks, f.Unplaced)
		}
	}
	var v projections.VoucherView
	decode("voucher-2025-06-005.json", &v)
	if v.Kind != "reversal" || v.Debit >= 0 || v.TotalCapital != v.Debit.Capital() {
		t.Errorf("voucher 2025-06-005 = %+v, want the red-ink reversal with its total in 大写", v)
	}
	voucherPage := string(bodies["voucher-2025-06-005.html"])
	for _, w := range []string{v.TotalCapital, "制单", "审核", "审批", "/api/v1/log/bundle?seq=" + strconv.FormatUint(v.Seq, 10), "红字冲销凭证"} {
		if !strings.Contains(voucherPage, w) {
			t.Errorf("voucher page 2025-06-005 lacks %q", w)
		}
	}
	var cb projections.CashBook
	decode("cash-book-102-2025-06.json", &cb)
	var ledger projections.Ledger
	decode("ledger-102-2025-06.json", &ledger)
	if cb.Opening != ledger.Opening || cb.Closing != ledger.Closing || cb.Kind != "bank" || len(cb.Days) == 0 {
		t.Errorf("银行存款日记账 2025-06 opens at %s and closes at %s; the ledger of 102 at %s and %s", cb.Opening, cb.Closing, ledger.Opening, ledger.Closing)
	}
	var br projections.BankReconciliation
	decode("bank-reconciliation-2025-06.json", &br)
	if r := br.Reconciled; r == nil || r.StatementBalance != 34120_00 || r.BankPaid != 20_00 || len(r.Outstanding) != 1 ||
		r.AdjustedBooks != br.BookBalance-20_00 || r.Agrees != (r.AdjustedBooks == r.AdjustedBank) {
		t.Errorf("bank reconciliation 2025-06 = %+v (book balance %s)", r, br.BookBalance)
	}
}
