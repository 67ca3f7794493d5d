package identity

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"dataport/internal/store"
	"dataport/internal/validate"
)

// Self-registration: persons (个人) and companies (企业) open accounts of
// their own, each with an organization of kind individual or enterprise of
// which they are the admin. Such an account signs in with its e-mail address
// once the address is confirmed and, for a company, once a Verifier has
// approved it. Accounts made by staff are active from the start.

// AccountState is where a self-registered account stands.
type AccountState string

// Account states.
const (
	StateActive      AccountState = "active"      // signs in
	StateUnconfirmed AccountState = "unconfirmed" // its e-mail address is not confirmed yet
	StateUnverified  AccountState = "unverified"  // a company waiting for its verification
	StateRejected    AccountState = "rejected"    // a company whose verification was refused
)

// StateError refuses a sign-in with the right password to an account that
// is not active yet, saying why. It is returned only after the password
// was checked, so it reveals nothing to someone who does not know it.
type StateError struct{ State AccountState }

func (e *StateError) Error() string {
	switch e.State {
	case StateUnconfirmed:
		return "the account's e-mail address is not confirmed yet: follow the link in the confirmation e-mail"
	case StateUnverified:
		return "the company account waits for the platform's verification"
	default:
		return "the company account's verification was refused"
	}
}

// Unwrap makes errors.Is(err, ErrForbidden) hold.
func (e *StateError) Unwrap() error { return ErrForbidden }

// Registration is what a person or a company gives to open an account.
type Registration struct {
	Kind        OrgKind `json:"kind"`         // KindIndividual or KindEnterprise
	DisplayName string  `json:"display_name"` // the person's name, or the company's contact
	Email       string  `json:"email"`        // signs in with it; confirmed by e-mail
	Password    string  `json:"password"`
	CompanyName string  `json:"company_name"` // companies only
	USCC        string  `json:"uscc"`         // companies only: 统一社会信用代码

	hash string // the password's hash, once Prepare has run
}

// Prepare checks in and hashes its password, outside any transaction (the
// hash takes a while); Register calls it when the caller has not.
func (in *Registration) Prepare() error {
	in.normalize()
	if err := in.validate(); err != nil {
		return err
	}
	var err error
	in.hash, err = HashPassword(in.Password)
	return err
}

// SelfServiceKinds are the organization kinds an account may register itself as.
var SelfServiceKinds = []OrgKind{KindIndividual, KindEnterprise}

// ErrEmailTaken means another account signs in with the address. Callers
// must answer as if the registration succeeded (and tell the address's
// owner), so that registering reveals no account.
var ErrEmailTaken = errors.New("the e-mail address belongs to another account")

func (in *Registration) normalize() {
	in.DisplayName, in.CompanyName = strings.TrimSpace(in.DisplayName), strings.TrimSpace(in.CompanyName)
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	in.USCC = strings.ToUpper(strings.TrimSpace(in.USCC))
	if in.Kind != KindEnterprise {
		in.CompanyName, in.USCC = "", ""
	}
}

func (in Registration) validate() error {
	var errs validate.Errors
	validate.OneOf(&errs, "kind", in.Kind, SelfServiceKinds...)
	if errs.Required("display_name", in.DisplayName) {
		errs.MaxLen("display_name", in.DisplayName, 100)
	}
	if errs.Required("email", in.Email) && !isEmail(in.Email) {
		errs.Add("email", in.Email, validate.CodeEmail, "is not an email address")
	}
	checkPassword(&errs, "password", in.Password)
	if in.Kind == KindEnterprise {
		if errs.Required("company_name", in.CompanyName) {
			errs.MaxLen("company_name", in.CompanyName, 100)
		}
		if errs.Required("uscc", in.USCC) {
			if err := CheckUSCC(in.USCC); err != nil {
				errs.Add("uscc", in.USCC, "uscc", "is not a valid unified social credit code: %v", err)
			}
		}
	}
	return errs.Err()
}

// isEmail reports whether s is one plain address (no display name).
func isEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && len(s) <= 254
}

// Register opens a self-registered account in tx: the organization (an
// individual, or the enterprise with its USCC), the user as its admin, in
// state unconfirmed. A USCC already registered is a field error (one
// account per company); an e-mail address already in use is ErrEmailTaken.
// Nothing is written unless all is valid.
func (s *Service) Register(ctx context.Context, tx *store.Tx, in Registration) (User, Organization, error) {
	if in.hash == "" {
		if err := in.Prepare(); err != nil {
			return User{}, Organization{}, err
		}
	}
	if taken, err := emailTaken(ctx, tx, in.Email); err != nil || taken {
		return User{}, Organization{}, cmpErr(err, ErrEmailTaken)
	}
	if in.USCC != "" {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM organizations WHERE uscc = $1`, in.USCC).Scan(&n); err != nil {
			return User{}, Organization{}, err
		}
		if n > 0 {
			return User{}, Organization{}, validate.Errors{{Field: "uscc", Value: in.USCC, Code: "taken",
				Message: "is already registered: a company has one account; its holder can reset the password"}}
		}
	}
	name := in.DisplayName
	if in.Kind == KindEnterprise {
		name = in.CompanyName
	}
	acct := newAccount{kind: in.Kind, orgName: name, uscc: in.USCC, displayName: in.DisplayName, email: in.Email,
		passwordHash: in.hash, state: StateUnconfirmed, via: "registration"}
	return s.openAccount(ctx, tx, acct)
}

// cmpErr returns err when set, else alt.
func cmpErr(err, alt error) error {
	if err != nil {
		return err
	}
	return alt
}

// emailTaken reports whether an account signs in with, or staff gave an
// account, the address email.
func emailTaken(ctx context.Context, q store.Querier, email string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE login_email = $1 OR lower(email) = $1`, email).Scan(&n)
	return n > 0, err
}

// newAccount is an account to open with its organization.
type newAccount struct {
	kind               OrgKind
	orgName, uscc      string
	displayName, email string
	passwordHash       string
	state              AccountState
	emailConfirmed     bool
	via                string // "registration" or "single_sign_on", in the events
}

// openAccount writes the organization, the user (admin of it) and their events.
func (s *Service) openAccount(ctx context.Context, tx *store.Tx, a newAccount) (User, Organization, error) {
	now := tx.Now()
	org := Organization{ID: store.NewID(), Kind: a.kind, NameZh: a.orgName, USCC: a.uscc, CreatedAt: now, UpdatedAt: now}
	org.Code = "ORG" + strings.ToUpper(strings.ReplaceAll(org.ID, "-", "")[20:32])
	if len(a.uscc) == 18 {
		org.Code = a.uscc[8:17]
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO organizations
		(id, kind, name_zh, name_en, uscc, code, region_code, description, website, created_at, updated_at)
		VALUES ($1,$2,$3,'',$4,$5,'','','',$6,$6)`, org.ID, org.Kind, org.NameZh, nullable(org.USCC), org.Code, store.TS(now)); err != nil {
		return User{}, Organization{}, orgConflict(err, OrgInput{USCC: org.USCC, Code: org.Code})
	}
	u := User{ID: store.NewID(), Username: "u-" + randomSecret()[:10], DisplayName: a.displayName, Email: a.email,
		State: a.state, CreatedAt: now, Memberships: []Membership{{OrganizationID: org.ID, Role: RoleAdmin}}, PlatformRoles: []PlatformRole{}}
	var confirmed any
	if a.emailConfirmed {
		confirmed, u.EmailConfirmed = store.TS(now), true
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, username, display_name, email, login_email, password_hash, state,
		email_confirmed_at, created_at, updated_at) VALUES ($1,$2,$3,$4,$4,$5,$6,$7,$8,$8)`,
		u.ID, u.Username, u.DisplayName, u.Email, a.passwordHash, a.state, confirmed, store.TS(now)); err != nil {
		return User{}, Organization{}, err
	}
	if err := setMembership(ctx, tx, u.ID, u.Memberships[0]); err != nil {
		return User{}, Organization{}, err
	}
	if err := tx.Emit(ctx, store.Event{Type: "organization.created", ActorUserID: u.ID, SubjectKind: "organization", SubjectID: org.ID},
		map[string]string{"kind": string(org.Kind), "code": org.Code}); err != nil {
		return User{}, Organization{}, err
	}
	return u, org, tx.Emit(ctx, store.Event{Type: "user.registered", ActorUserID: u.ID, SubjectKind: "user", SubjectID: u.ID},
		map[string]any{"organization_id": org.ID, "kind": org.Kind, "state": a.state, "via": a.via})
}

// Mailed one-time codes: an e-mail confirmation or a password reset sent
// by e-mail. A code is its record's id with an HMAC of it under a server
// key, so the notice that carries it names only the id
// ("/register/confirm?id=…"); the sender turns that into the link with the
// code (MailLink) when it writes the e-mail. Only the code's hash is
// stored, beside when it expires and when it was used.

// ConfirmCodePrefix starts every e-mail confirmation code.
const ConfirmCodePrefix = "dpc_"

// ConfirmTTL is how long an e-mail confirmation link stays valid.
const ConfirmTTL = 48 * time.Hour

// MailedResetTTL is how long a password reset link sent by e-mail stays valid.
const MailedResetTTL = time.Hour

// Links of the notices carrying a code, before and after MailLink.
const (
	ConfirmPath = "/register/confirm"
	ResetPath   = "/password-reset"
)

// mailKey names the server key mailed codes are derived with.
const mailKey = "mail-codes"

// LoadMailKey reads (or creates) the key mailed codes are derived with. Call
// it before a transaction that issues a code: within one, the key must be
// loaded already (SQLite writes one transaction at a time).
func (s *Service) LoadMailKey(ctx context.Context) error {
	_, err := s.ServerKey(ctx, mailKey)
	return err
}

// mailCode returns the code of record id under prefix.
func (s *Service) mailCode(ctx context.Context, prefix, id string) (string, error) {
	k, ok := s.keys.Load(mailKey)
	if !ok {
		if err := s.LoadMailKey(ctx); err != nil {
			return "", err
		}
		k, _ = s.keys.Load(mailKey)
	}
	key := k.([]byte)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(prefix + id))
	mac := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(m.Sum(nil)[:20]))
	return prefix + id + "_" + mac, nil
}

// MailLink returns the link an e-mail gives for a notice's link (relative
// or absolute): a confirmation or reset notice's "?id=…" becomes
// "?code=…"; any other link is returned as it is.
func (s *Service) MailLink(ctx context.Context, link string) (string, error) {
	u, err := url.Parse(link)
	prefix := map[string]string{ConfirmPath: ConfirmCodePrefix, ResetPath: ResetCodePrefix}
	if err != nil || prefix[u.Path] == "" || u.Query().Get("id") == "" {
		return link, nil
	}
	code, err := s.mailCode(ctx, prefix[u.Path], u.Query().Get("id"))
	if err != nil {
		return "", err
	}
	u.RawQuery = url.Values{"code": {code}}.Encode()
	return u.String(), nil
}

// IssueEmailConfirmation writes a confirmation code for userID's address
// in tx, voiding earlier ones, and returns the notice's link to it.
func (s *Service) IssueEmailConfirmation(ctx context.Context, tx *store.Tx, userID string) (string, error) {
	id := store.NewID()
	code, err := s.mailCode(ctx, ConfirmCodePrefix, id)
	if err != nil {
		return "", err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE email_confirmations SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL`,
		userID, store.TS(tx.Now())); err != nil {
		return "", err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO email_confirmations (id, user_id, code_hash, created_at, expires_at)
		VALUES ($1,$2,$3,$4,$5)`, id, userID, secretHash(code), store.TS(tx.Now()), store.TS(tx.Now().Add(ConfirmTTL))); err != nil {
		return "", err
	}
	return ConfirmPath + "?id=" + id, tx.Emit(ctx, store.Event{Type: "user.email_confirmation_sent", ActorUserID: userID,
		SubjectKind: "user", SubjectID: userID}, map[string]string{"confirmation_id": id})
}

// errBadConfirmCode is the one answer for an unknown, used or expired code.
var errBadConfirmCode = validate.Errors{{Field: "code", Code: "confirm_code",
	Message: "is not a valid confirmation link, or it has expired or been used: ask for a new one"}}

// ConfirmEmail uses up a confirmation code in tx and records the user's
// address as confirmed. It returns the user as they were, still in state
// unconfirmed: the caller moves them on (SetAccountState), a company
// through its verification.
func (s *Service) ConfirmEmail(ctx context.Context, tx *store.Tx, code string) (User, error) {
	var id, userID string
	var expires, used time.Time
	err := tx.QueryRowContext(ctx, `SELECT id, user_id, expires_at, used_at FROM email_confirmations WHERE code_hash = $1`,
		secretHash(strings.TrimSpace(code))).Scan(&id, &userID, store.ScanTime(&expires), store.ScanTime(&used))
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (!used.IsZero() || !tx.Now().Before(expires))) {
		return User{}, errBadConfirmCode
	} else if err != nil {
		return User{}, err
	}
	u, err := s.userByID(ctx, tx, userID)
	if err != nil {
		return User{}, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE email_confirmations SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL`,
		userID, store.TS(tx.Now())); err != nil {
		return User{}, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET email_confirmed_at = $2, updated_at = $2 WHERE id = $1`,
		userID, store.TS(tx.Now())); err != nil {
		return User{}, err
	}
	return u, tx.Emit(ctx, store.Event{Type: "user.email_confirmed", ActorUserID: userID, SubjectKind: "user", SubjectID: userID},
		map[string]string{"confirmation_id": id})
}

// SetAccountState moves userID to state in tx, with its event; why names
// the cause ("email_confirmed", "verification_approved", ...).
func (s *Service) SetAccountState(ctx context.Context, tx *store.Tx, actor Principal, userID string, state AccountState, why string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE users SET state = $2, updated_at = $3 WHERE id = $1`, userID, state, store.TS(tx.Now())); err != nil {
		return err
	}
	return tx.Emit(ctx, store.Event{Type: "user.state_changed", ActorUserID: actor.UserID, SubjectKind: "user", SubjectID: userID},
		map[string]string{"state": string(state), "cause": why})
}

// UnconfirmedAccount returns the self-registered account signing in with
// email while its address waits for confirmation (ErrNotFound otherwise).
func (s *Service) UnconfirmedAccount(ctx context.Context, q store.Querier, email string) (User, error) {
	var id string
	err := q.QueryRowContext(ctx, `SELECT id FROM users WHERE login_email = $1 AND state = $2 AND NOT disabled`,
		strings.ToLower(strings.TrimSpace(email)), StateUnconfirmed).Scan(&id)
	if err != nil {
		return User{}, notFound(err, "account", "")
	}
	return s.userByID(ctx, q, id)
}

// IssueMailedResets writes, for every enabled account signing in with (or
// given) the address email, a one-time reset code valid for
// MailedResetTTL, and returns each user's id with the notice's link to it.
// Unlike a sysadmin's reset, the password keeps working until the code is
// redeemed (RedeemPasswordReset), so asking for a reset locks nobody out.
// No account with the address returns nothing, and no error.
func (s *Service) IssueMailedResets(ctx context.Context, tx *store.Tx, email string) (map[string]string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if !isEmail(email) {
		return nil, nil
	}
	ids, err := store.Strings(ctx, tx, `SELECT id FROM users WHERE (login_email = $1 OR lower(email) = $1) AND NOT disabled ORDER BY id LIMIT 5`, email)
	if err != nil {
		return nil, err
	}
	links := map[string]string{}
	for _, userID := range ids {
		id := store.NewID()
		code, err := s.mailCode(ctx, ResetCodePrefix, id)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO password_resets (id, user_id, code_hash, created_by, created_at, expires_at)
			VALUES ($1,$2,$3,$2,$4,$5)`, id, userID, secretHash(code), store.TS(tx.Now()), store.TS(tx.Now().Add(MailedResetTTL))); err != nil {
			return nil, err
		}
		if err := tx.Emit(ctx, store.Event{Type: "user.password_reset_mailed", ActorUserID: userID, SubjectKind: "user", SubjectID: userID},
			map[string]string{"reset_id": id}); err != nil {
			return nil, err
		}
		links[userID] = ResetPath + "?id=" + id
	}
	return links, nil
}

// Verifier decides whether a self-registered company is who it says it
// is. Verify runs in the transaction that confirms the company's e-mail
// address: it approves (the account becomes active), rejects, or starts a
// verification that ends later (the operators' approval queue; later an
// outside real-name service) by calling SetAccountState in its own
// transaction.
type Verifier interface {
	Verify(ctx context.Context, tx *store.Tx, account Principal, company Organization) (AccountState, error)
}

// ExternalIdentity is who an outside identity provider (the city's unified
// identity, through OpenID Connect) says signed in.
type ExternalIdentity struct {
	Issuer, Subject string
	Email           string
	EmailVerified   bool
	Name            string
	USCC            string // set when the provider says a company signed in
	CompanyName     string
}

// ErrExternalConflict refuses a first single sign-on whose company is
// already registered as a public body: it cannot be linked or created.
var ErrExternalConflict error = conflictError("this unified social credit code belongs to a registered public institution: ask the platform operators to add you to it")

// SignInExternal returns the account linked to ext, linking or opening one
// on the first sign-in: the company account holding ext's USCC, or the
// account signing in with ext's address when the provider verified it;
// otherwise a new account, a company when ext has a USCC, else a person,
// active at once (the provider has verified who they are). A disabled or
// not yet active account is refused as at a password sign-in.
func (s *Service) SignInExternal(ctx context.Context, ext ExternalIdentity) (Principal, error) {
	ext.Email, ext.USCC = strings.ToLower(strings.TrimSpace(ext.Email)), strings.ToUpper(strings.TrimSpace(ext.USCC))
	if ext.Issuer == "" || ext.Subject == "" {
		return Anonymous, errors.New("identity: an external identity needs an issuer and a subject")
	}
	if ext.USCC != "" {
		if err := CheckUSCC(ext.USCC); err != nil {
			return Anonymous, fmt.Errorf("identity: the provider's unified social credit code %q: %w", ext.USCC, err)
		}
	}
	var userID string
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT user_id FROM external_identities WHERE issuer = $1 AND subject = $2`,
			ext.Issuer, ext.Subject).Scan(&userID)
		if err == nil || !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if userID, err = s.linkable(ctx, tx, ext); err != nil {
			return err
		}
		if userID == "" {
			u, _, err := s.openExternal(ctx, tx, ext)
			if err != nil {
				return err
			}
			userID = u.ID
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO external_identities (issuer, subject, user_id, created_at) VALUES ($1,$2,$3,$4)`,
			ext.Issuer, ext.Subject, userID, store.TS(tx.Now())); err != nil {
			return err
		}
		return tx.Emit(ctx, store.Event{Type: "user.external_identity_linked", ActorUserID: userID, SubjectKind: "user", SubjectID: userID},
			map[string]string{"issuer": ext.Issuer})
	})
	if err != nil {
		return Anonymous, err
	}
	return s.signInPrincipal(ctx, userID)
}

// linkable returns the existing account a first single sign-on links to, or "".
func (s *Service) linkable(ctx context.Context, tx *store.Tx, ext ExternalIdentity) (string, error) {
	if ext.USCC != "" {
		var orgID string
		var kind OrgKind
		err := tx.QueryRowContext(ctx, `SELECT id, kind FROM organizations WHERE uscc = $1`, ext.USCC).Scan(&orgID, &kind)
		if errors.Is(err, sql.ErrNoRows) {
			return "", nil
		} else if err != nil {
			return "", err
		}
		if kind != KindEnterprise {
			return "", ErrExternalConflict
		}
		ids, err := store.Strings(ctx, tx, `SELECT user_id FROM memberships WHERE organization_id = $1 AND role = $2 ORDER BY created_at, user_id LIMIT 1`,
			orgID, RoleAdmin)
		if err != nil || len(ids) == 0 {
			return "", err
		}
		return ids[0], nil
	}
	if !ext.EmailVerified || !isEmail(ext.Email) {
		return "", nil
	}
	ids, err := store.Strings(ctx, tx, `SELECT id FROM users WHERE login_email = $1`, ext.Email)
	if err != nil || len(ids) == 0 {
		return "", err
	}
	return ids[0], nil
}

// openExternal opens the account of a first single sign-on.
func (s *Service) openExternal(ctx context.Context, tx *store.Tx, ext ExternalIdentity) (User, Organization, error) {
	hash, err := HashPassword(randomSecret() + randomSecret()) // signs in through the provider; a reset sets a password
	if err != nil {
		return User{}, Organization{}, err
	}
	a := newAccount{kind: KindIndividual, displayName: cutRunes(ext.Name, 100), passwordHash: hash, state: StateActive, via: "single_sign_on"}
	if isEmail(ext.Email) {
		if taken, err := emailTaken(ctx, tx, ext.Email); err != nil {
			return User{}, Organization{}, err
		} else if !taken {
			a.email, a.emailConfirmed = ext.Email, ext.EmailVerified
		}
	}
	if a.displayName == "" {
		a.displayName = cmpStr(a.email, ext.Subject)
	}
	a.orgName = a.displayName
	if ext.USCC != "" {
		a.kind, a.uscc, a.orgName = KindEnterprise, ext.USCC, cutRunes(cmpStr(ext.CompanyName, a.displayName), 100)
	}
	return s.openAccount(ctx, tx, a)
}

func cmpStr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func cutRunes(s string, n int) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// signInPrincipal is the principal of userID signing in: refused when the
// account is disabled (ErrBadCredentials) or not active (*StateError).
func (s *Service) signInPrincipal(ctx context.Context, userID string) (Principal, error) {
	u, err := s.userByID(ctx, s.db, userID)
	if err != nil {
		return Anonymous, err
	}
	if u.Disabled {
		return Anonymous, ErrBadCredentials
	}
	if u.State != StateActive {
		return Anonymous, &StateError{State: u.State}
	}
	return s.Principal(ctx, userID)
}

// OrganizationIn returns organization id as q (a transaction) sees it.
func OrganizationIn(ctx context.Context, q store.Querier, id string) (Organization, error) {
	return getOrganization(ctx, q, id)
}
