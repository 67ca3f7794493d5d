package identity_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"github.com/google/go-cmp/cmp"
)

// tableHolds reports whether any column of any row of table holds s.
func tableHolds(t *testing.T, db *store.DB, table, s string) bool {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), "SELECT * FROM "+table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		n++
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			if strings.Contains(fmt.Sprint(v), s) {
				return true
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatalf("table %s is empty: nothing to search", table)
	}
	return false
}

func TestSessions(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		p, err := f.svc.Authenticate(ctx, "editor-a", testPassword, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		secret, err := f.svc.CreateSession(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if len(secret) < 32 {
			t.Errorf("session secret %q is too short to resist guessing", secret)
		}
		if tableHolds(t, db, "sessions", secret) {
			t.Error("the sessions table holds the session secret in clear")
		}
		other, err := f.svc.CreateSession(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if other == secret {
			t.Fatal("two sessions got the same secret")
		}

		got, err := f.svc.SessionPrincipal(ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(p, got); diff != "" {
			t.Errorf("session principal (-want +got):\n%s", diff)
		}
		for _, bad := range []string{"", "not-a-session", strings.ToUpper(secret), secret + "x"} {
			if _, err := f.svc.SessionPrincipal(ctx, bad); !errors.Is(err, identity.ErrUnauthenticated) {
				t.Errorf("SessionPrincipal(%q) error = %v, want ErrUnauthenticated", bad, err)
			}
		}

		if err := f.svc.EndSession(ctx, secret); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SessionPrincipal(ctx, secret); !errors.Is(err, identity.ErrUnauthenticated) {
			t.Errorf("ended session: error = %v, want ErrUnauthenticated", err)
		}
		if _, err := f.svc.SessionPrincipal(ctx, other); err != nil {
			t.Errorf("ending one session ended the other: %v", err)
		}
		before := countRows(t, db, identityTables...)
		if err := f.svc.EndSession(ctx, secret); err != nil {
			t.Errorf("ending an ended session: %v", err)
		}
		assertUnchanged(t, db, before)

		want := []string{"user.created", "user.signed_in", "user.signed_in", "user.signed_out"}
		if diff := cmp.Diff(want, eventTypes(t, db, "user", p.UserID)); diff != "" {
			t.Errorf("events (-want +got):\n%s", diff)
		}
	})
}

func TestSessionExpires(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		secret, err := f.svc.CreateSession(ctx, f.adminA)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `UPDATE sessions SET expires_at = $1`, store.TS(time.Now().Add(-time.Second))); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SessionPrincipal(ctx, secret); !errors.Is(err, identity.ErrUnauthenticated) {
			t.Errorf("expired session: error = %v, want ErrUnauthenticated", err)
		}
	})
}

func TestSessionOfDisabledUser(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		secret, err := f.svc.CreateSession(ctx, f.adminA)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `UPDATE users SET disabled = $1 WHERE id = $2`, true, f.adminA.UserID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.SessionPrincipal(ctx, secret); !errors.Is(err, identity.ErrUnauthenticated) {
			t.Errorf("session of a disabled user: error = %v, want ErrUnauthenticated", err)
		}
	})
}

func TestTokens(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		owner := f.editorA
		secret, tok, err := f.svc.CreateToken(ctx, owner, owner.UserID, " harvester ", 30*24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, identity.TokenPrefix) || !strings.HasPrefix(secret, "dp_") || len(secret) < 30 {
			t.Errorf("token secret = %q, want a long secret starting dp_", secret)
		}
		if tok.Name != "harvester" || tok.UserID != owner.UserID || !strings.HasPrefix(secret, tok.Prefix) || len(tok.Prefix) >= len(secret)/2 {
			t.Errorf("token record = %+v", tok)
		}
		if d := tok.ExpiresAt.Sub(tok.CreatedAt); d != 30*24*time.Hour {
			t.Errorf("token lives %v, want 30 days", d)
		}
		for _, part := range []string{secret, strings.TrimPrefix(secret, identity.TokenPrefix)} {
			if tableHolds(t, db, "api_tokens", part) {
				t.Errorf("api_tokens holds the secret %q in clear", part)
			}
			if tableHolds(t, db, "events", part) {
				t.Errorf("events hold the secret %q", part)
			}
		}

		t.Run("the token signs in", func(t *testing.T) {
			p, err := f.svc.TokenPrincipal(ctx, secret)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(owner, p); diff != "" {
				t.Errorf("token principal (-want +got):\n%s", diff)
			}
			toks, err := f.svc.Tokens(ctx, owner, owner.UserID)
			if err != nil {
				t.Fatal(err)
			}
			if len(toks) != 1 || toks[0].ID != tok.ID || toks[0].LastUsedAt == nil || toks[0].RevokedAt != nil {
				t.Errorf("tokens after use = %+v, want the one token with a last use", toks)
			}
		})
		t.Run("wrong secrets do not", func(t *testing.T) {
			for _, bad := range []string{"", strings.TrimPrefix(secret, identity.TokenPrefix), secret + "0", "dp_" + strings.Repeat("a", 32), strings.ToUpper(secret)} {
				if _, err := f.svc.TokenPrincipal(ctx, bad); !errors.Is(err, identity.ErrUnauthenticated) {
					t.Errorf("TokenPrincipal(%q) error = %v, want ErrUnauthenticated", bad, err)
				}
			}
		})
		t.Run("others may not list or revoke it", func(t *testing.T) {
			if _, err := f.svc.Tokens(ctx, f.adminA, owner.UserID); !errors.Is(err, identity.ErrForbidden) {
				t.Errorf("admin listing a member's tokens: error = %v, want ErrForbidden", err)
			}
			for _, other := range []identity.Principal{f.adminA, f.memberA, f.operator, identity.Anonymous} {
				before := countRows(t, db, identityTables...)
				if err := f.svc.RevokeToken(ctx, other, tok.ID); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("%s revoking another's token: error = %v, want store.ErrNotFound", other.Username, err)
				}
				assertUnchanged(t, db, before)
			}
			if _, err := f.svc.TokenPrincipal(ctx, secret); err != nil {
				t.Errorf("token stopped working after refused revocations: %v", err)
			}
		})
		t.Run("the owner revokes it", func(t *testing.T) {
			if err := f.svc.RevokeToken(ctx, owner, tok.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.TokenPrincipal(ctx, secret); !errors.Is(err, identity.ErrUnauthenticated) {
				t.Errorf("revoked token: error = %v, want ErrUnauthenticated", err)
			}
			before := countRows(t, db, identityTables...)
			if err := f.svc.RevokeToken(ctx, owner, tok.ID); err != nil {
				t.Errorf("revoking twice: %v", err)
			}
			assertUnchanged(t, db, before)
			toks, err := f.svc.Tokens(ctx, owner, owner.UserID)
			if err != nil {
				t.Fatal(err)
			}
			if len(toks) != 1 || toks[0].RevokedAt == nil {
				t.Errorf("tokens after revocation = %+v, want one revoked token", toks)
			}
		})
		if err := f.svc.RevokeToken(ctx, owner, "no-such-token"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("revoking a missing token: error = %v, want store.ErrNotFound", err)
		}
		if diff := cmp.Diff([]string{"token.created", "token.revoked"}, eventTypes(t, db, "token", tok.ID)); diff != "" {
			t.Errorf("token events (-want +got):\n%s", diff)
		}
	})
}

func TestTokenExpires(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		secret, tok, err := f.svc.CreateToken(ctx, f.memberA, f.memberA.UserID, "short-lived", 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.TokenPrincipal(ctx, secret); err != nil {
			t.Fatalf("fresh token: %v", err)
		}
		if _, err := db.ExecContext(ctx, `UPDATE api_tokens SET expires_at = $1 WHERE id = $2`, store.TS(time.Now().Add(-time.Minute)), tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.TokenPrincipal(ctx, secret); !errors.Is(err, identity.ErrUnauthenticated) {
			t.Errorf("expired token: error = %v, want ErrUnauthenticated", err)
		}
	})
}

func TestCreateToken(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		day := 24 * time.Hour
		tests := []struct {
			name    string
			actor   identity.Principal
			user    string
			tokName string
			ttl     time.Duration
			wantErr error
			fields  []string
		}{
			{name: "own token for one day", actor: f.memberA, user: f.memberA.UserID, tokName: "cli", ttl: day},
			{name: "own token for 366 days", actor: f.memberA, user: f.memberA.UserID, tokName: "cli", ttl: identity.MaxTokenTTL},
			{name: "sysadmin for another user", actor: f.sysadmin, user: f.memberA.UserID, tokName: "ops", ttl: day},
			{name: "another user's token", actor: f.adminA, user: f.memberA.UserID, tokName: "x", ttl: day, wantErr: identity.ErrForbidden},
			{name: "anonymous", actor: identity.Anonymous, user: f.memberA.UserID, tokName: "x", ttl: day, wantErr: identity.ErrForbidden},
			{name: "zero ttl", actor: f.memberA, user: f.memberA.UserID, tokName: "x", ttl: 0, fields: []string{"expires_in_days"}},
			{name: "negative ttl", actor: f.memberA, user: f.memberA.UserID, tokName: "x", ttl: -day, fields: []string{"expires_in_days"}},
			{name: "367 days", actor: f.memberA, user: f.memberA.UserID, tokName: "x", ttl: identity.MaxTokenTTL + day, fields: []string{"expires_in_days"}},
			{name: "no name", actor: f.memberA, user: f.memberA.UserID, tokName: "  ", ttl: day, fields: []string{"name"}},
			{name: "name too long", actor: f.memberA, user: f.memberA.UserID, tokName: strings.Repeat("n", 101), ttl: day, fields: []string{"name"}},
			{name: "no name, bad ttl", actor: f.memberA, user: f.memberA.UserID, ttl: 400 * day, fields: []string{"name", "expires_in_days"}},
			{name: "unknown user", actor: f.sysadmin, user: "no-such-user", tokName: "x", ttl: day, wantErr: store.ErrNotFound},
		}
		for _, test := range tests {
			t.Run(test.name, func(t *testing.T) {
				before := countRows(t, db, identityTables...)
				secret, tok, err := f.svc.CreateToken(ctx, test.actor, test.user, test.tokName, test.ttl)
				if test.wantErr == nil && test.fields == nil {
					if err != nil {
						t.Fatal(err)
					}
					p, err := f.svc.TokenPrincipal(ctx, secret)
					if err != nil || p.UserID != test.user {
						t.Errorf("TokenPrincipal = %s, %v; want %s", p.UserID, err, test.user)
					}
					if ev := lastEvent(t, db, "token", tok.ID); ev.Type != "token.created" || ev.ActorUserID != test.actor.UserID {
						t.Errorf("event = %s by %s, want token.created by %s", ev.Type, ev.ActorUserID, test.actor.UserID)
					}
					return
				}
				if secret != "" || tok.ID != "" {
					t.Errorf("refused token returned secret %q and record %+v", secret, tok)
				}
				if test.wantErr != nil && !errors.Is(err, test.wantErr) {
					t.Errorf("error = %v, want %v", err, test.wantErr)
				}
				if test.fields != nil {
					if diff := cmp.Diff(test.fields, errorFields(t, err)); diff != "" {
						t.Errorf("fields (-want +got):\n%s", diff)
					}
				}
				assertUnchanged(t, db, before)
			})
		}
	})
}
