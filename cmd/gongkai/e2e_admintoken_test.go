package main_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gongkai/gongkai/internal/auth"
)

// gongkai serve refuses a weak administrator token before it opens
// anything, and says how to make a good one; keygen --admin-token makes one
// that passes the same check.
func TestServeRefusesWeakAdminToken(t *testing.T) {
	for _, token := range []string{"change-me", "e2e-admin-token", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"} {
		dir := t.TempDir()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		cmd := exec.CommandContext(ctx, bin, "serve", "--data", dir, "--addr", freeAddr(t))
		cmd.Env = append(os.Environ(), "GONGKAI_ADMIN_TOKEN="+token)
		out, err := cmd.CombinedOutput()
		timedOut := ctx.Err() != nil
		cancel()
		if timedOut {
			t.Fatalf("serve with GONGKAI_ADMIN_TOKEN=%s kept running:\n%s", token, out)
		}
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == 0 {
			t.Fatalf("serve with GONGKAI_ADMIN_TOKEN=%s: %v, want a non-zero exit:\n%s", token, err, out)
		}
		for _, want := range []string{"GONGKAI_ADMIN_TOKEN", "管理员令牌", "gongkai keygen --admin-token", "openssl rand -base64 32"} {
			if !strings.Contains(string(out), want) {
				t.Errorf("serve with GONGKAI_ADMIN_TOKEN=%s says nothing of %q:\n%s", token, want, out)
			}
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("serve with a weak token wrote %d entries into its data directory", len(entries))
		}
	}

	code, out := runGongkai(t, "keygen", "--admin-token")
	token := strings.TrimSpace(out)
	if code != 0 || auth.CheckAdminToken(token) != nil || len(token) < auth.MinAdminTokenLen {
		t.Fatalf("gongkai keygen --admin-token = %d, %q; want 0 and a token CheckAdminToken accepts", code, out)
	}
}
