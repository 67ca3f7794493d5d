// Package zones runs the public data zones (公共数据专区, article 19):
// zones with a domain, a steward institution, member resources and
// disclosure rules; the authorised operation of operators, who apply with
// their scenario and authorisation document and are approved by the
// steward and the platform operator (the review workflow), which creates
// access grants of origin "zone" (action compute); and the sandbox, where
// an authorised operator's aggregate SQL (guarded by zones/zsql) runs as a
// background job through the datastore's sandbox session, and each result
// passes disclosure control and, where the zone asks for it, differential
// privacy with an epsilon budget per operator and resource (zones/protect)
// and the difference check against the operator's earlier releases before
// anything is released. Queries are metered; every query, refusal, release
// and budget charge is an event, sealed by the ledger.
package zones

import (
	"time"

	"dataport/internal/zones/zsql"
)

// Domain is a zone's field.
type Domain string

// Domains (article 19 names the first four).
const (
	DomainFinance   Domain = "finance"
	DomainHealth    Domain = "health"
	DomainTransport Domain = "transport"
	DomainSpatial   Domain = "spatial"
	DomainOther     Domain = "other"
)

// Domains lists every domain.
var Domains = []Domain{DomainFinance, DomainHealth, DomainTransport, DomainSpatial, DomainOther}

// Zone states.
const (
	ZoneActive = "active"
	ZoneClosed = "closed"
)

// Rules are a zone's disclosure and resource rules. Zero fields take the
// defaults (DefaultRules).
type Rules struct {
	// Mechanisms are those operators may ask for: "sdc" always, "dp" when listed.
	Mechanisms []zsql.Mechanism `json:"mechanisms" required:"false"`
	// MinCellSize is the fewest persons a released cell may hold (default 10).
	MinCellSize int `json:"min_cell_size" required:"false"`
	// DominanceN and DominanceK are the (n,k) dominance rule for sums
	// (default n=2, k=85 percent; n=0 turns it off: then set DominanceOff).
	DominanceN   int     `json:"dominance_n" required:"false"`
	DominanceK   float64 `json:"dominance_k" required:"false"`
	DominanceOff bool    `json:"dominance_off,omitempty"`
	// EpsilonBudget is each operator's budget per resource (default 3.0);
	// MaxEpsilon the most one query may spend (default 1.0).
	EpsilonBudget float64 `json:"epsilon_budget" required:"false"`
	MaxEpsilon    float64 `json:"max_epsilon" required:"false"`
	// Noise is "laplace" (default) or "gaussian"; Delta is the Gaussian
	// mechanism's delta (default 1e-6).
	Noise string  `json:"noise" required:"false"`
	Delta float64 `json:"delta,omitempty"`
	// MaxRowsScanned refuses a query whose resources hold more rows
	// together (default 50,000,000); MaxSeconds bounds each statement
	// (default 120); MaxCells the cells of one result (default 10,000).
	MaxRowsScanned int64 `json:"max_rows_scanned" required:"false"`
	MaxSeconds     int   `json:"max_seconds" required:"false"`
	MaxCells       int   `json:"max_cells" required:"false"`
	// ReviewMargin sends a release to the steward's review when a released
	// cell holds fewer than MinCellSize+ReviewMargin persons (default
	// MinCellSize/2); ReviewCells when it has more cells (default 1,000).
	ReviewMargin int `json:"review_margin" required:"false"`
	ReviewCells  int `json:"review_cells" required:"false"`
}

// DefaultRules are the rules of a zone that sets none.
var DefaultRules = Rules{Mechanisms: []zsql.Mechanism{zsql.SDC, zsql.DP}, MinCellSize: 10, DominanceN: 2, DominanceK: 85,
	EpsilonBudget: 3, MaxEpsilon: 1, Noise: "laplace", Delta: 1e-6, MaxRowsScanned: 50_000_000, MaxSeconds: 120,
	MaxCells: 10_000, ReviewMargin: 5, ReviewCells: 1000}

// ItemRule is what a zone lets statements do with one item of a member
// resource. Items not listed take their default role: key items are keys,
// numeric, date and boolean items and text items with a code list are
// attributes, other text items are free text.
type ItemRule struct {
	Name  string    `json:"name"`
	Role  zsql.Role `json:"role" enum:"key,attribute,text"`
	Lower *float64  `json:"lower,omitempty" required:"false" doc:"Clamping lower bound of a numeric item"`
	Upper *float64  `json:"upper,omitempty" required:"false" doc:"Clamping upper bound of a numeric item"`
}

// Member is a resource of a zone.
type Member struct {
	ResourceID string     `json:"resource_id"`
	Code       string     `json:"code"`     // the resource's catalog code
	TitleZh    string     `json:"title_zh"` // the resource's title
	TitleEn    string     `json:"title_en"`
	OrgID      string     `json:"organization_id"` // the institution that provides it
	Items      []ItemRule `json:"items"`           // every item with its effective role
	AddedAt    time.Time  `json:"added_at"`
}

// Zone is a public data zone.
type Zone struct {
	ID            string    `json:"id"`
	Code          string    `json:"code"`
	NameZh        string    `json:"name_zh"`
	NameEn        string    `json:"name_en"`
	Domain        Domain    `json:"domain"`
	StewardOrgID  string    `json:"steward_org_id"`
	DescriptionZh string    `json:"description_zh"`
	DescriptionEn string    `json:"description_en"`
	Rules         Rules     `json:"rules"`
	Status        string    `json:"status" enum:"active,closed"`
	Members       []Member  `json:"members"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// ResourceIDs are the zone's member resources' ids.
func (z Zone) ResourceIDs() []string {
	ids := make([]string, len(z.Members))
	for i, m := range z.Members {
		ids[i] = m.ResourceID
	}
	return ids
}

// ZoneInput is what the platform operator writes to create or change a zone.
type ZoneInput struct {
	Code          string `json:"code" required:"false"`
	NameZh        string `json:"name_zh" required:"false"`
	NameEn        string `json:"name_en" required:"false"`
	Domain        Domain `json:"domain" required:"false"`
	StewardOrgID  string `json:"steward_org_id" required:"false"`
	DescriptionZh string `json:"description_zh" required:"false"`
	DescriptionEn string `json:"description_en" required:"false"`
	Rules         Rules  `json:"rules" required:"false"`
}

// MemberInput adds a resource to a zone (or changes its item rules).
type MemberInput struct {
	ResourceID string     `json:"resource_id" required:"false"`
	Items      []ItemRule `json:"items,omitempty" required:"false" doc:"Roles and bounds of items that differ from their default"`
}

// Application states are the review workflow's (kind "zone_application"):
// steward_review → operator_review → approved, or rejected, withdrawn,
// more_info, expired.

// Application is an operator's application to work in a zone.
type Application struct {
	ID              string     `json:"id"`
	ZoneID          string     `json:"zone_id"`
	OperatorOrgID   string     `json:"operator_org_id"`
	Scenario        string     `json:"scenario"`
	DocumentNo      string     `json:"document_no"` // the authorisation document's number (授权文件文号)
	DocumentTitle   string     `json:"document_title"`
	ResourceIDs     []string   `json:"resource_ids"`
	EpsilonBudget   float64    `json:"epsilon_budget"` // asked per resource
	ValidFrom       time.Time  `json:"valid_from"`
	ValidUntil      time.Time  `json:"valid_until"`
	Status          string     `json:"status"` // the review case's status
	AuthorisationID string     `json:"authorisation_id,omitempty"`
	CreatedBy       string     `json:"created_by"`
	CreatedAt       time.Time  `json:"created_at"`
	DecidedAt       *time.Time `json:"decided_at,omitempty"`
}

// ApplicationInput is what an operator files.
type ApplicationInput struct {
	OperatorOrgID string    `json:"operator_org_id,omitempty" required:"false" doc:"The company or institution applying, one of yours; empty: your only one"`
	Scenario      string    `json:"scenario" required:"false"`
	DocumentNo    string    `json:"document_no" required:"false"`
	DocumentTitle string    `json:"document_title" required:"false"`
	ResourceIDs   []string  `json:"resource_ids" required:"false"`
	EpsilonBudget float64   `json:"epsilon_budget,omitempty" required:"false" doc:"Per resource; 0: the zone's budget"`
	ValidFrom     time.Time `json:"valid_from" required:"false"`
	ValidUntil    time.Time `json:"valid_until" required:"false"`
}

// Authorisation states.
const (
	AuthActive  = "active"
	AuthPending = "pending" // not yet valid
	AuthExpired = "expired"
	AuthRevoked = "revoked"
)

// Authorisation is an operator's right to compute in a zone, created by an
// approved application and backed by access grants (origin zone, action
// compute), one per providing institution.
type Authorisation struct {
	ID            string     `json:"id"`
	ZoneID        string     `json:"zone_id"`
	ApplicationID string     `json:"application_id"`
	OperatorOrgID string     `json:"operator_org_id"`
	Scenario      string     `json:"scenario"`
	ResourceIDs   []string   `json:"resource_ids"`
	GrantIDs      []string   `json:"grant_ids"`
	ValidFrom     time.Time  `json:"valid_from"`
	ValidUntil    time.Time  `json:"valid_until"`
	Status        string     `json:"status" enum:"active,pending,expired,revoked"`
	RevokedAt     *time.Time `json:"revoked_at,omitempty"`
	RevokeReason  string     `json:"revoke_reason,omitempty"`
	Budgets       []Budget   `json:"budgets"`
	CreatedAt     time.Time  `json:"created_at"`
}

// Budget is an operator's epsilon budget on one resource of a zone.
type Budget struct {
	ResourceID string  `json:"resource_id"`
	Total      float64 `json:"total"`
	Spent      float64 `json:"spent"`
	Remaining  float64 `json:"remaining"`
}

// Query states.
const (
	QueryQueued   = "queued"
	QueryRunning  = "running"
	QueryReleased = "released"
	QueryRefused  = "refused"
	QueryReview   = "review" // a risky result waits for the steward
	QueryFailed   = "failed" // the platform could not run it (not the operator's fault)
)

// QueryInput is what an operator submits.
type QueryInput struct {
	SQL       string         `json:"sql" required:"false"`
	Mechanism zsql.Mechanism `json:"mechanism,omitempty" required:"false" enum:"sdc,dp"`
	Epsilon   float64        `json:"epsilon,omitempty" required:"false"`
}

// Meter is what one query cost.
type Meter struct {
	RowsScanned   int64   `json:"rows_scanned"`
	ComputeMS     int64   `json:"compute_ms"`
	CellsReleased int     `json:"cells_released"`
	Epsilon       float64 `json:"epsilon"`
}

// Query is one sandbox query and, once released, its result. Columns and
// Rows are shown to the operator only when Status is released; a
// suppressed cell's aggregate values are null.
type Query struct {
	ID               string         `json:"id"`
	ZoneID           string         `json:"zone_id"`
	AuthorisationID  string         `json:"authorisation_id,omitempty"`
	OperatorOrgID    string         `json:"operator_org_id"`
	UserID           string         `json:"user_id"`
	SQL              string         `json:"sql"`
	Mechanism        zsql.Mechanism `json:"mechanism"`
	Epsilon          float64        `json:"epsilon"`
	Status           string         `json:"status" enum:"queued,running,released,refused,review,failed"`
	Reason           string         `json:"reason,omitempty"`
	Progress         int            `json:"progress"` // percent
	Columns          []string       `json:"columns"`
	Rows             [][]any        `json:"rows"`
	Suppressed       []int          `json:"suppressed,omitempty"` // indexes of the rows whose values were suppressed
	SuppressedCells  int            `json:"suppressed_cells"`
	EpsilonSpent     float64        `json:"epsilon_spent"`
	EpsilonRemaining float64        `json:"epsilon_remaining"` // the least left on the query's resources
	ResourceIDs      []string       `json:"resource_ids"`
	Meter            Meter          `json:"meter"`
	CreatedAt        time.Time      `json:"created_at"`
	FinishedAt       *time.Time     `json:"finished_at,omitempty"`
}

// Finished reports whether the query will not change any more (review may
// still release or refuse it).
func (q Query) Finished() bool {
	return q.Status != QueryQueued && q.Status != QueryRunning
}

// Usage is one operator's metering in a zone.
type Usage struct {
	OperatorOrgID string  `json:"operator_org_id"`
	Queries       int64   `json:"queries"`
	Released      int64   `json:"released"`
	Refused       int64   `json:"refused"`
	InReview      int64   `json:"in_review"`
	RowsScanned   int64   `json:"rows_scanned"`
	ComputeMS     int64   `json:"compute_ms"`
	CellsReleased int64   `json:"cells_released"`
	EpsilonSpent  float64 `json:"epsilon_spent"`
}

// Output is a released result kept in the zone as a derived dataset; an
// exchange product lists it by id (zone_output_ids) with its provenance.
type Output struct {
	ID           string    `json:"id"`
	ZoneID       string    `json:"zone_id"`
	QueryID      string    `json:"query_id"`
	NameZh       string    `json:"name_zh"`
	NameEn       string    `json:"name_en"`
	Description  string    `json:"description"`
	ResultSHA256 string    `json:"result_sha256"`
	CreatedBy    string    `json:"created_by"`
	CreatedAt    time.Time `json:"created_at"`
}

// OutputInput names a kept output.
type OutputInput struct {
	NameZh      string `json:"name_zh" required:"false"`
	NameEn      string `json:"name_en" required:"false"`
	Description string `json:"description" required:"false"`
}
