package importer

import (
	"fmt"
	"regexp"
	"strconv"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/entry"
)

// Voucher columns.
const (
	colVDate       = "日期"
	colVNumber     = "凭证号"
	colVSummary    = "摘要"
	colVAccount    = "科目编码"
	colVDebit      = "借方金额"
	colVCredit     = "贷方金额"
	colVPreparer   = "制单人"
	colVReviewer   = "审核人"
	colVApprover   = "审批人"
	colVBudgetLine = "预算行编号"
	colVMatter     = "事项编号"
)

var voucherSpec = &spec{
	kind: Vouchers, title: "凭证", sheet: "凭证",
	columns: []column{
		{colVDate, "Date", true, typeDate, 12, "凭证日期（记账日期），如 2026-01-06；同一凭证的其余行可留空", "voucher date; may be left empty on the voucher's other rows"},
		{colVNumber, "Voucher number", true, typeNumber, 8, "当月凭证号，从1起连续编号；同一凭证的各行填相同凭证号，或只在第一行填写", "number within the month; the same on every line of a voucher, or only on its first"},
		{colVSummary, "Summary", true, typeText, 36, "摘要，最多200字；一张凭证只有一个摘要，写在第一行", "one summary per voucher, on its first row"},
		{colVAccount, "Account code", true, typeID, 10, "会计科目编码，如 102（银行存款）；也可写“102 银行存款”", "account code of the chart, such as 102; \"102 银行存款\" also reads"},
		{colVDebit, "Debit", true, typeAmount, 14, "借方金额（元），如 2290.00；借方、贷方只填一项", "debit in yuan; give the debit or the credit, not both"},
		{colVCredit, "Credit", true, typeAmount, 14, "贷方金额（元）；借贷合计须相等", "credit in yuan; a voucher's debits and credits must balance"},
		{colVPreparer, "Prepared by", true, typeText, 10, "制单人姓名，必填", "who prepared the voucher, required"},
		{colVReviewer, "Reviewed by", false, typeText, 10, "审核人姓名，可留空", "reviewer, optional"},
		{colVApprover, "Approved by", false, typeText, 10, "审批人姓名，可留空", "approver, optional"},
		{colVBudgetLine, "Budget line", false, typeID, 12, "支出所列的预算行编号，如 staff；可留空", "the budget line charged, such as staff; optional"},
		{colVMatter, "Matter", false, typeID, 12, "支出依据的决议事项编号，如 m-2026-01；超过支出限额的付款必填", "the matter whose resolution authorises the payment; required above the spending threshold"},
	},
	example: [][]string{
		{"2026-01-06", "1", "收到县财政拨付1月社区工作人员补贴", "102", "2290.00", "", "赵敏", "李娜", "王建华", "", ""},
		{"", "1", "", "503", "", "2290.00", "", "", "", "", ""},
	},
	intro: "每行一条分录。凭证号相同（或留空）的连续各行组成一张凭证，导入为一条“记账凭证”（books.post_voucher）。" +
		"凭证日期、摘要、制单人等写在凭证第一行即可。",
	parse: parseVouchers,
}

// voucher is the rows of one voucher.
type voucher struct {
	rows     []row
	numText  string
	number   int
	date     domain.Date
	dated    bool
	head     map[string]cellValue // voucher-wide columns
	lines    []voucherLine
	linesBad bool
}

// cellValue is a value and the row it was read from.
type cellValue struct {
	value string
	row   int
}

type voucherLine struct {
	row           int
	account       string
	debit, credit domain.Fen
}

// voucherHead are the columns that hold one value for the whole voucher.
var voucherHead = []string{colVSummary, colVPreparer, colVReviewer, colVApprover, colVBudgetLine, colVMatter}

// accountWithName reads "102 银行存款", "102-银行存款" and "102银行存款".
var accountWithName = regexp.MustCompile(`^([0-9]+)\s*[-:]?\s*(\p{Han}.*)$`)

func parseVouchers(g *grid) {
	var vs []*voucher
	var cur *voucher
	for _, r := range g.rows {
		numText := entry.Normalize(g.text(r, colVNumber))
		d, dated := g.date(r, colVDate)
		start := cur == nil ||
			(numText != "" && numText != cur.numText) ||
			(dated && cur.dated && domain.Month(d) != domain.Month(cur.date))
		if start {
			cur = &voucher{numText: numText, head: map[string]cellValue{}}
			vs = append(vs, cur)
			if numText == "" {
				g.fail(r.num, colVNumber, "required on a voucher's first row", "凭证第一行须填凭证号")
			} else if n, err := entry.ParseNumber(numText); err != nil {
				g.failErr(r.num, colVNumber, err)
			} else if n < 1 || n > 99999 {
				g.fail(r.num, colVNumber, "from 1 to 99999", "凭证号须在 1 至 99999 之间")
			} else {
				cur.number = n
			}
			switch {
			case dated:
				cur.date, cur.dated = d, true
			case g.text(r, colVDate) == "":
				g.fail(r.num, colVDate, "required on a voucher's first row", "凭证第一行须填日期")
			}
		} else if dated && cur.dated && d != cur.date {
			g.fail(r.num, colVDate, fmt.Sprintf("the voucher is dated %s on row %d; its rows have one date", cur.date, cur.rows[0].num),
				fmt.Sprintf("同一张凭证的日期须一致：本凭证（第%d行起）日期为 %s", cur.rows[0].num, cur.date))
		}
		cur.rows = append(cur.rows, r)
		for _, col := range voucherHead {
			v := g.text(r, col)
			if col == colVBudgetLine || col == colVMatter {
				v = g.id(r, col, map[string]string{colVBudgetLine: "staff", colVMatter: "m-2026-01"}[col])
			}
			if v == "" {
				continue
			}
			if h, ok := cur.head[col]; !ok {
				cur.head[col] = cellValue{v, r.num}
			} else if h.value != v {
				g.fail(r.num, col, fmt.Sprintf("a voucher has one %s: row %d has %q; leave it empty on the other rows or repeat it", col, h.row, h.value),
					fmt.Sprintf("一张凭证只有一个%s，第%d行已填“%s”：其余行请留空或填写相同内容", col, h.row, h.value))
			}
		}
		l, ok := voucherLineOf(g, r, cur)
		cur.lines = append(cur.lines, l)
		cur.linesBad = cur.linesBad || !ok
	}

	seen := map[string]int{}
	for _, v := range vs {
		first, last := v.rows[0].num, v.rows[len(v.rows)-1].num
		if v.number > 0 && v.dated {
			key := domain.VoucherID(v.date, v.number)
			if at, dup := seen[key]; dup {
				g.fail(first, colVNumber, fmt.Sprintf("voucher %d of %s is already on row %d; numbers are not reused within a month", v.number, domain.Month(v.date), at),
					fmt.Sprintf("%s 的凭证号 %d 已用于第%d行起的凭证，同月凭证号不能重复", domain.Month(v.date), v.number, at))
			} else {
				seen[key] = first
			}
		}
		for _, col := range []string{colVSummary, colVPreparer} {
			if _, ok := v.head[col]; !ok {
				g.fail(first, col, "required on the voucher's first row", "必填（写在凭证第一行）")
			}
		}
		switch n := len(v.lines); {
		case n < 2:
			g.fail(last, colVAccount, "a voucher has at least two lines, a debit and a credit",
				fmt.Sprintf("一张凭证至少两行分录（有借有贷），凭证号 %s 只有 %d 行", v.numText, n))
		case n > 100:
			g.fail(last, colVAccount, "a voucher has at most 100 lines", fmt.Sprintf("一张凭证最多100行分录，凭证号 %s 有 %d 行", v.numText, n))
		}
		if !v.linesBad && len(v.lines) >= 2 {
			var debits, credits domain.Fen
			for _, l := range v.lines {
				debits += l.debit
				credits += l.credit
			}
			if debits != credits {
				g.fail(last, colVDebit,
					fmt.Sprintf("unbalanced: debits %s, credits %s, difference %s (voucher %s, rows %d to %d)", debits, credits, debits-credits, v.numText, first, last),
					fmt.Sprintf("借贷不平衡：借方合计 %s，贷方合计 %s，相差 %s（凭证号 %s，第%d至%d行）", debits, credits, debits-credits, v.numText, first, last))
			}
		}
		if g.bad(nums(v.rows)...) {
			continue
		}
		emitVoucher(g, v)
	}
}

// voucherLineOf reads the account and the amount of a row of voucher v.
// An account written with its name ("102 银行存款") is checked against the
// chart the law sets for the voucher's year (domain.ChartInForce); the
// books' own chart and sub-accounts are checked when it is posted.
func voucherLineOf(g *grid, r row, v *voucher) (voucherLine, bool) {
	l := voucherLine{row: r.num}
	ok := true
	l.account = entry.Normalize(g.text(r, colVAccount))
	if m := accountWithName.FindStringSubmatch(l.account); m != nil {
		l.account = m[1]
		var a domain.Account
		known := false
		if v.dated {
			a, known = domain.ChartInForce(v.date.Year).Account(m[1])
		}
		if known && entry.Normalize(a.NameZH) != m[2] {
			g.fail(r.num, colVAccount, fmt.Sprintf("in the chart of %d account %s is %s, not %s", v.date.Year, a.Code, a.NameZH, m[2]),
				fmt.Sprintf("%d年度的科目表中，科目编码 %s 是“%s”，不是“%s”", v.date.Year, a.Code, a.NameZH, m[2]))
			ok = false
		}
	}
	if l.account == "" {
		g.required(r.num, colVAccount)
		ok = false
	}
	dt, ct := g.text(r, colVDebit), g.text(r, colVCredit)
	debit, dok := g.amount(r, colVDebit)
	credit, cok := g.amount(r, colVCredit)
	if (dt != "" && !dok) || (ct != "" && !cok) {
		return l, false // reported
	}
	// A zero on the other side (or the "-" an accounting format shows for
	// it) is no amount.
	switch {
	case debit > 0 && credit == 0:
		l.debit = debit
	case credit > 0 && debit == 0:
		l.credit = credit
	case debit > 0 && credit > 0:
		g.fail(r.num, colVCredit, "give the debit or the credit, not both", "借方金额、贷方金额只能填一项")
		ok = false
	case dt == "" && ct == "":
		g.fail(r.num, colVDebit, "give the debit or the credit", "借方金额、贷方金额须填一项")
		ok = false
	default:
		col := colVDebit
		if dt == "" {
			col = colVCredit
		}
		g.fail(r.num, col, "the amount must be more than zero", "金额须大于零")
		ok = false
	}
	return l, ok
}

type voucherLineData struct {
	Account string `json:"account"`
	Debit   string `json:"debit,omitempty"`
	Credit  string `json:"credit,omitempty"`
}

type voucherData struct {
	Number     int               `json:"number"`
	Summary    string            `json:"summary"`
	Lines      []voucherLineData `json:"lines"`
	Preparer   string            `json:"preparer"`
	Reviewer   string            `json:"reviewer,omitempty"`
	Approver   string            `json:"approver,omitempty"`
	BudgetLine string            `json:"budget_line,omitempty"`
	Matter     string            `json:"matter,omitempty"`
}

func emitVoucher(g *grid, v *voucher) {
	data := voucherData{Number: v.number, Summary: v.head[colVSummary].value, Preparer: v.head[colVPreparer].value,
		Reviewer: v.head[colVReviewer].value, Approver: v.head[colVApprover].value,
		BudgetLine: v.head[colVBudgetLine].value, Matter: v.head[colVMatter].value}
	for _, l := range v.lines {
		ld := voucherLineData{Account: l.account}
		if l.debit > 0 {
			ld.Debit = l.debit.String()
		} else {
			ld.Credit = l.credit.String()
		}
		data.Lines = append(data.Lines, ld)
	}
	first, last := v.rows[0].num, v.rows[len(v.rows)-1].num
	head := func(col string) (int, string) {
		if h, ok := v.head[col]; ok {
			return h.row, col
		}
		return first, col
	}
	g.emit(domain.CmdPostVoucher, domain.BooksID, v.date, data, nums(v.rows), func(field string) (int, string) {
		if m := fieldRE.FindStringSubmatch(field); m != nil {
			i, _ := strconv.Atoi(m[1])
			if i >= len(v.lines) {
				return last, colVDebit
			}
			switch m[2] {
			case "account":
				return v.lines[i].row, colVAccount
			case "credit":
				return v.lines[i].row, colVCredit
			}
			return v.lines[i].row, colVDebit
		}
		switch field {
		case "data.number":
			return first, colVNumber
		case "data.lines":
			return last, colVDebit
		case "data.summary":
			return head(colVSummary)
		case "data.preparer":
			return head(colVPreparer)
		case "data.reviewer":
			return head(colVReviewer)
		case "data.approver":
			return head(colVApprover)
		case "data.budget_line":
			return head(colVBudgetLine)
		case "data.matter":
			return head(colVMatter)
		}
		return first, ""
	})
}
