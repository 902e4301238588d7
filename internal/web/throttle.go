package web

import (
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// Limits of failed authentication per client address.
const (
	// AuthFailureLimit failures within AuthFailureWindow of the first one
	// block the address until the window has passed.
	AuthFailureLimit  = 10
	AuthFailureWindow = time.Minute
	// LoginFailureLimit wrong passwords for one account within
	// LoginFailureWindow block signing in to it, from anywhere, until the
	// window has passed.
	LoginFailureLimit  = 10
	LoginFailureWindow = 15 * time.Minute
	// maxThrottled bounds the addresses remembered; past it the expired
	// entries go, then the oldest.
	maxThrottled = 10_000
)

// throttle counts failed authentications per client address in fixed
// windows: the first failure opens a window of length window; the limit-th
// failure within it blocks the address, for any token, right or wrong,
// until the window ends. A success does not reset the count, so that a
// clerk's own token cannot buy guesses at the administrator's. It is safe
// for concurrent use and remembers at most max addresses.
type keyedThrottle[K comparable] struct {
	limit  int
	window time.Duration
	max    int
	now    func() time.Time

	mu      sync.Mutex
	clients map[K]*failures
}

// throttle counts per client address.
type throttle = keyedThrottle[netip.Prefix]

type failures struct {
	start time.Time
	n     int
}

func newThrottle(limit int, window time.Duration, max int, now func() time.Time) *throttle {
	return newKeyedThrottle[netip.Prefix](limit, window, max, now)
}

func newKeyedThrottle[K comparable](limit int, window time.Duration, max int, now func() time.Time) *keyedThrottle[K] {
	return &keyedThrottle[K]{limit: limit, window: window, max: max, now: now, clients: map[K]*failures{}}
}

// blocked returns how long the client must wait, or 0 if it may try.
func (t *keyedThrottle[K]) blocked(client K) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.clients[client]
	if f == nil {
		return 0
	}
	left := f.start.Add(t.window).Sub(t.now())
	if left <= 0 {
		delete(t.clients, client)
		return 0
	}
	if f.n < t.limit {
		return 0
	}
	return left
}

// fail records a failed authentication by client.
func (t *keyedThrottle[K]) fail(client K) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	f := t.clients[client]
	if f != nil && now.Sub(f.start) >= t.window {
		f = nil
	}
	if f == nil {
		if len(t.clients) >= t.max {
			t.evict(now)
		}
		f = &failures{start: now}
		t.clients[client] = f
	}
	f.n++
}

// evict drops the expired entries, and if none has expired the oldest.
func (t *keyedThrottle[K]) evict(now time.Time) {
	var oldest K
	var oldestStart time.Time
	for c, f := range t.clients {
		if now.Sub(f.start) >= t.window {
			delete(t.clients, c)
		} else if oldestStart.IsZero() || f.start.Before(oldestStart) {
			oldest, oldestStart = c, f.start
		}
	}
	if len(t.clients) >= t.max {
		delete(t.clients, oldest)
	}
}

// clientOf returns the address a request's failures are counted against:
// the IP of the connection's peer (RemoteAddr; a forwarding header is never
// trusted), an IPv6 address widened to its /64, which one subscriber
// usually holds whole.
func clientOf(r *http.Request) netip.Prefix {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Prefix{}
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is4() {
		return netip.PrefixFrom(ip, 32)
	}
	p, _ := ip.Prefix(64)
	return p
}
