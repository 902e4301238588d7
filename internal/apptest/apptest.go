// Package apptest runs a real gongkai server in-process for tests: embedded
// JetStream in a temporary directory, a real HTTP listener on loopback.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/gongkai/gongkai/eventstore"
	"github.com/gongkai/gongkai/internal/app"
)

// AdminToken is the administrator token of every test server: long and
// random, as app.Run requires (auth.CheckAdminToken).
const AdminToken = "apptest-8Rz3Kq7Wn2Lx5Vb9Ht4Jc6Mp1Fd0Sg"

// Server is a running test server.
type Server struct {
	URL   string
	Dir   string
	Store *eventstore.Store
	// Conn is the server's own NATS connection (its rights: a compromised
	// account in a test).
	Conn *nats.Conn
	stop context.CancelFunc
	done chan error
}

// Start runs a server on a fresh data directory until the test ends.
func Start(tb testing.TB, cfg app.Config) *Server {
	tb.Helper()
	if cfg.DataDir == "" && len(cfg.NATSURLs) == 0 {
		cfg.DataDir = tb.TempDir()
	}
	if cfg.DataDir == "" && cfg.WriterKey == "" {
		// Not beside the test, where ./writer.key would be made.
		cfg.WriterKey = filepath.Join(tb.TempDir(), "writer.key")
	}
	return StartOn(tb, cfg)
}

// StartOn runs a server with cfg as given (to restart on the same data)
// and waits until it is ready.
func StartOn(tb testing.TB, cfg app.Config) *Server {
	tb.Helper()
	s := Launch(tb, cfg)
	s.WaitReady(tb)
	return s
}

// Launch runs a server with cfg as given and returns once it accepts
// connections, ready or not.
func Launch(tb testing.TB, cfg app.Config) *Server {
	tb.Helper()
	level := slog.LevelWarn
	if os.Getenv("GONGKAI_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	return launch(tb, cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
}

// launch runs a server with cfg, logging to log.
func launch(tb testing.TB, cfg app.Config, log *slog.Logger) *Server {
	tb.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.AdminToken == "" {
		cfg.AdminToken = AdminToken
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{Dir: cfg.DataDir, stop: cancel, done: make(chan error, 1)}
	started := make(chan app.Started, 1)
	go func() { s.done <- app.Run(ctx, cfg, log, func(st app.Started) { started <- st }) }()
	select {
	case st := <-started:
		s.URL, s.Store, s.Conn = "http://"+st.Addr, st.Store, st.Conn
	case err := <-s.done:
		cancel()
		tb.Fatalf("server did not start: %v", err)
	case <-time.After(60 * time.Second):
		// A new 3-node cluster elects its leaders before the stream can be
		// made: 8–26 s were seen on a busy two-core machine.
		cancel()
		tb.Fatalf("server did not start within 60s")
	}
	tb.Cleanup(func() { s.Stop(tb) })
	return s
}

// Stop shuts the server down gracefully and waits for it; it is safe to
// call more than once.
func (s *Server) Stop(tb testing.TB) {
	tb.Helper()
	if s.stop == nil {
		return
	}
	s.stop()
	s.stop = nil
	select {
	case err := <-s.done:
		if err != nil {
			tb.Errorf("server stopped with %v", err)
		}
	case <-time.After(30 * time.Second):
		tb.Errorf("server did not stop within 30s")
	}
}

// WaitReady waits until /readyz answers 200.
func (s *Server) WaitReady(tb testing.TB) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	tb.Fatalf("%s/readyz not 200 within 30s", s.URL)
}

// Event is a stored event as the tests read it back.
type Event = eventstore.Stored

// EventsAfter returns the facts (messages with a valid writer signature)
// stored after sequence seq, in stream order.
func (s *Server) EventsAfter(tb testing.TB, seq uint64) []Event {
	tb.Helper()
	var out []Event
	if err := s.Store.Read(context.Background(), seq+1, func(st eventstore.Stored) error {
		if st.Rejected == "" {
			out = append(out, st)
		}
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	return out
}

// LastSeq returns the stream's last sequence.
func (s *Server) LastSeq(tb testing.TB) uint64 {
	tb.Helper()
	n, err := s.Store.LastSeq(context.Background())
	if err != nil {
		tb.Fatalf("LastSeq: %v", err)
	}
	return n
}

// Response is an HTTP reply read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a map.
func (r Response) JSON(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		tb.Fatalf("reply %d is not JSON: %v: %s", r.Status, err, r.Body)
	}
	return m
}

// Do sends a request with the given headers ("Authorization",
// "Idempotency-Key", ...) and reads the reply. An empty value removes the
// header (Content-Type is application/json when there is a body); "Host"
// sets the request's Host.
func Do(tb testing.TB, method, url string, body []byte, headers map[string]string) Response {
	tb.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		if k == "Host" {
			req.Host = v
			continue
		}
		if v == "" {
			req.Header.Del(k)
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// Command sends one command to a community as the administrator.
func (s *Server) Command(tb testing.TB, community, key string, body string, extra ...string) Response {
	tb.Helper()
	h := map[string]string{"Authorization": "Bearer " + AdminToken, "Idempotency-Key": key}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return Do(tb, http.MethodPost, s.URL+"/api/v1/communities/"+community+"/commands", []byte(body), h)
}

// Batch sends a batch of commands to a community as the administrator.
func (s *Server) Batch(tb testing.TB, community, key string, body string) Response {
	tb.Helper()
	h := map[string]string{"Authorization": "Bearer " + AdminToken, "Idempotency-Key": key}
	return Do(tb, http.MethodPost, s.URL+"/api/v1/communities/"+community+"/commands:batch", []byte(body), h)
}
