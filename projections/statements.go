package projections

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/gongkai/gongkai/domain"
)

// Period is a month (Month 1 to 12) or a whole fiscal year (Month 0).
type Period struct {
	Year  int `json:"year"`
	Month int `json:"month,omitempty"`
}

func (p Period) String() string {
	if p.Month == 0 {
		return fmt.Sprintf("%04d", p.Year)
	}
	return fmt.Sprintf("%04d-%02d", p.Year, p.Month)
}

// bounds returns the first and last day of the period.
func (p Period) bounds() (from, to domain.Date) {
	if p.Month == 0 {
		return domain.Date{Year: p.Year, Month: 1, Day: 1}, domain.Date{Year: p.Year, Month: 12, Day: 31}
	}
	last := time.Date(p.Year, time.Month(p.Month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return domain.Date{Year: p.Year, Month: time.Month(p.Month), Day: 1}, domain.Date{Year: p.Year, Month: time.Month(p.Month), Day: last}
}

// ParseMonth parses "YYYY-MM".
func ParseMonth(s string) (Period, error) {
	var p Period
	if len(s) != 7 || s[4] != '-' {
		return p, fmt.Errorf("month %q: want YYYY-MM", s)
	}
	if _, err := fmt.Sscanf(s, "%04d-%02d", &p.Year, &p.Month); err != nil || p.Month < 1 || p.Month > 12 || p.Year < 1949 {
		return p, fmt.Errorf("month %q: want YYYY-MM", s)
	}
	return p, nil
}

// sums is the debit and credit turnover of one account and its sources.
type sums struct {
	debit, credit domain.Fen
	seqs          []uint64
}

func (s *sums) add(l domain.Line, seq uint64) {
	s.debit += l.Debit
	s.credit += l.Credit
	if len(s.seqs) == 0 || s.seqs[len(s.seqs)-1] != seq {
		s.seqs = append(s.seqs, seq)
	}
}

// withClosings returns the vouchers and then the year-end carry-forwards.
func (s *finState) withClosings() []*voucherRec {
	out := slices.Clone(s.vouchers)
	years := make([]int, 0, len(s.closings))
	for y := range s.closings {
		years = append(years, y)
	}
	sort.Ints(years)
	for _, y := range years {
		out = append(out, s.closings[y])
	}
	return out
}

// turnover sums the postings dated from..to by account. Year-end
// carry-forwards (dated 31 December of a closed year) are counted when
// closings is set: statements of position count them, statements of
// income do not.
func (s *finState) turnover(from, to domain.Date, closings bool) map[string]*sums {
	out := map[string]*sums{}
	visit := func(v *voucherRec) {
		if v.Date.Before(from) || v.Date.After(to) {
			return
		}
		for _, l := range v.Lines {
			a := out[l.Account]
			if a == nil {
				a = &sums{}
				out[l.Account] = a
			}
			a.add(l, v.Seq)
		}
	}
	vs := s.vouchers
	if closings {
		vs = s.withClosings()
	}
	for _, v := range vs {
		visit(v)
	}
	return out
}

// opening returns the balances (debit minus credit) before date d,
// carry-forwards of earlier years included.
func (s *finState) opening(d domain.Date) map[string]*sums {
	return s.turnover(domain.Date{Year: 1, Month: 1, Day: 1}, dayBefore(d), true)
}

func dayBefore(d domain.Date) domain.Date {
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
	return domain.Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}
}

// normal returns debit minus credit turned to the account's normal side.
func normal(a domain.Account, net domain.Fen) domain.Fen {
	if a.Side == domain.SideCredit {
		return -net
	}
	return net
}

// TrialBalance is the trial balance (科目余额表) of one month.
type TrialBalance struct {
	Community string            `json:"community"`
	Month     string            `json:"month"`
	Closed    bool              `json:"closed"`
	Rows      []TrialBalanceRow `json:"rows"`
	Total     TrialBalanceRow   `json:"total"`
	AsOfSeq   uint64            `json:"as_of_seq"`
	AsOf      time.Time         `json:"as_of"`
}

// TrialBalanceRow is one account's opening balance, turnover and closing
// balance, each in debit and credit columns.
type TrialBalanceRow struct {
	Account       string     `json:"account"`
	NameZH        string     `json:"name_zh,omitempty"`
	NameEN        string     `json:"name_en,omitempty"`
	OpeningDebit  domain.Fen `json:"opening_debit"`
	OpeningCredit domain.Fen `json:"opening_credit"`
	Debit         domain.Fen `json:"debit"`
	Credit        domain.Fen `json:"credit"`
	ClosingDebit  domain.Fen `json:"closing_debit"`
	ClosingCredit domain.Fen `json:"closing_credit"`
	Seqs          []uint64   `json:"stream_seqs,omitempty"`
}

func columns(net domain.Fen) (debit, credit domain.Fen) {
	if net >= 0 {
		return net, 0
	}
	return 0, -net
}

// TrialBalance returns a month's trial balance.
func (f FinanceOn) TrialBalance(ctx context.Context, community, month string) (TrialBalance, error) {
	p, err := ParseMonth(month)
	if err != nil {
		return TrialBalance{}, err
	}
	var tb TrialBalance
	err = f.view(ctx, community, func(s *finState, pos Position) error {
		from, to := p.bounds()
		open, turn := s.opening(from), s.turnover(from, to, true)
		tb = TrialBalance{Community: community, Month: p.String(), AsOfSeq: pos.Seq, AsOf: pos.Time, Rows: []TrialBalanceRow{}}
		_, monthClosed := s.closed[p.String()]
		_, yearClosed := s.closings[p.Year]
		tb.Closed = monthClosed || yearClosed
		for _, a := range s.chart.Accounts {
			o, t := open[a.Code], turn[a.Code]
			if o == nil && t == nil {
				continue
			}
			r := TrialBalanceRow{Account: a.Code, NameZH: a.NameZH, NameEN: a.NameEN}
			var onet domain.Fen
			if o != nil {
				onet = o.debit - o.credit
				r.Seqs = append(r.Seqs, o.seqs...)
			}
			if t != nil {
				r.Debit, r.Credit = t.debit, t.credit
				r.Seqs = append(r.Seqs, t.seqs...)
			}
			if onet == 0 && r.Debit == 0 && r.Credit == 0 {
				continue
			}
			r.Seqs = sortedSeqs(r.Seqs)
			r.OpeningDebit, r.OpeningCredit = columns(onet)
			r.ClosingDebit, r.ClosingCredit = columns(onet + r.Debit - r.Credit)
			tb.Rows = append(tb.Rows, r)
			tb.Total.OpeningDebit += r.OpeningDebit
			tb.Total.OpeningCredit += r.OpeningCredit
			tb.Total.Debit += r.Debit
			tb.Total.Credit += r.Credit
			tb.Total.ClosingDebit += r.ClosingDebit
			tb.Total.ClosingCredit += r.ClosingCredit
		}
		return nil
	})
	return tb, err
}

// sortedSeqs sorts sequences and drops repeats.
func sortedSeqs(seqs []uint64) []uint64 {
	slices.Sort(seqs)
	return slices.Compact(seqs)
}

// Ledger is one account's general ledger (总账/明细账) for a month.
type Ledger struct {
	Community string        `json:"community"`
	Account   string        `json:"account"`
	NameZH    string        `json:"name_zh"`
	NameEN    string        `json:"name_en"`
	Side      string        `json:"side"`
	Month     string        `json:"month"`
	Opening   domain.Fen    `json:"opening"`
	Entries   []LedgerEntry `json:"entries"`
	Debit     domain.Fen    `json:"debit"`
	Credit    domain.Fen    `json:"credit"`
	Closing   domain.Fen    `json:"closing"`
	AsOfSeq   uint64        `json:"as_of_seq"`
	AsOf      time.Time     `json:"as_of"`
}

// LedgerEntry is one posting; Balance runs on the account's normal side.
type LedgerEntry struct {
	Date    domain.Date `json:"date"`
	Voucher string      `json:"voucher"`
	Summary string      `json:"summary"`
	Debit   domain.Fen  `json:"debit"`
	Credit  domain.Fen  `json:"credit"`
	Balance domain.Fen  `json:"balance"`
	Seq     uint64      `json:"stream_seq"`
}

// Ledger returns an account's ledger for a month, entries in date order
// (posting order within a day) with the running balance.
func (f FinanceOn) Ledger(ctx context.Context, community, account, month string) (Ledger, error) {
	p, err := ParseMonth(month)
	if err != nil {
		return Ledger{}, err
	}
	var l Ledger
	err = f.view(ctx, community, func(s *finState, pos Position) error {
		a, ok := s.chart.Account(account)
		if !ok {
			return fmt.Errorf("account %s: %w", account, ErrNotFound)
		}
		from, to := p.bounds()
		l = Ledger{Community: community, Account: a.Code, NameZH: a.NameZH, NameEN: a.NameEN, Side: a.Side, Month: p.String(),
			AsOfSeq: pos.Seq, AsOf: pos.Time, Entries: []LedgerEntry{}}
		if o := s.opening(from)[account]; o != nil {
			l.Opening = normal(a, o.debit-o.credit)
		}
		for _, v := range s.withClosings() {
			if v.Date.Before(from) || v.Date.After(to) {
				continue
			}
			for _, ln := range v.Lines {
				if ln.Account == account {
					l.Entries = append(l.Entries, LedgerEntry{Date: v.Date, Voucher: v.ID, Summary: v.Summary, Debit: ln.Debit, Credit: ln.Credit, Seq: v.Seq})
				}
			}
		}
		sort.SliceStable(l.Entries, func(i, j int) bool { return l.Entries[i].Date.Before(l.Entries[j].Date) })
		bal := l.Opening
		for i := range l.Entries {
			e := &l.Entries[i]
			bal += normal(a, e.Debit-e.Credit)
			e.Balance = bal
			l.Debit += e.Debit
			l.Credit += e.Credit
		}
		l.Closing = bal
		return nil
	})
	return l, err
}

// BalanceSheet is the balance sheet (资产负债表) at a month's end.
type BalanceSheet struct {
	Community        string         `json:"community"`
	Month            string         `json:"month"`
	Date             domain.Date    `json:"date"`
	Assets           []StatementRow `json:"assets"`
	Liabilities      []StatementRow `json:"liabilities"`
	Equity           []StatementRow `json:"equity"`
	TotalAssets      domain.Fen     `json:"total_assets"`
	TotalLiabilities domain.Fen     `json:"total_liabilities"`
	TotalEquity      domain.Fen     `json:"total_equity"`
	Balanced         bool           `json:"balanced"`
	AsOfSeq          uint64         `json:"as_of_seq"`
	AsOf             time.Time      `json:"as_of"`
}

// StatementRow is one line of a statement.
type StatementRow struct {
	Code   string     `json:"code,omitempty"`
	NameZH string     `json:"name_zh"`
	NameEN string     `json:"name_en"`
	Amount domain.Fen `json:"amount"`
	Seqs   []uint64   `json:"stream_seqs,omitempty"`
}

// BalanceSheet returns the balance sheet at the end of a month. Income and
// expense not yet carried forward appear in equity as 本年收益 (current
// result), so that assets equal liabilities plus equity at any month end;
// at the end of a closed year the carry-forward is included.
func (f FinanceOn) BalanceSheet(ctx context.Context, community, month string) (BalanceSheet, error) {
	p, err := ParseMonth(month)
	if err != nil {
		return BalanceSheet{}, err
	}
	var bs BalanceSheet
	err = f.view(ctx, community, func(s *finState, pos Position) error {
		from, to := p.bounds()
		open, turn := s.opening(from), s.turnover(from, to, true)
		bs = BalanceSheet{Community: community, Month: p.String(), Date: to, AsOfSeq: pos.Seq, AsOf: pos.Time,
			Assets: []StatementRow{}, Liabilities: []StatementRow{}, Equity: []StatementRow{}}
		result := StatementRow{NameZH: "本年收益（未结转）", NameEN: "Result not yet carried forward"}
		for _, a := range s.chart.Accounts {
			var net domain.Fen
			var seqs []uint64
			for _, m := range []map[string]*sums{open, turn} {
				if x := m[a.Code]; x != nil {
					net += x.debit - x.credit
					seqs = append(seqs, x.seqs...)
				}
			}
			if net == 0 && len(seqs) == 0 {
				continue
			}
			seqs = sortedSeqs(seqs)
			r := StatementRow{Code: a.Code, NameZH: a.NameZH, NameEN: a.NameEN, Amount: net, Seqs: seqs}
			switch a.Class {
			case domain.ClassAsset, domain.ClassCost:
				bs.Assets = append(bs.Assets, r)
				bs.TotalAssets += net
			case domain.ClassLiability:
				r.Amount = -net
				bs.Liabilities = append(bs.Liabilities, r)
				bs.TotalLiabilities -= net
			case domain.ClassEquity:
				r.Amount = -net
				bs.Equity = append(bs.Equity, r)
				bs.TotalEquity -= net
			case domain.ClassIncome, domain.ClassExpense:
				result.Amount -= net
				result.Seqs = append(result.Seqs, seqs...)
			}
		}
		if result.Amount != 0 {
			result.Seqs = sortedSeqs(result.Seqs)
			bs.Equity = append(bs.Equity, result)
			bs.TotalEquity += result.Amount
		}
		bs.Balanced = bs.TotalAssets == bs.TotalLiabilities+bs.TotalEquity
		return nil
	})
	return bs, err
}

// IncomeStatement is the statement of income and its distribution
// (收益及收益分配表) for a month or a year.
type IncomeStatement struct {
	Community string         `json:"community"`
	Period    string         `json:"period"`
	Rows      []StatementRow `json:"rows"`
	// Operating is 经营收益; Result is 本年收益 (or the month's result).
	Operating domain.Fen `json:"operating_result"`
	Result    domain.Fen `json:"result"`
	// Distribution is present for a whole year.
	Distribution *Distribution `json:"distribution,omitempty"`
	AsOfSeq      uint64        `json:"as_of_seq"`
	AsOf         time.Time     `json:"as_of"`
}

// Distribution is the lower half of 收益及收益分配表.
type Distribution struct {
	OpeningUndistributed domain.Fen `json:"opening_undistributed"` // 年初未分配收益
	Result               domain.Fen `json:"result"`                // 本年收益
	Available            domain.Fen `json:"available"`             // 可分配收益
	Distributed          domain.Fen `json:"distributed"`           // 本年分配
	ClosingUndistributed domain.Fen `json:"closing_undistributed"` // 年末未分配收益
	Seqs                 []uint64   `json:"stream_seqs,omitempty"`
}

// The layout of 收益及收益分配表: sign +1 adds an income account's credit
// balance, -1 subtracts an expense account's debit balance.
var incomeLayout = []struct {
	code      string
	operating bool
}{
	{"501", true}, {"511", true}, {"561", true}, {"502", true}, {"541", true},
	{"522", false}, {"531", false}, {"551", false},
}

// IncomeStatement returns the income statement of a month or a year.
func (f FinanceOn) IncomeStatement(ctx context.Context, community string, p Period) (IncomeStatement, error) {
	var is IncomeStatement
	err := f.view(ctx, community, func(s *finState, pos Position) error {
		from, to := p.bounds()
		turn := s.turnover(from, to, false)
		is = IncomeStatement{Community: community, Period: p.String(), AsOfSeq: pos.Seq, AsOf: pos.Time}
		listed := map[string]bool{}
		addRow := func(a domain.Account, operating bool) {
			listed[a.Code] = true
			x := turn[a.Code]
			row := StatementRow{Code: a.Code, NameZH: a.NameZH, NameEN: a.NameEN}
			if x != nil {
				row.Amount = normal(a, x.debit-x.credit)
				row.Seqs = x.seqs
			}
			signed := row.Amount
			if a.Class == domain.ClassExpense {
				signed = -signed
			}
			if operating {
				is.Operating += signed
			}
			is.Result += signed
			is.Rows = append(is.Rows, row)
		}
		for _, l := range incomeLayout {
			if a, ok := s.chart.Account(l.code); ok {
				addRow(a, l.operating)
			}
		}
		for _, a := range s.chart.Accounts { // accounts of another chart
			if !listed[a.Code] && (a.Class == domain.ClassIncome || a.Class == domain.ClassExpense) {
				addRow(a, false)
			}
		}
		if p.Month == 0 {
			d := &Distribution{Result: is.Result}
			if o := s.opening(from)[domain.AccountDistribution]; o != nil {
				d.OpeningUndistributed = o.credit - o.debit
				d.Seqs = append(d.Seqs, o.seqs...)
			}
			if x := turn[domain.AccountDistribution]; x != nil {
				d.Distributed = x.debit - x.credit
				d.Seqs = append(d.Seqs, x.seqs...)
			}
			d.Seqs = sortedSeqs(d.Seqs)
			d.Available = d.OpeningUndistributed + d.Result
			d.ClosingUndistributed = d.Available - d.Distributed
			is.Distribution = d
		}
		return nil
	})
	return is, err
}

// BudgetExecution is budget execution (预算执行) per line for a year.
type BudgetExecution struct {
	Community  string           `json:"community"`
	Year       int              `json:"year"`
	Resolution string           `json:"resolution"`
	Lines      []BudgetExecLine `json:"lines"`
	Total      BudgetExecLine   `json:"total"`
	AsOfSeq    uint64           `json:"as_of_seq"`
	AsOf       time.Time        `json:"as_of"`
}

// BudgetExecLine is one budget line's execution. Percent is spent/budget in
// hundredths of a percent (basis points), so 12.34 % is 1234.
type BudgetExecLine struct {
	Line      string     `json:"line"`
	Name      string     `json:"name"`
	Source    string     `json:"source"`
	Budget    domain.Fen `json:"budget"`
	Received  domain.Fen `json:"received"`
	Spent     domain.Fen `json:"spent"`
	Remaining domain.Fen `json:"remaining"`
	Percent   int64      `json:"percent_bp"`
	Seqs      []uint64   `json:"stream_seqs,omitempty"`
}

// BudgetExecution returns the execution of a year's budget.
func (f FinanceOn) BudgetExecution(ctx context.Context, community string, year int) (BudgetExecution, error) {
	var be BudgetExecution
	err := f.view(ctx, community, func(s *finState, pos Position) error {
		b := s.budgets[year]
		if b == nil {
			return fmt.Errorf("budget %d: %w", year, ErrNotFound)
		}
		be = BudgetExecution{Community: community, Year: year, Resolution: b.Resolution, AsOfSeq: pos.Seq, AsOf: pos.Time}
		idx := map[string]int{}
		for i, l := range b.Lines {
			idx[l.Line] = i
			be.Lines = append(be.Lines, BudgetExecLine{Line: l.Line, Name: l.Name, Source: l.Source, Budget: l.Amount, Seqs: slices.Clone(b.Seqs)})
		}
		for _, fr := range s.funds {
			if i, ok := idx[fr.Line]; ok && fr.Year == year {
				be.Lines[i].Received += fr.Amount
				be.Lines[i].Seqs = append(be.Lines[i].Seqs, fr.Seq)
			}
		}
		for _, v := range s.vouchers {
			if i, ok := idx[v.BudgetLine]; ok && v.Date.Year == year {
				be.Lines[i].Spent += s.chart.Payment(v.Lines)
				be.Lines[i].Seqs = append(be.Lines[i].Seqs, v.Seq)
			}
		}
		for i := range be.Lines {
			l := &be.Lines[i]
			l.Seqs = sortedSeqs(l.Seqs)
			l.Remaining = l.Budget - l.Spent
			if l.Budget > 0 {
				l.Percent = int64(l.Spent) * 10000 / int64(l.Budget)
			}
			be.Total.Budget += l.Budget
			be.Total.Received += l.Received
			be.Total.Spent += l.Spent
			be.Total.Remaining += l.Remaining
		}
		if be.Total.Budget > 0 {
			be.Total.Percent = int64(be.Total.Spent) * 10000 / int64(be.Total.Budget)
		}
		return nil
	})
	return be, err
}

// Summary is the finance summary (财务收支公开) of a year by month and quarter.
type Summary struct {
	Community string          `json:"community"`
	Year      int             `json:"year"`
	Months    []SummaryPeriod `json:"months"`
	Quarters  []SummaryPeriod `json:"quarters"`
	Total     SummaryPeriod   `json:"total"`
	AsOfSeq   uint64          `json:"as_of_seq"`
	AsOf      time.Time       `json:"as_of"`
}

// SummaryPeriod is income and expense by category (account) and by fund
// source for one period.
type SummaryPeriod struct {
	Period   string         `json:"period"`
	Income   []StatementRow `json:"income"`
	Expense  []StatementRow `json:"expense"`
	Sources  []SourceRow    `json:"sources"`
	TotalIn  domain.Fen     `json:"total_income"`
	TotalOut domain.Fen     `json:"total_expense"`
}

// SourceRow is money received from and paid against one fund source.
// Payments not earmarked to a budget line count under "unassigned".
type SourceRow struct {
	Source   string     `json:"source"`
	Received domain.Fen `json:"received"`
	Spent    domain.Fen `json:"spent"`
	Seqs     []uint64   `json:"stream_seqs,omitempty"`
}

// Summary returns a year's finance summary.
func (f FinanceOn) Summary(ctx context.Context, community string, year int) (Summary, error) {
	var sum Summary
	err := f.view(ctx, community, func(s *finState, pos Position) error {
		sum = Summary{Community: community, Year: year, AsOfSeq: pos.Seq, AsOf: pos.Time}
		for m := 1; m <= 12; m++ {
			sum.Months = append(sum.Months, s.summary(Period{Year: year, Month: m}, []int{m}))
		}
		for q := 1; q <= 4; q++ {
			sp := s.summary(Period{Year: year}, []int{3*q - 2, 3*q - 1, 3 * q})
			sp.Period = fmt.Sprintf("%04d-Q%d", year, q)
			sum.Quarters = append(sum.Quarters, sp)
		}
		sum.Total = s.summary(Period{Year: year}, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
		return nil
	})
	return sum, err
}

func (s *finState) summary(p Period, months []int) SummaryPeriod {
	sp := SummaryPeriod{Period: p.String(), Income: []StatementRow{}, Expense: []StatementRow{}, Sources: []SourceRow{}}
	in := func(d domain.Date) bool { return d.Year == p.Year && slices.Contains(months, int(d.Month)) }
	turn := map[string]*sums{}
	sources := map[string]*SourceRow{}
	source := func(name string) *SourceRow {
		if sources[name] == nil {
			sources[name] = &SourceRow{Source: name}
		}
		return sources[name]
	}
	lineSource := map[string]string{}
	if b := s.budgets[p.Year]; b != nil {
		for _, l := range b.Lines {
			lineSource[l.Line] = l.Source
		}
	}
	for _, v := range s.vouchers {
		if !in(v.Date) {
			continue
		}
		for _, l := range v.Lines {
			if turn[l.Account] == nil {
				turn[l.Account] = &sums{}
			}
			turn[l.Account].add(l, v.Seq)
		}
		if pay := s.chart.Payment(v.Lines); pay != 0 {
			src := lineSource[v.BudgetLine]
			if src == "" {
				src = "unassigned"
			}
			r := source(src)
			r.Spent += pay
			r.Seqs = append(r.Seqs, v.Seq)
		}
	}
	for _, fr := range s.funds {
		if fr.Year == p.Year && in(fr.Date) {
			r := source(fr.Source)
			r.Received += fr.Amount
			r.Seqs = append(r.Seqs, fr.Seq)
		}
	}
	for _, a := range s.chart.Accounts {
		x := turn[a.Code]
		if x == nil {
			continue
		}
		row := StatementRow{Code: a.Code, NameZH: a.NameZH, NameEN: a.NameEN, Amount: normal(a, x.debit-x.credit), Seqs: x.seqs}
		switch a.Class {
		case domain.ClassIncome:
			sp.Income = append(sp.Income, row)
			sp.TotalIn += row.Amount
		case domain.ClassExpense:
			sp.Expense = append(sp.Expense, row)
			sp.TotalOut += row.Amount
		}
	}
	for _, name := range []string{domain.SourceTown, domain.SourceCounty, domain.SourceSpecial, domain.SourceCollective, domain.SourceOther, "unassigned"} {
		if r := sources[name]; r != nil {
			r.Seqs = sortedSeqs(r.Seqs)
			sp.Sources = append(sp.Sources, *r)
		}
	}
	return sp
}

// Years returns the fiscal years with books or a budget, newest first.
func (f FinanceOn) Years(ctx context.Context, community string) ([]int, error) {
	var out []int
	err := f.view(ctx, community, func(s *finState, _ Position) error {
		seen := map[int]bool{}
		for _, v := range s.vouchers {
			seen[v.Date.Year] = true
		}
		for y := range s.budgets {
			seen[y] = true
		}
		for y := range seen {
			out = append(out, y)
		}
		sort.Sort(sort.Reverse(sort.IntSlice(out)))
		return nil
	})
	return out, err
}

// YearCloses returns, for each closed fiscal year of the community, the
// stream sequence of its books.year_closed event.
func (f FinanceOn) YearCloses(ctx context.Context, community string) (map[int]uint64, error) {
	out := map[int]uint64{}
	err := f.view(ctx, community, func(s *finState, _ Position) error {
		for y, c := range s.closings {
			out[y] = c.Seq
		}
		return nil
	})
	return out, err
}
