// Package projectiontest is the conformance suite for read-model backends:
// every backend (memory, PostgreSQL) must give the same answers as the
// in-memory reference for the same events, however the events are batched
// and redelivered.
package projectiontest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/projections"
)

// NewBackend returns an empty backend of model for one test.
type NewBackend func(t *testing.T, m projections.Model) projections.Backend

// Community is the id of the fixture's community.
const Community = "fixture"

type step struct {
	aggType, id, date string
	ev                domain.Event
}

func votes(e, p, f, a, ab int) domain.Votes {
	return domain.Votes{Expected: e, Present: p, For: f, Against: a, Abstain: ab}
}

// Events returns the fixture: a community with matters at several stages
// and a year of budget and books, with a reversal and a year-end close; a
// second year with a sub-account, closed; and a third on the 2023 chart
// after the change of chart, as stored events with sequences from 1.
func Events() []projections.Event {
	passed := domain.Decision{Votes: votes(15, 13, 11, 1, 1), Quorate: true, Passed: true, RuleSet: "cn-national-2018"}
	failed := domain.Decision{Votes: votes(15, 12, 5, 6, 1), Quorate: true, Passed: false, RuleSet: "cn-national-2018"}
	party := domain.Decision{Votes: votes(6, 6, 6, 0, 0), Quorate: true, Passed: true, RuleSet: "cn-national-2018"}
	line := func(acct string, d, c domain.Fen) domain.Line { return domain.Line{Account: acct, Debit: d, Credit: c} }
	v := func(n int, summary string, budget string, lines ...domain.Line) *domain.VoucherPosted {
		return &domain.VoucherPosted{VoucherData: domain.VoucherData{Number: n, Summary: summary, Lines: lines, Preparer: "会计", BudgetLine: budget}}
	}
	steps := []step{
		{"community", Community, "2025-01-02", &domain.CommunityRegistered{Name: "测试社区 <&>", Kind: "社区", Town: "镇", County: "县"}},
		{"matter", "m1", "2025-01-03", &domain.MatterRegistered{Title: "预算 \"2025\"", Amount: 5000000}},
		{"matter", "m1", "2025-01-04", &domain.MatterProposed{}},
		{"matter", "m1", "2025-01-05", &domain.MatterConsulted{}},
		{"matter", "m1", "2025-01-06", &domain.MatterReviewed{Decision: party}},
		{"matter", "m1", "2025-01-07", &domain.MatterResolved{Decision: passed}},
		{"matter", "m2", "2025-02-01", &domain.MatterRegistered{Title: "停车费"}},
		{"matter", "m2", "2025-02-02", &domain.MatterProposed{Joint: true}},
		{"matter", "m2", "2025-02-02", &domain.MatterConsulted{}},
		{"matter", "m2", "2025-02-03", &domain.MatterReviewed{Decision: party}},
		{"matter", "m2", "2025-02-04", &domain.MatterResolved{Decision: failed}},
		{"matter", "m1", "2025-02-05", &domain.ResolutionDisclosed{Channels: []string{"公开栏"}}},
		{"matter", "m1", "2025-03-01", &domain.ImplementationReported{Summary: "一"}},
		{"matter", "m1", "2025-04-01", &domain.ImplementationReported{Summary: "二"}},
		{"matter", "m3", "2025-03-01", &domain.MatterRegistered{Title: "撤回的事项"}},
		{"matter", "m3", "2025-03-02", &domain.MatterWithdrawn{Reason: "不再需要"}},
		{"budget", "2025", "2025-01-10", &domain.BudgetAdopted{Resolution: "m1", Lines: []domain.BudgetLine{
			{Line: "office", Name: "办公", Source: domain.SourceTown, Amount: 2000000}, {Line: "staff", Name: "补贴", Source: domain.SourceCounty, Amount: 3000000}}}},
		{"budget", "2025", "2025-01-15", &domain.FundsReceived{Source: domain.SourceTown, Document: "文1", Line: "office", Amount: 1000000, Date: domain.Date{Year: 2025, Month: 1, Day: 15}}},
		{"books", "books", "2025-01-15", v(1, "镇拨经费", "", line("102", 1000000, 0), line("522", 0, 1000000))},
		{"books", "books", "2025-01-20", v(2, "办公费", "office", line("541", 126000, 0), line("102", 0, 126000))},
		{"books", "books", "2025-01-25", v(3, "租金", "", line("102", 350000, 0), line("501", 0, 350000))},
		{"books", "books", "2025-01-26", v(4, "记错", "office", line("541", 86000, 0), line("101", 0, 86000))},
		{"books", "books", "2025-01-27", &domain.VoucherReversed{VoucherData: domain.VoucherData{Number: 5, Summary: "冲销 2025-01-004",
			Lines: []domain.Line{line("541", -86000, 0), line("101", 0, -86000)}, Preparer: "会计", BudgetLine: "office"}, Reverses: "2025-01-004", Reason: "金额错"}},
		{"books", "books", "2025-01-31", &domain.MonthClosed{Month: "2025-01"}},
		{"books", "books", "2025-02-10", v(1, "补贴", "staff", line("541", 229000, 0), line("102", 0, 229000))},
		{"books", "books", "2025-02-11", v(2, "设备", "", line("151", 500000, 0), line("202", 0, 500000))},
		{"books", "books", "2025-02-28", &domain.MonthClosed{Month: "2025-02"}},
		{"books", "books", "2025-12-31", &domain.YearClosed{Year: 2025, NetIncome: 995000, Lines: []domain.Line{
			line("501", 350000, 0), line("321", 0, 350000), line("522", 1000000, 0), line("321", 0, 1000000),
			line("321", 355000, 0), line("541", 0, 355000), line("321", 995000, 0), line("322", 0, 995000)}}},
		{"books", "books", "2026-01-05", v(1, "新年度", "", line("101", 10000, 0), line("531", 0, 10000))},
		// A sub-account, the close of 2026 and the change to the 2023
		// chart in 2027.
		{"books", "books", "2026-01-06", &domain.AccountDefined{SubAccount: domain.SubAccount{Code: "11201", Parent: "112", NameZH: "张三", NameEN: "Zhang San"}}},
		{"books", "books", "2026-01-10", v(2, "承包费", "", line("11201", 20000, 0), line("531", 0, 20000))},
		{"books", "books", "2026-01-31", &domain.MonthClosed{Month: "2026-01"}},
		{"books", "books", "2026-12-31", &domain.YearClosed{Year: 2026, NetIncome: 30000, Lines: []domain.Line{
			line("531", 30000, 0), line("321", 0, 30000), line("321", 30000, 0), line("322", 0, 30000)}}},
		{"books", "books", "2027-01-02", &domain.ChartTransitioned{Year: 2027, From: "cn-village-2004", To: "cn-rural-collective-2023", ToVersion: 1,
			Mapping: "transition-2004-2023", Preparer: "会计", Moves: []domain.Move{{From: "202", To: "211", Amount: 500000, NoteZH: "应付款"}},
			Lines: []domain.Line{line("202", 500000, 0), line("211", 0, 500000)}}},
		{"books", "books", "2027-01-15", v(1, "办公用品", "", line("513", 5000, 0), line("101", 0, 5000))},
	}
	out := make([]projections.Event, len(steps))
	base := time.Date(2026, 1, 1, 0, 0, 0, 123456789, time.UTC) // nanoseconds: backends keep microseconds
	for i, s := range steps {
		data, err := json.Marshal(s.ev)
		if err != nil {
			panic(err)
		}
		out[i] = projections.Event{Seq: uint64(i + 1), Type: s.ev.EventType(), Schema: domain.SchemaVersion, Community: Community,
			AggregateType: s.aggType, AggregateID: s.id, EffectiveDate: s.date, RecordedAt: base.Add(time.Duration(i) * time.Second), Data: data}
	}
	// An event of another kind (a token) that no read model reads.
	out = append(out, projections.Event{Seq: uint64(len(out) + 1), Type: "auth.clerk_token_issued", Schema: 1, Community: Community,
		AggregateType: "token", AggregateID: "t1", EffectiveDate: "2026-01-05", RecordedAt: base.Add(time.Hour), Data: json.RawMessage(`{}`)})
	return out
}

// answers asks a backend everything the read models answer, as JSON.
func answers(t *testing.T, b projections.Backend) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	put := func(name string, v any, err error) {
		if err != nil {
			out[name] = "error: " + err.Error()
			return
		}
		j, _ := json.MarshalIndent(v, "", " ")
		out[name] = string(j)
	}
	switch b.Model().Name {
	case projections.BoardModel.Name:
		r := projections.BoardOn{Backend: b}
		v, err := r.Board(ctx, Community)
		put("board", v, err)
	case projections.FinanceModel.Name:
		f := projections.FinanceOn{Backend: b}
		for _, m := range []string{"2025-01", "2025-02", "2025-12", "2026-01", "2027-01"} {
			v, err := f.TrialBalance(ctx, Community, m)
			put("trial "+m, v, err)
			bs, err := f.BalanceSheet(ctx, Community, m)
			put("balance "+m, bs, err)
			l, err := f.Ledger(ctx, Community, "102", m)
			put("ledger "+m, l, err)
			bf, err := f.BalanceSheetForm(ctx, Community, m)
			put("balance form "+m, bf, err)
			vl, err := f.Vouchers(ctx, Community, m)
			put("vouchers "+m, vl, err)
			br, err := f.BankReconciliation(ctx, Community, "102", m)
			put("bank reconciliation "+m, br, err)
		}
		for _, y := range []int{2025, 2026, 2027} {
			fm, err := f.IncomeForm(ctx, Community, y)
			put(fmt.Sprint("income form ", y), fm, err)
			cb, err := f.CashBook(ctx, Community, "101", projections.Period{Year: y})
			put(fmt.Sprint("cash book ", y), cb, err)
			ac, err := f.Accounts(ctx, Community, y)
			put(fmt.Sprint("accounts ", y), ac, err)
		}
		for _, id := range []string{"2025-01-004", "2025-01-005", "2025-closing", "2027-01-000", "2027-01-001"} {
			v, err := f.Voucher(ctx, Community, id)
			put("voucher "+id, v, err)
		}
		l, err := f.Ledger(ctx, Community, "112", "2026-01")
		put("ledger 112 2026-01", l, err)
		is, err := f.IncomeStatement(ctx, Community, projections.Period{Year: 2025})
		put("income 2025", is, err)
		im, err := f.IncomeStatement(ctx, Community, projections.Period{Year: 2025, Month: 1})
		put("income 2025-01", im, err)
		be, err := f.BudgetExecution(ctx, Community, 2025)
		put("budget", be, err)
		su, err := f.Summary(ctx, Community, 2025)
		put("summary", su, err)
		ys, err := f.Years(ctx, Community)
		put("years", ys, err)
		yc, err := f.YearCloses(ctx, Community)
		put("year closes", yc, err)
	}
	return out
}

func apply(t *testing.T, b projections.Backend, events []projections.Event, chunk int) {
	t.Helper()
	for i := 0; i < len(events); i += chunk {
		if err := b.Apply(context.Background(), events[i:min(i+chunk, len(events))]); err != nil {
			t.Fatalf("Apply: %v", err)
		}
	}
}

// Run runs the suite for the board and finance models, for the board's
// disclosure items and questions (version 4) and for the evaluation model.
func Run(t *testing.T, newBackend NewBackend) {
	t.Run("board/disclosures", func(t *testing.T) { runDisclosures(t, newBackend) })
	t.Run("evaluation", func(t *testing.T) { runEvaluation(t, newBackend) })
	for _, m := range []projections.Model{projections.BoardModel, projections.FinanceModel} {
		t.Run(m.Name, func(t *testing.T) {
			ref := projections.NewMemory(m)
			apply(t, ref, Events(), len(Events()))
			want := answers(t, ref)
			for name, a := range want {
				if len(a) > 6 && a[:6] == "error:" {
					t.Fatalf("reference %s: %s", name, a)
				}
			}

			t.Run("SameAnswersAsReference", func(t *testing.T) {
				for _, chunk := range []int{1, 7, len(Events())} {
					b := newBackend(t, m)
					apply(t, b, Events(), chunk)
					compare(t, fmt.Sprintf("batches of %d", chunk), want, answers(t, b))
				}
			})
			t.Run("RedeliveryChangesNothing", func(t *testing.T) {
				b := newBackend(t, m)
				evs := Events()
				apply(t, b, evs[:20], 20)
				apply(t, b, evs[10:], 5) // 10..19 again, then the rest
				apply(t, b, evs, len(evs))
				compare(t, "after redelivery", want, answers(t, b))
			})
			t.Run("Position", func(t *testing.T) {
				b := newBackend(t, m)
				if p, err := b.Position(context.Background()); err != nil || p != 0 {
					t.Fatalf("empty Position = %d, %v; want 0", p, err)
				}
				evs := Events()
				apply(t, b, evs, 4)
				at, err := b.At(context.Background())
				last := evs[len(evs)-1]
				if err != nil || at.Seq != last.Seq || !at.Time.Equal(last.RecordedAt.Truncate(time.Microsecond)) {
					t.Fatalf("At = %+v, %v; want seq %d at %v", at, err, last.Seq, last.RecordedAt)
				}
			})
			t.Run("UnknownCommunity", func(t *testing.T) {
				b := newBackend(t, m)
				apply(t, b, Events(), 10)
				var err error
				if m.Name == projections.BoardModel.Name {
					_, err = projections.BoardOn{Backend: b}.Board(context.Background(), "nobody")
				} else {
					_, err = projections.FinanceOn{Backend: b}.TrialBalance(context.Background(), "nobody", "2025-01")
				}
				if !errors.Is(err, projections.ErrNotFound) {
					t.Fatalf("query for an unknown community = %v, want ErrNotFound", err)
				}
			})
		})
	}
}

func compare(t *testing.T, what string, want, got map[string]string) {
	t.Helper()
	for name, w := range want {
		if g := got[name]; g != w {
			gl, wl := strings.Split(g, "\n"), strings.Split(w, "\n")
			i := 0
			for i < len(gl) && i < len(wl) && gl[i] == wl[i] {
				i++
			}
			line := func(l []string) string {
				if i < len(l) {
					return l[i]
				}
				return "(end)"
			}
			t.Errorf("%s: %s differs from the reference at line %d:\ngot  %s\nwant %s", what, name, i+1, line(gl), line(wl))
		}
	}
}

// History returns the fixtures of the suite as one stream, for comparing
// ways of feeding every read model: the books and matters of Events, the
// disclosures and questions of the board's version 4 and the evaluation's
// two years, each in its own community ("fixture", "fixture-disclosures",
// "fixture-evaluation"), with sequences from 1 in that order. It ends with
// a rejected copy of the first voucher, which no read model applies.
func History() []projections.Event {
	var out []projections.Event
	for _, f := range []struct {
		community string
		events    []projections.Event
	}{{Community, Events()}, {Community + "-disclosures", disclosureEvents()}, {Community + "-evaluation", EvaluationEvents()}} {
		for _, e := range f.events {
			e.Seq, e.Community = uint64(len(out)+1), f.community
			out = append(out, e)
		}
	}
	for _, e := range out {
		if e.Type == domain.EvVoucherPosted {
			e.Seq, e.Rejected = uint64(len(out)+1), "no valid writer signature"
			return append(out, e)
		}
	}
	return out
}
