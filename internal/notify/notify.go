// Package notify tells people in the app that something needs them or
// happened to their requests, and queues the same notice in an outbox for an
// e-mail or SMS sender. Notices are written in the transaction of the change
// they announce, so they exist exactly when it does. They carry a kind and a
// subject, never text or personal data: the UI words them in the reader's
// language, and a sender looks up addresses when it sends.
package notify

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"dataport/internal/identity"
	"dataport/internal/store"
)

// Notification is one notice to one user.
type Notification struct {
	ID          string     `json:"id"`
	Kind        string     `json:"kind"` // e.g. "share.submitted"; the UI translates "notify.<kind>"
	SubjectKind string     `json:"subject_kind"`
	SubjectID   string     `json:"subject_id"`
	Link        string     `json:"link"` // the page to act on, e.g. "/share-requests/…"
	CreatedAt   time.Time  `json:"created_at"`
	ReadAt      *time.Time `json:"read_at"`
}

// To says who receives a notice: users by id, the members of organizations
// holding at least a role, and the platform operators.
type To struct {
	Users     []string
	Orgs      []string      // organization ids
	OrgRole   identity.Role // weakest role in Orgs that is told (default member)
	Operators bool
}

// Channels are the outbox channels every notice is queued on.
var Channels = []string{"email"}

// Send writes the notice for every recipient in tx, and its outbox rows.
func Send(ctx context.Context, tx *store.Tx, kind, subjectKind, subjectID, link string, to To) error {
	users, err := recipients(ctx, tx, to)
	if err != nil {
		return err
	}
	for _, u := range users {
		id := store.NewID()
		if _, err := tx.ExecContext(ctx, `INSERT INTO notifications (id, user_id, kind, subject_kind, subject_id, link, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, u, kind, subjectKind, subjectID, link, store.TS(tx.Now())); err != nil {
			return fmt.Errorf("notify: %w", err)
		}
		for _, ch := range Channels {
			if _, err := tx.ExecContext(ctx, `INSERT INTO notification_outbox (id, notification_id, channel, status, created_at)
				VALUES ($1, $2, $3, 'pending', $4)`, store.NewID(), id, ch, store.TS(tx.Now())); err != nil {
				return fmt.Errorf("notify: outbox: %w", err)
			}
		}
	}
	return nil
}

// recipients resolves to into distinct user ids, in a stable order.
func recipients(ctx context.Context, tx *store.Tx, to To) ([]string, error) {
	users := slices.Clone(to.Users)
	roles := identity.Roles
	if i := slices.Index(identity.Roles, to.OrgRole); i > 0 {
		roles = identity.Roles[i:]
	}
	add := func(query string, args ...any) error {
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("notify: recipients: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			users = append(users, id)
		}
		return rows.Err()
	}
	for _, org := range to.Orgs {
		ph := make([]string, len(roles))
		args := []any{org}
		for i, r := range roles {
			ph[i] = fmt.Sprintf("$%d", i+2)
			args = append(args, string(r))
		}
		if err := add(`SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.organization_id = $1 AND m.role IN (`+strings.Join(ph, ", ")+`) AND NOT u.disabled`, args...); err != nil {
			return nil, err
		}
	}
	if to.Operators {
		if err := add(`SELECT user_id FROM user_platform_roles WHERE role = $1`, string(identity.PlatformOperator)); err != nil {
			return nil, err
		}
	}
	slices.Sort(users)
	return slices.Compact(slices.DeleteFunc(users, func(u string) bool { return u == "" || u == identity.System.UserID })), nil
}

// Service reads and marks a user's notices.
type Service struct{ db *store.DB }

// NewService returns the notices of db.
func NewService(db *store.DB) *Service { return &Service{db: db} }

// List returns p's notices, newest first (unread only when asked).
func (s *Service) List(ctx context.Context, p identity.Principal, unreadOnly bool, limit int) ([]Notification, error) {
	if p.IsAnonymous() {
		return nil, identity.ErrUnauthenticated
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	q := `SELECT id, kind, subject_kind, subject_id, link, created_at, read_at FROM notifications WHERE user_id = $1`
	if unreadOnly {
		q += ` AND read_at IS NULL`
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY id DESC LIMIT $2`, p.UserID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Notification{}
	for rows.Next() {
		var n Notification
		var read time.Time
		if err := rows.Scan(&n.ID, &n.Kind, &n.SubjectKind, &n.SubjectID, &n.Link, store.ScanTime(&n.CreatedAt), store.ScanTime(&read)); err != nil {
			return nil, err
		}
		if !read.IsZero() {
			n.ReadAt = &read
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// Unread counts p's unread notices.
func (s *Service) Unread(ctx context.Context, p identity.Principal) (int, error) {
	if p.IsAnonymous() {
		return 0, nil
	}
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL`, p.UserID).Scan(&n)
	return n, err
}

// MarkRead marks p's notice id read ("" marks them all).
func (s *Service) MarkRead(ctx context.Context, p identity.Principal, id string) error {
	if p.IsAnonymous() {
		return identity.ErrUnauthenticated
	}
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL AND ($3 = '' OR id = $3)`,
			store.TS(tx.Now()), p.UserID, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 && id != "" {
			var exists int
			tx.QueryRowContext(ctx, `SELECT count(*) FROM notifications WHERE user_id = $1 AND id = $2`, p.UserID, id).Scan(&exists)
			if exists == 0 {
				return fmt.Errorf("notification %q: %w", id, store.ErrNotFound)
			}
		}
		return nil
	})
}

// Delivery is one outbox row as the platform's staff see it: what kind of
// notice, on which channel, and how its delivery went. It names no
// recipient and no address.
type Delivery struct {
	ID          string     `json:"id"`
	Kind        string     `json:"kind"` // the notice's kind; the UI translates "notify.<kind>"
	SubjectKind string     `json:"subject_kind"`
	Channel     string     `json:"channel"`
	Status      string     `json:"status"` // OutboxPending, OutboxSent, OutboxSkipped or OutboxFailed
	Attempts    int        `json:"attempts"`
	CreatedAt   time.Time  `json:"created_at"`
	NextAttempt *time.Time `json:"next_attempt_at"` // when a pending one is tried (again); nil: at once
	SentAt      *time.Time `json:"sent_at"`
	LastError   string     `json:"last_error,omitempty"`
}

// CanReadOutbox: the platform operators and sysadmins watch the outbox.
func CanReadOutbox(p identity.Principal) bool {
	return p.Has(identity.PlatformOperator) || p.Has(identity.PlatformSysadmin)
}

// Outbox returns the newest deliveries of the outbox (at most limit, 50
// when limit is out of 1–500), for the platform operators and sysadmins:
// ErrUnauthenticated for an anonymous caller, ErrForbidden for others.
func (s *Service) Outbox(ctx context.Context, p identity.Principal, limit int) ([]Delivery, error) {
	if p.IsAnonymous() {
		return nil, identity.ErrUnauthenticated
	}
	if !CanReadOutbox(p) {
		return nil, identity.ErrForbidden
	}
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := s.db.QueryContext(ctx, `SELECT o.id, n.kind, n.subject_kind, o.channel, o.status, o.attempts, o.created_at,
		o.next_attempt_at, o.sent_at, o.last_error
		FROM notification_outbox o JOIN notifications n ON n.id = o.notification_id
		ORDER BY o.created_at DESC, o.id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("notify: outbox: %w", err)
	}
	defer rows.Close()
	out := []Delivery{}
	for rows.Next() {
		var d Delivery
		var next, sent time.Time
		if err := rows.Scan(&d.ID, &d.Kind, &d.SubjectKind, &d.Channel, &d.Status, &d.Attempts, store.ScanTime(&d.CreatedAt),
			store.ScanTime(&next), store.ScanTime(&sent), &d.LastError); err != nil {
			return nil, err
		}
		d.SentAt = timePtr(sent)
		if d.Status == OutboxPending {
			d.NextAttempt = timePtr(next)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// timePtr is t, or nil when it is zero (a NULL column).
func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
