package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"dataport/internal/store"
	"dataport/internal/validate"
)

func randomSecret() string {
	b := make([]byte, 20)
	rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

func secretHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CreateSession starts a browser session for p and returns its secret, to be
// sent as a cookie. Only the secret's hash is stored.
func (s *Service) CreateSession(ctx context.Context, p Principal) (string, error) {
	secret := randomSecret()
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES ($1,$2,$3,$4)`,
			secretHash(secret), p.UserID, store.TS(tx.Now()), store.TS(tx.Now().Add(s.SessionTTL)))
		if err != nil {
			return err
		}
		return tx.Emit(ctx, store.Event{Type: "user.signed_in", ActorUserID: p.UserID, SubjectKind: "user", SubjectID: p.UserID}, nil)
	})
	return secret, err
}

// SessionPrincipal returns who holds the session secret, or ErrUnauthenticated
// when it is unknown or expired.
func (s *Service) SessionPrincipal(ctx context.Context, secret string) (Principal, error) {
	var userID string
	var expires time.Time
	err := s.db.QueryRowContext(ctx, `SELECT user_id, expires_at FROM sessions WHERE id_hash = $1`, secretHash(secret)).
		Scan(&userID, store.ScanTime(&expires))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && time.Now().After(expires)) {
		return Anonymous, ErrUnauthenticated
	} else if err != nil {
		return Anonymous, err
	}
	return s.Principal(ctx, userID)
}

// EndSession signs the session out.
func (s *Service) EndSession(ctx context.Context, secret string) error {
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		var userID string
		err := tx.QueryRowContext(ctx, `DELETE FROM sessions WHERE id_hash = $1 RETURNING user_id`, secretHash(secret)).Scan(&userID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return err
		}
		return tx.Emit(ctx, store.Event{Type: "user.signed_out", ActorUserID: userID, SubjectKind: "user", SubjectID: userID}, nil)
	})
}

// Token is an API token's record; the secret itself is shown once, at creation.
type Token struct {
	ID         string     `json:"id"`
	UserID     string     `json:"user_id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// TokenPrefix starts every API token so that leaked tokens are easy to find.
const TokenPrefix = "dp_"

// MaxTokenTTL bounds how long a token may live.
const MaxTokenTTL = 366 * 24 * time.Hour

// CreateToken issues a named API token for user userID that expires after ttl.
// Users create their own; sysadmins may create any user's. It returns the
// secret (shown once) and the stored record (which holds only a hash).
func (s *Service) CreateToken(ctx context.Context, actor Principal, userID, name string, ttl time.Duration) (string, Token, error) {
	if actor.UserID != userID && !CanManageUsers(actor) {
		return "", Token{}, ErrForbidden
	}
	name = strings.TrimSpace(name)
	var errs validate.Errors
	errs.Required("name", name)
	errs.MaxLen("name", name, 100)
	if ttl <= 0 || ttl > MaxTokenTTL {
		errs.Add("expires_in_days", int(ttl.Hours()/24), "range_days", "must be between %d and %d days", 1, 366)
	}
	if err := errs.Err(); err != nil {
		return "", Token{}, err
	}
	secret := TokenPrefix + randomSecret()
	t := Token{ID: store.NewID(), UserID: userID, Name: name, Prefix: secret[:len(TokenPrefix)+6]}
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		if _, err := s.userByID(ctx, tx, userID); err != nil {
			return err
		}
		t.CreatedAt, t.ExpiresAt = tx.Now(), tx.Now().Add(ttl)
		_, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (id, user_id, name, token_hash, prefix, created_at, expires_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7)`, t.ID, userID, name, secretHash(secret), t.Prefix, store.TS(t.CreatedAt), store.TS(t.ExpiresAt))
		if err != nil {
			return err
		}
		return tx.Emit(ctx, store.Event{Type: "token.created", ActorUserID: actor.UserID, SubjectKind: "token", SubjectID: t.ID},
			map[string]string{"user_id": userID, "expires_at": store.TS(t.ExpiresAt)})
	})
	if err != nil {
		return "", Token{}, err
	}
	return secret, t, nil
}

// Tokens lists a user's tokens, newest first.
func (s *Service) Tokens(ctx context.Context, actor Principal, userID string) ([]Token, error) {
	if actor.UserID != userID && !CanManageUsers(actor) {
		return nil, ErrForbidden
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, user_id, name, prefix, created_at, expires_at, revoked_at, last_used_at
		FROM api_tokens WHERE user_id = $1 ORDER BY id DESC`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Token{}
	for rows.Next() {
		var t Token
		var revoked, used time.Time
		if err := rows.Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, store.ScanTime(&t.CreatedAt), store.ScanTime(&t.ExpiresAt),
			store.ScanTime(&revoked), store.ScanTime(&used)); err != nil {
			return nil, err
		}
		if !revoked.IsZero() {
			t.RevokedAt = &revoked
		}
		if !used.IsZero() {
			t.LastUsedAt = &used
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes a token; it stops working on the next request.
func (s *Service) RevokeToken(ctx context.Context, actor Principal, tokenID string) error {
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		var owner string
		err := tx.QueryRowContext(ctx, `SELECT user_id FROM api_tokens WHERE id = $1`, tokenID).Scan(&owner)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("token %q: %w", tokenID, store.ErrNotFound)
		} else if err != nil {
			return err
		}
		if owner != actor.UserID && !CanManageUsers(actor) {
			return fmt.Errorf("token %q: %w", tokenID, store.ErrNotFound) // do not reveal others' tokens
		}
		res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL`, tokenID, store.TS(tx.Now()))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // already revoked, perhaps concurrently: nothing to record
		}
		return tx.Emit(ctx, store.Event{Type: "token.revoked", ActorUserID: actor.UserID, SubjectKind: "token", SubjectID: tokenID}, nil)
	})
}

// TokenPrincipal returns who holds an API token, or ErrUnauthenticated when
// it is unknown, expired or revoked.
func (s *Service) TokenPrincipal(ctx context.Context, secret string) (Principal, error) {
	if !strings.HasPrefix(secret, TokenPrefix) {
		return Anonymous, ErrUnauthenticated
	}
	var id, userID string
	var expires, revoked, used time.Time
	err := s.db.QueryRowContext(ctx, `SELECT id, user_id, expires_at, revoked_at, last_used_at FROM api_tokens WHERE token_hash = $1`,
		secretHash(secret)).Scan(&id, &userID, store.ScanTime(&expires), store.ScanTime(&revoked), store.ScanTime(&used))
	if errors.Is(err, sql.ErrNoRows) {
		return Anonymous, ErrUnauthenticated
	} else if err != nil {
		return Anonymous, err
	}
	now := time.Now()
	if !revoked.IsZero() || now.After(expires) {
		return Anonymous, ErrUnauthenticated
	}
	if now.Sub(used) > time.Minute { // coarse last-use tracking, not a write per request
		s.db.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $2 WHERE id = $1`, id, store.TS(now))
	}
	return s.Principal(ctx, userID)
}

// TokenOwner returns the id of the user an API token belongs to (never the
// secret), for deciding who may see what happened to the token.
func (s *Service) TokenOwner(ctx context.Context, tokenID string) (string, error) {
	var owner string
	err := s.db.QueryRowContext(ctx, `SELECT user_id FROM api_tokens WHERE id = $1`, tokenID).Scan(&owner)
	return owner, notFound(err, "token", tokenID)
}
