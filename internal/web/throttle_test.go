package web

import (
	"net/http"
	"net/netip"
	"testing"
	"time"
)

func TestThrottle(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	th := newThrottle(3, time.Minute, 100, func() time.Time { return now })
	a, b := netip.MustParsePrefix("192.0.2.1/32"), netip.MustParsePrefix("192.0.2.2/32")
	for i := range 3 {
		if d := th.blocked(a); d != 0 {
			t.Fatalf("blocked after %d failures: %v", i, d)
		}
		th.fail(a)
		now = now.Add(10 * time.Second)
	}
	// Three failures at 0, 10 and 20 s: blocked until 60 s.
	if d := th.blocked(a); d != 30*time.Second {
		t.Fatalf("blocked(a) = %v after the limit at 30 s, want 30s", d)
	}
	if d := th.blocked(b); d != 0 {
		t.Fatalf("blocked(b) = %v, want 0: another address", d)
	}
	now = now.Add(29 * time.Second)
	if d := th.blocked(a); d != time.Second {
		t.Fatalf("blocked(a) = %v at 59 s, want 1s", d)
	}
	now = now.Add(time.Second)
	if d := th.blocked(a); d != 0 {
		t.Fatalf("blocked(a) = %v once the window has passed, want 0", d)
	}
	// A new window starts with the next failure.
	th.fail(a)
	th.fail(a)
	if d := th.blocked(a); d != 0 {
		t.Fatalf("blocked(a) = %v after 2 failures in a new window, want 0", d)
	}
	th.fail(a)
	if d := th.blocked(a); d != time.Minute {
		t.Fatalf("blocked(a) = %v after 3 quick failures, want 1m", d)
	}
}

// The throttle remembers at most max addresses: expired ones go first,
// then the oldest.
func TestThrottleBounded(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	th := newThrottle(1, time.Minute, 3, func() time.Time { return now })
	addr := func(i int) netip.Prefix { return netip.PrefixFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}), 32) }
	for i := range 3 {
		th.fail(addr(i))
		now = now.Add(time.Second)
	}
	th.fail(addr(3)) // evicts addr(0), the oldest
	if len(th.clients) != 3 || th.blocked(addr(0)) != 0 || th.blocked(addr(3)) == 0 || th.blocked(addr(1)) == 0 {
		t.Fatalf("after a fourth address: %d remembered, blocked 0/1/3 = %v %v %v; want 3, 0 and two blocked",
			len(th.clients), th.blocked(addr(0)), th.blocked(addr(1)), th.blocked(addr(3)))
	}
	now = now.Add(2 * time.Minute)
	th.fail(addr(4)) // every other entry has expired
	if len(th.clients) != 1 {
		t.Fatalf("%d addresses remembered after the others expired, want 1", len(th.clients))
	}
	for i := range 1000 {
		th.fail(netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 32))
	}
	if len(th.clients) > 3 {
		t.Fatalf("%d addresses remembered, want at most 3", len(th.clients))
	}
}

func TestClientOf(t *testing.T) {
	for remote, want := range map[string]string{
		"192.0.2.7:5555":             "192.0.2.7/32",
		"[::ffff:192.0.2.7]:5555":    "192.0.2.7/32",
		"[2001:db8:1:2:3:4:5:6]:443": "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:443": "2001:db8:1:2::/64",
		"[fe80::1%eth0]:443":         "fe80::/64",
		"not an address":             "invalid Prefix",
	} {
		r := &http.Request{RemoteAddr: remote, Header: http.Header{"X-Forwarded-For": {"198.51.100.1"}}}
		if got := clientOf(r).String(); got != want {
			t.Errorf("clientOf(%q) = %s, want %s", remote, got, want)
		}
	}
}
