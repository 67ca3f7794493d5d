package review

import (
	"context"
	"fmt"
	"strings"
	"time"

	"dataport/internal/identity"
	"dataport/internal/store"
)

// Backlog is how the open cases of one kind stand, as the platform
// operators' dashboard counts them.
type Backlog struct {
	Kind      string     `json:"kind"`
	List      string     `json:"list"`      // the kind's list page: its Link without the trailing "/"
	Open      int        `json:"open"`      // at a step or waiting for the filer's answer
	MoreInfo  int        `json:"more_info"` // of those, waiting for the filer's answer
	Overdue   int        `json:"overdue"`   // at a step past its deadline
	Escalated int        `json:"escalated"` // at a step the operators may decide in the reviewers' place
	Oldest    *time.Time `json:"oldest"`    // when the oldest open case was filed
	NextDue   *time.Time `json:"next_due"`  // the soonest deadline of a case at a step
}

// Backlog returns, to platform staff, the open cases of every registered
// kind, in the order the kinds were registered (a kind without open cases
// counts zero): ErrUnauthenticated for an anonymous caller, ErrForbidden
// for anyone else.
func (s *Service) Backlog(ctx context.Context, p identity.Principal, now time.Time) ([]Backlog, error) {
	if p.IsAnonymous() {
		return nil, identity.ErrUnauthenticated
	}
	if !p.IsPlatformStaff() {
		return nil, identity.ErrForbidden
	}
	out := make([]Backlog, len(s.kinds))
	at := map[string]int{}
	for i, w := range s.kinds {
		out[i] = Backlog{Kind: w.k.Name, List: strings.TrimSuffix(w.k.Link, "/")}
		at[w.k.Name] = i
	}
	rows, err := s.db.QueryContext(ctx, `SELECT kind, count(*),
		COALESCE(SUM(CASE WHEN status = $1 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status <> $1 AND due_at IS NOT NULL AND due_at < $2 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status <> $1 AND escalated_at IS NOT NULL THEN 1 ELSE 0 END), 0),
		MIN(created_at), MIN(CASE WHEN status <> $1 THEN due_at END)
		FROM review_cases WHERE step <> '' GROUP BY kind`, string(StatusMoreInfo), store.TS(now))
	if err != nil {
		return nil, fmt.Errorf("review: backlog: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b Backlog
		var oldest, due time.Time
		if err := rows.Scan(&b.Kind, &b.Open, &b.MoreInfo, &b.Overdue, &b.Escalated, store.ScanTime(&oldest), store.ScanTime(&due)); err != nil {
			return nil, err
		}
		i, ok := at[b.Kind]
		if !ok {
			continue // a kind this process does not register
		}
		b.List, b.Oldest, b.NextDue = out[i].List, ptr(oldest), ptr(due)
		out[i] = b
	}
	return out, rows.Err()
}

// WorkingDaysSince counts the working days from t to now on the calendar
// the deadlines are counted on (0 the same day).
func (s *Service) WorkingDaysSince(t, now time.Time) int { return s.cal.WorkingDaysBetween(t, now) }
