package main_test

// The log defends itself (issue 8): a message without a valid writer
// signature is never a fact, and a ledger whose storage was shortened,
// limited, sealed or replaced takes no writes and says so in /readyz.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/eventstore"
	"github.com/gongkai/gongkai/internal/app"
	"github.com/gongkai/gongkai/internal/apptest"
	"github.com/gongkai/gongkai/internal/auth"
	"github.com/gongkai/gongkai/internal/command"
	"github.com/gongkai/gongkai/internal/demo"
	"github.com/gongkai/gongkai/internal/transparency"
)

func matterJSON(id, title string) string {
	return fmt.Sprintf(`{"type":"matter.register","aggregate_id":%q,"effective_date":"2025-02-01","data":{"title":%q}}`, id, title)
}

// mustCommand sends a command as the administrator and wants want.
func mustCommand(t *testing.T, srv *apptest.Server, key, body string, want int) map[string]any {
	t.Helper()
	r := srv.Command(t, "e2e", key, body)
	if r.Status != want {
		t.Fatalf("command %s: %d %s, want %d", key, r.Status, r.Body, want)
	}
	return r.JSON(t)
}

// readyz returns /readyz's status and body.
func readyzOf(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	r := apptest.Do(t, http.MethodGet, url+"/readyz", nil, nil)
	return r.Status, r.JSON(t)
}

// publishRaw stores a message with the given headers through conn, as an
// account with gongkai's own rights could.
func publishRaw(t *testing.T, js jetstream.JetStream, subject string, h nats.Header, data []byte) uint64 {
	t.Helper()
	m := nats.NewMsg(subject)
	m.Header, m.Data = h, data
	ack, err := js.PublishMsg(context.Background(), m)
	if err != nil {
		t.Fatalf("publish %s: %v", subject, err)
	}
	return ack.Sequence
}

// A forged event published through a privileged connection (the
// compromised-account case) is on no page or API reply, is not taken as an
// idempotent replay of a real key, mints no token, raises an alarm, and
// `gongkai verify` exits non-zero naming its sequence; a byte-for-byte copy
// of a real signed message is not a second fact either.
func TestForgedEventsAreNotFacts(t *testing.T) {
	dir := t.TempDir()
	cfg := app.Config{DataDir: dir, CheckpointEvery: 300 * time.Millisecond}
	srv := apptest.Start(t, cfg)
	mustCommand(t, srv, "community", registerE2E, http.StatusCreated)
	real := mustCommand(t, srv, "real-1", matterJSON("m-real", "真实事项"), http.StatusCreated)
	realSeq := uint64(real["events"].([]any)[0].(map[string]any)["stream_seq"].(float64))

	js, err := jetstream.New(srv.Conn)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(context.Background(), "GONGKAI")
	if err != nil {
		t.Fatal(err)
	}
	orig, err := st.GetMsg(context.Background(), realSeq)
	if err != nil {
		t.Fatal(err)
	}
	var ev eventstore.Event
	if err := json.Unmarshal(orig.Data, &ev); err != nil {
		t.Fatal(err)
	}
	forge := func(aggType, id, typ string, data string) []byte {
		e := ev
		e.ID, e.AggregateType, e.AggregateID, e.Type, e.Actor, e.Data = "forged-"+id, aggType, id, typ, "admin", json.RawMessage(data)
		b, _ := json.Marshal(e)
		return b
	}
	var forged []uint64
	// 1. A matter registered by "admin", unsigned.
	forged = append(forged, publishRaw(t, js, "ledger.e2e.matter.forged-1",
		nats.Header{eventstore.HeaderType: {"matter.registered"}}, forge("matter", "forged-1", "matter.registered", `{"title":"伪造事项"}`)))
	// 2. A clerk token with the attacker's own hash.
	token, hash := auth.NewToken()
	forged = append(forged, publishRaw(t, js, "ledger.e2e.token.tok-forged", nats.Header{eventstore.HeaderType: {domain.EvTokenIssued}},
		forge(domain.AggregateToken, "tok-forged", domain.EvTokenIssued, fmt.Sprintf(`{"token_id":"tok-forged","label":"x","sha256":%q,"community":"e2e"}`, hash))))
	// 3. The victim's idempotency key and request fingerprint, pre-published.
	victim := matterJSON("m-victim", "受害者事项")
	var vc command.Command
	if err := json.Unmarshal([]byte(victim), &vc); err != nil {
		t.Fatal(err)
	}
	forged = append(forged, publishRaw(t, js, "ledger.e2e.matter.m-decoy", nats.Header{
		eventstore.HeaderIdempotency: {eventstore.IdempotencyHash("e2e", "victim-key")},
		eventstore.HeaderRequest:     {command.Fingerprint("e2e", []command.Command{vc})},
		eventstore.HeaderCommand:     {"0"},
	}, forge("matter", "m-decoy", "matter.registered", `{"title":"诱饵"}`)))
	// 4. A copy of the real, signed message (all its gongkai headers).
	h := nats.Header{}
	for k, v := range orig.Header {
		if strings.HasPrefix(k, "Gongkai-") {
			h[k] = v
		}
	}
	forged = append(forged, publishRaw(t, js, orig.Subject, h, orig.Data))
	// 5. A message naming the real writer key, with a signature that does
	// not verify (also after a restart, when verified signatures are not
	// verified again).
	bad := forge("matter", "forged-5", "matter.registered", `{"title":"伪造签名"}`)
	sum := sha256.Sum256(bad)
	forged = append(forged, publishRaw(t, js, "ledger.e2e.matter.forged-5", nats.Header{
		eventstore.HeaderIdempotency:   {eventstore.IdempotencyHash("e2e", "forged-5")},
		eventstore.HeaderRequest:       {"forged-5"},
		eventstore.HeaderCommand:       {"0"},
		eventstore.HeaderPart:          {"0/1"},
		eventstore.HeaderPayloadSHA256: {hex.EncodeToString(sum[:])},
		eventstore.HeaderWriter:        {orig.Header.Get(eventstore.HeaderWriter)},
		eventstore.HeaderWriterSig:     {base64.StdEncoding.EncodeToString(make([]byte, 64))},
	}, bad))

	// The victim's real command is recorded, not answered as a replay.
	r := srv.Command(t, "e2e", "victim-key", victim)
	if r.Status != http.StatusCreated || r.JSON(t)["idempotent_replay"] != false {
		t.Fatalf("victim's command after a pre-published key: %d %s, want 201 and recorded", r.Status, r.Body)
	}
	victimSeq := r.JSON(t)["events"].([]any)[0].(map[string]any)["stream_seq"].(float64)
	// The forged token does not work.
	r = apptest.Do(t, http.MethodPost, srv.URL+"/api/v1/communities/e2e/commands", []byte(matterJSON("m-tok", "令牌")),
		map[string]string{"Authorization": "Bearer " + token, "Idempotency-Key": "tok-1"})
	if r.Status != http.StatusUnauthorized {
		t.Fatalf("command with a forged token: %d %s, want 401", r.Status, r.Body)
	}

	checkAlarm := func(srv *apptest.Server) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		var body map[string]any
		for time.Now().Before(deadline) {
			_, body = readyzOf(t, srv.URL)
			if rm, _ := body["rejected_messages"].([]any); len(rm) == len(forged) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		rm, _ := body["rejected_messages"].([]any)
		var got []uint64
		for _, x := range rm {
			got = append(got, uint64(x.(map[string]any)["stream_seq"].(float64)))
		}
		if fmt.Sprint(got) != fmt.Sprint(forged) {
			t.Fatalf("/readyz rejected_messages at %v, want %v: %v", got, forged, body)
		}
		if !strings.Contains(fmt.Sprint(body["alarm"]), "not facts") {
			t.Errorf("/readyz alarm = %v", body["alarm"])
		}
		// The board applies the stream after the index has judged it:
		// wait until it has the victim's event.
		var board apptest.Response
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			board = apptest.Do(t, http.MethodGet, srv.URL+"/api/v1/communities/e2e/board", nil, nil)
			var b struct {
				AsOfSeq float64 `json:"as_of_seq"`
			}
			if json.Unmarshal(board.Body, &b) == nil && b.AsOfSeq >= victimSeq || time.Now().After(deadline) {
				break
			}
		}
		if board.Status != http.StatusOK || bytes.Contains(board.Body, []byte("伪造")) || bytes.Contains(board.Body, []byte("m-decoy")) ||
			bytes.Count(board.Body, []byte(`"m-real"`)) != 1 || !bytes.Contains(board.Body, []byte("m-victim")) {
			t.Fatalf("board JSON shows a forged event, or the real ones wrongly:\n%s", board.Body)
		}
		page := apptest.Do(t, http.MethodGet, srv.URL+"/c/e2e", nil, nil)
		if bytes.Contains(page.Body, []byte("伪造")) || !bytes.Contains(page.Body, []byte(`class="alarm"`)) ||
			!bytes.Contains(page.Body, []byte(strconv.FormatUint(forged[0], 10))) {
			t.Fatalf("board page: the forged matter is shown, or no notice names it:\n%s", page.Body)
		}
		metrics := apptest.Do(t, http.MethodGet, srv.URL+"/metrics", nil, nil)
		if !bytes.Contains(metrics.Body, []byte(fmt.Sprintf("gongkai_rejected_messages %d", len(forged)))) {
			t.Errorf("/metrics has no gongkai_rejected_messages %d", len(forged))
		}
	}
	checkAlarm(srv)
	keyResp := apptest.Do(t, http.MethodGet, srv.URL+"/api/v1/log/key", nil, nil)
	srv.Stop(t)

	// After a restart (the index is read from the stored headers) the
	// verdicts are the same.
	srv = apptest.StartOn(t, cfg)
	checkAlarm(srv)
	srv.Stop(t)

	code, out := runVerify(t, dir, strings.TrimSpace(string(keyResp.Body)))
	if code == 0 {
		t.Fatalf("verify exit 0 on a log with forged messages:\n%s", out)
	}
	for _, seq := range forged {
		if !strings.Contains(out, fmt.Sprintf("stream sequence %d ", seq)) {
			t.Errorf("verify does not name sequence %d:\n%s", seq, out)
		}
	}
}

// plainNATS is a single nats-server process with JetStream and no
// permissions, so that the test can do what an operator with a NATS
// administrator account could: edit, seal or delete streams.
type plainNATS struct {
	url string
	cmd *exec.Cmd
	js  jetstream.JetStream
}

func startPlainNATS(t *testing.T) *plainNATS {
	t.Helper()
	dir := t.TempDir()
	addr := freeAddr(t)
	host, port, _ := strings.Cut(addr, ":")
	conf := filepath.Join(dir, "nats.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("host: %s\nport: %s\njetstream { store_dir: %q, sync_interval: always }\n", host, port, filepath.Join(dir, "js"))), 0o600)
	n := &plainNATS{url: "nats://" + addr, cmd: exec.Command(natsBin, "-c", conf)}
	var logs bytes.Buffer
	n.cmd.Stdout, n.cmd.Stderr = &logs, &logs
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.cmd.Process.Kill(); _ = n.cmd.Wait() })
	var nc *nats.Conn
	var err error
	for range 100 {
		if nc, err = nats.Connect(n.url); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("nats-server did not start: %v\n%s", err, logs.String())
	}
	t.Cleanup(nc.Close)
	n.js, _ = jetstream.New(nc)
	return n
}

// waitRefusing waits until /readyz is 503 with a writes reason containing
// want, and checks that a write is then refused with 503 writes_refused and
// that the stream did not move.
func waitRefusing(t *testing.T, srv *apptest.Server, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var code int
	var body map[string]any
	for time.Now().Before(deadline) {
		code, body = readyzOf(t, srv.URL)
		if code == http.StatusServiceUnavailable && strings.Contains(fmt.Sprint(body["writes"]), want) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code != http.StatusServiceUnavailable || !strings.Contains(fmt.Sprint(body["writes"]), want) {
		t.Fatalf("/readyz = %d %v, want 503 with a writes reason containing %q", code, body, want)
	}
	r := srv.Command(t, "e2e", "refused-"+strconv.FormatInt(time.Now().UnixNano(), 10), matterJSON("m-refused", "不应记录"))
	if r.Status != http.StatusServiceUnavailable || r.JSON(t)["code"] != "writes_refused" || !bytes.Contains(r.Body, []byte(want)) {
		t.Fatalf("write while the storage is wrong: %d %s, want 503 writes_refused naming %q", r.Status, r.Body, want)
	}
}

// One test per drift case: the stream's limits lowered, the stream sealed,
// the stream deleted and created anew empty (also across a restart), the
// checkpoint stream deleted. Each time writes are refused and /readyz is
// 503 with the reason.
func TestStorageDrift(t *testing.T) {
	ctx := context.Background()
	start := func(t *testing.T) (*plainNATS, *apptest.Server, app.Config) {
		n := startPlainNATS(t)
		cfg := app.Config{NATSURLs: []string{n.url}, DataDir: t.TempDir(), GuardEvery: 200 * time.Millisecond}
		srv := apptest.Start(t, cfg)
		mustCommand(t, srv, "community", registerE2E, http.StatusCreated)
		for i := range 5 {
			mustCommand(t, srv, fmt.Sprint("m", i), matterJSON(fmt.Sprint("m-", i), fmt.Sprint("事项", i)), http.StatusCreated)
		}
		return n, srv, cfg
	}
	update := func(t *testing.T, n *plainNATS, name string, f func(*jetstream.StreamConfig)) {
		st, err := n.js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		c := st.CachedInfo().Config
		f(&c)
		if _, err := n.js.UpdateStream(ctx, c); err != nil {
			t.Fatalf("update stream %s: %v", name, err)
		}
	}
	t.Run("limits lowered", func(t *testing.T) {
		n, srv, _ := start(t)
		update(t, n, "GONGKAI", func(c *jetstream.StreamConfig) { c.MaxMsgs = 3 })
		waitRefusing(t, srv, "max_msgs")
	})
	t.Run("sealed", func(t *testing.T) {
		n, srv, _ := start(t)
		update(t, n, "GONGKAI", func(c *jetstream.StreamConfig) { c.Sealed = true })
		waitRefusing(t, srv, "sealed")
	})
	t.Run("deleted and recreated empty", func(t *testing.T) {
		n, srv, cfg := start(t)
		if err := n.js.DeleteStream(ctx, "GONGKAI"); err != nil {
			t.Fatal(err)
		}
		if _, err := n.js.CreateStream(ctx, eventstore.StreamConfig("GONGKAI", 1, 2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		waitRefusing(t, srv, "GONGKAI")
		srv.Stop(t)
		// Restarted on the empty stream, with its tree: still no ledger.
		srv = apptest.Launch(t, cfg)
		waitRefusing(t, srv, "holds 0 messages")
	})
	t.Run("deleted, restart", func(t *testing.T) {
		n, srv, cfg := start(t)
		srv.Stop(t)
		if err := n.js.DeleteStream(ctx, "GONGKAI"); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		cfg.Addr, cfg.AdminToken = "127.0.0.1:0", apptest.AdminToken
		err := app.Run(ctx, cfg, discardLog(), func(app.Started) { t.Error("gongkai served on an empty ledger where its tree says one existed") })
		if err == nil || !strings.Contains(err.Error(), "--init") {
			t.Fatalf("Run on a missing stream = %v, want a refusal naming --init", err)
		}
		if _, err := n.js.Stream(ctx, "GONGKAI"); err == nil {
			t.Fatal("gongkai created an empty stream")
		}
		// The operator decides to start a new log: --init. The checkpoint
		// stream of the old log goes too (a new log, new checkpoints).
		if err := n.js.DeleteStream(ctx, transparency.CheckpointStream); err != nil {
			t.Fatal(err)
		}
		cfg.Init = true
		srv = apptest.Start(t, cfg)
		mustCommand(t, srv, "community-again", registerE2E, http.StatusCreated)
		aside, _ := filepath.Glob(filepath.Join(cfg.DataDir, "tree.replaced-*"))
		if len(aside) != 1 || srv.LastSeq(t) != 2 {
			t.Fatalf("--init: old trees kept aside %v, stream last sequence %d; want one, and 2 (a new writer key, the community)", aside, srv.LastSeq(t))
		}
	})
	t.Run("checkpoint stream deleted", func(t *testing.T) {
		n, srv, _ := start(t)
		if err := n.js.DeleteStream(ctx, transparency.CheckpointStream); err != nil {
			t.Fatal(err)
		}
		waitRefusing(t, srv, transparency.CheckpointStream)
	})
}

// A data directory restored from a backup older than what the town's
// witness has cosigned: gongkai signs nothing and takes no writes (a
// client's retry of a command acknowledged after the backup is refused,
// not recorded a second time) until an operator decides.
func TestRestoredBackupBehindWitness(t *testing.T) {
	dir := t.TempDir()
	skey, vkey, err := transparency.GenerateKey("gongkai/gongkai")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "signer.key"), []byte(skey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	wskey, _, err := transparency.GenerateKey("town-witness")
	if err != nil {
		t.Fatal(err)
	}
	w, err := transparency.NewWitness(wskey, []string{vkey}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ws := newHTTPServer(t, w)
	cfg := app.Config{DataDir: dir, CheckpointEvery: 200 * time.Millisecond, Witnesses: []string{ws}, WitnessQuorum: 1, GuardEvery: 200 * time.Millisecond}
	checkpointSize := func(srv *apptest.Server) uint64 {
		r := apptest.Do(t, http.MethodGet, srv.URL+"/api/v1/log/checkpoint", nil, nil)
		lines := strings.SplitN(string(r.Body), "\n", 3)
		if r.Status != http.StatusOK || len(lines) < 3 {
			return 0
		}
		n, _ := strconv.ParseUint(lines[1], 10, 64)
		return n
	}
	waitCP := func(srv *apptest.Server, size uint64) {
		deadline := time.Now().Add(30 * time.Second)
		for checkpointSize(srv) < size && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if got := checkpointSize(srv); got < size {
			t.Fatalf("checkpoint size %d, want %d", got, size)
		}
	}
	srv := apptest.Start(t, cfg)
	mustCommand(t, srv, "community", registerE2E, http.StatusCreated)
	for i := range 3 {
		mustCommand(t, srv, fmt.Sprint("before-", i), matterJSON(fmt.Sprint("m-b", i), "备份前"), http.StatusCreated)
	}
	backupSize := srv.LastSeq(t)
	waitCP(srv, backupSize)
	srv.Stop(t)
	backup := copyDir(t, dir)

	srv = apptest.StartOn(t, cfg)
	for i := range 3 {
		mustCommand(t, srv, fmt.Sprint("after-", i), matterJSON(fmt.Sprint("m-a", i), "备份后"), http.StatusCreated)
	}
	witnessed := srv.LastSeq(t)
	waitCP(srv, witnessed)
	srv.Stop(t)

	cfg.DataDir = backup
	srv = apptest.Launch(t, cfg)
	waitRefusing(t, srv, fmt.Sprintf("at least %d", witnessed))
	r := srv.Command(t, "e2e", "after-0", matterJSON("m-a0", "备份后"))
	if r.Status != http.StatusServiceUnavailable {
		t.Fatalf("retry of a command acknowledged after the backup: %d %s, want 503 (not recorded again)", r.Status, r.Body)
	}
	time.Sleep(time.Second) // several checkpoint intervals
	if got := checkpointSize(srv); got != backupSize {
		t.Fatalf("the restored log signed a checkpoint of size %d (backup at %d, witness at %d)", got, backupSize, witnessed)
	}
	if got := srv.LastSeq(t); got != backupSize {
		t.Fatalf("the restored log took writes: last sequence %d, backup %d", got, backupSize)
	}
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// newHTTPServer serves h on loopback until the test ends and returns its URL.
func newHTTPServer(t *testing.T, h http.Handler) string {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.URL
}

// Without a quorum (two of three nodes down) the ledger takes no writes:
// /readyz is 503 with the reason and a write is refused at once; when the
// nodes are back, writes resume without restarting gongkai.
func TestFaultNoQuorumThenBack(t *testing.T) {
	nodes := startCluster(t)
	cfg := app.Config{NATSURLs: strings.Split(urls(nodes), ","), Replicas: 3, DataDir: t.TempDir(), GuardEvery: 200 * time.Millisecond}
	srv := apptest.Start(t, cfg)
	mustCommand(t, srv, "community", registerE2E, http.StatusCreated)
	for _, n := range nodes[1:] {
		_ = n.cmd.Process.Kill()
		_ = n.cmd.Wait()
	}
	waitRefusing(t, srv, "quorum")
	for _, n := range nodes[1:] {
		n.start(t)
	}
	srv.WaitReady(t)
	mustCommand(t, srv, "after-quorum", matterJSON("m-q", "法定人数恢复后"), http.StatusCreated)
}

// /readyz is not 200 before --demo has finished loading: the first 200
// already counts every demo event in the stream.
func TestReadyOnlyAfterDemo(t *testing.T) {
	srv := apptest.Launch(t, app.Config{DataDir: t.TempDir(), Demo: true})
	want := uint64(demo.Events()) + 1 // and the writer key's registration
	sawLoading := false
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		code, body := readyzOf(t, srv.URL)
		if body["demo_loading"] == true {
			sawLoading = true
			if code != http.StatusServiceUnavailable {
				t.Fatalf("/readyz %d while the demo is loading: %v", code, body)
			}
		}
		if code == http.StatusOK {
			if got := uint64(body["stream_last_seq"].(float64)); got < want {
				t.Fatalf("/readyz 200 with %d events in the stream; the demo has %d", got, want)
			}
			t.Logf("ready with %d events; saw demo_loading: %v", uint64(body["stream_last_seq"].(float64)), sawLoading)
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatal("/readyz not 200 within 30s")
}
