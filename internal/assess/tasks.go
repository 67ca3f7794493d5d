package assess

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"dataport/internal/identity"
	"dataport/internal/notify"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// TaskInput is a remediation task: what, for which finding, who does it and
// by which day (YYYY-MM-DD).
type TaskInput struct {
	Finding     string `json:"finding,omitempty"`
	Title       string `json:"title"`
	OwnerUserID string `json:"owner_user_id"`
	Deadline    string `json:"deadline"`
}

// Link is the page of an assessment.
func Link(id string) string { return "/security/assessments/" + id }

// AddTask adds a remediation task to a draft or completed assessment. The
// owner is a member of the assessment's institution or the security
// officer, the deadline a day not before today (Beijing); the owner is
// told.
func (s *Service) AddTask(ctx context.Context, actor identity.Principal, assessmentID string, in TaskInput) (Task, error) {
	in.Finding, in.Title = strings.TrimSpace(in.Finding), strings.TrimSpace(in.Title)
	in.OwnerUserID, in.Deadline = strings.TrimSpace(in.OwnerUserID), strings.TrimSpace(in.Deadline)
	var t Task
	_, err := s.change(ctx, actor, assessmentID, func(tx *store.Tx, a *Assessment) (string, map[string]any, error) {
		if a.State != StateDraft && a.State != StateCompleted {
			return "", nil, validate.Refuse(ErrState, "assessment_ended", "the assessment is %s: remediation goes on in its successor", a.State)
		}
		if err := s.validateTask(ctx, *a, in, tx.Now()); err != nil {
			return "", nil, err
		}
		t = Task{ID: store.NewID(), AssessmentID: a.ID, Finding: in.Finding, Title: in.Title, OwnerUserID: in.OwnerUserID,
			Deadline: in.Deadline, CreatedBy: actor.UserID, CreatedAt: tx.Now()}
		if err := insertTask(ctx, tx, t); err != nil {
			return "", nil, err
		}
		a.Tasks = append(a.Tasks, t)
		if err := notify.Send(ctx, tx, "assessment.task_assigned", "risk_assessment", a.ID, Link(a.ID),
			notify.To{Users: []string{t.OwnerUserID}}); err != nil {
			return "", nil, err
		}
		return "task_added", map[string]any{"task_id": t.ID, "deadline": t.Deadline, "tasks": len(a.Tasks)}, nil
	})
	return t, err
}

func (s *Service) validateTask(ctx context.Context, a Assessment, in TaskInput, now time.Time) error {
	var errs validate.Errors
	if errs.Required("title", in.Title) {
		errs.MaxLen("title", in.Title, 500)
	}
	if in.Finding != "" && !hasFinding(a.Items.Findings, in.Finding) {
		errs.Add("finding", in.Finding, validate.CodeUnknown, "names no finding of this assessment")
	}
	if errs.Required("deadline", in.Deadline) {
		if d, err := time.Parse(time.DateOnly, in.Deadline); err != nil || d.Format(time.DateOnly) != in.Deadline {
			errs.Add("deadline", in.Deadline, validate.CodeDate, "must be a date written YYYY-MM-DD")
		} else if today := now.In(beijing).Format(time.DateOnly); in.Deadline < today {
			errs.Add("deadline", in.Deadline, "deadline_past", "is before today (%s)", today)
		}
	}
	if errs.Required("owner_user_id", in.OwnerUserID) {
		p, err := s.ids.Principal(ctx, in.OwnerUserID)
		switch {
		case errors.Is(err, store.ErrNotFound), errors.Is(err, identity.ErrUnauthenticated):
			errs.Add("owner_user_id", in.OwnerUserID, validate.CodeUnknown, "names no active user")
		case err != nil:
			return err
		case p.RoleIn(a.OrgID) == "" && !p.Has(identity.PlatformSecurity):
			errs.Add("owner_user_id", in.OwnerUserID, "owner_not_member", "must be a member of the assessed institution or the security officer")
		}
	}
	return errs.Err()
}

func hasFinding(fs []Finding, code string) bool {
	for _, f := range fs {
		if f.Code == code {
			return true
		}
	}
	return false
}

// CompleteTask marks task taskID of assessment assessmentID done, with a
// note of what was done: by its owner, or whoever works on the assessment.
func (s *Service) CompleteTask(ctx context.Context, actor identity.Principal, assessmentID, taskID, note string) (Task, error) {
	note = strings.TrimSpace(note)
	var errs validate.Errors
	errs.MaxLen("note", note, 4000)
	if err := errs.Err(); err != nil {
		return Task{}, err
	}
	var out Task
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		t, err := getTask(ctx, tx, taskID)
		if err == nil && t.AssessmentID != assessmentID {
			err = fmt.Errorf("remediation task %q of assessment %q: %w", taskID, assessmentID, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		a, err := get(ctx, tx, t.AssessmentID, tx.Dialect == store.Postgres)
		if err != nil {
			return err
		}
		if !CanRead(actor, a.OrgID) && actor.UserID != t.OwnerUserID {
			return fmt.Errorf("remediation task %q: %w", taskID, store.ErrNotFound)
		}
		if !CanWork(actor, a.OrgID) && actor.UserID != t.OwnerUserID {
			return identity.ErrForbidden
		}
		if t.DoneAt != nil {
			return validate.Refuse(ErrState, "task_done", "the task was done on %s", t.DoneAt.In(beijing).Format(time.DateOnly))
		}
		now := tx.Now()
		t.DoneAt, t.DoneBy, t.Note = &now, actor.UserID, note
		if _, err := tx.ExecContext(ctx, `UPDATE risk_assessment_tasks SET done_at = $2, done_by = $3, note = $4 WHERE id = $1`,
			t.ID, store.TS(now), t.DoneBy, t.Note); err != nil {
			return fmt.Errorf("assess: complete task: %w", err)
		}
		out = t
		return emit(ctx, tx, actor, a, "task_done", map[string]any{"task_id": t.ID, "late": t.Deadline < now.In(beijing).Format(time.DateOnly),
			"note_sha256": store.SHA256Hex(note)})
	})
	return out, err
}
