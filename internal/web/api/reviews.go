package api

import (
	"context"
	"net/http"

	"dataport/internal/identity"
	"dataport/internal/review"

	"github.com/danielgtaylor/huma/v2"
)

type waitingIn struct {
	Limit int `query:"limit" minimum:"1" maximum:"500" default:"100"`
}

func (h *handlers) reviewRoutes(api huma.API) {
	huma.Register(api, huma.Operation{OperationID: "list-waiting", Method: http.MethodGet, Path: "/reviews/waiting", Tags: []string{tagReviews},
		Security: bearer, Summary: "What waits for you: cases to decide and requests for more material to answer, across every kind",
		Description: "Share requests, open-data applications and every other kind of review case that waits for the caller: steps the caller " +
			"may decide now (task=decide; never their own filings; escalated steps for the platform operators), and requests for more " +
			"material their organizations must answer (task=answer). Soonest deadline first; overdue ones are flagged. Link is the case's page."},
		h.listWaiting)
}

func (h *handlers) listWaiting(ctx context.Context, in *waitingIn) (*List[review.Waiting], error) {
	ws, err := h.acc.Review.Waiting(ctx, identity.FromContext(ctx), in.Limit)
	if err != nil {
		return nil, h.fail(ctx, err)
	}
	out := &List[review.Waiting]{}
	out.Body.Items = ws
	if out.Body.Items == nil {
		out.Body.Items = []review.Waiting{}
	}
	return out, nil
}
