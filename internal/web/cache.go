package web

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"context"
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/skip2/go-qrcode"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/projections"
)

// Bounds of the page cache.
const (
	maxCachedReplies = 1000
	maxCachedBytes   = 32 << 20 // 32 MiB of bodies, plain and compressed
	// minGzip is the smallest body worth compressing.
	minGzip = 1024
)

// A stamp is what a public reply depends on besides its address: how far
// the read models have applied the stream, the latest signed checkpoint
// (the pages show it and link proofs once one covers an event), the number
// of stored messages that are not facts (the board names them) and the day
// in Beijing (pages default to the current year). A reply rendered at one
// stamp is served only while the stamp is the same.
type stamp struct {
	board, finance     uint64 // stream sequences applied
	boardAt, financeAt int64  // when the log recorded them, Unix µs
	checkpoint         uint64 // size of the latest signed checkpoint
	checkpointAt       int64
	rejected           int
	day                domain.Date
}

// covers reports whether st is at least as new as o in every part: a
// reply rendered at st may then be served to a request that found o.
func (st stamp) covers(o stamp) bool {
	return st.board >= o.board && st.finance >= o.finance && st.checkpoint >= o.checkpoint &&
		st.rejected >= o.rejected && !st.day.Before(o.day)
}

// seq is the furthest stream sequence the stamp reflects.
func (st stamp) seq() uint64 { return max(st.board, st.finance) }

// modified is the Last-Modified of a reply at st: the latest of the times
// the log recorded its positions, the checkpoint's and the start of the
// day in Beijing.
func (st stamp) modified() time.Time {
	t := time.UnixMicro(max(st.boardAt, st.financeAt, st.checkpointAt))
	if day := time.Date(st.day.Year, st.day.Month, st.day.Day, 0, 0, 0, 0, domain.Shanghai); day.After(t) {
		t = day
	}
	return t.UTC()
}

// positionAt is a read model that also tells when the log recorded its
// position (the memory and PostgreSQL backends).
type positionAt interface {
	At(ctx context.Context) (projections.Position, error)
}

func readPosition(ctx context.Context, rm projections.ReadModel) (uint64, int64, error) {
	if rm == nil {
		return 0, 0, nil
	}
	if a, ok := rm.(positionAt); ok {
		p, err := a.At(ctx)
		return p.Seq, p.Time.UnixMicro(), err
	}
	seq, err := rm.Position(ctx)
	return seq, 0, err
}

// stampOf reads the current stamp.
func (s *Server) stampOf(ctx context.Context) (stamp, error) {
	var st stamp
	var err error
	if s.Board != nil {
		if st.board, st.boardAt, err = readPosition(ctx, s.Board); err != nil {
			return st, err
		}
	}
	if s.Finance != nil {
		if st.finance, st.financeAt, err = readPosition(ctx, s.Finance); err != nil {
			return st, err
		}
	}
	if s.TLog != nil {
		if signed, cp, at := s.TLog.Latest(); signed != nil {
			st.checkpoint, st.checkpointAt = cp.Size, at.UnixMicro()
		}
	}
	st.rejected = len(s.rejected())
	st.day = domain.DateOf(s.Now())
	return st, nil
}

// cacheablePattern reports whether replies to a route may be kept: the
// public pages and the public JSON that the read models answer, never the
// workbench, sign-in, accounts, tokens, health, metrics or the log's
// proofs. A route listed here whose reply depends on anything but its
// address and the stamp (a cookie, a token) must say Cache-Control
// no-store or private, and is then not kept.
func cacheablePattern(p string) bool {
	switch {
	case p == "GET /{$}":
		return true
	case p == "GET /town/{town}":
		return true
	case strings.HasPrefix(p, "GET /c/{community}"):
		return !strings.Contains(p, "/desk") && !strings.Contains(p, "/audit")
	case p == "GET /api/v1/communities/{community}/board", p == "GET /api/v1/communities/{community}/disclosures",
		p == "GET /api/v1/communities/{community}/open-data.zip",
		strings.HasPrefix(p, "GET /api/v1/communities/{community}/finance/"):
		return true
	}
	return false
}

// pageCache keeps the replies of public GETs, each at the stamp it was
// rendered at, with its ETag, Last-Modified and gzip form, least recently
// used first out. Requests for a reply being rendered wait for it rather
// than render it again. It is safe for concurrent use.
type pageCache struct {
	maxEntries, maxBytes int

	mu      sync.Mutex
	entries map[string]*cacheEntry
	lru     list.List // of *cacheEntry, most recently used in front
	bytes   int

	qrMu sync.Mutex
	qr   map[string]template.URL

	gzips sync.Pool
}

func newPageCache(maxEntries, maxBytes int) *pageCache {
	return &pageCache{maxEntries: maxEntries, maxBytes: maxBytes, entries: map[string]*cacheEntry{}, qr: map[string]template.URL{}}
}

// cacheEntry is one address's reply at one stamp. reply is set before done
// is closed, and is nil when the reply may not be kept (an error, a
// no-store page): requests then go to the handler.
type cacheEntry struct {
	key   string
	stamp stamp
	elem  *list.Element
	done  chan struct{}
	reply *cachedReply
	size  int
}

type cachedReply struct {
	header   http.Header
	body, gz []byte
	etag     string
	modified time.Time
}

// acquire returns the entry for key at st, and whether the caller must
// render it (and then call finish).
func (c *pageCache) acquire(key string, st stamp) (*cacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[key]; e != nil {
		if e.stamp.covers(st) {
			c.lru.MoveToFront(e.elem)
			return e, false
		}
		c.remove(e)
	}
	e := &cacheEntry{key: key, stamp: st, done: make(chan struct{})}
	e.elem = c.lru.PushFront(e)
	c.entries[key] = e
	c.evict()
	return e, true
}

// finish records the rendered reply (nil: not to be kept) and wakes the
// requests waiting for it.
func (c *pageCache) finish(e *cacheEntry, reply *cachedReply) {
	c.mu.Lock()
	e.reply = reply
	if reply != nil && c.entries[e.key] == e {
		e.size = len(e.key) + len(reply.body) + len(reply.gz) + 512
		c.bytes += e.size
		c.evict()
	}
	c.mu.Unlock()
	close(e.done)
}

func (c *pageCache) remove(e *cacheEntry) {
	c.lru.Remove(e.elem)
	delete(c.entries, e.key)
	c.bytes -= e.size
}

func (c *pageCache) evict() {
	for c.lru.Len() > c.maxEntries || c.bytes > c.maxBytes {
		c.remove(c.lru.Back().Value.(*cacheEntry))
	}
}

// len returns the number of entries and the bytes they hold.
func (c *pageCache) len() (int, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries), c.bytes
}

// qrCode returns a data: URL of a PNG QR code of u, encoding it once:
// the code depends only on u, never on the stream.
func (c *pageCache) qrCode(u string) template.URL {
	c.qrMu.Lock()
	defer c.qrMu.Unlock()
	if q, ok := c.qr[u]; ok {
		return q
	}
	png, err := qrcode.Encode(u, qrcode.Medium, 160)
	if err != nil {
		return ""
	}
	q := template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
	if len(c.qr) < 16 { // a handful of addresses in practice
		c.qr[u] = q
	}
	return q
}

// cacheKey is the address with its query in a canonical order.
func cacheKey(r *http.Request) string {
	if r.URL.RawQuery == "" {
		return r.URL.Path
	}
	return r.URL.Path + "?" + r.URL.Query().Encode()
}

// serveCached answers a GET of a public page or public JSON from the
// cache, rendering it with next when the cache has no reply at the current
// stamp. It reports false, having written nothing, for any other request.
func (s *Server) serveCached(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
	if s.cache == nil || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		return false
	}
	if _, pattern := s.mux.Handler(r); !cacheablePattern(pattern) {
		return false
	}
	st, err := s.stampOf(r.Context())
	if err != nil {
		return false
	}
	key := cacheKey(r)
	e, render := s.cache.acquire(key, st)
	if render {
		rec := &recorder{header: http.Header{}, status: http.StatusOK}
		var reply *cachedReply
		func() {
			defer func() { s.cache.finish(e, reply) }()
			next.ServeHTTP(rec, r)
			reply = s.cache.keep(rec, etagOf(key, pageLang(r), st), st.modified())
		}()
		if reply == nil {
			rec.copyTo(w)
			return true
		}
		writeCached(w, r, reply)
		return true
	}
	select {
	case <-e.done:
	case <-r.Context().Done():
		return true
	}
	if e.reply == nil {
		return false
	}
	writeCached(w, r, e.reply)
	return true
}

// etagOf is a weak ETag naming the stream position, the language and a
// hash of the address and the rest of the stamp.
func etagOf(key, lang string, st stamp) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%+v", key, st)
	return fmt.Sprintf(`W/"seq-%d-%s-%016x"`, st.seq(), lang, h.Sum64())
}

// keep returns the reply to keep for a recorded one, or nil when it may
// not be kept: not a 200, or a no-store, private or cookie-setting reply.
func (c *pageCache) keep(rec *recorder, etag string, modified time.Time) *cachedReply {
	h := rec.header
	cc := h.Get("Cache-Control")
	if rec.status != http.StatusOK || cc == "" || strings.Contains(cc, "no-store") || strings.Contains(cc, "private") ||
		h.Get("Set-Cookie") != "" || h.Get("Content-Encoding") != "" {
		return nil
	}
	reply := &cachedReply{header: h.Clone(), body: rec.body.Bytes(), etag: etag, modified: modified}
	reply.header.Del("Content-Length")
	reply.header.Set("ETag", etag)
	reply.header.Set("Last-Modified", modified.Format(http.TimeFormat))
	reply.header.Set("Vary", "Accept-Encoding")
	if len(reply.body) >= minGzip {
		reply.gz = c.compress(reply.body)
	}
	return reply
}

func (c *pageCache) compress(b []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(b) / 4)
	zw, _ := c.gzips.Get().(*gzip.Writer)
	if zw == nil {
		zw = gzip.NewWriter(&buf)
	} else {
		zw.Reset(&buf)
	}
	_, _ = zw.Write(b)
	if err := zw.Close(); err != nil {
		return nil
	}
	c.gzips.Put(zw)
	return buf.Bytes()
}

// writeCached writes a kept reply: 304 when the request's validators
// match, else the body, compressed if the client accepts gzip.
func writeCached(w http.ResponseWriter, r *http.Request, reply *cachedReply) {
	h := w.Header()
	for k, v := range reply.header {
		h[k] = v
	}
	if notModified(r, reply) {
		h.Del("Content-Type")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := reply.body
	if reply.gz != nil && acceptsGzip(r) {
		body = reply.gz
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// notModified applies If-None-Match, or without it If-Modified-Since
// (RFC 9110, section 13.2.2).
func notModified(r *http.Request, reply *cachedReply) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		want := strings.TrimPrefix(reply.etag, "W/")
		for _, t := range strings.Split(inm, ",") {
			t = strings.TrimSpace(t)
			if t == "*" || strings.TrimPrefix(t, "W/") == want {
				return true
			}
		}
		return false
	}
	ims, err := http.ParseTime(r.Header.Get("If-Modified-Since"))
	return err == nil && !reply.modified.Truncate(time.Second).After(ims)
}

// acceptsGzip reports whether Accept-Encoding admits gzip.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if name != "gzip" && name != "*" {
			continue
		}
		q := strings.TrimSpace(params)
		if v, ok := strings.CutPrefix(q, "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil && f == 0 {
				return false
			}
		}
		return true
	}
	return false
}

// recorder is an http.ResponseWriter that keeps the reply.
type recorder struct {
	header      http.Header
	status      int
	wroteHeader bool
	body        bytes.Buffer
}

func (rec *recorder) Header() http.Header { return rec.header }

func (rec *recorder) WriteHeader(status int) {
	if !rec.wroteHeader {
		rec.status, rec.wroteHeader = status, true
	}
}

func (rec *recorder) Write(b []byte) (int, error) {
	rec.wroteHeader = true
	return rec.body.Write(b)
}

// copyTo writes the recorded reply to w as it was.
func (rec *recorder) copyTo(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range rec.header {
		h[k] = v
	}
	w.WriteHeader(rec.status)
	_, _ = w.Write(rec.body.Bytes())
}
