package ui

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"dataport/internal/identity"
	"dataport/internal/ledger"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// auditPageSize is how many events one page of the audit history lists.
const auditPageSize = 50

// auditFilter is the audit page's search form, as typed.
type auditFilter struct {
	SubjectKind, SubjectID, Actor, Type, Since, Until string
}

// auditPage is the data of the audit page.
type auditPage struct {
	Actors bool // the viewer sees and searches by actors
	Filter auditFilter
	Errors formErrors
	Rows   []eventRow
	Pager  pager
	Status *auditStatus // nil until the ledger has a checkpoint
	Types  []string     // suggestions for the type filter
	Kinds  []string     // suggestions for the subject kind filter
}

// auditStatus is the ledger's status with its checkpoint's tree opened.
type auditStatus struct {
	ledger.Status
	Root string // base64, as in the checkpoint
}

// auditPage is the searchable event history and the ledger's state, for
// platform staff (auditors, regulators, operators, sysadmins) only. Only
// auditors and regulators see, and search by, who acted.
func (s *server) auditPage(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	if s.ledger == nil {
		return s.notFound(w, r)
	}
	if !p.IsPlatformStaff() {
		return identity.ErrForbidden
	}
	ctx := r.Context()
	q := r.URL.Query()
	page := auditPage{Actors: identity.CanSeeActors(p), Types: eventTypes(), Kinds: subjectKinds(), Filter: auditFilter{
		SubjectKind: strings.TrimSpace(q.Get("subject_kind")), SubjectID: strings.TrimSpace(q.Get("subject_id")),
		Actor: strings.TrimSpace(q.Get("actor")), Type: strings.TrimSpace(q.Get("type")),
		Since: strings.TrimSpace(q.Get("since")), Until: strings.TrimSpace(q.Get("until"))}}
	if page.Status, err = s.auditStatus(ctx); err != nil {
		return err
	}
	f, errs, err := s.ledgerFilter(ctx, page.Filter)
	if err != nil {
		return err
	}
	if f.Actor != "" && !identity.CanSeeActors(p) { // an institution may be searched by, a person not
		names, err := s.identity.Usernames(ctx, []string{f.Actor})
		if err != nil {
			return err
		}
		if len(names) > 0 {
			errs = append(errs, validate.FieldError{Field: "actor", Value: page.Filter.Actor,
				Message: "is a person: only auditors and regulators search by who acted", Code: "actor_person"})
		}
	}
	f.Cursor = q.Get("cursor")
	status := http.StatusOK
	if len(errs) == 0 {
		events, err := s.ledger.Events(ctx, p, f)
		switch {
		case errors.Is(err, ledger.ErrBadCursor):
			errs = append(errs, validate.FieldError{Field: "cursor", Message: "is not a cursor from a previous page", Code: validate.CodeCursor})
		case err != nil:
			return err
		default:
			if page.Rows, err = s.eventRows(ctx, p, events.Events, true); err != nil {
				return err
			}
			if !identity.CanSeeActors(p) {
				for i := range page.Rows {
					page.Rows[i].Who = "" // the actor's institution still shows
				}
			}
			page.Pager = newPager("/audit", q, events.NextCursor)
		}
	}
	if len(errs) > 0 {
		page.Errors, status = newFormErrors(langOf(r), errs), http.StatusUnprocessableEntity
	}
	return s.render(w, r, status, "audit", page)
}

// ledgerFilter turns the form into the ledger's filter: dates are whole
// days in Beijing, both ends included; the actor may be given by username.
func (s *server) ledgerFilter(ctx context.Context, in auditFilter) (ledger.Filter, validate.Errors, error) {
	f := ledger.Filter{SubjectKind: in.SubjectKind, SubjectID: in.SubjectID, Type: in.Type, Actor: in.Actor, Limit: auditPageSize}
	var errs validate.Errors
	day := func(field, v string) time.Time {
		if v == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation("2006-01-02", v, beijing)
		if err != nil {
			errs = append(errs, validate.FieldError{Field: field, Message: "is not a date (YYYY-MM-DD)", Code: validate.CodeDate})
		}
		return t
	}
	f.Since = day("since", in.Since)
	if until := day("until", in.Until); !until.IsZero() {
		f.Until = until.AddDate(0, 0, 1)
		if !f.Since.IsZero() && until.Before(f.Since) {
			errs = append(errs, validate.FieldError{Field: "until", Message: "is before the start date", Code: "after_start"})
		}
	}
	if in.Actor != "" {
		u, err := s.identity.UserByName(ctx, in.Actor)
		switch {
		case err == nil:
			f.Actor = u.ID
		case !errors.Is(err, store.ErrNotFound):
			return f, nil, err
		}
	}
	return f, errs, nil
}

// auditStatus reports the ledger's state; nil when it has no checkpoint yet.
func (s *server) auditStatus(ctx context.Context) (*auditStatus, error) {
	st, err := s.ledger.Status(ctx)
	if errors.Is(err, ledger.ErrNoLog) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := &auditStatus{Status: st}
	if _, tree, err := openCheckpoint(st.Checkpoint, st.VerifierKey); err == nil {
		out.Root = tree.Hash.String()
	}
	return out, nil
}
