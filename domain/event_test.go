package domain_test

import (
	"encoding/json"
	"testing"

	"github.com/gongkai/gongkai/domain"
)

// sampleEvents has one event of every type with every field set.
func sampleEvents() []domain.Event {
	dec := domain.Decision{Votes: votesPass, Quorate: true, Passed: true, RuleSet: "cn-national-2018", Text: "同意\n修缮"}
	return []domain.Event{
		registered,
		&domain.OfficerAppointed{PersonID: "p-wang", Name: "王芳", Role: domain.RoleSecretary},
		&domain.OfficerRemoved{PersonID: "p-wang", Role: domain.RoleSecretary, Reason: "换届"},
		&domain.RuleSetAdopted{RuleSet: majorityOfExpected()},
		&domain.MatterRegistered{Title: "修缮村道", Description: "村东\n道路", Category: "基础设施", Amount: domain.MaxFen},
		&domain.MatterProposed{Summary: "提议", Joint: true},
		&domain.MatterConsulted{Summary: "商议"},
		&domain.MatterReviewed{Decision: domain.Decision{Votes: votesFail, Quorate: true, RuleSet: "cn-national-2018"}},
		&domain.MatterResolved{Decision: dec},
		&domain.ResolutionDisclosed{Channels: []string{"公开栏", "微信群"}, Summary: "公开"},
		&domain.ImplementationReported{Summary: "已开工"},
		&domain.ResultDisclosed{Channels: []string{"公开栏"}, Summary: "已完工"},
		&domain.MatterWithdrawn{Reason: "取消"},
		&domain.MatterRevoked{ByMatter: "m2", Reason: "新决议取代"},
	}
}

func TestEventTypes(t *testing.T) {
	// The stored type strings never change.
	want := []string{
		"community.registered", "community.officer_appointed", "community.officer_removed",
		"community.rule_set_adopted", "matter.registered", "matter.proposed", "matter.consulted",
		"matter.reviewed", "matter.resolved", "matter.resolution_disclosed",
		"matter.implementation_reported", "matter.result_disclosed", "matter.withdrawn", "matter.revoked",
	}
	var got []string
	for _, e := range sampleEvents() {
		got = append(got, e.EventType())
	}
	if d := diff(want, got); d != "" {
		t.Errorf("EventType() of the sample events:%s", d)
	}
	consts := []string{
		domain.EvCommunityRegistered, domain.EvOfficerAppointed, domain.EvOfficerRemoved,
		domain.EvRuleSetAdopted, domain.EvMatterRegistered, domain.EvMatterProposed, domain.EvMatterConsulted,
		domain.EvMatterReviewed, domain.EvMatterResolved, domain.EvResolutionDisclosed,
		domain.EvImplementationReport, domain.EvResultDisclosed, domain.EvMatterWithdrawn, domain.EvMatterRevoked,
	}
	if d := diff(want, consts); d != "" {
		t.Errorf("Ev* constants:%s", d)
	}
}

func TestDecodeEventRoundTrip(t *testing.T) {
	for _, e := range sampleEvents() {
		b, err := json.Marshal(e)
		if err != nil {
			t.Errorf("json.Marshal(%T): %v", e, err)
			continue
		}
		got, err := domain.DecodeEvent(e.EventType(), domain.SchemaVersion, b)
		if err != nil {
			t.Errorf("DecodeEvent(%q, %d, %s): %v", e.EventType(), domain.SchemaVersion, b, err)
			continue
		}
		if d := diff(e, got); d != "" {
			t.Errorf("DecodeEvent(%q, %d, %s) = %s, want %s", e.EventType(), domain.SchemaVersion, b, show(got), show(e))
		}
	}
}

// TestEventWireFormat pins the stored JSON of a few events: a change here
// breaks every stored log.
func TestEventWireFormat(t *testing.T) {
	tests := []struct {
		e    domain.Event
		want string
	}{
		{&domain.MatterRegistered{Title: "修缮村道", Amount: 1230}, `{"title":"修缮村道","amount":"12.30"}`},
		{&domain.MatterProposed{}, `{}`},
		{&domain.MatterProposed{Summary: "提议", Joint: true}, `{"summary":"提议","joint":true}`},
		{&domain.MatterResolved{Decision: domain.Decision{Votes: domain.Votes{Expected: 15, Present: 12, For: 7, Against: 5}, Quorate: true, Passed: true, RuleSet: "cn-national-2018"}},
			`{"votes":{"expected":15,"present":12,"for":7,"against":5,"abstain":0},"quorate":true,"passed":true,"rule_set":"cn-national-2018"}`},
		{&domain.MatterRevoked{ByMatter: "m2", Reason: "新决议"}, `{"by_matter":"m2","reason":"新决议"}`},
		{&domain.OfficerAppointed{PersonID: "p-wang", Name: "王芳", Role: domain.RoleDirector}, `{"person_id":"p-wang","name":"王芳","role":"director"}`},
	}
	for _, tc := range tests {
		b, err := json.Marshal(tc.e)
		if string(b) != tc.want || err != nil {
			t.Errorf("json.Marshal(%T) = %s, %v; want %s, nil", tc.e, b, err, tc.want)
		}
	}
}

func TestDecodeEventErrors(t *testing.T) {
	tests := []struct {
		name, typ string
		schema    int
		data      string
	}{
		{"unknown type", "matter.approved", domain.SchemaVersion, `{}`},
		{"empty type", "", domain.SchemaVersion, `{}`},
		{"command type", domain.CmdResolveMatter, domain.SchemaVersion, `{}`},
		{"schema 0", domain.EvMatterRegistered, 0, `{"title":"修缮村道"}`},
		{"schema from the future", domain.EvMatterRegistered, domain.SchemaVersion + 1, `{"title":"修缮村道"}`},
		{"negative schema", domain.EvMatterRegistered, -1, `{"title":"修缮村道"}`},
		{"malformed data", domain.EvMatterRegistered, domain.SchemaVersion, `{"title":`},
		{"wrong type", domain.EvMatterProposed, domain.SchemaVersion, `{"joint":"yes"}`},
		{"amount a number", domain.EvMatterRegistered, domain.SchemaVersion, `{"title":"修缮村道","amount":12.3}`},
		{"amount malformed", domain.EvMatterRegistered, domain.SchemaVersion, `{"title":"修缮村道","amount":"1.234"}`},
		{"bad date in rule set", domain.EvRuleSetAdopted, domain.SchemaVersion, `{"rule_set":{"effective_from":"2025-02-29"}}`},
	}
	for _, tc := range tests {
		got, err := domain.DecodeEvent(tc.typ, tc.schema, []byte(tc.data))
		if err == nil || got != nil {
			t.Errorf("%s: DecodeEvent(%q, %d, %s) = %s, %v; want nil and an error", tc.name, tc.typ, tc.schema, tc.data, show(got), err)
		}
	}
}
