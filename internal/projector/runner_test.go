package projector

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/eventstore"
	"github.com/gongkai/gongkai/projections"
	"github.com/gongkai/gongkai/projections/projectiontest"
)

// models are the memory read models of a process (internal/app), in the
// order of their runners.
var models = []projections.Model{projections.BoardModel, projections.FinanceModel, projections.EvaluationModel}

func stored(e projections.Event) eventstore.Stored {
	return eventstore.Stored{Event: eventstore.Event{Type: e.Type, Schema: e.Schema, Community: e.Community,
		AggregateType: e.AggregateType, AggregateID: e.AggregateID, EffectiveDate: e.EffectiveDate,
		RecordedAt: e.RecordedAt, Actor: e.Actor, Data: e.Data}, Seq: e.Seq, Rejected: e.Rejected}
}

func memories(ms []projections.Model) []projections.Backend {
	out := make([]projections.Backend, len(ms))
	for i, m := range ms {
		out[i] = projections.NewMemory(m)
	}
	return out
}

// feed starts the runners and hands them each event in turn, as Feed does.
func feed(tb testing.TB, runners []*Runner, events []projections.Event) {
	tb.Helper()
	ctx := context.Background()
	for _, r := range runners {
		if _, err := r.Start(ctx, events[len(events)-1].Seq); err != nil {
			tb.Fatalf("Start: %v", err)
		}
	}
	for _, e := range events {
		st := stored(e)
		for _, r := range runners {
			if err := r.Handle(ctx, st); err != nil {
				tb.Fatalf("Handle(%d %s): %v", e.Seq, e.Type, err)
			}
		}
	}
}

// ownRunners returns runners whose read models decode every event
// themselves, as before NewRunners.
func ownRunners(backends []projections.Backend) []*Runner {
	out := make([]*Runner, len(backends))
	for i, b := range backends {
		out[i] = New(b, slog.New(slog.DiscardHandler))
	}
	return out
}

// sameStates returns where the states of the backends differ, or "".
func sameStates(t *testing.T, want, got []projections.Backend, events []projections.Event) string {
	t.Helper()
	var communities []string
	for _, e := range events {
		if !slices.Contains(communities, e.Community) {
			communities = append(communities, e.Community)
		}
	}
	var diffs []string
	for i := range want {
		for _, c := range communities {
			w, wp := state(t, want[i], c)
			g, gp := state(t, got[i], c)
			if wp != gp {
				diffs = append(diffs, fmt.Sprintf("%s position = %v, want %v", got[i].Name(), gp, wp))
			}
			if d := firstDiff(got[i].Name()+" "+c, reflect.ValueOf(w), reflect.ValueOf(g)); d != "" {
				diffs = append(diffs, d)
			}
		}
	}
	return strings.Join(diffs, "\n")
}

func state(t *testing.T, b projections.Backend, community string) (projections.State, projections.Position) {
	t.Helper()
	var st projections.State
	var pos projections.Position
	// The test only reads the state, after the backend is no longer fed.
	if err := b.View(context.Background(), community, func(s projections.State, p projections.Position) error {
		st, pos = s, p
		return nil
	}); err != nil {
		t.Fatalf("View: %v", err)
	}
	return st, pos
}

// firstDiff returns the path of the first difference between w and g, two
// values of the same type, unexported fields included, or "".
func firstDiff(path string, w, g reflect.Value) string {
	if w.IsValid() != g.IsValid() {
		return fmt.Sprintf("%s: %v, want %v", path, g, w)
	}
	if !w.IsValid() {
		return ""
	}
	switch w.Kind() {
	case reflect.Pointer, reflect.Interface:
		if w.IsNil() || g.IsNil() {
			if w.IsNil() != g.IsNil() {
				return fmt.Sprintf("%s: nil differs", path)
			}
			return ""
		}
		if w.Kind() == reflect.Interface && w.Elem().Type() != g.Elem().Type() {
			return fmt.Sprintf("%s: %s, want %s", path, g.Elem().Type(), w.Elem().Type())
		}
		return firstDiff(path, w.Elem(), g.Elem())
	case reflect.Struct:
		for i := range w.NumField() {
			if d := firstDiff(path+"."+w.Type().Field(i).Name, w.Field(i), g.Field(i)); d != "" {
				return d
			}
		}
		return ""
	case reflect.Slice, reflect.Array:
		if w.Len() != g.Len() {
			return fmt.Sprintf("%s: len %d, want %d", path, g.Len(), w.Len())
		}
		for i := range w.Len() {
			if d := firstDiff(fmt.Sprintf("%s[%d]", path, i), w.Index(i), g.Index(i)); d != "" {
				return d
			}
		}
		return ""
	case reflect.Map:
		entries := func(m reflect.Value) map[string]reflect.Value {
			out := map[string]reflect.Value{}
			for it := m.MapRange(); it.Next(); {
				out[fmt.Sprint(it.Key())] = it.Value()
			}
			return out
		}
		we, ge := entries(w), entries(g)
		if len(we) != len(ge) {
			return fmt.Sprintf("%s: %d entries, want %d", path, len(ge), len(we))
		}
		for k, v := range we {
			if d := firstDiff(fmt.Sprintf("%s[%s]", path, k), v, ge[k]); d != "" {
				return d
			}
		}
		return ""
	case reflect.Func:
		return ""
	}
	if ws, gs := fmt.Sprint(w), fmt.Sprint(g); ws != gs {
		return fmt.Sprintf("%s: %s, want %s", path, gs, ws)
	}
	return ""
}

// TestSharedDecodingSameStates feeds the whole history to the memory read
// models twice, each decoding for itself and through NewRunners: their
// states must be the same.
func TestSharedDecodingSameStates(t *testing.T) {
	events := projectiontest.History()
	own := memories(models)
	feed(t, ownRunners(own), events)
	shared := memories(models)
	feed(t, NewRunners(slog.New(slog.DiscardHandler), shared...), events)
	if d := sameStates(t, own, shared, events); d != "" {
		t.Errorf("states fed through NewRunners differ from those of read models decoding for themselves:\n%s", d)
	}
}

// vandal is a read model that changes the events it applies, as no read
// model may (projections.State.Apply).
var vandal = projections.Model{Name: "vandal", Version: 1,
	Wants: func(e projections.Event) bool { return e.Type == domain.EvVoucherPosted },
	New:   func(string) projections.State { return vandalState{} }}

type vandalState struct{}

func (vandalState) Apply(_ projections.Event, ev domain.Event) ([]projections.DocKey, error) {
	slices.Reverse(ev.(*domain.VoucherPosted).Lines)
	return nil, nil
}
func (vandalState) Doc(projections.DocKey) ([]byte, error) { return nil, nil }
func (vandalState) Load(projections.DocKey, []byte) error  { return nil }

// TestSharedDecodingSeesAMutation checks that TestSharedDecodingSameStates
// can fail: a read model that reverses a voucher's lines, fed after
// finance, changes finance's state when the decoded event is shared.
func TestSharedDecodingSeesAMutation(t *testing.T) {
	events := projectiontest.History()
	ms := append(slices.Clone(models), vandal)
	own := memories(ms)
	feed(t, ownRunners(own), events)
	shared := memories(ms)
	feed(t, NewRunners(slog.New(slog.DiscardHandler), shared...), events)
	d := sameStates(t, own, shared, events)
	if !strings.Contains(d, "finance") {
		t.Fatalf("sameStates with a read model that reverses lines = %q, want a difference in finance", d)
	}
	t.Logf("found:\n%s", d)
}

// TestSharedDecodingOnce checks that the runners of one feed decode an event
// once when any read model wants it, not at all when none does, and not
// again when it is delivered again.
func TestSharedDecodingOnce(t *testing.T) {
	events := projectiontest.History()
	runners := NewRunners(slog.New(slog.DiscardHandler), memories(models)...)
	calls := 0
	runners[0].dec.decode = func(typ string, schema int, data []byte) (domain.Event, error) {
		calls++
		return domain.DecodeEvent(typ, schema, data)
	}
	ctx := context.Background()
	for _, r := range runners {
		if _, err := r.Start(ctx, events[len(events)-1].Seq); err != nil {
			t.Fatalf("Start: %v", err)
		}
	}
	wanted, unwanted := 0, 0
	for _, e := range events {
		want := 0
		if slices.ContainsFunc(models, func(m projections.Model) bool { return projections.Wanted(m, e) }) {
			want = 1
			wanted++
		} else {
			unwanted++
		}
		before := calls
		for _, r := range runners {
			if err := r.Handle(ctx, stored(e)); err != nil {
				t.Fatalf("Handle(%d): %v", e.Seq, err)
			}
		}
		if got := calls - before; got != want {
			t.Errorf("event %d (%s, rejected %q): %d decodes, want %d", e.Seq, e.Type, e.Rejected, got, want)
		}
	}
	if unwanted == 0 || wanted == 0 {
		t.Fatalf("history has %d wanted and %d unwanted events, want some of each", wanted, unwanted)
	}
	before := calls
	for _, e := range events {
		for _, r := range runners {
			if err := r.Handle(ctx, stored(e)); err != nil {
				t.Fatalf("Handle(%d) again: %v", e.Seq, err)
			}
		}
	}
	if calls != before {
		t.Errorf("delivered again: %d decodes, want 0", calls-before)
	}
}

// BenchmarkRunners feeds the history to the memory read models, decoding
// for each read model ("own") or once for all ("shared").
func BenchmarkRunners(b *testing.B) {
	events := projectiontest.History()
	decodes := map[string]int{}
	for _, e := range events {
		some := false
		for _, m := range models {
			if projections.Wanted(m, e) {
				decodes["own"]++
				some = true
			}
		}
		if some {
			decodes["shared"]++
		}
	}
	for _, name := range []string{"own", "shared"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				backends := memories(models)
				runners := ownRunners(backends)
				if name == "shared" {
					runners = NewRunners(slog.New(slog.DiscardHandler), backends...)
				}
				feed(b, runners, events)
			}
			b.ReportMetric(float64(decodes[name]), "decodes/op")
			b.ReportMetric(float64(len(events)), "events/op")
		})
	}
}
