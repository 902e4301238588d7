package projections

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
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

// sumWhere sums each account's own postings (not its sub-accounts') over
// the vouchers keep accepts, and the year-end carry-forwards too when
// closings is set: statements of position count them, statements of
// income do not.
func (s *finState) sumWhere(keep func(*voucherRec) bool, closings bool) map[string]*sums {
	out := map[string]*sums{}
	vs := s.vouchers
	if closings {
		vs = s.withClosings()
	}
	for _, v := range vs {
		if !keep(v) {
			continue
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
	return out
}

// turnover sums the postings of the period from..to by account.
func (s *finState) turnover(from, to domain.Date, closings bool) map[string]*sums {
	return s.sumWhere(func(v *voucherRec) bool { return v.in(from, to) }, closings)
}

// opening returns the postings before a period that starts on from,
// carry-forwards of earlier years included: the opening balances.
func (s *finState) opening(from domain.Date) map[string]*sums {
	return s.sumWhere(func(v *voucherRec) bool { return v.before(from) }, true)
}

// rolled returns each account's sums with its sub-accounts' added, for
// every account in own and every parent above one.
func (v *yearView) rolled(own map[string]*sums) map[string]*sums {
	out := map[string]*sums{}
	for code, x := range own {
		for c := code; c != ""; c = v.parentOf(c) {
			r := out[c]
			if r == nil {
				r = &sums{}
				out[c] = r
			}
			r.debit += x.debit
			r.credit += x.credit
			r.seqs = append(r.seqs, x.seqs...)
		}
	}
	for _, r := range out {
		r.seqs = sortedSeqs(r.seqs)
	}
	return out
}

// net returns debit minus credit of m[code], 0 when absent.
func net(m map[string]*sums, code string) domain.Fen {
	if x := m[code]; x != nil {
		return x.debit - x.credit
	}
	return 0
}

// codeLevel is an account in tree order: Level 0 an account of a chart,
// 1 and more a sub-account.
type codeLevel struct {
	code  string
	level int
}

// tree returns the codes present in chart order: the accounts of charts by
// code, each followed by its sub-accounts present, parents first.
func (v *yearView) tree(present map[string]bool) []codeLevel {
	var roots []string
	for c := range present {
		if v.parentOf(c) == "" {
			roots = append(roots, c)
		}
	}
	sort.Strings(roots)
	var out []codeLevel
	var visit func(code string, level int)
	visit = func(code string, level int) {
		out = append(out, codeLevel{code, level})
		for _, c := range v.children[code] {
			if present[c] {
				visit(c, level+1)
			}
		}
	}
	for _, r := range roots {
		visit(r, 0)
	}
	return out
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

// TrialBalance is the trial balance (科目余额表) of one month, in the
// chart of the month's year.
type TrialBalance struct {
	Community string            `json:"community"`
	Month     string            `json:"month"`
	Chart     string            `json:"chart"`
	Closed    bool              `json:"closed"`
	Rows      []TrialBalanceRow `json:"rows"`
	// Total adds the rows of Level 0: a sub-account's figures are in its
	// parent's already.
	Total TrialBalanceRow `json:"total"`
	// Opening names the year's voucher 0 (opening balances or change of
	// chart) when the month is January and the year has one: its
	// postings are in the opening columns.
	Opening string    `json:"opening_voucher,omitempty"`
	AsOfSeq uint64    `json:"as_of_seq"`
	AsOf    time.Time `json:"as_of"`
}

// TrialBalanceRow is one account's opening balance, turnover and closing
// balance, each in debit and credit columns. A parent's row includes its
// sub-accounts'; a sub-account's row has Parent and a Level of 1 or more.
// Former marks an account of a superseded chart, shown under its old
// name.
type TrialBalanceRow struct {
	Account       string     `json:"account"`
	NameZH        string     `json:"name_zh,omitempty"`
	NameEN        string     `json:"name_en,omitempty"`
	Parent        string     `json:"parent,omitempty"`
	Level         int        `json:"level,omitempty"`
	Former        bool       `json:"former,omitempty"`
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

// openingVoucher returns the id of the voucher 0 dated from, if any.
func (s *finState) openingVoucher(from domain.Date) string {
	for _, v := range s.vouchers {
		if v.opensYear() && v.Date == from {
			return v.ID
		}
	}
	return ""
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
		v := s.at(p.Year)
		open, turn := v.rolled(s.opening(from)), v.rolled(s.turnover(from, to, true))
		tb = TrialBalance{Community: community, Month: p.String(), Chart: v.chart.ID, Opening: s.openingVoucher(from),
			AsOfSeq: pos.Seq, AsOf: pos.Time, Rows: []TrialBalanceRow{}}
		_, monthClosed := s.closed[p.String()]
		_, yearClosed := s.closings[p.Year]
		tb.Closed = monthClosed || yearClosed
		present := map[string]bool{}
		for _, m := range []map[string]*sums{open, turn} {
			for code, x := range m {
				present[code] = present[code] || x.debit != 0 || x.credit != 0
			}
		}
		for code, ok := range present {
			if !ok {
				delete(present, code)
			}
		}
		for code := range present {
			for c := v.parentOf(code); c != ""; c = v.parentOf(c) {
				present[c] = true
			}
		}
		for _, cl := range v.tree(present) {
			a, former, _ := v.account(cl.code)
			r := TrialBalanceRow{Account: cl.code, NameZH: a.NameZH, NameEN: a.NameEN, Parent: v.parentOf(cl.code), Level: cl.level, Former: former}
			onet := net(open, cl.code)
			if o := open[cl.code]; o != nil {
				r.Seqs = append(r.Seqs, o.seqs...)
			}
			if t := turn[cl.code]; t != nil {
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
			if cl.level == 0 {
				tb.Total.OpeningDebit += r.OpeningDebit
				tb.Total.OpeningCredit += r.OpeningCredit
				tb.Total.Debit += r.Debit
				tb.Total.Credit += r.Credit
				tb.Total.ClosingDebit += r.ClosingDebit
				tb.Total.ClosingCredit += r.ClosingCredit
			}
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

// Ledger is one account's ledger (总账/明细账) for a month. The ledger of
// an account with sub-accounts lists theirs, each entry naming its
// account.
type Ledger struct {
	Community string `json:"community"`
	Account   string `json:"account"`
	NameZH    string `json:"name_zh"`
	NameEN    string `json:"name_en"`
	Side      string `json:"side"`
	Parent    string `json:"parent,omitempty"`
	Former    bool   `json:"former,omitempty"`
	// SubAccounts are the account's sub-accounts, if any.
	SubAccounts []string      `json:"sub_accounts,omitempty"`
	Month       string        `json:"month"`
	Opening     domain.Fen    `json:"opening"`
	OpeningVch  string        `json:"opening_voucher,omitempty"`
	Entries     []LedgerEntry `json:"entries"`
	Debit       domain.Fen    `json:"debit"`
	Credit      domain.Fen    `json:"credit"`
	Closing     domain.Fen    `json:"closing"`
	AsOfSeq     uint64        `json:"as_of_seq"`
	AsOf        time.Time     `json:"as_of"`
}

// LedgerEntry is one posting; Balance runs on the account's normal side.
// Account is the sub-account posted to, in the ledger of its parent.
type LedgerEntry struct {
	Date    domain.Date `json:"date"`
	Voucher string      `json:"voucher"`
	Summary string      `json:"summary"`
	Account string      `json:"account,omitempty"`
	Debit   domain.Fen  `json:"debit"`
	Credit  domain.Fen  `json:"credit"`
	Balance domain.Fen  `json:"balance"`
	Seq     uint64      `json:"stream_seq"`
}

// Ledger returns an account's ledger for a month, entries in date order
// (posting order within a day) with the running balance. An account
// neither of the month's chart, nor a sub-account, nor of an earlier
// chart is not found.
func (f FinanceOn) Ledger(ctx context.Context, community, account, month string) (Ledger, error) {
	p, err := ParseMonth(month)
	if err != nil {
		return Ledger{}, err
	}
	var l Ledger
	err = f.view(ctx, community, func(s *finState, pos Position) error {
		v := s.at(p.Year)
		a, former, ok := v.account(account)
		if !ok {
			return fmt.Errorf("account %s: %w", account, ErrNotFound)
		}
		from, to := p.bounds()
		l = Ledger{Community: community, Account: a.Code, NameZH: a.NameZH, NameEN: a.NameEN, Side: a.Side, Month: p.String(),
			Parent: v.parentOf(account), Former: former, SubAccounts: v.children[account], OpeningVch: s.openingVoucher(from),
			AsOfSeq: pos.Seq, AsOf: pos.Time, Entries: []LedgerEntry{}}
		codes := v.descendants(account)
		open := s.opening(from)
		for _, c := range codes {
			l.Opening += normal(a, net(open, c))
		}
		for _, vr := range s.withClosings() {
			if !vr.in(from, to) {
				continue
			}
			for _, ln := range vr.Lines {
				if slices.Contains(codes, ln.Account) {
					e := LedgerEntry{Date: vr.Date, Voucher: vr.ID, Summary: vr.Summary, Debit: ln.Debit, Credit: ln.Credit, Seq: vr.Seq}
					if ln.Account != account {
						e.Account = ln.Account
					}
					l.Entries = append(l.Entries, e)
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

// BalanceSheet is the balance sheet (资产负债表) at a month's end by
// account; BalanceSheetForm lays it out by the official form.
type BalanceSheet struct {
	Community        string         `json:"community"`
	Month            string         `json:"month"`
	Chart            string         `json:"chart"`
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

// StatementRow is one line of a statement: an account of a chart, its
// sub-accounts' figures included.
type StatementRow struct {
	Code   string     `json:"code,omitempty"`
	NameZH string     `json:"name_zh"`
	NameEN string     `json:"name_en"`
	Amount domain.Fen `json:"amount"`
	Seqs   []uint64   `json:"stream_seqs,omitempty"`
}

// BalanceSheet returns the balance sheet at the end of a month, by
// account. Income and expense not yet carried forward appear in equity as
// 本年收益 (current result), so that assets equal liabilities plus equity
// at any month end; at the end of a closed year the carry-forward is
// included.
func (f FinanceOn) BalanceSheet(ctx context.Context, community, month string) (BalanceSheet, error) {
	p, err := ParseMonth(month)
	if err != nil {
		return BalanceSheet{}, err
	}
	var bs BalanceSheet
	err = f.view(ctx, community, func(s *finState, pos Position) error {
		_, to := p.bounds()
		v := s.at(p.Year)
		bal := v.rolled(s.sumWhere(func(vr *voucherRec) bool { return !vr.Date.After(to) }, true))
		bs = BalanceSheet{Community: community, Month: p.String(), Chart: v.chart.ID, Date: to, AsOfSeq: pos.Seq, AsOf: pos.Time,
			Assets: []StatementRow{}, Liabilities: []StatementRow{}, Equity: []StatementRow{}}
		result := StatementRow{NameZH: "本年收益（未结转）", NameEN: "Result not yet carried forward"}
		roots := map[string]bool{}
		for code := range bal {
			roots[v.rootOf(code)] = true
		}
		for _, cl := range v.tree(roots) {
			x := bal[cl.code]
			n := x.debit - x.credit
			if n == 0 && len(x.seqs) == 0 {
				continue
			}
			a, _, _ := v.account(cl.code)
			r := StatementRow{Code: cl.code, NameZH: a.NameZH, NameEN: a.NameEN, Amount: n, Seqs: x.seqs}
			switch a.Class {
			case domain.ClassAsset, domain.ClassCost:
				bs.Assets = append(bs.Assets, r)
				bs.TotalAssets += n
			case domain.ClassLiability:
				r.Amount = -n
				bs.Liabilities = append(bs.Liabilities, r)
				bs.TotalLiabilities -= n
			case domain.ClassEquity:
				r.Amount = -n
				bs.Equity = append(bs.Equity, r)
				bs.TotalEquity -= n
			case domain.ClassIncome, domain.ClassExpense:
				result.Amount -= n
				result.Seqs = append(result.Seqs, x.seqs...)
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
// (收益及收益分配表) for a month or a year, by account; IncomeForm lays a
// year's out by the official form.
type IncomeStatement struct {
	Community string `json:"community"`
	Period    string `json:"period"`
	Chart     string `json:"chart"`
	// Rows are the income and expense accounts in the order of the form,
	// then any the form does not show.
	Rows []StatementRow `json:"rows"`
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
	TransferIn           domain.Fen `json:"transfer_in"`           // 其他转入
	Available            domain.Fen `json:"available"`             // 可分配收益
	Distributed          domain.Fen `json:"distributed"`           // 本年分配
	ClosingUndistributed domain.Fen `json:"closing_undistributed"` // 年末未分配收益
	Seqs                 []uint64   `json:"stream_seqs,omitempty"`
}

// IncomeStatement returns the income statement of a month or a year.
func (f FinanceOn) IncomeStatement(ctx context.Context, community string, p Period) (IncomeStatement, error) {
	var is IncomeStatement
	err := f.view(ctx, community, func(s *finState, pos Position) error {
		from, to := p.bounds()
		v := s.at(p.Year)
		ch := v.chart
		turn := v.rolled(s.turnover(from, to, false))
		is = IncomeStatement{Community: community, Period: p.String(), Chart: ch.ID, AsOfSeq: pos.Seq, AsOf: pos.Time, Rows: []StatementRow{}}
		form := domain.StatementFormFor(domain.FormIncome, ch.ID)
		operating := map[string]bool{}
		var order []string
		if form != nil {
			op := operatingAccounts(form)
			for _, r := range form.Rows {
				for _, c := range r.Accounts {
					c = strings.TrimPrefix(c, "-")
					order = append(order, c)
					operating[c] = op[c]
				}
			}
		}
		listed := map[string]bool{}
		add := func(code string) {
			a, _, ok := v.account(code)
			if listed[code] || !ok || (a.Class != domain.ClassIncome && a.Class != domain.ClassExpense) {
				return
			}
			listed[code] = true
			row := StatementRow{Code: code, NameZH: a.NameZH, NameEN: a.NameEN}
			if x := turn[code]; x != nil {
				row.Amount = normal(a, x.debit-x.credit)
				row.Seqs = x.seqs
			}
			signed := row.Amount
			if a.Class == domain.ClassExpense {
				signed = -signed
			}
			if operating[code] {
				is.Operating += signed
			}
			is.Result += signed
			is.Rows = append(is.Rows, row)
		}
		for _, c := range order {
			if _, ok := ch.Account(c); ok {
				add(c)
			}
		}
		for _, a := range ch.Accounts {
			add(a.Code)
		}
		var others []string // accounts of a superseded chart with postings
		for code := range turn {
			if v.parentOf(code) == "" && !listed[code] {
				others = append(others, code)
			}
		}
		sort.Strings(others)
		for _, c := range others {
			if x := turn[c]; x.debit != 0 || x.credit != 0 {
				add(c)
			}
		}
		if p.Month == 0 {
			d := v.distribution(form, from, to)
			is.Distribution = &Distribution{OpeningUndistributed: d.opening, Result: is.Result, TransferIn: d.in,
				Distributed: d.total(), Seqs: d.seqs()}
			is.Distribution.Available = d.opening + is.Result + d.in
			is.Distribution.ClosingUndistributed = is.Distribution.Available - is.Distribution.Distributed
		}
		return nil
	})
	return is, err
}

// operatingAccounts returns the accounts of the rows the form adds up to
// 经营收益.
func operatingAccounts(form *domain.StatementForm) map[string]bool {
	byRow := map[int]domain.FormRow{}
	for _, r := range form.Rows {
		byRow[r.Row] = r
	}
	out := map[string]bool{}
	for _, r := range form.Rows {
		if r.Kind == "subtotal" && strings.Contains(r.LabelZH, "经营收益") {
			for _, n := range r.Rows {
				for _, c := range byRow[max(n, -n)].Accounts {
					out[strings.TrimPrefix(c, "-")] = true
				}
			}
		}
	}
	return out
}

// BudgetExecution is budget execution (预算执行) per line for a year.
type BudgetExecution struct {
	Community  string `json:"community"`
	Year       int    `json:"year"`
	Resolution string `json:"resolution"`
	// Adopted is the date the budget was adopted.
	Adopted domain.Date      `json:"adopted"`
	Lines   []BudgetExecLine `json:"lines"`
	Total   BudgetExecLine   `json:"total"`
	AsOfSeq uint64           `json:"as_of_seq"`
	AsOf    time.Time        `json:"as_of"`
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
		be = BudgetExecution{Community: community, Year: year, Resolution: b.Resolution, Adopted: b.Adopted, AsOfSeq: pos.Seq, AsOf: pos.Time}
		vs := views{}
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
				be.Lines[i].Spent += vs.at(s, v.Date.Year).payment(v.Lines)
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
	yv := s.at(p.Year)
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
		if !in(v.Date) || v.opensYear() {
			continue
		}
		for _, l := range v.Lines {
			if turn[l.Account] == nil {
				turn[l.Account] = &sums{}
			}
			turn[l.Account].add(l, v.Seq)
		}
		if pay := yv.payment(v.Lines); pay != 0 {
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
	turn = yv.rolled(turn)
	roots := map[string]bool{}
	for code := range turn {
		roots[yv.rootOf(code)] = true
	}
	for _, cl := range yv.tree(roots) {
		x := turn[cl.code]
		a, _, _ := yv.account(cl.code)
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
		for y := range s.closings {
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
