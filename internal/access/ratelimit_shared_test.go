package access_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// clock is a settable time shared by the test's decision points.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// replicas returns n decision points on db, as n processes sharing the
// database would have, all reading the clock c.
func replicas(t *testing.T, db *store.DB, w *accesstest.World, n int, c *clock, cfg access.Config) []*access.Service {
	cfg.Now = c.now
	var out []*access.Service
	for range n {
		out = append(out, newService(t, db, w, cfg))
	}
	return out
}

// TestRateLimitAcrossReplicas: on PostgreSQL, two decision points on one
// database (two replicas) count an address's requests in one bucket — a
// limit of N a minute allows N requests in all, whichever replica they
// reach, and the N+1st is refused on either with a wait; the wait and the
// refill are the same as one process's. On SQLite, whose file one process
// serves, each decision point keeps its own count, as before.
func TestRateLimitAcrossReplicas(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		const n = 6 // a minute: one every 10 s
		w := accesstest.New(t, db)
		c := &clock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
		rs := replicas(t, db, w, 2, c, access.Config{AnonymousRate: n})
		ctx := access.WithClient(context.Background(), access.Client{IP: "198.51.100.20"})
		req := access.Request{Subject: identity.Anonymous, ResourceID: w.Open.ID, Action: access.ActionRead}
		decide := func(s *access.Service) access.Decision {
			t.Helper()
			d, err := s.Decide(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		if db.Dialect == store.SQLite {
			for i, s := range rs {
				for j := range n {
					if d := decide(s); !d.Allow || d.Rates[0].Remaining != n-1-j {
						t.Fatalf("replica %d, read %d: %+v", i, j+1, d)
					}
				}
				if d := decide(s); d.Allow || d.Reason != access.ReasonRateLimited {
					t.Fatalf("replica %d, read %d: %+v", i, n+1, d)
				}
			}
			return
		}
		for i := range n {
			d := decide(rs[i%2])
			if !d.Allow || len(d.Rates) != 1 || d.Rates[0].Policy != "address" || d.Rates[0].Limit != n || d.Rates[0].Remaining != n-1-i ||
				d.Rates[0].Reset < time.Duration(i+1)*10*time.Second-time.Millisecond {
				t.Fatalf("read %d on replica %d: %+v", i+1, i%2, d)
			}
		}
		for i, s := range rs {
			d := decide(s)
			if d.Allow || d.Reason != access.ReasonRateLimited || d.RetryAfter < 9*time.Second || d.RetryAfter > 10*time.Second+time.Millisecond ||
				len(d.Rates) != 1 || d.Rates[0].Remaining != 0 {
				t.Fatalf("read %d on replica %d: %+v", n+1, i, d)
			}
		}
		// Ten seconds on, one token is back: one replica takes it, the
		// other is refused.
		c.set(c.now().Add(10 * time.Second))
		if d := decide(rs[1]); !d.Allow {
			t.Fatalf("after 10 s on replica 1: %+v", d)
		}
		if d := decide(rs[0]); d.Allow || d.RetryAfter < 9*time.Second {
			t.Fatalf("the refilled token was taken twice: %+v", d)
		}
		// Another address has its own bucket.
		other := access.WithClient(context.Background(), access.Client{IP: "198.51.100.21"})
		if d, _ := rs[0].Decide(other, req); !d.Allow {
			t.Errorf("another address: %+v", d)
		}
	})
}

// TestRateLimitAcrossReplicasConcurrently: requests of one client sent at
// once to two replicas are allowed exactly up to the limit (PostgreSQL),
// or up to the limit per replica (SQLite).
func TestRateLimitAcrossReplicasConcurrently(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		const n, sent = 25, 80
		w := accesstest.New(t, db)
		c := &clock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
		rs := replicas(t, db, w, 2, c, access.Config{AnonymousRate: n})
		ctx := access.WithClient(context.Background(), access.Client{IP: "198.51.100.30"})
		req := access.Request{Subject: identity.Anonymous, ResourceID: w.Open.ID, Action: access.ActionRead}
		var allowed, limited atomic.Int64
		var wg sync.WaitGroup
		for i := range sent {
			wg.Go(func() {
				d, err := rs[i%2].Decide(ctx, req)
				switch {
				case err != nil:
					t.Error(err)
				case d.Allow:
					allowed.Add(1)
				case d.Reason == access.ReasonRateLimited && d.RetryAfter > 0:
					limited.Add(1)
				default:
					t.Errorf("unexpected decision %+v", d)
				}
			})
		}
		wg.Wait()
		want := int64(n)
		if db.Dialect == store.SQLite {
			want = 2 * n
		}
		if allowed.Load() != want || limited.Load() != sent-want {
			t.Errorf("%d allowed, %d limited of %d sent at once to two replicas; want %d allowed", allowed.Load(), limited.Load(), sent, want)
		}
	})
}

// TestGrantRateLimitAcrossReplicas: a grant's own rate limit, and the
// user's, are counted once for every replica on PostgreSQL.
func TestGrantRateLimitAcrossReplicas(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		if db.Dialect != store.Postgres {
			t.Skip("one process serves a SQLite file")
		}
		w := accesstest.New(t, db)
		c := &clock{t: time.Now().Add(time.Hour)} // within the grant's validity
		rs := replicas(t, db, w, 2, c, access.Config{})
		g := grant(t, rs[0], w, access.NewGrant{GranteeKind: access.GranteeOrganization, GranteeID: w.Requester.ID,
			ResourceIDs: []string{w.Conditional.ID}, Policy: access.Policy{RatePerMinute: 3}})
		ctx := context.Background()
		req := access.Request{Subject: w.RequesterMember, ResourceID: w.Conditional.ID, Action: access.ActionRead}
		for i := range 4 {
			d, err := rs[i%2].Decide(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if i < 3 && (!d.Allow || d.GrantID != g.ID) {
				t.Fatalf("read %d under the grant on replica %d: %+v", i+1, i%2, d)
			}
			if i == 3 && (d.Allow || d.Reason != access.ReasonRateLimited || d.RetryAfter < 19*time.Second || len(d.Rates) != 2 ||
				d.Rates[0].Policy != "user" || d.Rates[0].Remaining != 1200-4 || d.Rates[1].Policy != "grant" || d.Rates[1].Remaining != 0) {
				t.Fatalf("fourth read under the grant: %+v", d)
			}
		}
	})
}

// TestSharedRateLimitFallsBackToProcess: when the shared buckets cannot be
// reached, a replica still limits, counting in its own memory, and
// decisions go on.
func TestSharedRateLimitFallsBackToProcess(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		if db.Dialect != store.Postgres {
			t.Skip("SQLite counts in the process always")
		}
		w := accesstest.New(t, db)
		c := &clock{t: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
		s := replicas(t, db, w, 1, c, access.Config{AnonymousRate: 2})[0]
		ctx := access.WithClient(context.Background(), access.Client{IP: "198.51.100.40"})
		req := access.Request{Subject: identity.Anonymous, ResourceID: w.Open.ID, Action: access.ActionRead}
		if d, err := s.Decide(ctx, req); err != nil || !d.Allow { // loads the decision point
			t.Fatalf("first read: %+v %v", d, err)
		}
		if _, err := db.ExecContext(ctx, `ALTER TABLE rate_buckets RENAME TO rate_buckets_away`); err != nil {
			t.Fatal(err)
		}
		defer db.ExecContext(ctx, `ALTER TABLE rate_buckets_away RENAME TO rate_buckets`)
		for i := range 3 {
			d, err := s.Decide(ctx, req)
			if err != nil {
				t.Fatalf("read %d without the shared buckets: %v", i+1, err)
			}
			if (i < 2) != d.Allow {
				t.Fatalf("read %d without the shared buckets: %+v", i+1, d)
			}
		}
	})
}

// TestTakeTokenAndSweep checks the shared bucket itself: burst, refill,
// refusal taking nothing, a clock going backwards refilling nothing, bad
// arguments refused, and the sweep deleting only full buckets.
func TestTakeTokenAndSweep(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
		if db.Dialect != store.Postgres {
			if _, _, err := access.TakeToken(ctx, db, "k", 1, 1, t0); err == nil || err.Error() != "access: shared rate limits need PostgreSQL, not sqlite" {
				t.Errorf("TakeToken on SQLite: %v", err)
			}
			return
		}
		if _, _, err := access.TakeToken(ctx, db, "k", 0, 1, t0); err == nil || err.Error() != `access: rate 0 of "k" is not positive` {
			t.Errorf("a zero rate: %v", err)
		}
		take := func(key string, at time.Time) (bool, float64) {
			t.Helper()
			took, left, err := access.TakeToken(ctx, db, key, 0.5, 3, at) // one every 2 s, three at once
			if err != nil {
				t.Fatal(err)
			}
			return took, left
		}
		for i := range 3 {
			if took, left := take("a", t0); !took || left != float64(2-i) {
				t.Fatalf("take %d: %v %v", i+1, took, left)
			}
		}
		if took, left := take("a", t0.Add(time.Second)); took || left != 0.5 {
			t.Fatalf("fourth take after 1 s: %v %v", took, left)
		}
		if took, left := take("a", t0.Add(2*time.Second)); !took || left != 0 {
			t.Fatalf("take after 2 s: %v %v (the refused take must take nothing)", took, left)
		}
		if took, _ := take("a", t0); took {
			t.Fatal("a take at an earlier time refilled the bucket")
		}
		take("b", t0)
		before := storetest.CountRows(t, db, "rate_buckets")["rate_buckets"]
		// At 3 s, b (2 tokens left at 0 s, full at 2 s) is full; a (empty
		// at 2 s, full at 8 s) is not.
		if err := access.SweepTokens(ctx, db, t0.Add(3*time.Second)); err != nil {
			t.Fatal(err)
		}
		keys, err := store.Strings(ctx, db, `SELECT key FROM rate_buckets ORDER BY key`)
		if err != nil {
			t.Fatal(err)
		}
		if before != 2 || len(keys) != 1 || keys[0] != "a" {
			t.Errorf("%d buckets before the sweep, %v after; want 2, [a]", before, keys)
		}
		if took, left := take("b", t0.Add(3*time.Second)); !took || left != 2 {
			t.Errorf("a swept bucket is not full: %v %v", took, left)
		}
	})
}

// TestCallQuotaAcrossReplicas: a grant's total call quota holds across two
// replicas on PostgreSQL — the calls allowed on both together stop at the
// quota, and the grant's usage counts each call once (at the decision, not
// again by the decision log). On SQLite one decision point counts as
// before, through its log.
func TestCallQuotaAcrossReplicas(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		const quota = 3
		w := accesstest.New(t, db)
		c := &clock{t: time.Now().Add(time.Hour)}
		n := 2
		if db.Dialect == store.SQLite {
			n = 1 // one process serves a SQLite file
		}
		rs := replicas(t, db, w, n, c, access.Config{})
		g := grant(t, rs[0], w, access.NewGrant{GranteeKind: access.GranteeOrganization, GranteeID: w.Requester.ID,
			ResourceIDs: []string{w.Conditional.ID}, Policy: access.Policy{MaxCalls: quota}})
		ctx := context.Background()
		req := access.Request{Subject: w.RequesterMember, ResourceID: w.Conditional.ID, Action: access.ActionRead}
		for i := range quota + 2 {
			d, err := rs[i%n].Decide(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if (i < quota) != d.Allow || (i >= quota && d.Reason != access.ReasonOverQuota) {
				t.Fatalf("call %d on replica %d: %+v", i+1, i%n, d)
			}
		}
		for _, s := range rs {
			if err := s.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
		var calls, denied int64
		if err := db.QueryRowContext(ctx, `SELECT calls, denied FROM grant_usage WHERE grant_id = $1`, g.ID).Scan(&calls, &denied); err != nil {
			t.Fatal(err)
		}
		if calls != quota || denied != 2 {
			t.Errorf("grant usage: %d calls, %d denied; want %d, 2", calls, denied, quota)
		}
	})
}
