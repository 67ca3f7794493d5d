// Package access is the one decision point for every read of data rows:
// download, row API, CKAN datastore calls, SQL, exports, previews and
// sandbox jobs all ask Decide, and serve only what the decision allows.
// Workflows (sharing, opening, zones, exchange contracts) only create grants;
// they never serve data themselves.
package access

import (
	"context"
	"errors"
	"time"

	"dataport/internal/identity"
)

// ErrDenied is returned (wrapped, with the reason) by helpers that turn a
// deny decision into an error; the web layer maps it to 403.
var ErrDenied = errors.New("access denied")

// ErrRateLimited is matched (errors.Is) by the error of a decision denied
// because the client asked too often; the web layer maps it to 429 with
// Retry-After. Such an error also matches ErrDenied.
var ErrRateLimited = errors.New("rate limit exceeded")

// Action is what the subject wants to do with a resource's data.
type Action string

// Actions on data.
const (
	ActionRead     Action = "read"     // rows through an API or a preview
	ActionDownload Action = "download" // a whole file or export
	ActionQuery    Action = "query"    // SQL over the resource's table
	ActionCompute  Action = "compute"  // a sandbox job in a public data zone
)

// Request is one question to the decision point.
type Request struct {
	Subject    identity.Principal
	ResourceID string
	Action     Action
	Purpose    string // declared purpose of use, matched against grants
	Path       string // which data path asks, e.g. "api.rows", "ckan.datastore_search"
	ClientIP   string // for anonymous rate limits
	ClientKey  string // a per-grant API key id, when the caller used one
}

// Constraints are what an allow decision permits. The zero value permits
// everything; each non-zero field narrows it.
type Constraints struct {
	Fields      []string  `json:"fields,omitempty"`       // only these items (nil: all)
	RowFilter   string    `json:"row_filter,omitempty"`   // CEL expression over a row's items
	DeidProfile string    `json:"deid_profile,omitempty"` // de-identification profile applied to rows
	MaxRows     int64     `json:"max_rows,omitempty"`     // rows per request
	Expires     time.Time `json:"expires,omitempty"`      // the grant's end
	// RowsLeft is what remains of the grant's total row quota (0: no quota).
	// A data path MUST NOT return more rows than this in one response.
	RowsLeft int64 `json:"rows_left,omitempty"`
	// Actions are the delivery modes the grant permits (nil: any).
	Actions []Action `json:"actions,omitempty"`
}

// Decision is the decision point's answer.
type Decision struct {
	Allow       bool        `json:"allow"`
	Reason      string      `json:"reason"` // a stable code, e.g. "open_unconditional", "no_grant"
	Message     string      `json:"message"`
	GrantID     string      `json:"grant_id,omitempty"`
	Constraints Constraints `json:"constraints"`

	// ID identifies the decision's record in the decision log.
	ID string `json:"id,omitempty"`
	// ResourceID is the resource decided on.
	ResourceID string `json:"resource_id,omitempty"`
	// RetryAfter is set on a rate-limited denial: when to ask again.
	RetryAfter time.Duration `json:"retry_after,omitempty"`

	filter *RowFilter // compiled Constraints.RowFilter, when there is one
}

// RowLimit is the most rows one response may carry under d: the smaller of
// MaxRows and RowsLeft, or want when neither applies or want is smaller.
func (d Decision) RowLimit(want int64) int64 {
	for _, limit := range []int64{d.Constraints.MaxRows, d.Constraints.RowsLeft} {
		if limit > 0 && (want <= 0 || limit < want) {
			want = limit
		}
	}
	return want
}

// Err returns nil for an allow decision, and an error wrapping ErrDenied
// with the decision's message otherwise.
func (d Decision) Err() error {
	if d.Allow {
		return nil
	}
	return &DeniedError{Decision: d}
}

// DeniedError carries a deny decision.
type DeniedError struct{ Decision Decision }

func (e *DeniedError) Error() string { return "access denied: " + e.Decision.Message }

// Unwrap makes errors.Is(err, ErrDenied) true.
func (e *DeniedError) Unwrap() error { return ErrDenied }

// Is makes errors.Is(err, ErrRateLimited) true for a rate-limited denial.
func (e *DeniedError) Is(target error) bool {
	return target == ErrRateLimited && e.Decision.Reason == ReasonRateLimited
}

// RetryAfter returns how long the caller should wait before asking again,
// when err is a rate-limited denial.
func RetryAfter(err error) (time.Duration, bool) {
	var de *DeniedError
	if errors.As(err, &de) && de.Decision.Reason == ReasonRateLimited {
		return de.Decision.RetryAfter, true
	}
	return 0, false
}

// Decider is what data paths depend on.
type Decider interface {
	Decide(ctx context.Context, req Request) (Decision, error)
}
