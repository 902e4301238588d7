package export_test

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/demo"
	"github.com/gongkai/gongkai/internal/export"
)

// grid is one sheet's stored values, rows from 1: g[r][c] is cell (c+1, r).
type grid [][]string

func sheetGrid(t *testing.T, f *excelize.File, sheet string) grid {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatalf("GetRows(%s): %v", sheet, err)
	}
	return append(grid{nil}, rows...)
}

// at returns the value of column c (from 1) of row r, "" if absent.
func (g grid) at(r, c int) string {
	if r < len(g) && c-1 < len(g[r]) {
		return g[r][c-1]
	}
	return ""
}

// find returns the first row whose column c is v, or 0.
func (g grid) find(c int, v string) int {
	for r := range g {
		if g.at(r, c) == v {
			return r
		}
	}
	return 0
}

// fen reads a stored amount; an empty cell is 0.
func fen(t *testing.T, s string) domain.Fen {
	t.Helper()
	if s == "" {
		return 0
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("amount cell %q is not a number: %v", s, err)
	}
	return domain.Fen(math.Round(x * 100))
}

// amountAt reads the amount of column c of row r.
func (g grid) amountAt(t *testing.T, r, c int) domain.Fen {
	t.Helper()
	return fen(t, g.at(r, c))
}

// yuan parses a hand-computed figure.
func yuan(t *testing.T, s string) domain.Fen {
	t.Helper()
	neg := strings.HasPrefix(s, "-")
	f, err := domain.ParseYuan(strings.TrimPrefix(s, "-"))
	if err != nil {
		t.Fatal(err)
	}
	if neg {
		return -f
	}
	return f
}

// formAmount returns the amount of the first column of figures beside
// label in a form's sheet (a label's column is followed by 行次 and then
// the form's columns).
func formAmount(t *testing.T, g grid, label string, column int) domain.Fen {
	t.Helper()
	for r := range g {
		for c := 1; c <= len(g[r]); c++ {
			if g.at(r, c) == label {
				return g.amountAt(t, r, c+1+column)
			}
		}
	}
	t.Fatalf("no row %q", label)
	return 0
}

// checkStyle says the cell holds a number formatted #,##0.00, bold or not.
func checkStyle(t *testing.T, f *excelize.File, sheet, ref string, bold bool) {
	t.Helper()
	id, err := f.GetCellStyle(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	if st.CustomNumFmt == nil || *st.CustomNumFmt != export.MoneyFormat {
		t.Errorf("%s!%s number format = %v, want %s", sheet, ref, st.CustomNumFmt, export.MoneyFormat)
	}
	if got := st.Font != nil && st.Font.Bold; got != bold {
		t.Errorf("%s!%s bold = %v, want %v", sheet, ref, got, bold)
	}
	typ, err := f.GetCellType(sheet, ref)
	if err != nil {
		t.Fatal(err)
	}
	if typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Errorf("%s!%s type = %v, want a number", sheet, ref, typ)
	}
}

// checkCommon checks what every workbook must have: its sheets in order,
// names Excel accepts, titles, frozen headers, and books that balance.
func checkCommon(t *testing.T, d demoBooks, raw, shown *excelize.File, year int) {
	t.Helper()
	ctx := context.Background()
	if got := strings.Join(raw.GetSheetList(), ","); got != strings.Join(export.Sheets, ",") {
		t.Fatalf("sheets = %s, want %s", got, strings.Join(export.Sheets, ","))
	}
	for _, s := range export.Sheets {
		if n := utf8.RuneCountInString(s); n > 31 {
			t.Errorf("sheet %s: %d characters, Excel takes 31", s, n)
		}
		g := sheetGrid(t, raw, s)
		if want := fmt.Sprintf("文化路社区 %d年度 %s", year, s); g.at(1, 1) != want {
			t.Errorf("%s!A1 = %q, want %q", s, g.at(1, 1), want)
		}
		if !strings.Contains(g.at(2, 1), "截至日志序号：") {
			t.Errorf("%s!A2 = %q, want the log position", s, g.at(2, 1))
		}
		if dim, err := raw.GetSheetDimension(s); err != nil || dim != fmt.Sprintf("A1:%s", cell(maxCols(g), len(g)-1)) {
			t.Errorf("%s: dimension %q (%v), want the used range A1:%s", s, dim, err, cell(maxCols(g), len(g)-1))
		}
		p, err := raw.GetPanes(s)
		if err != nil {
			t.Fatal(err)
		}
		if !p.Freeze || p.YSplit < 2 {
			t.Errorf("%s: panes %+v, want the header rows frozen", s, p)
		}
	}

	// 序时账: each month's total and the year's are the sums of the
	// vouchers the books list, and of the lines above them.
	j := sheetGrid(t, raw, export.SheetJournal)
	var yearSum, opening, lineD, lineC domain.Fen
	vouchers := 0
	for m := 1; m <= 12; m++ {
		vl, err := d.finance.Vouchers(ctx, demo.Community, fmt.Sprintf("%04d-%02d", year, m))
		if err != nil {
			t.Fatal(err)
		}
		var sum domain.Fen
		for _, v := range vl.Vouchers {
			sum += v.Amount
			if v.Number == 0 && (v.Kind == "opening" || v.Kind == "transition") {
				opening += v.Amount
			}
		}
		vouchers += len(vl.Vouchers)
		yearSum += sum
		if len(vl.Vouchers) == 0 {
			continue
		}
		r := j.find(3, fmt.Sprintf("%d月合计", m))
		if r == 0 {
			t.Errorf("序时账: no %d月合计", m)
			continue
		}
		if d, c := j.amountAt(t, r, 6), j.amountAt(t, r, 7); d != sum || c != sum {
			t.Errorf("序时账 %d月合计 = %s / %s, want the month's vouchers %s", m, d, c, sum)
		}
	}
	total := j.find(3, fmt.Sprintf("本年合计（%d张凭证）", vouchers))
	if total == 0 {
		t.Fatalf("序时账: no 本年合计（%d张凭证）", vouchers)
	}
	for r := 4; r < total; r++ {
		if !strings.HasSuffix(j.at(r, 3), "月合计") {
			lineD += j.amountAt(t, r, 6)
			lineC += j.amountAt(t, r, 7)
		}
	}
	if d, c := j.amountAt(t, total, 6), j.amountAt(t, total, 7); d != yearSum || c != yearSum || lineD != yearSum || lineC != yearSum {
		t.Errorf("序时账 本年合计 = %s / %s, lines %s / %s; want the vouchers' %s", d, c, lineD, lineC, yearSum)
	}
	checkStyle(t, raw, export.SheetJournal, cell(6, total), true)
	if vouchers > 0 {
		checkStyle(t, raw, export.SheetJournal, cell(6, 4), false)
	}

	// 科目余额表: the totals balance, and each account of the chart agrees
	// with the monthly trial balances of the books.
	tb := sheetGrid(t, raw, export.SheetTrialBalance)
	tr := tb.find(1, "合计")
	if tr == 0 {
		t.Fatal("科目余额表: no 合计")
	}
	for c := 3; c <= 8; c += 2 {
		if d, cr := tb.amountAt(t, tr, c), tb.amountAt(t, tr, c+1); d != cr {
			t.Errorf("科目余额表 合计 %s: debit %s ≠ credit %s", tb.at(3, c), d, cr)
		}
	}
	for c := 3; c <= 8; c++ {
		checkStyle(t, raw, export.SheetTrialBalance, cell(c, tr), true)
	}
	jan, err := d.finance.TrialBalance(ctx, demo.Community, fmt.Sprintf("%04d-01", year))
	if err != nil {
		t.Fatal(err)
	}
	dec, err := d.finance.TrialBalance(ctx, demo.Community, fmt.Sprintf("%04d-12", year))
	if err != nil {
		t.Fatal(err)
	}
	if o, c := tb.amountAt(t, tr, 3), tb.amountAt(t, tr, 7); o != jan.Total.OpeningDebit || c != dec.Total.ClosingDebit {
		t.Errorf("科目余额表 合计 opening %s closing %s, want January's %s and December's %s", o, c, jan.Total.OpeningDebit, dec.Total.ClosingDebit)
	}
	for _, row := range dec.Rows {
		r := tb.find(1, row.Account)
		if r == 0 {
			t.Errorf("科目余额表: no %s", row.Account)
			continue
		}
		if d, c := tb.amountAt(t, r, 7), tb.amountAt(t, r, 8); d != row.ClosingDebit || c != row.ClosingCredit {
			t.Errorf("科目余额表 %s closing %s / %s, want December's %s / %s", row.Account, d, c, row.ClosingDebit, row.ClosingCredit)
		}
	}

	// The journal lists the year's opening voucher (voucher 0), whose
	// amounts 科目余额表 counts as opening balances, not turnover.
	if jd, td := j.amountAt(t, total, 6)-opening, tb.amountAt(t, tr, 5); jd != td {
		t.Errorf("序时账 本年合计 − voucher 0 %s = %s, want 科目余额表 本期借方 %s", opening, jd, td)
	}

	// 总账: December's closing of each account is the trial balance's.
	gl := sheetGrid(t, raw, export.SheetGeneral)
	for r := range gl {
		if gl.at(r, 3) != "12月" {
			continue
		}
		tr := tb.find(1, gl.at(r, 1))
		if tr == 0 {
			t.Errorf("总账 %s: not in 科目余额表", gl.at(r, 1))
			continue
		}
		net := tb.amountAt(t, tr, 7) - tb.amountAt(t, tr, 8)
		want := map[bool]string{true: "借", false: "贷"}[net > 0]
		if net == 0 {
			want = "平"
		}
		if dir, amt := gl.at(r, 10), gl.amountAt(t, r, 11); dir != want || amt != max(net, -net) {
			t.Errorf("总账 %s 12月 期末 = %s %s, want %s %s", gl.at(r, 1), dir, amt, want, max(net, -net))
		}
		if d, c := gl.amountAt(t, r, 8), gl.amountAt(t, r, 9); d != tb.amountAt(t, tr, 5) || c != tb.amountAt(t, tr, 6) {
			t.Errorf("总账 %s 本年累计 = %s / %s, want 科目余额表's %s / %s", gl.at(r, 1), d, c, tb.amountAt(t, tr, 5), tb.amountAt(t, tr, 6))
		}
	}

	// 明细账: each account's 本年累计 is its turnover and closing balance
	// in 科目余额表.
	sl := sheetGrid(t, raw, export.SheetSubsidiary)
	blocks := 0
	for r := range sl {
		if sl.at(r, 5) != "本年累计" {
			continue
		}
		blocks++
		code := sl.at(r, 1)
		tr := tb.find(1, code)
		if tr == 0 {
			t.Errorf("明细账 %s: not in 科目余额表", code)
			continue
		}
		if d, c := sl.amountAt(t, r, 6), sl.amountAt(t, r, 7); d != tb.amountAt(t, tr, 5) || c != tb.amountAt(t, tr, 6) {
			t.Errorf("明细账 %s 本年累计 = %s / %s, want %s / %s", code, d, c, tb.amountAt(t, tr, 5), tb.amountAt(t, tr, 6))
		}
		net := tb.amountAt(t, tr, 7) - tb.amountAt(t, tr, 8)
		if amt := sl.amountAt(t, r, 9); amt != max(net, -net) {
			t.Errorf("明细账 %s 余额 = %s, want %s", code, amt, max(net, -net))
		}
	}
	if blocks == 0 && vouchers > 0 {
		t.Error("明细账: no account")
	}

	// 预算执行: the total row is the books'.
	be, err := d.finance.BudgetExecution(ctx, demo.Community, year)
	if err == nil {
		b := sheetGrid(t, raw, export.SheetBudget)
		r := b.find(1, "合计")
		if r == 0 {
			t.Fatal("预算执行: no 合计")
		}
		for c, want := range map[int]domain.Fen{4: be.Total.Budget, 5: be.Total.Received, 6: be.Total.Spent, 7: be.Total.Remaining} {
			if got := b.amountAt(t, r, c); got != want {
				t.Errorf("预算执行 合计 %s = %s, want %s", b.at(4, c), got, want)
			}
		}
		checkStyle(t, raw, export.SheetBudget, cell(4, r), true)
	}

	// The forms carry the warning when the books say the form is not
	// verified.
	f, err := d.finance.BalanceSheetForm(ctx, demo.Community, fmt.Sprintf("%04d-12", year))
	if err != nil {
		t.Fatal(err)
	}
	bs := sheetGrid(t, raw, export.SheetBalanceSheet)
	if got := bs.find(1, export.UnverifiedZH) != 0; got != !f.Verified {
		t.Errorf("资产负债表 warns that the form is unverified: %v, want %v", got, !f.Verified)
	}

	// As shown: thousands separators and two decimals.
	sj := sheetGrid(t, shown, export.SheetJournal)
	want := yearSum.String()
	if got := strings.ReplaceAll(sj.at(total, 6), ",", ""); got != want || (yearSum >= 100000 && !strings.Contains(sj.at(total, 6), ",")) {
		t.Errorf("序时账 本年合计 shown as %q, want %s with a thousands separator", sj.at(total, 6), want)
	}
}

func cell(c, r int) string {
	ref, _ := excelize.CoordinatesToCellName(c, r)
	return ref
}

// checkWorkbook2025 compares the 2025 workbook with the figures worked
// out by hand in internal/web/demo_statements_test.go.
func checkWorkbook2025(t *testing.T, d demoBooks) {
	raw, shown := workbook(t, d, 2025)
	checkCommon(t, d, raw, shown, 2025)
	tb := sheetGrid(t, raw, export.SheetTrialBalance)
	row := func(code string) int {
		r := tb.find(1, code)
		if r == 0 {
			t.Fatalf("科目余额表: no %s", code)
		}
		return r
	}
	// Closing balances (debit, credit columns 7 and 8).
	for _, c := range []struct {
		code          string
		debit, credit string
	}{
		{"151", "503500.00", "0"},   // 480,000.00 building + 23,500.00 equipment
		{"152", "0", "42961.12"},    // 15,200.00 + 12 × 1,900.00 + 8 × 620.14
		{"301", "0", "26000.00"},    // the 2022 statement
		{"311", "0", "508000.00"},   // 484,500.00 + 23,500.00 the special fund spent
		{"241", "0", "0"},           // received and spent
		{"322", "29481.12", "0"},    // 未分配收益 −29,481.12
		{"513", "0", "0"},           // carried forward
		{"321", "0", "0"},           // carried forward to 322
		{"101", "500.00", "0"},      // cash, untouched since 2022
		{"102", "43480.00", "0.00"}, // 货币资金 43,980.00 − 500.00 cash
	} {
		r := row(c.code)
		if d, cr := tb.amountAt(t, r, 7), tb.amountAt(t, r, 8); d != yuan(t, c.debit) || cr != yuan(t, c.credit) {
			t.Errorf("科目余额表 %s 期末 = %s / %s, want %s / %s", c.code, d, cr, c.debit, c.credit)
		}
	}
	// The year's turnover: 513 管理费用 63,481.12 debited (the 860.00 and
	// its red-ink reversal cancel) and credited by the close.
	if r := row("513"); tb.amountAt(t, r, 5) != yuan(t, "63481.12") || tb.amountAt(t, r, 6) != yuan(t, "63481.12") {
		t.Errorf("科目余额表 513 本期 = %s / %s, want 63481.12 both", tb.amountAt(t, r, 5), tb.amountAt(t, r, 6))
	}
	j := sheetGrid(t, raw, export.SheetJournal)
	// The red-ink reversal of 22 June keeps its negative amounts.
	rev := 0
	for r := range j {
		if j.at(r, 2) == "2025-06-005" && j.at(r, 4) == "513" {
			rev = r
		}
	}
	if rev == 0 || j.amountAt(t, rev, 6) != yuan(t, "-860.00") || !strings.Contains(j.at(rev, 3), "红字冲销凭证") {
		t.Errorf("序时账: reversal 2025-06-005 row %d = %q %q, want −860.00 marked 红字冲销凭证", rev, j.at(rev, 3), j.at(rev, 6))
	}
	// 总账 151 in April: the equipment.
	gl := sheetGrid(t, raw, export.SheetGeneral)
	for r := range gl {
		if gl.at(r, 1) == "151" && gl.at(r, 3) == "4月" {
			if gl.amountAt(t, r, 6) != yuan(t, "23500.00") || gl.at(r, 10) != "借" || gl.amountAt(t, r, 11) != yuan(t, "503500.00") {
				t.Errorf("总账 151 4月 = %v, want 本月借方 23,500.00, 期末 借 503,500.00", gl[r])
			}
		}
	}

	bs := sheetGrid(t, raw, export.SheetBalanceSheet)
	for _, c := range []struct {
		label string
		col   int
		want  string
	}{
		{"货币资金", 1, "43980.00"},
		{"货币资金", 2, "20020.00"},
		{"固定资产原值", 1, "503500.00"},
		{"减：累计折旧", 1, "42961.12"},
		{"固定资产净值", 1, "460538.88"},
		{"资产总计", 1, "504518.88"},
		{"资产总计", 2, "484820.00"},
		{"公积公益金", 1, "508000.00"},
		{"未分配收益", 1, "-29481.12"},
		{"所有者权益合计", 1, "504518.88"},
		{"负债和所有者权益总计", 1, "504518.88"},
		{"负债和所有者权益总计", 2, "484820.00"},
	} {
		if got := formAmount(t, bs, c.label, c.col); got != yuan(t, c.want) {
			t.Errorf("资产负债表 %s column %d = %s, want %s", c.label, c.col, got, c.want)
		}
	}
	is := sheetGrid(t, raw, export.SheetIncome)
	for _, c := range []struct {
		label string
		col   int
		want  string
	}{
		{"一、经营收入", 1, "14000.00"},
		{"管理费用", 1, "63481.12"},
		{"管理费用", 2, "47640.00"},
		{"二、经营收益", 1, "-49481.12"},
		{"加：补助收入", 1, "47480.00"},
		{"减：公益支出", 1, "1800.00"},
		{"三、收益总额", 1, "-3801.12"},
		{"三、收益总额", 2, "-20160.00"},
		{"加：年初未分配收益", 1, "-25680.00"},
		{"六、年末未分配收益", 1, "-29481.12"},
	} {
		if got := formAmount(t, is, c.label, c.col); got != yuan(t, c.want) {
			t.Errorf("收益及收益分配表 %s column %d = %s, want %s", c.label, c.col, got, c.want)
		}
	}
	checkStyle(t, raw, export.SheetBalanceSheet, cell(3, bs.find(1, "资产总计")), true)
	checkStyle(t, raw, export.SheetBalanceSheet, cell(3, bs.find(1, "货币资金")), false)
}

// checkWorkbook2024 checks the year of the change of chart, whose journal
// starts with the transition voucher 2024-01-000.
func checkWorkbook2024(t *testing.T, d demoBooks) {
	raw, shown := workbook(t, d, 2024)
	checkCommon(t, d, raw, shown, 2024)
	j := sheetGrid(t, raw, export.SheetJournal)
	if j.at(4, 2) != "2024-01-000" || !strings.Contains(j.at(4, 3), "新旧会计制度衔接") {
		t.Errorf("序时账 2024 first line = %q %q, want the change of chart 2024-01-000", j.at(4, 2), j.at(4, 3))
	}
	bs := sheetGrid(t, raw, export.SheetBalanceSheet)
	for label, want := range map[string]string{"资产总计": "484820.00", "货币资金": "20020.00", "减：累计折旧": "15200.00",
		"公积公益金": "484500.00", "未分配收益": "-25680.00", "负债和所有者权益总计": "484820.00"} {
		if got := formAmount(t, bs, label, 1); got != yuan(t, want) {
			t.Errorf("资产负债表 2024 %s = %s, want %s", label, got, want)
		}
	}
	is := sheetGrid(t, raw, export.SheetIncome)
	for label, want := range map[string]string{"管理费用": "47640.00", "三、收益总额": "-20160.00", "加：年初未分配收益": "-5520.00"} {
		if got := formAmount(t, is, label, 1); got != yuan(t, want) {
			t.Errorf("收益及收益分配表 2024 %s = %s, want %s", label, got, want)
		}
	}
}

// checkWorkbook2023 checks the first year, on the 2004 chart and its
// verified forms, whose journal starts with the opening balances.
func checkWorkbook2023(t *testing.T, d demoBooks) {
	raw, shown := workbook(t, d, 2023)
	checkCommon(t, d, raw, shown, 2023)
	j := sheetGrid(t, raw, export.SheetJournal)
	if j.at(4, 2) != "2023-01-000" || j.at(4, 4) != "101" || j.amountAt(t, 4, 6) != yuan(t, "500.00") {
		t.Errorf("序时账 2023 first line = %v, want 2023-01-000 101 500.00", j[4])
	}
	tb := sheetGrid(t, raw, export.SheetTrialBalance)
	if r := tb.find(1, "合计"); tb.amountAt(t, r, 3) != yuan(t, "30500.00") || tb.amountAt(t, r, 4) != yuan(t, "30500.00") {
		t.Errorf("科目余额表 2023 期初 合计 = %s / %s, want 30,500.00 both (the 2022 statement)", tb.amountAt(t, r, 3), tb.amountAt(t, r, 4))
	}
	bs := sheetGrid(t, raw, export.SheetBalanceSheet)
	if bs.find(1, export.UnverifiedZH) != 0 {
		t.Error("资产负债表 2023 (村会01表, verified) warns that it is unverified")
	}
	// The 2004 form prints 年初数 before 年末数.
	for label, want := range map[string][2]string{"货币资金": {"30500.00", "25780.00"}, "资产总计": {"30500.00", "25780.00"},
		"应付款项": {"0", "800.00"}, "未分配收益": {"0", "-5520.00"}, "所有者权益合计": {"30500.00", "24980.00"}} {
		for i, w := range want {
			if got := formAmount(t, bs, label, i+1); got != yuan(t, w) {
				t.Errorf("资产负债表 2023 %s column %d = %s, want %s", label, i+1, got, w)
			}
		}
	}
	is := sheetGrid(t, raw, export.SheetIncome)
	for label, want := range map[string]string{"管理费用": "33000.00", "补助收入": "27480.00", "三、本年收益": "-5520.00", "六、年末未分配收益": "-5520.00"} {
		if got := formAmount(t, is, label, 1); got != yuan(t, want) {
			t.Errorf("收益及收益分配表 2023 %s = %s, want %s", label, got, want)
		}
	}
	if b := sheetGrid(t, raw, export.SheetBudget); b.at(3, 1) != "2023年度没有通过的预算。" {
		t.Errorf("预算执行 2023 = %q, want the note that there is no budget", b.at(3, 1))
	}
}

func maxCols(g grid) int {
	n := 0
	for _, r := range g {
		n = max(n, len(r))
	}
	return n
}
