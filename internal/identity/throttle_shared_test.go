package identity

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// sharedCounters returns two replicas' shared sign-in throttles and
// self-service limits on one PostgreSQL store, reading clock c.
func sharedCounters(t *testing.T, c *clock) ([2]*sharedThrottle, [2]*sharedSelfService, *store.DB) {
	db := storetest.Open(t, store.Postgres)
	var th [2]*sharedThrottle
	var ss [2]*sharedSelfService
	for i := range 2 {
		a, b := newCounters(db)
		th[i], ss[i] = a.(*sharedThrottle), b.(*sharedSelfService)
		th[i].now, ss[i].now = c.now, c.now
	}
	return th, ss, db
}

// TestSharedThrottleMatchesMemory: a seeded script of failures, successes
// and waits from a few usernames and addresses, spread over two replicas
// sharing PostgreSQL, gives after every step the same waits as the
// in-memory throttle of one process given the whole script.
func TestSharedThrottleMatchesMemory(t *testing.T) {
	mem, c := newTestThrottle()
	shared, _, db := sharedCounters(t, c)
	r := rand.New(rand.NewPCG(18, 1))
	var delayed int
	for step := range 400 {
		user, addr := fmt.Sprintf("u%d", r.IntN(3)), fmt.Sprintf("192.0.2.%d", r.IntN(4))
		replica := shared[step%2]
		switch k := r.IntN(10); {
		case k < 6:
			mem.Fail(user, addr)
			replica.Fail(user, addr)
		case k < 9:
			c.advance(time.Duration(r.IntN(90)) * time.Second)
		default:
			mem.Succeed(user, addr)
			replica.Succeed(user, addr)
		}
		for i, s := range shared {
			want, got := mem.Wait(user, addr), s.Wait(user, addr)
			if got != want {
				t.Fatalf("step %d, %s from %s on replica %d: wait %v, in memory %v", step, user, addr, i, got, want)
			}
			if got > 0 {
				delayed++
			}
		}
	}
	if delayed == 0 {
		t.Fatal("the script never delayed anyone: it tests nothing")
	}
	keys, err := store.Strings(context.Background(), db, `SELECT key FROM throttle_marks`)
	if err != nil || len(keys) == 0 {
		t.Fatalf("marks: %v %v", keys, err)
	}
	for _, k := range keys {
		if strings.Contains(k, "192.0.2.") || strings.Contains(k, "signin") || len(k) != 64 {
			t.Fatalf("a mark's key is stored in clear: %q", k)
		}
	}
}

// TestSharedSelfServiceMatchesMemory: the self-service limits counted by
// two replicas sharing PostgreSQL refuse and wait as one process's do.
func TestSharedSelfServiceMatchesMemory(t *testing.T) {
	c := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	mem := newSelfServiceLimit()
	mem.now = c.now
	_, shared, _ := sharedCounters(t, c)
	r := rand.New(rand.NewPCG(18, 2))
	var refused int
	for step := range 200 {
		addr, email := fmt.Sprintf("198.51.100.%d", r.IntN(2)), fmt.Sprintf("u%d@example.cn", r.IntN(2))
		keys := []string{"register:address\x00" + addr}
		if r.IntN(2) == 0 {
			keys = []string{"mail:address\x00" + addr, "mail:email\x00" + email}
		}
		want, got := mem.take(keys...), shared[step%2].take(keys...)
		if got != want {
			t.Fatalf("step %d, %q on replica %d: wait %v, in memory %v", step, keys, step%2, got, want)
		}
		if got > 0 {
			refused++
		}
		c.advance(time.Duration(r.IntN(40)) * time.Second)
	}
	if refused == 0 {
		t.Fatal("the script was never refused: it tests nothing")
	}
}

// TestRegistrationLimitAcrossReplicas: accounts opened from one address
// are counted once for two Services on one database (PostgreSQL), or per
// process (SQLite).
func TestRegistrationLimitAcrossReplicas(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s1, s2 := NewService(db), NewService(db)
		limit := selfServiceLimits["register:address"]
		for i := range limit {
			if err := []*Service{s1, s2}[i%2].AllowRegistration("203.0.113.9"); err != nil {
				t.Fatalf("registration %d: %v", i+1, err)
			}
		}
		err1, err2 := s1.AllowRegistration("203.0.113.9"), s2.AllowRegistration("203.0.113.9")
		if db.Dialect == store.SQLite {
			if err1 != nil || err2 != nil {
				t.Fatalf("per process, each Service has counted only part of the limit: %v, %v", err1, err2)
			}
			return
		}
		for i, err := range []error{err1, err2} {
			var te *ThrottledError
			if !errors.As(err, &te) || te.Wait <= throttleWindow-time.Minute || te.Wait > throttleWindow {
				t.Fatalf("registration %d on replica %d: %v", limit+1, i+1, err)
			}
		}
		if err := s1.AllowRegistration("203.0.113.10"); err != nil {
			t.Errorf("another address: %v", err)
		}
	})
}
