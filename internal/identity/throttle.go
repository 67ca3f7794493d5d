package identity

import (
	"strings"
	"sync"
	"time"
)

// Sign-in throttling asks for a delay, never locks an account out. Failed
// sign-ins are counted in a sliding window three ways:
//
//   - per (username, address) pair: a pair has a few failures free, then
//     waits a delay that doubles with each further failure. This is the
//     real brake on guessing, and it falls only on the guessing address.
//   - per username, from every address: the failures set a gentle delay,
//     capped low, that each pair must leave after its own last failure. It
//     slows guessing spread over many addresses, but a pair with no recent
//     failure (the owner at their own address) is never delayed by it, so
//     nobody can keep an account locked by failing from elsewhere.
//   - per address, for every username: password spraying from one address
//     slows that address down, with a delay capped at a minute.
//
// The counts are kept in memory on SQLite (one process) and, on
// PostgreSQL, in a table every replica shares (throttle_shared.go).
const throttleWindow = 15 * time.Minute

// backoff is a delay that starts after free failures at base and doubles
// with each further failure, up to max.
type backoff struct {
	free      int
	base, max time.Duration
}

var (
	pairBackoff    = backoff{free: 5, base: 30 * time.Second, max: 15 * time.Minute}
	usernameDelay  = backoff{free: 10, base: time.Second, max: 10 * time.Second}
	addressBackoff = backoff{free: 50, base: time.Second, max: time.Minute}
)

// delay is the wait after n failures.
func (b backoff) delay(n int) time.Duration {
	if n < b.free {
		return 0
	}
	d := b.base
	for range n - b.free {
		if d *= 2; d >= b.max {
			return b.max
		}
	}
	return min(d, b.max)
}

// maxKept bounds the failures kept per key: every delay has reached its cap
// long before, and a flood of failures cannot grow one list without end.
const maxKept = 64

// maxKeys bounds each map; past it, keys without a recent failure are
// dropped, and if that is not enough the map starts afresh.
const maxKeys = 100_000

// signInThrottle holds the failure counts of one Service.
type signInThrottle struct {
	mu    sync.Mutex
	now   func() time.Time
	pairs map[string][]time.Time // username + "\x00" + address
	users map[string][]time.Time // username, every address
	addrs map[string][]time.Time // address, every username
}

func newSignInThrottle() *signInThrottle {
	return &signInThrottle{now: time.Now, pairs: map[string][]time.Time{}, users: map[string][]time.Time{}, addrs: map[string][]time.Time{}}
}

func pairKey(username, address string) string { return username + "\x00" + address }

// Wait returns how long username must wait before trying again from
// address; zero when it may try now.
func (t *signInThrottle) Wait(username, address string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	var wait time.Duration
	after := func(fails []time.Time, d time.Duration) {
		if len(fails) > 0 {
			wait = max(wait, fails[len(fails)-1].Add(d).Sub(now))
		}
	}
	pair := recent(t.pairs, pairKey(username, address), now)
	after(pair, pairBackoff.delay(len(pair)))
	after(pair, usernameDelay.delay(len(recent(t.users, username, now))))
	addr := recent(t.addrs, address, now)
	after(addr, addressBackoff.delay(len(addr)))
	return max(wait, 0)
}

// Fail records a failed sign-in of username from address.
func (t *signInThrottle) Fail(username, address string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	record(t.pairs, pairKey(username, address), now)
	record(t.users, username, now)
	record(t.addrs, address, now)
}

// Succeed forgets the failures of the pair that has just signed in. The
// username's and the address's counts stay: they describe others too.
func (t *signInThrottle) Succeed(username, address string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.pairs, pairKey(username, address))
}

// recent returns key's failures within the window, dropping older ones.
func recent(m map[string][]time.Time, key string, now time.Time) []time.Time {
	fails := m[key]
	cut := now.Add(-throttleWindow)
	i := 0
	for i < len(fails) && !fails[i].After(cut) {
		i++
	}
	if i == len(fails) {
		delete(m, key)
		return nil
	}
	if i > 0 {
		fails = fails[i:]
		m[key] = fails
	}
	return fails
}

// record adds a failure at now to key, keeping at most maxKept.
func record(m map[string][]time.Time, key string, now time.Time) {
	if _, ok := m[key]; !ok && len(m) >= maxKeys {
		for k := range m {
			recent(m, k, now)
		}
		if len(m) >= maxKeys {
			clear(m)
		}
	}
	fails := append(recent(m, key, now), now)
	if len(fails) > maxKept {
		fails = append([]time.Time(nil), fails[len(fails)-maxKept:]...)
	}
	m[key] = fails
}

// Self-service actions that anyone may start without signing in — opening
// an account, asking for a confirmation or reset e-mail — are limited per
// client address and per e-mail address within the throttle window, so
// that nobody fills the store with accounts or a mailbox with e-mails.
var selfServiceLimits = map[string]int{
	"register:address": 5,  // accounts opened from one address
	"mail:address":     10, // confirmation and reset e-mails asked from one address
	"mail:email":       3,  // e-mails asked for one address
}

// selfServiceLimit counts self-service actions by key.
type selfServiceLimit struct {
	mu   sync.Mutex
	now  func() time.Time
	seen map[string][]time.Time
}

func newSelfServiceLimit() *selfServiceLimit {
	return &selfServiceLimit{now: time.Now, seen: map[string][]time.Time{}}
}

// take counts one action under each of keys (a selfServiceLimits name,
// "\x00" and the address) unless one is at its limit: then nothing is
// counted and the wait until the oldest action leaves the window is
// returned.
func (l *selfServiceLimit) take(keys ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var wait time.Duration
	for _, k := range keys {
		limit := selfServiceLimits[k[:strings.IndexByte(k, 0)]]
		if seen := recent(l.seen, k, now); len(seen) >= limit {
			wait = max(wait, seen[len(seen)-limit].Add(throttleWindow).Sub(now))
		}
	}
	if wait > 0 {
		return wait
	}
	for _, k := range keys {
		record(l.seen, k, now)
	}
	return 0
}

// AllowRegistration counts an account opened from clientIP, or refuses it
// with a *ThrottledError saying how long to wait.
func (s *Service) AllowRegistration(clientIP string) error {
	return throttled(s.selfService.take("register:address\x00" + clientIP))
}

// AllowMail counts a confirmation or reset e-mail asked from clientIP for
// email, or refuses it with a *ThrottledError saying how long to wait.
func (s *Service) AllowMail(clientIP, email string) error {
	return throttled(s.selfService.take("mail:address\x00"+clientIP, "mail:email\x00"+strings.ToLower(strings.TrimSpace(email))))
}

func throttled(wait time.Duration) error {
	if wait > 0 {
		return &ThrottledError{Wait: wait}
	}
	return nil
}
