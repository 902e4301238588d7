package auth_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/gongkai/gongkai/internal/auth"
)

func TestCheckAdminTokenRefuses(t *testing.T) {
	for _, token := range []string{
		"change-me",
		"test-admin-token",
		"x",
		"Kq3vZ8pL2mN7rT5wY1bC4dF6gH9jS0a",   // 31 characters
		"change-me-change-me-change-me-xyz", // a word of example tokens
		"ChangeMe-9f8e7d6c5b4a3210zyxwvuts",
		"MySecretAdminTokenForGongkai12345",
		"aaaaaaaabbbbbbbbccccccccdddddddd",    // 4 distinct characters
		"abcdefghabcdefghabcdefghabcdefgh",    // a piece repeated
		"k7Qz!Xp2Lm9k7Qz!Xp2Lm9k7Qz!Xp2Lm9k7", // a piece repeated, cut short
		"Zx9Lq2Wm7Pv4Rt1Ab0000000000Cd8Ef",    // a run of equal characters
		"Zx9Lq2Wm7abcdefghijPv4Rt1Ab8Cd3E",    // a run of consecutive ones
		"Zx9Lq2Wm7Pv4Rt1Ab87654321Cd8Ef3g",    // descending
		" Zx9Lq2Wm7Pv4Rt1Ab8Cd3Ef6Gh5Jk0Mn",
	} {
		err := auth.CheckAdminToken(token)
		var we *auth.WeakTokenError
		if !errors.As(err, &we) {
			t.Errorf("CheckAdminToken(%q) = %v, want a *WeakTokenError", token, err)
			continue
		}
		msg := err.Error()
		for _, want := range []string{"GONGKAI_ADMIN_TOKEN", "管理员令牌", "openssl rand -base64 32", "gongkai keygen --admin-token"} {
			if !strings.Contains(msg, want) {
				t.Errorf("CheckAdminToken(%q) = %q, which does not say %q", token, msg, want)
			}
		}
	}
}

func TestCheckAdminTokenAccepts(t *testing.T) {
	if err := auth.CheckAdminToken(""); err != nil {
		t.Errorf("CheckAdminToken(\"\") = %v, want nil (no administrator)", err)
	}
	for range 1000 {
		tok, err := auth.NewAdminToken()
		if err != nil {
			t.Fatal(err)
		}
		if len(tok) != 43 {
			t.Fatalf("NewAdminToken() = %q, want 43 characters", tok)
		}
		b := make([]byte, 32)
		rand.Read(b)
		for _, other := range []string{tok, base64.StdEncoding.EncodeToString(b), hex.EncodeToString(b), hex.EncodeToString(b[:16])} {
			if err := auth.CheckAdminToken(other); err != nil {
				t.Fatalf("CheckAdminToken(%q) = %v, want nil", other, err)
			}
		}
	}
}
