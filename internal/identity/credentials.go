package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"dataport/internal/store"
	"dataport/internal/validate"
)

// Passwords after an account is created: the user changes their own (with
// the current one), or a sysadmin resets it, either to a password the
// sysadmin sets or with a one-time reset code the user redeems to choose
// one. A reset revokes every session and token of the user; a change ends
// the user's other sessions.

// PasswordChange is a user's change of their own password.
type PasswordChange struct {
	Current string
	New     string
	// ClientIP is the caller's address: wrong current passwords are
	// throttled like failed sign-ins.
	ClientIP string
	// KeepSession is the secret of the browser session the change is made
	// from, which stays signed in; every other session ends. Empty (a change
	// through the API) ends them all. API tokens are kept: they are separate
	// credentials, listed and revoked on the account page.
	KeepSession string
}

// ChangePassword sets actor's password to in.New when in.Current is their
// password now. A wrong current password is a field error and counts as a
// failed sign-in.
func (s *Service) ChangePassword(ctx context.Context, actor Principal, in PasswordChange) (AccessEnded, error) {
	if actor.IsAnonymous() {
		return AccessEnded{}, ErrUnauthenticated
	}
	if wait := s.throttle.Wait(actor.Username, in.ClientIP); wait > 0 {
		return AccessEnded{}, &ThrottledError{Wait: wait}
	}
	var old string
	if err := s.db.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE id = $1`, actor.UserID).Scan(&old); err != nil {
		return AccessEnded{}, notFound(err, "user", actor.UserID)
	}
	var errs validate.Errors
	if ok, err := VerifyPassword(old, in.Current); err != nil {
		return AccessEnded{}, err
	} else if !ok {
		s.throttle.Fail(actor.Username, in.ClientIP)
		errs.Add("current_password", nil, "wrong_password", "is not your current password")
	}
	checkPassword(&errs, "new_password", in.New)
	if in.New == in.Current && len(errs) == 0 {
		errs.Add("new_password", nil, "same_password", "must differ from the current password")
	}
	if err := errs.Err(); err != nil {
		return AccessEnded{}, err
	}
	hash, err := HashPassword(in.New)
	if err != nil {
		return AccessEnded{}, err
	}
	var ended AccessEnded
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		// Only if the hash is still the one checked: a concurrent change or reset wins.
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1 AND password_hash = $4`,
			actor.UserID, hash, store.TS(tx.Now()), old)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrPasswordChanged
		}
		if err := closeResetCodes(ctx, tx, actor.UserID); err != nil {
			return err
		}
		if ended, err = endAccess(ctx, tx, actor, actor.UserID, in.KeepSession, false, "user.password_changed"); err != nil {
			return err
		}
		return tx.Emit(ctx, store.Event{Type: "user.password_changed", ActorUserID: actor.UserID, SubjectKind: "user", SubjectID: actor.UserID},
			map[string]any{"via": "current_password", "sessions_ended": ended.Sessions})
	})
	return ended, err
}

// ResetPassword sets userID's password to password, ends every session of
// theirs and revokes every token. Only sysadmins may.
func (s *Service) ResetPassword(ctx context.Context, actor Principal, userID, password string) (AccessEnded, error) {
	if !CanManageUsers(actor) {
		return AccessEnded{}, ErrForbidden
	}
	var errs validate.Errors
	checkPassword(&errs, "password", password)
	if err := errs.Err(); err != nil {
		return AccessEnded{}, err
	}
	return s.resetPassword(ctx, actor, userID, password, func(ctx context.Context, tx *store.Tx, ended AccessEnded) error {
		return tx.Emit(ctx, store.Event{Type: "user.password_reset", ActorUserID: actor.UserID, SubjectKind: "user", SubjectID: userID},
			map[string]any{"method": "set", "sessions_ended": ended.Sessions, "tokens_revoked": ended.Tokens})
	})
}

// ResetCodeTTL is how long a one-time password reset code stays valid.
const ResetCodeTTL = 72 * time.Hour

// ResetCodePrefix starts every one-time password reset code.
const ResetCodePrefix = "dpr_"

// PasswordResetCode is a one-time reset code just issued; Code is shown
// once, only its hash is stored.
type PasswordResetCode struct {
	ID        string    `json:"id"`
	Code      string    `json:"code"`
	ExpiresAt time.Time `json:"expires_at"`
}

// IssuePasswordReset gives userID a one-time code, valid for ResetCodeTTL,
// with which they choose a new password (RedeemPasswordReset). The old
// password stops working at once, every session ends, every token is
// revoked, and earlier codes are void. Only sysadmins may. The sysadmin
// hands the code over out of band; it is never stored in clear.
func (s *Service) IssuePasswordReset(ctx context.Context, actor Principal, userID string) (PasswordResetCode, error) {
	if !CanManageUsers(actor) {
		return PasswordResetCode{}, ErrForbidden
	}
	rc := PasswordResetCode{ID: store.NewID(), Code: ResetCodePrefix + randomSecret()}
	_, err := s.resetPassword(ctx, actor, userID, randomSecret()+randomSecret(), func(ctx context.Context, tx *store.Tx, ended AccessEnded) error {
		rc.ExpiresAt = tx.Now().Add(ResetCodeTTL)
		_, err := tx.ExecContext(ctx, `INSERT INTO password_resets (id, user_id, code_hash, created_by, created_at, expires_at)
			VALUES ($1,$2,$3,$4,$5,$6)`, rc.ID, userID, secretHash(rc.Code), actor.UserID, store.TS(tx.Now()), store.TS(rc.ExpiresAt))
		if err != nil {
			return err
		}
		return tx.Emit(ctx, store.Event{Type: "user.password_reset", ActorUserID: actor.UserID, SubjectKind: "user", SubjectID: userID},
			map[string]any{"method": "code", "reset_id": rc.ID, "expires_at": store.TS(rc.ExpiresAt),
				"sessions_ended": ended.Sessions, "tokens_revoked": ended.Tokens})
	})
	if err != nil {
		return PasswordResetCode{}, err
	}
	return rc, nil
}

// resetPassword replaces userID's password with password (hashed), voids
// their reset codes, ends their sessions and revokes their tokens, then
// calls record in the same transaction.
func (s *Service) resetPassword(ctx context.Context, actor Principal, userID, password string,
	record func(context.Context, *store.Tx, AccessEnded) error) (AccessEnded, error) {
	hash, err := HashPassword(password)
	if err != nil {
		return AccessEnded{}, err
	}
	var ended AccessEnded
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		if _, err := s.userByID(ctx, tx, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1`,
			userID, hash, store.TS(tx.Now())); err != nil {
			return err
		}
		if err := closeResetCodes(ctx, tx, userID); err != nil {
			return err
		}
		if ended, err = endAccess(ctx, tx, actor, userID, "", true, "user.password_reset"); err != nil {
			return err
		}
		return record(ctx, tx, ended)
	})
	return ended, err
}

// errBadResetCode is the one answer for an unknown, used or expired code.
var errBadResetCode = validate.Errors{{Field: "code", Message: "is not a valid reset code, or it has expired or been used", Code: "reset_code"}}

// RedeemPasswordReset sets the password of the user a one-time reset code
// was issued to, and uses the code up. Anyone holding the code may: it is
// the credential. Nothing changes when the code is unknown, used or expired.
func (s *Service) RedeemPasswordReset(ctx context.Context, code, password string) error {
	var errs validate.Errors
	if code == "" {
		errs.Add("code", nil, validate.CodeRequired, "is required")
	}
	checkPassword(&errs, "new_password", password)
	if err := errs.Err(); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		var id, userID string
		var expires, used time.Time
		err := tx.QueryRowContext(ctx, `SELECT id, user_id, expires_at, used_at FROM password_resets WHERE code_hash = $1`,
			secretHash(code)).Scan(&id, &userID, store.ScanTime(&expires), store.ScanTime(&used))
		if errors.Is(err, sql.ErrNoRows) || (err == nil && (!used.IsZero() || !tx.Now().Before(expires))) {
			return errBadResetCode
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1`,
			userID, hash, store.TS(tx.Now())); err != nil {
			return err
		}
		if err := closeResetCodes(ctx, tx, userID); err != nil {
			return err
		}
		ended, err := endAccess(ctx, tx, Principal{UserID: userID}, userID, "", false, "user.password_changed")
		if err != nil {
			return err
		}
		return tx.Emit(ctx, store.Event{Type: "user.password_changed", ActorUserID: userID, SubjectKind: "user", SubjectID: userID},
			map[string]any{"via": "reset_code", "reset_id": id, "sessions_ended": ended.Sessions})
	})
}

// closeResetCodes uses up every open reset code of userID.
func closeResetCodes(ctx context.Context, tx *store.Tx, userID string) error {
	_, err := tx.ExecContext(ctx, `UPDATE password_resets SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL`,
		userID, store.TS(tx.Now()))
	return err
}

// notFound maps a missing row to store.ErrNotFound naming what was looked up.
func notFound(err error, kind, id string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s %q: %w", kind, id, store.ErrNotFound)
	}
	return err
}
