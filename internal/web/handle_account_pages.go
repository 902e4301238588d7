package web

import (
	"time"

	"github.com/gongkai/gongkai/internal/auth"
	"net/http"
	"net/url"
	"strings"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/command"
)

// The pages for accounts: the administrator's list with its forms
// (/admin/accounts) and each person's own page (/account) to change the
// password. Every form carries the session's CSRF token and an
// idempotency key; every change is a command.

type accountsPage struct {
	Actor    domain.Actor
	CSRF     string
	Idem     string
	Accounts []*domain.UserAccount
	Roles    []domain.AccessRole
	// Form holds the values typed into the create form, kept on error.
	Form   url.Values
	Errors map[string]string
	Notice string
	Error  string
}

type ownAccountPage struct {
	Actor   domain.Actor
	Account *domain.UserAccount
	CSRF    string
	Idem    string
	Errors  map[string]string
	Notice  string
}

// signedIn returns the session's actor and CSRF token, or sends the
// browser to /login and returns false.
func (s *Server) signedIn(w http.ResponseWriter, r *http.Request) (domain.Actor, string, bool) {
	a, csrf, ok := s.SignedIn(r)
	if !ok {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	}
	return a, csrf, ok
}

func (s *Server) handleAccountsPage(w http.ResponseWriter, r *http.Request) {
	a, csrf, ok := s.signedIn(w, r)
	if !ok {
		return
	}
	if !a.IsAdministrator() {
		s.renderPrivate(w, r, http.StatusForbidden, "error.html", Problem{Status: http.StatusForbidden, Title: "Forbidden", TitleZH: "无权操作",
			Detail: "Only administrators manage accounts.", DetailZH: "只有管理员可以管理账户。"})
		return
	}
	s.renderPrivate(w, r, http.StatusOK, "accounts.html", accountsPage{Actor: a, CSRF: csrf, Idem: s.NewID(), Accounts: s.Access.Accounts(),
		Roles: domain.AccessRoles(), Form: url.Values{}, Notice: r.URL.Query().Get("done")})
}

// handleAccountsPost creates an account, grants or revokes a role, resets
// a password or disables/enables an account, from the administrator's page.
func (s *Server) handleAccountsPost(w http.ResponseWriter, r *http.Request) {
	a, csrf, ok := s.signedIn(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil || !s.CheckCSRF(r, r.PostForm.Get("csrf")) {
		s.csrfRefused(w, r)
		return
	}
	f := r.PostForm
	idem := f.Get("idem")
	if idem == "" || len(idem) > 100 {
		idem = s.NewID()
	}
	page := accountsPage{Actor: a, CSRF: csrf, Idem: idem, Roles: domain.AccessRoles(), Form: f, Errors: map[string]string{}}
	login := strings.TrimSpace(f.Get("login"))
	var cmds []command.Command
	switch f.Get("action") {
	case "create":
		var fe []domain.FieldError
		cmds, fe = s.accountCommands(r.Context(), login, strings.TrimSpace(f.Get("display_name")), f.Get("password"), idem)
		for _, e := range fe {
			page.Errors[e.Field] = e.ReasonZH + " / " + e.Reason
		}
		if role := f.Get("role"); role != "" && len(fe) == 0 {
			cmds = append(cmds, s.cmd(domain.CmdGrantRole, login, domain.GrantRole{Role: domain.AccessRole(role), Scope: scopeOf(f)}))
		}
	case "grant":
		cmds = []command.Command{s.cmd(domain.CmdGrantRole, login, domain.GrantRole{Role: domain.AccessRole(f.Get("role")), Scope: scopeOf(f)})}
	case "revoke":
		cmds = []command.Command{s.cmd(domain.CmdRevokeRole, login, domain.RevokeRole{Role: domain.AccessRole(f.Get("role")), Scope: f.Get("scope")})}
	case "password":
		// The administrator sets a new password for someone who lost
		// theirs; every session of the account ends.
		if reason, reasonZH, ok := auth.CheckPassword(f.Get("password"), login); !ok {
			page.Errors["reset_password"] = reasonZH + " / " + reason
			break
		}
		hash, err := s.hashPassword(r.Context(), f.Get("password"), idem+"\x00"+login)
		if err != nil {
			page.Error = "服务器繁忙，请稍后再试 / the server is busy: try again shortly"
			break
		}
		cmds = []command.Command{s.cmd(domain.CmdSetPassword, login, domain.SetPassword{PasswordHash: hash})}
	case "disable":
		reason := strings.TrimSpace(f.Get("reason"))
		if reason == "" {
			reason = "管理员停用"
		}
		cmds = []command.Command{s.cmd(domain.CmdDisableAccount, login, domain.DisableAccount{Reason: reason})}
	case "enable":
		cmds = []command.Command{s.cmd(domain.CmdEnableAccount, login, domain.EnableAccount{})}
	default:
		page.Error = "未知操作 / unknown action"
	}
	if len(page.Errors) == 0 && page.Error == "" {
		_, err := s.Commands.Execute(r.Context(), command.Request{Community: domain.SystemCommunity, IdempotencyKey: "page:" + idem,
			Actor: a, Commands: cmds})
		if err == nil {
			http.Redirect(w, r, "/admin/accounts?done="+url.QueryEscape(f.Get("action")+" "+login), http.StatusSeeOther)
			return
		}
		p := problemFor(err)
		page.Error = p.DetailZH + " " + p.Detail
		for _, e := range p.Errors {
			page.Errors[strings.TrimPrefix(e.Field, "data.")] = e.ReasonZH + " / " + e.Reason
		}
	}
	page.Accounts = s.Access.Accounts()
	s.renderPrivate(w, r, http.StatusUnprocessableEntity, "accounts.html", page)
}

// scopeOf reads a grant's scope from a form: kind (community, town, all)
// and its value.
func scopeOf(f url.Values) string {
	v := strings.TrimSpace(f.Get("scope_value"))
	switch f.Get("scope_kind") {
	case "all":
		return domain.ScopeAll
	case "town":
		return domain.TownScope(v)
	}
	if sc := f.Get("scope"); sc != "" {
		return sc
	}
	return domain.CommunityScope(v)
}

func (s *Server) handleOwnAccount(w http.ResponseWriter, r *http.Request) {
	a, csrf, ok := s.signedIn(w, r)
	if !ok {
		return
	}
	s.renderPrivate(w, r, http.StatusOK, "account.html", ownAccountPage{Actor: a, Account: s.Access.Account(a.ID), CSRF: csrf, Idem: s.NewID(),
		Notice: r.URL.Query().Get("done")})
}

// handleOwnPassword changes one's own password: the current password
// first. Every session of the account ends (a new epoch), this one too:
// the person signs in again with the new password.
func (s *Server) handleOwnPassword(w http.ResponseWriter, r *http.Request) {
	a, csrf, ok := s.signedIn(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil || !s.CheckCSRF(r, r.PostForm.Get("csrf")) {
		s.csrfRefused(w, r)
		return
	}
	f := r.PostForm
	acct := s.Access.Account(a.ID)
	page := ownAccountPage{Actor: a, Account: acct, CSRF: csrf, Idem: f.Get("idem"), Errors: map[string]string{}}
	if acct == nil {
		page.Errors["current"] = "账户不存在 / no such account"
	} else if ok, err := s.verifyPassword(r.Context(), acct.PasswordHash, f.Get("current")); err != nil {
		page.Errors["current"] = "服务器繁忙，请稍后再试 / the server is busy: try again shortly"
	} else if !ok {
		page.Errors["current"] = "当前密码不正确 / the current password is wrong"
	}
	if reason, reasonZH, ok := checkNewPassword(f.Get("password"), f.Get("password2"), a.ID); !ok {
		page.Errors["password"] = reasonZH + " / " + reason
	}
	if len(page.Errors) == 0 {
		hash, err := s.hashPassword(r.Context(), f.Get("password"), page.Idem+"\x00"+a.ID)
		if err == nil {
			_, err = s.Commands.Execute(r.Context(), command.Request{Community: domain.SystemCommunity, IdempotencyKey: "page:" + page.Idem, Actor: a,
				Commands: []command.Command{s.cmd(domain.CmdSetPassword, a.ID, domain.SetPassword{PasswordHash: hash})}})
		}
		if err == nil {
			s.setCookie(w, sessionCookie, "", timeZero)
			http.Redirect(w, r, "/login?next=/account", http.StatusSeeOther)
			return
		}
		p := problemFor(err)
		page.Errors["password"] = p.DetailZH + " " + p.Detail
	}
	s.renderPrivate(w, r, http.StatusUnprocessableEntity, "account.html", page)
}

var timeZero time.Time

// checkNewPassword checks a new password typed twice.
func checkNewPassword(pw, again, login string) (reason, reasonZH string, ok bool) {
	if pw != again {
		return "the two passwords differ", "两次输入的密码不一致", false
	}
	return auth.CheckPassword(pw, login)
}
