package importer_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/command"
	"github.com/gongkai/gongkai/internal/importer"
)

// serial is a number cell formatted as a date, as Excel stores a date typed
// into a cell.
type serial float64

// general is a number cell without a format.
type general float64

// book builds a workbook with one sheet. A cell is a string (a text cell),
// an int or a general (a number), a serial or a time.Time (a date cell), or
// nil (empty).
func book(t testing.TB, sheet string, rows [][]any, setup ...func(*excelize.File)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		t.Fatal(err)
	}
	dateFmt := "yyyy-mm-dd"
	dateStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		for j, v := range r {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			switch v := v.(type) {
			case nil:
				continue
			case string:
				err = f.SetCellStr(sheet, cell, v)
			case int:
				err = f.SetCellInt(sheet, cell, int64(v))
			case general:
				err = f.SetCellFloat(sheet, cell, float64(v), -1, 64)
			case serial:
				err = f.SetCellFloat(sheet, cell, float64(v), -1, 64)
				if err == nil {
					err = f.SetCellStyle(sheet, cell, cell, dateStyle)
				}
			case time.Time:
				err = f.SetCellValue(sheet, cell, v)
			default:
				t.Fatalf("book: cell of type %T", v)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, fn := range setup {
		fn(f)
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

var voucherHeader = []any{"日期", "凭证号", "摘要", "科目编码", "借方金额", "贷方金额", "制单人", "审核人", "审批人", "预算行编号", "事项编号"}

// vouchers500 is a voucher workbook of 500 data rows (rows 2 to 501): 250
// vouchers of two lines, ten months of 25, with dates as date cells, as
// numbers and as text, amounts as numbers and as text, and voucher-wide
// columns left empty on second lines. If unbalanced, the credit on row 437
// (the second line of voucher 218) is one yuan too much.
func vouchers500(t testing.TB, unbalanced bool) []byte {
	rows := [][]any{voucherHeader}
	for v := range 250 {
		month, n := time.Month(1+v/25), v%25+1
		d := day(2026, month, n)
		var date any
		switch v % 3 {
		case 0:
			date = d
		case 1:
			date = fmt.Sprintf("%d/%d/%d", d.Year(), d.Month(), d.Day())
		case 2:
			date = serial(float64(d.Sub(day(1899, 12, 30)).Hours() / 24))
		}
		var number2 any
		if v%2 == 0 {
			number2 = n
		}
		amount := general(100 + float64(v) + 0.5)
		var credit any = amount
		if v%4 == 1 {
			credit = fmt.Sprintf("%s元", domain.Fen(int64(amount*100)).String())
		}
		if unbalanced && len(rows)+1 == 436 {
			credit = general(float64(amount) + 1)
		}
		rows = append(rows,
			[]any{date, n, fmt.Sprintf("第%d笔业务", v+1), "513", amount, nil, "赵敏", "李娜"},
			[]any{nil, number2, nil, 102, nil, credit})
	}
	if len(rows) != 501 {
		t.Fatalf("vouchers500 has %d rows", len(rows))
	}
	return book(t, "凭证", rows)
}

func TestVoucherUnbalancedOnRow437(t *testing.T) {
	_, err := importer.Parse(importer.Vouchers, "凭证.xlsx", vouchers500(t, true))
	var rep *importer.Report
	if !errors.As(err, &rep) {
		t.Fatalf("Parse = %v, want a *Report", err)
	}
	if len(rep.Errors) != 1 {
		t.Fatalf("Parse reported %d errors, want 1:\n%v", len(rep.Errors), rep)
	}
	e := rep.Errors[0]
	if e.Row != 437 || e.Column != "E" || e.Header != "借方金额" {
		t.Errorf("error at row %d column %q (%s), want row 437 column E (借方金额)", e.Row, e.Column, e.Header)
	}
	want := "第437行 E列（借方金额）：借贷不平衡：借方合计 317.50，贷方合计 318.50，相差 -1.00（凭证号 18，第436至437行）"
	if got := rep.Error(); got != want {
		t.Errorf("Report.Error() = %q\nwant %q", got, want)
	}
	if e.Reason == "" || !strings.Contains(e.Reason, "unbalanced") {
		t.Errorf("English reason = %q", e.Reason)
	}
}

func TestVoucherPlan(t *testing.T) {
	data := vouchers500(t, false)
	p, err := importer.Parse(importer.Vouchers, "凭证.xlsx", data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	sum := sha256.Sum256(data)
	if want := "import:vouchers:" + hex.EncodeToString(sum[:]); p.IdempotencyKey != want {
		t.Errorf("IdempotencyKey = %q, want %q", p.IdempotencyKey, want)
	}
	if p.Kind != importer.Vouchers || p.Rows != 500 || len(p.Commands) != 250 || len(p.RowsOf) != 250 {
		t.Fatalf("plan: kind %s, %d rows, %d commands, %d RowsOf; want vouchers, 500, 250, 250", p.Kind, p.Rows, len(p.Commands), len(p.RowsOf))
	}
	if got := importer.RowsForCommand(p, 217); !reflect.DeepEqual(got, []int{436, 437}) {
		t.Errorf("RowsForCommand(217) = %v, want [436 437]", got)
	}
	if got := importer.RowsForCommand(p, 250); got != nil {
		t.Errorf("RowsForCommand(250) = %v, want nil", got)
	}
	c := p.Commands[217]
	wantData := `{"number":18,"summary":"第218笔业务","lines":[{"account":"513","debit":"317.50"},{"account":"102","credit":"317.50"}],"preparer":"赵敏","reviewer":"李娜"}`
	if c.Type != domain.CmdPostVoucher || c.AggregateID != "books" || c.EffectiveDate != "2026-09-18" || string(c.Data) != wantData {
		t.Errorf("command 217 = %s %s %s %s\nwant books.post_voucher books 2026-09-18 %s", c.Type, c.AggregateID, c.EffectiveDate, c.Data, wantData)
	}
	// Text amounts with 元 and date serials read the same.
	if got := string(p.Commands[1].Data); !strings.Contains(got, `{"account":"102","credit":"101.50"}`) {
		t.Errorf("command 1 data = %s", got)
	}
	if got := p.Commands[2].EffectiveDate; got != "2026-01-03" {
		t.Errorf("command 2 (a date serial) dated %s, want 2026-01-03", got)
	}
	for i, c := range p.Commands {
		if _, err := domain.DecodeCommand(c.Type, c.Data); err != nil {
			t.Fatalf("command %d does not decode: %v", i, err)
		}
	}
	again, err := importer.Parse(importer.Vouchers, "another name.xlsx", bytes.Clone(data))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, again) {
		t.Errorf("the same bytes gave another plan")
	}
	if command.Fingerprint("c", p.Commands) != command.Fingerprint("c", again.Commands) {
		t.Errorf("the same bytes gave commands with another fingerprint")
	}
}

func TestVoucherMergedCellsAndNames(t *testing.T) {
	rows := [][]any{
		{"文化路社区2026年记账凭证台账"}, // a title above the header
		append([]any{"序号"}, voucherHeader...),
		{1, day(2026, 3, 2), 1, "购买办公用品", "513", 120, nil, "赵敏"},
		{2, nil, nil, nil, "101 库存现金", nil, 100},
		{3, nil, nil, nil, "102银行存款", nil, 20},
		{4, day(2026, 3, 5), 2, "收到租金", "102", "6,800.00", "0", "赵敏"},
		{5, nil, nil, nil, "501", 0, "6800"},
		{6}, // numbered rows left empty
		{7},
	}
	data := book(t, "凭证", rows, func(f *excelize.File) {
		for _, c := range []string{"B", "C", "D", "H"} { // merged voucher-wide cells
			if err := f.MergeCell("凭证", c+"3", c+"5"); err != nil {
				t.Fatal(err)
			}
		}
	})
	p, err := importer.Parse(importer.Vouchers, "v.xlsx", data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(p.Commands) != 2 || !reflect.DeepEqual(p.RowsOf, [][]int{{3, 4, 5}, {6, 7}}) || p.Rows != 5 {
		t.Fatalf("plan: %d commands from rows %v (%d rows), want 2 from [[3 4 5] [6 7]] (5 rows)", len(p.Commands), p.RowsOf, p.Rows)
	}
	want := `{"number":1,"summary":"购买办公用品","lines":[{"account":"513","debit":"120.00"},{"account":"101","credit":"100.00"},{"account":"102","credit":"20.00"}],"preparer":"赵敏"}`
	if got := string(p.Commands[0].Data); got != want {
		t.Errorf("voucher 1 = %s\nwant %s", got, want)
	}
	want = `{"number":2,"summary":"收到租金","lines":[{"account":"102","debit":"6800.00"},{"account":"501","credit":"6800.00"}],"preparer":"赵敏"}`
	if got := string(p.Commands[1].Data); got != want {
		t.Errorf("voucher 2 = %s\nwant %s", got, want)
	}

	// A name that is not the code's is refused.
	rows[3][4] = "101 银行存款"
	_, err = importer.Parse(importer.Vouchers, "v.xlsx", book(t, "凭证", rows))
	wantErrors(t, err, "第4行 E列（科目编码）：2026年度的科目表中，科目编码 101 是“库存现金”，不是“银行存款”")
}

// An account's name is checked against the chart the law sets for the
// voucher's year: the 2004 chart before 2024, the 2023 chart from 2024.
func TestVoucherAccountNamesByYear(t *testing.T) {
	rows := func(cash2023, cash2024 string) []byte {
		return book(t, "凭证", [][]any{voucherHeader,
			{day(2023, 12, 28), 1, "收到镇拨付补助", cash2023, 500, nil, "赵敏"},
			{nil, nil, nil, "522 补助收入", nil, 500},
			{day(2024, 1, 5), 1, "收到镇拨付补助", cash2024, 500, nil, "赵敏"},
			{nil, nil, nil, "503 补助收入", nil, 500},
		})
	}
	p, err := importer.Parse(importer.Vouchers, "v.xlsx", rows("101 现金", "101 库存现金"))
	if err != nil {
		t.Fatalf("Parse with each year's names: %v", err)
	}
	if len(p.Commands) != 2 || !strings.Contains(string(p.Commands[0].Data), `"account":"522"`) || !strings.Contains(string(p.Commands[1].Data), `"account":"503"`) {
		t.Errorf("commands = %v", p.Commands)
	}
	_, err = importer.Parse(importer.Vouchers, "v.xlsx", rows("101 库存现金", "101 现金"))
	wantErrors(t, err,
		"第2行 D列（科目编码）：2023年度的科目表中，科目编码 101 是“现金”，不是“库存现金”",
		"第4行 D列（科目编码）：2024年度的科目表中，科目编码 101 是“库存现金”，不是“现金”")
}

// wantErrors checks that err is a *Report whose lines are want.
func wantErrors(t *testing.T, err error, want ...string) {
	t.Helper()
	var rep *importer.Report
	if !errors.As(err, &rep) {
		t.Fatalf("Parse = %v, want a *Report", err)
	}
	if got := rep.Error(); got != strings.Join(want, "\n") {
		t.Errorf("Report:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}

func TestVoucherEveryErrorReported(t *testing.T) {
	csv := "日期,凭证号,摘要,科目编码,借方金额,贷方金额,制单人\n" +
		"2026-02-30,1,付款,513,100,,赵敏\n" + // row 2: no such date
		",,,102,,100\n" +
		"2026-03-01,2,收款,102,陆佰元,,\n" + // row 4: capital numerals; no preparer
		",,,501,,600\n" +
		"2026-03-02,3,转账,513,50,50,赵敏\n" + // row 6: both sides
		",,另一摘要,102,,1.234\n" + // row 7: second summary; three decimals
		"2026-03-03,2,重号,513,10,,赵敏\n" + // row 8: number 2 again in March
		",,,102,,10\n" +
		"2026-03-04,4,只有一行,513,10,,赵敏\n" // row 10: one line
	_, err := importer.Parse(importer.Vouchers, "v.csv", []byte(csv))
	wantErrors(t, err,
		"第2行 A列（日期）：日期“2026-02-30”有误：2026年2月只有28天，没有30日",
		"第4行 E列（借方金额）：金额“陆佰元”有误：请用阿拉伯数字填写金额，如 6800.50，不要用大写或中文数字",
		"第4行 G列（制单人）：必填（写在凭证第一行）",
		"第6行 F列（贷方金额）：借方金额、贷方金额只能填一项",
		"第7行 C列（摘要）：一张凭证只有一个摘要，第6行已填“转账”：其余行请留空或填写相同内容",
		"第7行 F列（贷方金额）：金额“1.234”有误：金额最多两位小数（到分）",
		"第8行 B列（凭证号）：2026-03 的凭证号 2 已用于第4行起的凭证，同月凭证号不能重复",
		"第10行 D列（科目编码）：一张凭证至少两行分录（有借有贷），凭证号 4 只有 1 行",
	)
}

func TestCSVEncodings(t *testing.T) {
	const funds = "到账日期,资金来源,文号,预算行编号,金额\n" +
		"2026-01-06,县财政,示县财社〔2026〕1号,staff,\"2,290.00\"\n" +
		"\n" + // a blank row 3
		"２０２６／１／７,镇财政,示镇财〔2026〕3号,,１０００元\n"
	wantData := []string{
		`{"source":"county","document":"示县财社〔2026〕1号","line":"staff","amount":"2290.00"}`,
		`{"source":"town","document":"示镇财〔2026〕3号","amount":"1000.00"}`,
	}
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(funds)
	if err != nil {
		t.Fatal(err)
	}
	tabs := strings.NewReplacer(",", "\t", `"2,290.00"`, "2290").Replace(funds)
	utf16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(tabs)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{
		"UTF-8":             funds,
		"UTF-8 with BOM":    "\uFEFF" + funds,
		"GBK":               gbk,
		"UTF-16, tabs":      utf16,
		"CRLF":              strings.ReplaceAll(funds, "\n", "\r\n"),
		"named .xlsx, text": funds, // told apart by content, not by name
	} {
		p, err := importer.Parse(importer.Funds, "funds.xlsx", []byte(data))
		if err != nil {
			t.Errorf("%s: Parse: %v", name, err)
			continue
		}
		var got []string
		for _, c := range p.Commands {
			got = append(got, string(c.Data))
			if c.AggregateID != "2026" || c.Type != domain.CmdRecordFunds {
				t.Errorf("%s: command %s %s", name, c.Type, c.AggregateID)
			}
		}
		if !reflect.DeepEqual(got, wantData) || !reflect.DeepEqual(p.RowsOf, [][]int{{2}, {4}}) {
			t.Errorf("%s: commands %v from rows %v, want %v from [[2] [4]]", name, got, p.RowsOf, wantData)
		}
	}
}

func TestCSVRowsAsExcelShowsThem(t *testing.T) {
	// A quoted cell over two lines is one row; empty lines are rows.
	csv := "登记日期,事项编号,标题,类别,金额,说明\n" +
		"2026-10-12,m-2026-01,供暖改造,基础设施,36800,\"第一行\n第二行\"\n" +
		"\n\n" +
		"2026-10-13,m-2026-02,,,,\n"
	_, err := importer.Parse(importer.Matters, "m.csv", []byte(csv))
	wantErrors(t, err, "第5行 C列（标题）：必填")
}

func TestExcelDates(t *testing.T) {
	header := []any{"到账日期", "资金来源", "文号", "金额"}
	row := func(date any) []any { return []any{date, "县财政", "文1号", 100} }
	rows := [][]any{header,
		row(day(2026, 11, 12)),     // a date cell
		row(serial(46338)),         // a number formatted as a date
		row(general(46338)),        // the same number, format lost
		row(serial(46338.625)),     // with a time of day
		row("2026年11月12日"),         // text
		row("2026/11/12"),          // text
		row(20261112),              // a number written as a date
		row(general(46338.000001)), // float noise
	}
	p, err := importer.Parse(importer.Funds, "f.xlsx", book(t, "到账资金", rows))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	for i, c := range p.Commands {
		if c.EffectiveDate != "2026-11-12" {
			t.Errorf("row %d dated %s, want 2026-11-12", p.RowsOf[i][0], c.EffectiveDate)
		}
	}
	if len(p.Commands) != len(rows)-1 {
		t.Errorf("%d commands, want %d", len(p.Commands), len(rows)-1)
	}

	// The 1904 date system of old Mac workbooks.
	yes := true
	p, err = importer.Parse(importer.Funds, "f.xlsx", book(t, "到账资金", [][]any{header, row(serial(46338 - 1462))},
		func(f *excelize.File) {
			if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}); err != nil {
				t.Fatal(err)
			}
		}))
	if err != nil || p.Commands[0].EffectiveDate != "2026-11-12" {
		t.Errorf("1904 date system: %v, %v", p, err)
	}

	_, err = importer.Parse(importer.Funds, "f.xlsx", book(t, "到账资金", [][]any{header,
		row(general(60)), row("2026-02-29"), row(general(5000))}))
	wantErrors(t, err,
		"第2行 A列（到账日期）：日期“60”有误：序号 60 是不存在的 1900年2月29日",
		"第3行 A列（到账日期）：日期“2026-02-29”有误：2026年2月只有28天，没有29日",
		"第4行 A列（到账日期）：日期“5000”有误：年份须在 1949 至 9999 之间")
}

func TestExcelAmounts(t *testing.T) {
	header := []any{"到账日期", "资金来源", "文号", "金额"}
	row := func(amount any) []any { return []any{"2026-01-06", "县财政", "文1号", amount} }
	tenth, fifth := 0.1, 0.2 // variables: a constant 0.1 + 0.2 would be exactly 0.3
	tests := []struct {
		cell any
		want string
	}{
		{2290, "2290.00"},
		{general(1234.5), "1234.50"},
		{general(tenth + fifth), "0.30"},         // 0.30000000000000004
		{general(1234.5000000000002), "1234.50"}, // a formula's sum
		{general(999999999999.99), "999999999999.99"},
		{"1,234.50", "1234.50"},
		{"¥6,800.5", "6800.50"},
		{"６８００元整", "6800.00"},
	}
	rows := [][]any{header}
	for _, tc := range tests {
		rows = append(rows, row(tc.cell))
	}
	p, err := importer.Parse(importer.Funds, "f.xlsx", book(t, "到账资金", rows))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	for i, tc := range tests {
		var d struct{ Amount string }
		if err := json.Unmarshal(p.Commands[i].Data, &d); err != nil || d.Amount != tc.want {
			t.Errorf("cell %#v: amount %q, want %q", tc.cell, d.Amount, tc.want)
		}
	}

	_, err = importer.Parse(importer.Funds, "f.xlsx", book(t, "到账资金", [][]any{header,
		row(general(1.234)), row(general(-5)), row(0), row("1.2万"), row(general(2e12))}))
	wantErrors(t, err,
		"第2行 D列（金额）：金额“1.234”有误：金额最多两位小数（到分）",
		"第3行 D列（金额）：金额“-5”有误：金额不能为负数",
		"第4行 D列（金额）：金额须大于零",
		"第5行 D列（金额）：金额“1.2万”有误：请以元为单位写出完整数字，如 12000，不要用“万”“亿”",
		"第6行 D列（金额）：金额“2000000000000”有误：超过一万亿元")
}

func TestHeaders(t *testing.T) {
	wantHeaderError := func(name string, data []byte, wantZH ...string) {
		t.Helper()
		_, err := importer.Parse(importer.Vouchers, "v.xlsx", data)
		var fe *importer.FileError
		if !errors.As(err, &fe) || !errors.Is(err, importer.ErrHeader) {
			t.Errorf("%s: Parse = %v, want a *FileError wrapping ErrHeader", name, err)
			return
		}
		for _, w := range wantZH {
			if !strings.Contains(fe.ReasonZH, w) {
				t.Errorf("%s: %q does not say %q", name, fe.ReasonZH, w)
			}
		}
		if fe.Reason == "" || !strings.HasPrefix(fe.Error(), fe.ReasonZH) {
			t.Errorf("%s: Error() = %q", name, fe.Error())
		}
	}
	expected := "日期、凭证号、摘要、科目编码、借方金额、贷方金额、制单人、审核人、审批人、预算行编号、事项编号"
	wantHeaderError("other headers",
		book(t, "凭证", [][]any{{"日期", "凭证号", "摘要", "科目", "借方", "贷方"}, {"2026-01-01", 1, "x", "102", 1, nil}}),
		"第1行表头缺少：科目编码、借方金额、贷方金额、制单人", expected)
	wantHeaderError("no header",
		book(t, "凭证", [][]any{{"2026-01-01", 1, "x", "102", 1}}),
		"找不到凭证模板的表头：第1行为“2026-01-01、1、x、102、1”", expected)
	wantHeaderError("an unknown column",
		book(t, "凭证", [][]any{append(slicesClone(voucherHeader), "备注")}),
		"第1行表头有模板中没有的列：“备注”", expected)
	wantHeaderError("a column twice",
		book(t, "凭证", [][]any{append(slicesClone(voucherHeader), "摘要")}),
		"重复的列：摘要")
	wantHeaderError("funds for vouchers", mustTemplate(t, importer.Funds), "缺少")

	// Headers with a unit, an English line or a mark, in another order,
	// without the optional columns.
	data := book(t, "Sheet9", [][]any{
		{"凭证号", "日期\nDate", "*摘要", "科目编码", "借方金额（元）", "贷方金额(元)", "制单人"},
		{1, "2026-01-05", "收款", "102", 10, nil, "赵敏"},
		{nil, nil, nil, "503", nil, 10},
		{nil, nil, nil, nil, nil, nil, nil, nil, "stray"},
	})
	_, err := importer.Parse(importer.Vouchers, "v.xlsx", data)
	wantErrors(t, err, "第4行 I列：此列没有表头，不在模板中：请删除，或移到对应的列")

	if _, err := importer.Detect("x.csv", []byte("甲,乙\n1,2\n")); !errors.Is(err, importer.ErrHeader) {
		t.Errorf("Detect of a file of no template = %v, want ErrHeader", err)
	}
}

func slicesClone(s []any) []any { return append([]any(nil), s...) }

func mustTemplate(t *testing.T, k importer.Kind) []byte {
	t.Helper()
	b, err := importer.Template(k)
	if err != nil {
		t.Fatalf("Template(%s): %v", k, err)
	}
	return b
}

func TestTemplates(t *testing.T) {
	want := map[importer.Kind]struct {
		sheet   string
		headers []string
		cmds    []command.Command
	}{
		importer.Vouchers: {"凭证", []string{"日期", "凭证号", "摘要", "科目编码", "借方金额", "贷方金额", "制单人", "审核人", "审批人", "预算行编号", "事项编号"},
			[]command.Command{{Type: "books.post_voucher", AggregateID: "books", EffectiveDate: "2026-01-06",
				Data: json.RawMessage(`{"number":1,"summary":"收到县财政拨付1月社区工作人员补贴","lines":[{"account":"102","debit":"2290.00"},{"account":"503","credit":"2290.00"}],"preparer":"赵敏","reviewer":"李娜","approver":"王建华"}`)}}},
		importer.Budget: {"预算", []string{"年度", "通过日期", "决议事项编号", "预算行编号", "预算项目", "资金来源", "金额"},
			[]command.Command{{Type: "budget.adopt", AggregateID: "2026", EffectiveDate: "2026-01-05",
				Data: json.RawMessage(`{"resolution":"m-2026-00","lines":[{"line":"staff","name":"社区工作人员补贴","source":"county","amount":"27480.00"},{"line":"office","name":"社区办公经费","source":"town","amount":"20000.00"}]}`)}}},
		importer.Funds: {"到账资金", []string{"到账日期", "资金来源", "文号", "预算行编号", "金额"},
			[]command.Command{{Type: "budget.record_funds", AggregateID: "2026", EffectiveDate: "2026-01-06",
				Data: json.RawMessage(`{"source":"county","document":"示县财社〔2026〕1号","line":"staff","amount":"2290.00"}`)}}},
		importer.Matters: {"事项", []string{"登记日期", "事项编号", "标题", "类别", "金额", "说明"},
			[]command.Command{{Type: "matter.register", AggregateID: "m-2026-01", EffectiveDate: "2026-10-12",
				Data: json.RawMessage(`{"title":"社区老年活动室冬季供暖设施改造","description":"老年活动室暖气管道老化漏水，拟更换管道和散热器，费用由镇财政拨付。","category":"基础设施","amount":"36800.00"}`)}}},
	}
	if len(importer.Kinds()) != len(want) {
		t.Fatalf("Kinds() = %v", importer.Kinds())
	}
	for _, k := range importer.Kinds() {
		w := want[k]
		data := mustTemplate(t, k)
		f, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("Template(%s) does not open: %v", k, err)
		}
		if got := f.GetSheetList(); !reflect.DeepEqual(got, []string{w.sheet, "填写说明"}) {
			t.Errorf("Template(%s) sheets = %v", k, got)
		}
		rows, _ := f.GetRows(w.sheet)
		if len(rows) == 0 || !reflect.DeepEqual(rows[0], w.headers) {
			t.Errorf("Template(%s) headers = %v, want %v", k, rows, w.headers)
		}
		if width, _ := f.GetColWidth(w.sheet, "A"); width < 8 {
			t.Errorf("Template(%s) column A is %v wide", k, width)
		}
		comments, _ := f.GetComments(w.sheet)
		if len(comments) != len(w.headers) {
			t.Errorf("Template(%s) has %d header notes, want %d", k, len(comments), len(w.headers))
		}
		f.Close()

		p, err := importer.Parse(k, "template.xlsx", data)
		if err != nil {
			t.Errorf("Parse(Template(%s)): %v", k, err)
			continue
		}
		if !reflect.DeepEqual(p.Commands, w.cmds) {
			for _, c := range p.Commands {
				t.Logf("%s %s %s %s", c.Type, c.AggregateID, c.EffectiveDate, c.Data)
			}
			t.Errorf("Parse(Template(%s)) commands differ from the example", k)
		}
		if got, err := importer.Detect("template.xlsx", data); got != k || err != nil {
			t.Errorf("Detect(Template(%s)) = %s, %v", k, got, err)
		}
	}
	if _, err := importer.Template("payroll"); !errors.Is(err, importer.ErrKind) {
		t.Errorf("Template(payroll) = %v, want ErrKind", err)
	}
	if _, err := importer.Parse("payroll", "x.csv", []byte("a")); !errors.Is(err, importer.ErrKind) {
		t.Errorf("Parse(payroll) = %v, want ErrKind", err)
	}
}

func TestBudget(t *testing.T) {
	csv := "年度,通过日期,决议事项编号,预算行编号,预算项目,资金来源,金额\n" +
		"2026,2026-01-05,m-2026-00,staff,社区工作人员补贴,县财政,\"27,480.00\"\n" +
		",,,office,社区办公经费,town,20000\n" +
		"2027年,2027-01-04,ｍ－２０２７－００,staff,社区工作人员补贴,县财政（county）,0\n" +
		",,,staff,重复,镇,\n"
	_, err := importer.Parse(importer.Budget, "b.csv", []byte(csv))
	wantErrors(t, err,
		"第5行 D列（预算行编号）：预算行编号在该年度预算中重复：staff",
		"第5行 F列（资金来源）：资金来源须为：镇财政、县财政、上级专项、集体经济、其他 之一",
		"第5行 G列（金额）：必填；没有预算请填 0")
	csv = strings.Replace(csv, ",,,staff,重复,镇,\n", ",,,office,办公,镇财政,1\n", 1)
	p, err := importer.Parse(importer.Budget, "b.csv", []byte(csv))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(p.Commands) != 2 || p.Commands[1].AggregateID != "2027" || !reflect.DeepEqual(p.RowsOf, [][]int{{2, 3}, {4, 5}}) {
		t.Fatalf("plan %+v", p)
	}
	want := `{"resolution":"m-2027-00","lines":[{"line":"staff","name":"社区工作人员补贴","source":"county","amount":"0.00"},{"line":"office","name":"办公","source":"town","amount":"1.00"}]}`
	if got := string(p.Commands[1].Data); got != want {
		t.Errorf("2027 budget = %s\nwant %s", got, want)
	}
}

func TestMatterIDs(t *testing.T) {
	csv := "登记日期,事项编号,标题,金额\n" +
		"2026-10-12,,供暖改造,36800\n" +
		"2026-10-13,m-7,路灯,\n" +
		"2026-10-14,,便民服务点,\n"
	data := []byte(csv)
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	p, err := importer.Parse(importer.Matters, "m.csv", data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	var ids []string
	for _, c := range p.Commands {
		ids = append(ids, c.AggregateID)
	}
	want := []string{"m-" + hash[:12] + "-2", "m-7", "m-" + hash[:12] + "-4"}
	if !reflect.DeepEqual(ids, want) {
		t.Errorf("ids = %v, want %v", ids, want)
	}
	if got := string(p.Commands[1].Data); got != `{"title":"路灯"}` {
		t.Errorf("matter m-7 = %s", got)
	}
	_, err = importer.Parse(importer.Matters, "m.csv", []byte(csv+"2026-10-15,m-7,重复,\n2026-10-15,m 8,空格,\n"))
	wantErrors(t, err,
		"第5行 B列（事项编号）：事项编号 m-7 已用于第3行",
		"第6行 B列（事项编号）：只能用字母、数字、- 和 _（最多64个），如 m-2026-01")
}

func TestLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString("到账日期,资金来源,文号,金额\n")
	for i := range command.MaxBatch + 1 {
		fmt.Fprintf(&b, "2026-01-06,县财政,文%d号,1\n", i)
	}
	if _, err := importer.Parse(importer.Funds, "f.csv", []byte(b.String())); !errors.Is(err, importer.ErrTooMany) ||
		!strings.Contains(err.Error(), "超过单次导入上限 1000 条") {
		t.Errorf("Parse of %d rows = %v, want ErrTooMany", command.MaxBatch+1, err)
	}
	for range importer.MaxRows {
		b.WriteString("2026-01-06,县财政,文号,1\n")
	}
	if _, err := importer.Parse(importer.Funds, "f.csv", []byte(b.String())); !errors.Is(err, importer.ErrTooLarge) {
		t.Errorf("Parse of %d rows = %v, want ErrTooLarge", importer.MaxRows+command.MaxBatch+1, err)
	}
	big := bytes.Repeat([]byte("x"), importer.MaxFileSize+1)
	if _, err := importer.Parse(importer.Funds, "f.csv", big); !errors.Is(err, importer.ErrTooLarge) {
		t.Errorf("Parse of %d bytes = %v, want ErrTooLarge", len(big), err)
	}
	xls := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 512)...)
	if _, err := importer.Parse(importer.Funds, "f.xls", xls); !errors.Is(err, importer.ErrFormat) ||
		!strings.Contains(err.Error(), "另存为” .xlsx") {
		t.Errorf("Parse of an .xls = %v, want ErrFormat", err)
	}
	if _, err := importer.Parse(importer.Funds, "f.csv", []byte("\x00\x01\x02\xff\xfe\x00")); !errors.Is(err, importer.ErrFormat) {
		t.Errorf("Parse of binary = %v, want ErrFormat", err)
	}
	if _, err := importer.Parse(importer.Funds, "f.xlsx", []byte("PK\x03\x04 not really a zip")); !errors.Is(err, importer.ErrFormat) {
		t.Errorf("Parse of a broken zip = %v, want ErrFormat", err)
	}
	if _, err := importer.Parse(importer.Funds, "f.xlsx", zipBomb(t)); !errors.Is(err, importer.ErrTooLarge) {
		t.Errorf("Parse of a zip bomb = %v, want ErrTooLarge", err)
	}
}

// zipBomb is a small workbook whose sheet unpacks to 100 MiB.
func zipBomb(t *testing.T) []byte {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	files := map[string]string{
		"[Content_Types].xml": `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`,
		"xl/workbook.xml": `<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ` +
			`xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="到账资金" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
	}
	for name, body := range files {
		w, _ := z.Create(name)
		w.Write([]byte(body))
	}
	w, _ := z.Create("xl/worksheets/sheet1.xml")
	w.Write([]byte(`<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`))
	pad := bytes.Repeat([]byte(" "), 1<<20)
	for range 100 {
		w.Write(pad)
	}
	w.Write([]byte(`</sheetData></worksheet>`))
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > importer.MaxFileSize {
		t.Fatalf("the zip bomb is %d bytes", buf.Len())
	}
	return buf.Bytes()
}
