package web

import (
	"net/netip"
	"testing"
	"time"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/projections"
)

// take counts an attempt only when it is let through; the window starts
// with the first attempt and ends the block; past max addresses the
// oldest is forgotten.
func TestQuestionThrottleTake(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	th := newThrottle(2, time.Minute, 2, func() time.Time { return now })
	a, b, c := netip.MustParsePrefix("192.0.2.1/32"), netip.MustParsePrefix("192.0.2.2/32"), netip.MustParsePrefix("192.0.2.3/32")
	for i := range 2 {
		if d := th.take(a); d != 0 {
			t.Fatalf("take #%d = %v, want 0", i+1, d)
		}
	}
	now = now.Add(20 * time.Second)
	for range 5 {
		if d := th.take(a); d != 40*time.Second {
			t.Fatalf("take over the limit at 20 s = %v, want 40s", d)
		}
	}
	if th.clients[a].n != 2 {
		t.Errorf("refused attempts were counted: n = %d", th.clients[a].n)
	}
	now = now.Add(40 * time.Second)
	if d := th.take(a); d != 0 {
		t.Errorf("take after the window = %v, want 0", d)
	}
	now = now.Add(time.Second)
	th.take(b)
	th.take(c) // a is the oldest: forgotten
	if len(th.clients) != 2 || th.clients[a] != nil {
		t.Errorf("past max addresses: %d remembered, a kept %v", len(th.clients), th.clients[a] != nil)
	}
}

// Questions are sorted unanswered first by due date, then answered, the
// latest answer first; a question is overdue the day after its due date,
// or when answered after it.
func TestQuestionLines(t *testing.T) {
	d := func(s string) domain.Date {
		x, err := domain.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	rows := []projections.QuestionRow{
		{ID: "answered-early", Due: d("2026-11-30"), AnsweredOn: d("2026-11-25")},
		{ID: "open-late", Due: d("2026-12-05")},
		{ID: "answered-late", Due: d("2026-11-30"), AnsweredOn: d("2026-12-01")},
		{ID: "open-early", Due: d("2026-11-30")},
	}
	var ls []clerkLine
	for _, q := range rows {
		ls = append(ls, clerkLine{questionLine: lineOf("c1", q, d("2026-12-01"))})
	}
	sortQuestions(ls)
	var got []string
	overdue := map[string]bool{}
	for _, l := range ls {
		got = append(got, l.ID)
		overdue[l.ID] = l.Overdue
	}
	want := []string{"open-early", "open-late", "answered-late", "answered-early"}
	if len(got) != len(want) {
		t.Fatalf("sortQuestions = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("sortQuestions = %v, want %v", got, want)
		}
	}
	wantOverdue := map[string]bool{"open-early": true, "open-late": false, "answered-late": true, "answered-early": false}
	for id, w := range wantOverdue {
		if overdue[id] != w {
			t.Errorf("%s overdue = %v on 2026-12-01, want %v", id, overdue[id], w)
		}
	}
}
