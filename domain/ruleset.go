package domain

import "math/big"

// Body is a meeting body that votes on a matter.
type Body string

const (
	// BodyPartyMembers is the party members' meeting (党员大会).
	BodyPartyMembers Body = "party_members_meeting"
	// BodyRepresentatives is the member-representative assembly
	// (社区成员代表会议 / 村民代表会议).
	BodyRepresentatives Body = "representative_assembly"
)

// Fraction is a ratio Num/Den, kept as integers so that no vote is decided by
// floating point.
type Fraction struct {
	Num int `json:"num"`
	Den int `json:"den"`
}

// VoteRule says when a body's vote is valid and when it passes.
//
// The meeting is quorate when present/expected >= Quorum. The vote passes when
// it is quorate and in favour / base > Majority, where base is the number
// present (MajorityOf "present") or expected (MajorityOf "expected").
type VoteRule struct {
	Quorum     Fraction `json:"quorum"`
	Majority   Fraction `json:"majority"`
	MajorityOf string   `json:"majority_of"`
}

// RuleSet holds the rules that differ by place and year, as data.
type RuleSet struct {
	ID            string            `json:"id"`
	Jurisdiction  string            `json:"jurisdiction"`
	EffectiveFrom Date              `json:"effective_from"`
	Votes         map[Body]VoteRule `json:"votes"`
	// SpendingThreshold is the amount above which spending must reference a
	// passed resolution.
	SpendingThreshold Fen `json:"spending_threshold"`
	// BankOverdraft allows a bank account of the books to go below zero
	// (an overdraft agreed with the bank); cash never may.
	BankOverdraft bool `json:"bank_overdraft,omitempty"`
}

// DefaultRuleSet follows national law (村民委员会组织法 §26): a
// representative meeting needs at least 2/3 of its members present and a
// resolution needs more than half of those present; the party members'
// meeting likewise.
func DefaultRuleSet() RuleSet {
	r := VoteRule{Quorum: Fraction{2, 3}, Majority: Fraction{1, 2}, MajorityOf: "present"}
	return RuleSet{
		ID:                "cn-national-2018",
		Jurisdiction:      "CN",
		EffectiveFrom:     Date{2018, 12, 29},
		Votes:             map[Body]VoteRule{BodyPartyMembers: r, BodyRepresentatives: r},
		SpendingThreshold: 10_000 * 100,
	}
}

// Votes is the tally of one meeting.
type Votes struct {
	Expected int `json:"expected"`
	Present  int `json:"present"`
	For      int `json:"for"`
	Against  int `json:"against"`
	Abstain  int `json:"abstain"`
}

func (v Votes) validate(fe *fieldErrors, path string) {
	if v.Expected <= 0 {
		fe.add(path+".expected", "must be at least 1", "应到人数至少为1")
	}
	if v.Present < 0 || v.For < 0 || v.Against < 0 || v.Abstain < 0 {
		fe.add(path, "counts must not be negative", "人数不能为负数")
		return
	}
	if v.Present > v.Expected {
		fe.add(path+".present", "present must not exceed expected", "实到人数不能超过应到人数")
	}
	// Compared term by term: the sum of large counts could wrap around.
	if v.For > v.Present || v.Against > v.Present-v.For || v.Abstain > v.Present-v.For-v.Against {
		fe.add(path+".for", "for + against + abstain must not exceed present", "赞成、反对、弃权人数之和不能超过实到人数")
	}
}

// Outcome applies the rule to a tally.
func (r VoteRule) Outcome(v Votes) (quorate, passed bool) {
	quorate = cmpProducts(v.Present, r.Quorum.Den, v.Expected, r.Quorum.Num) >= 0
	base := v.Present
	if r.MajorityOf == "expected" {
		base = v.Expected
	}
	passed = quorate && cmpProducts(v.For, r.Majority.Den, base, r.Majority.Num) > 0
	return quorate, passed
}

// cmpProducts compares a*b with c*d exactly, returning -1, 0 or +1: the
// product of a large count and a fraction's term could overflow an int.
func cmpProducts(a, b, c, d int) int {
	var x, y big.Int
	x.Mul(big.NewInt(int64(a)), big.NewInt(int64(b)))
	y.Mul(big.NewInt(int64(c)), big.NewInt(int64(d)))
	return x.Cmp(&y)
}

func (rs RuleSet) validate(fe *fieldErrors, path string) {
	if !ValidAggregateID(rs.ID) {
		fe.add(path+".id", "required: 1 to 64 letters, digits, - and _", "必填：1至64个字母、数字、- 或 _")
	}
	checkText(fe, path+".jurisdiction", rs.Jurisdiction, 0, 100, false)
	if rs.EffectiveFrom.IsZero() {
		fe.add(path+".effective_from", "required", "必填")
	}
	if rs.SpendingThreshold < 0 {
		fe.add(path+".spending_threshold", "must not be negative", "不能为负数")
	}
	for _, b := range []Body{BodyPartyMembers, BodyRepresentatives} {
		r, ok := rs.Votes[b]
		p := path + ".votes." + string(b)
		if !ok {
			fe.add(p, "required", "必填")
			continue
		}
		for name, f := range map[string]Fraction{"quorum": r.Quorum, "majority": r.Majority} {
			if f.Den <= 0 || f.Num < 0 || f.Num > f.Den {
				fe.add(p+"."+name, "must be a fraction between 0 and 1", "必须是0到1之间的分数")
			}
		}
		if r.MajorityOf != "present" && r.MajorityOf != "expected" {
			fe.add(p+".majority_of", `must be "present" or "expected"`, `必须为"present"或"expected"`)
		}
	}
	for b := range rs.Votes {
		if b != BodyPartyMembers && b != BodyRepresentatives {
			fe.add(path+".votes."+string(b), "unknown body", "未知的会议机构")
		}
	}
}
