package export

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/projections"
)

// kindZH names the kinds of voucher the books mark, as the voucher pages
// do; a plain posting has no mark.
var kindZH = map[string]string{
	"reversal":     "红字冲销凭证",
	"correction":   "蓝字更正凭证",
	"opening":      "期初余额（建账）",
	"transition":   "新旧会计制度衔接",
	"closing":      "年终结转",
	"asset":        "固定资产入账（接受捐赠）",
	"depreciation": "计提折旧",
	"disposal":     "固定资产清理",
}

// journal is the year's vouchers in date order, number order within a
// day, the year-end carry-forward last.
type journal struct {
	vouchers []projections.VoucherView
}

// journal reads every voucher of the year.
func (r *reader) journal() (journal, error) {
	var j journal
	for _, m := range months(r.year) {
		l, err := r.b.Vouchers(r.ctx, r.community, m)
		if err != nil {
			return j, fmt.Errorf("vouchers %s: %w", m, err)
		}
		r.at(l.AsOfSeq)
		for _, b := range l.Vouchers {
			v, err := r.b.Voucher(r.ctx, r.community, b.ID)
			if err != nil {
				return j, fmt.Errorf("voucher %s: %w", b.ID, err)
			}
			r.at(v.AsOfSeq)
			j.vouchers = append(j.vouchers, v)
		}
	}
	slices.SortStableFunc(j.vouchers, func(a, b projections.VoucherView) int {
		if c := cmp.Compare(a.Date.String(), b.Date.String()); c != 0 {
			return c
		}
		if (a.Kind == "closing") != (b.Kind == "closing") {
			if a.Kind == "closing" {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.Number, b.Number)
	})
	return j, nil
}

// summary is a voucher's 摘要 with what kind of voucher it is, as the
// books show it: "电费（红字冲销凭证，冲销 2025-06-004）".
func summary(v projections.VoucherView) string {
	s := v.Summary
	var marks []string
	if k := kindZH[v.Kind]; k != "" {
		marks = append(marks, k)
	}
	if v.Reverses != "" && !strings.Contains(s, v.Reverses) {
		marks = append(marks, "冲销 "+v.Reverses)
	}
	if v.Corrects != "" {
		marks = append(marks, "更正 "+v.Corrects)
	}
	if v.ReversedBy != "" {
		marks = append(marks, "已被 "+v.ReversedBy+" 冲销")
	}
	for i, m := range marks {
		if i == 0 {
			s += "（"
		} else {
			s += "，"
		}
		s += m
	}
	if len(marks) > 0 {
		s += "）"
	}
	return s
}

// lineName is the name of a voucher line's account: "应付款—张三" for a
// sub-account.
func lineName(l projections.VoucherLine) string {
	if l.Root != "" && l.Root != l.Account {
		return l.RootNameZH + "—" + l.NameZH
	}
	return l.NameZH
}

// writeJournal writes 序时账: every line of every voucher of the year, a
// 本月合计 after each month and 本年合计 at the end. Red-ink reversals
// keep their negative amounts, as the books show them.
func writeJournal(s *sheet, j journal) error {
	s.headers("日期", "凭证号", "摘要", "科目编码", "科目名称", "借方金额", "贷方金额")
	s.freeze(s.row)
	s.widths(12, 14, 44, 12, 26, 16, 16)
	var md, mc, yd, yc domain.Fen
	n, month := 0, time.Month(0)
	flush := func() {
		if n > 0 {
			s.line(true, nil, nil, fmt.Sprintf("%d月合计", int(month)), nil, nil, md, mc)
		}
		md, mc, n = 0, 0, 0
	}
	for _, v := range j.vouchers {
		if v.Date.Month != month {
			flush()
			month = v.Date.Month
		}
		n++
		for _, l := range v.Lines {
			s.line(false, v.Date, v.ID, summary(v), l.Account, lineName(l), nonzero(l.Debit), nonzero(l.Credit))
			md += l.Debit
			mc += l.Credit
			yd += l.Debit
			yc += l.Credit
		}
	}
	flush()
	s.line(true, nil, nil, fmt.Sprintf("本年合计（%d张凭证）", len(j.vouchers)), nil, nil, yd, yc)
	s.filter(7)
	return s.done()
}

// yearTB is the year's trial balance built from its months: the opening
// of January, the turnover of the twelve months, the closing of December.
type yearTB struct {
	months [12]projections.TrialBalance
	rows   []projections.TrialBalanceRow // Seqs left empty
	total  projections.TrialBalanceRow
	// names are each account's full name, "应付款—张三" for a sub-account.
	names map[string]string
	order map[string]int
}

// trialBalances reads the twelve monthly trial balances and the chart.
func (r *reader) trialBalances() (*yearTB, error) {
	t := &yearTB{names: map[string]string{}, order: map[string]int{}}
	al, err := r.b.Accounts(r.ctx, r.community, r.year)
	if err != nil {
		return nil, fmt.Errorf("accounts %d: %w", r.year, err)
	}
	r.at(al.AsOfSeq)
	for i, a := range al.Accounts {
		t.order[a.Code] = i
	}
	byCode := map[string]*projections.TrialBalanceRow{}
	for i, m := range months(r.year) {
		tb, err := r.b.TrialBalance(r.ctx, r.community, m)
		if err != nil {
			return nil, fmt.Errorf("trial balance %s: %w", m, err)
		}
		r.at(tb.AsOfSeq)
		t.months[i] = tb
		for _, row := range tb.Rows {
			y := byCode[row.Account]
			if y == nil {
				y = &projections.TrialBalanceRow{Account: row.Account, NameZH: row.NameZH, NameEN: row.NameEN,
					Parent: row.Parent, Level: row.Level, Former: row.Former}
				if i == 0 {
					y.OpeningDebit, y.OpeningCredit = row.OpeningDebit, row.OpeningCredit
				}
				byCode[row.Account] = y
			}
			y.Debit += row.Debit
			y.Credit += row.Credit
		}
	}
	for _, y := range byCode {
		y.ClosingDebit, y.ClosingCredit = columns(y.OpeningDebit - y.OpeningCredit + y.Debit - y.Credit)
		t.rows = append(t.rows, *y)
	}
	t.sortRows(t.rows)
	for _, y := range t.rows {
		name := y.NameZH
		if y.Former {
			name += "（原科目）"
		}
		if p, ok := t.names[y.Parent]; ok && y.Parent != "" {
			name = p + "—" + name
		}
		t.names[y.Account] = name
		if y.Level == 0 {
			t.total.OpeningDebit += y.OpeningDebit
			t.total.OpeningCredit += y.OpeningCredit
			t.total.Debit += y.Debit
			t.total.Credit += y.Credit
			t.total.ClosingDebit += y.ClosingDebit
			t.total.ClosingCredit += y.ClosingCredit
		}
	}
	return t, nil
}

// sortRows puts rows in the order of the chart, sub-accounts after their
// parent; accounts the chart does not list (of a former chart) go last by
// code.
func (t *yearTB) sortRows(rows []projections.TrialBalanceRow) {
	key := func(code string) (int, string) {
		if i, ok := t.order[code]; ok {
			return i, ""
		}
		return len(t.order), code
	}
	slices.SortStableFunc(rows, func(a, b projections.TrialBalanceRow) int {
		ia, ca := key(a.Account)
		ib, cb := key(b.Account)
		return cmp.Or(cmp.Compare(ia, ib), cmp.Compare(ca, cb))
	})
}

// name returns an account's full name, or fallback when the year's trial
// balances do not show it.
func (t *yearTB) name(code, fallback string) string {
	if n, ok := t.names[code]; ok {
		return n
	}
	return fallback
}

func columns(net domain.Fen) (debit, credit domain.Fen) {
	if net >= 0 {
		return net, 0
	}
	return 0, -net
}

// writeGeneral writes 总账: for each account of the chart (level 0) that
// the year's trial balances show, a row a month with its opening balance,
// the month's debits and credits, the year's to date (本年累计) and the
// closing balance, each balance with its direction (借, 贷 or 平).
// December's row, the year's closing, is bold.
func writeGeneral(s *sheet, t *yearTB) error {
	s.headers("科目编码", "科目名称", "月份", "期初方向", "期初余额", "本月借方", "本月贷方", "本年累计借方", "本年累计贷方", "期末方向", "期末余额")
	s.freeze(s.row)
	s.widths(10, 22, 10, 9, 16, 16, 16, 16, 16, 9, 16)
	for _, y := range t.rows {
		if y.Level != 0 {
			continue
		}
		var cd, cc domain.Fen
		net := y.OpeningDebit - y.OpeningCredit
		for i, tb := range t.months {
			var d, c domain.Fen
			for _, row := range tb.Rows {
				if row.Account == y.Account {
					d, c = row.Debit, row.Credit
				}
			}
			cd += d
			cc += c
			od, oa := direction(net)
			net += d - c
			cdir, ca := direction(net)
			s.line(i == 11, y.Account, t.name(y.Account, y.NameZH), fmt.Sprintf("%d月", i+1), od, oa, d, c, cd, cc, cdir, ca)
		}
	}
	s.filter(11)
	return s.done()
}

// writeTrialBalance writes 科目余额表 for the year: the opening balance
// at 1 January (after the year's opening voucher, if any), the year's
// turnover and the closing balance at 31 December, each in debit and
// credit columns, and the totals of the accounts of the chart, whose
// debit and credit agree.
func writeTrialBalance(s *sheet, t *yearTB) error {
	s.row++
	top := s.row
	for i, h := range []string{"科目编码", "科目名称"} {
		s.set(i+1, top, h, s.st.header)
		s.set(i+1, top+1, nil, s.st.header)
		s.merge(i+1, top, i+1, top+1)
	}
	for i, h := range []string{"期初余额", "本期发生额", "期末余额"} {
		c := 3 + 2*i
		s.set(c, top, h, s.st.header)
		s.set(c+1, top, nil, s.st.header)
		s.merge(c, top, c+1, top)
		s.set(c, top+1, "借方", s.st.header)
		s.set(c+1, top+1, "贷方", s.st.header)
	}
	s.row = top + 1
	s.freeze(s.row)
	s.widths(12, 30, 16, 16, 16, 16, 16, 16)
	for _, y := range t.rows {
		name := y.NameZH
		if y.Former {
			name += "（原科目）"
		}
		s.line(false, y.Account, indent(name, y.Level), y.OpeningDebit, y.OpeningCredit, y.Debit, y.Credit, y.ClosingDebit, y.ClosingCredit)
	}
	x := t.total
	s.line(true, "合计", nil, x.OpeningDebit, x.OpeningCredit, x.Debit, x.Credit, x.ClosingDebit, x.ClosingCredit)
	if x.OpeningDebit != x.OpeningCredit || x.Debit != x.Credit || x.ClosingDebit != x.ClosingCredit {
		s.note("借贷不平衡：请核对账簿。", 8)
	}
	return s.done()
}

// writeSubsidiary writes 明细账 on one sheet: for each account posted to
// in the year, in the order of the chart, a heading row, its balance at 1
// January, every posting with the running balance, 本月合计 after each
// month with postings and 本年累计 at the end. Each row repeats the
// account's code and name, so that an autofilter on 科目编码 shows one
// account's ledger.
func (r *reader) writeSubsidiary(s *sheet, j journal, t *yearTB) error {
	const ncol = 9
	s.headers("科目编码", "科目名称", "日期", "凭证号", "摘要", "借方金额", "贷方金额", "借或贷", "余额")
	s.freeze(s.row)
	s.widths(12, 26, 12, 14, 44, 16, 16, 8, 16)
	posted := map[string]bool{}
	var rows []projections.TrialBalanceRow
	for _, v := range j.vouchers {
		for _, l := range v.Lines {
			if !posted[l.Account] {
				posted[l.Account] = true
				rows = append(rows, projections.TrialBalanceRow{Account: l.Account, NameZH: lineName(l)})
			}
		}
	}
	t.sortRows(rows)
	first := true
	for _, a := range rows {
		var ls []projections.Ledger
		entries := 0
		for _, m := range months(r.year) {
			l, err := r.b.Ledger(r.ctx, r.community, a.Account, m)
			if errors.Is(err, projections.ErrNotFound) {
				break
			}
			if err != nil {
				return fmt.Errorf("ledger %s %s: %w", a.Account, m, err)
			}
			r.at(l.AsOfSeq)
			ls = append(ls, l)
			entries += len(l.Entries)
		}
		if entries == 0 {
			continue // its only postings are the year's opening voucher
		}
		if !first {
			s.row++ // a blank row between accounts
		}
		first = false
		name := t.name(a.Account, a.NameZH)
		side := "借"
		toNet := func(bal domain.Fen) domain.Fen { return bal }
		if ls[0].Side == domain.SideCredit {
			side = "贷"
			toNet = func(bal domain.Fen) domain.Fen { return -bal }
		}
		s.row++
		s.set(1, s.row, fmt.Sprintf("%s %s（余额方向：%s）", a.Account, name, side), s.st.bold)
		for c := 2; c <= ncol; c++ {
			s.set(c, s.row, nil, s.st.bold)
		}
		s.merge(1, s.row, ncol, s.row)
		dir, amt := direction(toNet(ls[0].Opening))
		s.line(false, a.Account, name, domain.Date{Year: r.year, Month: time.January, Day: 1}, nil, "年初余额", money{blank: true}, money{blank: true}, dir, amt)
		var yd, yc domain.Fen
		for i, l := range ls {
			for _, e := range l.Entries {
				sum := e.Summary
				if e.Account != "" {
					sum += "［" + e.Account + "］"
				}
				dir, amt := direction(toNet(e.Balance))
				s.line(false, a.Account, name, e.Date, e.Voucher, sum, nonzero(e.Debit), nonzero(e.Credit), dir, amt)
			}
			yd += l.Debit
			yc += l.Credit
			if len(l.Entries) > 0 {
				dir, amt := direction(toNet(l.Closing))
				s.line(true, a.Account, name, nil, nil, fmt.Sprintf("%d月合计", i+1), l.Debit, l.Credit, dir, amt)
			}
		}
		dir, amt = direction(toNet(ls[len(ls)-1].Closing))
		s.line(true, a.Account, name, nil, nil, "本年累计", yd, yc, dir, amt)
	}
	s.filter(ncol)
	return s.done()
}

// nonzero is an amount cell left blank when zero: the side of a line
// that is not posted to.
func nonzero(f domain.Fen) money { return money{v: f, blank: f == 0} }
