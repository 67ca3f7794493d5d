package datastore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// Version statuses.
const (
	StatusReady  = "ready"  // readable; the current one is served
	StatusHeld   = "held"   // held back by the legality check until released
	StatusPruned = "pruned" // its table was dropped (beyond keep_versions)
)

// DataVersion is one immutable load of a resource's rows.
type DataVersion struct {
	ResourceID string         `json:"resource_id"`
	Version    int            `json:"version"`
	Status     string         `json:"status" enum:"ready,held,pruned"`
	Current    bool           `json:"current"`
	Rows       int64          `json:"rows"`
	Rejected   int64          `json:"rejected"`
	FileName   string         `json:"file_name"`
	FileSHA256 string         `json:"file_sha256"`
	FileBytes  int64          `json:"file_bytes"`
	LoadID     string         `json:"load_id"`
	CreatedBy  string         `json:"created_by"`
	CreatedAt  time.Time      `json:"created_at"`
	Items      []catalog.Item `json:"items"`
	Report     *QualityReport `json:"report,omitempty"`
	table      string
	quarantine string
}

const versionColumns = `v.resource_id, v.version, v.status, v.table_name, v.quarantine_table, v.row_count, v.rejected_count,
	v.items, v.report, v.file_name, v.file_sha256, v.file_bytes, v.load_id, v.created_by, v.created_at,
	CASE WHEN c.version = v.version THEN 1 ELSE 0 END`

func scanVersion(row interface{ Scan(...any) error }, withReport bool) (DataVersion, error) {
	var v DataVersion
	var items, report string
	var current int
	err := row.Scan(&v.ResourceID, &v.Version, &v.Status, &v.table, &v.quarantine, &v.Rows, &v.Rejected, &items, &report,
		&v.FileName, &v.FileSHA256, &v.FileBytes, &v.LoadID, &v.CreatedBy, store.ScanTime(&v.CreatedAt), &current)
	if err != nil {
		return v, err
	}
	v.Current = current == 1
	if err := json.Unmarshal([]byte(items), &v.Items); err != nil {
		return v, err
	}
	if withReport {
		v.Report = &QualityReport{}
		if err := json.Unmarshal([]byte(report), v.Report); err != nil {
			return v, err
		}
	}
	return v, nil
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

// switchIn records the version, points readers at it (unless the legality
// check holds it), finishes the load and emits the event, in one transaction.
func (s *Service) switchIn(ctx context.Context, l *loader) (DataVersion, error) {
	v := DataVersion{ResourceID: l.res.ID, Status: StatusReady, Rows: l.report.RowsLoaded, Rejected: l.report.RowsRejected,
		FileName: l.in.Name, FileSHA256: l.fileHash(), FileBytes: l.src.n.Load(), LoadID: l.id, CreatedBy: l.actor.UserID,
		Items: l.res.Items, Report: &l.report, table: l.table, quarantine: l.table + "_q"}
	if l.report.Legality.Blocked {
		v.Status = StatusHeld
	}
	items, _ := json.Marshal(v.Items)
	report, _ := json.Marshal(v.Report)
	reportSum := sha256.Sum256(report)
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		v.CreatedAt = tx.Now()
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM datastore_versions WHERE resource_id = $1`,
			v.ResourceID).Scan(&v.Version); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO datastore_versions (resource_id, version, status, table_name, quarantine_table,
			row_count, rejected_count, items, report, file_name, file_sha256, file_bytes, load_id, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			v.ResourceID, v.Version, v.Status, v.table, v.quarantine, v.Rows, v.Rejected, string(items), string(report),
			v.FileName, v.FileSHA256, v.FileBytes, v.LoadID, v.CreatedBy, store.TS(v.CreatedAt))
		if err != nil {
			return fmt.Errorf("datastore: record version: %w", err)
		}
		if v.Status == StatusReady {
			if err := setCurrent(ctx, tx, v); err != nil {
				return err
			}
			v.Current = true
		}
		// The load's table names the attempt that owns it: an earlier attempt
		// still running when its job was run again does not switch in too.
		res, err := tx.ExecContext(ctx, `UPDATE datastore_loads SET state = 'done', version = $2, rows_read = $3, finished_at = $4
			WHERE id = $1 AND table_name = $5`, l.id, v.Version, l.report.RowsRead, store.TS(tx.Now()), l.table)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("datastore: load %s was started again: this attempt stops", l.id)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM datastore_stale WHERE resource_id = $1`, v.ResourceID); err != nil {
			return err
		}
		return tx.Emit(ctx, store.Event{Type: "datastore.version_created", ActorUserID: l.actor.UserID, ActorOrgID: l.res.OrganizationID,
			SubjectKind: "resource", SubjectID: v.ResourceID}, map[string]any{"version": v.Version, "status": v.Status, "rows": v.Rows,
			"rejected": v.Rejected, "file_sha256": v.FileSHA256, "report_sha256": hex.EncodeToString(reportSum[:])})
	})
	return v, err
}

func setCurrent(ctx context.Context, tx *store.Tx, v DataVersion) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO datastore_current (resource_id, version, table_name, row_count, switched_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (resource_id) DO UPDATE SET version = $2, table_name = $3, row_count = $4, switched_at = $5`,
		v.ResourceID, v.Version, v.table, v.Rows, store.TS(tx.Now()))
	if err != nil {
		return fmt.Errorf("datastore: switch version: %w", err)
	}
	return nil
}

// prune drops the tables of ready versions beyond the newest keep (never
// the current one), recording each as pruned with an event.
func (s *Service) prune(ctx context.Context, actor identity.Principal, r catalog.Resource, keep int) error {
	rows, err := s.db.QueryContext(ctx, `SELECT v.version, v.table_name FROM datastore_versions v
		LEFT JOIN datastore_current c ON c.resource_id = v.resource_id
		WHERE v.resource_id = $1 AND v.status <> 'pruned' AND (c.version IS NULL OR c.version <> v.version)
		ORDER BY v.version DESC`, r.ID)
	if err != nil {
		return err
	}
	type old struct {
		version int
		table   string
	}
	var drop []old
	kept := 1 // the current version
	for rows.Next() {
		var o old
		if err := rows.Scan(&o.version, &o.table); err != nil {
			rows.Close()
			return err
		}
		if kept++; kept > keep {
			drop = append(drop, o)
		}
	}
	rows.Close()
	for _, o := range drop {
		err := s.db.Transact(ctx, func(tx *store.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE datastore_versions SET status = 'pruned' WHERE resource_id = $1 AND version = $2`, r.ID, o.version); err != nil {
				return err
			}
			if err := dropTables(ctx, tx, o.table); err != nil {
				return err
			}
			return tx.Emit(ctx, store.Event{Type: "datastore.version_pruned", ActorUserID: actor.UserID, ActorOrgID: r.OrganizationID,
				SubjectKind: "resource", SubjectID: r.ID}, map[string]any{"version": o.version})
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// staleLoad is how long a load may go without a heartbeat before it is
// taken for dead (its process was killed) and its table dropped.
const staleLoad = 10 * time.Minute

// Reap fails loads whose process died (no heartbeat for staleLoad) and
// drops their partial tables. Loads call it; so does the monitor.
func (s *Service) Reap(ctx context.Context) {
	cutoff := store.TS(time.Now().Add(-staleLoad))
	rows, err := s.db.QueryContext(ctx, `SELECT id, table_name FROM datastore_loads WHERE state = 'loading' AND heartbeat_at < $1`, cutoff)
	if err != nil {
		s.log.WarnContext(ctx, "datastore: find dead loads", "err", err)
		return
	}
	var dead [][2]string
	for rows.Next() {
		var id, table string
		if rows.Scan(&id, &table) == nil {
			dead = append(dead, [2]string{id, table})
		}
	}
	rows.Close()
	for _, d := range dead {
		if d[1] != "" {
			if err := dropTables(ctx, s.db, d[1]); err != nil {
				s.log.WarnContext(ctx, "datastore: drop dead load", "table", d[1], "err", err)
				continue
			}
		}
		s.db.ExecContext(ctx, `UPDATE datastore_loads SET state = 'failed', message = 'interrupted: the loading process stopped', finished_at = $2
			WHERE id = $1 AND state = 'loading'`, d[0], store.TS(time.Now()))
	}
}

// Versions lists a resource's versions, newest first, to anyone who may see
// the resource. Reports are included only when withReports is set; their
// refused values only for the provider and platform staff. Versions held by
// the legality check, and the check's findings (which items hold personal
// information), are shown only to the resource's editors and admins and
// platform staff (insider).
func (s *Service) Versions(ctx context.Context, actor identity.Principal, resourceID string, withReports bool) ([]DataVersion, error) {
	r, err := s.cat.Get(ctx, actor, resourceID)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+versionColumns+` FROM datastore_versions v
		LEFT JOIN datastore_current c ON c.resource_id = v.resource_id WHERE v.resource_id = $1 ORDER BY v.version DESC`, resourceID)
	if err != nil {
		return nil, fmt.Errorf("datastore: versions: %w", err)
	}
	defer rows.Close()
	out := []DataVersion{}
	values := withReports && s.seesErrors(ctx, actor, r)
	in := insider(actor, r)
	for rows.Next() {
		v, err := scanVersion(rows, withReports)
		if err != nil {
			return nil, err
		}
		if v.Status == StatusHeld && !in {
			continue
		}
		if v.Report != nil && !values {
			v.Report.Redact()
		}
		if v.Report != nil && !in {
			v.Report.Legality.Findings = nil
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Version returns one version with its report. A held version is not
// found, and the legality check's findings are left out, for a reader who
// is not an insider (Versions).
func (s *Service) Version(ctx context.Context, actor identity.Principal, resourceID string, version int) (DataVersion, error) {
	r, err := s.cat.Get(ctx, actor, resourceID)
	if err != nil {
		return DataVersion{}, err
	}
	v, err := s.version(ctx, s.db, resourceID, version)
	if err != nil {
		return v, err
	}
	if !insider(actor, r) {
		if v.Status == StatusHeld {
			return DataVersion{}, fmt.Errorf("version %d of resource %s: %w", version, resourceID, store.ErrNotFound)
		}
		if v.Report != nil {
			v.Report.Legality.Findings = nil
		}
	}
	if !s.seesErrors(ctx, actor, r) {
		v.Report.Redact()
	}
	return v, nil
}

// insider: the resource's editors and admins, and platform staff, see its
// held versions and the legality check's findings.
func insider(p identity.Principal, r catalog.Resource) bool {
	return p.AtLeast(r.OrganizationID, identity.RoleEditor) || p.IsPlatformStaff()
}

func (s *Service) version(ctx context.Context, q store.Querier, resourceID string, version int) (DataVersion, error) {
	v, err := scanVersion(q.QueryRowContext(ctx, `SELECT `+versionColumns+` FROM datastore_versions v
		LEFT JOIN datastore_current c ON c.resource_id = v.resource_id WHERE v.resource_id = $1 AND v.version = $2`, resourceID, version), true)
	if isNoRows(err) {
		return v, fmt.Errorf("version %d of resource %s: %w", version, resourceID, store.ErrNotFound)
	}
	return v, err
}

// seesErrors: the provider's members and platform staff see refused values
// (which are data), when the access decision point lets them read the rows.
func (s *Service) seesErrors(ctx context.Context, p identity.Principal, r catalog.Resource) bool {
	if p.RoleIn(r.OrganizationID) == "" && !p.IsPlatformStaff() {
		return false
	}
	_, err := s.decide(ctx, p, r.ID, access.ActionRead, access.ChannelQuality)
	return err == nil
}

// Rollback points readers back at an earlier version whose table is kept.
// The resource's editors and platform operators may roll back.
func (s *Service) Rollback(ctx context.Context, actor identity.Principal, resourceID string, version int) (DataVersion, error) {
	return s.switchTo(ctx, actor, resourceID, version, "datastore.rolled_back", "", func(v DataVersion) error {
		if v.Status != StatusReady {
			return fmt.Errorf("%w: version %d is %s and cannot be served", catalog.ErrState, v.Version, v.Status)
		}
		return nil
	})
}

// Release serves a version the legality check held back: the resource's
// admins or a platform operator confirm, with a comment, that the findings
// are not personal information (or that publishing them is lawful).
func (s *Service) Release(ctx context.Context, actor identity.Principal, resourceID string, version int, comment string) (DataVersion, error) {
	comment = strings.TrimSpace(comment)
	if comment == "" {
		return DataVersion{}, validate.Errors{{Field: "comment", Message: "is required: say why the findings do not block publication", Code: "release_comment"}}
	}
	return s.switchTo(ctx, actor, resourceID, version, "datastore.released", comment, func(v DataVersion) error {
		if v.Status != StatusHeld {
			return fmt.Errorf("%w: version %d is %s, not held", catalog.ErrState, v.Version, v.Status)
		}
		return nil
	})
}

func (s *Service) switchTo(ctx context.Context, actor identity.Principal, resourceID string, version int, event, comment string, check func(DataVersion) error) (DataVersion, error) {
	r, err := s.cat.Get(ctx, actor, resourceID)
	if err != nil {
		return DataVersion{}, err
	}
	allowed := catalog.CanEdit(actor, r) || catalog.CanReview(actor)
	if event == "datastore.released" {
		allowed = catalog.CanRetire(actor, r) // the institution's admins and platform operators
	}
	if !allowed {
		return DataVersion{}, identity.ErrForbidden
	}
	var v DataVersion
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		if v, err = s.version(ctx, tx, resourceID, version); err != nil {
			return err
		}
		if err := check(v); err != nil {
			return err
		}
		if event == "datastore.released" {
			v.Report.Legality.ReleasedBy, v.Report.Legality.Comment = actor.UserID, comment
			report, _ := json.Marshal(v.Report)
			if _, err := tx.ExecContext(ctx, `UPDATE datastore_versions SET status = 'ready', report = $3 WHERE resource_id = $1 AND version = $2`,
				resourceID, version, string(report)); err != nil {
				return err
			}
			v.Status = StatusReady
		}
		if err := setCurrent(ctx, tx, v); err != nil {
			return err
		}
		v.Current = true
		return tx.Emit(ctx, store.Event{Type: event, ActorUserID: actor.UserID, ActorOrgID: r.OrganizationID,
			SubjectKind: "resource", SubjectID: resourceID}, map[string]any{"version": version})
	})
	return v, err
}

// current returns the version readers are pointed at.
func (s *Service) current(ctx context.Context, resourceID string) (DataVersion, error) {
	var version int
	err := s.db.QueryRowContext(ctx, `SELECT version FROM datastore_current WHERE resource_id = $1`, resourceID).Scan(&version)
	if isNoRows(err) {
		return DataVersion{}, ErrNoData
	} else if err != nil {
		return DataVersion{}, err
	}
	return s.version(ctx, s.db, resourceID, version)
}

// Current returns the served version's metadata (without its report) to
// anyone who may see the resource.
func (s *Service) Current(ctx context.Context, actor identity.Principal, resourceID string) (DataVersion, error) {
	if _, err := s.cat.Get(ctx, actor, resourceID); err != nil {
		return DataVersion{}, err
	}
	v, err := s.current(ctx, resourceID)
	v.Report = nil
	return v, err
}
