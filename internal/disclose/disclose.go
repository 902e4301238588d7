// Package disclose builds what a disclosure item shows (公开内容) from the
// read models, so that a draft's figures are the books' and cannot be typed
// in, and tells whether an approved draft still matches the books before it
// is published. It also lists a period's payments (收支明细) for the pages
// and sheets that show them, by the same rule.
package disclose

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/projections"
)

// Books is what the package reads of the finance read model.
type Books interface {
	Position(ctx context.Context) (uint64, error)
	Accounts(ctx context.Context, community string, year int) (projections.AccountList, error)
	BudgetExecution(ctx context.Context, community string, year int) (projections.BudgetExecution, error)
	Vouchers(ctx context.Context, community, month string) (projections.VoucherList, error)
	Voucher(ctx context.Context, community, id string) (projections.VoucherView, error)
}

// Payment is one voucher of 收支明细. Direction is "income", "expense" or
// "" (a voucher that neither receives nor pays, such as depreciation).
type Payment struct {
	projections.VoucherBrief
	Direction string
	// Line is the budget line the voucher cites ("" for none) and Source
	// that line's fund source.
	Line   string
	Source string
}

// Period is the payments of some months of one year.
type Period struct {
	Rows []Payment
	// LineNames names each budget line cited.
	LineNames map[string]string
}

// Payments lists the vouchers of months (all of one year): balances
// carried (opening, transition, closing) are left out, and each voucher is
// income, expense or neither by its cash and bank lines (see Direction).
func Payments(ctx context.Context, b Books, community string, year int, months []string) (Period, error) {
	out := Period{LineNames: map[string]string{}}
	accounts := map[string]projections.AccountInfo{}
	if al, err := b.Accounts(ctx, community, year); err == nil {
		for _, a := range al.Accounts {
			accounts[a.Code] = a
		}
	}
	sources := map[string]string{}
	if be, err := b.BudgetExecution(ctx, community, year); err == nil {
		for _, l := range be.Lines {
			sources[l.Line] = l.Source
			out.LineNames[l.Line] = l.Name
		}
	}
	for _, m := range months {
		vl, err := b.Vouchers(ctx, community, m)
		if err != nil {
			return Period{}, err
		}
		for _, vb := range vl.Vouchers {
			switch vb.Kind {
			case "opening", "transition", "closing":
				continue // balances carried, not money received or paid
			}
			v, err := b.Voucher(ctx, community, vb.ID)
			if err != nil {
				return Period{}, err
			}
			row := Payment{VoucherBrief: vb, Line: v.BudgetLine}
			row.Direction, row.Amount = Direction(v, accounts)
			if v.BudgetLine != "" {
				row.Source = sources[v.BudgetLine]
				if _, ok := out.LineNames[v.BudgetLine]; !ok {
					out.LineNames[v.BudgetLine] = v.BudgetLine
				}
			}
			out.Rows = append(out.Rows, row)
		}
	}
	return out, nil
}

// Direction says whether a voucher is income or expense, and by how much:
// money into cash or bank is income, out of them expense, both (a transfer
// between them) neither; without a cash line, credits to income accounts
// are income (such as income receivable).
func Direction(v projections.VoucherView, accounts map[string]projections.AccountInfo) (string, domain.Fen) {
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

// MonthTotal is a month's income and expense.
type MonthTotal struct {
	Month           string // "2025-04"
	Income, Expense domain.Fen
}

// LineTotal is a budget line's (or the vouchers citing none) income and
// expense in a period.
type LineTotal struct {
	Line, Name, Source string
	Income, Expense    domain.Fen
}

// Summary is a period's totals by month and by budget line.
type Summary struct {
	Months          []MonthTotal
	Lines           []LineTotal
	Income, Expense domain.Fen
	// Vouchers counts the vouchers that are income or expense.
	Vouchers int
}

// Summarise totals a period's payments by month (in the order of months)
// and by budget line (in order of first use; "未列预算项目" for none).
func (p Period) Summarise(months []string) Summary {
	var s Summary
	at := map[string]int{}
	for i, m := range months {
		s.Months = append(s.Months, MonthTotal{Month: m})
		at[m] = i
	}
	lineAt := map[string]int{}
	for _, row := range p.Rows {
		if row.Direction == "" {
			continue
		}
		s.Vouchers++
		i, seen := lineAt[row.Line]
		if !seen {
			i = len(s.Lines)
			lineAt[row.Line] = i
			name := p.LineNames[row.Line]
			if row.Line == "" {
				name = "未列预算项目"
			}
			s.Lines = append(s.Lines, LineTotal{Line: row.Line, Name: name, Source: row.Source})
		}
		m := &s.Months[at[row.Date.String()[:7]]]
		if row.Direction == "income" {
			s.Income += row.Amount
			s.Lines[i].Income += row.Amount
			m.Income += row.Amount
		} else {
			s.Expense += row.Amount
			s.Lines[i].Expense += row.Amount
			m.Expense += row.Amount
		}
	}
	return s
}

// Generator drafts the content of disclosure items.
type Generator struct {
	Books Books
	// Head returns the stream's last sequence: a draft waits until the
	// read model has applied it, so that it includes every recorded entry.
	Head func(ctx context.Context) (uint64, error)
	// Wait bounds that wait (5 s when zero).
	Wait time.Duration
}

// ErrBehind is returned when the read model did not catch up in time.
var ErrBehind = errors.New("the books' read model is behind the log")

// caughtUp waits until the read model has applied the stream's head and
// returns its position.
func (g Generator) caughtUp(ctx context.Context) (uint64, error) {
	head, err := g.Head(ctx)
	if err != nil {
		return 0, err
	}
	wait := g.Wait
	if wait == 0 {
		wait = 5 * time.Second
	}
	deadline := time.Now().Add(wait)
	for {
		pos, err := g.Books.Position(ctx)
		if err != nil {
			return 0, err
		}
		if pos >= head {
			return pos, nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%w (%d of %d)", ErrBehind, pos, head)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Content returns what item discloses, from the read models as they stand
// once they have applied the whole stream. A special item's content is the
// catalogue's title and the clerk's note (it is not figures of the books).
func (g Generator) Content(ctx context.Context, community string, it domain.DisclosureItem, title, note string) (domain.DisclosureContent, error) {
	pos, err := g.caughtUp(ctx)
	if err != nil {
		return domain.DisclosureContent{}, err
	}
	c := domain.DisclosureContent{Title: title, Note: note, AsOfSeq: pos}
	c.From, c.To = it.Period()
	if c.Title == "" {
		c.Title = it.TitleZH()
	}
	switch it.Kind {
	case domain.DisclosureFinance:
		err = g.finance(ctx, community, it, &c)
	case domain.DisclosureBudget, domain.DisclosureExecution:
		err = g.budget(ctx, community, it, &c)
	case domain.DisclosureSpecial:
		if strings.TrimSpace(note) == "" {
			return c, &domain.ValidationError{Fields: []domain.FieldError{{Field: "note",
				Reason: "a special item discloses its note: write it", ReasonZH: "专项公开的内容即说明，请填写"}}}
		}
		c.Tables = []domain.DisclosureTable{}
	}
	return c, err
}

// yuan writes an amount in a table as the pages and sheets write it.
func yuan(f domain.Fen) string { return f.String() }

func sourceName(s string) string {
	if zh := domain.SourceZH(s); zh != "" {
		return zh
	}
	return s
}

func (g Generator) finance(ctx context.Context, community string, it domain.DisclosureItem, c *domain.DisclosureContent) error {
	months := it.Months()
	p, err := Payments(ctx, g.Books, community, it.Year, months)
	if err != nil {
		return err
	}
	sum := p.Summarise(months)
	detail := domain.DisclosureTable{Caption: "收支明细", Columns: []string{"日期", "凭证号", "摘要", "收入（元）", "支出（元）", "资金来源"}}
	for _, r := range p.Rows {
		if r.Direction == "" {
			continue
		}
		in, out := "", ""
		if r.Direction == "income" {
			in = yuan(r.Amount)
		} else {
			out = yuan(r.Amount)
		}
		detail.Rows = append(detail.Rows, []string{r.Date.String(), r.ID, r.Summary, in, out, sourceName(r.Source)})
	}
	byLine := domain.DisclosureTable{Caption: "按预算项目汇总", Columns: []string{"项目", "资金来源", "收入（元）", "支出（元）"}}
	for _, l := range sum.Lines {
		byLine.Rows = append(byLine.Rows, []string{l.Name, sourceName(l.Source), yuan(l.Income), yuan(l.Expense)})
	}
	c.Tables = []domain.DisclosureTable{detail, byLine}
	if len(months) > 1 {
		byMonth := domain.DisclosureTable{Caption: "按月汇总", Columns: []string{"月份", "收入（元）", "支出（元）", "收支相抵（元）"}}
		for _, m := range sum.Months {
			byMonth.Rows = append(byMonth.Rows, []string{m.Month, yuan(m.Income), yuan(m.Expense), yuan(m.Income - m.Expense)})
		}
		c.Tables = append(c.Tables, byMonth)
	}
	c.Totals = []domain.DisclosureTotal{{Label: "本期收入合计", Amount: sum.Income}, {Label: "本期支出合计", Amount: sum.Expense},
		{Label: "收支相抵", Amount: sum.Income - sum.Expense}}
	return nil
}

func (g Generator) budget(ctx context.Context, community string, it domain.DisclosureItem, c *domain.DisclosureContent) error {
	be, err := g.Books.BudgetExecution(ctx, community, it.Year)
	if err != nil {
		return err
	}
	if len(be.Lines) == 0 {
		return &domain.RuleError{Code: "no_budget", Field: "aggregate_id",
			Reason: fmt.Sprintf("no budget is adopted for %d", it.Year), ReasonZH: fmt.Sprintf("%d年度尚未通过预算", it.Year)}
	}
	if it.Kind == domain.DisclosureBudget {
		t := domain.DisclosureTable{Caption: "预算项目", Columns: []string{"项目", "资金来源", "预算（元）"}}
		if be.Resolution != "" {
			t.Caption = "预算项目（依据决议事项 " + be.Resolution + "）"
		}
		for _, l := range be.Lines {
			t.Rows = append(t.Rows, []string{l.Name, sourceName(l.Source), yuan(l.Budget)})
		}
		c.Tables = []domain.DisclosureTable{t}
		c.Totals = []domain.DisclosureTotal{{Label: "预算合计", Amount: be.Total.Budget}}
		return nil
	}
	t := domain.DisclosureTable{Caption: "预算执行情况", Columns: []string{"项目", "资金来源", "预算（元）", "到账（元）", "支出（元）", "结余（元）", "执行率"}}
	for _, l := range be.Lines {
		t.Rows = append(t.Rows, []string{l.Name, sourceName(l.Source), yuan(l.Budget), yuan(l.Received), yuan(l.Spent), yuan(l.Remaining), percent(l.Percent)})
	}
	c.Tables = []domain.DisclosureTable{t}
	c.Totals = []domain.DisclosureTotal{{Label: "预算合计", Amount: be.Total.Budget}, {Label: "到账合计", Amount: be.Total.Received},
		{Label: "支出合计", Amount: be.Total.Spent}, {Label: "结余合计", Amount: be.Total.Remaining}}
	return nil
}

func percent(bp int64) string { return fmt.Sprintf("%d.%02d%%", bp/100, bp%100) }

// StaleError says an approved version's figures differ from the books'
// now: an entry was recorded or reversed in its period since it was drafted.
type StaleError struct {
	Version int
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("version %d no longer matches the books: draft it again", e.Version)
}

// Check returns a *StaleError when v's figures differ from what the read
// models give for the item now (special items have none to differ).
func (g Generator) Check(ctx context.Context, community string, it domain.DisclosureItem, v domain.DisclosureVersion) error {
	if it.Kind == domain.DisclosureSpecial {
		return nil
	}
	now, err := g.Content(ctx, community, it, v.Content.Title, v.Content.Note)
	if err != nil {
		return err
	}
	if !sameFigures(now, v.Content) {
		return &StaleError{Version: v.Version}
	}
	return nil
}

func sameFigures(a, b domain.DisclosureContent) bool {
	if !slices.Equal(a.Totals, b.Totals) || len(a.Tables) != len(b.Tables) {
		return false
	}
	for i := range a.Tables {
		x, y := a.Tables[i], b.Tables[i]
		if x.Caption != y.Caption || !slices.Equal(x.Columns, y.Columns) ||
			!slices.EqualFunc(x.Rows, y.Rows, func(p, q []string) bool { return slices.Equal(p, q) }) {
			return false
		}
	}
	return true
}

// Years is what Obligations needs of the finance read model beyond Books.
type Years interface {
	Years(ctx context.Context, community string) ([]int, error)
}

// Obligations lists what the community's catalogue required up to today
// (a civil date in Asia/Shanghai) and what was done about it, from the
// board (matters, disclosures, rule sets) and the books (when they began,
// each year's budget; without b and y, the board's alone).
func Obligations(ctx context.Context, b Books, y Years, v projections.BoardView, today domain.Date) ([]domain.Obligation, error) {
	comm := &domain.Community{RuleSets: v.RuleSets}
	in := domain.ObligationInput{
		Today:   today,
		RulesAt: func(d domain.Date) domain.DisclosureRules { return comm.RuleSetAt(d).DisclosureRules() },
		Budgets: map[int]domain.Date{},
	}
	published := map[string]domain.Date{}
	for _, d := range v.Disclosures {
		published[d.Item] = d.Disclosure().FirstPublished()
	}
	in.Published = func(item string) domain.Date { return published[item] }
	var years []int
	if b != nil && y != nil {
		var err error
		years, err = y.Years(ctx, v.Community)
		if err != nil && !errors.Is(err, projections.ErrNotFound) {
			return nil, err
		}
	}
	slices.Sort(years)
	for _, year := range years {
		if be, err := b.BudgetExecution(ctx, v.Community, year); err == nil && !be.Adopted.IsZero() {
			in.Budgets[year] = be.Adopted
		}
	}
	// The books begin with the first month of their first year that holds
	// a voucher.
first:
	for _, year := range years {
		for m := 1; m <= 12; m++ {
			vl, err := b.Vouchers(ctx, v.Community, fmt.Sprintf("%04d-%02d", year, m))
			if err != nil {
				continue
			}
			if len(vl.Vouchers) > 0 {
				in.FinanceFrom = domain.Date{Year: year, Month: time.Month(m), Day: 1}
				break first
			}
		}
	}
	for _, m := range v.Matters {
		om := domain.ObligationMatter{ID: m.ID, Title: m.Title}
		for _, d := range m.Dates {
			switch d.Stage {
			case domain.StageResolved:
				// A new vote after a failed one starts the deadline again.
				om.Resolved, om.ResolutionDisclosed = d.Date, domain.Date{}
			case domain.StageResolutionDisclosed:
				om.ResolutionDisclosed = d.Date
			case domain.StageImplementing:
				if om.FirstReport.IsZero() {
					om.FirstReport = d.Date
				}
			case domain.StageResultDisclosed:
				om.ResultDisclosed = d.Date
			}
		}
		in.Matters = append(in.Matters, om)
	}
	return domain.Obligations(in), nil
}
