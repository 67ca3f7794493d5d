package main

import (
	"context"
	"fmt"
	"time"

	"dataport/internal/web/api/apiclient"
)

// assessments calls the risk assessments' operations: anyone reads the
// method; the resource's editor starts an assessment of it (a bad scope is
// refused, another institution's admin is forbidden), saves its items
// (a vulnerability naming no asset is refused at its field), adds a
// remediation task owned by the institution's admin for the finding that
// reduces the high risk and completes it; the admin marks the task done;
// the security officer lists, reads and sees the schedule; the regulator
// reads; another institution sees nothing of it; the anonymous are asked
// to sign in.
func (r *apiRun) assessments(ctx context.Context, security, regulator, editor, orgAdmin, outsider, anonymous *apiclient.ClientWithResponses,
	resourceID string) {
	t := r.t
	method := got(anonymous.GetAssessmentMethodWithResponse(ctx)).want(r, 200).JSON200
	if m := method.Matrix; m == nil || len(*m) != 5 || (*m)[4] == nil || (*(*m)[4])[4] != 25 {
		t.Errorf("method %+v", method)
	}
	got(anonymous.ListAssessmentsWithResponse(ctx, nil)).want(r, 401)
	got(editor.CreateAssessmentWithResponse(ctx, jsonBody[apiclient.CreateAssessmentJSONRequestBody](t,
		`{"scope":"galaxy","title":"评估"}`))).want(r, 422)
	got(outsider.CreateAssessmentWithResponse(ctx, jsonBody[apiclient.CreateAssessmentJSONRequestBody](t,
		`{"scope":"resource","resource_id":"`+resourceID+`","title":"评估"}`))).want(r, 403)
	a := got(editor.CreateAssessmentWithResponse(ctx, jsonBody[apiclient.CreateAssessmentJSONRequestBody](t,
		`{"scope":"resource","resource_id":"`+resourceID+`","title":"年度数据安全风险评估"}`))).want(r, 201).JSON201
	items := `"items":{"assets":[{"code":"A1","name":"数据资源","kind":"data","value":4}],
		"threats":[{"code":"T1","name":"接口批量抓取","source":"external_attack","likelihood":4}],
		"vulnerabilities":[{"code":"V1","name":"接口未限频","asset":"%s","threat":"T1","severity":4}],
		"measures":[{"code":"M1","name":"访问日志","kind":"technical","effective":false,"vulnerabilities":["V1"]}],
		"findings":[{"code":"F1","text":"接口应限频","risks":["V1"],"treatment":"reduce"}]}`
	bad := got(editor.SaveAssessmentWithResponse(ctx, a.Id, jsonBody[apiclient.SaveAssessmentJSONRequestBody](t,
		`{"title":"年度数据安全风险评估",`+fmt.Sprintf(items, "A9")+`}`))).want(r, 422)
	if p := bad.ApplicationproblemJSON422; p == nil || p.Errors == nil || len(*p.Errors) != 1 || (*p.Errors)[0].Location == nil ||
		*(*p.Errors)[0].Location != "body.items.vulnerabilities[0].asset" {
		t.Errorf("a vulnerability of no asset: %s", bad.Body)
	}
	saved := got(editor.SaveAssessmentWithResponse(ctx, a.Id, jsonBody[apiclient.SaveAssessmentJSONRequestBody](t,
		`{"title":"年度数据安全风险评估","conclusion":"限频后风险可控",`+fmt.Sprintf(items, "A1")+`}`))).want(r, 200).JSON200
	if saved.Risks == nil || len(*saved.Risks) != 1 || (*saved.Risks)[0].Level != 5 {
		t.Errorf("computed risks %+v", saved.Risks)
	}
	got(editor.CompleteAssessmentWithResponse(ctx, a.Id)).want(r, 422) // the reducing finding has no task yet
	admin := got(orgAdmin.GetMeWithResponse(ctx)).want(r, 200).JSON200
	task := got(editor.AddAssessmentTaskWithResponse(ctx, a.Id, jsonBody[apiclient.AddAssessmentTaskJSONRequestBody](t,
		`{"finding":"F1","title":"接口限频","owner_user_id":"`+admin.Id+`","deadline":"`+
			time.Now().In(time.FixedZone("CST", 8*3600)).AddDate(0, 1, 0).Format(time.DateOnly)+`"}`))).want(r, 201).JSON201
	done := got(editor.CompleteAssessmentWithResponse(ctx, a.Id)).want(r, 200).JSON200
	if done.State != "completed" || done.ValidUntil == nil {
		t.Errorf("completed %+v", done)
	}
	got(orgAdmin.CompleteAssessmentTaskWithResponse(ctx, a.Id, task.Id, jsonBody[apiclient.CompleteAssessmentTaskJSONRequestBody](t,
		`{"note":"已限频"}`))).want(r, 200)
	got(security.ListAssessmentsWithResponse(ctx, &apiclient.ListAssessmentsParams{State: ptr(apiclient.ListAssessmentsParamsStateCompleted)})).want(r, 200)
	got(security.GetAssessmentScheduleWithResponse(ctx)).want(r, 200)
	got(regulator.GetAssessmentWithResponse(ctx, a.Id)).want(r, 200)
	got(outsider.GetAssessmentWithResponse(ctx, a.Id)).want(r, 404)
}
