package main_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gongkai/gongkai/eventstore"
	"github.com/gongkai/gongkai/internal/transparency"
)

// tamperLog is a stopped embedded store whose every event is covered by a
// signed checkpoint; the tamper tests each work on a copy of it.
type tamperLog struct {
	dir   string
	key   string            // the log's verifier key, from GET /api/v1/log/key
	last  uint64            // the stream's last sequence
	title map[uint64]string // stream sequence -> the title of its matter
}

// The titles are unique in the block file: no subject, header or other
// payload contains them.
func tamperTitle(i int) string { return fmt.Sprintf("篡改测试事项第%03d号", i) }

// buildTamperLog runs gongkai serve on a fresh directory, appends 50 events
// through the API in two rounds with a checkpoint after each (so that the
// log has checkpoints at two sizes at least), waits until a checkpoint
// covers all of them and stops the server with SIGTERM.
func buildTamperLog(t *testing.T) tamperLog {
	t.Helper()
	l := tamperLog{dir: t.TempDir(), title: map[uint64]string{}}
	p := startServe(t, bin, l.dir, freeAddr(t), "--checkpoint-every", "1s")
	cmdURL := p.url + "/api/v1/communities/e2e/commands"
	l.last = tamperPost(t, cmdURL, "community", registerE2E)
	for round, n := range []int{19, 30} {
		for range n {
			i := int(l.last)
			seq := tamperPost(t, cmdURL, fmt.Sprintf("tamper-%d", i), fmt.Sprintf(
				`{"type":"matter.register","aggregate_id":"tm-%d","effective_date":"2025-02-01","data":{"title":%q}}`, i, tamperTitle(i)))
			if seq != l.last+1 {
				t.Fatalf("round %d: event stored at sequence %d, want %d", round, seq, l.last+1)
			}
			l.last, l.title[seq] = seq, tamperTitle(i)
		}
		waitCheckpoint(t, p, l.last)
	}
	code, body := get(t, p.url+"/api/v1/log/key")
	if code != http.StatusOK {
		t.Fatalf("GET /api/v1/log/key: %d %s", code, body)
	}
	l.key = strings.TrimSpace(string(body))
	stop(t, p)
	return l
}

// tamperPost sends one command and returns the stream sequence of its event.
func tamperPost(t *testing.T, url, key, body string) uint64 {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("Idempotency-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var res struct {
		Events []struct {
			Seq uint64 `json:"stream_seq"`
		} `json:"events"`
	}
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(b, &res) != nil || len(res.Events) != 1 {
		t.Fatalf("POST %s: %d %s", key, resp.StatusCode, b)
	}
	return res.Events[0].Seq
}

// waitCheckpoint waits until GET /api/v1/log/checkpoint shows a checkpoint
// of size at least size.
func waitCheckpoint(t *testing.T, p *proc, size uint64) {
	t.Helper()
	deadline := time.Now().Add(70 * time.Second)
	var got uint64
	for time.Now().Before(deadline) {
		code, body := get(t, p.url+"/api/v1/log/checkpoint")
		if code == http.StatusOK {
			lines := strings.SplitN(string(body), "\n", 3)
			if len(lines) == 3 {
				got, _ = strconv.ParseUint(lines[1], 10, 64)
				if got >= size {
					return
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no checkpoint of size %d within 70s (latest %d)\n%s", size, got, p.logs.String())
}

// copyDir copies a stopped data directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// runVerify runs `gongkai verify --data dir --key key` and returns its exit
// code and output.
func runVerify(t *testing.T, dir, key string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "verify", "--data", dir, "--key", key)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("gongkai verify did not finish within 30s:\n%s", out)
	}
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("gongkai verify: %v", err)
		}
		code = ee.ExitCode()
	}
	return code, string(out)
}

func verifyOK(t *testing.T, dir, key string, last uint64) {
	t.Helper()
	code, out := runVerify(t, dir, key)
	want := fmt.Sprintf("OK: %d events", last)
	if code != 0 || !strings.Contains(out, want) {
		t.Fatalf("verify before tampering: exit %d, want 0 and %q:\n%s", code, want, out)
	}
}

var firstBadRE = regexp.MustCompile(`first bad sequence (\d+)`)

// verifyBad runs verify, wants a non-zero exit and returns the first bad
// sequence it names and its output.
func verifyBad(t *testing.T, dir, key string) (uint64, string) {
	t.Helper()
	code, out := runVerify(t, dir, key)
	t.Logf("verify after tampering: exit %d: %s", code, strings.TrimSpace(out))
	if code == 0 {
		t.Fatalf("verify exited 0 on a tampered log:\n%s", out)
	}
	m := firstBadRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("verify does not name the first bad sequence:\n%s", out)
	}
	n, _ := strconv.ParseUint(m[1], 10, 64)
	return n, out
}

// blockFile returns the path of the single message block of the ledger
// stream (50 small events fit in one).
func blockFile(t *testing.T, dir string) string {
	t.Helper()
	blks, _ := filepath.Glob(filepath.Join(dir, "jetstream", "$G", "streams", "GONGKAI", "msgs", "*.blk"))
	if len(blks) != 1 {
		t.Fatalf("want one block file of stream GONGKAI, found %v", blks)
	}
	return blks[0]
}

// flipTitleByte changes the last byte of a title in the block file: a UTF-8
// continuation byte of its last character stays one, so the payload remains
// valid UTF-8 and valid JSON.
func flipTitleByte(t *testing.T, blk, title string) {
	t.Helper()
	b, err := os.ReadFile(blk)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(b, []byte(title)) != 1 {
		t.Fatalf("title %q occurs %d times in %s, want once", title, bytes.Count(b, []byte(title)), blk)
	}
	i := bytes.Index(b, []byte(title)) + len(title) - 1
	b[i] ^= 0x01
	if err := os.WriteFile(blk, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// blockRecord finds the byte range of the message with stream sequence seq
// in a JetStream file-store block. A record is: 4 bytes total length (high
// bit: has headers), 8 bytes sequence, 8 bytes timestamp, 2 bytes subject
// length, subject, [4 bytes header length, headers], payload, 8 bytes hash.
func blockRecord(t *testing.T, b []byte, seq uint64) (from, to int) {
	t.Helper()
	le := binary.LittleEndian
	for off := 0; off+22 <= len(b); {
		rl := int(le.Uint32(b[off:]) &^ (1 << 31))
		s := le.Uint64(b[off+4:]) &^ (1 << 63)
		if rl < 22 || off+rl > len(b) {
			t.Fatalf("block: bad record length %d at offset %d", rl, off)
		}
		if s == seq {
			return off, off + rl
		}
		off += rl
	}
	t.Fatalf("block: no record of sequence %d", seq)
	return 0, 0
}

func editBlock(t *testing.T, blk string, edit func([]byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(blk)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blk, edit(b), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestTamper tampers with copies of a stopped embedded store in several
// ways; gongkai verify passes the untouched copy and, on each tampered one,
// exits non-zero naming the right first bad sequence.
func TestTamper(t *testing.T) {
	l := buildTamperLog(t)
	if l.last != 50 {
		t.Fatalf("built %d events, want 50", l.last)
	}
	verifyOK(t, copyDir(t, l.dir), l.key, l.last)

	// One byte of one payload changed inside JetStream's block file.
	for _, seq := range []uint64{31, l.last} {
		t.Run(fmt.Sprintf("flip_payload_byte_seq_%d", seq), func(t *testing.T) {
			dir := copyDir(t, l.dir)
			flipTitleByte(t, blockFile(t, dir), l.title[seq])
			if got, out := verifyBad(t, dir, l.key); got != seq {
				t.Errorf("first bad sequence %d, want %d:\n%s", got, seq, out)
			}
		})
	}

	// One message's bytes zeroed, or cut out of the block.
	for _, seq := range []uint64{31, l.last} {
		t.Run(fmt.Sprintf("zero_message_seq_%d", seq), func(t *testing.T) {
			dir := copyDir(t, l.dir)
			editBlock(t, blockFile(t, dir), func(b []byte) []byte {
				from, to := blockRecord(t, b, seq)
				clear(b[from:to])
				return b
			})
			if got, out := verifyBad(t, dir, l.key); got != seq {
				t.Errorf("first bad sequence %d, want %d:\n%s", got, seq, out)
			}
		})
		t.Run(fmt.Sprintf("cut_message_seq_%d", seq), func(t *testing.T) {
			dir := copyDir(t, l.dir)
			editBlock(t, blockFile(t, dir), func(b []byte) []byte {
				from, to := blockRecord(t, b, seq)
				return append(b[:from:from], b[to:]...)
			})
			if got, out := verifyBad(t, dir, l.key); got != seq {
				t.Errorf("first bad sequence %d, want %d:\n%s", got, seq, out)
			}
		})
	}

	// The streams recreated from a backup with one event's title changed.
	const changed = 35
	t.Run("recreated_stream_header_unchanged", func(t *testing.T) {
		dir := recreate(t, l, changed, false)
		if got, out := verifyBad(t, dir, l.key); got != changed {
			t.Errorf("first bad sequence %d, want %d:\n%s", got, changed, out)
		}
	})
	t.Run("recreated_stream_header_updated", func(t *testing.T) {
		dir := recreate(t, l, changed, true)
		got, out := verifyBad(t, dir, l.key)
		// Only the signed checkpoints can find this change: verify names
		// the range between the last checkpoint that matched and the first
		// that does not.
		m := regexp.MustCompile(`first bad sequence (\d+): the tree of size (\d+) does not match its signed checkpoint; the change is in sequences (\d+)\.\.(\d+)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("verify does not report a checkpoint mismatch with a range of sequences:\n%s", out)
		}
		lo, _ := strconv.ParseUint(m[3], 10, 64)
		hi, _ := strconv.ParseUint(m[4], 10, 64)
		if got != lo || lo > changed || hi < changed {
			t.Errorf("verify reports first bad sequence %d in %d..%d; the change is at %d", got, lo, hi, changed)
		}
		// The checkpoint after the first round (size >= 20) still matches,
		// so the range starts after it.
		if lo <= 20 {
			t.Errorf("range %d..%d starts inside the checkpoint of the first round, which matches", lo, hi)
		}
	})
}

// recreate copies the ledger and checkpoint streams of l, message by message
// with subjects and headers, into fresh streams on a new directory, with
// one byte of the title at stream sequence changed; with updateHash it
// also updates that message's Gongkai-Payload-Sha256 header, as a careful
// attacker would.
func recreate(t *testing.T, l tamperLog, changed uint64, updateHash bool) string {
	t.Helper()
	ctx := context.Background()
	src, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{Dir: copyDir(t, l.dir)})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst := t.TempDir()
	out, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{Dir: dst})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	sjs, _ := jetstream.New(src.Conn)
	djs, _ := jetstream.New(out.Conn)
	cpCfg := eventstore.StreamConfig(transparency.CheckpointStream, 1, time.Minute)
	cpCfg.Subjects = []string{"gongkai-checkpoints.>"}
	for _, cfg := range []jetstream.StreamConfig{eventstore.StreamConfig("GONGKAI", 1, time.Minute), cpCfg} {
		if _, err := djs.CreateStream(ctx, cfg); err != nil {
			t.Fatal(err)
		}
		from, err := sjs.Stream(ctx, cfg.Name)
		if err != nil {
			t.Fatal(err)
		}
		info, err := from.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for seq := uint64(1); seq <= info.State.LastSeq; seq++ {
			m, err := from.GetMsg(ctx, seq)
			if err != nil {
				t.Fatalf("%s %d: %v", cfg.Name, seq, err)
			}
			msg := &nats.Msg{Subject: m.Subject, Header: m.Header, Data: m.Data}
			if cfg.Name == "GONGKAI" && seq == changed {
				title := l.title[seq]
				if bytes.Count(m.Data, []byte(title)) != 1 {
					t.Fatalf("title %q not in the payload at %d", title, seq)
				}
				msg.Data = bytes.Replace(m.Data, []byte(title), []byte(title[:len(title)-1]+string(title[len(title)-1]^0x01)), 1)
				if updateHash {
					sum := sha256.Sum256(msg.Data)
					msg.Header.Set(eventstore.HeaderPayloadSHA256, hex.EncodeToString(sum[:]))
				}
			}
			ack, err := djs.PublishMsg(ctx, msg)
			if err != nil {
				t.Fatalf("copy %s %d: %v", cfg.Name, seq, err)
			}
			if ack.Sequence != seq {
				t.Fatalf("copy %s %d stored at %d", cfg.Name, seq, ack.Sequence)
			}
		}
	}
	return dst
}
