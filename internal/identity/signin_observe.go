package identity

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"time"

	"dataport/internal/store"
)

// SignIn is one sign-in attempt as the observers registered with OnSignIn
// are told of it. No username or address leaves this package: they are
// keyed hashes (HMAC-SHA256 with a server key), equal for equal inputs.
type SignIn struct {
	At           time.Time `json:"at"`
	OK           bool      `json:"ok"`
	Reason       string    `json:"reason"`            // "ok", "bad_credentials", "throttled", "not_active"
	UserID       string    `json:"user_id,omitempty"` // when the account exists
	UsernameHash string    `json:"username_hash"`
	AddressHash  string    `json:"address_hash"`
	// EventID is the sealed identity.signin.failed event of a failed
	// attempt (bad credentials or an inactive account); "" otherwise.
	EventID string `json:"event_id,omitempty"`
}

// Reasons of sign-in attempts.
const (
	SignInOK        = "ok"
	SignInBad       = "bad_credentials"
	SignInThrottled = "throttled"
	SignInInactive  = "not_active"
)

// signInObservers are the functions told of sign-in attempts.
type signInObservers struct {
	mu  sync.RWMutex
	fns []func(context.Context, SignIn)
}

// Authenticate checks a username and password. Failures slow down further
// attempts (a *ThrottledError says how long to wait; see throttle.go); a
// disabled account is refused like a wrong password. Every attempt is
// recorded (signedIn): a failure as a sealed identity.signin.failed event,
// and each told to the observers registered with OnSignIn.
func (s *Service) Authenticate(ctx context.Context, username, password, clientIP string) (Principal, error) {
	p, err := s.authenticate(ctx, username, password, clientIP)
	return p, s.signedIn(ctx, strings.ToLower(strings.TrimSpace(username)), clientIP, p.UserID, err)
}

// OnSignIn registers fn to be told of every sign-in attempt by
// Authenticate, after a failure's event committed and before Authenticate
// returns: fn MUST return quickly (queue it) and MUST NOT sign in.
func (s *Service) OnSignIn(fn func(ctx context.Context, in SignIn)) {
	o := &s.signIns
	o.mu.Lock()
	defer o.mu.Unlock()
	o.fns = append(o.fns, fn)
}

// signInKey names the server key sign-in hashes are keyed with.
const signInKey = "signin-hash"

// signedIn records the attempt of username from clientIP that ended with
// err (nil: signed in as userID): a failure other than throttling is a
// sealed identity.signin.failed event carrying the hashes only; the
// observers are told of every attempt. Recording never changes the
// outcome: its own failure is returned only when nothing else went wrong.
func (s *Service) signedIn(ctx context.Context, username, clientIP, userID string, err error) error {
	o := &s.signIns
	o.mu.RLock()
	fns := o.fns
	o.mu.RUnlock()
	in := SignIn{At: time.Now().UTC(), OK: err == nil, Reason: SignInOK, UserID: userID}
	var te *ThrottledError
	var se *StateError
	switch {
	case err == nil:
	case errors.As(err, &te):
		in.Reason = SignInThrottled
	case errors.Is(err, ErrBadCredentials):
		in.Reason = SignInBad
	case errors.As(err, &se):
		in.Reason = SignInInactive
	default:
		return err // the store failed: nothing was decided
	}
	if in.OK || in.Reason == SignInThrottled {
		if len(fns) == 0 {
			return err
		}
	}
	key, kerr := s.ServerKey(ctx, signInKey)
	if kerr != nil && err == nil {
		return nil // signed in; the attempt goes unobserved
	} else if kerr != nil {
		return errors.Join(err, kerr)
	}
	in.UsernameHash, in.AddressHash = keyedHash(key, "u:"+username), keyedHash(key, "a:"+clientIP)
	if !in.OK && in.Reason != SignInThrottled {
		id, eerr := s.recordFailedSignIn(ctx, in)
		if eerr != nil {
			return errors.Join(err, eerr)
		}
		in.EventID = id
	}
	ctx = context.WithoutCancel(ctx)
	for _, fn := range fns {
		fn(ctx, in)
	}
	return err
}

// keyedHash is the hex HMAC-SHA256 of v under key, cut to 32 characters.
func keyedHash(key []byte, v string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(v))
	return hex.EncodeToString(m.Sum(nil))[:32]
}

// recordFailedSignIn writes the identity.signin.failed event of in and returns its id.
func (s *Service) recordFailedSignIn(ctx context.Context, in SignIn) (string, error) {
	var id string
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		if err := tx.Emit(ctx, store.Event{Type: "identity.signin.failed", ActorUserID: in.UserID, SubjectKind: "signin_address",
			SubjectID: in.AddressHash}, map[string]any{"reason": in.Reason, "username_hash": in.UsernameHash, "address_hash": in.AddressHash}); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT id FROM events WHERE subject_kind = 'signin_address' AND subject_id = $1 ORDER BY seq DESC LIMIT 1`,
			in.AddressHash).Scan(&id)
	})
	return id, err
}
