package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gongkai/gongkai/projections"
)

// cacheFixture is a Server with a real memory board whose position the
// test moves, and a page that counts its renders and prints the position
// it saw.
type cacheFixture struct {
	s       *Server
	board   *projections.MemoryBoard
	renders atomic.Int64
	seq     atomic.Uint64
}

func newCacheFixture(t *testing.T, maxEntries, maxBytes int) *cacheFixture {
	t.Helper()
	f := &cacheFixture{board: projections.NewMemoryBoard()}
	f.s = &Server{Deps: Deps{Board: f.board, Log: slog.New(slog.DiscardHandler),
		Now: func() time.Time { return time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC) }},
		mux: http.NewServeMux(), cache: newPageCache(maxEntries, maxBytes)}
	f.s.mux.HandleFunc("GET /c/{community}", func(w http.ResponseWriter, r *http.Request) {
		f.renders.Add(1)
		pos, _ := f.board.Position(r.Context())
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=60")
		fmt.Fprintf(w, "<p>%s at %d</p>%s", r.PathValue("community"), pos, strings.Repeat("<p>公开</p>", 200))
	})
	f.s.mux.HandleFunc("GET /c/{community}/desk", func(w http.ResponseWriter, r *http.Request) {
		f.renders.Add(1)
		w.Header().Set("Cache-Control", "public, max-age=60") // even so: the workbench is never kept
		fmt.Fprint(w, "desk")
	})
	f.s.mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		f.renders.Add(1)
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprint(w, "login")
	})
	f.move(t)
	return f
}

// move appends one event the board does not read: only its position moves.
func (f *cacheFixture) move(tb testing.TB) {
	tb.Helper()
	seq := f.seq.Add(1)
	err := f.board.Apply(context.Background(), []projections.Event{{Seq: seq, Community: "other", AggregateType: "none",
		RecordedAt: time.Date(2026, 11, 30, 4, 0, int(seq), 0, time.UTC)}})
	if err != nil {
		tb.Fatal(err)
	}
}

func (f *cacheFixture) get(path string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	f.s.ServeHTTP(w, r)
	return w
}

func TestCacheRendersOncePerPosition(t *testing.T) {
	f := newCacheFixture(t, maxCachedReplies, maxCachedBytes)
	first := f.get("/c/wenhualu")
	again := f.get("/c/wenhualu")
	if n := f.renders.Load(); n != 1 {
		t.Fatalf("two GETs at one position rendered %d times, want 1", n)
	}
	if first.Body.String() != again.Body.String() || first.Header().Get("ETag") != again.Header().Get("ETag") {
		t.Fatalf("the kept page differs from the rendered one")
	}
	if got := first.Header().Get("ETag"); !strings.HasPrefix(got, `W/"seq-1-zh-`) {
		t.Errorf("ETag = %s, want W/\"seq-1-zh-…\"", got)
	}
	if got := f.get("/c/wenhualu?lang=en").Header().Get("ETag"); !strings.HasPrefix(got, `W/"seq-1-en-`) {
		t.Errorf("English ETag = %s, want W/\"seq-1-en-…\"", got)
	}
	f.move(t)
	moved := f.get("/c/wenhualu")
	if n := f.renders.Load(); n != 3 {
		t.Fatalf("renders = %d after the stream moved, want 3", n)
	}
	if moved.Header().Get("ETag") == first.Header().Get("ETag") || !strings.Contains(moved.Body.String(), "at 2") {
		t.Fatalf("after the stream moved: ETag %s (was %s), body %.40q", moved.Header().Get("ETag"), first.Header().Get("ETag"), moved.Body.String())
	}
}

func TestCacheNotModifiedWithoutRendering(t *testing.T) {
	f := newCacheFixture(t, maxCachedReplies, maxCachedBytes)
	first := f.get("/c/wenhualu")
	etag, lm := first.Header().Get("ETag"), first.Header().Get("Last-Modified")
	if lm != "Mon, 30 Nov 2026 04:00:01 GMT" {
		t.Errorf("Last-Modified = %q, want the time the log recorded sequence 1", lm)
	}
	for _, h := range [][]string{{"If-None-Match", etag}, {"If-None-Match", `"x", ` + strings.TrimPrefix(etag, "W/")}, {"If-Modified-Since", lm}} {
		w := f.get("/c/wenhualu", h...)
		if w.Code != http.StatusNotModified || w.Body.Len() != 0 || w.Header().Get("ETag") != etag {
			t.Errorf("%s: %s = %d, ETag %s, %d bytes; want 304 with the ETag and no body", h[0], h[1], w.Code, w.Header().Get("ETag"), w.Body.Len())
		}
	}
	if n := f.renders.Load(); n != 1 {
		t.Fatalf("renders = %d, want 1: a 304 renders nothing", n)
	}
	if w := f.get("/c/wenhualu", "If-None-Match", `W/"seq-0-zh-0"`); w.Code != http.StatusOK {
		t.Errorf("another ETag: %d, want 200", w.Code)
	}
	f.move(t)
	if w := f.get("/c/wenhualu", "If-None-Match", etag); w.Code != http.StatusOK {
		t.Errorf("the old ETag after the stream moved: %d, want 200", w.Code)
	}
}

func TestCacheKeepsNoPrivateReply(t *testing.T) {
	f := newCacheFixture(t, maxCachedReplies, maxCachedBytes)
	for _, path := range []string{"/login", "/c/wenhualu/desk"} {
		for range 2 {
			w := f.get(path, "Accept-Encoding", "gzip")
			if w.Header().Get("ETag") != "" || w.Header().Get("Content-Encoding") != "" {
				t.Errorf("GET %s: ETag %q, Content-Encoding %q; want neither", path, w.Header().Get("ETag"), w.Header().Get("Content-Encoding"))
			}
		}
	}
	if n := f.renders.Load(); n != 4 {
		t.Errorf("renders = %d, want 4: private replies are rendered every time", n)
	}
}

func TestCacheBounded(t *testing.T) {
	f := newCacheFixture(t, 10, 1<<20)
	for i := range 50 {
		f.get("/c/wenhualu?year=" + strconv.Itoa(i))
	}
	if n, _ := f.s.cache.len(); n > 10 {
		t.Errorf("%d entries, want at most 10", n)
	}
	f = newCacheFixture(t, 1000, 8<<10)
	for i := range 50 {
		f.get("/c/wenhualu?year=" + strconv.Itoa(i))
	}
	if _, b := f.s.cache.len(); b > 8<<10 {
		t.Errorf("%d bytes kept, want at most %d", b, 8<<10)
	}
}

// Many readers while the stream moves: every reply shows a position at
// least as new as the one before the request, its ETag names a position no
// newer than the page shows, and no position is rendered many times over.
func TestCacheConcurrent(t *testing.T) {
	f := newCacheFixture(t, maxCachedReplies, maxCachedBytes)
	const moves = 50
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(done)
		for range moves {
			f.move(t)
			time.Sleep(time.Millisecond)
		}
	}()
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				before, _ := f.board.Position(context.Background())
				w := f.get("/c/wenhualu")
				var shown, tagged uint64
				fmt.Sscanf(w.Body.String(), "<p>wenhualu at %d</p>", &shown)
				fmt.Sscanf(w.Header().Get("ETag"), `W/"seq-%d-`, &tagged)
				if w.Code != http.StatusOK || shown < before || tagged < before || tagged > shown {
					t.Errorf("GET at position %d: %d, page at %d, ETag %s", before, w.Code, shown, w.Header().Get("ETag"))
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := f.renders.Load(); n > 3*(moves+1) {
		t.Errorf("%d renders for %d positions: readers did not share them", n, moves+1)
	}
}

func TestAcceptsGzip(t *testing.T) {
	for _, c := range []struct {
		header string
		want   bool
	}{
		{"", false}, {"gzip", true}, {"br, gzip", true}, {"gzip;q=0.5", true}, {"gzip;q=0", false},
		{"identity", false}, {"*", true}, {"deflate, br", false}, {"x-gzip", false},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Accept-Encoding", c.header)
		if got := acceptsGzip(r); got != c.want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", c.header, got, c.want)
		}
	}
}
