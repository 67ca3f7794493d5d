package engage

import (
	"context"
	"fmt"
	"strings"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/notify"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// ReportStatus is where an error report stands.
type ReportStatus string

// Error reports are open until the provider answers.
const (
	ReportOpen     ReportStatus = "open"
	ReportAnswered ReportStatus = "answered"
)

// ReportInput is an error report (数据纠错) as its reporter writes it: where
// the error is (a column by its item name, a row by its key or number, the
// value seen; each optional) and what is wrong (required).
type ReportInput struct {
	Column  string `json:"column,omitempty" required:"false" doc:"The column (data item name) holding the error"`
	Row     string `json:"row,omitempty" required:"false" doc:"The row: its key or number"`
	Value   string `json:"value,omitempty" required:"false" doc:"The value that is wrong, as shown"`
	Problem string `json:"problem" required:"false" doc:"What is wrong, and what would be right (required)"`
}

// ErrorReport is one error report with the provider's reply. It never names
// its reporter: Mine tells the reporter their own.
type ErrorReport struct {
	ID         string `json:"id"`
	ResourceID string `json:"resource_id"`
	ReportInput
	Status    ReportStatus `json:"status" enum:"open,answered"`
	Reply     string       `json:"reply,omitempty"`
	RepliedAt *time.Time   `json:"replied_at,omitempty"`
	CreatedAt time.Time    `json:"created_at"`
	Mine      bool         `json:"mine"`
}

// Report files p's error report on a published resource and tells the
// editors of its institution (a notice naming the resource).
func (s *Service) Report(ctx context.Context, p identity.Principal, resourceID string, in ReportInput) (ErrorReport, error) {
	r, err := s.published(ctx, p, resourceID)
	if err != nil {
		return ErrorReport{}, err
	}
	in, err = checkReport(r, in)
	if err != nil {
		return ErrorReport{}, err
	}
	rep := ErrorReport{ID: store.NewID(), ResourceID: r.ID, ReportInput: in, Status: ReportOpen, Mine: true}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		rep.CreatedAt = tx.Now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO error_reports (id, resource_id, user_id, column_name, row_ref, value, problem, status, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, rep.ID, r.ID, p.UserID, in.Column, in.Row, in.Value, in.Problem, rep.Status,
			store.TS(rep.CreatedAt)); err != nil {
			return fmt.Errorf("engage: report: %w", err)
		}
		if err := notify.Send(ctx, tx, "engage.error_reported", "resource", r.ID, reportsLink(r.ID),
			notify.To{Orgs: []string{r.OrganizationID}, OrgRole: identity.RoleEditor}); err != nil {
			return err
		}
		return tx.Emit(ctx, event("engage.error_reported", p, r), map[string]any{"report_id": rep.ID, "column": in.Column,
			"report_sha256": store.SHA256Hex(in.Row + "\x00" + in.Value + "\x00" + in.Problem)})
	})
	return rep, err
}

// checkReport trims in and checks it against r: a column must be one of
// r's data items when r lists them.
func checkReport(r catalog.Resource, in ReportInput) (ReportInput, error) {
	var errs validate.Errors
	in.Column = text(&errs, "column", in.Column, MaxColumn, false)
	in.Row = text(&errs, "row", in.Row, MaxRowRef, false)
	in.Value = text(&errs, "value", in.Value, MaxValue, false)
	in.Problem = text(&errs, "problem", in.Problem, MaxProblem, true)
	if in.Column != "" && len(r.Items) > 0 && !errs.Has("column") {
		known := false
		for _, it := range r.Items {
			known = known || strings.EqualFold(it.Name, in.Column) || it.LabelZh == in.Column
			if known {
				in.Column = it.Name
				break
			}
		}
		if !known {
			errs.Add("column", in.Column, validate.CodeUnknown, "is not a data item of this dataset")
		}
	}
	return in, errs.Err()
}

// Reply answers an error report (replacing an earlier answer) and tells its
// reporter: the editors of the resource's institution and the platform
// operators may (CanAnswer).
func (s *Service) Reply(ctx context.Context, p identity.Principal, reportID, reply string) (ErrorReport, error) {
	if p.IsAnonymous() {
		return ErrorReport{}, identity.ErrUnauthenticated
	}
	var resourceID, reporter string
	err := s.db.QueryRowContext(ctx, `SELECT resource_id, user_id FROM error_reports WHERE id = $1`, reportID).Scan(&resourceID, &reporter)
	if isNoRows(err) {
		return ErrorReport{}, notFound("error report", reportID)
	} else if err != nil {
		return ErrorReport{}, err
	}
	r, err := s.cat.Get(ctx, p, resourceID)
	if err != nil {
		return ErrorReport{}, err
	}
	if !CanAnswer(p, r) {
		return ErrorReport{}, identity.ErrForbidden
	}
	var errs validate.Errors
	reply = text(&errs, "reply", reply, MaxReply, true)
	if err := errs.Err(); err != nil {
		return ErrorReport{}, err
	}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE error_reports SET status = $2, reply = $3, replied_by = $4, replied_at = $5 WHERE id = $1`,
			reportID, ReportAnswered, reply, p.UserID, store.TS(tx.Now())); err != nil {
			return err
		}
		if err := notify.Send(ctx, tx, "engage.error_answered", "resource", r.ID, reportsLink(r.ID), notify.To{Users: []string{reporter}}); err != nil {
			return err
		}
		return tx.Emit(ctx, event("engage.error_answered", p, r), map[string]any{"report_id": reportID, "reply_sha256": store.SHA256Hex(reply)})
	})
	if err != nil {
		return ErrorReport{}, err
	}
	list, err := s.reports(ctx, p, r.ID, reportID)
	if err != nil || len(list) == 0 {
		return ErrorReport{}, err
	}
	return list[0], nil
}

// Reports lists the error reports on resourceID with their replies, newest
// first (at most 200), for anyone who may see the resource.
func (s *Service) Reports(ctx context.Context, p identity.Principal, resourceID string) ([]ErrorReport, error) {
	r, err := s.cat.Get(ctx, p, resourceID)
	if err != nil {
		return nil, err
	}
	return s.reports(ctx, p, r.ID, "")
}

func (s *Service) reports(ctx context.Context, p identity.Principal, resourceID, id string) ([]ErrorReport, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, user_id, column_name, row_ref, value, problem, status, reply, replied_at, created_at
		FROM error_reports WHERE resource_id = $1 AND ($2 = '' OR id = $2) ORDER BY id DESC LIMIT 200`, resourceID, id)
	if err != nil {
		return nil, fmt.Errorf("engage: reports: %w", err)
	}
	defer rows.Close()
	out := []ErrorReport{}
	for rows.Next() {
		rep := ErrorReport{ResourceID: resourceID}
		var reporter string
		var replied time.Time
		if err := rows.Scan(&rep.ID, &reporter, &rep.Column, &rep.Row, &rep.Value, &rep.Problem, &rep.Status, &rep.Reply,
			store.ScanTime(&replied), store.ScanTime(&rep.CreatedAt)); err != nil {
			return nil, err
		}
		rep.Mine = !p.IsAnonymous() && reporter == p.UserID
		if !replied.IsZero() {
			rep.RepliedAt = &replied
		}
		out = append(out, rep)
	}
	return out, rows.Err()
}

// reportsLink is the page a notice about error reports on a resource opens.
func reportsLink(resourceID string) string { return "/resources/" + resourceID + "#error-reports" }
