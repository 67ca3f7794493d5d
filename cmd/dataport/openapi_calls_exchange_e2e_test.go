package main

import (
	"context"
	"strings"

	"dataport/internal/web/api/apiclient"
)

// exchange calls the exchange core's operations: the institution orgID
// (its admin orgAdmin, its editor) applies, the operator (exchange staff)
// returns and admits it, and suspends and reinstates the demo's law firm
// (lawyer, of lawOrg; the demo's company is an admitted buyer already),
// which vets the institution's product on resource, which the editor
// writes, submits and delists, with a sample read by the company through
// the access point; a second product is returned for more material,
// answered and withdrawn; a third applicant withdraws its application.
func (r *apiRun) exchange(ctx context.Context, operator, orgAdmin, editor, company, lawyer, requesterAdmin, anonymous *apiclient.ClientWithResponses,
	orgID, lawOrg, requesterOrg, resource string) {
	t := r.t
	got(anonymous.GetExchangeChecklistWithResponse(ctx)).want(r, 200)
	uscc := func(org string) string {
		return got(operator.GetOrganizationWithResponse(ctx, org)).want(r, 200).JSON200.Uscc
	}
	apply := func(c *apiclient.ClientWithResponses, org, code, legalRep, roles string) reply[*apiclient.ApplyExchangeParticipantResponse] {
		return got(c.ApplyExchangeParticipantWithResponse(ctx, jsonBody[apiclient.ApplyExchangeParticipantJSONRequestBody](t,
			`{"org_id":"`+org+`","uscc":"`+code+`","legal_representative":"`+legalRep+`","contact_name":"联系人","contact_phone":"010-12345678",
			  "contact_email":"contact@example.cn","roles":`+roles+`}`)))
	}
	provUSCC := uscc(orgID)
	apply(orgAdmin, orgID, provUSCC[:17]+string("0123456789"[(strings.IndexByte("0123456789", provUSCC[17])+1)%10]), "王建国", `["provider"]`).want(r, 422)
	provApp := apply(orgAdmin, orgID, provUSCC, "王建国", `["provider"]`).want(r, 201).JSON201
	thirdApp := apply(requesterAdmin, requesterOrg, uscc(requesterOrg), "周文", `["buyer"]`).want(r, 201).JSON201
	got(requesterAdmin.WithdrawExchangeApplicationWithResponse(ctx, thirdApp.Id)).want(r, 200)

	got(operator.ListExchangeApplicationsWithResponse(ctx, &apiclient.ListExchangeApplicationsParams{Side: ptr(apiclient.ListExchangeApplicationsParamsSideQueue)})).want(r, 200)
	got(operator.RequestExchangeApplicationInfoWithResponse(ctx, provApp.Id, jsonBody[apiclient.RequestExchangeApplicationInfoJSONRequestBody](t,
		`{"text":"请补充统一社会信用代码证书"}`))).want(r, 200)
	doc := got(orgAdmin.UploadExchangeParticipantDocumentWithBodyWithResponse(ctx, provApp.ParticipantId,
		&apiclient.UploadExchangeParticipantDocumentParams{Kind: "business_licence", Name: "证书.pdf"}, "application/octet-stream",
		strings.NewReader("%PDF-1.4 certificate"))).want(r, 201).JSON201
	got(orgAdmin.AnswerExchangeApplicationWithResponse(ctx, provApp.Id, jsonBody[apiclient.AnswerExchangeApplicationJSONRequestBody](t,
		`{"text":"已上传"}`))).want(r, 200)
	got(operator.ReviewExchangeApplicationWithResponse(ctx, provApp.Id, jsonBody[apiclient.ReviewExchangeApplicationJSONRequestBody](t,
		`{"decision":"approve","comment":"准入"}`))).want(r, 200)
	got(orgAdmin.GetExchangeApplicationWithResponse(ctx, provApp.Id)).want(r, 200)
	got(orgAdmin.GetExchangeDocumentWithResponse(ctx, doc.Id)).want(r, 200)
	provider, firm := provApp.ParticipantId, r.participantOf(ctx, operator, apiclient.ListExchangeParticipantsParamsRoleLawFirm, lawOrg)
	got(anonymous.ListExchangeParticipantsWithResponse(ctx, nil)).want(r, 200)
	got(company.GetExchangeParticipantWithResponse(ctx, provider)).want(r, 200)

	got(operator.DeclareExchangeRelationWithResponse(ctx, provider, jsonBody[apiclient.DeclareExchangeRelationJSONRequestBody](t,
		`{"other_participant_id":"`+thirdApp.ParticipantId+`","kind":"controller","note":"同一实际控制人"}`))).want(r, 200)
	got(operator.ListExchangeRelationsWithResponse(ctx)).want(r, 200)
	got(operator.RemoveExchangeRelationWithResponse(ctx, provider, thirdApp.ParticipantId, apiclient.RemoveExchangeRelationParamsKindController)).want(r, 200)
	got(operator.SetExchangeParticipantTierWithResponse(ctx, provider, jsonBody[apiclient.SetExchangeParticipantTierJSONRequestBody](t,
		`{"tier":"certified"}`))).want(r, 200)
	got(operator.SuspendExchangeParticipantWithResponse(ctx, firm, jsonBody[apiclient.SuspendExchangeParticipantJSONRequestBody](t,
		`{"reason":"核查资质"}`))).want(r, 200)
	got(operator.ReinstateExchangeParticipantWithResponse(ctx, firm, jsonBody[apiclient.ReinstateExchangeParticipantJSONRequestBody](t,
		`{"reason":"核查无误"}`))).want(r, 200)

	r.exchangeProducts(ctx, operator, editor, company, lawyer, anonymous, provider, firm, resource)
}

// participantOf returns the id of the admitted participant with role of
// the organization org.
func (r *apiRun) participantOf(ctx context.Context, operator *apiclient.ClientWithResponses, role apiclient.ListExchangeParticipantsParamsRole,
	org string) string {
	list := got(operator.ListExchangeParticipantsWithResponse(ctx, &apiclient.ListExchangeParticipantsParams{Role: ptr(role)})).want(r, 200)
	for _, p := range *list.JSON200.Items {
		if p.OrgId == org {
			return p.Id
		}
	}
	r.t.Fatalf("no admitted %s participant of %s", role, org)
	return ""
}

// exchangeProducts writes, vets, samples and delists the institution's products.
func (r *apiRun) exchangeProducts(ctx context.Context, operator, editor, company, lawyer, anonymous *apiclient.ClientWithResponses,
	provider, firm, resource string) {
	t := r.t
	profile := got(editor.CreateDeidProfileWithResponse(ctx, resource, jsonBody[apiclient.CreateDeidProfileJSONRequestBody](t,
		`{"name":"样例","profile":{"columns":{"stop_name":{"op":"mask","keep_first":1}}}}`))).want(r, 201)
	product := func(title, scenarios string) string {
		return `{"provider_id":"` + provider + `","title":"` + title + `","description":"按站点汇总的日均上车人次","use_scenarios":` + scenarios + `,
		  "source":"self_collected","source_note":"公交运营系统采集","legal_basis":"《京华市公共数据管理办法》","resource_ids":["` + resource + `"],
		  "sample_deid_profile":"` + idOf(t, profile.Body) + `","delivery":["api"],"price":{"model":"per_call","amount_fen":200},
		  "offer":{"id":"","policy":{"purposes":["线路规划"],"fields":["stop_name","boardings"],"max_calls":1000},"period_days":90,
		    "onward_transfer":false,"auto_agree":true}}`
	}
	got(editor.CreateExchangeProductWithResponse(ctx, jsonBody[apiclient.CreateExchangeProductJSONRequestBody](t,
		strings.Replace(product("客流", `["线路规划"]`), resource, "no-such-resource", 1)))).want(r, 422)
	p := got(editor.CreateExchangeProductWithResponse(ctx, jsonBody[apiclient.CreateExchangeProductJSONRequestBody](t,
		product("公交站点客流", `[]`)))).want(r, 201).JSON201
	got(editor.SubmitExchangeProductWithResponse(ctx, p.Id, jsonBody[apiclient.SubmitExchangeProductJSONRequestBody](t, `{}`))).want(r, 422)
	got(editor.UpdateExchangeProductWithResponse(ctx, p.Id, jsonBody[apiclient.UpdateExchangeProductJSONRequestBody](t,
		product("公交站点客流", `["线路规划","商圈分析"]`)))).want(r, 200)
	got(editor.UploadExchangeProductEvidenceWithBodyWithResponse(ctx, p.Id, &apiclient.UploadExchangeProductEvidenceParams{Kind: "source_evidence",
		Name: "采集说明.pdf"}, "application/octet-stream", strings.NewReader("%PDF-1.4 collection"))).want(r, 201)
	l := got(editor.SubmitExchangeProductWithResponse(ctx, p.Id, jsonBody[apiclient.SubmitExchangeProductJSONRequestBody](t,
		`{"law_firm_id":"`+firm+`"}`))).want(r, 200).JSON200
	got(operator.AssignExchangeListingLawFirmWithResponse(ctx, l.Id, jsonBody[apiclient.AssignExchangeListingLawFirmJSONRequestBody](t,
		`{"law_firm_id":"`+firm+`"}`))).want(r, 200)
	got(lawyer.ListExchangeListingsWithResponse(ctx, &apiclient.ListExchangeListingsParams{Side: ptr(apiclient.ListExchangeListingsParamsSideQueue)})).want(r, 200)
	checklist := `{"items":{"provider_identity":true,"description_accurate":true,"delivery_price_clear":true,"source_lawful":true,
	  "personal_information":true,"no_core_data":true,"legal_basis":true,"rights_clear":true,"scenarios_lawful":true,
	  "policy_controllable":true,"sample_deidentified":true},"note":"逐项核验"}`
	for _, c := range []*apiclient.ClientWithResponses{operator, lawyer} {
		got(c.SubmitExchangeListingChecklistWithResponse(ctx, l.Id, jsonBody[apiclient.SubmitExchangeListingChecklistJSONRequestBody](t, checklist))).want(r, 200)
		got(c.ReviewExchangeListingWithResponse(ctx, l.Id, jsonBody[apiclient.ReviewExchangeListingJSONRequestBody](t,
			`{"decision":"approve","comment":"符合挂牌条件"}`))).want(r, 200)
	}
	if listed := got(anonymous.GetExchangeProductWithResponse(ctx, p.Id)).want(r, 200).JSON200; listed.Status != "listed" {
		t.Errorf("product after double vetting: %s", listed.Status)
	}
	got(editor.GetExchangeListingWithResponse(ctx, l.Id)).want(r, 200)
	got(anonymous.ListExchangeProductsWithResponse(ctx, &apiclient.ListExchangeProductsParams{Q: ptr("客流")})).want(r, 200)
	sample := got(company.GetExchangeProductSampleWithResponse(ctx, p.Id)).want(r, 200)
	if s := string(sample.Body); !strings.Contains(s, "*") || strings.Contains(s, "110101") {
		t.Errorf("sample: %s", excerpt(s))
	}
	got(operator.SuspendExchangeProductWithResponse(ctx, p.Id, jsonBody[apiclient.SuspendExchangeProductJSONRequestBody](t, `{"reason":"价格异常"}`))).want(r, 200)
	got(operator.RelistExchangeProductWithResponse(ctx, p.Id, jsonBody[apiclient.RelistExchangeProductJSONRequestBody](t, `{"reason":"核查无误"}`))).want(r, 200)
	got(editor.DelistExchangeProductWithResponse(ctx, p.Id, jsonBody[apiclient.DelistExchangeProductJSONRequestBody](t, `{"reason":"停止供应"}`))).want(r, 200)

	q := got(editor.CreateExchangeProductWithResponse(ctx, jsonBody[apiclient.CreateExchangeProductJSONRequestBody](t,
		product("公交站点客流（月度）", `["线路规划"]`)))).want(r, 201).JSON201
	l2 := got(editor.SubmitExchangeProductWithResponse(ctx, q.Id, jsonBody[apiclient.SubmitExchangeProductJSONRequestBody](t,
		`{"law_firm_id":"`+firm+`"}`))).want(r, 200).JSON200
	got(lawyer.RequestExchangeListingInfoWithResponse(ctx, l2.Id, jsonBody[apiclient.RequestExchangeListingInfoJSONRequestBody](t,
		`{"text":"请说明采集授权"}`))).want(r, 200)
	got(editor.AnswerExchangeListingWithResponse(ctx, l2.Id, jsonBody[apiclient.AnswerExchangeListingJSONRequestBody](t, `{"text":"见采集说明"}`))).want(r, 200)
	got(editor.WithdrawExchangeListingWithResponse(ctx, l2.Id)).want(r, 200)
}
