package access_test

import (
	"context"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// TestIssuedKeyExpiresAndIsRevokedInTheWorkflowsTransaction: a key a
// workflow issues inside its transaction works once that commits, stops by
// itself at its expiry (also on a decision point that loads it afresh),
// and a key revoked in a workflow's transaction stops at once.
func TestIssuedKeyExpiresAndIsRevokedInTheWorkflowsTransaction(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := accesstest.New(t, db)
		s := newService(t, db, w, access.Config{})
		g := grant(t, s, w, access.NewGrant{GranteeKind: access.GranteeOrganization, GranteeID: w.Requester.ID,
			ResourceIDs: []string{w.Conditional.ID}})
		issue := func(expires time.Time) (string, access.Key) {
			t.Helper()
			var secret string
			var key access.Key
			err := db.Transact(ctx, func(tx *store.Tx) error {
				var err error
				secret, key, err = s.IssueKey(ctx, tx, w.RequesterAdmin.UserID, g.ID, "transfer", expires)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return secret, key
		}
		req := access.Request{Subject: identity.Anonymous, ResourceID: w.Conditional.ID, Action: access.ActionRead}
		read := func(s *access.Service, secret string) access.Decision {
			t.Helper()
			d, err := s.Decide(access.WithClient(ctx, access.Client{IP: "203.0.113.9", Key: secret}), req)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}

		expires := time.Now().Add(1500 * time.Millisecond)
		short, key := issue(expires)
		if key.ExpiresAt == nil || !key.ExpiresAt.Equal(expires.UTC().Truncate(time.Microsecond)) {
			t.Fatalf("issued key = %+v, want expiry %v", key, expires)
		}
		if d := read(s, short); !d.Allow || d.GrantID != g.ID {
			t.Fatalf("read with a fresh key: %+v", d)
		}
		keys, err := s.Keys(ctx, w.RequesterAdmin, g.ID)
		if err != nil || len(keys) != 1 || keys[0].ExpiresAt == nil || !keys[0].ExpiresAt.Equal(*key.ExpiresAt) {
			t.Fatalf("keys = %+v, %v", keys, err)
		}
		time.Sleep(time.Until(expires) + 50*time.Millisecond)
		if d := read(s, short); d.Allow || d.Reason != access.ReasonBadKey {
			t.Errorf("read with an expired key: %+v", d)
		}
		fresh := newService(t, db, w, access.Config{})
		if d := read(fresh, short); d.Allow || d.Reason != access.ReasonBadKey {
			t.Errorf("read with an expired key on a decision point loaded afresh: %+v", d)
		}

		long, key := issue(time.Now().Add(time.Hour))
		if d := read(s, long); !d.Allow {
			t.Fatalf("read with the second key: %+v", d)
		}
		var revoked, again bool
		err = db.Transact(ctx, func(tx *store.Tx) error {
			var err error
			if revoked, err = s.RevokeKeyIn(ctx, tx, w.RequesterAdmin.UserID, g.ID, key.ID); err != nil {
				return err
			}
			again, err = s.RevokeKeyIn(ctx, tx, w.RequesterAdmin.UserID, g.ID, key.ID)
			return err
		})
		if err != nil || !revoked || again {
			t.Fatalf("RevokeKeyIn = %v then %v, %v; want true then false", revoked, again, err)
		}
		if d := read(s, long); d.Allow || d.Reason != access.ReasonBadKey {
			t.Errorf("read with a revoked key: %+v", d)
		}
		evs, err := db.Events(ctx, store.EventFilter{SubjectKind: "grant", SubjectID: g.ID, Type: "grant.key_revoked"})
		if err != nil || len(evs) != 1 {
			t.Errorf("key revocation events = %d, %v; want 1", len(evs), err)
		}
	})
}
