package importer

import (
	"strconv"

	"github.com/gongkai/gongkai/domain"
)

// Funds columns.
const (
	colFDate     = "到账日期"
	colFSource   = "资金来源"
	colFDocument = "文号"
	colFLine     = "预算行编号"
	colFAmount   = "金额"
)

var fundsSpec = &spec{
	kind: Funds, title: "到账资金", sheet: "到账资金",
	columns: []column{
		{colFDate, "Received on", true, typeDate, 12, "资金到账日期，记入该年度的预算", "the day the money arrived; recorded in that year's budget"},
		{colFSource, "Fund source", true, typeSource, 12, "资金来源：镇财政、县财政、上级专项、集体经济、其他", "town, county, special, collective or other, in Chinese"},
		{colFDocument, "Document no.", true, typeText, 24, "拨款文件的文号，如 示县财社〔2026〕1号", "the number of the document that allocated the money"},
		{colFLine, "Budget line", false, typeID, 12, "用途：该笔资金所列的预算行编号，如 staff；可留空", "purpose: the budget line the money is for, such as staff; optional"},
		{colFAmount, "Amount", true, typeAmount, 14, "到账金额（元），须大于0", "the amount in yuan, more than zero"},
	},
	example: [][]string{
		{"2026-01-06", "县财政", "示县财社〔2026〕1号", "staff", "2290.00"},
	},
	intro: "每行一笔到账资金，导入为一条“资金到账”（budget.record_funds），记入到账日期所在年度的预算。" +
		"资金到账不记账：请另行导入收款凭证。",
	parse: parseFunds,
}

type fundsData struct {
	Source   string `json:"source"`
	Document string `json:"document"`
	Line     string `json:"line,omitempty"`
	Amount   string `json:"amount"`
}

func parseFunds(g *grid) {
	for _, r := range g.rows {
		d, dated := g.date(r, colFDate)
		if !dated && g.text(r, colFDate) == "" {
			g.required(r.num, colFDate)
		}
		var data fundsData
		data.Source, _ = g.source(r, colFSource)
		data.Document = g.text(r, colFDocument)
		if data.Document == "" {
			g.required(r.num, colFDocument)
		}
		data.Line = g.id(r, colFLine, "staff")
		if amt, ok := g.amount(r, colFAmount); ok {
			data.Amount = amt.String()
			if amt == 0 {
				g.fail(r.num, colFAmount, "must be more than zero", "金额须大于零")
			}
		} else if g.text(r, colFAmount) == "" {
			g.required(r.num, colFAmount)
		}
		if g.bad(r.num) {
			continue
		}
		g.emit(domain.CmdRecordFunds, strconv.Itoa(d.Year), d, data, []int{r.num}, func(field string) (int, string) {
			col := map[string]string{"data.source": colFSource, "data.document": colFDocument, "data.line": colFLine, "data.amount": colFAmount}[field]
			return r.num, col
		})
	}
}
