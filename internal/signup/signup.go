// Package signup is how persons and companies open accounts of their own:
// registration with e-mail confirmation, the verification of companies
// (the platform operators' approval queue, a review kind), password resets
// by e-mail, and first sign-ins through the city's unified identity. The
// accounts themselves are identity's; the e-mails go through the
// notification outbox, written in the transaction of the change.
package signup

import (
	"context"
	"errors"

	"dataport/internal/identity"
	"dataport/internal/notify"
	"dataport/internal/review"
	"dataport/internal/store"
)

// Notice kinds of this package (the UI words them as "notify.<kind>").
const (
	NoticeConfirm       = "account.confirm"           // confirm your e-mail address (the link carries the code)
	NoticeExisting      = "account.register_existing" // someone registered with your address
	NoticePasswordReset = "account.password_reset"    // reset your password (the link carries the code)
)

// Service opens and confirms self-registered accounts.
type Service struct {
	db       *store.DB
	ids      *identity.Service
	verifier identity.Verifier
	queue    *OperatorQueue
	oidc     OIDC
	sso      sso // the discovered provider (oidc.go)
}

// Config wires a Service.
type Config struct {
	// Review holds the operators' approval queue of companies.
	Review *review.Service
	// Verifier verifies companies; nil: the operators' approval queue.
	Verifier identity.Verifier
	// OIDC is the city's unified identity, if any (see OIDC.Enabled).
	OIDC OIDC
}

// NewService returns the self-registration service on db.
func NewService(db *store.DB, ids *identity.Service, cfg Config) *Service {
	s := &Service{db: db, ids: ids, verifier: cfg.Verifier, oidc: cfg.OIDC}
	s.queue = newOperatorQueue(db, cfg.Review, ids)
	if s.verifier == nil {
		s.verifier = s.queue
	}
	return s
}

// Queue is the operators' approval queue of companies.
func (s *Service) Queue() *OperatorQueue { return s.queue }

// OIDC is the single sign-on configuration.
func (s *Service) OIDC() OIDC { return s.oidc }

// transact runs fn in a transaction once the key of mailed codes is loaded.
func (s *Service) transact(ctx context.Context, fn func(tx *store.Tx) error) error {
	if err := s.ids.LoadMailKey(ctx); err != nil {
		return err
	}
	return s.db.Transact(ctx, fn)
}

// Register opens an account for in, limited per client address, and
// e-mails its confirmation link. When the address already belongs to an
// account, nothing is opened and its owner is told instead, and Register
// returns nil just the same: what a caller sees never says whether an
// address has an account. Bad input returns field errors.
func (s *Service) Register(ctx context.Context, in identity.Registration, clientIP string) error {
	if err := in.Prepare(); err != nil {
		return err
	}
	if err := s.ids.AllowRegistration(clientIP); err != nil {
		return err
	}
	return s.transact(ctx, func(tx *store.Tx) error {
		u, _, err := s.ids.Register(ctx, tx, in)
		if errors.Is(err, identity.ErrEmailTaken) {
			return s.tellOwners(ctx, tx, in.Email)
		} else if err != nil {
			return err
		}
		return s.sendConfirmation(ctx, tx, u.ID)
	})
}

// tellOwners tells the accounts holding email that someone tried to
// register with it (a reset link is one click away on the sign-in page).
func (s *Service) tellOwners(ctx context.Context, tx *store.Tx, email string) error {
	ids, err := store.Strings(ctx, tx, `SELECT id FROM users WHERE (login_email = $1 OR lower(email) = $1) AND NOT disabled ORDER BY id LIMIT 5`, email)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := notify.Send(ctx, tx, NoticeExisting, "user", id, "/password-forgot", notify.To{Users: []string{id}}); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) sendConfirmation(ctx context.Context, tx *store.Tx, userID string) error {
	link, err := s.ids.IssueEmailConfirmation(ctx, tx, userID)
	if err != nil {
		return err
	}
	return notify.Send(ctx, tx, NoticeConfirm, "user", userID, link, notify.To{Users: []string{userID}})
}

// ResendConfirmation e-mails a new confirmation link to the account
// waiting for the confirmation of email, if there is one; the answer is
// the same when there is none. Limited per client and e-mail address.
func (s *Service) ResendConfirmation(ctx context.Context, email, clientIP string) error {
	if err := s.ids.AllowMail(clientIP, email); err != nil {
		return err
	}
	return s.transact(ctx, func(tx *store.Tx) error {
		u, err := s.ids.UnconfirmedAccount(ctx, tx, email)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		return s.sendConfirmation(ctx, tx, u.ID)
	})
}

// Confirm uses up a confirmation code and returns the account's state
// after it: a person is active; a company goes to its verification
// (active when the verifier approves at once, unverified while it waits).
func (s *Service) Confirm(ctx context.Context, code string) (identity.AccountState, error) {
	var state identity.AccountState
	err := s.transact(ctx, func(tx *store.Tx) error {
		u, err := s.ids.ConfirmEmail(ctx, tx, code)
		if err != nil {
			return err
		}
		if state = u.State; state != identity.StateUnconfirmed {
			return nil
		}
		state = identity.StateActive
		if org, ok, err := s.company(ctx, tx, u); err != nil {
			return err
		} else if ok {
			p := identity.Principal{UserID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Memberships: u.Memberships}
			if state, err = s.verifier.Verify(ctx, tx, p, org); err != nil {
				return err
			}
		}
		return s.ids.SetAccountState(ctx, tx, identity.Principal{UserID: u.ID}, u.ID, state, "email_confirmed")
	})
	return state, err
}

// company returns the enterprise u administers, if any.
func (s *Service) company(ctx context.Context, tx *store.Tx, u identity.User) (identity.Organization, bool, error) {
	for _, m := range u.Memberships {
		org, err := identity.OrganizationIn(ctx, tx, m.OrganizationID)
		if err != nil {
			return org, false, err
		}
		if org.Kind == identity.KindEnterprise {
			return org, true, nil
		}
	}
	return identity.Organization{}, false, nil
}

// ForgotPassword e-mails a one-time reset link to every account with the
// address email; the answer is the same when there is none. Limited per
// client and e-mail address.
func (s *Service) ForgotPassword(ctx context.Context, email, clientIP string) error {
	if err := s.ids.AllowMail(clientIP, email); err != nil {
		return err
	}
	return s.transact(ctx, func(tx *store.Tx) error {
		links, err := s.ids.IssueMailedResets(ctx, tx, email)
		if err != nil {
			return err
		}
		for userID, link := range links {
			if err := notify.Send(ctx, tx, NoticePasswordReset, "user", userID, link, notify.To{Users: []string{userID}}); err != nil {
				return err
			}
		}
		return nil
	})
}
