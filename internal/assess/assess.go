// Package assess keeps the data security risk assessments that article 46
// asks for (数据安全风险评估), by the method of GB/T 20984: an assessment of
// one resource or of an institution's information system identifies the
// assets and their value, the threats and their likelihood, the
// vulnerabilities (which asset, which threat, how severe) and the existing
// security measures; the risks are computed from them by the standard's
// matrix method (method.go); findings name what must be treated and
// remediation tasks, with an owner and a deadline, treat it.
//
// A completed assessment of a resource holds for a year and for the grade
// it assessed: it lapses when the year ends or the resource's effective
// grade changes (Tick), and the next one is then due. The classification
// rules (classify.Policy.Enforce) refuse sharing, opening and zone use of
// important and core data without a current one; Current is their lookup.
// Every completion and lapse of a resource's assessment emits an event
// naming the resource, which drops the access decision point's cached
// requirement for it on every replica.
package assess

import (
	"context"
	"log/slog"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/classify"
	"dataport/internal/identity"
	"dataport/internal/store"
)

// Scope is what an assessment assesses.
type Scope string

// The scopes.
const (
	ScopeResource Scope = "resource" // one catalog resource's data
	ScopeSystem   Scope = "system"   // an institution's information system
)

// State is where an assessment stands.
type State string

// The states: a draft is edited until completed; a completed assessment is
// current until superseded by the next completed one of its resource, or
// lapsed when its year ends or the resource's grade changes.
const (
	StateDraft      State = "draft"
	StateCompleted  State = "completed"
	StateSuperseded State = "superseded"
	StateLapsed     State = "lapsed"
)

// States lists every state.
var States = []State{StateDraft, StateCompleted, StateSuperseded, StateLapsed}

// Why a completed assessment ended.
const (
	EndSuperseded   = "superseded"
	EndExpired      = "expired"
	EndGradeChanged = "grade_changed"
)

// Asset is an asset in the assessment's scope, valued 1–5 (GB/T 20984's
// asset value from its confidentiality, integrity and availability).
type Asset struct {
	Code        string `json:"code"` // "A1", referred to by vulnerabilities
	Name        string `json:"name"`
	Kind        string `json:"kind"` // AssetKinds
	Value       int    `json:"value"`
	Description string `json:"description,omitempty"`
}

// AssetKinds are the kinds of assets.
var AssetKinds = []string{"data", "system", "service", "platform", "personnel", "site"}

// Threat is a threat to the assets, with its likelihood 1–5.
type Threat struct {
	Code        string `json:"code"` // "T1"
	Name        string `json:"name"`
	Source      string `json:"source"` // ThreatSources
	Likelihood  int    `json:"likelihood"`
	Description string `json:"description,omitempty"`
}

// ThreatSources are where threats come from.
var ThreatSources = []string{"external_attack", "insider", "error", "supplier", "environment", "physical"}

// Vulnerability is a weakness of an asset that a threat exploits, with its
// severity 1–5 as assessed.
type Vulnerability struct {
	Code        string `json:"code"` // "V1"
	Name        string `json:"name"`
	Asset       string `json:"asset"`  // an asset's code
	Threat      string `json:"threat"` // a threat's code
	Severity    int    `json:"severity"`
	Description string `json:"description,omitempty"`
}

// Measure is an existing security measure; an effective one lowers the
// severity of the vulnerabilities it addresses by one grade (method.go).
type Measure struct {
	Code            string   `json:"code"` // "M1"
	Name            string   `json:"name"`
	Kind            string   `json:"kind"` // MeasureKinds
	Effective       bool     `json:"effective"`
	Vulnerabilities []string `json:"vulnerabilities" required:"false"` // the codes it addresses
}

// MeasureKinds are the kinds of measures.
var MeasureKinds = []string{"technical", "management"}

// Finding is a conclusion of the assessment about risks, with how they are
// treated.
type Finding struct {
	Code      string   `json:"code"` // "F1", referred to by tasks
	Text      string   `json:"text"`
	Risks     []string `json:"risks" required:"false"` // the vulnerabilities' codes whose risks it treats
	Treatment string   `json:"treatment"`              // Treatments
}

// Treatments are the ways a risk is treated.
var Treatments = []string{"reduce", "accept", "avoid", "transfer"}

// Items are the assessment items of GB/T 20984 and the findings.
type Items struct {
	Assets          []Asset         `json:"assets" required:"false"`
	Threats         []Threat        `json:"threats" required:"false"`
	Vulnerabilities []Vulnerability `json:"vulnerabilities" required:"false"`
	Measures        []Measure       `json:"measures" required:"false"`
	Findings        []Finding       `json:"findings" required:"false"`
}

// Assessment is one risk assessment.
type Assessment struct {
	ID         string `json:"id"`
	Scope      Scope  `json:"scope"`
	ResourceID string `json:"resource_id,omitempty"`
	SystemName string `json:"system_name,omitempty"`
	OrgID      string `json:"org_id"`
	Title      string `json:"title"`
	ScopeNote  string `json:"scope_note"`
	State      State  `json:"state"`
	// The grade assessed: the resource's effective grade when the
	// assessment was created, and again when it was completed.
	Class       catalog.Classification `json:"grade_class,omitempty"`
	Level       int                    `json:"grade_level,omitempty"`
	Items       Items                  `json:"items"`
	Risks       []Risk                 `json:"risks"`
	RiskLevel   int                    `json:"risk_level"`
	Conclusion  string                 `json:"conclusion"`
	CreatedBy   string                 `json:"created_by"`
	CreatedAt   time.Time              `json:"created_at"`
	UpdatedAt   time.Time              `json:"updated_at"`
	CompletedBy string                 `json:"completed_by,omitempty"`
	CompletedAt *time.Time             `json:"completed_at,omitempty"`
	ValidUntil  *time.Time             `json:"valid_until,omitempty"`
	EndedAt     *time.Time             `json:"ended_at,omitempty"`
	EndReason   string                 `json:"end_reason,omitempty"`
	Version     int                    `json:"version"`
	Tasks       []Task                 `json:"tasks"`
}

// Task is a remediation task: what is to be done, by whom, by when.
type Task struct {
	ID           string     `json:"id"`
	AssessmentID string     `json:"assessment_id"`
	Finding      string     `json:"finding,omitempty"`
	Title        string     `json:"title"`
	OwnerUserID  string     `json:"owner_user_id"`
	Deadline     string     `json:"deadline"` // YYYY-MM-DD, Beijing
	DoneAt       *time.Time `json:"done_at,omitempty"`
	DoneBy       string     `json:"done_by,omitempty"`
	Note         string     `json:"note,omitempty"`
	RemindedAt   *time.Time `json:"reminded_at,omitempty"`
	CreatedBy    string     `json:"created_by"`
	CreatedAt    time.Time  `json:"created_at"`
}

// Overdue reports whether the task is not done after its deadline's day at now.
func (t Task) Overdue(now time.Time) bool {
	return t.DoneAt == nil && t.Deadline < now.In(beijing).Format(time.DateOnly)
}

// Current reports whether the assessment is completed and still valid at now.
func (a Assessment) Current(now time.Time) bool {
	return a.State == StateCompleted && a.ValidUntil != nil && now.Before(*a.ValidUntil)
}

// beijing is the time zone deadlines are days in.
var beijing = time.FixedZone("CST", 8*3600)

// Grades reads a resource's stored grade (classify.Service).
type Grades interface {
	Lookup(ctx context.Context, resourceID string) (*classify.Grading, error)
}

// Config tunes the service.
type Config struct {
	// Validity is how long a completed assessment holds (default a year).
	Validity time.Duration
	// DueSoon is how long before it lapses an assessment is listed as due
	// soon (default 30 days).
	DueSoon time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	Log *slog.Logger
}

// Service keeps the assessments on one store.
type Service struct {
	db     *store.DB
	ids    *identity.Service
	cat    *catalog.Service
	grades Grades
	cfg    Config
}

// New returns the service.
func New(db *store.DB, ids *identity.Service, cat *catalog.Service, grades Grades, cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.DueSoon <= 0 {
		cfg.DueSoon = 30 * 24 * time.Hour
	}
	return &Service{db: db, ids: ids, cat: cat, grades: grades, cfg: cfg}
}

// validUntil is when an assessment completed at t lapses.
func (s *Service) validUntil(t time.Time) time.Time {
	if s.cfg.Validity > 0 {
		return t.Add(s.cfg.Validity)
	}
	return t.AddDate(1, 0, 0)
}

// now is the service's clock, in UTC to the microsecond (as stored).
func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// The roles are the security work's (as monitor.CanSee and CanManage
// have them; monitor is not imported so that the rules' lookup does not
// depend on the monitoring engine).

// CanWork says whether p assesses for institution orgID: its admins and
// editors, and the security officer for every institution.
func CanWork(p identity.Principal, orgID string) bool {
	return p.AtLeast(orgID, identity.RoleEditor) || p.Has(identity.PlatformSecurity)
}

// CanRead says whether p reads institution orgID's assessments: those who
// work on them, the regulator and the auditor.
func CanRead(p identity.Principal, orgID string) bool {
	return CanWork(p, orgID) || CanReadAll(p)
}

// CanReadAll says whether p reads every institution's assessments: the
// security officer, the regulator and the auditor.
func CanReadAll(p identity.Principal) bool {
	return p.Has(identity.PlatformSecurity) || p.Has(identity.PlatformRegulator) || p.Has(identity.PlatformAuditor)
}
