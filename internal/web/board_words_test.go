package web

import (
	"testing"
	"time"

	"github.com/gongkai/gongkai/domain"
)

// voteRule says why a vote came out as it did, in the words of the rule
// set that decided it.
func TestVoteRuleWords(t *testing.T) {
	def := &domain.Community{}
	strict := domain.DefaultRuleSet()
	strict.ID, strict.EffectiveFrom = "strict-2025", domain.Date{Year: 2025, Month: 1, Day: 1}
	strict.Votes = map[domain.Body]domain.VoteRule{
		domain.BodyPartyMembers:    {Quorum: domain.Fraction{Num: 4, Den: 5}, Majority: domain.Fraction{Num: 2, Den: 3}, MajorityOf: "expected"},
		domain.BodyRepresentatives: {Quorum: domain.Fraction{Num: 4, Den: 5}, Majority: domain.Fraction{Num: 2, Den: 3}, MajorityOf: "expected"},
	}
	adopted := &domain.Community{RuleSets: []domain.RuleSet{strict}}
	day := domain.Date{Year: 2025, Month: 6, Day: 16}
	decide := func(c *domain.Community, v domain.Votes) *domain.Decision {
		rs := c.RuleSetAt(day)
		q, p := rs.Votes[domain.BodyRepresentatives].Outcome(v)
		return &domain.Decision{Votes: v, Quorate: q, Passed: p, RuleSet: rs.ID}
	}
	for _, c := range []struct {
		c    *domain.Community
		v    domain.Votes
		lang string
		want string
	}{
		{def, domain.Votes{Expected: 15, Present: 9, For: 8, Against: 1}, "zh", "表决未通过：到会人数未达到应到人数的三分之二"},
		{def, domain.Votes{Expected: 15, Present: 12, For: 5, Against: 6, Abstain: 1}, "zh", "表决未通过：赞成票未超过到会人数的一半"},
		{def, domain.Votes{Expected: 15, Present: 12, For: 11, Against: 1}, "zh", "表决通过：赞成票超过到会人数的一半"},
		{def, domain.Votes{Expected: 15, Present: 9, For: 8, Against: 1}, "en", "Failed: fewer than 2/3 of the expected members were present"},
		{adopted, domain.Votes{Expected: 15, Present: 11, For: 11}, "zh", "表决未通过：到会人数未达到应到人数的五分之四"},
		{adopted, domain.Votes{Expected: 15, Present: 12, For: 10, Against: 2}, "zh", "表决未通过：赞成票未超过应到人数的三分之二"},
		{adopted, domain.Votes{Expected: 15, Present: 13, For: 11, Against: 2}, "zh", "表决通过：赞成票超过应到人数的三分之二"},
	} {
		d := decide(c.c, c.v)
		if got := voteRule(c.lang, c.c, day, domain.BodyRepresentatives, d); got != c.want {
			t.Errorf("voteRule(%s, %+v under %s) = %q, want %q", c.lang, c.v, d.RuleSet, got, c.want)
		}
	}
}

func TestBeijingTimes(t *testing.T) {
	at := time.Date(2026, 11, 30, 15, 56, 0, 0, time.UTC)
	if got := beijing("zh", at); got != "2026年11月30日 23:56" {
		t.Errorf("beijing(zh, %v) = %q, want 2026年11月30日 23:56", at, got)
	}
	if got := cnDate("zh", domain.Date{Year: 2025, Month: 3, Day: 5}); got != "2025年3月5日" {
		t.Errorf("cnDate(2025-03-05) = %q, want 2025年3月5日", got)
	}
	for n, want := range map[int]string{1: "一", 10: "十", 12: "十二", 20: "二十", 35: "三十五", 100: "100"} {
		if got := numberZH(n); got != want {
			t.Errorf("numberZH(%d) = %q, want %q", n, got, want)
		}
	}
}
