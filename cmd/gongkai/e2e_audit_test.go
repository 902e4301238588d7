package main_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The auditor's command line, as an auditor would use it: the audit
// package downloaded from a running server with gongkai export and checked
// offline with gongkai verify package; then, with the server stopped, a
// year as recorded on a date from its data directory with gongkai audit.
func TestAuditCLI(t *testing.T) {
	dir := t.TempDir()
	p := startServe(t, bin, dir, freeAddr(t), "--demo")
	env := []string{"GONGKAI_TOKEN=" + admin, "GONGKAI_SERVER=" + p.url}
	// The demo's 2025 close is covered by a checkpoint within seconds.
	resp, err := http.Get(p.url + "/api/v1/log/key")
	if err != nil {
		t.Fatal(err)
	}
	key, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	zipFile := filepath.Join(t.TempDir(), "wenhualu-2025.zip")
	var code int
	var out, errOut string
	for i := 0; ; i++ {
		code, out, errOut = importCLI(t, env, "export", "--community", "wenhualu", "--year", "2025", "--out", zipFile)
		if code == 0 {
			break
		}
		if i == 50 {
			t.Fatalf("gongkai export: exit %d\n%s%s", code, out, errOut)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !strings.Contains(out, "已写入审计资料包") {
		t.Errorf("export said: %s", out)
	}
	code, out, errOut = importCLI(t, env, "verify", "package", zipFile, "--key", strings.TrimSpace(string(key)))
	if code != 0 || !strings.Contains(out, "核验通过") || !strings.Contains(out, "OK  报表 / statements") {
		t.Fatalf("verify package: exit %d\n%s%s", code, out, errOut)
	}
	// Writing over an existing file is refused.
	if code, _, _ := importCLI(t, env, "export", "--community", "wenhualu", "--year", "2025", "--out", zipFile); code == 0 {
		t.Errorf("export over an existing file exited 0")
	}
	// A byte of the package changed: refused, with the reason.
	b, _ := os.ReadFile(zipFile)
	bad := filepath.Join(t.TempDir(), "bad.zip")
	os.WriteFile(bad, append(b[:len(b)-30:len(b)-30], make([]byte, 30)...), 0o644)
	if code, out, _ := importCLI(t, env, "verify", "package", bad, "--key", strings.TrimSpace(string(key))); code == 0 || !strings.Contains(out, "BAD") {
		t.Errorf("a damaged package: exit %d\n%s", code, out)
	}

	// Offline, the server stopped.
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()
	code, out, errOut = importCLI(t, nil, "audit", "--data", dir, "--community", "wenhualu", "--year", "2025", "--as-of", "2099-01-01")
	if code != 0 {
		t.Fatalf("gongkai audit: exit %d\n%s%s", code, out, errOut)
	}
	for _, w := range []string{"文化路社区（wenhualu）2025年度审计视图", "出租社区临街门面发展集体经济", "科目余额表", "决议未按期公开"} {
		if !strings.Contains(out, w) {
			t.Errorf("gongkai audit lacks %q", w)
		}
	}
	if code, _, errOut := importCLI(t, nil, "audit", "--data", dir, "--community", "wenhualu", "--year", "25"); code == 0 || !strings.Contains(errOut, "--year") {
		t.Errorf("a bad year: exit %d %s", code, errOut)
	}
}
