package projections

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/gongkai/gongkai/domain"
)

// Form is an official statement (资产负债表 or 收益及收益分配表) laid out
// by the form of the year's chart (domain.StatementFormFor): its rows in
// printed order with their 行次 and labels, one amount per column, totals
// computed from the rows.
type Form struct {
	Community string      `json:"community"`
	Form      string      `json:"form"` // the form's id, such as balance-sheet-2023
	Kind      string      `json:"kind"` // balance-sheet or income-and-distribution
	Chart     string      `json:"chart"`
	Year      int         `json:"year"`
	Period    string      `json:"period"` // "2025-12" for a balance sheet, "2025" for income
	Date      domain.Date `json:"date"`   // the report date
	TitleZH   string      `json:"title_zh"`
	TitleEN   string      `json:"title_en"`
	FormNo    string      `json:"form_no"` // 表号, or "unverified"
	UnitZH    string      `json:"unit_zh"`
	Header    FormHeader  `json:"header"`
	// Verified is false for a form not yet checked against the
	// Ministry's text; RowsArePlaceholders says its 行次 are stand-ins.
	Verified            bool                `json:"verified"`
	RowsArePlaceholders bool                `json:"rows_are_placeholders"`
	Columns             []domain.FormColumn `json:"columns"`
	Rows                []FormRow           `json:"rows"`
	// Unplaced are accounts with a balance that no row of the form
	// shows: the form cannot balance while there are any.
	Unplaced []FormAccount `json:"unplaced,omitempty"`
	Checks   []FormCheck   `json:"checks"`
	// Balanced is true when every check holds and no balance is left
	// off the form.
	Balanced bool       `json:"balanced"`
	Notes    []FormNote `json:"notes,omitempty"`
	AsOfSeq  uint64     `json:"as_of_seq"`
	AsOf     time.Time  `json:"as_of"`
}

// FormHeader is the printed heads of the form's columns: Left and Right
// of its two halves, Row of the 行次 column.
type FormHeader struct {
	Left  string `json:"left_zh"`
	Right string `json:"right_zh,omitempty"`
	Row   string `json:"row_zh"`
}

// FormRow is one printed row. Amounts holds a figure per column key; a
// heading has none, and a column without a figure for the row (a prior
// year not comparable) is absent.
type FormRow struct {
	Side    string                `json:"side"`
	Row     int                   `json:"row,omitempty"`
	LabelZH string                `json:"label_zh"`
	LabelEN string                `json:"label_en"`
	Kind    string                `json:"kind"`
	Amounts map[string]domain.Fen `json:"amounts,omitempty"`
	Seqs    []uint64              `json:"stream_seqs,omitempty"`
}

// FormAccount is an account left off the form, with its amounts.
type FormAccount struct {
	Code    string                `json:"code"`
	NameZH  string                `json:"name_zh"`
	NameEN  string                `json:"name_en"`
	Amounts map[string]domain.Fen `json:"amounts"`
}

// FormCheck is one identity of the form and whether it holds.
type FormCheck struct {
	Note  string `json:"note"`
	Rows  []int  `json:"rows"`
	Holds bool   `json:"holds"`
}

// FormNote says why a figure is missing.
type FormNote struct {
	Code string `json:"code"`
	ZH   string `json:"zh"`
	EN   string `json:"en"`
}

// formCol is what one column of a form is computed from.
type formCol struct {
	key string
	// own is each account's own postings: balances at the column's date
	// (balance forms) or the year's activity (activity forms).
	own map[string]*sums
	// pl adds income and expense not yet carried forward to the row of
	// 本年收益 (balance forms).
	pl   bool
	dist distResult // activity forms
}

type colResult struct {
	amounts  map[int]domain.Fen
	seqs     map[int][]uint64
	unplaced map[string]domain.Fen
}

// formColumn computes every row of form f in one column of the view's
// year.
func (v *yearView) formColumn(f *domain.StatementForm, c formCol) colResult {
	ch := v.chart
	rolled := v.rolled(c.own)
	res := colResult{amounts: map[int]domain.Fen{}, seqs: map[int][]uint64{}, unplaced: map[string]domain.Fen{}}
	covered := map[string]bool{}
	plRow := 0
	for _, r := range f.Rows {
		if r.Kind != "item" {
			continue
		}
		var amt domain.Fen
		var seqs []uint64
		for _, code := range r.Accounts {
			sign := domain.Fen(1)
			if strings.HasPrefix(code, "-") {
				sign, code = -1, code[1:]
			}
			covered[code] = true
			a, _, _ := v.account(code)
			amt += sign * normal(a, net(rolled, code))
			if x := rolled[code]; x != nil {
				seqs = append(seqs, x.seqs...)
			}
			if code == ch.YearIncome && c.pl {
				plRow = r.Row
			}
		}
		for i, codes := range [][]string{r.DebitBalancesOf, r.CreditBalancesOf} {
			for _, root := range codes {
				covered[root] = true
				for _, code := range v.descendants(root) {
					n := net(c.own, code)
					if i == 0 && n > 0 {
						amt += n
					} else if i == 1 && n < 0 {
						amt -= n
					} else {
						continue
					}
					seqs = append(seqs, c.own[code].seqs...)
				}
			}
		}
		if src := r.Source; src != nil {
			switch src.Kind {
			case "opening_balance":
				amt += c.dist.opening
				seqs = append(seqs, c.dist.openSeqs...)
			case "other_transfer_in":
				amt += c.dist.in
				seqs = append(seqs, c.dist.inSeqs...)
			case "distribution":
				amt += c.dist.out[r.Row]
				seqs = append(seqs, c.dist.outSeqs[r.Row]...)
			}
		}
		res.amounts[r.Row], res.seqs[r.Row] = amt, sortedSeqs(seqs)
	}
	// Balances no row shows; income and expense go to 本年收益.
	for code, x := range rolled {
		if v.parentOf(code) != "" || covered[code] || x.debit == x.credit {
			continue
		}
		a, _, _ := v.account(code)
		pl := a.Class == domain.ClassIncome || a.Class == domain.ClassExpense
		if f.Measure == domain.MeasureActivity && !pl {
			continue // an account of position: its activity is no row's
		}
		if plRow != 0 && pl {
			res.amounts[plRow] += x.credit - x.debit
			res.seqs[plRow] = sortedSeqs(append(res.seqs[plRow], x.seqs...))
			continue
		}
		res.unplaced[code] = normal(a, x.debit-x.credit)
	}
	// Subtotals and totals, in any order of dependence.
	byRow := map[int]domain.FormRow{}
	for _, r := range f.Rows {
		byRow[r.Row] = r
	}
	var total func(n int, depth int) domain.Fen
	total = func(n int, depth int) domain.Fen {
		if amt, ok := res.amounts[n]; ok || depth > len(f.Rows) {
			return amt
		}
		var sum domain.Fen
		for _, m := range byRow[n].Rows {
			if m < 0 {
				sum -= total(-m, depth+1)
			} else {
				sum += total(m, depth+1)
			}
		}
		res.amounts[n] = sum
		return sum
	}
	for _, r := range f.Rows {
		if r.Kind == "subtotal" || r.Kind == "total" {
			total(r.Row, 0)
		}
	}
	return res
}

// distResult is the lower half of 收益及收益分配表 for a period: the
// undistributed income at its start (本年收益 and 收益分配 together, so
// that it equals last year's 年末未分配收益), 其他转入, and each
// distribution row's amount.
type distResult struct {
	opening  domain.Fen
	openSeqs []uint64
	in       domain.Fen
	inSeqs   []uint64
	out      map[int]domain.Fen
	outSeqs  map[int][]uint64
}

func (d distResult) total() domain.Fen {
	var t domain.Fen
	for _, a := range d.out {
		t += a
	}
	return t
}

func (d distResult) seqs() []uint64 {
	all := append(append([]uint64{}, d.openSeqs...), d.inSeqs...)
	for _, s := range d.outSeqs {
		all = append(all, s...)
	}
	return sortedSeqs(all)
}

// distRow is a distribution row of a form: its 行次, the words a
// sub-account of 收益分配 is named with for it, and its usual
// counter-account.
type distRow struct {
	row     int
	keyword string
	counter string
}

// distRows returns a form's distribution rows and the row that takes what
// no other row does (其他).
func distRows(form *domain.StatementForm) (rows []distRow, other int) {
	if form == nil {
		return nil, 0
	}
	for _, r := range form.Rows {
		if r.Source == nil || r.Source.Kind != "distribution" {
			continue
		}
		if r.Source.CounterAccount == "" {
			other = r.Row
			continue
		}
		rows = append(rows, distRow{r.Row, distKeyword(r.LabelZH), r.Source.CounterAccount})
	}
	return rows, other
}

// distKeyword strips a label's 减： and numbering: "减：1. 提取公积公益金" is
// 提取公积公益金.
func distKeyword(label string) string {
	label = strings.TrimPrefix(label, "减：")
	label = strings.TrimLeftFunc(label, func(r rune) bool { return unicode.IsDigit(r) || r == '.' || r == ' ' || r == '　' })
	return strings.TrimSpace(label)
}

// distribution computes the distribution half of 收益及收益分配表 for the
// period from..to of a year. In each voucher the net debit to 本年收益 and
// 收益分配 (with their sub-accounts) is a distribution; a net credit is
// 其他转入. A distribution goes to the row whose words the debited
// sub-account of 收益分配 is named with (a sub-account 农户分配 goes to the
// row 农户分配); else to the rows of the accounts credited against it, by
// each row's counter-account (公积公益金 311 for 提取公积公益金); what is
// left to the row 其他. A red-ink reversal takes off what its original
// added.
func (v *yearView) distribution(form *domain.StatementForm, from, to domain.Date) distResult {
	ch := v.chart
	inU := func(code string) bool { return v.under(code, ch.YearIncome) || v.under(code, ch.Distribution) }
	d := distResult{out: map[int]domain.Fen{}, outSeqs: map[int][]uint64{}}
	open := v.rolled(v.opening(from))
	for _, code := range []string{ch.YearIncome, ch.Distribution} {
		d.opening -= net(open, code)
		if x := open[code]; x != nil {
			d.openSeqs = append(d.openSeqs, x.seqs...)
		}
	}
	d.openSeqs = sortedSeqs(d.openSeqs)
	rows, other := distRows(form)
	rowByName := func(code string) int {
		for c := code; c != ""; c = v.parentOf(c) {
			if sub, ok := v.subs[c]; ok {
				for _, r := range rows {
					if r.keyword != "" && strings.Contains(sub.NameZH, r.keyword) {
						return r.row
					}
				}
			}
		}
		return 0
	}
	rowByCounter := func(code string) int {
		root := v.rootOf(code)
		for _, r := range rows {
			if r.counter == root {
				return r.row
			}
		}
		return 0
	}
	for _, vr := range v.vouchers {
		if !vr.in(from, to) {
			continue
		}
		lines, sign := vr.Lines, domain.Fen(1)
		for _, l := range vr.Lines {
			if l.Debit < 0 || l.Credit < 0 {
				sign = -1
			}
		}
		if sign < 0 {
			lines = make([]domain.Line, len(vr.Lines))
			for i, l := range vr.Lines {
				lines[i] = domain.Line{Account: l.Account, Debit: -l.Debit, Credit: -l.Credit}
			}
		}
		var debit domain.Fen
		for _, l := range lines {
			if inU(l.Account) {
				debit += l.Debit - l.Credit
			}
		}
		switch {
		case debit < 0:
			d.in -= sign * debit
			d.inSeqs = append(d.inSeqs, vr.Seq)
			continue
		case debit == 0:
			continue
		}
		left := debit
		give := func(row int, amt domain.Fen) {
			amt = min(amt, left)
			if row == 0 || amt <= 0 {
				return
			}
			d.out[row] += sign * amt
			d.outSeqs[row] = append(d.outSeqs[row], vr.Seq)
			left -= amt
		}
		for _, l := range lines {
			if inU(l.Account) && l.Debit > 0 {
				give(rowByName(l.Account), l.Debit)
			}
		}
		for _, l := range lines {
			if !inU(l.Account) && l.Credit > 0 {
				give(rowByCounter(l.Account), l.Credit)
			}
		}
		if left > 0 {
			d.out[other] += sign * left
			d.outSeqs[other] = append(d.outSeqs[other], vr.Seq)
		}
	}
	d.inSeqs = sortedSeqs(d.inSeqs)
	for r := range d.outSeqs {
		d.outSeqs[r] = sortedSeqs(d.outSeqs[r])
	}
	return d
}

// newForm starts the reply for form f.
func newForm(community string, f *domain.StatementForm, ch *domain.Chart, pos Position) Form {
	return Form{Community: community, Form: f.ID, Kind: f.Kind, Chart: ch.ID, TitleZH: f.TitleZH, TitleEN: f.TitleEN,
		FormNo: f.FormNo, UnitZH: f.UnitZH, Header: FormHeader{Left: f.Header.Left, Right: f.Header.Right, Row: f.Header.Row},
		Verified: f.Verified, RowsArePlaceholders: f.RowsArePlaceholders, Columns: f.Columns, Checks: []FormCheck{},
		AsOfSeq: pos.Seq, AsOf: pos.Time}
}

// fill sets the rows of out from the computed columns.
func (v *yearView) fill(out *Form, f *domain.StatementForm, cols map[string]colResult) {
	for _, r := range f.Rows {
		row := FormRow{Side: r.Side, Row: r.Row, LabelZH: r.LabelZH, LabelEN: r.LabelEN, Kind: r.Kind}
		if r.Kind != "heading" {
			row.Amounts = map[string]domain.Fen{}
			var seqs []uint64
			for key, c := range cols {
				row.Amounts[key] = c.amounts[r.Row]
				seqs = append(seqs, c.seqs[r.Row]...)
			}
			if r.Kind == "item" {
				row.Seqs = sortedSeqs(seqs)
			}
		}
		out.Rows = append(out.Rows, row)
	}
	unplaced := map[string]*FormAccount{}
	for key, c := range cols {
		for code, amt := range c.unplaced {
			u := unplaced[code]
			if u == nil {
				a, _, _ := v.account(code)
				u = &FormAccount{Code: code, NameZH: a.NameZH, NameEN: a.NameEN, Amounts: map[string]domain.Fen{}}
				unplaced[code] = u
			}
			u.Amounts[key] = amt
		}
	}
	for _, cl := range v.tree(keys(unplaced)) {
		out.Unplaced = append(out.Unplaced, *unplaced[cl.code])
	}
	out.Balanced = len(out.Unplaced) == 0
	for _, chk := range f.Checks {
		if len(chk.Equal) != 2 {
			continue
		}
		holds := true
		for _, c := range cols {
			holds = holds && c.amounts[chk.Equal[0]] == c.amounts[chk.Equal[1]]
		}
		out.Checks = append(out.Checks, FormCheck{Note: chk.Note, Rows: chk.Equal, Holds: holds})
		out.Balanced = out.Balanced && holds
	}
}

func keys[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

// errNoForm is the error for a chart gongkai has no form of.
func errNoForm(kind, chart string) error {
	return fmt.Errorf("no %s form for chart %s: %w", kind, chart, ErrNotFound)
}

// BalanceSheetForm returns the balance sheet at the end of a month, laid
// out by the form of the year's chart: 年初 is the balance at the start of
// the year (after its opening balances or change of chart), the other
// column the balance at the month's end. Income and expense not yet
// carried forward are added to 未分配收益, so that an interim sheet
// balances too.
func (f FinanceOn) BalanceSheetForm(ctx context.Context, community, month string) (Form, error) {
	p, err := ParseMonth(month)
	if err != nil {
		return Form{}, err
	}
	var out Form
	err = f.view(ctx, community, func(s *finState, pos Position) error {
		v := s.at(p.Year)
		form := domain.StatementFormFor(domain.FormBalanceSheet, v.chart.ID)
		if form == nil {
			return errNoForm(domain.FormBalanceSheet, v.chart.ID)
		}
		out = v.balanceSheetForm(community, form, p, pos)
		return nil
	})
	return out, err
}

func (v *yearView) balanceSheetForm(community string, form *domain.StatementForm, p Period, pos Position) Form {
	_, to := p.bounds()
	jan1 := domain.Date{Year: p.Year, Month: time.January, Day: 1}
	out := newForm(community, form, v.chart, pos)
	out.Year, out.Period, out.Date = p.Year, p.String(), to
	cols := map[string]colResult{}
	for _, c := range form.Columns {
		own := map[string]*sums{}
		switch c.Key {
		case "opening":
			own = v.opening(jan1)
		case "closing":
			own = v.sumWhere(func(vr *voucherRec) bool { return !vr.Date.After(to) }, true)
		}
		cols[c.Key] = v.formColumn(form, formCol{key: c.Key, own: own, pl: true})
	}
	v.fill(&out, form, cols)
	return out
}

// hasBooks reports whether the books hold a voucher or a close of year.
func (s *finState) hasBooks(year int) bool {
	if s.closings[year] != nil {
		return true
	}
	for _, v := range s.vouchers {
		if v.Date.Year == year {
			return true
		}
	}
	return false
}

// IncomeForm returns 收益及收益分配表 of a fiscal year laid out by the form
// of its chart. The year's column is its activity, the year-end close
// excluded; 上年 is last year's when last year used the same chart, and is
// left out with a note otherwise. Its check against the balance sheet
// (年末未分配收益 = 未分配收益 at 31 December) is computed on the year's
// balance sheet form.
func (f FinanceOn) IncomeForm(ctx context.Context, community string, year int) (Form, error) {
	var out Form
	err := f.view(ctx, community, func(s *finState, pos Position) error {
		v := s.at(year)
		ch := v.chart
		form := domain.StatementFormFor(domain.FormIncome, ch.ID)
		if form == nil {
			return errNoForm(domain.FormIncome, ch.ID)
		}
		out = newForm(community, form, ch, pos)
		out.Year, out.Period, out.Date = year, fmt.Sprint(year), domain.Date{Year: year, Month: time.December, Day: 31}
		cols := map[string]colResult{}
		for _, c := range form.Columns {
			y := year
			if c.Key == "prior_year" {
				y = year - 1
				if prev := s.chartFor(y); prev.ID != ch.ID {
					out.Notes = append(out.Notes, FormNote{Code: "prior_year_other_chart",
						ZH: fmt.Sprintf("上年（%d年度）执行%s，科目口径不同，上年数未按新制度调整，本表不填列。", y, prev.NameZH),
						EN: fmt.Sprintf("Last year (%d) was kept in %s, a different chart: its figures are not restated and not shown.", y, prev.NameEN)})
					continue
				}
				if !s.hasBooks(y) {
					out.Notes = append(out.Notes, FormNote{Code: "prior_year_no_books",
						ZH: fmt.Sprintf("账簿中没有上年（%d年度）的记录，上年数不填列。", y),
						EN: fmt.Sprintf("The books hold nothing of last year (%d): no figures.", y)})
					continue
				}
			}
			from, to := Period{Year: y}.bounds()
			vy := s.at(y)
			cols[c.Key] = vy.formColumn(form, formCol{key: c.Key, own: s.turnover(from, to, false),
				dist: vy.distribution(form, from, to)})
		}
		v.fill(&out, form, cols)
		for _, chk := range form.Checks {
			t := chk.ToBalanceSheet
			if t == nil {
				continue
			}
			bsForm := domain.StatementForms()[t.BalanceSheet]
			if bsForm == nil || bsForm.Chart != ch.ID {
				continue
			}
			bs := v.formColumn(bsForm, formCol{key: t.Column, pl: true,
				own: s.sumWhere(func(vr *voucherRec) bool { return !vr.Date.After(out.Date) }, true)})
			holds := cols["year"].amounts[t.Row] == bs.amounts[t.BalanceSheetRow]
			out.Checks = append(out.Checks, FormCheck{Note: chk.Note, Rows: []int{t.Row, t.BalanceSheetRow}, Holds: holds})
			out.Balanced = out.Balanced && holds
		}
		return nil
	})
	return out, err
}
