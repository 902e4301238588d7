package domain_test

import (
	"testing"

	"github.com/gongkai/gongkai/domain"
)

// decideCase is one given-events / when-command / then-events case.
type decideCase struct {
	name string

	// Given: the community's events (none: not registered), the target
	// matter's dated events (none: no such matter), and other matters of
	// the community, found through Env.LookupMatter.
	community []domain.Event
	matter    []at
	others    map[string][]at
	noLookup  bool   // leave Env.LookupMatter nil
	aggregate string // Env.AggregateID; the community or matterID by default

	// When: a command type, its JSON data, its effective date
	// ("2025-06-01" by default) and today (the const today by default,
	// "none" for a zero Env.Today).
	typ, data string
	date      string
	today     string

	// Then: the events decided, or the errSummary of the error.
	want    []domain.Event
	wantErr string
}

// env builds the Env of a case from its given events.
func (tc decideCase) env(tb testing.TB) domain.Env {
	tb.Helper()
	date, todayS := tc.date, tc.today
	if date == "" {
		date = "2025-06-01"
	}
	if todayS == "" {
		todayS = today
	}
	var todayD domain.Date
	if todayS != "none" {
		todayD = mustDate(tb, todayS)
	}
	id := tc.aggregate
	if id == "" {
		id = matterID
		if domain.AggregateType(tc.typ) == domain.AggregateCommunity {
			id = communityID
		}
	}
	env := domain.Env{
		Today:       todayD,
		Date:        mustDate(tb, date),
		CommunityID: communityID,
		Community:   community(tb, tc.community...),
		AggregateID: id,
	}
	if domain.AggregateType(tc.typ) == domain.AggregateMatter {
		env.Matter = matter(tb, id, tc.matter...)
	}
	if !tc.noLookup {
		others := map[string]*domain.Matter{}
		for oid, h := range tc.others {
			others[oid] = matter(tb, oid, h...)
		}
		if env.Matter != nil {
			others[id] = env.Matter
		}
		env.LookupMatter = func(id string) *domain.Matter { return others[id] }
	}
	return env
}

// runDecide decodes the command, decides it in the case's Env and compares
// the events or the error. It also checks that Decide leaves the state it
// was given untouched and that every error carries its texts.
func runDecide(t *testing.T, tc decideCase) {
	t.Helper()
	cmd, err := domain.DecodeCommand(tc.typ, []byte(tc.data))
	if err != nil {
		t.Fatalf("DecodeCommand(%q, %s): %v", tc.typ, tc.data, err)
	}
	if cmd.CommandType() != tc.typ {
		t.Errorf("DecodeCommand(%q, ...).CommandType() = %q", tc.typ, cmd.CommandType())
	}
	env := tc.env(t)
	got, err := cmd.Decide(env)
	if d := diff(tc.want, got); d != "" || errSummary(err) != tc.wantErr {
		t.Errorf("Decide(%s %s) = %s, %q; want %s, %q%s",
			tc.typ, tc.data, show(got), errSummary(err), show(tc.want), tc.wantErr, d)
	}
	if err != nil && got != nil {
		t.Errorf("Decide(%s %s) returned events %s with error %v", tc.typ, tc.data, show(got), err)
	}
	checkErrorTexts(t, err)

	// Decide does no writes: the state in env is what the events built.
	fresh := tc.env(t)
	if d := diff(fresh.Community, env.Community); d != "" {
		t.Errorf("Decide(%s) changed env.Community:%s", tc.typ, d)
	}
	if d := diff(fresh.Matter, env.Matter); d != "" {
		t.Errorf("Decide(%s) changed env.Matter:%s", tc.typ, d)
	}
}
