package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"dataport/internal/web/api/apiclient"
)

// zoneWorld is a public data zone set up through the API: code, a
// resource of 60 bus stops (stopsCSV: one row a stop, stop_id its key; 30
// in district 110101, 30 in 110102; boardings 100 × the stop's number, so
// the stop S00060 alone has 6,000), and an operator company authorised on
// it with an epsilon budget of 2 after the steward's editor and the
// platform operator approved its application.
type zoneWorld struct {
	zone, code, resource, application, authorisation string
}

// zoneBudget is the epsilon budget the world's operator applies for.
const zoneBudget = 2.0

// setUpZone builds a zoneWorld: the steward institution's editor catalogs
// and loads the resource (the platform operator approves it), the platform
// operator creates the zone (minimum cell size 10, disclosure control and
// differential privacy) with the resource as its member, boardings
// clamped to [0, 10000]; the company applies, and the steward's editor
// and the platform operator approve.
func (r *apiRun) setUpZone(ctx context.Context, operator, editor, company *apiclient.ClientWithResponses, stewardOrg, code string) zoneWorld {
	t := r.t
	res := got(editor.CreateResourceWithResponse(ctx, jsonBody[apiclient.CreateResourceJSONRequestBody](t,
		resourceBody(stewardOrg, "公交站点客流（专区测试 "+code+"）", "conditional", "none")))).want(r, 201).JSON201.Id
	got(editor.SubmitResourceWithResponse(ctx, res)).want(r, 200)
	got(operator.ReviewResourceWithResponse(ctx, res, jsonBody[apiclient.ReviewResourceJSONRequestBody](t,
		`{"decision":"approve","comment":"专区测试资源"}`))).want(r, 200)
	r.upload(ctx, editor, res, stopsCSV(60, ""))

	z := got(operator.CreateZoneWithResponse(ctx, jsonBody[apiclient.CreateZoneJSONRequestBody](t, `{"code":"`+code+`",
	  "name_zh":"交通专区（测试）","name_en":"Transport zone (test)","domain":"transport","steward_org_id":"`+stewardOrg+`",
	  "description_zh":"测试用的交通公共数据专区","description_en":"A transport data zone for tests",
	  "rules":{"mechanisms":["sdc","dp"],"min_cell_size":10,"epsilon_budget":2,"max_epsilon":1}}`))).want(r, 201).JSON201
	got(operator.SetZoneMemberWithResponse(ctx, code, res, jsonBody[apiclient.SetZoneMemberJSONRequestBody](t,
		`{"items":[{"name":"boardings","role":"attribute","lower":0,"upper":10000}]}`))).want(r, 200)

	start := time.Now().UTC().Add(-time.Minute)
	a := got(company.ApplyZoneWithResponse(ctx, code, jsonBody[apiclient.ApplyZoneJSONRequestBody](t, fmt.Sprintf(`{
	  "scenario":"公交线网优化：按区统计站点客流，不识别任何站点","document_no":"京华交授〔2026〕9号",
	  "document_title":"关于授权开展交通公共数据专区运营的批复","resource_ids":[%q],"epsilon_budget":%g,
	  "valid_from":%q,"valid_until":%q}`, res, zoneBudget, start.Format(time.RFC3339), start.AddDate(1, 0, 0).Format(time.RFC3339))))).
		want(r, 201).JSON201
	for _, reviewer := range []*apiclient.ClientWithResponses{editor, operator} {
		got(reviewer.DecideZoneApplicationWithResponse(ctx, code, a.Id, jsonBody[apiclient.DecideZoneApplicationJSONRequestBody](t,
			`{"decision":"approve","comment":"场景明确，同意"}`))).want(r, 200)
	}
	app := got(company.GetZoneApplicationWithResponse(ctx, z.Id, a.Id)).want(r, 200).JSON200
	if app.AuthorisationId == nil || *app.AuthorisationId == "" {
		t.Fatalf("an application approved by both reviewers: %s, no authorisation", app.Status)
	}
	return zoneWorld{zone: z.Id, code: code, resource: res, application: a.Id, authorisation: *app.AuthorisationId}
}

// zoneQuery submits sql as c (mechanism sdc when epsilon is 0, else dp),
// waiting up to 60 seconds, and returns the finished query.
func (r *apiRun) zoneQuery(ctx context.Context, c *apiclient.ClientWithResponses, w zoneWorld, sql string, epsilon float64) *apiclient.ZoneQuery {
	r.t.Helper()
	body := fmt.Sprintf(`{"sql":%q,"mechanism":"sdc"}`, fmt.Sprintf(sql, w.resource))
	if epsilon > 0 {
		body = fmt.Sprintf(`{"sql":%q,"mechanism":"dp","epsilon":%g}`, fmt.Sprintf(sql, w.resource), epsilon)
	}
	return got(c.SubmitZoneQueryWithResponse(ctx, w.code, &apiclient.SubmitZoneQueryParams{Wait: ptr(int64(60))},
		jsonBody[apiclient.SubmitZoneQueryJSONRequestBody](r.t, body))).want(r, 200).JSON200
}

// zones calls the public data zones' operations on a zone of the
// institution orgID (its editor the steward's editor, orgAdmin its
// admin) worked by the company: the zone listed, read, changed, a second
// member added and taken out; the application and the authorisation read;
// a released query, one refused by the guard (422 on sql), one answered
// 202 while queued and read until it is released under differential
// privacy, one held for the steward's review and released by them; the
// result as CSV, kept as an output; usage; another institution gets 404;
// and after the steward's admin revokes the authorisation the next query
// is refused (403).
func (r *apiRun) zones(ctx context.Context, operator, editor, orgAdmin, company, requesterAdmin, anonymous *apiclient.ClientWithResponses,
	orgID, sharedResource string) {
	t := r.t
	w := r.setUpZone(ctx, operator, editor, company, orgID, "ZONE-API")
	list := got(anonymous.ListZonesWithResponse(ctx, &apiclient.ListZonesParams{Domain: ptr(apiclient.ListZonesParamsDomain("transport"))})).want(r, 200).JSON200
	if !zoneListed(list, w) {
		t.Errorf("GET /zones?domain=transport lacks %s with its resource: %s", w.code, excerpt(fmt.Sprint(list.Items)))
	}
	got(anonymous.GetZoneWithResponse(ctx, w.code)).want(r, 200)
	got(orgAdmin.UpdateZoneWithResponse(ctx, w.code, jsonBody[apiclient.UpdateZoneJSONRequestBody](t, `{"code":"`+w.code+`",
	  "name_zh":"交通专区（测试）","name_en":"Transport zone (test)","domain":"transport","steward_org_id":"`+orgID+`",
	  "description_zh":"测试用的交通公共数据专区：站点客流","description_en":"A transport data zone for tests: stop boardings",
	  "rules":{"mechanisms":["sdc","dp"],"min_cell_size":10,"epsilon_budget":2,"max_epsilon":1}}`))).want(r, 200)
	got(operator.SetZoneMemberWithResponse(ctx, w.zone, sharedResource, jsonBody[apiclient.SetZoneMemberJSONRequestBody](t, `{}`))).want(r, 200)
	got(operator.RemoveZoneMemberWithResponse(ctx, w.zone, sharedResource)).want(r, 200)

	got(company.ListZoneApplicationsWithResponse(ctx, w.code, &apiclient.ListZoneApplicationsParams{Mine: ptr(true)})).want(r, 200)
	got(requesterAdmin.GetZoneApplicationWithResponse(ctx, w.code, w.application)).want(r, 404)
	got(company.ListZoneAuthorisationsWithResponse(ctx, w.code)).want(r, 200)
	got(company.GetZoneAuthorisationWithResponse(ctx, w.code, w.authorisation)).want(r, 200)

	released := r.zoneQuery(ctx, company, w, `SELECT district, COUNT(*) AS stops, AVG(boardings) AS avg_boardings FROM "%s" GROUP BY district`, 0)
	if released.Status != apiclient.ZoneQueryStatusReleased || released.Rows == nil || len(*released.Rows) != 2 {
		t.Fatalf("stops by district: %s %v rows %v", released.Status, released.Reason, released.Rows)
	}
	bad := got(company.SubmitZoneQueryWithResponse(ctx, w.code, nil, jsonBody[apiclient.SubmitZoneQueryJSONRequestBody](t,
		`{"sql":"SELECT * FROM \"`+w.resource+`\""}`))).want(r, 422)
	if !bytes.Contains(bad.Body, []byte(`"body.sql"`)) {
		t.Errorf("SELECT * refused without naming the field sql: %s", bad.Body)
	}
	r.zonePolled(ctx, company, w)
	r.zoneReviewed(ctx, company, editor, w)

	csv := got(company.GetZoneQueryResultWithResponse(ctx, w.code, released.Id)).want(r, 200)
	if !strings.Contains(string(csv.Body), "district,stops,avg_boardings") || strings.Count(string(csv.Body), "\n") != 3 {
		t.Errorf("the released result as CSV: %q", csv.Body)
	}
	out := got(company.KeepZoneOutputWithResponse(ctx, w.code, released.Id, jsonBody[apiclient.KeepZoneOutputJSONRequestBody](t,
		`{"name_zh":"各区站点客流","name_en":"Boardings by district","description":"专区出域结果"}`))).want(r, 201).JSON201
	got(company.ListZoneOutputsWithResponse(ctx, w.code)).want(r, 200)
	got(company.GetZoneOutputWithResponse(ctx, w.code, out.Id)).want(r, 200)
	got(company.ListZoneQueriesWithResponse(ctx, w.code, &apiclient.ListZoneQueriesParams{Status: ptr(apiclient.ListZoneQueriesParamsStatusReleased)})).want(r, 200)
	got(editor.GetZoneUsageWithResponse(ctx, w.code)).want(r, 200)
	got(requesterAdmin.GetZoneQueryWithResponse(ctx, w.code, released.Id)).want(r, 404)

	got(orgAdmin.RevokeZoneAuthorisationWithResponse(ctx, w.code, w.authorisation, jsonBody[apiclient.RevokeZoneAuthorisationJSONRequestBody](t,
		`{"reason":"授权文件被撤回"}`))).want(r, 200)
	got(company.SubmitZoneQueryWithResponse(ctx, w.code, nil, jsonBody[apiclient.SubmitZoneQueryJSONRequestBody](t,
		`{"sql":"SELECT COUNT(*) AS stops FROM \"`+w.resource+`\""}`))).want(r, 403)
}

// zoneListed reports whether list holds w's zone with w's resource.
func zoneListed(list *apiclient.ListZoneSummaryBody, w zoneWorld) bool {
	for _, z := range *list.Items {
		if z.Id == w.zone && z.Code == w.code && z.ResourceIds != nil && len(*z.ResourceIds) == 1 && (*z.ResourceIds)[0] == w.resource {
			return true
		}
	}
	return false
}

// zonePolled submits a differential-privacy query without waiting (202
// with its Location) and reads it until it is released, its epsilon spent.
func (r *apiRun) zonePolled(ctx context.Context, company *apiclient.ClientWithResponses, w zoneWorld) {
	t := r.t
	queued := got(company.SubmitZoneQueryWithResponse(ctx, w.code, &apiclient.SubmitZoneQueryParams{Wait: ptr(int64(0))},
		jsonBody[apiclient.SubmitZoneQueryJSONRequestBody](t, fmt.Sprintf(`{"sql":"SELECT district, COUNT(*) AS stops FROM \"%s\" GROUP BY district",
		  "mechanism":"dp","epsilon":0.5}`, w.resource)))).want(r, 202)
	if loc := queued.HTTPResponse.Header.Get("Location"); !strings.HasSuffix(loc, "/zones/"+w.zone+"/queries/"+queued.JSON202.Id) {
		t.Errorf("202 Location %q", loc)
	}
	q := queued.JSON202
	for deadline := time.Now().Add(time.Minute); q.Status == apiclient.ZoneQueryStatusQueued || q.Status == apiclient.ZoneQueryStatusRunning; {
		if time.Now().After(deadline) {
			t.Fatalf("the dp query is still %s after a minute", q.Status)
		}
		time.Sleep(100 * time.Millisecond)
		q = got(company.GetZoneQueryWithResponse(ctx, w.code, q.Id)).want(r, 200).JSON200
	}
	if q.Status != apiclient.ZoneQueryStatusReleased || q.EpsilonSpent != 0.5 || q.EpsilonRemaining != zoneBudget-0.5 {
		t.Errorf("the dp query: %s %v, epsilon spent %g, remaining %g", q.Status, q.Reason, q.EpsilonSpent, q.EpsilonRemaining)
	}
}

// zoneReviewed submits a count of 12 stops — released cells under the
// minimum cell size plus the review margin (10 + 5) wait for the steward —
// and has the steward's editor release it.
func (r *apiRun) zoneReviewed(ctx context.Context, company, steward *apiclient.ClientWithResponses, w zoneWorld) {
	t := r.t
	q := r.zoneQuery(ctx, company, w, `SELECT COUNT(*) AS stops FROM "%s" WHERE boardings <= 1200`, 0)
	if q.Status != apiclient.ZoneQueryStatusReview {
		t.Fatalf("a cell of 12 stops: %s %v, want review", q.Status, q.Reason)
	}
	q = got(steward.DecideZoneQueryWithResponse(ctx, w.code, q.Id, jsonBody[apiclient.DecideZoneQueryJSONRequestBody](t,
		`{"decision":"approve","comment":"不涉及可识别站点，同意出域"}`))).want(r, 200).JSON200
	if q.Status != apiclient.ZoneQueryStatusReleased {
		t.Errorf("after the steward's approval: %s", q.Status)
	}
}
