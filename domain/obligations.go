package domain

import (
	"fmt"
	"sort"
	"time"
)

// An Obligation is one disclosure the catalogue requires (应公开事项), with
// its deadline and whether and when it was met.
type Obligation struct {
	// Item is the disclosure item ("finance-2025-Q2", "budget-2025") or,
	// for a matter's stage, "matter/<id>/resolution" or ".../result".
	Item  string `json:"item"`
	Title string `json:"title"`
	Due   Date   `json:"due"`
	// Done is when it was published (zero while it is not).
	Done Date `json:"done,omitzero"`
}

// Overdue reports whether the obligation is unmet after its due date.
func (o Obligation) Overdue(today Date) bool { return o.Done.IsZero() && today.After(o.Due) }

// Late reports whether it was met after its due date.
func (o Obligation) Late() bool { return !o.Done.IsZero() && o.Done.After(o.Due) }

// DaysOverdue returns how many days past its due date an unmet obligation
// is on today (0 when it is not overdue).
func (o Obligation) DaysOverdue(today Date) int {
	if !o.Overdue(today) {
		return 0
	}
	return today.DaysSince(o.Due)
}

// ObligationMatter is what the obligations need of a matter: the date of
// its latest vote of the assembly, of the resolution's disclosure, of its
// first implementation report and of the result's disclosure (zero when
// not reached).
type ObligationMatter struct {
	ID                  string
	Title               string
	Resolved            Date
	ResolutionDisclosed Date
	FirstReport         Date
	ResultDisclosed     Date
}

// ObligationInput is what a community's obligations are computed from.
type ObligationInput struct {
	// Today is the civil date in Asia/Shanghai (an injected clock's).
	Today Date
	// RulesAt returns the catalogue in force on a date.
	RulesAt func(Date) DisclosureRules
	// FinanceFrom is the first day of the books (zero: no books).
	FinanceFrom Date
	// Budgets maps each fiscal year with a budget to its adoption date.
	Budgets map[int]Date
	Matters []ObligationMatter
	// Published returns the date an item was first published (zero: not).
	Published func(item string) Date
}

// Obligations lists what the catalogue required up to in.Today, by due
// date: each finance period that has ended since the books began, each
// year's budget and, after the year, its execution, the catalogue's
// special items, and each matter's 决议公开 and 实施结果公开. The rules
// are those in force when the obligation arose (a period's first day, a
// budget's adoption, a vote, a report).
func Obligations(in ObligationInput) []Obligation {
	var out []Obligation
	published := func(item string) Date {
		if in.Published == nil {
			return Date{}
		}
		return in.Published(item)
	}
	if !in.FinanceFrom.IsZero() {
		seen := map[string]bool{}
		for m := (Date{in.FinanceFrom.Year, in.FinanceFrom.Month, 1}); m.Before(in.Today); m = (Date{m.Year, m.Month + 1, 1}).normal() {
			// The rules in force on a quarter's first day decide whether
			// its months are disclosed as the quarter or one by one, so
			// that no month is owed twice; a month's deadline follows the
			// rules of its period's first day.
			q := (int(m.Month)-1)/3 + 1
			qStart := Date{m.Year, time.Month(3*q - 2), 1}
			r := in.RulesAt(qStart)
			id := FinanceItemID(m.Year, q, 0)
			if r.FinancePeriod == "month" {
				id = FinanceItemID(m.Year, 0, int(m.Month))
				r = in.RulesAt(m)
			}
			if seen[id] {
				continue
			}
			seen[id] = true
			it, _ := ParseDisclosureItem(id)
			_, end := it.Period()
			if !end.Before(in.Today) {
				continue // the period has not ended
			}
			out = append(out, Obligation{Item: id, Title: it.TitleZH(), Due: end.AddDays(r.FinanceDays), Done: published(id)})
		}
	}
	for year, adopted := range in.Budgets {
		r := in.RulesAt(adopted)
		id := fmt.Sprintf("budget-%04d", year)
		it, _ := ParseDisclosureItem(id)
		out = append(out, Obligation{Item: id, Title: it.TitleZH(), Due: adopted.AddDays(r.BudgetDays), Done: published(id)})
		end := Date{year, 12, 31}
		if end.Before(in.Today) {
			id := fmt.Sprintf("budget_execution-%04d", year)
			it, _ := ParseDisclosureItem(id)
			out = append(out, Obligation{Item: id, Title: it.TitleZH(), Due: end.AddDays(in.RulesAt(end).ExecutionDays), Done: published(id)})
		}
	}
	for _, s := range in.RulesAt(in.Today).Special {
		id := "special-" + s.ID
		out = append(out, Obligation{Item: id, Title: s.Title, Due: s.Due, Done: published(id)})
	}
	for _, m := range in.Matters {
		if !m.Resolved.IsZero() {
			out = append(out, Obligation{Item: "matter/" + m.ID + "/resolution", Title: "决议公开：" + m.Title,
				Due: m.Resolved.AddDays(in.RulesAt(m.Resolved).ResolutionDays), Done: m.ResolutionDisclosed})
		}
		if !m.FirstReport.IsZero() {
			out = append(out, Obligation{Item: "matter/" + m.ID + "/result", Title: "实施结果公开：" + m.Title,
				Due: m.FirstReport.AddDays(in.RulesAt(m.FirstReport).ResultDays), Done: m.ResultDisclosed})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Due != out[j].Due {
			return out[i].Due.Before(out[j].Due)
		}
		return out[i].Item < out[j].Item
	})
	return out
}

// normal returns d with an overflowing month carried into the year.
func (d Date) normal() Date {
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
	return Date{t.Year(), t.Month(), t.Day()}
}
