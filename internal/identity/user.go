package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"dataport/internal/store"
	"dataport/internal/validate"
)

// UserInput is what creates a user.
type UserInput struct {
	Username      string         `json:"username"`
	DisplayName   string         `json:"display_name"`
	Email         string         `json:"email"`
	Password      string         `json:"password"`
	PlatformRoles []PlatformRole `json:"platform_roles"`
	Memberships   []Membership   `json:"memberships"`
}

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 10

// MaxPasswordLen bounds a password, so that hashing it stays cheap.
const MaxPasswordLen = 200

// checkPassword adds field's problems with password p to errs; the value is
// never echoed.
func checkPassword(errs *validate.Errors, field, p string) {
	switch n := len([]rune(p)); {
	case n < MinPasswordLen:
		errs.Add(field, nil, "min_len", "must be at least %d characters", MinPasswordLen)
	case n > MaxPasswordLen:
		errs.Add(field, nil, "max_chars", "must be at most %d characters", MaxPasswordLen)
	}
}

func (in *UserInput) validate() error {
	in.Username = strings.ToLower(strings.TrimSpace(in.Username))
	in.DisplayName, in.Email = strings.TrimSpace(in.DisplayName), strings.TrimSpace(in.Email)
	var errs validate.Errors
	if !usernamePattern.MatchString(in.Username) {
		errs.Add("username", in.Username, "username", "must be 3–32 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	errs.Required("display_name", in.DisplayName)
	errs.MaxLen("display_name", in.DisplayName, 100)
	if in.Email != "" && (!strings.Contains(in.Email, "@") || len(in.Email) > 254) {
		errs.Add("email", in.Email, validate.CodeEmail, "is not an email address")
	}
	checkPassword(&errs, "password", in.Password)
	for i, r := range in.PlatformRoles {
		validate.OneOf(&errs, fmt.Sprintf("platform_roles[%d]", i), r, PlatformRoles...)
	}
	for i, m := range in.Memberships {
		validate.OneOf(&errs, fmt.Sprintf("memberships[%d].role", i), m.Role, Roles...)
		errs.Required(fmt.Sprintf("memberships[%d].organization_id", i), m.OrganizationID)
	}
	return errs.Err()
}

// CreateUser adds a user with a hashed password, platform roles and
// memberships. Only sysadmins may. Nothing is written unless all is valid.
func (s *Service) CreateUser(ctx context.Context, actor Principal, in UserInput) (User, error) {
	if !CanManageUsers(actor) {
		return User{}, ErrForbidden
	}
	if err := in.validate(); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return User{}, err
	}
	u := User{ID: store.NewID(), Username: in.Username, DisplayName: in.DisplayName, Email: in.Email, State: StateActive,
		PlatformRoles: in.PlatformRoles, Memberships: in.Memberships}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		u.CreatedAt = tx.Now()
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, username, display_name, email, password_hash, created_at, updated_at)
			VALUES ($1,$2,$3,$4,$5,$6,$6)`, u.ID, u.Username, u.DisplayName, u.Email, hash, store.TS(tx.Now()))
		if store.IsUniqueViolation(err) {
			return validate.Errors{{Field: "username", Value: in.Username, Message: "is already taken", Code: "taken"}}
		} else if err != nil {
			return err
		}
		for _, r := range in.PlatformRoles {
			// ON CONFLICT, not a caught unique violation: a failed statement aborts a PostgreSQL transaction.
			if _, err := tx.ExecContext(ctx, `INSERT INTO user_platform_roles (user_id, role) VALUES ($1,$2) ON CONFLICT DO NOTHING`, u.ID, r); err != nil {
				return err
			}
		}
		for i, m := range in.Memberships {
			if err := setMembership(ctx, tx, u.ID, m); err != nil {
				return fieldOrErr(err, fmt.Sprintf("memberships[%d].organization_id", i), m.OrganizationID)
			}
		}
		return tx.Emit(ctx, store.Event{Type: "user.created", ActorUserID: actor.UserID, SubjectKind: "user", SubjectID: u.ID},
			map[string]any{"platform_roles": in.PlatformRoles, "memberships": in.Memberships})
	})
	return u, err
}

// authenticate checks a username and password for Authenticate
// (signin_observe.go), which records the attempt.
func (s *Service) authenticate(ctx context.Context, username, password, clientIP string) (Principal, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	if wait := s.throttle.Wait(username, clientIP); wait > 0 {
		return Anonymous, &ThrottledError{Wait: wait}
	}
	var id, hash string
	var disabled bool
	var state AccountState
	// A self-registered account signs in with its e-mail address too.
	err := s.db.QueryRowContext(ctx, `SELECT id, password_hash, disabled, state FROM users WHERE username = $1 OR login_email = $1`,
		username).Scan(&id, &hash, &disabled, &state)
	if errors.Is(err, sql.ErrNoRows) {
		VerifyPassword(dummyHash, password) // spend the same time as a real check
		s.throttle.Fail(username, clientIP)
		return Anonymous, ErrBadCredentials
	} else if err != nil {
		return Anonymous, err
	}
	ok, err := VerifyPassword(hash, password)
	if err != nil {
		return Anonymous, err
	}
	if !ok || disabled {
		s.throttle.Fail(username, clientIP)
		return Anonymous, ErrBadCredentials
	}
	s.throttle.Succeed(username, clientIP)
	if state != StateActive {
		return Anonymous, &StateError{State: state}
	}
	return s.Principal(ctx, id)
}

var dummyHash, _ = HashPassword("dataport-dummy-password")

// Principal loads the user with id and their roles.
func (s *Service) Principal(ctx context.Context, id string) (Principal, error) {
	u, err := s.userByID(ctx, s.db, id)
	if err != nil {
		return Anonymous, err
	}
	if u.Disabled || u.State != StateActive {
		return Anonymous, ErrUnauthenticated
	}
	return Principal{UserID: u.ID, Username: u.Username, DisplayName: u.DisplayName,
		PlatformRoles: u.PlatformRoles, Memberships: u.Memberships}, nil
}

// User returns a user; callers may see themselves, sysadmins anyone, org
// admins their members.
func (s *Service) User(ctx context.Context, actor Principal, id string) (User, error) {
	u, err := s.userByID(ctx, s.db, id)
	if err != nil {
		return u, err
	}
	if actor.UserID == id || CanManageUsers(actor) {
		return u, nil
	}
	for _, m := range u.Memberships {
		if actor.AtLeast(m.OrganizationID, RoleAdmin) {
			return u, nil
		}
	}
	return User{}, ErrForbidden
}

// UserByName returns the user named username.
func (s *Service) UserByName(ctx context.Context, username string) (User, error) {
	var id string
	err := s.db.QueryRowContext(ctx, `SELECT id FROM users WHERE username = $1`, strings.ToLower(username)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("user %q: %w", username, store.ErrNotFound)
	} else if err != nil {
		return User{}, err
	}
	return s.userByID(ctx, s.db, id)
}

func (s *Service) userByID(ctx context.Context, q store.Querier, id string) (User, error) {
	var u User
	var confirmed time.Time
	err := q.QueryRowContext(ctx, `SELECT id, username, display_name, email, disabled, state, email_confirmed_at, created_at FROM users WHERE id = $1`, id).
		Scan(&u.ID, &u.Username, &u.DisplayName, &u.Email, &u.Disabled, &u.State, store.ScanTime(&confirmed), store.ScanTime(&u.CreatedAt))
	u.EmailConfirmed = !confirmed.IsZero()
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("user %q: %w", id, store.ErrNotFound)
	} else if err != nil {
		return u, err
	}
	rows, err := q.QueryContext(ctx, `SELECT role FROM user_platform_roles WHERE user_id = $1 ORDER BY role`, id)
	if err != nil {
		return u, err
	}
	u.PlatformRoles = []PlatformRole{}
	for rows.Next() {
		var r PlatformRole
		if err := rows.Scan(&r); err != nil {
			rows.Close()
			return u, err
		}
		u.PlatformRoles = append(u.PlatformRoles, r)
	}
	if err := rows.Close(); err != nil {
		return u, err
	}
	rows, err = q.QueryContext(ctx, `SELECT m.organization_id, m.role, o.kind FROM memberships m
		JOIN organizations o ON o.id = m.organization_id WHERE m.user_id = $1 ORDER BY m.organization_id`, id)
	if err != nil {
		return u, err
	}
	defer rows.Close()
	u.Memberships = []Membership{}
	for rows.Next() {
		var m Membership
		if err := rows.Scan(&m.OrganizationID, &m.Role, &m.OrgKind); err != nil {
			return u, err
		}
		u.Memberships = append(u.Memberships, m)
	}
	return u, rows.Err()
}

// Members lists the users of an organization with their role there.
func (s *Service) Members(ctx context.Context, orgID string) ([]User, error) {
	ids, err := store.Strings(ctx, s.db, `SELECT u.id FROM users u JOIN memberships m ON m.user_id = u.id
		WHERE m.organization_id = $1 ORDER BY u.username`, orgID)
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
