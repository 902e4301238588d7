package web_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/skip2/go-qrcode"

	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
	"github.com/gongkai/gongkai/internal/web"
)

// After AuthFailureLimit wrong tokens from one address, the next request
// from it gets 429 with Retry-After, even with the right token, and the
// stream is unchanged; another address is not affected.
func TestAuthFailuresThrottled(t *testing.T) {
	s := setup(t, app.Config{})
	before := s.LastSeq(t)
	url := s.URL + "/api/v1/communities/c1/commands"
	send := func(i int, token string) apptest.Response {
		return apptest.Do(t, http.MethodPost, url, []byte(register(fmt.Sprint("t", i), "2025-02-01")),
			map[string]string{"Authorization": "Bearer " + token, "Idempotency-Key": fmt.Sprint("throttle-", i)})
	}
	for i := range web.AuthFailureLimit {
		if r := send(i, fmt.Sprintf("guess-%d", i)); r.Status != http.StatusUnauthorized {
			t.Fatalf("wrong token %d: status %d, want 401: %s", i+1, r.Status, r.Body)
		}
	}
	blocked := []struct {
		what string
		r    apptest.Response
	}{
		{"the next wrong token", send(100, "guess-100")},
		{"the right token", send(101, apptest.AdminToken)},
		{"the right token issuing a clerk token", apptest.Do(t, http.MethodPost, s.URL+"/api/v1/tokens", []byte(`{"community":"c1","label":"文书"}`),
			map[string]string{"Authorization": "Bearer " + apptest.AdminToken})},
	}
	for _, b := range blocked {
		if b.r.Status != http.StatusTooManyRequests {
			t.Fatalf("%s after %d failures: status %d, want 429: %s", b.what, web.AuthFailureLimit, b.r.Status, b.r.Body)
		}
		if secs, err := strconv.Atoi(b.r.Header.Get("Retry-After")); err != nil || secs < 1 || secs > int(web.AuthFailureWindow/time.Second) {
			t.Errorf("%s: Retry-After = %q, want 1 to %d seconds", b.what, b.r.Header.Get("Retry-After"), int(web.AuthFailureWindow/time.Second))
		}
		p := b.r.JSON(t)
		for _, k := range []string{"title", "title_zh", "detail", "detail_zh"} {
			if v, _ := p[k].(string); v == "" {
				t.Errorf("%s: problem has no %s: %s", b.what, k, b.r.Body)
			}
		}
		if p["code"] != "too_many_auth_failures" {
			t.Errorf("%s: code = %v, want too_many_auth_failures", b.what, p["code"])
		}
	}
	if after := s.LastSeq(t); after != before {
		t.Fatalf("LastSeq = %d after the throttled requests, want %d", after, before)
	}
	// Reads are not throttled.
	if r := apptest.Do(t, http.MethodGet, s.URL+"/api/v1/communities/c1/board", nil, nil); r.Status != http.StatusOK {
		t.Errorf("board after throttling: status %d, want 200", r.Status)
	}

	// Another address (127.0.0.2 is loopback too on Linux) may still write.
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
	other := &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(register("t-other", "2025-02-01")))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+apptest.AdminToken)
	req.Header.Set("Idempotency-Key", "throttle-other")
	resp, err := other.Do(req)
	if err != nil {
		t.Skipf("cannot connect from 127.0.0.2 on this machine: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("the right token from another address: status %d, want 201: %s", resp.StatusCode, body)
	}
}

// waitCheckpoint waits until the server has signed a checkpoint.
func waitCheckpoint(t *testing.T, s *apptest.Server) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if apptest.Do(t, http.MethodGet, s.URL+"/api/v1/log/checkpoint", nil, nil).Status == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint within 15s")
		}
	}
}

// The checkpoint link and its QR code come from --public-url, never from
// the request's Host header; without --public-url the link is relative and
// there is no QR code.
func TestCheckpointLinkIgnoresHost(t *testing.T) {
	const public = "https://ledger.example.org"
	forged := map[string]string{"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
	want := public + "/api/v1/log/checkpoint"
	png, err := qrcode.Encode(want, qrcode.Medium, 160)
	if err != nil {
		t.Fatal(err)
	}
	wantQR := `src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(png) + `"`

	s := setup(t, app.Config{PublicURL: public + "/", CheckpointEvery: 100 * time.Millisecond})
	waitCheckpoint(t, s)
	page := apptest.Do(t, http.MethodGet, s.URL+"/c/c1", nil, forged)
	doc := string(page.Body)
	if page.Status != http.StatusOK || !strings.Contains(doc, `<a href="`+want+`">`) || !strings.Contains(html.UnescapeString(doc), wantQR) {
		t.Fatalf("board page (status %d) lacks the link %s or its QR code:\n%s", page.Status, want, doc)
	}
	if strings.Contains(doc, "evil.example") {
		t.Fatalf("board page reflects the forged Host:\n%s", doc)
	}

	s = setup(t, app.Config{CheckpointEvery: 100 * time.Millisecond})
	waitCheckpoint(t, s)
	page = apptest.Do(t, http.MethodGet, s.URL+"/c/c1", nil, forged)
	doc = string(page.Body)
	if page.Status != http.StatusOK || !strings.Contains(doc, `<a href="/api/v1/log/checkpoint">`) {
		t.Fatalf("board page without --public-url (status %d) lacks the relative link:\n%s", page.Status, doc)
	}
	if strings.Contains(doc, "evil.example") || strings.Contains(doc, "data:image/png") {
		t.Fatalf("board page without --public-url reflects the forged Host or shows a QR code:\n%s", doc)
	}
}

// Pages forbid framing and say how long they may be cached; API replies
// say it too, and nothing written or secret is cached.
func TestFrontDoorHeaders(t *testing.T) {
	s := setup(t, app.Config{})
	for _, c := range []struct {
		path, cache string
		status      int
	}{
		{"/", "public, max-age=60", http.StatusOK},
		{"/c/c1", "public, max-age=60", http.StatusOK},
		{"/c/c1?lang=en", "public, max-age=60", http.StatusOK},
		{"/c/c1/finance", "public, max-age=60", http.StatusOK},
		{"/c/nosuch", "no-store", http.StatusNotFound},
		{"/nosuch", "no-store", http.StatusNotFound},
	} {
		r := apptest.Do(t, http.MethodGet, s.URL+c.path, nil, nil)
		if r.Status != c.status {
			t.Errorf("GET %s: status %d, want %d", c.path, r.Status, c.status)
		}
		if got := r.Header.Get("Cache-Control"); got != c.cache {
			t.Errorf("GET %s: Cache-Control = %q, want %q", c.path, got, c.cache)
		}
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET %s: Content-Security-Policy = %q, want frame-ancestors 'none'", c.path, csp)
		}
		if got := r.Header.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("GET %s: X-Frame-Options = %q, want DENY", c.path, got)
		}
	}

	admin := map[string]string{"Authorization": "Bearer " + apptest.AdminToken}
	for _, c := range []struct {
		what, cache string
		r           apptest.Response
	}{
		{"board JSON", "no-cache", apptest.Do(t, http.MethodGet, s.URL+"/api/v1/communities/c1/board", nil, nil)},
		{"a command's reply", "no-store", s.Command(t, "c1", "headers-1", register("h1", "2025-02-01"))},
		{"a new clerk token", "no-store", apptest.Do(t, http.MethodPost, s.URL+"/api/v1/tokens", []byte(`{"community":"c1","label":"文书"}`), admin)},
		{"a problem", "no-store", s.Command(t, "c1", "headers-2", `{`)},
	} {
		if got := c.r.Header.Get("Cache-Control"); got != c.cache {
			t.Errorf("%s (status %d): Cache-Control = %q, want %q", c.what, c.r.Status, got, c.cache)
		}
		if got := c.r.Header.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("%s: X-Frame-Options = %q, want DENY", c.what, got)
		}
	}
}

// app.Run refuses a weak administrator token and a bad public URL before it
// opens anything.
func TestRunRefusesWeakAdminTokenAndBadPublicURL(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for _, cfg := range []app.Config{
		{AdminToken: "change-me"},
		{AdminToken: "test-admin-token"},
		{AdminToken: strings.Repeat("ab", 20)},
		{AdminToken: apptest.AdminToken, PublicURL: "ledger.example.org"},
		{AdminToken: apptest.AdminToken, PublicURL: "ftp://ledger.example.org"},
		{AdminToken: apptest.AdminToken, PublicURL: "https://ledger.example.org/?x=1"},
		{AdminToken: apptest.AdminToken, PublicURL: "https://ledger.example.org/gongkai"},
		{AdminToken: apptest.AdminToken, PublicURL: "https://user:pw@ledger.example.org"},
		{AdminToken: apptest.AdminToken, PublicURL: "https://ledger.example.org/#top"},
		{AdminToken: apptest.AdminToken, PublicURL: "https://"},
	} {
		cfg.DataDir, cfg.Addr = t.TempDir(), "127.0.0.1:0"
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := app.Run(ctx, cfg, log, func(app.Started) { t.Errorf("Run(token %q, public URL %q) started", cfg.AdminToken, cfg.PublicURL) })
		timedOut := ctx.Err() != nil
		cancel()
		if err == nil || timedOut {
			t.Fatalf("Run(token %q, public URL %q) = %v, want an error at once", cfg.AdminToken, cfg.PublicURL, err)
		}
		want := []string{"--public-url", "公开地址"}
		if cfg.PublicURL == "" {
			want = []string{"GONGKAI_ADMIN_TOKEN", "管理员令牌", "openssl rand -base64 32"}
		}
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Run(token %q, public URL %q) = %q, which does not say %q", cfg.AdminToken, cfg.PublicURL, err, w)
			}
		}
		if entries, _ := os.ReadDir(cfg.DataDir); len(entries) != 0 {
			t.Errorf("Run(token %q, public URL %q) wrote into its data directory", cfg.AdminToken, cfg.PublicURL)
		}
	}
}

func TestParsePublicURL(t *testing.T) {
	for in, want := range map[string]string{
		"":                            "",
		"https://ledger.example.org":  "https://ledger.example.org",
		"https://ledger.example.org/": "https://ledger.example.org",
		"HTTP://192.0.2.7:8080":       "http://192.0.2.7:8080",
		"http://[2001:db8::1]:8080/":  "http://[2001:db8::1]:8080",
	} {
		if got, err := web.ParsePublicURL(in); err != nil || got != want {
			t.Errorf("ParsePublicURL(%q) = %q, %v; want %q, nil", in, got, err, want)
		}
	}
	for _, in := range []string{"ledger.example.org", "/relative", "https://x?", "javascript:alert(1)", "https://:8080"} {
		if got, err := web.ParsePublicURL(in); err == nil {
			t.Errorf("ParsePublicURL(%q) = %q, nil; want an error", in, got)
		}
	}
}
