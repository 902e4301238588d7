package domain

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Fixed assets (固定资产) on the books aggregate: a card for each asset
// (固定资产卡片), the month's depreciation (计提折旧) posted as one
// generated voucher, and disposal through the clearing account (固定资产
// 清理).
//
// # The rules and where they come from
//
// The Ministry's own text of 《农村集体经济组织会计制度》(财会〔2023〕14号)
// could not be read from the stored sources (see docs/sources/
// accounting-2023.md: its appendix is not reachable). The rules below are
// those that its predecessor and its sibling, both read in full, state in
// the same words; where they differ, the choice is said.
//
//   - [V04] 《村集体经济组织会计制度》(财会〔2004〕12号), 二（十五）（十七）
//     （十八）and the 使用说明 of 151, 152, 153, full text at
//     https://github.com/zhaoyh603/zhaoyh603.github.io/blob/a541d818bdd178cccc900d88e56f110e9857ef0d/docs/zd/cjtkj.md
//   - [C21] 《农民专业合作社会计制度》(财会〔2021〕37号), the Ministry's
//     revision of the cooperatives' system two years before the 2023 one, in
//     the same form (第二十五条 to 第二十八条), full text at
//     https://github.com/zhaoyh603/zhaoyh603.github.io/blob/a541d818bdd178cccc900d88e56f110e9857ef0d/docs/zd/08nchzzz.md
//
// Methods. "年限平均法" or "工作量法" ([V04] 二（十七）; [C21] 第二十六条:
// "按照年限平均法或工作量法计提折旧"); once chosen, not changed at will.
// gongkai implements 年限平均法 (MethodStraightLine). 工作量法 needs each
// month's measured work of each asset (a meter reading), which no command
// carries yet; it is left out rather than guessed.
//
// What is depreciated. Every fixed asset "但以名义金额计价的固定资产除外"
// ([C21] 第二十六条): an asset recorded at a nominal amount (名义金额,
// 1 yuan, for a donation that cannot be valued) is not depreciated; its card
// says MethodNone. Assets for public-welfare use are depreciated: [V04] 152
// 使用说明二 charges their depreciation to 其他支出; the 2023 chart has 514
// 公益支出 for it. The card names the account its depreciation is charged
// to, by use: 生产（劳务）成本 or 经营支出 for production, 管理费用 for
// administration, 公益支出 for public welfare ([V04] 152 使用说明二: "根据
// …受益对象计入相关资产成本或者当期损益", [C21] 第二十六条). Land is not a
// fixed asset of a collective's books (collective land is owned, not
// bought) and needs no rule here.
//
// When. Monthly ([C21] 第二十六条 "按月计提"; [V04] allowed year, quarter or
// month). "当月增加的固定资产，当月不计提折旧，从下月起计提折旧；当月减少
// 的固定资产，当月仍计提折旧，从下月起不再计提折旧" ([V04] 二（十七）,
// [C21] 第二十六条, word for word the same): an asset acquired in March is
// first depreciated for April; one disposed of in June is depreciated for
// June, in the disposal voucher if the June run has not yet taken it.
// "固定资产提足折旧后，不论能否继续使用，均不再计提折旧；提前报废的固定
// 资产，也不再补提折旧": a fully depreciated asset drops out of the run, and
// a disposal never catches up the depreciation not yet charged.
//
// Donated assets. [V04] 151 使用说明五: "收到捐赠的全新固定资产…借记本
// 科目，贷记“公积公益金”科目" and 二（二十四） "接受捐赠的资产计入公积
// 公益金"; [C21] 第四十一条 likewise puts donated assets into owners'
// equity (专项基金, the cooperatives' counterpart), not into income. So a
// donated asset's card posts Dr 固定资产 / Cr 公积公益金 (311 in both
// charts). An asset bought, built or transferred in was already posted by
// its own voucher (Dr 固定资产, Cr 银行存款, 在建工程, 应付款, 资本…): its
// card cites that voucher and posts nothing.
//
// Disposal. [V04] 153 使用说明二: "转入清理时，按固定资产账面净值，借记
// 本科目…按已提折旧，借记“累计折旧”科目，按固定资产原价，贷记“固定资产”
// 科目"; sale proceeds are credited to the clearing account; the net gain or
// loss is carried to 其他收入 or 其他支出 when the clearing is complete
// ([V04] 153 使用说明四; [C21] 第二十八条). The clearing account is found
// by its name, 固定资产清理: 153 in the 2004 chart, 154 in the 2023 chart.
// Closing the clearing account (清理费用, then the net gain or loss) is an
// ordinary voucher, posted when the clearing is done.
//
// # Rounding
//
// All amounts are whole fen, computed with integers:
//
//	residual = cost × rate, rounded to the fen, half up
//	monthly  = (cost − residual) ÷ life in months, rounded to the fen, half up
//
// Month k of the life (k = 1 … life) is charged monthly, except that the
// last month of the life takes whatever remains, so that the months add up
// to cost − residual exactly; and no month takes more than remains (when
// rounding up makes monthly × (life − 1) exceed the depreciable amount, the
// asset is fully depreciated a little early and the later months charge
// nothing). Each month's figures are recorded in its event: replay never
// recomputes money.
//
// A month closed without its run (the month's close does not yet require
// one) is not lost: the next run, in an open month, charges the missed
// months' amounts with its own (补提), each month by the rule above, and
// names them (DepreciationItem.CaughtUp) — an error corrected in the
// period it is found ([C21] 第五十九条). A missed month that is still open
// is refused instead: post it first.

// Methods of depreciation.
const (
	// MethodStraightLine is 年限平均法: the depreciable amount spread
	// evenly over the useful life in months.
	MethodStraightLine = "straight_line"
	// MethodNone marks an asset that is not depreciated: one recorded at a
	// nominal amount (名义金额).
	MethodNone = "none"
)

// How a fixed asset came onto the books.
const (
	// AcquisitionPosted: bought, built or transferred in, by a voucher
	// already posted; the card cites it.
	AcquisitionPosted = "posted"
	// AcquisitionDonated: received as a donation (接受捐赠); registering
	// the card posts Dr 固定资产 / Cr 公积公益金.
	AcquisitionDonated = "donated"
)

// Fixed-asset commands and events of the books aggregate.
const (
	CmdRegisterAsset    = "books.register_asset"
	CmdPostDepreciation = "books.post_depreciation"
	CmdDisposeAsset     = "books.dispose_asset"

	EvAssetRegistered    = "books.asset_registered"
	EvDepreciationPosted = "books.depreciation_posted"
	EvAssetDisposed      = "books.asset_disposed"
)

// AssetAccounts are the accounts of a fixed asset: the asset account
// (固定资产 or a sub-account), the accumulated depreciation account (累计
// 折旧 or a sub-account) and the account its depreciation is charged to.
// They are codes of the chart of the year the asset was acquired; a later
// year on another chart carries them by the transition mapping.
type AssetAccounts struct {
	Asset        string `json:"asset"`
	Depreciation string `json:"depreciation,omitempty"`
	Expense      string `json:"expense,omitempty"`
}

// AssetCard is what a fixed-asset card (固定资产卡片) records when the asset
// is registered.
type AssetCard struct {
	Asset       string `json:"asset"`
	Name        string `json:"name"`
	Category    string `json:"category"`
	Acquisition string `json:"acquisition"`
	// Acquired is the date of acquisition, the registration's effective
	// date; depreciation starts the month after.
	Acquired Date `json:"acquired"`
	// Voucher is the voucher that put the asset on the books: the one
	// cited, or the one registration posted for a donation.
	Voucher string `json:"voucher"`
	Donor   string `json:"donor,omitempty"`
	Matter  string `json:"matter,omitempty"`
	// Cost is the original value (原值).
	Cost   Fen    `json:"cost"`
	Method string `json:"method"`
	// LifeMonths is the useful life in months; ResidualRate the residual
	// rate (残值率) in basis points (500 is 5%); Residual the residual
	// value (预计净残值) and Monthly the monthly amount, both computed by the
	// rounding rule and recorded.
	LifeMonths   int           `json:"useful_life_months"`
	ResidualRate int           `json:"residual_rate_bp"`
	Residual     Fen           `json:"residual"`
	Monthly      Fen           `json:"monthly"`
	Accounts     AssetAccounts `json:"accounts"`
}

// Depreciable returns the amount depreciated over the asset's life:
// cost less residual value.
func (c AssetCard) Depreciable() Fen {
	if c.Method != MethodStraightLine {
		return 0
	}
	return c.Cost - c.Residual
}

// Asset is a fixed asset as the books hold it: its card and what has
// happened to it since.
type Asset struct {
	AssetCard
	// Accumulated is the depreciation charged so far (累计折旧), Months the
	// months charged, LastMonth the last of them ("2025-03").
	Accumulated Fen    `json:"accumulated"`
	Months      int    `json:"months"`
	LastMonth   string `json:"last_month,omitempty"`
	// Disposed is the date it went to the clearing account (zero while in
	// use), DisposedBy that voucher.
	Disposed   Date   `json:"disposed"`
	DisposedBy string `json:"disposed_by,omitempty"`
}

// BookValue returns cost less accumulated depreciation (账面净值).
func (a *Asset) BookValue() Fen { return a.Cost - a.Accumulated }

// nextAmount returns the depreciation of the asset's next month by the
// rounding rule: monthly, the last month of its life what remains, never
// more than remains.
func (a *Asset) nextAmount() Fen {
	left := a.Depreciable() - a.Accumulated
	if left <= 0 {
		return 0
	}
	if a.Months+1 >= a.LifeMonths {
		return left
	}
	return min(a.Monthly, left)
}

// dueIn reports whether the asset is to be depreciated for month m: in use,
// depreciated by its method, acquired before m, not yet depreciated for m
// and not fully depreciated.
func (a *Asset) dueIn(m string) bool {
	return a.Disposed.IsZero() && a.Method == MethodStraightLine && m > Month(a.Acquired) &&
		m > a.LastMonth && a.nextAmount() > 0
}

// dueAmount returns what the asset is charged for month m, which it is
// due for: the month's amount by the rounding rule, and before it the
// amounts of earlier months it was due for and missed, if those months are
// closed (补提: an error is corrected in the period it is found). A missed
// month still open is refused: post it first.
func (b *Books) dueAmount(a *Asset, m, field string) (amount Fen, months int, caught []string, err error) {
	c := *a
	first := c.LastMonth
	if first == "" {
		first = Month(c.Acquired)
	}
	for gap := nextMonth(first); gap < m; gap = nextMonth(gap) {
		var y, mm int
		fmt.Sscanf(gap, "%d-%d", &y, &mm)
		if periodOpen(b, monthEnd(y, mm)) == nil {
			return 0, 0, nil, &RuleError{Code: "depreciation_gap", Field: field,
				Reason:   fmt.Sprintf("asset %s was due for depreciation in %s and has none: post %s first", a.Asset, gap, gap),
				ReasonZH: fmt.Sprintf("固定资产 %s 在 %s 应计提折旧而未计提：请先计提 %s 的折旧，再办理 %s", a.Asset, gap, gap, m)}
		}
		amt := c.nextAmount()
		if amt == 0 {
			break
		}
		amount += amt
		c.Accumulated += amt
		c.Months++
		caught = append(caught, gap)
	}
	if amt := c.nextAmount(); amt > 0 {
		amount += amt
		c.Months++
	}
	return amount, c.Months - a.Months, caught, nil
}

func nextMonth(m string) string {
	var y, mm int
	fmt.Sscanf(m, "%d-%d", &y, &mm)
	if mm == 12 {
		return fmt.Sprintf("%04d-01", y+1)
	}
	return fmt.Sprintf("%04d-%02d", y, mm+1)
}

// divRound returns a ÷ b rounded to the nearest integer, halves up
// (a ≥ 0, b > 0).
func divRound(a, b int64) int64 { return (2*a + b) / (2 * b) }

// DepreciationSchedule returns the monthly amounts of a straight-line
// asset over its whole life by the rounding rule, with the residual value.
// Cost is at most MaxFen, rate below 10000 basis points and life at least
// one month; for any other input it returns no months.
func DepreciationSchedule(cost Fen, rateBP, life int) (residual Fen, months []Fen) {
	if cost < 0 || cost > MaxFen || rateBP < 0 || rateBP >= 10_000 || life < 1 {
		return 0, nil
	}
	residual = Fen(divRound(int64(cost)*int64(rateBP), 10_000))
	a := &Asset{AssetCard: AssetCard{Method: MethodStraightLine, Cost: cost, Residual: residual, LifeMonths: life,
		Monthly: Fen(divRound(int64(cost-residual), int64(life)))}}
	for i := 0; i < life; i++ {
		amt := a.nextAmount()
		months = append(months, amt)
		a.Accumulated += amt
		a.Months++
	}
	return residual, months
}

// Fixed-asset events.
type (
	// AssetRegistered records a fixed-asset card; for a donated asset,
	// Posted is the voucher registering posted (Dr 固定资产, Cr 公积公益金).
	AssetRegistered struct {
		AssetCard
		Posted *VoucherData `json:"posted,omitempty"`
	}
	// DepreciationPosted records a month's depreciation (计提折旧) as one
	// voucher, dated the month's last day: the voucher and, per asset, the
	// amount charged.
	DepreciationPosted struct {
		Month string `json:"month"`
		VoucherData
		Items []DepreciationItem `json:"items"`
	}
	// AssetDisposed records a fixed asset moved into the clearing account
	// (固定资产清理) by a voucher: Dr 累计折旧 (what it held for the asset),
	// Dr the expense (the month's depreciation, when the asset is due for
	// the month and the month's run has not taken it), Dr the proceeds
	// account, Dr or Cr 固定资产清理 (book value less proceeds), Cr 固定资产
	// (cost). The month's depreciation is netted out of 累计折旧 rather than
	// credited and debited to it in one voucher.
	AssetDisposed struct {
		Asset  string `json:"asset"`
		Reason string `json:"reason"`
		Cost   Fen    `json:"cost"`
		// Depreciation is the month's depreciation charged here, to
		// Expense, with that of earlier closed months it missed (CaughtUp,
		// 补提); Months the months depreciated in all; Accumulated all
		// the asset's depreciation, this month's included; BookValue cost
		// less Accumulated.
		Depreciation    Fen      `json:"depreciation"`
		Months          int      `json:"months"`
		CaughtUp        []string `json:"caught_up,omitempty"`
		Expense         string   `json:"expense,omitempty"`
		Accumulated     Fen      `json:"accumulated"`
		BookValue       Fen      `json:"book_value"`
		Proceeds        Fen      `json:"proceeds"`
		ProceedsAccount string   `json:"proceeds_account,omitempty"`
		Clearing        string   `json:"clearing"`
		VoucherData
	}
)

// DepreciationItem is one asset's depreciation in a month's run.
type DepreciationItem struct {
	Asset string `json:"asset"`
	// Expense is the account debited, Account the accumulated
	// depreciation account credited, in the month's chart.
	Expense string `json:"expense"`
	Account string `json:"account"`
	Amount  Fen    `json:"amount"`
	// Accumulated and Months are the asset's totals after this month.
	Accumulated Fen `json:"accumulated"`
	Months      int `json:"months"`
	// CaughtUp are earlier months, closed without the asset's
	// depreciation, whose amounts this month's includes (补提).
	CaughtUp []string `json:"caught_up,omitempty"`
}

func (*AssetRegistered) EventType() string    { return EvAssetRegistered }
func (*DepreciationPosted) EventType() string { return EvDepreciationPosted }
func (*AssetDisposed) EventType() string      { return EvAssetDisposed }

func (b *Books) registerAsset(e *AssetRegistered, date Date) {
	if e.Posted != nil {
		b.recordVoucher(date, e.Posted, "")
	}
	if b.Assets == nil {
		b.Assets = map[string]*Asset{}
	}
	b.Assets[e.Asset] = &Asset{AssetCard: e.AssetCard}
}

func (b *Books) postDepreciation(e *DepreciationPosted, date Date) {
	b.recordVoucher(date, &e.VoucherData, "")
	if b.Depreciated == nil {
		b.Depreciated = map[string]string{}
	}
	b.Depreciated[e.Month] = VoucherID(date, e.Number)
	for _, it := range e.Items {
		if a := b.Assets[it.Asset]; a != nil {
			a.Accumulated, a.Months, a.LastMonth = it.Accumulated, it.Months, e.Month
		}
	}
}

func (b *Books) disposeAsset(e *AssetDisposed, date Date) {
	b.recordVoucher(date, &e.VoucherData, "")
	a := b.Assets[e.Asset]
	if a == nil {
		return
	}
	if e.Depreciation > 0 {
		a.LastMonth = Month(date)
	}
	a.Accumulated, a.Months = e.Accumulated, e.Months
	a.Disposed, a.DisposedBy = date, VoucherID(date, e.Number)
}

func cloneAssets(m map[string]*Asset) map[string]*Asset {
	d := make(map[string]*Asset, len(m))
	for k, a := range m {
		c := *a
		d[k] = &c
	}
	return d
}

// Fixed-asset commands.
type (
	// RegisterAsset registers a fixed-asset card on its acquisition date
	// (the effective date). A bought, built or transferred asset
	// (acquisition "posted") cites the voucher that put it on the books,
	// in the same month; a donated one (acquisition "donated") posts Dr
	// 固定资产 / Cr 公积公益金 as the next voucher of the month.
	RegisterAsset struct {
		Asset        string        `json:"asset"`
		Name         string        `json:"name"`
		Category     string        `json:"category"`
		Acquisition  string        `json:"acquisition"`
		Voucher      string        `json:"voucher"`
		Donor        string        `json:"donor"`
		Cost         Yuan          `json:"cost"`
		Method       string        `json:"method"`
		LifeMonths   int           `json:"useful_life_months"`
		ResidualRate string        `json:"residual_rate"`
		Accounts     AssetAccounts `json:"accounts"`
		// EquityAccount is the account a donation is credited to, 公积公益金
		// by default.
		EquityAccount string `json:"equity_account"`
		Matter        string `json:"matter"`
		Preparer      string `json:"preparer"`
		Reviewer      string `json:"reviewer"`
		Approver      string `json:"approver"`
		cost          Fen
		rate          int
	}
	// PostDepreciation posts a month's depreciation of every asset due, as
	// one voucher numbered next in the month and dated its last day (the
	// effective date).
	PostDepreciation struct {
		Month    string `json:"month"`
		Preparer string `json:"preparer"`
		Reviewer string `json:"reviewer"`
		Approver string `json:"approver"`
	}
	// DisposeAsset moves a fixed asset into the clearing account (固定资产
	// 清理) by a voucher numbered next in the month, with the proceeds, if
	// any, received into ProceedsAccount (银行存款 by default).
	DisposeAsset struct {
		Asset           string `json:"asset"`
		Reason          string `json:"reason"`
		Proceeds        Yuan   `json:"proceeds"`
		ProceedsAccount string `json:"proceeds_account"`
		ClearingAccount string `json:"clearing_account"`
		Matter          string `json:"matter"`
		Preparer        string `json:"preparer"`
		Reviewer        string `json:"reviewer"`
		Approver        string `json:"approver"`
		proceeds        Fen
	}
)

func (*RegisterAsset) CommandType() string    { return CmdRegisterAsset }
func (*PostDepreciation) CommandType() string { return CmdPostDepreciation }
func (*DisposeAsset) CommandType() string     { return CmdDisposeAsset }

var rateRE = regexp.MustCompile(`^(\d{1,2})(?:\.(\d{1,2}))?%$`)

// parseRate reads a rate written "5%", "4.5%" or "3.25%" (below 100%) as
// basis points.
func parseRate(s string) (int, bool) {
	m := rateRE.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	whole, _ := strconv.Atoi(m[1])
	frac := m[2]
	for len(frac) < 2 {
		frac += "0"
	}
	f, _ := strconv.Atoi(frac)
	return whole*100 + f, true
}

func checkID(fe *fieldErrors, field, s string, required bool) {
	if (s != "" || required) && !ValidAggregateID(s) {
		fe.add(field, "required: letters, digits, - and _ only, at most 64", "必填：仅限字母、数字、- 或 _，最多64个字符")
	}
}

func checkAccountCode(fe *fieldErrors, field, s string) {
	if s != "" && !subCodeRE.MatchString(s) {
		fe.add(field, "an account code of 3 to 12 digits", "科目编码须为3至12位数字")
	}
}

func checkSigners(fe *fieldErrors, preparer, reviewer, approver string) {
	checkText(fe, "data.preparer", preparer, 1, 50, false)
	checkText(fe, "data.reviewer", reviewer, 0, 50, false)
	checkText(fe, "data.approver", approver, 0, 50, false)
}

func (c *RegisterAsset) Validate() error {
	var fe fieldErrors
	checkID(&fe, "data.asset", c.Asset, true)
	checkText(&fe, "data.name", c.Name, 1, 100, false)
	checkText(&fe, "data.category", c.Category, 1, 50, false)
	c.cost = parseAmount(&fe, "data.cost", c.Cost, false)
	checkAccountCode(&fe, "data.accounts.asset", c.Accounts.Asset)
	checkAccountCode(&fe, "data.accounts.depreciation", c.Accounts.Depreciation)
	checkAccountCode(&fe, "data.accounts.expense", c.Accounts.Expense)
	checkAccountCode(&fe, "data.equity_account", c.EquityAccount)
	checkID(&fe, "data.matter", c.Matter, false)
	switch c.Method {
	case MethodStraightLine:
		if c.LifeMonths < 1 || c.LifeMonths > 1200 {
			fe.add("data.useful_life_months", "required: the useful life in months, 1 to 1200", "必填：预计使用月数，1至1200")
		}
		rate, ok := parseRate(c.ResidualRate)
		c.rate = rate
		switch {
		case !ok:
			fe.add("data.residual_rate", `required: the residual rate below 100%, such as "5%" or "4.5%"`, `必填：残值率，须小于100%，如 "5%" 或 "4.5%"`)
		case len(fe) == 0 && c.cost-Fen(divRound(int64(c.cost)*int64(rate), 10_000)) <= 0:
			fe.add("data.residual_rate", "the residual value takes the whole cost: nothing would be depreciated", "预计净残值等于原值，没有可计提的折旧")
		}
		if c.Accounts.Expense == "" {
			fe.add("data.accounts.expense", "required: the account the depreciation is charged to, by the asset's use (管理费用, 经营支出, 公益支出, 生产（劳务）成本)",
				"必填：折旧费用科目，按用途选择管理费用、经营支出、公益支出或生产（劳务）成本")
		}
	case MethodNone:
		if c.LifeMonths != 0 || c.ResidualRate != "" || c.Accounts.Expense != "" || c.Accounts.Depreciation != "" {
			fe.add("data.method", "an asset that is not depreciated has no useful life, residual rate, expense or depreciation account",
				"不计提折旧的固定资产不填使用月数、残值率、折旧费用科目和累计折旧科目")
		}
	default:
		fe.add("data.method", `must be "straight_line" (年限平均法) or "none" (not depreciated: an asset at a nominal amount)`,
			`须为 "straight_line"（年限平均法）或 "none"（不计提折旧，如以名义金额计量的资产）`)
	}
	switch c.Acquisition {
	case AcquisitionPosted:
		if c.Voucher == "" || len(c.Voucher) > 20 {
			fe.add("data.voucher", "required: the id of the voucher that put the asset on the books, such as 2025-04-008", "必填：固定资产入账凭证编号，如 2025-04-008")
		}
		if c.Donor != "" || c.EquityAccount != "" || c.Preparer != "" || c.Reviewer != "" || c.Approver != "" {
			fe.add("data.acquisition", "donor, equity_account and the signers belong to a donated asset, whose registration posts a voucher",
				"捐赠人、贷方科目和制单、审核、审批人仅用于接受捐赠的资产（登记时生成凭证）")
		}
	case AcquisitionDonated:
		if c.Voucher != "" {
			fe.add("data.voucher", "a donated asset's voucher is posted by its registration: give none", "接受捐赠的资产由登记生成凭证，不填凭证编号")
		}
		checkText(&fe, "data.donor", c.Donor, 1, 100, false)
		checkSigners(&fe, c.Preparer, c.Reviewer, c.Approver)
	default:
		fe.add("data.acquisition", `must be "posted" (bought, built or transferred in by a voucher already posted) or "donated" (接受捐赠)`,
			`须为 "posted"（购入、自建或调入，已有入账凭证）或 "donated"（接受捐赠）`)
	}
	return fe.err()
}

func (c *PostDepreciation) Validate() error {
	var fe fieldErrors
	if !monthRE.MatchString(c.Month) {
		fe.add("data.month", "required: a month written YYYY-MM", "必填：月份，格式 YYYY-MM")
	}
	checkSigners(&fe, c.Preparer, c.Reviewer, c.Approver)
	return fe.err()
}

func (c *DisposeAsset) Validate() error {
	var fe fieldErrors
	checkID(&fe, "data.asset", c.Asset, true)
	checkText(&fe, "data.reason", c.Reason, 1, 500, true)
	if c.Proceeds != "" {
		c.proceeds = parseAmount(&fe, "data.proceeds", c.Proceeds, false)
	} else if c.ProceedsAccount != "" {
		fe.add("data.proceeds_account", "give the proceeds with their account", "填写收款科目时须填写处置收入")
	}
	checkAccountCode(&fe, "data.proceeds_account", c.ProceedsAccount)
	checkAccountCode(&fe, "data.clearing_account", c.ClearingAccount)
	checkID(&fe, "data.matter", c.Matter, false)
	checkSigners(&fe, c.Preparer, c.Reviewer, c.Approver)
	return fe.err()
}

// assetCodes are the codes of a chart's fixed-asset accounts, found by
// their names: 固定资产, 累计折旧, 固定资产清理 (153 in the 2004 chart, 154
// in the 2023 chart) and 公积公益金.
type assetCodes struct{ asset, accumulated, clearing, equity string }

func assetCodesOf(ch *Chart) (assetCodes, error) {
	var c assetCodes
	for _, a := range ch.Accounts {
		switch a.NameZH {
		case "固定资产":
			c.asset = a.Code
		case "累计折旧":
			c.accumulated = a.Code
		case "固定资产清理":
			c.clearing = a.Code
		case "公积公益金":
			c.equity = a.Code
		}
	}
	if c.asset == "" || c.accumulated == "" || c.clearing == "" || c.equity == "" {
		return c, &RuleError{Code: "chart_without_fixed_assets", Field: "effective_date",
			Reason:   "chart " + ch.ID + " lacks 固定资产, 累计折旧, 固定资产清理 or 公积公益金",
			ReasonZH: "科目表 " + ch.ID + " 缺少固定资产、累计折旧、固定资产清理或公积公益金科目"}
	}
	return c, nil
}

// leafUnder checks that code is an open leaf account of the year's chart
// at or under the chart account root.
func (b *Books) leafUnder(year int, field, code, root, rootName string) error {
	a, ok := b.AccountOf(year, code)
	switch {
	case !ok || a.Closed:
		return unknownAccount(field, code, b.ChartFor(year).ID)
	case b.rootOf(code) != root:
		return &RuleError{Code: "asset_account_kind", Field: field,
			Reason:   fmt.Sprintf("account %s is not %s (%s) or one of its sub-accounts", code, rootName, root),
			ReasonZH: fmt.Sprintf("科目 %s 不是%s（%s）或其明细科目", code, rootName, root)}
	case !b.IsLeaf(code):
		return notLeaf(field, code)
	}
	return nil
}

// expenseAccount checks that code is an open leaf expense or cost account
// of the year's chart: where depreciation is charged.
func (b *Books) expenseAccount(year int, field, code string) error {
	a, ok := b.AccountOf(year, code)
	switch {
	case !ok || a.Closed:
		return unknownAccount(field, code, b.ChartFor(year).ID)
	case a.Class != ClassExpense && a.Class != ClassCost:
		return &RuleError{Code: "expense_account_kind", Field: field,
			Reason:   fmt.Sprintf("account %s (%s) is not an expense or cost account: depreciation is charged to one, by the asset's use", code, a.NameZH),
			ReasonZH: fmt.Sprintf("科目 %s（%s）不是费用或成本类科目：折旧按用途计入管理费用、经营支出、公益支出或生产（劳务）成本等", code, a.NameZH)}
	case !b.IsLeaf(code):
		return notLeaf(field, code)
	}
	return nil
}

// carryCode returns the code in year to of an account of year from's
// chart: through the mapping of each change of chart between them, a
// sub-account under its parent's new code with its own suffix.
func (b *Books) carryCode(code string, from, to int) (string, bool) {
	for y := from + 1; y <= to; y++ {
		prev, cur := b.ChartFor(y-1), b.ChartFor(y)
		if prev.ID == cur.ID {
			continue
		}
		t := TransitionBetween(prev.ID, cur.ID)
		if t == nil {
			return "", false
		}
		var carry func(string) (string, bool)
		carry = func(c string) (string, bool) {
			if sub, ok := b.Subs[c]; ok {
				p, ok := carry(sub.Parent)
				return p + strings.TrimPrefix(c, sub.Parent), ok
			}
			n, ok := t.Map[c]
			return n, ok && n != ""
		}
		var ok bool
		if code, ok = carry(code); !ok {
			return "", false
		}
	}
	return code, true
}

// accountFor returns an asset's account in year: carried from the
// acquisition year's chart, and checked by check.
func (b *Books) accountFor(a *Asset, year int, field, code string, check func(code string) error) (string, error) {
	c, ok := b.carryCode(code, a.Acquired.Year, year)
	if !ok {
		return "", &RuleError{Code: "asset_account_unmapped", Field: field,
			Reason:   fmt.Sprintf("asset %s's account %s of %d has no place in the chart of %d", a.Asset, code, a.Acquired.Year, year),
			ReasonZH: fmt.Sprintf("固定资产 %s 的科目 %s（%d 年度）在 %d 年度的科目表中没有对应科目", a.Asset, code, a.Acquired.Year, year)}
	}
	if err := check(c); err != nil {
		var re *RuleError
		if errors.As(err, &re) {
			re.Reason = "asset " + a.Asset + ": " + re.Reason
			re.ReasonZH = "固定资产 " + a.Asset + "：" + re.ReasonZH
		}
		return "", err
	}
	return c, nil
}

func (c *RegisterAsset) Decide(env Env) ([]Event, error) {
	b, err := booksEnv(env)
	if err != nil {
		return nil, err
	}
	year, month := env.Date.Year, Month(env.Date)
	if _, ok := b.Assets[c.Asset]; ok {
		return nil, &RuleError{Code: "asset_exists", Field: "data.asset",
			Reason: "asset " + c.Asset + " is registered already", ReasonZH: "固定资产编号 " + c.Asset + " 已登记"}
	}
	if err := periodOpen(b, env.Date); err != nil {
		return nil, err
	}
	if err := chartChanged(b, year); err != nil {
		return nil, err
	}
	for m, id := range b.Depreciated {
		if m > month {
			return nil, &RuleError{Code: "depreciation_posted_later", Field: "effective_date",
				Reason: fmt.Sprintf("the depreciation of %s is posted (%s): an asset acquired in %s would have been due from %s; a card is registered in its month of acquisition, before the next month's run",
					m, id, month, nextMonth(month)),
				ReasonZH: fmt.Sprintf("%s 的折旧已计提（%s）：%s 取得的固定资产应自 %s 起计提折旧；固定资产卡片须在取得当月、下月计提折旧之前登记", m, id, month, nextMonth(month))}
		}
	}
	ch := b.ChartFor(year)
	codes, err := assetCodesOf(ch)
	if err != nil {
		return nil, err
	}
	card := AssetCard{Asset: c.Asset, Name: c.Name, Category: c.Category, Acquisition: c.Acquisition, Acquired: env.Date,
		Donor: c.Donor, Matter: c.Matter, Cost: c.cost, Method: c.Method, Accounts: c.Accounts}
	if card.Accounts.Asset == "" {
		card.Accounts.Asset = codes.asset
	}
	if err := b.leafUnder(year, "data.accounts.asset", card.Accounts.Asset, codes.asset, "固定资产"); err != nil {
		return nil, err
	}
	if c.Method == MethodStraightLine {
		if card.Accounts.Depreciation == "" {
			card.Accounts.Depreciation = codes.accumulated
		}
		if err := b.leafUnder(year, "data.accounts.depreciation", card.Accounts.Depreciation, codes.accumulated, "累计折旧"); err != nil {
			return nil, err
		}
		if err := b.expenseAccount(year, "data.accounts.expense", card.Accounts.Expense); err != nil {
			return nil, err
		}
		card.LifeMonths, card.ResidualRate = c.LifeMonths, c.rate
		card.Residual = Fen(divRound(int64(c.cost)*int64(c.rate), 10_000))
		card.Monthly = Fen(divRound(int64(c.cost-card.Residual), int64(c.LifeMonths)))
	}
	if c.Matter != "" {
		if _, err := resolution(env, "data.matter", c.Matter); err != nil {
			return nil, err
		}
	}
	if c.Acquisition == AcquisitionPosted {
		if err := b.acquisitionVoucher(env, c.Voucher, card); err != nil {
			return nil, err
		}
		card.Voucher = c.Voucher
		return []Event{&AssetRegistered{AssetCard: card}}, nil
	}
	equity := c.EquityAccount
	if equity == "" {
		equity = codes.equity
	}
	switch ea, ok := b.AccountOf(year, equity); {
	case !ok || ea.Closed:
		return nil, unknownAccount("data.equity_account", equity, b.ChartFor(year).ID)
	case ea.Class != ClassEquity:
		return nil, &RuleError{Code: "asset_account_kind", Field: "data.equity_account",
			Reason:   fmt.Sprintf("account %s (%s) is not an owners' equity account: a donated asset is credited to 公积公益金", equity, ea.NameZH),
			ReasonZH: fmt.Sprintf("科目 %s（%s）不是所有者权益类科目：接受捐赠的固定资产贷记公积公益金", equity, ea.NameZH)}
	case !b.IsLeaf(equity):
		return nil, notLeaf("data.equity_account", equity)
	}
	v := VoucherData{Number: b.LastNumber[month] + 1, Summary: "接受捐赠固定资产：" + c.Name + "（捐赠人：" + c.Donor + "）",
		Lines:    []Line{{Account: card.Accounts.Asset, Debit: c.cost}, {Account: equity, Credit: c.cost}},
		Preparer: c.Preparer, Reviewer: c.Reviewer, Approver: c.Approver, Matter: c.Matter}
	if err := checkVoucher(env, b, v); err != nil {
		return nil, err
	}
	card.Voucher = VoucherID(env.Date, v.Number)
	return append(yearChart(b, year), &AssetRegistered{AssetCard: card, Posted: &v}), nil
}

// acquisitionVoucher checks the voucher a card cites: posted in the month
// of acquisition, on or before its date, neither reversed nor a reversal,
// and debiting the card's asset account with at least the cost of every
// card that cites it.
func (b *Books) acquisitionVoucher(env Env, id string, card AssetCard) error {
	v := b.Vouchers[id]
	fail := func(code, reason, reasonZH string) error {
		return &RuleError{Code: code, Field: "data.voucher", Reason: reason, ReasonZH: reasonZH}
	}
	switch {
	case v == nil:
		return fail("acquisition_voucher_unknown", "the books have no voucher "+id, "账簿中没有凭证 "+id)
	case v.ReversedBy != "" || v.Reverses != "":
		return fail("acquisition_voucher_reversed", "voucher "+id+" is reversed or a reversal: cite the voucher that stands",
			"凭证 "+id+" 已被冲销或本身是红字冲销凭证，请引用有效的入账凭证")
	case strings.HasSuffix(id, "-000"):
		return fail("acquisition_voucher_opening",
			"voucher "+id+" opens the books or changes the chart: the assets it carries come with past depreciation, which a card does not record",
			"凭证 "+id+" 是期初余额或新旧衔接凭证：其中的固定资产已有以前年度折旧，卡片不能登记")
	case Month(v.Date) != Month(env.Date) || env.Date.Before(v.Date):
		return fail("acquisition_voucher_month",
			fmt.Sprintf("voucher %s is dated %s: register the card in that month, on or after that day, so that depreciation starts the month after acquisition", id, v.Date),
			fmt.Sprintf("凭证 %s 的日期为 %s：固定资产卡片须在该月、该日或以后登记，以便自取得的次月起计提折旧", id, v.Date))
	}
	var debited, cited Fen
	for _, l := range v.Lines {
		if l.Account == card.Accounts.Asset {
			debited += l.Debit
		}
	}
	for _, a := range b.Assets {
		if a.Voucher == id && a.Accounts.Asset == card.Accounts.Asset {
			cited += a.Cost
		}
	}
	if cited+card.Cost > debited {
		return fail("acquisition_voucher_short",
			fmt.Sprintf("voucher %s debits %s to %s; cards citing it hold %s, and this one's cost %s would exceed it", id, debited, card.Accounts.Asset, cited, card.Cost),
			fmt.Sprintf("凭证 %s 借记 %s 共 %s 元；已登记的卡片合计 %s 元，加上本卡片原值 %s 元将超出", id, card.Accounts.Asset, debited, cited, card.Cost))
	}
	return nil
}

func (c *PostDepreciation) Decide(env Env) ([]Event, error) {
	b, err := booksEnv(env)
	if err != nil {
		return nil, err
	}
	var y, m int
	fmt.Sscanf(c.Month, "%d-%d", &y, &m)
	if end := monthEnd(y, m); env.Date != end {
		return nil, &RuleError{Code: "depreciation_date", Field: "effective_date",
			Reason:   fmt.Sprintf("the depreciation of %s is posted on its last day, %s", c.Month, end),
			ReasonZH: fmt.Sprintf("%s 的折旧于当月最后一天（%s）计提", c.Month, end)}
	}
	if id, ok := b.Depreciated[c.Month]; ok {
		return nil, &RuleError{Code: "depreciation_posted", Field: "data.month",
			Reason: fmt.Sprintf("the depreciation of %s is posted already (%s)", c.Month, id), ReasonZH: fmt.Sprintf("%s 的折旧已计提（%s）", c.Month, id)}
	}
	if err := periodOpen(b, env.Date); err != nil {
		return nil, err
	}
	if err := chartChanged(b, y); err != nil {
		return nil, err
	}
	codes, err := assetCodesOf(b.ChartFor(y))
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(b.Assets))
	for id := range b.Assets {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var items []DepreciationItem
	debit, credit := map[string]Fen{}, map[string]Fen{}
	for _, id := range ids {
		a := b.Assets[id]
		if !a.dueIn(c.Month) {
			continue
		}
		amt, months, caught, err := b.dueAmount(a, c.Month, "data.month")
		if err != nil {
			return nil, err
		}
		exp, err := b.accountFor(a, y, "data.month", a.Accounts.Expense, func(code string) error { return b.expenseAccount(y, "data.month", code) })
		if err != nil {
			return nil, err
		}
		acc, err := b.accountFor(a, y, "data.month", a.Accounts.Depreciation, func(code string) error {
			return b.leafUnder(y, "data.month", code, codes.accumulated, "累计折旧")
		})
		if err != nil {
			return nil, err
		}
		items = append(items, DepreciationItem{Asset: id, Expense: exp, Account: acc, Amount: amt,
			Accumulated: a.Accumulated + amt, Months: a.Months + months, CaughtUp: caught})
		debit[exp] += amt
		credit[acc] += amt
	}
	if len(items) == 0 {
		return nil, &RuleError{Code: "nothing_to_depreciate", Field: "data.month",
			Reason:   fmt.Sprintf("no fixed asset is due for depreciation in %s: assets are depreciated from the month after acquisition until fully depreciated or disposed of", c.Month),
			ReasonZH: fmt.Sprintf("%s 没有应计提折旧的固定资产：固定资产自取得的次月起计提折旧，提足折旧或处置后不再计提", c.Month)}
	}
	var lines []Line
	for _, code := range slices.Sorted(mapKeys(debit)) {
		lines = append(lines, Line{Account: code, Debit: debit[code]})
	}
	for _, code := range slices.Sorted(mapKeys(credit)) {
		lines = append(lines, Line{Account: code, Credit: credit[code]})
	}
	v := VoucherData{Number: b.LastNumber[c.Month] + 1, Summary: fmt.Sprintf("计提 %s 固定资产折旧（%d 项）", c.Month, len(items)),
		Lines: lines, Preparer: c.Preparer, Reviewer: c.Reviewer, Approver: c.Approver}
	if err := checkVoucher(env, b, v); err != nil {
		return nil, err
	}
	return append(yearChart(b, y), &DepreciationPosted{Month: c.Month, VoucherData: v, Items: items}), nil
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func (c *DisposeAsset) Decide(env Env) ([]Event, error) {
	b, err := booksEnv(env)
	if err != nil {
		return nil, err
	}
	a := b.Assets[c.Asset]
	switch {
	case a == nil:
		return nil, &RuleError{Code: "asset_unknown", Field: "data.asset",
			Reason: "the books have no fixed asset " + c.Asset, ReasonZH: "账簿中没有固定资产 " + c.Asset}
	case !a.Disposed.IsZero():
		return nil, &RuleError{Code: "asset_disposed", Field: "data.asset",
			Reason: fmt.Sprintf("asset %s was disposed of on %s (%s)", c.Asset, a.Disposed, a.DisposedBy), ReasonZH: fmt.Sprintf("固定资产 %s 已于 %s 转入清理（%s）", c.Asset, a.Disposed, a.DisposedBy)}
	case env.Date.Before(a.Acquired):
		return nil, &RuleError{Code: "disposal_before_acquisition", Field: "effective_date",
			Reason: fmt.Sprintf("asset %s was acquired on %s", c.Asset, a.Acquired), ReasonZH: fmt.Sprintf("固定资产 %s 于 %s 取得，处置日期不能早于取得日期", c.Asset, a.Acquired)}
	}
	if err := periodOpen(b, env.Date); err != nil {
		return nil, err
	}
	if err := chartChanged(b, env.Date.Year); err != nil {
		return nil, err
	}
	year, month := env.Date.Year, Month(env.Date)
	codes, err := assetCodesOf(b.ChartFor(year))
	if err != nil {
		return nil, err
	}
	// 当月减少的固定资产，当月仍计提折旧: the month's depreciation, if the
	// month's run has not taken it.
	var dep Fen
	var months int
	var caught []string
	var expense string
	if a.dueIn(month) {
		if dep, months, caught, err = b.dueAmount(a, month, "data.asset"); err != nil {
			return nil, err
		}
		if expense, err = b.accountFor(a, year, "data.asset", a.Accounts.Expense, func(code string) error { return b.expenseAccount(year, "data.asset", code) }); err != nil {
			return nil, err
		}
	}
	assetAcct, err := b.accountFor(a, year, "data.asset", a.Accounts.Asset, func(code string) error {
		return b.leafUnder(year, "data.asset", code, codes.asset, "固定资产")
	})
	if err != nil {
		return nil, err
	}
	var accAcct string
	if a.Accumulated > 0 {
		if accAcct, err = b.accountFor(a, year, "data.asset", a.Accounts.Depreciation, func(code string) error {
			return b.leafUnder(year, "data.asset", code, codes.accumulated, "累计折旧")
		}); err != nil {
			return nil, err
		}
	}
	clearing := c.ClearingAccount
	if clearing == "" {
		clearing = codes.clearing
	}
	if err := b.leafUnder(year, "data.clearing_account", clearing, codes.clearing, "固定资产清理"); err != nil {
		return nil, err
	}
	proceedsAcct := c.ProceedsAccount
	if c.proceeds > 0 {
		if proceedsAcct == "" {
			proceedsAcct = AccountBank
		}
		pa, ok := b.AccountOf(year, proceedsAcct)
		root := b.rootOf(proceedsAcct)
		switch {
		case !ok || pa.Closed:
			return nil, unknownAccount("data.proceeds_account", proceedsAcct, b.ChartFor(year).ID)
		case pa.Class != ClassAsset || root == codes.asset || root == codes.accumulated || root == codes.clearing:
			return nil, &RuleError{Code: "asset_account_kind", Field: "data.proceeds_account",
				Reason:   fmt.Sprintf("account %s (%s) cannot receive the proceeds: give cash, bank or a receivable", proceedsAcct, pa.NameZH),
				ReasonZH: fmt.Sprintf("科目 %s（%s）不能作为处置收入的收款科目：请用库存现金、银行存款或应收款等", proceedsAcct, pa.NameZH)}
		case !b.IsLeaf(proceedsAcct):
			return nil, notLeaf("data.proceeds_account", proceedsAcct)
		}
	}
	accumulated := a.Accumulated + dep
	bookValue := a.Cost - accumulated
	var lines []Line
	if dep > 0 {
		lines = append(lines, Line{Account: expense, Debit: dep})
	}
	if a.Accumulated > 0 {
		lines = append(lines, Line{Account: accAcct, Debit: a.Accumulated})
	}
	if c.proceeds > 0 {
		lines = append(lines, Line{Account: proceedsAcct, Debit: c.proceeds})
	}
	if net := bookValue - c.proceeds; net > 0 {
		lines = append(lines, Line{Account: clearing, Debit: net})
	} else if net < 0 {
		lines = append(lines, Line{Account: clearing, Credit: -net})
	}
	lines = append(lines, Line{Account: assetAcct, Credit: a.Cost})
	v := VoucherData{Number: b.LastNumber[month] + 1, Summary: "固定资产转入清理：" + a.Name,
		Lines: lines, Preparer: c.Preparer, Reviewer: c.Reviewer, Approver: c.Approver, Matter: c.Matter}
	if err := checkVoucher(env, b, v); err != nil {
		return nil, err
	}
	ev := &AssetDisposed{Asset: c.Asset, Reason: c.Reason, Cost: a.Cost, Depreciation: dep, Months: a.Months + months, CaughtUp: caught, Expense: expense,
		Accumulated: accumulated, BookValue: bookValue, Proceeds: c.proceeds, Clearing: clearing, VoucherData: v}
	if c.proceeds > 0 {
		ev.ProceedsAccount = proceedsAcct
	}
	return append(yearChart(b, year), ev), nil
}

// AssetVoucher returns the fixed asset a voucher belongs to: the voucher a
// card cites or its registration posted, or its disposal; or "*" for a
// month's depreciation run, which belongs to every asset in it. Reversing
// such a voucher with books.reverse_voucher would leave the cards out of
// step with the books.
func (b *Books) AssetVoucher(id string) (string, bool) {
	for _, v := range b.Depreciated {
		if v == id {
			return "*", true
		}
	}
	for _, a := range b.Assets {
		if a.Voucher == id || a.DisposedBy == id {
			return a.Asset, true
		}
	}
	return "", false
}
