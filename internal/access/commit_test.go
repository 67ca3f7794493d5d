package access_test

import (
	"context"
	"errors"
	"testing"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// TestGrantTakesEffectAtCommit: a grant a workflow creates inside its own
// transaction allows reads as soon as that transaction has committed,
// without the caller refreshing anything and without the event watcher
// (not started here); not while the transaction is open, and never when it
// rolls back.
func TestGrantTakesEffectAtCommit(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := accesstest.New(t, db)
		s := newService(t, db, w, access.Config{})
		decide := func() access.Decision {
			t.Helper()
			d, err := s.Decide(ctx, access.Request{Subject: w.RequesterAdmin, ResourceID: w.Conditional.ID, Action: access.ActionRead})
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		if decide().Allow {
			t.Fatal("allowed before any grant")
		}
		ng := access.NewGrant{GranteeKind: access.GranteeOrganization, GranteeID: w.Requester.ID, ResourceIDs: []string{w.Conditional.ID},
			Purpose: "交通规划研究", OriginKind: access.OriginShareRequest, OriginID: store.NewID()}

		boom := errors.New("the workflow failed after granting")
		err := db.Transact(ctx, func(tx *store.Tx) error {
			if _, err := s.CreateGrant(ctx, tx, w.Operator, ng); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("rolled-back transaction: %v", err)
		}
		if d := decide(); d.Allow {
			t.Errorf("a rolled-back grant allows: %+v", d)
		}

		var g access.Grant
		err = db.Transact(ctx, func(tx *store.Tx) error {
			var err error
			if g, err = s.CreateGrant(ctx, tx, w.Operator, ng); err != nil {
				return err
			}
			if d := decide(); d.Allow {
				t.Errorf("the grant allows before its transaction commits: %+v", d)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if d := decide(); !d.Allow || d.GrantID != g.ID {
			t.Errorf("right after commit: %+v, want allowed under grant %s", d, g.ID)
		}
	})
}
