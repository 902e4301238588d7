package importer

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/entry"
)

// Budget columns.
const (
	colBYear       = "年度"
	colBDate       = "通过日期"
	colBResolution = "决议事项编号"
	colBLine       = "预算行编号"
	colBName       = "预算项目"
	colBSource     = "资金来源"
	colBAmount     = "金额"
)

var budgetSpec = &spec{
	kind: Budget, title: "预算", sheet: "预算",
	columns: []column{
		{colBYear, "Fiscal year", true, typeNumber, 8, "预算年度，如 2026；同一年度的其余行可留空", "the fiscal year; may be left empty on the year's other rows"},
		{colBDate, "Adopted on", true, typeDate, 12, "预算通过（代表会议表决）的日期，写在该年度第一行", "date of adoption, on the year's first row"},
		{colBResolution, "Resolution", true, typeID, 14, "批准预算的决议事项编号，如 m-2026-00，写在该年度第一行", "the matter whose resolution approved the budget"},
		{colBLine, "Line id", true, typeID, 12, "预算行编号，字母、数字、- 或 _，如 staff；凭证的“预算行编号”引用它", "the line's id, such as staff; vouchers cite it"},
		{colBName, "Line", true, typeText, 28, "预算项目名称，最多100字", "the line's name, up to 100 characters"},
		{colBSource, "Fund source", true, typeSource, 12, "资金来源：镇财政、县财政、上级专项、集体经济、其他", "town, county, special, collective or other, in Chinese"},
		{colBAmount, "Amount", true, typeAmount, 14, "预算金额（元），可为0", "the line's budget in yuan; zero allowed"},
	},
	example: [][]string{
		{"2026", "2026-01-05", "m-2026-00", "staff", "社区工作人员补贴", "县财政", "27480.00"},
		{"", "", "", "office", "社区办公经费", "镇财政", "20000.00"},
	},
	intro: "每行一个预算行。同一年度的连续各行组成该年度的预算，导入为一条“通过年度预算”（budget.adopt）；" +
		"年度、通过日期和决议事项编号写在该年度第一行即可。调整预算请在系统中办理。",
	parse: parseBudget,
}

type budgetYear struct {
	rows     []row
	yearText string
	year     int
	head     map[string]cellValue
	date     domain.Date
	dated    bool
	lines    []budgetLineData
}

type budgetLineData struct {
	Line   string `json:"line"`
	Name   string `json:"name"`
	Source string `json:"source"`
	Amount string `json:"amount"`
}

type budgetData struct {
	Resolution string           `json:"resolution"`
	Lines      []budgetLineData `json:"lines"`
}

func parseBudget(g *grid) {
	var ys []*budgetYear
	var cur *budgetYear
	for _, r := range g.rows {
		yt := strings.TrimSuffix(entry.Normalize(g.text(r, colBYear)), "年")
		if cur == nil || (yt != "" && yt != cur.yearText) {
			cur = &budgetYear{yearText: yt, head: map[string]cellValue{}}
			ys = append(ys, cur)
			if yt == "" {
				g.fail(r.num, colBYear, "required on a year's first row", "须填年度，如 2026")
			} else if y, err := entry.ParseNumber(yt); err != nil || y < 1949 || y > 9999 {
				g.fail(r.num, colBYear, "a fiscal year such as 2026", "年度须为四位年份，如 2026")
			} else {
				cur.year = y
			}
		}
		cur.rows = append(cur.rows, r)
		if d, ok := g.date(r, colBDate); ok {
			if !cur.dated {
				cur.date, cur.dated = d, true
				cur.head[colBDate] = cellValue{d.String(), r.num}
			} else if d != cur.date {
				h := cur.head[colBDate]
				g.fail(r.num, colBDate, fmt.Sprintf("the budget was adopted on %s (row %d); leave it empty on the other rows", h.value, h.row),
					fmt.Sprintf("该年度预算的通过日期已在第%d行填为 %s：其余行请留空或填写相同日期", h.row, h.value))
			}
		}
		if res := g.id(r, colBResolution, "m-2026-00"); res != "" {
			if h, ok := cur.head[colBResolution]; !ok {
				cur.head[colBResolution] = cellValue{res, r.num}
			} else if h.value != res {
				g.fail(r.num, colBResolution, fmt.Sprintf("one budget has one resolution: row %d has %s", h.row, h.value),
					fmt.Sprintf("一个年度的预算只有一个决议事项，第%d行已填“%s”：其余行请留空或填写相同内容", h.row, h.value))
			}
		}
		line := budgetLineData{Line: g.id(r, colBLine, "staff"), Name: g.text(r, colBName)}
		if line.Line == "" && g.text(r, colBLine) == "" {
			g.required(r.num, colBLine)
		}
		for _, l := range cur.lines {
			if line.Line != "" && l.Line == line.Line {
				g.fail(r.num, colBLine, "the line id is given twice in the year's budget", "预算行编号在该年度预算中重复："+line.Line)
				break
			}
		}
		if line.Name == "" {
			g.required(r.num, colBName)
		}
		line.Source, _ = g.source(r, colBSource)
		if amt, ok := g.amount(r, colBAmount); ok {
			line.Amount = amt.String()
		} else if g.text(r, colBAmount) == "" {
			g.fail(r.num, colBAmount, "required; write 0 for none", "必填；没有预算请填 0")
		}
		cur.lines = append(cur.lines, line)
	}

	seen := map[int]int{}
	for _, y := range ys {
		first, last := y.rows[0].num, y.rows[len(y.rows)-1].num
		if y.year > 0 {
			if at, dup := seen[y.year]; dup {
				g.fail(first, colBYear, fmt.Sprintf("the %d budget already starts on row %d; keep a year's lines together", y.year, at),
					fmt.Sprintf("%d 年度的预算已从第%d行开始：同一年度的各行须连续排列", y.year, at))
			} else {
				seen[y.year] = first
			}
		}
		if !y.dated && g.text(y.rows[0], colBDate) == "" {
			g.fail(first, colBDate, "required on the year's first row", "必填（写在该年度第一行）")
		}
		if _, ok := y.head[colBResolution]; !ok && g.text(y.rows[0], colBResolution) == "" {
			g.fail(first, colBResolution, "required: the matter whose resolution approved the budget", "必填：批准预算的决议事项编号")
		}
		if len(y.lines) > 200 {
			g.fail(last, colBLine, "a budget has at most 200 lines", "一个年度的预算最多200行")
		}
		if g.bad(nums(y.rows)...) {
			continue
		}
		data := budgetData{Resolution: y.head[colBResolution].value, Lines: y.lines}
		g.emit(domain.CmdAdoptBudget, strconv.Itoa(y.year), y.date, data, nums(y.rows), func(field string) (int, string) {
			if m := fieldRE.FindStringSubmatch(field); m != nil {
				i, _ := strconv.Atoi(m[1])
				if i < len(y.rows) {
					col := map[string]string{"line": colBLine, "name": colBName, "source": colBSource, "amount": colBAmount}[m[2]]
					return y.rows[i].num, col
				}
			}
			if field == "data.resolution" {
				return y.head[colBResolution].row, colBResolution
			}
			return first, ""
		})
	}
}
