package eventstore

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gongkai/gongkai/internal/natstest"
)

func freeTCPAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startEmbeddedT(t *testing.T, cfg EmbeddedConfig) *Embedded {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	e, err := StartEmbedded(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

func readFileT(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// Through the listener only the reader gets in: not a client without
// credentials, not one with a wrong password, and not gongkai's own user
// nor the administrator even with their right passwords.
func TestEmbeddedListenerAuthentication(t *testing.T) {
	addr := freeTCPAddr(t)
	e := startEmbeddedT(t, EmbeddedConfig{Listen: addr})
	url := "nats://" + addr
	reader := readFileT(t, e.ReaderPasswordFile)
	for _, c := range []struct {
		name string
		opts []nats.Option
	}{
		{"no credentials", nil},
		{"reader, wrong password", []nats.Option{nats.UserInfo(ReaderUser, reader+"x")}},
		{"gongkai's user and password", []nats.Option{nats.UserInfo(GongkaiUser, e.password)}},
		{"the administrator's user and password", []nats.Option{nats.UserInfo(AdminUser, e.adminPassword)}},
	} {
		nc, err := nats.Connect(url, c.opts...)
		if err == nil {
			nc.Close()
			t.Errorf("%s: connected through the listener", c.name)
		} else if !errors.Is(err, nats.ErrAuthorization) {
			t.Errorf("%s: %v, want %v", c.name, err, nats.ErrAuthorization)
		}
	}
	nc, err := nats.Connect(url, nats.UserInfo(ReaderUser, reader))
	if err != nil {
		t.Fatalf("reader: %v", err)
	}
	nc.Close()
}

// gongkai's own user creates streams, publishes, keeps a lease in a
// key-value bucket and reads with ordered consumers, but may not update,
// seal, purge or delete a stream or delete a message. The stream it tries
// them on allows deletes and purges, so only the permissions refuse; the
// administrator then does the same to show the attempts could succeed.
func TestGongkaiRights(t *testing.T) {
	e := startEmbeddedT(t, EmbeddedConfig{})
	var perms natstest.Violations
	nc, err := e.Connect(nats.ErrorHandler(perms.Handler))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	bg := context.Background()
	scratch := jetstream.StreamConfig{Name: "SCRATCH", Subjects: []string{"scratch.>"}, Storage: jetstream.FileStorage}
	st, err := js.CreateStream(bg, scratch)
	if err != nil {
		t.Fatalf("create a stream: %v", err)
	}
	for i := range 3 {
		if _, err := js.Publish(bg, "scratch.a", []byte{byte(i)}); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}
	kv, err := js.CreateKeyValue(bg, jetstream.KeyValueConfig{Bucket: "LEASE", TTL: 10 * time.Second, History: 1})
	if err != nil {
		t.Fatalf("create a key-value bucket: %v", err)
	}
	rev, err := kv.Create(bg, "k", []byte("me"))
	if err != nil {
		t.Fatalf("take a lease: %v", err)
	}
	if _, err := kv.Update(bg, "k", []byte("me"), rev); err != nil {
		t.Fatalf("renew a lease: %v", err)
	}
	cons, err := st.OrderedConsumer(bg, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if m, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second)); err != nil || m.Data()[0] != 0 {
		t.Fatalf("ordered consumer: %v", err)
	}

	denied := []struct {
		what, subject string
		do            func(ctx context.Context) error
	}{
		{"update", "$JS.API.STREAM.UPDATE.SCRATCH", func(ctx context.Context) error {
			c := scratch
			c.MaxMsgs = 1
			_, err := js.UpdateStream(ctx, c)
			return err
		}},
		{"seal", "$JS.API.STREAM.UPDATE.SCRATCH", func(ctx context.Context) error {
			c := scratch
			c.Sealed = true
			_, err := js.UpdateStream(ctx, c)
			return err
		}},
		{"purge", "$JS.API.STREAM.PURGE.SCRATCH", func(ctx context.Context) error { return st.Purge(ctx) }},
		{"delete a message", "$JS.API.STREAM.MSG.DELETE.SCRATCH", func(ctx context.Context) error { return st.DeleteMsg(ctx, 1) }},
		{"delete the stream", "$JS.API.STREAM.DELETE.SCRATCH", func(ctx context.Context) error { return js.DeleteStream(ctx, "SCRATCH") }},
	}
	for _, d := range denied {
		ctx, cancel := context.WithTimeout(bg, time.Second)
		err := d.do(ctx)
		cancel()
		if err == nil {
			t.Errorf("gongkai's user could %s", d.what)
		}
		perms.WaitFor(t, d.what, d.subject)
	}
	info, err := st.Info(bg)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 3 || info.Config.Sealed || info.Config.MaxMsgs != -1 {
		t.Fatalf("stream changed: %d messages, sealed %v, max_msgs %d", info.State.Msgs, info.Config.Sealed, info.Config.MaxMsgs)
	}

	anc, err := e.ConnectAdmin()
	if err != nil {
		t.Fatal(err)
	}
	defer anc.Close()
	admin, _ := jetstream.New(anc)
	ast, err := admin.Stream(bg, "SCRATCH")
	if err != nil {
		t.Fatal(err)
	}
	if err := ast.DeleteMsg(bg, 1); err != nil {
		t.Fatalf("the administrator cannot delete a message: %v", err)
	}
	if err := ast.Purge(bg); err != nil {
		t.Fatalf("the administrator cannot purge: %v", err)
	}
	if err := admin.DeleteStream(bg, "SCRATCH"); err != nil {
		t.Fatalf("the administrator cannot delete the stream: %v", err)
	}
}

// The reader's password file is made once, 0600, and read at every start;
// one open to other users, or too short, stops the start.
func TestReaderPasswordFile(t *testing.T) {
	dir := t.TempDir()
	e := startEmbeddedT(t, EmbeddedConfig{Dir: dir, Listen: freeTCPAddr(t)})
	if !e.ReaderPasswordCreated || e.ReaderPasswordFile != filepath.Join(dir, ReaderPasswordFile) {
		t.Fatalf("created %v at %s", e.ReaderPasswordCreated, e.ReaderPasswordFile)
	}
	fi, err := os.Stat(e.ReaderPasswordFile)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	first := readFileT(t, e.ReaderPasswordFile)
	if len(first) < 20 {
		t.Errorf("password %q is short", first)
	}
	e.Close()

	e2, err := StartEmbedded(EmbeddedConfig{Dir: dir, Listen: freeTCPAddr(t)})
	if err != nil {
		t.Fatal(err)
	}
	if e2.ReaderPasswordCreated || readFileT(t, e2.ReaderPasswordFile) != first {
		t.Errorf("second start made a new password")
	}
	e2.Close()

	given := filepath.Join(t.TempDir(), "reader")
	if err := os.WriteFile(given, []byte("a-password-of-22-chars\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	addr := freeTCPAddr(t)
	e3 := startEmbeddedT(t, EmbeddedConfig{Listen: addr, ReaderPasswordFile: given})
	nc, err := nats.Connect("nats://"+addr, nats.UserInfo(ReaderUser, "a-password-of-22-chars"))
	if err != nil {
		t.Fatalf("the given password: %v", err)
	}
	nc.Close()
	e3.Close()

	for _, c := range []struct {
		content string
		mode    os.FileMode
		want    string
	}{
		{"a-password-of-22-chars", 0o644, "chmod 600"},
		{"short", 0o600, "at least 16"},
	} {
		if err := os.WriteFile(given, []byte(c.content), c.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(given, c.mode); err != nil {
			t.Fatal(err)
		}
		e, err := StartEmbedded(EmbeddedConfig{Dir: t.TempDir(), Listen: freeTCPAddr(t), ReaderPasswordFile: given})
		if err == nil {
			e.Close()
			t.Errorf("started with a password file %q mode %v", c.content, c.mode)
		} else if !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %q does not say %q", err, c.want)
		}
	}
}

// With a certificate the listener takes only TLS clients; gongkai's own
// in-process connection needs none.
func TestEmbeddedTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := natstest.SelfSignedCert(t, dir)
	addr := freeTCPAddr(t)
	e := startEmbeddedT(t, EmbeddedConfig{Listen: addr, TLSCert: certFile, TLSKey: keyFile})
	reader := nats.UserInfo(ReaderUser, readFileT(t, e.ReaderPasswordFile))
	if nc, err := nats.Connect("nats://"+addr, reader); err == nil {
		nc.Close()
		t.Errorf("a client without TLS connected")
	}
	nc, err := nats.Connect("tls://"+addr, reader, nats.Secure(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}))
	if err != nil {
		t.Fatalf("TLS client: %v", err)
	}
	if !nc.TLSRequired() {
		t.Errorf("the server does not say TLS is required")
	}
	nc.Close()
	js, _ := jetstream.New(e.Conn)
	if _, err := js.AccountInfo(context.Background()); err != nil {
		t.Fatalf("in-process connection with TLS on the listener: %v", err)
	}

	for _, c := range []EmbeddedConfig{
		{Listen: freeTCPAddr(t), TLSCert: certFile},
		{TLSCert: certFile, TLSKey: keyFile},
		{Listen: freeTCPAddr(t), TLSCert: keyFile, TLSKey: keyFile},
	} {
		c.Dir = t.TempDir()
		if e, err := StartEmbedded(c); err == nil {
			e.Close()
			t.Errorf("started with %+v", c)
		}
	}
}

// The reader consumes in every way a NATS client does: a push ordered
// consumer (the older nats.go API and the nats tool), which stalls once the
// server asks for flow control unless the reader may answer it, and a pull
// consumer with explicit acknowledgements.
func TestReaderConsumes(t *testing.T) {
	addr := freeTCPAddr(t)
	e := startEmbeddedT(t, EmbeddedConfig{Listen: addr, NoSync: true})
	js, _ := jetstream.New(e.Conn)
	bg := context.Background()
	if _, err := js.CreateStream(bg, jetstream.StreamConfig{Name: "S", Subjects: []string{"s.>"}}); err != nil {
		t.Fatal(err)
	}
	// 30 MB: well past the point where a push consumer asks for flow
	// control (under 2,000 messages of this size).
	const n = 30_000
	payload := make([]byte, 1024)
	for range n {
		if _, err := js.PublishAsync("s.x", payload); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(time.Minute):
		t.Fatal("publishing took over a minute")
	}
	var perms natstest.Violations
	nc, err := nats.Connect("nats://"+addr, nats.UserInfo(ReaderUser, readFileT(t, e.ReaderPasswordFile)), nats.ErrorHandler(perms.Handler))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()

	legacy, _ := nc.JetStream()
	sub, err := legacy.SubscribeSync("s.>", nats.OrderedConsumer(), nats.BindStream("S"))
	if err != nil {
		t.Fatalf("push ordered consumer: %v", err)
	}
	for got := range n {
		if _, err := sub.NextMsg(5 * time.Second); err != nil {
			t.Fatalf("push ordered consumer stalled after %d of %d messages: %v; violations %q", got, n, err, perms.Errors())
		}
	}
	_ = sub.Unsubscribe()

	rjs, _ := jetstream.New(nc)
	cons, err := rjs.CreateConsumer(bg, "S", jetstream.ConsumerConfig{AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatalf("pull consumer: %v", err)
	}
	m, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(bg, 5*time.Second)
	defer cancel()
	if err := m.DoubleAck(ctx); err != nil {
		t.Fatalf("acknowledge: %v; violations %q", err, perms.Errors())
	}
	info, err := js.Stream(bg, "S")
	if err != nil {
		t.Fatal(err)
	}
	if msgs := info.CachedInfo().State.Msgs; msgs != n {
		t.Fatalf("the stream holds %d messages after the reader's acknowledgement, want %d", msgs, n)
	}
}
