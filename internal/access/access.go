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
	Purpose    string  // declared purpose of use, matched against grants
	Channel    Channel // the way the read reaches the data, set by the data path that asks
	ClientIP   string  // for anonymous rate limits
	ClientKey  string  // a per-grant API key id, when the caller used one
	// Rows is the most rows the data path means to serve in this response
	// (a page's limit, the rows an export may hold). Under a grant with a
	// total row quota, Decide reserves that many — or what is left, if less —
	// before it allows, so that concurrent requests on any replica never
	// serve more than the quota together; with nothing left it denies
	// (over_quota). The path serves at most Decision.RowLimit rows and MUST
	// then report what it served with RecordRows, which releases the rest.
	// 0: the request serves no rows (an access check).
	Rows int64
	// FilterFields are the items the read filters on (a rows API's or
	// datastore_search's filters), set by the data path. They are not
	// logged: the decision's observers (OnLogged) see them, so that the
	// monitor can tell reads filtered on quasi-identifiers.
	FilterFields []string
}

// Constraints are what an allow decision permits. The zero value permits
// everything; each non-zero field narrows it.
type Constraints struct {
	Fields      []string  `json:"fields,omitempty"`       // only these items (nil: all)
	RowFilter   string    `json:"row_filter,omitempty"`   // CEL expression over a row's items
	DeidProfile string    `json:"deid_profile,omitempty"` // de-identification profile applied to rows
	MaxRows     int64     `json:"max_rows,omitempty"`     // rows per request
	Expires     time.Time `json:"expires,omitempty"`      // the grant's end
	// RowsLeft is what remained of the grant's total row quota when the
	// decision was taken, before its own reservation (0: no quota). Data
	// paths cap responses with Decision.RowLimit, not with this figure.
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
	// Rows is how many rows Decide reserved for this response against the
	// grant's total row quota (see Request.Rows); 0 without a quota.
	Rows int64 `json:"rows_reserved,omitempty"`
	// Rates are the rate limits that counted the request — the client's
	// (per API key, user or address) and the grant's own, if it has one —
	// in their state once it was counted.
	Rates []Rate `json:"rates,omitempty"`

	filter *RowFilter   // compiled Constraints.RowFilter, when there is one
	quota  *reservation // set when a total row quota applies to the response
	served int64        // rows recorded as served (RecordRows), in a Tracker's copy
	// recorded is set, in a Tracker's copy, once RecordRows counted served.
	recorded bool
	// logged is what the decision log's observers are told of the
	// decision (nil: none registered); RecordRows reports its rows to them.
	logged *loggedInfo
	// callCounted says that the call was counted in the store already
	// (a call quota on PostgreSQL: quota.go), not by the decision log.
	callCounted bool
}

// RowsRemaining is what is left of the grant's total row quota once this
// response is counted: after the rows recorded as served under d when a
// Tracker saw RecordRows, else after the rows d reserved (the most the
// response may take). ok is false when no total row quota applies.
func (d Decision) RowsRemaining() (left int64, ok bool) {
	if d.quota == nil {
		return 0, false
	}
	used := d.Rows
	if d.recorded {
		used = d.served
	}
	return max(d.Constraints.RowsLeft-used, 0), true
}

// RowLimit is the most rows one response may carry under d when the data
// path would serve want (> 0): want, capped by the grant's rows per request
// and, under a total row quota, by the rows Decide reserved (none unless
// the request asked for rows).
func (d Decision) RowLimit(want int64) int64 {
	if m := d.Constraints.MaxRows; m > 0 && m < want {
		want = m
	}
	if d.quota != nil && d.Rows < want {
		want = d.Rows
	}
	return max(want, 0)
}

// QuotaApplies reports whether the response is counted against a total row
// quota, so that RowLimit may cut it to what the grant has left.
func (d Decision) QuotaApplies() bool { return d.quota != nil }

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

// Decider is what data paths depend on: they ask Decide before reading and
// report what they served with RecordRows.
type Decider interface {
	Decide(ctx context.Context, req Request) (Decision, error)
	// RecordRows counts n rows served under allow decision d against its
	// grant's usage and releases what Decide reserved beyond n. A path
	// that asked for rows MUST call it exactly once, also when it served
	// none (an error after the decision) so that the reservation is freed.
	RecordRows(ctx context.Context, d Decision, n int64) error
}
