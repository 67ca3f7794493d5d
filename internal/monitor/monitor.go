// Package monitor is the platform's security monitoring (art. 48): rules
// kept as data run incrementally over what happens — access decisions and
// the rows they served, sign-ins, workflow events — and raise alerts with
// a severity, evidence (decisions and events, sealed in the ledger), an
// owner and a state; an alert can become an incident (package incident).
//
// CONTRACT STUB (session 24): the types and signatures below are what the
// other parts build against; the monitor part replaces the bodies.
package monitor

import (
	"context"
	"errors"
	"time"

	"dataport/internal/identity"
	"dataport/internal/store"
)

// Severity is how urgent an alert is.
type Severity string

// The severities, least urgent first.
const (
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// State is where an alert stands.
type State string

// The states of an alert.
const (
	StateNew           State = "new"
	StateAcknowledged  State = "acknowledged"
	StateEscalated     State = "escalated"    // it became an incident
	StateTruePositive  State = "closed_true"  // closed: it was real
	StateFalsePositive State = "closed_false" // closed: it was not
)

// Evidence is one thing an alert rests on.
type Evidence struct {
	Kind    string    `json:"kind"`     // "decision", "event", "signin"
	ID      string    `json:"id"`       // the decision's id, the event's id
	EventID string    `json:"event_id"` // the sealed event that carries it (a decision's access.decisions batch event)
	At      time.Time `json:"at"`
}

// Alert is what a rule raised.
type Alert struct {
	ID          string         `json:"id"`
	RuleID      string         `json:"rule_id"`
	Rule        string         `json:"rule"` // the rule's code, e.g. "bulk_download"
	Severity    Severity       `json:"severity"`
	State       State          `json:"state"`
	Subject     string         `json:"subject"` // "user:ID", "key:ID", "grant:ID", "address:HASH", …
	Summary     string         `json:"summary"`
	Figures     map[string]any `json:"figures,omitempty"` // counts, baselines, thresholds
	Hits        int            `json:"hits"`
	OwnerUserID string         `json:"owner_user_id,omitempty"`
	IncidentID  string         `json:"incident_id,omitempty"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
	Evidence    []Evidence     `json:"evidence"`
}

// AlertFilter selects alerts.
type AlertFilter struct {
	Rule    string // a rule's code
	State   State
	Subject string
	Cursor  string
	Limit   int
}

// Rule is a monitoring rule, kept as data.
type Rule struct {
	ID        string    `json:"id"`
	Code      string    `json:"code"`
	NameZh    string    `json:"name_zh"`
	NameEn    string    `json:"name_en"`
	Severity  Severity  `json:"severity"`
	Enabled   bool      `json:"enabled"`
	Default   bool      `json:"default"` // shipped with dataport
	Body      string    `json:"body"`    // the rule's YAML
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by,omitempty"`
}

// Config tunes the service.
type Config struct{}

// Service evaluates the rules and keeps the alerts.
type Service struct{ db *store.DB }

// New returns the service on db.
func New(db *store.DB, cfg Config) *Service { return &Service{db: db} }

var errStub = errors.New("monitor: not built yet")

// CanSee says whether p sees alerts: the security officer, the regulator, the auditor.
func CanSee(p identity.Principal) bool {
	return p.Has(identity.PlatformSecurity) || p.Has(identity.PlatformRegulator) || p.Has(identity.PlatformAuditor)
}

// CanManage says whether p edits rules and moves alerts: the security officer.
func CanManage(p identity.Principal) bool { return p.Has(identity.PlatformSecurity) }

// Alerts lists alerts, newest first; next is the cursor of the next page.
func (s *Service) Alerts(ctx context.Context, actor identity.Principal, f AlertFilter) (items []Alert, next string, err error) {
	return nil, "", errStub
}

// Alert returns one alert with its evidence.
func (s *Service) Alert(ctx context.Context, actor identity.Principal, id string) (Alert, error) {
	return Alert{}, errStub
}

// Escalate marks alert id escalated to incident incidentID, in tx (the
// incident's creation).
func (s *Service) Escalate(ctx context.Context, tx *store.Tx, actor identity.Principal, alertID, incidentID string) (Alert, error) {
	return Alert{}, errStub
}
