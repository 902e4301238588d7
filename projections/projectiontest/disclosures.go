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

// Actors of the disclosure fixture.
const (
	clerk      = "clerk-zhao"
	supervisor = "sup-liu"
)

// disclosureEvents returns the fixture of board version 4: a community
// with a catalogue (posted 10 days, questions answered within 3), whose
// finance of 2025 Q1 is drafted, approved, published, asked about,
// corrected by a second version and published again; whose 2025 budget
// is returned and drafted again; with a special item drafted and three
// questions, one answered. Events are recorded a second apart from
// 2026-01-01T00:00:00.123456789Z, with sequences from 1.
func disclosureEvents() []projections.Event {
	rs := domain.DefaultRuleSet()
	rs.ID, rs.EffectiveFrom = "fixture-2025", domain.Date{Year: 2025, Month: 1, Day: 1}
	rs.Disclosure = &domain.DisclosureRules{FinancePeriod: "quarter", FinanceDays: 15, BudgetDays: 15, ExecutionDays: 31,
		ResolutionDays: 5, ResultDays: 15, PostingDays: 10, AnswerDays: 3,
		Special: []domain.SpecialDisclosure{{ID: "relief-2025", Title: "救灾款物", Due: domain.Date{Year: 2025, Month: 9, Day: 30}}}}
	const q1, budget, relief = "finance-2025-Q1", "budget-2025", "special-relief-2025"
	steps := []struct {
		aggType, id, date, actor string
		ev                       domain.Event
	}{
		{"community", Community, "2025-01-02", "admin", &domain.CommunityRegistered{Name: "公开社区", Kind: "社区", Town: "镇", County: "县"}},
		{"community", Community, "2025-01-02", "admin", &domain.RuleSetAdopted{RuleSet: rs}},
		{"matter", "m1", "2025-03-01", clerk, &domain.MatterRegistered{Title: "修缮村道"}},
		{"disclosure", q1, "2025-04-02", clerk, &domain.DisclosureDrafted{Version: 1, Content: q1Content("1260.00"), DraftedBy: clerk}},
		{"disclosure", q1, "2025-04-05", supervisor, &domain.DisclosureApproved{Version: 1, Opinion: "同意", ReviewedBy: supervisor}},
		{"disclosure", q1, "2025-04-06", clerk, &domain.DisclosurePublished{Version: 1, Channels: []string{"公开栏", "网上"}, PostingDays: 10}},
		{"question", "q1", "2025-04-08", domain.PublicActor, &domain.QuestionAsked{About: "disclosure/" + q1, Text: "办公费为何<增加>？",
			ContactRef: "0123456789abcdef0123456789abcdef", Due: domain.Date{Year: 2025, Month: 4, Day: 11}}},
		{"disclosure", budget, "2025-04-09", clerk, &domain.DisclosureDrafted{Version: 1, Content: domain.DisclosureContent{Title: "2025年度预算公开", Tables: []domain.DisclosureTable{}}, DraftedBy: clerk}},
		{"disclosure", budget, "2025-04-10", supervisor, &domain.DisclosureReturned{Version: 1, Opinion: "缺预算表", ReviewedBy: supervisor}},
		{"question", "q1", "2025-04-10", clerk, &domain.QuestionAnswered{Text: "购置打印机。", AnsweredBy: clerk}},
		{"disclosure", q1, "2025-05-10", clerk, &domain.DisclosureDrafted{Version: 2, Content: q1Content("1620.00"), Reason: "办公费金额有误", DraftedBy: clerk}},
		{"question", "q2", "2025-05-11", domain.PublicActor, &domain.QuestionAsked{About: "matter/m1", Text: "何时开工？", Due: domain.Date{Year: 2025, Month: 5, Day: 14}}},
		{"disclosure", q1, "2025-05-11", supervisor, &domain.DisclosureApproved{Version: 2, ReviewedBy: supervisor}},
		{"disclosure", q1, "2025-05-12", clerk, &domain.DisclosurePublished{Version: 2, Channels: []string{"公开栏"}, PostingDays: 15}},
		{"disclosure", relief, "2025-06-01", clerk, &domain.DisclosureDrafted{Version: 1, Content: domain.DisclosureContent{Title: "救灾款物", Tables: []domain.DisclosureTable{}, AsOfSeq: 14}, DraftedBy: clerk}},
		{"disclosure", budget, "2025-06-02", clerk, &domain.DisclosureDrafted{Version: 2, Content: domain.DisclosureContent{Title: "2025年度预算公开", Tables: []domain.DisclosureTable{}, Note: "补充预算表"}, DraftedBy: clerk}},
		{"question", "q3", "2025-06-03", domain.PublicActor, &domain.QuestionAsked{About: "disclosure/" + q1, Text: "更正后金额是多少？", Due: domain.Date{Year: 2025, Month: 6, Day: 6}}},
	}
	out := make([]projections.Event, len(steps))
	for i, s := range steps {
		data, err := json.Marshal(s.ev)
		if err != nil {
			panic(err)
		}
		out[i] = projections.Event{Seq: uint64(i + 1), Type: s.ev.EventType(), Schema: domain.SchemaVersion, Community: Community,
			AggregateType: s.aggType, AggregateID: s.id, EffectiveDate: s.date, RecordedAt: disclosureBase.Add(time.Duration(i) * time.Second),
			Actor: s.actor, Data: data}
	}
	return out
}

var disclosureBase = time.Date(2026, 1, 1, 0, 0, 0, 123456789, time.UTC)

// q1Content is the content of finance-2025-Q1 with an amount of office
// costs.
func q1Content(office string) domain.DisclosureContent {
	return domain.DisclosureContent{Title: "2025年第1季度财务收支公开",
		From: domain.Date{Year: 2025, Month: 1, Day: 1}, To: domain.Date{Year: 2025, Month: 3, Day: 31},
		Tables: []domain.DisclosureTable{{Caption: "支出", Columns: []string{"科目", "金额"}, Rows: [][]string{{"办公费", office}}}},
		Totals: []domain.DisclosureTotal{{Label: "支出合计", Amount: 1260_00}}, AsOfSeq: 3}
}

// wantDisclosures is the board of disclosureEvents worked out by hand:
// items in the order of their first draft, questions in the order asked,
// each with the sequences of its events.
func wantDisclosures() ([]projections.DisclosureRow, []projections.QuestionRow) {
	d := func(m time.Month, day int) domain.Date { return domain.Date{Year: 2025, Month: m, Day: day} }
	q1 := projections.DisclosureRow{Item: "finance-2025-Q1", Seqs: []uint64{4, 5, 6, 11, 13, 14}, Versions: []domain.DisclosureVersion{
		{Version: 1, Content: q1Content("1260.00"), DraftedBy: clerk, DraftedOn: d(4, 2), Status: domain.StatusPublished,
			ReviewedBy: supervisor, ReviewedOn: d(4, 5), Opinion: "同意", Channels: []string{"公开栏", "网上"}, PostedOn: d(4, 6), PostingDays: 10,
			SupersededBy: 2},
		{Version: 2, Content: q1Content("1620.00"), Reason: "办公费金额有误", DraftedBy: clerk, DraftedOn: d(5, 10), Status: domain.StatusPublished,
			ReviewedBy: supervisor, ReviewedOn: d(5, 11), Channels: []string{"公开栏"}, PostedOn: d(5, 12), PostingDays: 15},
	}}
	budget := projections.DisclosureRow{Item: "budget-2025", Seqs: []uint64{8, 9, 16}, Versions: []domain.DisclosureVersion{
		{Version: 1, Content: domain.DisclosureContent{Title: "2025年度预算公开", Tables: []domain.DisclosureTable{}}, DraftedBy: clerk, DraftedOn: d(4, 9),
			Status: domain.StatusReturned, ReviewedBy: supervisor, ReviewedOn: d(4, 10), Opinion: "缺预算表"},
		{Version: 2, Content: domain.DisclosureContent{Title: "2025年度预算公开", Tables: []domain.DisclosureTable{}, Note: "补充预算表"}, DraftedBy: clerk, DraftedOn: d(6, 2),
			Status: domain.StatusDrafted},
	}}
	relief := projections.DisclosureRow{Item: "special-relief-2025", Seqs: []uint64{15}, Versions: []domain.DisclosureVersion{
		{Version: 1, Content: domain.DisclosureContent{Title: "救灾款物", Tables: []domain.DisclosureTable{}, AsOfSeq: 14}, DraftedBy: clerk, DraftedOn: d(6, 1),
			Status: domain.StatusDrafted},
	}}
	at := func(seq int) time.Time { return disclosureBase.Add(time.Duration(seq-1) * time.Second) }
	questions := []projections.QuestionRow{
		{ID: "q1", About: "disclosure/finance-2025-Q1", Text: "办公费为何<增加>？", HasContact: true, AskedOn: d(4, 8), Due: d(4, 11),
			Answer: "购置打印机。", AnsweredOn: d(4, 10), AnsweredBy: clerk, RecordedAt: at(7), Seqs: []uint64{7, 10}},
		{ID: "q2", About: "matter/m1", Text: "何时开工？", AskedOn: d(5, 11), Due: d(5, 14), RecordedAt: at(12), Seqs: []uint64{12}},
		{ID: "q3", About: "disclosure/finance-2025-Q1", Text: "更正后金额是多少？", AskedOn: d(6, 3), Due: d(6, 6), RecordedAt: at(17), Seqs: []uint64{17}},
	}
	return []projections.DisclosureRow{q1, budget, relief}, questions
}

// boardJSON returns a community's board on b as JSON, or fails the test.
func boardJSON(t *testing.T, b projections.Backend) map[string]string {
	t.Helper()
	v, err := projections.BoardOn{Backend: b}.Board(context.Background(), Community)
	if err != nil {
		t.Fatalf("Board(%s): %v", Community, err)
	}
	return map[string]string{"board": js(v), "disclosures": js(v.Disclosures), "questions": js(v.Questions)}
}

func js(v any) string {
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		return "error: " + err.Error()
	}
	return string(b)
}

// runDisclosures checks board version 4 on a backend: disclosure items
// and questions come out as worked out by hand and as on the reference,
// however the events are batched, read between batches or redelivered,
// and after the state is rebuilt from its documents.
func runDisclosures(t *testing.T, newBackend NewBackend) {
	evs := disclosureEvents()
	ds, qs := wantDisclosures()
	byHand := map[string]string{"disclosures": js(ds), "questions": js(qs)}

	// The reference, checked against the hand-made board first.
	ref := projections.NewMemory(projections.BoardModel)
	apply(t, ref, evs, len(evs))
	want := boardJSON(t, ref)
	compare(t, "reference", byHand, want)

	t.Run("SameAnswersAsReference", func(t *testing.T) {
		for _, chunk := range []int{1, 4, len(evs)} {
			b := newBackend(t, projections.BoardModel)
			apply(t, b, evs, chunk)
			compare(t, fmt.Sprintf("batches of %d", chunk), want, boardJSON(t, b))
		}
	})
	// Read after every batch, so that a backend that keeps states in
	// documents loads newer versions of documents it has loaded before;
	// each read is compared with the reference at the same position.
	t.Run("ReadBetweenBatches", func(t *testing.T) {
		b := newBackend(t, projections.BoardModel)
		for i := 0; i < len(evs); i += 3 {
			end := min(i+3, len(evs))
			apply(t, b, evs[i:end], 3)
			r := projections.NewMemory(projections.BoardModel)
			apply(t, r, evs[:end], end)
			compare(t, fmt.Sprintf("after event %d", end), boardJSON(t, r), boardJSON(t, b))
		}
	})
	t.Run("RedeliveryChangesNothing", func(t *testing.T) {
		b := newBackend(t, projections.BoardModel)
		apply(t, b, evs[:12], 12)
		boardJSON(t, b)
		apply(t, b, evs[5:], 4) // 6..12 again, then the rest
		apply(t, b, evs, len(evs))
		compare(t, "after redelivery", want, boardJSON(t, b))
	})
	// A board is the reader's copy: changing it changes no later answer.
	t.Run("ReadersCannotChangeTheState", func(t *testing.T) {
		b := newBackend(t, projections.BoardModel)
		apply(t, b, evs, len(evs))
		v, err := projections.BoardOn{Backend: b}.Board(context.Background(), Community)
		if err != nil {
			t.Fatalf("Board: %v", err)
		}
		v1 := &v.Disclosures[0].Versions[0]
		v1.Content.Tables[0].Rows[0][0] = "改"
		v1.Content.Tables[0].Columns[0] = "改"
		v1.Content.Totals[0].Amount = 1
		v1.Channels[0] = "改"
		v1.SupersededBy = 0
		v.Disclosures[0].Seqs[0] = 0
		v.Questions[0].Seqs[0] = 0
		compare(t, "after a reader changed its copy", want, boardJSON(t, b))
	})
	// Rebuilt from its documents, the state answers the same: the final
	// documents loaded in the order first written, and every version of
	// every document loaded in the order written.
	t.Run("ReloadFromDocuments", func(t *testing.T) {
		m := projections.BoardModel
		st := m.New(Community)
		type doc struct {
			k    projections.DocKey
			body []byte
		}
		var written []doc
		latest := map[projections.DocKey][]byte{}
		var order []projections.DocKey
		for _, e := range evs {
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
		compare(t, "loaded from the final documents", want, boardJSON(t, loaded{m, once, pos}))

		every := m.New(Community)
		for _, d := range written {
			if err := every.Load(d.k, d.body); err != nil {
				t.Fatalf("Load(%v): %v", d.k, err)
			}
		}
		compare(t, "loaded from every version of the documents", want, boardJSON(t, loaded{m, every, pos}))
	})
}

// loaded is a backend that serves one community's state, rebuilt from its
// documents, at a fixed position.
type loaded struct {
	m   projections.Model
	st  projections.State
	pos projections.Position
}

func (l loaded) Name() string                                     { return l.m.Name }
func (l loaded) Model() projections.Model                         { return l.m }
func (l loaded) Position(context.Context) (uint64, error)         { return l.pos.Seq, nil }
func (l loaded) At(context.Context) (projections.Position, error) { return l.pos, nil }
func (l loaded) Apply(context.Context, []projections.Event) error {
	return errors.New("a state loaded from documents is read only")
}
func (l loaded) View(_ context.Context, community string, fn func(projections.State, projections.Position) error) error {
	if community != Community {
		return fn(nil, l.pos)
	}
	return fn(l.st, l.pos)
}
