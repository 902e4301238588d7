package projections_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/projections"
	"github.com/gongkai/gongkai/projections/projectiontest"
)

// want is an indicator value worked out by hand: its id (and budget
// line), Num/Den, display, whether it has no basis, and the events used.
type want struct {
	ID, Line string
	Num, Den int64
	Display  string
	NA       bool
	Seqs     []uint64
}

func got(vs []projections.IndicatorValue) []want {
	out := make([]want, len(vs))
	for i, v := range vs {
		out[i] = want{ID: v.ID, Line: v.Line, Num: v.Num, Den: v.Den, Display: v.Display, NA: v.NA, Seqs: v.Seqs}
	}
	return out
}

func evaluation(t *testing.T) projections.EvaluationOn {
	t.Helper()
	b := projections.NewMemoryEvaluations()
	if err := b.Apply(context.Background(), projectiontest.EvaluationEvents()); err != nil {
		t.Fatal(err)
	}
	return b.EvaluationOn
}

func civil(y, m, d int) domain.Date { return domain.Date{Year: y, Month: time.Month(m), Day: d} }

// The fixture (projectiontest.EvaluationEvents), by sequence: rule set A
// (2) from 2024-01-01: threshold 5000 yuan, resolutions within 5 days,
// finance within 15, budget within 15; rule set B (25) from 2025-07-01:
// threshold 2000 yuan, resolutions within 10 days, finance within 10,
// special item relief due 2025-09-30.
//
// Votes of the assembly: m1 2025-02-10 passed (9), disclosed 02-14 (11);
// m2 02-10 failed (10), 03-20 passed (12), disclosed 03-28 (14); m3
// 07-05 passed (26), disclosed 07-14 (27); m4 11-03 passed (33),
// corrected to 11-05 (34), never disclosed; m5 12-28 passed (37),
// disclosed 2026-01-05 (38).
//
// Vouchers: 2024 income 600000 (3) and 400000 (4); 2025 office payment
// 126000 (7); road 800000 citing m2 (13); road 600000 citing m3 (15);
// office 700000 (16) reversed by 17; income 1200000 (21); office 300000
// from cash (28); income 300000 to sub-account 53101 (30); road 900000
// citing m4 (35). The 2024 year-end close (40) is not income.
//
// Budget 2025: adopted 2025-01-08 (5) office 2000000, road 3000000;
// adjusted 09-01 (29) office 1500000, road 3000000, train 100000.
//
// Disclosure items first published: finance-2024-Q4 01-12 (6),
// budget-2025 01-30 (8), finance-2025-Q1 04-10 (19; again 05-12, 23),
// special-relief 09-28 (31), finance-2025-Q3 10-12 (32).
//
// Questions: q1 asked 04-08 due 04-11 (18) answered 04-10 (20); q2 asked
// 05-11 due 05-14 (22) answered 05-20 (24); q3 asked 12-01 due 12-04
// (36), unanswered; q4 asked 2026-01-19 due 01-22 (39).
func TestEvaluationByHand(t *testing.T) {
	e := evaluation(t)
	ctx := context.Background()
	cases := []struct {
		year  int
		today domain.Date
		want  []want
	}{
		{2025, civil(2026, 1, 20), []want{
			// m1: due 02-15 (A), disclosed 02-14: on time. m2: the latest
			// vote 03-20, due 03-25 (A), disclosed 03-28: late. m3: 07-05,
			// due 07-15 under B (07-10 under A), disclosed 07-14: on time.
			// m4: 11-05 as corrected, due 11-15, undisclosed: late. m5:
			// 12-28, due 2026-01-07, disclosed 01-05: on time. 3 of 5.
			{ID: "resolutions_disclosed_on_time", Num: 3, Den: 5, Display: "3/5（60.00%）",
				Seqs: []uint64{2, 9, 11, 12, 14, 25, 26, 27, 33, 34, 37, 38}},
			// Above the threshold: 13 (8000 > 5000, A; m2 passed 03-20:
			// backed), 15 (6000 > 5000; m3 passed only 07-05: not), 28
			// (3000 > 2000 under B: not), 35 (9000; m4 passed 11-05:
			// backed). 7 is below; 16 is reversed. 2 of 4.
			{ID: "payments_backed_by_resolution", Num: 2, Den: 4, Display: "2/4（50.00%）",
				Seqs: []uint64{2, 12, 13, 15, 25, 28, 33, 34, 35}},
			// Budget in force: the adjustment (29). office 126000 + 300000
			// = 426000 of 1500000; road 800000 + 600000 + 900000 = 2300000
			// of 3000000; train 0 of 100000; in all 2726000 of 4600000.
			{ID: "budget_execution", Num: 2726000, Den: 4600000, Display: "¥27260.00 / ¥46000.00（59.26%）",
				Seqs: []uint64{7, 13, 15, 28, 29, 35}},
			{ID: "budget_execution", Line: "office", Num: 426000, Den: 1500000, Display: "¥4260.00 / ¥15000.00（28.40%）",
				Seqs: []uint64{7, 28, 29}},
			{ID: "budget_execution", Line: "road", Num: 2300000, Den: 3000000, Display: "¥23000.00 / ¥30000.00（76.67%）",
				Seqs: []uint64{13, 15, 29, 35}},
			{ID: "budget_execution", Line: "train", Num: 0, Den: 100000, Display: "¥0.00 / ¥1000.00（0.00%）",
				Seqs: []uint64{29}},
			// Income 2025: 1200000 + 300000; 2024: 600000 + 400000.
			{ID: "collective_income_growth", Num: 1500000, Den: 1000000, Display: "¥15000.00 / ¥10000.00（150.00%）",
				Seqs: []uint64{3, 4, 21, 30}},
			// Meetings on 02-10 (9, 10), 03-20 (12), 07-05 (26), 11-05
			// (33, 34), 12-28 (37): 5 in 4 quarters.
			{ID: "meetings_per_quarter", Num: 5, Den: 4, Display: "5次/4季度（1.25次/季度；各季度：2、0、1、2）",
				Seqs: []uint64{9, 10, 12, 26, 33, 34, 37}},
			// Due in 2025: finance-2024-Q4 01-15 (A), published 01-12: on
			// time; budget-2025 01-23 (adopted 5, A), published 01-30:
			// late; finance-2025-Q1 04-15 (A), 04-10: on time; Q2 07-15
			// (A, from 04-01), unpublished: late; Q3 10-10 (B, from
			// 07-01; 10-15 under A), published 10-12: late; special-relief
			// 09-30 (B), 09-28: on time. Q4 and the execution of 2025 are
			// due in 2026. 3 of 6.
			{ID: "disclosures_on_time", Num: 3, Den: 6, Display: "3/6（50.00%）",
				Seqs: []uint64{2, 5, 6, 8, 19, 25, 31, 32}},
			// q1 on time, q2 late, q3 unanswered after its due date; q4
			// was asked in 2026. 1 of 3.
			{ID: "questions_answered_on_time", Num: 1, Den: 3, Display: "1/3（33.33%）",
				Seqs: []uint64{18, 20, 22, 24, 36}},
		}},
		{2025, civil(2025, 7, 10), []want{
			// m1 on time, m2 late; m3's disclosure (07-14) is after today
			// and not due until 07-15: not counted.
			{ID: "resolutions_disclosed_on_time", Num: 1, Den: 2, Display: "1/2（50.00%）",
				Seqs: []uint64{2, 9, 11, 12, 14}},
			{ID: "payments_backed_by_resolution", Num: 1, Den: 2, Display: "1/2（50.00%）",
				Seqs: []uint64{2, 12, 13, 15}},
			// The adoption (5) is in force: office 126000 of 2000000, road
			// 1400000 of 3000000; in all 1526000 of 5000000.
			{ID: "budget_execution", Num: 1526000, Den: 5000000, Display: "¥15260.00 / ¥50000.00（30.52%）",
				Seqs: []uint64{5, 7, 13, 15}},
			{ID: "budget_execution", Line: "office", Num: 126000, Den: 2000000, Display: "¥1260.00 / ¥20000.00（6.30%）",
				Seqs: []uint64{5, 7}},
			{ID: "budget_execution", Line: "road", Num: 1400000, Den: 3000000, Display: "¥14000.00 / ¥30000.00（46.67%）",
				Seqs: []uint64{5, 13, 15}},
			{ID: "collective_income_growth", Num: 1200000, Den: 1000000, Display: "¥12000.00 / ¥10000.00（120.00%）",
				Seqs: []uint64{3, 4, 21}},
			{ID: "meetings_per_quarter", Num: 3, Den: 3, Display: "3次/3季度（1.00次/季度；各季度：2、0、1）",
				Seqs: []uint64{9, 10, 12, 26}},
			// finance-2024-Q4 and Q1 on time, the budget late; Q2 (due
			// 07-15) and relief (due 09-30) are not due yet.
			{ID: "disclosures_on_time", Num: 2, Den: 3, Display: "2/3（66.67%）",
				Seqs: []uint64{2, 5, 6, 8, 19}},
			{ID: "questions_answered_on_time", Num: 1, Den: 2, Display: "1/2（50.00%）",
				Seqs: []uint64{18, 20, 22, 24}},
		}},
		{2025, civil(2025, 4, 4), []want{
			// Between voucher 16 (04-03) and its reversal (04-05): as of
			// today it is a payment of 7000 yuan without a resolution.
			{ID: "resolutions_disclosed_on_time", Num: 1, Den: 2, Display: "1/2（50.00%）",
				Seqs: []uint64{2, 9, 11, 12, 14}},
			{ID: "payments_backed_by_resolution", Num: 1, Den: 3, Display: "1/3（33.33%）",
				Seqs: []uint64{2, 12, 13, 15, 16}},
			// office 126000 + 700000 of 2000000, road 1400000 of 3000000.
			{ID: "budget_execution", Num: 2226000, Den: 5000000, Display: "¥22260.00 / ¥50000.00（44.52%）",
				Seqs: []uint64{5, 7, 13, 15, 16}},
			{ID: "budget_execution", Line: "office", Num: 826000, Den: 2000000, Display: "¥8260.00 / ¥20000.00（41.30%）",
				Seqs: []uint64{5, 7, 16}},
			{ID: "budget_execution", Line: "road", Num: 1400000, Den: 3000000, Display: "¥14000.00 / ¥30000.00（46.67%）",
				Seqs: []uint64{5, 13, 15}},
			{ID: "collective_income_growth", Num: 0, Den: 1000000, Display: "¥0.00 / ¥10000.00（0.00%）",
				Seqs: []uint64{3, 4}},
			{ID: "meetings_per_quarter", Num: 2, Den: 2, Display: "2次/2季度（1.00次/季度；各季度：2、0）",
				Seqs: []uint64{9, 10, 12}},
			// finance-2024-Q4 on time, the budget late; Q1 is due 04-15.
			{ID: "disclosures_on_time", Num: 1, Den: 2, Display: "1/2（50.00%）",
				Seqs: []uint64{2, 5, 6, 8}},
			// q1 is asked on 04-08.
			{ID: "questions_answered_on_time", Display: "—", NA: true, Seqs: []uint64{}},
		}},
		{2026, civil(2026, 1, 20), []want{
			// No vote, payment or budget in 2026, q4 is not due: no basis.
			{ID: "resolutions_disclosed_on_time", Display: "—", NA: true, Seqs: []uint64{}},
			{ID: "payments_backed_by_resolution", Display: "—", NA: true, Seqs: []uint64{}},
			{ID: "budget_execution", Display: "—", NA: true, Seqs: []uint64{}},
			{ID: "collective_income_growth", Num: 0, Den: 1500000, Display: "¥0.00 / ¥15000.00（0.00%）",
				Seqs: []uint64{21, 30}},
			{ID: "meetings_per_quarter", Num: 0, Den: 1, Display: "0次/1季度（0.00次/季度；各季度：0）", Seqs: []uint64{}},
			// finance-2025-Q4: due 2026-01-10 (B, from 10-01), unpublished.
			{ID: "disclosures_on_time", Num: 0, Den: 1, Display: "0/1（0.00%）", Seqs: []uint64{25}},
			{ID: "questions_answered_on_time", Display: "—", NA: true, Seqs: []uint64{}},
		}},
		{2024, civil(2026, 1, 20), []want{
			{ID: "resolutions_disclosed_on_time", Display: "—", NA: true, Seqs: []uint64{}},
			{ID: "payments_backed_by_resolution", Display: "—", NA: true, Seqs: []uint64{}},
			{ID: "budget_execution", Display: "—", NA: true, Seqs: []uint64{}},
			// No income in 2023: no basis, though 2024's is known.
			{ID: "collective_income_growth", Num: 1000000, Den: 0, Display: "—", NA: true, Seqs: []uint64{3, 4}},
			{ID: "meetings_per_quarter", Num: 0, Den: 4, Display: "0次/4季度（0.00次/季度；各季度：0、0、0、0）", Seqs: []uint64{}},
			// Books from 2024-03: Q1 due 04-15, Q2 07-15, Q3 10-15, all
			// unpublished (finance-2024-Q4 is due in 2025).
			{ID: "disclosures_on_time", Num: 0, Den: 3, Display: "0/3（0.00%）", Seqs: []uint64{2}},
			{ID: "questions_answered_on_time", Display: "—", NA: true, Seqs: []uint64{}},
		}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d as of %s", c.year, c.today), func(t *testing.T) {
			set, err := e.Indicators(ctx, projectiontest.Community, c.year, c.today)
			if err != nil {
				t.Fatal(err)
			}
			if set.Name != "评估村" || set.Town != "新镇" || set.Year != c.year || set.Community != projectiontest.Community {
				t.Errorf("Indicators = %s %s %s %d, want fixture 评估村 新镇 %d", set.Community, set.Name, set.Town, set.Year, c.year)
			}
			g := got(set.Values)
			if len(g) != len(c.want) {
				t.Fatalf("Indicators(%d, %s) = %d values, want %d:\n%+v", c.year, c.today, len(g), len(c.want), g)
			}
			for i := range g {
				if !reflect.DeepEqual(g[i], c.want[i]) {
					t.Errorf("Indicators(%d, %s) value %d =\n%+v\nwant\n%+v", c.year, c.today, i, g[i], c.want[i])
				}
			}
			for _, v := range set.Values {
				if v.NameZH == "" || v.NameEN == "" {
					t.Errorf("value %s %s has no name", v.ID, v.Line)
				}
			}
		})
	}
}

// TestEvaluationEvidenceIsCommunitysOwn: every sequence a value names is
// one of the fixture's events that the model reads.
func TestEvaluationEvidenceIsCommunitysOwn(t *testing.T) {
	wanted := map[uint64]bool{}
	for _, ev := range projectiontest.EvaluationEvents() {
		wanted[ev.Seq] = projections.Wanted(projections.EvaluationModel, ev)
	}
	e := evaluation(t)
	for _, q := range projectiontest.EvaluationQueries {
		set, err := e.Indicators(context.Background(), projectiontest.Community, q.Year, q.Today)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range set.Values {
			if !slices.IsSorted(v.Seqs) || len(slices.Compact(slices.Clone(v.Seqs))) != len(v.Seqs) {
				t.Errorf("%d %s: %s Seqs %v not sorted and unique", q.Year, q.Today, v.ID, v.Seqs)
			}
			for _, s := range v.Seqs {
				if !wanted[s] {
					t.Errorf("%d %s: %s names event %d, which the model does not read", q.Year, q.Today, v.ID, s)
				}
			}
		}
	}
}

// TestEvaluationRuleSetChange: the same history without rule set B keeps
// rule set A's deadlines and threshold: m3's disclosure on 07-14 is late
// (due 07-10), the cash payment of 3000 yuan (28) is under 5000, Q3 is
// due 10-15 and was on time, and there is no special item.
func TestEvaluationRuleSetChange(t *testing.T) {
	var evs []projections.Event
	for _, e := range projectiontest.EvaluationEvents() {
		if e.Seq != 25 {
			evs = append(evs, e)
		}
	}
	b := projections.NewMemory(projections.EvaluationModel)
	if err := b.Apply(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	set, err := projections.EvaluationOn{Backend: b}.Indicators(context.Background(), projectiontest.Community, 2025, civil(2026, 1, 20))
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]want{}
	for _, v := range got(set.Values) {
		if v.Line == "" {
			byID[v.ID] = v
		}
	}
	wants := []want{
		// m1 on time; m2, m3 (due 07-10), m4 late; m5 due 2026-01-02 and
		// disclosed 01-05: late.
		{ID: "resolutions_disclosed_on_time", Num: 1, Den: 5, Display: "1/5（20.00%）",
			Seqs: []uint64{2, 9, 11, 12, 14, 26, 27, 33, 34, 37, 38}},
		{ID: "payments_backed_by_resolution", Num: 2, Den: 3, Display: "2/3（66.67%）",
			Seqs: []uint64{2, 12, 13, 15, 33, 34, 35}},
		// 2024-Q4, Q1, Q3 on time, budget and Q2 late.
		{ID: "disclosures_on_time", Num: 3, Den: 5, Display: "3/5（60.00%）",
			Seqs: []uint64{2, 5, 6, 8, 19, 32}},
	}
	for _, w := range wants {
		if g := byID[w.ID]; !reflect.DeepEqual(g, w) {
			t.Errorf("without rule set B, %s =\n%+v\nwant\n%+v", w.ID, g, w)
		}
	}
}

func TestEvaluationUnknownCommunity(t *testing.T) {
	_, err := evaluation(t).Indicators(context.Background(), "nobody", 2025, civil(2026, 1, 20))
	if !errors.Is(err, projections.ErrNotFound) {
		t.Fatalf("Indicators(nobody) = %v, want ErrNotFound", err)
	}
}

// TestEvaluationLoadMalformed: a malformed document is an error and
// changes nothing that was loaded.
func TestEvaluationLoadMalformed(t *testing.T) {
	m := projections.EvaluationModel
	st := m.New(projectiontest.Community)
	var keys []projections.DocKey
	for _, e := range projectiontest.EvaluationEvents() {
		if !projections.Wanted(m, e) {
			continue
		}
		ev, err := domain.DecodeEvent(e.Type, e.Schema, e.Data)
		if err != nil {
			t.Fatal(err)
		}
		ks, err := st.Apply(e, ev)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, ks...)
	}
	for _, k := range keys {
		before, err := st.Doc(k)
		if err != nil {
			t.Fatalf("Doc(%v): %v", k, err)
		}
		if err := st.Load(k, []byte(`{"votes": [`)); err == nil {
			t.Errorf("Load(%v, malformed) = nil, want an error", k)
		}
		if after, _ := st.Doc(k); string(after) != string(before) {
			t.Errorf("Doc(%v) after a malformed Load = %s, want %s", k, after, before)
		}
	}
	if err := st.Load(projections.DocKey{Kind: "nonsense"}, []byte(`{}`)); err == nil {
		t.Errorf("Load(unknown kind) = nil, want an error")
	}
}
