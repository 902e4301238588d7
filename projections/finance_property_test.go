package projections_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/projections"
)

// The property tests below drive one community's books with random
// commands, decided by the pure domain, and check the finance read model
// against the domain and against a small independent model kept here.
//
// Every command is decided in a domain.Env the way the command service
// builds one; only accepted commands have their events folded into the
// domain state (domain.ApplyTo) and into a projections.MemoryFinance. The
// test's model predicts every refusal, so that a rule the model does not
// know fails the test.
//
// A run keeps one of three sets of fiscal years: 2025 alone or 2025 and
// 2026, on the 2023 chart (财会〔2023〕14号, in force from 2024); or 2023 on
// the 2004 chart and 2024 on the 2023 chart, with the change of chart
// (books.transition) once 2023 is closed.

const (
	propCommunity = "c1"
	matterPassed  = "m-pass"
	matterFailed  = "m-fail"
	// matterCapped approved capAmount: the payments citing it may not
	// exceed that. matterLate was resolved on lateResolved: no payment
	// citing it may be dated before.
	matterCapped            = "m-cap"
	capAmount    domain.Fen = 8_000_00
	matterLate              = "m-late"
	// threshold is DefaultRuleSet's spending threshold: 10,000 yuan.
	threshold domain.Fen = 10_000_00
)

var (
	farFuture    = domain.Date{Year: 9999, Month: time.December, Day: 31}
	lateResolved = domain.Date{Year: 2025, Month: time.July, Day: 1}
	// budgetLines are the lines of every year's budget, in fen.
	budgetLines = map[string]domain.Fen{"a": 20_000_00, "b": 5_000_00}
	// subAccounts are the sub-accounts a run may define: two bank
	// accounts, two households owing money, a kind of operating income
	// and a distribution to households (named so that it goes to its row
	// of 收益及收益分配表). Their parents mean the same in both charts.
	subAccounts = []domain.SubAccount{
		{Code: "10201", Parent: "102", NameZH: "工商银行", NameEN: "ICBC"},
		{Code: "10202", Parent: "102", NameZH: "农商银行", NameEN: "Rural commercial bank"},
		{Code: "11201", Parent: "112", NameZH: "张三", NameEN: "Zhang San"},
		{Code: "11202", Parent: "112", NameZH: "李四", NameEN: "Li Si"},
		{Code: "50101", Parent: "501", NameZH: "租金", NameEN: "Rent"},
		{Code: "32201", Parent: "322", NameZH: "农户分配", NameEN: "Distribution to households"},
	}
)

// scenario is a run's fiscal years, and the year that starts on a new
// chart (0: none).
type scenario struct {
	years      []int
	transition int
}

var scenarios = []scenario{{[]int{2025}, 0}, {[]int{2025, 2026}, 0}, {[]int{2023, 2024}, 2024}}

// mVoucher is a voucher as the test's own model remembers it.
type mVoucher struct {
	id         string
	number     int
	date       domain.Date
	lines      []domain.Line
	budgetLine string
	payment    domain.Fen
	matter     string
	reverses   string
	reversedBy string
}

// mPosting is one line's effect on an account: debit minus credit.
type mPosting struct {
	date    domain.Date
	account string
	net     domain.Fen
}

// books is one run: the domain's state, the read model fed with every
// accepted event, the stored events, and the test's own model.
type books struct {
	tb      failer
	rt      *rapid.T // draws; nil in the example tests
	years   []int
	comm    *domain.Community
	state   *domain.Books
	budgets map[int]*domain.Budget
	matters map[string]*domain.Matter
	fin     *projections.MemoryFinance
	events  []projections.Event

	// transition is the year that starts on a new chart, 0 if none;
	// transitioned is set once the change is recorded.
	transition   int
	transitioned bool
	overdraft    bool
	subs         map[string]domain.SubAccount
	children     map[string][]string
	firstYear    int
	firstMonth   string
	monthLast    map[string]domain.Date
	vouchers     map[string]*mVoucher
	lastNumber   map[string]int
	closedMonths map[string]bool
	closedYears  map[int]bool
	postings     []mPosting
	spent        map[int]map[string]domain.Fen
	matterSpent  map[string]domain.Fen
	closings     map[int]*domain.YearClosed
	monthClosed  map[string]*domain.MonthClosed
	// zero is the lines of each year's voucher 0: its opening balances
	// or change of chart (which may have none).
	zero map[int][]domain.Line
	// closedForms is each closed year's statements as they stood when it
	// closed.
	closedForms map[int]string
	// history lists the accepted commands, for failure messages.
	history []string
	// unbalancedRate is how often (in 100) a voucher's lines are made not to
	// balance; such a voucher must be refused on data.lines.
	unbalancedRate int
}

// failer is what *testing.T and *rapid.T share and the checks use.
type failer interface {
	Helper()
	Fatalf(format string, args ...any)
}

// drawBooks starts a run of random books in one of the scenarios.
func drawBooks(rt *rapid.T, unbalancedRate int) *books {
	sc := rapid.SampledFrom(scenarios).Draw(rt, "scenario")
	b := newBooks(rt, sc.years)
	b.rt, b.unbalancedRate, b.transition = rt, unbalancedRate, sc.transition
	if rapid.IntRange(0, 4).Draw(rt, "overdraft") == 4 {
		rs := domain.DefaultRuleSet()
		rs.BankOverdraft = true
		b.comm.Apply(&domain.RuleSetAdopted{RuleSet: rs})
		b.overdraft = true
	}
	if rapid.IntRange(0, 3).Draw(rt, "subAccounts") < 3 {
		for _, sub := range subAccounts {
			b.defineAccount(sub)
		}
	}
	// Books on two charts open with balances, so that the first year is
	// the first the books hold; others mostly do.
	if sc.transition != 0 || rapid.IntRange(0, 4).Draw(rt, "opening") < 4 {
		b.openBalances()
	}
	return b
}

// newBooks starts books for the fiscal years given, each with an adopted
// budget (lines a and b) approved by the passed matter.
func newBooks(tb failer, years []int) *books {
	comm := &domain.Community{ID: propCommunity}
	comm.Apply(&domain.CommunityRegistered{Name: "测试社区", Kind: "社区", Town: "示例镇", County: "示例县"})
	b := &books{
		tb:    tb,
		years: years,
		comm:  comm,
		matters: map[string]*domain.Matter{
			matterPassed: {ID: matterPassed, Stage: domain.StageResolved, Resolution: &domain.Decision{Quorate: true, Passed: true}},
			matterFailed: {ID: matterFailed, Stage: domain.StageResolved, Resolution: &domain.Decision{Quorate: true, Passed: false}},
			matterCapped: {ID: matterCapped, Stage: domain.StageResolved, Amount: capAmount,
				Resolution: &domain.Decision{Quorate: true, Passed: true}},
			matterLate: {ID: matterLate, Stage: domain.StageResolved, Dates: domain.StageDatesOf(map[domain.Stage]domain.Date{domain.StageResolved: lateResolved}),
				Resolution: &domain.Decision{Quorate: true, Passed: true}},
		},
		budgets:      map[int]*domain.Budget{},
		fin:          projections.NewMemoryFinance(),
		subs:         map[string]domain.SubAccount{},
		children:     map[string][]string{},
		monthLast:    map[string]domain.Date{},
		vouchers:     map[string]*mVoucher{},
		lastNumber:   map[string]int{},
		closedMonths: map[string]bool{},
		closedYears:  map[int]bool{},
		spent:        map[int]map[string]domain.Fen{},
		matterSpent:  map[string]domain.Fen{},
		closings:     map[int]*domain.YearClosed{},
		monthClosed:  map[string]*domain.MonthClosed{},
		zero:         map[int][]domain.Line{},
		closedForms:  map[int]string{},
	}
	for _, y := range b.years {
		var lines []map[string]string
		for _, id := range slices.Sorted(maps.Keys(budgetLines)) {
			lines = append(lines, map[string]string{"line": id, "name": "预算行 " + id, "source": "town", "amount": budgetLines[id].String()})
		}
		b.do(domain.CmdAdoptBudget, fmt.Sprint(y), date(y, 1, 2), map[string]any{"resolution": matterPassed, "lines": lines}, "")
	}
	return b
}

func (b *books) defineAccount(sub domain.SubAccount) {
	b.tb.Helper()
	b.do(domain.CmdDefineAccount, domain.BooksID, date(b.years[0], 1, 1),
		map[string]string{"code": sub.Code, "parent": sub.Parent, "name_zh": sub.NameZH, "name_en": sub.NameEN}, "")
}

// openBalances records the opening balances of the first year: cash,
// bank, fixed assets less depreciation, capital and the public fund.
func (b *books) openBalances() {
	b.tb.Helper()
	bank := "102"
	if b.subs["10201"].Code != "" {
		bank = "10201"
	}
	y := b.years[0]
	b.do(domain.CmdOpenBalances, domain.BooksID, date(y, 1, 1), map[string]any{"year": y, "source": fmt.Sprintf("%d年度资产负债表", y-1),
		"preparer": "赵敏", "lines": voucherLines(
			[3]string{"101", "5000.00", ""}, [3]string{bank, "80000.00", ""}, [3]string{"151", "50000.00", ""},
			[3]string{"152", "", "5000.00"}, [3]string{"301", "", "100000.00"}, [3]string{"311", "", "30000.00"})}, "")
}

func date(y, m, d int) domain.Date { return domain.Date{Year: y, Month: time.Month(m), Day: d} }

func monthEnd(y, m int) domain.Date {
	t := time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC)
	return date(t.Year(), int(t.Month()), t.Day())
}

// decide decodes and decides one command as the command service would.
func (b *books) decide(typ, aggID string, d domain.Date, data any) ([]domain.Event, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		b.tb.Fatalf("marshal %s: %v", typ, err)
	}
	cmd, err := domain.DecodeCommand(typ, raw)
	if err != nil {
		return nil, err
	}
	env := domain.Env{
		Today: farFuture, Date: d, CommunityID: propCommunity, Community: b.comm, AggregateID: aggID,
		LookupMatter: func(id string) *domain.Matter { return b.matters[id] },
		LookupBudget: func(year int) *domain.Budget { return b.budgets[year] },
	}
	switch domain.AggregateType(typ) {
	case domain.AggregateBooks:
		env.Books = b.state
	case domain.AggregateBudget:
		var y int
		fmt.Sscan(aggID, &y)
		env.Budget = b.budgets[y]
	}
	return cmd.Decide(env)
}

// outcome reduces a decision's error to what the test predicts: "" when
// accepted, a rule code, "not_found", or "validation:field".
func outcome(err error) string {
	var (
		re *domain.RuleError
		nf *domain.NotFoundError
		ve *domain.ValidationError
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &re):
		return re.Code
	case errors.As(err, &nf):
		return "not_found"
	case errors.As(err, &ve):
		return "validation:" + ve.Fields[0].Field
	}
	return fmt.Sprintf("other %T: %v", err, err)
}

// do decides a command, checks the outcome is the predicted one, and folds
// the events of an accepted command into every model. It returns the
// events, nil when refused.
func (b *books) do(typ, aggID string, d domain.Date, data any, want string) []domain.Event {
	b.tb.Helper()
	evs, err := b.decide(typ, aggID, d, data)
	if got := outcome(err); got != want {
		raw, _ := json.Marshal(data)
		b.tb.Fatalf("%s %s on %s %s: outcome %q (%v), want %q; accepted before:\n%s", typ, aggID, d, raw, got, err, want, strings.Join(b.history, "\n"))
	}
	if err != nil {
		var re *domain.RuleError
		if errors.As(err, &re) && (re.Field == "" || re.Reason == "" || re.ReasonZH == "") {
			b.tb.Fatalf("%s: rule error %q lacks a field or a reason in both languages: %+v", typ, re.Code, re)
		}
		return nil
	}
	b.apply(typ, aggID, d, evs)
	return evs
}

// try decides a command whatever its outcome and folds the events in when
// it is accepted.
func (b *books) try(typ, aggID string, d domain.Date, data any) error {
	b.tb.Helper()
	evs, err := b.decide(typ, aggID, d, data)
	if err == nil {
		b.apply(typ, aggID, d, evs)
	}
	return err
}

// apply folds the events of an accepted command into the domain state, the
// test model and the read model, and stores them.
func (b *books) apply(typ, aggID string, d domain.Date, evs []domain.Event) {
	b.tb.Helper()
	for _, ev := range evs {
		b.history = append(b.history, fmt.Sprintf("%s %s %s", d, ev.EventType(), mustJSON(b.tb, ev)))
	}
	for _, ev := range evs {
		checkEventBalanced(b.tb, ev)
		aggType := domain.AggregateType(typ)
		st := domain.ApplyTo(b.stateOf(aggType, aggID), aggType, aggID, ev, d)
		switch aggType {
		case domain.AggregateBooks:
			b.state = st.(*domain.Books)
		case domain.AggregateBudget:
			b.budgets[d.Year] = st.(*domain.Budget)
		}
		b.model(ev, d)
		raw, err := json.Marshal(ev)
		if err != nil {
			b.tb.Fatalf("marshal %s: %v", ev.EventType(), err)
		}
		pe := projections.Event{Seq: uint64(len(b.events) + 1), Type: ev.EventType(), Schema: domain.SchemaVersion,
			Community: propCommunity, AggregateType: aggType, AggregateID: aggID, EffectiveDate: d.String(), Data: raw}
		b.events = append(b.events, pe)
		if err := b.fin.Apply(context.Background(), []projections.Event{pe}); err != nil {
			b.tb.Fatalf("Apply(%s): %v", ev.EventType(), err)
		}
		if yc, ok := ev.(*domain.YearClosed); ok {
			b.closedForms[yc.Year] = b.yearForms(yc.Year)
		}
	}
}

func (b *books) stateOf(aggType, aggID string) domain.State {
	switch aggType {
	case domain.AggregateBooks:
		if b.state == nil {
			return nil
		}
		return b.state
	case domain.AggregateBudget:
		var y int
		fmt.Sscan(aggID, &y)
		if b.budgets[y] == nil {
			return nil
		}
		return b.budgets[y]
	}
	return nil
}

// checkEventBalanced fails unless every voucher-like event has debits equal
// to credits, and a month's closing totals agree with themselves.
func checkEventBalanced(tb failer, ev domain.Event) {
	tb.Helper()
	var lines []domain.Line
	switch e := ev.(type) {
	case *domain.VoucherPosted:
		lines = e.Lines
	case *domain.VoucherReversed:
		lines = e.Lines
	case *domain.CorrectionPosted:
		lines = e.Lines
	case *domain.YearClosed:
		lines = e.Lines
	case *domain.BalancesOpened:
		lines = e.Lines
	case *domain.ChartTransitioned:
		lines = e.Lines
	case *domain.MonthClosed:
		if e.Debits != e.Credits || e.DebitBalance != e.CreditBalance {
			tb.Fatalf("MonthClosed %s: debits %s credits %s, debit balance %s credit balance %s", e.Month, e.Debits, e.Credits, e.DebitBalance, e.CreditBalance)
		}
		return
	default:
		return
	}
	var dr, cr domain.Fen
	for _, l := range lines {
		dr += l.Debit
		cr += l.Credit
	}
	if dr != cr {
		raw, _ := json.Marshal(ev)
		tb.Fatalf("%s is unbalanced: debits %s, credits %s: %s", ev.EventType(), dr, cr, raw)
	}
}

// post records postings in the model, as domain.Books does: the first
// year and month the books hold move with every posting, even a year-end
// close without lines.
func (b *books) post(at domain.Date, lines []domain.Line) {
	if b.firstYear == 0 || at.Year < b.firstYear {
		b.firstYear = at.Year
	}
	if m := domain.Month(at); b.firstMonth == "" || m < b.firstMonth {
		b.firstMonth = m
	}
	for _, l := range lines {
		b.postings = append(b.postings, mPosting{at, l.Account, l.Debit - l.Credit})
	}
}

// model folds an accepted event into the test's own model of the books.
func (b *books) model(ev domain.Event, d domain.Date) {
	record := func(v domain.VoucherData, reverses string) *mVoucher {
		id := domain.VoucherID(d, v.Number)
		mv := &mVoucher{id: id, number: v.Number, date: d, lines: v.Lines, budgetLine: v.BudgetLine,
			payment: b.payment(d.Year, v.Lines), matter: v.Matter, reverses: reverses}
		b.vouchers[id] = mv
		m := domain.Month(d)
		if v.Number >= b.lastNumber[m] {
			b.monthLast[m] = d
		}
		b.lastNumber[m] = max(b.lastNumber[m], v.Number)
		b.post(d, v.Lines)
		return mv
	}
	switch e := ev.(type) {
	case *domain.AccountDefined:
		b.subs[e.Code] = e.SubAccount
		b.children[e.Parent] = append(b.children[e.Parent], e.Code)
		slices.Sort(b.children[e.Parent])
	case *domain.BalancesOpened:
		b.post(date(e.Year, 1, 1), e.Lines)
		b.zero[e.Year] = e.Lines
	case *domain.ChartTransitioned:
		b.post(date(e.Year, 1, 1), e.Lines)
		b.zero[e.Year] = append([]domain.Line{}, e.Lines...)
		b.transitioned = true
	case *domain.VoucherPosted:
		mv := record(e.VoucherData, "")
		b.addSpent(d.Year, mv.budgetLine, mv.payment)
		b.matterSpent[mv.matter] += mv.payment
	case *domain.CorrectionPosted:
		mv := record(e.VoucherData, "")
		b.addSpent(d.Year, mv.budgetLine, mv.payment)
		b.matterSpent[mv.matter] += mv.payment
	case *domain.VoucherReversed:
		mv := record(e.VoucherData, e.Reverses)
		orig := b.vouchers[e.Reverses]
		orig.reversedBy = mv.id
		b.addSpent(orig.date.Year, orig.budgetLine, -orig.payment)
		b.matterSpent[orig.matter] -= orig.payment
	case *domain.MonthClosed:
		b.closedMonths[e.Month] = true
		b.monthClosed[e.Month] = e
	case *domain.YearClosed:
		b.post(date(e.Year, 12, 31), e.Lines)
		b.closedYears[e.Year] = true
		b.closings[e.Year] = e
		for m := 1; m <= 12; m++ {
			b.closedMonths[fmt.Sprintf("%04d-%02d", e.Year, m)] = true
		}
	}
}

func (b *books) addSpent(year int, line string, amt domain.Fen) {
	if line == "" {
		return
	}
	if b.spent[year] == nil {
		b.spent[year] = map[string]domain.Fen{}
	}
	b.spent[year][line] += amt
}

// chart is the chart of a year as the domain has it: the law's, except
// for a year that awaits its change of chart, and the years after it,
// which are still on the chart of the year before.
func (b *books) chart(year int) *domain.Chart {
	if b.transition != 0 && year >= b.transition && !b.transitioned && b.firstYear != 0 && b.firstYear < b.transition {
		return domain.ChartInForce(b.transition - 1)
	}
	return domain.ChartInForce(year)
}

// accountOf is domain.Books.AccountOf in the model.
func (b *books) accountOf(year int, code string) (domain.Account, bool) {
	if a, ok := b.chart(year).Account(code); ok {
		return a, true
	}
	sub, ok := b.subs[code]
	if !ok {
		return domain.Account{}, false
	}
	root, ok := b.accountOf(year, sub.Parent)
	root.Code, root.NameZH = sub.Code, sub.NameZH
	return root, ok
}

// side is the normal side of an account in a year, or in the latest
// earlier year that has it.
func (b *books) side(code string, year int) string {
	for y := year; y >= b.firstYear && y > 0; y-- {
		if a, ok := b.accountOf(y, code); ok {
			return a.Side
		}
	}
	if a, ok := domain.DefaultChart().Account(code); ok {
		return a.Side
	}
	return domain.SideDebit
}

func (b *books) rootOf(code string) string {
	for b.subs[code].Code != "" {
		code = b.subs[code].Parent
	}
	return code
}

func (b *books) descendants(code string) []string {
	out := []string{code}
	for _, c := range b.children[code] {
		out = append(out, b.descendants(c)...)
	}
	return out
}

// leaves returns the accounts of a year that take postings.
func (b *books) leaves(year int) []string {
	var out []string
	for _, a := range b.chart(year).Accounts {
		if a.Closed {
			continue
		}
		for _, c := range b.descendants(a.Code) {
			if len(b.children[c]) == 0 {
				out = append(out, c)
			}
		}
	}
	return out
}

// raw is debit minus credit of an account and its sub-accounts at the end
// of d.
func (b *books) raw(account string, d domain.Date) domain.Fen {
	under := map[string]bool{}
	for _, c := range b.descendants(account) {
		under[c] = true
	}
	var sum domain.Fen
	for _, p := range b.postings {
		if under[p.account] && !p.date.After(d) {
			sum += p.net
		}
	}
	return sum
}

// balance is the model's balance of an account at the end of d, on its
// normal side, as domain.Books.Balance gives it.
func (b *books) balance(account string, d domain.Date) domain.Fen {
	if b.side(account, d.Year) == domain.SideCredit {
		return -b.raw(account, d)
	}
	return b.raw(account, d)
}

// payment is what lines pay out: credits to cash and bank less debits to
// them, never below zero (a red-ink reversal: never above).
func (b *books) payment(year int, lines []domain.Line) domain.Fen {
	// Credits to cash and bank, no more than the debits to other accounts.
	var cash, other domain.Fen
	neg := false
	for _, l := range lines {
		neg = neg || l.Debit < 0 || l.Credit < 0
		if r := b.rootOf(l.Account); r == domain.AccountCash || r == domain.AccountBank {
			cash += l.Credit
		} else {
			other += l.Debit
		}
	}
	if neg {
		return min(max(cash, other), 0)
	}
	return max(min(cash, other), 0)
}

func (b *books) periodClosed(d domain.Date) bool {
	// A date in or before the latest closed month or year is closed.
	for m := range b.closedMonths {
		if domain.Month(d) <= m {
			return true
		}
	}
	for y := range b.closedYears {
		if d.Year <= y {
			return true
		}
	}
	return false
}

// awaitsTransition reports whether year is on a new chart the books have
// not moved to yet.
func (b *books) awaitsTransition(year int) bool {
	return year == b.transition && !b.transitioned
}

// drawDate draws a day of year y, usually in a month still open and on or
// after the month's latest-numbered voucher.
func (b *books) drawDate(label string, y int) domain.Date {
	var open []int
	for m := 1; m <= 12; m++ {
		if !b.periodClosed(date(y, m, 1)) {
			open = append(open, m)
		}
	}
	var m int
	if len(open) > 0 && rapid.IntRange(0, 9).Draw(b.rt, label+"AnyMonth") < 9 {
		m = rapid.SampledFrom(open).Draw(b.rt, label+"Month")
	} else {
		m = rapid.IntRange(1, 12).Draw(b.rt, label+"Month")
	}
	first := 1
	if last := b.monthLast[fmt.Sprintf("%04d-%02d", y, m)]; !last.IsZero() && rapid.IntRange(0, 4).Draw(b.rt, label+"InOrder") < 4 {
		first = last.Day
	}
	return date(y, m, rapid.IntRange(first, monthEnd(y, m).Day).Draw(b.rt, label+"Day"))
}

// drawNumber is the next voucher number of d's month, or now and then a
// wrong one.
func (b *books) drawNumber(d domain.Date) (n int, ok bool) {
	n = b.lastNumber[domain.Month(d)] + 1
	switch rapid.IntRange(0, 19).Draw(b.rt, "numberSkew") {
	case 19:
		return n + 1, false
	case 18:
		if n > 1 {
			return n - 1, false
		}
	}
	return n, true
}

// drawLines draws 2 to 5 lines over the accounts of the year that take
// postings, with positive amounts whose debits equal their credits.
func (b *books) drawLines(year int) (in []map[string]string, lines []domain.Line, balanced bool) {
	n := rapid.IntRange(2, 5).Draw(b.rt, "lines")
	debits := rapid.IntRange(1, n-1).Draw(b.rt, "debitLines")
	// Amounts are mostly small; now and then large enough to pass the
	// spending threshold.
	maxAmt := int64(300_000)
	if rapid.IntRange(0, 4).Draw(b.rt, "big") == 4 {
		maxAmt = 1_500_000
	}
	var total domain.Fen
	amounts := make([]domain.Fen, n)
	for i := range debits {
		amounts[i] = domain.Fen(rapid.Int64Range(1, maxAmt).Draw(b.rt, "debit"))
		total += amounts[i]
	}
	credits := n - debits
	if total < domain.Fen(credits) {
		amounts[0] += domain.Fen(credits) - total
		total = domain.Fen(credits)
	}
	left := total
	for i := debits; i < n-1; i++ {
		room := left - domain.Fen(n-1-i) // leave at least 1 fen for each later credit
		amounts[i] = domain.Fen(rapid.Int64Range(1, int64(room)).Draw(b.rt, "credit"))
		left -= amounts[i]
	}
	amounts[n-1] = left
	balanced = true
	if rapid.IntRange(0, 99).Draw(b.rt, "unbalanced") >= 100-b.unbalancedRate {
		i := rapid.IntRange(0, n-1).Draw(b.rt, "skewLine")
		amounts[i] += domain.Fen(rapid.Int64Range(1, 1000).Draw(b.rt, "skew"))
		balanced = false
	}
	// Cash and bank come up often: they carry most of the rules.
	codes := b.leaves(year)
	var cash []string
	for _, c := range codes {
		if r := b.rootOf(c); r == domain.AccountCash || r == domain.AccountBank {
			cash = append(cash, c)
		}
	}
	// Now and then an account on both sides, which the domain refuses.
	both := rapid.IntRange(0, 9).Draw(b.rt, "bothSides") == 9
	side := map[string]bool{} // account -> debited
	for i := range n {
		var acct string
		for try := 0; try < 5; try++ {
			acct = rapid.SampledFrom(codes).Draw(b.rt, "account")
			if rapid.IntRange(0, 2).Draw(b.rt, "cashLine") == 2 {
				acct = rapid.SampledFrom(cash).Draw(b.rt, "cashAccount")
			}
			if debited, used := side[acct]; both || !used || debited == (i < debits) {
				break
			}
		}
		if _, used := side[acct]; !used {
			side[acct] = i < debits
		}
		l := domain.Line{Account: acct}
		m := map[string]string{"account": acct}
		if i < debits {
			l.Debit, m["debit"] = amounts[i], amounts[i].String()
		} else {
			l.Credit, m["credit"] = amounts[i], amounts[i].String()
		}
		in, lines = append(in, m), append(lines, l)
	}
	return in, lines, balanced
}

// cashRule predicts the domain's cash rule: no voucher takes 库存现金 (or
// one of its sub-accounts, or the sum of them) below zero at the end of
// any day from its date on, nor a bank account unless the rule set allows
// an overdraft. It returns "" or the refusal.
func (b *books) cashRule(d domain.Date, lines []domain.Line) string {
	checked := map[string]bool{}
	for _, l := range lines {
		root := b.rootOf(l.Account)
		if root != domain.AccountCash && root != domain.AccountBank {
			continue
		}
		for code := l.Account; code != "" && !checked[code]; code = b.subs[code].Parent {
			checked[code] = true
			if root == domain.AccountBank && b.overdraft {
				continue
			}
			under := map[string]bool{}
			for _, c := range b.descendants(code) {
				under[c] = true
			}
			var delta domain.Fen
			for _, x := range lines {
				if under[x.Account] {
					delta += x.Debit - x.Credit
				}
			}
			if delta >= 0 {
				continue
			}
			days := []domain.Date{d}
			for _, p := range b.postings {
				if under[p.account] && !p.date.Before(d) {
					days = append(days, p.date)
				}
			}
			for _, day := range days {
				if b.raw(code, day)+delta < 0 {
					if root == domain.AccountCash {
						return "cash_negative"
					}
					return "bank_overdrawn"
				}
			}
		}
	}
	return ""
}

// voucherRule predicts checkVoucher's verdict on a well-formed voucher.
func (b *books) voucherRule(d domain.Date, numberOK bool, lines []domain.Line, matter, budgetLine string) string {
	pay := b.payment(d.Year, lines)
	debited, credited := map[string]bool{}, map[string]bool{}
	both := false
	for _, l := range lines {
		both = both || (l.Debit != 0 && credited[l.Account]) || (l.Credit != 0 && debited[l.Account])
		debited[l.Account] = debited[l.Account] || l.Debit != 0
		credited[l.Account] = credited[l.Account] || l.Credit != 0
	}
	last := b.monthLast[domain.Month(d)]
	switch {
	case b.periodClosed(d):
		return "period_closed"
	case !numberOK:
		return "voucher_number"
	case !last.IsZero() && d.Before(last):
		return "voucher_date_order"
	case b.awaitsTransition(d.Year) && b.firstYear != 0 && b.firstYear < d.Year:
		return "transition_required"
	case b.firstYear != 0 && d.Year < b.firstYear:
		return "before_books"
	case both:
		return "same_account_both_sides"
	}
	if r := b.cashRule(d, lines); r != "" {
		return r
	}
	switch {
	case matter == matterFailed:
		return "resolution_not_passed"
	case matter == matterLate && d.Before(lateResolved):
		return "resolution_after_payment"
	case matter == matterCapped && b.matterSpent[matter]+pay > capAmount:
		return "over_resolution_amount"
	case matter == "" && pay > threshold:
		return "resolution_required"
	case budgetLine == "":
		return ""
	case budgetLines[budgetLine] == 0 || b.budgets[d.Year] == nil:
		return "unknown_budget_line"
	case b.spent[d.Year][budgetLine]+pay > budgetLines[budgetLine]:
		return "over_budget"
	}
	return ""
}

func (b *books) voucherData(number int, lines []map[string]string, matter, budgetLine string) map[string]any {
	return map[string]any{"number": number, "summary": "随机凭证", "lines": lines, "preparer": "赵敏",
		"matter": matter, "budget_line": budgetLine}
}

func (b *books) drawRefs() (matter, budgetLine string) {
	matter = rapid.SampledFrom([]string{"", "", "", "", "", "", matterPassed, matterPassed, matterFailed, matterCapped, matterLate}).Draw(b.rt, "matter")
	budgetLine = rapid.SampledFrom([]string{"", "", "", "", "a", "a", "b", "zz"}).Draw(b.rt, "budgetLine")
	return matter, budgetLine
}

// drawYear draws a year of the run, mostly one still open to vouchers.
func (b *books) drawYear() int {
	var open []int
	for _, y := range b.years {
		if !b.closedYears[y] && !b.awaitsTransition(y) {
			open = append(open, y)
		}
	}
	if len(open) > 0 && rapid.IntRange(0, 4).Draw(b.rt, "openYear") < 4 {
		return rapid.SampledFrom(open).Draw(b.rt, "year")
	}
	return rapid.SampledFrom(b.years).Draw(b.rt, "year")
}

func (b *books) postVoucher() {
	d := b.drawDate("voucher", b.drawYear())
	number, numberOK := b.drawNumber(d)
	in, lines, balanced := b.drawLines(d.Year)
	matter, budgetLine := b.drawRefs()
	want := b.voucherRule(d, numberOK, lines, matter, budgetLine)
	if !balanced {
		want = "validation:data.lines"
	}
	b.do(domain.CmdPostVoucher, domain.BooksID, d, b.voucherData(number, in, matter, budgetLine), want)
}

// numbered returns the ids of the model's vouchers that carry a number:
// the ones a clerk may reverse or correct (voucher 0, a year's opening
// balances or change of chart, is never reversed).
func (b *books) numbered() []string {
	return slices.Sorted(maps.Keys(b.vouchers))
}

func (b *books) postCorrection() {
	ids := b.numbered()
	if len(ids) == 0 {
		return
	}
	// Mostly a voucher of the first year corrected in the last; now and
	// then any voucher on any date.
	last := b.years[len(b.years)-1]
	year := rapid.SampledFrom(b.years).Draw(b.rt, "year")
	if earlier := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return b.vouchers[id].date.Year == last }); len(earlier) > 0 && rapid.IntRange(0, 4).Draw(b.rt, "anyCorrection") < 4 {
		ids, year = earlier, last
	}
	orig := b.vouchers[rapid.SampledFrom(ids).Draw(b.rt, "corrects")]
	d := b.drawDate("correction", year)
	number, numberOK := b.drawNumber(d)
	in, lines, balanced := b.drawLines(d.Year)
	matter, budgetLine := b.drawRefs()
	want := b.voucherRule(d, numberOK, lines, matter, budgetLine)
	if orig.date.Year >= d.Year {
		want = "correction_same_year"
	}
	if !balanced {
		want = "validation:data.lines"
	}
	data := b.voucherData(number, in, matter, budgetLine)
	data["corrects"], data["reason"] = orig.id, "以前年度记账错误，蓝字更正"
	b.do(domain.CmdPostCorrection, domain.BooksID, d, data, want)
}

func (b *books) reverseVoucher() {
	ids := b.numbered()
	id := "2025-01-999"
	if len(ids) > 0 && rapid.IntRange(0, 19).Draw(b.rt, "unknownVoucher") < 19 {
		id = rapid.SampledFrom(ids).Draw(b.rt, "reverses")
	}
	zero := false
	for _, y := range slices.Sorted(maps.Keys(b.zero)) {
		if rapid.IntRange(0, 19).Draw(b.rt, "reverseZero") == 19 {
			id, zero = fmt.Sprintf("%04d-01-000", y), true
		}
	}
	orig := b.vouchers[id]
	var d domain.Date
	if orig != nil && rapid.IntRange(0, 9).Draw(b.rt, "reversalAnyDate") < 9 {
		// A day from the original's to the end of its year.
		start := time.Date(orig.date.Year, orig.date.Month, orig.date.Day, 0, 0, 0, 0, time.UTC)
		last := time.Date(orig.date.Year, 12, 31, 0, 0, 0, 0, time.UTC)
		days := int(last.Sub(start).Hours() / 24)
		t := start.AddDate(0, 0, rapid.IntRange(0, days).Draw(b.rt, "reversalDay"))
		d = date(t.Year(), int(t.Month()), t.Day())
	} else {
		d = b.drawDate("reversal", rapid.SampledFrom(b.years).Draw(b.rt, "year"))
	}
	number, numberOK := b.drawNumber(d)
	last := b.monthLast[domain.Month(d)]
	var want string
	switch {
	case zero:
		want = "reversal_of_opening"
	case orig == nil:
		want = "not_found"
	case orig.reverses != "":
		want = "reversal_of_reversal"
	case orig.reversedBy != "":
		want = "already_reversed"
	case orig.date.Year != d.Year:
		want = "reversal_other_year"
	case d.Before(orig.date):
		want = "date_before_original"
	case b.periodClosed(d):
		want = "period_closed"
	case !numberOK:
		want = "voucher_number"
	case !last.IsZero() && d.Before(last):
		want = "voucher_date_order"
	}
	if want == "" {
		// Reversing a receipt takes the money out again.
		mirror := make([]domain.Line, len(orig.lines))
		for i, l := range orig.lines {
			mirror[i] = domain.Line{Account: l.Account, Debit: -l.Debit, Credit: -l.Credit}
		}
		want = b.cashRule(d, mirror)
	}
	b.do(domain.CmdReverseVoucher, domain.BooksID, d, map[string]any{"voucher": id, "number": number,
		"reason": "金额记错", "preparer": "赵敏"}, want)
}

// earlierMonthOpen is the month before m of its year, from the books'
// first month, that is not closed yet, or "".
func (b *books) earlierMonthOpen(y, m int) string {
	for mm := 1; mm < m; mm++ {
		prior := fmt.Sprintf("%04d-%02d", y, mm)
		if b.firstMonth != "" && prior >= b.firstMonth && !b.closedMonths[prior] {
			return prior
		}
	}
	return ""
}

func (b *books) closeMonth() {
	y := rapid.SampledFrom(b.years).Draw(b.rt, "year")
	if b.awaitsTransition(y) && b.firstYear != 0 && b.firstYear < y {
		// A month of a year awaiting its change of chart stays open: the
		// change posts into its first day.
		m := rapid.IntRange(1, 12).Draw(b.rt, "closeMonth")
		b.do(domain.CmdCloseMonth, domain.BooksID, monthEnd(y, m), map[string]string{"month": fmt.Sprintf("%04d-%02d", y, m)}, "transition_required")
		return
	}
	if b.awaitsTransition(y) {
		return // a year the books have not reached: nothing to learn
	}
	m := rapid.IntRange(1, 12).Draw(b.rt, "closeMonth")
	if open := b.earlierMonthOpen(y, m); open != "" && rapid.IntRange(0, 3).Draw(b.rt, "closeInOrder") < 3 {
		fmt.Sscanf(open, "%d-%d", &y, &m)
	}
	t := time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rapid.IntRange(-10, 60).Draw(b.rt, "closeOffset"))
	d := date(t.Year(), int(t.Month()), t.Day())
	month := fmt.Sprintf("%04d-%02d", y, m)
	var want string
	switch {
	case b.closedMonths[month] || b.closedYears[y]:
		want = "period_closed"
	case d.Before(monthEnd(y, m)):
		want = "month_not_over"
	case b.earlierMonthOpen(y, m) != "":
		want = "earlier_month_open"
	}
	if evs := b.do(domain.CmdCloseMonth, domain.BooksID, d, map[string]string{"month": month}, want); evs != nil {
		b.checkMonthClosed(evs[0].(*domain.MonthClosed))
	}
}

// checkMonthClosed compares a month's closing totals, as the domain
// recorded them, with the read model's trial balance of the month. The
// domain counts a year's voucher 0 in January's turnover; the trial
// balance counts it in the opening balances.
func (b *books) checkMonthClosed(mc *domain.MonthClosed) {
	b.tb.Helper()
	tb, err := b.fin.TrialBalance(context.Background(), propCommunity, mc.Month)
	if err != nil {
		b.tb.Fatalf("TrialBalance(%s): %v", mc.Month, err)
	}
	got := [4]domain.Fen{tb.Total.Debit, tb.Total.Credit, tb.Total.ClosingDebit, tb.Total.ClosingCredit}
	var y, m int
	fmt.Sscanf(mc.Month, "%d-%d", &y, &m)
	if m == 1 {
		for _, l := range b.zero[y] {
			got[0] += l.Debit
			got[1] += l.Credit
		}
	}
	want := [4]domain.Fen{mc.Debits, mc.Credits, mc.DebitBalance, mc.CreditBalance}
	if got != want || !tb.Closed {
		b.tb.Fatalf("month %s closed with debits, credits, debit and credit balances %v; its trial balance shows %v (closed %v); accepted:\n%s",
			mc.Month, want, got, tb.Closed, strings.Join(b.history, "\n"))
	}
}

// carries reports whether closing year y has lines to post: an income or
// expense account of the year with a balance, or 本年收益 not at zero.
func (b *books) carries(y int) bool {
	end := date(y, 12, 31)
	var netIncome domain.Fen
	seen := map[string]bool{}
	for _, p := range b.postings {
		if seen[p.account] {
			continue
		}
		seen[p.account] = true
		a, ok := b.accountOf(y, p.account)
		if !ok || p.account == domain.AccountYearIncome || (a.Class != domain.ClassIncome && a.Class != domain.ClassExpense) {
			continue
		}
		var own domain.Fen
		for _, q := range b.postings {
			if q.account == p.account && !q.date.After(end) {
				own += q.net
			}
		}
		if own != 0 {
			return true
		}
		netIncome -= own
	}
	return b.balance(domain.AccountYearIncome, end)+netIncome != 0
}

// closeYear closes a year's months in order up to its last with
// vouchers, then the year.
func (b *books) closeYear() { b.closeYearOf(rapid.SampledFrom(b.years).Draw(b.rt, "closeYear")) }

func (b *books) closeYearOf(y int) {
	if b.awaitsTransition(y) {
		return // as in closeMonth
	}
	if !b.closedYears[y] {
		lastMonth := 0
		for _, v := range b.vouchers {
			if v.date.Year == y {
				lastMonth = max(lastMonth, int(v.date.Month))
			}
		}
		if _, ok := b.zero[y]; ok {
			lastMonth = max(lastMonth, 1)
		}
		for m := 1; m <= lastMonth; m++ {
			month := fmt.Sprintf("%04d-%02d", y, m)
			if !b.closedMonths[month] && (b.firstMonth == "" || month >= b.firstMonth) {
				evs := b.do(domain.CmdCloseMonth, domain.BooksID, monthEnd(y, m), map[string]string{"month": month}, "")
				b.checkMonthClosed(evs[0].(*domain.MonthClosed))
			}
		}
	}
	d := date(y, 12, 31)
	switch rapid.IntRange(0, 5).Draw(b.rt, "closeYearDate") {
	case 5:
		d = date(y, 12, 30)
	case 4:
		d = date(y+1, 1, rapid.IntRange(1, 31).Draw(b.rt, "closeYearDay"))
	}
	earlierOpen, laterClosed := false, false
	for yy := b.firstYear; yy > 0 && yy < y; yy++ {
		earlierOpen = earlierOpen || !b.closedYears[yy]
	}
	for yy := range b.closedYears {
		laterClosed = laterClosed || yy > y
	}
	monthsOpen := false
	for _, v := range b.vouchers {
		monthsOpen = monthsOpen || (v.date.Year == y && !b.closedMonths[domain.Month(v.date)])
	}
	if _, ok := b.zero[y]; ok {
		monthsOpen = monthsOpen || !b.closedMonths[fmt.Sprintf("%04d-01", y)]
	}
	// Refused when the carry-forward has lines to post, dated before a
	// month already closed.
	laterMonthClosed := false
	for m := range b.closedMonths {
		laterMonthClosed = laterMonthClosed || m > fmt.Sprintf("%04d-12", y)
	}
	var want string
	switch {
	case b.closedYears[y]:
		want = "period_closed"
	case d.Before(date(y, 12, 31)):
		want = "year_not_over"
	case earlierOpen:
		want = "earlier_year_open"
	case laterClosed:
		want = "later_year_closed"
	case b.firstYear != 0 && y < b.firstYear:
		want = "before_books"
	case monthsOpen:
		want = "months_open"
	case laterMonthClosed && b.carries(y):
		want = "later_period_closed"
	}
	b.do(domain.CmdCloseYear, domain.BooksID, d, map[string]int{"year": y}, want)
}

// transitionTo records the change of chart at the start of the year on a
// new chart, once the year before is closed.
func (b *books) transitionTo() {
	y := b.transition
	if y == 0 {
		return
	}
	d := date(y, 1, rapid.IntRange(1, 20).Draw(b.rt, "transitionDay"))
	var want string
	switch {
	case !b.closedYears[y-1]:
		want = "transition_year_open"
	case b.transitioned:
		want = "transition_done"
	}
	before := b.postingsCopy()
	if evs := b.do(domain.CmdTransition, domain.BooksID, d, map[string]any{"year": y, "preparer": "赵敏"}, want); evs != nil {
		b.checkTransition(evs[0].(*domain.ChartTransitioned), before)
	}
}

func (b *books) postingsCopy() []mPosting { return slices.Clone(b.postings) }

func (b *books) assertBalance() {
	y := rapid.SampledFrom(b.years).Draw(b.rt, "year")
	var codes []string
	for _, a := range b.chart(y).Accounts {
		codes = append(codes, b.descendants(a.Code)...)
	}
	acct := rapid.SampledFrom(codes).Draw(b.rt, "assertAccount")
	m := rapid.IntRange(1, 12).Draw(b.rt, "assertMonth")
	d := date(y, m, rapid.IntRange(1, monthEnd(y, m).Day).Draw(b.rt, "assertDay"))
	bal, want := b.balance(acct, d), ""
	if rapid.Bool().Draw(b.rt, "assertWrong") {
		bal += domain.Fen(rapid.Int64Range(-5000, 5000).Filter(func(n int64) bool { return n != 0 }).Draw(b.rt, "assertDelta"))
		want = "balance_mismatch"
	}
	b.do(domain.CmdAssertBalance, domain.BooksID, d, map[string]any{"account": acct, "balance": bal.String(),
		"evidence": map[string]string{"kind": "bank_statement", "reference": "对账单"}}, want)
}

// run draws and decides a sequence of books commands.
func (b *books) run(maxSteps int) {
	steps := rapid.IntRange(1, maxSteps).Draw(b.rt, "steps")
	for range steps {
		switch rapid.IntRange(0, 21).Draw(b.rt, "action") {
		case 0, 1, 2, 4, 5, 6, 7, 8, 19:
			b.postVoucher()
		case 3, 16:
			if len(b.years) == 2 {
				b.postCorrection()
			} else {
				b.postVoucher()
			}
		case 9, 10, 11:
			b.reverseVoucher()
		case 12, 13, 14:
			b.closeMonth()
		case 15:
			b.closeYear()
		case 17, 18:
			b.assertBalance()
		case 20, 21:
			if b.transition != 0 {
				if !b.closedYears[b.transition-1] && rapid.Bool().Draw(b.rt, "closeBeforeTransition") {
					b.closeYearOf(b.transition - 1)
				}
				b.transitionTo()
			} else {
				b.postVoucher()
			}
		}
	}
}

// codes returns every account with postings and every parent above one.
func (b *books) codes() []string {
	seen := map[string]bool{}
	for _, p := range b.postings {
		for c := p.account; c != ""; c = b.subs[c].Parent {
			seen[c] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// months returns every month of the run's years and the January after.
func (b *books) months() []string {
	var out []string
	for _, y := range b.years {
		for m := 1; m <= 12; m++ {
			out = append(out, fmt.Sprintf("%04d-%02d", y, m))
		}
	}
	return append(out, fmt.Sprintf("%04d-01", b.years[len(b.years)-1]+1))
}

func endOf(month string) domain.Date {
	var y, m int
	fmt.Sscanf(month, "%d-%d", &y, &m)
	return monthEnd(y, m)
}

// TestFinanceProperties: for random books, every month's trial balance
// balances (opening, turnover and closing) and shows each parent as the
// sum of its sub-accounts; the balance sheet balances at every month end,
// by account and in the official layout (or names the accounts the form
// leaves off); 收益及收益分配表 agrees with the year-end close and with
// the balance sheet; every account's ledger closes at the domain's
// Balance (and the test model's); budget execution shows what the domain
// counts as spent; a closed year's statements never change; and replaying
// the events into a fresh read model, at once or redelivered in
// overlapping batches, gives identical statements. Along the way every
// refusal is the one the test predicts, every event balances, a month's
// closing totals are its trial balance's, and a change of chart moves
// every balance to its mapped account.
func TestFinanceProperties(t *testing.T) {
	seen := map[string]int{}
	defer checkCoverage(t, seen)
	rapid.Check(t, func(rt *rapid.T) {
		b := drawBooks(rt, 3)
		b.run(50)
		for _, e := range b.events {
			seen[e.Type]++
		}
		ctx := context.Background()
		for _, month := range b.months() {
			end := endOf(month)
			tb, err := b.fin.TrialBalance(ctx, propCommunity, month)
			if err != nil {
				rt.Fatalf("TrialBalance(%s): %v", month, err)
			}
			if tot := tb.Total; tot.OpeningDebit != tot.OpeningCredit || tot.Debit != tot.Credit || tot.ClosingDebit != tot.ClosingCredit {
				rt.Fatalf("trial balance %s does not balance: opening %s/%s, turnover %s/%s, closing %s/%s", month,
					tot.OpeningDebit, tot.OpeningCredit, tot.Debit, tot.Credit, tot.ClosingDebit, tot.ClosingCredit)
			}
			checkRollUp(rt, b, tb)
			bs, err := b.fin.BalanceSheet(ctx, propCommunity, month)
			if err != nil {
				rt.Fatalf("BalanceSheet(%s): %v", month, err)
			}
			if bs.TotalAssets != bs.TotalLiabilities+bs.TotalEquity || !bs.Balanced {
				rt.Fatalf("balance sheet %s: assets %s, liabilities %s, equity %s, balanced %v", month,
					bs.TotalAssets, bs.TotalLiabilities, bs.TotalEquity, bs.Balanced)
			}
			checkBalanceSheetForm(rt, b, month)
			for _, code := range b.codes() {
				l := b.ledger(code, month)
				dom := domain.Fen(0)
				if b.state != nil {
					dom = b.state.Balance(code, end)
				}
				if model := b.balance(code, end); l.Closing != dom || dom != model {
					rt.Fatalf("account %s at %s: ledger closing %s, domain Balance %s, test model %s", code, end, l.Closing, dom, model)
				}
			}
		}
		for _, y := range b.years {
			checkIncomeForm(rt, b, y)
			be, err := b.fin.BudgetExecution(ctx, propCommunity, y)
			if err != nil {
				rt.Fatalf("BudgetExecution(%d): %v", y, err)
			}
			for _, l := range be.Lines {
				want := b.spent[y][l.Line]
				if l.Spent != want || (b.state != nil && b.state.Spent[y][l.Line] != want) {
					rt.Fatalf("budget %d line %s: read model spent %s, test model %s", y, l.Line, l.Spent, want)
				}
			}
		}
		for y, was := range b.closedForms {
			if now := b.yearForms(y); now != was {
				i := 0
				for i < len(now) && i < len(was) && now[i] == was[i] {
					i++
				}
				from := max(i-300, 0)
				rt.Fatalf("year %d changed after it was closed, from byte %d:\nthen …%s\nnow  …%s", y, i, was[from:min(i+200, len(was))], now[from:min(i+200, len(now))])
			}
		}
		checkReplay(rt, b)
	})
}

// checkRollUp fails unless every parent's row of a trial balance is its
// own postings plus its sub-accounts' rows, in every column.
func checkRollUp(tb failer, b *books, t projections.TrialBalance) {
	tb.Helper()
	type cols struct{ open, debit, credit, close domain.Fen }
	rows := map[string]cols{}
	for _, r := range t.Rows {
		rows[r.Account] = cols{r.OpeningDebit - r.OpeningCredit, r.Debit, r.Credit, r.ClosingDebit - r.ClosingCredit}
	}
	p, _ := projections.ParseMonth(t.Month)
	from := date(p.Year, p.Month, 1)
	to := endOf(t.Month)
	for code, parent := range rows {
		kids := b.children[code]
		if len(kids) == 0 {
			continue
		}
		// The parent's own postings: the year-end close posts to 收益分配
		// itself.
		var own cols
		for _, pst := range b.postings {
			if pst.account != code {
				continue
			}
			switch {
			case pst.date.Before(from):
				own.open += pst.net
			case !pst.date.After(to) && pst.net > 0:
				own.debit += pst.net
			case !pst.date.After(to):
				own.credit -= pst.net
			}
		}
		sum := cols{own.open, own.debit, own.credit, own.open + own.debit - own.credit}
		for _, k := range kids {
			r := rows[k]
			sum.open += r.open
			sum.debit += r.debit
			sum.credit += r.credit
			sum.close += r.close
		}
		// Debit and credit turnover may be split differently between a
		// parent's own red-ink postings; the nets must agree.
		if sum.open != parent.open || sum.close != parent.close || sum.debit-sum.credit != parent.debit-parent.credit {
			tb.Fatalf("trial balance %s: account %s shows %+v, its own postings and sub-accounts %v add up to %+v:\n%s",
				t.Month, code, parent, kids, sum, mustJSON(tb, t))
		}
	}
}

// formTotals returns the two totals a balance sheet form checks equal
// (资产总计, 负债和所有者权益总计) in a column.
func formTotals(f projections.Form, col string) (left, right domain.Fen) {
	byRow := map[int]projections.FormRow{}
	for _, r := range f.Rows {
		byRow[r.Row] = r
	}
	for _, c := range f.Checks {
		if len(c.Rows) == 2 {
			return byRow[c.Rows[0]].Amounts[col], byRow[c.Rows[1]].Amounts[col]
		}
	}
	return 0, 0
}

func formRow(f projections.Form, label string) projections.FormRow {
	for _, r := range f.Rows {
		if r.LabelZH == label {
			return r
		}
	}
	return projections.FormRow{}
}

// checkBalanceSheetForm fails unless the official balance sheet of a
// month balances in every column, or, where an account with a balance has
// no row on the form, is out by exactly that balance and says so; and its
// 资产总计 is the books' assets.
func checkBalanceSheetForm(tb failer, b *books, month string) {
	tb.Helper()
	f, err := b.fin.BalanceSheetForm(context.Background(), propCommunity, month)
	if err != nil {
		tb.Fatalf("BalanceSheetForm(%s): %v", month, err)
	}
	p, _ := projections.ParseMonth(month)
	ch := domain.Charts()[f.Chart]
	dates := map[string]domain.Date{"opening": dayBefore(date(p.Year, 1, 1)), "closing": endOf(month)}
	for _, col := range f.Columns {
		left, right := formTotals(f, col.Key)
		var off, assets domain.Fen // raw (debit − credit) of what the form leaves off; the books' assets
		for _, u := range f.Unplaced {
			r := u.Amounts[col.Key]
			if b.side(u.Code, p.Year) == domain.SideCredit {
				r = -r
			}
			off += r
			if a, ok := ch.Account(u.Code); ok && (a.Class == domain.ClassAsset || a.Class == domain.ClassCost) {
				assets -= r
			}
		}
		d := dates[col.Key]
		for _, a := range ch.Accounts {
			if a.Class != domain.ClassAsset && a.Class != domain.ClassCost {
				continue
			}
			// 内部往来 (113) is an asset for its sub-accounts with a
			// debit balance, a liability for those with a credit one.
			codes := []string{a.Code}
			if a.Code == "113" {
				codes = b.descendants(a.Code)
			}
			for _, c := range codes {
				n := b.raw(c, d)
				if a.Code == "113" {
					n = own(b, c, d)
					if col.Key == "opening" {
						n += ownZero(b, p.Year, c)
					}
					assets += max(n, 0)
					continue
				}
				if col.Key == "opening" {
					n += zeroNet(b, p.Year, c)
				}
				assets += n
			}
		}
		if left-right != -off || (len(f.Unplaced) == 0) != f.Balanced || left != assets {
			tb.Fatalf("balance sheet form %s, column %s: assets %s, liabilities and equity %s, left off %s (%v), balanced %v; the books' assets are %s:\n%s",
				month, col.Key, left, right, off, f.Unplaced, f.Balanced, assets, mustJSON(tb, f))
		}
	}
}

// own is debit minus credit of an account's own postings (not its
// sub-accounts') at the end of d.
func own(b *books, code string, d domain.Date) domain.Fen {
	var n domain.Fen
	for _, p := range b.postings {
		if p.account == code && !p.date.After(d) {
			n += p.net
		}
	}
	return n
}

// ownZero is what a year's voucher 0 posts to an account itself.
func ownZero(b *books, year int, code string) domain.Fen {
	var n domain.Fen
	for _, l := range b.zero[year] {
		if l.Account == code {
			n += l.Debit - l.Credit
		}
	}
	return n
}

// zeroNet is what a year's voucher 0 posts to an account and its
// sub-accounts (debit minus credit): the opening column counts it.
func zeroNet(b *books, year int, code string) domain.Fen {
	var n domain.Fen
	for _, l := range b.zero[year] {
		for c := l.Account; c != ""; c = b.subs[c].Parent {
			if c == code {
				n += l.Debit - l.Credit
				break
			}
		}
	}
	return n
}

func dayBefore(d domain.Date) domain.Date {
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
	return date(t.Year(), int(t.Month()), t.Day())
}

// checkIncomeForm fails unless a year's 收益及收益分配表 shows as 本年收益
// the net income its close carried forward (or, before the close, the
// year's income less expense), and, when every earlier year is closed,
// its 年末未分配收益 is the balance sheet's 未分配收益 at 31 December.
func checkIncomeForm(tb failer, b *books, y int) {
	tb.Helper()
	f, err := b.fin.IncomeForm(context.Background(), propCommunity, y)
	if err != nil {
		tb.Fatalf("IncomeForm(%d): %v", y, err)
	}
	var result domain.Fen
	for _, r := range f.Rows {
		if r.Kind == "total" && strings.Contains(r.LabelZH, "本年收益") {
			result = r.Amounts["year"]
		}
	}
	var want domain.Fen
	if yc := b.closings[y]; yc != nil {
		want = yc.NetIncome
	} else {
		for _, p := range b.postings {
			a, ok := b.accountOf(y, p.account)
			if ok && p.date.Year == y && (a.Class == domain.ClassIncome || a.Class == domain.ClassExpense) {
				want -= p.net
			}
		}
	}
	if result != want {
		tb.Fatalf("收益及收益分配表 %d: 本年收益 %s, want %s:\n%s", y, result, want, mustJSON(tb, f))
	}
	earlierClosed := true
	for yy := b.firstYear; yy > 0 && yy < y; yy++ {
		earlierClosed = earlierClosed && b.closedYears[yy]
	}
	for _, c := range f.Checks {
		if !c.Holds && earlierClosed {
			tb.Fatalf("收益及收益分配表 %d: check %q (rows %v) does not hold:\n%s", y, c.Note, c.Rows, mustJSON(tb, f))
		}
	}
}

// checkTransition fails unless the change of chart moved every closing
// balance of the old chart to its account in the new (each old balance
// reappears in its mapped account, merged ones added up), kept the
// balances of accounts that mean the same, and left net assets as they
// were: the old year's closing 资产总计 and 负债合计 are the new year's
// opening ones. before is the model's postings before the change.
func (b *books) checkTransition(ev *domain.ChartTransitioned, before []mPosting) {
	b.tb.Helper()
	end := date(ev.Year-1, 12, 31)
	jan1 := date(ev.Year, 1, 1)
	mapping := domain.TransitionBetween(ev.From, ev.To)
	var newCode func(string) string
	newCode = func(code string) string {
		if sub, ok := b.subs[code]; ok {
			return newCode(sub.Parent) + strings.TrimPrefix(code, sub.Parent)
		}
		return mapping.Map[code]
	}
	want := map[string]domain.Fen{}
	for _, p := range before {
		if !p.date.After(end) {
			want[newCode(p.account)] += p.net
		}
	}
	got := map[string]domain.Fen{}
	for _, p := range b.postings {
		if !p.date.After(jan1) {
			got[p.account] += p.net
		}
	}
	for code := range got {
		want[code] += 0
	}
	for code, w := range want {
		if got[code] != w {
			b.tb.Fatalf("change of chart to %s: account %s stands at %s (debit − credit) on %s, the old balances mapped to it add up to %s:\n%s",
				ev.To, code, got[code], jan1, w, mustJSON(b.tb, ev))
		}
	}
	ctx := context.Background()
	old, err := b.fin.BalanceSheetForm(ctx, propCommunity, fmt.Sprintf("%d-12", ev.Year-1))
	if err != nil {
		b.tb.Fatalf("BalanceSheetForm: %v", err)
	}
	nw, err := b.fin.BalanceSheetForm(ctx, propCommunity, fmt.Sprintf("%d-01", ev.Year))
	if err != nil {
		b.tb.Fatalf("BalanceSheetForm: %v", err)
	}
	oa, ol := formTotals(old, "closing")
	na, nl := formTotals(nw, "opening")
	liab := func(f projections.Form, col string) domain.Fen { return formRow(f, "负债合计").Amounts[col] }
	if oa != na || ol != nl || liab(old, "closing") != liab(nw, "opening") || old.Chart == nw.Chart || len(nw.Unplaced) != 0 {
		b.tb.Fatalf("change of chart: %s closes with assets %s, liabilities %s, liabilities and equity %s (%s); %s opens with %s, %s, %s (%s), left off %v",
			old.Period, oa, liab(old, "closing"), ol, old.Chart, nw.Period, na, liab(nw, "opening"), nl, nw.Chart, nw.Unplaced)
	}
	v, err := b.fin.Voucher(ctx, propCommunity, fmt.Sprintf("%d-01-000", ev.Year))
	if err != nil || v.Kind != "transition" || v.Debit != v.Credit || len(v.Moves) != len(ev.Moves) {
		b.tb.Fatalf("voucher of the change of chart: %+v, %v", v, err)
	}
}

// yearForms returns a year's statements (balance sheet at 31 December,
// 收益及收益分配表, the December trial balance) without their stream
// position, for comparing a closed year later.
func (b *books) yearForms(y int) string {
	ctx := context.Background()
	bs, err1 := b.fin.BalanceSheetForm(ctx, propCommunity, fmt.Sprintf("%d-12", y))
	is, err2 := b.fin.IncomeForm(ctx, propCommunity, y)
	tb, err3 := b.fin.TrialBalance(ctx, propCommunity, fmt.Sprintf("%d-12", y))
	if err := errors.Join(err1, err2, err3); err != nil {
		b.tb.Fatalf("statements of %d: %v", y, err)
	}
	bs.AsOfSeq, bs.AsOf, is.AsOfSeq, is.AsOf, tb.AsOfSeq, tb.AsOf = 0, time.Time{}, 0, time.Time{}, 0, time.Time{}
	return mustJSON(b.tb, []any{bs, is, tb})
}

func (b *books) ledger(account, month string) projections.Ledger {
	b.tb.Helper()
	l, err := b.fin.Ledger(context.Background(), propCommunity, account, month)
	if err != nil {
		b.tb.Fatalf("Ledger(%s, %s): %v", account, month, err)
	}
	return l
}

// checkCoverage fails when a full-length run of the properties never
// produced an event of a kind the properties are about: then they would
// hold for want of trying.
func checkCoverage(t *testing.T, seen map[string]int) {
	t.Helper()
	if t.Failed() {
		return
	}
	if f := flag.Lookup("rapid.checks"); f == nil || f.Value.(flag.Getter).Get().(int) < 50 {
		return // too few runs to expect every kind
	}
	for _, typ := range []string{domain.EvBudgetAdopted, domain.EvVoucherPosted, domain.EvVoucherReversed, domain.EvCorrectionPosted,
		domain.EvBalanceAsserted, domain.EvMonthClosed, domain.EvYearClosed, domain.EvAccountDefined, domain.EvBalancesOpened,
		domain.EvChartTransitioned, domain.EvChartAdopted} {
		if seen[typ] == 0 {
			t.Errorf("no run recorded a %s event: %v", typ, seen)
		}
	}
	t.Logf("events recorded over all runs: %v", seen)
}

// checkReplay feeds the stored events to fresh read models, all at once
// and in overlapping batches (as after a redelivery), and compares every
// statement with the read model fed one event at a time.
func checkReplay(rt *rapid.T, b *books) {
	want := snapshot(rt, b.fin, b)
	once := projections.NewMemoryFinance()
	if err := once.Apply(context.Background(), b.events); err != nil {
		rt.Fatalf("replay: %v", err)
	}
	if got := snapshot(rt, once, b); got != want {
		rt.Fatalf("replay at once differs:\n got %s\nwant %s", got, want)
	}
	chunked := projections.NewMemoryFinance()
	for i := 0; i < len(b.events); {
		n := rapid.IntRange(1, 5).Draw(rt, "batch")
		back := rapid.IntRange(0, min(i, 3)).Draw(rt, "redeliver")
		if err := chunked.Apply(context.Background(), b.events[i-back:min(i+n, len(b.events))]); err != nil {
			rt.Fatalf("replay in batches: %v", err)
		}
		i += n
	}
	if got := snapshot(rt, chunked, b); got != want {
		rt.Fatalf("replay in batches differs:\n got %s\nwant %s", got, want)
	}
}

// snapshot renders every statement, day-book and voucher of the run's
// periods as JSON.
func snapshot(rt *rapid.T, f *projections.MemoryFinance, b *books) string {
	ctx := context.Background()
	var out []any
	add := func(v any, err error) {
		if err != nil {
			rt.Fatalf("snapshot: %v", err)
		}
		out = append(out, v)
	}
	for _, month := range b.months() {
		add(f.TrialBalance(ctx, propCommunity, month))
		add(f.BalanceSheet(ctx, propCommunity, month))
		add(f.BalanceSheetForm(ctx, propCommunity, month))
		add(f.Vouchers(ctx, propCommunity, month))
		p, _ := projections.ParseMonth(month)
		add(f.IncomeStatement(ctx, propCommunity, p))
		for _, code := range b.codes() {
			add(f.Ledger(ctx, propCommunity, code, month))
		}
		add(f.CashBook(ctx, propCommunity, domain.AccountCash, p))
		add(f.BankReconciliation(ctx, propCommunity, domain.AccountBank, month))
	}
	for _, y := range b.years {
		add(f.IncomeStatement(ctx, propCommunity, projections.Period{Year: y}))
		add(f.IncomeForm(ctx, propCommunity, y))
		add(f.BudgetExecution(ctx, propCommunity, y))
		add(f.Summary(ctx, propCommunity, y))
		add(f.Accounts(ctx, propCommunity, y))
	}
	for _, id := range slices.Sorted(maps.Keys(b.vouchers)) {
		add(f.Voucher(ctx, propCommunity, id))
	}
	add(f.Years(ctx, propCommunity))
	add(f.Position(ctx))
	return mustJSON(rt, out)
}

func mustJSON(tb failer, v any) string {
	tb.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		tb.Fatalf("marshal: %v", err)
	}
	return string(raw)
}

// TestNoUnbalancedVoucherEvent: whatever lines a voucher is given, an
// accepted command never records a voucher, reversal, correction,
// opening, change of chart or year-end carry-forward whose debits differ
// from its credits, and a voucher whose lines do not balance is refused on
// data.lines. The check is made on every event as it is decided
// (checkEventBalanced); vouchers here are unbalanced one time in four.
func TestNoUnbalancedVoucherEvent(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		b := drawBooks(rt, 25)
		b.run(60)
		for _, e := range b.events {
			ev, err := domain.DecodeEvent(e.Type, e.Schema, e.Data)
			if err != nil {
				rt.Fatalf("DecodeEvent(%s): %v", e.Type, err)
			}
			checkEventBalanced(rt, ev)
		}
	})
}
