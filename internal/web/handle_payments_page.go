package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/disclose"
	"github.com/gongkai/gongkai/projections"
)

// paymentsPage is 收支明细: every voucher of a month or a quarter, each
// income, expense or neither, with its fund source, and the totals.
type paymentsPage struct {
	financePage
	// Period is "2025-06" or "2025-Q2"; PeriodMonths its months.
	Period       string
	Quarter      int
	Quarters     []int
	PeriodMonths []string
	Rows         []paymentRow
	Income       domain.Fen
	Expense      domain.Fen
}

// paymentRow is one voucher of 收支明细 (see disclose.Payment).
type paymentRow = disclose.Payment

// Net is income less expense.
func (p paymentsPage) Net() domain.Fen { return p.Income - p.Expense }

func (s *Server) handlePaymentsPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	period, ms, quarter, bad := paymentsPeriod(q.Get("month"), q.Get("quarter"), domain.DateOf(s.Now()))
	if bad != nil {
		s.errorPage(w, r, *bad)
		return
	}
	fp, fq, ok := s.financePageData(w, r, false)
	if !ok {
		return
	}
	year, _ := strconv.Atoi(period[:4])
	fp.Year = year
	page := paymentsPage{financePage: fp, Period: period, Quarter: quarter, PeriodMonths: months(year), Quarters: []int{1, 2, 3, 4}}
	pr, err := disclose.Payments(r.Context(), s.Finance, fq.community, year, ms)
	if err != nil {
		s.pageProblem(w, r, err)
		return
	}
	for _, row := range pr.Rows {
		switch row.Direction {
		case "income":
			page.Income += row.Amount
		case "expense":
			page.Expense += row.Amount
		}
		page.Rows = append(page.Rows, row)
	}
	s.render(w, r, http.StatusOK, "payments.html", page)
}

// paymentsPeriod reads ?month=YYYY-MM or ?quarter=YYYY-Qn (this month by
// default) and returns the period's name and months.
func paymentsPeriod(month, quarter string, today domain.Date) (string, []string, int, *Problem) {
	bad := func(field, en, zh string) *Problem {
		p := badRequest("bad_query", en, zh, domain.FieldError{Field: field, Reason: en, ReasonZH: zh})
		return &p
	}
	switch {
	case month != "" && quarter != "":
		return "", nil, 0, bad("quarter", "give a month or a quarter, not both", "月份与季度只能选一个")
	case quarter != "":
		var y, n int
		if _, err := fmt.Sscanf(quarter, "%4d-Q%1d", &y, &n); err != nil || fmt.Sprintf("%04d-Q%d", y, n) != quarter || n < 1 || n > 4 || y < 1949 {
			return "", nil, 0, bad("quarter", "quarter must be written YYYY-Qn, such as 2025-Q2", "季度格式须为 YYYY-Qn，如 2025-Q2")
		}
		var ms []string
		for m := 3*n - 2; m <= 3*n; m++ {
			ms = append(ms, fmt.Sprintf("%04d-%02d", y, m))
		}
		return quarter, ms, n, nil
	case month != "":
		p, err := projections.ParseMonth(month)
		if err != nil || p.Year < 1949 {
			return "", nil, 0, bad("month", "month must be written YYYY-MM", "月份格式须为 YYYY-MM")
		}
		return p.String(), []string{p.String()}, 0, nil
	}
	m := fmt.Sprintf("%04d-%02d", today.Year, int(today.Month))
	return m, []string{m}, 0, nil
}
