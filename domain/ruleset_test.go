package domain_test

import (
	"strings"
	"testing"

	"github.com/gongkai/gongkai/domain"
)

func TestDefaultRuleSet(t *testing.T) {
	rs := domain.DefaultRuleSet()
	want := domain.VoteRule{Quorum: domain.Fraction{Num: 2, Den: 3}, Majority: domain.Fraction{Num: 1, Den: 2}, MajorityOf: "present"}
	for _, b := range []domain.Body{domain.BodyPartyMembers, domain.BodyRepresentatives} {
		if d := diff(want, rs.Votes[b]); d != "" {
			t.Errorf("DefaultRuleSet().Votes[%q]:%s", b, d)
		}
	}
	if len(rs.Votes) != 2 {
		t.Errorf("DefaultRuleSet() has %d bodies, want 2", len(rs.Votes))
	}
	if rs.SpendingThreshold != 10_000_00 {
		t.Errorf("DefaultRuleSet().SpendingThreshold = %v, want 10000.00", rs.SpendingThreshold)
	}
	// Each call returns its own map.
	rs.Votes[domain.BodyRepresentatives] = domain.VoteRule{}
	if d := diff(want, domain.DefaultRuleSet().Votes[domain.BodyRepresentatives]); d != "" {
		t.Errorf("DefaultRuleSet shares its Votes map between calls:%s", d)
	}
	// The default is itself a valid rule set.
	data := `{"rule_set":` + show(domain.DefaultRuleSet()) + `}`
	if _, err := domain.DecodeCommand(domain.CmdAdoptRuleSet, []byte(data)); err != nil {
		t.Errorf("DecodeCommand(adopt DefaultRuleSet()): %v", err)
	}
}

func TestVoteRuleOutcome(t *testing.T) {
	def := domain.DefaultRuleSet()
	ofExpected := majorityOfExpected().Votes[domain.BodyRepresentatives]
	tests := []struct {
		name          string
		rule          domain.VoteRule
		votes         domain.Votes
		quorate, pass bool
	}{
		// Quorum: at least 2/3 of those expected.
		{"exactly 2/3 present", def.Votes[domain.BodyRepresentatives], domain.Votes{Expected: 15, Present: 10, For: 10}, true, true},
		{"one short of 2/3", def.Votes[domain.BodyRepresentatives], domain.Votes{Expected: 15, Present: 9, For: 9}, false, false},
		{"2 of 3", def.Votes[domain.BodyRepresentatives], domain.Votes{Expected: 3, Present: 2, For: 2}, true, true},
		{"1 of 3", def.Votes[domain.BodyRepresentatives], domain.Votes{Expected: 3, Present: 1, For: 1}, false, false},
		{"2/3 not whole: 11 of 16", def.Votes[domain.BodyRepresentatives], domain.Votes{Expected: 16, Present: 11, For: 11}, true, true},
		{"2/3 not whole: 10 of 16", def.Votes[domain.BodyRepresentatives], domain.Votes{Expected: 16, Present: 10, For: 10}, false, false},
		{"all present", def.Votes[domain.BodyRepresentatives], domain.Votes{Expected: 15, Present: 15, For: 8}, true, true},
		{"nobody present", def.Votes[domain.BodyRepresentatives], domain.Votes{Expected: 15}, false, false},

		// Majority: strictly more than half of those present.
		{"exactly half for", def.Votes[domain.BodyRepresentatives], domain.Votes{Expected: 15, Present: 12, For: 6, Against: 6}, true, false},
		{"one more than half", def.Votes[domain.BodyRepresentatives], domain.Votes{Expected: 15, Present: 12, For: 7, Against: 5}, true, true},
		{"half of an odd number rounded up", def.Votes[domain.BodyRepresentatives], domain.Votes{Expected: 15, Present: 11, For: 6}, true, true},
		{"half of an odd number rounded down", def.Votes[domain.BodyRepresentatives], domain.Votes{Expected: 15, Present: 11, For: 5}, true, false},
		{"abstentions count as not for", def.Votes[domain.BodyRepresentatives], domain.Votes{Expected: 15, Present: 12, For: 6, Abstain: 6}, true, false},
		{"nobody for", def.Votes[domain.BodyRepresentatives], domain.Votes{Expected: 15, Present: 15, Against: 15}, true, false},
		{"party members' meeting follows the same rule", def.Votes[domain.BodyPartyMembers], domain.Votes{Expected: 30, Present: 20, For: 11}, true, true},
		{"party members' meeting, exactly half", def.Votes[domain.BodyPartyMembers], domain.Votes{Expected: 30, Present: 20, For: 10}, true, false},

		// Not quorate never passes, however many are for.
		{"unanimous but not quorate", def.Votes[domain.BodyRepresentatives], domain.Votes{Expected: 100, Present: 66, For: 66}, false, false},
		{"unanimous and just quorate", def.Votes[domain.BodyRepresentatives], domain.Votes{Expected: 99, Present: 66, For: 66}, true, true},

		// Majority of those expected.
		{"of expected: 7 of 15 not enough", ofExpected, domain.Votes{Expected: 15, Present: 12, For: 7}, true, false},
		{"of expected: 8 of 15 passes", ofExpected, domain.Votes{Expected: 15, Present: 10, For: 8}, true, true},
		{"of expected: not quorate", ofExpected, domain.Votes{Expected: 15, Present: 9, For: 9}, false, false},

		// Large numbers must not wrap around.
		{"huge assembly, one present", def.Votes[domain.BodyRepresentatives], domain.Votes{Expected: 1 << 62, Present: 1, For: 1}, false, false},
		{"huge assembly, all present", def.Votes[domain.BodyRepresentatives], domain.Votes{Expected: 1 << 62, Present: 1 << 62, For: 1<<61 + 1}, true, true},
	}
	for _, tc := range tests {
		q, p := tc.rule.Outcome(tc.votes)
		if q != tc.quorate || p != tc.pass {
			t.Errorf("%s: %+v.Outcome(%+v) = %v, %v; want %v, %v", tc.name, tc.rule, tc.votes, q, p, tc.quorate, tc.pass)
		}
	}
}

// TestVotesValidation checks vote tallies through the commands that carry
// them, where the client sees the field paths.
func TestVotesValidation(t *testing.T) {
	tests := []struct {
		name    string
		votes   string
		wantErr string
	}{
		{"valid", votesPassJSON, ""},
		{"all present, all for", `{"expected":15,"present":15,"for":15}`, ""},
		{"nobody present", `{"expected":15,"present":0}`, ""},
		{"present equals expected", `{"expected":1,"present":1,"for":1}`, ""},
		{"for+against+abstain equals present", `{"expected":15,"present":12,"for":4,"against":4,"abstain":4}`, ""},

		{"present over expected", `{"expected":15,"present":16,"for":10}`, "invalid data.votes.present"},
		{"for+against+abstain over present", `{"expected":15,"present":12,"for":10,"against":2,"abstain":1}`, "invalid data.votes.for"},
		{"for alone over present", `{"expected":15,"present":12,"for":13}`, "invalid data.votes.for"},
		{"negative present", `{"expected":15,"present":-1}`, "invalid data.votes"},
		{"negative for", `{"expected":15,"present":12,"for":-1}`, "invalid data.votes"},
		{"negative against", `{"expected":15,"present":12,"for":10,"against":-1}`, "invalid data.votes"},
		{"negative abstain", `{"expected":15,"present":12,"for":10,"abstain":-2}`, "invalid data.votes"},
		{"expected 0", `{"expected":0,"present":0}`, "invalid data.votes.expected"},
		{"expected missing", `{"present":0}`, "invalid data.votes.expected"},
		{"votes missing", ``, "invalid data.votes.expected"},
		{"expected negative", `{"expected":-3,"present":0}`, "invalid data.votes.expected data.votes.present"},
		{"expected 0 and present 5", `{"expected":0,"present":5,"for":5}`, "invalid data.votes.expected data.votes.present"},
		{"present over expected and too many votes", `{"expected":5,"present":6,"for":7}`, "invalid data.votes.present data.votes.for"},
		{"present a string", `{"expected":15,"present":"12"}`, "invalid data.votes.present"},
		{"for a fraction", `{"expected":15,"present":12,"for":7.5}`, "invalid data.votes.for"},
		// Counts so large that for+against+abstain wraps around to a
		// negative number must still be refused.
		{"for+against overflows", `{"expected":15,"present":12,"for":2305843009213693952,"against":6917529027641081856}`, "invalid data.votes.for"},
		{"for+against+abstain overflows", `{"expected":15,"present":12,"for":9223372036854775807,"against":9223372036854775807,"abstain":2}`, "invalid data.votes.for"},
	}
	for _, typ := range []string{domain.CmdReviewMatter, domain.CmdResolveMatter} {
		for _, tc := range tests {
			data := `{"votes":` + tc.votes + `}`
			if tc.votes == "" {
				data = `{}`
			}
			_, err := domain.DecodeCommand(typ, []byte(data))
			if got := errSummary(err); got != tc.wantErr {
				t.Errorf("%s: DecodeCommand(%q, %s) error = %q, want %q", tc.name, typ, data, got, tc.wantErr)
			}
			checkErrorTexts(t, err)
		}
	}
}

func TestRuleSetValidation(t *testing.T) {
	valid := `"id":"zj-2024","jurisdiction":"CN-ZJ","effective_from":"2024-01-01","spending_threshold":"5000.00"`
	rule := `{"quorum":{"num":2,"den":3},"majority":{"num":1,"den":2},"majority_of":"present"}`
	votes := func(pm, ra string) string {
		return `"votes":{"party_members_meeting":` + pm + `,"representative_assembly":` + ra + `}`
	}
	tests := []struct {
		name, ruleSet, wantErr string
	}{
		{"valid", valid + "," + votes(rule, rule), ""},
		{"majority of expected", valid + "," + votes(rule, `{"quorum":{"num":1,"den":2},"majority":{"num":1,"den":2},"majority_of":"expected"}`), ""},
		{"fractions 0 and 1", valid + "," + votes(rule, `{"quorum":{"num":0,"den":1},"majority":{"num":1,"den":1},"majority_of":"present"}`), ""},
		{"zero threshold", `"id":"x","effective_from":"2024-01-01","spending_threshold":"0"` + "," + votes(rule, rule), ""},

		{"id missing", `"effective_from":"2024-01-01"` + "," + votes(rule, rule), "invalid data.rule_set.id"},
		{"id too long", `"id":"` + strings.Repeat("a", 65) + `","effective_from":"2024-01-01"` + "," + votes(rule, rule), "invalid data.rule_set.id"},
		{"effective_from missing", `"id":"x"` + "," + votes(rule, rule), "invalid data.rule_set.effective_from"},
		{"negative threshold", `"id":"x","effective_from":"2024-01-01","spending_threshold":"-1.00"` + "," + votes(rule, rule), "invalid data.rule_set.spending_threshold"},
		{"votes missing", valid, "invalid data.rule_set.votes.party_members_meeting data.rule_set.votes.representative_assembly"},
		{"one body missing", valid + `,"votes":{"party_members_meeting":` + rule + `}`, "invalid data.rule_set.votes.representative_assembly"},
		{"unknown body", valid + `,"votes":{"party_members_meeting":` + rule + `,"representative_assembly":` + rule + `,"township":` + rule + `}`, "invalid data.rule_set.votes.township"},
		{"quorum den 0", valid + "," + votes(rule, `{"quorum":{"num":0,"den":0},"majority":{"num":1,"den":2},"majority_of":"present"}`), "invalid data.rule_set.votes.representative_assembly.quorum"},
		{"quorum over 1", valid + "," + votes(`{"quorum":{"num":4,"den":3},"majority":{"num":1,"den":2},"majority_of":"present"}`, rule), "invalid data.rule_set.votes.party_members_meeting.quorum"},
		{"majority negative", valid + "," + votes(rule, `{"quorum":{"num":2,"den":3},"majority":{"num":-1,"den":2},"majority_of":"present"}`), "invalid data.rule_set.votes.representative_assembly.majority"},
		{"majority_of unknown", valid + "," + votes(rule, `{"quorum":{"num":2,"den":3},"majority":{"num":1,"den":2},"majority_of":"all"}`), "invalid data.rule_set.votes.representative_assembly.majority_of"},
	}
	for _, tc := range tests {
		data := `{"rule_set":{` + tc.ruleSet + `}}`
		_, err := domain.DecodeCommand(domain.CmdAdoptRuleSet, []byte(data))
		if got := errSummary(err); got != tc.wantErr {
			t.Errorf("%s: DecodeCommand(%q, %s) error = %q, want %q", tc.name, domain.CmdAdoptRuleSet, data, got, tc.wantErr)
		}
		checkErrorTexts(t, err)
	}
}
