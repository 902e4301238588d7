package domain

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Accounts, access roles and API tokens. Who could do what, and when, is
// part of the record: creating an account, granting and revoking a role,
// setting a password (its hash only) and issuing or revoking a token are
// events in the log like any other, decided here and appended by the
// command service.
//
// Accounts live under the reserved community SystemCommunity
// (ledger._gongkai.account.<login>); tokens under the community they are
// scoped to (ledger.<community>.token.<id>).

// SystemCommunity is the reserved community of gongkai's own records
// (writer keys, accounts). It is not a valid community id, so no clerk's
// command can address it.
const SystemCommunity = "_gongkai"

// Aggregate types of access.
const (
	AggregateAccount = "account"
	AggregateToken   = "token"
)

// Command types of access.
const (
	CmdCreateAccount  = "account.create"
	CmdSetPassword    = "account.set_password"
	CmdGrantRole      = "account.grant_role"
	CmdRevokeRole     = "account.revoke_role"
	CmdDisableAccount = "account.disable"
	CmdEnableAccount  = "account.enable"
	CmdEndSession     = "account.end_session"
	CmdIssueToken     = "token.issue"
	CmdRevokeToken    = "token.revoke"
)

// Stored event types of access. The token types predate accounts and keep
// their names.
const (
	EvAccountCreated  = "account.created"
	EvPasswordSet     = "account.password_set"
	EvRoleGranted     = "account.role_granted"
	EvRoleRevoked     = "account.role_revoked"
	EvAccountDisabled = "account.disabled"
	EvAccountEnabled  = "account.enabled"
	EvSessionEnded    = "account.session_ended"
	EvTokenIssued     = "auth.clerk_token_issued"
	EvTokenRevoked    = "auth.clerk_token_revoked"
)

// AccessRole is what an account may do (权限角色), as distinct from an
// officer's post (Role).
type AccessRole string

// Access roles.
const (
	AccessAdministrator AccessRole = "administrator" // 系统管理员
	AccessClerk         AccessRole = "clerk"         // 文书/报账员
	AccessAccountant    AccessRole = "accountant"    // 会计
	AccessSupervisor    AccessRole = "supervisor"    // 村务监督委员会 / 民主理财小组
	AccessAuditor       AccessRole = "auditor"       // 审计
	AccessEvaluator     AccessRole = "evaluator"     // 考核
)

// AccessRoles lists the access roles in the order pages show them.
func AccessRoles() []AccessRole {
	return []AccessRole{AccessAdministrator, AccessClerk, AccessAccountant, AccessSupervisor, AccessAuditor, AccessEvaluator}
}

var accessRoleZH = map[AccessRole]string{
	AccessAdministrator: "管理员", AccessClerk: "文书/报账员", AccessAccountant: "会计",
	AccessSupervisor: "监督委员会/民主理财小组", AccessAuditor: "审计", AccessEvaluator: "考核",
}

// AccessRoleZH returns the Chinese name of an access role.
func AccessRoleZH(r AccessRole) string { return accessRoleZH[r] }

// Scopes of a grant: one community, every community of a town, or (for
// the administrator) everything.
const (
	ScopeAll          = "all"
	scopeCommunityPfx = "community:"
	scopeTownPfx      = "town:"
)

// CommunityScope and TownScope build a grant's scope.
func CommunityScope(id string) string { return scopeCommunityPfx + id }
func TownScope(town string) string    { return scopeTownPfx + town }

// ScopeZH describes a scope in Chinese.
func ScopeZH(scope string) string {
	switch {
	case scope == ScopeAll:
		return "全部"
	case strings.HasPrefix(scope, scopeTownPfx):
		return strings.TrimPrefix(scope, scopeTownPfx) + "（全镇/街道）"
	}
	return strings.TrimPrefix(scope, scopeCommunityPfx)
}

// Grant is one role over one scope.
type Grant struct {
	Role  AccessRole `json:"role"`
	Scope string     `json:"scope"`
}

// Covers reports whether the grant's scope includes the community with the
// given id in town.
func (g Grant) Covers(community, town string) bool {
	switch {
	case g.Scope == ScopeAll:
		return true
	case strings.HasPrefix(g.Scope, scopeTownPfx):
		return town != "" && g.Scope == TownScope(town)
	}
	return community != "" && g.Scope == CommunityScope(community)
}

// Actor is who sends a command: an account, the administrator's
// environment token (for scripts), or a community's API token.
type Actor struct {
	// ID is recorded with every event: the account's login, "admin" for
	// the environment token, the token's id (a UUID, longer than any
	// login) for an API token of no account.
	ID string
	// Name is the display name shown on receipts.
	Name string
	// Root is the environment administrator token: every right.
	Root   bool
	Grants []Grant
}

// Has reports whether the actor holds role (or administrator) over the
// community with the given id in town.
func (a Actor) Has(role AccessRole, community, town string) bool {
	if a.Root {
		return true
	}
	for _, g := range a.Grants {
		if (g.Role == role || g.Role == AccessAdministrator) && g.Covers(community, town) {
			return true
		}
	}
	return false
}

// holds reports whether the actor was granted role itself over the
// community (an administrator's grant does not count).
func (a Actor) holds(role AccessRole, community, town string) bool {
	return slices.ContainsFunc(a.Grants, func(g Grant) bool { return g.Role == role && g.Covers(community, town) })
}

// IsAdministrator reports whether the actor administers anything at all.
func (a Actor) IsAdministrator() bool {
	if a.Root {
		return true
	}
	return slices.ContainsFunc(a.Grants, func(g Grant) bool { return g.Role == AccessAdministrator })
}

// AdministersScope reports whether the actor may grant roles over scope:
// an administrator of everything may grant anything; of a town, grants
// over that town and its communities (town gives a community's town).
func (a Actor) AdministersScope(scope string, town func(community string) string) bool {
	if a.Root {
		return true
	}
	for _, g := range a.Grants {
		if g.Role != AccessAdministrator {
			continue
		}
		switch {
		case g.Scope == ScopeAll:
			return true
		case g.Scope == scope:
			return true
		case strings.HasPrefix(g.Scope, scopeTownPfx) && strings.HasPrefix(scope, scopeCommunityPfx):
			if t := town(strings.TrimPrefix(scope, scopeCommunityPfx)); t != "" && g.Scope == TownScope(t) {
				return true
			}
		}
	}
	return false
}

// RecordRole returns the roles any one of which may send a command type on
// a community's records, or nil for the administrator alone. The clerk
// (文书/报账员) records matters, budgets and the books; the accountant
// (会计) the budgets and the books; supervisors and auditors read;
// evaluators (考核) read, and record a town's evaluation (see MayEvaluate).
func RecordRole(commandType string) []AccessRole {
	switch commandType {
	case CmdApproveDisclosure, CmdReturnDisclosure:
		// The supervision committee reviews what is to be disclosed.
		return []AccessRole{AccessSupervisor}
	case CmdDraftDisclosure, CmdPublishDisclosure:
		return []AccessRole{AccessClerk, AccessAccountant}
	case CmdAnswerQuestion:
		return []AccessRole{AccessClerk}
	}
	switch AggregateType(commandType) {
	case AggregateMatter:
		return []AccessRole{AccessClerk}
	case AggregateBudget, AggregateBooks:
		return []AccessRole{AccessClerk, AccessAccountant}
	case AggregateEvaluation:
		return []AccessRole{AccessEvaluator}
	}
	return nil
}

// MayRecord reports whether the actor may send a command of the given type
// to the community (in town). Account and token commands are checked by
// their own rules (see the command service).
func (a Actor) MayRecord(commandType, community, town string) bool {
	if commandType == CmdApproveDisclosure || commandType == CmdReturnDisclosure {
		// The review is the supervision committee's own: an administrator
		// who is not a member of it may not review (separation of duties).
		return a.Root || a.holds(AccessSupervisor, community, town)
	}
	if AggregateType(commandType) == AggregateEvaluation {
		// The evaluation of town is the evaluators' own, likewise.
		return a.MayEvaluate(town)
	}
	roles := RecordRole(commandType)
	if roles == nil {
		return a.Has(AccessAdministrator, community, town)
	}
	for _, r := range roles {
		if a.Has(r, community, town) {
			return true
		}
	}
	return false
}

// UserAccount is the state of one person's account.
type UserAccount struct {
	Login        string
	DisplayName  string
	PasswordHash string
	Grants       []Grant
	Disabled     bool
	// Epoch counts the changes that end every session of the account: a
	// new password, a revoked role, disabling it. A session records the
	// epoch it began in and is valid only while it is the same.
	Epoch int
	// Ended maps the id of a session ended by logging out to when it would
	// have expired (after which it is forgotten).
	Ended map[string]time.Time
	// Created is the date the account was created.
	Created Date
}

// Clone returns a deep copy.
func (a *UserAccount) Clone() *UserAccount {
	if a == nil {
		return nil
	}
	c := *a
	c.Grants = slices.Clone(a.Grants)
	c.Ended = make(map[string]time.Time, len(a.Ended))
	for k, v := range a.Ended {
		c.Ended[k] = v
	}
	return &c
}

// Actor returns the account acting, with its grants.
func (a *UserAccount) Actor() Actor {
	return Actor{ID: a.Login, Name: a.DisplayName, Grants: slices.Clone(a.Grants)}
}

func (a *UserAccount) apply(e Event, date Date) {
	switch e := e.(type) {
	case *AccountCreated:
		a.DisplayName, a.PasswordHash, a.Created = e.DisplayName, e.PasswordHash, date
	case *PasswordSet:
		a.PasswordHash = e.PasswordHash
		a.Epoch++
	case *RoleGranted:
		if !slices.Contains(a.Grants, e.Grant) {
			a.Grants = append(a.Grants, e.Grant)
		}
	case *RoleRevoked:
		a.Grants = slices.DeleteFunc(a.Grants, func(g Grant) bool { return g == e.Grant })
		a.Epoch++
	case *AccountDisabled:
		a.Disabled = true
		a.Epoch++
	case *AccountEnabled:
		a.Disabled = false
	case *SessionEnded:
		if a.Ended == nil {
			a.Ended = map[string]time.Time{}
		}
		for id, until := range a.Ended {
			// A session that would have expired before this one began
			// can no longer be presented.
			if until.Before(e.Until.Add(-MaxSessionLifetime)) {
				delete(a.Ended, id)
			}
		}
		a.Ended[e.SessionID] = e.Until
	}
}

// MaxSessionLifetime is the longest a session may last.
const MaxSessionLifetime = 30 * 24 * time.Hour

// Token is the state of one API token.
type Token struct {
	ID        string
	Community string
	Label     string
	SHA256    string
	// Account is the account the token acts as; empty for a token of the
	// community alone (a clerk and accountant of it).
	Account string
	Revoked bool
	// IssuedBy is not kept here; the event's actor records it.
}

func (t *Token) apply(e Event) {
	switch e := e.(type) {
	case *TokenIssued:
		t.Label, t.SHA256, t.Account = e.Label, e.SHA256, e.Account
		if e.Community != "" {
			t.Community = e.Community
		}
	case *TokenRevoked:
		t.Revoked = true
	}
}

// Events of access.
type (
	// AccountCreated records a new account. PasswordHash is an argon2id
	// hash of the peppered password, never the password.
	AccountCreated struct {
		DisplayName  string `json:"display_name"`
		PasswordHash string `json:"password_hash"`
	}
	PasswordSet struct {
		PasswordHash string `json:"password_hash"`
	}
	RoleGranted struct {
		Grant
	}
	RoleRevoked struct {
		Grant
	}
	AccountDisabled struct {
		Reason string `json:"reason"`
	}
	AccountEnabled struct{}
	// SessionEnded records a logout: the session is refused on every
	// instance until it would have expired.
	SessionEnded struct {
		SessionID string    `json:"session_id"`
		Until     time.Time `json:"until"`
	}
	// TokenIssued records an API token; only its SHA-256 is stored.
	TokenIssued struct {
		TokenID   string `json:"token_id"`
		Label     string `json:"label"`
		SHA256    string `json:"sha256"`
		Community string `json:"community"`
		Account   string `json:"account,omitempty"`
	}
	TokenRevoked struct{}
)

func (*AccountCreated) EventType() string  { return EvAccountCreated }
func (*PasswordSet) EventType() string     { return EvPasswordSet }
func (*RoleGranted) EventType() string     { return EvRoleGranted }
func (*RoleRevoked) EventType() string     { return EvRoleRevoked }
func (*AccountDisabled) EventType() string { return EvAccountDisabled }
func (*AccountEnabled) EventType() string  { return EvAccountEnabled }
func (*SessionEnded) EventType() string    { return EvSessionEnded }
func (*TokenIssued) EventType() string     { return EvTokenIssued }
func (*TokenRevoked) EventType() string    { return EvTokenRevoked }

// Commands of access. The aggregate id of an account command is the
// account's login; of a token command, the token's id.
type (
	CreateAccount struct {
		DisplayName  string `json:"display_name"`
		PasswordHash string `json:"password_hash"`
	}
	SetPassword struct {
		PasswordHash string `json:"password_hash"`
	}
	GrantRole struct {
		Role  AccessRole `json:"role"`
		Scope string     `json:"scope"`
	}
	RevokeRole struct {
		Role  AccessRole `json:"role"`
		Scope string     `json:"scope"`
	}
	DisableAccount struct {
		Reason string `json:"reason"`
	}
	EnableAccount struct{}
	EndSession    struct {
		SessionID string    `json:"session_id"`
		Until     time.Time `json:"until"`
	}
	IssueToken struct {
		Label   string `json:"label"`
		SHA256  string `json:"sha256"`
		Account string `json:"account,omitempty"`
	}
	RevokeToken struct{}
)

func (*CreateAccount) CommandType() string  { return CmdCreateAccount }
func (*SetPassword) CommandType() string    { return CmdSetPassword }
func (*GrantRole) CommandType() string      { return CmdGrantRole }
func (*RevokeRole) CommandType() string     { return CmdRevokeRole }
func (*DisableAccount) CommandType() string { return CmdDisableAccount }
func (*EnableAccount) CommandType() string  { return CmdEnableAccount }
func (*EndSession) CommandType() string     { return CmdEndSession }
func (*IssueToken) CommandType() string     { return CmdIssueToken }
func (*RevokeToken) CommandType() string    { return CmdRevokeToken }

var (
	loginRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{1,31}$`)
	hashRE    = regexp.MustCompile(`^\$argon2id\$v=19\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$`)
	sessionRE = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

// reservedLogins are actor ids the log uses for other than accounts: an
// account of that login would make the record ambiguous.
var reservedLogins = map[string]bool{"admin": true, "demo": true, "gongkai": true, "system": true}

// ValidLogin reports whether s can be a login name: 2 to 32 of a-z, 0-9, _
// and -, starting with a letter or digit.
func ValidLogin(s string) bool { return loginRE.MatchString(s) }

func checkHash(fe *fieldErrors, h string) {
	if !hashRE.MatchString(h) {
		fe.add("data.password_hash", "must be an argon2id hash in PHC form (never a password)", "须为 argon2id 口令散列值（不得是口令本身）")
	}
}

func checkGrant(fe *fieldErrors, role AccessRole, scope string) {
	if !slices.Contains(AccessRoles(), role) {
		fe.add("data.role", "unknown role; one of administrator, clerk, accountant, supervisor, auditor, evaluator",
			"未知角色；须为 administrator、clerk、accountant、supervisor、auditor、evaluator 之一")
	}
	switch {
	case scope == ScopeAll:
		if role != AccessAdministrator {
			fe.add("data.scope", `only the administrator may have the scope "all"`, "只有管理员的范围可以是 all（全部）")
		}
	case strings.HasPrefix(scope, scopeCommunityPfx):
		if !ValidCommunityID(strings.TrimPrefix(scope, scopeCommunityPfx)) {
			fe.add("data.scope", "invalid community id", "社区编号无效")
		}
	case strings.HasPrefix(scope, scopeTownPfx):
		checkText(fe, "data.scope", strings.TrimPrefix(scope, scopeTownPfx), 1, 100, false)
	default:
		fe.add("data.scope", `must be "community:<id>", "town:<name>" or (administrator) "all"`,
			`须为 "community:<社区编号>"、"town:<镇/街道名>" 或（管理员）"all"`)
	}
}

func (c *CreateAccount) Validate() error {
	var fe fieldErrors
	checkText(&fe, "data.display_name", c.DisplayName, 1, 100, false)
	checkHash(&fe, c.PasswordHash)
	return fe.err()
}

func (c *SetPassword) Validate() error {
	var fe fieldErrors
	checkHash(&fe, c.PasswordHash)
	return fe.err()
}

func (c *GrantRole) Validate() error {
	var fe fieldErrors
	checkGrant(&fe, c.Role, c.Scope)
	return fe.err()
}

func (c *RevokeRole) Validate() error {
	var fe fieldErrors
	checkGrant(&fe, c.Role, c.Scope)
	return fe.err()
}

func (c *DisableAccount) Validate() error {
	var fe fieldErrors
	checkText(&fe, "data.reason", c.Reason, 1, 500, true)
	return fe.err()
}

func (c *EnableAccount) Validate() error { return nil }

func (c *EndSession) Validate() error {
	var fe fieldErrors
	if !sessionRE.MatchString(c.SessionID) {
		fe.add("data.session_id", "must be 32 hexadecimal digits", "须为32位十六进制数")
	}
	if c.Until.IsZero() {
		fe.add("data.until", "required", "必填")
	}
	return fe.err()
}

func (c *IssueToken) Validate() error {
	var fe fieldErrors
	checkText(&fe, "data.label", c.Label, 1, 100, false)
	if !sha256RE.MatchString(c.SHA256) {
		fe.add("data.sha256", "must be the token's SHA-256 in lower-case hex", "须为令牌的 SHA-256（小写十六进制）")
	}
	if c.Account != "" && !ValidLogin(c.Account) {
		fe.add("data.account", "invalid login name", "登录名无效")
	}
	return fe.err()
}

func (c *RevokeToken) Validate() error { return nil }

func (c *CreateAccount) Decide(env Env) ([]Event, error) {
	if !ValidLogin(env.AggregateID) {
		return nil, &ValidationError{Fields: []FieldError{{"aggregate_id", "a login name: 2 to 32 of a-z, 0-9, _ and -",
			"登录名：2至32个小写字母、数字、_ 或 -"}}}
	}
	if reservedLogins[env.AggregateID] {
		return nil, &RuleError{Code: "login_reserved", Field: "aggregate_id",
			Reason:   "the login " + env.AggregateID + " is reserved: the log records it for gongkai's own actors",
			ReasonZH: "登录名 " + env.AggregateID + " 为系统保留（日志中用于记录系统操作者），请换一个"}
	}
	if env.Account != nil {
		return nil, &RuleError{Code: "account_exists", Field: "aggregate_id",
			Reason: "an account with the login " + env.AggregateID + " exists", ReasonZH: "登录名 " + env.AggregateID + " 已被使用"}
	}
	return []Event{&AccountCreated{DisplayName: c.DisplayName, PasswordHash: c.PasswordHash}}, nil
}

func accountOf(env Env) (*UserAccount, error) {
	if env.Account == nil {
		return nil, &NotFoundError{What: "account", ID: env.AggregateID}
	}
	return env.Account, nil
}

func (c *SetPassword) Decide(env Env) ([]Event, error) {
	if _, err := accountOf(env); err != nil {
		return nil, err
	}
	return []Event{&PasswordSet{PasswordHash: c.PasswordHash}}, nil
}

func (c *GrantRole) Decide(env Env) ([]Event, error) {
	a, err := accountOf(env)
	if err != nil {
		return nil, err
	}
	g := Grant{Role: c.Role, Scope: c.Scope}
	if slices.Contains(a.Grants, g) {
		return nil, &RuleError{Code: "role_held", Field: "data.role",
			Reason:   fmt.Sprintf("%s already holds %s over %s", a.Login, c.Role, c.Scope),
			ReasonZH: fmt.Sprintf("%s 已有该角色（%s，%s）", a.Login, AccessRoleZH(c.Role), ScopeZH(c.Scope))}
	}
	if id, ok := strings.CutPrefix(c.Scope, scopeCommunityPfx); ok && env.LookupCommunity != nil && env.LookupCommunity(id) == nil {
		return nil, &NotFoundError{What: "community", ID: id}
	}
	return []Event{&RoleGranted{g}}, nil
}

func (c *RevokeRole) Decide(env Env) ([]Event, error) {
	a, err := accountOf(env)
	if err != nil {
		return nil, err
	}
	g := Grant{Role: c.Role, Scope: c.Scope}
	if !slices.Contains(a.Grants, g) {
		return nil, &RuleError{Code: "role_not_held", Field: "data.role",
			Reason:   fmt.Sprintf("%s does not hold %s over %s", a.Login, c.Role, c.Scope),
			ReasonZH: fmt.Sprintf("%s 没有该角色（%s，%s）", a.Login, AccessRoleZH(c.Role), ScopeZH(c.Scope))}
	}
	return []Event{&RoleRevoked{g}}, nil
}

func (c *DisableAccount) Decide(env Env) ([]Event, error) {
	a, err := accountOf(env)
	if err != nil {
		return nil, err
	}
	if a.Disabled {
		return nil, &RuleError{Code: "account_disabled", Field: "aggregate_id", Reason: "the account is already disabled", ReasonZH: "该账户已停用"}
	}
	return []Event{&AccountDisabled{Reason: c.Reason}}, nil
}

func (c *EnableAccount) Decide(env Env) ([]Event, error) {
	a, err := accountOf(env)
	if err != nil {
		return nil, err
	}
	if !a.Disabled {
		return nil, &RuleError{Code: "account_enabled", Field: "aggregate_id", Reason: "the account is not disabled", ReasonZH: "该账户未停用"}
	}
	return []Event{&AccountEnabled{}}, nil
}

func (c *EndSession) Decide(env Env) ([]Event, error) {
	if _, err := accountOf(env); err != nil {
		return nil, err
	}
	return []Event{&SessionEnded{SessionID: c.SessionID, Until: c.Until.UTC()}}, nil
}

func (c *IssueToken) Decide(env Env) ([]Event, error) {
	if env.Token != nil {
		return nil, &RuleError{Code: "token_exists", Field: "aggregate_id", Reason: "a token with this id exists", ReasonZH: "该令牌编号已存在"}
	}
	if env.Community == nil {
		return nil, &NotFoundError{What: "community", ID: env.CommunityID}
	}
	if c.Account != "" && env.LookupAccount != nil && env.LookupAccount(c.Account) == nil {
		return nil, &NotFoundError{What: "account", ID: c.Account}
	}
	return []Event{&TokenIssued{TokenID: env.AggregateID, Label: c.Label, SHA256: c.SHA256, Community: env.CommunityID, Account: c.Account}}, nil
}

func (c *RevokeToken) Decide(env Env) ([]Event, error) {
	if env.Token == nil || env.Token.Revoked {
		return nil, &NotFoundError{What: "token", ID: env.AggregateID}
	}
	return []Event{&TokenRevoked{}}, nil
}
