package web

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/projections"
)

// The books pages: the official statements laid out by their forms, an
// account's ledger, the cashier's day-books, the bank reconciliation and
// the vouchers. Every page is public, printable on A4 and readable on a
// 360 px phone.

// formView is an official statement as a page shows it: its two halves
// (assets | liabilities and equity; 本年收益 | 收益分配) side by side, each
// padded to the same number of rows so that they line up when printed.
type formView struct {
	F        *projections.Form
	Lang     string
	Unit     string // 编制单位: the community's name
	DateLine string
	Halves   []formHalf
	Failed   []projections.FormCheck
}

type formHalf struct {
	Head string
	Rows []formRowView
}

// formRowView is one printed row: Label in the page's language, Other the
// form's Chinese label on an English page; Cells one per column, "" where
// the column has no figure.
type formRowView struct {
	Row   int
	Label string
	Other string
	Kind  string
	Cells []string
	Pad   bool
}

func newFormView(f *projections.Form, lang, unit string) *formView {
	v := &formView{F: f, Lang: lang, Unit: unit}
	if f.Kind == domain.FormBalanceSheet {
		v.DateLine = fmt.Sprintf("%d年%d月%d日", f.Date.Year, int(f.Date.Month), f.Date.Day)
		if lang == "en" {
			v.DateLine = "as at " + f.Date.String()
		}
	} else {
		v.DateLine = fmt.Sprintf("%d年度", f.Year)
		if lang == "en" {
			v.DateLine = fmt.Sprintf("year %d", f.Year)
		}
	}
	halves := map[string]*formHalf{}
	for _, side := range []string{"left", "right"} {
		head := f.Header.Left
		if side == "right" {
			head = cmp.Or(f.Header.Right, f.Header.Left)
		}
		halves[side] = &formHalf{Head: head}
	}
	for _, r := range f.Rows {
		rv := formRowView{Row: r.Row, Label: r.LabelZH, Kind: r.Kind}
		if lang == "en" {
			rv.Label, rv.Other = r.LabelEN, r.LabelZH
		}
		for _, c := range f.Columns {
			cell := ""
			if a, ok := r.Amounts[c.Key]; ok {
				cell = a.String()
			}
			rv.Cells = append(rv.Cells, cell)
		}
		if h := halves[r.Side]; h != nil {
			h.Rows = append(h.Rows, rv)
		}
	}
	for _, side := range []string{"left", "right"} {
		if len(halves[side].Rows) > 0 {
			v.Halves = append(v.Halves, *halves[side])
		}
	}
	if len(v.Halves) == 2 {
		n := max(len(v.Halves[0].Rows), len(v.Halves[1].Rows))
		for i := range v.Halves {
			for len(v.Halves[i].Rows) < n {
				v.Halves[i].Rows = append(v.Halves[i].Rows, formRowView{Pad: true, Cells: make([]string, len(f.Columns))})
			}
		}
	}
	for _, c := range f.Checks {
		if !c.Holds {
			v.Failed = append(v.Failed, c)
		}
	}
	return v
}

// months returns the months of a year, "2025-01" to "2025-12".
func months(year int) []string {
	out := make([]string, 12)
	for m := range out {
		out[m] = fmt.Sprintf("%04d-%02d", year, m+1)
	}
	return out
}

// pageProblem turns a read model's error into the page's problem: a 404
// says what was not found.
func (s *Server) pageProblem(w http.ResponseWriter, r *http.Request, err error) {
	p := s.readProblem(err)
	if errors.Is(err, projections.ErrNotFound) {
		p.Detail = err.Error()
	}
	s.errorPage(w, r, p)
}

func (s *Server) handleLedgerPage(w http.ResponseWriter, r *http.Request) {
	page, q, ok := s.financePageData(w, r, true)
	if !ok {
		return
	}
	l, err := s.Finance.Ledger(r.Context(), q.community, cmp.Or(q.account, domain.AccountBank), q.month)
	if err != nil {
		s.pageProblem(w, r, err)
		return
	}
	page.Ledger, page.Months, page.Account = &l, months(q.year), l.Account
	s.render(w, r, http.StatusOK, "books_ledger.html", page)
}

func (s *Server) handleCashBookPage(w http.ResponseWriter, r *http.Request) {
	page, q, ok := s.financePageData(w, r, false)
	if !ok {
		return
	}
	cb, err := s.Finance.CashBook(r.Context(), q.community, cmp.Or(q.account, domain.AccountCash), period(q))
	if err != nil {
		s.pageProblem(w, r, err)
		return
	}
	page.CashBook, page.Months, page.Account = &cb, months(q.year), cb.Account
	s.render(w, r, http.StatusOK, "books_cash.html", page)
}

// reconView is the bank reconciliation page: the books' side, what the
// clerk typed (as typed, to fill the form again) and which postings she
// ticked.
type reconView struct {
	*projections.BankReconciliation
	Statement, BankReceived, BankPaid string
	Ticked                            map[string]bool
}

// handleReconciliationPage shows the bank reconciliation of a month. Its
// form submits to the page itself (GET), so the page is served with a
// policy that lets it, and is not kept by shared caches: what it shows
// depends on what was typed.
func (s *Server) handleReconciliationPage(w http.ResponseWriter, r *http.Request) {
	page, q, ok := s.financePageData(w, r, true)
	if !ok {
		return
	}
	rq, p := parseRecon(r)
	if p != nil {
		s.errorPage(w, r, *p)
		return
	}
	br, err := s.reconcile(r.Context(), q, rq)
	if err != nil {
		s.pageProblem(w, r, err)
		return
	}
	v := &reconView{BankReconciliation: &br, Ticked: map[string]bool{}}
	if rq.given {
		v.Statement, v.BankReceived, v.BankPaid = rq.statement.String(), rq.bankReceived.String(), rq.bankPaid.String()
	}
	for _, ref := range rq.outstanding {
		v.Ticked[ref] = true
	}
	page.Recon, page.Months, page.Account = v, months(q.year), br.Account
	s.renderWith(w, r, http.StatusOK, "books_recon.html", page, true)
}

func (s *Server) handleVouchersPage(w http.ResponseWriter, r *http.Request) {
	page, q, ok := s.financePageData(w, r, true)
	if !ok {
		return
	}
	vl, err := s.Finance.Vouchers(r.Context(), q.community, q.month)
	if err != nil {
		s.pageProblem(w, r, err)
		return
	}
	page.VoucherList, page.Months = &vl, months(q.year)
	s.render(w, r, http.StatusOK, "books_vouchers.html", page)
}

func (s *Server) handleVoucherPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !voucherIDRE.MatchString(id) {
		s.errorPage(w, r, Problem{Status: http.StatusNotFound, Title: "Not found", TitleZH: "未找到", Code: "not_found",
			Detail: "No voucher " + id + ".", DetailZH: "没有编号为 " + id + " 的凭证。"})
		return
	}
	page, q, ok := s.financePageData(w, r, false)
	if !ok {
		return
	}
	v, err := s.Finance.Voucher(r.Context(), q.community, id)
	if err != nil {
		s.pageProblem(w, r, err)
		return
	}
	page.Voucher, page.Year, page.Month = newVoucherView(&v, pageLang(r)), v.Date.Year, domain.Month(v.Date)
	s.render(w, r, http.StatusOK, "books_voucher.html", page)
}

// Gap is how far apart the two adjusted balances are, once worked out.
func (v *reconView) Gap() domain.Fen {
	if v.Reconciled == nil {
		return 0
	}
	return max(v.Reconciled.AdjustedBank-v.Reconciled.AdjustedBooks, v.Reconciled.AdjustedBooks-v.Reconciled.AdjustedBank)
}

// voucherView is a voucher as its printed page shows it.
type voucherView struct {
	*projections.VoucherView
	DateLine string // 2025年3月10日
	Number   string // 记字第 007 号
	RedInk   bool   // a red-ink reversal: amounts in red, negative
}

func newVoucherView(v *projections.VoucherView, lang string) *voucherView {
	out := &voucherView{VoucherView: v, RedInk: v.Kind == "reversal",
		DateLine: fmt.Sprintf("%d年%d月%d日", v.Date.Year, int(v.Date.Month), v.Date.Day),
		Number:   fmt.Sprintf(translate(lang, "voucher_number"), fmt.Sprintf("%03d", v.Number))}
	if lang == "en" {
		out.DateLine = v.Date.String()
	}
	if v.Kind == "closing" {
		out.Number = "" // the year-end carry-forward has no number
	}
	return out
}
