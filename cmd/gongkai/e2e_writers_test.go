package main_test

// Writer key rotation through the API (issue 8, docs/verification.md §14):
// a second instance with its own key writes only once the administrator has
// registered the key through an instance whose key is registered, and
// writes no fact once the key is revoked.

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
)

// writerKeygen runs `gongkai writer keygen --out file` through the built
// binary and returns the key id and public key it prints.
func writerKeygen(t *testing.T, file string) (id, pub string) {
	t.Helper()
	code, out := runGongkai(t, "writer", "keygen", "--out", file)
	if code != 0 {
		t.Fatalf("gongkai writer keygen: exit %d\n%s", code, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		k, v, _ := strings.Cut(line, " ")
		switch k {
		case "key_id":
			id = v
		case "public_key":
			pub = v
		}
	}
	if len(id) != 16 || pub == "" {
		t.Fatalf("gongkai writer keygen printed no key_id and public_key:\n%s", out)
	}
	return id, pub
}

// boardShows reports whether the community's board JSON mentions s.
func boardShows(t *testing.T, srv *apptest.Server, s string) bool {
	t.Helper()
	r := apptest.Do(t, http.MethodGet, srv.URL+"/api/v1/communities/e2e/board", nil, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("board: %d %s", r.Status, r.Body)
	}
	return bytes.Contains(r.Body, []byte(s))
}

// caughtUpTo waits until every read model of srv has read the stream up to
// seq, so that its store has seen every message up to seq.
func caughtUpTo(t *testing.T, srv *apptest.Server, seq uint64) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var body map[string]any
	for time.Now().Before(deadline) {
		_, body = readyzOf(t, srv.URL)
		rms, _ := body["read_models"].([]any)
		done := len(rms) > 0
		for _, rm := range rms {
			if p, _ := rm.(map[string]any)["position"].(float64); uint64(p) < seq {
				done = false
			}
		}
		if done {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: read models not at sequence %d within 15s: %v", srv.URL, seq, body)
}

// rejectedSeqs returns the stream sequences /readyz lists as not facts.
func rejectedSeqs(t *testing.T, srv *apptest.Server) []uint64 {
	t.Helper()
	_, body := readyzOf(t, srv.URL)
	var out []uint64
	rm, _ := body["rejected_messages"].([]any)
	for _, x := range rm {
		out = append(out, uint64(x.(map[string]any)["stream_seq"].(float64)))
	}
	return out
}

func TestWriterKeyRotation(t *testing.T) {
	n := startPlainNATS(t)
	a := apptest.Start(t, app.Config{NATSURLs: []string{n.url}, DataDir: t.TempDir()})
	mustCommand(t, a, "community", registerE2E, http.StatusCreated)
	mustCommand(t, a, "a-1", matterJSON("m-a-1", "甲实例事项"), http.StatusCreated)
	adminH := map[string]string{"Authorization": "Bearer " + apptest.AdminToken}

	// B's key, made by the CLI; the file is the administrator's secret.
	keyFile := filepath.Join(t.TempDir(), "b.key")
	bID, bPub := writerKeygen(t, keyFile)
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("writer key file: %v, mode %v, want 0600", err, fi.Mode().Perm())
	}
	before, _ := os.ReadFile(keyFile)
	if code, out := runGongkai(t, "writer", "keygen", "--out", keyFile); code == 0 || !strings.Contains(out, bID) {
		t.Fatalf("writer keygen on an existing file: exit %d, want a refusal naming key %s:\n%s", code, bID, out)
	}
	if after, _ := os.ReadFile(keyFile); !bytes.Equal(before, after) {
		t.Fatal("writer keygen overwrote an existing key file")
	}

	// B starts but is not ready: its key is not registered.
	b := apptest.Launch(t, app.Config{NATSURLs: []string{n.url}, DataDir: t.TempDir(), WriterKey: keyFile, GuardEvery: 200 * time.Millisecond})
	if b.Store.WriterID() != bID {
		t.Fatalf("instance B's writer key = %s, want %s from the key file", b.Store.WriterID(), bID)
	}

	// Not registered: /readyz says so, B refuses to write, and nothing is
	// stored.
	waitRefusing(t, b, "not registered")
	last := a.LastSeq(t)
	r := b.Command(t, "e2e", "b-0", matterJSON("m-b-0", "乙实例未登记"))
	if r.Status != http.StatusServiceUnavailable || r.JSON(t)["code"] != "writes_refused" ||
		!bytes.Contains(r.Body, []byte("not registered")) || !bytes.Contains(r.Body, []byte(bID)) {
		t.Fatalf("write on B before its key is registered: %d %s, want 503 writes_refused naming %s \"not registered\"", r.Status, r.Body, bID)
	}
	if got := a.LastSeq(t); got != last {
		t.Fatalf("a refused write moved the stream from %d to %d", last, got)
	}

	// The administrator registers B's key through A.
	r = apptest.Do(t, http.MethodPost, a.URL+"/api/v1/writers", []byte(fmt.Sprintf(`{"public_key":%q,"label":"乙实例"}`, bPub)), adminH)
	if r.Status != http.StatusCreated || r.JSON(t)["key_id"] != bID {
		t.Fatalf("POST /api/v1/writers: %d %s, want 201 with key_id %s", r.Status, r.Body, bID)
	}
	// Registering it again is not a second registration.
	if r := apptest.Do(t, http.MethodPost, a.URL+"/api/v1/writers", []byte(fmt.Sprintf(`{"public_key":%q,"label":"乙实例"}`, bPub)), adminH); r.Status < 400 {
		t.Fatalf("POST /api/v1/writers of a registered key again: %d %s, want a refusal", r.Status, r.Body)
	}

	// B's writes are facts, shown by A.
	b.WaitReady(t)
	mustCommand(t, b, "b-1", matterJSON("m-b-1", "乙实例事项"), http.StatusCreated)
	deadline := time.Now().Add(10 * time.Second)
	for !boardShows(t, a, "m-b-1") {
		if time.Now().After(deadline) {
			t.Fatal("A's board does not show B's matter m-b-1 within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}

	// The administrator revokes B's key through A.
	r = apptest.Do(t, http.MethodDelete, a.URL+"/api/v1/writers/"+bID, nil, adminH)
	if r.Status != http.StatusOK || r.JSON(t)["revoked"] != true {
		t.Fatalf("DELETE /api/v1/writers/%s: %d %s, want 200 revoked", bID, r.Status, r.Body)
	}
	revokedAt := uint64(r.JSON(t)["stream_seq"].(float64))

	// Once B has read the revocation, it refuses to write.
	caughtUpTo(t, b, revokedAt)
	last = a.LastSeq(t)
	r = b.Command(t, "e2e", "b-2", matterJSON("m-b-2", "吊销后乙实例事项"))
	if r.Status != http.StatusServiceUnavailable || r.JSON(t)["code"] != "writes_refused" || !bytes.Contains(r.Body, []byte("not registered")) {
		t.Fatalf("write on B after its key was revoked: %d %s, want 503 writes_refused naming \"not registered\"", r.Status, r.Body)
	}
	if got := a.LastSeq(t); got != last {
		t.Fatalf("a refused write moved the stream from %d to %d", last, got)
	}

	// A revoked key cannot be registered again.
	if r := apptest.Do(t, http.MethodPost, a.URL+"/api/v1/writers", []byte(fmt.Sprintf(`{"public_key":%q,"label":"乙实例"}`, bPub)), adminH); r.Status < 400 {
		t.Fatalf("POST /api/v1/writers of a revoked key: %d %s, want a refusal", r.Status, r.Body)
	}
	if r := b.Command(t, "e2e", "b-3", matterJSON("m-b-3", "再次登记后")); r.Status != http.StatusServiceUnavailable {
		t.Fatalf("write on B after its revoked key was offered again: %d %s, want 503", r.Status, r.Body)
	}

	// A still writes; B's earlier fact stays, nothing after the revocation
	// is shown, and nothing was stored that is not a fact.
	mustCommand(t, a, "a-2", matterJSON("m-a-2", "甲实例第二事项"), http.StatusCreated)
	caughtUpTo(t, a, a.LastSeq(t))
	for _, want := range []string{"m-a-1", "m-b-1", "m-a-2"} {
		if !boardShows(t, a, want) {
			t.Errorf("A's board does not show %s", want)
		}
	}
	for _, notWant := range []string{"m-b-0", "m-b-2", "m-b-3"} {
		if boardShows(t, a, notWant) {
			t.Errorf("A's board shows %s, written by B while its key was not registered", notWant)
		}
	}
	if rej := rejectedSeqs(t, a); len(rej) != 0 {
		t.Errorf("A's /readyz lists rejected messages %v, want none (every refused write refused before storing)", rej)
	}
}

// Bad input to the writer key endpoints: each is refused and leaves the
// stream unchanged.
func TestWriterKeyBadInput(t *testing.T) {
	srv := apptest.Start(t, app.Config{DataDir: t.TempDir()})
	mustCommand(t, srv, "community", registerE2E, http.StatusCreated)
	adminH := map[string]string{"Authorization": "Bearer " + apptest.AdminToken}
	tok := apptest.Do(t, http.MethodPost, srv.URL+"/api/v1/tokens", []byte(`{"community":"e2e","label":"文书 李娜"}`), adminH)
	if tok.Status != http.StatusCreated {
		t.Fatalf("issue a clerk token: %d %s", tok.Status, tok.Body)
	}
	clerkH := map[string]string{"Authorization": "Bearer " + tok.JSON(t)["token"].(string)}
	_, goodPub := writerKeygen(t, filepath.Join(t.TempDir(), "k"))

	tests := []struct {
		name    string
		method  string
		path    string
		body    string
		headers map[string]string
		status  int
		field   string
	}{
		{name: "public key not base64", method: http.MethodPost, path: "/api/v1/writers",
			body: `{"public_key":"not a key!","label":"乙实例"}`, headers: adminH, status: http.StatusUnprocessableEntity, field: "public_key"},
		{name: "public key of 31 bytes", method: http.MethodPost, path: "/api/v1/writers",
			body: `{"public_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==","label":"乙实例"}`, headers: adminH, status: http.StatusUnprocessableEntity, field: "public_key"},
		{name: "public key without base64 padding", method: http.MethodPost, path: "/api/v1/writers",
			body: fmt.Sprintf(`{"public_key":%q,"label":"乙实例"}`, strings.TrimRight(goodPub, "=")), headers: adminH,
			status: http.StatusUnprocessableEntity, field: "public_key"},
		{name: "public key missing", method: http.MethodPost, path: "/api/v1/writers",
			body: `{"label":"乙实例"}`, headers: adminH, status: http.StatusUnprocessableEntity, field: "public_key"},
		{name: "label missing", method: http.MethodPost, path: "/api/v1/writers",
			body: fmt.Sprintf(`{"public_key":%q}`, goodPub), headers: adminH, status: http.StatusUnprocessableEntity, field: "label"},
		{name: "revoke an unknown key", method: http.MethodDelete, path: "/api/v1/writers/0123456789abcdef",
			headers: adminH, status: http.StatusNotFound},
		{name: "clerk registers a key", method: http.MethodPost, path: "/api/v1/writers",
			body: fmt.Sprintf(`{"public_key":%q,"label":"乙实例"}`, goodPub), headers: clerkH, status: http.StatusForbidden},
		{name: "clerk revokes this instance's key", method: http.MethodDelete, path: "/api/v1/writers/" + srv.Store.WriterID(),
			headers: clerkH, status: http.StatusForbidden},
		{name: "no token", method: http.MethodPost, path: "/api/v1/writers",
			body: fmt.Sprintf(`{"public_key":%q,"label":"乙实例"}`, goodPub), status: http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			last := srv.LastSeq(t)
			var body []byte
			if tt.body != "" {
				body = []byte(tt.body)
			}
			r := apptest.Do(t, tt.method, srv.URL+tt.path, body, tt.headers)
			if r.Status != tt.status {
				t.Fatalf("%s %s: %d %s, want %d", tt.method, tt.path, r.Status, r.Body, tt.status)
			}
			p := r.JSON(t)
			if title, _ := p["title"].(string); title == "" {
				t.Errorf("problem without a title: %s", r.Body)
			}
			if titleZH, _ := p["title_zh"].(string); titleZH == "" {
				t.Errorf("problem without a Chinese title: %s", r.Body)
			}
			if tt.field != "" {
				errs, _ := p["errors"].([]any)
				if len(errs) != 1 {
					t.Fatalf("errors = %v, want one for %s", p["errors"], tt.field)
				}
				e := errs[0].(map[string]any)
				reason, _ := e["reason"].(string)
				reasonZH, _ := e["reason_zh"].(string)
				if e["field"] != tt.field || reason == "" || reasonZH == "" {
					t.Errorf("field error = %v, want %s with a reason in both languages", e, tt.field)
				}
			}
			if got := srv.LastSeq(t); got != last {
				t.Errorf("the stream moved from %d to %d", last, got)
			}
		})
	}
	// This instance's key is still the only one, and it still writes.
	mustCommand(t, srv, "after", matterJSON("m-after", "之后"), http.StatusCreated)
}
