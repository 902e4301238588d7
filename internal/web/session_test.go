package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
)

// A person signs in with an account made by the administrator, and out
// again; the session cookie is HttpOnly and SameSite=Lax, and a wrong
// password is refused without saying whether the login exists.
func TestSignInAndOut(t *testing.T) {
	s := setup(t, app.Config{})
	s.CreateAccount(t, "lina", "李娜", "Pw-Li-2026-qz!", "clerk", "community:c1")
	b := apptest.NewBrowser(s.URL)
	if r := b.SignIn(t, "lina", "wrong-password-1"); r.Status != http.StatusUnauthorized || !strings.Contains(string(r.Body), "登录名或密码错误") {
		t.Errorf("wrong password: %d %s", r.Status, r.Body)
	}
	if r := b.SignIn(t, "nobody", "wrong-password-1"); r.Status != http.StatusUnauthorized || !strings.Contains(string(r.Body), "登录名或密码错误") {
		t.Errorf("unknown login: %d", r.Status)
	}
	r := b.SignIn(t, "lina", "Pw-Li-2026-qz!")
	if r.Status != http.StatusSeeOther {
		t.Fatalf("sign in: %d %s", r.Status, r.Body)
	}
	var cookie *http.Cookie
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "gk_session" {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Secure {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, not Secure over http", cookie)
	}
	// Logging out needs the session's CSRF token.
	if r := b.PostForm(t, "/logout", url.Values{"csrf": {"forged"}}); r.Status != http.StatusForbidden {
		t.Errorf("logout with a forged token: %d, want 403", r.Status)
	}
	if r := b.Get(t, "/login"); r.Status != http.StatusSeeOther {
		t.Errorf("signed in, /login: %d, want 303 onwards", r.Status)
	}
}

// The administrator creates a clerk's account on the accounts page; the
// clerk signs in and changes the password on their own page, after which
// the old session is over.
func TestAccountPages(t *testing.T) {
	s := setup(t, app.Config{})
	s.CreateAccount(t, "root", "管理员", "Adm-Pw-9x7q!", "administrator", "all")
	admin := s.SignIn(t, "root", "Adm-Pw-9x7q!")
	page := admin.Get(t, "/admin/accounts")
	if page.Status != http.StatusOK || page.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("accounts page: %d %q", page.Status, page.Header.Get("Cache-Control"))
	}
	form := url.Values{"csrf": {apptest.CSRF(page.Body)}, "idem": {"idem-1"}, "action": {"create"}, "login": {"lina"},
		"display_name": {"李娜"}, "password": {"short"}, "role": {"clerk"}, "scope_kind": {"community"}, "scope_value": {"c1"}}
	before := s.LastSeq(t)
	if r := admin.PostForm(t, "/admin/accounts", form); r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "至少10个字符") ||
		!strings.Contains(string(r.Body), `value="lina"`) {
		t.Fatalf("short password: %d, want 422 with the reason and the values kept: %s", r.Status, r.Body)
	}
	if s.LastSeq(t) != before {
		t.Fatal("a refused form recorded something")
	}
	form.Set("password", "Pw-Li-2026-qz!")
	if r := admin.PostForm(t, "/admin/accounts", form); r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	// A double submit records once.
	seq := s.LastSeq(t)
	if r := admin.PostForm(t, "/admin/accounts", form); r.Status != http.StatusSeeOther || s.LastSeq(t) != seq {
		t.Fatalf("double submit: %d, LastSeq %d -> %d", r.Status, seq, s.LastSeq(t))
	}
	clerk := s.SignIn(t, "lina", "Pw-Li-2026-qz!")
	if r := clerk.Get(t, "/admin/accounts"); r.Status != http.StatusForbidden {
		t.Errorf("clerk on the accounts page: %d, want 403", r.Status)
	}
	own := clerk.Get(t, "/account")
	if !strings.Contains(string(own.Body), "文书/报账员") {
		t.Errorf("own page lacks the role: %s", own.Body)
	}
	r := clerk.PostForm(t, "/account", url.Values{"csrf": {apptest.CSRF(own.Body)}, "idem": {"pw-1"}, "current": {"Pw-Li-2026-qz!"},
		"password": {"New-Pw-2027-zz!"}, "password2": {"New-Pw-2027-zz!"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("change password: %d %s", r.Status, r.Body)
	}
	if r := clerk.Get(t, "/account"); r.Status != http.StatusSeeOther {
		t.Errorf("after the change the old session still works: %d", r.Status)
	}
	again := s.SignIn(t, "lina", "New-Pw-2027-zz!")
	if r := apptest.NewBrowser(s.URL).SignIn(t, "lina", "Pw-Li-2026-qz!"); r.Status != http.StatusUnauthorized {
		t.Errorf("old password: %d, want 401", r.Status)
	}
	// The administrator resets a forgotten password on the accounts page:
	// the person's sessions end, the new password works.
	page = admin.Get(t, "/admin/accounts")
	r = admin.PostForm(t, "/admin/accounts", url.Values{"csrf": {apptest.CSRF(page.Body)}, "idem": {"reset-1"}, "action": {"password"},
		"login": {"lina"}, "password": {"Reset-Pw-2028-kk!"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("reset: %d %s", r.Status, r.Body)
	}
	if r := again.Get(t, "/account"); r.Status != http.StatusSeeOther {
		t.Errorf("after a reset the session still works: %d", r.Status)
	}
	s.SignIn(t, "lina", "Reset-Pw-2028-kk!")
}

// The commands endpoints take a community's records, not account or token
// commands: a client may not choose a token's id (the actor its writes are
// recorded under) nor send a password's hash.
func TestAccessCommandsNotOnCommandsEndpoint(t *testing.T) {
	s := setup(t, app.Config{})
	before := s.LastSeq(t)
	body := `{"type":"token.issue","aggregate_id":"lina","effective_date":"2026-11-30","data":{"label":"x","sha256":"` + strings.Repeat("ab", 32) + `"}}`
	r := s.Command(t, "c1", "k-token", body)
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "access_command") {
		t.Errorf("token.issue on /commands: %d %s", r.Status, r.Body)
	}
	r = s.Batch(t, "c1", "k-batch", `{"commands":[`+body+`]}`)
	if r.Status != http.StatusBadRequest {
		t.Errorf("token.issue in a batch: %d %s", r.Status, r.Body)
	}
	if s.LastSeq(t) != before {
		t.Error("a refused access command recorded something")
	}
}
