package projections_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/projections"
)

// correctedMatter is the history of a matter whose first vote failed, was
// put to a new vote that was recorded without quorum (9 of 15 typed for
// 12 of 15), and was then corrected.
func correctedMatter(t *testing.T) []projections.Event {
	t.Helper()
	d := func(v domain.Votes, quorate, passed bool) domain.Decision {
		return domain.Decision{Votes: v, Quorate: quorate, Passed: passed, RuleSet: "cn-national-2018"}
	}
	failed := d(domain.Votes{Expected: 15, Present: 12, For: 5, Against: 7}, true, false)
	typed := d(domain.Votes{Expected: 15, Present: 9, For: 9}, false, false)
	right := d(domain.Votes{Expected: 15, Present: 12, For: 9, Against: 3}, true, true)
	steps := []struct {
		aggType, id, date string
		ev                domain.Event
	}{
		{"community", "c1", "2025-01-02", &domain.CommunityRegistered{Name: "测试社区", Kind: "社区", Town: "镇", County: "县"}},
		{"matter", "m1", "2025-03-01", &domain.MatterRegistered{Title: "修缮村道"}},
		{"matter", "m1", "2025-03-05", &domain.MatterProposed{}},
		{"matter", "m1", "2025-03-10", &domain.MatterConsulted{}},
		{"matter", "m1", "2025-03-15", &domain.MatterReviewed{Decision: d(domain.Votes{Expected: 6, Present: 6, For: 6}, true, true)}},
		{"matter", "m1", "2025-03-20", &domain.MatterResolved{Decision: failed}},
		{"matter", "m1", "2025-04-10", &domain.MatterResolved{Decision: typed}},
		{"matter", "m1", "2025-04-12", &domain.StageCorrected{Stage: domain.StageResolved, Reason: "实到人数误录为9人",
			Original:  domain.StageContent{Date: domain.Date{Year: 2025, Month: 4, Day: 10}, Decision: &typed},
			Corrected: domain.StageContent{Date: domain.Date{Year: 2025, Month: 4, Day: 10}, Decision: &right}}},
		{"matter", "m1", "2025-04-15", &domain.ResolutionDisclosed{Channels: []string{"公开栏"}}},
	}
	out := make([]projections.Event, len(steps))
	for i, s := range steps {
		data, err := json.Marshal(s.ev)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = projections.Event{Seq: uint64(i + 1), Type: s.ev.EventType(), Schema: domain.SchemaVersion, Community: "c1",
			AggregateType: s.aggType, AggregateID: s.id, EffectiveDate: s.date, RecordedAt: time.Unix(int64(i), 0), Data: data}
	}
	return out
}

func TestBoardCorrection(t *testing.T) {
	ctx := context.Background()
	b := projections.NewMemoryBoard()
	if err := b.Apply(ctx, correctedMatter(t)); err != nil {
		t.Fatal(err)
	}
	v, err := b.Board(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Matters) != 1 {
		t.Fatalf("Board: %d matters, want 1", len(v.Matters))
	}
	r := v.Matters[0]
	date := func(m time.Month, day int) domain.Date { return domain.Date{Year: 2025, Month: m, Day: day} }

	wantDates := []projections.StageDate{
		{Stage: domain.StageRegistered, Date: date(3, 1), Seq: 2, RecordedAt: time.Unix(1, 0)},
		{Stage: domain.StageProposed, Date: date(3, 5), Seq: 3, RecordedAt: time.Unix(2, 0)},
		{Stage: domain.StageConsulted, Date: date(3, 10), Seq: 4, RecordedAt: time.Unix(3, 0)},
		{Stage: domain.StageReviewed, Date: date(3, 15), Seq: 5, RecordedAt: time.Unix(4, 0)},
		{Stage: domain.StageResolved, Date: date(3, 20), Seq: 6, RecordedAt: time.Unix(5, 0)},
		{Stage: domain.StageResolved, Date: date(4, 10), Seq: 7, RecordedAt: time.Unix(6, 0)},
		{Stage: projections.StageCorrection, Corrects: domain.StageResolved, Date: date(4, 12), Seq: 8, RecordedAt: time.Unix(7, 0)},
		{Stage: domain.StageResolutionDisclosed, Date: date(4, 15), Seq: 9, RecordedAt: time.Unix(8, 0)},
	}
	if !reflect.DeepEqual(wantDates, r.Dates) {
		t.Errorf("Dates = %+v, want %+v", r.Dates, wantDates)
	}
	if want := []uint64{2, 3, 4, 5, 6, 7, 8, 9}; !reflect.DeepEqual(want, r.Seqs) {
		t.Errorf("Seqs = %v, want %v", r.Seqs, want)
	}
	if r.Stage != domain.StageResolutionDisclosed || r.Resolution == nil || !r.Resolution.Passed || r.Resolution.Votes.Present != 12 {
		t.Errorf("Stage %q, Resolution %+v; want resolution_disclosed with the corrected, passed vote", r.Stage, r.Resolution)
	}
	if len(r.PastResolutions) != 1 || r.PastResolutions[0].Round != 1 || r.PastResolutions[0].Date != date(3, 20) ||
		r.PastResolutions[0].Votes.For != 5 {
		t.Errorf("PastResolutions = %+v, want round 1 of 2025-03-20 with 5 for", r.PastResolutions)
	}
	if d := r.ResolutionDisclosure; d == nil || len(d.Channels) != 1 || d.Channels[0] != "公开栏" {
		t.Errorf("ResolutionDisclosure = %+v, want posted on 公开栏", d)
	}
	if len(r.Corrections) != 1 {
		t.Fatalf("Corrections = %+v, want 1", r.Corrections)
	}
	c := r.Corrections[0]
	if c.Date != date(4, 12) || c.Stage != domain.StageResolved || c.Reason != "实到人数误录为9人" ||
		c.Original.Decision.Votes.Present != 9 || c.Corrected.Decision.Votes.Present != 12 {
		t.Errorf("Corrections[0] = %+v, want the correction of 2025-04-12 from 9 to 12 present", c)
	}

	// The board's JSON names the correction in the dates, and when the
	// log recorded it.
	j, err := json.Marshal(r.Dates[6])
	at, _ := time.Unix(7, 0).MarshalJSON()
	if want := `{"stage":"correction","corrects":"resolved","date":"2025-04-12","stream_seq":8,"recorded_at":` + string(at) + `}`; string(j) != want || err != nil {
		t.Errorf("json.Marshal(Dates[6]) = %s, %v; want %s", j, err, want)
	}
}

// TestBoardCorrectionDocument: a matter's stored document, loaded into a
// fresh state, encodes to the same bytes (as the PostgreSQL backend stores
// and loads it).
func TestBoardCorrectionDocument(t *testing.T) {
	st := projections.BoardModel.New("c1")
	var keys []projections.DocKey
	for _, e := range correctedMatter(t) {
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
	fresh := projections.BoardModel.New("c1")
	for _, k := range keys {
		body, err := st.Doc(k)
		if err != nil {
			t.Fatal(err)
		}
		if err := fresh.Load(k, body); err != nil {
			t.Fatalf("Load(%v, %s): %v", k, body, err)
		}
	}
	for _, k := range []projections.DocKey{{Kind: "community"}, {Kind: "matter", Key: "m1"}} {
		want, _ := st.Doc(k)
		got, err := fresh.Doc(k)
		if string(got) != string(want) || err != nil {
			t.Errorf("Doc(%v) after Load = %s, %v; want %s", k, got, err, want)
		}
	}
}
