package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"github.com/gongkai/gongkai/domain"
)

// SessionLifetime is how long a session lasts from signing in.
const SessionLifetime = 12 * time.Hour

// Session is a signed-in person. It travels in a cookie signed with the
// instance's secret, so every instance sharing the secret knows it; it is
// valid while the account is enabled, its epoch unchanged (no new password,
// no revoked role) and the session not ended by logging out (an event in
// the log).
type Session struct {
	ID      string    `json:"sid"`
	Login   string    `json:"login"`
	Epoch   int       `json:"epoch"`
	Expires time.Time `json:"exp"`
}

// NewSession starts a session for an account.
func NewSession(a *domain.UserAccount, now time.Time) Session {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return Session{ID: hex.EncodeToString(b), Login: a.Login, Epoch: a.Epoch, Expires: now.Add(SessionLifetime).UTC().Truncate(time.Second)}
}

// Seal returns the cookie value of a session.
func (s Secret) Seal(sess Session) string {
	payload, _ := json.Marshal(sess)
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + base64.RawURLEncoding.EncodeToString(s.mac("cookie", p))
}

// Open returns the session of a cookie value whose signature is good; it
// does not check the session against the accounts (see Directory.Session).
func (s Secret) Open(value string) (Session, bool) {
	p, sig, ok := strings.Cut(value, ".")
	if !ok || len(value) > 1024 {
		return Session{}, false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac("cookie", p)) {
		return Session{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(p)
	var sess Session
	if err != nil || json.Unmarshal(raw, &sess) != nil || sess.ID == "" {
		return Session{}, false
	}
	return sess, true
}

// CSRF returns the token every form of a session carries (or, before
// signing in, of the pre-session cookie value).
func (s Secret) CSRF(bound string) string {
	return base64.RawURLEncoding.EncodeToString(s.mac("csrf", bound)[:18])
}

// CheckCSRF reports whether a form's token belongs to bound.
func (s Secret) CheckCSRF(bound, token string) bool {
	return bound != "" && hmac.Equal([]byte(s.CSRF(bound)), []byte(token))
}

func (s Secret) mac(purpose, msg string) []byte {
	m := hmac.New(sha256.New, s.session)
	m.Write([]byte(purpose + "\x00" + msg))
	return m.Sum(nil)
}

// Session returns the account acting in a session, if the session is
// still valid at now.
func (d *Directory) Session(sess Session, now time.Time) (domain.Actor, bool) {
	if !now.Before(sess.Expires) {
		return domain.Actor{}, false
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	a := d.accounts[sess.Login]
	if a == nil || a.Disabled || a.Epoch != sess.Epoch {
		return domain.Actor{}, false
	}
	if _, ended := a.Ended[sess.ID]; ended {
		return domain.Actor{}, false
	}
	return a.Actor(), true
}
