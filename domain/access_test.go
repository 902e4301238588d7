package domain_test

import (
	"errors"
	"testing"
	"time"

	"github.com/gongkai/gongkai/domain"
)

const testHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"

// fold applies events to an account as the command service's cache does.
func fold(login string, evs ...domain.Event) *domain.UserAccount {
	var st domain.State
	for _, e := range evs {
		st = domain.ApplyTo(st, domain.AggregateAccount, login, e, domain.Date{Year: 2026, Month: 11, Day: 30})
	}
	a, _ := st.(*domain.UserAccount)
	return a
}

func TestAccountLifecycle(t *testing.T) {
	env := domain.Env{AggregateID: "lina"}
	evs, err := (&domain.CreateAccount{DisplayName: "李娜", PasswordHash: testHash}).Decide(env)
	if err != nil {
		t.Fatal(err)
	}
	a := fold("lina", evs...)
	if a.Login != "lina" || a.DisplayName != "李娜" || a.PasswordHash != testHash || a.Epoch != 0 {
		t.Fatalf("created: %+v", a)
	}
	env.Account = a
	var re *domain.RuleError
	if _, err := (&domain.CreateAccount{DisplayName: "x", PasswordHash: testHash}).Decide(env); !errors.As(err, &re) || re.Code != "account_exists" {
		t.Errorf("second create: %v", err)
	}
	clerk := domain.Grant{Role: domain.AccessClerk, Scope: domain.CommunityScope("c1")}
	evs, err = (&domain.GrantRole{Role: clerk.Role, Scope: clerk.Scope}).Decide(env)
	if err != nil {
		t.Fatal(err)
	}
	a = fold("lina", &domain.AccountCreated{DisplayName: "李娜", PasswordHash: testHash}, evs[0])
	env.Account = a
	if _, err := (&domain.GrantRole{Role: clerk.Role, Scope: clerk.Scope}).Decide(env); !errors.As(err, &re) || re.Code != "role_held" {
		t.Errorf("grant twice: %v", err)
	}
	if !a.Actor().Has(domain.AccessClerk, "c1", "") || a.Actor().Has(domain.AccessClerk, "c2", "") {
		t.Errorf("grants %v", a.Grants)
	}
	// A grant does not end sessions; a revocation, a new password and
	// disabling do.
	if a.Epoch != 0 {
		t.Errorf("epoch after a grant: %d", a.Epoch)
	}
	a = fold("lina", &domain.AccountCreated{}, &domain.RoleGranted{Grant: clerk}, &domain.RoleRevoked{Grant: clerk},
		&domain.PasswordSet{PasswordHash: testHash}, &domain.AccountDisabled{Reason: "离职"})
	if a.Epoch != 3 || !a.Disabled || len(a.Grants) != 0 {
		t.Errorf("after revoke, password, disable: %+v", a)
	}
	env.Account = a
	if _, err := (&domain.RevokeRole{Role: clerk.Role, Scope: clerk.Scope}).Decide(env); !errors.As(err, &re) || re.Code != "role_not_held" {
		t.Errorf("revoke a role not held: %v", err)
	}
	var nf *domain.NotFoundError
	if _, err := (&domain.SetPassword{PasswordHash: testHash}).Decide(domain.Env{AggregateID: "ghost"}); !errors.As(err, &nf) {
		t.Errorf("password of a missing account: %v", err)
	}
}

func TestAccessValidation(t *testing.T) {
	for name, c := range map[string]domain.Command{
		"clear password":        &domain.CreateAccount{DisplayName: "李娜", PasswordHash: "hunter2hunter2"},
		"markup in name":        &domain.CreateAccount{DisplayName: "<b>x</b>", PasswordHash: testHash},
		"unknown role":          &domain.GrantRole{Role: "mayor", Scope: "community:c1"},
		"clerk of everything":   &domain.GrantRole{Role: domain.AccessClerk, Scope: domain.ScopeAll},
		"bad scope":             &domain.GrantRole{Role: domain.AccessClerk, Scope: "c1"},
		"bad community":         &domain.GrantRole{Role: domain.AccessClerk, Scope: "community:C 1"},
		"session id":            &domain.EndSession{SessionID: "x", Until: time.Now()},
		"token hash":            &domain.IssueToken{Label: "x", SHA256: "abc"},
		"disable with no cause": &domain.DisableAccount{},
	} {
		var ve *domain.ValidationError
		if err := c.Validate(); !errors.As(err, &ve) {
			t.Errorf("%s: %v, want a validation error", name, err)
		}
	}
	if err := (&domain.GrantRole{Role: domain.AccessAdministrator, Scope: domain.ScopeAll}).Validate(); err != nil {
		t.Errorf("administrator of everything: %v", err)
	}
	if _, err := (&domain.CreateAccount{DisplayName: "x", PasswordHash: testHash}).Decide(domain.Env{AggregateID: "Li Na"}); err == nil {
		t.Error("a login with a space and capitals was accepted")
	}
}

// Scopes: a town's grant covers its communities; only an administrator
// of everything covers what has no community (writer keys).
func TestScopes(t *testing.T) {
	town := domain.Actor{Grants: []domain.Grant{{Role: domain.AccessAuditor, Scope: domain.TownScope("东湖街道")}}}
	if !town.Has(domain.AccessAuditor, "c1", "东湖街道") || town.Has(domain.AccessAuditor, "c1", "西湖街道") || town.Has(domain.AccessAuditor, "", "") {
		t.Error("town scope")
	}
	if town.MayRecord(domain.CmdResolveMatter, "c1", "东湖街道") {
		t.Error("an auditor records a vote")
	}
	acct := domain.Actor{Grants: []domain.Grant{{Role: domain.AccessAccountant, Scope: domain.CommunityScope("c1")}}}
	if !acct.MayRecord(domain.CmdPostVoucher, "c1", "") || acct.MayRecord(domain.CmdResolveMatter, "c1", "") || acct.MayRecord(domain.CmdAdoptRuleSet, "c1", "") {
		t.Error("the accountant records the books, not matters or rules")
	}
	admin := domain.Actor{Grants: []domain.Grant{{Role: domain.AccessAdministrator, Scope: domain.TownScope("东湖街道")}}}
	townOf := func(c string) string { return map[string]string{"c1": "东湖街道", "c9": "西湖街道"}[c] }
	if !admin.AdministersScope(domain.CommunityScope("c1"), townOf) || admin.AdministersScope(domain.CommunityScope("c9"), townOf) ||
		admin.AdministersScope(domain.ScopeAll, townOf) || admin.Has(domain.AccessAdministrator, "", "") {
		t.Error("a town's administrator administers its communities only")
	}
}

// Logging out records the session's end; ends long past are forgotten.
func TestSessionEnded(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	a := fold("lina", &domain.AccountCreated{},
		&domain.SessionEnded{SessionID: "old", Until: t0},
		&domain.SessionEnded{SessionID: "new", Until: t0.Add(domain.MaxSessionLifetime + time.Hour)})
	if _, ok := a.Ended["new"]; !ok {
		t.Error("the latest logout is not kept")
	}
	if _, ok := a.Ended["old"]; ok {
		t.Error("a session that expired before the latest began is still kept")
	}
	c := a.Clone()
	c.Ended["x"] = t0
	if _, ok := a.Ended["x"]; ok {
		t.Error("Clone shares Ended")
	}
}

// The logins the log records for gongkai's own actors are not accounts'.
func TestReservedLogins(t *testing.T) {
	var re *domain.RuleError
	for _, login := range []string{"admin", "demo"} {
		if _, err := (&domain.CreateAccount{DisplayName: "x", PasswordHash: testHash}).Decide(domain.Env{AggregateID: login}); !errors.As(err, &re) || re.Code != "login_reserved" {
			t.Errorf("%s: %v", login, err)
		}
	}
}

// The supervision committee's review is its own: an administrator of the
// community, or the clerk, may not approve or return a disclosure; a
// supervisor of the community (or of its town) may, and no one else's.
func TestOnlySupervisorsReview(t *testing.T) {
	grant := func(r domain.AccessRole, scope string) domain.Actor {
		return domain.Actor{Grants: []domain.Grant{{Role: r, Scope: scope}}}
	}
	for _, tc := range []struct {
		name  string
		actor domain.Actor
		want  bool
	}{
		{"supervisor of c1", grant(domain.AccessSupervisor, domain.CommunityScope("c1")), true},
		{"supervisor of the town", grant(domain.AccessSupervisor, domain.TownScope("示例镇")), true},
		{"supervisor of c2", grant(domain.AccessSupervisor, domain.CommunityScope("c2")), false},
		{"administrator of c1", grant(domain.AccessAdministrator, domain.CommunityScope("c1")), false},
		{"administrator of everything", grant(domain.AccessAdministrator, domain.ScopeAll), false},
		{"clerk of c1", grant(domain.AccessClerk, domain.CommunityScope("c1")), false},
		{"the environment's root token", domain.Actor{Root: true}, true},
	} {
		for _, typ := range []string{domain.CmdApproveDisclosure, domain.CmdReturnDisclosure} {
			if got := tc.actor.MayRecord(typ, "c1", "示例镇"); got != tc.want {
				t.Errorf("%s MayRecord(%s) = %v, want %v", tc.name, typ, got, tc.want)
			}
		}
	}
	// Drafting and publishing stay the clerk's (and an administrator's).
	if !grant(domain.AccessAdministrator, domain.CommunityScope("c1")).MayRecord(domain.CmdDraftDisclosure, "c1", "示例镇") {
		t.Error("an administrator of c1 may not draft")
	}
}
