package datastore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/validate"
)

// SandboxSession is the access a public data zone's query holds on its
// resources: one allow decision per resource (action compute, channel
// zone.sandbox, the authorisation's purpose), taken when it opens, and the
// version of each resource current then. Statements run through it read
// those versions only, read-only, where the database itself permits
// reading those tables and calling the policy's functions only (as
// datastore_search_sql). It serves no rows to anyone: the zones engine
// turns what it reads into protected aggregates.
type SandboxSession struct {
	s         *Service
	actor     identity.Principal
	decisions map[string]access.Decision
	versions  map[string]DataVersion
}

// ErrSandboxRows means a sandbox statement returned more rows than its
// caller allowed.
var ErrSandboxRows = errors.New("the statement returned more rows than allowed")

// OpenSandbox decides actor's compute access to each resource for purpose
// and pins their current versions. A denial is an *access.DeniedError; a
// decision that constrains rows or values (a row filter or a
// de-identification profile) is refused too, since aggregates over hidden
// rows or rewritten values would be wrong; a fields constraint is kept in
// the decision for the caller to narrow what statements may name.
func (s *Service) OpenSandbox(ctx context.Context, actor identity.Principal, purpose string, resourceIDs []string) (*SandboxSession, error) {
	ids := slices.Compact(slices.Sorted(slices.Values(resourceIDs)))
	if len(ids) == 0 {
		return nil, validate.Errors{{Field: "resource_ids", Message: "at least one resource is required", Code: "at_least_one"}}
	}
	ss := &SandboxSession{s: s, actor: actor, decisions: map[string]access.Decision{}, versions: map[string]DataVersion{}}
	for _, rid := range ids {
		d, err := s.access.Decide(ctx, access.Request{Subject: actor, ResourceID: rid, Action: access.ActionCompute,
			Purpose: purpose, Channel: access.ChannelSandbox})
		if err != nil {
			ss.Close(ctx)
			return nil, fmt.Errorf("datastore: access decision: %w", err)
		}
		if err := d.Err(); err != nil {
			ss.Close(ctx)
			return nil, err
		}
		ss.decisions[rid] = d
		if c := d.Constraints; c.RowFilter != "" || c.DeidProfile != "" {
			ss.Close(ctx)
			return nil, &access.DeniedError{Decision: access.Decision{Reason: "constrained", ResourceID: rid,
				Message: "resource " + rid + " cannot be computed on in a zone: your access to it is limited to some rows or de-identified values, and aggregates over them would be wrong"}}
		}
		v, err := s.current(ctx, rid)
		if err != nil {
			ss.Close(ctx)
			return nil, err
		}
		ss.versions[rid] = v
	}
	return ss, nil
}

// Decision is the allow decision for a resource of the session.
func (ss *SandboxSession) Decision(resourceID string) access.Decision {
	return ss.decisions[resourceID]
}

// Rows is how many rows the pinned version of a resource holds.
func (ss *SandboxSession) Rows(resourceID string) int64 { return ss.versions[resourceID].Rows }

// Items are the items of the pinned version of a resource.
func (ss *SandboxSession) Items(resourceID string) []catalog.Item {
	return ss.versions[resourceID].Items
}

// Version is the pinned version's number of a resource.
func (ss *SandboxSession) Version(resourceID string) int { return ss.versions[resourceID].Version }

// Run checks sqlText with CheckSQL under policy (its tables must be the
// session's resources, named by id), prints it with the pinned version
// tables and runs it read-only within timeout, calling fn with each row's
// values in column order. Values are the same on both stores, as SQLite
// stores them: int64, float64, string or nil — booleans as 0 or 1, dates
// as "2006-01-02" and datetimes as "2006-01-02 15:04:05.999999" text,
// PostgreSQL's numeric as int64 when whole and float64 otherwise. More
// than maxRows rows stop it with ErrSandboxRows. It returns the rows read.
// A statement the policy refuses is an *SQLRefusal (wrapped): the zone's
// own guard should have refused it first.
func (ss *SandboxSession) Run(ctx context.Context, sqlText string, policy SQLPolicy, timeout time.Duration, maxRows int, fn func(row []any) error) (int, error) {
	stmt, err := CheckSQL(sqlText, policy)
	if err != nil {
		return 0, fmt.Errorf("datastore: sandbox statement refused: %w", err)
	}
	tables := map[string]string{}
	for _, name := range stmt.Tables() {
		v, ok := ss.versions[name]
		if !ok {
			return 0, fmt.Errorf("datastore: %s is not a resource of the sandbox session", name)
		}
		tables[name] = v.table
	}
	query, err := stmt.Render(tables)
	if err != nil {
		return 0, err
	}
	if timeout <= 0 {
		timeout = ss.s.sql.Timeout
	}
	run := sqlRun{query: query, tables: slices.Compact(slices.Sorted(maps.Values(tables))), functions: stmt.Functions(), maxRows: max(maxRows, 0)}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	wrapped := fmt.Sprintf(`SELECT * FROM (%s) AS "dataport_result" LIMIT %d`, run.query, run.maxRows+1)
	var n int
	// A sandbox statement is a background job (the job runner bounds how
	// many run at once), not a request: it may use PostgreSQL's parallel
	// workers, as a plain query of the same table would.
	o := guardOptions{timeout: timeout, parallel: true,
		roleMissing: "datastore: zone sandboxes on PostgreSQL run as the role %s, which this store's user cannot take: %w"}
	err = ss.s.queryGuarded(ctx, wrapped, run, o, func(rows *sql.Rows) error {
		n, err = stream(rows, run.maxRows, fn)
		return err
	})
	var cb *sandboxCallbackError
	switch {
	case errors.As(err, &cb):
		return n, cb.err
	case err != nil && !errors.Is(err, ErrSandboxRows):
		return n, sqlFailure(ctx, err, timeout)
	}
	return n, err
}

// Close ends the session (the decisions served no rows: each records 0).
func (ss *SandboxSession) Close(ctx context.Context) {
	for _, d := range ss.decisions {
		ss.s.recordRows(ctx, d, 0)
	}
	clear(ss.decisions)
}

// sandboxCallbackError is an error the row callback returned, which Run
// passes on as it is.
type sandboxCallbackError struct{ err error }

func (e *sandboxCallbackError) Error() string { return e.err.Error() }

// stream calls fn with each row, at most maxRows of them.
func stream(rows *sql.Rows, maxRows int, fn func([]any) error) (int, error) {
	cols, err := rows.ColumnTypes()
	if err != nil {
		return 0, err
	}
	types := make([]string, len(cols))
	for i, c := range cols {
		types[i] = strings.ToUpper(c.DatabaseTypeName())
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	n := 0
	for rows.Next() {
		if n >= maxRows {
			return n, ErrSandboxRows
		}
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		row := make([]any, len(cols))
		for i, v := range vals {
			row[i] = sandboxValue(v, types[i])
		}
		n++
		if err := fn(row); err != nil {
			return n, &sandboxCallbackError{err}
		}
	}
	return n, rows.Err()
}

// sandboxValue is a scanned value as SQLite stores it (see Run).
func sandboxValue(v any, dbType string) any {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	case time.Time:
		if dbType == "DATE" {
			return x.Format("2006-01-02")
		}
		return x.Format("2006-01-02 15:04:05.999999")
	case string:
		if dbType == "NUMERIC" {
			if !strings.ContainsAny(x, ".eEnN") {
				if i, err := strconv.ParseInt(x, 10, 64); err == nil {
					return i
				}
			}
			if f, err := strconv.ParseFloat(x, 64); err == nil {
				return f
			}
		}
	}
	return v
}
