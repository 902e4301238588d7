package projectiontest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/projections"
)

// EvaluationRuleSets returns the fixture's two rule sets: A in force from
// 2024 (threshold 5000 yuan, resolutions disclosed within 5 days, finance
// within 15), B from 2025-07-01 (threshold 2000 yuan, resolutions within
// 10 days, finance within 10, a special item 救灾款物 due 2025-09-30).
func EvaluationRuleSets() (a, b domain.RuleSet) {
	a = domain.DefaultRuleSet()
	a.ID, a.EffectiveFrom, a.SpendingThreshold = "eval-a", domain.Date{Year: 2024, Month: 1, Day: 1}, 5000_00
	a.Disclosure = &domain.DisclosureRules{FinancePeriod: "quarter", FinanceDays: 15, BudgetDays: 15, ExecutionDays: 31,
		ResolutionDays: 5, ResultDays: 15, PostingDays: 7, AnswerDays: 3}
	b = domain.DefaultRuleSet()
	b.ID, b.EffectiveFrom, b.SpendingThreshold = "eval-b", domain.Date{Year: 2025, Month: 7, Day: 1}, 2000_00
	b.Disclosure = &domain.DisclosureRules{FinancePeriod: "quarter", FinanceDays: 10, BudgetDays: 15, ExecutionDays: 31,
		ResolutionDays: 10, ResultDays: 15, PostingDays: 7, AnswerDays: 3,
		Special: []domain.SpecialDisclosure{{ID: "relief", Title: "救灾款物", Due: domain.Date{Year: 2025, Month: 9, Day: 30}}}}
	return a, b
}

// EvaluationEvents returns the evaluation fixture, a community's 2024 and
// 2025 as stored events with sequences from 1 (the number before each
// step below), recorded a second apart from 2026-01-01T00:00:00.123456789Z.
// projections/evaluation_test.go works out its indicators by hand.
func EvaluationEvents() []projections.Event {
	a, b := EvaluationRuleSets()
	passed := domain.Decision{Votes: votes(15, 13, 11, 1, 1), Quorate: true, Passed: true, RuleSet: "eval-a"}
	failed := domain.Decision{Votes: votes(15, 12, 5, 6, 1), Quorate: true, Passed: false, RuleSet: "eval-a"}
	line := func(acct string, d, c domain.Fen) domain.Line { return domain.Line{Account: acct, Debit: d, Credit: c} }
	v := func(n int, summary, budget, matter string, lines ...domain.Line) *domain.VoucherPosted {
		return &domain.VoucherPosted{VoucherData: domain.VoucherData{Number: n, Summary: summary, Lines: lines, Preparer: "会计",
			BudgetLine: budget, Matter: matter}}
	}
	pub := func(version int) *domain.DisclosurePublished {
		return &domain.DisclosurePublished{Version: version, Channels: []string{"公开栏"}, PostingDays: 7}
	}
	disclosed := &domain.ResolutionDisclosed{Channels: []string{"公开栏"}}
	due := func(y int, m time.Month, d int) domain.Date { return domain.Date{Year: y, Month: m, Day: d} }
	steps := []step{
		/* 1 */ {"community", Community, "2024-01-02", &domain.CommunityRegistered{Name: "评估村", Kind: "村", Town: "新镇", County: "县"}},
		/* 2 */ {"community", Community, "2024-01-02", &domain.RuleSetAdopted{RuleSet: a}},
		/* 3 */ {"books", "books", "2024-03-10", v(1, "租金", "", "", line("102", 600000, 0), line("501", 0, 600000))},
		/* 4 */ {"books", "books", "2024-06-10", v(1, "补助", "", "", line("102", 400000, 0), line("522", 0, 400000))},
		/* 5 */ {"budget", "2025", "2025-01-08", &domain.BudgetAdopted{Resolution: "m0", Lines: []domain.BudgetLine{
			{Line: "office", Name: "办公", Source: domain.SourceTown, Amount: 2000000},
			{Line: "road", Name: "道路", Source: domain.SourceCounty, Amount: 3000000}}}},
		/* 6 */ {"disclosure", "finance-2024-Q4", "2025-01-12", pub(1)},
		/* 7 */ {"books", "books", "2025-01-20", v(1, "办公费", "office", "", line("541", 126000, 0), line("102", 0, 126000))},
		/* 8 */ {"disclosure", "budget-2025", "2025-01-30", pub(1)},
		/* 9 */ {"matter", "m1", "2025-02-10", &domain.MatterResolved{Decision: passed}},
		/* 10 */ {"matter", "m2", "2025-02-10", &domain.MatterResolved{Decision: failed}},
		/* 11 */ {"matter", "m1", "2025-02-14", disclosed},
		/* 12 */ {"matter", "m2", "2025-03-20", &domain.MatterResolved{Decision: passed}},
		/* 13 */ {"books", "books", "2025-03-25", v(1, "修路一期", "road", "m2", line("154", 800000, 0), line("102", 0, 800000))},
		/* 14 */ {"matter", "m2", "2025-03-28", disclosed},
		/* 15 */ {"books", "books", "2025-04-02", v(1, "修路预付", "road", "m3", line("154", 600000, 0), line("102", 0, 600000))},
		/* 16 */ {"books", "books", "2025-04-03", v(2, "记错", "office", "", line("541", 700000, 0), line("102", 0, 700000))},
		/* 17 */ {"books", "books", "2025-04-05", &domain.VoucherReversed{VoucherData: domain.VoucherData{Number: 3, Summary: "冲销 2025-04-002",
			Lines: []domain.Line{line("541", -700000, 0), line("102", 0, -700000)}, Preparer: "会计", BudgetLine: "office"}, Reverses: "2025-04-002", Reason: "重复"}},
		/* 18 */ {"question", "q1", "2025-04-08", &domain.QuestionAsked{About: "matter/m2", Text: "修路花了多少？", Due: due(2025, 4, 11)}},
		/* 19 */ {"disclosure", "finance-2025-Q1", "2025-04-10", pub(1)},
		/* 20 */ {"question", "q1", "2025-04-10", &domain.QuestionAnswered{Text: "八千元。", AnsweredBy: clerk}},
		/* 21 */ {"books", "books", "2025-05-10", v(1, "发包收入", "", "", line("102", 1200000, 0), line("511", 0, 1200000))},
		/* 22 */ {"question", "q2", "2025-05-11", &domain.QuestionAsked{About: "matter/m1", Text: "何时完工？", Due: due(2025, 5, 14)}},
		/* 23 */ {"disclosure", "finance-2025-Q1", "2025-05-12", pub(2)},
		/* 24 */ {"question", "q2", "2025-05-20", &domain.QuestionAnswered{Text: "六月。", AnsweredBy: clerk}},
		/* 25 */ {"community", Community, "2025-06-20", &domain.RuleSetAdopted{RuleSet: b}},
		/* 26 */ {"matter", "m3", "2025-07-05", &domain.MatterResolved{Decision: passed}},
		/* 27 */ {"matter", "m3", "2025-07-14", disclosed},
		/* 28 */ {"books", "books", "2025-08-01", v(1, "会议费", "office", "", line("541", 300000, 0), line("101", 0, 300000))},
		/* 29 */ {"budget", "2025", "2025-09-01", &domain.BudgetAdjusted{Resolution: "m3", Reason: "增设培训", Lines: []domain.BudgetLine{
			{Line: "office", Name: "办公", Source: domain.SourceTown, Amount: 1500000},
			{Line: "road", Name: "道路", Source: domain.SourceCounty, Amount: 3000000},
			{Line: "train", Name: "培训", Source: domain.SourceTown, Amount: 100000}}}},
		/* 30 */ {"books", "books", "2025-09-10", v(1, "其他收入", "", "", line("102", 300000, 0), line("53101", 0, 300000))},
		/* 31 */ {"disclosure", "special-relief", "2025-09-28", pub(1)},
		/* 32 */ {"disclosure", "finance-2025-Q3", "2025-10-12", pub(1)},
		/* 33 */ {"matter", "m4", "2025-11-03", &domain.MatterResolved{Decision: passed}},
		/* 34 */ {"matter", "m4", "2025-11-06", &domain.StageCorrected{Stage: domain.StageResolved, Reason: "日期误录",
			Original: domain.StageContent{Date: due(2025, 11, 3), Decision: &passed}, Corrected: domain.StageContent{Date: due(2025, 11, 5), Decision: &passed}}},
		/* 35 */ {"books", "books", "2025-11-10", v(1, "修路二期", "road", "m4", line("154", 900000, 0), line("102", 0, 900000))},
		/* 36 */ {"question", "q3", "2025-12-01", &domain.QuestionAsked{About: "matter/m4", Text: "为何未公开决议？", Due: due(2025, 12, 4)}},
		/* 37 */ {"matter", "m5", "2025-12-28", &domain.MatterResolved{Decision: passed}},
		/* 38 */ {"matter", "m5", "2026-01-05", disclosed},
		/* 39 */ {"question", "q4", "2026-01-19", &domain.QuestionAsked{About: "matter/m5", Text: "何时实施？", Due: due(2026, 1, 22)}},
		/* 40 */ {"books", "books", "2024-12-31", &domain.YearClosed{Year: 2024, NetIncome: 1000000, Lines: []domain.Line{
			line("501", 600000, 0), line("522", 400000, 0), line("321", 0, 1000000), line("321", 1000000, 0), line("322", 0, 1000000)}}},
		/* 41 */ {"matter", "m6", "2026-01-19", &domain.MatterRegistered{Title: "不计入指标"}},
	}
	out := make([]projections.Event, len(steps))
	for i, s := range steps {
		data, err := json.Marshal(s.ev)
		if err != nil {
			panic(err)
		}
		out[i] = projections.Event{Seq: uint64(i + 1), Type: s.ev.EventType(), Schema: domain.SchemaVersion, Community: Community,
			AggregateType: s.aggType, AggregateID: s.id, EffectiveDate: s.date, RecordedAt: evaluationBase.Add(time.Duration(i) * time.Second), Data: data}
	}
	return out
}

var evaluationBase = time.Date(2026, 1, 1, 0, 0, 0, 123456789, time.UTC)

// EvaluationQueries are the (year, today) pairs the suite asks about.
var EvaluationQueries = []struct {
	Year  int
	Today domain.Date
}{
	{2025, domain.Date{Year: 2026, Month: 1, Day: 20}},
	{2025, domain.Date{Year: 2025, Month: 7, Day: 10}},
	{2025, domain.Date{Year: 2025, Month: 4, Day: 4}},
	{2026, domain.Date{Year: 2026, Month: 1, Day: 20}},
	{2024, domain.Date{Year: 2026, Month: 1, Day: 20}},
}

// evaluationJSON returns the indicators of every query on b as JSON.
func evaluationJSON(t *testing.T, b projections.Backend) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, q := range EvaluationQueries {
		v, err := projections.EvaluationOn{Backend: b}.Indicators(context.Background(), Community, q.Year, q.Today)
		if err != nil {
			t.Fatalf("Indicators(%s, %d, %s): %v", Community, q.Year, q.Today, err)
		}
		out[fmt.Sprintf("%d as of %s", q.Year, q.Today)] = js(v)
	}
	return out
}

// runEvaluation checks the evaluation model on a backend: the same
// indicators as the in-memory reference however the events are batched,
// read between batches or redelivered, and after the state is rebuilt
// from its documents; ErrNotFound for an unknown community.
func runEvaluation(t *testing.T, newBackend NewBackend) {
	m := projections.EvaluationModel
	evs := EvaluationEvents()
	ref := projections.NewMemory(m)
	apply(t, ref, evs, len(evs))
	want := evaluationJSON(t, ref)

	t.Run("SameAnswersAsReference", func(t *testing.T) {
		for _, chunk := range []int{1, 7, len(evs)} {
			b := newBackend(t, m)
			apply(t, b, evs, chunk)
			compare(t, fmt.Sprintf("batches of %d", chunk), want, evaluationJSON(t, b))
		}
	})
	t.Run("ReadBetweenBatches", func(t *testing.T) {
		b := newBackend(t, m)
		for i := 0; i < len(evs); i += 5 {
			end := min(i+5, len(evs))
			apply(t, b, evs[i:end], 5)
			r := projections.NewMemory(m)
			apply(t, r, evs[:end], end)
			compare(t, fmt.Sprintf("after event %d", end), evaluationJSON(t, r), evaluationJSON(t, b))
		}
	})
	t.Run("RedeliveryChangesNothing", func(t *testing.T) {
		b := newBackend(t, m)
		apply(t, b, evs[:20], 20)
		evaluationJSON(t, b)
		apply(t, b, evs[10:], 6)
		apply(t, b, evs, len(evs))
		compare(t, "after redelivery", want, evaluationJSON(t, b))
	})
	t.Run("ReloadFromDocuments", func(t *testing.T) {
		st := m.New(Community)
		type doc struct {
			k    projections.DocKey
			body []byte
		}
		var written []doc
		latest := map[projections.DocKey][]byte{}
		var order []projections.DocKey
		for _, e := range evs {
			if !projections.Wanted(m, e) {
				continue
			}
			ev, err := domain.DecodeEvent(e.Type, e.Schema, e.Data)
			if err != nil {
				t.Fatalf("DecodeEvent(%s): %v", e.Type, err)
			}
			keys, err := st.Apply(e, ev)
			if err != nil {
				t.Fatalf("Apply(event %d): %v", e.Seq, err)
			}
			for _, k := range keys {
				body, err := st.Doc(k)
				if err != nil {
					t.Fatalf("Doc(%v): %v", k, err)
				}
				if _, ok := latest[k]; !ok {
					order = append(order, k)
				}
				latest[k] = body
				written = append(written, doc{k, body})
			}
		}
		last := evs[len(evs)-1]
		pos := projections.Position{Seq: last.Seq, Time: last.RecordedAt.UTC().Truncate(time.Microsecond)}
		once := m.New(Community)
		for _, k := range order {
			if err := once.Load(k, latest[k]); err != nil {
				t.Fatalf("Load(%v): %v", k, err)
			}
		}
		compare(t, "loaded from the final documents", want, evaluationJSON(t, loaded{m, once, pos}))
		every := m.New(Community)
		for _, d := range written {
			if err := every.Load(d.k, d.body); err != nil {
				t.Fatalf("Load(%v): %v", d.k, err)
			}
		}
		compare(t, "loaded from every version of the documents", want, evaluationJSON(t, loaded{m, every, pos}))
	})
	t.Run("UnknownCommunity", func(t *testing.T) {
		b := newBackend(t, m)
		apply(t, b, evs, 10)
		_, err := projections.EvaluationOn{Backend: b}.Indicators(context.Background(), "nobody", 2025, EvaluationQueries[0].Today)
		if !errors.Is(err, projections.ErrNotFound) {
			t.Fatalf("Indicators for an unknown community = %v, want ErrNotFound", err)
		}
	})
}
