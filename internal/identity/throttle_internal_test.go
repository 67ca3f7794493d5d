package identity

import (
	"fmt"
	"testing"
	"time"
)

// clock is a fake time the throttle reads.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newTestThrottle() (*signInThrottle, *clock) {
	c := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	th := newSignInThrottle()
	th.now = c.now
	return th, c
}

func TestBackoffDelay(t *testing.T) {
	b := backoff{free: 5, base: 30 * time.Second, max: 15 * time.Minute}
	for _, test := range []struct {
		fails int
		want  time.Duration
	}{
		{0, 0}, {4, 0}, {5, 30 * time.Second}, {6, time.Minute}, {7, 2 * time.Minute}, {10, 15 * time.Minute}, {64, 15 * time.Minute}, {1 << 20, 15 * time.Minute},
	} {
		if got := b.delay(test.fails); got != test.want {
			t.Errorf("delay(%d) = %v, want %v", test.fails, got, test.want)
		}
	}
}

// TestPairBackoff: the guessing address waits, longer after each failure,
// and the wait ends.
func TestPairBackoff(t *testing.T) {
	th, c := newTestThrottle()
	for range pairBackoff.free {
		if w := th.Wait("admin", "192.0.2.1"); w != 0 {
			t.Fatalf("wait before %d failures = %v", pairBackoff.free, w)
		}
		th.Fail("admin", "192.0.2.1")
	}
	if w := th.Wait("admin", "192.0.2.1"); w != 30*time.Second {
		t.Errorf("wait after %d failures = %v, want 30s", pairBackoff.free, w)
	}
	c.advance(30 * time.Second)
	if w := th.Wait("admin", "192.0.2.1"); w != 0 {
		t.Errorf("wait after waiting = %v, want 0", w)
	}
	th.Fail("admin", "192.0.2.1")
	if w := th.Wait("admin", "192.0.2.1"); w != time.Minute {
		t.Errorf("wait after one more failure = %v, want 1m", w)
	}
	c.advance(throttleWindow)
	if w := th.Wait("admin", "192.0.2.1"); w != 0 {
		t.Errorf("wait after the window = %v, want 0", w)
	}
}

// TestUsernameDelayNeverLocksOut: failures for one username from many
// addresses give each guessing address a short delay capped at
// usernameDelay.max, and none to an address without failures.
func TestUsernameDelayNeverLocksOut(t *testing.T) {
	th, c := newTestThrottle()
	for i := range 200 {
		th.Fail("admin", fmt.Sprintf("198.51.100.%d", i))
		c.advance(10 * time.Millisecond)
	}
	if w := th.Wait("admin", "203.0.113.7"); w != 0 {
		t.Errorf("an address without failures waits %v", w)
	}
	w := th.Wait("admin", "198.51.100.199")
	if w <= 0 || w > usernameDelay.max {
		t.Errorf("a guessing address waits %v, want (0, %v]", w, usernameDelay.max)
	}
	th.Fail("admin", "203.0.113.7") // the owner mistypes once
	if w := th.Wait("admin", "203.0.113.7"); w <= 0 || w > usernameDelay.max {
		t.Errorf("the owner after one mistake waits %v, want (0, %v]", w, usernameDelay.max)
	}
	c.advance(usernameDelay.max)
	if w := th.Wait("admin", "203.0.113.7"); w != 0 {
		t.Errorf("the owner after waiting the cap still waits %v", w)
	}
}

// TestAddressBackoff: spraying many usernames from one address slows that
// address down, at most a minute at a time.
func TestAddressBackoff(t *testing.T) {
	th, c := newTestThrottle()
	for i := range addressBackoff.free + 20 {
		th.Fail(fmt.Sprintf("user%d", i), "198.51.100.66")
	}
	w := th.Wait("someone", "198.51.100.66")
	if w <= 0 || w > addressBackoff.max {
		t.Errorf("the spraying address waits %v, want (0, %v]", w, addressBackoff.max)
	}
	if w := th.Wait("someone", "198.51.100.67"); w != 0 {
		t.Errorf("another address waits %v", w)
	}
	c.advance(addressBackoff.max)
	if w := th.Wait("someone", "198.51.100.66"); w != 0 {
		t.Errorf("after a minute the address still waits %v", w)
	}
}

// TestThrottleMemoryIsBounded: a flood of distinct keys and failures keeps
// the maps and lists within their bounds.
func TestThrottleMemoryIsBounded(t *testing.T) {
	th, c := newTestThrottle()
	for i := range maxKeys + 10 {
		th.Fail(fmt.Sprintf("u%d", i), "192.0.2.9")
	}
	for range 3 * maxKept {
		th.Fail("admin", "192.0.2.10")
		c.advance(time.Millisecond)
	}
	if len(th.users) > maxKeys || len(th.pairs) > maxKeys {
		t.Errorf("maps hold %d users and %d pairs, want at most %d", len(th.users), len(th.pairs), maxKeys)
	}
	if n := len(th.addrs["192.0.2.10"]); n > maxKept {
		t.Errorf("an address keeps %d failures, want at most %d", n, maxKept)
	}
	if w := th.Wait("admin", "192.0.2.10"); w <= 0 {
		t.Error("trimming the list forgot that the address is guessing")
	}
}
