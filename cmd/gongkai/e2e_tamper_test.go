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

	"github.com/minio/highwayhash"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"

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
	for round, n := range []int{18, 30} { // after the writer key and the community: checkpoints at 20 and 50
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
	return runGongkai(t, "verify", "--data", dir, "--key", key)
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

// reseal recomputes the JetStream checksum of the record b[from:to] of
// block blk, as an attacker who knows the file store's format would: a
// HighwayHash-64 keyed with SHA-256("<stream>-<block index>") over the
// sequence, timestamp, subject, headers and payload.
func reseal(t *testing.T, blk string, b []byte, from, to int) {
	t.Helper()
	index, err := strconv.Atoi(strings.TrimSuffix(filepath.Base(blk), ".blk"))
	if err != nil {
		t.Fatal(err)
	}
	key := sha256.Sum256([]byte(fmt.Sprintf("GONGKAI-%d", index)))
	hh, err := highwayhash.New64(key[:])
	if err != nil {
		t.Fatal(err)
	}
	rec := b[from:to]
	le := binary.LittleEndian
	slen := int(le.Uint16(rec[20:]))
	data := rec[22:]
	hh.Write(rec[4:20])
	hh.Write(data[:slen])
	if le.Uint32(rec)&(1<<31) != 0 {
		hh.Write(data[slen+4 : len(data)-8])
	} else {
		hh.Write(data[slen : len(data)-8])
	}
	copy(data[len(data)-8:], hh.Sum(nil))
}

// recordPayload returns the offsets within b of the headers and the
// payload of the record b[from:to] (which must have headers).
func recordPayload(b []byte, from, to int) (hdrFrom, payloadFrom, payloadTo int) {
	le := binary.LittleEndian
	slen := int(le.Uint16(b[from+20:]))
	hdrFrom = from + 22 + slen + 4
	hlen := int(le.Uint32(b[hdrFrom-4:]))
	return hdrFrom, hdrFrom + hlen, to - 8
}

// flipAndReseal changes the last byte of seq's title inside its record and
// reseals the record, so that JetStream serves the changed payload; with
// fixHeader it also rewrites the record's Gongkai-Payload-Sha256 header to
// the changed payload's hash.
func flipAndReseal(t *testing.T, blk string, l tamperLog, seq uint64, fixHeader bool) {
	t.Helper()
	editBlock(t, blk, func(b []byte) []byte {
		from, to := blockRecord(t, b, seq)
		hdrFrom, pFrom, pTo := recordPayload(b, from, to)
		title := []byte(l.title[seq])
		i := bytes.Index(b[pFrom:pTo], title)
		if i < 0 {
			t.Fatalf("title of %d not in its record's payload", seq)
		}
		b[pFrom+i+len(title)-1] ^= 0x01
		if fixHeader {
			name := []byte(eventstore.HeaderPayloadSHA256 + ": ")
			j := bytes.Index(b[hdrFrom:pFrom], name)
			if j < 0 {
				t.Fatalf("no %s header in the record of %d", eventstore.HeaderPayloadSHA256, seq)
			}
			sum := sha256.Sum256(b[pFrom:pTo])
			copy(b[hdrFrom+j+len(name):], hex.EncodeToString(sum[:]))
		}
		reseal(t, blk, b, from, to)
		return b
	})
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

	// The payload changed and the record's checksum recomputed: JetStream
	// serves the changed bytes; the payload hash header names the message.
	t.Run("flip_payload_byte_resealed_seq_31", func(t *testing.T) {
		dir := copyDir(t, l.dir)
		flipAndReseal(t, blockFile(t, dir), l, 31, false)
		if got, out := verifyBad(t, dir, l.key); got != 31 || !strings.Contains(out, "SHA-256 differs") {
			t.Errorf("first bad sequence %d, want 31 by its payload hash:\n%s", got, out)
		}
	})
	// The same with the payload hash header rewritten too: only the signed
	// checkpoints find it, and verify names the range after the last
	// checkpoint that matches.
	t.Run("flip_payload_and_hash_header_resealed_seq_31", func(t *testing.T) {
		dir := copyDir(t, l.dir)
		flipAndReseal(t, blockFile(t, dir), l, 31, true)
		lo, hi, out := verifyRange(t, dir, l.key)
		if lo > 31 || hi < 31 || lo <= 20 {
			t.Errorf("verify names sequences %d..%d; the change is at 31, after the first round's checkpoint (>= 20):\n%s", lo, hi, out)
		}
	})
	// An earlier change that JetStream cannot see and a later corruption
	// that makes it drop the end of the block: the first bad sequence is
	// the earlier one.
	t.Run("resealed_seq_10_and_zeroed_seq_40", func(t *testing.T) {
		dir := copyDir(t, l.dir)
		blk := blockFile(t, dir)
		flipAndReseal(t, blk, l, 10, false)
		editBlock(t, blk, func(b []byte) []byte {
			from, to := blockRecord(t, b, 40)
			clear(b[from:to])
			return b
		})
		if got, out := verifyBad(t, dir, l.key); got != 10 {
			t.Errorf("first bad sequence %d, want 10:\n%s", got, out)
		}
	})

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
		// Only the signed checkpoints can find this change. The checkpoint
		// after the first round (size >= 20) still matches, so the range
		// starts after it.
		lo, hi, out := verifyRange(t, dir, l.key)
		if lo > changed || hi < changed || lo <= 20 {
			t.Errorf("verify names sequences %d..%d; the change is at %d, after the first round's checkpoint (>= 20):\n%s", lo, hi, changed, out)
		}
	})
	// A careful attacker who also holds the signer key recreates the
	// streams with the change and appends a checkpoint of the changed tree:
	// the earlier checkpoint of the same size, still in the immutable
	// checkpoint stream, exposes the fork.
	t.Run("recreated_stream_resigned_checkpoint_appended", func(t *testing.T) {
		dir := recreate(t, l, changed, true)
		resign(t, dir, filepath.Join(l.dir, "signer.key"))
		code, out := runVerify(t, dir, l.key)
		t.Logf("verify after tampering: exit %d: %s", code, strings.TrimSpace(out))
		if code == 0 || !strings.Contains(out, "different roots: the log was forked") {
			t.Errorf("verify does not report the fork (exit %d):\n%s", code, out)
		}
	})
}

// resign appends to the checkpoint stream in dir a checkpoint of the
// ledger stream as it now is, signed with the key in file skey.
func resign(t *testing.T, dir, skey string) {
	t.Helper()
	ctx := context.Background()
	e, err := eventstore.StartEmbedded(eventstore.EmbeddedConfig{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	js, _ := jetstream.New(e.Conn)
	signer, err := transparency.LoadSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, "GONGKAI")
	if err != nil {
		t.Fatal(err)
	}
	info, _ := st.Info(ctx)
	rng := (&compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}).NewEmptyRange(0)
	for seq := uint64(1); seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		var ev eventstore.Event
		_ = json.Unmarshal(m.Data, &ev)
		if err := rng.Append(transparency.NewLeaf(signer.Name(), "GONGKAI", seq, m.Subject, ev.ID, m.Data).Hash(), nil); err != nil {
			t.Fatal(err)
		}
	}
	root, _ := rng.GetRootHash(nil)
	signed, err := transparency.SignCheckpoint(transparency.Checkpoint{Origin: signer.Name(), Size: info.State.LastSeq, Hash: root}, signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "gongkai-checkpoints.GONGKAI", signed); err != nil {
		t.Fatal(err)
	}
}

// After a key rotation (the new key signing with the old one during an
// overlap, then alone) no single key verifies the whole log; all of them
// together do.
func TestVerifyAcrossKeyRotation(t *testing.T) {
	dir := t.TempDir()
	oldKey, newKey := filepath.Join(dir, "old.key"), filepath.Join(dir, "new.key")
	vkey := map[string]string{}
	for _, f := range []string{oldKey, newKey} {
		out, err := exec.Command(bin, "keygen", "--origin", "gongkai/gongkai", "--out", f).Output()
		if err != nil {
			t.Fatalf("keygen: %v", err)
		}
		vkey[f] = strings.TrimSpace(string(out))
	}
	data := filepath.Join(dir, "data")
	last := uint64(0)
	for phase, keys := range [][]string{{"--signer-key", oldKey}, {"--signer-key", newKey, "--old-signer-key", oldKey}, {"--signer-key", newKey}} {
		p := startServe(t, bin, data, freeAddr(t), append(keys, "--checkpoint-every", "1s")...)
		cmdURL := p.url + "/api/v1/communities/e2e/commands"
		if phase == 0 {
			last = tamperPost(t, cmdURL, "community", registerE2E)
		}
		for i := range 3 {
			last = tamperPost(t, cmdURL, fmt.Sprintf("rot-%d-%d", phase, i), fmt.Sprintf(
				`{"type":"matter.register","aggregate_id":"rot-%d-%d","effective_date":"2025-02-01","data":{"title":"轮换 %d"}}`, phase, i, i))
		}
		waitCheckpoint(t, p, last)
		_, cp := get(t, p.url+"/api/v1/log/checkpoint")
		if got, want := len(transparency.SignatureLines(cp)), len(keys)/2; got != want {
			t.Errorf("phase %d: checkpoint has %d signatures, want %d:\n%s", phase, got, want, cp)
		}
		_, served := get(t, p.url+"/api/v1/log/key")
		if strings.TrimSpace(string(served)) != vkey[keys[1]] {
			t.Errorf("phase %d: /api/v1/log/key serves %s, want the new key %s", phase, served, vkey[keys[1]])
		}
		stop(t, p)
	}
	for _, k := range []string{vkey[oldKey], vkey[newKey]} {
		if code, out := runVerify(t, data, k); code == 0 {
			t.Errorf("verify with one key of a rotated log exited 0:\n%s", out)
		}
	}
	code, out := runVerify(t, data, vkey[newKey]+","+vkey[oldKey])
	if want := fmt.Sprintf("OK: %d events", last); code != 0 || !strings.Contains(out, want) {
		t.Errorf("verify with both keys: exit %d, want 0 and %q:\n%s", code, want, out)
	}
}

var rangeRE = regexp.MustCompile(`first bad sequence (\d+): the tree of size (\d+) does not match its signed checkpoint; the change is in sequences (\d+)\.\.(\d+)`)

// verifyRange runs verify on a log changed where only the checkpoints can
// tell, and returns the range of sequences it names: from the one after the
// last checkpoint that matched to the size of the first that does not.
func verifyRange(t *testing.T, dir, key string) (lo, hi uint64, out string) {
	t.Helper()
	first, out := verifyBad(t, dir, key)
	m := rangeRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("verify does not report a checkpoint mismatch with a range of sequences:\n%s", out)
	}
	lo, _ = strconv.ParseUint(m[3], 10, 64)
	hi, _ = strconv.ParseUint(m[4], 10, 64)
	if first != lo {
		t.Fatalf("first bad sequence %d is not the range's first %d:\n%s", first, lo, out)
	}
	return lo, hi, out
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
