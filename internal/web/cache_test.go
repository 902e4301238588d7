package web_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
)

// The board page and the board JSON carry an ETag, answer 304 to it, and
// change with the next event.
func TestPublicRepliesRevalidate(t *testing.T) {
	s := setup(t, app.Config{})
	for _, path := range []string{"/c/c1", "/api/v1/communities/c1/board", "/c/c1/finance"} {
		r := apptest.Do(t, http.MethodGet, s.URL+path, nil, nil)
		etag := r.Header.Get("ETag")
		if r.Status != http.StatusOK || !strings.HasPrefix(etag, `W/"seq-`) || r.Header.Get("Last-Modified") == "" ||
			r.Header.Get("Cache-Control") == "" || r.Header.Get("Vary") != "Accept-Encoding" {
			t.Fatalf("GET %s: %d, ETag %q, Last-Modified %q, Cache-Control %q, Vary %q", path, r.Status, etag,
				r.Header.Get("Last-Modified"), r.Header.Get("Cache-Control"), r.Header.Get("Vary"))
		}
		nm := apptest.Do(t, http.MethodGet, s.URL+path, nil, map[string]string{"If-None-Match": etag})
		if nm.Status != http.StatusNotModified || len(nm.Body) != 0 || nm.Header.Get("ETag") != etag {
			t.Errorf("GET %s with If-None-Match %s: %d, ETag %q, %d bytes; want 304", path, etag, nm.Status, nm.Header.Get("ETag"), len(nm.Body))
		}
		ims := apptest.Do(t, http.MethodGet, s.URL+path, nil, map[string]string{"If-Modified-Since": r.Header.Get("Last-Modified")})
		if ims.Status != http.StatusNotModified {
			t.Errorf("GET %s with If-Modified-Since: %d, want 304", path, ims.Status)
		}
	}

	before := apptest.Do(t, http.MethodGet, s.URL+"/c/c1", nil, nil)
	reply := mustStatus(t, s.Command(t, "c1", "cache-m1", register("cache-m1", "2025-03-01")), http.StatusCreated)
	waitSeq(t, s, "/api/v1/communities/c1/board", uint64(reply["aggregate_version"].(float64)))
	after := apptest.Do(t, http.MethodGet, s.URL+"/c/c1", nil, map[string]string{"If-None-Match": before.Header.Get("ETag")})
	if after.Status != http.StatusOK || after.Header.Get("ETag") == before.Header.Get("ETag") {
		t.Fatalf("after a new event: %d, ETag %s (was %s); want 200 and a new ETag", after.Status, after.Header.Get("ETag"), before.Header.Get("ETag"))
	}
	if bytes.Contains(before.Body, []byte("事项 cache-m1")) || !bytes.Contains(after.Body, []byte("事项 cache-m1")) {
		t.Errorf("the page does not show the new matter after the event")
	}
}

// A client that accepts gzip gets the same page compressed.
func TestPublicRepliesCompressed(t *testing.T) {
	s := setup(t, app.Config{})
	for _, path := range []string{"/c/c1", "/c/c1?lang=en", "/api/v1/communities/c1/board"} {
		plain := apptest.Do(t, http.MethodGet, s.URL+path, nil, map[string]string{"Accept-Encoding": "identity"})
		gz := apptest.Do(t, http.MethodGet, s.URL+path, nil, map[string]string{"Accept-Encoding": "gzip"})
		// Replies under 1 KiB are not worth compressing.
		want := "gzip"
		if len(plain.Body) < 1024 {
			want = ""
		}
		if plain.Header.Get("Content-Encoding") != "" || gz.Header.Get("Content-Encoding") != want || gz.Header.Get("Vary") != "Accept-Encoding" {
			t.Fatalf("GET %s (%d bytes): Content-Encoding %q without gzip, %q with (want %q), Vary %q", path, len(plain.Body),
				plain.Header.Get("Content-Encoding"), gz.Header.Get("Content-Encoding"), want, gz.Header.Get("Vary"))
		}
		if want == "" {
			if !bytes.Equal(gz.Body, plain.Body) {
				t.Errorf("GET %s: the replies differ", path)
			}
			continue
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz.Body))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, plain.Body) || len(gz.Body) >= len(plain.Body) {
			t.Errorf("GET %s: gzip decodes to %d bytes (%d compressed), the plain reply has %d; want the same bytes, smaller",
				path, len(got), len(gz.Body), len(plain.Body))
		}
	}
}

// Private pages, writes' replies, health and metrics carry no ETag and
// are not compressed by the cache (the metrics handler compresses its own),
// and say no-store where they did before.
func TestPrivateRepliesNotCached(t *testing.T) {
	s := setup(t, app.Config{})
	admin := "Bearer " + apptest.AdminToken
	for _, c := range []struct {
		path, auth       string
		noStore, encoded bool
	}{
		{"/login", "", true, false},
		{"/c/c1/finance/bank-reconciliation?account=102&month=2025-01", "", true, false},
		{"/api/v1/tokens", admin, true, false},
		{"/api/v1/accounts", admin, true, false},
		{"/c/c1/desk", "", false, false}, // a redirect to sign in
		{"/readyz", "", true, false},
		{"/metrics", "", false, true},
	} {
		for range 2 {
			r := apptest.Do(t, http.MethodGet, s.URL+c.path, nil, map[string]string{"Authorization": c.auth, "Accept-Encoding": "gzip"})
			if r.Header.Get("ETag") != "" || r.Header.Get("Last-Modified") != "" || (r.Header.Get("Content-Encoding") != "" && !c.encoded) {
				t.Errorf("GET %s: %d, ETag %q, Last-Modified %q, Content-Encoding %q; want none", c.path, r.Status,
					r.Header.Get("ETag"), r.Header.Get("Last-Modified"), r.Header.Get("Content-Encoding"))
			}
			if c.noStore && r.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("GET %s: %d, Cache-Control %q, want no-store", c.path, r.Status, r.Header.Get("Cache-Control"))
			}
		}
	}
	// A signed-in page is not kept either.
	s.CreateAccount(t, "clerk1", "王会计", "correct horse battery staple", "clerk", "community:c1")
	b := s.SignIn(t, "clerk1", "correct horse battery staple")
	for range 2 {
		r := b.Get(t, "/account")
		if r.Status != http.StatusOK || r.Header.Get("ETag") != "" || r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET /account signed in: %d, ETag %q, Cache-Control %q", r.Status, r.Header.Get("ETag"), r.Header.Get("Cache-Control"))
		}
	}
}

// Readers of the page and the JSON while commands append (run with -race).
func TestPublicRepliesConcurrent(t *testing.T) {
	s := setup(t, app.Config{})
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(done)
		for i := range 20 {
			id := fmt.Sprintf("conc-%d", i)
			if r := s.Command(t, "c1", id, register(id, "2025-03-01")); r.Status != http.StatusCreated {
				t.Errorf("command %s: %d %s", id, r.Status, r.Body)
				return
			}
		}
	}()
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := []string{"/c/c1", "/api/v1/communities/c1/board", "/c/c1?lang=en", "/c/c1/finance"}[i%4]
			var etag string
			for {
				select {
				case <-done:
					return
				default:
				}
				r := apptest.Do(t, http.MethodGet, s.URL+path, nil, map[string]string{"If-None-Match": etag})
				switch {
				case r.Status == http.StatusNotModified && etag != "":
				case r.Status == http.StatusOK && r.Header.Get("ETag") != "":
					etag = r.Header.Get("ETag")
				default:
					t.Errorf("GET %s: %d, ETag %q", path, r.Status, r.Header.Get("ETag"))
					return
				}
			}
		}()
	}
	wg.Wait()
}
