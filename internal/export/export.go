// Package export writes a community's books as an Excel workbook laid out
// the way village accountants keep them (序时账, 总账, 明细账, 科目余额表,
// the official statements and budget execution), and its public board and
// finance disclosures as open data (CSV and JSON with a data dictionary).
//
// Amounts in a workbook are numeric cells holding the exact yuan figure
// with two decimals ("42961.12", never a binary float turned back into
// text), formatted "#,##0.00"; dates are date cells formatted yyyy-mm-dd.
// Headers are Chinese. Every sheet starts with a title row naming the
// community and the fiscal year and a line giving the log position
// (日志序号) the figures were read at; its header rows are frozen and
// printed atop every page.
//
// The sheets, one workbook per community and fiscal year:
//
//   - 序时账: every line of every voucher of the year in date order
//     (number order within a day, the year-end carry-forward last), with
//     a total per month and for the year. The year's voucher 0 (opening
//     balances or change of chart) is listed, as the books list it,
//     though 科目余额表 counts its amounts as opening balances; red-ink
//     reversals keep their negative amounts and are marked 红字冲销凭证.
//   - 总账: each account of the chart by month: opening balance, the
//     month's debits and credits, the year's to date, closing balance.
//   - 明细账: each account posted to in the year, its postings with the
//     running balance. One sheet with a heading row per account rather
//     than a sheet per account: a community's books have a few dozen
//     accounts with sub-accounts, too many tabs to find one's way in,
//     and every row carries the account's code and name, so that the
//     autofilter on 科目编码 shows one account's ledger and the sheet
//     prints as the bound ledger does, account after account.
//   - 科目余额表: the year's opening balance, turnover and closing balance
//     of every account and sub-account, with totals that balance.
//   - 资产负债表 and 收益及收益分配表 on the official form of the year's
//     chart (projections.Form), with the warning of a form not yet
//     verified against the Ministry's text.
//   - 预算执行: the execution of the year's budget.
//
// OpenData writes the open-data files; see its documentation.
package export

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/projections"
)

// Books is what the workbook reads from the finance read model;
// projections.Finance satisfies it. Each method returns
// projections.ErrNotFound (wrapped) for what the books do not hold.
type Books interface {
	TrialBalance(ctx context.Context, community, month string) (projections.TrialBalance, error)
	Ledger(ctx context.Context, community, account, month string) (projections.Ledger, error)
	BalanceSheetForm(ctx context.Context, community, month string) (projections.Form, error)
	IncomeForm(ctx context.Context, community string, year int) (projections.Form, error)
	BudgetExecution(ctx context.Context, community string, year int) (projections.BudgetExecution, error)
	Vouchers(ctx context.Context, community, month string) (projections.VoucherList, error)
	Voucher(ctx context.Context, community, id string) (projections.VoucherView, error)
	Accounts(ctx context.Context, community string, year int) (projections.AccountList, error)
}

// Sheet names, in the order of the workbook. Each is at most 31
// characters, as Excel requires.
const (
	SheetJournal      = "序时账"
	SheetGeneral      = "总账"
	SheetSubsidiary   = "明细账"
	SheetTrialBalance = "科目余额表"
	SheetBalanceSheet = "资产负债表"
	SheetIncome       = "收益及收益分配表"
	SheetBudget       = "预算执行"
)

// Sheets lists the workbook's sheets in order.
var Sheets = []string{SheetJournal, SheetGeneral, SheetSubsidiary, SheetTrialBalance, SheetBalanceSheet, SheetIncome, SheetBudget}

// ErrMoving is returned when the books kept changing while the workbook
// was read, so that its sheets would not agree with one another.
var ErrMoving = errors.New("the books changed while the workbook was read")

// attempts is how many times Workbook reads the books before it gives up
// with ErrMoving.
const attempts = 3

// Workbook returns the workbook of a community's fiscal year; name is the
// community's name for the titles (编制单位). Every sheet is read at one
// log position: when the books move while it reads, it reads them again,
// and returns ErrMoving after three tries. A community the books do not
// know is projections.ErrNotFound; a year without vouchers has its
// balances carried forward and empty journals. The caller closes the
// file.
func Workbook(ctx context.Context, b Books, community, name string, year int) (*excelize.File, error) {
	name = cmp.Or(name, community)
	for range attempts {
		r := &reader{ctx: ctx, b: b, community: community, year: year}
		f, err := build(r, name)
		if err != nil {
			return nil, err
		}
		if !r.moved {
			return f, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("workbook %s %d: %w", community, year, ErrMoving)
}

// reader reads the books for one workbook and notes whether every reply
// was at the same log position.
type reader struct {
	ctx       context.Context
	b         Books
	community string
	year      int
	seq       uint64
	moved     bool
}

// at records a reply's log position.
func (r *reader) at(seq uint64) {
	if r.seq == 0 {
		r.seq = seq
	} else if seq != r.seq {
		r.moved = true
	}
}

func build(r *reader, name string) (*excelize.File, error) {
	f := excelize.NewFile()
	ok := false
	defer func() {
		if !ok {
			f.Close()
		}
	}()
	st, err := newStyles(f)
	if err != nil {
		return nil, err
	}
	if err := f.SetSheetName(f.GetSheetName(0), SheetJournal); err != nil {
		return nil, err
	}
	for _, s := range Sheets[1:] {
		if _, err := f.NewSheet(s); err != nil {
			return nil, err
		}
	}
	j, err := r.journal()
	if err != nil {
		return nil, err
	}
	tb, err := r.trialBalances()
	if err != nil {
		return nil, err
	}
	sheets := []func() error{
		func() error { return writeJournal(newSheet(f, st, SheetJournal, name, r.year), j) },
		func() error { return writeGeneral(newSheet(f, st, SheetGeneral, name, r.year), tb) },
		func() error { return r.writeSubsidiary(newSheet(f, st, SheetSubsidiary, name, r.year), j, tb) },
		func() error { return writeTrialBalance(newSheet(f, st, SheetTrialBalance, name, r.year), tb) },
		func() error {
			return r.writeForm(newSheet(f, st, SheetBalanceSheet, name, r.year), name, domain.FormBalanceSheet)
		},
		func() error { return r.writeForm(newSheet(f, st, SheetIncome, name, r.year), name, domain.FormIncome) },
		func() error { return r.writeBudget(newSheet(f, st, SheetBudget, name, r.year)) },
	}
	for _, write := range sheets {
		if err := write(); err != nil {
			return nil, err
		}
	}
	// The log position, known once everything is read.
	for _, s := range Sheets {
		if err := f.SetCellStr(s, "A2", fmt.Sprintf("编制单位：%s　　会计年度：%d年　　金额单位：元　　截至日志序号：%d", name, r.year, r.seq)); err != nil {
			return nil, err
		}
	}
	f.SetActiveSheet(0)
	ok = true
	return f, nil
}

// styles are the cell styles of a workbook.
type styles struct {
	title, header, text, bold, money, moneyBold, date, percent, percentBold, note int
}

// MoneyFormat is the number format of every amount.
const MoneyFormat = "#,##0.00"

func newStyles(f *excelize.File) (*styles, error) {
	money, date, pct := MoneyFormat, "yyyy-mm-dd", "0.00%"
	border := []excelize.Border{{Type: "left", Color: "999999", Style: 1}, {Type: "right", Color: "999999", Style: 1},
		{Type: "top", Color: "999999", Style: 1}, {Type: "bottom", Color: "999999", Style: 1}}
	s := &styles{}
	defs := []struct {
		dst *int
		s   excelize.Style
	}{
		{&s.title, excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}}},
		{&s.header, excelize.Style{Font: &excelize.Font{Bold: true}, Border: border,
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"EDEDED"}},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}},
		{&s.text, excelize.Style{Border: border}},
		{&s.bold, excelize.Style{Border: border, Font: &excelize.Font{Bold: true}}},
		{&s.money, excelize.Style{Border: border, CustomNumFmt: &money}},
		{&s.moneyBold, excelize.Style{Border: border, CustomNumFmt: &money, Font: &excelize.Font{Bold: true}}},
		{&s.date, excelize.Style{Border: border, CustomNumFmt: &date}},
		{&s.percent, excelize.Style{Border: border, CustomNumFmt: &pct}},
		{&s.percentBold, excelize.Style{Border: border, CustomNumFmt: &pct, Font: &excelize.Font{Bold: true}}},
		{&s.note, excelize.Style{Font: &excelize.Font{Color: "994400"}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}},
	}
	for _, d := range defs {
		id, err := f.NewStyle(&d.s)
		if err != nil {
			return nil, fmt.Errorf("style: %w", err)
		}
		*d.dst = id
	}
	return s, nil
}

// sheet writes one worksheet row by row.
type sheet struct {
	f    *excelize.File
	st   *styles
	name string
	row  int // the last row written
	head int // the header row, the last frozen
	cols int // the last column written
	err  error
}

// newSheet starts a sheet with its title row and a row left for the
// line of 编制单位 and log position.
func newSheet(f *excelize.File, st *styles, sheetName, unit string, year int) *sheet {
	s := &sheet{f: f, st: st, name: sheetName}
	s.set(1, 1, fmt.Sprintf("%s %d年度 %s", unit, year, sheetName), st.title)
	s.row = 2
	return s
}

// money is an amount cell; blank leaves the cell empty.
type money struct {
	v     domain.Fen
	blank bool
}

// pct is a percentage given in basis points (1234 is 12.34 %).
type pct int64

// cell returns c's reference.
func cell(col, row int) string {
	ref, _ := excelize.CoordinatesToCellName(col, row)
	return ref
}

// excelEpoch is day 0 of Excel's 1900 date system.
var excelEpoch = time.Date(1899, time.December, 30, 0, 0, 0, 0, time.UTC)

// set writes one cell: a string, an int, a domain.Fen or money (an
// amount), a domain.Date, a pct, or nil for an empty cell with the style.
func (s *sheet) set(col, row int, v any, style int) {
	if s.err != nil {
		return
	}
	ref := cell(col, row)
	s.cols = max(s.cols, col)
	var err error
	switch v := v.(type) {
	case nil:
	case string:
		err = s.f.SetCellStr(s.name, ref, v)
	case int:
		err = s.f.SetCellInt(s.name, ref, int64(v))
	case domain.Fen:
		err = s.f.SetCellDefault(s.name, ref, v.String())
	case money:
		if !v.blank {
			err = s.f.SetCellDefault(s.name, ref, v.v.String())
		}
	case pct:
		err = s.f.SetCellDefault(s.name, ref, strconv.FormatFloat(float64(v)/10000, 'f', -1, 64))
	case domain.Date:
		if !v.IsZero() {
			days := time.Date(v.Year, v.Month, v.Day, 0, 0, 0, 0, time.UTC).Sub(excelEpoch).Hours() / 24
			err = s.f.SetCellDefault(s.name, ref, strconv.Itoa(int(days)))
		}
	default:
		err = fmt.Errorf("cell %s: unexpected %T", ref, v)
	}
	if err == nil {
		err = s.f.SetCellStyle(s.name, ref, ref, style)
	}
	if err != nil {
		s.err = fmt.Errorf("sheet %s: %w", s.name, err)
	}
}

// styleOf returns the style of a value in a plain or a bold (totals) row.
func (s *sheet) styleOf(v any, bold bool) int {
	switch v.(type) {
	case domain.Fen, money:
		if bold {
			return s.st.moneyBold
		}
		return s.st.money
	case domain.Date:
		return s.st.date
	case pct:
		if bold {
			return s.st.percentBold
		}
		return s.st.percent
	}
	if bold {
		return s.st.bold
	}
	return s.st.text
}

// line writes the next row; total makes it bold.
func (s *sheet) line(total bool, cells ...any) int {
	s.row++
	for i, v := range cells {
		s.set(i+1, s.row, v, s.styleOf(v, total))
	}
	return s.row
}

// headers writes a header row.
func (s *sheet) headers(names ...string) {
	s.row++
	for i, n := range names {
		s.set(i+1, s.row, n, s.st.header)
	}
}

// note writes a line of text across n columns.
func (s *sheet) note(text string, n int) {
	s.row++
	s.set(1, s.row, text, s.st.note)
	s.merge(1, s.row, n, s.row)
	if s.err == nil {
		// Enough height for a long note to wrap.
		lines := len([]rune(text))/(n*8) + 1
		s.err = s.f.SetRowHeight(s.name, s.row, float64(15*lines))
	}
}

func (s *sheet) merge(c1, r1, c2, r2 int) {
	if s.err == nil && (c1 != c2 || r1 != r2) {
		s.err = s.f.MergeCell(s.name, cell(c1, r1), cell(c2, r2))
	}
}

// widths sets the width of columns A, B, … in order.
func (s *sheet) widths(w ...float64) {
	for i, x := range w {
		if s.err != nil {
			return
		}
		c, _ := excelize.ColumnNumberToName(i + 1)
		s.err = s.f.SetColWidth(s.name, c, c, x)
	}
}

// freeze keeps rows 1 to n in view on screen and prints them atop every
// page; pages are A4 landscape, all columns on one page wide.
func (s *sheet) freeze(n int) {
	if s.err != nil {
		return
	}
	s.head = n
	a4, landscape, one, tall, yes := 9, "landscape", 1, 0, true
	for _, step := range []func() error{
		func() error {
			return s.f.SetPanes(s.name, &excelize.Panes{Freeze: true, YSplit: n, TopLeftCell: cell(1, n+1), ActivePane: "bottomLeft"})
		},
		func() error {
			return s.f.SetPageLayout(s.name, &excelize.PageLayoutOptions{Size: &a4, Orientation: &landscape, FitToWidth: &one, FitToHeight: &tall})
		},
		func() error { return s.f.SetSheetProps(s.name, &excelize.SheetPropsOptions{FitToPage: &yes}) },
		func() error {
			return s.f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: fmt.Sprintf("'%s'!$1:$%d", s.name, n), Scope: s.name})
		},
	} {
		if s.err = step(); s.err != nil {
			s.err = fmt.Errorf("sheet %s: %w", s.name, s.err)
			return
		}
	}
}

// filter puts an autofilter on the header row (the last frozen row) of
// the first ncol columns, down to the last row written.
func (s *sheet) filter(ncol int) {
	if s.err == nil && s.head > 0 && s.row > s.head {
		s.err = s.f.AutoFilter(s.name, cell(1, s.head)+":"+cell(ncol, s.row), nil)
	}
}

// done records the sheet's used range (some readers trust it rather than
// scan the rows) and returns the first error of the sheet.
func (s *sheet) done() error {
	if s.err == nil {
		if err := s.f.SetSheetDimension(s.name, "A1:"+cell(max(s.cols, 1), max(s.row, 1))); err != nil {
			s.err = fmt.Errorf("sheet %s: %w", s.name, err)
		}
	}
	return s.err
}

// direction returns 借, 贷 or 平 and the amount of a balance given as
// debit minus credit.
func direction(net domain.Fen) (string, domain.Fen) {
	switch {
	case net > 0:
		return "借", net
	case net < 0:
		return "贷", -net
	}
	return "平", 0
}

// months returns the months of a year, "2025-01" to "2025-12".
func months(year int) []string {
	out := make([]string, 12)
	for m := range out {
		out[m] = fmt.Sprintf("%04d-%02d", year, m+1)
	}
	return out
}

// indent returns a label indented by level full-width spaces.
func indent(label string, level int) string {
	return strings.Repeat("　", level) + label
}
