package domain

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Charts by year, sub-accounts, opening balances and the change of chart
// at the start of a year (新旧衔接). The 2004 chart (财会〔2004〕12号)
// governs the years before 2024; the 2023 chart (财会〔2023〕14号) the years
// from 2024 (ChartInForce). Books that move from one to the other record
// the move as a ChartTransitioned voucher at 1 January.

// Move is one closing balance moved at a change of chart: Amount (on the
// old account's normal side) from the old chart's account From to the new
// chart's account To.
type Move struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Amount Fen    `json:"amount"`
	NoteZH string `json:"note_zh,omitempty"`
}

// transitionFile is a mapping between two charts, as data
// (charts/transition-*.json).
type transitionFile struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Source any    `json:"source"`
	Map    []struct {
		From   string `json:"from"`
		To     string `json:"to"`
		NoteZH string `json:"note_zh"`
	} `json:"map"`
}

// ChartMapping is the mapping from one chart's accounts to another's.
type ChartMapping struct {
	ID       string
	From, To string
	// Map gives, for an account of the old chart, its account in the new.
	Map   map[string]string
	Notes map[string]string
}

var transitions = sync.OnceValue(func() map[[2]string]*ChartMapping {
	out := map[[2]string]*ChartMapping{}
	entries, _ := chartFiles.ReadDir("charts")
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "transition-") {
			continue
		}
		b, err := chartFiles.ReadFile("charts/" + e.Name())
		if err != nil {
			panic(err)
		}
		var f transitionFile
		if err := json.Unmarshal(b, &f); err != nil {
			panic(fmt.Sprintf("%s: %v", e.Name(), err))
		}
		t := &ChartMapping{ID: strings.TrimSuffix(e.Name(), ".json"), From: f.From, To: f.To, Map: map[string]string{}, Notes: map[string]string{}}
		for _, m := range f.Map {
			t.Map[m.From], t.Notes[m.From] = m.To, m.NoteZH
		}
		out[[2]string{f.From, f.To}] = t
	}
	return out
})

// TransitionBetween returns the mapping from chart from to chart to, or nil.
func TransitionBetween(from, to string) *ChartMapping { return transitions()[[2]string{from, to}] }

// Commands of charts by year.
type (
	// DefineAccount defines a sub-account (明细科目) under an account of
	// the chart or another sub-account, such as 11201 张三 under 112 应收款.
	DefineAccount struct {
		Code   string `json:"code"`
		Parent string `json:"parent"`
		NameZH string `json:"name_zh"`
		NameEN string `json:"name_en"`
	}
	// OpenBalances records the opening balances of books started before
	// gongkai, at the start of Year, before its first voucher.
	OpenBalances struct {
		Year     int      `json:"year"`
		Lines    []lineIn `json:"lines"`
		Source   string   `json:"source"`
		Preparer string   `json:"preparer"`
		lines    []Line
	}
	// Transition moves the books to the chart in force for Year (or
	// Chart) at its start, after the year before is closed.
	Transition struct {
		Year     int    `json:"year"`
		Chart    string `json:"chart"`
		Preparer string `json:"preparer"`
	}
)

func (*DefineAccount) CommandType() string { return CmdDefineAccount }
func (*OpenBalances) CommandType() string  { return CmdOpenBalances }
func (*Transition) CommandType() string    { return CmdTransition }

var subCodeRE = regexp.MustCompile(`^[0-9]{3,12}$`)

func (c *DefineAccount) Validate() error {
	var fe fieldErrors
	if !subCodeRE.MatchString(c.Parent) {
		fe.add("data.parent", "required: the code of the account above, such as 112", "必填：上级科目编码，如 112")
	}
	if !subCodeRE.MatchString(c.Code) || !strings.HasPrefix(c.Code, c.Parent) || len(c.Code) < len(c.Parent)+2 {
		fe.add("data.code", "the parent's code followed by two or more digits, such as 11201 under 112",
			"须为上级科目编码加两位或以上数字，如 112 下的 11201")
	}
	checkText(&fe, "data.name_zh", c.NameZH, 1, 50, false)
	checkText(&fe, "data.name_en", c.NameEN, 0, 100, false)
	return fe.err()
}

func (c *OpenBalances) Validate() error {
	var fe fieldErrors
	if c.Year < 1949 || c.Year > 9999 {
		fe.add("data.year", "required: the fiscal year the balances open", "必填：期初余额所属年度")
	}
	c.lines = parseVoucherLines(&fe, c.Lines)
	checkText(&fe, "data.source", c.Source, 1, 200, false)
	checkText(&fe, "data.preparer", c.Preparer, 1, 50, false)
	return fe.err()
}

func (c *Transition) Validate() error {
	var fe fieldErrors
	if c.Year < 1949 || c.Year > 9999 {
		fe.add("data.year", "required: the first fiscal year on the new chart", "必填：启用新科目表的年度")
	}
	if c.Chart != "" && Charts()[c.Chart] == nil {
		fe.add("data.chart", "unknown chart", "未知的科目表")
	}
	checkText(&fe, "data.preparer", c.Preparer, 1, 50, false)
	return fe.err()
}

func (c *DefineAccount) Decide(env Env) ([]Event, error) {
	b, err := booksEnv(env)
	if err != nil {
		return nil, err
	}
	year := env.Date.Year
	if _, ok := b.AccountOf(year, c.Code); ok {
		return nil, &RuleError{Code: "account_exists", Field: "data.code",
			Reason: "account " + c.Code + " exists", ReasonZH: "科目 " + c.Code + " 已存在"}
	}
	parent, ok := b.AccountOf(year, c.Parent)
	if !ok || parent.Closed {
		return nil, &RuleError{Code: "unknown_account", Field: "data.parent",
			Reason:   fmt.Sprintf("account %s is not an account of the %d chart %s or a sub-account", c.Parent, year, b.ChartFor(year).ID),
			ReasonZH: fmt.Sprintf("科目 %s 不在 %d 年度的科目表中，也不是已设的明细科目", c.Parent, year)}
	}
	// A parent with a balance of its own would keep it for ever: vouchers
	// post to leaves only, so nothing could move it into the new
	// sub-accounts.
	// (An income or expense account's own balance is carried to 本年收益
	// at the year's end like any other.)
	var own Fen
	for _, p := range b.postings[c.Parent] {
		own += p.amount
	}
	if own != 0 && parent.Class != ClassIncome && parent.Class != ClassExpense {
		return nil, &RuleError{Code: "parent_has_balance", Field: "data.parent",
			Reason:   fmt.Sprintf("account %s holds %s of its own: sub-accounts are defined before an account is used, or at the start of a year before its opening balances", c.Parent, abs(own)),
			ReasonZH: fmt.Sprintf("科目 %s 本身有余额 %s 元：明细科目须在科目使用之前设置（或在录入期初余额之前设置）", c.Parent, abs(own))}
	}
	return []Event{&AccountDefined{SubAccount{Code: c.Code, Parent: c.Parent, NameZH: c.NameZH, NameEN: c.NameEN}}}, nil
}

// yearChart returns the events that record the chart of the year of d,
// when the books have none recorded for it yet.
func yearChart(b *Books, year int) []Event {
	if b.YearCharts[year] != nil {
		return nil
	}
	ch := b.ChartFor(year)
	return []Event{&ChartAdopted{Chart: ch.ID, Version: ch.Version, Year: year}}
}

// openingCashNegative refuses opening balances that put cash, or a bank
// account without an allowed overdraft, on the credit side.
func openingCashNegative(env Env, b *Books, year int, lines []Line) error {
	ch := b.ChartFor(year)
	for i, l := range lines {
		if !ch.IsCash(l.Account) || l.Credit <= l.Debit {
			continue
		}
		cash := b.rootOf(l.Account) == ch.CashCodes[0]
		if !cash && env.Community != nil && env.Community.RuleSetAt(env.Date).BankOverdraft {
			continue
		}
		return &RuleError{Code: "opening_cash_negative", Field: fmt.Sprintf("data.lines[%d]", i),
			Reason:   "account " + l.Account + " cannot open on the credit side: cash is never negative, and a bank account only with an overdraft allowed",
			ReasonZH: "科目 " + l.Account + " 的期初余额不能在贷方：库存现金不能为负数，银行存款仅在允许透支时可以为负数"}
	}
	return nil
}

func (c *OpenBalances) Decide(env Env) ([]Event, error) {
	b, err := booksEnv(env)
	if err != nil {
		return nil, err
	}
	if b.FirstYear != 0 {
		return nil, &RuleError{Code: "books_not_empty", Field: "data.year",
			Reason:   fmt.Sprintf("the books already hold %d: opening balances start books that hold nothing", b.FirstYear),
			ReasonZH: fmt.Sprintf("账簿已有 %d 年度的记录；期初余额只能用于尚无记录的账簿", b.FirstYear)}
	}
	if env.Date.Year != c.Year {
		return nil, &RuleError{Code: "opening_date", Field: "effective_date",
			Reason: fmt.Sprintf("opening balances of %d are recorded in %d", c.Year, c.Year), ReasonZH: fmt.Sprintf("%d 年度的期初余额须在该年度内录入", c.Year)}
	}
	for i, l := range c.lines {
		a, ok := b.AccountOf(c.Year, l.Account)
		field := fmt.Sprintf("data.lines[%d].account", i)
		switch {
		case !ok || a.Closed:
			return nil, unknownAccount(field, l.Account, b.ChartFor(c.Year).ID)
		case !b.IsLeaf(l.Account):
			return nil, notLeaf(field, l.Account)
		case a.Class == ClassIncome || a.Class == ClassExpense:
			return nil, &RuleError{Code: "opening_profit_and_loss", Field: field,
				Reason:   "account " + l.Account + " is an income or expense account: it opens a year at zero",
				ReasonZH: "科目 " + l.Account + " 是损益类科目，年初余额为零，不能录入期初余额"}
		}
	}
	if err := openingCashNegative(env, b, c.Year, c.lines); err != nil {
		return nil, err
	}
	out := yearChart(b, c.Year)
	return append(out, &BalancesOpened{Year: c.Year, Lines: c.lines, Source: c.Source, Preparer: c.Preparer}), nil
}

func (c *Transition) Decide(env Env) ([]Event, error) {
	b, err := booksEnv(env)
	if err != nil {
		return nil, err
	}
	prev := c.Year - 1
	from := b.ChartFor(prev)
	to := ChartInForce(c.Year)
	if c.Chart != "" {
		to = Charts()[c.Chart]
	}
	switch {
	case env.Date.Year != c.Year:
		return nil, &RuleError{Code: "transition_date", Field: "effective_date",
			Reason: fmt.Sprintf("the change of chart for %d is recorded in %d", c.Year, c.Year), ReasonZH: fmt.Sprintf("%d 年度的新旧衔接须在该年度内办理", c.Year)}
	case b.FirstYear == 0 || b.FirstYear > prev:
		return nil, &RuleError{Code: "transition_nothing", Field: "data.year",
			Reason:   fmt.Sprintf("the books hold no %d to carry over; books that start in %d open on its chart (books.open_balances)", prev, c.Year),
			ReasonZH: fmt.Sprintf("账簿没有 %d 年度的记录可衔接；从 %d 年度开始的账簿直接按新科目表录入期初余额", prev, c.Year)}
	case !b.ClosedYears[prev]:
		return nil, &RuleError{Code: "transition_year_open", Field: "data.year",
			Reason: fmt.Sprintf("close %d first: its closing balances are what moves", prev), ReasonZH: fmt.Sprintf("请先年终结账 %d 年度：衔接的是其年末余额", prev)}
	case b.Transitions[c.Year] || b.YearCharts[c.Year] != nil:
		return nil, &RuleError{Code: "transition_done", Field: "data.year",
			Reason: fmt.Sprintf("%d already has its chart, %s", c.Year, b.ChartFor(c.Year).ID), ReasonZH: fmt.Sprintf("%d 年度已确定科目表 %s", c.Year, b.ChartFor(c.Year).ID)}
	case b.ClosedMonths[fmt.Sprintf("%04d-01", c.Year)]:
		return nil, &RuleError{Code: "period_closed", Field: "data.year",
			Reason: fmt.Sprintf("January %d is closed: the change of chart posts into its first day", c.Year), ReasonZH: fmt.Sprintf("%d年1月已结账，新旧衔接须记入该月1日", c.Year)}
	case from.ID == to.ID:
		return nil, &RuleError{Code: "transition_same_chart", Field: "data.chart",
			Reason: fmt.Sprintf("%d already uses %s", prev, to.ID), ReasonZH: fmt.Sprintf("%d 年度已使用 %s，无需衔接", prev, to.ID)}
	}
	t := TransitionBetween(from.ID, to.ID)
	if t == nil {
		return nil, &RuleError{Code: "no_transition", Field: "data.chart",
			Reason: fmt.Sprintf("gongkai has no mapping from %s to %s", from.ID, to.ID), ReasonZH: fmt.Sprintf("没有从 %s 到 %s 的科目衔接对照表", from.ID, to.ID)}
	}
	end := Date{Year: prev, Month: time.December, Day: 31}
	ev := &ChartTransitioned{Year: c.Year, From: from.ID, To: to.ID, ToVersion: to.Version, Mapping: t.ID, Preparer: c.Preparer}
	// newCode is an account's code in the new chart: its mapping, or for a
	// sub-account its parent's new code and its own suffix.
	var newCode func(code string) (string, bool)
	newCode = func(code string) (string, bool) {
		if sub, ok := b.Subs[code]; ok {
			p, ok := newCode(sub.Parent)
			return p + strings.TrimPrefix(code, sub.Parent), ok
		}
		n, ok := t.Map[code]
		return n, ok
	}
	// Every sub-account goes under its parent's account in the new chart,
	// with its own suffix; one whose code changes is retired from the old
	// place, so that an old code the new chart reuses for another account
	// carries none of the old sub-accounts.
	subCodes := make([]string, 0, len(b.Subs))
	for code := range b.Subs {
		subCodes = append(subCodes, code)
	}
	slices.Sort(subCodes)
	for _, code := range subCodes {
		sub := b.Subs[code]
		to, ok := newCode(code)
		if !ok || to == "" {
			continue // a balance in it is refused below
		}
		if to != code {
			ev.Retired = append(ev.Retired, code)
		}
		if to != code || !sameSide(from, Charts()[ev.To], b.rootOf(code)) {
			parent, _ := newCode(sub.Parent)
			ev.NewSubs = append(ev.NewSubs, SubAccount{Code: to, Parent: parent, NameZH: sub.NameZH, NameEN: sub.NameEN})
		}
	}
	codes := slices.Collect(func(yield func(string) bool) {
		for code := range b.postings {
			if !yield(code) {
				return
			}
		}
	})
	slices.Sort(codes)
	for _, code := range codes {
		var own Fen // the account's own postings, debit positive
		for _, p := range b.postings[code] {
			if !p.date.After(end) {
				own += p.amount
			}
		}
		if own == 0 {
			continue
		}
		to, ok := newCode(code)
		if !ok || to == "" {
			return nil, &RuleError{Code: "transition_unmapped", Field: "data.year",
				Reason:   fmt.Sprintf("account %s holds %s at the end of %d and the mapping %s gives it no place in %s", code, abs(own), prev, t.ID, ev.To),
				ReasonZH: fmt.Sprintf("科目 %s 在 %d 年末有余额 %s 元，但衔接对照表 %s 未规定其去向", code, prev, abs(own), t.ID)}
		}
		if _, ok := b.Subs[code]; ok {
			// carried with the sub-accounts below
		} else if _, ok := Charts()[ev.To].Account(to); !ok {
			return nil, &RuleError{Code: "transition_unmapped", Field: "data.year",
				Reason:   fmt.Sprintf("the mapping %s sends %s to %s, which is not an account of %s", t.ID, code, to, ev.To),
				ReasonZH: fmt.Sprintf("衔接对照表 %s 将 %s 转入 %s，但新科目表中没有该科目", t.ID, code, to)}
		}
		if to == code && sameSide(from, Charts()[ev.To], b.rootOf(code)) {
			continue // the same account in both charts: its balance stays
		}
		// Take the balance out of the old account and into the new one.
		out, in := Line{Account: code}, Line{Account: to}
		if own > 0 {
			out.Credit, in.Debit = own, own
		} else {
			out.Debit, in.Credit = -own, -own
		}
		amt := own
		if from.accountSide(code, b) == SideCredit {
			amt = -own
		}
		ev.Moves = append(ev.Moves, Move{From: code, To: to, Amount: amt, NoteZH: t.Notes[b.rootOf(code)]})
		ev.Lines = append(ev.Lines, out, in)
	}
	return []Event{ev}, nil
}

func sameSide(a, b *Chart, code string) bool {
	x, ok1 := a.Account(code)
	y, ok2 := b.Account(code)
	return ok1 && ok2 && x.Side == y.Side && x.Class == y.Class
}

// accountSide is the side of an account of this chart or of a sub-account
// under one.
func (c *Chart) accountSide(code string, b *Books) string {
	if a, ok := c.Account(code); ok {
		return a.Side
	}
	if sub, ok := b.Subs[code]; ok {
		return c.accountSide(sub.Parent, b)
	}
	return SideDebit
}

func unknownAccount(field, code, chart string) error {
	return &RuleError{Code: "unknown_account", Field: field,
		Reason:   "account " + code + " is not an open account of chart " + chart + " or a sub-account",
		ReasonZH: "科目 " + code + " 不在科目表 " + chart + " 中，也不是已设的明细科目，或已停用"}
}

func notLeaf(field, code string) error {
	return &RuleError{Code: "not_leaf_account", Field: field,
		Reason:   "account " + code + " has sub-accounts: post to one of them",
		ReasonZH: "科目 " + code + " 设有明细科目，请记入明细科目"}
}

// rootOf returns the chart account a sub-account is under (itself for an
// account of a chart).
func (b *Books) rootOf(code string) string {
	for {
		sub, ok := b.Subs[code]
		if !ok {
			return code
		}
		code = sub.Parent
	}
}

// numberInDateOrder refuses a voucher dated before the latest-numbered
// voucher of its month: numbers follow the order of dates within a month,
// as on paper.
func numberInDateOrder(b *Books, d Date) error {
	m := Month(d)
	last := b.MonthLast[m]
	if last.IsZero() || !d.Before(last) {
		return nil
	}
	return &RuleError{Code: "voucher_date_order", Field: "effective_date",
		Reason: fmt.Sprintf("voucher %s is dated %s; numbers follow the order of dates within a month, so a voucher dated %s cannot come after it: date it %s or later",
			VoucherID(last, b.LastNumber[m]), last, d, last),
		ReasonZH: fmt.Sprintf("本月已记至第 %d 号凭证（%s）；凭证号按日期顺序编号，日期为 %s 的凭证不能排在其后。请按日期顺序录入，或将本凭证日期写为 %s 或以后",
			b.LastNumber[m], last, d, last)}
}

// chartChanged refuses a voucher in a year whose chart the law changed
// while the books still go on the old one: the change is recorded first
// (books.transition).
func chartChanged(b *Books, year int) error {
	if b.YearCharts[year] != nil || b.FirstYear == 0 || b.FirstYear >= year {
		return nil
	}
	have, law := b.ChartFor(year), ChartInForce(year)
	if have.ID == law.ID || !have.EffectiveFrom.Before(law.EffectiveFrom) {
		return nil
	}
	return &RuleError{Code: "transition_required", Field: "effective_date",
		Reason:   fmt.Sprintf("from %s the chart is %s; the books are on %s: record the change of chart for %d first (books.transition)", law.EffectiveFrom, law.ID, have.ID, year),
		ReasonZH: fmt.Sprintf("自 %s 起执行新的会计科目表（%s），账簿仍为 %s：请先办理 %d 年度的新旧衔接", law.EffectiveFrom, law.NameZH, have.ID, year)}
}

// cashNotNegative refuses a voucher that would take 库存现金 (or one of
// its sub-accounts) below zero on any day from its date on, or a bank
// account unless the rule set in force allows an overdraft. A voucher
// that adds to an account is never refused for it.
func cashNotNegative(env Env, b *Books, lines []Line) error {
	year := env.Date.Year
	ch := b.ChartFor(year)
	checked := map[string]bool{}
	for i, l := range lines {
		a, ok := b.AccountOf(year, l.Account)
		if !ok || !a.Cash {
			continue
		}
		for code := l.Account; code != "" && !checked[code]; {
			checked[code] = true
			if err := b.notNegative(env, ch, code, lines, i); err != nil {
				return err
			}
			sub, ok := b.Subs[code]
			if !ok {
				break
			}
			code = sub.Parent
		}
	}
	return nil
}

func (b *Books) notNegative(env Env, ch *Chart, code string, lines []Line, line int) error {
	cash := b.rootOf(code) == ch.CashCodes[0]
	if !cash && env.Community != nil && env.Community.RuleSetAt(env.Date).BankOverdraft {
		return nil
	}
	under := map[string]bool{}
	for _, c := range b.descendants(code) {
		under[c] = true
	}
	type entry struct {
		d   Date
		amt Fen
	}
	var es []entry
	var delta Fen
	for _, l := range lines {
		if under[l.Account] {
			delta += l.Debit - l.Credit
			es = append(es, entry{env.Date, l.Debit - l.Credit})
		}
	}
	if delta >= 0 {
		return nil
	}
	for c := range under {
		for _, p := range b.postings[c] {
			es = append(es, entry{p.date, p.amount})
		}
	}
	slices.SortStableFunc(es, func(x, y entry) int { return strings.Compare(x.d.String(), y.d.String()) })
	var sum Fen
	for i, e := range es {
		sum += e.amt
		if i+1 < len(es) && es[i+1].d == e.d {
			continue // the balance is the day's, after all its postings
		}
		if sum < 0 && !e.d.Before(env.Date) {
			name := "库存现金"
			if a, ok := b.AccountOf(env.Date.Year, code); ok {
				name = a.NameZH
			}
			if cash {
				return &RuleError{Code: "cash_negative", Field: fmt.Sprintf("data.lines[%d]", line),
					Reason:   fmt.Sprintf("cash on hand (%s) would be %s on %s: cash can never be paid out beyond what is held", code, sum, e.d),
					ReasonZH: fmt.Sprintf("记账后 %s（%s）在 %s 的余额将为 %s 元：库存现金不能出现负数，不能支付超过现有现金", name, code, e.d, sum)}
			}
			return &RuleError{Code: "bank_overdrawn", Field: fmt.Sprintf("data.lines[%d]", line),
				Reason:   fmt.Sprintf("bank account %s would be %s on %s, and the rule set in force allows no overdraft", code, sum, e.d),
				ReasonZH: fmt.Sprintf("记账后%s（%s）在 %s 的余额将为 %s 元，现行规则不允许银行透支", name, code, e.d, sum)}
		}
	}
	return nil
}

// LastPostingYear is the latest year with a posting, 0 if none.
func (b *Books) LastPostingYear() int {
	last := 0
	for _, ps := range b.postings {
		for _, p := range ps {
			last = max(last, p.date.Year)
		}
	}
	return last
}
