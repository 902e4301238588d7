package importer

import (
	"fmt"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/gongkai/gongkai/internal/command"
	"github.com/gongkai/gongkai/internal/entry"
)

// instructionsSheet is the template's second sheet, which Parse does not read.
const instructionsSheet = "填写说明"

// Template returns the workbook to fill in for kind k: a sheet named in
// Chinese (凭证, 预算, 到账资金, 事项) with the header row, a note on each
// header in Chinese and English, column widths, date, amount and text
// formats on the columns, a list to choose fund sources from, and an
// example row (two for vouchers and budgets) in grey, which Parse reads
// like any other row: overwrite or delete it. A second sheet, 填写说明,
// explains the columns. It returns a *FileError wrapping ErrKind for an
// unknown kind.
func Template(k Kind) ([]byte, error) {
	s := specOf(k)
	if s == nil {
		return nil, &FileError{Err: ErrKind, Reason: fmt.Sprintf("unknown kind %q; one of %s", k, kindList()),
			ReasonZH: fmt.Sprintf("未知的导入类型“%s”，应为 %s 之一", k, kindList())}
	}
	f := excelize.NewFile()
	defer f.Close()
	b := &templateBuilder{f: f, sheet: s.sheet}
	if err := f.SetSheetName("Sheet1", s.sheet); err != nil {
		return nil, err
	}
	b.sheetColumns(s)
	b.example(s)
	b.instructions(s)
	if b.err != nil {
		return nil, fmt.Errorf("template %s: %w", k, b.err)
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", k, err)
	}
	return buf.Bytes(), nil
}

// templateBuilder keeps the first error of a run of excelize calls.
type templateBuilder struct {
	f     *excelize.File
	sheet string
	err   error
}

func (b *templateBuilder) do(err error) {
	if b.err == nil {
		b.err = err
	}
}

func (b *templateBuilder) style(st *excelize.Style) int {
	id, err := b.f.NewStyle(st)
	b.do(err)
	return id
}

// formats returns a column type's cell style, grey and italic for the example.
func (b *templateBuilder) format(t colType, example bool) int {
	st := &excelize.Style{}
	dateFmt := "yyyy-mm-dd"
	switch t {
	case typeDate:
		st.CustomNumFmt = &dateFmt
	case typeAmount:
		st.NumFmt = 4 // #,##0.00
	case typeNumber:
		st.NumFmt = 1 // 0
	case typeLongText:
		st.NumFmt = 49 // text
		st.Alignment = &excelize.Alignment{WrapText: true, Vertical: "top"}
	default:
		st.NumFmt = 49 // text: codes such as 102 and ids stay as typed
	}
	if example {
		st.Font = &excelize.Font{Italic: true, Color: "808080"}
	}
	return b.style(st)
}

func letter(i int) string {
	l, _ := excelize.ColumnNumberToName(i + 1)
	return l
}

func (b *templateBuilder) sheetColumns(s *spec) {
	f, sh := b.f, b.sheet
	header := b.style(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true},
		Border: []excelize.Border{{Type: "left", Color: "9BC2E6", Style: 1}, {Type: "right", Color: "9BC2E6", Style: 1},
			{Type: "top", Color: "9BC2E6", Style: 1}, {Type: "bottom", Color: "9BC2E6", Style: 1}},
		NumFmt: 49,
	})
	last := fmt.Sprintf("%d", MaxRows+1)
	for i, c := range s.columns {
		l := letter(i)
		b.do(f.SetColWidth(sh, l, l, c.width))
		b.do(f.SetColStyle(sh, l, b.format(c.typ, false)))
		b.do(f.SetCellStr(sh, l+"1", c.name))
		b.do(f.SetCellStyle(sh, l+"1", l+"1", header))
		need := "选填"
		if c.need {
			need = "必填"
		}
		b.do(f.AddComment(sh, excelize.Comment{Cell: l + "1", Author: "gongkai", Width: 260, Height: 90,
			Paragraph: []excelize.RichTextRun{
				{Text: c.name + "（" + need + "）\n", Font: &excelize.Font{Bold: true}},
				{Text: c.note + "\n" + c.en + ": " + c.noteEN}}}))
		if c.typ == typeSource {
			dv := excelize.NewDataValidation(true)
			dv.Sqref = l + "2:" + l + last
			b.do(dv.SetDropList(sourceNamesZH))
			dv.SetError(excelize.DataValidationErrorStyleStop, "资金来源", "请从列表中选择：镇财政、县财政、上级专项、集体经济、其他")
			b.do(f.AddDataValidation(sh, dv))
		}
	}
	b.do(f.SetRowHeight(sh, 1, 24))
	b.do(f.SetPanes(sh, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}))
}

// example writes the example rows with the cell types a clerk's Excel
// gives them: dates as date cells, amounts as numbers, codes as text.
func (b *templateBuilder) example(s *spec) {
	f, sh := b.f, b.sheet
	for j, values := range s.example {
		rowNum := j + 2
		for i, v := range values {
			c := s.columns[i]
			cell := letter(i) + strconv.Itoa(rowNum)
			b.do(f.SetCellStyle(sh, cell, cell, b.format(c.typ, true)))
			if v == "" {
				continue
			}
			switch c.typ {
			case typeDate:
				d, err := entry.ParseDate(v)
				b.do(err)
				b.do(f.SetCellValue(sh, cell, time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)))
			case typeAmount:
				x, err := strconv.ParseFloat(v, 64)
				b.do(err)
				b.do(f.SetCellFloat(sh, cell, x, 2, 64))
			case typeNumber:
				n, err := strconv.ParseInt(v, 10, 64)
				b.do(err)
				b.do(f.SetCellInt(sh, cell, n))
			default:
				b.do(f.SetCellStr(sh, cell, v))
			}
			b.do(f.SetCellStyle(sh, cell, cell, b.format(c.typ, true)))
		}
	}
}

func (b *templateBuilder) instructions(s *spec) {
	f := b.f
	_, err := f.NewSheet(instructionsSheet)
	b.do(err)
	sh := instructionsSheet
	bold := b.style(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	head := b.style(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	wrap := b.style(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	b.do(f.SetColWidth(sh, "A", "A", 14))
	b.do(f.SetColWidth(sh, "B", "B", 8))
	b.do(f.SetColWidth(sh, "C", "C", 60))
	b.do(f.SetColWidth(sh, "D", "D", 60))
	put := func(cell string, v string, style int) {
		b.do(f.SetCellStr(sh, cell, v))
		if style != 0 {
			b.do(f.SetCellStyle(sh, cell, cell, style))
		}
	}
	put("A1", s.title+"导入模板 填写说明（gongkai import --kind "+string(s.kind)+"）", bold)
	put("A2", s.intro, 0)
	notes := []string{
		"“" + s.sheet + "”工作表中的灰色斜体行是示例，导入前请改写或删除；空行会跳过。",
		"日期可写 2026-01-06、2026/1/6、2026年1月6日 或 20260106，也可用 Excel 的日期单元格。",
		"金额以元为单位，用阿拉伯数字，最多两位小数：6800、6,800.50、¥6800、6800元 均可；不要写大写金额或“万元”。",
		fmt.Sprintf("一个文件最多 %d 行、%d 条记录；文件中任何一行有错，整个文件都不导入，系统会列出每处错误的行号和列。", MaxRows, command.MaxBatch),
		"同一文件再次导入不会重复记录。",
	}
	for i, n := range notes {
		put(fmt.Sprintf("A%d", 3+i), n, 0)
	}
	top := 4 + len(notes)
	for i, h := range []string{"列（表头）", "必填", "填写说明", "English"} {
		put(letter(i)+strconv.Itoa(top), h, head)
	}
	for i, c := range s.columns {
		r := strconv.Itoa(top + 1 + i)
		need := "选填"
		if c.need {
			need = "必填"
		}
		put("A"+r, c.name, 0)
		put("B"+r, need, 0)
		put("C"+r, c.note, wrap)
		put("D"+r, c.en+": "+c.noteEN, wrap)
	}
}
