package assess

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/notify"
	"dataport/internal/store"
)

// Due is where a resource that needs assessments stands.
type Due string

// The schedule's states of a resource of important or core grade.
const (
	DueCurrent Due = "current"  // a completed assessment holds beyond DueSoon
	DueSoon    Due = "due_soon" // it lapses within DueSoon
	DueNow     Due = "overdue"  // none holds: its sharing, opening and zone use are refused
)

// Entry is one resource in the schedule.
type Entry struct {
	ResourceID string                 `json:"resource_id"`
	Code       string                 `json:"code"`
	TitleZh    string                 `json:"title_zh"`
	TitleEn    string                 `json:"title_en"`
	OrgID      string                 `json:"org_id"`
	Class      catalog.Classification `json:"class"`
	Level      int                    `json:"level"`
	Due        Due                    `json:"due"`
	// DueAt is when the current assessment lapses (nil: due now).
	DueAt *time.Time `json:"due_at,omitempty"`
	// Current is the completed assessment that holds, Draft the one in progress.
	Current string `json:"current_assessment_id,omitempty"`
	Draft   string `json:"draft_assessment_id,omitempty"`
}

// Schedule lists the resources of important or core effective grade whose
// assessments actor may read (not retired), overdue first, then by when
// they are due: a resource is due yearly and again when its grade changes.
func (s *Service) Schedule(ctx context.Context, actor identity.Principal) ([]Entry, error) {
	if actor.IsAnonymous() {
		return nil, identity.ErrUnauthenticated
	}
	ids, err := store.Strings(ctx, s.db, `SELECT r.id FROM resources r LEFT JOIN resource_gradings g ON g.resource_id = r.id
		WHERE r.status <> 'retired' AND (r.classification IN ('important', 'core') OR g.classification IN ('important', 'core'))
		ORDER BY r.id`)
	if err != nil {
		return nil, fmt.Errorf("assess: schedule: %w", err)
	}
	now := s.now()
	out := []Entry{}
	for _, id := range ids {
		r, err := s.cat.Get(ctx, identity.System, id)
		if err != nil {
			return nil, err
		}
		if !CanRead(actor, r.OrganizationID) {
			continue
		}
		e, err := s.entry(ctx, r, now)
		if err != nil {
			return nil, err
		}
		if e.Class == catalog.ClassImportant || e.Class == catalog.ClassCore {
			out = append(out, e)
		}
	}
	rank := map[Due]int{DueNow: 0, DueSoon: 1, DueCurrent: 2}
	slices.SortStableFunc(out, func(a, b Entry) int {
		if rank[a.Due] != rank[b.Due] {
			return rank[a.Due] - rank[b.Due]
		}
		return a.dueAt().Compare(b.dueAt())
	})
	return out, nil
}

func (e Entry) dueAt() time.Time {
	if e.DueAt == nil {
		return time.Time{}
	}
	return *e.DueAt
}

// entry is r's place in the schedule at now.
func (s *Service) entry(ctx context.Context, r catalog.Resource, now time.Time) (Entry, error) {
	e := Entry{ResourceID: r.ID, Code: r.Code, TitleZh: r.TitleZh, TitleEn: r.TitleEn, OrgID: r.OrganizationID, Due: DueNow}
	var err error
	if e.Class, e.Level, err = s.grade(ctx, r); err != nil {
		return e, err
	}
	drafts, err := store.Strings(ctx, s.db, `SELECT id FROM risk_assessments WHERE resource_id = $1 AND state = 'draft'`, r.ID)
	if err != nil {
		return e, err
	}
	if len(drafts) > 0 {
		e.Draft = drafts[0]
	}
	c, err := s.Current(ctx, r.ID)
	if err != nil || c == nil || c.Class != e.Class || c.Level != e.Level || !now.Before(c.ValidUntil) {
		return e, err
	}
	until := c.ValidUntil
	e.Current, e.DueAt, e.Due = c.ID, &until, DueCurrent
	if until.Sub(now) <= s.cfg.DueSoon {
		e.Due = DueSoon
	}
	return e, nil
}

// TickResult counts what a Tick did.
type TickResult struct {
	Lapsed   int // assessments whose year ended or whose resource's grade changed
	Reminded int // overdue remediation tasks whose owners were reminded
}

// Tick lapses the completed assessments whose year has ended at now or
// whose resource's effective grade is no longer the grade assessed, and
// reminds the owners of remediation tasks overdue at now (once per task),
// telling the institution's editors too. Each change is its own
// transaction and is checked again in it, so a Tick repeated, or run by
// several replicas at once, applies each once. A lapse's event names the
// resource, so the decision point's cached requirement is dropped on every
// replica. The application runs it periodically (jobs.go).
func (s *Service) Tick(ctx context.Context, now time.Time) (TickResult, error) {
	var res TickResult
	ids, err := store.Strings(ctx, s.db, `SELECT id FROM risk_assessments WHERE state = 'completed' ORDER BY id`)
	if err != nil {
		return res, fmt.Errorf("assess: completed assessments: %w", err)
	}
	var errs []error
	for _, id := range ids {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		lapsed, err := s.lapse(ctx, id, now)
		if err != nil {
			errs = append(errs, err)
		} else if lapsed {
			res.Lapsed++
		}
	}
	tasks, err := store.Strings(ctx, s.db, `SELECT id FROM risk_assessment_tasks WHERE done_at IS NULL AND reminded_at IS NULL
		AND deadline < $1 ORDER BY deadline, id`, now.In(beijing).Format(time.DateOnly))
	if err != nil {
		return res, errors.Join(append(errs, fmt.Errorf("assess: overdue tasks: %w", err))...)
	}
	for _, id := range tasks {
		reminded, err := s.remind(ctx, id, now)
		if err != nil {
			errs = append(errs, err)
		} else if reminded {
			res.Reminded++
		}
	}
	return res, errors.Join(errs...)
}

// lapse ends completed assessment id if its year has ended at now or its
// resource's grade is not the grade assessed.
func (s *Service) lapse(ctx context.Context, id string, now time.Time) (bool, error) {
	lapsed := false
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		a, err := get(ctx, tx, id, tx.Dialect == store.Postgres)
		if err != nil || a.State != StateCompleted {
			return err
		}
		reason := ""
		if a.ValidUntil != nil && !now.Before(*a.ValidUntil) {
			reason = EndExpired
		} else if a.Scope == ScopeResource {
			r, err := s.cat.Get(ctx, identity.System, a.ResourceID)
			if err != nil {
				return err
			}
			class, level, err := s.grade(ctx, r)
			if err != nil {
				return err
			}
			if class != a.Class || level != a.Level {
				reason = EndGradeChanged
			}
		}
		if reason == "" {
			return nil
		}
		lapsed = true
		if err := s.end(ctx, tx, identity.System, &a, StateLapsed, reason); err != nil {
			return err
		}
		return notify.Send(ctx, tx, "assessment.lapsed", "risk_assessment", a.ID, Link(a.ID),
			notify.To{Orgs: []string{a.OrgID}, OrgRole: identity.RoleEditor})
	})
	return lapsed, err
}

// remind tells the owner of overdue task id, and the institution's
// editors, once.
func (s *Service) remind(ctx context.Context, id string, now time.Time) (bool, error) {
	reminded := false
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE risk_assessment_tasks SET reminded_at = $2
			WHERE id = $1 AND done_at IS NULL AND reminded_at IS NULL`, id, store.TS(tx.Now()))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		t, err := getTask(ctx, tx, id)
		if err != nil {
			return err
		}
		a, err := get(ctx, tx, t.AssessmentID, false)
		if err != nil {
			return err
		}
		reminded = true
		if err := notify.Send(ctx, tx, "assessment.task_overdue", "risk_assessment", a.ID, Link(a.ID),
			notify.To{Users: []string{t.OwnerUserID}, Orgs: []string{a.OrgID}, OrgRole: identity.RoleEditor}); err != nil {
			return err
		}
		return emit(ctx, tx, identity.System, a, "task_overdue", map[string]any{"task_id": t.ID, "deadline": t.Deadline})
	})
	return reminded, err
}
