package identity

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"dataport/internal/store"
	"dataport/internal/validate"
)

// An account's lifecycle after creation: sysadmins disable and enable it,
// set its platform roles and end its sessions and tokens. Each change is one
// transaction with its event, and holds from the user's next request, since
// every request loads the principal afresh. The platform always keeps one
// enabled sysadmin (ErrLastSysadmin).

// UserFilter selects users for sysadmins. Q matches part of the username or
// display name; After is a keyset cursor (the last username seen).
type UserFilter struct {
	Q     string
	After string
	Limit int
}

// Users lists users by username, at most f.Limit of them. Only sysadmins may.
func (s *Service) Users(ctx context.Context, actor Principal, f UserFilter) ([]User, error) {
	if !CanManageUsers(actor) {
		return nil, ErrForbidden
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 500
	}
	q := strings.ToLower(strings.TrimSpace(f.Q))
	ids, err := store.Strings(ctx, s.db, `SELECT id FROM users
		WHERE ($1 = '' OR username > $1) AND ($2 = '' OR username LIKE $3 OR lower(display_name) LIKE $3)
		ORDER BY username LIMIT $4`, f.After, q, "%"+q+"%", f.Limit)
	if err != nil {
		return nil, err
	}
	out := make([]User, 0, len(ids))
	for _, id := range ids {
		u, err := s.userByID(ctx, s.db, id)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// AccessEnded counts what a change ended: browser sessions signed out, API
// tokens revoked and the grant keys the user had made.
type AccessEnded struct {
	Sessions  int `json:"sessions_ended"`
	Tokens    int `json:"tokens_revoked"`
	GrantKeys int `json:"grant_keys_revoked"` // keys of data grants the user created
}

// DisableUser disables an account: it cannot sign in, and its sessions end
// and its tokens are revoked at once, so nothing of it works from the next
// request on. Enabling it again restores sign-in only; new tokens are
// needed. Only sysadmins may; the last enabled sysadmin cannot be disabled.
func (s *Service) DisableUser(ctx context.Context, actor Principal, userID string) (AccessEnded, error) {
	if !CanManageUsers(actor) {
		return AccessEnded{}, ErrForbidden
	}
	var ended AccessEnded
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		u, err := s.userByID(ctx, tx, userID)
		if err != nil || u.Disabled {
			return err // already disabled: nothing to do
		}
		if slices.Contains(u.PlatformRoles, PlatformSysadmin) {
			if err := keepASysadmin(ctx, tx, userID); err != nil {
				return err
			}
		}
		if err := setDisabled(ctx, tx, userID, true); err != nil {
			return err
		}
		if ended, err = endAccess(ctx, tx, actor, userID, "", true, "user.disabled"); err != nil {
			return err
		}
		return tx.Emit(ctx, store.Event{Type: "user.disabled", ActorUserID: actor.UserID, SubjectKind: "user", SubjectID: userID}, ended)
	})
	return ended, err
}

// EnableUser lets a disabled account sign in again. Only sysadmins may.
func (s *Service) EnableUser(ctx context.Context, actor Principal, userID string) error {
	if !CanManageUsers(actor) {
		return ErrForbidden
	}
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		u, err := s.userByID(ctx, tx, userID)
		if err != nil || !u.Disabled {
			return err
		}
		if err := setDisabled(ctx, tx, userID, false); err != nil {
			return err
		}
		return tx.Emit(ctx, store.Event{Type: "user.enabled", ActorUserID: actor.UserID, SubjectKind: "user", SubjectID: userID}, nil)
	})
}

func setDisabled(ctx context.Context, tx *store.Tx, userID string, disabled bool) error {
	_, err := tx.ExecContext(ctx, `UPDATE users SET disabled = $2, updated_at = $3 WHERE id = $1`, userID, disabled, store.TS(tx.Now()))
	return err
}

// SetPlatformRoles replaces a user's platform roles. Only sysadmins may; the
// platform's last enabled sysadmin keeps the role.
func (s *Service) SetPlatformRoles(ctx context.Context, actor Principal, userID string, roles []PlatformRole) error {
	if !CanManageUsers(actor) {
		return ErrForbidden
	}
	var errs validate.Errors
	for i, r := range roles {
		validate.OneOf(&errs, fmt.Sprintf("platform_roles[%d]", i), r, PlatformRoles...)
	}
	if err := errs.Err(); err != nil {
		return err
	}
	roles = slices.Compact(slices.Sorted(slices.Values(roles)))
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		u, err := s.userByID(ctx, tx, userID)
		if err != nil {
			return err
		}
		if slices.Equal(u.PlatformRoles, roles) {
			return nil
		}
		if slices.Contains(u.PlatformRoles, PlatformSysadmin) && !slices.Contains(roles, PlatformSysadmin) {
			if err := keepASysadmin(ctx, tx, userID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_platform_roles WHERE user_id = $1`, userID); err != nil {
			return err
		}
		for _, r := range roles {
			if _, err := tx.ExecContext(ctx, `INSERT INTO user_platform_roles (user_id, role) VALUES ($1,$2)`, userID, r); err != nil {
				return err
			}
		}
		return tx.Emit(ctx, store.Event{Type: "user.platform_roles_set", ActorUserID: actor.UserID, SubjectKind: "user", SubjectID: userID},
			map[string][]PlatformRole{"platform_roles": roles, "previous": u.PlatformRoles})
	})
}

// RevokeAccess signs a user out of every session and revokes every API
// token of theirs; they stop working on the next request. Only sysadmins may.
func (s *Service) RevokeAccess(ctx context.Context, actor Principal, userID string) (AccessEnded, error) {
	if !CanManageUsers(actor) {
		return AccessEnded{}, ErrForbidden
	}
	var ended AccessEnded
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		if _, err := s.userByID(ctx, tx, userID); err != nil {
			return err
		}
		var err error
		if ended, err = endAccess(ctx, tx, actor, userID, "", true, "user.access_revoked"); err != nil {
			return err
		}
		return tx.Emit(ctx, store.Event{Type: "user.access_revoked", ActorUserID: actor.UserID, SubjectKind: "user", SubjectID: userID}, ended)
	})
	return ended, err
}

// endAccess deletes userID's sessions but the one whose secret is keep and,
// with tokens, revokes their API tokens, each with its token.revoked event
// naming the change that caused it.
func endAccess(ctx context.Context, tx *store.Tx, actor Principal, userID, keep string, tokens bool, cause string) (AccessEnded, error) {
	var ended AccessEnded
	keepHash := ""
	if keep != "" {
		keepHash = secretHash(keep)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2`, userID, keepHash)
	if err != nil {
		return ended, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return ended, err
	}
	ended.Sessions = int(n)
	if !tokens {
		return ended, nil
	}
	ids, err := store.Strings(ctx, tx, `SELECT id FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL ORDER BY id`, userID)
	if err != nil {
		return ended, err
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $2 WHERE id = $1`, id, store.TS(tx.Now())); err != nil {
			return ended, err
		}
		err := tx.Emit(ctx, store.Event{Type: "token.revoked", ActorUserID: actor.UserID, SubjectKind: "token", SubjectID: id},
			map[string]string{"user_id": userID, "cause": cause})
		if err != nil {
			return ended, err
		}
	}
	ended.Tokens = len(ids)
	keys, err := revokeGrantKeys(ctx, tx, actor, userID, cause)
	ended.GrantKeys = keys
	return ended, err
}

// revokeGrantKeys revokes the grants' API keys userID created, with the
// grant.key_revoked event the access decision point follows for each (it
// reloads the grant within its watch interval, 200 ms by default).
func revokeGrantKeys(ctx context.Context, tx *store.Tx, actor Principal, userID, cause string) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, grant_id FROM grant_keys WHERE created_by = $1 AND revoked_at IS NULL ORDER BY id`, userID)
	if err != nil {
		return 0, err
	}
	var keys [][2]string
	for rows.Next() {
		var k [2]string
		if err := rows.Scan(&k[0], &k[1]); err != nil {
			rows.Close()
			return 0, err
		}
		keys = append(keys, k)
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, `UPDATE grant_keys SET revoked_at = $2 WHERE id = $1`, k[0], store.TS(tx.Now())); err != nil {
			return 0, err
		}
		err := tx.Emit(ctx, store.Event{Type: "grant.key_revoked", ActorUserID: actor.UserID, SubjectKind: "grant", SubjectID: k[1]},
			map[string]string{"key_id": k[0], "cause": cause})
		if err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

// keepASysadmin refuses a change that would leave the platform without an
// enabled sysadmin once userID is no longer one. It first locks every
// sysadmin's row (PostgreSQL; SQLite writes one transaction at a time), so
// that two sysadmins disabling each other at once cannot both succeed.
func keepASysadmin(ctx context.Context, tx *store.Tx, userID string) error {
	_, err := tx.ExecContext(ctx, `UPDATE users SET updated_at = updated_at
		WHERE id IN (SELECT user_id FROM user_platform_roles WHERE role = $1)`, PlatformSysadmin)
	if err != nil {
		return err
	}
	var others int
	err = tx.QueryRowContext(ctx, `SELECT count(*) FROM users u JOIN user_platform_roles r ON r.user_id = u.id
		WHERE r.role = $1 AND NOT u.disabled AND u.id <> $2`, PlatformSysadmin, userID).Scan(&others)
	if err != nil {
		return err
	}
	if others == 0 {
		return ErrLastSysadmin
	}
	return nil
}
