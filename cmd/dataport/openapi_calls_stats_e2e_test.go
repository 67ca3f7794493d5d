package main

import (
	"context"
	"strings"
	"time"

	"dataport/internal/stats"
	"dataport/internal/web/api/apiclient"
)

// stats calls the statistics' operations on the demo, whose snapshots run
// from the first of January of last year to yesterday: anyone reads a
// year's indicators (the city's and the institution's values, as JSON and
// as CSV with a byte order mark), the snapshots newest first and a day's
// snapshot with its values; a malformed period is a 422 on it, an unknown
// organization a 422 on org, a day without a snapshot a 404.
func (r *apiRun) stats(ctx context.Context, anonymous *apiclient.ClientWithResponses, orgID string) {
	t := r.t
	yesterday := stats.Today(time.Now().AddDate(0, 0, -1))
	year := yesterday[:4]
	tab := got(anonymous.GetStatsIndicatorsWithResponse(ctx, &apiclient.GetStatsIndicatorsParams{Period: year})).want(r, 200).JSON200
	if tab == nil || tab.To != yesterday || tab.Indicators == nil || len(*tab.Indicators) < 20 || tab.Values == nil || len(*tab.Values) == 0 {
		t.Fatalf("the %s indicators: %+v", year, tab)
	}
	mine := got(anonymous.GetStatsIndicatorsWithResponse(ctx, &apiclient.GetStatsIndicatorsParams{Period: year, Org: ptr(orgID)})).
		want(r, 200).JSON200
	if mine == nil || mine.Values == nil || len(*mine.Values) == 0 || (*mine.Values)[0].OrgId != orgID {
		t.Errorf("the institution's %s indicators: %+v", year, mine)
	}
	csv := got(anonymous.GetStatsIndicatorsWithResponse(ctx, &apiclient.GetStatsIndicatorsParams{Period: yesterday[:7], Org: ptr("city"),
		Format: ptr(apiclient.GetStatsIndicatorsParamsFormatCsv)})).want(r, 200)
	if body := string(csv.Body); !strings.HasPrefix(body, "\uFEFFperiod,org_id,org_name_zh") || !strings.Contains(body, ",全市,City,api_calls,") {
		t.Errorf("the city's CSV of %s: %.300q", yesterday[:7], body)
	}
	got(anonymous.GetStatsIndicatorsWithResponse(ctx, &apiclient.GetStatsIndicatorsParams{Period: "2026-13"})).want(r, 422)
	got(anonymous.GetStatsIndicatorsWithResponse(ctx, &apiclient.GetStatsIndicatorsParams{Period: year, Org: ptr("NO-SUCH-ORG")})).want(r, 422)

	page := got(anonymous.ListStatsSnapshotsWithResponse(ctx, &apiclient.ListStatsSnapshotsParams{Limit: ptr(int64(7))})).want(r, 200).JSON200
	if page.Items == nil || len(*page.Items) != 7 || (*page.Items)[0].Day != yesterday || page.NextCursor == "" {
		t.Fatalf("the newest snapshots: %+v", page)
	}
	day := got(anonymous.GetStatsSnapshotWithResponse(ctx, yesterday)).want(r, 200).JSON200
	if day == nil || day.Hash != (*page.Items)[0].Hash || day.Values == nil || len(*day.Values) != int((*page.Items)[0].Values) {
		t.Errorf("yesterday's snapshot: %+v", day)
	}
	got(anonymous.GetStatsSnapshotWithResponse(ctx, "2001-01-01")).want(r, 404)
}
