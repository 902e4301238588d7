package export

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/projections"
)

// UnverifiedZH is the warning on a form not yet checked against the
// Ministry's text (the 2023 forms), as the statement pages give it.
const UnverifiedZH = "2023年格式行次未经官方原文核对：本表按财会〔2023〕14号附录重构，行次为临时编号，项目名称和栏目名称尚待与财政部原文核对，仅供参考。"

// writeForm writes an official statement of the year: the balance sheet
// at 31 December or 收益及收益分配表 of the year, its two halves side by
// side as printed (资产 | 负债及所有者权益), each row with its 行次,
// subtotals and totals bold, then its checks. A year whose chart has no
// such form gets a line saying so.
func (r *reader) writeForm(s *sheet, unit, kind string) error {
	var f projections.Form
	var err error
	if kind == domain.FormBalanceSheet {
		f, err = r.b.BalanceSheetForm(r.ctx, r.community, fmt.Sprintf("%04d-12", r.year))
	} else {
		f, err = r.b.IncomeForm(r.ctx, r.community, r.year)
	}
	if errors.Is(err, projections.ErrNotFound) {
		s.freeze(s.row)
		s.note(fmt.Sprintf("%d年度的会计制度没有此表的格式（%v）。", r.year, err), 8)
		return s.done()
	}
	if err != nil {
		return fmt.Errorf("%s %d: %w", kind, r.year, err)
	}
	r.at(f.AsOfSeq)

	var halves [][]projections.FormRow
	heads := []string{}
	for _, side := range []string{"left", "right"} {
		var rows []projections.FormRow
		for _, row := range f.Rows {
			if row.Side == side {
				rows = append(rows, row)
			}
		}
		if len(rows) > 0 {
			halves = append(halves, rows)
			head := f.Header.Left
			if side == "right" && f.Header.Right != "" {
				head = f.Header.Right
			}
			heads = append(heads, head)
		}
	}
	width := 2 + len(f.Columns) // label, 行次, the columns
	ncol := width * len(halves)

	s.row++
	s.set(1, s.row, f.TitleZH, s.st.title)
	s.merge(1, s.row, ncol, s.row)
	dateLine := fmt.Sprintf("%d年度", f.Year)
	if f.Kind == domain.FormBalanceSheet {
		dateLine = fmt.Sprintf("%d年%d月%d日", f.Date.Year, int(f.Date.Month), f.Date.Day)
	}
	formNo := f.FormNo
	if formNo == "unverified" {
		formNo = "表号未核实"
	}
	s.line(false, "编制单位："+unit, nil, dateLine, nil, formNo+" · "+f.UnitZH)
	if !f.Verified {
		s.note(UnverifiedZH, ncol)
	}
	s.row++
	for h, head := range heads {
		c := 1 + h*width
		s.set(c, s.row, head, s.st.header)
		s.set(c+1, s.row, f.Header.Row, s.st.header)
		for i, col := range f.Columns {
			s.set(c+2+i, s.row, col.LabelZH, s.st.header)
		}
	}
	s.freeze(s.row)
	var w []float64
	for range halves {
		w = append(w, 34, 6)
		for range f.Columns {
			w = append(w, 16)
		}
	}
	s.widths(w...)
	n := 0
	for _, h := range halves {
		n = max(n, len(h))
	}
	first := s.row + 1
	for h, rows := range halves {
		c := 1 + h*width
		for i := range n {
			row := first + i
			if i >= len(rows) {
				for k := range width {
					s.set(c+k, row, nil, s.st.text)
				}
				continue
			}
			fr := rows[i]
			bold := fr.Kind != "item"
			label := s.st.text
			if bold {
				label = s.st.bold
			}
			s.set(c, row, fr.LabelZH, label)
			if fr.Row != 0 {
				s.set(c+1, row, fr.Row, label)
			} else {
				s.set(c+1, row, nil, label)
			}
			for k, col := range f.Columns {
				a, ok := fr.Amounts[col.Key]
				s.set(c+2+k, row, money{v: a, blank: !ok}, s.styleOf(domain.Fen(0), bold))
			}
		}
	}
	s.row = first + n - 1
	s.row++ // a blank row
	if f.Kind == domain.FormBalanceSheet {
		if f.Balanced {
			s.line(false, "✓ 表内平衡（资产总计 = 负债及所有者权益总计）")
		} else {
			s.line(false, "✗ 表内不平衡")
		}
	}
	for _, c := range f.Checks {
		rows := make([]string, len(c.Rows))
		for i, n := range c.Rows {
			rows[i] = fmt.Sprint(n)
		}
		mark, verdict := "✓", "成立"
		if !c.Holds {
			mark, verdict = "✗", "不成立"
		}
		s.line(false, fmt.Sprintf("%s %s（行次 %s）%s", mark, c.Note, strings.Join(rows, ", "), verdict))
	}
	for _, u := range f.Unplaced {
		cells := []any{fmt.Sprintf("✗ 未列入本表的余额：%s %s", u.Code, u.NameZH)}
		for _, col := range f.Columns {
			cells = append(cells, col.LabelZH, u.Amounts[col.Key])
		}
		s.line(false, cells...)
	}
	for _, nt := range f.Notes {
		s.note(nt.ZH, ncol)
	}
	return s.done()
}

// writeBudget writes 预算执行: each budget line with its budget, the funds
// received, what was spent, what remains and the share spent, then the
// totals. A year without a budget gets a line saying so.
func (r *reader) writeBudget(s *sheet) error {
	be, err := r.b.BudgetExecution(r.ctx, r.community, r.year)
	if errors.Is(err, projections.ErrNotFound) {
		s.freeze(s.row)
		s.note(fmt.Sprintf("%d年度没有通过的预算。", r.year), 8)
		return s.done()
	}
	if err != nil {
		return fmt.Errorf("budget execution %d: %w", r.year, err)
	}
	r.at(be.AsOfSeq)
	s.line(false, "预算决议："+be.Resolution, nil, "通过日期：", be.Adopted)
	s.headers("预算项目", "项目名称", "资金来源", "预算", "到账", "支出", "结余", "执行率")
	s.freeze(s.row)
	s.widths(14, 30, 16, 16, 16, 16, 16, 10)
	for _, l := range be.Lines {
		s.line(false, l.Line, l.Name, l.Source, l.Budget, l.Received, l.Spent, l.Remaining, pct(l.Percent))
	}
	t := be.Total
	s.line(true, "合计", nil, nil, t.Budget, t.Received, t.Spent, t.Remaining, pct(t.Percent))
	return s.done()
}
