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
}

// Decision is the decision point's answer.
type Decision struct {
	Allow       bool        `json:"allow"`
	Reason      string      `json:"reason"` // a stable code, e.g. "open_unconditional", "no_grant"
	Message     string      `json:"message"`
	GrantID     string      `json:"grant_id,omitempty"`
	Constraints Constraints `json:"constraints"`
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

// Decider is what data paths depend on.
type Decider interface {
	Decide(ctx context.Context, req Request) (Decision, error)
}
