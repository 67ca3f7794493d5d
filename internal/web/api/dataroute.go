package api

import (
	"context"
	"net/http"

	"dataport/internal/access"
	"dataport/internal/identity"
	"dataport/internal/web/problem"

	"github.com/danielgtaylor/huma/v2"
)

// DataRouteExtension marks, in the OpenAPI document, the operations that
// serve data rows. The route-walking test reads it: every such operation
// must answer only after an access decision.
const DataRouteExtension = "x-dataport-data"

// dataRoute registers an operation that serves data (rows, exports,
// downloads, previews, SQL) — the only way such an operation may be
// registered. It marks the operation in the OpenAPI document and wraps the
// handler so that:
//   - a response the handler built without asking access.Decider.Decide is
//     refused with 500 and logged (rule 1: no data without a decision);
//   - a denial becomes 403 (429 with Retry-After for a rate limit) as
//     problem+json, whatever error the handler returned; a version that
//     does not exist is 404.
//
// The handler MUST decide before it returns: a streamed body is written
// after the check.
func dataRoute[I, O any](api huma.API, h *handlers, op huma.Operation, handler func(context.Context, *I) (*O, error)) {
	if op.Extensions == nil {
		op.Extensions = map[string]any{}
	}
	op.Extensions[DataRouteExtension] = true
	op.Errors = append(op.Errors, http.StatusForbidden, http.StatusNotFound, http.StatusTooManyRequests)
	huma.Register(api, op, func(ctx context.Context, in *I) (*O, error) {
		ctx, t := access.Track(ctx)
		out, err := handler(ctx, in)
		if d, denied := t.Denial(); denied && err != nil {
			return nil, denialError(d)
		}
		if err == nil && len(t.Decisions()) == 0 {
			h.log.ErrorContext(ctx, "data route answered without an access decision", "operation", op.OperationID)
			return nil, huma.Error500InternalServerError("internal error")
		}
		return out, err
	})
	documentRateHeaders(api, op)
}

// denialError is the problem response for a deny decision: its reason as
// the detail, the status and headers (Retry-After) from problem.Of.
func denialError(d access.Decision) error {
	pr := problem.Of(identity.Principal{}, d.Err())
	return withHeaders(huma.NewError(pr.Status, d.Message), pr.Header)
}
