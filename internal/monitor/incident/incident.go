// Package incident keeps a unit's data security incidents (article 48 of
// the regulation; Data Security Law art. 29, PIPL art. 57): what happened
// (kind, level, cause, the resources, records and persons affected, when
// it was discovered and contained), the response tasks with their owners
// and due times, the deadlines to notify the affected persons and to
// report to the authority (hours per level from the time of discovery,
// Config), the notice (个人信息安全事件告知书) and report (数据安全事件报告)
// generated in Chinese and issued with their SHA-256 sealed, reminders as
// a deadline nears and passes, and the post-incident review that closing
// requires. An incident may be opened from a monitoring alert, which is
// escalated in the same transaction.
//
// The state machine is open → contained → closed. Every step is an event
// incident.* on subject kind "incident" (sealed by the ledger), whose
// payload carries ids, levels, counts, deadlines and hashes — never the
// texts, which may name people.
package incident

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/monitor"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// SubjectKind is the events' subject kind of an incident.
const SubjectKind = "incident"

// Level is how grave an incident is, after the four levels of China's
// incident grading (一般, 较大, 重大, 特别重大).
type Level string

// The levels, least grave first.
const (
	LevelGeneral  Level = "general"  // 一般
	LevelMajor    Level = "major"    // 较大
	LevelSerious  Level = "serious"  // 重大
	LevelCritical Level = "critical" // 特别重大
)

// Levels lists the levels, least grave first.
var Levels = []Level{LevelGeneral, LevelMajor, LevelSerious, LevelCritical}

// Zh is the level's Chinese name, as the documents write it.
func (l Level) Zh() string {
	return map[Level]string{LevelGeneral: "一般", LevelMajor: "较大", LevelSerious: "重大", LevelCritical: "特别重大"}[l]
}

// Kind is what kind of incident it is.
type Kind string

// The kinds.
const (
	KindLeak         Kind = "leak"                // 数据泄露
	KindTampering    Kind = "tampering"           // 数据篡改
	KindLoss         Kind = "loss"                // 数据丢失
	KindUnauthorized Kind = "unauthorized_access" // 非法访问
	KindMalware      Kind = "malware"             // 有害程序
	KindAttack       Kind = "attack"              // 网络攻击
	KindOutage       Kind = "outage"              // 系统故障
	KindOther        Kind = "other"               // 其他
)

// Kinds lists every kind.
var Kinds = []Kind{KindLeak, KindTampering, KindLoss, KindUnauthorized, KindMalware, KindAttack, KindOutage, KindOther}

// Zh is the kind's Chinese name, as the documents write it.
func (k Kind) Zh() string {
	return map[Kind]string{KindLeak: "数据泄露", KindTampering: "数据篡改", KindLoss: "数据丢失", KindUnauthorized: "非法访问",
		KindMalware: "有害程序", KindAttack: "网络攻击", KindOutage: "系统故障", KindOther: "其他"}[k]
}

// State is where an incident stands: open → contained → closed.
type State string

// The states.
const (
	StateOpen      State = "open"
	StateContained State = "contained"
	StateClosed    State = "closed"
)

// ErrState means the incident's state does not allow the step (409).
var ErrState = fmt.Errorf("the incident's state does not allow this step: %w", store.ErrConflict)

// maxText is the longest free text (cause, measures, review), in characters.
const maxText = 8000

// Incident is one data security incident of one unit.
type Incident struct {
	ID              string         `json:"id"`
	OrgID           string         `json:"org_id" doc:"The unit the incident happened at"`
	Title           string         `json:"title"`
	Kind            Kind           `json:"kind" enum:"leak,tampering,loss,unauthorized_access,malware,attack,outage,other"`
	Level           Level          `json:"level" enum:"general,major,serious,critical" doc:"一般, 较大, 重大, 特别重大"`
	State           State          `json:"state" enum:"open,contained,closed"`
	Cause           string         `json:"cause"`
	Harm            string         `json:"harm" doc:"The harm it may cause (for the notice)"`
	Measures        string         `json:"measures" doc:"The remedial measures taken"`
	Advice          string         `json:"advice" doc:"What affected persons can do to reduce the harm (for the notice)"`
	ResourceIDs     []string       `json:"resource_ids"`
	RecordsAffected int64          `json:"records_affected"`
	PersonsAffected int64          `json:"persons_affected"`
	DiscoveredAt    time.Time      `json:"discovered_at"`
	ContainedAt     *time.Time     `json:"contained_at"`
	NotifyDue       *time.Time     `json:"notify_due" doc:"When the affected persons must have been notified; null when no person is affected"`
	NotifiedAt      *time.Time     `json:"notified_at" doc:"When the first notice was issued"`
	ReportDue       time.Time      `json:"report_due" doc:"When the authority must have had the report"`
	ReportedAt      *time.Time     `json:"reported_at" doc:"When the first report was issued"`
	ReviewSummary   string         `json:"review_summary"`
	ReviewLessons   string         `json:"review_lessons"`
	ReviewedAt      *time.Time     `json:"reviewed_at"`
	ReviewedBy      string         `json:"reviewed_by,omitempty"`
	ClosedAt        *time.Time     `json:"closed_at"`
	AlertID         string         `json:"alert_id,omitempty" doc:"The monitoring alert it was opened from"`
	CreatedBy       string         `json:"created_by"`
	CreatedAt       time.Time      `json:"created_at"`
	UpdatedAt       time.Time      `json:"updated_at"`
	Tasks           []ResponseTask `json:"tasks"`
	Documents       []Filing       `json:"documents" doc:"The notices and reports issued, without their bodies"`
}

// Deadlines returns the incident's deadlines: to report, and to notify
// when persons are affected.
func (in Incident) Deadlines() []Deadline {
	out := []Deadline{{Name: DeadlineReport, Due: in.ReportDue, MetAt: in.ReportedAt}}
	if in.NotifyDue != nil {
		out = append([]Deadline{{Name: DeadlineNotify, Due: *in.NotifyDue, MetAt: in.NotifiedAt}}, out...)
	}
	return out
}

// Alerts reads and escalates monitoring alerts (monitor.Service).
type Alerts interface {
	Alert(ctx context.Context, actor identity.Principal, id string) (monitor.Alert, error)
	Escalate(ctx context.Context, tx *store.Tx, actor identity.Principal, alertID, incidentID string) (monitor.Alert, error)
}

// Service keeps the incidents of one store.
type Service struct {
	db     *store.DB
	ids    *identity.Service
	cat    *catalog.Service
	alerts Alerts
	cfg    Config
}

// New returns the incident service; alerts may be nil (no opening from
// alerts).
func New(db *store.DB, ids *identity.Service, cat *catalog.Service, alerts Alerts, cfg Config) *Service {
	return &Service{db: db, ids: ids, cat: cat, alerts: alerts, cfg: cfg.withDefaults()}
}

// Config returns the service's configuration with its defaults filled in.
func (s *Service) Config() Config { return s.cfg }

// CanSee says whether p sees the incidents of unit orgID: the security
// officer, the regulator and the auditor see every unit's; the unit's
// admins and editors their own.
func CanSee(p identity.Principal, orgID string) bool {
	return monitor.CanSee(p) || p.AtLeast(orgID, identity.RoleEditor)
}

// CanManage says whether p records and moves the incidents of unit
// orgID: the security officer for every unit, the unit's admins and
// editors for their own.
func CanManage(p identity.Principal, orgID string) bool {
	return monitor.CanManage(p) || p.AtLeast(orgID, identity.RoleEditor)
}

// CanOpenAny says whether p may open incidents for any unit (the security
// officer), or only for the units it edits.
func CanOpenAny(p identity.Principal) bool { return monitor.CanManage(p) }

// Details is what is recorded about an incident when it is opened or
// changed.
type Details struct {
	OrgID           string    `json:"org_id" doc:"The unit the incident happened at; its admins and editors, or the security officer, open it"`
	Title           string    `json:"title" maxLength:"200"`
	Kind            Kind      `json:"kind" enum:"leak,tampering,loss,unauthorized_access,malware,attack,outage,other"`
	Level           Level     `json:"level" enum:"general,major,serious,critical"`
	Cause           string    `json:"cause" required:"false" maxLength:"8000"`
	Harm            string    `json:"harm" required:"false" maxLength:"8000"`
	Measures        string    `json:"measures" required:"false" maxLength:"8000"`
	Advice          string    `json:"advice" required:"false" maxLength:"8000"`
	ResourceIDs     []string  `json:"resource_ids" required:"false" maxItems:"100"`
	RecordsAffected int64     `json:"records_affected" required:"false" minimum:"0"`
	PersonsAffected int64     `json:"persons_affected" required:"false" minimum:"0"`
	DiscoveredAt    time.Time `json:"discovered_at" required:"false" doc:"When it was discovered (default: now, or the alert's time); the deadlines count from it"`
}

// Open records a new incident of in.OrgID. The actor must manage the
// unit's incidents; bad fields are refused with every problem named and
// nothing is written.
func (s *Service) Open(ctx context.Context, actor identity.Principal, in Details) (Incident, error) {
	return s.open(ctx, actor, in, nil)
}

// OpenFromAlert records a new incident from monitoring alert alertID (the
// security officer only) and escalates the alert to it in the same
// transaction: the incident exists exactly when the alert says it
// escalated. Without a discovery time the alert's creation is taken.
func (s *Service) OpenFromAlert(ctx context.Context, actor identity.Principal, alertID string, in Details) (Incident, error) {
	if actor.IsAnonymous() {
		return Incident{}, identity.ErrUnauthenticated
	}
	if s.alerts == nil || !monitor.CanManage(actor) {
		return Incident{}, fmt.Errorf("only the security officer turns an alert into an incident: %w", identity.ErrForbidden)
	}
	a, err := s.alerts.Alert(ctx, actor, alertID)
	if err != nil {
		return Incident{}, err
	}
	if in.DiscoveredAt.IsZero() {
		in.DiscoveredAt = a.CreatedAt
	}
	return s.open(ctx, actor, in, &a)
}

func (s *Service) open(ctx context.Context, actor identity.Principal, in Details, alert *monitor.Alert) (Incident, error) {
	if actor.IsAnonymous() {
		return Incident{}, identity.ErrUnauthenticated
	}
	in.normalize()
	if err := s.checkInput(ctx, in, time.Now()); err != nil {
		return Incident{}, err
	}
	if !CanManage(actor, in.OrgID) {
		return Incident{}, fmt.Errorf("only the unit's admins and editors or the security officer record its incidents: %w", identity.ErrForbidden)
	}
	var inc Incident
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		inc = Incident{ID: store.NewID(), State: StateOpen, CreatedBy: actor.UserID, CreatedAt: tx.Now(), UpdatedAt: tx.Now(),
			Tasks: []ResponseTask{}, Documents: []Filing{}}
		inc.fill(in, s.cfg)
		payload := map[string]any{}
		if alert != nil {
			inc.AlertID = alert.ID
			payload["alert_id"], payload["alert_rule"] = alert.ID, alert.Rule
		}
		if err := insertIncident(ctx, tx, inc); err != nil {
			return err
		}
		if alert != nil {
			if _, err := s.alerts.Escalate(ctx, tx, actor, alert.ID, inc.ID); err != nil {
				return err
			}
		}
		return s.emit(ctx, tx, actor, inc, "incident.opened", inc.figures(payload))
	})
	if err != nil {
		return Incident{}, err
	}
	return inc, nil
}

// normalize trims the input's texts and orders its resources.
func (in *Details) normalize() {
	for _, p := range []*string{&in.OrgID, &in.Title, &in.Cause, &in.Harm, &in.Measures, &in.Advice} {
		*p = strings.TrimSpace(*p)
	}
	ids := make([]string, 0, len(in.ResourceIDs))
	for _, id := range in.ResourceIDs {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	in.ResourceIDs = ids
	in.DiscoveredAt = in.DiscoveredAt.UTC().Truncate(time.Microsecond)
}

// checkInput names every problem of in: the unit exists, the kind and
// level are known, the counts are not negative, the resources exist, the
// discovery is not in the future.
func (s *Service) checkInput(ctx context.Context, in Details, now time.Time) error {
	var errs validate.Errors
	if errs.Required("org_id", in.OrgID) {
		if _, err := s.ids.Organization(ctx, in.OrgID); err != nil {
			errs.Add("org_id", in.OrgID, validate.CodeUnknown, "names no organization")
		}
	}
	if errs.Required("title", in.Title) {
		errs.MaxLen("title", in.Title, 200)
	}
	validate.OneOf(&errs, "kind", in.Kind, Kinds...)
	validate.OneOf(&errs, "level", in.Level, Levels...)
	for field, v := range map[string]string{"title": in.Title, "cause": in.Cause, "harm": in.Harm, "measures": in.Measures, "advice": in.Advice} {
		checkText(&errs, field, v)
	}
	for field, n := range map[string]int64{"records_affected": in.RecordsAffected, "persons_affected": in.PersonsAffected} {
		if n < 0 {
			errs.Add(field, n, validate.CodeAtLeast, "must be at least %d", 0)
		}
	}
	if len(in.ResourceIDs) > 100 {
		errs.Add("resource_ids", len(in.ResourceIDs), validate.CodeTooMany, "lists more than %d resources", 100)
	}
	for i, id := range in.ResourceIDs {
		field := fmt.Sprintf("resource_ids[%d]", i)
		if slices.Index(in.ResourceIDs, id) < i {
			errs.Add(field, id, validate.CodeDuplicate, "is listed twice")
		} else if _, err := s.cat.Get(ctx, identity.System, id); err != nil {
			errs.Add(field, id, validate.CodeUnknown, "names no resource")
		}
	}
	if in.DiscoveredAt.After(now.Add(time.Minute)) {
		errs.Add("discovered_at", store.TS(in.DiscoveredAt), "future", "is in the future")
	}
	return errs.Err()
}

// checkText adds a problem when s is too long or not plain text.
func checkText(errs *validate.Errors, field, s string) { errs.Text(field, s, maxText) }

// fill copies in into the incident and computes its deadlines.
func (inc *Incident) fill(in Details, cfg Config) {
	inc.OrgID, inc.Title, inc.Kind, inc.Level = in.OrgID, in.Title, in.Kind, in.Level
	inc.Cause, inc.Harm, inc.Measures, inc.Advice = in.Cause, in.Harm, in.Measures, in.Advice
	inc.ResourceIDs, inc.RecordsAffected, inc.PersonsAffected = slices.Sorted(slices.Values(in.ResourceIDs)), in.RecordsAffected, in.PersonsAffected
	inc.DiscoveredAt = in.DiscoveredAt
	if inc.DiscoveredAt.IsZero() {
		inc.DiscoveredAt = inc.CreatedAt
	}
	inc.NotifyDue, inc.ReportDue = cfg.Due(inc.Level, inc.DiscoveredAt, inc.PersonsAffected)
}

// figures is the payload of an event about inc: its unit, kind, level,
// counts and deadlines, and the hashes of its texts; extra adds to it.
func (inc Incident) figures(extra map[string]any) map[string]any {
	p := map[string]any{"org_id": inc.OrgID, "kind": inc.Kind, "level": inc.Level, "state": inc.State,
		"records_affected": inc.RecordsAffected, "persons_affected": inc.PersonsAffected, "resources": len(inc.ResourceIDs),
		"discovered_at": store.TS(inc.DiscoveredAt), "report_due": store.TS(inc.ReportDue),
		"texts_sha256": store.SHA256Hex(strings.Join([]string{inc.Title, inc.Cause, inc.Harm, inc.Measures, inc.Advice}, "\x00"))}
	if inc.NotifyDue != nil {
		p["notify_due"] = store.TS(*inc.NotifyDue)
	}
	for k, v := range extra {
		p[k] = v
	}
	return p
}

// emit writes event typ about inc.
func (s *Service) emit(ctx context.Context, tx *store.Tx, actor identity.Principal, inc Incident, typ string, payload map[string]any) error {
	org := ""
	if actor.RoleIn(inc.OrgID) != "" {
		org = inc.OrgID
	}
	return tx.Emit(ctx, store.Event{Type: typ, ActorUserID: actor.UserID, ActorOrgID: org, SubjectKind: SubjectKind, SubjectID: inc.ID}, payload)
}

// Update changes what is known of an open or contained incident (its
// unit stays): a new level or count of persons recomputes the deadlines
// from the discovery. The change is an "incident.updated" event.
func (s *Service) Update(ctx context.Context, actor identity.Principal, id string, in Details) (Incident, error) {
	in.normalize()
	return s.change(ctx, actor, id, "incident.updated", func(tx *store.Tx, inc *Incident) (map[string]any, error) {
		if inc.State == StateClosed {
			return nil, validate.Refuse(ErrState, "incident_closed", "a closed incident is not changed")
		}
		in.OrgID = inc.OrgID
		if in.DiscoveredAt.IsZero() {
			in.DiscoveredAt = inc.DiscoveredAt
		}
		if err := s.checkInput(ctx, in, tx.Now()); err != nil {
			return nil, err
		}
		if inc.ContainedAt != nil && in.DiscoveredAt.After(*inc.ContainedAt) {
			return nil, validate.Errors{{Field: "discovered_at", Value: store.TS(in.DiscoveredAt), Code: "after_contained",
				Message: "is after the incident was contained"}}
		}
		prev := inc.Level
		inc.fill(in, s.cfg)
		return map[string]any{"previous_level": prev}, nil
	})
}

// Contain records that the incident was brought under control at at
// (default now): open → contained.
func (s *Service) Contain(ctx context.Context, actor identity.Principal, id string, at time.Time) (Incident, error) {
	return s.change(ctx, actor, id, "incident.contained", func(tx *store.Tx, inc *Incident) (map[string]any, error) {
		if inc.State != StateOpen {
			return nil, validate.Refuse(ErrState, "incident_state", "an incident in state %s cannot be contained", inc.State)
		}
		if at.IsZero() {
			at = tx.Now()
		}
		at = at.UTC().Truncate(time.Microsecond)
		if at.Before(inc.DiscoveredAt) || at.After(tx.Now().Add(time.Minute)) {
			return nil, validate.Errors{{Field: "contained_at", Value: store.TS(at), Code: "range",
				Message: "must lie between the discovery and now", Args: []any{store.TS(inc.DiscoveredAt), store.TS(tx.Now())}}}
		}
		inc.State, inc.ContainedAt = StateContained, &at
		return map[string]any{"contained_at": store.TS(at)}, nil
	})
}

// ReviewInput is the post-incident review.
type ReviewInput struct {
	Summary string `json:"summary" maxLength:"8000" doc:"What happened and how it was handled"`
	Lessons string `json:"lessons" maxLength:"8000" doc:"What the unit changes so that it does not happen again"`
}

// Review records the post-incident review of a contained incident (it
// may be revised until the incident is closed).
func (s *Service) Review(ctx context.Context, actor identity.Principal, id string, in ReviewInput) (Incident, error) {
	in.Summary, in.Lessons = strings.TrimSpace(in.Summary), strings.TrimSpace(in.Lessons)
	var errs validate.Errors
	if errs.Required("summary", in.Summary) {
		checkText(&errs, "summary", in.Summary)
	}
	if errs.Required("lessons", in.Lessons) {
		checkText(&errs, "lessons", in.Lessons)
	}
	if err := errs.Err(); err != nil {
		return Incident{}, err
	}
	return s.change(ctx, actor, id, "incident.reviewed", func(tx *store.Tx, inc *Incident) (map[string]any, error) {
		if inc.State != StateContained {
			return nil, validate.Refuse(ErrState, "review_state", "the review follows containment: the incident is %s", inc.State)
		}
		now := tx.Now()
		inc.ReviewSummary, inc.ReviewLessons, inc.ReviewedAt, inc.ReviewedBy = in.Summary, in.Lessons, &now, actor.UserID
		return map[string]any{"review_sha256": store.SHA256Hex(in.Summary + "\x00" + in.Lessons)}, nil
	})
}

// Close closes a contained incident once everything is done: the review
// recorded, the report issued, the notice issued when persons are
// affected, and every task done. What is missing is named in the refusal.
func (s *Service) Close(ctx context.Context, actor identity.Principal, id string) (Incident, error) {
	return s.change(ctx, actor, id, "incident.closed", func(tx *store.Tx, inc *Incident) (map[string]any, error) {
		if inc.State != StateContained {
			return nil, validate.Refuse(ErrState, "incident_state", "only a contained incident is closed: it is %s", inc.State)
		}
		if missing := inc.missingToClose(); len(missing) > 0 {
			return nil, validate.Refuse(ErrState, "close_missing", "the incident cannot close before: %s", strings.Join(missing, ", "))
		}
		now := tx.Now()
		inc.State, inc.ClosedAt = StateClosed, &now
		return map[string]any{"tasks": len(inc.Tasks), "documents": len(inc.Documents)}, nil
	})
}

// missingToClose names what closing inc still needs.
func (inc Incident) missingToClose() []string {
	var missing []string
	if inc.ReviewedAt == nil {
		missing = append(missing, "review")
	}
	if inc.ReportedAt == nil {
		missing = append(missing, "report")
	}
	if inc.NotifyDue != nil && inc.NotifiedAt == nil {
		missing = append(missing, "notice")
	}
	for _, t := range inc.Tasks {
		if t.DoneAt == nil {
			missing = append(missing, "task "+t.ID)
		}
	}
	return missing
}

// change applies step to incident id in one transaction, after checking
// the actor may manage it, and writes it with its event typ.
func (s *Service) change(ctx context.Context, actor identity.Principal, id, typ string,
	step func(tx *store.Tx, inc *Incident) (map[string]any, error)) (Incident, error) {
	if actor.IsAnonymous() {
		return Incident{}, identity.ErrUnauthenticated
	}
	var inc Incident
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		var err error
		if inc, err = s.manageable(ctx, tx, actor, id); err != nil {
			return err
		}
		payload, err := step(tx, &inc)
		if err != nil {
			return err
		}
		inc.UpdatedAt = tx.Now()
		if err := updateIncident(ctx, tx, inc); err != nil {
			return err
		}
		return s.emit(ctx, tx, actor, inc, typ, inc.figures(payload))
	})
	if err != nil {
		return Incident{}, err
	}
	return inc, nil
}

// manageable reads incident id, locked for the transaction, as actor
// may manage it: one the actor may not see does not exist, one it only
// sees is forbidden.
func (s *Service) manageable(ctx context.Context, tx *store.Tx, actor identity.Principal, id string) (Incident, error) {
	inc, err := getIncident(ctx, tx, id, true)
	if err != nil {
		return Incident{}, err
	}
	if !CanSee(actor, inc.OrgID) {
		return Incident{}, notFound(id)
	}
	if !CanManage(actor, inc.OrgID) {
		return Incident{}, fmt.Errorf("only the unit's admins and editors or the security officer work on its incidents: %w", identity.ErrForbidden)
	}
	return inc, nil
}

// Incident returns one incident with its tasks and documents, as actor
// may see it; to anyone else it does not exist.
func (s *Service) Incident(ctx context.Context, actor identity.Principal, id string) (Incident, error) {
	if actor.IsAnonymous() {
		return Incident{}, identity.ErrUnauthenticated
	}
	inc, err := getIncident(ctx, s.db, id, false)
	if err != nil {
		return Incident{}, err
	}
	if !CanSee(actor, inc.OrgID) {
		return Incident{}, notFound(id)
	}
	return inc, nil
}

// Filter selects incidents; zero fields match every incident the caller
// may see.
type Filter struct {
	OrgID  string
	State  State
	Cursor string // the next cursor of the previous page
	Limit  int    // 1–200, default 50
}

// Incidents lists the incidents the caller may see, newest first, a page
// at a time: the security officer, regulator and auditor see every
// unit's, anyone else those of the units they edit.
func (s *Service) Incidents(ctx context.Context, actor identity.Principal, f Filter) ([]Incident, string, error) {
	if actor.IsAnonymous() {
		return nil, "", identity.ErrUnauthenticated
	}
	if f.State != "" {
		var errs validate.Errors
		validate.OneOf(&errs, "state", f.State, StateOpen, StateContained, StateClosed)
		if err := errs.Err(); err != nil {
			return nil, "", err
		}
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var orgs []string
	if !monitor.CanSee(actor) {
		for _, m := range actor.Memberships {
			if actor.AtLeast(m.OrganizationID, identity.RoleEditor) {
				orgs = append(orgs, m.OrganizationID)
			}
		}
		if len(orgs) == 0 {
			return []Incident{}, "", nil
		}
	}
	list, err := listIncidents(ctx, s.db, f, orgs)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(list) > f.Limit {
		list, next = list[:f.Limit], list[f.Limit-1].ID
	}
	return list, next, nil
}

func notFound(id string) error { return fmt.Errorf("incident %q: %w", id, store.ErrNotFound) }
