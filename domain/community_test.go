package domain_test

import (
	"testing"

	"github.com/gongkai/gongkai/domain"
)

func TestCommunityDecide(t *testing.T) {
	comm := []domain.Event{registered, secretaryWang, directorLi}
	registerData := `{"name":"东风社区","kind":"社区","town":"城关镇","county":"青山县"}`
	rs := majorityOfExpected()

	tests := []decideCase{
		// Registration.
		{name: "register",
			typ: domain.CmdRegisterCommunity, data: registerData,
			want: []domain.Event{registered}},
		{name: "register a village",
			typ: domain.CmdRegisterCommunity, data: `{"name":"李家村","kind":"村","town":"河口乡","county":"青山县"}`,
			want: []domain.Event{&domain.CommunityRegistered{Name: "李家村", Kind: "村", Town: "河口乡", County: "青山县"}}},
		{name: "register under another aggregate id", aggregate: "xifeng",
			typ: domain.CmdRegisterCommunity, data: registerData,
			wantErr: "rule community_id_mismatch"},
		{name: "register twice", community: []domain.Event{registered},
			typ: domain.CmdRegisterCommunity, data: registerData,
			wantErr: "rule already_registered"},

		// Officers.
		{name: "appoint", community: []domain.Event{registered},
			typ: domain.CmdAppointOfficer, data: `{"person_id":"p-wang","name":"王芳","role":"secretary"}`,
			want: []domain.Event{secretaryWang}},
		{name: "appoint a second post", community: comm,
			typ: domain.CmdAppointOfficer, data: `{"person_id":"p-wang","name":"王芳","role":"director"}`,
			want: []domain.Event{directorWang}},
		{name: "appoint to a post already held", community: comm,
			typ: domain.CmdAppointOfficer, data: `{"person_id":"p-wang","name":"王芳","role":"secretary"}`,
			wantErr: "rule already_appointed"},
		{name: "appoint a second person to a post", community: comm,
			typ: domain.CmdAppointOfficer, data: `{"person_id":"p-zhao","name":"赵敏","role":"secretary"}`,
			want: []domain.Event{&domain.OfficerAppointed{PersonID: "p-zhao", Name: "赵敏", Role: domain.RoleSecretary}}},
		{name: "appoint in an unregistered community",
			typ: domain.CmdAppointOfficer, data: `{"person_id":"p-wang","name":"王芳","role":"secretary"}`,
			wantErr: "not found community " + communityID},
		{name: "remove", community: comm,
			typ: domain.CmdRemoveOfficer, data: `{"person_id":"p-li","role":"director","reason":"换届"}`,
			want: []domain.Event{&domain.OfficerRemoved{PersonID: "p-li", Role: domain.RoleDirector, Reason: "换届"}}},
		{name: "remove from a post not held", community: comm,
			typ: domain.CmdRemoveOfficer, data: `{"person_id":"p-li","role":"secretary"}`,
			wantErr: "rule not_appointed"},
		{name: "remove a person never appointed", community: comm,
			typ: domain.CmdRemoveOfficer, data: `{"person_id":"p-zhao","role":"clerk"}`,
			wantErr: "rule not_appointed"},
		{name: "remove twice", community: append(comm[:len(comm):len(comm)], &domain.OfficerRemoved{PersonID: "p-li", Role: domain.RoleDirector}),
			typ: domain.CmdRemoveOfficer, data: `{"person_id":"p-li","role":"director"}`,
			wantErr: "rule not_appointed"},
		{name: "reappoint after removal", community: append(comm[:len(comm):len(comm)], &domain.OfficerRemoved{PersonID: "p-li", Role: domain.RoleDirector}),
			typ: domain.CmdAppointOfficer, data: `{"person_id":"p-li","name":"李强","role":"director"}`,
			want: []domain.Event{directorLi}},
		{name: "remove in an unregistered community",
			typ: domain.CmdRemoveOfficer, data: `{"person_id":"p-li","role":"director"}`,
			wantErr: "not found community " + communityID},

		// Rule sets.
		{name: "adopt a rule set", community: comm,
			typ: domain.CmdAdoptRuleSet, data: `{"rule_set":` + show(rs) + `}`,
			want: []domain.Event{&domain.RuleSetAdopted{RuleSet: rs}}},
		{name: "adopt a rule set in an unregistered community",
			typ: domain.CmdAdoptRuleSet, data: `{"rule_set":` + show(rs) + `}`,
			wantErr: "not found community " + communityID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { runDecide(t, tc) })
	}
}

func TestCommunityApply(t *testing.T) {
	c := community(t, registered, secretaryWang, directorLi, directorWang,
		&domain.OfficerAppointed{PersonID: "p-zhao", Name: "赵敏", Role: domain.RoleAccountant},
		&domain.OfficerAppointed{PersonID: "p-wang", Name: "王芳芳", Role: domain.RoleSecretary}, // renamed, same post
		&domain.OfficerRemoved{PersonID: "p-li", Role: domain.RoleDirector, Reason: "换届"},
		&domain.OfficerRemoved{PersonID: "p-nobody", Role: domain.RoleClerk},
	)
	want := &domain.Community{
		ID: communityID, Name: "东风社区", Kind: "社区", Town: "城关镇", County: "青山县",
		Officers: map[string]*domain.Officer{
			"p-wang": {PersonID: "p-wang", Name: "王芳芳", Roles: []domain.Role{domain.RoleSecretary, domain.RoleDirector}},
			"p-zhao": {PersonID: "p-zhao", Name: "赵敏", Roles: []domain.Role{domain.RoleAccountant}},
		},
	}
	if d := diff(want, c); d != "" {
		t.Errorf("Apply(...):%s", d)
	}

	if d := diff(domain.DefaultRuleSet(), c.RuleSetAt(domain.Date{Year: 2025, Month: 1, Day: 1})); d != "" {
		t.Errorf("RuleSetAt before any adoption:%s", d)
	}
	c.Apply(&domain.RuleSetAdopted{RuleSet: majorityOfExpected()})
	if d := diff(majorityOfExpected(), c.RuleSetAt(majorityOfExpected().EffectiveFrom)); d != "" {
		t.Errorf("Apply(RuleSetAdopted): RuleSetAt%s", d)
	}
}

// A vote is counted by the rule set in force on its date, not the latest.
func TestRuleSetAt(t *testing.T) {
	d := func(s string) domain.Date { v, _ := domain.ParseDate(s); return v }
	later := domain.DefaultRuleSet()
	later.ID, later.EffectiveFrom = "strict-2026", d("2026-04-01")
	later.Votes = map[domain.Body]domain.VoteRule{
		domain.BodyPartyMembers:    {Quorum: domain.Fraction{Num: 4, Den: 5}, Majority: domain.Fraction{Num: 1, Den: 2}, MajorityOf: "present"},
		domain.BodyRepresentatives: {Quorum: domain.Fraction{Num: 4, Den: 5}, Majority: domain.Fraction{Num: 1, Den: 2}, MajorityOf: "present"},
	}
	c := community(t, registered, &domain.RuleSetAdopted{RuleSet: later})
	for _, tc := range []struct {
		date, want string
	}{
		{"2025-11-10", domain.DefaultRuleSet().ID},
		{"2026-03-31", domain.DefaultRuleSet().ID},
		{"2026-04-01", "strict-2026"},
		{"2026-11-26", "strict-2026"},
	} {
		if got := c.RuleSetAt(d(tc.date)).ID; got != tc.want {
			t.Errorf("RuleSetAt(%s) = %s, want %s", tc.date, got, tc.want)
		}
	}
	// 4 of 6 present is quorate under the default rule (2/3), not under 4/5.
	votes := domain.Votes{Expected: 6, Present: 4, For: 4}
	if q, _ := c.RuleSetAt(d("2025-11-10")).Votes[domain.BodyPartyMembers].Outcome(votes); !q {
		t.Errorf("4 of 6 present in 2025: not quorate, want quorate under the default rule")
	}
	if q, _ := c.RuleSetAt(d("2026-05-01")).Votes[domain.BodyPartyMembers].Outcome(votes); q {
		t.Errorf("4 of 6 present in 2026: quorate, want not quorate under the 4/5 rule")
	}
}

func TestCommunityHolds(t *testing.T) {
	tests := []struct {
		name   string
		events []domain.Event
		want   bool
	}{
		{"no officers", []domain.Event{registered}, false},
		{"two people", []domain.Event{registered, secretaryWang, directorLi}, false},
		{"one person, both posts", []domain.Event{registered, secretaryWang, directorWang}, true},
		{"one person, both posts, another director too", []domain.Event{registered, secretaryWang, directorLi, directorWang}, true},
		{"both posts, then director removed", []domain.Event{registered, secretaryWang, directorWang,
			&domain.OfficerRemoved{PersonID: "p-wang", Role: domain.RoleDirector}}, false},
		{"secretary and clerk", []domain.Event{registered, secretaryWang,
			&domain.OfficerAppointed{PersonID: "p-wang", Name: "王芳", Role: domain.RoleClerk}}, false},
	}
	for _, tc := range tests {
		c := community(t, tc.events...)
		if got := c.Holds(domain.RoleSecretary, domain.RoleDirector); got != tc.want {
			t.Errorf("%s: Holds(secretary, director) = %v, want %v", tc.name, got, tc.want)
		}
		if got := c.Holds(domain.RoleDirector, domain.RoleSecretary); got != tc.want {
			t.Errorf("%s: Holds(director, secretary) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestCommunityClone(t *testing.T) {
	events := []domain.Event{registered, secretaryWang, directorWang, directorLi}
	orig := community(t, events...)
	c := orig.Clone()
	if d := diff(orig, c); d != "" {
		t.Fatalf("Clone() differs from the original:%s", d)
	}

	c.Name = "改"
	c.Officers["p-wang"].Name = "改"
	c.Officers["p-wang"].Roles[0] = domain.RoleCashier
	c.Officers["p-wang"].Roles = append(c.Officers["p-wang"].Roles, domain.RoleClerk)
	delete(c.Officers, "p-li")
	c.Officers["p-new"] = &domain.Officer{PersonID: "p-new"}
	c.RuleSets = append(c.RuleSets, majorityOfExpected())
	c.Apply(&domain.OfficerRemoved{PersonID: "p-wang", Role: domain.RoleDirector})

	if d := diff(community(t, events...), orig); d != "" {
		t.Errorf("changing the clone changed the original:%s", d)
	}
	if got := (*domain.Community)(nil).Clone(); got != nil {
		t.Errorf("(*Community)(nil).Clone() = %v, want nil", got)
	}
}
