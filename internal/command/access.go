package command

import (
	"strings"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/eventstore"
)

// allowed checks that the request's actor may send one decoded command:
// a community's records need a role over it (domain.Actor.MayRecord);
// accounts and tokens an administrator (or, for one's own password and
// sessions, the account itself). An administrator of one community or
// town acts on another account only if it administers every scope that
// account holds, and a token acting as an account is issued by that
// account or by an administrator of everything: no one gains, through
// another account, a right they do not hold. target is the command's
// aggregate state. An evaluation (sent to the system community) needs an
// evaluator whose own grant covers its town, or the root token
// (domain.Actor.MayEvaluate): the town is the plan's, for a plan the one
// it names. It returns ErrForbidden or nil.
func allowed(req Request, d decoded, community *domain.Community, target domain.State, lookup func(id string) *domain.Community) error {
	a := req.Actor
	town := ""
	if community != nil {
		town = community.Town
	}
	townOf := func(id string) string {
		if c := lookup(id); c != nil {
			return c.Town
		}
		return ""
	}
	// over reports whether the actor administers all that acct holds.
	over := func(acct *domain.UserAccount) bool {
		if acct == nil {
			return a.IsAdministrator()
		}
		for _, g := range acct.Grants {
			if !a.AdministersScope(g.Scope, townOf) {
				return false
			}
		}
		return a.IsAdministrator()
	}
	system := req.Community == domain.SystemCommunity
	acct, _ := target.(*domain.UserAccount)
	ok := false
	switch c := d.cmd.(type) {
	case *domain.RegisterCommunity:
		ok = a.Has(domain.AccessAdministrator, req.Community, c.Town)
	case *domain.CreateAccount:
		ok = system && a.IsAdministrator()
	case *domain.DisableAccount, *domain.EnableAccount:
		ok = system && a.ID != d.aggregateID && over(acct)
	case *domain.SetPassword, *domain.EndSession:
		ok = system && (a.ID == d.aggregateID || over(acct))
	case *domain.GrantRole:
		ok = system && a.AdministersScope(c.Scope, townOf)
	case *domain.RevokeRole:
		ok = system && a.AdministersScope(c.Scope, townOf)
	case *domain.IssueToken:
		ok = a.Has(domain.AccessAdministrator, req.Community, town) &&
			(c.Account == "" || c.Account == a.ID || a.Has(domain.AccessAdministrator, "", ""))
	case *domain.RevokeToken:
		ok = a.Has(domain.AccessAdministrator, req.Community, town)
	case *domain.PublishEvaluationPlan:
		// The aggregate id is the town's (checked in Decide); a new
		// version of a plan may not move it to another town.
		e, _ := target.(*domain.Evaluation)
		ok = system && a.MayEvaluate(c.Town) && (e.Town() == "" || e.Town() == c.Town)
	case *domain.EnterScore, *domain.RecordAppraisal, *domain.CloseEvaluation:
		e, _ := target.(*domain.Evaluation)
		ok = system && a.MayEvaluate(e.Town())
	case *domain.AskQuestion:
		// Anyone may ask, without an account (the public page limits how
		// often); a question changes nothing but itself.
		ok = !system && !strings.HasPrefix(req.Community, "_")
	default:
		ok = !system && !strings.HasPrefix(req.Community, "_") && a.MayRecord(d.cmdType, req.Community, town)
	}
	if !ok {
		return ErrForbidden
	}
	return nil
}

// mayTry is the check before decoding: a community's records need a role
// over it; registering a community or any access command an administrator
// (of some scope), or the account itself for its password and sessions;
// an evaluation's commands an evaluator (of some town).
func mayTry(a domain.Actor, typ, community, town string) bool {
	switch typ {
	case domain.CmdRegisterCommunity, domain.CmdCreateAccount, domain.CmdGrantRole, domain.CmdRevokeRole,
		domain.CmdDisableAccount, domain.CmdEnableAccount:
		return a.IsAdministrator()
	case domain.CmdSetPassword, domain.CmdEndSession:
		return true // decide checks it is the actor's own account
	case domain.CmdIssueToken, domain.CmdRevokeToken:
		return a.Has(domain.AccessAdministrator, community, town)
	case domain.CmdAskQuestion:
		return true
	case domain.CmdPublishEvaluationPlan, domain.CmdEnterScore, domain.CmdRecordAppraisal, domain.CmdCloseEvaluation:
		return a.IsEvaluator()
	}
	return a.MayRecord(typ, community, town)
}

// townOf returns the town of a community as the cache knows it.
func (s *Service) townOf(community string) string {
	s.cache.mu.RLock()
	defer s.cache.mu.RUnlock()
	if c, ok := s.cache.view(eventstore.Subject(community, domain.AggregateCommunity, community)).state.(*domain.Community); ok && c != nil {
		return c.Town
	}
	return ""
}
