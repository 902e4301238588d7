package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
)

// The rules of issue 10, item 7, one case each: the command is refused with
// its rule's code and a Chinese reason, and the log is unchanged; where the
// rule lets something through (a transfer between cash and bank), that is
// shown too.
func TestBooksRules(t *testing.T) {
	s := setup(t, app.Config{})
	mustCommands(t, s, "matter-pass", matterSteps("m-pass", votesPassJSON)...)
	mustCommands(t, s, "books",
		budget2025,
		voucher("2025-01-05", 1, nil, dr("102", "20000.00"), cr("503", "20000.00")),
		// A cash withdrawal of 12,000 yuan is no payment: no resolution,
		// and the office line's execution does not count it.
		voucher("2025-01-08", 2, map[string]string{"budget_line": "office"}, dr("101", "12000.00"), cr("102", "12000.00")),
		step("books.define_account", "books", "2025-01-09", `{"code":"11201","parent":"112","name_zh":"张三"}`),
		step("books.define_account", "books", "2025-01-09", `{"code":"11202","parent":"112","name_zh":"李四"}`),
		voucher("2025-01-20", 3, nil, dr("11201", "300.00"), cr("101", "300.00")),
		step("books.close_month", "books", "2025-01-31", `{"month":"2025-01"}`),
	)
	exec := mustStatus(t, apptest.Do(t, http.MethodGet, s.URL+"/api/v1/communities/c1/finance/budget?year=2025", nil, nil), http.StatusOK)
	if strings.Contains(fmt.Sprint(exec), "12000") {
		t.Errorf("the cash withdrawal counts as budget execution: %v", exec)
	}
	cases := []struct {
		name, body, code, zh string
	}{
		{"paying out cash not held", voucher("2025-02-03", 1, nil, dr("513", "12000.00"), cr("101", "12000.00")), "cash_negative", "库存现金不能出现负数"},
		{"overdrawing the bank", voucher("2025-02-03", 1, nil, dr("513", "8000.01"), cr("102", "8000.01")), "bank_overdrawn", "不允许银行透支"},
		{"one account debited and credited", voucher("2025-02-03", 1, nil, dr("513", "10.00"), cr("513", "10.00")), "same_account_both_sides", "既借又贷"},
		{"posting to an account with sub-accounts", voucher("2025-02-03", 1, nil, dr("112", "10.00"), cr("101", "10.00")), "not_leaf_account", "明细科目"},
		{"closing a month while earlier ones are open", step("books.close_month", "books", "2025-03-31", `{"month":"2025-03"}`), "earlier_month_open", "依次结账"},
		{"opening balances in books that hold a year", step("books.open_balances", "books", "2025-02-03",
			`{"year":2025,"lines":[{"account":"101","debit":"1.00"},{"account":"301","credit":"1.00"}],"source":"2024年度资产负债表","preparer":"赵敏"}`), "books_not_empty", "期初余额"},
		{"a change of chart the year before is open", step("books.transition", "books", "2026-01-02", `{"year":2026,"preparer":"赵敏"}`), "transition_year_open", "年终结账"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := s.LastSeq(t)
			r := mustStatus(t, s.Command(t, "c1", fmt.Sprint("rule10-", i), tc.body), http.StatusUnprocessableEntity)
			if r["code"] != tc.code || !strings.Contains(fmt.Sprint(r["detail_zh"]), tc.zh) {
				t.Errorf("code %v, detail_zh %v; want %s and %q", r["code"], r["detail_zh"], tc.code, tc.zh)
			}
			if after := s.LastSeq(t); after != before {
				t.Fatalf("LastSeq = %d after a refused command, want %d", after, before)
			}
		})
	}
	// A voucher dated before one already numbered in its month.
	mustCommands(t, s, "feb", voucher("2025-02-10", 1, nil, dr("513", "100.00"), cr("102", "100.00")))
	before := s.LastSeq(t)
	r := mustStatus(t, s.Command(t, "c1", "early", voucher("2025-02-05", 2, nil, dr("513", "100.00"), cr("102", "100.00"))), http.StatusUnprocessableEntity)
	if r["code"] != "voucher_date_order" || !strings.Contains(fmt.Sprint(r["detail_zh"]), "按日期顺序") || s.LastSeq(t) != before {
		t.Errorf("a voucher dated before 2025-02-001: %v (LastSeq %d -> %d)", r, before, s.LastSeq(t))
	}
}

// A year is closed only after the years before it, and never after a
// later one; a year on a superseded chart needs the change of chart first.
func TestYearsInOrderAndTheChangeOfChart(t *testing.T) {
	s := setup(t, app.Config{})
	// 2023 on the 2004 chart (522 补助收入), opened from the 2022 statement.
	mustCommands(t, s, "y2023",
		step("books.open_balances", "books", "2023-01-03", `{"year":2023,"lines":[{"account":"102","debit":"5000.00"},{"account":"301","credit":"5000.00"}],"source":"2022年度资产负债表","preparer":"赵敏"}`),
		voucher("2023-03-01", 1, nil, dr("102", "800.00"), cr("522", "800.00")),
	)
	for m := 1; m <= 12; m++ {
		mustCommands(t, s, fmt.Sprint("close-2023-", m), step("books.close_month", "books", monthEndOf(2023, m), fmt.Sprintf(`{"month":"2023-%02d"}`, m)))
	}
	// 2024 cannot be posted on the old chart.
	before := s.LastSeq(t)
	r := mustStatus(t, s.Command(t, "c1", "old-chart-2024", voucher("2024-02-01", 1, nil, dr("102", "1.00"), cr("522", "1.00"))), http.StatusUnprocessableEntity)
	if r["code"] != "transition_required" || s.LastSeq(t) != before {
		t.Errorf("a 2024 voucher before the change of chart: %v", r)
	}
	mustCommands(t, s, "close-2023", step("books.close_year", "books", "2023-12-31", `{"year":2023}`))
	mustCommands(t, s, "transition", step("books.transition", "books", "2024-01-02", `{"year":2024,"preparer":"赵敏"}`))
	// The old income account is gone; the new one takes the posting.
	r = mustStatus(t, s.Command(t, "c1", "old-code-2024", voucher("2024-02-01", 1, nil, dr("102", "1.00"), cr("522", "1.00"))), http.StatusUnprocessableEntity)
	if r["code"] != "unknown_account" {
		t.Errorf("522 in 2024: %v", r)
	}
	mustCommands(t, s, "y2024", voucher("2024-02-01", 1, nil, dr("102", "1.00"), cr("503", "1.00")))
	// Closing 2025 before 2024, then 2024 after 2025: both refused.
	before = s.LastSeq(t)
	r = mustStatus(t, s.Command(t, "c1", "close-2025", step("books.close_year", "books", "2025-12-31", `{"year":2025}`)), http.StatusUnprocessableEntity)
	if r["code"] != "earlier_year_open" || s.LastSeq(t) != before {
		t.Errorf("closing 2025 with 2024 open: %v", r)
	}
}

// monthEndOf returns the last day of a month, YYYY-MM-DD.
func monthEndOf(year, month int) string {
	days := []int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[month-1]
	if month == 2 && year%4 == 0 {
		days = 29
	}
	return fmt.Sprintf("%d-%02d-%02d", year, month, days)
}
