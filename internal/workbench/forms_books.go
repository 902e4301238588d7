package workbench

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/entry"
)

// The data of books commands (docs/api.md §7.18–7.24).
type (
	chartData struct {
		Chart string `json:"chart"`
		Year  int    `json:"year,omitempty"`
	}
	defineAccountData struct {
		Code   string `json:"code"`
		Parent string `json:"parent"`
		NameZH string `json:"name_zh"`
		NameEN string `json:"name_en,omitempty"`
	}
	openBalancesData struct {
		Year     int               `json:"year"`
		Lines    []voucherLineData `json:"lines"`
		Source   string            `json:"source"`
		Preparer string            `json:"preparer"`
	}
	transitionData struct {
		Year     int    `json:"year"`
		Chart    string `json:"chart,omitempty"`
		Preparer string `json:"preparer"`
	}
	voucherLineData struct {
		Account string `json:"account"`
		Debit   string `json:"debit,omitempty"`
		Credit  string `json:"credit,omitempty"`
	}
	voucherData struct {
		Number      int               `json:"number"`
		Summary     string            `json:"summary"`
		Lines       []voucherLineData `json:"lines"`
		Attachments []string          `json:"attachments,omitempty"`
		Preparer    string            `json:"preparer"`
		Reviewer    string            `json:"reviewer,omitempty"`
		Approver    string            `json:"approver,omitempty"`
		BudgetLine  string            `json:"budget_line,omitempty"`
		Matter      string            `json:"matter,omitempty"`
	}
	correctionData struct {
		voucherData
		Corrects string `json:"corrects"`
		Reason   string `json:"reason"`
	}
	reverseData struct {
		Voucher  string `json:"voucher"`
		Number   int    `json:"number"`
		Reason   string `json:"reason"`
		Preparer string `json:"preparer"`
		Reviewer string `json:"reviewer,omitempty"`
		Approver string `json:"approver,omitempty"`
	}
	evidenceData struct {
		Kind      string `json:"kind"`
		Reference string `json:"reference"`
		SHA256    string `json:"sha256,omitempty"`
	}
	balanceData struct {
		Account  string       `json:"account"`
		Balance  string       `json:"balance,omitempty"`
		Evidence evidenceData `json:"evidence"`
	}
	monthData struct {
		Month string `json:"month"`
	}
	yearData struct {
		Year int `json:"year"`
	}
)

// accountOptions lists the open accounts of the chart of the form's year
// and the books' sub-accounts (明细科目) under them, in code order. With
// leaves set it lists only the accounts without sub-accounts, those a
// voucher posts to; keep, when set, picks among them.
func (fc *formCtx) accountOptions(leaves bool, keep func(domain.Account) bool) []option {
	b := fc.books()
	year := fc.year()
	out := []option{{Value: "", Label: txt{"（选择科目）", "(account)"}}}
	var add func(code string)
	add = func(code string) {
		a, ok := b.AccountOf(year, code)
		if !ok || a.Closed {
			return
		}
		kids := b.Children(code)
		if (!leaves || len(kids) == 0) && (keep == nil || keep(a)) {
			label, _ := accountLabel(b, year, code)
			out = append(out, option{Value: code, Label: label})
		}
		for _, k := range kids {
			add(k)
		}
	}
	for _, a := range b.ChartFor(year).Accounts {
		add(a.Code)
	}
	return out
}

// accountLabel names an account of the year's chart, or a sub-account
// with the accounts above it: "513 管理费用", "11201 应收款—张三".
func accountLabel(b *domain.Books, year int, code string) (txt, bool) {
	return chartLabel(b.ChartFor(year), func(c string) (domain.SubAccount, bool) { s, ok := b.Subs[c]; return s, ok }, code)
}

// chartLabel names an account of chart ch, or a sub-account (as subs
// finds it) under one.
func chartLabel(ch *domain.Chart, subs func(string) (domain.SubAccount, bool), code string) (txt, bool) {
	if a, ok := ch.Account(code); ok {
		return txt{a.Code + " " + a.NameZH, a.Code + " " + a.NameEN}, true
	}
	var names []domain.SubAccount
	c := code
	for range 10 { // codes of at most 12 digits nest at most 4 deep
		sub, ok := subs(c)
		if !ok {
			break
		}
		names = append(names, sub)
		c = sub.Parent
		root, ok := ch.Account(c)
		if !ok {
			continue
		}
		zh, en := root.NameZH, root.NameEN
		for i := len(names) - 1; i >= 0; i-- {
			nameEN := names[i].NameEN
			if nameEN == "" {
				nameEN = names[i].NameZH
			}
			zh, en = zh+"—"+names[i].NameZH, en+" / "+nameEN
		}
		return txt{code + " " + zh, code + " " + en}, true
	}
	return txt{}, false
}

// notProfitAndLoss keeps the accounts that carry a balance from one year
// to the next: not income or expense.
func notProfitAndLoss(a domain.Account) bool {
	return a.Class != domain.ClassIncome && a.Class != domain.ClassExpense
}

// voucherLines are the lines of a voucher form; the account options are
// filled per request.
var voucherLines = &lineSpec{
	Label: txt{"分录", "Entries"},
	Min:   2,
	Options: func(fc *formCtx) map[string][]option {
		return map[string][]option{"account": fc.accountOptions(true, nil)}
	},
	Cols: lineCols,
}

// openingLines are the lines of opening balances: the accounts that carry
// a balance into a year.
var openingLines = &lineSpec{
	Label: txt{"各科目年初余额", "Balances at the start of the year"},
	Min:   2,
	Options: func(fc *formCtx) map[string][]option {
		return map[string][]option{"account": fc.accountOptions(true, notProfitAndLoss)}
	},
	Cols: lineCols,
}

var lineCols = []field{
	{Name: "account", Label: txt{"科目", "Account"}, Kind: kSelect},
	{Name: "debit", Label: txt{"借方金额", "Debit"}, Kind: kAmount},
	{Name: "credit", Label: txt{"贷方金额", "Credit"}, Kind: kAmount},
}

// buildLines reads the lines of a voucher or of opening balances.
func buildLines(p *parser, spec *lineSpec) []voucherLineData {
	out := []voucherLineData{}
	for _, i := range p.rows(spec.colNames()) {
		l := voucherLineData{Account: p.str(lineName(i, "account"))}
		if a, ok := p.amount(lineName(i, "debit"), false); ok {
			l.Debit = a.String()
		}
		if a, ok := p.amount(lineName(i, "credit"), false); ok {
			l.Credit = a.String()
		}
		out = append(out, l)
	}
	return out
}

// nextVoucher is the next voucher number in the month of d.
func nextVoucher(b *domain.Books, d domain.Date) int { return b.LastNumber[domain.Month(d)] + 1 }

// voucherNumber reads the number field; blank takes the next number of
// the date's month.
func (fc *formCtx) voucherNumber(p *parser) int {
	if p.raw("number") != "" {
		n, _ := p.number("number", true)
		return n
	}
	d, err := entry.ParseDate(p.raw("effective_date"))
	if err != nil {
		return 0
	}
	n := nextVoucher(fc.books(), d)
	p.fixed["number"] = strconv.Itoa(n)
	p.shown["number"] = shown{Value: strconv.Itoa(n) + txt{"（自动编号）", " (numbered for you)"}.in(p.lang)}
	return n
}

var fNumber = field{Name: "number", Label: txt{"凭证号", "Voucher number"}, Kind: kNumber,
	Help: txt{"当月第几号凭证；留空则自动取下一个编号。", "Its number within the month; blank takes the next one."}}

func (fc *formCtx) signers(v values) []field {
	return []field{
		{Name: "preparer", Label: txt{"制单", "Prepared by"}, Kind: kText, Required: true, After: true},
		{Name: "reviewer", Label: txt{"审核", "Reviewed by"}, Kind: kText, After: true},
		{Name: "approver", Label: txt{"审批", "Approved by"}, Kind: kText, After: true},
	}
}

// voucherFields are the fields of a voucher besides its lines.
func (fc *formCtx) voucherFields(v values) []field {
	budgetOpts := []option{{Value: "", Label: txt{"（不列入预算项目）", "(no budget line)"}}}
	seen := map[string]bool{}
	for _, y := range []int{fc.today().Year, fc.today().Year - 1} {
		if b := fc.budget(y); b != nil {
			for _, l := range b.Lines {
				if !seen[l.Line] {
					seen[l.Line] = true
					budgetOpts = append(budgetOpts, option{Value: l.Line, Label: txt{l.Line + " " + l.Name, l.Line + " " + l.Name}})
				}
			}
		}
	}
	matters := fc.passedMatters("")
	matters[0].Label = txt{"（不引用决议）", "(no resolution)"}
	fs := []field{fNumber, {Name: "summary", Label: txt{"摘要", "Summary"}, Kind: kText, Required: true}}
	fs = append(fs, fc.signers(v)...)
	return append(fs,
		field{Name: "budget_line", Label: txt{"预算项目", "Budget line"}, Kind: kSelect, Options: budgetOpts, After: true},
		field{Name: "matter", Label: txt{"依据的决议（事项）", "Resolution (matter)"}, Kind: kSelect, Options: matters, After: true,
			Help: txt{"支出超过规则集限额的，须引用表决通过的事项。", "A payment above the rule set's threshold must cite a passed matter."}},
		field{Name: "attachments", Label: txt{"附件指纹（SHA-256，每行一个，可不填）", "Attachment SHA-256 hashes (one per line, optional)"}, Kind: kTextarea, After: true},
	)
}

func (fc *formCtx) buildVoucher(p *parser) voucherData {
	d := voucherData{Number: fc.voucherNumber(p), Summary: p.str("summary"), Preparer: p.str("preparer"),
		Reviewer: p.str("reviewer"), Approver: p.str("approver"), BudgetLine: p.str("budget_line"), Matter: p.str("matter")}
	for _, h := range p.list("attachments") {
		d.Attachments = append(d.Attachments, strings.ToLower(h))
	}
	d.Lines = buildLines(p, voucherLines)
	return d
}

func (fc *formCtx) voucherPrefill(v values) {
	if v["preparer"] == "" {
		v["preparer"] = fc.s.actor.Name
	}
}

// voucherOptions lists vouchers for a reversal (reversible ones of the
// current and last year, not those of number 0) or a correction (of
// earlier years), newest first.
func (fc *formCtx) voucherOptions(correction bool) []option {
	b := fc.books()
	var vs []*domain.Voucher
	y := fc.today().Year
	for _, v := range b.Vouchers {
		switch {
		case v.Reverses != "" || v.ReversedBy != "":
		case correction && v.Date.Year < y:
			vs = append(vs, v)
		case !correction && v.Date.Year >= y-1 && !strings.HasSuffix(v.ID, "-000"):
			// Opening balances and a change of chart (number 0) are
			// corrected by a voucher, not reversed.
			vs = append(vs, v)
		}
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i].ID > vs[j].ID })
	out := []option{{Value: "", Label: txt{"（请选择凭证）", "(choose a voucher)"}}}
	for _, v := range vs {
		var total domain.Fen
		for _, l := range v.Lines {
			total += l.Debit
		}
		label := v.ID + " " + v.Summary + " " + grouped(total)
		out = append(out, option{Value: v.ID, Label: txt{label + "元", label}})
	}
	return out
}

// openMonths lists the months that may be closed: those with vouchers not
// yet closed, and the last three months.
func (fc *formCtx) openMonths() []option {
	b := fc.books()
	set := map[string]bool{}
	for _, v := range b.Vouchers {
		set[domain.Month(v.Date)] = true
	}
	t := fc.now.In(domain.Shanghai)
	for i := 1; i <= 3; i++ {
		set[t.AddDate(0, -i, 1-t.Day()).Format("2006-01")] = true
	}
	var ms []string
	for m := range set {
		if !b.ClosedMonths[m] {
			ms = append(ms, m)
		}
	}
	sort.Strings(ms)
	out := []option{{Value: "", Label: txt{"（选择月份）", "(month)"}}}
	for _, m := range ms {
		out = append(out, option{Value: m, Label: txt{monthText("zh", m), m}})
	}
	return out
}

func booksForm(f *formDef) *formDef {
	f.group, f.aggType = groupBooks, domain.AggregateBooks
	f.target = func(*formCtx, values) string { return domain.BooksID }
	return f
}

func booksForms() []*formDef {
	return []*formDef{
		booksForm(&formDef{
			name: "books-voucher", typ: domain.CmdPostVoucher,
			title:     txt{"记账凭证", "Post a voucher"},
			intro:     txt{"每行一个科目，借方或贷方金额填一项；借贷合计须相等。金额可写 6,800 或 1,234.50。", "One account per line with a debit or a credit; debits must equal credits. Amounts may be written 6,800 or 1,234.50."},
			dateLabel: txt{"凭证日期", "Voucher date"},
			lines:     voucherLines,
			fields:    func(fc *formCtx, v values) []field { return fc.voucherFields(v) },
			prefill:   func(fc *formCtx, v values) { fc.voucherPrefill(v) },
			build:     func(fc *formCtx, p *parser) any { return fc.buildVoucher(p) },
		}),
		booksForm(&formDef{
			name: "books-reverse", typ: domain.CmdReverseVoucher,
			title:     txt{"红字冲销凭证", "Reverse a voucher (red ink)"},
			intro:     txt{"以红字凭证冲销本年度记错的凭证，分录由原凭证自动生成。冲销后如需要，再填一张正确的凭证。", "A red-ink voucher mirrors a wrong voucher of the same year; its lines come from the original. Post the right voucher afterwards if needed."},
			dateLabel: txt{"冲销日期", "Date of the reversal"},
			params:    []string{"voucher"},
			fields: func(fc *formCtx, v values) []field {
				fs := []field{{Name: "voucher", Label: txt{"被冲销的凭证", "Voucher to reverse"}, Kind: kSelect, Required: true, Options: fc.voucherOptions(false)},
					fNumber, {Name: "reason", Label: txt{"冲销原因", "Reason"}, Kind: kTextarea, Required: true}}
				return append(fs, fc.signers(v)...)
			},
			prefill: func(fc *formCtx, v values) { fc.voucherPrefill(v) },
			build: func(fc *formCtx, p *parser) any {
				return reverseData{Voucher: p.str("voucher"), Number: fc.voucherNumber(p), Reason: p.str("reason"),
					Preparer: p.str("preparer"), Reviewer: p.str("reviewer"), Approver: p.str("approver")}
			},
		}),
		booksForm(&formDef{
			name: "books-correction", typ: domain.CmdPostCorrection,
			title:     txt{"蓝字更正凭证（以前年度）", "Correction voucher (earlier year)"},
			intro:     txt{"以前年度已结账凭证的错误，在本年度以蓝字凭证更正。", "An error in a voucher of an earlier, closed year is corrected by a blue-ink voucher this year."},
			dateLabel: txt{"凭证日期", "Voucher date"},
			params:    []string{"corrects"},
			lines:     voucherLines,
			fields: func(fc *formCtx, v values) []field {
				fs := []field{{Name: "corrects", Label: txt{"被更正的凭证", "Voucher corrected"}, Kind: kSelect, Required: true, Options: fc.voucherOptions(true)},
					{Name: "reason", Label: txt{"更正原因", "Reason"}, Kind: kTextarea, Required: true}}
				return append(fs, fc.voucherFields(v)...)
			},
			prefill: func(fc *formCtx, v values) { fc.voucherPrefill(v) },
			build: func(fc *formCtx, p *parser) any {
				return correctionData{voucherData: fc.buildVoucher(p), Corrects: p.str("corrects"), Reason: p.str("reason")}
			},
		}),
		booksForm(&formDef{
			name: "books-balance", typ: domain.CmdAssertBalance,
			title:     txt{"对账 / 盘点", "Check a balance"},
			intro:     txt{"用银行对账单或现金盘点核对科目余额；不一致时不予记录，并显示差额。", "Check an account's balance against a bank statement or a cash count; a difference is shown and nothing recorded."},
			dateLabel: txt{"对账日期", "Date of the balance"},
			fields: func(fc *formCtx, v values) []field {
				return []field{
					{Name: "account", Label: txt{"科目", "Account"}, Kind: kSelect, Required: true, Options: fc.accountOptions(false, nil),
						Help: txt{"设有明细科目的，核对的是各明细科目合计。", "An account with sub-accounts is checked with their total."}},
					{Name: "balance", Label: txt{"证据显示的余额（元）", "Balance shown by the evidence (yuan)"}, Kind: kAmount, Required: true,
						Help: txt{"余额在科目的相反方向时写负数。", "Negative when on the account's other side."}},
					{Name: "evidence.kind", Label: txt{"证据类型", "Evidence"}, Kind: kSelect, Required: true, Options: []option{
						{Value: "bank_statement", Label: txt{"银行对账单", "bank statement"}},
						{Value: "cash_count", Label: txt{"现金盘点", "cash count"}},
						{Value: "other", Label: txt{"其他", "other"}}}},
					{Name: "evidence.reference", Label: txt{"证据名称/编号", "Reference"}, Kind: kText, Required: true,
						Help: txt{"如：农村信用社2026年6月对账单", "e.g. 农村信用社2026年6月对账单"}},
					{Name: "evidence.sha256", Label: txt{"证据文件的 SHA-256（可不填）", "SHA-256 of the evidence file (optional)"}, Kind: kText},
				}
			},
			build: func(fc *formCtx, p *parser) any {
				d := balanceData{Account: p.str("account"), Evidence: evidenceData{Kind: p.str("evidence.kind"),
					Reference: p.str("evidence.reference"), SHA256: strings.ToLower(p.str("evidence.sha256"))}}
				if a, ok := p.signedAmount("balance", true); ok {
					d.Balance = a.String()
				}
				return d
			},
		}),
		booksForm(&formDef{
			name: "books-close-month", typ: domain.CmdCloseMonth,
			title:     txt{"月结", "Close a month"},
			intro:     txt{"结账后该月及以前不能再记账。结账日期须在该月最后一天或之后。", "After closing, no voucher can be posted in the month or before. Close on the month's last day or later."},
			dateLabel: txt{"结账日期", "Date of closing"},
			fields: func(fc *formCtx, v values) []field {
				return []field{{Name: "month", Label: txt{"结账月份", "Month"}, Kind: kSelect, Required: true, Options: fc.openMonths()}}
			},
			prefill: func(fc *formCtx, v values) { v["effective_date"] = fc.today().String() },
			build: func(fc *formCtx, p *parser) any {
				m := p.str("month")
				if m != "" {
					p.shown["month"] = shown{Value: monthText(p.lang, m)}
				}
				return monthData{Month: m}
			},
		}),
		booksForm(&formDef{
			name: "books-close-year", typ: domain.CmdCloseYear,
			title:     txt{"年终结账", "Close the year"},
			intro:     txt{"将本年收入、支出结转到本年收益和收益分配。须先结清有凭证的各月。", "Carries the year's income and expense to 本年收益 and 收益分配. Close the months with vouchers first."},
			dateLabel: txt{"结账日期", "Date of closing"},
			fields: func(fc *formCtx, v values) []field {
				return []field{{Name: "year", Label: txt{"年度", "Fiscal year"}, Kind: kNumber, Required: true}}
			},
			prefill: func(fc *formCtx, v values) {
				v["year"] = strconv.Itoa(fc.today().Year - 1)
				v["effective_date"] = fc.today().String()
			},
			build: func(fc *formCtx, p *parser) any {
				y, _ := p.number("year", true)
				return yearData{Year: y}
			},
		}),
		booksForm(&formDef{
			name: "books-define-account", typ: domain.CmdDefineAccount,
			title: txt{"设置明细科目", "Define a sub-account (明细科目)"},
			intro: txt{"在会计科目下设明细科目，如在 112 应收款 下设 11201 张三。设置后凭证须记入明细科目，不能再直接记入上级科目；上级科目的余额是各明细科目的合计。",
				"A sub-account under an account of the chart, such as 11201 张三 under 112 应收款. Vouchers then post to the sub-accounts, not to the account above, whose balance is their total."},
			dateLabel: txt{"设置日期", "Date defined"},
			params:    []string{"parent"},
			fields: func(fc *formCtx, v values) []field {
				return []field{
					{Name: "parent", Label: txt{"上级科目", "Account above"}, Kind: kSelect, Required: true, Options: fc.accountOptions(false, nil)},
					{Name: "code", Label: txt{"明细科目编码", "Code"}, Kind: kText,
						Help: txt{"上级科目编码加两位数字，如 112 下的 11201；留空则自动编号。", "The code above and two more digits, such as 11201 under 112; blank numbers it for you."}},
					{Name: "name_zh", Label: txt{"名称", "Name"}, Kind: kText, Required: true, Help: txt{"如：张三、水泥款", "e.g. 张三, 水泥款"}},
					{Name: "name_en", Label: txt{"英文名称（可不填）", "Name in English (optional)"}, Kind: kText},
				}
			},
			prefill: func(fc *formCtx, v values) { v["effective_date"] = fc.today().String() },
			build: func(fc *formCtx, p *parser) any {
				d := defineAccountData{Parent: p.str("parent"), Code: p.str("code"), NameZH: p.str("name_zh"), NameEN: p.str("name_en")}
				if d.Code == "" && d.Parent != "" {
					if code := nextSubCode(fc.books(), fc.year(), d.Parent); code != "" {
						d.Code = code
						p.fixed["code"] = code
						p.shown["code"] = shown{Value: code + txt{"（自动编号）", " (numbered for you)"}.in(p.lang)}
					}
				}
				return d
			},
		}),
		booksForm(&formDef{
			name: "books-open-balances", typ: domain.CmdOpenBalances,
			title: txt{"录入期初余额（建账）", "Opening balances"},
			intro: txt{"在 gongkai 之前已有账簿的，按上年末的资产负债表或科目余额表录入各科目的年初余额：资产类一般记借方，负债和所有者权益类记贷方；借贷合计须相等。损益类科目年初为零，不录入。只能在账簿还没有任何记录时录入一次。",
				"Books kept before gongkai open with each account's balance at the start of the year, from last year's balance sheet or trial balance: assets on the debit side, liabilities and equity on the credit side; the two totals must be equal. Income and expense accounts open at zero. Only books that hold nothing yet can open, once."},
			dateLabel: txt{"录入日期", "Date entered"},
			lines:     openingLines,
			fields: func(fc *formCtx, v values) []field {
				return []field{
					{Name: "year", Label: txt{"年度", "Fiscal year"}, Kind: kNumber, Required: true,
						Help: txt{"余额记为该年1月1日的年初数；录入日期须在该年度内。", "The balances are those of 1 January of the year; enter them within the year."}},
					{Name: "source", Label: txt{"依据", "Source"}, Kind: kText, Required: true, After: true,
						Help: txt{"如：2024年12月31日资产负债表（原手工账）", "e.g. the balance sheet of 31 December 2024 (the paper books)"}},
					{Name: "preparer", Label: txt{"制单", "Prepared by"}, Kind: kText, Required: true, After: true},
				}
			},
			prefill: func(fc *formCtx, v values) {
				v["year"] = strconv.Itoa(fc.today().Year)
				v["effective_date"] = fc.today().String()
				fc.voucherPrefill(v)
			},
			build: func(fc *formCtx, p *parser) any {
				y, _ := p.number("year", true)
				return openBalancesData{Year: y, Lines: buildLines(p, openingLines), Source: p.str("source"), Preparer: p.str("preparer")}
			},
		}),
		booksForm(&formDef{
			name: "books-transition", typ: domain.CmdTransition,
			title: txt{"新旧会计制度衔接", "Change of chart (新旧衔接)"},
			intro: txt{"执行新会计制度的第一年，将上年末各科目余额按衔接对照表转入新的科目表，作为1月1日的一张衔接凭证记录；明细科目随上级科目转入。须先年终结账上一年度。下一步核对页列出每个科目的转出与转入，请逐项核对。",
				"In the first year of a new accounting system, every closing balance of last year moves into the new chart by the mapping, as one voucher of 1 January; sub-accounts move with the account above them. Close last year first. The next page lists every move: check each."},
			dateLabel: txt{"办理日期", "Date"},
			fields: func(fc *formCtx, v values) []field {
				charts := []option{{Value: "", Label: txt{"（按规定：该年度适用的科目表）", "(the chart the law sets for the year)"}}}
				charts = append(charts, chartOptions()...)
				return []field{
					{Name: "year", Label: txt{"启用新科目表的年度", "First year on the new chart"}, Kind: kNumber, Required: true},
					{Name: "chart", Label: txt{"新科目表", "New chart"}, Kind: kSelect, Options: charts},
					{Name: "preparer", Label: txt{"制单", "Prepared by"}, Kind: kText, Required: true},
				}
			},
			prefill: func(fc *formCtx, v values) {
				v["year"] = strconv.Itoa(fc.today().Year)
				v["effective_date"] = fc.today().String()
				fc.voucherPrefill(v)
			},
			build: func(fc *formCtx, p *parser) any {
				y, _ := p.number("year", true)
				return transitionData{Year: y, Chart: p.str("chart"), Preparer: p.str("preparer")}
			},
		}),
		booksForm(&formDef{
			name: "books-chart", typ: domain.CmdAdoptChart,
			title: txt{"指定会计科目表", "Adopt a chart of accounts"},
			intro: txt{"账簿各年度自动采用该年度适用的科目表（2024年起为《农村集体经济组织会计制度》科目表），一般无需指定。只有账簿还没有凭证时才能另行指定；已有记录的账簿更换科目表，请在新年度年初办理“新旧会计制度衔接”。",
				"Each year of the books uses the chart the law sets for it (from 2024 the chart of the 2023 accounting system); there is usually nothing to adopt. A chart can be chosen only while the books have no voucher; books with records change chart at the start of a year, by the change of chart."},
			dateLabel: txt{"采用日期", "Date adopted"},
			fields: func(fc *formCtx, v values) []field {
				return []field{{Name: "chart", Label: txt{"科目表", "Chart"}, Kind: kSelect, Required: true, Options: chartOptions()},
					{Name: "year", Label: txt{"适用年度（可不填）", "For the year (optional)"}, Kind: kNumber,
						Help: txt{"填写则只记录该年度的科目表，须为该年度适用的科目表；不填则用于账簿中尚未确定科目表的各年度。", "Given, the chart is recorded for that year only and must be the one in force for it; blank, it is every year's that has none yet."}}}
			},
			build: func(fc *formCtx, p *parser) any {
				y, _ := p.number("year", false)
				return chartData{Chart: p.str("chart"), Year: y}
			},
		}),
	}
}

// chartOptions lists the charts gongkai ships.
func chartOptions() []option {
	var opts []option
	charts := domain.Charts()
	ids := make([]string, 0, len(charts))
	for id := range charts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		c := charts[id]
		opts = append(opts, option{Value: id, Label: txt{c.NameZH + "（" + id + "）", c.NameEN + " (" + id + ")"}})
	}
	return opts
}

// nextSubCode returns the first free code of two more digits under an
// account ("11201", "11202", ...), or "" when there is none or the
// account is unknown.
func nextSubCode(b *domain.Books, year int, parent string) string {
	if _, ok := b.AccountOf(year, parent); !ok {
		return ""
	}
	for n := 1; n <= 99; n++ {
		code := fmt.Sprintf("%s%02d", parent, n)
		if _, used := b.Subs[code]; used {
			continue
		}
		if _, used := b.AccountOf(year, code); !used {
			return code
		}
	}
	return ""
}
