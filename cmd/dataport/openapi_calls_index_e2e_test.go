package main

import (
	"context"
	"slices"
	"strconv"
	"time"

	"dataport/internal/demo"
	"dataport/internal/web/api/apiclient"
)

// statsIndex calls the composite index's operations on the demo, whose
// index of the last ended year is published: read by anyone (and 404 for
// a year without one, 422 for a period that is not a year); publishing
// that year again is a conflict for the platform operator, forbidden to
// an institution's admin and refused to the anonymous; a year that has
// not ended, or a bad method, is a field problem.
func (r *apiRun) statsIndex(ctx context.Context, operator, orgAdmin, anonymous *apiclient.ClientWithResponses) {
	t := r.t
	year := demo.IndexYear(time.Now())
	idx := got(anonymous.GetStatsIndexWithResponse(ctx, &apiclient.GetStatsIndexParams{Period: year})).want(r, 200).JSON200
	if idx.Institutions == nil || len(*idx.Institutions) == 0 || idx.Period != year || len(idx.InputsSha256) != 64 {
		t.Errorf("the %s index: %+v", year, idx)
	}
	got(anonymous.GetStatsIndexWithResponse(ctx, &apiclient.GetStatsIndexParams{Period: "1999"})).want(r, 404)
	got(anonymous.GetStatsIndexWithResponse(ctx, &apiclient.GetStatsIndexParams{Period: "2026-01"})).want(r, 422)

	body := func(s string) apiclient.PublishStatsIndexJSONRequestBody {
		return jsonBody[apiclient.PublishStatsIndexJSONRequestBody](t, s)
	}
	got(operator.PublishStatsIndexWithResponse(ctx, body(`{"period":"`+year+`"}`))).want(r, 409)
	got(orgAdmin.PublishStatsIndexWithResponse(ctx, body(`{"period":"`+year+`"}`))).want(r, 403)
	got(anonymous.PublishStatsIndexWithResponse(ctx, body(`{"period":"`+year+`"}`))).want(r, 401)
	next := time.Now().Year() + 1
	got(operator.PublishStatsIndexWithResponse(ctx, body(`{"period":"`+strconv.Itoa(next)+`"}`))).want(r, 422)
	bad := `{"period":"1998","method":{"version":"x","normalisation":"zscore","aggregation":"geometric","min_coverage":2,
	  "indicators":[{"code":"gdp","weight":0,"direction":2}],"sensitivity":{"runs":1,"jitter":0.1,"seed":1}}}`
	problem := got(operator.PublishStatsIndexWithResponse(ctx, body(bad))).want(r, 422).ApplicationproblemJSON422
	var located []string
	if problem != nil && problem.Errors != nil {
		for _, e := range *problem.Errors {
			if e.Location != nil {
				located = append(located, *e.Location)
			}
		}
	}
	if !slices.Contains(located, "body.method.indicators[0].code") || !slices.Contains(located, "body.method.min_coverage") || len(located) < 5 {
		t.Errorf("a bad method's problems: %v", located)
	}
}
