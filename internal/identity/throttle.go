package identity

import (
	"sync"
	"time"
)

// Throttle counts failed sign-ins per key (a username, a client address) in a
// sliding window and refuses further attempts once a key reaches the limit.
// It is per process: each replica throttles on its own.
type Throttle struct {
	limit  int
	window time.Duration
	mu     sync.Mutex
	fails  map[string][]time.Time
	now    func() time.Time
}

// NewThrottle allows at most limit failures per key within window.
func NewThrottle(limit int, window time.Duration) *Throttle {
	return &Throttle{limit: limit, window: window, fails: map[string][]time.Time{}, now: time.Now}
}

// Allow reports whether an attempt may proceed for all keys.
func (t *Throttle) Allow(keys ...string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		if len(t.recent(k)) >= t.limit {
			return false
		}
	}
	return true
}

// Fail records a failed attempt for each key.
func (t *Throttle) Fail(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.fails) > 100_000 { // bound memory under a spray attack
		t.fails = map[string][]time.Time{}
	}
	for _, k := range keys {
		t.fails[k] = append(t.recent(k), t.now())
	}
}

// Succeed forgets the failures of each key.
func (t *Throttle) Succeed(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		delete(t.fails, k)
	}
}

func (t *Throttle) recent(k string) []time.Time {
	cut := t.now().Add(-t.window)
	kept := t.fails[k][:0]
	for _, at := range t.fails[k] {
		if at.After(cut) {
			kept = append(kept, at)
		}
	}
	t.fails[k] = kept
	return kept
}
