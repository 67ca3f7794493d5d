// Package portal is what the open data portal keeps besides the catalog:
// data requests (数据需求征集) that anyone signed in files for data not yet
// open and that the named institution, or the platform operator, answers in
// public; apps built on the data (应用成果展示), submitted by users and
// reviewed by the platform operators as review cases of kind "app"; the
// platform's news and notices (新闻动态 / 通知公告); and the front page's
// figures. Every write is validated, and its event and notices are written
// in the transaction of the change.
package portal

import (
	"encoding/base64"
	"fmt"
	"sync"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// Config tunes the service.
type Config struct {
	// Review keeps the apps' review cases (default: a review service of its own).
	Review *review.Service
	// ReviewDays is how many working days the operators have to review an
	// app (default 10).
	ReviewDays int
	// StatsTTL is how long the front page's figures are reused (default one
	// minute; negative: never).
	StatsTTL time.Duration
}

// Service keeps data requests, apps and news on one store.
type Service struct {
	db  *store.DB
	ids *identity.Service
	cat *catalog.Service
	cfg Config
	// Apps are the apps and their review cases: Get, List, Decide and
	// Withdraw work on them as on every kind of review case.
	Apps review.Records[App]

	statsMu sync.Mutex
	stats   Stats
	statsAt time.Time
}

// New returns the portal service of db, registering apps as a kind of
// review case on cfg.Review.
func New(db *store.DB, ids *identity.Service, cat *catalog.Service, cfg Config) *Service {
	if cfg.Review == nil {
		cfg.Review = review.NewService(db, review.Config{})
	}
	if cfg.ReviewDays <= 0 {
		cfg.ReviewDays = 10
	}
	if cfg.StatsTTL == 0 {
		cfg.StatsTTL = time.Minute
	}
	s := &Service{db: db, ids: ids, cat: cat, cfg: cfg}
	s.Apps = review.Records[App]{Workflow: cfg.Review.Register(s.appKind()), Select: `SELECT ` + appColumns + ` FROM portal_apps`,
		Scan: scanApp, Attach: func(a *App, c review.Case) { a.SubmitterUserID = c.FilerUserID }}
	return s
}

// IsStaff says whether p publishes news and routes data requests: the
// platform operators and sysadmins.
func IsStaff(p identity.Principal) bool {
	return p.Has(identity.PlatformOperator) || p.Has(identity.PlatformSysadmin)
}

// ErrBadCursor means a list's cursor was not one this service handed out.
var ErrBadCursor = validate.Errors{{Field: "cursor", Message: "is not a cursor from a previous page", Code: validate.CodeCursor}}

// cursor encodes the id a page ended at.
func cursor(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

// after decodes a cursor ("" for the first page).
func after(c string) (string, error) {
	if c == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) != 36 {
		return "", ErrBadCursor
	}
	return string(b), nil
}

// limit bounds a page's size to 1–100 (default 20).
func limit(n int) int {
	if n <= 0 {
		return 20
	}
	return min(n, 100)
}

// page cuts items, read one beyond a page of n, to the page, and returns
// the cursor of the next page ("" on the last).
func page[T any](items []T, n int, id func(T) string) ([]T, string) {
	if len(items) <= n {
		return items, ""
	}
	items = items[:n]
	return items, cursor(id(items[n-1]))
}

// notFound wraps store.ErrNotFound with what was not found.
func notFound(what, id string) error {
	return fmt.Errorf("%s %q: %w", what, id, store.ErrNotFound)
}
