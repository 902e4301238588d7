package main_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	fproof "github.com/transparency-dev/formats/proof"
	"golang.org/x/mod/sumdb/note"

	"github.com/gongkai/gongkai/internal/transparency"
)

// keygen runs gongkai keygen and returns the key file and the verifier key.
func keygen(t *testing.T, dir, origin, name string) (string, string) {
	t.Helper()
	file := filepath.Join(dir, name)
	code, out := runGongkai(t, "keygen", "--origin", origin, "--out", file)
	if code != 0 {
		t.Fatalf("gongkai keygen --origin %s: exit %d\n%s", origin, code, out)
	}
	return file, strings.TrimSpace(out)
}

// startWitness runs gongkai witness for the logs of logKeys and waits until
// it answers.
func startWitness(t *testing.T, dir, keyFile string, logKeys ...string) string {
	t.Helper()
	addr := freeAddr(t)
	logFile, err := os.Create(filepath.Join(dir, "witness.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "witness", "--key", keyFile, "--log-key", strings.Join(logKeys, ","),
		"--state", filepath.Join(dir, "witness-state"), "--addr", addr)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logFile.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logFile.Name())
			t.Logf("witness log:\n%s", b)
		}
	})
	url := "http://" + addr
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(url + "/add-checkpoint"); err == nil {
			resp.Body.Close()
			return url
		}
	}
	t.Fatal("gongkai witness did not answer within 20s")
	return ""
}

// addCheckpoint posts an add-checkpoint request to the witness and returns
// the status, the Content-Type and the body of the reply.
func addCheckpoint(t *testing.T, url string, r transparency.AddCheckpointRequest) (int, string, string) {
	t.Helper()
	resp, err := http.Post(url+"/add-checkpoint", "text/plain", bytes.NewReader(r.Marshal()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// signatureLine returns the signature line of the note by key name.
func signatureLine(t *testing.T, signed []byte, name string) string {
	t.Helper()
	for _, l := range transparency.SignatureLines(signed) {
		if strings.HasPrefix(l, "— "+name+" ") {
			return l + "\n"
		}
	}
	t.Fatalf("no signature line by %s in\n%s", name, signed)
	return ""
}

// badCopy returns a signature line with the same key name and key hash and
// a changed signature.
func badCopy(line string) string {
	b := []byte(line)
	i := strings.LastIndexByte(line, ' ') + 1 + 20 // past the key hash
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// A checkpoint whose valid log signature comes with a second, invalid line
// with the log's key name and key hash (after it or before it) is refused
// by gongkai verify proof and verify consistency, and so is one with a bad
// second cosignature line of a witness given with --witness; the real
// bundle verifies, and a line by a key the verifier was not given is
// ignored. The gongkai witness answers such a checkpoint 403, a fork at the
// size it cosigned 422, and a size-0 checkpoint without the empty tree's
// root 422 (C2SP tlog-witness as revised in July 2026).
func TestVerifySignatureLines(t *testing.T) {
	const origin, witnessName, emptyLog = "gongkai.test/e2e-lines", "witness.test/e2e-lines", "gongkai.test/e2e-empty"
	dir := t.TempDir()
	signerFile, logKey := keygen(t, dir, origin, "signer.key")
	otherFile, _ := keygen(t, dir, origin, "other.key") // another key with the log's name
	emptyFile, emptyKey := keygen(t, dir, emptyLog, "empty.key")
	witnessFile, witnessKey := keygen(t, dir, witnessName, "witness.key")
	wurl := startWitness(t, dir, witnessFile, logKey, emptyKey)

	p := startServe(t, bin, t.TempDir(), freeAddr(t), "--checkpoint-every", "1s", "--origin", origin,
		"--signer-key", signerFile, "--witness", wurl, "--witness-quorum", "1")
	seq := tamperPost(t, p.url+"/api/v1/communities/e2e/commands", "lines-community", registerE2E)
	waitCheckpoint(t, p, seq)
	code, signed := get(t, p.url+"/api/v1/log/checkpoint")
	if code != http.StatusOK {
		t.Fatalf("GET /api/v1/log/checkpoint: %d %s", code, signed)
	}
	code, bundle := get(t, fmt.Sprintf("%s/api/v1/log/bundle?seq=%d", p.url, seq))
	if code != http.StatusOK {
		t.Fatalf("GET /api/v1/log/bundle: %d %s", code, bundle)
	}
	var pf fproof.TLogProof
	if err := pf.Unmarshal(bundle); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pf.Checkpoint, signed) {
		t.Fatalf("the bundle's checkpoint is not the latest:\n%s\n%s", pf.Checkpoint, signed)
	}

	text, _, _ := bytes.Cut(signed, []byte("\n\n"))
	logLine := signatureLine(t, signed, origin)
	witnessLine := signatureLine(t, signed, witnessName) // the serve's witness cosigned it
	other, err := transparency.LoadSigner(otherFile)
	if err != nil {
		t.Fatal(err)
	}
	byOther, err := note.Sign(&note.Note{Text: string(text) + "\n"}, other)
	if err != nil {
		t.Fatal(err)
	}
	otherLine := signatureLine(t, byOther, origin)
	checkpoint := func(lines ...string) []byte {
		return []byte(string(text) + "\n\n" + strings.Join(lines, ""))
	}
	write := func(name string, b []byte) string {
		file := filepath.Join(dir, name)
		if err := os.WriteFile(file, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return file
	}

	// gongkai verify proof and verify consistency.
	for i, c := range []struct {
		name      string
		cp        []byte
		witnessed bool // --witness given
		ok        bool
	}{
		{"as served", signed, true, true},
		{"log, bad log line, witness", checkpoint(logLine, badCopy(logLine), witnessLine), true, false},
		{"bad log line, log, witness", checkpoint(badCopy(logLine), logLine, witnessLine), true, false},
		{"log, bad log line, witness; no --witness", checkpoint(logLine, badCopy(logLine), witnessLine), false, false},
		{"log, witness, bad witness line", checkpoint(logLine, witnessLine, badCopy(witnessLine)), true, false},
		{"log, witness, bad witness line; no --witness", checkpoint(logLine, witnessLine, badCopy(witnessLine)), false, true},
		{"log, another key with the log's name, witness", checkpoint(logLine, otherLine, witnessLine), true, true},
	} {
		pf.Checkpoint = c.cp
		file := write(fmt.Sprintf("bundle-%d.txt", i), pf.Marshal())
		args := []string{"verify", "proof", file, "--key", logKey}
		if c.witnessed {
			args = append(args, "--witness", witnessKey)
		}
		code, out := runGongkai(t, args...)
		if c.ok && (code != 0 || !strings.HasPrefix(out, "OK: ")) || !c.ok && (code != 1 || !strings.HasPrefix(out, "BAD: ")) {
			t.Errorf("%s: gongkai verify proof: exit %d, want ok=%v:\n%s", c.name, code, c.ok, out)
		}
		t.Logf("%s: verify proof: exit %d: %s", c.name, code, strings.SplitN(out, "\n", 2)[0])

		cpFile := write(fmt.Sprintf("checkpoint-%d.txt", i), c.cp)
		code, out = runGongkai(t, "verify", "consistency", cpFile, cpFile, "--server", p.url, "--key", logKey)
		// verify consistency is given the log's key only: witness lines
		// are unknown to it, and ignored.
		wantOK := c.ok || !strings.Contains(c.name, "bad log line")
		if wantOK && (code != 0 || !strings.HasPrefix(out, "OK: ")) {
			t.Errorf("%s: gongkai verify consistency: exit %d, want 0 and OK:\n%s", c.name, code, out)
		}
		if !wantOK && (code != 1 || !strings.HasPrefix(out, "BAD: "+cpFile)) {
			t.Errorf("%s: gongkai verify consistency: exit %d, want 1 and BAD: %s:\n%s", c.name, code, cpFile, out)
		}
	}

	// gongkai witness. It has cosigned signed's size for origin.
	var cp transparency.Checkpoint
	if _, err := cp.Unmarshal(signed); err != nil {
		t.Fatal(err)
	}
	logSigner, err := transparency.LoadSigner(signerFile)
	if err != nil {
		t.Fatal(err)
	}
	emptySigner, err := transparency.LoadSigner(emptyFile)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(s note.Signer, c transparency.Checkpoint) []byte {
		b, err := transparency.SignCheckpoint(c, s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	forkRoot := sha256.Sum256([]byte("another history"))
	emptyRoot := sha256.Sum256(nil)
	for _, c := range []struct {
		name       string
		req        transparency.AddCheckpointRequest
		status     int
		size, body string // Content-Type text/x.tlog.size with this body, if set
	}{
		{"log, bad log line", transparency.AddCheckpointRequest{OldSize: cp.Size, Checkpoint: checkpoint(logLine, badCopy(logLine))}, http.StatusForbidden, "", ""},
		{"bad log line, log", transparency.AddCheckpointRequest{OldSize: cp.Size, Checkpoint: checkpoint(badCopy(logLine), logLine)}, http.StatusForbidden, "", ""},
		{"a fork at the cosigned size", transparency.AddCheckpointRequest{OldSize: cp.Size,
			Checkpoint: sign(logSigner, transparency.Checkpoint{Origin: origin, Size: cp.Size, Hash: forkRoot[:]})}, http.StatusUnprocessableEntity, "", ""},
		{"old size 0", transparency.AddCheckpointRequest{OldSize: 0, Checkpoint: signed}, http.StatusConflict, "text/x.tlog.size", fmt.Sprintf("%d\n", cp.Size)},
		{"the same checkpoint again", transparency.AddCheckpointRequest{OldSize: cp.Size, Checkpoint: checkpoint(logLine, otherLine)}, http.StatusOK, "", ""},
		{"size 0 of a new log, another root", transparency.AddCheckpointRequest{OldSize: 0,
			Checkpoint: sign(emptySigner, transparency.Checkpoint{Origin: emptyLog, Size: 0, Hash: forkRoot[:]})}, http.StatusUnprocessableEntity, "", ""},
		{"size 0 of a new log, the empty tree's root", transparency.AddCheckpointRequest{OldSize: 0,
			Checkpoint: sign(emptySigner, transparency.Checkpoint{Origin: emptyLog, Size: 0, Hash: emptyRoot[:]})}, http.StatusOK, "", ""},
	} {
		status, ctype, body := addCheckpoint(t, wurl, c.req)
		if status != c.status || c.size != "" && (ctype != c.size || body != c.body) {
			t.Errorf("witness, %s: %d %s %q, want %d %s %q", c.name, status, ctype, body, c.status, c.size, c.body)
		}
	}
	stop(t, p)
}
