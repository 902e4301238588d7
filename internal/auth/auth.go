// Package auth checks bearer tokens. The administrator's token comes from
// the environment; clerk tokens, each scoped to one community, are issued by
// the administrator and recorded in the log as the SHA-256 of the token, so
// that they survive restarts and every instance knows them.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"sync"

	"github.com/gongkai/gongkai/eventstore"
)

// Stored event types of tokens; aggregate type AggregateToken.
const (
	AggregateToken = "token"
	EvTokenIssued  = "auth.clerk_token_issued"
	EvTokenRevoked = "auth.clerk_token_revoked"
)

// TokenIssued records a clerk token. Only the token's hash is stored.
type TokenIssued struct {
	TokenID   string `json:"token_id"`
	Label     string `json:"label"`
	SHA256    string `json:"sha256"`
	Community string `json:"community"`
}

// Principal is who a request acts for.
type Principal struct {
	ID        string
	Admin     bool
	Community string // for a clerk: the only community it may write to
}

// CanWrite reports whether p may send commands to community.
func (p Principal) CanWrite(community string) bool { return p.Admin || p.Community == community }

// Tokens knows the valid tokens. It is safe for concurrent use.
type Tokens struct {
	adminHash [32]byte
	hasAdmin  bool
	mu        sync.RWMutex
	clerks    map[[32]byte]Principal
}

// New returns the token set with adminToken as the administrator's token
// (none when empty).
func New(adminToken string) *Tokens {
	t := &Tokens{clerks: map[[32]byte]Principal{}}
	if adminToken != "" {
		t.adminHash, t.hasAdmin = sha256.Sum256([]byte(adminToken)), true
	}
	return t
}

// Authenticate returns the principal of a bearer token.
func (t *Tokens) Authenticate(token string) (Principal, bool) {
	if token == "" {
		return Principal{}, false
	}
	h := sha256.Sum256([]byte(token))
	if t.hasAdmin && subtle.ConstantTimeCompare(h[:], t.adminHash[:]) == 1 {
		return Principal{ID: "admin", Admin: true}, true
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	p, ok := t.clerks[h]
	return p, ok
}

// Apply records a token event read from the stream; other events are ignored.
func (t *Tokens) Apply(st eventstore.Stored) {
	if st.AggregateType != AggregateToken {
		return
	}
	if st.Type == EvTokenRevoked {
		t.mu.Lock()
		for h, p := range t.clerks {
			if p.ID == st.AggregateID {
				delete(t.clerks, h)
			}
		}
		t.mu.Unlock()
		return
	}
	if st.Type != EvTokenIssued {
		return
	}
	var e TokenIssued
	if json.Unmarshal(st.Data, &e) != nil {
		return
	}
	raw, err := hex.DecodeString(e.SHA256)
	if err != nil || len(raw) != 32 {
		return
	}
	t.mu.Lock()
	t.clerks[[32]byte(raw)] = Principal{ID: e.TokenID, Community: st.Community}
	t.mu.Unlock()
}

// Known reports whether a clerk token with this id is valid in community.
func (t *Tokens) Known(community, id string) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, p := range t.clerks {
		if p.ID == id && p.Community == community {
			return true
		}
	}
	return false
}

// NewToken returns a fresh random token and its SHA-256 in hex.
func NewToken() (token, hash string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token = "gk_" + base64.RawURLEncoding.EncodeToString(b)
	h := sha256.Sum256([]byte(token))
	return token, hex.EncodeToString(h[:])
}
