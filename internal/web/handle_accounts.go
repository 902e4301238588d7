package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/auth"
	"github.com/gongkai/gongkai/internal/command"
)

// The accounts API: what `gongkai account` sends. Passwords arrive in the
// body, are checked and hashed here (with the instance's pepper) and never
// leave this handler: the command carries the hash.

type accountView struct {
	Login       string         `json:"login"`
	DisplayName string         `json:"display_name"`
	Grants      []domain.Grant `json:"grants"`
	Disabled    bool           `json:"disabled"`
}

func viewOf(a *domain.UserAccount) accountView {
	g := a.Grants
	if g == nil {
		g = []domain.Grant{}
	}
	return accountView{Login: a.Login, DisplayName: a.DisplayName, Grants: g, Disabled: a.Disabled}
}

// handleCreateAccount creates an account (administrators), optionally with
// the administrator role over everything (--admin) or one first grant.
func (s *Server) handleCreateAccount(w http.ResponseWriter, r *http.Request) {
	p, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	var body struct {
		Login       string `json:"login"`
		DisplayName string `json:"display_name"`
		Password    string `json:"password"`
		Admin       bool   `json:"administrator"`
		Role        string `json:"role"`
		Scope       string `json:"scope"`
	}
	if !decodeBody(w, r, 64<<10, &body) {
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		key = s.NewID()
	}
	cmds, fe := s.accountCommands(r.Context(), body.Login, body.DisplayName, body.Password, key)
	if len(fe) > 0 {
		writeProblem(w, problemFor(&domain.ValidationError{Fields: fe}))
		return
	}
	if body.Admin {
		cmds = append(cmds, s.cmd(domain.CmdGrantRole, body.Login, domain.GrantRole{Role: domain.AccessAdministrator, Scope: domain.ScopeAll}))
	}
	if body.Role != "" {
		cmds = append(cmds, s.cmd(domain.CmdGrantRole, body.Login, domain.GrantRole{Role: domain.AccessRole(body.Role), Scope: body.Scope}))
	}
	res, err := s.Commands.Execute(r.Context(), command.Request{Community: domain.SystemCommunity, IdempotencyKey: "account:" + key, Actor: p, Commands: cmds})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, status(res), map[string]any{"login": body.Login, "stream_seq": res.LastSeq(), "idempotent_replay": res.Replayed})
}

// accountCommands checks a new account's fields and returns the command
// that creates it, with the password hashed.
func (s *Server) accountCommands(ctx context.Context, login, displayName, password, key string) ([]command.Command, []domain.FieldError) {
	var fe []domain.FieldError
	login = strings.TrimSpace(login)
	if !domain.ValidLogin(login) {
		fe = append(fe, domain.FieldError{Field: "login", Reason: "2 to 32 of a-z, 0-9, _ and -, starting with a letter or digit",
			ReasonZH: "2至32个小写字母、数字、_ 或 -，以字母或数字开头"})
	}
	if reason, reasonZH, ok := auth.CheckPassword(password, login); !ok {
		fe = append(fe, domain.FieldError{Field: "password", Reason: reason, ReasonZH: reasonZH})
	}
	if displayName == "" {
		fe = append(fe, domain.FieldError{Field: "display_name", Reason: "required", ReasonZH: "必填"})
	}
	if len(fe) > 0 {
		return nil, fe
	}
	hash, err := s.hashPassword(ctx, password, key+"\x00"+login)
	if err != nil {
		return nil, []domain.FieldError{{Field: "password", Reason: "the server is busy: try again shortly", ReasonZH: "服务器繁忙，请稍后再试"}}
	}
	return []command.Command{s.cmd(domain.CmdCreateAccount, login, domain.CreateAccount{DisplayName: displayName, PasswordHash: hash})}, nil
}

// handleListAccounts lists the accounts with their roles (administrators).
func (s *Server) handleListAccounts(w http.ResponseWriter, r *http.Request) {
	p, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	if !p.IsAdministrator() {
		s.forbidden(w, "list accounts", "查看账户")
		return
	}
	out := []accountView{}
	for _, a := range s.Access.Accounts() {
		out = append(out, viewOf(a))
	}
	writeJSON(w, http.StatusOK, map[string]any{"accounts": out})
}

// handleAccountAction changes an account: password, grant, revoke,
// disable, enable. The command service decides who may.
func (s *Server) handleAccountAction(w http.ResponseWriter, r *http.Request) {
	p, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	login, action := r.PathValue("login"), r.PathValue("action")
	var body struct {
		Password string `json:"password"`
		Role     string `json:"role"`
		Scope    string `json:"scope"`
		Reason   string `json:"reason"`
	}
	if !decodeBody(w, r, 64<<10, &body) {
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		key = s.NewID()
	}
	var c command.Command
	switch action {
	case "password":
		if reason, reasonZH, ok := auth.CheckPassword(body.Password, login); !ok {
			writeProblem(w, problemFor(&domain.ValidationError{Fields: []domain.FieldError{{Field: "password", Reason: reason, ReasonZH: reasonZH}}}))
			return
		}
		hash, err := s.hashPassword(r.Context(), body.Password, key+"\x00"+login)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		c = s.cmd(domain.CmdSetPassword, login, domain.SetPassword{PasswordHash: hash})
	case "grant":
		c = s.cmd(domain.CmdGrantRole, login, domain.GrantRole{Role: domain.AccessRole(body.Role), Scope: body.Scope})
	case "revoke":
		c = s.cmd(domain.CmdRevokeRole, login, domain.RevokeRole{Role: domain.AccessRole(body.Role), Scope: body.Scope})
	case "disable":
		c = s.cmd(domain.CmdDisableAccount, login, domain.DisableAccount{Reason: body.Reason})
	case "enable":
		c = s.cmd(domain.CmdEnableAccount, login, domain.EnableAccount{})
	default:
		s.handleNotFound(w, r)
		return
	}
	res, err := s.Commands.Execute(r.Context(), command.Request{Community: domain.SystemCommunity, IdempotencyKey: action + ":" + key, Actor: p,
		Commands: []command.Command{c}})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, status(res), map[string]any{"login": login, "action": action, "stream_seq": res.LastSeq(), "idempotent_replay": res.Replayed})
}
