package domain_test

import (
	"testing"
	"time"

	"github.com/gongkai/gongkai/domain"
)

// rulesOf returns the catalogue in force on each date for a community
// with the given history.
func rulesOf(t *testing.T, events ...domain.Event) func(domain.Date) domain.DisclosureRules {
	t.Helper()
	c := community(t, events...)
	return func(d domain.Date) domain.DisclosureRules { return c.RuleSetAt(d).DisclosureRules() }
}

// publishedOn returns a Published function for items first published on
// the given dates.
func publishedOn(t *testing.T, dates map[string]string) func(string) domain.Date {
	t.Helper()
	m := map[string]domain.Date{}
	for item, d := range dates {
		m[item] = mustDate(t, d)
	}
	return func(item string) domain.Date { return m[item] }
}

// monthly is a rule set from 2025-07-01 under which finance is disclosed
// monthly, within 10 days of the month's end.
func monthly() domain.RuleSet {
	rs := domain.DefaultRuleSet()
	rs.ID, rs.EffectiveFrom = "monthly-2025", domain.Date{Year: 2025, Month: 7, Day: 1}
	dr := domain.DefaultDisclosureRules()
	dr.FinancePeriod, dr.FinanceDays = "month", 10
	rs.Disclosure = &dr
	return rs
}

// monthlyFrom is monthly() in force from another date.
func monthlyFrom(d domain.Date) domain.RuleSet {
	rs := monthly()
	rs.EffectiveFrom = d
	return rs
}

// resolutionIn3 is a rule set from 2025-03-02 under which a resolution is
// disclosed within 3 days (the default is 5).
func resolutionIn3() domain.RuleSet {
	rs := domain.DefaultRuleSet()
	rs.ID, rs.EffectiveFrom = "fast-2025", domain.Date{Year: 2025, Month: 3, Day: 2}
	dr := domain.DefaultDisclosureRules()
	dr.ResolutionDays = 3
	rs.Disclosure = &dr
	return rs
}

// TestObligationsToday: "today" is the civil date in Beijing. At
// 2026-03-31T16:30:00Z it is 00:30 on 2026-04-01 in Beijing (UTC+8), so the
// first quarter of 2026 has ended and its finance is due 2026-03-31 + 15
// = 2026-04-15; by the UTC date (still 2026-03-31) it would not have.
func TestObligationsToday(t *testing.T) {
	now := time.Date(2026, 3, 31, 16, 30, 0, 0, time.UTC)
	if got := domain.DateOf(now); got != mustDate(t, "2026-04-01") {
		t.Fatalf("DateOf(%v) = %v, want 2026-04-01", now, got)
	}
	// 15:59:59 UTC is 23:59:59 in Beijing, still 2026-03-31.
	if got := domain.DateOf(now.Add(-31*time.Minute - time.Second)); got != mustDate(t, "2026-03-31") {
		t.Fatalf("DateOf(2026-03-31T15:59:59Z) = %v, want 2026-03-31", got)
	}
	in := domain.ObligationInput{Today: domain.DateOf(now), RulesAt: rulesOf(t, registered), FinanceFrom: mustDate(t, "2026-01-01")}
	want := []domain.Obligation{{Item: "finance-2026-Q1", Title: "2026年第1季度财务收支公开", Due: mustDate(t, "2026-04-15")}}
	if d := diff(want, domain.Obligations(in)); d != "" {
		t.Errorf("Obligations at %v (Beijing 2026-04-01):%s", now, d)
	}
	in.Today = mustDate(t, now.UTC().Format("2006-01-02"))
	if got := domain.Obligations(in); len(got) != 0 {
		t.Errorf("Obligations on 2026-03-31 = %s, want none: the quarter ends that day", show(got))
	}
}

func TestObligations(t *testing.T) {
	date := func(s string) domain.Date { return mustDate(t, s) }
	def := rulesOf(t, registered)
	tests := []struct {
		name string
		in   domain.ObligationInput
		want []domain.Obligation
	}{
		// Books from 2025-02-10, finance quarterly within 15 days: Q1
		// (from January: the quarter the books began in) ends 03-31, due
		// 04-15; Q2 ends 06-30, due 07-15; Q3 ends 09-30, due 10-15; Q4
		// has not ended on 2025-10-20.
		{name: "quarterly", in: domain.ObligationInput{Today: date("2025-10-20"), RulesAt: def, FinanceFrom: date("2025-02-10"),
			Published: publishedOn(t, map[string]string{"finance-2025-Q1": "2025-04-10", "finance-2025-Q2": "2025-07-20"})},
			want: []domain.Obligation{
				{Item: "finance-2025-Q1", Title: "2025年第1季度财务收支公开", Due: date("2025-04-15"), Done: date("2025-04-10")},
				{Item: "finance-2025-Q2", Title: "2025年第2季度财务收支公开", Due: date("2025-07-15"), Done: date("2025-07-20")},
				{Item: "finance-2025-Q3", Title: "2025年第3季度财务收支公开", Due: date("2025-10-15")},
			}},
		// On the last day of Q3 it has not ended; the day after it has.
		{name: "quarterly, the last day of a quarter", in: domain.ObligationInput{Today: date("2025-09-30"), RulesAt: def, FinanceFrom: date("2025-02-10")},
			want: []domain.Obligation{
				{Item: "finance-2025-Q1", Title: "2025年第1季度财务收支公开", Due: date("2025-04-15")},
				{Item: "finance-2025-Q2", Title: "2025年第2季度财务收支公开", Due: date("2025-07-15")},
			}},
		{name: "quarterly, the day after a quarter", in: domain.ObligationInput{Today: date("2025-10-01"), RulesAt: def, FinanceFrom: date("2025-07-01")},
			want: []domain.Obligation{{Item: "finance-2025-Q3", Title: "2025年第3季度财务收支公开", Due: date("2025-10-15")}}},
		// Books begun in the last days of a year: Q4 2024 ends 12-31,
		// due 2025-01-15.
		{name: "across a year", in: domain.ObligationInput{Today: date("2025-04-01"), RulesAt: def, FinanceFrom: date("2024-12-20")},
			want: []domain.Obligation{
				{Item: "finance-2024-Q4", Title: "2024年第4季度财务收支公开", Due: date("2025-01-15")},
				{Item: "finance-2025-Q1", Title: "2025年第1季度财务收支公开", Due: date("2025-04-15")},
			}},
		{name: "no books", in: domain.ObligationInput{Today: date("2025-10-20"), RulesAt: def}},

		// Monthly from 2025-07-01, within 10 days: Q1 and Q2 stay
		// quarterly (due 04-15, 07-15); July ends 07-31, due 08-10;
		// August 08-31, due 09-10; September 09-30, due 10-10; October
		// has not ended on 2025-10-20.
		{name: "monthly after a rule set", in: domain.ObligationInput{Today: date("2025-10-20"), RulesAt: rulesOf(t, registered, &domain.RuleSetAdopted{RuleSet: monthly()}),
			FinanceFrom: date("2025-02-10"), Published: publishedOn(t, map[string]string{"finance-2025-08": "2025-09-05"})},
			want: []domain.Obligation{
				{Item: "finance-2025-Q1", Title: "2025年第1季度财务收支公开", Due: date("2025-04-15")},
				{Item: "finance-2025-Q2", Title: "2025年第2季度财务收支公开", Due: date("2025-07-15")},
				{Item: "finance-2025-07", Title: "2025年7月财务收支公开", Due: date("2025-08-10")},
				{Item: "finance-2025-08", Title: "2025年8月财务收支公开", Due: date("2025-09-10"), Done: date("2025-09-05")},
				{Item: "finance-2025-09", Title: "2025年9月财务收支公开", Due: date("2025-10-10")},
			}},

		// Monthly from 2025-08-01, in the middle of Q3: the rules of the
		// quarter's first day (07-01, quarterly) decide Q3, so no month of
		// it is owed twice. On 2025-09-15 Q3 has not ended: nothing is
		// owed. On 2025-11-20 Q3 (09-30 + 15 = 10-15) and October
		// (10-31 + 10 = 11-10) are.
		{name: "monthly from the middle of a quarter", in: domain.ObligationInput{Today: date("2025-09-15"),
			RulesAt: rulesOf(t, registered, &domain.RuleSetAdopted{RuleSet: monthlyFrom(date("2025-08-01"))}), FinanceFrom: date("2025-07-01")},
			want: nil},
		{name: "monthly from the quarter after", in: domain.ObligationInput{Today: date("2025-11-20"),
			RulesAt: rulesOf(t, registered, &domain.RuleSetAdopted{RuleSet: monthlyFrom(date("2025-08-01"))}), FinanceFrom: date("2025-07-01")},
			want: []domain.Obligation{
				{Item: "finance-2025-Q3", Title: "2025年第3季度财务收支公开", Due: date("2025-10-15")},
				{Item: "finance-2025-10", Title: "2025年10月财务收支公开", Due: date("2025-11-10")},
			}},

		// A budget adopted 2025-01-05 is due 01-20 (15 days); its
		// execution is due 31 days after 2025-12-31, 2026-01-31, and
		// listed only once 2025 has ended.
		{name: "budget during its year", in: domain.ObligationInput{Today: date("2025-12-31"), RulesAt: def,
			Budgets: map[int]domain.Date{2025: date("2025-01-05")}, Published: publishedOn(t, map[string]string{"budget-2025": "2025-01-18"})},
			want: []domain.Obligation{{Item: "budget-2025", Title: "2025年度预算公开", Due: date("2025-01-20"), Done: date("2025-01-18")}}},
		// The 2026 budget adopted 2025-12-20 is due 2026-01-04.
		{name: "budgets after the year", in: domain.ObligationInput{Today: date("2026-01-01"), RulesAt: def,
			Budgets: map[int]domain.Date{2025: date("2025-01-05"), 2026: date("2025-12-20")}},
			want: []domain.Obligation{
				{Item: "budget-2025", Title: "2025年度预算公开", Due: date("2025-01-20")},
				{Item: "budget-2026", Title: "2026年度预算公开", Due: date("2026-01-04")},
				{Item: "budget_execution-2025", Title: "2025年度预算执行情况公开", Due: date("2026-01-31")},
			}},

		// The catalogue in force today lists relief-2025, due 2025-09-30;
		// before 2025-01-01 the default catalogue has no special items.
		{name: "special item", in: domain.ObligationInput{Today: date("2025-10-20"), RulesAt: rulesOf(t, withCatalogue()...),
			Published: publishedOn(t, map[string]string{"special-relief-2025": "2025-10-02"})},
			want: []domain.Obligation{{Item: "special-relief-2025", Title: "2025年救灾款物发放", Due: date("2025-09-30"), Done: date("2025-10-02")}}},
		{name: "special item of a catalogue not yet in force", in: domain.ObligationInput{Today: date("2024-12-31"), RulesAt: rulesOf(t, withCatalogue()...)}},

		// A resolution of 2025-03-01 is due 5 days later, 03-06; the
		// result 15 days after the first report of 2025-04-01, 04-16.
		// Under the rule set of 3 days from 2025-03-02, a vote of 03-01
		// is still due 03-06, one of 03-02 due 03-05.
		{name: "matters", in: domain.ObligationInput{Today: date("2025-05-01"), RulesAt: rulesOf(t, registered, &domain.RuleSetAdopted{RuleSet: resolutionIn3()}),
			Matters: []domain.ObligationMatter{
				{ID: "m1", Title: "修缮村道", Resolved: date("2025-03-01"), ResolutionDisclosed: date("2025-03-08"), FirstReport: date("2025-04-01"), ResultDisclosed: date("2025-04-16")},
				{ID: "m2", Title: "路灯", Resolved: date("2025-03-02")},
				{ID: "m3", Title: "尚未表决"},
			}},
			want: []domain.Obligation{
				{Item: "matter/m2/resolution", Title: "决议公开：路灯", Due: date("2025-03-05")},
				{Item: "matter/m1/resolution", Title: "决议公开：修缮村道", Due: date("2025-03-06"), Done: date("2025-03-08")},
				{Item: "matter/m1/result", Title: "实施结果公开：修缮村道", Due: date("2025-04-16"), Done: date("2025-04-16")},
			}},

		// Equal due dates are ordered by item: Q1 and a resolution of
		// 2025-04-10 are both due 04-15.
		{name: "ties by item", in: domain.ObligationInput{Today: date("2025-04-20"), RulesAt: def, FinanceFrom: date("2025-01-01"),
			Matters: []domain.ObligationMatter{{ID: "m1", Title: "修缮村道", Resolved: date("2025-04-10")}}},
			want: []domain.Obligation{
				{Item: "finance-2025-Q1", Title: "2025年第1季度财务收支公开", Due: date("2025-04-15")},
				{Item: "matter/m1/resolution", Title: "决议公开：修缮村道", Due: date("2025-04-15")},
			}},
	}
	for _, tc := range tests {
		if d := diff(tc.want, domain.Obligations(tc.in)); d != "" {
			t.Errorf("%s: Obligations(today %v):%s", tc.name, tc.in.Today, d)
		}
	}
}

// TestObligationLateness: a matter resolved 2025-03-01 is due 03-06.
func TestObligationLateness(t *testing.T) {
	date := func(s string) domain.Date { return mustDate(t, s) }
	resolved := func(disclosed string) domain.Obligation {
		in := domain.ObligationInput{Today: date("2025-03-07"), RulesAt: rulesOf(t, registered),
			Matters: []domain.ObligationMatter{{ID: "m1", Title: "修缮村道", Resolved: date("2025-03-01")}}}
		if disclosed != "" {
			in.Matters[0].ResolutionDisclosed = date(disclosed)
		}
		out := domain.Obligations(in)
		if len(out) != 1 || out[0].Due != date("2025-03-06") {
			t.Fatalf("Obligations = %s, want one due 2025-03-06", show(out))
		}
		return out[0]
	}
	undisclosed, late, onTime := resolved(""), resolved("2025-03-08"), resolved("2025-03-06")
	tests := []struct {
		name        string
		o           domain.Obligation
		today       string
		overdue     bool
		daysOverdue int
		late        bool
	}{
		{"undisclosed on the due date", undisclosed, "2025-03-06", false, 0, false},
		{"undisclosed the day after", undisclosed, "2025-03-07", true, 1, false},
		// 03-06 to 04-06: 25 days of March and 6 of April.
		{"undisclosed a month later", undisclosed, "2025-04-06", true, 31, false},
		{"undisclosed before the vote", undisclosed, "2025-02-28", false, 0, false},
		{"disclosed two days late", late, "2025-03-10", false, 0, true},
		{"disclosed late, asked before", late, "2025-03-07", false, 0, true},
		{"disclosed on the due date", onTime, "2025-03-10", false, 0, false},
	}
	for _, tc := range tests {
		today := date(tc.today)
		if got := tc.o.Overdue(today); got != tc.overdue {
			t.Errorf("%s: Overdue(%s) = %v, want %v", tc.name, tc.today, got, tc.overdue)
		}
		if got := tc.o.DaysOverdue(today); got != tc.daysOverdue {
			t.Errorf("%s: DaysOverdue(%s) = %d, want %d", tc.name, tc.today, got, tc.daysOverdue)
		}
		if got := tc.o.Late(); got != tc.late {
			t.Errorf("%s: Late() = %v, want %v", tc.name, got, tc.late)
		}
	}
}

func TestDateArithmetic(t *testing.T) {
	tests := []struct {
		from string
		n    int
		want string
	}{
		{"2025-03-31", 15, "2025-04-15"},
		{"2025-12-31", 31, "2026-01-31"},
		{"2024-02-28", 1, "2024-02-29"},
		{"2025-02-28", 1, "2025-03-01"},
		{"2025-03-01", -1, "2025-02-28"},
		{"2025-06-10", 0, "2025-06-10"},
	}
	for _, tc := range tests {
		from, want := mustDate(t, tc.from), mustDate(t, tc.want)
		if got := from.AddDays(tc.n); got != want {
			t.Errorf("%s.AddDays(%d) = %v, want %s", tc.from, tc.n, got, tc.want)
		}
		if got := want.DaysSince(from); got != tc.n {
			t.Errorf("%s.DaysSince(%s) = %d, want %d", tc.want, tc.from, got, tc.n)
		}
	}
}
