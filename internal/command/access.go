package command

import (
	"strings"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/eventstore"
)

// allowed checks that the request's actor may send one decoded command:
// a community's records need a role over it (domain.Actor.MayRecord);
// accounts and tokens the administrator (or, for one's own password and
// sessions, the account itself). It returns ErrForbidden or nil.
func allowed(req Request, d decoded, community *domain.Community, lookup func(id string) *domain.Community) error {
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
	ok := false
	switch c := d.cmd.(type) {
	case *domain.RegisterCommunity:
		ok = a.Has(domain.AccessAdministrator, req.Community, c.Town)
	case *domain.CreateAccount, *domain.DisableAccount, *domain.EnableAccount:
		ok = req.Community == domain.SystemCommunity && a.IsAdministrator()
	case *domain.SetPassword, *domain.EndSession:
		ok = req.Community == domain.SystemCommunity && (a.IsAdministrator() || a.ID == d.aggregateID)
	case *domain.GrantRole:
		ok = req.Community == domain.SystemCommunity && a.AdministersScope(c.Scope, townOf)
	case *domain.RevokeRole:
		ok = req.Community == domain.SystemCommunity && a.AdministersScope(c.Scope, townOf)
	case *domain.IssueToken, *domain.RevokeToken:
		ok = a.Has(domain.AccessAdministrator, req.Community, town)
	default:
		ok = req.Community != domain.SystemCommunity && !strings.HasPrefix(req.Community, "_") &&
			a.MayRecord(d.cmdType, req.Community, town)
	}
	if !ok {
		return ErrForbidden
	}
	return nil
}

// mayTry is the check before decoding: a community's records need a role
// over it; registering a community or any access command an administrator
// (of some scope), or the account itself for its password and sessions.
func mayTry(a domain.Actor, typ, community, town string) bool {
	switch typ {
	case domain.CmdRegisterCommunity, domain.CmdCreateAccount, domain.CmdGrantRole, domain.CmdRevokeRole,
		domain.CmdDisableAccount, domain.CmdEnableAccount:
		return a.IsAdministrator()
	case domain.CmdSetPassword, domain.CmdEndSession:
		return true // decide checks it is the actor's own account
	case domain.CmdIssueToken, domain.CmdRevokeToken:
		return a.Has(domain.AccessAdministrator, community, town)
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
