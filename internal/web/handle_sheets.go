package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/disclose"
	"github.com/gongkai/gongkai/projections"
)

// Printable 公示 sheets: a page laid out for one sheet of paper (A3 or A4,
// set with CSS @page) to post on the community's public board, with the
// 公示期, a blank for the 监督电话, space for the supervision committee's
// review and signatures, a place for the seal, and a QR code to the page
// the sheet summarises.
//
// The 公示期 starts on the day the sheet is printed (Beijing time), so a
// sheet is never kept by the page cache: it is rendered as no-store.

// sheetCommon is what every sheet prints around its tables.
type sheetCommon struct {
	Community string
	Name      string
	Title     string
	Period    string
	Paper     string // "a3" or "a4"
	// From and To bound the 公示期, both included.
	From, To domain.Date
	// Link is the page the QR code leads to: absolute with Deps.PublicURL,
	// else relative and without QR.
	Link string
	QR   template.URL
	// Phone is the community's 监督电话 ("" prints a blank to fill in).
	Phone string
}

// sheetMonth is one month of a finance sheet.
type sheetMonth struct {
	Month           string // "4月"
	Income, Expense domain.Fen
}

// Net is income less expense.
func (m sheetMonth) Net() domain.Fen { return m.Income - m.Expense }

// sheetLine is one budget line (or the vouchers that cite none) of a
// finance sheet.
type sheetLine struct {
	Name, Source    string
	Income, Expense domain.Fen
}

// financeSheet is a quarter's 财务收支公示.
type financeSheet struct {
	sheetCommon
	Quarter         string
	Months          []sheetMonth
	Lines           []sheetLine
	Income, Expense domain.Fen
	Vouchers        int // vouchers counted in the quarter
}

// Net is income less expense.
func (f financeSheet) Net() domain.Fen { return f.Income - f.Expense }

// boardSheet is a year's matters as a 公示 sheet.
type boardSheet struct {
	sheetCommon
	Year  int
	Lines []boardLine
}

// sheetPaper reads ?paper=a3|a4 (a4 by default).
func sheetPaper(r *http.Request) (string, *Problem) {
	switch p := r.URL.Query().Get("paper"); p {
	case "", "a4":
		return "a4", nil
	case "a3":
		return "a3", nil
	}
	p := badRequest("bad_query", "paper must be a3 or a4", "纸张须为 a3 或 a4",
		domain.FieldError{Field: "paper", Reason: "paper must be a3 or a4", ReasonZH: "纸张须为 a3 或 a4"})
	return "", &p
}

// sheetCommon fills the 公示期 (from today, as long as the rule set in
// force requires), the 监督电话 and the QR code of a sheet that links path.
func (s *Server) sheetCommon(v projections.BoardView, paper, path string) sheetCommon {
	today := domain.DateOf(s.Now())
	days := (&domain.Community{RuleSets: v.RuleSets}).RuleSetAt(today).DisclosureRules().PostingDays
	c := sheetCommon{Community: v.Community, Name: v.Name, Paper: paper, From: today,
		To: today.AddDays(days - 1), Link: s.PublicURL + path, Phone: v.SupervisionPhone}
	// Only the configured public URL makes an absolute link: the request's
	// Host header is the client's to choose.
	if s.PublicURL != "" {
		c.QR = s.cache.qrCode(c.Link)
	}
	return c
}

// handleFinanceSheet prints a quarter's income and expense
// (?quarter=YYYY-Qn) by month and by budget line, by the rule of 收支明细.
func (s *Server) handleFinanceSheet(w http.ResponseWriter, r *http.Request) {
	quarter := r.URL.Query().Get("quarter")
	if quarter == "" {
		p := badRequest("bad_query", "give the quarter, such as ?quarter=2025-Q2", "请给出季度，如 ?quarter=2025-Q2",
			domain.FieldError{Field: "quarter", Reason: "missing", ReasonZH: "缺少季度"})
		s.errorPage(w, r, p)
		return
	}
	period, ms, n, bad := paymentsPeriod("", quarter, domain.DateOf(s.Now()))
	paper, badPaper := sheetPaper(r)
	if bad == nil {
		bad = badPaper
	}
	if bad != nil {
		s.errorPage(w, r, *bad)
		return
	}
	v, ok := s.board(w, r, func(p Problem) { s.errorPage(w, r, p) })
	if !ok {
		return
	}
	year, _ := strconv.Atoi(period[:4])
	rows, err := disclose.Payments(r.Context(), s.Finance, v.Community, year, ms)
	if err != nil {
		s.pageProblem(w, r, err)
		return
	}
	sheet := financeSheet{
		sheetCommon: s.sheetCommon(v, paper, "/c/"+v.Community+"/finance/payments?quarter="+url.QueryEscape(period)),
		Quarter:     period,
	}
	sheet.Title = fmt.Sprintf("%s%d年第%d季度财务收支公示", v.Name, year, n)
	last := time.Date(year, time.Month(3*n+1), 0, 0, 0, 0, 0, time.UTC)
	sheet.Period = fmt.Sprintf("%d年%d月1日至%d年%d月%d日", year, 3*n-2, year, 3*n, last.Day())
	sum := rows.Summarise(ms)
	sheet.Income, sheet.Expense, sheet.Vouchers = sum.Income, sum.Expense, sum.Vouchers
	for i, m := range sum.Months {
		sheet.Months = append(sheet.Months, sheetMonth{Month: fmt.Sprintf("%d月", 3*n-2+i), Income: m.Income, Expense: m.Expense})
	}
	for _, l := range sum.Lines {
		sheet.Lines = append(sheet.Lines, sheetLine{Name: l.Name, Source: l.Source, Income: l.Income, Expense: l.Expense})
	}
	// The 公示期 starts today: never kept past the day it is printed.
	s.renderWith(w, r, http.StatusOK, "sheet_finance.html", sheet, true)
}

// handleBoardSheet prints a year's matters (?year=YYYY, the current year
// in Beijing time by default), newest first, as on the board.
func (s *Server) handleBoardSheet(w http.ResponseWriter, r *http.Request) {
	paper, bad := sheetPaper(r)
	if bad != nil {
		s.errorPage(w, r, *bad)
		return
	}
	year := domain.DateOf(s.Now()).Year
	if y := r.URL.Query().Get("year"); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < 1900 || n > 9999 {
			s.errorPage(w, r, badRequest("bad_year", "The year must be four digits, such as 2025.", "年度须为四位数字，例如 2025。"))
			return
		}
		year = n
	}
	v, ok := s.board(w, r, func(p Problem) { s.errorPage(w, r, p) })
	if !ok {
		return
	}
	sheet := boardSheet{sheetCommon: s.sheetCommon(v, paper, fmt.Sprintf("/c/%s?year=%d", v.Community, year)), Year: year}
	sheet.Title = fmt.Sprintf("%s%d年事项公示", v.Name, year)
	sheet.Period = fmt.Sprintf("%d年1月1日至%d年12月31日", year, year)
	for _, l := range boardLines(v.Matters) {
		if l.Date.Year == year {
			sheet.Lines = append(sheet.Lines, l)
		}
	}
	s.renderWith(w, r, http.StatusOK, "sheet_board.html", sheet, true)
}
