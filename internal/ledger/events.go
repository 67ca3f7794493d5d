package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"dataport/internal/identity"
	"dataport/internal/store"
)

// Filter selects events for the audit history; zero fields match everything.
type Filter struct {
	SubjectKind string
	SubjectID   string
	Type        string
	Actor       string    // a user or organization id
	Since       time.Time // at >= Since
	Until       time.Time // at < Until
	Cursor      string    // NextCursor of the previous page
	Limit       int       // 1–1000, default 100
}

// Page is one page of events, newest first.
type Page struct {
	Events     []store.Event
	NextCursor string // "" on the last page
}

// Events lists the events p may see, newest first. Platform staff (sysadmin,
// operator, regulator, auditor) see every event; any other signed-in user
// sees the events they acted in and those of the organizations they belong
// to; anonymous callers see none (identity.ErrUnauthenticated).
func (s *Service) Events(ctx context.Context, p identity.Principal, f Filter) (Page, error) {
	if p.IsAnonymous() {
		return Page{}, identity.ErrUnauthenticated
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	var w where
	if !p.IsPlatformStaff() {
		w.visibleTo(p)
	}
	w.eq("subject_kind", f.SubjectKind)
	w.eq("subject_id", f.SubjectID)
	w.eq("type", f.Type)
	if f.Actor != "" {
		w.add("(actor_user_id = $? OR actor_org_id = $?)", f.Actor, f.Actor)
	}
	if !f.Since.IsZero() {
		w.add("at >= $?", store.TS(f.Since))
	}
	if !f.Until.IsZero() {
		w.add("at < $?", store.TS(f.Until))
	}
	if f.Cursor != "" {
		before, err := strconv.ParseInt(f.Cursor, 10, 64)
		if err != nil || before <= 0 {
			return Page{}, fmt.Errorf("ledger: cursor %q: %w", f.Cursor, ErrBadCursor)
		}
		w.add("seq < $?", before)
	}
	evs, err := s.queryEvents(ctx, w, f.Limit+1)
	if err != nil {
		return Page{}, err
	}
	page := Page{Events: evs}
	if len(evs) > f.Limit {
		page.Events = evs[:f.Limit]
		page.NextCursor = strconv.FormatInt(page.Events[f.Limit-1].Seq, 10)
	}
	return page, nil
}

func (s *Service) queryEvents(ctx context.Context, w where, limit int) ([]store.Event, error) {
	q := `SELECT seq, id, type, at, actor_user_id, actor_org_id, subject_kind, subject_id, payload, payload_hash, ledger_index
		FROM events` + w.sql() + ` ORDER BY seq DESC LIMIT ` + strconv.Itoa(limit)
	rows, err := s.db.QueryContext(ctx, q, w.args...)
	if err != nil {
		return nil, fmt.Errorf("ledger: events: %w", err)
	}
	defer rows.Close()
	var out []store.Event
	for rows.Next() {
		ev, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, rows.Err()
}

type scanner interface{ Scan(dest ...any) error }

func scanEvent(r scanner) (store.Event, error) {
	var ev store.Event
	var payload string
	if err := r.Scan(&ev.Seq, &ev.ID, &ev.Type, store.ScanTime(&ev.At), &ev.ActorUserID, &ev.ActorOrgID,
		&ev.SubjectKind, &ev.SubjectID, &payload, &ev.PayloadHash, &ev.LedgerIndex); err != nil {
		return store.Event{}, fmt.Errorf("ledger: scan event: %w", err)
	}
	ev.Payload = []byte(payload)
	return ev, nil
}

// Event returns one event by id; store.ErrNotFound when there is none.
func (s *Service) Event(ctx context.Context, id string) (store.Event, error) {
	return eventByID(ctx, s.db, id)
}

func eventByID(ctx context.Context, q store.Querier, id string) (store.Event, error) {
	row := q.QueryRowContext(ctx, `SELECT seq, id, type, at, actor_user_id, actor_org_id, subject_kind, subject_id,
		payload, payload_hash, ledger_index FROM events WHERE id = $1`, id)
	ev, err := scanEvent(row)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Event{}, fmt.Errorf("ledger: event %s: %w", id, store.ErrNotFound)
	}
	return ev, err
}

// where builds a WHERE clause whose placeholders are numbered as added.
type where struct {
	conds []string
	args  []any
}

// add appends a condition written with "$?" placeholders.
func (w *where) add(cond string, args ...any) {
	for _, a := range args {
		w.args = append(w.args, a)
		cond = strings.Replace(cond, "$?", "$"+strconv.Itoa(len(w.args)), 1)
	}
	w.conds = append(w.conds, cond)
}

func (w *where) eq(column, value string) {
	if value != "" {
		w.add(column+" = $?", value)
	}
}

// visibleTo limits the events to those p acted in or p's organizations did.
func (w *where) visibleTo(p identity.Principal) {
	cond := "(actor_user_id = $?"
	args := []any{p.UserID}
	for _, org := range p.OrgIDs() {
		cond += " OR actor_org_id = $?"
		args = append(args, org)
	}
	w.add(cond+")", args...)
}

func (w where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}
