package workbench

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/entry"
)

// The data of budget commands (docs/api.md §7.15–7.17).
type (
	budgetLineData struct {
		Line   string `json:"line"`
		Name   string `json:"name"`
		Source string `json:"source"`
		Amount string `json:"amount,omitempty"`
	}
	adoptBudgetData struct {
		Resolution string           `json:"resolution"`
		Lines      []budgetLineData `json:"lines"`
	}
	adjustBudgetData struct {
		Resolution string           `json:"resolution"`
		Reason     string           `json:"reason"`
		Lines      []budgetLineData `json:"lines"`
	}
	fundsData struct {
		Source   string `json:"source"`
		Document string `json:"document"`
		Line     string `json:"line,omitempty"`
		Amount   string `json:"amount,omitempty"`
	}
)

func sourceOptions(blank bool) []option {
	var out []option
	if blank {
		out = append(out, option{Value: "", Label: txt{"（请选择）", "(choose)"}})
	}
	for _, s := range []string{domain.SourceTown, domain.SourceCounty, domain.SourceSpecial, domain.SourceCollective, domain.SourceOther} {
		out = append(out, option{Value: s, Label: txt{domain.SourceZH(s), s}})
	}
	return out
}

// budgetLines are the lines of a budget form.
var budgetLines = &lineSpec{
	Label: txt{"预算项目", "Budget lines"},
	Min:   3,
	Cols: []field{
		{Name: "line", Label: txt{"编号", "Id"}, Kind: kText, Help: txt{"可不填，自动编号", "blank: numbered for you"}},
		{Name: "name", Label: txt{"项目名称", "Name"}, Kind: kText},
		{Name: "source", Label: txt{"资金来源", "Fund source"}, Kind: kSelect, Options: sourceOptions(true)},
		{Name: "amount", Label: txt{"金额（元）", "Amount (yuan)"}, Kind: kAmount},
	},
}

// yearOf reads a fiscal year typed into a form ("2026"), or returns "".
func yearOf(s string) string {
	n, err := entry.ParseNumber(s)
	if err != nil || n < 1949 || n > 9999 {
		return ""
	}
	return strconv.Itoa(n)
}

// parseBudgetLines reads the lines of a budget form; a line without an id
// gets the first free "L<n>".
func parseBudgetLines(p *parser) []budgetLineData {
	rows := p.rows(budgetLines.colNames())
	taken := map[string]bool{}
	for _, i := range rows {
		taken[p.raw(lineName(i, "line"))] = true
	}
	next := 1
	out := []budgetLineData{}
	for _, i := range rows {
		id := p.str(lineName(i, "line"))
		if id == "" {
			for taken["L"+strconv.Itoa(next)] {
				next++
			}
			id = "L" + strconv.Itoa(next)
			taken[id] = true
			p.shown[lineName(i, "line")] = shown{Value: id}
		}
		l := budgetLineData{Line: id, Name: p.str(lineName(i, "name")), Source: p.str(lineName(i, "source"))}
		if a, ok := p.amount(lineName(i, "amount"), true); ok {
			l.Amount = a.String()
		}
		out = append(out, l)
	}
	return out
}

func setBudgetLines(v values, lines []domain.BudgetLine) {
	for i, l := range lines {
		v[lineName(i, "line")] = l.Line
		v[lineName(i, "name")] = l.Name
		v[lineName(i, "source")] = l.Source
		v[lineName(i, "amount")] = grouped(l.Amount)
	}
	v["nlines"] = strconv.Itoa(max(len(lines)+1, budgetLines.Min))
}

func (fc *formCtx) budgetYearField(v values) field {
	d := v["year"]
	if lang := fc.lang(); lang != "en" && d != "" {
		d += "年度"
	}
	return field{Name: "year", Label: txt{"年度", "Fiscal year"}, Kind: kStatic, Display: d}
}

// budgetTarget is the fiscal year a form addresses: its year field, else
// the current year.
func budgetTarget(fc *formCtx, v values) string {
	if y := yearOf(v["year"]); y != "" {
		return y
	}
	if strings.TrimSpace(v["year"]) == "" {
		return strconv.Itoa(fc.today().Year)
	}
	return ""
}

func budgetForms() []*formDef {
	resolution := func(fc *formCtx) field {
		return field{Name: "resolution", Label: txt{"批准的决议（事项）", "Approved by (matter)"}, Kind: kSelect, Required: true,
			Options: fc.passedMatters(""), Help: txt{"预算须经代表会议表决通过。", "A budget needs a passed resolution of the assembly."}}
	}
	return []*formDef{
		{
			name: "budget-adopt", typ: domain.CmdAdoptBudget, group: groupBudget,
			title:     txt{"通过年度预算", "Adopt the year's budget"},
			intro:     txt{"录入代表会议通过的年度收支预算，每行一个项目。", "Enter the budget the assembly passed, one line per item."},
			dateLabel: txt{"通过日期", "Date adopted"},
			aggType:   domain.AggregateBudget, aggField: "year", creates: true, params: []string{"year"},
			target: budgetTarget,
			prefill: func(fc *formCtx, v values) {
				if v["year"] == "" {
					v["year"] = strconv.Itoa(fc.today().Year)
				}
			},
			fields: func(fc *formCtx, v values) []field {
				return []field{{Name: "year", Label: txt{"年度", "Fiscal year"}, Kind: kNumber, Required: true}, resolution(fc)}
			},
			lines: budgetLines,
			build: func(fc *formCtx, p *parser) any {
				p.number("year", true)
				return adoptBudgetData{Resolution: p.str("resolution"), Lines: parseBudgetLines(p)}
			},
		},
		{
			name: "budget-adjust", typ: domain.CmdAdjustBudget, group: groupBudget,
			title:     txt{"预算调整", "Adjust the budget"},
			intro:     txt{"调整后的预算以完整清单记录：下面是现行预算，直接修改、增加或清空行。", "The adjusted budget is recorded in full: below is the current budget; change, add or clear lines."},
			dateLabel: txt{"调整日期", "Date adjusted"},
			aggType:   domain.AggregateBudget, mustExist: true, params: []string{"year"},
			target: budgetTarget,
			prefill: func(fc *formCtx, v values) {
				if b, _ := fc.state.(*domain.Budget); b != nil {
					v["year"] = strconv.Itoa(b.Year)
					setBudgetLines(v, b.Lines)
				}
			},
			fields: func(fc *formCtx, v values) []field {
				return []field{fc.budgetYearField(v), resolution(fc), {Name: "reason", Label: txt{"调整原因", "Reason"}, Kind: kTextarea, Required: true}}
			},
			lines: budgetLines,
			build: func(fc *formCtx, p *parser) any {
				return adjustBudgetData{Resolution: p.str("resolution"), Reason: p.str("reason"), Lines: parseBudgetLines(p)}
			},
		},
		{
			name: "budget-funds", typ: domain.CmdRecordFunds, group: groupBudget,
			title:     txt{"资金到账", "Funds received"},
			intro:     txt{"记录上级拨款等资金到账，注明文号。", "Record money received, with its document number (文号)."},
			dateLabel: txt{"到账日期", "Date received"},
			aggType:   domain.AggregateBudget, mustExist: true, params: []string{"year"},
			target: budgetTarget,
			prefill: func(fc *formCtx, v values) {
				if v["year"] == "" {
					v["year"] = strconv.Itoa(fc.today().Year)
				}
			},
			fields: func(fc *formCtx, v values) []field {
				lines := []option{{Value: "", Label: txt{"（不指定预算项目）", "(no budget line)"}}}
				if b, _ := fc.state.(*domain.Budget); b != nil {
					for _, l := range b.Lines {
						lines = append(lines, option{Value: l.Line, Label: txt{l.Line + " " + l.Name, l.Line + " " + l.Name}})
					}
				}
				return []field{fc.budgetYearField(v),
					{Name: "source", Label: txt{"资金来源", "Source"}, Kind: kSelect, Required: true, Options: sourceOptions(true)},
					{Name: "document", Label: txt{"文号", "Document number"}, Kind: kText, Required: true, Help: txt{"如：示镇财〔2026〕3号", "e.g. 示镇财〔2026〕3号"}},
					{Name: "line", Label: txt{"预算项目", "Budget line"}, Kind: kSelect, Options: lines},
					{Name: "amount", Label: txt{"金额（元）", "Amount (yuan)"}, Kind: kAmount, Required: true},
				}
			},
			build: func(fc *formCtx, p *parser) any {
				d := fundsData{Source: p.str("source"), Document: p.str("document"), Line: p.str("line")}
				if a, ok := p.amount("amount", true); ok {
					d.Amount = a.String()
				}
				return d
			},
		},
	}
}

// budgetYears returns the fiscal years with a budget, newest first: those
// the finance read model knows, and the years around today.
func (w *Workbench) budgetYears(ctx context.Context, d *desk, today domain.Date) []int {
	candidates := []int{today.Year + 1, today.Year, today.Year - 1, today.Year - 2, today.Year - 3}
	if w.d.Finance != nil {
		if ys, err := w.d.Finance.Years(ctx, d.id); err == nil {
			candidates = append(candidates, ys...)
		}
	}
	var years []int
	for _, y := range candidates {
		if slices.Contains(years, y) {
			continue
		}
		if _, ver := w.d.Commands.State(d.id, domain.AggregateBudget, strconv.Itoa(y)); ver > 0 {
			years = append(years, y)
		}
	}
	slices.Sort(years)
	slices.Reverse(years)
	return years
}
