package web

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/projections"
)

type financePage struct {
	Community string
	Name      string
	Year      int
	Years     []int
	Month     string
	Chart     template.HTML
	Summary   *projections.Summary
	Budget    *projections.BudgetExecution
	Trial     *projections.TrialBalance
	// YearSegment links the year-end segment proof of a closed year.
	YearSegment string
	// Corrections are later years' corrections of the year's vouchers.
	Corrections []projections.VoucherBrief
	// The official statements, laid out by their forms.
	BalanceForm, IncomeForm *formView
	// FormError says why a form is missing (a chart gongkai has none for).
	FormError string
	// The books pages: a ledger, a day-book, a bank reconciliation, a
	// month's vouchers, one voucher; Months are the year's, for the month
	// links, Account the page's account.
	Ledger      *projections.Ledger
	CashBook    *projections.CashBook
	Recon       *reconView
	VoucherList *projections.VoucherList
	Voucher     *voucherView
	Months      []string
	Account     string
}

// financePageData fills what every finance page shows; it writes an error
// page and returns false when the community or the query is wrong.
func (s *Server) financePageData(w http.ResponseWriter, r *http.Request, needMonth bool) (financePage, financeQuery, bool) {
	q, p := s.parseFinance(r, needMonth)
	if p != nil {
		s.errorPage(w, r, *p)
		return financePage{}, q, false
	}
	v, ok := s.board(w, r, func(p Problem) { s.errorPage(w, r, p) })
	if !ok {
		return financePage{}, q, false
	}
	years, _ := s.Finance.Years(r.Context(), q.community)
	return financePage{Community: q.community, Name: v.Name, Year: q.year, Years: years, Month: q.month}, q, true
}

func (s *Server) handleFinancePage(w http.ResponseWriter, r *http.Request) {
	page, q, ok := s.financePageData(w, r, false)
	if !ok {
		return
	}
	lang := pageLang(r)
	if sum, err := s.Finance.Summary(r.Context(), q.community, q.year); err == nil {
		page.Summary = &sum
		labels := make([]string, len(sum.Months))
		in, out := make([]domain.Fen, len(sum.Months)), make([]domain.Fen, len(sum.Months))
		for i, m := range sum.Months {
			labels[i] = fmt.Sprint(i + 1)
			in[i], out[i] = m.TotalIn, m.TotalOut
		}
		page.Chart = barChart(translate(lang, "chart_months"), labels, []barSeries{
			{Name: translate(lang, "income"), Class: "s1", Values: in}, {Name: translate(lang, "expense"), Class: "s2", Values: out}})
	}
	s.render(w, r, http.StatusOK, "finance.html", page)
}

func (s *Server) handleBudgetPage(w http.ResponseWriter, r *http.Request) {
	page, q, ok := s.financePageData(w, r, false)
	if !ok {
		return
	}
	lang := pageLang(r)
	if be, err := s.Finance.BudgetExecution(r.Context(), q.community, q.year); err == nil {
		page.Budget = &be
		labels := make([]string, len(be.Lines))
		budget, spent := make([]domain.Fen, len(be.Lines)), make([]domain.Fen, len(be.Lines))
		for i, l := range be.Lines {
			labels[i], budget[i], spent[i] = l.Name, l.Budget, l.Spent
		}
		page.Chart = barChart(translate(lang, "budget_exec"), labels, []barSeries{
			{Name: translate(lang, "budget_amt"), Class: "s1", Values: budget}, {Name: translate(lang, "spent"), Class: "s2", Values: spent}})
	}
	s.render(w, r, http.StatusOK, "budget.html", page)
}

func (s *Server) handleStatementsPage(w http.ResponseWriter, r *http.Request) {
	page, q, ok := s.financePageData(w, r, true)
	if !ok {
		return
	}
	lang := pageLang(r)
	if f, err := s.Finance.BalanceSheetForm(r.Context(), q.community, q.month); err == nil {
		page.BalanceForm = newFormView(&f, lang, page.Name)
	} else if errors.Is(err, projections.ErrNotFound) {
		page.FormError = err.Error()
	}
	if f, err := s.Finance.IncomeForm(r.Context(), q.community, q.year); err == nil {
		page.IncomeForm = newFormView(&f, lang, page.Name)
	}
	if tb, err := s.Finance.TrialBalance(r.Context(), q.community, q.month); err == nil {
		page.Trial = &tb
	}
	page.Months = months(q.year)
	page.Corrections, _ = s.Finance.Corrections(r.Context(), q.community, q.year)
	// A closed year links its year-end segment once a checkpoint covers
	// the close.
	if closes, err := s.Finance.YearCloses(r.Context(), q.community); err == nil && s.TLog != nil {
		if seq, ok := closes[q.year]; ok {
			if _, _, err := s.TLog.CheckpointCovering(r.Context(), seq); err == nil {
				page.YearSegment = fmt.Sprintf("/api/v1/communities/%s/log/years/%d", q.community, q.year)
			}
		}
	}
	s.render(w, r, http.StatusOK, "statements.html", page)
}
