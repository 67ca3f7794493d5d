package access_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// rowQuotaGrant grants the requesting institution reads of the conditional
// resource under policy p.
func rowQuotaGrant(t *testing.T, s *access.Service, w *accesstest.World, p access.Policy) access.Grant {
	t.Helper()
	return grant(t, s, w, access.NewGrant{GranteeKind: access.GranteeOrganization, GranteeID: w.Requester.ID,
		ResourceIDs: []string{w.Conditional.ID}, Policy: p})
}

// TestRowQuotaReservesWhatIsLeft: a read asking for more rows than a
// grant's total quota has left is allowed that many and no more, what it
// does not serve goes back, and once the quota is used up reads are denied
// with over_quota (on b162710 the first read was allowed all it asked).
func TestRowQuotaReservesWhatIsLeft(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := accesstest.New(t, db)
		s := newService(t, db, w, access.Config{})
		g := rowQuotaGrant(t, s, w, access.Policy{MaxRows: 5})
		req := access.Request{Subject: w.RequesterMember, ResourceID: w.Conditional.ID, Action: access.ActionRead, Rows: 1000}

		d, err := s.Decide(ctx, req)
		if err != nil || !d.Allow {
			t.Fatalf("first read: %+v %v", d, err)
		}
		if got := d.RowLimit(1000); got != 5 || d.Rows != 5 {
			t.Fatalf("first read may serve %d rows (reserved %d), want 5 of the quota", got, d.Rows)
		}
		if err := s.RecordRows(ctx, d, 2); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordRows(ctx, d, 2); err == nil {
			t.Error("the rows of one decision were recorded twice")
		}
		d, err = s.Decide(ctx, req)
		if err != nil || !d.Allow || d.RowLimit(1000) != 3 {
			t.Fatalf("second read: %+v %v, want 3 rows left", d, err)
		}
		if err := s.RecordRows(ctx, d, 3); err != nil {
			t.Fatal(err)
		}
		d, err = s.Decide(ctx, req)
		if err != nil || d.Allow || d.Reason != access.ReasonOverQuota {
			t.Fatalf("read after the quota is used up: %+v %v, want over_quota", d, err)
		}
		// An access check (no rows asked) is answered over_quota too.
		if d, _ := s.Decide(ctx, access.Request{Subject: w.RequesterMember, ResourceID: w.Conditional.ID, Action: access.ActionRead}); d.Reason != access.ReasonOverQuota {
			t.Errorf("check after the quota is used up: %+v", d)
		}
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		// The store holds what was served, for this process and the next.
		fresh := newService(t, db, w, access.Config{})
		stored, err := fresh.Grant(ctx, w.ProviderAdmin, g.ID)
		if err != nil || stored.Usage.Rows != 5 || stored.Usage.Calls != 2 {
			t.Errorf("stored usage %+v (%v), want 5 rows in 2 calls", stored.Usage, err)
		}
		if d, _ := fresh.Decide(ctx, req); d.Reason != access.ReasonOverQuota {
			t.Errorf("a fresh process allowed a read past the quota: %+v", d)
		}
	})
}

// TestRowQuotaUnusedReservationReturns: a reservation released unused
// (a failed read) leaves the quota as it was.
func TestRowQuotaUnusedReservationReturns(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := accesstest.New(t, db)
		s := newService(t, db, w, access.Config{})
		g := rowQuotaGrant(t, s, w, access.Policy{MaxRows: 10})
		req := access.Request{Subject: w.RequesterMember, ResourceID: w.Conditional.ID, Action: access.ActionRead, Rows: 10}
		d, _ := s.Decide(ctx, req)
		if other, _ := s.Decide(ctx, req); other.Reason != access.ReasonOverQuota {
			t.Fatalf("a second read while the first holds the whole quota: %+v", other)
		}
		if err := s.RecordRows(ctx, d, 0); err != nil {
			t.Fatal(err)
		}
		d, _ = s.Decide(ctx, req)
		if !d.Allow || d.RowLimit(10) != 10 {
			t.Fatalf("after the release: %+v", d)
		}
		s.RecordRows(ctx, d, 4)
		got, _ := s.Grant(ctx, w.ProviderAdmin, g.ID)
		if got.Usage.Rows != 4 {
			t.Errorf("usage %d rows, want 4", got.Usage.Rows)
		}
	})
}

// TestRowsPerRequest: a grant's rows per request caps each response,
// with or without a total quota.
func TestRowsPerRequest(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := accesstest.New(t, db)
		s := newService(t, db, w, access.Config{})
		rowQuotaGrant(t, s, w, access.Policy{RowsPerRequest: 7})
		req := access.Request{Subject: w.RequesterMember, ResourceID: w.Conditional.ID, Action: access.ActionRead, Rows: 1000}
		d, _ := s.Decide(ctx, req)
		if !d.Allow || d.RowLimit(1000) != 7 || d.RowLimit(3) != 3 || d.QuotaApplies() {
			t.Fatalf("rows per request alone: %+v, limit %d", d, d.RowLimit(1000))
		}
		s.RecordRows(ctx, d, 7)

		w2 := accesstest.New(t, storetest.Open(t, db.Dialect))
		s2 := newService(t, w2.DB, w2, access.Config{})
		rowQuotaGrant(t, s2, w2, access.Policy{RowsPerRequest: 7, MaxRows: 10})
		req.Subject, req.ResourceID = w2.RequesterMember, w2.Conditional.ID
		for _, want := range []int64{7, 3} {
			d, _ := s2.Decide(ctx, req)
			if !d.Allow || d.RowLimit(1000) != want {
				t.Fatalf("rows per request under a quota: %+v, limit %d, want %d", d, d.RowLimit(1000), want)
			}
			s2.RecordRows(ctx, d, want)
		}
	})
}

// TestRowQuotaHoldsUnderConcurrency: twenty readers on each of two
// replicas (two decision points on one store) never serve more rows
// together than the grant's quota, and what they served is what is
// counted.
func TestRowQuotaHoldsUnderConcurrency(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := accesstest.New(t, db)
		replicas := []*access.Service{newService(t, db, w, access.Config{}), newService(t, db, w, access.Config{})}
		const quota = 50
		g := rowQuotaGrant(t, replicas[0], w, access.Policy{MaxRows: quota})
		if err := replicas[1].Refresh(ctx, g.ID); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var served, denied int64
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := replicas[i%2]
				for range 5 {
					d, err := s.Decide(ctx, access.Request{Subject: w.RequesterMember, ResourceID: w.Conditional.ID,
						Action: access.ActionRead, Rows: int64(1 + i%4)})
					if err != nil {
						t.Error(err)
						return
					}
					if !d.Allow {
						if d.Reason != access.ReasonOverQuota {
							t.Errorf("denied %s, want over_quota", d.Reason)
						}
						mu.Lock()
						denied++
						mu.Unlock()
						continue
					}
					n := d.RowLimit(int64(1 + i%4))
					if i%3 == 0 {
						n = max(n-1, 0) // served fewer than reserved: the rest goes back
					}
					mu.Lock()
					served += n
					mu.Unlock()
					if err := s.RecordRows(ctx, d, n); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		if served > quota || served < quota/2 || denied == 0 {
			t.Fatalf("served %d rows (quota %d), %d reads denied", served, quota, denied)
		}
		for _, s := range replicas {
			if err := s.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
		var stored int64
		if err := db.QueryRowContext(ctx, `SELECT rows_served FROM grant_usage WHERE grant_id = $1`, g.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if stored != served {
			t.Errorf("stored %d rows served, served %d", stored, served)
		}
	})
}

// TestRowQuotaDenialIsLogged: a read refused because the quota is used up
// is a logged denial, and errors.Is(ErrDenied).
func TestRowQuotaDenialIsLogged(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := accesstest.New(t, db)
		s := newService(t, db, w, access.Config{})
		g := rowQuotaGrant(t, s, w, access.Policy{MaxRows: 1})
		req := access.Request{Subject: w.RequesterMember, ResourceID: w.Conditional.ID, Action: access.ActionRead, Rows: 1}
		d, _ := s.Decide(ctx, req)
		first := d
		d, _ = s.Decide(ctx, req) // the first still holds the only row
		if !errors.Is(d.Err(), access.ErrDenied) || d.Reason != access.ReasonOverQuota {
			t.Fatalf("second read: %+v", d)
		}
		s.RecordRows(ctx, first, 1)
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		var reason string
		db.QueryRowContext(ctx, `SELECT reason FROM access_decisions WHERE id = $1`, d.ID).Scan(&reason)
		stored, _ := s.Grant(ctx, w.ProviderAdmin, g.ID)
		if reason != access.ReasonOverQuota || stored.Usage.Denied != 1 || stored.Usage.Calls != 1 {
			t.Errorf("logged %q, usage %+v: want the denial logged and counted, one call", reason, stored.Usage)
		}
	})
}
