package access_test

import (
	"context"
	"sync"
	"testing"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// TestDenialsUnderAGrantAreObserved: an observer registered with OnDenied
// is told of a read denied under a grant (here its call quota used up),
// with the grant's origin, and of nothing else: not of allowed reads, not
// of denials that no grant decided.
func TestDenialsUnderAGrantAreObserved(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := accesstest.New(t, db)
		s := newService(t, db, w, access.Config{})
		var mu sync.Mutex
		var seen []access.Denial
		s.OnDenied(func(ctx context.Context, d access.Denial) {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, d)
		})
		var g access.Grant
		err := db.Transact(ctx, func(tx *store.Tx) error {
			var err error
			g, err = s.CreateGrant(ctx, tx, w.Operator, access.NewGrant{GranteeKind: access.GranteeOrganization, GranteeID: w.Requester.ID,
				ResourceIDs: []string{w.Conditional.ID}, Purpose: "交通规划研究", Policy: access.Policy{MaxCalls: 1},
				OriginKind: access.OriginContract, OriginID: "urn:uuid:contract-1"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		req := access.Request{Subject: w.RequesterMember, ResourceID: w.Conditional.ID, Action: access.ActionRead}
		if d, err := s.Decide(ctx, req); err != nil || !d.Allow {
			t.Fatalf("first read: %+v %v", d, err)
		}
		if d, _ := s.Decide(ctx, access.Request{Subject: w.Citizen, ResourceID: w.Closed.ID, Action: access.ActionRead}); d.Allow {
			t.Fatalf("a citizen read a closed resource: %+v", d)
		}
		if len(seen) != 0 {
			t.Fatalf("observed %+v before any denial under a grant", seen)
		}
		d, err := s.Decide(ctx, req)
		if err != nil || d.Allow || d.Reason != access.ReasonOverQuota {
			t.Fatalf("second read: %+v %v, want over_quota", d, err)
		}
		if len(seen) != 1 {
			t.Fatalf("observed %d denials, want 1", len(seen))
		}
		got := seen[0]
		if got.DecisionID != d.ID || got.Reason != access.ReasonOverQuota || got.GrantID != g.ID || got.OriginKind != access.OriginContract ||
			got.OriginID != "urn:uuid:contract-1" || got.ResourceID != w.Conditional.ID || got.UserID != w.RequesterMember.UserID || got.At.IsZero() {
			t.Errorf("observed %+v", got)
		}
	})
}
