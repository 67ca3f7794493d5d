package problem_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/search"
	"dataport/internal/store"
	"dataport/internal/validate"
	"dataport/internal/web/problem"
)

// TestOneTable runs an error of every kind through the one mapping that
// the native API, the UI and the CKAN API all answer from: one status for
// the API and the UI, CKAN's own status and __type, and Retry-After only
// for a rate limit.
func TestOneTable(t *testing.T) {
	signedIn := identity.Principal{UserID: "u1"}
	rateLimited := access.Decision{Reason: access.ReasonRateLimited, Message: "too many requests: try again later", RetryAfter: 1500 * time.Millisecond}
	var fields validate.Errors
	fields.Add("title_zh", "", validate.CodeRequired, "is required")
	for _, test := range []struct {
		name       string
		who        identity.Principal
		err        error
		status     int
		ckanStatus int
		ckanType   string
		retryAfter string
		public     bool
	}{
		{"fields", signedIn, fmt.Errorf("create: %w", fields.Err()), 422, 409, "Validation Error", "", true},
		{"bad cursor", signedIn, catalog.ErrBadCursor, 400, 400, "Search Query Error", "", true},
		{"bad search", signedIn, fmt.Errorf("%w: cannot facet on x", search.ErrBadQuery), 400, 400, "Search Query Error", "", true},
		{"anonymous refused", identity.Principal{}, identity.ErrForbidden, 401, 403, "Authorization Error", "", true},
		{"no token", signedIn, identity.ErrUnauthenticated, 401, 403, "Authorization Error", "", true},
		{"forbidden", signedIn, identity.ErrForbidden, 403, 403, "Authorization Error", "", true},
		{"denied", signedIn, access.Decision{Reason: "no_grant", Message: "apply for access first"}.Err(), 403, 403, "Authorization Error", "", true},
		{"rate limited", identity.Principal{}, rateLimited.Err(), 429, 429, "Rate Limit Error", "2", true},
		{"sign-ins throttled", identity.Principal{}, &identity.ThrottledError{Wait: 7 * time.Second}, 429, 429, "Rate Limit Error", "7", true},
		{"not found", signedIn, fmt.Errorf("resource x: %w", store.ErrNotFound), 404, 404, "Not Found Error", "", true},
		{"state", signedIn, fmt.Errorf("%w: published", catalog.ErrState), 409, 409, "Validation Error", "", true},
		{"conflict", signedIn, store.ErrConflict, 409, 409, "Validation Error", "", true},
		{"deadline", signedIn, context.DeadlineExceeded, 503, 503, "Internal Server Error", "", false},
		{"bug", signedIn, errors.New("disk on fire"), 500, 500, "Internal Server Error", "", false},
	} {
		t.Run(test.name, func(t *testing.T) {
			pr := problem.Of(test.who, test.err)
			if pr.Status != test.status || pr.CKANStatus != test.ckanStatus || pr.CKANType != test.ckanType || pr.Public != test.public {
				t.Errorf("Of = %d / CKAN %d %q / public %v, want %d / CKAN %d %q / public %v",
					pr.Status, pr.CKANStatus, pr.CKANType, pr.Public, test.status, test.ckanStatus, test.ckanType, test.public)
			}
			if got := pr.Header.Get("Retry-After"); got != test.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, test.retryAfter)
			}
			if pr.Title != http.StatusText(test.status) {
				t.Errorf("title = %q", pr.Title)
			}
			if !test.public && pr.Detail != http.StatusText(test.status) {
				t.Errorf("detail of an internal error = %q, want the generic %q", pr.Detail, http.StatusText(test.status))
			}
		})
	}
}

// TestValidationKeepsFields: the field problems reach every surface with
// their codes.
func TestValidationKeepsFields(t *testing.T) {
	var errs validate.Errors
	validate.OneOf(&errs, "share_type", "sometimes", "unconditional", "conditional")
	pr := problem.Of(identity.Principal{}, fmt.Errorf("create: %w", errs.Err()))
	if len(pr.Fields) != 1 || pr.Fields[0].Code != validate.CodeOneOf || pr.Fields[0].Args[0] != "unconditional, conditional" {
		t.Fatalf("fields = %+v", pr.Fields)
	}
}
