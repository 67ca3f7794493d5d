package review

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"dataport/internal/store"
)

const caseColumns = `c.id, c.kind, c.subject_kind, c.subject_id, c.subject_org_id, c.filer_user_id, c.filer_org_id, c.parties, c.plan,
	c.status, c.step, c.reason, c.due_at, c.remind_at, c.escalated_at, c.paused_at, c.answer_due_at, c.created_at, c.updated_at`

func insertCase(ctx context.Context, tx *store.Tx, c Case) error {
	parties, plan := jsonText(c.Parties, "{}"), jsonText(c.Plan, "[]")
	_, err := tx.ExecContext(ctx, `INSERT INTO review_cases (id, kind, subject_kind, subject_id, subject_org_id, filer_user_id, filer_org_id,
		parties, plan, status, step, reason, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)`,
		c.ID, c.Kind, c.Subject.Kind, c.Subject.ID, c.Subject.OrgID, c.FilerUserID, c.FilerOrgID, parties, plan,
		string(c.Status), c.Step, c.Reason, store.TS(c.CreatedAt), store.TS(c.UpdatedAt))
	if err != nil {
		return fmt.Errorf("review: %s %s: %w", c.Kind, c.ID, err)
	}
	return nil
}

// saveCase stores what moves in a case: its status, step, reason and clocks.
func saveCase(ctx context.Context, tx *store.Tx, c Case) error {
	_, err := tx.ExecContext(ctx, `UPDATE review_cases SET status = $1, step = $2, reason = $3, due_at = $4, remind_at = $5,
		escalated_at = $6, paused_at = $7, answer_due_at = $8, updated_at = $9 WHERE id = $10`,
		string(c.Status), c.Step, c.Reason, store.NullTSPtr(c.DueAt), store.NullTSPtr(c.RemindAt), store.NullTSPtr(c.EscalatedAt),
		store.NullTSPtr(c.PausedAt), store.NullTSPtr(c.AnswerDueAt), store.TS(c.UpdatedAt), c.ID)
	if err != nil {
		return fmt.Errorf("review: %s %s: %w", c.Kind, c.ID, err)
	}
	return nil
}

// addEntry appends e to the history of case id, at tx's time.
func addEntry(ctx context.Context, tx *store.Tx, id string, e Entry) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO review_history (case_id, seq, action, status, reviewer, actor_id, actor_org_id, at, comment)
		VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM review_history WHERE case_id = $1), $2, $3, $4, $5, $6, $7, $8)`,
		id, e.Action, string(e.Status), e.Reviewer, e.ActorID, e.ActorOrgID, store.TS(tx.Now()), e.Comment)
	if err != nil {
		return fmt.Errorf("review: case %s: history: %w", id, err)
	}
	return nil
}

func insertVote(ctx context.Context, tx *store.Tx, id string, v Vote) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO review_votes (case_id, step, reviewer, decision, actor_id, at) VALUES ($1, $2, $3, $4, $5, $6)`,
		id, v.Step, v.Reviewer, string(v.Decision), v.ActorID, store.TS(v.At))
	if store.IsUniqueViolation(err) {
		return fmt.Errorf("%w: the %s's part of this step is decided", ErrState, v.Reviewer)
	}
	return err
}

// history returns the history of case id, oldest first.
func history(ctx context.Context, q store.Querier, id string) ([]Entry, error) {
	rows, err := q.QueryContext(ctx, `SELECT seq, action, status, reviewer, actor_id, actor_org_id, at, comment FROM review_history
		WHERE case_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.Seq, &e.Action, &e.Status, &e.Reviewer, &e.ActorID, &e.ActorOrgID, store.ScanTime(&e.At), &e.Comment); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// query returns the cases that clause (the SQL after "FROM review_cases
// c") selects, with their votes and the rules of their kinds.
func (s *Service) query(ctx context.Context, q store.Querier, clause string, args ...any) ([]Case, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+caseColumns+` FROM review_cases c`+clause, args...)
	if err != nil {
		return nil, fmt.Errorf("review: cases: %w", err)
	}
	defer rows.Close()
	out := []Case{}
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, err
		}
		c.w = s.workflow(c.Kind)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	return out, s.votes(ctx, q, out)
}

func scanCase(row interface{ Scan(...any) error }) (Case, error) {
	var c Case
	var parties, plan []byte
	var due, remind, escalated, paused, answerDue time.Time
	err := row.Scan(&c.ID, &c.Kind, &c.Subject.Kind, &c.Subject.ID, &c.Subject.OrgID, &c.FilerUserID, &c.FilerOrgID, &parties, &plan,
		&c.Status, &c.Step, &c.Reason, store.ScanTime(&due), store.ScanTime(&remind), store.ScanTime(&escalated), store.ScanTime(&paused),
		store.ScanTime(&answerDue), store.ScanTime(&c.CreatedAt), store.ScanTime(&c.UpdatedAt))
	if err != nil {
		return c, err
	}
	c.DueAt, c.RemindAt, c.EscalatedAt, c.PausedAt, c.AnswerDueAt = ptr(due), ptr(remind), ptr(escalated), ptr(paused), ptr(answerDue)
	if err := json.Unmarshal(parties, &c.Parties); err != nil {
		return c, fmt.Errorf("review: case %s: parties: %w", c.ID, err)
	}
	if len(c.Parties) == 0 {
		c.Parties = nil
	}
	if err := json.Unmarshal(plan, &c.Plan); err != nil {
		return c, fmt.Errorf("review: case %s: plan: %w", c.ID, err)
	}
	return c, nil
}

// votes fills in the votes of cases, reading them in batches.
func (s *Service) votes(ctx context.Context, q store.Querier, cases []Case) error {
	at := map[string]int{}
	for i, c := range cases {
		at[c.ID] = i
	}
	for start := 0; start < len(cases); start += 500 {
		batch := cases[start:min(start+500, len(cases))]
		ph, args := make([]string, len(batch)), make([]any, len(batch))
		for i, c := range batch {
			ph[i], args[i] = fmt.Sprintf("$%d", i+1), c.ID
		}
		rows, err := q.QueryContext(ctx, `SELECT case_id, step, reviewer, decision, actor_id, at FROM review_votes
			WHERE case_id IN (`+strings.Join(ph, ", ")+`) ORDER BY at, step, reviewer`, args...)
		if err != nil {
			return fmt.Errorf("review: votes: %w", err)
		}
		for rows.Next() {
			var id string
			var v Vote
			if err := rows.Scan(&id, &v.Step, &v.Reviewer, &v.Decision, &v.ActorID, store.ScanTime(&v.At)); err != nil {
				rows.Close()
				return err
			}
			cases[at[id]].Votes = append(cases[at[id]].Votes, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

func ptr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// jsonText is v as JSON text (TEXT on SQLite, JSONB on PostgreSQL); nil
// maps and slices are written empty.
func jsonText[T any](v T, empty string) string {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return empty
	}
	return string(b)
}
