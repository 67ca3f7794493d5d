package assess

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"dataport/internal/store"
)

const assessmentColumns = `id, scope, resource_id, system_name, org_id, title, scope_note, state, grade_class, grade_level,
	items, risks, risk_level, conclusion, created_by, created_at, updated_at, completed_by, completed_at, valid_until,
	ended_at, end_reason, version`

type rowScanner interface{ Scan(dest ...any) error }

func scanAssessment(r rowScanner) (Assessment, error) {
	var a Assessment
	var items, risks string
	var completed, until, ended time.Time
	err := r.Scan(&a.ID, &a.Scope, &a.ResourceID, &a.SystemName, &a.OrgID, &a.Title, &a.ScopeNote, &a.State, &a.Class,
		&a.Level, &items, &risks, &a.RiskLevel, &a.Conclusion, &a.CreatedBy, store.ScanTime(&a.CreatedAt),
		store.ScanTime(&a.UpdatedAt), &a.CompletedBy, store.ScanTime(&completed), store.ScanTime(&until),
		store.ScanTime(&ended), &a.EndReason, &a.Version)
	if err != nil {
		return a, err
	}
	a.CompletedAt, a.ValidUntil, a.EndedAt = ptr(completed), ptr(until), ptr(ended)
	if err := json.Unmarshal([]byte(items), &a.Items); err != nil {
		return a, fmt.Errorf("assess: assessment %s items: %w", a.ID, err)
	}
	if err := json.Unmarshal([]byte(risks), &a.Risks); err != nil {
		return a, fmt.Errorf("assess: assessment %s risks: %w", a.ID, err)
	}
	a.Items = a.Items.nonNil()
	a.Tasks = []Task{}
	return a, nil
}

// ptr is t, nil when zero (a NULL timestamp).
func ptr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// get reads an assessment with its tasks, without permission checks;
// lock locks its row until tx ends (PostgreSQL; SQLite's transactions hold
// the write lock from BEGIN).
func get(ctx context.Context, q store.Querier, id string, lock bool) (Assessment, error) {
	query := `SELECT ` + assessmentColumns + ` FROM risk_assessments WHERE id = $1`
	if lock {
		query += ` FOR UPDATE`
	}
	a, err := scanAssessment(q.QueryRowContext(ctx, query, id))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("risk assessment %q: %w", id, store.ErrNotFound)
	} else if err != nil {
		return a, fmt.Errorf("assess: read assessment: %w", err)
	}
	a.Tasks, err = tasks(ctx, q, id)
	return a, err
}

func insertAssessment(ctx context.Context, tx *store.Tx, a Assessment) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO risk_assessments (`+assessmentColumns+`)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23)`,
		a.ID, a.Scope, a.ResourceID, a.SystemName, a.OrgID, a.Title, a.ScopeNote, a.State, a.Class, a.Level,
		jsonText(a.Items), jsonText(nonNil(a.Risks)), a.RiskLevel, a.Conclusion, a.CreatedBy, store.TS(a.CreatedAt),
		store.TS(a.UpdatedAt), a.CompletedBy, store.NullTSPtr(a.CompletedAt), store.NullTSPtr(a.ValidUntil),
		store.NullTSPtr(a.EndedAt), a.EndReason, a.Version)
	if err != nil {
		return fmt.Errorf("assess: insert assessment: %w", err)
	}
	return nil
}

func updateAssessment(ctx context.Context, tx *store.Tx, a Assessment) error {
	_, err := tx.ExecContext(ctx, `UPDATE risk_assessments SET title = $2, scope_note = $3, state = $4, grade_class = $5,
		grade_level = $6, items = $7, risks = $8, risk_level = $9, conclusion = $10, updated_at = $11, completed_by = $12,
		completed_at = $13, valid_until = $14, ended_at = $15, end_reason = $16, version = $17 WHERE id = $1`,
		a.ID, a.Title, a.ScopeNote, a.State, a.Class, a.Level, jsonText(a.Items), jsonText(nonNil(a.Risks)), a.RiskLevel,
		a.Conclusion, store.TS(a.UpdatedAt), a.CompletedBy, store.NullTSPtr(a.CompletedAt), store.NullTSPtr(a.ValidUntil),
		store.NullTSPtr(a.EndedAt), a.EndReason, a.Version)
	if err != nil {
		return fmt.Errorf("assess: update assessment: %w", err)
	}
	return nil
}

const taskColumns = `id, assessment_id, finding, title, owner_user_id, deadline, done_at, done_by, note, reminded_at,
	created_by, created_at`

func scanTask(r rowScanner) (Task, error) {
	var t Task
	var done, reminded time.Time
	err := r.Scan(&t.ID, &t.AssessmentID, &t.Finding, &t.Title, &t.OwnerUserID, &t.Deadline, store.ScanTime(&done),
		&t.DoneBy, &t.Note, store.ScanTime(&reminded), &t.CreatedBy, store.ScanTime(&t.CreatedAt))
	t.DoneAt, t.RemindedAt = ptr(done), ptr(reminded)
	return t, err
}

// tasks reads an assessment's tasks in the order they were added.
func tasks(ctx context.Context, q store.Querier, assessmentID string) ([]Task, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+taskColumns+` FROM risk_assessment_tasks WHERE assessment_id = $1 ORDER BY id`,
		assessmentID)
	if err != nil {
		return nil, fmt.Errorf("assess: read tasks: %w", err)
	}
	defer rows.Close()
	out := []Task{}
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func getTask(ctx context.Context, q store.Querier, id string) (Task, error) {
	t, err := scanTask(q.QueryRowContext(ctx, `SELECT `+taskColumns+` FROM risk_assessment_tasks WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("remediation task %q: %w", id, store.ErrNotFound)
	} else if err != nil {
		return t, fmt.Errorf("assess: read task: %w", err)
	}
	return t, nil
}

func insertTask(ctx context.Context, tx *store.Tx, t Task) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO risk_assessment_tasks (`+taskColumns+`)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`, t.ID, t.AssessmentID, t.Finding, t.Title, t.OwnerUserID, t.Deadline,
		store.NullTSPtr(t.DoneAt), t.DoneBy, t.Note, store.NullTSPtr(t.RemindedAt), t.CreatedBy, store.TS(t.CreatedAt))
	if err != nil {
		return fmt.Errorf("assess: insert task: %w", err)
	}
	return nil
}

// jsonText marshals v for a TEXT column holding JSON.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("assess: marshal %T: %v", v, err))
	}
	return string(b)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// nonNil gives every list of items a value, so JSON shows [] not null.
func (it Items) nonNil() Items {
	it.Assets, it.Threats, it.Vulnerabilities = nonNil(it.Assets), nonNil(it.Threats), nonNil(it.Vulnerabilities)
	it.Measures, it.Findings = nonNil(it.Measures), nonNil(it.Findings)
	for i := range it.Measures {
		it.Measures[i].Vulnerabilities = nonNil(it.Measures[i].Vulnerabilities)
	}
	for i := range it.Findings {
		it.Findings[i].Risks = nonNil(it.Findings[i].Risks)
	}
	return it
}
