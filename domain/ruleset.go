package domain

import (
	"fmt"
	"math/big"
	"regexp"
)

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
	// Disclosure is the catalogue of what must be disclosed and by when;
	// nil means DefaultDisclosureRules.
	Disclosure *DisclosureRules `json:"disclosure,omitempty"`
}

// DisclosureRules is the catalogue of disclosures (公开目录) and their
// deadlines, in days after what triggers them, as data. 村民委员会组织法
// §30: ordinary matters at least quarterly, finance monthly where
// transactions are many, major matters at once; the numbers of days are
// the community's rule, not the law's (docs/sources/disclosure.md).
type DisclosureRules struct {
	// FinancePeriod is "quarter" or "month"; FinanceDays the days after the
	// period's end by which its finance is published.
	FinancePeriod string `json:"finance_period"`
	FinanceDays   int    `json:"finance_days"`
	// BudgetDays: after the year's budget is adopted; ExecutionDays: after
	// the fiscal year's end, for the budget's execution.
	BudgetDays    int `json:"budget_days"`
	ExecutionDays int `json:"execution_days"`
	// ResolutionDays: after a resolution's vote, for 决议公开 (a failed
	// vote too); ResultDays: after the first implementation report, for
	// 实施结果公开.
	ResolutionDays int `json:"resolution_days"`
	ResultDays     int `json:"result_days"`
	// PostingDays is the shortest posting period (公示期).
	PostingDays int `json:"posting_days"`
	// AnswerDays is the days within which a resident's question is answered.
	AnswerDays int `json:"answer_days"`
	// Special are the items disclosed once, by a date.
	Special []SpecialDisclosure `json:"special,omitempty"`
}

// SpecialDisclosure is an item of the catalogue disclosed by a date
// (专项公开: relief funds, land contracts …).
type SpecialDisclosure struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Due   Date   `json:"due"`
}

// DefaultDisclosureRules: finance quarterly within 15 days, the budget
// within 15 days of adoption, its execution within 31 days of the year's
// end, a resolution within 5 days, a result within 15 days, posted for at
// least 7 days, questions answered within 10 days.
func DefaultDisclosureRules() DisclosureRules {
	return DisclosureRules{FinancePeriod: "quarter", FinanceDays: 15, BudgetDays: 15, ExecutionDays: 31,
		ResolutionDays: 5, ResultDays: 15, PostingDays: 7, AnswerDays: 10}
}

// DisclosureRules returns the rule set's catalogue, or the default.
func (rs RuleSet) DisclosureRules() DisclosureRules {
	if rs.Disclosure == nil {
		return DefaultDisclosureRules()
	}
	return *rs.Disclosure
}

// SpecialItem returns the catalogue's special item id.
func (dr DisclosureRules) SpecialItem(id string) (SpecialDisclosure, bool) {
	for _, s := range dr.Special {
		if s.ID == id {
			return s, true
		}
	}
	return SpecialDisclosure{}, false
}

func (dr DisclosureRules) validate(fe *fieldErrors, path string) {
	if dr.FinancePeriod != "quarter" && dr.FinancePeriod != "month" {
		fe.add(path+".finance_period", `must be "quarter" or "month"`, `必须为"quarter"（按季度）或"month"（按月）`)
	}
	for name, n := range map[string]int{"finance_days": dr.FinanceDays, "budget_days": dr.BudgetDays,
		"execution_days": dr.ExecutionDays, "resolution_days": dr.ResolutionDays, "result_days": dr.ResultDays,
		"answer_days": dr.AnswerDays} {
		if n < 0 || n > 366 {
			fe.add(path+"."+name, "0 to 366 days", "0至366天")
		}
	}
	if dr.PostingDays < 1 || dr.PostingDays > 366 {
		fe.add(path+".posting_days", "1 to 366 days", "1至366天")
	}
	if dr.AnswerDays < 1 {
		fe.add(path+".answer_days", "at least 1 day", "至少1天")
	}
	seen := map[string]bool{}
	for i, s := range dr.Special {
		p := fmt.Sprintf("%s.special[%d]", path, i)
		if !specialIDRE.MatchString(s.ID) || seen[s.ID] {
			fe.add(p+".id", "required, unique: letters, digits, - and _, at most 50", "必填且不重复：字母、数字、- 或 _，最多50个字符")
		}
		seen[s.ID] = true
		checkText(fe, p+".title", s.Title, 1, 100, false)
		if s.Due.IsZero() {
			fe.add(p+".due", "required", "必填")
		}
	}
}

var specialIDRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,50}$`)

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
	if rs.Disclosure != nil {
		rs.Disclosure.validate(fe, path+".disclosure")
	}
	for b := range rs.Votes {
		if b != BodyPartyMembers && b != BodyRepresentatives {
			fe.add(path+".votes."+string(b), "unknown body", "未知的会议机构")
		}
	}
}
