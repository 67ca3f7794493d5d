package incident

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"dataport/internal/store"
)

const incidentColumns = `id, org_id, title, kind, level, state, cause, harm, measures, advice, records_affected, persons_affected,
	discovered_at, contained_at, notify_due, notified_at, report_due, reported_at, review_summary, review_lessons, reviewed_at,
	reviewed_by, closed_at, alert_id, created_by, created_at, updated_at`

// nullTime scans a nullable timestamp into a *time.Time.
type nullTime struct{ p **time.Time }

func (n nullTime) Scan(src any) error {
	var t time.Time
	if err := store.ScanTime(&t).Scan(src); err != nil {
		return err
	}
	*n.p = nil
	if !t.IsZero() {
		*n.p = &t
	}
	return nil
}

func scanIncident(row interface{ Scan(...any) error }) (Incident, error) {
	var inc Incident
	err := row.Scan(&inc.ID, &inc.OrgID, &inc.Title, &inc.Kind, &inc.Level, &inc.State, &inc.Cause, &inc.Harm, &inc.Measures,
		&inc.Advice, &inc.RecordsAffected, &inc.PersonsAffected, store.ScanTime(&inc.DiscoveredAt), nullTime{&inc.ContainedAt},
		nullTime{&inc.NotifyDue}, nullTime{&inc.NotifiedAt}, store.ScanTime(&inc.ReportDue), nullTime{&inc.ReportedAt},
		&inc.ReviewSummary, &inc.ReviewLessons, nullTime{&inc.ReviewedAt}, &inc.ReviewedBy, nullTime{&inc.ClosedAt}, &inc.AlertID,
		&inc.CreatedBy, store.ScanTime(&inc.CreatedAt), store.ScanTime(&inc.UpdatedAt))
	return inc, err
}

// getIncident reads an incident with its resources, tasks and documents;
// lock takes the row for the transaction on PostgreSQL (SQLite's writer
// is alone anyway).
func getIncident(ctx context.Context, q store.Querier, id string, lock bool) (Incident, error) {
	query := `SELECT ` + incidentColumns + ` FROM incidents WHERE id = $1`
	if tx, ok := q.(*store.Tx); lock && ok && tx.Dialect == store.Postgres {
		query += ` FOR UPDATE`
	}
	inc, err := scanIncident(q.QueryRowContext(ctx, query, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Incident{}, notFound(id)
	}
	if err != nil {
		return Incident{}, fmt.Errorf("incident: %w", err)
	}
	if inc.ResourceIDs, err = store.Strings(ctx, q, `SELECT resource_id FROM incident_resources WHERE incident_id = $1
		ORDER BY resource_id`, id); err != nil {
		return Incident{}, fmt.Errorf("incident: resources: %w", err)
	}
	if inc.Tasks, err = tasks(ctx, q, id); err != nil {
		return Incident{}, err
	}
	inc.Documents, err = documents(ctx, q, id)
	return inc, err
}

func insertIncident(ctx context.Context, tx *store.Tx, inc Incident) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO incidents (`+incidentColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,
		$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27)`, inc.ID, inc.OrgID, inc.Title, inc.Kind, inc.Level, inc.State, inc.Cause,
		inc.Harm, inc.Measures, inc.Advice, inc.RecordsAffected, inc.PersonsAffected, store.TS(inc.DiscoveredAt),
		store.NullTSPtr(inc.ContainedAt), store.NullTSPtr(inc.NotifyDue), store.NullTSPtr(inc.NotifiedAt), store.TS(inc.ReportDue),
		store.NullTSPtr(inc.ReportedAt), inc.ReviewSummary, inc.ReviewLessons, store.NullTSPtr(inc.ReviewedAt), inc.ReviewedBy,
		store.NullTSPtr(inc.ClosedAt), inc.AlertID, inc.CreatedBy, store.TS(inc.CreatedAt), store.TS(inc.UpdatedAt))
	if err != nil {
		return fmt.Errorf("incident: insert: %w", err)
	}
	return setResources(ctx, tx, inc)
}

// updateIncident writes every changeable field of inc and its resources.
func updateIncident(ctx context.Context, tx *store.Tx, inc Incident) error {
	_, err := tx.ExecContext(ctx, `UPDATE incidents SET title = $2, kind = $3, level = $4, state = $5, cause = $6, harm = $7,
		measures = $8, advice = $9, records_affected = $10, persons_affected = $11, discovered_at = $12, contained_at = $13,
		notify_due = $14, notified_at = $15, report_due = $16, reported_at = $17, review_summary = $18, review_lessons = $19,
		reviewed_at = $20, reviewed_by = $21, closed_at = $22, updated_at = $23 WHERE id = $1`, inc.ID, inc.Title, inc.Kind, inc.Level,
		inc.State, inc.Cause, inc.Harm, inc.Measures, inc.Advice, inc.RecordsAffected, inc.PersonsAffected, store.TS(inc.DiscoveredAt),
		store.NullTSPtr(inc.ContainedAt), store.NullTSPtr(inc.NotifyDue), store.NullTSPtr(inc.NotifiedAt), store.TS(inc.ReportDue),
		store.NullTSPtr(inc.ReportedAt), inc.ReviewSummary, inc.ReviewLessons, store.NullTSPtr(inc.ReviewedAt), inc.ReviewedBy,
		store.NullTSPtr(inc.ClosedAt), store.TS(inc.UpdatedAt))
	if err != nil {
		return fmt.Errorf("incident: update: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM incident_resources WHERE incident_id = $1`, inc.ID); err != nil {
		return fmt.Errorf("incident: resources: %w", err)
	}
	return setResources(ctx, tx, inc)
}

func setResources(ctx context.Context, tx *store.Tx, inc Incident) error {
	for _, r := range inc.ResourceIDs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO incident_resources (incident_id, resource_id) VALUES ($1, $2)`, inc.ID, r); err != nil {
			return fmt.Errorf("incident: resources: %w", err)
		}
	}
	return nil
}

func tasks(ctx context.Context, q store.Querier, id string) ([]ResponseTask, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, title, owner_user_id, due_at, done_at, done_by, created_by, created_at
		FROM incident_tasks WHERE incident_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("incident: tasks: %w", err)
	}
	defer rows.Close()
	out := []ResponseTask{}
	for rows.Next() {
		var t ResponseTask
		if err := rows.Scan(&t.ID, &t.Title, &t.OwnerUserID, store.ScanTime(&t.DueAt), nullTime{&t.DoneAt}, &t.DoneBy, &t.CreatedBy,
			store.ScanTime(&t.CreatedAt)); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func insertTask(ctx context.Context, tx *store.Tx, incidentID string, t ResponseTask) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO incident_tasks (id, incident_id, title, owner_user_id, due_at, created_by, created_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7)`, t.ID, incidentID, t.Title, t.OwnerUserID, store.TS(t.DueAt), t.CreatedBy, store.TS(t.CreatedAt))
	if err != nil {
		return fmt.Errorf("incident: task: %w", err)
	}
	return nil
}

func completeTask(ctx context.Context, tx *store.Tx, taskID string, at time.Time, by string) error {
	res, err := tx.ExecContext(ctx, `UPDATE incident_tasks SET done_at = $1, done_by = $2 WHERE id = $3 AND done_at IS NULL`,
		store.TS(at), by, taskID)
	if err != nil {
		return fmt.Errorf("incident: task: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return ErrState
	}
	return nil
}

const documentColumns = `id, kind, html_sha256, text_sha256, issued_by, issued_at`

func scanDocument(row interface{ Scan(...any) error }) (Filing, error) {
	var d Filing
	err := row.Scan(&d.ID, &d.Kind, &d.HTMLSHA256, &d.TextSHA256, &d.IssuedBy, store.ScanTime(&d.IssuedAt))
	return d, err
}

func documents(ctx context.Context, q store.Querier, id string) ([]Filing, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+documentColumns+` FROM incident_documents WHERE incident_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("incident: documents: %w", err)
	}
	defer rows.Close()
	out := []Filing{}
	for rows.Next() {
		d, err := scanDocument(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func insertDocument(ctx context.Context, tx *store.Tx, incidentID string, d Filing, body Rendered) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO incident_documents (id, incident_id, kind, html, text, html_sha256, text_sha256, issued_by,
		issued_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`, d.ID, incidentID, d.Kind, body.HTML, body.Text, d.HTMLSHA256, d.TextSHA256,
		d.IssuedBy, store.TS(d.IssuedAt))
	if err != nil {
		return fmt.Errorf("incident: document: %w", err)
	}
	return nil
}

// issuedDocument reads an issued document with its bodies.
func issuedDocument(ctx context.Context, q store.Querier, incidentID, docID string) (Filing, Rendered, error) {
	var body Rendered
	var d Filing
	err := q.QueryRowContext(ctx, `SELECT `+documentColumns+`, html, text FROM incident_documents WHERE id = $1 AND incident_id = $2`,
		docID, incidentID).Scan(&d.ID, &d.Kind, &d.HTMLSHA256, &d.TextSHA256, &d.IssuedBy, store.ScanTime(&d.IssuedAt), &body.HTML, &body.Text)
	if errors.Is(err, sql.ErrNoRows) {
		return Filing{}, Rendered{}, fmt.Errorf("document %q: %w", docID, store.ErrNotFound)
	}
	if err != nil {
		return Filing{}, Rendered{}, fmt.Errorf("incident: document: %w", err)
	}
	return d, body, nil
}

// listIncidents returns a page of incidents (one more than f.Limit when
// there are more), newest first, of orgs (nil: every unit).
func listIncidents(ctx context.Context, q store.Querier, f Filter, orgs []string) ([]Incident, error) {
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if orgs != nil {
		ph := make([]string, len(orgs))
		for i, o := range orgs {
			ph[i] = arg(o)
		}
		conds = append(conds, "org_id IN ("+strings.Join(ph, ", ")+")")
	}
	if f.OrgID != "" {
		conds = append(conds, "org_id = "+arg(f.OrgID))
	}
	if f.State != "" {
		conds = append(conds, "state = "+arg(string(f.State)))
	}
	if f.Cursor != "" {
		conds = append(conds, "id < "+arg(f.Cursor))
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	rows, err := q.QueryContext(ctx, `SELECT `+incidentColumns+` FROM incidents`+where+` ORDER BY id DESC LIMIT `+strconv.Itoa(f.Limit+1), args...)
	if err != nil {
		return nil, fmt.Errorf("incident: list: %w", err)
	}
	defer rows.Close()
	out := []Incident{}
	for rows.Next() {
		inc, err := scanIncident(rows)
		if err != nil {
			return nil, err
		}
		inc.ResourceIDs, inc.Tasks, inc.Documents = []string{}, []ResponseTask{}, []Filing{} // the list leaves them out
		out = append(out, inc)
	}
	return out, rows.Err()
}
