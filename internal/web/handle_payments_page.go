package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/gongkai/gongkai/domain"
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

// paymentRow is one voucher of 收支明细. Direction is "income", "expense"
// or "" (a voucher that neither receives nor pays, such as depreciation).
type paymentRow struct {
	projections.VoucherBrief
	Direction string
	Source    string // the fund source of the budget line it cites
}

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
	ctx := r.Context()
	accounts := map[string]projections.AccountInfo{}
	if al, err := s.Finance.Accounts(ctx, fq.community, year); err == nil {
		for _, a := range al.Accounts {
			accounts[a.Code] = a
		}
	}
	sources := map[string]string{}
	if be, err := s.Finance.BudgetExecution(ctx, fq.community, year); err == nil {
		for _, l := range be.Lines {
			sources[l.Line] = l.Source
		}
	}
	for _, m := range ms {
		vl, err := s.Finance.Vouchers(ctx, fq.community, m)
		if err != nil {
			s.pageProblem(w, r, err)
			return
		}
		for _, b := range vl.Vouchers {
			switch b.Kind {
			case "opening", "transition", "closing":
				continue // balances carried, not money received or paid
			}
			v, err := s.Finance.Voucher(ctx, fq.community, b.ID)
			if err != nil {
				s.pageProblem(w, r, err)
				return
			}
			row := paymentRow{VoucherBrief: b}
			row.Direction, row.Amount = direction(v, accounts)
			if v.BudgetLine != "" {
				row.Source = sources[v.BudgetLine]
			}
			switch row.Direction {
			case "income":
				page.Income += row.Amount
			case "expense":
				page.Expense += row.Amount
			}
			page.Rows = append(page.Rows, row)
		}
	}
	s.render(w, r, http.StatusOK, "payments.html", page)
}

// direction tells income from expense, as the page explains: a voucher
// that pays out of cash or the bank is an expense of what it pays; one
// that takes money into cash or the bank, or credits an income account,
// is income; a move between cash and the bank, or a voucher that touches
// neither (depreciation), is neither. A red-ink reversal keeps its
// negative amount, so that it takes back what it reverses.
func direction(v projections.VoucherView, accounts map[string]projections.AccountInfo) (string, domain.Fen) {
	var in, out, income domain.Fen
	for _, l := range v.Lines {
		cash := accounts[l.Account].Cash || accounts[l.Root].Cash || l.Root == domain.AccountCash || l.Root == domain.AccountBank
		switch {
		case cash:
			in += l.Debit
			out += l.Credit
		case accounts[l.Root].Class == domain.ClassIncome:
			income += l.Credit
		}
	}
	switch {
	case in != 0 && out != 0:
		return "", v.Debit
	case out != 0:
		return "expense", out
	case in != 0:
		return "income", in
	case income != 0:
		return "income", income
	}
	return "", v.Debit
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
