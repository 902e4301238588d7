package apptest

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/auth"
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

// LogBuffer holds a server's log output. It is safe for concurrent use.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// Bytes returns a copy of what was logged so far.
func (l *LogBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.buf.Bytes())
}

// StartLogged is Start with the server's log kept, at Debug level, in the
// returned buffer (and also on standard error when GONGKAI_TEST_LOG is
// set), for tests of what the server logs.
func StartLogged(tb testing.TB, cfg app.Config) (*Server, *LogBuffer) {
	tb.Helper()
	if cfg.DataDir == "" && len(cfg.NATSURLs) == 0 {
		cfg.DataDir = tb.TempDir()
	}
	logs := &LogBuffer{}
	var w io.Writer = logs
	if os.Getenv("GONGKAI_TEST_LOG") != "" {
		w = io.MultiWriter(logs, os.Stderr)
	}
	s := launch(tb, cfg, slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})))
	s.WaitReady(tb)
	return s, logs
}

// NewBrowserFrom is NewBrowser connecting from the local address ip (any
// of 127.0.0.0/8 on Linux), as a person at another address: failed
// sign-ins are throttled per address.
func NewBrowserFrom(url, ip string) *Browser {
	b := NewBrowser(url)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	b.Client.Transport = &http.Transport{DialContext: d.DialContext}
	return b
}

// Secret returns the server's secret key, read from <data>/secret.key.
func (s *Server) Secret(tb testing.TB) auth.Secret {
	tb.Helper()
	sec, _, err := auth.LoadOrCreateSecret(filepath.Join(s.Dir, "secret.key"), false)
	if err != nil {
		tb.Fatalf("secret key: %v", err)
	}
	return sec
}

// SessionCookie returns the browser's session cookie for its server
// (gk_session, or __Host-gk_session behind https), or nil.
func (b *Browser) SessionCookie() *http.Cookie {
	u, err := url.Parse(b.URL)
	if err != nil {
		return nil
	}
	for _, c := range b.Jar.Cookies(u) {
		if c.Name == "gk_session" || c.Name == "__Host-gk_session" {
			return c
		}
	}
	return nil
}

// SessionCSRF returns the CSRF token of the browser's session, as every
// form of the session carries it, derived with the server's secret key.
func (s *Server) SessionCSRF(tb testing.TB, b *Browser) string {
	tb.Helper()
	c := b.SessionCookie()
	if c == nil {
		tb.Fatalf("the browser has no session cookie")
	}
	sec := s.Secret(tb)
	sess, ok := sec.Open(c.Value)
	if !ok {
		tb.Fatalf("the session cookie does not open with the server's secret key")
	}
	return sec.CSRF(sess.ID)
}
