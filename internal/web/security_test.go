package web_test

// Who may do what, sessions, forms and secrets, each tested against a real
// server (embedded JetStream) driven as a person's browser or a script
// drives it. Every refusal is checked twice: by its status and by the
// stream's last sequence, which a refused request must not move.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
	"github.com/gongkai/gongkai/internal/web"
)

// Passwords of the accounts in these tests (CheckPassword accepts them).
const (
	pwRoot = "Xk9-Lychee-2026!"
	pwLina = "Qz7-Mango-2026!"
	pwWang = "Mv3-Papaya-2026!"
)

var asAdmin = map[string]string{"Authorization": "Bearer " + apptest.AdminToken}

func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

// registerCommunity registers community id in town as the administrator.
func registerCommunity(t *testing.T, s *apptest.Server, id, town string) {
	t.Helper()
	body := fmt.Sprintf(`{"type":"community.register","aggregate_id":%q,"effective_date":"2025-01-02","data":{"name":"社区 %s","kind":"社区","town":%q,"county":"示例县"}}`, id, id, town)
	mustStatus(t, s.Command(t, id, "register-"+id, body), http.StatusCreated)
}

// accountToken has the administrator issue an API token, kept under
// community, that acts as the account login.
func accountToken(t *testing.T, s *apptest.Server, community, login string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"community": community, "label": "令牌 " + login, "account": login})
	r := mustStatus(t, apptest.Do(t, http.MethodPost, s.URL+"/api/v1/tokens", body, asAdmin), http.StatusCreated)
	return r["token"].(string)
}

// api sends a JSON body with the given headers and a fresh idempotency key.
func api(t *testing.T, method, target, body string, headers map[string]string) apptest.Response {
	t.Helper()
	h := map[string]string{"Idempotency-Key": fmt.Sprintf("sec-%d", time.Now().UnixNano())}
	for k, v := range headers {
		h[k] = v
	}
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	return apptest.Do(t, method, target, b, h)
}

func must2xx(t *testing.T, what string, r apptest.Response) {
	t.Helper()
	if r.Status/100 != 2 {
		t.Fatalf("%s: status %d: %s", what, r.Status, r.Body)
	}
}

// send sends a request with the given cookies and, when form is not nil,
// the form as its body. It goes straight to the transport, which neither
// follows redirects nor keeps cookies (the tests set and read cookies
// themselves) nor, as Go's client does, refuses a Location holding a
// control character that a browser would follow.
func send(t *testing.T, method, target string, form url.Values, cookies ...*http.Cookie) apptest.Response {
	t.Helper()
	req, err := http.NewRequest(method, target, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return apptest.Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

// setCookie returns the cookie named name that a reply sets, or nil.
func setCookie(r apptest.Response, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// signedIn reports whether a session cookie is accepted by the server:
// /login sends a signed-in person on to next (303), and shows the form
// (200) to anyone else.
func signedIn(t *testing.T, serverURL string, c *http.Cookie) bool {
	t.Helper()
	r := send(t, http.MethodGet, serverURL+"/login?next="+url.QueryEscape("/probe"), nil, c)
	switch {
	case r.Status == http.StatusSeeOther && r.Header.Get("Location") == "/probe":
		return true
	case r.Status == http.StatusOK:
		return false
	}
	t.Fatalf("GET /login with a session cookie: %d Location %q", r.Status, r.Header.Get("Location"))
	return false
}

// copyCookie copies a browser's session cookie, as an attacker who took it
// would keep it.
func copyCookie(t *testing.T, b *apptest.Browser) *http.Cookie {
	t.Helper()
	c := b.SessionCookie()
	if c == nil {
		t.Fatal("the browser has no session cookie after signing in")
	}
	return &http.Cookie{Name: c.Name, Value: c.Value}
}

func typesOf(evs []apptest.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

var inputRE = regexp.MustCompile(`<(?:input|textarea)[^>]*\bname="([^"]*)"(?:[^>]*\bvalue="([^"]*)")?`)

// formValues returns the values of a page's inputs, as a browser would
// submit them unchanged.
func formValues(page []byte) url.Values {
	v := url.Values{}
	for _, m := range inputRE.FindAllSubmatch(page, -1) {
		if name := html.UnescapeString(string(m[1])); v.Get(name) == "" {
			v.Set(name, html.UnescapeString(string(m[2])))
		}
	}
	return v
}

// A clerk of community c1 cannot write to community c2 through the API,
// with a token of the account kept under either community, nor grant
// herself a role or a token there; nothing is recorded. Her token does
// write to c1, so that the refusals are the scope's.
func TestClerkCannotWriteToAnotherCommunityThroughTheAPI(t *testing.T) {
	s := setup(t, app.Config{})
	registerCommunity(t, s, "c2", "另一镇")
	s.CreateAccount(t, "lina", "李娜", pwLina, "clerk", "community:c1")
	tokC1 := accountToken(t, s, "c1", "lina")
	tokC2 := accountToken(t, s, "c2", "lina")

	before := s.LastSeq(t)
	for _, c := range []struct {
		what, method, path, body, token string
	}{
		{"a command to c2 (token kept under c1)", "POST", "/api/v1/communities/c2/commands", register("x1", "2025-02-01"), tokC1},
		{"a command to c2 (token kept under c2)", "POST", "/api/v1/communities/c2/commands", register("x2", "2025-02-01"), tokC2},
		{"a batch to c2", "POST", "/api/v1/communities/c2/commands:batch", `{"commands":[` + register("x3", "2025-02-01") + `]}`, tokC1},
		{"a voucher in c2's books", "POST", "/api/v1/communities/c2/commands",
			step("books.post_voucher", "books", "2025-02-02", `{"number":1,"summary":"办公费","lines":[{"account":"541","debit":"1.00"},{"account":"101","credit":"1.00"}],"preparer":"李娜"}`), tokC2},
		{"the clerk role over c2 for herself", "POST", "/api/v1/accounts/lina/grant", `{"role":"clerk","scope":"community:c2"}`, tokC1},
		{"the administrator role for herself", "POST", "/api/v1/accounts/lina/grant", `{"role":"administrator","scope":"all"}`, tokC1},
		{"a token of c2", "POST", "/api/v1/tokens", `{"community":"c2","label":"偷来的","account":"lina"}`, tokC1},
		{"a community token of c2", "POST", "/api/v1/tokens", `{"community":"c2","label":"偷来的"}`, tokC2},
		{"a new community", "POST", "/api/v1/communities/c3/commands",
			`{"type":"community.register","aggregate_id":"c3","effective_date":"2025-01-02","data":{"name":"新社区","kind":"社区","town":"另一镇","county":"示例县"}}`, tokC1},
	} {
		if r := api(t, c.method, s.URL+c.path, c.body, bearer(c.token)); r.Status != http.StatusForbidden {
			t.Errorf("clerk of c1 sends %s: status %d, want 403: %s", c.what, r.Status, r.Body)
		}
	}
	if after := s.LastSeq(t); after != before {
		t.Fatalf("LastSeq = %d after the refused requests, want %d: %v", after, before, typesOf(s.EventsAfter(t, before)))
	}

	for i, tok := range []string{tokC1, tokC2} {
		mustStatus(t, api(t, "POST", s.URL+"/api/v1/communities/c1/commands", register(fmt.Sprint("own-", i), "2025-02-01"), bearer(tok)), http.StatusCreated)
	}
}

// A clerk of c1 cannot record in c2 through the workbench: c2's form is
// refused on GET and on a confirmed POST with the session's own CSRF
// token, and nothing is recorded; the same POST to c1 records the matter.
func TestClerkCannotWriteToAnotherCommunityThroughThePages(t *testing.T) {
	s := setup(t, app.Config{})
	registerCommunity(t, s, "c2", "另一镇")
	s.CreateAccount(t, "lina", "李娜", pwLina, "clerk", "community:c1")
	b := s.SignIn(t, "lina", pwLina)

	own := b.Get(t, "/c/c1/desk/matter-register")
	if own.Status != http.StatusOK {
		t.Fatalf("GET /c/c1/desk/matter-register as c1's clerk: %d, want 200 (is the workbench mounted?): %.300s", own.Status, own.Body)
	}
	form := formValues(own.Body)
	form.Set("id", "m-sec-1")
	form.Set("title", "修缮村道")
	form.Set("effective_date", "2026-01-05")
	form.Set("action", "confirm")
	if form.Get("csrf") == "" {
		t.Fatalf("the workbench form has no csrf field: %s", own.Body)
	}

	if r := b.Get(t, "/c/c2/desk/matter-register"); r.Status != http.StatusForbidden {
		t.Errorf("GET /c/c2/desk/matter-register as c1's clerk: %d, want 403", r.Status)
	}
	if r := b.Get(t, "/c/c2/desk"); r.Status == http.StatusOK && bytes.Contains(r.Body, []byte(`/c/c2/desk/matter-register`)) {
		t.Errorf("GET /c/c2/desk as c1's clerk offers c2's matter form")
	}
	before := s.LastSeq(t)
	if r := b.PostForm(t, "/c/c2/desk/matter-register", form); r.Status != http.StatusForbidden {
		t.Errorf("confirmed POST /c/c2/desk/matter-register as c1's clerk: %d, want 403: %.300s", r.Status, r.Body)
	}
	if after := s.LastSeq(t); after != before {
		t.Fatalf("LastSeq = %d after the refused form, want %d", after, before)
	}

	r := b.PostForm(t, "/c/c1/desk/matter-register", form)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("confirmed POST /c/c1/desk/matter-register: %d, want 303 to the receipt: %.300s", r.Status, r.Body)
	}
	evs := s.EventsAfter(t, before)
	if len(evs) != 1 || evs[0].Type != "matter.registered" || evs[0].Community != "c1" || evs[0].Actor != "lina" {
		t.Fatalf("after the form: %d events %v, want one matter.registered in c1 by lina", len(evs), typesOf(evs))
	}
}

// Without a session the workbench and the account pages send the browser
// to the sign-in form, with the page to come back to; a form posted
// without a session records nothing.
func TestPagesWithoutASessionGoToLogin(t *testing.T) {
	s := setup(t, app.Config{})
	for _, path := range []string{"/desk", "/c/c1/desk", "/c/c1/desk/matter-register", "/account", "/admin/accounts"} {
		r := send(t, http.MethodGet, s.URL+path, nil)
		if want := "/login?next=" + url.QueryEscape(path); r.Status != http.StatusSeeOther || r.Header.Get("Location") != want {
			t.Errorf("GET %s without a session: %d Location %q, want 303 %s", path, r.Status, r.Header.Get("Location"), want)
		}
	}
	before := s.LastSeq(t)
	r := send(t, http.MethodPost, s.URL+"/c/c1/desk/matter-register", url.Values{"id": {"m-anon"}, "title": {"匿名"}, "action": {"confirm"}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login?next=") {
		t.Errorf("POST /c/c1/desk/matter-register without a session: %d Location %q, want 303 to /login", r.Status, r.Header.Get("Location"))
	}
	if after := s.LastSeq(t); after != before {
		t.Fatalf("LastSeq = %d after a form without a session, want %d", after, before)
	}
}

// Forms posted without the session's CSRF token (none, a forged one, or
// another session's) are refused with 403 and record nothing: logging
// out, the administrator's account form, a workbench form, and signing in
// without the login form's own token. With the right token each works.
func TestFormsNeedTheSessionsCSRFToken(t *testing.T) {
	s := setup(t, app.Config{})
	s.CreateAccount(t, "root", "管理员", pwRoot, "administrator", "all")
	b := s.SignIn(t, "root", pwRoot)
	other := s.SignIn(t, "root", pwRoot) // a second session of the same account
	good := s.SessionCSRF(t, b)
	bad := map[string]string{"no": "", "a forged": "forged-" + good[:8], "another session's": s.SessionCSRF(t, other)}

	refused := func(path string, form url.Values) {
		t.Helper()
		for what, token := range bad {
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			if token != "" {
				f.Set("csrf", token)
			}
			before := s.LastSeq(t)
			if r := b.PostForm(t, path, f); r.Status != http.StatusForbidden {
				t.Errorf("POST %s with %s CSRF token: %d, want 403: %.300s", path, what, r.Status, r.Body)
			}
			if after := s.LastSeq(t); after != before {
				t.Errorf("POST %s with %s CSRF token moved LastSeq from %d to %d", path, what, before, after)
			}
		}
	}

	// The administrator's account form.
	create := url.Values{"action": {"create"}, "login": {"wang"}, "display_name": {"王芳"}, "password": {pwWang}, "idem": {"csrf-create"}}
	refused("/admin/accounts", create)
	if r := api(t, "GET", s.URL+"/api/v1/accounts", "", asAdmin); bytes.Contains(r.Body, []byte(`"wang"`)) {
		t.Fatalf("the account wang exists after refused forms")
	}
	create.Set("csrf", good)
	if r := b.PostForm(t, "/admin/accounts", create); r.Status != http.StatusSeeOther {
		t.Errorf("POST /admin/accounts with the session's token: %d, want 303: %.300s", r.Status, r.Body)
	}

	// A workbench form (the administrator registers a community).
	wb := b.Get(t, "/desk/new-community")
	if wb.Status != http.StatusOK {
		t.Errorf("GET /desk/new-community as the administrator: %d, want 200 (is the workbench mounted?)", wb.Status)
	} else {
		form := formValues(wb.Body)
		form.Del("csrf")
		form.Set("action", "confirm")
		refused("/desk/new-community", form)
		form.Set("csrf", good)
		if r := b.PostForm(t, "/desk/new-community", form); r.Status == http.StatusForbidden {
			t.Errorf("POST /desk/new-community with the session's token: 403: %.300s", r.Body)
		}
	}
	form := formValues(b.Get(t, "/c/c1/desk/matter-register").Body)
	form.Del("csrf")
	form.Set("title", "伪造的事项")
	form.Set("action", "confirm")
	refused("/c/c1/desk/matter-register", form)

	// Logging out: refused, the session goes on.
	refused("/logout", url.Values{})
	c := copyCookie(t, b)
	if !signedIn(t, s.URL, c) {
		t.Fatal("a refused logout ended the session")
	}
	before := s.LastSeq(t)
	if r := b.PostForm(t, "/logout", url.Values{"csrf": {good}}); r.Status != http.StatusSeeOther {
		t.Errorf("logout with the session's token: %d, want 303", r.Status)
	}
	if evs := s.EventsAfter(t, before); len(evs) != 1 || evs[0].Type != domain.EvSessionEnded {
		t.Errorf("logout recorded %v, want one %s", typesOf(evs), domain.EvSessionEnded)
	}

	// Signing in needs the login form's token, bound to its pre-session
	// cookie: a form posted from elsewhere is refused.
	r := send(t, http.MethodPost, s.URL+"/login", url.Values{"login": {"root"}, "password": {pwRoot}, "csrf": {good}})
	if r.Status != http.StatusForbidden || setCookie(r, "gk_session") != nil {
		t.Errorf("POST /login without the form's pre-session cookie: %d (session cookie %v), want 403 and none", r.Status, setCookie(r, "gk_session"))
	}
}

// The session cookie is HttpOnly, SameSite=Lax, Path=/, not Secure over
// http; behind an https public address it is __Host-gk_session and
// Secure, and so is the login form's pre-session cookie.
func TestSessionCookieAttributes(t *testing.T) {
	check := func(t *testing.T, c *http.Cookie, name string, secure bool) {
		t.Helper()
		if c == nil {
			t.Fatalf("no %s cookie set", name)
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" || c.Secure != secure {
			t.Errorf("cookie %s: HttpOnly=%v SameSite=%v Path=%q Domain=%q Secure=%v; want HttpOnly, Lax, Path=/, no Domain, Secure=%v (%s)",
				name, c.HttpOnly, c.SameSite, c.Path, c.Domain, c.Secure, secure, c.Raw)
		}
	}
	for _, tc := range []struct {
		publicURL, prefix string
		secure            bool
	}{
		{"", "", false},
		{"https://ledger.example.org", "__Host-", true},
	} {
		t.Run(fmt.Sprintf("public=%q", tc.publicURL), func(t *testing.T) {
			s := setup(t, app.Config{PublicURL: tc.publicURL})
			s.CreateAccount(t, "lina", "李娜", pwLina, "clerk", "community:c1")
			form := send(t, http.MethodGet, s.URL+"/login", nil)
			pre := setCookie(form, tc.prefix+"gk_pre")
			check(t, pre, tc.prefix+"gk_pre", tc.secure)
			r := send(t, http.MethodPost, s.URL+"/login", url.Values{"csrf": {apptest.CSRF(form.Body)}, "login": {"lina"}, "password": {pwLina}}, pre)
			if r.Status != http.StatusSeeOther {
				t.Fatalf("sign in: %d %s", r.Status, r.Body)
			}
			sess := setCookie(r, tc.prefix+"gk_session")
			check(t, sess, tc.prefix+"gk_session", tc.secure)
			if !sess.Expires.After(time.Now()) || sess.Expires.After(time.Now().Add(domain.MaxSessionLifetime)) {
				t.Errorf("session cookie expires %v, want within the session's lifetime", sess.Expires)
			}
			if tc.prefix != "" && setCookie(r, "gk_session") != nil {
				t.Errorf("behind https a cookie without the __Host- prefix is set too")
			}
			if !signedIn(t, s.URL, sess) {
				t.Errorf("the session cookie %s does not sign in", sess.Name)
			}
		})
	}
}

// A session ends with logging out (the same cookie presented again is
// refused), with a new password set by the administrator, with a revoked
// role and with disabling the account, which also refuses signing in.
func TestSessionsEnd(t *testing.T) {
	s := setup(t, app.Config{})
	s.CreateAccount(t, "lina", "李娜", pwLina, "clerk", "community:c1")
	account := s.URL + "/api/v1/accounts/lina/"

	b := s.SignIn(t, "lina", pwLina)
	c := copyCookie(t, b)
	if !signedIn(t, s.URL, c) {
		t.Fatal("a fresh session is not signed in")
	}
	r := b.PostForm(t, "/logout", url.Values{"csrf": {s.SessionCSRF(t, b)}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login?next=%2Fdesk" {
		t.Errorf("logout: %d Location %q, want 303 to /login?next=%%2Fdesk", r.Status, r.Header.Get("Location"))
	}
	if cleared := setCookie(r, "gk_session"); cleared == nil || cleared.MaxAge >= 0 {
		t.Errorf("logout does not clear the session cookie: %v", cleared)
	}
	if signedIn(t, s.URL, c) {
		t.Error("the session cookie copied before logging out still signs in")
	}

	b = s.SignIn(t, "lina", pwLina)
	c = copyCookie(t, b)
	must2xx(t, "new password", api(t, "POST", account+"password", `{"password":"Kiwi-New-2026-pw!"}`, asAdmin))
	if signedIn(t, s.URL, c) {
		t.Error("a session begun before the administrator set a new password still signs in")
	}
	if r := apptest.NewBrowser(s.URL).SignIn(t, "lina", pwLina); r.Status != http.StatusUnauthorized {
		t.Errorf("sign in with the old password: %d, want 401", r.Status)
	}

	b = s.SignIn(t, "lina", "Kiwi-New-2026-pw!")
	c = copyCookie(t, b)
	must2xx(t, "revoke", api(t, "POST", account+"revoke", `{"role":"clerk","scope":"community:c1"}`, asAdmin))
	if signedIn(t, s.URL, c) {
		t.Error("a session begun before a role was revoked still signs in")
	}

	must2xx(t, "grant", api(t, "POST", account+"grant", `{"role":"clerk","scope":"community:c1"}`, asAdmin))
	b = s.SignIn(t, "lina", "Kiwi-New-2026-pw!")
	c = copyCookie(t, b)
	must2xx(t, "disable", api(t, "POST", account+"disable", `{"reason":"离职"}`, asAdmin))
	if signedIn(t, s.URL, c) {
		t.Error("a session of a disabled account still signs in")
	}
	if r := apptest.NewBrowser(s.URL).SignIn(t, "lina", "Kiwi-New-2026-pw!"); r.Status != http.StatusUnauthorized {
		t.Errorf("sign in to a disabled account with its password: %d, want 401", r.Status)
	}
	must2xx(t, "enable", api(t, "POST", account+"enable", `{}`, asAdmin))
	if r := apptest.NewBrowser(s.URL).SignIn(t, "lina", "Kiwi-New-2026-pw!"); r.Status != http.StatusSeeOther {
		t.Errorf("sign in once enabled again: %d, want 303", r.Status)
	}
}

// Wrong passwords for one account, from as many addresses, block signing
// in to it after LoginFailureLimit, even with the right password, from a
// fresh address that may still sign in to another account. Wrong
// passwords from one address against many accounts block that address
// after AuthFailureLimit, for an account with no failures of its own.
func TestSignInThrottled(t *testing.T) {
	s := setup(t, app.Config{})
	s.CreateAccount(t, "lina", "李娜", pwLina, "clerk", "community:c1")
	s.CreateAccount(t, "wang", "王芳", pwWang, "clerk", "community:c1")
	s.CreateAccount(t, "root", "管理员", pwRoot, "administrator", "all")

	blocked := func(what string, r apptest.Response, window time.Duration) {
		t.Helper()
		if r.Status != http.StatusTooManyRequests {
			t.Errorf("%s: %d, want 429", what, r.Status)
			return
		}
		if secs, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || secs < 1 || secs > int(window/time.Second) {
			t.Errorf("%s: Retry-After %q, want 1 to %d seconds", what, r.Header.Get("Retry-After"), int(window/time.Second))
		}
		if !bytes.Contains(r.Body, []byte("登录失败次数过多")) {
			t.Errorf("%s: the page does not say why: %s", what, r.Body)
		}
		if setCookie(r, "gk_session") != nil {
			t.Errorf("%s: a session cookie was set", what)
		}
	}
	for i := range 2 * web.LoginFailureLimit {
		b := apptest.NewBrowserFrom(s.URL, fmt.Sprintf("127.0.1.%d", i+1))
		r := b.SignIn(t, "lina", fmt.Sprintf("wrong-password-%02d", i))
		if i < web.LoginFailureLimit {
			if r.Status != http.StatusUnauthorized {
				t.Fatalf("wrong password %d for lina: %d, want 401 (can this machine connect from 127.0.1.%d?)", i+1, r.Status, i+1)
			}
			continue
		}
		blocked(fmt.Sprintf("wrong password %d for lina", i+1), r, web.LoginFailureWindow)
	}
	fresh := apptest.NewBrowserFrom(s.URL, "127.0.2.1")
	blocked("lina's right password from a fresh address", fresh.SignIn(t, "lina", pwLina), web.LoginFailureWindow)
	if r := fresh.SignIn(t, "wang", pwWang); r.Status != http.StatusSeeOther {
		t.Errorf("wang's right password from the same fresh address: %d, want 303", r.Status)
	}

	one := apptest.NewBrowserFrom(s.URL, "127.0.3.1")
	for i := range web.AuthFailureLimit {
		if r := one.SignIn(t, fmt.Sprintf("guess%02d", i), "wrong-password"); r.Status != http.StatusUnauthorized {
			t.Fatalf("guess %d from one address: %d, want 401", i+1, r.Status)
		}
	}
	blocked("root's right password from the guessing address", one.SignIn(t, "root", pwRoot), web.AuthFailureWindow)
	if r := apptest.NewBrowserFrom(s.URL, "127.0.3.2").SignIn(t, "root", pwRoot); r.Status != http.StatusSeeOther {
		t.Errorf("root's right password from another address: %d, want 303", r.Status)
	}
}

// streamBytes returns every message of every stream the server's
// connection reaches, subjects, headers and data, as stored.
func streamBytes(t *testing.T, s *apptest.Server) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	js, err := jetstream.New(s.Conn)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	names := js.StreamNames(ctx)
	n := 0
	for name := range names.Name() {
		st, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatalf("stream %s: %v", name, err)
		}
		info, err := st.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n++
		if info.State.Msgs == 0 {
			continue
		}
		cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
		if err != nil {
			t.Fatal(err)
		}
		for read := uint64(0); ; read++ {
			m, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
			if err != nil {
				t.Fatalf("stream %s after %d messages: %v", name, read, err)
			}
			fmt.Fprintf(&out, "%s %s\n", name, m.Subject())
			for k, vs := range m.Headers() {
				fmt.Fprintf(&out, "%s: %s\n", k, strings.Join(vs, ", "))
			}
			out.Write(m.Data())
			out.WriteByte('\n')
			meta, err := m.Metadata()
			if err != nil {
				t.Fatal(err)
			}
			if meta.Sequence.Stream >= info.State.LastSeq {
				break
			}
		}
	}
	if err := names.Err(); err != nil {
		t.Fatalf("list streams: %v", err)
	}
	if n < 2 {
		t.Fatalf("read %d streams, want the ledger's and its checkpoints'", n)
	}
	return out.Bytes()
}

// filesBytes returns the contents of every file under dir.
func filesBytes(t *testing.T, dir string) []byte {
	t.Helper()
	var out bytes.Buffer
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		out.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// encodings returns the forms a password could take in a log line or a
// stored message.
func encodings(pw string) map[string]string {
	j, _ := json.Marshal(pw)
	return map[string]string{
		"plain": pw, "json": strings.Trim(string(j), `"`), "url-encoded": url.QueryEscape(pw),
		"base64": base64.StdEncoding.EncodeToString([]byte(pw)), "base64 raw": base64.RawStdEncoding.EncodeToString([]byte(pw)),
		"base64url": base64.URLEncoding.EncodeToString([]byte(pw)), "base64url raw": base64.RawURLEncoding.EncodeToString([]byte(pw)),
		"hex": hex.EncodeToString([]byte(pw)), "HEX": strings.ToUpper(hex.EncodeToString([]byte(pw))),
	}
}

// Passwords are recorded as argon2id hashes (of the peppered password) and
// appear in no form in any stored message, header or payload, in any file
// of the data directory, nor in the server's log at Debug level: accounts created through the API and the
// administrator's page, a password set by the administrator and one's
// own, signing in, and failing to.
func TestPasswordNeverStoredOrLogged(t *testing.T) {
	s, logs := apptest.StartLogged(t, app.Config{})
	mustStatus(t, s.Command(t, "c1", "setup-community", community), http.StatusCreated)
	pw := map[string]string{
		"lina created":   "Quokka-7Gz!xR4-a",
		"lina reset":     "Wombat-9Jd#kL2-b",
		"lina own":       "Numbat-3Hq$wP8-c",
		"wang by page":   "Dingo-5Tc%vN1-d",
		"root created":   "Bilby-6Mf&yS3-e",
		"wrong for lina": "Possum-2Kx*eA9-f",
	}
	s.CreateAccount(t, "root", "管理员", pw["root created"], "administrator", "all")
	s.CreateAccount(t, "lina", "李娜", pw["lina created"], "clerk", "community:c1")
	must2xx(t, "reset lina's password", api(t, "POST", s.URL+"/api/v1/accounts/lina/password",
		fmt.Sprintf(`{"password":%q}`, pw["lina reset"]), asAdmin))

	root := s.SignIn(t, "root", pw["root created"])
	if r := root.PostForm(t, "/admin/accounts", url.Values{"csrf": {s.SessionCSRF(t, root)}, "action": {"create"}, "login": {"wang"},
		"display_name": {"王芳"}, "password": {pw["wang by page"]}, "idem": {"pw-wang"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("create wang through the page: %d %.300s", r.Status, r.Body)
	}
	lina := s.SignIn(t, "lina", pw["lina reset"])
	if r := lina.PostForm(t, "/account", url.Values{"csrf": {s.SessionCSRF(t, lina)}, "idem": {"pw-own"}, "current": {pw["lina reset"]},
		"password": {pw["lina own"]}, "password2": {pw["lina own"]}}); r.Status != http.StatusSeeOther {
		t.Fatalf("lina sets her own password: %d %.300s", r.Status, r.Body)
	}
	s.SignIn(t, "lina", pw["lina own"])
	for _, wrong := range []string{pw["wrong for lina"], pw["lina created"]} {
		if r := apptest.NewBrowser(s.URL).SignIn(t, "lina", wrong); r.Status != http.StatusUnauthorized {
			t.Fatalf("sign in with a wrong password: %d, want 401", r.Status)
		}
	}

	stored, logged, onDisk := streamBytes(t, s), logs.Bytes(), filesBytes(t, s.Dir)
	if !bytes.Contains(logged, []byte("sign-in failed")) {
		t.Fatalf("the captured log does not hold the failed sign-ins, so it cannot show what they log:\n%s", logged)
	}
	for what, p := range pw {
		for form, enc := range encodings(p) {
			if bytes.Contains(stored, []byte(enc)) {
				t.Errorf("the password (%s) is in the stream, %s: %q", what, form, enc)
			}
			if bytes.Contains(logged, []byte(enc)) {
				t.Errorf("the password (%s) is in the log, %s: %q", what, form, enc)
			}
			if bytes.Contains(onDisk, []byte(enc)) {
				t.Errorf("the password (%s) is in a file of the data directory, %s: %q", what, form, enc)
			}
		}
	}

	// Each password given is in the log as an argon2id hash that only the
	// instance's secret key verifies.
	sec := s.Secret(t)
	hashes := map[string][]string{}
	for _, e := range s.EventsAfter(t, 0) {
		if e.Type != domain.EvAccountCreated && e.Type != domain.EvPasswordSet {
			continue
		}
		var d struct {
			PasswordHash string `json:"password_hash"`
		}
		if err := json.Unmarshal(e.Data, &d); err != nil || !strings.HasPrefix(d.PasswordHash, "$argon2id$v=19$") {
			t.Fatalf("%s of %s holds %q, want an argon2id hash (%v)", e.Type, e.AggregateID, d.PasswordHash, err)
		}
		if !bytes.Contains(stored, []byte(d.PasswordHash)) || !bytes.Contains(onDisk, []byte(d.PasswordHash)) {
			t.Errorf("the hash of %s of %s is not in the raw stream and its files", e.Type, e.AggregateID)
		}
		hashes[e.AggregateID] = append(hashes[e.AggregateID], d.PasswordHash)
	}
	for _, c := range []struct{ login, pw string }{
		{"root", "root created"}, {"lina", "lina created"}, {"lina", "lina reset"}, {"lina", "lina own"}, {"wang", "wang by page"},
	} {
		found := false
		for _, h := range hashes[c.login] {
			found = found || sec.VerifyPassword(h, pw[c.pw])
		}
		if !found {
			t.Errorf("no hash of %s's password (%s) in the log: %v", c.login, c.pw, hashes[c.login])
		}
	}
}

// Account, role, token and session events record who acted: the
// environment token as "admin", an administrator's account (through its
// API token and through the account page) by its login, a person logging
// out as themself.
func TestAccessEventsRecordTheActor(t *testing.T) {
	s := setup(t, app.Config{})
	expect := func(what string, before uint64, actor string, types ...string) {
		t.Helper()
		evs := s.EventsAfter(t, before)
		if got := typesOf(evs); strings.Join(got, " ") != strings.Join(types, " ") {
			t.Errorf("%s recorded %v, want %v", what, got, types)
		}
		for _, e := range evs {
			if e.Actor != actor {
				t.Errorf("%s: %s of %s records actor %q, want %q", what, e.Type, e.AggregateID, e.Actor, actor)
			}
		}
	}
	seq := s.LastSeq(t)
	s.CreateAccount(t, "root", "管理员", pwRoot, "administrator", "all")
	expect("the environment token creates root", seq, "admin", domain.EvAccountCreated, domain.EvRoleGranted)
	seq = s.LastSeq(t)
	rootToken := accountToken(t, s, "c1", "root")
	expect("the environment token issues root's token", seq, "admin", domain.EvTokenIssued)

	asRoot := bearer(rootToken)
	steps := []struct {
		what, method, path, body string
		types                    []string
	}{
		{"create lina", "POST", "/api/v1/accounts", fmt.Sprintf(`{"login":"lina","display_name":"李娜","password":%q,"role":"clerk","scope":"community:c1"}`, pwLina),
			[]string{domain.EvAccountCreated, domain.EvRoleGranted}},
		{"grant", "POST", "/api/v1/accounts/lina/grant", `{"role":"accountant","scope":"community:c1"}`, []string{domain.EvRoleGranted}},
		{"revoke", "POST", "/api/v1/accounts/lina/revoke", `{"role":"accountant","scope":"community:c1"}`, []string{domain.EvRoleRevoked}},
		{"set a password", "POST", "/api/v1/accounts/lina/password", `{"password":"Kiwi-New-2026-pw!"}`, []string{domain.EvPasswordSet}},
		{"disable", "POST", "/api/v1/accounts/lina/disable", `{"reason":"调岗"}`, []string{domain.EvAccountDisabled}},
		{"enable", "POST", "/api/v1/accounts/lina/enable", `{}`, []string{domain.EvAccountEnabled}},
	}
	for _, st := range steps {
		seq = s.LastSeq(t)
		must2xx(t, st.what, api(t, st.method, s.URL+st.path, st.body, asRoot))
		expect("root's token: "+st.what, seq, "root", st.types...)
	}
	seq = s.LastSeq(t)
	tok := mustStatus(t, api(t, "POST", s.URL+"/api/v1/tokens", `{"community":"c1","label":"文书 李娜","account":"lina"}`, asRoot), http.StatusCreated)
	expect("root's token: issue a token", seq, "root", domain.EvTokenIssued)
	seq = s.LastSeq(t)
	must2xx(t, "revoke a token", api(t, "DELETE", s.URL+"/api/v1/communities/c1/tokens/"+tok["token_id"].(string), "", asRoot))
	expect("root's token: revoke a token", seq, "root", domain.EvTokenRevoked)

	root := s.SignIn(t, "root", pwRoot)
	seq = s.LastSeq(t)
	if r := root.PostForm(t, "/admin/accounts", url.Values{"csrf": {s.SessionCSRF(t, root)}, "idem": {"actor-grant"}, "action": {"grant"},
		"login": {"lina"}, "role": {"supervisor"}, "scope_kind": {"community"}, "scope_value": {"c1"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("grant through the account page: %d %.300s", r.Status, r.Body)
	}
	expect("root's session: grant through the page", seq, "root", domain.EvRoleGranted)

	lina := s.SignIn(t, "lina", "Kiwi-New-2026-pw!")
	seq = s.LastSeq(t)
	if r := lina.PostForm(t, "/logout", url.Values{"csrf": {s.SessionCSRF(t, lina)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("logout: %d", r.Status)
	}
	expect("lina logs out", seq, "lina", domain.EvSessionEnded)
}

var nextRE = regexp.MustCompile(`name="next" value="([^"]*)"`)

// onSite reports whether a Location keeps a browser on the site at base:
// it is read as a browser reads it, without tabs and newlines and with
// backslashes as slashes.
func onSite(base *url.URL, location string) bool {
	clean := strings.Map(func(r rune) rune {
		switch r {
		case '\t', '\n', '\r':
			return -1
		case '\\':
			return '/'
		}
		return r
	}, strings.TrimFunc(location, func(r rune) bool { return r <= ' ' }))
	u, err := base.Parse(clean)
	return err == nil && u.Scheme == base.Scheme && u.Host == base.Host
}

// After signing in, "next" leads only to a page of this site: another
// site's address, in any spelling, leads to /desk; a local path is kept.
func TestSignInRedirectStaysOnSite(t *testing.T) {
	s := setup(t, app.Config{})
	s.CreateAccount(t, "lina", "李娜", pwLina, "clerk", "community:c1")
	base, _ := url.Parse(s.URL)

	signIn := func(next string, fromForm bool) apptest.Response {
		t.Helper()
		page := send(t, http.MethodGet, s.URL+"/login?next="+url.QueryEscape(next), nil)
		if fromForm {
			m := nextRE.FindSubmatch(page.Body)
			if m == nil {
				t.Fatalf("the login form has no next field")
			}
			next = html.UnescapeString(string(m[1]))
		}
		return send(t, http.MethodPost, s.URL+"/login", url.Values{"csrf": {apptest.CSRF(page.Body)}, "login": {"lina"}, "password": {pwLina}, "next": {next}},
			setCookie(page, "gk_pre"))
	}
	for _, next := range []string{"//evil.example", "https://evil.example"} {
		for _, fromForm := range []bool{true, false} {
			if r := signIn(next, fromForm); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/desk" {
				t.Errorf("sign in with next=%q (through the form: %v): %d Location %q, want 303 /desk", next, fromForm, r.Status, r.Header.Get("Location"))
			}
		}
	}
	for _, next := range []string{"http://evil.example/desk", "/\\evil.example", "\\\\evil.example", "/\t/evil.example", "/\n/evil.example",
		"/\r\n/evil.example", " //evil.example", "\t//evil.example", "///evil.example", "/%2F/evil.example", "javascript:alert(1)", "https:evil.example"} {
		for _, fromForm := range []bool{true, false} {
			if r := signIn(next, fromForm); r.Status != http.StatusSeeOther || !onSite(base, r.Header.Get("Location")) {
				t.Errorf("sign in with next=%q (through the form: %v): %d Location %q, which leaves the site", next, fromForm, r.Status, r.Header.Get("Location"))
			}
		}
	}
	if r := signIn("/c/c1/desk?tab=matters", true); r.Header.Get("Location") != "/c/c1/desk?tab=matters" {
		t.Errorf("sign in with a local next: Location %q, want /c/c1/desk?tab=matters", r.Header.Get("Location"))
	}

	// Already signed in, /login sends on at once, by the same rule.
	c := setCookie(signIn("/desk", false), "gk_session")
	for _, next := range []string{"//evil.example", "https://evil.example", "/\t/evil.example"} {
		if r := send(t, http.MethodGet, s.URL+"/login?next="+url.QueryEscape(next), nil, c); r.Status != http.StatusSeeOther || !onSite(base, r.Header.Get("Location")) {
			t.Errorf("signed in, GET /login?next=%q: %d Location %q, which leaves the site", next, r.Status, r.Header.Get("Location"))
		}
	}
}

// An administrator of one community acts within it only: it may grant
// roles over its community, but it may not set the password of, disable,
// or mint a token acting as an account with wider rights, nor grant
// anything outside its scope.
func TestScopedAdministratorStaysInScope(t *testing.T) {
	s := setup(t, app.Config{})
	registerCommunity(t, s, "c2", "另一镇")
	s.CreateAccount(t, "root", "管理员", pwRoot, "administrator", "all")
	s.CreateAccount(t, "cun", "村管理员", "Cz5-Guava-2026!", "administrator", "community:c1")
	s.CreateAccount(t, "lina", "李娜", pwLina, "", "")
	cunToken := accountToken(t, s, "c1", "cun")
	asCun := bearer(cunToken)

	mustStatus(t, api(t, "POST", s.URL+"/api/v1/accounts/lina/grant", `{"role":"clerk","scope":"community:c1"}`, asCun), http.StatusCreated)

	refused := func(what, method, path, body string, token map[string]string) {
		t.Helper()
		before := s.LastSeq(t)
		if r := api(t, method, s.URL+path, body, token); r.Status != http.StatusForbidden {
			t.Errorf("c1's administrator may %s: %d, want 403: %s", what, r.Status, r.Body)
		}
		if after := s.LastSeq(t); after != before {
			t.Errorf("c1's administrator's refused %s recorded %v", what, typesOf(s.EventsAfter(t, before)))
		}
	}
	refused("grant lina a role over c2", "POST", "/api/v1/accounts/lina/grant", `{"role":"clerk","scope":"community:c2"}`, asCun)
	refused("grant itself every right", "POST", "/api/v1/accounts/cun/grant", `{"role":"administrator","scope":"all"}`, asCun)
	refused("register a community in another town", "POST", "/api/v1/communities/c9/commands",
		`{"type":"community.register","aggregate_id":"c9","effective_date":"2025-01-02","data":{"name":"新社区","kind":"社区","town":"另一镇","county":"示例县"}}`, asCun)
	refused("set root's password", "POST", "/api/v1/accounts/root/password", `{"password":"Taken-Over-2026!"}`, asCun)
	if r := apptest.NewBrowser(s.URL).SignIn(t, "root", "Taken-Over-2026!"); r.Status == http.StatusSeeOther {
		t.Errorf("c1's administrator took over root's account by setting its password")
	}

	// A token it issues acting as root must not carry root's rights.
	r := api(t, "POST", s.URL+"/api/v1/tokens", `{"community":"c1","label":"借用","account":"root"}`, asCun)
	if r.Status == http.StatusCreated {
		minted := bearer(r.JSON(t)["token"].(string))
		refused("write to c2 with a token it minted as root", "POST", "/api/v1/communities/c2/commands", register("minted", "2025-02-01"), minted)
		refused("grant itself every right with a token it minted as root", "POST", "/api/v1/accounts/cun/grant", `{"role":"administrator","scope":"all"}`, minted)
	} else if r.Status != http.StatusForbidden {
		t.Errorf("c1's administrator issues a token acting as root: %d, want 403 or a token with no more than its rights: %s", r.Status, r.Body)
	}

	refused("disable root", "POST", "/api/v1/accounts/root/disable", `{"reason":"夺权"}`, asCun)
}
