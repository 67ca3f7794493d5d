package identity

import (
	"fmt"
	"testing"
	"time"
)

// FuzzSignInThrottle drives the throttle with a script of failures from
// few usernames and addresses and checks its promises after every step: a
// wait is never negative nor longer than the longest cap, and an address
// that has not failed for a username (and is not spraying) never waits for
// it — failures elsewhere cannot lock an account out.
func FuzzSignInThrottle(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{1, 17, 33, 49, 65, 81, 97, 113, 129, 145, 161, 177, 193, 209, 225, 241})
	f.Add([]byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"))
	f.Fuzz(func(t *testing.T, script []byte) {
		th, c := newTestThrottle()
		longest := max(pairBackoff.max, usernameDelay.max, addressBackoff.max)
		for _, b := range script {
			user, addr := fmt.Sprintf("u%d", b&3), fmt.Sprintf("a%d", b>>2&15)
			switch b >> 6 {
			case 0, 1:
				th.Fail(user, addr)
			case 2:
				c.advance(time.Duration(b&63) * time.Second)
			case 3:
				th.Succeed(user, addr)
			}
			if w := th.Wait(user, addr); w < 0 || w > longest {
				t.Fatalf("wait %v outside [0, %v]", w, longest)
			}
			now := c.now()
			for a := range 16 {
				address := fmt.Sprintf("a%d", a)
				if len(recent(th.pairs, pairKey(user, address), now)) > 0 || len(recent(th.addrs, address, now)) >= addressBackoff.free {
					continue
				}
				if w := th.Wait(user, address); w != 0 {
					t.Fatalf("address %s, which never failed for %s, waits %v", address, user, w)
				}
			}
		}
	})
}
