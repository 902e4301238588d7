package auth_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/gongkai/gongkai/domain"
	"github.com/gongkai/gongkai/internal/auth"
)

func secret(b byte) auth.Secret { return auth.NewSecret(bytes.Repeat([]byte{b}, 32)) }

// A hash verifies with the same secret only: the hashes in the log are
// useless without the instance's key.
func TestPasswords(t *testing.T) {
	s := secret(1)
	h := s.HashPassword("Pw-Li-2026-qz!", "key-1\x00lina")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(h, "Pw-Li") {
		t.Fatalf("hash %q", h)
	}
	if !s.VerifyPassword(h, "Pw-Li-2026-qz!") || s.VerifyPassword(h, "Pw-Li-2026-qz?") {
		t.Error("verify")
	}
	if secret(2).VerifyPassword(h, "Pw-Li-2026-qz!") {
		t.Error("another secret verifies the hash")
	}
	if h2 := s.HashPassword("Pw-Li-2026-qz!", "key-1\x00lina"); h2 != h {
		t.Error("a retried request hashes differently (it would not be recorded once)")
	}
	if h3 := s.HashPassword("Pw-Li-2026-qz!", "key-2\x00lina"); h3 == h {
		t.Error("two requests share a salt")
	}
	for _, bad := range []string{"", "$argon2id$v=19$m=99999999,t=1,p=1$AA$AA", "$argon2i$v=19$m=19456,t=2,p=1$AA$AA", h + "x"} {
		if s.VerifyPassword(bad, "Pw-Li-2026-qz!") {
			t.Errorf("verified against %q", bad)
		}
	}
	for pw, ok := range map[string]bool{"short": false, "aaaaaaaaaaaa": false, "my-lina-password": false, "Pw-Li-2026-qz!": true} {
		if _, _, got := auth.CheckPassword(pw, "lina"); got != ok {
			t.Errorf("CheckPassword(%q) = %v", pw, got)
		}
	}
}

// A sealed session opens with its secret only and unaltered; the
// directory accepts it while the account is enabled, its epoch unchanged
// and the session neither ended nor expired.
func TestSessions(t *testing.T) {
	s := secret(1)
	d := auth.New("")
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	seq := uint64(0)
	apply := func(e domain.Event) {
		seq++
		d.Observe(seq, domain.SystemCommunity, domain.AggregateAccount, "lina", e, domain.DateOf(now))
	}
	apply(&domain.AccountCreated{DisplayName: "李娜"})
	apply(&domain.RoleGranted{Grant: domain.Grant{Role: domain.AccessClerk, Scope: "community:c1"}})
	sess := auth.NewSession(d.Account("lina"), now)
	value := s.Seal(sess)
	got, ok := s.Open(value)
	if !ok || got != sess {
		t.Fatalf("open: %v %+v", ok, got)
	}
	if _, ok := secret(2).Open(value); ok {
		t.Error("another secret opens the session")
	}
	if _, ok := s.Open(strings.Replace(value, "e", "f", 1)); ok {
		t.Error("an altered cookie opens")
	}
	if a, ok := d.Session(sess, now); !ok || !a.Has(domain.AccessClerk, "c1", "") {
		t.Errorf("valid session refused: %v %+v", ok, a)
	}
	if _, ok := d.Session(sess, sess.Expires); ok {
		t.Error("an expired session is accepted")
	}
	// The same event again (own append, then the feed) changes nothing.
	d.Observe(1, domain.SystemCommunity, domain.AggregateAccount, "lina", &domain.PasswordSet{}, domain.DateOf(now))
	if _, ok := d.Session(sess, now); !ok {
		t.Error("a replayed old sequence ended the session")
	}
	apply(&domain.SessionEnded{SessionID: sess.ID, Until: sess.Expires})
	if _, ok := d.Session(sess, now); ok {
		t.Error("a session ended by logging out is accepted")
	}
	other := auth.NewSession(d.Account("lina"), now)
	apply(&domain.RoleRevoked{Grant: domain.Grant{Role: domain.AccessClerk, Scope: "community:c1"}})
	if _, ok := d.Session(other, now); ok {
		t.Error("a session survives a revoked role")
	}
	if !s.CheckCSRF(sess.ID, s.CSRF(sess.ID)) || s.CheckCSRF(other.ID, s.CSRF(sess.ID)) || s.CheckCSRF("", s.CSRF("")) {
		t.Error("CSRF tokens are not bound to their session")
	}
}

// Tokens: a community's token is its clerk and accountant; an account's
// token acts as the account, and stops with it.
func TestTokens(t *testing.T) {
	d := auth.New("admin-token-0123456789-abcdefghijkl")
	if a, ok := d.Authenticate("admin-token-0123456789-abcdefghijkl"); !ok || !a.Root {
		t.Fatal("the environment token")
	}
	tok, hash := auth.NewToken()
	d.Observe(1, "c1", domain.AggregateToken, "t1", &domain.TokenIssued{TokenID: "t1", Label: "文书", SHA256: hash, Community: "c1"}, domain.Date{})
	a, ok := d.Authenticate(tok)
	if !ok || !a.MayRecord(domain.CmdPostVoucher, "c1", "") || a.MayRecord(domain.CmdPostVoucher, "c2", "") || a.IsAdministrator() {
		t.Errorf("community token: %v %+v", ok, a)
	}
	tok2, hash2 := auth.NewToken()
	d.Observe(2, domain.SystemCommunity, domain.AggregateAccount, "wang", &domain.AccountCreated{DisplayName: "王"}, domain.Date{})
	d.Observe(3, "c1", domain.AggregateToken, "t2", &domain.TokenIssued{TokenID: "t2", Label: "x", SHA256: hash2, Community: "c1", Account: "wang"}, domain.Date{})
	if a, ok := d.Authenticate(tok2); !ok || a.ID != "wang" {
		t.Errorf("account token: %v %+v", ok, a)
	}
	d.Observe(4, domain.SystemCommunity, domain.AggregateAccount, "wang", &domain.AccountDisabled{Reason: "x"}, domain.Date{})
	if _, ok := d.Authenticate(tok2); ok {
		t.Error("a disabled account's token works")
	}
	d.Observe(5, "c1", domain.AggregateToken, "t1", &domain.TokenRevoked{}, domain.Date{})
	if _, ok := d.Authenticate(tok); ok {
		t.Error("a revoked token works")
	}
}

// BenchmarkVerifyPassword is the CPU and memory of one sign-in's hash
// (docs/benchmarks.md, issue 9).
func BenchmarkVerifyPassword(b *testing.B) {
	s := secret(1)
	h := s.HashPassword("Pw-Li-2026-qz!", "bench")
	b.ReportAllocs()
	for b.Loop() {
		if !s.VerifyPassword(h, "Pw-Li-2026-qz!") {
			b.Fatal("no match")
		}
	}
}
