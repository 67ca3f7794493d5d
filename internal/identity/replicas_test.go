package identity_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// TestSessionsTokensAndKeysAcrossReplicas: two Services on one database
// (two replicas) see each other's sessions and API tokens at once, a
// sign-out or revocation on one holds on the other, and both derive the
// browser's CSRF tokens from the same server key, even when they create it
// at the same moment.
func TestSessionsTokensAndKeysAcrossReplicas(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		a, b := f.svc, identity.NewService(db)

		session, err := a.CreateSession(ctx, f.editorA)
		if err != nil {
			t.Fatal(err)
		}
		if p, err := b.SessionPrincipal(ctx, session); err != nil || p.UserID != f.editorA.UserID {
			t.Fatalf("a session started on one replica, on the other: %+v %v", p, err)
		}
		if err := b.EndSession(ctx, session); err != nil {
			t.Fatal(err)
		}
		if _, err := a.SessionPrincipal(ctx, session); !errors.Is(err, identity.ErrUnauthenticated) {
			t.Fatalf("a session ended on the other replica: %v", err)
		}

		secret, tok, err := a.CreateToken(ctx, f.editorA, f.editorA.UserID, "etl", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if p, err := b.TokenPrincipal(ctx, secret); err != nil || p.UserID != f.editorA.UserID {
			t.Fatalf("a token created on one replica, on the other: %+v %v", p, err)
		}
		if err := b.RevokeToken(ctx, f.editorA, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := a.TokenPrincipal(ctx, secret); !errors.Is(err, identity.ErrUnauthenticated) {
			t.Fatalf("a token revoked on the other replica: %v", err)
		}

		var keys [2][]byte
		var errs [2]error
		var wg sync.WaitGroup
		for i, s := range []*identity.Service{a, b} {
			wg.Go(func() { keys[i], errs[i] = s.ServerKey(ctx, "ui-form-tokens") })
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil || len(keys[0]) != 32 || !bytes.Equal(keys[0], keys[1]) {
			t.Fatalf("the form key on two replicas: %x %x (%v %v)", keys[0], keys[1], errs[0], errs[1])
		}
	})
}

// TestSignInThrottleAcrossReplicas: failed sign-ins spread over two
// replicas on PostgreSQL throttle the guessing address on both; on SQLite
// each process counts its own.
func TestSignInThrottleAcrossReplicas(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		rs := []*identity.Service{f.svc, identity.NewService(db)}
		const free = 5 // failures a (username, address) pair has free
		for i := range free {
			if _, err := rs[i%2].Authenticate(ctx, "editor-a", "wrong password", "192.0.2.50"); !errors.Is(err, identity.ErrBadCredentials) {
				t.Fatalf("failure %d: %v", i+1, err)
			}
		}
		for i, s := range rs {
			_, err := s.Authenticate(ctx, "editor-a", testPassword, "192.0.2.50")
			var te *identity.ThrottledError
			throttled := errors.As(err, &te) && te.Wait > 0
			if want := db.Dialect == store.Postgres; throttled != want {
				t.Errorf("replica %d after %d failures over two replicas: %v (throttled %v, want %v)", i+1, free, err, throttled, want)
			}
		}
	})
}
