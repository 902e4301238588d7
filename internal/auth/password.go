package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's first recommended setting (19 MiB, two
// passes, one lane). The parameters are stored in every hash, so they can
// be raised later without invalidating the hashes made before.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
)

// MinPasswordLen is the shortest password accepted, in characters.
const MinPasswordLen = 10

// Secret is the instance's secret key: it peppers every password before it
// is hashed (the hashes are in the log, which anyone with the log can
// read, so a hash alone must not let anyone test guesses) and signs
// session cookies. Every instance serving the same log needs the same key
// (docs/deploy.md).
type Secret struct {
	pepper  []byte
	session []byte
}

// LoadOrCreateSecret reads the secret key file at path (64 hex digits),
// creating it with mode 0600 when it does not exist and create is set.
func LoadOrCreateSecret(path string, create bool) (Secret, bool, error) {
	b, err := os.ReadFile(path)
	created := false
	if errors.Is(err, os.ErrNotExist) && create {
		b, err = createSecret(path)
		created = err == nil
		if errors.Is(err, os.ErrExist) {
			// Another instance on the same files made it a moment ago.
			time.Sleep(200 * time.Millisecond)
			b, err = os.ReadFile(path)
		}
	}
	if err != nil {
		return Secret{}, false, fmt.Errorf("read the secret key: %w", err)
	}
	raw, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(raw) != 32 {
		return Secret{}, false, fmt.Errorf("the secret key %s must hold 64 hexadecimal digits", path)
	}
	return NewSecret(raw), created, nil
}

func createSecret(path string) ([]byte, error) {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create the secret key %s: %w", path, err) // wraps os.ErrExist when it exists
	}
	text := hex.EncodeToString(raw)
	_, werr := f.WriteString(text + "\n")
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		return nil, fmt.Errorf("write the secret key %s: %w", path, err)
	}
	return []byte(text), nil
}

// NewSecret derives the secret's keys from 32 random bytes.
func NewSecret(raw []byte) Secret {
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, raw)
		m.Write([]byte(label))
		return m.Sum(nil)
	}
	return Secret{pepper: derive("gongkai password pepper v1"), session: derive("gongkai session v1")}
}

// CheckPassword refuses a password too short or too plain to protect an
// account; the reason is in English and Chinese.
func CheckPassword(password, login string) (reason, reasonZH string, ok bool) {
	switch {
	case utf8.RuneCountInString(password) < MinPasswordLen:
		return fmt.Sprintf("at least %d characters", MinPasswordLen), fmt.Sprintf("至少%d个字符", MinPasswordLen), false
	case utf8.RuneCountInString(password) > 200:
		return "at most 200 characters", "最多200个字符", false
	case !utf8.ValidString(password):
		return "must be valid UTF-8", "必须是有效的 UTF-8 文本", false
	case login != "" && strings.Contains(strings.ToLower(password), login):
		return "must not contain the login name", "不能包含登录名", false
	}
	distinct := map[rune]bool{}
	for _, r := range password {
		distinct[r] = true
	}
	if len(distinct) < 5 {
		return "too plain: use at least 5 different characters", "过于简单：至少使用5个不同的字符", false
	}
	return "", "", true
}

// HashPassword returns the argon2id hash of the peppered password in PHC
// form. The salt is derived from saltSeed (the request's idempotency key and
// login), so that a retried request hashes to the same value and is
// recorded once; a seed is never used twice for another password.
func (s Secret) HashPassword(password, saltSeed string) string {
	m := hmac.New(sha256.New, s.pepper)
	m.Write([]byte("salt\x00" + saltSeed))
	salt := m.Sum(nil)[:16]
	key := argon2.IDKey(s.peppered(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key))
}

func (s Secret) peppered(password string) []byte {
	m := hmac.New(sha256.New, s.pepper)
	m.Write([]byte(password))
	return m.Sum(nil)
}

// VerifyPassword reports whether password matches a hash made by
// HashPassword with the same secret.
func (s Secret) VerifyPassword(hash, password string) bool {
	var mem, t uint32
	var p uint8
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &t, &p); err != nil || mem > 1<<20 || t > 16 || p == 0 || p > 16 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey(s.peppered(password), salt, t, mem, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
