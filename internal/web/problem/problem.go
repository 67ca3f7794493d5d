// Package problem maps domain errors to HTTP statuses in one place, for the
// API and the UI alike, and separates what a client sees from what is logged.
package problem

import (
	"context"
	"errors"
	"math"
	"net/http"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/sharing"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// Status returns the HTTP status for err when p made the request, and
// whether the error is the client's (false: log it, show a generic message).
func Status(p identity.Principal, err error) (int, bool) {
	var verrs validate.Errors
	switch {
	case err == nil:
		return http.StatusOK, true
	case errors.As(err, &verrs):
		return http.StatusUnprocessableEntity, true
	case errors.Is(err, access.ErrRateLimited):
		return http.StatusTooManyRequests, true
	case errors.Is(err, access.ErrDenied):
		return http.StatusForbidden, true
	case errors.Is(err, identity.ErrForbidden) && p.IsAnonymous(), errors.Is(err, identity.ErrUnauthenticated),
		errors.Is(err, identity.ErrBadCredentials):
		return http.StatusUnauthorized, true
	case errors.Is(err, identity.ErrForbidden):
		return http.StatusForbidden, true
	case errors.Is(err, identity.ErrThrottled):
		return http.StatusTooManyRequests, true
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, true
	case errors.Is(err, catalog.ErrBadCursor):
		return http.StatusBadRequest, true
	case errors.Is(err, catalog.ErrState), errors.Is(err, store.ErrConflict):
		return http.StatusConflict, true
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, false
	}
	return http.StatusInternalServerError, false
}

// Message is the text a client sees for err: the error itself when it is the
// client's, a generic sentence otherwise.
func Message(p identity.Principal, err error) string {
	status, public := Status(p, err)
	if public {
		switch status {
		case http.StatusUnauthorized:
			if errors.Is(err, identity.ErrBadCredentials) {
				return err.Error()
			}
			return "authentication required"
		case http.StatusForbidden:
			if errors.Is(err, access.ErrDenied) {
				return err.Error() // the decision's reason, e.g. "apply for access first"
			}
			if errors.Is(err, sharing.ErrSelfReview) {
				return sharing.ErrSelfReview.Error()
			}
			return "you are not allowed to do this"
		}
		return err.Error()
	}
	return http.StatusText(status)
}

// RetryAfter returns the whole seconds a client should wait before trying
// again, when err is a rate-limited access decision (for the Retry-After header).
func RetryAfter(err error) (int, bool) {
	wait, ok := access.RetryAfter(err)
	if !ok {
		return 0, false
	}
	return max(1, int(math.Ceil(wait.Seconds()))), true
}
