package domain

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
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

	CmdDefineAccount = "books.define_account"
	CmdOpenBalances  = "books.open_balances"
	CmdTransition    = "books.transition"

	EvAccountDefined    = "books.account_defined"
	EvBalancesOpened    = "books.balances_opened"
	EvChartTransitioned = "books.chart_transitioned"
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
	// Chart is the chart of the years that record none: the one adopted
	// without a year (books kept before charts went by year), or nil.
	Chart *Chart
	// YearCharts is the chart each fiscal year uses, as recorded.
	YearCharts map[int]*Chart
	// Subs are the community's sub-accounts (明细科目), by code.
	Subs     map[string]SubAccount
	children map[string][]string
	// FirstYear is the first fiscal year the books hold (0: none yet);
	// FirstMonth its first month with a posting.
	FirstYear  int
	FirstMonth string
	// MonthLast is, per month, the date of its latest-numbered voucher.
	MonthLast map[string]Date
	// Opened and Transitions are the years that began with opening
	// balances or a change of chart.
	Opened       map[int]bool
	Transitions  map[int]bool
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
	// Assets are the fixed-asset cards (固定资产卡片), by id; Depreciated
	// the voucher of each month's depreciation run, by month (assets.go).
	Assets      map[string]*Asset
	Depreciated map[string]string
}

type posting struct {
	date   Date
	amount Fen // debit positive, credit negative
}

// SubAccount is a community's sub-account (明细科目) under an account of
// the chart or another sub-account: its code is the parent's and two or
// more digits more; it has the class and side of its root account.
type SubAccount struct {
	Code   string `json:"code"`
	Parent string `json:"parent"`
	NameZH string `json:"name_zh"`
	NameEN string `json:"name_en,omitempty"`
}

// NewBooks returns empty books, holding no year yet.
func NewBooks() *Books {
	return &Books{YearCharts: map[int]*Chart{}, Subs: map[string]SubAccount{}, children: map[string][]string{},
		MonthLast: map[string]Date{}, Opened: map[int]bool{}, Transitions: map[int]bool{},
		Vouchers: map[string]*Voucher{}, LastNumber: map[string]int{},
		ClosedMonths: map[string]bool{}, ClosedYears: map[int]bool{}, postings: map[string][]posting{},
		Spent: map[int]map[string]Fen{}, MatterSpent: map[string]Fen{},
		Assets: map[string]*Asset{}, Depreciated: map[string]string{}}
}

// ChartFor returns the chart of a fiscal year: the one recorded for it;
// else the chart of the latest earlier year recorded (a chart changes only
// by a transition); else the chart adopted without a year; else the chart
// the law sets for the year (ChartInForce).
func (b *Books) ChartFor(year int) *Chart {
	if c := b.YearCharts[year]; c != nil {
		return c
	}
	best := 0
	for y := range b.YearCharts {
		if y < year && y > best {
			best = y
		}
	}
	if best > 0 {
		return b.YearCharts[best]
	}
	if b.Chart != nil {
		return b.Chart
	}
	return ChartInForce(year)
}

// AccountOf returns an account of the year's chart or a sub-account (with
// its root's class, side and cash flag, its own code and name).
func (b *Books) AccountOf(year int, code string) (Account, bool) {
	ch := b.ChartFor(year)
	if a, ok := ch.Account(code); ok {
		return a, true
	}
	sub, ok := b.Subs[code]
	if !ok {
		return Account{}, false
	}
	root, ok := b.AccountOf(year, sub.Parent)
	if !ok {
		return Account{}, false
	}
	root.Code, root.NameZH, root.NameEN = sub.Code, sub.NameZH, sub.NameEN
	return root, true
}

// IsLeaf reports whether an account has no sub-accounts: vouchers post to
// leaves only.
func (b *Books) IsLeaf(code string) bool { return len(b.children[code]) == 0 }

// Children returns an account's sub-accounts' codes, sorted.
func (b *Books) Children(code string) []string { return slices.Clone(b.children[code]) }

// descendants returns code and every sub-account below it.
func (b *Books) descendants(code string) []string {
	out := []string{code}
	for _, c := range b.children[code] {
		out = append(out, b.descendants(c)...)
	}
	return out
}

// sideOf returns the normal side of an account in a year's chart, or of
// the chart that last had it (an account of an earlier chart).
func (b *Books) sideOf(code string, year int) string {
	if a, ok := b.AccountOf(year, code); ok {
		return a.Side
	}
	for y := year - 1; y >= b.FirstYear && y > 0; y-- {
		if a, ok := b.AccountOf(y, code); ok {
			return a.Side
		}
	}
	if b.Chart != nil {
		if a, ok := b.Chart.Account(code); ok {
			return a.Side
		}
	}
	if a, ok := DefaultChart().Account(code); ok {
		return a.Side
	}
	return SideDebit
}

// payment is what lines pay out in a year (Chart.Payment).
func (b *Books) payment(year int, lines []Line) Fen { return b.ChartFor(year).Payment(lines) }

// Month returns "YYYY-MM" of a date.
func Month(d Date) string { return fmt.Sprintf("%04d-%02d", d.Year, int(d.Month)) }

// VoucherID returns the id of voucher number n in the month of d.
func VoucherID(d Date, n int) string { return fmt.Sprintf("%s-%03d", Month(d), n) }

// Balance returns an account's balance at the end of date d, with its
// sub-accounts', on its normal side (positive when the balance is on the
// account's normal side).
func (b *Books) Balance(account string, d Date) Fen {
	var sum Fen
	for _, code := range b.descendants(account) {
		for _, p := range b.postings[code] {
			if !p.date.After(d) {
				sum += p.amount
			}
		}
	}
	if b.sideOf(account, d.Year) == SideCredit {
		return -sum
	}
	return sum
}

func (b *Books) post(d Date, lines []Line) {
	if b.FirstYear == 0 || d.Year < b.FirstYear {
		b.FirstYear = d.Year
	}
	if m := Month(d); b.FirstMonth == "" || m < b.FirstMonth {
		b.FirstMonth = m
	}
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
			if e.Year == 0 {
				b.Chart = c
			} else {
				b.YearCharts[e.Year] = c
			}
		}
	case *AccountDefined:
		b.defineSub(e.SubAccount)
	case *BalancesOpened:
		jan1 := Date{Year: e.Year, Month: time.January, Day: 1}
		b.Opened[e.Year] = true
		b.recordVoucher(jan1, &VoucherData{Number: 0, Summary: "期初余额 " + e.Source, Lines: e.Lines, Preparer: e.Preparer}, "")
	case *ChartTransitioned:
		jan1 := Date{Year: e.Year, Month: time.January, Day: 1}
		if c := Charts()[e.To]; c != nil {
			b.YearCharts[e.Year] = c
		}
		for _, code := range e.Retired {
			b.retireSub(code)
		}
		for _, sub := range e.NewSubs {
			b.defineSub(sub)
		}
		b.Transitions[e.Year] = true
		b.recordVoucher(jan1, &VoucherData{Number: 0, Summary: "新旧会计制度衔接 " + e.From + " → " + e.To, Lines: e.Lines}, "")
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
	case *AssetRegistered:
		b.registerAsset(e, date)
	case *DepreciationPosted:
		b.postDepreciation(e, date)
	case *AssetDisposed:
		b.disposeAsset(e, date)
	case *YearClosed:
		// The carry-forward belongs to the last day of the year it closes.
		b.post(Date{Year: e.Year, Month: time.December, Day: 31}, e.Lines)
		b.ClosedYears[e.Year] = true
		for m := 1; m <= 12; m++ {
			b.ClosedMonths[fmt.Sprintf("%04d-%02d", e.Year, m)] = true
		}
	}
}

// isAssetVoucher reports whether a voucher was made by a fixed asset's
// card, depreciation run or disposal.
func (b *Books) isAssetVoucher(id string) bool {
	_, ok := b.AssetVoucher(id)
	return ok
}

func (b *Books) retireSub(code string) {
	sub, ok := b.Subs[code]
	if !ok {
		return
	}
	delete(b.Subs, code)
	b.children[sub.Parent] = slices.DeleteFunc(slices.Clone(b.children[sub.Parent]), func(c string) bool { return c == code })
}

func (b *Books) defineSub(sub SubAccount) {
	if old, ok := b.Subs[sub.Code]; ok {
		if old.Parent == sub.Parent {
			return
		}
		b.retireSub(sub.Code) // the same code under the new chart's parent
	}
	b.Subs[sub.Code] = sub
	b.children[sub.Parent] = append(b.children[sub.Parent], sub.Code)
	slices.Sort(b.children[sub.Parent])
}

func (b *Books) recordVoucher(date Date, v *VoucherData, reverses string) {
	if b.YearCharts[date.Year] == nil {
		// Books kept before charts went by year: the year used the chart
		// of the books as it was then.
		c := b.Chart
		if c == nil {
			c = DefaultChart()
		}
		b.YearCharts[date.Year] = c
	}
	id := VoucherID(date, v.Number)
	m := Month(date)
	if v.Number >= b.LastNumber[m] && v.Number > 0 {
		b.MonthLast[m] = date
	}
	b.LastNumber[m] = max(b.LastNumber[m], v.Number)
	b.post(date, v.Lines)
	pay := b.payment(date.Year, v.Lines)
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
	d.YearCharts = cloneMap(b.YearCharts)
	d.Subs = cloneMap(b.Subs)
	d.children = make(map[string][]string, len(b.children))
	for k, v := range b.children {
		d.children[k] = slices.Clip(v)
	}
	d.MonthLast = cloneMap(b.MonthLast)
	d.Opened = cloneMap(b.Opened)
	d.Transitions = cloneMap(b.Transitions)
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
	d.Assets = cloneAssets(b.Assets)
	d.Depreciated = cloneMap(b.Depreciated)
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
	// ChartAdopted records the chart of accounts of one fiscal year, or,
	// without a year (books kept before charts went by year), of every
	// year that records none.
	ChartAdopted struct {
		Chart   string `json:"chart"`
		Version int    `json:"version"`
		Year    int    `json:"year,omitempty"`
	}
	// AccountDefined records a sub-account (明细科目).
	AccountDefined struct {
		SubAccount
	}
	// BalancesOpened records the opening balances (期初余额) of books
	// started before gongkai, at the start of a year, from the prior
	// year's statement named in Source.
	BalancesOpened struct {
		Year     int    `json:"year"`
		Lines    []Line `json:"lines"`
		Source   string `json:"source"`
		Preparer string `json:"preparer,omitempty"`
	}
	// ChartTransitioned records the change of chart at the start of a year
	// (新旧衔接): each closing balance of the old chart moved into the new
	// one by the mapping, as one balanced voucher, with the sub-accounts
	// carried to their new parents.
	ChartTransitioned struct {
		Year      int          `json:"year"`
		From      string       `json:"from"`
		To        string       `json:"to"`
		ToVersion int          `json:"to_version"`
		Mapping   string       `json:"mapping"`
		Moves     []Move       `json:"moves"`
		Lines     []Line       `json:"lines"`
		NewSubs   []SubAccount `json:"new_subs,omitempty"`
		// Retired are the sub-accounts whose code changed: they are no
		// longer under their old parent.
		Retired  []string `json:"retired_subs,omitempty"`
		Preparer string   `json:"preparer"`
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

func (*ChartAdopted) EventType() string      { return EvChartAdopted }
func (*AccountDefined) EventType() string    { return EvAccountDefined }
func (*BalancesOpened) EventType() string    { return EvBalancesOpened }
func (*ChartTransitioned) EventType() string { return EvChartTransitioned }
func (*VoucherPosted) EventType() string     { return EvVoucherPosted }
func (*VoucherReversed) EventType() string   { return EvVoucherReversed }
func (*CorrectionPosted) EventType() string  { return EvCorrectionPosted }
func (*BalanceAsserted) EventType() string   { return EvBalanceAsserted }
func (*MonthClosed) EventType() string       { return EvMonthClosed }
func (*YearClosed) EventType() string        { return EvYearClosed }

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
		// Year, when set, is the one fiscal year the chart is for.
		Year int `json:"year"`
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
		fe.add("data.chart", "unknown chart; shipped: cn-village-2004 (years before 2024), cn-rural-collective-2023 (from 2024)",
			"未知的科目表；可用：cn-village-2004（2024年以前）、cn-rural-collective-2023（2024年起）")
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
	if err := numberInDateOrder(b, env.Date); err != nil {
		return err
	}
	if err := chartChanged(b, env.Date.Year); err != nil {
		return err
	}
	if b.FirstYear != 0 && env.Date.Year < b.FirstYear {
		return &RuleError{Code: "before_books", Field: "effective_date",
			Reason:   fmt.Sprintf("the books begin in %d: a voucher of %d would fall before their opening", b.FirstYear, env.Date.Year),
			ReasonZH: fmt.Sprintf("账簿从 %d 年度开始，%d 年度的凭证早于开账，不能记入", b.FirstYear, env.Date.Year)}
	}
	year := env.Date.Year
	debited, credited := map[string]bool{}, map[string]bool{}
	for i, l := range v.Lines {
		field := fmt.Sprintf("data.lines[%d].account", i)
		a, ok := b.AccountOf(year, l.Account)
		if !ok || a.Closed {
			return unknownAccount(field, l.Account, b.ChartFor(year).ID)
		}
		if !b.IsLeaf(l.Account) {
			return notLeaf(field, l.Account)
		}
		if (l.Debit != 0 && credited[l.Account]) || (l.Credit != 0 && debited[l.Account]) {
			return &RuleError{Code: "same_account_both_sides", Field: field,
				Reason:   "account " + l.Account + " is both debited and credited in this voucher: net the amounts, or post to two different accounts",
				ReasonZH: "同一科目 " + l.Account + " 在本凭证中既借又贷：请轧差后记一方，或分别记入不同的明细科目"}
		}
		debited[l.Account] = debited[l.Account] || l.Debit != 0
		credited[l.Account] = credited[l.Account] || l.Credit != 0
	}
	if err := cashNotNegative(env, b, v.Lines); err != nil {
		return err
	}
	pay := b.payment(year, v.Lines)
	threshold := env.Community.RuleSetAt(env.Date).SpendingThreshold
	if v.Matter != "" {
		m, err := resolution(env, "data.matter", v.Matter)
		if err != nil {
			return err
		}
		// A payment carries out a resolution: it cannot come before the
		// vote, nor take the payments citing it past the amount it approved.
		if resolved := m.Dates.Get(StageResolved); env.Date.Before(resolved) {
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
	ch := Charts()[c.Chart]
	if c.Year == 0 {
		// Without a year (the form of books kept before charts went by
		// year): only the chart in force in the year of the command.
		if law := ChartInForce(env.Date.Year); ch.ID != law.ID {
			return nil, &RuleError{Code: "chart_not_in_force", Field: "data.chart",
				Reason:   fmt.Sprintf("the chart in force in %d is %s", env.Date.Year, law.ID),
				ReasonZH: fmt.Sprintf("%d 年度执行的会计科目表是 %s", env.Date.Year, law.NameZH)}
		}
		if len(b.Vouchers) > 0 {
			return nil, &RuleError{Code: "chart_in_use", Field: "data.chart",
				Reason: "the books already have vouchers; a new chart is taken up at the start of a year (books.transition)", ReasonZH: "账簿已有凭证，不能直接更换科目表；新科目表须在年初办理新旧衔接"}
		}
		return []Event{&ChartAdopted{Chart: ch.ID, Version: ch.Version}}, nil
	}
	// The chart of a coming year is recorded before its first posting:
	// the chart in force for books that start with it, the chart of the
	// year before for books that go on (a change is a transition).
	held := false
	for y := range b.YearCharts {
		held = held || y >= c.Year
	}
	if held || b.LastPostingYear() >= c.Year {
		return nil, &RuleError{Code: "chart_in_use", Field: "data.year",
			Reason:   fmt.Sprintf("the books already hold %d or a later year: a year's chart is recorded before its first posting", c.Year),
			ReasonZH: fmt.Sprintf("账簿已有 %d 年度或以后的记录：科目表须在该年度第一笔记账之前确定", c.Year)}
	}
	if err := chartChanged(b, c.Year); err != nil {
		return nil, err
	}
	want := ChartInForce(c.Year)
	if b.FirstYear != 0 {
		want = b.ChartFor(c.Year)
	}
	if ch.ID != want.ID {
		return nil, &RuleError{Code: "chart_not_in_force", Field: "data.chart",
			Reason:   fmt.Sprintf("the chart of %d is %s; another chart is taken up by books.transition at the start of a year that follows a closed one", c.Year, want.ID),
			ReasonZH: fmt.Sprintf("%d 年度应使用科目表 %s；更换科目表须在上一年度结账后于年初办理新旧衔接", c.Year, want.ID)}
	}
	return []Event{&ChartAdopted{Chart: ch.ID, Version: ch.Version, Year: c.Year}}, nil
}

func (c *PostVoucher) Decide(env Env) ([]Event, error) {
	b, err := booksEnv(env)
	if err != nil {
		return nil, err
	}
	if err := checkVoucher(env, b, c.data); err != nil {
		return nil, err
	}
	return append(yearChart(b, env.Date.Year), &VoucherPosted{c.data}), nil
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
	return append(yearChart(b, env.Date.Year), &CorrectionPosted{VoucherData: c.data, Corrects: c.Corrects, Reason: c.Reason}), nil
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
	case b.isAssetVoucher(orig.ID):
		return nil, &RuleError{Code: "reversal_of_asset_voucher", Field: "data.voucher",
			Reason:   "voucher " + orig.ID + " belongs to a fixed asset (its card, a depreciation run or a disposal): reversing it would leave the cards out of step with the books",
			ReasonZH: "凭证 " + orig.ID + " 属于固定资产（资产登记、计提折旧或处置），冲销会使资产卡片与账簿不符，不能冲销"}
	case strings.HasSuffix(orig.ID, "-000"):
		return nil, &RuleError{Code: "reversal_of_opening", Field: "data.voucher",
			Reason:   "voucher " + orig.ID + " is the year's opening balances or its change of chart: it is not reversed; correct a balance with a new voucher",
			ReasonZH: "凭证 " + orig.ID + " 是年初余额或新旧衔接凭证，不能冲销；余额有误请另编凭证调整"}
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
	if err := numberInDateOrder(b, env.Date); err != nil {
		return nil, err
	}
	mirror := make([]Line, len(orig.Lines))
	for i, l := range orig.Lines {
		mirror[i] = Line{Account: l.Account, Debit: -l.Debit, Credit: -l.Credit}
	}
	// Reversing a receipt takes the money out again: cash may not go
	// below zero for it either.
	if err := cashNotNegative(env, b, mirror); err != nil {
		return nil, err
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
	if _, ok := b.AccountOf(env.Date.Year, c.Account); !ok {
		return nil, unknownAccount("data.account", c.Account, b.ChartFor(env.Date.Year).ID)
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
	// A month of a year waiting for its change of chart stays open: the
	// transition posts into its first day.
	if err := chartChanged(b, y); err != nil {
		return nil, err
	}
	if b.ClosedMonths[c.Month] || b.ClosedYears[y] {
		return nil, &RuleError{Code: "period_closed", Field: "data.month",
			Reason: "month " + c.Month + " is already closed", ReasonZH: c.Month + " 已结账"}
	}
	end := monthEnd(y, m)
	if env.Date.Before(end) {
		return nil, &RuleError{Code: "month_not_over", Field: "effective_date",
			Reason: "a month is closed on its last day or later", ReasonZH: "月份未结束，不能结账"}
	}
	// Months close in order within a year, from the books' first month.
	for mm := 1; mm < m; mm++ {
		prior := fmt.Sprintf("%04d-%02d", y, mm)
		if b.FirstMonth != "" && prior >= b.FirstMonth && !b.ClosedMonths[prior] {
			return nil, &RuleError{Code: "earlier_month_open", Field: "data.month",
				Reason:   fmt.Sprintf("close %s first: months are closed in order", prior),
				ReasonZH: fmt.Sprintf("请先结账 %s：月份须依次结账", prior)}
		}
	}
	ch := b.ChartFor(y)
	mc := &MonthClosed{Month: c.Month}
	for _, v := range b.Vouchers {
		if Month(v.Date) == c.Month {
			for _, l := range v.Lines {
				mc.Debits += l.Debit
				mc.Credits += l.Credit
			}
		}
	}
	for _, a := range ch.Accounts {
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
	// Years close in order, from the first the books hold, and never
	// after a later year.
	for y := b.FirstYear; y > 0 && y < c.Year; y++ {
		if !b.ClosedYears[y] {
			return nil, &RuleError{Code: "earlier_year_open", Field: "data.year",
				Reason:   fmt.Sprintf("close %d first: years are closed in order from the books' first, %d", y, b.FirstYear),
				ReasonZH: fmt.Sprintf("请先年终结账 %d 年度：年度须从账簿的第一个年度（%d）起依次结账", y, b.FirstYear)}
		}
	}
	for y := range b.ClosedYears {
		if y > c.Year {
			return nil, &RuleError{Code: "later_year_closed", Field: "data.year",
				Reason:   fmt.Sprintf("%d is closed already: %d cannot be closed after a later year", y, c.Year),
				ReasonZH: fmt.Sprintf("%d 年度已结账，不能在其后再结账更早的 %d 年度", y, c.Year)}
		}
	}
	if b.FirstYear != 0 && c.Year < b.FirstYear {
		return nil, &RuleError{Code: "before_books", Field: "data.year",
			Reason: fmt.Sprintf("the books begin in %d", b.FirstYear), ReasonZH: fmt.Sprintf("账簿从 %d 年度开始", b.FirstYear)}
	}
	var open []string
	for _, v := range b.Vouchers {
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
	ch := b.ChartFor(c.Year)
	income, dist := ch.YearIncome, ch.Distribution
	yc := &YearClosed{Year: c.Year}
	// Every leaf of an income or expense account, sub-accounts included,
	// is carried to 本年收益 with its own balance.
	codes := make([]string, 0, len(b.postings))
	for code := range b.postings {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	for _, code := range codes {
		a, ok := b.AccountOf(c.Year, code)
		if !ok || code == income {
			continue
		}
		var own Fen
		for _, p := range b.postings[code] {
			if !p.date.After(end) {
				own += p.amount
			}
		}
		switch {
		case own == 0:
		case a.Class == ClassIncome: // credit balance: Dr income, Cr 本年收益
			yc.Lines = append(yc.Lines, Line{Account: code, Debit: -own}, Line{Account: income, Credit: -own})
			yc.NetIncome -= own
		case a.Class == ClassExpense: // debit balance: Dr 本年收益, Cr expense
			yc.Lines = append(yc.Lines, Line{Account: income, Debit: own}, Line{Account: code, Credit: own})
			yc.NetIncome -= own
		}
	}
	// 本年收益 as it stood plus this year's result goes to 收益分配.
	total := b.Balance(income, end) + yc.NetIncome
	if total > 0 {
		yc.Lines = append(yc.Lines, Line{Account: income, Debit: total}, Line{Account: dist, Credit: total})
	} else if total < 0 {
		yc.Lines = append(yc.Lines, Line{Account: dist, Debit: -total}, Line{Account: income, Credit: -total})
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
