package main_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gongkai/gongkai/internal/auth"
)

// secretKeyFile writes a new secret key file, as an operator copies one
// to every instance of a log.
func secretKeyFile(t *testing.T) string {
	t.Helper()
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	f := filepath.Join(t.TempDir(), "secret.key")
	if err := os.WriteFile(f, []byte(hex.EncodeToString(raw)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// noFollow neither follows redirects nor keeps cookies.
var noFollow = &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// request sends a form (when not nil) with cookies and returns the reply,
// its body read.
func request(t *testing.T, method, u string, form url.Values, cookies ...*http.Cookie) (*http.Response, []byte) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func cookieNamed(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signIn signs in on the server at base through /login, as a browser
// does, and returns the status and the session cookie (nil unless 303).
func signIn(t *testing.T, base, login, password string) (int, *http.Cookie) {
	t.Helper()
	resp, page := request(t, http.MethodGet, base+"/login", nil)
	pre, m := cookieNamed(resp, "gk_pre"), csrfField.FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || pre == nil || m == nil {
		t.Fatalf("GET %s/login: %d, pre-session cookie %v, CSRF field %v", base, resp.StatusCode, pre, m != nil)
	}
	resp, _ = request(t, http.MethodPost, base+"/login", url.Values{"csrf": {string(m[1])}, "login": {login}, "password": {password}}, pre)
	if resp.StatusCode != http.StatusSeeOther {
		return resp.StatusCode, nil
	}
	c := cookieNamed(resp, "gk_session")
	if c == nil {
		t.Fatalf("sign in to %s on %s: 303 without a session cookie", login, base)
	}
	return resp.StatusCode, c
}

func mustSignIn(t *testing.T, base, login, password string) *http.Cookie {
	t.Helper()
	code, c := signIn(t, base, login, password)
	if code != http.StatusSeeOther {
		t.Fatalf("sign in to %s on %s: %d, want 303", login, base, code)
	}
	return c
}

// accepted reports whether the server at base takes the session cookie:
// /login sends a signed-in person on (303), shows anyone else the form.
func accepted(t *testing.T, base string, c *http.Cookie) bool {
	t.Helper()
	resp, _ := request(t, http.MethodGet, base+"/login?next=%2Fprobe", nil, c)
	switch {
	case resp.StatusCode == http.StatusSeeOther && resp.Header.Get("Location") == "/probe":
		return true
	case resp.StatusCode == http.StatusOK:
		return false
	}
	t.Fatalf("GET %s/login with a session: %d Location %q", base, resp.StatusCode, resp.Header.Get("Location"))
	return false
}

// waitAccepted waits until the server at base takes (or refuses) the
// session, as it learns the log's account events.
func waitAccepted(t *testing.T, what, base string, c *http.Cookie, want bool, within time.Duration) {
	t.Helper()
	start := time.Now()
	for !time.Now().After(start.Add(within)) {
		if accepted(t, base, c) == want {
			t.Logf("%s: after %v", what, time.Since(start).Round(time.Millisecond))
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: not within %v", what, within)
}

// callAPI sends a JSON body as the bearer of token and returns the
// status and the reply.
func callAPI(t *testing.T, method, u, token, body string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, u, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", fmt.Sprintf("e2e-%d", time.Now().UnixNano()))
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

func mustAPI(t *testing.T, what, method, u, token, body string) map[string]any {
	t.Helper()
	code, m := callAPI(t, method, u, token, body)
	if code/100 != 2 {
		t.Fatalf("%s: %d %v", what, code, m)
	}
	return m
}

// Two instances on one log sharing one secret key know the same sessions:
// a session begun on one is valid on the other; logging out on one, or a
// role revoked on the other, ends it on both; it survives a restart. An
// instance with another secret key takes no session of theirs (nor the
// accounts' passwords, which the key peppers).
func TestSessionsAcrossInstances(t *testing.T) {
	node := startNATS(t)
	key := secretKeyFile(t)
	args := []string{"--nats", node.url, "--secret-key", key}
	p1 := startServe(t, bin, "", freeAddr(t), args...)
	p2 := startServe(t, bin, "", freeAddr(t), args...)
	mustPost(t, p1.url+"/api/v1/communities/e2e/commands", "reg", registerE2E)
	const pw = "Qz7-Mango-2026!"
	mustAPI(t, "create lina", http.MethodPost, p1.url+"/api/v1/accounts", admin,
		fmt.Sprintf(`{"login":"lina","display_name":"李娜","password":%q,"role":"clerk","scope":"community:e2e"}`, pw))
	secret, _, err := auth.LoadOrCreateSecret(key, false)
	if err != nil {
		t.Fatal(err)
	}

	// Begun on 1, valid on 2; ended on 1, refused on 2.
	c := mustSignIn(t, p1.url, "lina", pw)
	waitAccepted(t, "instance 2 takes the session begun on instance 1", p2.url, c, true, 10*time.Second)
	sess, ok := secret.Open(c.Value)
	if !ok {
		t.Fatal("the session cookie does not open with the shared secret key")
	}
	resp, _ := request(t, http.MethodPost, p1.url+"/logout", url.Values{"csrf": {secret.CSRF(sess.ID)}}, c)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout on instance 1: %d", resp.StatusCode)
	}
	if accepted(t, p1.url, c) {
		t.Error("instance 1 still takes the session it ended")
	}
	waitAccepted(t, "instance 2 refuses the session ended on instance 1", p2.url, c, false, 5*time.Second)

	// A role revoked on 2 ends the session on 1.
	c2 := mustSignIn(t, p2.url, "lina", pw)
	waitAccepted(t, "instance 1 takes the session begun on instance 2", p1.url, c2, true, 10*time.Second)
	mustAPI(t, "revoke on instance 2", http.MethodPost, p2.url+"/api/v1/accounts/lina/revoke", admin, `{"role":"clerk","scope":"community:e2e"}`)
	waitAccepted(t, "instance 1 refuses the session after the role was revoked on instance 2", p1.url, c2, false, 5*time.Second)

	// Another secret key: the session is not taken, and the password
	// (peppered with the shared key) does not verify.
	mustAPI(t, "grant again", http.MethodPost, p1.url+"/api/v1/accounts/lina/grant", admin, `{"role":"clerk","scope":"community:e2e"}`)
	c3 := mustSignIn(t, p1.url, "lina", pw)
	waitAccepted(t, "instance 2 takes a new session", p2.url, c3, true, 10*time.Second)
	p3 := startServe(t, bin, "", freeAddr(t), "--nats", node.url, "--secret-key", secretKeyFile(t))
	caughtUp(t, p3, 30*time.Second)
	if accepted(t, p3.url, c3) {
		t.Error("an instance with another secret key takes the session")
	}
	if code, _ := signIn(t, p3.url, "lina", pw); code != http.StatusUnauthorized {
		t.Errorf("sign in on an instance with another secret key: %d, want 401", code)
	}

	// After a restart instance 2 still takes the live session and refuses
	// the ended ones: it learns both from the log.
	stop(t, p2)
	old2 := p2
	p2 = startServe(t, bin, "", freeAddr(t), args...)
	caughtUp(t, p2, 30*time.Second)
	if !accepted(t, p2.url, c3) {
		t.Error("after a restart instance 2 refuses a live session")
	}
	for what, old := range map[string]*http.Cookie{"logged out": c, "whose role was revoked": c2} {
		if accepted(t, p2.url, old) {
			t.Errorf("after a restart instance 2 takes the session %s", what)
		}
	}
	var logs bytes.Buffer
	for _, p := range []*proc{p1, p2, p3} {
		stop(t, p) // its output is complete, and safe to read, once it has exited
	}
	for _, p := range []*proc{p1, old2, p2, p3} {
		logs.WriteString(p.logs.String())
	}
	if bytes.Contains(logs.Bytes(), []byte(pw)) {
		t.Error("an instance logged the password")
	}
}
