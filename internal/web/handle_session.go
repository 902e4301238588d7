package web

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/auth"
	"github.com/gongkai/gongkai/internal/command"
)

// Cookies. Behind https they carry the __Host- prefix, which browsers
// accept only with Secure, Path=/ and no Domain.
const (
	sessionCookie = "gk_session"
	preCookie     = "gk_pre" // before signing in: binds the login form's CSRF token
)

func (s *Server) secure() bool { return strings.HasPrefix(s.PublicURL, "https://") }

func (s *Server) cookieName(base string) string {
	if s.secure() {
		return "__Host-" + base
	}
	return base
}

func (s *Server) setCookie(w http.ResponseWriter, name, value string, expires time.Time) {
	c := &http.Cookie{Name: s.cookieName(name), Value: value, Path: "/", HttpOnly: true, Secure: s.secure(), SameSite: http.SameSiteLaxMode}
	if value == "" {
		c.MaxAge = -1
	} else if !expires.IsZero() {
		// Max-Age, counted from now on this server's clock, rather than an
		// absolute Expires: a phone whose clock is wrong keeps the cookie
		// as long as the server does (and so does a test's cookie jar
		// while the server runs on a test clock). Expires stays for
		// browsers that know nothing else.
		c.Expires = expires
		c.MaxAge = max(1, int(expires.Sub(s.Now()).Seconds()))
	}
	http.SetCookie(w, c)
}

// session returns the request's session and its actor, if it is valid.
func (s *Server) session(r *http.Request) (auth.Session, domain.Actor, bool) {
	c, err := r.Cookie(s.cookieName(sessionCookie))
	if err != nil {
		return auth.Session{}, domain.Actor{}, false
	}
	sess, ok := s.Secret.Open(c.Value)
	if !ok {
		return auth.Session{}, domain.Actor{}, false
	}
	a, ok := s.Access.Session(sess, s.Now())
	return sess, a, ok
}

// SignedIn returns the signed-in actor and the CSRF token of its session
// (what the workbench consumes).
func (s *Server) SignedIn(r *http.Request) (domain.Actor, string, bool) {
	sess, a, ok := s.session(r)
	if !ok {
		return domain.Actor{}, "", false
	}
	return a, s.Secret.CSRF(sess.ID), true
}

// CheckCSRF reports whether a form's token belongs to the request's
// session.
func (s *Server) CheckCSRF(r *http.Request, token string) bool {
	sess, _, ok := s.session(r)
	return ok && s.Secret.CheckCSRF(sess.ID, token)
}

// loginPage is the sign-in form.
type loginPage struct {
	CSRF, Next, Login string
	Error, ErrorEN    string
	// Secure says the connection is not https although it should be.
}

// handleLoginForm shows the sign-in form. The form's CSRF token is bound
// to a random pre-session cookie.
func (s *Server) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	pre := s.preSession(w, r)
	if _, _, ok := s.session(r); ok {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.renderPrivate(w, r, http.StatusOK, "login.html", loginPage{CSRF: s.Secret.CSRF(pre), Next: safeNext(r.URL.Query().Get("next"))})
}

func (s *Server) preSession(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(s.cookieName(preCookie)); err == nil && len(c.Value) == 32 {
		return c.Value
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	v := hex.EncodeToString(b)
	s.setCookie(w, preCookie, v, time.Time{})
	return v
}

// safeNext keeps a redirect after signing in on this site: a local path,
// never "//host" or a scheme.
func safeNext(next string) string {
	// Browsers drop tabs and newlines from a URL and read "\\" as "/":
	// "/\t/evil.example" would leave the site.
	if next == "" || len(next) > 1000 || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsAny(next, "\\") || strings.IndexFunc(next, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
		return "/desk"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/desk"
	}
	return next
}

// handleLogin signs a person in. Failures are throttled per address and
// per account; the reply never says whether the login name exists.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, badRequest("bad_form", "The form could not be read.", "无法读取表单。"))
		return
	}
	login := strings.ToLower(strings.TrimSpace(r.PostForm.Get("login")))
	password := r.PostForm.Get("password")
	next := safeNext(r.PostForm.Get("next"))
	c, err := r.Cookie(s.cookieName(preCookie))
	if err != nil || !s.Secret.CheckCSRF(c.Value, r.PostForm.Get("csrf")) {
		s.csrfRefused(w, r)
		return
	}
	page := loginPage{CSRF: s.Secret.CSRF(c.Value), Next: next, Login: login}
	client := clientOf(r)
	wait := max(s.authFailures.blocked(client), s.loginFailures.blocked(login))
	if wait > 0 {
		secs := int((wait + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		page.Error = fmt.Sprintf("登录失败次数过多，请 %d 分钟后再试。", (secs+59)/60)
		page.ErrorEN = fmt.Sprintf("Too many failed sign-ins: try again in %d minutes.", (secs+59)/60)
		s.renderPrivate(w, r, http.StatusTooManyRequests, "login.html", page)
		return
	}
	a := s.Access.Account(login)
	hash := dummyHash
	if a != nil && !a.Disabled && domain.ValidLogin(login) {
		hash = a.PasswordHash
	}
	// A missing account costs the same as a wrong password.
	ok, err := s.verifyPassword(r.Context(), hash, password)
	if err != nil {
		w.Header().Set("Retry-After", "10")
		page.Error, page.ErrorEN = "服务器繁忙，请稍后再试。", "The server is busy: try again shortly."
		s.renderPrivate(w, r, http.StatusServiceUnavailable, "login.html", page)
		return
	}
	ok = ok && a != nil && !a.Disabled
	if !ok {
		s.authFailures.fail(client)
		if domain.ValidLogin(login) {
			s.loginFailures.fail(login)
		}
		// The login is logged only when it names an account: what was
		// typed may be a password in the wrong field.
		if a != nil {
			s.Log.Info("sign-in failed", "login", login, "client", client.String())
		} else {
			s.Log.Info("sign-in failed: no such account", "client", client.String())
		}
		page.Error, page.ErrorEN = "登录名或密码错误。", "Wrong login name or password."
		s.renderPrivate(w, r, http.StatusUnauthorized, "login.html", page)
		return
	}
	sess := auth.NewSession(a, s.Now())
	s.setCookie(w, sessionCookie, s.Secret.Seal(sess), sess.Expires)
	s.setCookie(w, preCookie, "", time.Time{})
	s.Log.Info("signed in", "login", login)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// dummyHash is verified when the login name does not exist, so that the
// time taken does not tell.
var dummyHash = auth.NewSecret(make([]byte, 32)).HashPassword("no such account, no such password", "dummy")

// handleLogout ends the session on every instance: the end is recorded in
// the log (account.end_session), and the cookie is cleared.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	_ = r.ParseForm()
	sess, actor, ok := s.session(r)
	if ok && !s.Secret.CheckCSRF(sess.ID, r.PostForm.Get("csrf")) {
		s.csrfRefused(w, r)
		return
	}
	if ok {
		_, err := s.Commands.Execute(r.Context(), command.Request{Community: domain.SystemCommunity, IdempotencyKey: "logout:" + sess.ID,
			Actor: actor, Commands: []command.Command{s.cmd(domain.CmdEndSession, sess.Login, domain.EndSession{SessionID: sess.ID, Until: sess.Expires})}})
		if err != nil {
			s.setCookie(w, sessionCookie, "", time.Time{})
			s.fail(w, r, err)
			return
		}
	}
	s.setCookie(w, sessionCookie, "", time.Time{})
	http.Redirect(w, r, "/login?next="+url.QueryEscape("/desk"), http.StatusSeeOther)
}

func (s *Server) csrfRefused(w http.ResponseWriter, r *http.Request) {
	s.renderPrivate(w, r, http.StatusForbidden, "error.html", Problem{Status: http.StatusForbidden, Title: "Form expired or forged", TitleZH: "表单已失效",
		Code: "csrf", Detail: "The form's security token is missing or wrong; nothing was recorded. Reload the page and submit again.",
		DetailZH: "表单的安全令牌缺失或不正确，未记录任何内容。请刷新页面后重新提交。"})
}

// renderPrivate renders a page for a signed-in person (or the sign-in
// form): never cached, forms post to this site only.
func (s *Server) renderPrivate(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	s.renderWith(w, r, status, name, data, true)
}
