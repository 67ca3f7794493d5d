package access

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/validate"
)

// GranteeKind says who holds a grant.
type GranteeKind string

// Grantee kinds.
const (
	GranteeOrganization GranteeKind = "organization" // every member of an organization
	GranteeUser         GranteeKind = "user"         // one person
	GranteeGroup        GranteeKind = "group"        // every member of every organization in a group
)

// OriginKind says which workflow created a grant. Workflows only create
// grants; reads are decided here, whatever the origin.
type OriginKind string

// Grant origins.
const (
	OriginShareRequest    OriginKind = "share_request"    // sharing between institutions (art. 17)
	OriginOpenApplication OriginKind = "open_application" // conditional opening (art. 18)
	OriginZone            OriginKind = "zone"             // authorised operation in a public data zone (art. 19)
	OriginContract        OriginKind = "contract"         // a data exchange contract (art. 21)
	OriginManual          OriginKind = "manual"           // granted by platform staff directly
	OriginExchangeSample  OriginKind = "exchange_sample"  // an exchange product's sample, read through ProductSample only
)

// Origins lists every origin.
var Origins = []OriginKind{OriginShareRequest, OriginOpenApplication, OriginZone, OriginContract, OriginManual, OriginExchangeSample}

// Actions lists every action.
var Actions = []Action{ActionRead, ActionDownload, ActionQuery, ActionCompute}

// Policy is a grant's usage policy, one small ODRL-like language shared by
// every origin: each non-zero field is a constraint, and a read must satisfy
// all of them. The time window is the grant's validity.
type Policy struct {
	Purposes       []string `json:"purposes,omitempty" required:"false" doc:"Purposes a read may declare; empty: the grant's own purpose"`
	Actions        []Action `json:"actions,omitempty" required:"false" doc:"Delivery modes permitted; empty: read and download"`
	Fields         []string `json:"fields,omitempty" required:"false" doc:"Data items that may be read; empty: all"`
	RowFilter      string   `json:"row_filter,omitempty" required:"false" doc:"CEL expression over a row's items; only rows for which it is true are served"`
	DeidProfile    string   `json:"deid_profile,omitempty" required:"false" doc:"De-identification profile applied to every row"`
	MaxCalls       int64    `json:"max_calls,omitempty" required:"false" doc:"Total reads allowed over the grant's life (0: no limit)"`
	MaxRows        int64    `json:"max_rows,omitempty" required:"false" doc:"Total rows allowed over the grant's life (0: no limit)"`
	RowsPerRequest int64    `json:"rows_per_request,omitempty" required:"false" doc:"Rows per response (0: the data path's own limit)"`
	RatePerMinute  int      `json:"rate_per_minute,omitempty" required:"false" doc:"Reads per minute (0: the platform's default for the client)"`
}

// defaultActions are what a policy without actions permits.
var defaultActions = []Action{ActionRead, ActionDownload}

// Permits reports whether the policy lets action a through.
func (p Policy) Permits(a Action) bool {
	if len(p.Actions) == 0 {
		return slices.Contains(defaultActions, a)
	}
	return slices.Contains(p.Actions, a)
}

// Usage counts a grant's use; both the grantee and the provider see it.
type Usage struct {
	Calls      int64      `json:"calls"`
	Rows       int64      `json:"rows"`
	Denied     int64      `json:"denied"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

// Grant is a right to read some resources under a usage policy.
type Grant struct {
	ID            string      `json:"id"`
	GranteeKind   GranteeKind `json:"grantee_kind"`
	GranteeID     string      `json:"grantee_id"`
	ProviderOrgID string      `json:"provider_org_id"`
	ResourceIDs   []string    `json:"resource_ids"`
	Purpose       string      `json:"purpose"`
	Policy        Policy      `json:"policy"`
	ValidFrom     time.Time   `json:"valid_from"`
	ValidUntil    *time.Time  `json:"valid_until"`
	OriginKind    OriginKind  `json:"origin_kind"`
	OriginID      string      `json:"origin_id"`
	CreatedBy     string      `json:"created_by"`
	CreatedAt     time.Time   `json:"created_at"`
	RevokedAt     *time.Time  `json:"revoked_at"`
	RevokedBy     string      `json:"revoked_by,omitempty"`
	RevokeReason  string      `json:"revoke_reason,omitempty"`
	Usage         Usage       `json:"usage"`
}

// GrantStatus is a grant's state at a moment.
type GrantStatus string

// Grant states.
const (
	GrantActive  GrantStatus = "active"
	GrantPending GrantStatus = "pending" // not yet valid
	GrantExpired GrantStatus = "expired"
	GrantRevoked GrantStatus = "revoked"
)

// StatusAt returns the grant's state at now.
func (g Grant) StatusAt(now time.Time) GrantStatus {
	switch {
	case g.RevokedAt != nil:
		return GrantRevoked
	case g.ValidUntil != nil && !now.Before(*g.ValidUntil):
		return GrantExpired
	case now.Before(g.ValidFrom):
		return GrantPending
	}
	return GrantActive
}

// NewGrant is what a workflow asks to grant.
type NewGrant struct {
	GranteeKind GranteeKind
	GranteeID   string
	ResourceIDs []string
	Purpose     string
	Policy      Policy
	ValidFrom   time.Time // zero: now
	ValidUntil  time.Time // zero: no end
	OriginKind  OriginKind
	OriginID    string
}

// validate checks the grant against the resources it covers: the fields and
// the row filter must name their items, and all resources must belong to
// one provider.
func (g NewGrant) validate(resources []catalog.Resource) error {
	var errs validate.Errors
	validate.OneOf(&errs, "grantee_kind", g.GranteeKind, GranteeOrganization, GranteeUser, GranteeGroup)
	errs.Required("grantee_id", g.GranteeID)
	validate.OneOf(&errs, "origin_kind", g.OriginKind, Origins...)
	errs.Required("purpose", g.Purpose)
	errs.MaxLen("purpose", g.Purpose, 500)
	if len(resources) == 0 {
		errs.Add("resource_ids", nil, "at_least_one", "at least one resource is required")
	}
	if !g.ValidUntil.IsZero() && !g.ValidFrom.IsZero() && !g.ValidUntil.After(g.ValidFrom) {
		errs.Add("valid_until", g.ValidUntil, "after_start", "must be after valid_from")
	}
	for i, a := range g.Policy.Actions {
		validate.OneOf(&errs, fmt.Sprintf("policy.actions[%d]", i), a, Actions...)
	}
	for _, n := range []struct {
		field string
		v     int64
	}{{"policy.max_calls", g.Policy.MaxCalls}, {"policy.max_rows", g.Policy.MaxRows},
		{"policy.rows_per_request", g.Policy.RowsPerRequest}, {"policy.rate_per_minute", int64(g.Policy.RatePerMinute)}} {
		if n.v < 0 {
			errs.Add(n.field, n.v, "not_negative", "cannot be negative")
		}
	}
	for i, r := range resources {
		if r.OrganizationID != resources[0].OrganizationID {
			errs.Add(fmt.Sprintf("resource_ids[%d]", i), r.ID, "other_provider", "belongs to another institution: one grant covers one provider's resources")
		}
		checkItems(&errs, g.Policy, r)
	}
	return errs.Err()
}

// checkItems checks that the policy's fields and row filter name items of r.
func checkItems(errs *validate.Errors, p Policy, r catalog.Resource) {
	for i, f := range p.Fields {
		if !slices.ContainsFunc(r.Items, func(it catalog.Item) bool { return it.Name == f }) {
			errs.Add(fmt.Sprintf("policy.fields[%d]", i), f, "not_item", "is not a data item of resource %s", r.Code)
		}
	}
	if strings.TrimSpace(p.RowFilter) != "" {
		if _, err := CompileRowFilter(p.RowFilter, r.Items); err != nil {
			errs.Add("policy.row_filter", p.RowFilter, "row_filter", "%v", err)
		}
	}
}
