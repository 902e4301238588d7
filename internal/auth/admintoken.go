package auth

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MinAdminTokenLen is the shortest administrator token accepted, in
// characters.
const MinAdminTokenLen = 32

// weakWords are words of example and default tokens; a token holding one
// was typed, not generated.
// They are six letters or more, so that a random base64 token holds one
// with a probability below one in ten million.
var weakWords = []string{"change-me", "changeme", "change_me", "password", "passwd", "secret", "example", "qwerty"}

// WeakTokenError is an administrator token refused by CheckAdminToken.
type WeakTokenError struct {
	Reason, ReasonZH string
}

func (e *WeakTokenError) Error() string {
	return "GONGKAI_ADMIN_TOKEN is too weak: " + e.Reason + ". Make a random one with `gongkai keygen --admin-token` " +
		"(or `openssl rand -base64 32`), or leave it empty to accept no writes.\n" +
		"管理员令牌 GONGKAI_ADMIN_TOKEN 强度不足：" + e.ReasonZH + "。请用 `gongkai keygen --admin-token`" +
		"（或 `openssl rand -base64 32`）生成随机令牌；留空则不接受任何写入。"
}

// CheckAdminToken returns a *WeakTokenError when token is not long and
// random enough to be the administrator's: shorter than MinAdminTokenLen
// characters, white space at either end, a word of example tokens such as
// "change-me", fewer than 8 distinct characters, one piece repeated, or a run
// of 8 equal or consecutive characters ("aaaaaaaa", "12345678"). The checks
// catch what a person types; a random token from NewAdminToken or
// `openssl rand -base64 32` fails them with a probability below one in ten
// million (one of `openssl rand -hex 16`, below one in a million). An empty
// token is allowed: then no one can write.
func CheckAdminToken(token string) error {
	if token == "" {
		return nil
	}
	n := utf8.RuneCountInString(token)
	if n < MinAdminTokenLen {
		return &WeakTokenError{fmt.Sprintf("it has %d characters, at least %d are needed", n, MinAdminTokenLen),
			fmt.Sprintf("只有 %d 个字符，至少需要 %d 个", n, MinAdminTokenLen)}
	}
	if strings.TrimSpace(token) != token {
		return &WeakTokenError{"it begins or ends with white space", "首尾含有空白字符"}
	}
	lower := strings.ToLower(token)
	for _, w := range weakWords {
		if strings.Contains(lower, w) {
			return &WeakTokenError{fmt.Sprintf("it contains %q, a word of example tokens", w), fmt.Sprintf("含有示例令牌常用的词“%s”", w)}
		}
	}
	rs := []rune(token)
	distinct := map[rune]bool{}
	for _, r := range rs {
		distinct[r] = true
	}
	if len(distinct) < 8 {
		return &WeakTokenError{fmt.Sprintf("it uses only %d distinct characters", len(distinct)), fmt.Sprintf("只用了 %d 种不同的字符", len(distinct))}
	}
	for p := 1; p <= len(rs)/2; p++ {
		if repeats(rs, p) {
			return &WeakTokenError{fmt.Sprintf("it repeats a piece of %d characters", p), fmt.Sprintf("由 %d 个字符的片段重复组成", p)}
		}
	}
	run, step := 1, rune(2)
	for i := 1; i < len(rs); i++ {
		switch d := rs[i] - rs[i-1]; {
		case d < -1 || d > 1:
			run, step = 1, 2
		case d == step:
			run++
		default:
			run, step = 2, d
		}
		if run >= 8 {
			return &WeakTokenError{fmt.Sprintf("it holds a run of equal or consecutive characters (%q)", string(rs[i-7:i+1])),
				fmt.Sprintf("含有连续相同或顺序排列的字符（%s）", string(rs[i-7:i+1]))}
		}
	}
	return nil
}

// repeats reports whether rs is its first p runes repeated (the last
// repetition possibly cut short).
func repeats(rs []rune, p int) bool {
	for i := p; i < len(rs); i++ {
		if rs[i] != rs[i-p] {
			return false
		}
	}
	return true
}

// NewAdminToken returns a fresh random administrator token: 32 random bytes
// in URL-safe base64 (43 characters), which CheckAdminToken accepts.
func NewAdminToken() (string, error) {
	for {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		t := base64.RawURLEncoding.EncodeToString(b)
		// A random token fails the checks with a probability below one
		// in ten million (it would have to spell a weak word); draw again.
		if CheckAdminToken(t) == nil {
			return t, nil
		}
	}
}
