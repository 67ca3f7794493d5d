package zones

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// WriteCSV writes a released result as CSV (UTF-8 with BOM, for
// spreadsheet programs): its columns, then its rows, suppressed values
// empty.
func (s *Service) WriteCSV(ctx context.Context, actor identity.Principal, queryID string, w io.Writer) error {
	q, err := s.Query(ctx, actor, queryID)
	if err != nil {
		return err
	}
	if q.Status != QueryReleased {
		return validate.Refuse(catalog.ErrState, "not_released", "the query's result is not released (it is %s)", q.Status)
	}
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(q.Columns); err != nil {
		return err
	}
	for _, row := range q.Rows {
		rec := make([]string, len(row))
		for i, v := range row {
			rec[i] = csvValue(v)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvValue is a result value as CSV text: null empty, numbers without
// exponent, and text that a spreadsheet would run as a formula (its first
// character other than white space =, +, -, @, or a leading tab or
// carriage return) quoted with a leading single quote, as the datastore's
// exports do (CWE-1236).
func csvValue(v any) string {
	s, ok := v.(string)
	if !ok {
		return datastore.CellText(v)
	}
	t := strings.TrimLeftFunc(s, unicode.IsSpace)
	if strings.HasPrefix(s, "\t") || strings.HasPrefix(s, "\r") || t != "" && strings.ContainsRune("=+-@", rune(t[0])) {
		return "'" + s
	}
	return s
}

// Keep keeps a released result in the zone as a derived dataset (a member
// of the query's operator), named by the operator; the output names the
// result's hash.
func (s *Service) Keep(ctx context.Context, actor identity.Principal, queryID string, in OutputInput) (Output, error) {
	q, err := s.Query(ctx, actor, queryID)
	if err != nil {
		return Output{}, err
	}
	if actor.RoleIn(q.OperatorOrgID) == "" {
		return Output{}, fmt.Errorf("%w: only the query's operator keeps its results", identity.ErrForbidden)
	}
	in.NameZh, in.NameEn, in.Description = strings.TrimSpace(in.NameZh), strings.TrimSpace(in.NameEn), strings.TrimSpace(in.Description)
	var errs validate.Errors
	errs.Required("name_zh", in.NameZh)
	errs.MaxLen("name_zh", in.NameZh, 200)
	errs.MaxLen("name_en", in.NameEn, 200)
	errs.MaxLen("description", in.Description, 2000)
	if err := errs.Err(); err != nil {
		return Output{}, err
	}
	if q.Status != QueryReleased {
		return Output{}, validate.Refuse(catalog.ErrState, "not_released", "only a released result can be kept (it is %s)", q.Status)
	}
	o := Output{ID: store.NewID(), ZoneID: q.ZoneID, QueryID: q.ID, NameZh: in.NameZh, NameEn: in.NameEn, Description: in.Description,
		CreatedBy: actor.UserID}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		if o.ResultSHA256, err = s.resultSHA256(ctx, tx, q.ID); err != nil {
			return err
		}
		o.CreatedAt = tx.Now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO zone_outputs (id, zone_id, query_id, name_zh, name_en, description,
			result_sha256, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			o.ID, o.ZoneID, o.QueryID, o.NameZh, o.NameEn, o.Description, o.ResultSHA256, o.CreatedBy, store.TS(o.CreatedAt)); err != nil {
			return fmt.Errorf("zones: keep output: %w", err)
		}
		return tx.Emit(ctx, store.Event{Type: "zone.output.kept", ActorUserID: actor.UserID, ActorOrgID: q.OperatorOrgID,
			SubjectKind: "zone_output", SubjectID: o.ID}, map[string]any{"zone_id": o.ZoneID, "query_id": o.QueryID,
			"result_sha256": o.ResultSHA256})
	})
	if err != nil {
		return Output{}, err
	}
	return o, nil
}

// outputColumns are the columns scanOutput reads, in its order.
const outputColumns = `o.id, o.zone_id, o.query_id, o.name_zh, o.name_en, o.description, o.result_sha256, o.created_by, o.created_at`

func scanOutput(r rowScanner) (Output, error) {
	var o Output
	err := r.Scan(&o.ID, &o.ZoneID, &o.QueryID, &o.NameZh, &o.NameEn, &o.Description, &o.ResultSHA256, &o.CreatedBy,
		store.ScanTime(&o.CreatedAt))
	return o, err
}

// Outputs lists a zone's kept outputs, newest first: all of them to the
// steward and platform operators, an operator's own to its members.
func (s *Service) Outputs(ctx context.Context, actor identity.Principal, zoneID string) ([]Output, error) {
	if actor.IsAnonymous() {
		return nil, identity.ErrUnauthenticated
	}
	z, err := s.zone(ctx, s.db, zoneID)
	if err != nil {
		return nil, err
	}
	where, args := "o.zone_id = $1", []any{z.ID}
	if !isPlatformOperator(actor) && !s.isSteward(actor, z) {
		orgs := actor.OrgIDs()
		if len(orgs) == 0 {
			return []Output{}, nil
		}
		where += " AND q.operator_org_id IN (" + placeholders(&args, orgs) + ")"
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+outputColumns+` FROM zone_outputs o JOIN zone_queries q ON q.id = o.query_id
		WHERE `+where+` ORDER BY o.id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("zones: list outputs: %w", err)
	}
	defer rows.Close()
	out := []Output{}
	for rows.Next() {
		o, err := scanOutput(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// Output returns one kept output with its result, to whoever may see the
// result's query.
func (s *Service) Output(ctx context.Context, actor identity.Principal, id string) (Output, Query, error) {
	o, err := scanOutput(s.db.QueryRowContext(ctx, `SELECT `+outputColumns+` FROM zone_outputs o WHERE o.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Output{}, Query{}, notFound("output", id)
	} else if err != nil {
		return Output{}, Query{}, fmt.Errorf("zones: read output: %w", err)
	}
	q, err := s.Query(ctx, actor, o.QueryID)
	if err != nil {
		return Output{}, Query{}, notFound("output", id)
	}
	return o, q, nil
}
