package audit_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/audit"
	"github.com/gongkai/gongkai/projections"
)

// step is one event of a constructed history: its aggregate, effective date
// and, when rec is set, the time it was recorded (RFC 3339); otherwise it
// was recorded at 10:00 in Shanghai on its effective date.
type step struct {
	agg, id string
	date    string
	rec     string
	data    domain.Event
}

// history numbers the steps from seq 1, in order.
func history(tb testing.TB, steps []step) []audit.Event {
	tb.Helper()
	out := make([]audit.Event, len(steps))
	for i, s := range steps {
		d := mustDate(tb, s.date)
		rec := time.Date(d.Year, d.Month, d.Day, 10, 0, 0, 0, domain.Shanghai)
		if s.rec != "" {
			var err error
			if rec, err = time.Parse(time.RFC3339, s.rec); err != nil {
				tb.Fatalf("recorded time %q: %v", s.rec, err)
			}
		}
		out[i] = audit.Event{Seq: uint64(i + 1), Type: s.data.EventType(), AggregateType: s.agg, AggregateID: s.id,
			EffectiveDate: d, RecordedAt: rec, Actor: "clerk", Data: s.data}
	}
	return out
}

// mustDate parses s; with a nil tb (building a table) it panics on error.
func mustDate(tb testing.TB, s string) domain.Date {
	d, err := domain.ParseDate(s)
	if err != nil {
		if tb == nil {
			panic(err)
		}
		tb.Helper()
		tb.Fatalf("ParseDate(%q): %v", s, err)
	}
	return d
}

// asOf is the end of a day in Shanghai.
func asOf(tb testing.TB, s string) time.Time {
	d := mustDate(tb, s)
	return time.Date(d.Year, d.Month, d.Day, 23, 0, 0, 0, domain.Shanghai)
}

func join(parts ...[]step) []step { return slices.Concat(parts...) }

func yuan(s string) domain.Fen {
	f, err := domain.ParseYuan(s)
	if err != nil {
		panic(err)
	}
	return f
}

// voucher posts a voucher: Dr to, Cr from.
func voucher(date string, n int, summary, to, from, amount string) step {
	f := yuan(amount)
	return step{agg: domain.AggregateBooks, id: domain.BooksID, date: date, data: &domain.VoucherPosted{VoucherData: domain.VoucherData{
		Number: n, Summary: summary, Preparer: "会计",
		Lines: []domain.Line{{Account: to, Debit: f}, {Account: from, Credit: f}}}}}
}

// pay pays amount out of the bank (102) to administrative expenses (541).
func pay(date string, n int, summary, amount string) step {
	return voucher(date, n, summary, "541", domain.AccountBank, amount)
}

// cite makes a payment cite a budget line and a matter.
func cite(s step, line, matter string) step {
	v := *s.data.(*domain.VoucherPosted)
	v.BudgetLine, v.Matter = line, matter
	s.data = &v
	return s
}

func recorded(s step, rec string) step { s.rec = rec; return s }

// receive puts amount into account from other income (531).
func receive(date string, n int, account, amount string) step {
	return voucher(date, n, "收到款项", account, "531", amount)
}

func reverse(date string, n int, orig string, lines []domain.Line) step {
	mirror := make([]domain.Line, len(lines))
	for i, l := range lines {
		mirror[i] = domain.Line{Account: l.Account, Debit: -l.Debit, Credit: -l.Credit}
	}
	return step{agg: domain.AggregateBooks, id: domain.BooksID, date: date, data: &domain.VoucherReversed{
		VoucherData: domain.VoucherData{Number: n, Summary: "冲销 " + orig, Lines: mirror, Preparer: "会计"}, Reverses: orig, Reason: "错账"}}
}

func books(date string, e domain.Event) step {
	return step{agg: domain.AggregateBooks, id: domain.BooksID, date: date, data: e}
}

func mat(id, date string, e domain.Event) step {
	return step{agg: domain.AggregateMatter, id: id, date: date, data: e}
}

// Votes: 15 expected.
var (
	votesPass = domain.Votes{Expected: 15, Present: 12, For: 10, Against: 1, Abstain: 1}
	// 9 of 15 present: under 2/3 (9×3 = 27 < 15×2 = 30); at least 1/2.
	votesNine = domain.Votes{Expected: 15, Present: 9, For: 9}
)

// recordedAs is a decision as the log holds it, whatever the rules say.
func recordedAs(v domain.Votes, quorate, passed bool) domain.Decision {
	return domain.Decision{Votes: v, Quorate: quorate, Passed: passed, RuleSet: "cn-national-2018"}
}

// upToReview is a matter registered, proposed and consulted on date, and
// reviewed by the party members' meeting that passed it.
func upToReview(id, date string) []step {
	return []step{
		mat(id, date, &domain.MatterRegistered{Title: "修缮活动室", Amount: yuan("20000")}),
		mat(id, date, &domain.MatterProposed{Summary: "提议"}),
		mat(id, date, &domain.MatterConsulted{Summary: "商议"}),
		mat(id, date, &domain.MatterReviewed{Decision: recordedAs(votesPass, true, true)}),
	}
}

// passed is upToReview on date and a passing vote of the assembly on
// resolved: five events.
func passed(id, date, resolved string) []step {
	return append(upToReview(id, date), mat(id, resolved, &domain.MatterResolved{Decision: recordedAs(votesPass, true, true)}))
}

func disclosed(id, date string) step {
	return mat(id, date, &domain.ResolutionDisclosed{Channels: []string{"公开栏"}, Summary: "决议公开"})
}

func reported(id, date string) step {
	return mat(id, date, &domain.ImplementationReported{Summary: "已完工"})
}

func budget(year, date string, e domain.Event) step {
	return step{agg: domain.AggregateBudget, id: year, date: date, data: e}
}

func adopted(amount string) *domain.BudgetAdopted {
	return &domain.BudgetAdopted{Resolution: "b-2025", Lines: []domain.BudgetLine{{Line: "L1", Name: "办公经费", Source: domain.SourceTown, Amount: yuan(amount)}}}
}

func ruleSet(from string, edit func(*domain.RuleSet)) step {
	rs := domain.DefaultRuleSet()
	rs.ID, rs.EffectiveFrom = "local-"+from, mustDate(nil, from)
	edit(&rs)
	return step{agg: domain.AggregateCommunity, id: "dongfeng", date: from, data: &domain.RuleSetAdopted{RuleSet: rs}}
}

func asked(id, date, due string) step {
	return step{agg: domain.AggregateQuestion, id: id, date: date, data: &domain.QuestionAsked{About: "matter/m1", Text: "花了多少钱？", Due: mustDate(nil, due)}}
}

// TestFindings gives, for each rule, a history that triggers it and a near
// miss that does not. The figures are worked out in the comments; the
// default rule set applies unless a case adopts another: threshold
// 10,000.00 yuan, quorum 2/3, majority more than 1/2 of those present, a
// resolution disclosed within 5 days, a result within 15 days of the first
// report.
func TestFindings(t *testing.T) {
	payLines := []domain.Line{{Account: "541", Debit: yuan("100")}, {Account: "102", Credit: yuan("100")}}
	revLines := []domain.Line{{Account: "541", Debit: -yuan("100")}, {Account: "102", Credit: -yuan("100")}}
	tests := []struct {
		name  string
		steps []step
		asOf  string
		th    func(*audit.Thresholds)
		rule  string
		// want are the seqs of the one finding of rule; nil: no finding of rule.
		want     []uint64
		year     int
		other    []int
		severity string
		zh       string
	}{
		// spending_without_resolution
		{name: "12,000.00 paid without a resolution", rule: audit.RuleSpendingWithoutResolution,
			steps: []step{pay("2025-06-03", 2, "维修", "12000")}, asOf: "2025-06-30",
			want: []uint64{1}, year: 2025, severity: audit.High,
			zh: "2025-06-03 凭证 2025-06-002 支付 12,000.00 元，超过 10,000.00 元的限额，未引用已通过的决议"},
		{name: "exactly at the threshold", rule: audit.RuleSpendingWithoutResolution,
			steps: []step{pay("2025-06-03", 2, "维修", "10000")}, asOf: "2025-06-30"},
		{name: "the threshold of the rule set of the voucher's date", rule: audit.RuleSpendingWithoutResolution,
			// 6,000.00 > the local 5,000.00 in force from 2025-06-01.
			steps: []step{ruleSet("2025-06-01", func(rs *domain.RuleSet) { rs.SpendingThreshold = yuan("5000") }),
				pay("2025-06-03", 1, "维修", "6000")}, asOf: "2025-06-30",
			want: []uint64{2}, year: 2025, severity: audit.High, zh: "支付 6,000.00 元，超过 5,000.00 元的限额"},
		{name: "before the lower threshold came into force", rule: audit.RuleSpendingWithoutResolution,
			steps: []step{ruleSet("2025-06-04", func(rs *domain.RuleSet) { rs.SpendingThreshold = yuan("5000") }),
				pay("2025-06-03", 1, "维修", "6000")}, asOf: "2025-06-30"},
		{name: "citing a matter never passed", rule: audit.RuleSpendingWithoutResolution,
			steps: join(upToReview("m1", "2025-06-01"), []step{cite(pay("2025-06-03", 1, "维修", "12000"), "", "m1")}), asOf: "2025-06-30",
			want: []uint64{5}, year: 2025, severity: audit.High, zh: "所引用的事项 m1 没有经表决通过的决议"},
		{name: "citing a matter passed the day before", rule: audit.RuleSpendingWithoutResolution,
			steps: join(passed("m1", "2025-06-01", "2025-06-02"), []step{cite(pay("2025-06-03", 1, "维修", "12000"), "", "m1")}), asOf: "2025-06-30"},

		{name: "a change of chart is no payment", rule: audit.RuleSpendingWithoutResolution,
			// Chart.Payment of these lines alone would be 20,000.00: the
			// credit to 102 against the debit to 161.
			steps: []step{books("2025-01-20", &domain.ChartTransitioned{Year: 2025, From: "cn-village-2004", To: "cn-rural-collective-2023",
				Lines: []domain.Line{{Account: "102", Credit: yuan("20000")}, {Account: "161", Debit: yuan("30000")},
					{Account: "151", Credit: yuan("30000")}, {Account: "102", Debit: yuan("20000")}}})}, asOf: "2025-06-30"},
		// spending_before_resolution: seqs 1–4 the matter up to its review,
		// 5 the payment on 06-05, 6 the vote on 06-10.
		{name: "paid before the vote", rule: audit.RuleSpendingBeforeResolution,
			steps: join(upToReview("m1", "2025-06-01"), []step{cite(pay("2025-06-05", 1, "维修", "12000"), "", "m1"),
				mat("m1", "2025-06-10", &domain.MatterResolved{Decision: recordedAs(votesPass, true, true)})}), asOf: "2025-06-30",
			want: []uint64{5, 6}, year: 2025, severity: audit.High, zh: "引用的事项 m1（修缮活动室）于 2025-06-10 才表决通过，支付在决议之前"},
		{name: "paid on the day of the vote", rule: audit.RuleSpendingBeforeResolution,
			steps: join(upToReview("m1", "2025-06-01"), []step{cite(pay("2025-06-05", 1, "维修", "12000"), "", "m1"),
				mat("m1", "2025-06-05", &domain.MatterResolved{Decision: recordedAs(votesPass, true, true)})}), asOf: "2025-06-30"},

		// split_payments: 6,000 + 5,000 = 11,000 > 10,000, 30 days apart; the
		// summaries differ only by a space.
		{name: "two payments 30 days apart", rule: audit.RuleSplitPayments,
			steps: []step{pay("2025-06-01", 1, "购买办公用品", "6000"), pay("2025-07-01", 1, "购买 办公用品", "5000")}, asOf: "2025-07-31",
			want: []uint64{1, 2}, year: 2025, severity: audit.High,
			zh: "2025-06-01 至 2025-07-01 期间，摘要“购买办公用品”相同的支付 2 笔（凭证 2025-06-001、2025-07-001），每笔不超过 10,000.00 元，合计 11,000.00 元"},
		{name: "31 days apart", rule: audit.RuleSplitPayments,
			steps: []step{pay("2025-06-01", 1, "购买办公用品", "6000"), pay("2025-07-02", 1, "购买办公用品", "5000")}, asOf: "2025-07-31"},
		{name: "same budget line, different summaries", rule: audit.RuleSplitPayments,
			// 4,000 × 3 = 12,000 on line L1 within 10 days.
			steps: []step{budget("2025", "2025-01-05", adopted("50000")),
				cite(pay("2025-06-01", 1, "桌子", "4000"), "L1", ""), cite(pay("2025-06-05", 2, "椅子", "4000"), "L1", ""),
				cite(pay("2025-06-10", 3, "柜子", "4000"), "L1", "")}, asOf: "2025-07-31",
			want: []uint64{2, 3, 4}, year: 2025, severity: audit.High, zh: "预算行 L1 相同的支付 3 笔"},
		{name: "full-width forms fold", rule: audit.RuleSplitPayments,
			// "复印纸Ａ４（一箱）" and "复印纸 a4 (一箱)" both normalise to "复印纸a4一箱".
			steps: []step{pay("2025-06-01", 1, "复印纸Ａ４（一箱）", "6000"), pay("2025-06-02", 1, "复印纸 a4 (一箱)", "6000")}, asOf: "2025-07-31",
			want: []uint64{1, 2}, year: 2025, severity: audit.High, zh: "合计 12,000.00 元"},
		{name: "the same payee", rule: audit.RuleSplitPayments,
			// Two payments of 5,500 to 20201 (the builder's payable), 10 days
			// apart: 11,000 with different summaries and no budget line.
			steps: []step{books("2025-01-02", &domain.AccountDefined{SubAccount: domain.SubAccount{Code: "20201", Parent: "202", NameZH: "某施工队"}}),
				voucher("2025-06-01", 1, "付工程款", "20201", "102", "5500"), voucher("2025-06-11", 1, "付材料款", "20201", "102", "5500")}, asOf: "2025-07-31",
			want: []uint64{2, 3}, year: 2025, severity: audit.High, zh: "收款方科目 20201（某施工队）相同的支付 2 笔"},
		{name: "together exactly at the threshold", rule: audit.RuleSplitPayments,
			steps: []step{pay("2025-06-01", 1, "购买办公用品", "6000"), pay("2025-06-02", 1, "购买办公用品", "4000")}, asOf: "2025-07-31"},

		// spending_without_budget
		{name: "no budget for the year", rule: audit.RuleSpendingWithoutBudget,
			steps: []step{pay("2025-03-01", 1, "电费", "500")}, asOf: "2025-03-31",
			want: []uint64{1}, year: 2025, severity: audit.High, zh: "2025 年度没有通过预算，却支出 1 笔，合计 500.00 元，第一笔为 2025-03-01 凭证 2025-03-001"},
		{name: "a budget for the year", rule: audit.RuleSpendingWithoutBudget,
			steps: []step{budget("2025", "2025-01-10", adopted("1000")), pay("2025-03-01", 1, "电费", "500")}, asOf: "2025-03-31"},
		{name: "only last year's budget", rule: audit.RuleSpendingWithoutBudget,
			steps: []step{budget("2024", "2024-01-10", adopted("1000")), pay("2025-03-01", 1, "电费", "500")}, asOf: "2025-03-31",
			want: []uint64{2}, year: 2025, severity: audit.High, zh: "2025 年度没有通过预算"},

		// over_budget_line: 600 + 500 = 1,100 on a line of 1,000.
		{name: "over the line", rule: audit.RuleOverBudgetLine,
			steps: []step{budget("2025", "2025-01-10", adopted("1000")),
				cite(pay("2025-03-01", 1, "电费", "600"), "L1", ""), cite(pay("2025-04-01", 1, "电费", "500"), "L1", "")}, asOf: "2025-04-30",
			want: []uint64{1, 2, 3}, year: 2025, severity: audit.Medium, zh: "2025 年度预算行 L1（办公经费）预算 1,000.00 元，实际支出 1,100.00 元，超支 100.00 元"},
		{name: "adjusted to exactly the spending", rule: audit.RuleOverBudgetLine,
			steps: []step{budget("2025", "2025-01-10", adopted("1000")),
				cite(pay("2025-03-01", 1, "电费", "600"), "L1", ""),
				budget("2025", "2025-03-15", &domain.BudgetAdjusted{Resolution: "b2", Reason: "电价上涨", Lines: adopted("1100").Lines}),
				cite(pay("2025-04-01", 1, "电费", "500"), "L1", "")}, asOf: "2025-04-30"},
		{name: "over, then a payment reversed", rule: audit.RuleOverBudgetLine,
			// 600 + 500 − 500 = 600 ≤ 1,000.
			steps: []step{budget("2025", "2025-01-10", adopted("1000")),
				cite(pay("2025-03-01", 1, "电费", "600"), "L1", ""), cite(pay("2025-04-01", 1, "电费", "500"), "L1", ""),
				func() step {
					s := reverse("2025-04-02", 2, "2025-04-001", []domain.Line{{Account: "541", Debit: yuan("500")}, {Account: "102", Credit: yuan("500")}})
					s.data.(*domain.VoucherReversed).BudgetLine = "L1"
					return s
				}()}, asOf: "2025-04-30"},

		// resolution_not_disclosed: voted 06-10 (seq 5), due 06-15.
		{name: "not disclosed a day after the deadline", rule: audit.RuleResolutionNotDisclosed,
			steps: passed("m1", "2025-06-01", "2025-06-10"), asOf: "2025-06-16",
			want: []uint64{5}, year: 2025, severity: audit.High, zh: "于 2025-06-10 表决通过，应于 2025-06-15 前公开决议，截至 2025-06-16 仍未公开"},
		{name: "on the deadline", rule: audit.RuleResolutionNotDisclosed,
			steps: passed("m1", "2025-06-01", "2025-06-10"), asOf: "2025-06-15"},
		{name: "disclosed two days late", rule: audit.RuleResolutionNotDisclosed,
			steps: join(passed("m1", "2025-06-01", "2025-06-10"), []step{disclosed("m1", "2025-06-17")}), asOf: "2025-06-30",
			want: []uint64{5, 6}, year: 2025, severity: audit.Medium, zh: "实际于 2025-06-17 公开，逾期 2 天"},
		{name: "a longer deadline in the rule set", rule: audit.RuleResolutionNotDisclosed,
			steps: join([]step{ruleSet("2025-01-01", func(rs *domain.RuleSet) {
				dr := domain.DefaultDisclosureRules()
				dr.ResolutionDays = 10
				rs.Disclosure = &dr
			})}, passed("m1", "2025-06-01", "2025-06-10")), asOf: "2025-06-20"},

		// no_implementation_report: passed 03-01 (seq 5), 90 days on is 05-30.
		{name: "no report after 90 days", rule: audit.RuleNoImplementationReport,
			steps: join(passed("m1", "2025-03-01", "2025-03-01"), []step{disclosed("m1", "2025-03-02")}), asOf: "2025-05-31",
			want: []uint64{5}, year: 2025, severity: audit.Medium, zh: "于 2025-03-01 表决通过，90 天后（2025-05-30）仍无实施情况报告"},
		{name: "on the 90th day", rule: audit.RuleNoImplementationReport,
			steps: join(passed("m1", "2025-03-01", "2025-03-01"), []step{disclosed("m1", "2025-03-02")}), asOf: "2025-05-30"},

		// paid_without_report: vote seq 5, payment seq 7.
		{name: "paid, no report", rule: audit.RulePaidWithoutReport,
			steps: join(passed("m1", "2025-03-01", "2025-03-01"), []step{disclosed("m1", "2025-03-02"),
				cite(pay("2025-03-05", 1, "维修", "12000"), "", "m1")}), asOf: "2025-03-10",
			want: []uint64{5, 7}, year: 2025, severity: audit.Medium, zh: "已支付 1 笔共 12,000.00 元（第一笔 2025-03-05），截至 2025-03-10 没有实施情况报告"},
		{name: "paid and reported", rule: audit.RulePaidWithoutReport,
			steps: join(passed("m1", "2025-03-01", "2025-03-01"), []step{disclosed("m1", "2025-03-02"),
				cite(pay("2025-03-05", 1, "维修", "12000"), "", "m1"), reported("m1", "2025-03-06")}), asOf: "2025-03-10"},

		// result_not_disclosed: first report 04-01 (seq 7), due 04-16.
		{name: "result not disclosed", rule: audit.RuleResultNotDisclosed,
			steps: join(passed("m1", "2025-03-01", "2025-03-01"), []step{disclosed("m1", "2025-03-02"), reported("m1", "2025-04-01")}), asOf: "2025-04-17",
			want: []uint64{5, 7}, year: 2025, severity: audit.Medium, zh: "于 2025-04-01 首次报告实施情况，应于 2025-04-16 前公开实施结果，截至 2025-04-17 仍未公开"},
		{name: "on the result's deadline", rule: audit.RuleResultNotDisclosed,
			steps: join(passed("m1", "2025-03-01", "2025-03-01"), []step{disclosed("m1", "2025-03-02"), reported("m1", "2025-04-01")}), asOf: "2025-04-16"},

		// meeting_without_quorum: a local rule set with a quorum of 1/2 is in
		// force from 07-01 (adopted, and recorded, on 06-01). 9 of 15 present
		// meets 1/2 (18 ≥ 15) but not 2/3 (27 < 30).
		{name: "passed without quorum under the rule set of its date", rule: audit.RuleMeetingWithoutQuorum,
			steps: join([]step{recorded(ruleSet("2025-07-01", func(rs *domain.RuleSet) {
				r := rs.Votes[domain.BodyPartyMembers]
				r.Quorum = domain.Fraction{Num: 1, Den: 2}
				rs.Votes = map[domain.Body]domain.VoteRule{domain.BodyPartyMembers: r, domain.BodyRepresentatives: r}
			}), "2025-06-01T02:00:00Z")}, upToReview("m1", "2025-06-15")[:3],
				[]step{mat("m1", "2025-06-15", &domain.MatterReviewed{Decision: recordedAs(votesNine, true, true)})}), asOf: "2025-06-30",
			want: []uint64{5}, year: 2025, severity: audit.High, zh: "应到 15 人，实到 9 人，赞成 9 人，未达到规则 cn-national-2018 要求的 2/3 法定人数"},
		{name: "the same meeting once the 1/2 quorum is in force", rule: audit.RuleMeetingWithoutQuorum,
			steps: join([]step{ruleSet("2025-07-01", func(rs *domain.RuleSet) {
				r := rs.Votes[domain.BodyPartyMembers]
				r.Quorum = domain.Fraction{Num: 1, Den: 2}
				rs.Votes = map[domain.Body]domain.VoteRule{domain.BodyPartyMembers: r, domain.BodyRepresentatives: r}
			})}, upToReview("m1", "2025-07-01")[:3],
				[]step{mat("m1", "2025-07-01", &domain.MatterReviewed{Decision: recordedAs(votesNine, true, true)})}), asOf: "2025-07-30"},
		{name: "failed for want of quorum: for information", rule: audit.RuleMeetingWithoutQuorum,
			steps: join(upToReview("m1", "2025-06-15")[:3],
				[]step{mat("m1", "2025-06-15", &domain.MatterReviewed{Decision: recordedAs(votesNine, false, false)})}), asOf: "2025-06-30",
			want: []uint64{4}, year: 2025, severity: audit.Low, zh: "开会时不足法定人数（应到 15 人，实到 9 人，赞成 9 人，规则 cn-national-2018 要求 2/3），表决无效"},
		{name: "ten of fifteen present", rule: audit.RuleMeetingWithoutQuorum,
			// 10×3 = 30 ≥ 15×2: quorate exactly.
			steps: join(upToReview("m1", "2025-06-15")[:3],
				[]step{mat("m1", "2025-06-15", &domain.MatterReviewed{Decision: recordedAs(domain.Votes{Expected: 15, Present: 10, For: 6}, true, true)})}), asOf: "2025-06-30"},
		{name: "a corrected tally replaces the recorded one", rule: audit.RuleMeetingWithoutQuorum,
			// The vote of seq 5 recorded 9 present; seq 6 corrects it to 12.
			steps: join(passed("m1", "2025-06-15", "2025-06-15")[:4],
				[]step{mat("m1", "2025-06-15", &domain.MatterResolved{Decision: recordedAs(votesNine, true, true)}),
					mat("m1", "2025-06-16", &domain.StageCorrected{Stage: domain.StageResolved, Reason: "笔误",
						Original:  domain.StageContent{Date: mustDate(nil, "2025-06-15"), Decision: &domain.Decision{Votes: votesNine, Quorate: true, Passed: true}},
						Corrected: domain.StageContent{Date: mustDate(nil, "2025-06-15"), Decision: &domain.Decision{Votes: votesPass, Quorate: true, Passed: true}}})}),
			asOf: "2025-06-16"},

		{name: "a corrected tally still without quorum", rule: audit.RuleMeetingWithoutQuorum,
			// seq 5 recorded 9 present; seq 6 corrects it to 8: both rest the finding.
			steps: join(passed("m1", "2025-06-15", "2025-06-15")[:4],
				[]step{mat("m1", "2025-06-15", &domain.MatterResolved{Decision: recordedAs(votesNine, true, true)}),
					mat("m1", "2025-06-16", &domain.StageCorrected{Stage: domain.StageResolved, Reason: "笔误",
						Original:  domain.StageContent{Date: mustDate(nil, "2025-06-15"), Decision: &domain.Decision{Votes: votesNine, Quorate: true, Passed: true}},
						Corrected: domain.StageContent{Date: mustDate(nil, "2025-06-15"), Decision: &domain.Decision{Votes: domain.Votes{Expected: 15, Present: 8, For: 8}, Quorate: true, Passed: true}}})}),
			asOf: "2025-06-16",
			want: []uint64{5, 6}, year: 2025, severity: audit.High, zh: "代表会议就事项 m1（修缮活动室）的表决记为通过，但应到 15 人，实到 8 人"},
		// vote_not_carried: 12 present, 6 for: 6×2 = 12 is not more than 12.
		{name: "passed with half, not more", rule: audit.RuleVoteNotCarried,
			steps: join(upToReview("m1", "2025-06-15")[:3],
				[]step{mat("m1", "2025-06-15", &domain.MatterReviewed{Decision: recordedAs(domain.Votes{Expected: 15, Present: 12, For: 6, Against: 6}, true, true)})}), asOf: "2025-06-30",
			want: []uint64{4}, year: 2025, severity: audit.High, zh: "赞成 6 人，未超过实到人数的 1/2"},
		{name: "seven of twelve", rule: audit.RuleVoteNotCarried,
			steps: join(upToReview("m1", "2025-06-15")[:3],
				[]step{mat("m1", "2025-06-15", &domain.MatterReviewed{Decision: recordedAs(domain.Votes{Expected: 15, Present: 12, For: 7, Against: 5}, true, true)})}), asOf: "2025-06-30"},

		// negative_balance: cash 100 on 03-01, −300 on 03-02 (−200), +500
		// on 03-05 (300).
		{name: "cash below zero", rule: audit.RuleNegativeBalance,
			steps: []step{receive("2025-03-01", 1, "101", "100"), voucher("2025-03-02", 2, "零星支出", "541", "101", "300"),
				receive("2025-03-05", 3, "101", "500")}, asOf: "2025-03-31",
			want: []uint64{2}, year: 2025, severity: audit.High, zh: "现金（101）于 2025-03-02 日终余额为负数，最低 -200.00 元（2025-03-02），至 2025-03-05 恢复正常"},
		{name: "cash down to zero", rule: audit.RuleNegativeBalance,
			steps: []step{receive("2025-03-01", 1, "101", "100"), voucher("2025-03-02", 2, "零星支出", "541", "101", "100")}, asOf: "2025-03-31"},
		{name: "paid before the receipt of the same day", rule: audit.RuleNegativeBalance,
			// A day's end counts: −100 then +100 on 03-02 leaves 0.
			steps: []step{voucher("2025-03-02", 1, "零星支出", "541", "101", "100"), receive("2025-03-02", 2, "101", "100")}, asOf: "2025-03-31"},
		{name: "bank overdrawn", rule: audit.RuleNegativeBalance,
			steps: []step{pay("2025-03-02", 1, "电费", "200")}, asOf: "2025-03-31",
			want: []uint64{1}, year: 2025, severity: audit.High, zh: "银行存款（102）于 2025-03-02 日终余额为负数，最低 -200.00 元（2025-03-02），截至 2025-03-31 仍未恢复"},
		{name: "bank overdraft allowed by the rule set", rule: audit.RuleNegativeBalance,
			steps: []step{ruleSet("2025-01-01", func(rs *domain.RuleSet) { rs.BankOverdraft = true }), pay("2025-03-02", 1, "电费", "200")}, asOf: "2025-03-31"},

		{name: "a bank sub-account overdrawn while the bank is not", rule: audit.RuleNegativeBalance,
			// 10201 +500, 10202 −200: 102 stays at 300; 10202 is at −200.
			steps: []step{books("2025-01-02", &domain.AccountDefined{SubAccount: domain.SubAccount{Code: "10201", Parent: "102", NameZH: "农行"}}),
				books("2025-01-02", &domain.AccountDefined{SubAccount: domain.SubAccount{Code: "10202", Parent: "102", NameZH: "信用社"}}),
				receive("2025-03-01", 1, "10201", "500"), voucher("2025-03-02", 2, "电费", "541", "10202", "200")}, asOf: "2025-03-31",
			want: []uint64{4}, year: 2025, severity: audit.High, zh: "信用社（10202）于 2025-03-02 日终余额为负数，最低 -200.00 元"},
		// cash_above_limit: 5,000.01 against a limit of 5,000.00.
		{name: "cash a fen above its limit", rule: audit.RuleCashAboveLimit,
			steps: []step{receive("2025-03-01", 1, "101", "5000.01")}, asOf: "2025-03-31",
			want: []uint64{1}, year: 2025, severity: audit.Medium, zh: "于 2025-03-01 日终余额超过 5,000.00 元的限额，最高 5,000.01 元"},
		{name: "cash at its limit", rule: audit.RuleCashAboveLimit,
			steps: []step{receive("2025-03-01", 1, "101", "5000")}, asOf: "2025-03-31"},
		{name: "a lower limit of the audit's", rule: audit.RuleCashAboveLimit,
			th:    func(th *audit.Thresholds) { th.CashLimit = yuan("3000") },
			steps: []step{receive("2025-03-01", 1, "101", "4000"), voucher("2025-03-03", 2, "存入银行", "102", "101", "1000")}, asOf: "2025-03-31",
			want: []uint64{1}, year: 2025, severity: audit.Medium, zh: "至 2025-03-03 恢复正常"},

		{name: "no cash limit", rule: audit.RuleCashAboveLimit,
			th:    func(th *audit.Thresholds) { th.CashLimit = -1 },
			steps: []step{receive("2025-03-01", 1, "101", "9000")}, asOf: "2025-03-31"},

		// late_entry: dated 03-01; 16:00 UTC on 03-31 is 00:00 on 04-01 in
		// Shanghai, 31 days on.
		{name: "recorded 31 days later in Shanghai", rule: audit.RuleLateEntry,
			steps: []step{recorded(pay("2025-03-01", 1, "电费", "100"), "2025-03-31T16:00:00Z")}, asOf: "2025-04-30",
			want: []uint64{1}, year: 2025, severity: audit.Low, zh: "凭证 2025-03-001（业务日期 2025-03-01）于 2025-04-01 才录入，相隔 31 天，超过 30 天"},
		{name: "recorded at the last second of the 30th day", rule: audit.RuleLateEntry,
			steps: []step{recorded(pay("2025-03-01", 1, "电费", "100"), "2025-03-31T15:59:59Z")}, asOf: "2025-04-30"},
		{name: "a matter's vote recorded late", rule: audit.RuleLateEntry,
			steps: []step{recorded(mat("m1", "2025-03-01", &domain.MatterRegistered{Title: "修路"}), "2025-05-01T02:00:00Z")}, asOf: "2025-05-30",
			want: []uint64{1}, year: 2025, severity: audit.Low, zh: "事项 m1 的“登记”（业务日期 2025-03-01）于 2025-05-01 才录入，相隔 61 天"},

		// reversal_of_reversal: 2025-03-002 reverses 2025-03-001; 2025-03-003
		// reverses 2025-03-002.
		{name: "a red-ink voucher reversed", rule: audit.RuleReversalOfReversal,
			steps: []step{pay("2025-03-01", 1, "电费", "100"), reverse("2025-03-02", 2, "2025-03-001", payLines),
				reverse("2025-03-03", 3, "2025-03-002", revLines)}, asOf: "2025-03-31",
			want: []uint64{2, 3}, year: 2025, severity: audit.High, zh: "红字凭证 2025-03-003（2025-03-03）冲销的 2025-03-002 本身是冲销 2025-03-001 的红字凭证"},
		{name: "a voucher reversed once", rule: audit.RuleReversalOfReversal,
			steps: []step{pay("2025-03-01", 1, "电费", "100"), reverse("2025-03-02", 2, "2025-03-001", payLines)}, asOf: "2025-03-31"},

		// month_closed_out_of_order
		{name: "February closed with January open", rule: audit.RuleMonthClosedOutOfOrder,
			steps: []step{pay("2025-01-05", 1, "电费", "100"), pay("2025-02-05", 1, "电费", "100"),
				books("2025-02-28", &domain.MonthClosed{Month: "2025-02"})}, asOf: "2025-03-31",
			want: []uint64{1, 3}, year: 2025, severity: audit.Medium, zh: "2025-02 于 2025-02-28 结账时，之前有凭证的月份尚未结账：2025-01"},
		{name: "January closed first", rule: audit.RuleMonthClosedOutOfOrder,
			steps: []step{pay("2025-01-05", 1, "电费", "100"), books("2025-01-31", &domain.MonthClosed{Month: "2025-01"}),
				pay("2025-02-05", 1, "电费", "100"), books("2025-02-28", &domain.MonthClosed{Month: "2025-02"})}, asOf: "2025-03-31"},
		{name: "an earlier month without postings", rule: audit.RuleMonthClosedOutOfOrder,
			steps: []step{pay("2025-02-05", 1, "电费", "100"), books("2025-02-28", &domain.MonthClosed{Month: "2025-02"})}, asOf: "2025-03-31"},

		// closed_year_corrected
		{name: "a closed year's voucher corrected", rule: audit.RuleClosedYearCorrected,
			steps: []step{pay("2024-05-01", 1, "电费", "100"), books("2024-12-31", &domain.YearClosed{Year: 2024}),
				{agg: domain.AggregateBooks, id: domain.BooksID, date: "2025-02-01", data: &domain.CorrectionPosted{
					VoucherData: domain.VoucherData{Number: 1, Summary: "更正 2024-05-001", Lines: payLines}, Corrects: "2024-05-001", Reason: "科目错误"}}},
			asOf: "2025-02-28",
			want: []uint64{1, 3}, year: 2024, other: []int{2025}, severity: audit.Low,
			zh: "更正凭证 2025-02-001（2025-02-01）更正了已结账的 2024 年度凭证 2024-05-001，原因：科目错误"},
		{name: "a correction of a year not closed", rule: audit.RuleClosedYearCorrected,
			steps: []step{pay("2024-05-01", 1, "电费", "100"),
				{agg: domain.AggregateBooks, id: domain.BooksID, date: "2025-02-01", data: &domain.CorrectionPosted{
					VoucherData: domain.VoucherData{Number: 1, Summary: "更正 2024-05-001", Lines: payLines}, Corrects: "2024-05-001", Reason: "科目错误"}}},
			asOf: "2025-02-28"},
		{name: "a reversal after the year was closed", rule: audit.RuleClosedYearCorrected,
			steps: []step{pay("2024-12-20", 1, "电费", "100"), books("2024-12-31", &domain.YearClosed{Year: 2024}),
				reverse("2024-12-31", 2, "2024-12-001", payLines)}, asOf: "2025-01-31",
			want: []uint64{1, 3}, year: 2024, severity: audit.High, zh: "红字凭证 2024-12-002（2024-12-31）在 2024 年度结账后冲销了该年度的凭证 2024-12-001"},

		// question_overdue: asked 06-01, due 06-11.
		{name: "a question unanswered a day late", rule: audit.RuleQuestionOverdue,
			steps: []step{asked("q1", "2025-06-01", "2025-06-11")}, asOf: "2025-06-12",
			want: []uint64{1}, year: 2025, severity: audit.Medium, zh: "居民询问 q1（关于 matter/m1）于 2025-06-01 提出，应于 2025-06-11 前答复，截至 2025-06-12 仍未答复，逾期 1 天"},
		{name: "unanswered on its due date", rule: audit.RuleQuestionOverdue,
			steps: []step{asked("q1", "2025-06-01", "2025-06-11")}, asOf: "2025-06-11"},
		{name: "answered two days late", rule: audit.RuleQuestionOverdue,
			steps: []step{asked("q1", "2025-06-01", "2025-06-11"),
				{agg: domain.AggregateQuestion, id: "q1", date: "2025-06-13", data: &domain.QuestionAnswered{Text: "共 3 万元"}}}, asOf: "2025-06-30",
			want: []uint64{1, 2}, year: 2025, severity: audit.Low, zh: "实际于 2025-06-13 答复，逾期 2 天"},
		{name: "answered on its due date", rule: audit.RuleQuestionOverdue,
			steps: []step{asked("q1", "2025-06-01", "2025-06-11"),
				{agg: domain.AggregateQuestion, id: "q1", date: "2025-06-11", data: &domain.QuestionAnswered{Text: "共 3 万元"}}}, asOf: "2025-06-30"},
	}
	covered := map[string][2]bool{}
	for _, tt := range tests {
		t.Run(tt.rule+"/"+tt.name, func(t *testing.T) {
			th := audit.DefaultThresholds()
			if tt.th != nil {
				tt.th(&th)
			}
			all := audit.Findings(history(t, tt.steps), asOf(t, tt.asOf), th)
			var got []audit.Finding
			for _, f := range all {
				t.Logf("%s %d %v %s: %s", f.Rule, f.Year, f.Seqs, f.Severity, f.DetailZH)
				if f.Rule == tt.rule {
					got = append(got, f)
				}
			}
			c := covered[tt.rule]
			if tt.want == nil {
				c[1] = true
				covered[tt.rule] = c
				if len(got) != 0 {
					t.Fatalf("Findings(...) = %+v, want no %s finding", got, tt.rule)
				}
				return
			}
			c[0] = true
			covered[tt.rule] = c
			if len(got) != 1 {
				t.Fatalf("Findings(...) has %d %s findings, want 1; all: %+v", len(got), tt.rule, all)
			}
			f := got[0]
			if !slices.Equal(f.Seqs, tt.want) {
				t.Errorf("Seqs = %v, want %v", f.Seqs, tt.want)
			}
			if f.Year != tt.year || !slices.Equal(f.OtherYears, tt.other) {
				t.Errorf("Year, OtherYears = %d, %v, want %d, %v", f.Year, f.OtherYears, tt.year, tt.other)
			}
			if f.Severity != tt.severity {
				t.Errorf("Severity = %q, want %q", f.Severity, tt.severity)
			}
			if !strings.Contains(f.DetailZH, tt.zh) {
				t.Errorf("DetailZH = %q, want it to contain %q", f.DetailZH, tt.zh)
			}
			if f.Title == "" || f.TitleZH == "" || f.Detail == "" {
				t.Errorf("finding %+v: want titles and an English detail", f)
			}
		})
	}
	t.Run("every rule has both", func(t *testing.T) {
		for _, r := range audit.Rules() {
			if c := covered[r.Code]; !c[0] || !c[1] {
				t.Errorf("rule %s: triggered %v, near miss %v; want both", r.Code, c[0], c[1])
			}
		}
		if len(covered) != len(audit.Rules()) {
			t.Errorf("the cases cover %d rules, audit.Rules() lists %d", len(covered), len(audit.Rules()))
		}
	})
}

// clean is a year kept by the rules: a budget, a matter through 四议两公开
// with its payment, months closed in order, a question answered in time.
func clean() []step {
	return join(
		[]step{{agg: domain.AggregateCommunity, id: "dongfeng", date: "2025-01-02", data: &domain.CommunityRegistered{Name: "东风社区", Kind: "社区"}},
			budget("2025", "2025-01-10", &domain.BudgetAdopted{Resolution: "b", Lines: []domain.BudgetLine{{Line: "L1", Name: "活动室修缮", Source: domain.SourceTown, Amount: yuan("20000")}}}),
			receive("2025-01-15", 1, "102", "30000"),
			books("2025-01-31", &domain.MonthClosed{Month: "2025-01"})},
		passed("m1", "2025-02-01", "2025-02-10"),
		[]step{disclosed("m1", "2025-02-12"),
			cite(pay("2025-02-20", 1, "活动室修缮", "18000"), "L1", "m1"),
			reported("m1", "2025-02-25"),
			mat("m1", "2025-03-01", &domain.ResultDisclosed{Channels: []string{"公开栏"}, Summary: "已完工"}),
			books("2025-02-28", &domain.MonthClosed{Month: "2025-02"}),
			asked("q1", "2025-03-02", "2025-03-12"),
			{agg: domain.AggregateQuestion, id: "q1", date: "2025-03-05", data: &domain.QuestionAnswered{Text: "共 18,000 元"}}},
	)
}

func TestFindingsCleanHistory(t *testing.T) {
	if got := audit.Findings(history(t, clean()), asOf(t, "2025-12-31"), audit.DefaultThresholds()); len(got) != 0 {
		t.Errorf("Findings(clean) = %+v, want none", got)
	}
}

// TestFindingsAsOf: an event recorded after asOf is left out, as if not yet
// recorded.
func TestFindingsAsOf(t *testing.T) {
	steps := join(passed("m1", "2025-06-01", "2025-06-10"), []step{disclosed("m1", "2025-06-14")})
	steps[5].rec = "2025-06-20T02:00:00Z" // the disclosure dated 06-14 is recorded on 06-20
	h := history(t, steps)
	// As recorded up to 06-16, the resolution was not disclosed (due 06-15).
	got := audit.Findings(h, asOf(t, "2025-06-16"), audit.DefaultThresholds())
	if len(got) != 1 || got[0].Rule != audit.RuleResolutionNotDisclosed || !slices.Equal(got[0].Seqs, []uint64{5}) {
		t.Errorf("Findings(as of 2025-06-16) = %+v, want resolution_not_disclosed on seq 5", got)
	}
	// As recorded up to 06-30 it was disclosed in time.
	if got := audit.Findings(h, asOf(t, "2025-06-30"), audit.DefaultThresholds()); len(got) != 0 {
		t.Errorf("Findings(as of 2025-06-30) = %+v, want none", got)
	}
}

// TestFindingsOrder: by year, then by first event, whatever the order
// given.
func TestFindingsOrder(t *testing.T) {
	steps := []step{
		pay("2025-03-01", 1, "电费", "12000"),          // seq 1: 2025, no resolution, no budget
		pay("2024-03-01", 1, "电费", "12000"),          // seq 2: 2024, the same
		asked("q1", "2024-06-01", "2024-06-11"),      // seq 3: 2024, unanswered
		receive("2024-01-01", 1, "102", "100000.00"), // seq 4: keeps the bank above zero
		receive("2025-01-01", 1, "102", "100000.00"), // seq 5
	}
	h := history(t, steps)
	slices.Reverse(h)
	got := audit.Findings(h, asOf(t, "2025-12-31"), audit.DefaultThresholds())
	var keys []string
	for _, f := range got {
		keys = append(keys, fmt.Sprintf("%d/%d/%s", f.Year, f.Seqs[0], f.Rule))
	}
	want := []string{
		"2024/2/spending_without_budget", "2024/2/spending_without_resolution", "2024/3/question_overdue",
		"2025/1/spending_without_budget", "2025/1/spending_without_resolution",
	}
	if !slices.Equal(keys, want) {
		t.Errorf("Findings order = %v, want %v", keys, want)
	}
}

func TestDecode(t *testing.T) {
	data, err := json.Marshal(&domain.VoucherPosted{VoucherData: domain.VoucherData{Number: 1, Summary: "电费",
		Lines: []domain.Line{{Account: "541", Debit: 100}, {Account: "102", Credit: 100}}}})
	if err != nil {
		t.Fatal(err)
	}
	rec := time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)
	e, err := audit.Decode(projections.Event{Seq: 7, Type: domain.EvVoucherPosted, Schema: domain.SchemaVersion,
		AggregateType: domain.AggregateBooks, AggregateID: domain.BooksID, EffectiveDate: "2025-03-01", RecordedAt: rec, Actor: "kj", Data: data})
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	v, ok := e.Data.(*domain.VoucherPosted)
	if !ok || v.Summary != "电费" || e.Seq != 7 || e.EffectiveDate != mustDate(t, "2025-03-01") || !e.RecordedAt.Equal(rec) {
		t.Errorf("Decode = %+v, want the voucher of seq 7 dated 2025-03-01", e)
	}
	for _, bad := range []projections.Event{
		{Seq: 1, Type: domain.EvVoucherPosted, Schema: 1, EffectiveDate: "2025-02-30", Data: data},
		{Seq: 1, Type: "books.unknown", Schema: 1, EffectiveDate: "2025-03-01", Data: data},
		{Seq: 1, Type: domain.EvVoucherPosted, Schema: 1, EffectiveDate: "2025-03-01", Data: data, Rejected: "no signature"},
	} {
		if _, err := audit.Decode(bad); err == nil {
			t.Errorf("Decode(%+v) = nil error, want an error", bad)
		}
	}
}

func ExampleFindings() {
	// rec is 10:00 in Shanghai on a date: recorded the day it happened.
	rec := func(d string) time.Time {
		t, _ := time.ParseInLocation("2006-01-02 15:04", d+" 10:00", domain.Shanghai)
		return t
	}
	history := []audit.Event{
		{Seq: 1, Type: domain.EvBudgetAdopted, AggregateType: domain.AggregateBudget, AggregateID: "2025",
			EffectiveDate: domain.Date{Year: 2025, Month: 1, Day: 10}, RecordedAt: rec("2025-01-10"),
			Data: &domain.BudgetAdopted{Lines: []domain.BudgetLine{{Line: "L1", Name: "维修", Amount: 50_000_00}}}},
		{Seq: 2, Type: domain.EvVoucherPosted, AggregateType: domain.AggregateBooks, AggregateID: domain.BooksID,
			EffectiveDate: domain.Date{Year: 2025, Month: 1, Day: 15}, RecordedAt: rec("2025-01-15"),
			Data: &domain.VoucherPosted{VoucherData: domain.VoucherData{Number: 1, Summary: "镇财政拨款",
				Lines: []domain.Line{{Account: "102", Debit: 30_000_00}, {Account: "522", Credit: 30_000_00}}}}},
		{Seq: 3, Type: domain.EvVoucherPosted, AggregateType: domain.AggregateBooks, AggregateID: domain.BooksID,
			EffectiveDate: domain.Date{Year: 2025, Month: 6, Day: 3}, RecordedAt: rec("2025-06-03"),
			Data: &domain.VoucherPosted{VoucherData: domain.VoucherData{Number: 2, Summary: "维修", BudgetLine: "L1",
				Lines: []domain.Line{{Account: "541", Debit: 12_000_00}, {Account: "102", Credit: 12_000_00}}}}},
	}
	for _, f := range audit.Findings(history, time.Date(2025, 6, 30, 12, 0, 0, 0, domain.Shanghai), audit.DefaultThresholds()) {
		fmt.Println(f.Rule, f.Year, f.Seqs, f.Severity)
		fmt.Println(f.DetailZH)
		fmt.Println(f.Detail)
	}
	// Output:
	// spending_without_resolution 2025 [3] high
	// 2025-06-03 凭证 2025-06-002 支付 12,000.00 元，超过 10,000.00 元的限额，未引用已通过的决议
	// 2025-06-03 voucher 2025-06-002 paid 12,000.00 yuan, above the threshold of 10,000.00 yuan, without citing a passed resolution
}

// TestZeroThresholds: a zero field takes its default.
func TestZeroThresholds(t *testing.T) {
	late := func(rec string) []audit.Event {
		return history(t, []step{recorded(receive("2025-03-01", 1, "101", "5000.01"), rec)})
	}
	rules := func(fs []audit.Finding) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Rule)
		}
		return out
	}
	// 31 days late, a fen over the default limit.
	got := rules(audit.Findings(late("2025-03-31T16:00:00Z"), asOf(t, "2025-04-30"), audit.Thresholds{}))
	if want := []string{audit.RuleCashAboveLimit, audit.RuleLateEntry}; !slices.Equal(got, want) {
		t.Errorf("Findings(Thresholds{}) rules = %v, want %v", got, want)
	}
}
