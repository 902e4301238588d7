package workbench

import (
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

// accountOptions lists the accounts a voucher of this year may post to:
// the open accounts of the year's chart without sub-accounts, and the
// sub-accounts (明细科目) that have none below them.
func (fc *formCtx) accountOptions() []option {
	b := fc.books()
	year := fc.today().Year
	out := []option{{Value: "", Label: txt{"（选择科目）", "(account)"}}}
	var add func(code string)
	add = func(code string) {
		if kids := b.Children(code); len(kids) > 0 {
			for _, k := range kids {
				add(k)
			}
			return
		}
		if a, ok := b.AccountOf(year, code); ok && !a.Closed {
			out = append(out, option{Value: a.Code, Label: txt{a.Code + " " + a.NameZH, a.Code + " " + a.NameEN}})
		}
	}
	for _, a := range b.ChartFor(year).Accounts {
		add(a.Code)
	}
	return out
}

// voucherLines are the lines of a voucher form; the account options are
// filled per request.
var voucherLines = &lineSpec{
	Label: txt{"分录", "Entries"},
	Min:   2,
	Options: func(fc *formCtx) map[string][]option {
		return map[string][]option{"account": fc.accountOptions()}
	},
	Cols: []field{
		{Name: "account", Label: txt{"科目", "Account"}, Kind: kSelect},
		{Name: "debit", Label: txt{"借方金额", "Debit"}, Kind: kAmount},
		{Name: "credit", Label: txt{"贷方金额", "Credit"}, Kind: kAmount},
	},
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
	d.Lines = []voucherLineData{}
	for _, i := range p.rows(voucherLines.colNames()) {
		l := voucherLineData{Account: p.str(lineName(i, "account"))}
		if a, ok := p.amount(lineName(i, "debit"), false); ok {
			l.Debit = a.String()
		}
		if a, ok := p.amount(lineName(i, "credit"), false); ok {
			l.Credit = a.String()
		}
		d.Lines = append(d.Lines, l)
	}
	return d
}

func (fc *formCtx) voucherPrefill(v values) {
	if v["preparer"] == "" {
		v["preparer"] = fc.s.actor.Name
	}
}

// voucherOptions lists vouchers for a reversal (reversible ones of the
// current and last year) or a correction (of earlier years), newest first.
func (fc *formCtx) voucherOptions(correction bool) []option {
	b := fc.books()
	var vs []*domain.Voucher
	y := fc.today().Year
	for _, v := range b.Vouchers {
		switch {
		case v.Reverses != "" || v.ReversedBy != "":
		case correction && v.Date.Year < y:
			vs = append(vs, v)
		case !correction && v.Date.Year >= y-1:
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
					{Name: "account", Label: txt{"科目", "Account"}, Kind: kSelect, Required: true, Options: fc.accountOptions()},
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
			name: "books-chart", typ: domain.CmdAdoptChart,
			title:     txt{"采用会计科目表", "Adopt a chart of accounts"},
			intro:     txt{"只能在账簿还没有凭证时更换科目表。", "The chart can change only while the books have no voucher."},
			dateLabel: txt{"采用日期", "Date adopted"},
			fields: func(fc *formCtx, v values) []field {
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
				return []field{{Name: "chart", Label: txt{"科目表", "Chart"}, Kind: kSelect, Required: true, Options: opts}}
			},
			build: func(fc *formCtx, p *parser) any { return chartData{Chart: p.str("chart")} },
		}),
	}
}
