package domain

import (
	"regexp"
	"slices"
)

// Command types for a community.
const (
	CmdRegisterCommunity = "community.register"
	CmdAppointOfficer    = "community.appoint_officer"
	CmdRemoveOfficer     = "community.remove_officer"
	CmdAdoptRuleSet      = "community.adopt_rule_set"
	CmdSetContacts       = "community.set_contacts"
)

// Role is an officer's post in a community.
type Role string

// Officer roles.
const (
	RoleSecretary   Role = "secretary"    // 党组织书记
	RoleDirector    Role = "director"     // 居委会/村委会主任
	RoleClerk       Role = "clerk"        // 文书
	RoleAccountant  Role = "accountant"   // 会计
	RoleCashier     Role = "cashier"      // 出纳
	RoleSupervisor  Role = "supervisor"   // 村务监督委员会成员
	RoleFinanceTeam Role = "finance_team" // 民主理财小组成员
)

var roles = []Role{RoleSecretary, RoleDirector, RoleClerk, RoleAccountant, RoleCashier, RoleSupervisor, RoleFinanceTeam}

// Community is the state of one community (社区) or village (村).
type Community struct {
	ID     string
	Name   string
	Kind   string
	Town   string
	County string
	// RuleSets are the rule sets adopted, in order; see RuleSetAt.
	RuleSets []RuleSet
	// Officers maps a person id to the officer.
	Officers map[string]*Officer
	// SupervisionPhone is the 监督电话 printed on 公示 sheets.
	SupervisionPhone string
}

// Officer is a person holding one or more posts.
type Officer struct {
	PersonID string `json:"person_id"`
	Name     string `json:"name"`
	Roles    []Role `json:"roles"`
}

// RuleSetAt returns the rule set in force on date d: of the rule sets
// adopted, the one with the latest EffectiveFrom on or before d (the later
// adopted on a tie), or DefaultRuleSet if none applies yet.
func (c *Community) RuleSetAt(d Date) RuleSet {
	best := -1
	for i, rs := range c.RuleSets {
		if rs.EffectiveFrom.After(d) {
			continue
		}
		if best < 0 || !rs.EffectiveFrom.Before(c.RuleSets[best].EffectiveFrom) {
			best = i
		}
	}
	if best < 0 {
		return DefaultRuleSet()
	}
	return c.RuleSets[best]
}

// Holds reports whether some one person holds both roles (一肩挑 when they
// are secretary and director).
func (c *Community) Holds(a, b Role) bool {
	for _, o := range c.Officers {
		if slices.Contains(o.Roles, a) && slices.Contains(o.Roles, b) {
			return true
		}
	}
	return false
}

// Apply folds one event into the community.
func (c *Community) Apply(e Event) {
	switch e := e.(type) {
	case *CommunityRegistered:
		c.Name, c.Kind, c.Town, c.County = e.Name, e.Kind, e.Town, e.County
		c.Officers = map[string]*Officer{}
	case *OfficerAppointed:
		o := c.Officers[e.PersonID]
		if o == nil {
			o = &Officer{PersonID: e.PersonID}
			c.Officers[e.PersonID] = o
		}
		o.Name = e.Name
		if !slices.Contains(o.Roles, e.Role) {
			o.Roles = append(o.Roles, e.Role)
		}
	case *OfficerRemoved:
		if o := c.Officers[e.PersonID]; o != nil {
			o.Roles = slices.DeleteFunc(o.Roles, func(r Role) bool { return r == e.Role })
			if len(o.Roles) == 0 {
				delete(c.Officers, e.PersonID)
			}
		}
	case *RuleSetAdopted:
		c.RuleSets = append(c.RuleSets, e.RuleSet)
	case *ContactsSet:
		c.SupervisionPhone = e.SupervisionPhone
	}
}

// CommunityRegistered records a new community.
type CommunityRegistered struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Town   string `json:"town"`
	County string `json:"county"`
}

// OfficerAppointed records a person taking a post.
type OfficerAppointed struct {
	PersonID string `json:"person_id"`
	Name     string `json:"name"`
	Role     Role   `json:"role"`
}

// OfficerRemoved records a person leaving a post.
type OfficerRemoved struct {
	PersonID string `json:"person_id"`
	Role     Role   `json:"role"`
	Reason   string `json:"reason"`
}

// RuleSetAdopted records a rule set the community follows from its
// EffectiveFrom date on.
type RuleSetAdopted struct {
	RuleSet RuleSet `json:"rule_set"`
}

// ContactsSet records the community's public contacts: the 监督电话 of the
// supervision committee, printed on every 公示 sheet.
type ContactsSet struct {
	SupervisionPhone string `json:"supervision_phone"`
}

// SetContacts sets the community's public contacts.
type SetContacts struct {
	SupervisionPhone string `json:"supervision_phone"`
}

func (*ContactsSet) EventType() string   { return EvContactsSet }
func (*SetContacts) CommandType() string { return CmdSetContacts }

var phoneRE = regexp.MustCompile(`^[0-9+][0-9 ()+-]{4,29}$`)

func (c *SetContacts) Validate() error {
	var fe fieldErrors
	if !phoneRE.MatchString(c.SupervisionPhone) {
		fe.add("data.supervision_phone", "a telephone number: digits, spaces, +, - and brackets, 5 to 30", "电话号码：数字、空格、+、- 或括号，5至30位")
	}
	return fe.err()
}

func (c *SetContacts) Decide(env Env) ([]Event, error) {
	if err := communityExists(env); err != nil {
		return nil, err
	}
	return []Event{&ContactsSet{SupervisionPhone: c.SupervisionPhone}}, nil
}

func (*CommunityRegistered) EventType() string { return EvCommunityRegistered }
func (*OfficerAppointed) EventType() string    { return EvOfficerAppointed }
func (*OfficerRemoved) EventType() string      { return EvOfficerRemoved }
func (*RuleSetAdopted) EventType() string      { return EvRuleSetAdopted }

// RegisterCommunity registers a community; the aggregate id must be the
// community id.
type RegisterCommunity struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Town   string `json:"town"`
	County string `json:"county"`
}

// AppointOfficer appoints a person to a post.
type AppointOfficer struct {
	PersonID string `json:"person_id"`
	Name     string `json:"name"`
	Role     Role   `json:"role"`
}

// RemoveOfficer removes a person from a post.
type RemoveOfficer struct {
	PersonID string `json:"person_id"`
	Role     Role   `json:"role"`
	Reason   string `json:"reason"`
}

// AdoptRuleSet adopts a rule set given in full.
type AdoptRuleSet struct {
	RuleSet RuleSet `json:"rule_set"`
}

func (*RegisterCommunity) CommandType() string { return CmdRegisterCommunity }
func (*AppointOfficer) CommandType() string    { return CmdAppointOfficer }
func (*RemoveOfficer) CommandType() string     { return CmdRemoveOfficer }
func (*AdoptRuleSet) CommandType() string      { return CmdAdoptRuleSet }

func (c *RegisterCommunity) Validate() error {
	var fe fieldErrors
	checkText(&fe, "data.name", c.Name, 1, 100, false)
	if c.Kind != "社区" && c.Kind != "村" {
		fe.add("data.kind", `must be "社区" or "村"`, `必须为"社区"或"村"`)
	}
	checkText(&fe, "data.town", c.Town, 1, 100, false)
	checkText(&fe, "data.county", c.County, 1, 100, false)
	return fe.err()
}

func (c *AppointOfficer) Validate() error {
	var fe fieldErrors
	if !ValidAggregateID(c.PersonID) {
		fe.add("data.person_id", "required, letters, digits, - and _ only, at most 64", "必填，仅限字母、数字、- 和 _，最多64个字符")
	}
	checkText(&fe, "data.name", c.Name, 1, 50, false)
	if !slices.Contains(roles, c.Role) {
		fe.add("data.role", "unknown role", "未知职务")
	}
	return fe.err()
}

func (c *RemoveOfficer) Validate() error {
	var fe fieldErrors
	if !ValidAggregateID(c.PersonID) {
		fe.add("data.person_id", "required", "必填")
	}
	if !slices.Contains(roles, c.Role) {
		fe.add("data.role", "unknown role", "未知职务")
	}
	checkText(&fe, "data.reason", c.Reason, 0, 500, true)
	return fe.err()
}

func (c *AdoptRuleSet) Validate() error {
	var fe fieldErrors
	c.RuleSet.validate(&fe, "data.rule_set")
	return fe.err()
}

// communityTarget checks that a community command addresses the community
// it was sent to and carries a plausible date.
func communityTarget(env Env) error {
	if env.AggregateID != env.CommunityID {
		return &RuleError{Code: "community_id_mismatch", Field: "aggregate_id",
			Reason: "aggregate_id must equal the community id", ReasonZH: "aggregate_id 必须与社区编号一致"}
	}
	return checkDate(env, Date{})
}

func communityExists(env Env) error {
	if err := communityTarget(env); err != nil {
		return err
	}
	if env.Community == nil {
		return &NotFoundError{What: "community", ID: env.CommunityID}
	}
	return nil
}

func (c *RegisterCommunity) Decide(env Env) ([]Event, error) {
	if err := communityTarget(env); err != nil {
		return nil, err
	}
	if env.Community != nil {
		return nil, &RuleError{Code: "already_registered", Field: "aggregate_id",
			Reason: "the community is already registered", ReasonZH: "该社区已登记"}
	}
	return []Event{&CommunityRegistered{Name: c.Name, Kind: c.Kind, Town: c.Town, County: c.County}}, nil
}

func (c *AppointOfficer) Decide(env Env) ([]Event, error) {
	if err := communityExists(env); err != nil {
		return nil, err
	}
	if o := env.Community.Officers[c.PersonID]; o != nil && slices.Contains(o.Roles, c.Role) {
		return nil, &RuleError{Code: "already_appointed", Field: "data.role",
			Reason: "the person already holds this post", ReasonZH: "此人已担任该职务"}
	}
	return []Event{&OfficerAppointed{PersonID: c.PersonID, Name: c.Name, Role: c.Role}}, nil
}

func (c *RemoveOfficer) Decide(env Env) ([]Event, error) {
	if err := communityExists(env); err != nil {
		return nil, err
	}
	if o := env.Community.Officers[c.PersonID]; o == nil || !slices.Contains(o.Roles, c.Role) {
		return nil, &RuleError{Code: "not_appointed", Field: "data.role",
			Reason: "the person does not hold this post", ReasonZH: "此人未担任该职务"}
	}
	return []Event{&OfficerRemoved{PersonID: c.PersonID, Role: c.Role, Reason: c.Reason}}, nil
}

func (c *AdoptRuleSet) Decide(env Env) ([]Event, error) {
	if err := communityExists(env); err != nil {
		return nil, err
	}
	return []Event{&RuleSetAdopted{RuleSet: c.RuleSet}}, nil
}

// Clone returns a deep copy of c.
func (c *Community) Clone() *Community {
	if c == nil {
		return nil
	}
	d := *c
	d.Officers = make(map[string]*Officer, len(c.Officers))
	for k, o := range c.Officers {
		oc := *o
		oc.Roles = slices.Clone(o.Roles)
		d.Officers[k] = &oc
	}
	// Rule sets are never changed once adopted, so they may be shared.
	d.RuleSets = slices.Clone(c.RuleSets)
	return &d
}
