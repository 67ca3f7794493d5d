package api

import (
	"context"
	"net/http"
	"time"

	"dataport/internal/identity"
	"dataport/internal/stats"
	"dataport/internal/stats/composite"

	"github.com/danielgtaylor/huma/v2"
)

// statsIndexBody is a published composite index as the API gives it.
type statsIndexBody struct {
	ID          string           `json:"id"`
	Period      string           `json:"period" doc:"The year, YYYY"`
	PublishedAt time.Time        `json:"published_at"`
	PublishedBy string           `json:"published_by" doc:"The publishing user's id"`
	Method      composite.Method `json:"method" doc:"Everything needed to recompute the index (docs/stats-index.md states each step)"`
	// Weights are the method's indicators, named, in method order.
	Weights []stats.IndexWeight `json:"weights"`
	// Institutions are the ranked institutions, best first.
	Institutions  []stats.IndexEntry    `json:"institutions"`
	Unranked      []stats.IndexUnranked `json:"unranked"`
	Excluded      []composite.Excluded  `json:"excluded" doc:"Indicators left out: constant across the ranked institutions"`
	Runs          int                   `json:"runs" doc:"Rank sets the ranges cover: the published one, the perturbed ones and the alternatives"`
	IndicatorsURL string                `json:"indicators_url" doc:"The indicator values the index combined"`
	MethodSHA256  string                `json:"method_sha256"`
	InputsSHA256  string                `json:"inputs_sha256" doc:"SHA-256 of the values' canonical text: a line org_id TAB indicator TAB value (printf %.17g) per value of a ranked or unranked institution and a method indicator, sorted, each ending in a newline"`
	ResultSHA256  string                `json:"result_sha256"`
}

type statsIndexOut struct{ Body statsIndexBody }

type statsIndexIn struct {
	Period string `query:"period" required:"true" pattern:"^[0-9]{4}$" doc:"The year" example:"2026"`
}

type publishStatsIndexIn struct{ Body stats.PublishInput }

func statsIndexBodyOf(r stats.IndexRelease) *statsIndexOut {
	return &statsIndexOut{Body: statsIndexBody{ID: r.ID, Period: r.Period, PublishedAt: r.PublishedAt, PublishedBy: r.PublishedBy,
		Method: r.Method, Weights: r.Weights(), Institutions: r.Entries(), Unranked: r.Unranked(), Excluded: r.Excluded(),
		Runs: r.Result.Runs, IndicatorsURL: Prefix + "/stats/indicators?period=" + r.Period, MethodSHA256: r.MethodSHA256,
		InputsSHA256: r.InputsSHA256, ResultSHA256: r.ResultSHA256}}
}

func (h *handlers) statsIndexRoutes(api huma.API) {
	st := h.acc.Stats
	huma.Register(api, huma.Operation{OperationID: "get-stats-index", Method: http.MethodGet, Path: "/stats/index",
		Tags: []string{"Statistics"}, Summary: "The published composite index of a year",
		Description: "For anyone: the composite index of the digital economy (数字经济综合评价指数, article 7) published for the year, with " +
			"its method (normalisation, aggregation, weights, the sensitivity analysis' runs, jitter and seed), the named weights, each " +
			"ranked institution's score, rank and rank range under the sensitivity analysis, the institutions not ranked and why, and " +
			"the SHA-256 of the method, the input values and the result. Recompute it from indicators_url with the method. 404 when " +
			"the year is not published."},
		func(ctx context.Context, in *statsIndexIn) (*statsIndexOut, error) {
			return answer(h, ctx, statsIndexBodyOf)(st.Index(ctx, in.Period))
		})
	huma.Register(api, huma.Operation{OperationID: "publish-stats-index", Method: http.MethodPost, Path: "/stats/index",
		Tags: []string{"Statistics"}, DefaultStatus: http.StatusCreated, Security: bearer,
		Summary: "Publish a year's composite index (platform operator)",
		Description: "Computes the index of the year from its indicator values under the method sent (default: the shipped method, " +
			"dataport-dei-2026.1) and publishes it, for good: a year is published once (409 after). Only the platform operator or a " +
			"sysadmin; a bad period or method answers 422 naming each field (body.method.indicators[2].weight) and nothing is written. " +
			"The stats.index.published event carries the hashes."},
		func(ctx context.Context, in *publishStatsIndexIn) (*statsIndexOut, error) {
			return answer(h, ctx, statsIndexBodyOf)(st.PublishIndex(ctx, identity.FromContext(ctx), in.Body))
		})
}
