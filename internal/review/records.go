package review

import (
	"context"
	"fmt"
	"time"

	"dataport/internal/identity"
	"dataport/internal/store"
)

// Records pairs the cases of a kind with the kind's own records of them:
// what only the kind holds (a share request's purpose and legal basis, an
// application's agreement), in its own table under the case's id. A kind's
// service reads, lists and moves its records through it; a record type
// embeds State, which shows the case and what its reader may do with it.
type Records[T any] struct {
	*Workflow
	// Select selects the kind's records, e.g. "SELECT id, purpose FROM
	// share_requests"; Records adds the WHERE clause.
	Select string
	// Scan reads a row of Select into a record and returns its id.
	Scan func(row Row) (string, T, error)
	// Attach fills in what else a record shows of its case (its filer,
	// under the kind's name), if anything; Records fills in State.
	Attach func(rec *T, c Case)
}

// Row is one row of a query.
type Row interface{ Scan(dest ...any) error }

// Read returns the records ids (without their cases) in q, by id.
func (r Records[T]) Read(ctx context.Context, q store.Querier, ids ...string) (map[string]T, error) {
	out := make(map[string]T, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	b := where{}
	b.in("id", ids)
	rows, err := q.QueryContext(ctx, r.Select+b.clause(), b.args...)
	if err != nil {
		return nil, fmt.Errorf("%s: records: %w", r.k.Name, err)
	}
	defer rows.Close()
	for rows.Next() {
		id, rec, err := r.Scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: records: %w", r.k.Name, err)
		}
		out[id] = rec
	}
	return out, rows.Err()
}

// Record returns record id, which must exist, without its case.
func (r Records[T]) Record(ctx context.Context, q store.Querier, id string) (T, error) {
	recs, err := r.Read(ctx, q, id)
	rec, ok := recs[id]
	if err == nil && !ok {
		err = fmt.Errorf("%s %q: no record: %w", r.k.Name, id, store.ErrNotFound)
	}
	return rec, err
}

// Get returns the record of case id with its history, if p may see it.
func (r Records[T]) Get(ctx context.Context, p identity.Principal, id string) (T, error) {
	c, err := r.Workflow.Get(ctx, p, id)
	if err != nil {
		var zero T
		return zero, err
	}
	recs, err := r.withCases(ctx, []Case{c})
	if err != nil {
		var zero T
		return zero, err
	}
	return recs[0], nil
}

// List returns the records of the cases p may see that f selects, in
// their order.
func (r Records[T]) List(ctx context.Context, p identity.Principal, f Filter) ([]T, error) {
	cases, err := r.Workflow.List(ctx, p, f)
	if err != nil {
		return nil, err
	}
	return r.withCases(ctx, cases)
}

// Tick applies what is due at now to the kind's cases — reminders,
// escalations, expiries (see Service.Tick) — and counts them.
func (r Records[T]) Tick(ctx context.Context, now time.Time) (Tally, error) {
	return r.Workflow.s.Tick(ctx, now, r.Workflow.k.Name)
}

// Decide records p's verdict on case id in a transaction of its own (see
// Workflow.Decide) and returns the record as p now sees it.
func (r Records[T]) Decide(ctx context.Context, p identity.Principal, id string, d Decision, comment string) (T, error) {
	return r.change(ctx, p, id, func(tx *store.Tx) (Case, error) { return r.Workflow.Decide(ctx, tx, p, id, d, comment) })
}

// Withdraw withdraws case id at p's wish in a transaction of its own (see
// Workflow.Withdraw) and returns the record as p now sees it.
func (r Records[T]) Withdraw(ctx context.Context, p identity.Principal, id string) (T, error) {
	return r.change(ctx, p, id, func(tx *store.Tx) (Case, error) { return r.Workflow.Withdraw(ctx, tx, p, id) })
}

// RequestInfo asks the filer of case id for more information (see
// Workflow.RequestInfo) and returns the record as p now sees it.
func (r Records[T]) RequestInfo(ctx context.Context, p identity.Principal, id, question string) (T, error) {
	return r.change(ctx, p, id, func(tx *store.Tx) (Case, error) { return r.Workflow.RequestInfo(ctx, tx, p, id, question) })
}

// Answer gives the filer's answer (see Workflow.Answer) and returns the
// record as p now sees it.
func (r Records[T]) Answer(ctx context.Context, p identity.Principal, id, answer string) (T, error) {
	return r.change(ctx, p, id, func(tx *store.Tx) (Case, error) { return r.Workflow.Answer(ctx, tx, p, id, answer) })
}

func (r Records[T]) change(ctx context.Context, p identity.Principal, id string, move func(tx *store.Tx) (Case, error)) (T, error) {
	err := r.s.db.Transact(ctx, func(tx *store.Tx) error {
		_, err := move(tx)
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return r.Get(ctx, p, id)
}

// withCases returns the records of cases, in their order, filled in from them.
func (r Records[T]) withCases(ctx context.Context, cases []Case) ([]T, error) {
	ids := make([]string, len(cases))
	for i, c := range cases {
		ids[i] = c.ID
	}
	recs, err := r.Read(ctx, r.s.db, ids...)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(cases))
	for _, c := range cases {
		rec, ok := recs[c.ID]
		if !ok {
			return nil, fmt.Errorf("%s %q: the case has no record", r.k.Name, c.ID)
		}
		if a, ok := any(&rec).(interface{ attach(Case) }); ok {
			a.attach(c)
		}
		if r.Attach != nil {
			r.Attach(&rec, c)
		}
		out = append(out, rec)
	}
	return out, nil
}

// State is what a kind's record shows of its case — status, deadline,
// escalation, reason, times and history, under the JSON names share
// requests and open applications have always had — and what a person may
// do with the case now (the rules Decide, Withdraw and Answer apply). A
// record type embeds it; Records fills it in.
type State struct {
	Status      Status     `json:"status"`
	DueAt       *time.Time `json:"due_at"`
	EscalatedAt *time.Time `json:"escalated_at"`
	AnswerDueAt *time.Time `json:"answer_due_at,omitempty"` // while it waits for more material: when it expires unanswered
	Reason      string     `json:"reason"`                  // the last decision's comment, or the rule's reason for refusing
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	Steps       []Entry    `json:"steps,omitempty"` // the history

	c Case
}

func (s *State) attach(c Case) {
	*s = State{Status: c.Status, DueAt: c.DueAt, EscalatedAt: c.EscalatedAt, AnswerDueAt: c.AnswerDueAt, Reason: c.Reason, CreatedAt: c.CreatedAt,
		UpdatedAt: c.UpdatedAt, Steps: c.History, c: c}
}

// CanReview says whether p may decide the case now.
func (s State) CanReview(p identity.Principal) bool { return s.c.CanDecide(p) }

// CanWithdraw says whether p may withdraw the case now.
func (s State) CanWithdraw(p identity.Principal) bool { return s.c.CanWithdraw(p) }

// CanAnswer says whether p may answer the case's request for more information now.
func (s State) CanAnswer(p identity.Principal) bool { return s.c.CanAnswer(p) }

// Overdue reports whether the case waits for its reviewers past its deadline at now.
func (s State) Overdue(now time.Time) bool { return s.c.Overdue(now) }
