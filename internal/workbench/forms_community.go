package workbench

import (
	"sort"
	"strconv"
	"strings"

	"github.com/gongkai/gongkai/domain"
)

// The data of community commands (docs/api.md §7.1–7.4).
type (
	registerCommunityData struct {
		Name   string `json:"name"`
		Kind   string `json:"kind"`
		Town   string `json:"town"`
		County string `json:"county"`
	}
	appointData struct {
		PersonID string      `json:"person_id"`
		Name     string      `json:"name"`
		Role     domain.Role `json:"role"`
	}
	removeData struct {
		PersonID string      `json:"person_id"`
		Role     domain.Role `json:"role"`
		Reason   string      `json:"reason,omitempty"`
	}
	ruleSetData struct {
		RuleSet domain.RuleSet `json:"rule_set"`
	}
)

var roleNames = []struct {
	role domain.Role
	name txt
}{
	{domain.RoleSecretary, txt{"党组织书记", "secretary"}},
	{domain.RoleDirector, txt{"居（村）委会主任", "director"}},
	{domain.RoleClerk, txt{"文书", "clerk"}},
	{domain.RoleAccountant, txt{"会计", "accountant"}},
	{domain.RoleCashier, txt{"出纳", "cashier"}},
	{domain.RoleSupervisor, txt{"村（居）务监督委员会成员", "member of the supervision committee"}},
	{domain.RoleFinanceTeam, txt{"民主理财小组成员", "member of the democratic finance group"}},
}

func roleText(lang string, r domain.Role) string {
	for _, n := range roleNames {
		if n.role == r {
			return n.name.in(lang)
		}
	}
	return string(r)
}

var bodies = []struct {
	body domain.Body
	name txt
}{
	{domain.BodyPartyMembers, txt{"党员大会", "Party members' meeting"}},
	{domain.BodyRepresentatives, txt{"代表会议", "Representative assembly"}},
}

func communityForm(f *formDef) *formDef {
	f.group, f.aggType = groupCommunity, domain.AggregateCommunity
	f.target = func(fc *formCtx, _ values) string { return fc.desk.id }
	return f
}

// officers returns a community's officers, by name.
func officers(c *domain.Community) []*domain.Officer {
	if c == nil {
		return nil
	}
	var out []*domain.Officer
	for _, o := range c.Officers {
		out = append(out, o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PersonID < out[j].PersonID })
	return out
}

func communityForms() []*formDef {
	return []*formDef{
		{
			name: "new-community", typ: domain.CmdRegisterCommunity, group: groupCommunity,
			title:     txt{"登记社区/村", "Register a community"},
			intro:     txt{"登记后即可在此社区记录事项、预算和账簿。", "Once registered, its matters, budgets and books can be recorded."},
			dateLabel: txt{"登记日期", "Date registered"},
			aggType:   domain.AggregateCommunity, aggField: "community", creates: true,
			target: func(_ *formCtx, v values) string { return strings.TrimSpace(v["community"]) },
			prefill: func(fc *formCtx, v values) {
				v["kind"] = "社区"
				v["effective_date"] = fc.today().String()
			},
			fields: func(fc *formCtx, v values) []field {
				return []field{
					{Name: "community", Label: txt{"社区编号", "Community id"}, Kind: kText, Required: true,
						Help: txt{"网址中使用的编号：小写字母、数字和 -，如 wenhualu；登记后不能更改。", "Used in addresses: lower-case letters, digits and -, such as wenhualu; it cannot change later."}},
					{Name: "name", Label: txt{"名称", "Name"}, Kind: kText, Required: true},
					{Name: "kind", Label: txt{"类型", "Kind"}, Kind: kSelect, Required: true,
						Options: []option{{Value: "社区", Label: txt{"社区", "社区 (urban community)"}}, {Value: "村", Label: txt{"村", "村 (village)"}}}},
					{Name: "town", Label: txt{"所属乡镇/街道", "Town"}, Kind: kText, Required: true},
					{Name: "county", Label: txt{"所属县（市、区）", "County"}, Kind: kText, Required: true},
				}
			},
			build: func(fc *formCtx, p *parser) any {
				id := p.str("community") // shown on the confirmation: it cannot change later
				if id != "" && !domain.ValidCommunityID(id) {
					p.fail("community", txt{"只能用小写字母、数字和 -，最多64个字符", "lower-case letters, digits and - only, at most 64"})
				}
				return registerCommunityData{Name: p.str("name"), Kind: p.str("kind"), Town: p.str("town"), County: p.str("county")}
			},
		},
		communityForm(&formDef{
			name: "officer-appoint", typ: domain.CmdAppointOfficer,
			title:     txt{"任命职务", "Appoint an officer"},
			dateLabel: txt{"任职日期", "Date appointed"},
			prefill: func(fc *formCtx, v values) {
				if v["person_id"] == "" {
					id := strings.ReplaceAll(fc.w.d.NewID(), "-", "")
					v["person_id"] = "p-" + id[max(0, len(id)-8):]
				}
			},
			fields: func(fc *formCtx, v values) []field {
				var roles []option
				for _, r := range roleNames {
					roles = append(roles, option{Value: string(r.role), Label: r.name})
				}
				return []field{
					{Name: "name", Label: txt{"姓名", "Name"}, Kind: kText, Required: true},
					{Name: "role", Label: txt{"职务", "Post"}, Kind: kSelect, Required: true, Options: roles},
					{Name: "person_id", Label: txt{"人员编号", "Person id"}, Kind: kText, Required: true,
						Help: txt{"同一人兼任多个职务时用同一编号。", "Use the same id for one person holding several posts."}},
				}
			},
			build: func(fc *formCtx, p *parser) any {
				return appointData{PersonID: p.str("person_id"), Name: p.str("name"), Role: domain.Role(p.str("role"))}
			},
		}),
		communityForm(&formDef{
			name: "officer-remove", typ: domain.CmdRemoveOfficer,
			title:     txt{"免去职务", "Remove an officer from a post"},
			dateLabel: txt{"免职日期", "Date removed"},
			params:    []string{"post"},
			alias:     map[string]string{"person_id": "post", "role": "post"},
			fields: func(fc *formCtx, v values) []field {
				posts := []option{{Value: "", Label: txt{"（请选择）", "(choose)"}}}
				for _, o := range officers(fc.desk.comm) {
					for _, r := range o.Roles {
						posts = append(posts, option{Value: o.PersonID + "|" + string(r),
							Label: txt{o.Name + " — " + roleText("zh", r), o.Name + " — " + roleText("en", r)}})
					}
				}
				return []field{{Name: "post", Label: txt{"人员和职务", "Person and post"}, Kind: kSelect, Required: true, Options: posts},
					{Name: "reason", Label: txt{"原因", "Reason"}, Kind: kTextarea}}
			},
			build: func(fc *formCtx, p *parser) any {
				person, role, _ := strings.Cut(p.str("post"), "|")
				return removeData{PersonID: person, Role: domain.Role(role), Reason: p.str("reason")}
			},
		}),
		communityForm(&formDef{
			name: "rule-set", typ: domain.CmdAdoptRuleSet,
			title: txt{"采用规则集", "Adopt a rule set"},
			intro: txt{"法定人数、表决通过比例和须经决议的支出限额。自生效日起的表决按此规则认定；已记录的表决不变。",
				"Quorum, majority and the spending threshold. Votes dated from its effective date on are decided by it; recorded votes do not change."},
			dateLabel: txt{"采用日期", "Date adopted"},
			prefill: func(fc *formCtx, v values) {
				rs := domain.DefaultRuleSet()
				if fc.desk.comm != nil {
					rs = fc.desk.comm.RuleSetAt(fc.today())
				}
				v["rule_set.jurisdiction"] = rs.Jurisdiction
				v["rule_set.spending_threshold"] = grouped(rs.SpendingThreshold)
				if rs.BankOverdraft {
					v["rule_set.bank_overdraft"] = "1"
				}
				for _, b := range bodies {
					r := rs.Votes[b.body]
					p := "rule_set.votes." + string(b.body) + "."
					v[p+"quorum.num"], v[p+"quorum.den"] = strconv.Itoa(r.Quorum.Num), strconv.Itoa(r.Quorum.Den)
					v[p+"majority.num"], v[p+"majority.den"] = strconv.Itoa(r.Majority.Num), strconv.Itoa(r.Majority.Den)
					v[p+"majority_of"] = r.MajorityOf
				}
			},
			fields: func(fc *formCtx, v values) []field {
				fs := []field{
					{Name: "rule_set.id", Label: txt{"规则集编号", "Rule set id"}, Kind: kText, Required: true, Help: txt{"如 xj-altay-2026", "e.g. xj-altay-2026"}},
					{Name: "rule_set.jurisdiction", Label: txt{"适用地区", "Jurisdiction"}, Kind: kText},
					{Name: "rule_set.effective_from", Label: txt{"生效日期", "Effective from"}, Kind: kDate, Required: true},
					{Name: "rule_set.spending_threshold", Label: txt{"须经决议的支出限额（元）", "Spending threshold (yuan)"}, Kind: kAmount, Required: true,
						Help: txt{"单笔支出超过此数须引用表决通过的事项。", "A payment above it must cite a passed matter."}},
					{Name: "rule_set.bank_overdraft", Label: txt{"允许银行存款透支（已与银行签订透支协议）；库存现金任何时候不能为负", "Allow the bank accounts to be overdrawn (an overdraft agreed with the bank); cash on hand never may"}, Kind: kCheckbox},
				}
				for _, b := range bodies {
					p := "rule_set.votes." + string(b.body) + "."
					n := b.name
					fs = append(fs,
						field{Name: p + "quorum.num", Label: txt{n.ZH + "：法定人数（分子）", n.EN + ": quorum, numerator"}, Kind: kNumber, Required: true},
						field{Name: p + "quorum.den", Label: txt{n.ZH + "：法定人数（分母）", n.EN + ": quorum, denominator"}, Kind: kNumber, Required: true,
							Help: txt{"实到人数不少于应到人数的 分子/分母，如 2/3。", "present/expected at least numerator/denominator, e.g. 2/3."}},
						field{Name: p + "majority.num", Label: txt{n.ZH + "：通过比例（分子）", n.EN + ": majority, numerator"}, Kind: kNumber, Required: true},
						field{Name: p + "majority.den", Label: txt{n.ZH + "：通过比例（分母）", n.EN + ": majority, denominator"}, Kind: kNumber, Required: true,
							Help: txt{"赞成人数须超过基数的 分子/分母，如 1/2。", "for must exceed the base times numerator/denominator, e.g. 1/2."}},
						field{Name: p + "majority_of", Label: txt{n.ZH + "：通过比例的基数", n.EN + ": majority of"}, Kind: kSelect, Required: true,
							Options: []option{{Value: "present", Label: txt{"实到人数", "present"}}, {Value: "expected", Label: txt{"应到人数", "expected"}}}},
					)
				}
				return fs
			},
			build: func(fc *formCtx, p *parser) any {
				rs := domain.RuleSet{ID: p.str("rule_set.id"), Jurisdiction: p.str("rule_set.jurisdiction"), Votes: map[domain.Body]domain.VoteRule{}}
				rs.EffectiveFrom, _ = p.date("rule_set.effective_from", true)
				rs.SpendingThreshold, _ = p.amount("rule_set.spending_threshold", true)
				rs.BankOverdraft = p.raw("rule_set.bank_overdraft") != ""
				for _, b := range bodies {
					pre := "rule_set.votes." + string(b.body) + "."
					num := func(k string) int { n, _ := p.number(pre+k, true); return n }
					rs.Votes[b.body] = domain.VoteRule{
						Quorum:     domain.Fraction{Num: num("quorum.num"), Den: num("quorum.den")},
						Majority:   domain.Fraction{Num: num("majority.num"), Den: num("majority.den")},
						MajorityOf: p.str(pre + "majority_of"),
					}
				}
				return ruleSetData{RuleSet: rs}
			},
		}),
	}
}

// allForms returns the form of every command the workbench records.
func allForms() []*formDef {
	var out []*formDef
	for _, fs := range [][]*formDef{communityForms(), matterForms(), budgetForms(), booksForms(), disclosureForms()} {
		out = append(out, fs...)
	}
	return out
}
