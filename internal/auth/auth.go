// Package auth knows who a request acts for: the administrator's
// environment token (for scripts), API tokens and people's accounts with
// their sessions. What it knows comes from the log (account, role and
// token events, decided in domain and recorded by the command service);
// it keeps no state of its own beyond the instance's secret key, so every
// instance knows the same accounts and sessions, across restarts.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"sort"
	"sync"

	"github.com/gongkai/gongkai/domain"
)

// RootID is the actor id recorded for the environment administrator token.
const RootID = "admin"

// Directory holds the accounts and tokens of the log. It is safe for
// concurrent use; Observe is fed every access event (the command service's
// facts, and its own appends at once).
type Directory struct {
	adminHash [32]byte
	hasAdmin  bool

	mu       sync.RWMutex
	accounts map[string]*domain.UserAccount
	tokens   map[string]*domain.Token // by id
	byHash   map[[32]byte]string      // token SHA-256 -> id
	seen     map[string]uint64        // aggregate -> last sequence applied
}

// New returns the directory with adminToken as the environment
// administrator's token (none when empty).
func New(adminToken string) *Directory {
	d := &Directory{accounts: map[string]*domain.UserAccount{}, tokens: map[string]*domain.Token{},
		byHash: map[[32]byte]string{}, seen: map[string]uint64{}}
	if adminToken != "" {
		d.adminHash, d.hasAdmin = sha256.Sum256([]byte(adminToken)), true
	}
	return d
}

// Observe folds one event of an account or a token; others are ignored.
// An event at or below the aggregate's last applied sequence is ignored
// (this instance's own append arrives again from the feed).
func (d *Directory) Observe(seq uint64, community, aggType, id string, ev domain.Event, date domain.Date) {
	if aggType != domain.AggregateAccount && aggType != domain.AggregateToken {
		return
	}
	key := community + "/" + aggType + "/" + id
	d.mu.Lock()
	defer d.mu.Unlock()
	if seq <= d.seen[key] {
		return
	}
	d.seen[key] = seq
	if aggType == domain.AggregateAccount {
		if community != domain.SystemCommunity {
			return
		}
		a := d.accounts[id]
		st := domain.ApplyTo(a, aggType, id, ev, date)
		d.accounts[id] = st.(*domain.UserAccount)
		return
	}
	t := d.tokens[id]
	if t == nil {
		t = &domain.Token{ID: id, Community: community}
	}
	t = domain.ApplyTo(t, aggType, id, ev, date).(*domain.Token)
	t.Community = community
	d.tokens[id] = t
	if raw, err := hex.DecodeString(t.SHA256); err == nil && len(raw) == 32 {
		d.byHash[[32]byte(raw)] = id
	}
}

// Authenticate returns the actor of a bearer token: the environment
// administrator, an account's token (acting as the account, while it is
// enabled) or a community's token (its clerk and accountant).
func (d *Directory) Authenticate(token string) (domain.Actor, bool) {
	if token == "" {
		return domain.Actor{}, false
	}
	h := sha256.Sum256([]byte(token))
	if d.hasAdmin && subtle.ConstantTimeCompare(h[:], d.adminHash[:]) == 1 {
		return domain.Actor{ID: RootID, Name: "管理员（环境令牌）", Root: true}, true
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	t := d.tokens[d.byHash[h]]
	if t == nil || t.Revoked {
		return domain.Actor{}, false
	}
	if t.Account != "" {
		a := d.accounts[t.Account]
		if a == nil || a.Disabled {
			return domain.Actor{}, false
		}
		return a.Actor(), true
	}
	return domain.Actor{ID: t.ID, Name: t.Label, Grants: []domain.Grant{
		{Role: domain.AccessClerk, Scope: domain.CommunityScope(t.Community)},
		{Role: domain.AccessAccountant, Scope: domain.CommunityScope(t.Community)},
	}}, true
}

// Account returns a copy of an account, or nil.
func (d *Directory) Account(login string) *domain.UserAccount {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.accounts[login].Clone()
}

// Accounts returns copies of every account, by login.
func (d *Directory) Accounts() []*domain.UserAccount {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]*domain.UserAccount, 0, len(d.accounts))
	for _, a := range d.accounts {
		out = append(out, a.Clone())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Login < out[j].Login })
	return out
}

// Tokens returns the tokens of a community (every community when empty),
// revoked ones included, by id.
func (d *Directory) Tokens(community string) []domain.Token {
	d.mu.RLock()
	defer d.mu.RUnlock()
	var out []domain.Token
	for _, t := range d.tokens {
		if community == "" || t.Community == community {
			out = append(out, *t)
		}
	}
	slices.SortFunc(out, func(a, b domain.Token) int {
		if a.Community != b.Community {
			if a.Community < b.Community {
				return -1
			}
			return 1
		}
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	return out
}

// Token returns a copy of a token, or nil.
func (d *Directory) Token(id string) *domain.Token {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if t := d.tokens[id]; t != nil {
		c := *t
		return &c
	}
	return nil
}

// NewToken returns a fresh random token and its SHA-256 in hex.
func NewToken() (token, hash string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	token = "gk_" + base64.RawURLEncoding.EncodeToString(b)
	h := sha256.Sum256([]byte(token))
	return token, hex.EncodeToString(h[:])
}
