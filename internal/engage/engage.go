// Package engage is how people take part around a published dataset: view
// and download counts, ratings, comments, error reports (数据纠错) answered by
// the provider, and follows that bring notices of new data versions.
//
// Every write is validated, done in one transaction and described by an
// event in it; events carry identifiers and hashes, never the text people
// wrote. Counts are the exception, explained in counts.go: they are
// statistics, batched in memory and flushed with one summary event a flush.
package engage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// Limits of what people write, in characters.
const (
	MaxComment = 2000
	MaxReason  = 500
	MaxProblem = 2000
	MaxReply   = 2000
	MaxColumn  = 100
	MaxRowRef  = 100
	MaxValue   = 500
)

// Config tunes the service; the zero value is the default.
type Config struct {
	// FlushEvery is how often counted views and downloads are written to
	// the store (default one minute).
	FlushEvery time.Duration
	Log        *slog.Logger
}

// Service is the engagement around published datasets.
type Service struct {
	db  *store.DB
	cat *catalog.Service
	cfg Config
	log *slog.Logger

	counts counter
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
}

// New returns the engagement service on db; resources are looked up (with
// their visibility) through cat.
func New(db *store.DB, cat *catalog.Service, cfg Config) *Service {
	if cfg.FlushEvery <= 0 {
		cfg.FlushEvery = time.Minute
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, cat: cat, cfg: cfg, log: log, counts: counter{pending: map[string]*tally{}}}
}

// CanModerate reports whether p may hide comments on r: the editors and
// admins of r's institution, and the platform's operators and sysadmins.
func CanModerate(p identity.Principal, r catalog.Resource) bool {
	return p.AtLeast(r.OrganizationID, identity.RoleEditor) || p.Has(identity.PlatformOperator) || p.Has(identity.PlatformSysadmin)
}

// CanAnswer reports whether p may reply to error reports on r: the editors
// and admins of r's institution, and the platform's operators.
func CanAnswer(p identity.Principal, r catalog.Resource) bool {
	return p.AtLeast(r.OrganizationID, identity.RoleEditor) || p.Has(identity.PlatformOperator)
}

// ErrNotPublished is returned (wrapped in catalog.ErrState, a conflict) when
// someone rates, comments on, reports or follows a resource that is not
// published.
var ErrNotPublished = fmt.Errorf("%w: only published datasets take ratings, comments, error reports and follows", catalog.ErrState)

// published returns the resource p acts on: ErrUnauthenticated for an
// anonymous p, not found when p may not see it, ErrNotPublished when it is
// not published.
func (s *Service) published(ctx context.Context, p identity.Principal, resourceID string) (catalog.Resource, error) {
	if p.IsAnonymous() {
		return catalog.Resource{}, identity.ErrUnauthenticated
	}
	r, err := s.cat.Get(ctx, p, resourceID)
	if err != nil {
		return r, err
	}
	if r.Status != catalog.StatusPublished {
		return r, ErrNotPublished
	}
	return r, nil
}

// text is s trimmed, checked as plain text of at most max characters
// (required when req), with its problems added to errs under field.
func text(errs *validate.Errors, field, s string, max int, req bool) string {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
	if req && !errs.Required(field, s) {
		return s
	}
	errs.MaxLen(field, s, max)
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) >= 0 {
		errs.Add(field, s, validate.CodeFormat, "must be plain text without control characters")
	}
	return s
}

// event is the event of a change p made to resource r.
func event(typ string, p identity.Principal, r catalog.Resource) store.Event {
	return store.Event{Type: typ, ActorUserID: p.UserID, ActorOrgID: r.OrganizationID, SubjectKind: "resource", SubjectID: r.ID}
}

// notFound says what id names nothing (or nothing p may see).
func notFound(what, id string) error { return fmt.Errorf("%s %q: %w", what, id, store.ErrNotFound) }

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
