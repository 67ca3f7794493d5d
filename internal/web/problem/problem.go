// Package problem maps domain errors to responses in one place, for the
// native API, the CKAN API and the UI alike: the HTTP status, the title, the
// CKAN error __type and headers such as Retry-After. It also separates what
// a client sees from what is logged.
package problem

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/deid"
	"dataport/internal/identity"
	"dataport/internal/search"
	"dataport/internal/sharing"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// Kind is one row of the error table: a class of errors every surface
// answers alike.
type Kind string

// The kinds of error, from the client's point of view.
const (
	Validation      Kind = "validation"      // field problems (validate.Errors)
	BadQuery        Kind = "bad_query"       // a cursor or search query that cannot be run
	Unauthenticated Kind = "unauthenticated" // sign in or send a token first
	Forbidden       Kind = "forbidden"       // signed in, but not allowed
	Denied          Kind = "denied"          // the access decision point said no
	RateLimited     Kind = "rate_limited"    // too many requests or sign-ins: retry later
	NotFound        Kind = "not_found"
	Conflict        Kind = "conflict"    // not allowed in the current state
	Unavailable     Kind = "unavailable" // a deadline passed; not the client's fault
	Internal        Kind = "internal"    // a bug or an outage; logged, never shown
)

// row is what one Kind answers.
type row struct {
	status     int    // HTTP status on the native API and the UI
	ckanStatus int    // HTTP status on the CKAN API, which keeps CKAN's own
	ckanType   string // the CKAN error object's __type
	public     bool   // the error's text is the client's to see
}

// table is the one mapping from a Kind to its answers. CKAN answers field
// problems and state conflicts with 409 "Validation Error" and refusals
// with 403 "Authorization Error" whether or not the caller signed in;
// clients such as ckanapi raise an exception by __type, so a rate limit
// must not look like a refusal.
var table = map[Kind]row{
	Validation:      {http.StatusUnprocessableEntity, http.StatusConflict, "Validation Error", true},
	BadQuery:        {http.StatusBadRequest, http.StatusBadRequest, "Search Query Error", true},
	Unauthenticated: {http.StatusUnauthorized, http.StatusForbidden, "Authorization Error", true},
	Forbidden:       {http.StatusForbidden, http.StatusForbidden, "Authorization Error", true},
	Denied:          {http.StatusForbidden, http.StatusForbidden, "Authorization Error", true},
	RateLimited:     {http.StatusTooManyRequests, http.StatusTooManyRequests, "Rate Limit Error", true},
	NotFound:        {http.StatusNotFound, http.StatusNotFound, "Not Found Error", true},
	Conflict:        {http.StatusConflict, http.StatusConflict, "Validation Error", true},
	Unavailable:     {http.StatusServiceUnavailable, http.StatusServiceUnavailable, "Internal Server Error", false},
	Internal:        {http.StatusInternalServerError, http.StatusInternalServerError, "Internal Server Error", false},
}

// KindOf returns the kind of err when p made the request. An anonymous
// caller refused is asked to authenticate rather than told it is forbidden.
func KindOf(p identity.Principal, err error) Kind {
	var verrs validate.Errors
	switch {
	case errors.As(err, &verrs):
		return Validation
	case errors.Is(err, access.ErrRateLimited), errors.Is(err, identity.ErrThrottled):
		return RateLimited
	case errors.Is(err, access.ErrDenied):
		return Denied
	case errors.Is(err, identity.ErrForbidden) && p.IsAnonymous(), errors.Is(err, identity.ErrUnauthenticated),
		errors.Is(err, identity.ErrBadCredentials):
		return Unauthenticated
	case errors.Is(err, identity.ErrForbidden):
		return Forbidden
	case errors.Is(err, store.ErrNotFound):
		return NotFound
	case errors.Is(err, catalog.ErrBadCursor), errors.Is(err, search.ErrBadQuery):
		return BadQuery
	case errors.Is(err, catalog.ErrState), errors.Is(err, store.ErrConflict):
		return Conflict
	case errors.Is(err, context.DeadlineExceeded):
		return Unavailable
	}
	return Internal
}

// Problem is how every surface answers one error.
type Problem struct {
	Kind       Kind
	Status     int    // HTTP status on the native API and the UI
	CKANStatus int    // HTTP status on the CKAN API
	Title      string // the status's text, the problem+json title
	CKANType   string // the CKAN error object's __type
	// Detail is the text a client sees: the error itself when it is the
	// client's, a generic sentence otherwise.
	Detail string
	// Public is false for errors that are not the client's: log them.
	Public bool
	// Header holds headers the answer must carry (Retry-After); never nil.
	Header http.Header
	// Fields are the field problems of a Validation problem.
	Fields validate.Errors
	// Code names the problem for translation, and Args are what its text
	// quotes; "" for field problems (each has its own) and unknown errors.
	Code string
	Args []any
}

// Of returns the problem for err (non-nil) when p made the request.
func Of(p identity.Principal, err error) Problem {
	kind := KindOf(p, err)
	r := table[kind]
	pr := Problem{Kind: kind, Status: r.status, CKANStatus: r.ckanStatus, Title: http.StatusText(r.status),
		CKANType: r.ckanType, Public: r.public, Header: http.Header{}, Detail: detail(kind, err)}
	if !r.public {
		pr.Detail = http.StatusText(r.status)
	}
	if secs, ok := retryAfter(err); ok {
		pr.Header.Set("Retry-After", strconv.Itoa(secs))
	}
	errors.As(err, &pr.Fields)
	if pr.Public {
		pr.Code, pr.Args = CodeOf(err)
	}
	return pr
}

// codes name the domain's sentinel errors for translation, most specific first.
var codes = []struct {
	err  error
	code string
}{
	{identity.ErrLastAdmin, "last_admin"},
	{identity.ErrLastSysadmin, "last_sysadmin"},
	{identity.ErrPasswordChanged, "password_changed"},
	{access.ErrRevoked, "grant_revoked"},
	{access.ErrRateLimited, "rate_limited"},
	{deid.ErrNoSolution, "no_solution"},
	{deid.ErrLatticeTooLarge, "lattice_too_large"},
	{catalog.ErrState, "state"},
}

// CodeOf returns the code and arguments of err, for translation: a
// Refusal's own, a throttled sign-in's wait, an access denial's reason, or
// a sentinel's from codes ("" when err has none).
func CodeOf(err error) (string, []any) {
	var refusal *validate.Refusal
	var throttled *identity.ThrottledError
	var denied *access.DeniedError
	switch {
	case errors.As(err, &refusal):
		return refusal.Code, refusal.Args
	case errors.As(err, &throttled):
		return "throttled", []any{throttled.Seconds()}
	case errors.As(err, &denied) && denied.Decision.Reason != access.ReasonRateLimited:
		return "denied", []any{denied.Decision.Message}
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.code, nil
		}
	}
	return "", nil
}

// detail is the client's text for a public error of kind.
func detail(kind Kind, err error) string {
	switch kind {
	case Unauthenticated:
		if errors.Is(err, identity.ErrBadCredentials) {
			return err.Error()
		}
		return "authentication required"
	case Forbidden:
		if errors.Is(err, sharing.ErrSelfReview) {
			return sharing.ErrSelfReview.Error()
		}
		return "you are not allowed to do this"
	}
	return err.Error() // a denial says its reason, e.g. "apply for access first"
}

// retryAfter returns the whole seconds a client should wait before trying
// again, when err is a rate-limited access decision, a throttled sign-in
// or another refusal that says when to retry (an upload gate's).
func retryAfter(err error) (int, bool) {
	if wait, ok := access.RetryAfter(err); ok {
		return max(1, int(math.Ceil(wait.Seconds()))), true
	}
	var later interface{ RetryAfter() time.Duration }
	if errors.As(err, &later) {
		return max(1, int(math.Ceil(later.RetryAfter().Seconds()))), true
	}
	var throttled *identity.ThrottledError
	if errors.As(err, &throttled) {
		return throttled.Seconds(), true
	}
	return 0, false
}
