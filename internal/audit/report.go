package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/projections"
)

// DefaultLateDays is how many days after its effective date an event may
// be recorded before a report says it was entered late (补录).
const DefaultLateDays = 30

// Report is a community's fiscal year as recorded up to AsOf: every matter
// that had a stage in the year, the budget and its execution, the journal,
// the trial balance and the statements at the year's end, the events
// entered late, and, with a second time, what changed between the two.
type Report struct {
	Community string    `json:"community"`
	Name      string    `json:"name"`
	Year      int       `json:"year"`
	AsOf      time.Time `json:"as_of,omitzero"`
	// Events counts the community's events recorded at AsOf.
	Events  int                          `json:"events"`
	Matters []projections.MatterRow      `json:"matters"`
	Budget  *projections.BudgetExecution `json:"budget,omitempty"`
	Journal []projections.VoucherView    `json:"journal"`
	// TrialBalance is at the year's last month; BalanceSheet and Income
	// on the year's official forms.
	TrialBalance *projections.TrialBalance `json:"trial_balance,omitempty"`
	BalanceSheet *projections.Form         `json:"balance_sheet,omitempty"`
	Income       *projections.Form         `json:"income,omitempty"`
	// Late are the year's events recorded LateDays or more after their
	// effective date.
	LateDays int      `json:"late_days"`
	Late     []Change `json:"late"`
	// DiffAsOf and Changes: what was recorded after AsOf and at or before
	// DiffAsOf that bears on the year.
	DiffAsOf time.Time `json:"diff_as_of,omitzero"`
	Changes  []Change  `json:"changes,omitempty"`
	// Findings are the compliance findings over the history recorded at
	// AsOf that concern the year (shown on it).
	Findings []Finding `json:"findings"`
}

// Options select a report.
type Options struct {
	Year     int
	AsOf     time.Time // zero: everything recorded
	DiffAsOf time.Time // zero: no diff
	LateDays int       // 0: DefaultLateDays
	// Now is the time deadlines are reckoned to when AsOf is zero (zero:
	// the latest recorded event's time).
	Now        time.Time
	Thresholds Thresholds
}

// Build makes the report of h.
func Build(ctx context.Context, h History, community string, o Options) (*Report, error) {
	if o.LateDays == 0 {
		o.LateDays = DefaultLateDays
	}
	v, err := h.View(ctx, community, o.AsOf)
	if err != nil {
		return nil, err
	}
	r := &Report{Community: community, Year: o.Year, AsOf: o.AsOf, Events: len(v.Events), LateDays: o.LateDays,
		Matters: []projections.MatterRow{}, Journal: []projections.VoucherView{}, Findings: []Finding{}}
	if bv, err := v.Board.Board(ctx, community); err == nil {
		r.Name = bv.Name
		for _, m := range bv.Matters {
			for _, d := range m.Dates {
				if d.Date.Year == o.Year {
					r.Matters = append(r.Matters, m)
					break
				}
			}
		}
	} else if !errors.Is(err, projections.ErrNotFound) {
		return nil, err
	}
	if be, err := v.Finance.BudgetExecution(ctx, community, o.Year); err == nil {
		r.Budget = &be
	}
	for m := 1; m <= 12; m++ {
		month := fmt.Sprintf("%04d-%02d", o.Year, m)
		vl, err := v.Finance.Vouchers(ctx, community, month)
		if err != nil {
			continue
		}
		for _, b := range vl.Vouchers {
			vv, err := v.Finance.Voucher(ctx, community, b.ID)
			if err != nil {
				return nil, err
			}
			r.Journal = append(r.Journal, vv)
		}
	}
	if len(r.Journal) > 0 {
		dec := fmt.Sprintf("%04d-12", o.Year)
		if tb, err := v.Finance.TrialBalance(ctx, community, dec); err == nil {
			r.TrialBalance = &tb
		}
		if f, err := v.Finance.BalanceSheetForm(ctx, community, dec); err == nil {
			r.BalanceSheet = &f
		}
		if f, err := v.Finance.IncomeForm(ctx, community, o.Year); err == nil {
			r.Income = &f
		}
	}
	for _, e := range v.Events {
		if c := ChangeOf(e); Concerns(e, o.Year) && c.LateDays >= o.LateDays {
			r.Late = append(r.Late, c)
		}
	}
	if !o.DiffAsOf.IsZero() {
		r.DiffAsOf = o.DiffAsOf
		r.Changes = h.Changes(o.AsOf, o.DiffAsOf, o.Year)
	}
	at := o.AsOf
	if at.IsZero() {
		at = o.Now
	}
	for _, f := range v.Events.Findings(at, o.Thresholds) {
		if f.Year == o.Year || slices.Contains(f.OtherYears, o.Year) {
			r.Findings = append(r.Findings, f)
		}
	}
	return r, nil
}

// WriteText writes the report for a person, in Chinese.
func (r *Report) WriteText(w io.Writer) error {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	at := "全部记录"
	if !r.AsOf.IsZero() {
		at = "截至 " + r.AsOf.In(domain.Shanghai).Format("2006年1月2日 15:04") + "（北京时间）已记录的内容"
	}
	p("%s（%s）%d年度审计视图：%s，共 %d 条记录\n", r.Name, r.Community, r.Year, at, r.Events)
	p("\n一、事项（%d）\n", len(r.Matters))
	for _, m := range r.Matters {
		p("  %s %s：%s", m.ID, m.Title, domain.StageZH(m.Stage))
		if m.Amount != 0 {
			p("，金额 %s 元", m.Amount)
		}
		p("\n")
		for _, d := range m.Dates {
			label := domain.StageZH(d.Stage)
			if d.Stage == projections.StageCorrection {
				label = "更正“" + domain.StageZH(d.Corrects) + "”"
			}
			rec := ""
			if !d.RecordedAt.IsZero() {
				rec = "，记录于 " + d.RecordedAt.In(domain.Shanghai).Format("2006-01-02 15:04")
			}
			p("    %s %s（日志序号 %d%s）\n", d.Date, label, d.Seq, rec)
		}
	}
	p("\n二、预算执行\n")
	if r.Budget == nil {
		p("  本年度没有预算。\n")
	} else {
		for _, l := range r.Budget.Lines {
			p("  %s（%s）预算 %s，到账 %s，支出 %s，结余 %s\n", l.Name, l.Line, l.Budget, l.Received, l.Spent, l.Remaining)
		}
		p("  合计：预算 %s，到账 %s，支出 %s，结余 %s\n", r.Budget.Total.Budget, r.Budget.Total.Received, r.Budget.Total.Spent, r.Budget.Total.Remaining)
	}
	p("\n三、序时账（%d 张凭证）\n", len(r.Journal))
	for _, v := range r.Journal {
		p("  %s %s %s（%s）\n", v.Date, v.ID, v.Summary, v.Kind)
		for _, l := range v.Lines {
			p("      %-8s %-12s 借 %12s  贷 %12s\n", l.Account, l.NameZH, blank(l.Debit), blank(l.Credit))
		}
	}
	if tb := r.TrialBalance; tb != nil {
		p("\n四、科目余额表（%s，%s）\n", tb.Month, tb.Chart)
		p("  %-8s %-14s %14s %14s %14s %14s\n", "科目", "名称", "本期借方", "本期贷方", "期末借方", "期末贷方")
		for _, row := range tb.Rows {
			if row.Level == 0 {
				p("  %-8s %-14s %14s %14s %14s %14s\n", row.Account, row.NameZH, blank(row.Debit), blank(row.Credit), blank(row.ClosingDebit), blank(row.ClosingCredit))
			}
		}
		p("  %-8s %-14s %14s %14s %14s %14s\n", "合计", "", tb.Total.Debit, tb.Total.Credit, tb.Total.ClosingDebit, tb.Total.ClosingCredit)
	}
	for _, f := range []*projections.Form{r.BalanceSheet, r.Income} {
		if f == nil {
			continue
		}
		p("\n%s（%s）\n", f.TitleZH, f.Period)
		for _, row := range f.Rows {
			var cells []string
			for _, c := range f.Columns {
				cells = append(cells, c.LabelZH+" "+blank(row.Amounts[c.Key]))
			}
			line := ""
			if row.Row != 0 {
				line = fmt.Sprint(row.Row)
			}
			p("  %-3s %-24s %s\n", line, row.LabelZH, strings.Join(cells, "  "))
		}
		if !f.Verified {
			p("  （该年度报表格式行次未经官方原文核对）\n")
		}
	}
	p("\n五、补录（业务日期后 %d 天及以上才记录，%d 条）\n", r.LateDays, len(r.Late))
	for _, c := range r.Late {
		p("  日志序号 %d：业务日期 %s，记录于 %s，晚 %d 天：%s\n", c.Seq, c.EffectiveDate, c.RecordedAt.In(domain.Shanghai).Format("2006-01-02 15:04"), c.LateDays, c.What)
	}
	if !r.DiffAsOf.IsZero() {
		p("\n六、此后至 %s 新记录、影响本年度的内容（%d 条）\n", r.DiffAsOf.In(domain.Shanghai).Format("2006年1月2日 15:04"), len(r.Changes))
		for _, c := range r.Changes {
			p("  日志序号 %d：业务日期 %s，记录于 %s：%s\n", c.Seq, c.EffectiveDate, c.RecordedAt.In(domain.Shanghai).Format("2006-01-02 15:04"), c.What)
		}
	}
	p("\n七、合规提示（%d 条，按规则集与阈值）\n", len(r.Findings))
	for _, f := range r.Findings {
		p("  [%s·%s] %s：%s（日志序号 %v）\n", severityZH[f.Severity], f.Rule, f.TitleZH, f.DetailZH, f.Seqs)
	}
	return nil
}

var severityZH = map[string]string{"high": "重要", "medium": "一般", "low": "提示"}

func blank(f domain.Fen) string {
	if f == 0 {
		return ""
	}
	return f.String()
}
