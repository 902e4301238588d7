package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/gongkai/gongkai/eventstore"
)

// admin is the administrator token of every server the tests start: long
// and random, as gongkai serve requires.
const admin = "e2e-3Jq8ZtW1xKc6VbN9mRp2LfH7sDy4GuA0"

// bin is the gongkai binary and natsBin nats-server at the version in
// go.mod, both built once by TestMain.
var bin, natsBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gongkai-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "gongkai")
	natsBin = filepath.Join(dir, "nats-server")
	for _, b := range [][]string{{"-o", bin, "."}, {"-o", natsBin, "github.com/nats-io/nats-server/v2"}} {
		if out, err := exec.Command("go", append([]string{"build"}, b...)...).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "go build %v: %v\n%s", b, err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type proc struct {
	cmd  *exec.Cmd
	url  string
	logs *bytes.Buffer
}

func startServe(t *testing.T, bin, dir, addr string, extra ...string) *proc {
	t.Helper()
	return startServeEnv(t, nil, bin, dir, addr, extra...)
}

// startServeEnv is startServe with env (NAME=value) added to the process's
// environment.
func startServeEnv(t *testing.T, env []string, bin, dir, addr string, extra ...string) *proc {
	t.Helper()
	args := []string{"serve", "--addr", addr}
	if dir != "" {
		args = append(args, "--data", dir)
	} else {
		// On an external cluster each instance keeps its own tree, here
		// rather than in ./data/tree beside the test, and the test's
		// instances share one writer key and one secret key (as instances
		// of one deployment do), rather than ones in ./data beside the test.
		args = append(args, "--tree", t.TempDir(), "--writer-key", testWriterKey(t),
			"--secret-key", filepath.Join(filepath.Dir(testWriterKey(t)), "secret.key"))
	}
	cmd := exec.Command(bin, append(args, extra...)...)
	cmd.Env = append(append(os.Environ(), "GONGKAI_ADMIN_TOKEN="+admin), env...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, url: "http://" + addr, logs: &logs}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(p.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("gongkai serve not ready within 60s; logs:\n%s", logs.String())
	return nil
}

func post(client *http.Client, url, key, body string) (int, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewBufferString(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("Idempotency-Key", key)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, err = buf.ReadFrom(resp.Body)
	return resp.StatusCode, err
}

// gongkai serve refuses, with a message naming the setting, a stream that
// was created without deny-delete.
func TestServeRefusesStreamWithoutDenyDelete(t *testing.T) {
	dir := t.TempDir()
	e, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(e.Conn)
	cfg := eventstore.StreamConfig("GONGKAI", 1, time.Minute)
	cfg.DenyDelete = false
	if _, err := js.CreateStream(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	e.Close()

	cmd := exec.Command(bin, "serve", "--data", dir, "--addr", freeAddr(t))
	cmd.Env = append(os.Environ(), "GONGKAI_ADMIN_TOKEN="+admin)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("serve ran against a stream without deny-delete:\n%s", out)
	}
	if !bytes.Contains(out, []byte("deny_delete is false, must be true")) {
		t.Fatalf("serve's message does not name deny_delete:\n%s", out)
	}
}

var writerKeys sync.Map // test name -> writer key file

// testWriterKey returns the writer key file of a test's instances.
func testWriterKey(t *testing.T) string {
	if f, ok := writerKeys.Load(t.Name()); ok {
		return f.(string)
	}
	f := filepath.Join(t.TempDir(), "writer.key")
	writerKeys.Store(t.Name(), f)
	return f
}

// boardEvents returns, for each matter on community e2e's board, how many
// events it was built from.
func boardEvents(t *testing.T, url string) map[string]int {
	t.Helper()
	resp, err := http.Get(url + "/api/v1/communities/e2e/board")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var board struct {
		Matters []struct {
			ID   string   `json:"id"`
			Seqs []uint64 `json:"stream_seqs"`
		} `json:"matters"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&board); err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, m := range board.Matters {
		n[m.ID] += len(m.Seqs)
	}
	return n
}

// keysInLog opens the stopped embedded store in dir and counts the events
// of each idempotency key.
func keysInLog(t *testing.T, dir string) map[string]int {
	t.Helper()
	e, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	js, _ := jetstream.New(e.Conn)
	return logKeys(t, js)
}
