package incident

import (
	"context"
	"fmt"
	"strings"
	"time"

	"dataport/internal/identity"
	"dataport/internal/monitor"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// ResponseTask is one response task: what to do, who does it, by when.
type ResponseTask struct {
	ID          string     `json:"id"`
	Title       string     `json:"title"`
	OwnerUserID string     `json:"owner_user_id"`
	DueAt       time.Time  `json:"due_at"`
	DoneAt      *time.Time `json:"done_at"`
	DoneBy      string     `json:"done_by,omitempty"`
	CreatedBy   string     `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
}

// ResponseTaskInput is a new response task.
type ResponseTaskInput struct {
	Title       string    `json:"title" maxLength:"500"`
	OwnerUserID string    `json:"owner_user_id" doc:"A member of the unit, or a security officer"`
	DueAt       time.Time `json:"due_at"`
}

// AddTask gives an open or contained incident a response task. The owner
// must be an enabled member of the unit or a security officer.
func (s *Service) AddTask(ctx context.Context, actor identity.Principal, id string, in ResponseTaskInput) (Incident, error) {
	in.Title, in.OwnerUserID = strings.TrimSpace(in.Title), strings.TrimSpace(in.OwnerUserID)
	in.DueAt = in.DueAt.UTC().Truncate(time.Microsecond)
	var task ResponseTask
	return s.change(ctx, actor, id, "incident.task_added", func(tx *store.Tx, inc *Incident) (map[string]any, error) {
		if inc.State == StateClosed {
			return nil, validate.Refuse(ErrState, "incident_closed", "a closed incident takes no tasks")
		}
		if err := s.checkTask(ctx, *inc, in); err != nil {
			return nil, err
		}
		task = ResponseTask{ID: store.NewID(), Title: in.Title, OwnerUserID: in.OwnerUserID, DueAt: in.DueAt, CreatedBy: actor.UserID, CreatedAt: tx.Now()}
		if err := insertTask(ctx, tx, inc.ID, task); err != nil {
			return nil, err
		}
		inc.Tasks = append(inc.Tasks, task)
		return map[string]any{"task_id": task.ID, "owner_user_id": task.OwnerUserID, "due_at": store.TS(task.DueAt),
			"title_sha256": store.SHA256Hex(task.Title)}, nil
	})
}

// checkTask names every problem of a new task of inc.
func (s *Service) checkTask(ctx context.Context, inc Incident, in ResponseTaskInput) error {
	var errs validate.Errors
	if errs.Required("title", in.Title) {
		errs.MaxLen("title", in.Title, 500)
		checkText(&errs, "title", in.Title)
	}
	if in.DueAt.IsZero() {
		errs.Add("due_at", "", validate.CodeRequired, "is required")
	} else if in.DueAt.Before(inc.DiscoveredAt) {
		errs.Add("due_at", store.TS(in.DueAt), "before_discovery", "is before the incident was discovered")
	}
	if errs.Required("owner_user_id", in.OwnerUserID) {
		p, err := s.ids.Principal(ctx, in.OwnerUserID)
		if err != nil || (p.RoleIn(inc.OrgID) == "" && !monitor.CanManage(p)) {
			errs.Add("owner_user_id", in.OwnerUserID, "not_member", "is not an enabled member of the organization")
		}
	}
	return errs.Err()
}

// CompleteTask marks task taskID of incident id done; its owner or anyone
// who manages the incident may.
func (s *Service) CompleteTask(ctx context.Context, actor identity.Principal, id, taskID string) (Incident, error) {
	if actor.IsAnonymous() {
		return Incident{}, identity.ErrUnauthenticated
	}
	var inc Incident
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		var err error
		if inc, err = getIncident(ctx, tx, id, true); err != nil {
			return err
		}
		i := inc.task(taskID)
		owner := i >= 0 && inc.Tasks[i].OwnerUserID == actor.UserID
		if !CanSee(actor, inc.OrgID) && !owner {
			return notFound(id)
		}
		if i < 0 {
			return fmt.Errorf("task %q: %w", taskID, store.ErrNotFound)
		}
		if !owner && !CanManage(actor, inc.OrgID) {
			return fmt.Errorf("only the task's owner, the unit's admins and editors or the security officer complete it: %w", identity.ErrForbidden)
		}
		t := &inc.Tasks[i]
		if t.DoneAt != nil || inc.State == StateClosed {
			return validate.Refuse(ErrState, "task_done", "task %s is done already", taskID)
		}
		now := tx.Now()
		t.DoneAt, t.DoneBy = &now, actor.UserID
		if err := completeTask(ctx, tx, taskID, now, actor.UserID); err != nil {
			return err
		}
		return s.emit(ctx, tx, actor, inc, "incident.task_done", inc.figures(map[string]any{"task_id": taskID,
			"late": now.After(t.DueAt)}))
	})
	if err != nil {
		return Incident{}, err
	}
	return inc, nil
}

// task returns the index of task id in inc.Tasks, or -1.
func (inc Incident) task(id string) int {
	for i, t := range inc.Tasks {
		if t.ID == id {
			return i
		}
	}
	return -1
}
