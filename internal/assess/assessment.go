package assess

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/classify"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// ErrState means the assessment's state does not allow the change (409).
var ErrState = catalog.ErrState

// NewInput starts an assessment: of a resource (ResourceID), or of an
// institution's information system (SystemName and OrgID).
type NewInput struct {
	Scope      Scope  `json:"scope,omitempty" enum:"resource,system" doc:"resource (the default) or system"`
	ResourceID string `json:"resource_id,omitempty"`
	SystemName string `json:"system_name,omitempty"`
	OrgID      string `json:"org_id,omitempty"`
	Title      string `json:"title"`
	ScopeNote  string `json:"scope_note,omitempty"`
}

func (in *NewInput) normalize() {
	in.ResourceID, in.SystemName = strings.TrimSpace(in.ResourceID), strings.TrimSpace(in.SystemName)
	in.OrgID, in.Title, in.ScopeNote = strings.TrimSpace(in.OrgID), strings.TrimSpace(in.Title), strings.TrimSpace(in.ScopeNote)
	if in.Scope == "" {
		in.Scope = ScopeResource
	}
}

// Create starts a draft assessment. A resource's assessment records the
// resource's effective grade and belongs to its institution; a resource
// has at most one draft at a time.
func (s *Service) Create(ctx context.Context, actor identity.Principal, in NewInput) (Assessment, error) {
	in.normalize()
	if actor.IsAnonymous() {
		return Assessment{}, identity.ErrUnauthenticated
	}
	var errs validate.Errors
	validate.OneOf(&errs, "scope", in.Scope, ScopeResource, ScopeSystem)
	errs.Required("title", in.Title)
	errs.MaxLen("title", in.Title, 200)
	errs.MaxLen("scope_note", in.ScopeNote, 4000)
	a := Assessment{ID: store.NewID(), Scope: in.Scope, Title: in.Title, ScopeNote: in.ScopeNote, State: StateDraft,
		CreatedBy: actor.UserID, Version: 1, Items: Items{}.nonNil(), Risks: []Risk{}}
	switch in.Scope {
	case ScopeResource:
		if errs.Required("resource_id", in.ResourceID) {
			r, err := s.cat.Get(ctx, identity.System, in.ResourceID)
			if errors.Is(err, store.ErrNotFound) {
				errs.Add("resource_id", in.ResourceID, validate.CodeUnknown, "names no resource")
			} else if err != nil {
				return Assessment{}, err
			} else {
				a.ResourceID, a.OrgID = r.ID, r.OrganizationID
				if a.Class, a.Level, err = s.grade(ctx, r); err != nil {
					return Assessment{}, err
				}
			}
		}
	case ScopeSystem:
		errs.Required("system_name", in.SystemName)
		errs.MaxLen("system_name", in.SystemName, 200)
		if errs.Required("org_id", in.OrgID) {
			if _, err := s.ids.Organization(ctx, in.OrgID); errors.Is(err, store.ErrNotFound) {
				errs.Add("org_id", in.OrgID, validate.CodeUnknown, "names no organization")
			} else if err != nil {
				return Assessment{}, err
			}
		}
		a.SystemName, a.OrgID = in.SystemName, in.OrgID
	}
	if err := errs.Err(); err != nil {
		return Assessment{}, err
	}
	if !CanWork(actor, a.OrgID) {
		return Assessment{}, identity.ErrForbidden
	}
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		if a.Scope == ScopeResource {
			if err := lockResource(ctx, tx, a.ResourceID); err != nil {
				return err
			}
			draft, err := store.Strings(ctx, tx, `SELECT id FROM risk_assessments WHERE resource_id = $1 AND state = 'draft'`, a.ResourceID)
			if err != nil {
				return err
			}
			if len(draft) > 0 {
				return validate.Errors{{Field: "resource_id", Value: a.ResourceID, Code: "assessment_draft_open",
					Message: fmt.Sprintf("has a draft assessment already: %s", draft[0]), Args: []any{draft[0]}}}
			}
		}
		a.CreatedAt, a.UpdatedAt = tx.Now(), tx.Now()
		if err := insertAssessment(ctx, tx, a); err != nil {
			return err
		}
		return emit(ctx, tx, actor, a, "created", nil)
	})
	return a, err
}

// lockResource serialises the assessments of one resource (PostgreSQL;
// SQLite's transactions hold the write lock from BEGIN).
func lockResource(ctx context.Context, tx *store.Tx, resourceID string) error {
	if tx.Dialect != store.Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT id FROM resources WHERE id = $1 FOR UPDATE`, resourceID)
	return err
}

// grade is the resource's effective grade now.
func (s *Service) grade(ctx context.Context, r catalog.Resource) (catalog.Classification, int, error) {
	var g *classify.Grading
	if s.grades != nil {
		var err error
		if g, err = s.grades.Lookup(ctx, r.ID); err != nil {
			return "", 0, err
		}
	}
	class, level, _ := classify.Effective(r, g)
	return class, level, nil
}

// SaveInput is a draft's content: its title and scope, the assessment
// items, the findings and the conclusion. Save replaces all of them.
type SaveInput struct {
	Title      string `json:"title"`
	ScopeNote  string `json:"scope_note,omitempty"`
	Items      Items  `json:"items" required:"false"`
	Conclusion string `json:"conclusion,omitempty"`
}

// Save replaces a draft's content and recomputes its risks; every problem
// is named by its field ("items.vulnerabilities[2].asset").
func (s *Service) Save(ctx context.Context, actor identity.Principal, id string, in SaveInput) (Assessment, error) {
	in.Title, in.ScopeNote, in.Conclusion = strings.TrimSpace(in.Title), strings.TrimSpace(in.ScopeNote), strings.TrimSpace(in.Conclusion)
	in.Items = in.Items.trimmed()
	var errs validate.Errors
	errs.Required("title", in.Title)
	errs.MaxLen("title", in.Title, 200)
	errs.MaxLen("scope_note", in.ScopeNote, 4000)
	errs.MaxLen("conclusion", in.Conclusion, 8000)
	in.Items.validate(&errs)
	if err := errs.Err(); err != nil {
		return Assessment{}, err
	}
	return s.change(ctx, actor, id, func(tx *store.Tx, a *Assessment) (string, map[string]any, error) {
		if a.State != StateDraft {
			return "", nil, validate.Refuse(ErrState, "assessment_not_draft", "only a draft is edited (this assessment is %s)", a.State)
		}
		a.Title, a.ScopeNote, a.Items, a.Conclusion = in.Title, in.ScopeNote, in.Items.nonNil(), in.Conclusion
		a.Risks = Compute(a.Items)
		a.RiskLevel = HighestLevel(a.Risks)
		return "saved", nil, nil
	})
}

// Complete completes a draft: it must have at least one asset, threat and
// vulnerability, a conclusion, a finding for every high or very high risk
// and a task for every finding whose risks are to be reduced. The
// resource's effective grade now is the grade assessed; the assessment
// holds for a year (Config.Validity) and supersedes the resource's previous
// one. Its event names the resource, so that the decision point decides
// the next reads with it.
func (s *Service) Complete(ctx context.Context, actor identity.Principal, id string) (Assessment, error) {
	return s.change(ctx, actor, id, func(tx *store.Tx, a *Assessment) (string, map[string]any, error) {
		if a.State != StateDraft {
			return "", nil, validate.Refuse(ErrState, "assessment_not_draft", "only a draft is completed (this assessment is %s)", a.State)
		}
		if err := a.complete(); err != nil {
			return "", nil, err
		}
		if a.Scope == ScopeResource {
			r, err := s.cat.Get(ctx, identity.System, a.ResourceID)
			if err != nil {
				return "", nil, err
			}
			if a.Class, a.Level, err = s.grade(ctx, r); err != nil {
				return "", nil, err
			}
			if err := s.supersede(ctx, tx, actor, *a); err != nil {
				return "", nil, err
			}
		}
		now := tx.Now()
		until := s.validUntil(now)
		a.State, a.CompletedBy, a.CompletedAt, a.ValidUntil = StateCompleted, actor.UserID, &now, &until
		return "completed", nil, nil
	})
}

// complete says what a draft lacks to be completed, as field problems.
func (a *Assessment) complete() error {
	var errs validate.Errors
	for _, l := range []struct {
		field string
		n     int
	}{{"items.assets", len(a.Items.Assets)}, {"items.threats", len(a.Items.Threats)}, {"items.vulnerabilities", len(a.Items.Vulnerabilities)}} {
		if l.n == 0 {
			errs.Add(l.field, nil, validate.CodeRequired, "needs at least one entry to complete the assessment")
		}
	}
	errs.Required("conclusion", a.Conclusion)
	treated := map[string]bool{}
	for _, f := range a.Items.Findings {
		for _, r := range f.Risks {
			treated[r] = true
		}
	}
	for i, r := range a.Risks {
		if r.Level >= LevelHigh && !treated[r.Vulnerability] {
			errs.Add(fmt.Sprintf("risks[%d]", i), r.Vulnerability, "risk_untreated",
				"is a risk of level %d: a finding must say how it is treated", r.Level)
		}
	}
	for i, f := range a.Items.Findings {
		if f.Treatment == "reduce" && !hasTask(a.Tasks, f.Code) {
			errs.Add(fmt.Sprintf("items.findings[%d]", i), f.Code, "finding_without_task",
				"reduces risks: add a remediation task for it first")
		}
	}
	return errs.Err()
}

func hasTask(ts []Task, finding string) bool {
	for _, t := range ts {
		if t.Finding == finding {
			return true
		}
	}
	return false
}

// supersede ends the resource's completed assessment, if any, as a is
// completed in its place.
func (s *Service) supersede(ctx context.Context, tx *store.Tx, actor identity.Principal, a Assessment) error {
	ids, err := store.Strings(ctx, tx, `SELECT id FROM risk_assessments WHERE resource_id = $1 AND state = 'completed' AND id <> $2`,
		a.ResourceID, a.ID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		prev, err := get(ctx, tx, id, false)
		if err != nil {
			return err
		}
		if err := s.end(ctx, tx, actor, &prev, StateSuperseded, EndSuperseded); err != nil {
			return err
		}
	}
	return nil
}

// end ends a completed assessment (superseded or lapsed) at tx's time;
// its valid_until becomes that time if it was later, so that it says until
// when the assessment held (what the statistics count by).
func (s *Service) end(ctx context.Context, tx *store.Tx, actor identity.Principal, a *Assessment, state State, reason string) error {
	now := tx.Now()
	a.State, a.EndedAt, a.EndReason, a.UpdatedAt = state, &now, reason, now
	if a.ValidUntil == nil || a.ValidUntil.After(now) {
		a.ValidUntil = &now
	}
	a.Version++
	if err := updateAssessment(ctx, tx, *a); err != nil {
		return err
	}
	return emit(ctx, tx, actor, *a, string(state), map[string]any{"reason": reason})
}

// change applies fn to assessment id under its lock, if actor works on it,
// saves it and emits assessment.<what fn returns>.
func (s *Service) change(ctx context.Context, actor identity.Principal, id string,
	fn func(tx *store.Tx, a *Assessment) (string, map[string]any, error)) (Assessment, error) {
	var out Assessment
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		a, err := get(ctx, tx, id, tx.Dialect == store.Postgres)
		if err != nil {
			return err
		}
		if !CanRead(actor, a.OrgID) {
			return fmt.Errorf("risk assessment %q: %w", id, store.ErrNotFound)
		}
		if !CanWork(actor, a.OrgID) {
			return identity.ErrForbidden
		}
		what, extra, err := fn(tx, &a)
		if err != nil {
			return err
		}
		a.UpdatedAt = tx.Now()
		a.Version++
		if err := updateAssessment(ctx, tx, a); err != nil {
			return err
		}
		out = a
		return emit(ctx, tx, actor, a, what, extra)
	})
	return out, err
}

// emit records assessment.<what>. A resource's assessment's events name
// the resource (subject_kind "resource"), so that the access decision
// point drops its cached requirement for it on every replica; a system's
// name the assessment. The payload carries counts and a hash of the
// items, never their text.
func emit(ctx context.Context, tx *store.Tx, actor identity.Principal, a Assessment, what string, extra map[string]any) error {
	ev := store.Event{Type: "assessment." + what, ActorUserID: actor.UserID, ActorOrgID: a.OrgID,
		SubjectKind: "risk_assessment", SubjectID: a.ID}
	if a.Scope == ScopeResource {
		ev.SubjectKind, ev.SubjectID = "resource", a.ResourceID
	}
	payload := map[string]any{"assessment_id": a.ID, "scope": a.Scope, "state": a.State, "grade_class": a.Class,
		"grade_level": a.Level, "assets": len(a.Items.Assets), "threats": len(a.Items.Threats),
		"vulnerabilities": len(a.Items.Vulnerabilities), "measures": len(a.Items.Measures), "findings": len(a.Items.Findings),
		"risk_level": a.RiskLevel, "items_sha256": store.SHA256Hex(jsonText(a.Items)), "version": a.Version}
	if a.ValidUntil != nil {
		payload["valid_until"] = store.TS(*a.ValidUntil)
	}
	for k, v := range extra {
		payload[k] = v
	}
	return tx.Emit(ctx, ev, payload)
}

// Get returns an assessment with its tasks, if actor may read it.
func (s *Service) Get(ctx context.Context, actor identity.Principal, id string) (Assessment, error) {
	if actor.IsAnonymous() {
		return Assessment{}, identity.ErrUnauthenticated
	}
	a, err := get(ctx, s.db, id, false)
	if err != nil {
		return a, err
	}
	if !CanRead(actor, a.OrgID) {
		return Assessment{}, fmt.Errorf("risk assessment %q: %w", id, store.ErrNotFound)
	}
	return a, nil
}

// Filter selects assessments.
type Filter struct {
	State      State
	OrgID      string
	ResourceID string
	Cursor     string // the last id of the previous page
	Limit      int    // default 50, at most 200
}

// List lists the assessments actor may read, newest first; next is the
// cursor of the following page ("" at the end).
func (s *Service) List(ctx context.Context, actor identity.Principal, f Filter) (items []Assessment, next string, err error) {
	if actor.IsAnonymous() {
		return nil, "", identity.ErrUnauthenticated
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	if f.State != "" {
		var errs validate.Errors
		validate.OneOf(&errs, "state", f.State, States...)
		if err := errs.Err(); err != nil {
			return nil, "", err
		}
	}
	where, args := []string{"($1 = '' OR state = $1)", "($2 = '' OR org_id = $2)", "($3 = '' OR resource_id = $3)", "($4 = '' OR id < $4)"},
		[]any{string(f.State), f.OrgID, f.ResourceID, f.Cursor}
	if !CanReadAll(actor) {
		orgs := workOrgs(actor)
		if len(orgs) == 0 {
			return []Assessment{}, "", nil
		}
		ph := make([]string, len(orgs))
		for i, o := range orgs {
			args = append(args, o)
			ph[i] = fmt.Sprintf("$%d", len(args))
		}
		where = append(where, "org_id IN ("+strings.Join(ph, ", ")+")")
	}
	args = append(args, f.Limit+1)
	rows, err := s.db.QueryContext(ctx, `SELECT `+assessmentColumns+` FROM risk_assessments WHERE `+strings.Join(where, " AND ")+
		fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, "", fmt.Errorf("assess: list: %w", err)
	}
	defer rows.Close()
	items = []Assessment{}
	for rows.Next() {
		a, err := scanAssessment(rows)
		if err != nil {
			return nil, "", err
		}
		items = append(items, a)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	if len(items) > f.Limit {
		items = items[:f.Limit]
		next = items[len(items)-1].ID
	}
	return items, next, nil
}

// workOrgs are the institutions whose assessments p works on.
func workOrgs(p identity.Principal) []string {
	var out []string
	for _, m := range p.Memberships {
		if p.AtLeast(m.OrganizationID, identity.RoleEditor) {
			out = append(out, m.OrganizationID)
		}
	}
	return out
}

// Current returns the resource's completed assessment as the
// classification rules need it, nil when it has none: the rules' lookup
// (classify.AssessmentSource), without permission checks.
func (s *Service) Current(ctx context.Context, resourceID string) (*classify.Assessment, error) {
	var c classify.Assessment
	var completed, until time.Time
	err := s.db.QueryRowContext(ctx, `SELECT id, grade_class, grade_level, completed_at, valid_until FROM risk_assessments
		WHERE resource_id = $1 AND state = 'completed' ORDER BY completed_at DESC, id DESC LIMIT 1`, resourceID).Scan(
		&c.ID, &c.Class, &c.Level, store.ScanTime(&completed), store.ScanTime(&until))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("assess: current assessment: %w", err)
	}
	c.CompletedAt, c.ValidUntil = completed, until
	return &c, nil
}
