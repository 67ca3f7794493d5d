package main

import (
	"context"

	"dataport/internal/web/api/apiclient"
)

// portal calls the portal's operations: a company requests data of the
// institution orgID, whose editor answers it after the operator routes a
// second one there; the company submits an app on resource, which the
// operator approves; the operator publishes, edits and withdraws a notice;
// anyone reads the lists and the figures.
func (r *apiRun) portal(ctx context.Context, operator, editor, company, anonymous *apiclient.ClientWithResponses, orgID, resource string) {
	t := r.t
	req := got(company.CreateDataRequestWithResponse(ctx, jsonBody[apiclient.CreateDataRequestJSONRequestBody](t,
		`{"title":"网约车订单起讫点统计","description":"按区和小时汇总","purpose":"研究夜间出行","organization_id":"`+orgID+`"}`))).want(r, 201)
	unrouted := got(company.CreateDataRequestWithResponse(ctx, jsonBody[apiclient.CreateDataRequestJSONRequestBody](t,
		`{"title":"共享单车电子围栏","description":"各区电子围栏位置","purpose":"停放导航"}`))).want(r, 201)
	got(operator.RouteDataRequestWithResponse(ctx, unrouted.JSON201.Id, jsonBody[apiclient.RouteDataRequestJSONRequestBody](t,
		`{"organization_id":"`+orgID+`"}`))).want(r, 200)
	got(editor.AnswerDataRequestWithResponse(ctx, req.JSON201.Id, jsonBody[apiclient.AnswerDataRequestJSONRequestBody](t,
		`{"outcome":"planned","answer":"已列入年度开放清单"}`))).want(r, 200)
	got(anonymous.ListDataRequestsWithResponse(ctx, &apiclient.ListDataRequestsParams{OrganizationId: ptr(orgID)})).want(r, 200)
	got(anonymous.GetDataRequestWithResponse(ctx, req.JSON201.Id)).want(r, 200)
	got(company.CreateDataRequestWithResponse(ctx, jsonBody[apiclient.CreateDataRequestJSONRequestBody](t,
		`{"title":"","description":"d","purpose":"p"}`))).want(r, 422)

	app := got(company.SubmitAppWithResponse(ctx, jsonBody[apiclient.SubmitAppJSONRequestBody](t,
		`{"name":"夜归人出行助手","description":"夜间公交到站提醒","url":"https://yeguiren.example.cn","resource_ids":["`+resource+`"]}`))).want(r, 201)
	got(operator.ReviewAppWithResponse(ctx, app.JSON201.Id, jsonBody[apiclient.ReviewAppJSONRequestBody](t, `{"decision":"approve"}`))).want(r, 200)
	got(anonymous.ListAppsWithResponse(ctx, nil)).want(r, 200)
	got(anonymous.GetAppWithResponse(ctx, app.JSON201.Id)).want(r, 200)

	n := got(operator.PublishNewsWithResponse(ctx, jsonBody[apiclient.PublishNewsJSONRequestBody](t,
		`{"kind":"notice","title":"系统维护公告","body":"周六晚间维护。"}`))).want(r, 201)
	got(operator.UpdateNewsWithResponse(ctx, n.JSON201.Id, jsonBody[apiclient.UpdateNewsJSONRequestBody](t,
		`{"kind":"notice","title":"系统维护公告（更新）","body":"周日晚间维护。"}`))).want(r, 200)
	got(anonymous.ListNewsWithResponse(ctx, nil)).want(r, 200)
	got(anonymous.GetNewsWithResponse(ctx, n.JSON201.Id)).want(r, 200)
	got(editor.WithdrawNewsWithResponse(ctx, n.JSON201.Id)).want(r, 403)
	got(operator.WithdrawNewsWithResponse(ctx, n.JSON201.Id)).want(r, 204)
	got(anonymous.GetPortalStatsWithResponse(ctx)).want(r, 200)
}
