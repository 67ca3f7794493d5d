package datastore

import (
	"context"
	"fmt"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
)

// StaleResource is a resource whose newest data is older than its update
// frequency allows.
type StaleResource struct {
	ResourceID string    `json:"resource_id"`
	Code       string    `json:"code"`
	TitleZh    string    `json:"title_zh"`
	Frequency  string    `json:"update_frequency"`
	NewestAt   time.Time `json:"newest_at"`
	DueAt      time.Time `json:"due_at"`
	FlaggedAt  time.Time `json:"flagged_at"`
}

// CheckTimeliness flags every published resource whose newest version is
// past due under its update frequency (emitting datastore.stale for each
// newly flagged one) and returns how many are flagged.
func (s *Service) CheckTimeliness(ctx context.Context, now time.Time) (int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT r.id, r.organization_id, r.update_frequency, MAX(v.created_at)
		FROM resources r JOIN datastore_versions v ON v.resource_id = r.id
		WHERE r.status = 'published' GROUP BY r.id, r.organization_id, r.update_frequency`)
	if err != nil {
		return 0, fmt.Errorf("datastore: timeliness: %w", err)
	}
	type candidate struct {
		id, org string
		newest  time.Time
		due     time.Time
	}
	var late []candidate
	for rows.Next() {
		var c candidate
		var freq string
		if err := rows.Scan(&c.id, &c.org, &freq, store.ScanTime(&c.newest)); err != nil {
			rows.Close()
			return 0, err
		}
		if c.due = due(catalog.Frequency(freq), c.newest); !c.due.IsZero() && now.After(c.due) {
			late = append(late, c)
		}
	}
	rows.Close()
	for _, c := range late {
		err := s.db.Transact(ctx, func(tx *store.Tx) error {
			res, err := tx.ExecContext(ctx, `INSERT INTO datastore_stale (resource_id, newest_at, due_at, flagged_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (resource_id) DO NOTHING`, c.id, store.TS(c.newest), store.TS(c.due), store.TS(tx.Now()))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil
			}
			return tx.Emit(ctx, store.Event{Type: "datastore.stale", ActorOrgID: c.org, SubjectKind: "resource", SubjectID: c.id},
				map[string]any{"newest_at": c.newest, "due_at": c.due})
		})
		if err != nil {
			return 0, err
		}
	}
	var n int
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM datastore_stale`).Scan(&n)
	return n, err
}

// Stale lists an organization's flagged resources, for its members and
// platform staff (the institution's dashboard).
func (s *Service) Stale(ctx context.Context, actor identity.Principal, orgID string) ([]StaleResource, error) {
	if actor.RoleIn(orgID) == "" && !actor.IsPlatformStaff() {
		return nil, identity.ErrForbidden
	}
	rows, err := s.db.QueryContext(ctx, `SELECT r.id, r.code, r.title_zh, r.update_frequency, st.newest_at, st.due_at, st.flagged_at
		FROM datastore_stale st JOIN resources r ON r.id = st.resource_id WHERE r.organization_id = $1 ORDER BY st.due_at`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []StaleResource{}
	for rows.Next() {
		var sr StaleResource
		if err := rows.Scan(&sr.ResourceID, &sr.Code, &sr.TitleZh, &sr.Frequency, store.ScanTime(&sr.NewestAt),
			store.ScanTime(&sr.DueAt), store.ScanTime(&sr.FlaggedAt)); err != nil {
			return nil, err
		}
		out = append(out, sr)
	}
	return out, rows.Err()
}

// LoadStatus is a load as its status page shows it.
type LoadStatus struct {
	ID         string     `json:"id"`
	ResourceID string     `json:"resource_id"`
	FileName   string     `json:"file_name"`
	State      string     `json:"state" enum:"loading,done,failed"`
	Rows       int64      `json:"rows"`
	Bytes      int64      `json:"bytes"`
	TotalBytes int64      `json:"total_bytes"`
	Message    string     `json:"message"`
	Version    int        `json:"version"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// LoadStatus returns a load's status to the resource's editors and platform staff.
func (s *Service) LoadStatus(ctx context.Context, actor identity.Principal, loadID string) (LoadStatus, error) {
	var l LoadStatus
	var finished time.Time
	err := s.db.QueryRowContext(ctx, `SELECT id, resource_id, file_name, state, rows_read, bytes_read, total_bytes, message, version,
		started_at, finished_at FROM datastore_loads WHERE id = $1`, loadID).Scan(&l.ID, &l.ResourceID, &l.FileName, &l.State,
		&l.Rows, &l.Bytes, &l.TotalBytes, &l.Message, &l.Version, store.ScanTime(&l.StartedAt), store.ScanTime(&finished))
	if isNoRows(err) {
		return l, fmt.Errorf("load %s: %w", loadID, store.ErrNotFound)
	} else if err != nil {
		return l, err
	}
	if !finished.IsZero() {
		l.FinishedAt = &finished
	}
	r, err := s.cat.Get(ctx, actor, l.ResourceID)
	if err != nil {
		return LoadStatus{}, err
	}
	if !catalog.CanEdit(actor, r) && !actor.IsPlatformStaff() {
		return LoadStatus{}, fmt.Errorf("load %s: %w", loadID, store.ErrNotFound)
	}
	return l, nil
}

// Quarantine streams a version's refused records as CSV (row, column,
// value, reason, record) to the resource's editors and platform staff:
// they may hold the values the provider must fix.
func (s *Service) Quarantine(ctx context.Context, actor identity.Principal, resourceID string, version int) (func(w csvWriter) error, error) {
	r, err := s.cat.Get(ctx, actor, resourceID)
	if err != nil {
		return nil, err
	}
	// Decide first, so that every refusal is a recorded decision.
	d, err := s.decide(ctx, actor, resourceID, access.ActionDownload, access.ChannelQuarantine)
	if err != nil {
		return nil, err
	}
	if !catalog.CanEdit(actor, r) && !actor.IsPlatformStaff() {
		return nil, identity.ErrForbidden
	}
	// Refused records hold raw values of every column: nobody whose reads
	// are narrowed (fields, rows, de-identification) may have them.
	if c := d.Constraints; c.DeidProfile != "" || len(c.Fields) > 0 || c.RowFilter != "" {
		return nil, access.Decision{Reason: "constrained", Message: "refused records hold raw values of every item; your access is narrowed, so they cannot be downloaded"}.Err()
	}
	v, err := s.version(ctx, s.db, resourceID, version)
	if err != nil {
		return nil, err
	}
	if v.Status == StatusPruned {
		return nil, fmt.Errorf("%w: version %d was pruned", catalog.ErrState, version)
	}
	return func(w csvWriter) error {
		rows, err := s.db.QueryContext(ctx, `SELECT "row", "column", "value", "reason", "record" FROM `+ident(v.quarantine)+` ORDER BY "row"`)
		if err != nil {
			return err
		}
		defer rows.Close()
		w.Write([]string{"row", "column", "value", "reason", "record"})
		for rows.Next() {
			var row int64
			var col, val, reason, rec string
			if err := rows.Scan(&row, &col, &val, &reason, &rec); err != nil {
				return err
			}
			if err := w.Write([]string{fmt.Sprint(row), col, val, reason, rec}); err != nil {
				return err
			}
		}
		return rows.Err()
	}, nil
}

// csvWriter is what Quarantine writes to (*csv.Writer).
type csvWriter interface{ Write(record []string) error }
