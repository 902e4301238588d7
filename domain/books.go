package domain

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"time"
)

// The books (账簿) of a community's collective economy, in double entry. One
// aggregate per community, aggregate id "books".
const (
	AggregateBooks    = "books"
	BooksID           = "books"
	CmdAdoptChart     = "books.adopt_chart"
	CmdPostVoucher    = "books.post_voucher"
	CmdReverseVoucher = "books.reverse_voucher"
	CmdPostCorrection = "books.post_correction"
	CmdAssertBalance  = "books.assert_balance"
	CmdCloseMonth     = "books.close_month"
	CmdCloseYear      = "books.close_year"

	EvChartAdopted     = "books.chart_adopted"
	EvVoucherPosted    = "books.voucher_posted"
	EvVoucherReversed  = "books.voucher_reversed"
	EvCorrectionPosted = "books.correction_posted"
	EvBalanceAsserted  = "books.balance_asserted"
	EvMonthClosed      = "books.month_closed"
	EvYearClosed       = "books.year_closed"
)

// Line is one line of a voucher: an account and a debit or a credit. In a
// red-ink reversal the amounts are negative.
type Line struct {
	Account string `json:"account"`
	Debit   Fen    `json:"debit,omitempty"`
	Credit  Fen    `json:"credit,omitempty"`
}

// Voucher is a posted voucher (记账凭证) as the books remember it.
type Voucher struct {
	ID         string `json:"id"` // "2025-03-007": month and number
	Date       Date   `json:"date"`
	Summary    string `json:"summary"`
	Lines      []Line `json:"lines"`
	BudgetLine string `json:"budget_line,omitempty"`
	Matter     string `json:"matter,omitempty"`
	// Payment is the sum credited to cash and bank accounts.
	Payment    Fen    `json:"payment"`
	ReversedBy string `json:"reversed_by,omitempty"`
	Reverses   string `json:"reverses,omitempty"`
}

// Books is the state of a community's books.
type Books struct {
	Chart        *Chart
	Vouchers     map[string]*Voucher
	LastNumber   map[string]int // month "2025-03" -> last voucher number
	ClosedMonths map[string]bool
	ClosedYears  map[int]bool
	// postings per account, in stream order, for balances on any date.
	postings map[string][]posting
	// Spent is the payments per fiscal year and budget line.
	Spent map[int]map[string]Fen
	// MatterSpent is the payments that cite each matter (事项), net of
	// reversals.
	MatterSpent map[string]Fen
}

type posting struct {
	date   Date
	amount Fen // debit positive, credit negative
}

// NewBooks returns empty books on the default chart.
func NewBooks() *Books {
	return &Books{Chart: DefaultChart(), Vouchers: map[string]*Voucher{}, LastNumber: map[string]int{},
		ClosedMonths: map[string]bool{}, ClosedYears: map[int]bool{}, postings: map[string][]posting{},
		Spent: map[int]map[string]Fen{}, MatterSpent: map[string]Fen{}}
}

// Month returns "YYYY-MM" of a date.
func Month(d Date) string { return fmt.Sprintf("%04d-%02d", d.Year, int(d.Month)) }

// VoucherID returns the id of voucher number n in the month of d.
func VoucherID(d Date, n int) string { return fmt.Sprintf("%s-%03d", Month(d), n) }

// Balance returns an account's balance at the end of date d, on its normal
// side (positive when the balance is on the account's normal side).
func (b *Books) Balance(account string, d Date) Fen {
	var sum Fen
	for _, p := range b.postings[account] {
		if !p.date.After(d) {
			sum += p.amount
		}
	}
	if a, ok := b.Chart.Account(account); ok && a.Side == SideCredit {
		return -sum
	}
	return sum
}

func (b *Books) post(d Date, lines []Line) {
	for _, l := range lines {
		b.postings[l.Account] = append(b.postings[l.Account], posting{date: d, amount: l.Debit - l.Credit})
	}
}

func (b *Books) addSpent(year int, line string, amt Fen) {
	if line == "" || amt == 0 {
		return
	}
	if b.Spent[year] == nil {
		b.Spent[year] = map[string]Fen{}
	}
	b.Spent[year][line] += amt
}

func (b *Books) apply(e Event, date Date) {
	switch e := e.(type) {
	case *ChartAdopted:
		if c := Charts()[e.Chart]; c != nil {
			b.Chart = c
		}
	case *VoucherPosted:
		b.recordVoucher(date, &e.VoucherData, "")
	case *CorrectionPosted:
		b.recordVoucher(date, &e.VoucherData, "")
	case *VoucherReversed:
		v := e.VoucherData
		b.recordVoucher(date, &v, e.Reverses)
		if orig := b.Vouchers[e.Reverses]; orig != nil {
			orig.ReversedBy = VoucherID(date, e.Number)
			b.addSpent(orig.Date.Year, orig.BudgetLine, -orig.Payment)
			if orig.Matter != "" {
				b.MatterSpent[orig.Matter] -= orig.Payment
			}
		}
	case *MonthClosed:
		b.ClosedMonths[e.Month] = true
	case *YearClosed:
		// The carry-forward belongs to the last day of the year it closes.
		b.post(Date{Year: e.Year, Month: time.December, Day: 31}, e.Lines)
		b.ClosedYears[e.Year] = true
		for m := 1; m <= 12; m++ {
			b.ClosedMonths[fmt.Sprintf("%04d-%02d", e.Year, m)] = true
		}
	}
}

func (b *Books) recordVoucher(date Date, v *VoucherData, reverses string) {
	id := VoucherID(date, v.Number)
	b.LastNumber[Month(date)] = max(b.LastNumber[Month(date)], v.Number)
	b.post(date, v.Lines)
	pay := b.Chart.Payment(v.Lines)
	b.Vouchers[id] = &Voucher{ID: id, Date: date, Summary: v.Summary, Lines: slices.Clone(v.Lines),
		BudgetLine: v.BudgetLine, Matter: v.Matter, Payment: pay, Reverses: reverses}
	if reverses == "" {
		b.addSpent(date.Year, v.BudgetLine, pay)
		if v.Matter != "" {
			b.MatterSpent[v.Matter] += pay
		}
	}
}

func (b *Books) clone() *Books {
	d := *b
	d.Vouchers = make(map[string]*Voucher, len(b.Vouchers))
	for k, v := range b.Vouchers {
		vc := *v
		d.Vouchers[k] = &vc
	}
	d.LastNumber = cloneMap(b.LastNumber)
	d.ClosedMonths = cloneMap(b.ClosedMonths)
	d.ClosedYears = cloneMap(b.ClosedYears)
	d.postings = make(map[string][]posting, len(b.postings))
	for k, v := range b.postings {
		d.postings[k] = slices.Clip(v) // appends copy; entries are never changed
	}
	d.Spent = make(map[int]map[string]Fen, len(b.Spent))
	for y, m := range b.Spent {
		d.Spent[y] = cloneMap(m)
	}
	d.MatterSpent = cloneMap(b.MatterSpent)
	return &d
}

func cloneMap[K comparable, V any](m map[K]V) map[K]V {
	d := make(map[K]V, len(m))
	for k, v := range m {
		d[k] = v
	}
	return d
}

// VoucherData is what every kind of voucher records.
type VoucherData struct {
	Number      int      `json:"number"`
	Summary     string   `json:"summary"`
	Lines       []Line   `json:"lines"`
	Attachments []string `json:"attachments,omitempty"`
	Preparer    string   `json:"preparer"`
	Reviewer    string   `json:"reviewer,omitempty"`
	Approver    string   `json:"approver,omitempty"`
	BudgetLine  string   `json:"budget_line,omitempty"`
	Matter      string   `json:"matter,omitempty"`
}

// Books events.
type (
	// ChartAdopted records the chart of accounts the books follow.
	ChartAdopted struct {
		Chart   string `json:"chart"`
		Version int    `json:"version"`
	}
	// VoucherPosted records a voucher (记账凭证).
	VoucherPosted struct {
		VoucherData
	}
	// VoucherReversed records a red-ink (红字) voucher that mirrors an earlier
	// voucher of the same year with negative amounts.
	VoucherReversed struct {
		VoucherData
		Reverses string `json:"reverses"`
		Reason   string `json:"reason"`
	}
	// CorrectionPosted records a blue-ink (蓝字) correction of a voucher of an
	// earlier, closed year.
	CorrectionPosted struct {
		VoucherData
		Corrects string `json:"corrects"`
		Reason   string `json:"reason"`
	}
	// BalanceAsserted records that an account's balance on a date was checked
	// against evidence and held.
	BalanceAsserted struct {
		Account  string   `json:"account"`
		Balance  Fen      `json:"balance"`
		Evidence Evidence `json:"evidence"`
	}
	// MonthClosed records the end of a month's postings and its trial
	// balance totals.
	MonthClosed struct {
		Month         string `json:"month"`
		Debits        Fen    `json:"debits"`        // the month's debit turnover
		Credits       Fen    `json:"credits"`       // the month's credit turnover
		DebitBalance  Fen    `json:"debit_balance"` // sum of debit balances at month end
		CreditBalance Fen    `json:"credit_balance"`
	}
	// YearClosed records the year-end carry-forward of income and expense
	// into 本年收益 (321) and of 本年收益 into 收益分配 (322).
	YearClosed struct {
		Year      int    `json:"year"`
		Lines     []Line `json:"lines"`
		NetIncome Fen    `json:"net_income"`
	}
)

// Evidence backs a balance assertion: a bank statement or a cash count.
type Evidence struct {
	Kind      string `json:"kind"` // bank_statement, cash_count, other
	Reference string `json:"reference"`
	SHA256    string `json:"sha256,omitempty"`
}

func (*ChartAdopted) EventType() string     { return EvChartAdopted }
func (*VoucherPosted) EventType() string    { return EvVoucherPosted }
func (*VoucherReversed) EventType() string  { return EvVoucherReversed }
func (*CorrectionPosted) EventType() string { return EvCorrectionPosted }
func (*BalanceAsserted) EventType() string  { return EvBalanceAsserted }
func (*MonthClosed) EventType() string      { return EvMonthClosed }
func (*YearClosed) EventType() string       { return EvYearClosed }

// lineIn is a voucher line as a command carries it.
type lineIn struct {
	Account string `json:"account"`
	Debit   Yuan   `json:"debit"`
	Credit  Yuan   `json:"credit"`
}

// voucherIn is the common input of a voucher command.
type voucherIn struct {
	Number      int      `json:"number"`
	Summary     string   `json:"summary"`
	Lines       []lineIn `json:"lines"`
	Attachments []string `json:"attachments"`
	Preparer    string   `json:"preparer"`
	Reviewer    string   `json:"reviewer"`
	Approver    string   `json:"approver"`
	BudgetLine  string   `json:"budget_line"`
	Matter      string   `json:"matter"`
	data        VoucherData
}

var sha256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)

func (v *voucherIn) validate(fe *fieldErrors) {
	if v.Number < 1 || v.Number > 99999 {
		fe.add("data.number", "required: the voucher's number within its month, from 1", "必填：凭证在当月的编号，从1开始")
	}
	checkText(fe, "data.summary", v.Summary, 1, 200, false)
	checkText(fe, "data.preparer", v.Preparer, 1, 50, false)
	checkText(fe, "data.reviewer", v.Reviewer, 0, 50, false)
	checkText(fe, "data.approver", v.Approver, 0, 50, false)
	if v.BudgetLine != "" && !ValidAggregateID(v.BudgetLine) {
		fe.add("data.budget_line", "letters, digits, - and _ only", "仅限字母、数字、- 或 _")
	}
	if v.Matter != "" && !ValidAggregateID(v.Matter) {
		fe.add("data.matter", "letters, digits, - and _ only", "仅限字母、数字、- 或 _")
	}
	if len(v.Attachments) > 50 {
		fe.add("data.attachments", "at most 50", "最多50个附件")
	}
	for i, h := range v.Attachments {
		if !sha256RE.MatchString(h) {
			fe.add(fmt.Sprintf("data.attachments[%d]", i), "must be a SHA-256 in lower-case hex (64 characters)", "须为64位小写十六进制 SHA-256 值")
		}
	}
	lines := parseVoucherLines(fe, v.Lines)
	v.data = VoucherData{Number: v.Number, Summary: v.Summary, Lines: lines, Attachments: v.Attachments,
		Preparer: v.Preparer, Reviewer: v.Reviewer, Approver: v.Approver, BudgetLine: v.BudgetLine, Matter: v.Matter}
}

// parseVoucherLines checks the double-entry shape: two or more lines, each
// with exactly one positive side, and debits equal to credits.
func parseVoucherLines(fe *fieldErrors, in []lineIn) []Line {
	if len(in) < 2 || len(in) > 100 {
		fe.add("data.lines", "a voucher has 2 to 100 lines", "凭证须有2至100行分录")
	}
	var out []Line
	var debits, credits Fen
	for i, l := range in {
		p := fmt.Sprintf("data.lines[%d]", i)
		if l.Account == "" || len(l.Account) > 20 {
			fe.add(p+".account", "required: an account code", "必填：科目编码")
		}
		var line = Line{Account: l.Account}
		switch {
		case l.Debit != "" && l.Credit == "":
			line.Debit = parseAmount(fe, p+".debit", l.Debit, false)
		case l.Credit != "" && l.Debit == "":
			line.Credit = parseAmount(fe, p+".credit", l.Credit, false)
		default:
			fe.add(p, "give exactly one of debit and credit", "借方、贷方金额须且只能填一项")
		}
		debits += line.Debit
		credits += line.Credit
		out = append(out, line)
	}
	if len(*fe) == 0 && debits != credits {
		fe.add("data.lines", fmt.Sprintf("unbalanced: debits %s, credits %s, difference %s", debits, credits, debits-credits),
			fmt.Sprintf("借贷不平衡：借方合计 %s，贷方合计 %s，相差 %s", debits, credits, debits-credits))
	}
	return out
}

// Books commands.
type (
	// AdoptChart switches the books to another shipped chart of accounts.
	AdoptChart struct {
		Chart string `json:"chart"`
	}
	// PostVoucher posts a voucher.
	PostVoucher struct{ voucherIn }
	// ReverseVoucher posts the red-ink mirror of an earlier voucher of the
	// same year. The lines are made from the original; none are given.
	ReverseVoucher struct {
		Voucher  string `json:"voucher"`
		Number   int    `json:"number"`
		Reason   string `json:"reason"`
		Preparer string `json:"preparer"`
		Reviewer string `json:"reviewer"`
		Approver string `json:"approver"`
	}
	// PostCorrection posts a blue-ink correction of a voucher of an earlier year.
	PostCorrection struct {
		voucherIn
		Corrects string `json:"corrects"`
		Reason   string `json:"reason"`
	}
	// AssertBalance checks an account's balance on the effective date.
	AssertBalance struct {
		Account  string   `json:"account"`
		Balance  Yuan     `json:"balance"`
		Evidence Evidence `json:"evidence"`
		balance  Fen
	}
	// CloseMonth closes a month to postings.
	CloseMonth struct {
		Month string `json:"month"`
	}
	// CloseYear closes a fiscal year and carries income and expense forward.
	CloseYear struct {
		Year int `json:"year"`
	}
)

func (*AdoptChart) CommandType() string     { return CmdAdoptChart }
func (*PostVoucher) CommandType() string    { return CmdPostVoucher }
func (*ReverseVoucher) CommandType() string { return CmdReverseVoucher }
func (*PostCorrection) CommandType() string { return CmdPostCorrection }
func (*AssertBalance) CommandType() string  { return CmdAssertBalance }
func (*CloseMonth) CommandType() string     { return CmdCloseMonth }
func (*CloseYear) CommandType() string      { return CmdCloseYear }

func (c *AdoptChart) Validate() error {
	var fe fieldErrors
	if Charts()[c.Chart] == nil {
		fe.add("data.chart", "unknown chart; shipped: "+DefaultChartID, "未知的科目表")
	}
	return fe.err()
}

func (c *PostVoucher) Validate() error {
	var fe fieldErrors
	c.validate(&fe)
	return fe.err()
}

func (c *ReverseVoucher) Validate() error {
	var fe fieldErrors
	if c.Voucher == "" || len(c.Voucher) > 20 {
		fe.add("data.voucher", "required: the id of the voucher to reverse, such as 2025-03-007", "必填：被冲销凭证编号，如 2025-03-007")
	}
	if c.Number < 1 || c.Number > 99999 {
		fe.add("data.number", "required: the red-ink voucher's number within its month", "必填：红字凭证在当月的编号")
	}
	checkText(&fe, "data.reason", c.Reason, 1, 500, true)
	checkText(&fe, "data.preparer", c.Preparer, 1, 50, false)
	checkText(&fe, "data.reviewer", c.Reviewer, 0, 50, false)
	checkText(&fe, "data.approver", c.Approver, 0, 50, false)
	return fe.err()
}

func (c *PostCorrection) Validate() error {
	var fe fieldErrors
	c.validate(&fe)
	if c.Corrects == "" || len(c.Corrects) > 20 {
		fe.add("data.corrects", "required: the id of the voucher corrected", "必填：被更正凭证编号")
	}
	checkText(&fe, "data.reason", c.Reason, 1, 500, true)
	return fe.err()
}

func (c *AssertBalance) Validate() error {
	var fe fieldErrors
	if c.Account == "" || len(c.Account) > 20 {
		fe.add("data.account", "required: an account code", "必填：科目编码")
	}
	neg := len(c.Balance) > 0 && c.Balance[0] == '-'
	s := c.Balance
	if neg {
		s = s[1:]
	}
	c.balance = parseAmount(&fe, "data.balance", s, true)
	if neg {
		c.balance = -c.balance
	}
	switch c.Evidence.Kind {
	case "bank_statement", "cash_count", "other":
	default:
		fe.add("data.evidence.kind", "must be bank_statement, cash_count or other", "须为 bank_statement（银行对账单）、cash_count（现金盘点）或 other")
	}
	checkText(&fe, "data.evidence.reference", c.Evidence.Reference, 1, 200, false)
	if c.Evidence.SHA256 != "" && !sha256RE.MatchString(c.Evidence.SHA256) {
		fe.add("data.evidence.sha256", "must be a SHA-256 in lower-case hex", "须为64位小写十六进制 SHA-256 值")
	}
	return fe.err()
}

var monthRE = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)

func (c *CloseMonth) Validate() error {
	var fe fieldErrors
	if !monthRE.MatchString(c.Month) {
		fe.add("data.month", "required: a month written YYYY-MM", "必填：月份，格式 YYYY-MM")
	}
	return fe.err()
}

func (c *CloseYear) Validate() error {
	var fe fieldErrors
	if c.Year < 1949 || c.Year > 9999 {
		fe.add("data.year", "required: a fiscal year such as 2025", "必填：年度，如 2025")
	}
	return fe.err()
}

// booksEnv checks the target is the books aggregate of a registered
// community and returns the books (new ones if none yet).
func booksEnv(env Env) (*Books, error) {
	if env.AggregateID != BooksID {
		return nil, &RuleError{Code: "books_id", Field: "aggregate_id",
			Reason: `the books' aggregate_id is "books"`, ReasonZH: `账簿的 aggregate_id 须为 "books"`}
	}
	if err := inCommunity(env); err != nil {
		return nil, err
	}
	if env.Books == nil {
		return NewBooks(), nil
	}
	return env.Books, nil
}

// periodOpen refuses a date in a closed period: in or before the latest
// closed month, or in or before the latest closed year, so that a closed
// period's balances never change afterwards.
func periodOpen(b *Books, d Date) error {
	closed := false
	for m := range b.ClosedMonths {
		closed = closed || Month(d) <= m
	}
	for y := range b.ClosedYears {
		closed = closed || d.Year <= y
	}
	if closed {
		return &RuleError{Code: "period_closed", Field: "effective_date",
			Reason:   "the period " + Month(d) + " is closed; post into an open month, or correct with a new voucher",
			ReasonZH: "会计期间 " + Month(d) + " 已结账，不能再记账"}
	}
	return nil
}

func nextNumber(b *Books, d Date, n int) error {
	if want := b.LastNumber[Month(d)] + 1; n != want {
		return &RuleError{Code: "voucher_number", Field: "data.number",
			Reason:   fmt.Sprintf("voucher numbers run in sequence within a month and are never reused: the next in %s is %d", Month(d), want),
			ReasonZH: fmt.Sprintf("凭证号在当月连续编号且不得重复：%s 的下一个凭证号是 %d", Month(d), want)}
	}
	return nil
}

// checkVoucher applies the rules every posted voucher must meet.
func checkVoucher(env Env, b *Books, v VoucherData) error {
	if err := periodOpen(b, env.Date); err != nil {
		return err
	}
	if err := nextNumber(b, env.Date, v.Number); err != nil {
		return err
	}
	for i, l := range v.Lines {
		a, ok := b.Chart.Account(l.Account)
		if !ok || a.Closed {
			return &RuleError{Code: "unknown_account", Field: fmt.Sprintf("data.lines[%d].account", i),
				Reason:   "account " + l.Account + " is not an open account of chart " + b.Chart.ID,
				ReasonZH: "科目 " + l.Account + " 不在科目表 " + b.Chart.ID + " 中或已停用"}
		}
	}
	pay := b.Chart.Payment(v.Lines)
	threshold := env.Community.RuleSetAt(env.Date).SpendingThreshold
	if v.Matter != "" {
		m, err := resolution(env, "data.matter", v.Matter)
		if err != nil {
			return err
		}
		// A payment carries out a resolution: it cannot come before the
		// vote, nor take the payments citing it past the amount it approved.
		if resolved := m.Dates[StageResolved]; env.Date.Before(resolved) {
			return &RuleError{Code: "resolution_after_payment", Field: "data.matter",
				Reason:   fmt.Sprintf("matter %s was resolved on %s, after this voucher's date %s", v.Matter, resolved, env.Date),
				ReasonZH: fmt.Sprintf("事项 %s 于 %s 表决通过，晚于本凭证日期 %s", v.Matter, resolved, env.Date)}
		}
		if spent := b.MatterSpent[v.Matter]; m.Amount > 0 && spent+pay > m.Amount {
			return &RuleError{Code: "over_resolution_amount", Field: "data.matter",
				Reason: fmt.Sprintf("matter %s approved %s; %s has been paid citing it, and this payment of %s would exceed it",
					v.Matter, m.Amount, spent, pay),
				ReasonZH: fmt.Sprintf("事项 %s 批准金额 %s 元，已引用支出 %s 元，本次支出 %s 元将超出批准金额", v.Matter, m.Amount, spent, pay)}
		}
	} else if pay > threshold {
		return &RuleError{Code: "resolution_required", Field: "data.matter",
			Reason:   fmt.Sprintf("a payment of %s is above the threshold of %s and must reference a passed resolution", pay, threshold),
			ReasonZH: fmt.Sprintf("支出 %s 元超过 %s 元，须引用经代表会议表决通过的事项", pay, threshold)}
	}
	if v.BudgetLine != "" {
		var bud *Budget
		if env.LookupBudget != nil {
			bud = env.LookupBudget(env.Date.Year)
		}
		var line BudgetLine
		ok := false
		if bud != nil {
			line, ok = bud.Line(v.BudgetLine)
		}
		if !ok {
			return &RuleError{Code: "unknown_budget_line", Field: "data.budget_line",
				Reason:   fmt.Sprintf("the %d budget has no line %s", env.Date.Year, v.BudgetLine),
				ReasonZH: fmt.Sprintf("%d 年度预算中没有此行：%s", env.Date.Year, v.BudgetLine)}
		}
		spent := b.Spent[env.Date.Year][v.BudgetLine]
		if spent+pay > line.Amount {
			return &RuleError{Code: "over_budget", Field: "data.budget_line",
				Reason:   fmt.Sprintf("line %s has %s left of %s; this payment of %s needs a budget adjustment first", v.BudgetLine, line.Amount-spent, line.Amount, pay),
				ReasonZH: fmt.Sprintf("预算行 %s 剩余 %s 元（预算 %s 元），本次支出 %s 元超出预算，须先调整预算", v.BudgetLine, line.Amount-spent, line.Amount, pay)}
		}
	}
	return nil
}

func (c *AdoptChart) Decide(env Env) ([]Event, error) {
	b, err := booksEnv(env)
	if err != nil {
		return nil, err
	}
	if len(b.Vouchers) > 0 {
		return nil, &RuleError{Code: "chart_in_use", Field: "data.chart",
			Reason: "the books already have vouchers; a new chart needs a mapping and a new set of books", ReasonZH: "账簿已有凭证，不能直接更换科目表"}
	}
	ch := Charts()[c.Chart]
	return []Event{&ChartAdopted{Chart: ch.ID, Version: ch.Version}}, nil
}

func (c *PostVoucher) Decide(env Env) ([]Event, error) {
	b, err := booksEnv(env)
	if err != nil {
		return nil, err
	}
	if err := checkVoucher(env, b, c.data); err != nil {
		return nil, err
	}
	return []Event{&VoucherPosted{c.data}}, nil
}

func (c *PostCorrection) Decide(env Env) ([]Event, error) {
	b, err := booksEnv(env)
	if err != nil {
		return nil, err
	}
	orig := b.Vouchers[c.Corrects]
	if orig == nil {
		return nil, &NotFoundError{What: "voucher", ID: c.Corrects}
	}
	if orig.Date.Year >= env.Date.Year {
		return nil, &RuleError{Code: "correction_same_year", Field: "data.corrects",
			Reason: "a voucher of the same year is corrected by reversing it (books.reverse_voucher)", ReasonZH: "本年度凭证的错误应以红字冲销更正"}
	}
	if err := checkVoucher(env, b, c.data); err != nil {
		return nil, err
	}
	return []Event{&CorrectionPosted{VoucherData: c.data, Corrects: c.Corrects, Reason: c.Reason}}, nil
}

func (c *ReverseVoucher) Decide(env Env) ([]Event, error) {
	b, err := booksEnv(env)
	if err != nil {
		return nil, err
	}
	orig := b.Vouchers[c.Voucher]
	switch {
	case orig == nil:
		return nil, &NotFoundError{What: "voucher", ID: c.Voucher}
	case orig.Reverses != "":
		return nil, &RuleError{Code: "reversal_of_reversal", Field: "data.voucher",
			Reason: "a red-ink voucher is not reversed; post a new voucher", ReasonZH: "红字凭证不能再冲销"}
	case orig.ReversedBy != "":
		return nil, &RuleError{Code: "already_reversed", Field: "data.voucher",
			Reason: "voucher " + c.Voucher + " was already reversed by " + orig.ReversedBy, ReasonZH: "凭证 " + c.Voucher + " 已被 " + orig.ReversedBy + " 冲销，不能重复冲销"}
	case orig.Date.Year != env.Date.Year:
		return nil, &RuleError{Code: "reversal_other_year", Field: "data.voucher",
			Reason: "only a voucher of the same fiscal year can be reversed; use books.post_correction", ReasonZH: "只能冲销本年度的凭证；以前年度的错误请用蓝字更正"}
	case env.Date.Before(orig.Date):
		return nil, &RuleError{Code: "date_before_original", Field: "effective_date",
			Reason: "a reversal cannot be dated before its original", ReasonZH: "冲销日期不能早于原凭证日期"}
	}
	if err := periodOpen(b, env.Date); err != nil {
		return nil, err
	}
	if err := nextNumber(b, env.Date, c.Number); err != nil {
		return nil, err
	}
	mirror := make([]Line, len(orig.Lines))
	for i, l := range orig.Lines {
		mirror[i] = Line{Account: l.Account, Debit: -l.Debit, Credit: -l.Credit}
	}
	return []Event{&VoucherReversed{
		VoucherData: VoucherData{Number: c.Number, Summary: "冲销 " + orig.ID + " " + orig.Summary, Lines: mirror,
			Preparer: c.Preparer, Reviewer: c.Reviewer, Approver: c.Approver, BudgetLine: orig.BudgetLine, Matter: orig.Matter},
		Reverses: orig.ID, Reason: c.Reason}}, nil
}

func (c *AssertBalance) Decide(env Env) ([]Event, error) {
	b, err := booksEnv(env)
	if err != nil {
		return nil, err
	}
	if _, ok := b.Chart.Account(c.Account); !ok {
		return nil, &RuleError{Code: "unknown_account", Field: "data.account",
			Reason: "account " + c.Account + " is not in chart " + b.Chart.ID, ReasonZH: "科目 " + c.Account + " 不在科目表中"}
	}
	have := b.Balance(c.Account, env.Date)
	if have != c.balance {
		return nil, &RuleError{Code: "balance_mismatch", Field: "data.balance",
			Reason:   fmt.Sprintf("the books show %s for account %s on %s, the evidence %s: a difference of %s", have, c.Account, env.Date, c.balance, c.balance-have),
			ReasonZH: fmt.Sprintf("科目 %s 在 %s 的账面余额为 %s 元，证据显示 %s 元，相差 %s 元", c.Account, env.Date, have, c.balance, c.balance-have)}
	}
	return []Event{&BalanceAsserted{Account: c.Account, Balance: c.balance, Evidence: c.Evidence}}, nil
}

func (c *CloseMonth) Decide(env Env) ([]Event, error) {
	b, err := booksEnv(env)
	if err != nil {
		return nil, err
	}
	var y, m int
	fmt.Sscanf(c.Month, "%d-%d", &y, &m)
	if b.ClosedMonths[c.Month] || b.ClosedYears[y] {
		return nil, &RuleError{Code: "period_closed", Field: "data.month",
			Reason: "month " + c.Month + " is already closed", ReasonZH: c.Month + " 已结账"}
	}
	end := monthEnd(y, m)
	if env.Date.Before(end) {
		return nil, &RuleError{Code: "month_not_over", Field: "effective_date",
			Reason: "a month is closed on its last day or later", ReasonZH: "月份未结束，不能结账"}
	}
	mc := &MonthClosed{Month: c.Month}
	for _, v := range b.Vouchers {
		if Month(v.Date) == c.Month {
			for _, l := range v.Lines {
				mc.Debits += l.Debit
				mc.Credits += l.Credit
			}
		}
	}
	for _, a := range b.Chart.Accounts {
		bal := b.Balance(a.Code, end)
		if (a.Side == SideDebit) == (bal >= 0) {
			mc.DebitBalance += abs(bal)
		} else {
			mc.CreditBalance += abs(bal)
		}
	}
	return []Event{mc}, nil
}

func abs(f Fen) Fen {
	if f < 0 {
		return -f
	}
	return f
}

func monthEnd(y, m int) Date {
	days := [13]int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	n := days[m]
	if m == 2 && (y%4 == 0 && y%100 != 0 || y%400 == 0) {
		n = 29
	}
	return Date{Year: y, Month: time.Month(m), Day: n}
}

func (c *CloseYear) Decide(env Env) ([]Event, error) {
	b, err := booksEnv(env)
	if err != nil {
		return nil, err
	}
	if b.ClosedYears[c.Year] {
		return nil, &RuleError{Code: "period_closed", Field: "data.year",
			Reason: fmt.Sprintf("%d is already closed", c.Year), ReasonZH: fmt.Sprintf("%d 年度已结账", c.Year)}
	}
	if env.Date.Year <= c.Year && !(env.Date.Month == 12 && env.Date.Day == 31 && env.Date.Year == c.Year) {
		return nil, &RuleError{Code: "year_not_over", Field: "effective_date",
			Reason: "a year is closed on its last day or later", ReasonZH: "年度未结束，不能年终结账"}
	}
	var open []string
	for _, v := range b.Vouchers {
		if v.Date.Year < c.Year && !b.ClosedYears[v.Date.Year] {
			return nil, &RuleError{Code: "earlier_year_open", Field: "data.year",
				Reason:   fmt.Sprintf("close %d first: years are closed in order", v.Date.Year),
				ReasonZH: fmt.Sprintf("请先年终结账 %d 年度：年度须依次结账", v.Date.Year)}
		}
		if v.Date.Year == c.Year && !b.ClosedMonths[Month(v.Date)] && !slices.Contains(open, Month(v.Date)) {
			open = append(open, Month(v.Date))
		}
	}
	if len(open) > 0 {
		sort.Strings(open)
		return nil, &RuleError{Code: "months_open", Field: "data.year",
			Reason: fmt.Sprintf("close the months with postings first: %v", open), ReasonZH: fmt.Sprintf("请先结账有凭证的月份：%v", open)}
	}
	end := Date{Year: c.Year, Month: 12, Day: 31}
	yc := &YearClosed{Year: c.Year}
	for _, a := range b.Chart.Accounts {
		bal := b.Balance(a.Code, end)
		if bal == 0 {
			continue
		}
		switch a.Class {
		case ClassIncome: // credit balance: Dr income, Cr 321
			yc.Lines = append(yc.Lines, Line{Account: a.Code, Debit: bal}, Line{Account: AccountYearIncome, Credit: bal})
			yc.NetIncome += bal
		case ClassExpense: // debit balance: Dr 321, Cr expense
			yc.Lines = append(yc.Lines, Line{Account: AccountYearIncome, Debit: bal}, Line{Account: a.Code, Credit: bal})
			yc.NetIncome -= bal
		}
	}
	// 本年收益 (321) as it stood plus this year's result goes to 收益分配.
	total := b.Balance(AccountYearIncome, end) + yc.NetIncome
	if total > 0 {
		yc.Lines = append(yc.Lines, Line{Account: AccountYearIncome, Debit: total}, Line{Account: AccountDistribution, Credit: total})
	} else if total < 0 {
		yc.Lines = append(yc.Lines, Line{Account: AccountDistribution, Debit: -total}, Line{Account: AccountYearIncome, Credit: -total})
	}
	for m := range b.ClosedMonths {
		if len(yc.Lines) > 0 && m > fmt.Sprintf("%04d-12", c.Year) {
			// The carry-forward is dated 31 December; it would change the
			// balances that later closed month recorded.
			return nil, &RuleError{Code: "later_period_closed", Field: "data.year",
				Reason:   fmt.Sprintf("month %s is already closed; close %d before closing any later month", m, c.Year),
				ReasonZH: fmt.Sprintf("%s 已结账；须先年终结账 %d 年度，再结账以后的月份", m, c.Year)}
		}
	}
	return []Event{yc}, nil
}
