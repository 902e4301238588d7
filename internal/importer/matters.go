package importer

import (
	"fmt"

	"github.com/gongkai/gongkai/domain"
)

// Matter columns.
const (
	colMDate        = "登记日期"
	colMID          = "事项编号"
	colMTitle       = "标题"
	colMCategory    = "类别"
	colMAmount      = "金额"
	colMDescription = "说明"
)

var matterSpec = &spec{
	kind: Matters, title: "事项", sheet: "事项",
	columns: []column{
		{colMDate, "Registered on", true, typeDate, 12, "事项登记日期", "the day the matter is registered"},
		{colMID, "Matter id", false, typeID, 14, "事项编号，如 m-2026-01；留空则按文件内容和行号自动生成", "such as m-2026-01; left empty, one is made from the file and the row"},
		{colMTitle, "Title", true, typeText, 36, "事项标题，最多200字", "up to 200 characters"},
		{colMCategory, "Category", false, typeText, 12, "类别，如 基础设施、财务、集体经济、民生服务；可留空", "such as 基础设施 or 财务; optional"},
		{colMAmount, "Amount", false, typeAmount, 14, "涉及金额（元）；留空表示不涉及金额", "the sum involved in yuan; empty for none"},
		{colMDescription, "Description", false, typeLongText, 48, "说明，最多5000字，可换行", "up to 5000 characters, several lines allowed"},
	},
	example: [][]string{
		{"2026-10-12", "m-2026-01", "社区老年活动室冬季供暖设施改造", "基础设施", "36800.00", "老年活动室暖气管道老化漏水，拟更换管道和散热器，费用由镇财政拨付。"},
	},
	intro: "每行一个事项，导入为一条“登记事项”（matter.register）。之后的提议、商议、审议、决议等程序请在系统中逐项记录。",
	parse: parseMatters,
}

type matterData struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Category    string `json:"category,omitempty"`
	Amount      string `json:"amount,omitempty"`
}

// matterID makes the id of a matter registered from a row without one:
// the same file gives the same ids, so that importing it again records
// nothing new.
func matterID(hash string, row int) string { return fmt.Sprintf("m-%s-%d", hash[:12], row) }

func parseMatters(g *grid) {
	seen := map[string]int{}
	for _, r := range g.rows {
		d, dated := g.date(r, colMDate)
		if !dated && g.text(r, colMDate) == "" {
			g.required(r.num, colMDate)
		}
		id := g.id(r, colMID, "m-2026-01")
		if id == "" {
			id = matterID(g.hash, r.num)
		}
		if at, dup := seen[id]; dup {
			g.fail(r.num, colMID, fmt.Sprintf("matter %s is already on row %d", id, at), fmt.Sprintf("事项编号 %s 已用于第%d行", id, at))
		} else {
			seen[id] = r.num
		}
		data := matterData{Title: g.text(r, colMTitle), Category: g.text(r, colMCategory), Description: g.text(r, colMDescription)}
		if data.Title == "" {
			g.required(r.num, colMTitle)
		}
		if amt, ok := g.amount(r, colMAmount); ok {
			data.Amount = amt.String()
		}
		if g.bad(r.num) {
			continue
		}
		g.emit(domain.CmdRegisterMatter, id, d, data, []int{r.num}, func(field string) (int, string) {
			col := map[string]string{"data.title": colMTitle, "data.category": colMCategory, "data.description": colMDescription, "data.amount": colMAmount}[field]
			return r.num, col
		})
	}
}
