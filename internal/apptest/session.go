package apptest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// CreateAccount creates an account as the administrator (environment
// token), with one grant when role is set ("clerk", scope
// "community:c1"); "administrator" with scope "all" makes an
// administrator of everything.
func (s *Server) CreateAccount(tb testing.TB, login, name, password, role, scope string) {
	tb.Helper()
	body, _ := json.Marshal(map[string]any{"login": login, "display_name": name, "password": password, "role": role, "scope": scope})
	r := Do(tb, http.MethodPost, s.URL+"/api/v1/accounts", body, map[string]string{"Authorization": "Bearer " + AdminToken})
	if r.Status != http.StatusCreated {
		tb.Fatalf("create account %s: %d %s", login, r.Status, r.Body)
	}
}

// Browser is an HTTP client with a cookie jar that does not follow
// redirects, as a person's browser session.
type Browser struct {
	*http.Client
	URL string
}

// NewBrowser returns a client with an empty cookie jar for server URL.
func NewBrowser(url string) *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{URL: url, Client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// SignIn signs in with login and password through /login, as a browser
// does (the form's CSRF token first), and fails the test unless it worked.
func (s *Server) SignIn(tb testing.TB, login, password string) *Browser {
	tb.Helper()
	b := NewBrowser(s.URL)
	if r := b.SignIn(tb, login, password); r.Status != http.StatusSeeOther {
		tb.Fatalf("sign in %s: %d %s", login, r.Status, r.Body)
	}
	return b
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// CSRF returns the first CSRF token in a page.
func CSRF(page []byte) string {
	m := csrfRE.FindSubmatch(page)
	if m == nil {
		return ""
	}
	return string(m[1])
}

// SignIn posts the sign-in form and returns the reply (303 on success).
func (b *Browser) SignIn(tb testing.TB, login, password string) Response {
	tb.Helper()
	form := b.Get(tb, "/login")
	return b.PostForm(tb, "/login", url.Values{"csrf": {CSRF(form.Body)}, "login": {login}, "password": {password}})
}

// Get fetches a path.
func (b *Browser) Get(tb testing.TB, path string) Response {
	tb.Helper()
	resp, err := b.Client.Get(b.URL + path)
	if err != nil {
		tb.Fatalf("GET %s: %v", path, err)
	}
	return read(resp)
}

// PostForm posts a form to a path.
func (b *Browser) PostForm(tb testing.TB, path string, form url.Values) Response {
	tb.Helper()
	resp, err := b.Client.Post(b.URL+path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		tb.Fatalf("POST %s: %v", path, err)
	}
	return read(resp)
}

func read(resp *http.Response) Response {
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
}
