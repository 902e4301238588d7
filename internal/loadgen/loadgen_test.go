package loadgen

import "testing"

func TestParseMix(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Mix
		ok   bool
	}{
		{"matter=40,voucher=30,read=30", DefaultMix, true},
		{"matter=60, voucher=40", Mix{Matter: 60, Voucher: 40}, true},
		{"read=100%", Mix{Read: 100}, true},
		{"matter=40,voucher=30", Mix{}, false},
		{"matter=40,voucher=30,read=30,budget=0", Mix{}, false},
		{"matter=-10,voucher=80,read=30", Mix{}, false},
		{"matter", Mix{}, false},
	} {
		got, err := ParseMix(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseMix(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	if m, err := ParseMix(DefaultMix.String()); err != nil || m != DefaultMix {
		t.Errorf("ParseMix(DefaultMix.String()) = %v, %v", m, err)
	}
}

// Voucher numbers run without gaps: a refused voucher gives its number
// back, an unanswered one moves the books to a fresh month.
func TestBooksNumbering(t *testing.T) {
	var b books
	steps := []struct {
		recorded, unknown bool
		date              string
		number            int
	}{
		{true, false, "2025-12-15", 1},
		{false, false, "2025-12-15", 2},
		{true, false, "2025-12-15", 2},
		{false, true, "2025-12-15", 3},
		{true, false, "2025-11-15", 1},
	}
	for i, s := range steps {
		date, n := b.next()
		if date != s.date || n != s.number {
			t.Fatalf("step %d: next() = %s, %d; want %s, %d", i, date, n, s.date, s.number)
		}
		b.release(s.recorded, s.unknown)
	}
}

// A clerk takes each matter through the eight stages in order, then
// starts a new one; a failed stage abandons the matter.
func TestClerkStages(t *testing.T) {
	c := &clerk{run: "r", client: 3}
	var types []string
	for range len(stages) + 1 {
		w := c.matterWrite("bench-r-01")
		types = append(types, w.envelope.Type)
		c.matterDone(true, 1)
	}
	if types[0] != "matter.register" || types[len(stages)-1] != "matter.disclose_result" || types[len(stages)] != "matter.register" {
		t.Errorf("stages = %v", types)
	}
	if len(c.done) != 1 || c.done[0] != "br-c3-1" {
		t.Errorf("done = %v, want [br-c3-1]", c.done)
	}
	c.matterDone(false, 0)
	if w := c.matterWrite("bench-r-01"); w.envelope.Type != "matter.register" || w.envelope.AggregateID != "br-c3-3" {
		t.Errorf("after a failed stage: %s %s, want a new matter br-c3-3", w.envelope.Type, w.envelope.AggregateID)
	}
}
