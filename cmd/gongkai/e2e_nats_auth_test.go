package main_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"

	"github.com/gongkai/gongkai/eventstore"
	"github.com/gongkai/gongkai/internal/transparency"

	"github.com/gongkai/gongkai/internal/natstest"
)

// Through `gongkai serve --nats-listen`: no client gets in without the
// reader's password, and the reader may read but not write, edit, seal,
// purge or delete anything.
func TestEmbeddedNATSAuth(t *testing.T) {
	dir := t.TempDir()
	natsAddr := freeAddr(t)
	p := startServe(t, bin, dir, freeAddr(t), "--nats-listen", natsAddr, "--checkpoint-every", "1s")
	pwFile := filepath.Join(dir, eventstore.ReaderPasswordFile)
	fi, err := os.Stat(pwFile)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", pwFile, fi.Mode().Perm())
	}
	password := strings.TrimSpace(readFile(t, pwFile))
	mustPost(t, p.url+"/api/v1/communities/e2e/commands", "reg", registerE2E)
	workload(t, p.url, "a", 5, 1)
	last := caughtUp(t, p, 30*time.Second).LastSeq
	waitCheckpoint(t, p, last)
	vkey, err := transparency.VerifierKeyOf(readFile(t, filepath.Join(dir, "signer.key")))
	if err != nil {
		t.Fatal(err)
	}

	door := natsDoor{
		url:        "nats://" + natsAddr,
		readerURL:  "nats://" + eventstore.ReaderUser + ":" + password + "@" + natsAddr,
		reader:     []nats.Option{nats.UserInfo(eventstore.ReaderUser, password)},
		wrongUsers: [][2]string{{eventstore.ReaderUser, password + "x"}, {eventstore.GongkaiUser, password}, {eventstore.AdminUser, password}},
		vkey:       vkey,
	}
	door.check(t)

	// gongkai itself carries on.
	mustPost(t, p.url+"/api/v1/communities/e2e/commands", "after", `{"type":"matter.register","aggregate_id":"after-door","effective_date":"2025-03-03","data":{"title":"之后"}}`)
	if r := caughtUp(t, p, 30*time.Second); r.LastSeq != last+1 {
		t.Errorf("after the reader's attempts the stream's last sequence is %d, want %d", r.LastSeq, last+1)
	}
	stop(t, p) // the process's output is complete only once it has exited
	if !strings.Contains(p.logs.String(), "created the NATS reader password") {
		t.Errorf("no log line about the reader password:\n%s", p.logs.String())
	}
	if strings.Contains(p.logs.String(), "NATS error") {
		t.Errorf("gongkai met a NATS error (a permissions violation?):\n%s", p.logs.String())
	}
}

// With --nats-tls-cert and --nats-tls-key the listener takes TLS clients
// only.
func TestEmbeddedNATSTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key, pool := natstest.SelfSignedCert(t, t.TempDir())
	natsAddr := freeAddr(t)
	startServe(t, bin, dir, freeAddr(t), "--nats-listen", natsAddr, "--nats-tls-cert", cert, "--nats-tls-key", key)
	reader := nats.UserInfo(eventstore.ReaderUser, strings.TrimSpace(readFile(t, filepath.Join(dir, eventstore.ReaderPasswordFile))))
	if nc, err := nats.Connect("nats://"+natsAddr, reader); err == nil {
		nc.Close()
		t.Fatal("a client without TLS connected")
	}
	nc, err := nats.Connect("tls://"+natsAddr, reader, nats.Secure(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}))
	if err != nil {
		t.Fatalf("reader over TLS: %v", err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	st, err := js.Stream(context.Background(), "GONGKAI")
	if err != nil {
		t.Fatalf("stream info over TLS: %v", err)
	}
	if st.CachedInfo().State.Msgs == 0 {
		t.Errorf("the ledger stream is empty")
	}
}

// The NATS configuration of docs/deploy.md (section 5.3, run as it is) on
// three nats-server nodes with authenticated routes: gongkai runs as its
// user and cannot edit, seal, purge or delete the streams; the reader
// reads and can do nothing else; no one gets in without a password.
func TestClusterNATSAuth(t *testing.T) {
	accounts := deployAccountsBlock(t)
	const gongkaiPW, readerPW = "GONGKAI-NATS-PASSWORD", "READER-NATS-PASSWORD"
	nodes := startNATSNodes(t, 3, &natsAuth{accounts: accounts, routeUser: "route", routePass: "ROUTE-PASSWORD",
		connect: []nats.Option{nats.UserInfo("reader", readerPW)}})
	withUser := func(user, pw string) string {
		var u []string
		for _, n := range nodes {
			u = append(u, strings.Replace(n.url, "nats://", "nats://"+user+":"+pw+"@", 1))
		}
		return strings.Join(u, ",")
	}

	skey := filepath.Join(t.TempDir(), "signer.key")
	if code, out := runGongkai(t, "keygen", "--origin", "gongkai/gongkai", "--out", skey); code != 0 {
		t.Fatalf("keygen: %s", out)
	}
	vkey, err := transparency.VerifierKeyOf(readFile(t, skey))
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"--nats", withUser("gongkai", gongkaiPW), "--replicas", "3", "--signer-key", skey, "--checkpoint-every", "1s"}
	p := startServe(t, bin, "", freeAddr(t), args...)
	mustPost(t, p.url+"/api/v1/communities/e2e/commands", "reg", registerE2E)
	workload(t, p.url, "a", 5, 1)
	waitCheckpoint(t, p, caughtUp(t, p, 30*time.Second).LastSeq)
	stop(t, p)
	if strings.Contains(p.logs.String(), "NATS error") {
		t.Errorf("gongkai met a NATS error (a permissions violation?):\n%s", p.logs.String())
	}
	// It starts again (the streams and the lease bucket exist) and signs.
	p = startServe(t, bin, "", freeAddr(t), args...)
	mustPost(t, p.url+"/api/v1/communities/e2e/commands", "again", `{"type":"matter.register","aggregate_id":"again","effective_date":"2025-03-03","data":{"title":"重启后"}}`)
	last := caughtUp(t, p, 30*time.Second).LastSeq
	waitCheckpoint(t, p, last)

	// gongkai's own user may not change the streams either.
	var gperms natstest.Violations
	gnc, err := nats.Connect(withUser("gongkai", gongkaiPW), nats.CustomInboxPrefix(eventstore.GongkaiInboxPrefix), nats.ErrorHandler(gperms.Handler))
	if err != nil {
		t.Fatal(err)
	}
	defer gnc.Close()
	gjs, _ := jetstream.New(gnc)
	gst, err := gjs.Stream(context.Background(), "GONGKAI")
	if err != nil {
		t.Fatal(err)
	}
	if info := gst.CachedInfo(); info.Config.Replicas != 3 || info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
		t.Errorf("ledger stream: %d replicas, cluster %+v", info.Config.Replicas, info.Cluster)
	}
	for _, d := range streamChanges(gjs, gst, "GONGKAI") {
		d.try(t, "gongkai", &gperms)
	}
	unchanged(t, gst, last)

	door := natsDoor{
		url:        urls(nodes),
		readerURL:  withUser("reader", readerPW),
		reader:     []nats.Option{nats.UserInfo("reader", readerPW)},
		wrongUsers: [][2]string{{"reader", gongkaiPW}, {"gongkai", readerPW}, {"route", "ROUTE-PASSWORD"}},
		vkey:       vkey,
	}
	door.check(t)
	mustPost(t, p.url+"/api/v1/communities/e2e/commands", "after", `{"type":"matter.register","aggregate_id":"after-door","effective_date":"2025-03-03","data":{"title":"之后"}}`)
	if r := caughtUp(t, p, 30*time.Second); r.LastSeq != last+1 {
		t.Errorf("after the reader's attempts the stream's last sequence is %d, want %d", r.LastSeq, last+1)
	}
	stop(t, p) // the process's output is complete only once it has exited
	if strings.Contains(p.logs.String(), "NATS error") {
		t.Errorf("gongkai met a NATS error (a permissions violation?):\n%s", p.logs.String())
	}
}

// deployAccountsBlock returns the code block of docs/deploy.md that follows
// the comment naming this test file.
func deployAccountsBlock(t *testing.T) string {
	t.Helper()
	doc := readFile(t, filepath.Join("..", "..", "docs", "deploy.md"))
	const marker = "<!-- cmd/gongkai/e2e_nats_auth_test.go runs the next block as it is"
	i := strings.Index(doc, marker)
	if i < 0 {
		t.Fatalf("docs/deploy.md has no %q", marker)
	}
	rest := doc[i:]
	start := strings.Index(rest, "\n```\n")
	if start < 0 {
		t.Fatal("no code block after the marker in docs/deploy.md")
	}
	rest = rest[start+len("\n```\n"):]
	end := strings.Index(rest, "\n```\n")
	if end < 0 {
		t.Fatal("unterminated code block in docs/deploy.md")
	}
	return rest[:end+1]
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// natsDoor is a NATS server that gongkai writes to, seen from outside.
type natsDoor struct {
	url        string        // the server's URLs, without credentials
	readerURL  string        // with the reader's user and password
	reader     []nats.Option // how to authenticate as the reader
	wrongUsers [][2]string   // user and password pairs that must not get in
	vkey       string        // the log's verifier key
}

// check tries the door as an outsider and as the reader. The ledger stream
// must hold events and a checkpoint must have been signed.
func (d natsDoor) check(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if nc, err := nats.Connect(d.url); err == nil {
		nc.Close()
		t.Errorf("connected without credentials")
	} else if !errors.Is(err, nats.ErrAuthorization) {
		t.Errorf("without credentials: %v, want %v", err, nats.ErrAuthorization)
	}
	for _, u := range d.wrongUsers {
		if nc, err := nats.Connect(d.url, nats.UserInfo(u[0], u[1])); err == nil {
			nc.Close()
			t.Errorf("connected as %s with a wrong password", u[0])
		} else if !errors.Is(err, nats.ErrAuthorization) {
			t.Errorf("as %s with a wrong password: %v, want %v", u[0], err, nats.ErrAuthorization)
		}
	}

	var perms natstest.Violations
	nc, err := nats.Connect(d.url, append(d.reader, nats.ErrorHandler(perms.Handler))...)
	if err != nil {
		t.Fatalf("reader: %v", err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	st, err := js.Stream(ctx, "GONGKAI")
	if err != nil {
		t.Fatalf("reader: stream info: %v", err)
	}
	before := st.CachedInfo().State
	if before.Msgs == 0 || before.FirstSeq != 1 {
		t.Fatalf("ledger stream: %+v", before)
	}

	// What the reader may not do.
	forged := []byte(`{"type":"matter.registered","community":"e2e","aggregate_id":"forged","actor":"admin"}`)
	attempts := append([]attempt{
		{"publish an event", "ledger.e2e.matter.forged-1", func(context.Context) error {
			if err := nc.Publish("ledger.e2e.matter.forged-1", forged); err != nil {
				return err
			}
			return nc.Flush()
		}, true},
		{"publish an event to JetStream", "ledger.e2e.matter.forged-2", func(ctx context.Context) error {
			_, err := js.Publish(ctx, "ledger.e2e.matter.forged-2", forged)
			return err
		}, false},
		{"publish a checkpoint", "gongkai-checkpoints.GONGKAI", func(ctx context.Context) error {
			_, err := js.Publish(ctx, "gongkai-checkpoints.GONGKAI", []byte("forged"))
			return err
		}, false},
		{"take the sequencer lease", "$KV.GONGKAI_SEQUENCER.GONGKAI", func(ctx context.Context) error {
			_, err := js.Publish(ctx, "$KV.GONGKAI_SEQUENCER.GONGKAI", []byte("reader"))
			return err
		}, false},
		{"create a stream", "$JS.API.STREAM.CREATE.EVIL", func(ctx context.Context) error {
			_, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "EVIL", Subjects: []string{"evil.>"}})
			return err
		}, false},
		{"delete the checkpoint stream", "$JS.API.STREAM.DELETE.GONGKAI_CHECKPOINTS", func(ctx context.Context) error {
			return js.DeleteStream(ctx, "GONGKAI_CHECKPOINTS")
		}, false},
		{"subscribe to gongkai's replies", "_GONGKAI_INBOX.>", func(context.Context) error {
			if _, err := nc.SubscribeSync("_GONGKAI_INBOX.>"); err != nil {
				return err
			}
			return nc.Flush()
		}, true},
		{"subscribe to the ledger", "ledger.>", func(context.Context) error {
			if _, err := nc.SubscribeSync("ledger.>"); err != nil {
				return err
			}
			return nc.Flush()
		}, true},
	}, streamChanges(js, st, "GONGKAI")...)
	for _, a := range attempts {
		a.try(t, "the reader", &perms)
	}
	// A push consumer may deliver where the reader says, even onto
	// ledger.>, but only while someone subscribes there, and the reader
	// may not.
	if _, err := js.CreateConsumer(ctx, "GONGKAI_CHECKPOINTS", jetstream.ConsumerConfig{
		DeliverSubject: "ledger.e2e.matter.forged-3", AckPolicy: jetstream.AckNonePolicy}); err != nil {
		t.Logf("push consumer onto ledger.>: %v", err)
	}
	(attempt{"subscribe to a push consumer's delivery", "ledger.e2e.matter.forged-3", func(context.Context) error {
		if _, err := nc.SubscribeSync("ledger.e2e.matter.forged-3"); err != nil {
			return err
		}
		return nc.Flush()
	}, true}).try(t, "the reader", &perms)
	time.Sleep(time.Second)
	unchanged(t, st, before.LastSeq)
	if _, err := js.Stream(ctx, "GONGKAI_CHECKPOINTS"); err != nil {
		t.Errorf("checkpoint stream: %v", err)
	}

	// What the reader may do: read everything.
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatalf("reader: ordered consumer: %v", err)
	}
	it, err := cons.Messages() // as gongkai and verify read
	if err != nil {
		t.Fatalf("reader: ordered consumer: %v", err)
	}
	for seq := uint64(1); seq <= before.LastSeq; seq++ {
		m, err := it.Next(jetstream.NextMaxWait(10 * time.Second))
		if err != nil {
			t.Fatalf("reader: ordered consumer at %d: %v; violations %q", seq, err, perms.Errors())
		}
		if md, _ := m.Metadata(); md.Sequence.Stream != seq {
			t.Fatalf("reader: ordered consumer gave %d, want %d", md.Sequence.Stream, seq)
		}
	}
	it.Stop()
	first, err := st.GetMsg(ctx, 1)
	if err != nil {
		t.Fatalf("reader: direct get: %v", err)
	}
	if _, err := st.GetLastMsgForSubject(ctx, first.Subject); err != nil {
		t.Fatalf("reader: direct get last for %s: %v", first.Subject, err)
	}
	msgs, err := jetstreamext.GetBatch(ctx, js, "GONGKAI", int(before.LastSeq), jetstreamext.GetBatchSeq(1))
	if err != nil {
		t.Fatalf("reader: batch direct get: %v", err)
	}
	n := 0
	for m, err := range msgs {
		if err != nil {
			t.Fatalf("reader: batch direct get: %v", err)
		}
		if !bytes.Equal(m.Data, first.Data) && n == 0 {
			t.Fatalf("reader: batch direct get starts with another message")
		}
		n++
	}
	if uint64(n) != before.LastSeq {
		t.Errorf("reader: batch direct get gave %d messages, want %d", n, before.LastSeq)
	}
	reply, err := nc.Request("$JS.API.STREAM.MSG.GET.GONGKAI", []byte(`{"seq":1}`), 5*time.Second)
	if err != nil {
		t.Fatalf("reader: message get: %v", err)
	}
	var got struct {
		Message struct {
			Seq uint64 `json:"seq"`
		} `json:"message"`
	}
	if err := json.Unmarshal(reply.Data, &got); err != nil || got.Message.Seq != 1 {
		t.Errorf("reader: message get: %s", reply.Data)
	}
	code, out := runGongkai(t, "verify", "--nats", d.readerURL, "--key", d.vkey)
	if want := fmt.Sprintf("OK: %d events", before.LastSeq); code != 0 || !strings.Contains(out, want) {
		t.Errorf("gongkai verify as the reader: exit %d, want 0 and %q:\n%s", code, want, out)
	}
}

// attempt is something a user must not be allowed to do: do must fail and
// the server must report a permissions violation naming subject.
type attempt struct {
	what, subject string
	do            func(ctx context.Context) error
	// async is set for a plain publish or a subscription, which the
	// server refuses asynchronously: do itself may return nil, the
	// violation is the proof.
	async bool
}

func (a attempt) try(t *testing.T, who string, perms *natstest.Violations) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	err := a.do(ctx)
	cancel()
	if err == nil && !a.async {
		t.Errorf("%s could %s", who, a.what)
	}
	perms.WaitFor(t, who+": "+a.what, a.subject)
}

// streamChanges are the changes to stream no user but an administrator
// may make: edit, seal, purge, delete, delete a message.
func streamChanges(js jetstream.JetStream, st jetstream.Stream, stream string) []attempt {
	cfg := st.CachedInfo().Config
	return []attempt{
		{"edit the stream (max_msgs 20)", "$JS.API.STREAM.UPDATE." + stream, func(ctx context.Context) error {
			c := cfg
			c.MaxMsgs = 20
			_, err := js.UpdateStream(ctx, c)
			return err
		}, false},
		{"seal the stream", "$JS.API.STREAM.UPDATE." + stream, func(ctx context.Context) error {
			c := cfg
			c.Sealed = true
			_, err := js.UpdateStream(ctx, c)
			return err
		}, false},
		{"purge the stream", "$JS.API.STREAM.PURGE." + stream, func(ctx context.Context) error { return st.Purge(ctx) }, false},
		{"delete a message", "$JS.API.STREAM.MSG.DELETE." + stream, func(ctx context.Context) error { return st.DeleteMsg(ctx, 1) }, false},
		{"delete the stream", "$JS.API.STREAM.DELETE." + stream, func(ctx context.Context) error { return js.DeleteStream(ctx, stream) }, false},
	}
}

// unchanged fails the test unless st still holds messages 1 to last, with
// its limits and not sealed.
func unchanged(t *testing.T, st jetstream.Stream, last uint64) {
	t.Helper()
	info, err := st.Info(context.Background())
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	s, c := info.State, info.Config
	if s.Msgs != last || s.FirstSeq != 1 || s.LastSeq != last || c.Sealed || c.MaxMsgs != -1 || !c.DenyDelete || !c.DenyPurge {
		t.Errorf("stream changed: %d messages %d..%d (want 1..%d), sealed %v, max_msgs %d, deny delete %v purge %v",
			s.Msgs, s.FirstSeq, s.LastSeq, last, c.Sealed, c.MaxMsgs, c.DenyDelete, c.DenyPurge)
	}
	if _, err := st.GetMsg(context.Background(), 1); err != nil {
		t.Errorf("message 1: %v", err)
	}
}
