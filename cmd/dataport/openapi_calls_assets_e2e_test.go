package main

import (
	"bytes"
	"context"
	"image/png"
	"strings"

	"dataport/internal/web/api/apiclient"
)

// assets calls the asset registry's operations after exchange has run:
// the institution orgID (its editor) registers a product of its own,
// which the operator (exchange staff) asks more material for and
// approves; anyone reads the public register, the certificate and its QR
// code; the company objects (dismissed) and withdraws a second objection;
// the requesting institution, admitted again as an assessor, files a
// valuation, which the holder reads.
func (r *apiRun) assets(ctx context.Context, operator, orgAdmin, editor, company, requesterAdmin, anonymous *apiclient.ClientWithResponses,
	orgID, requesterOrg, resource string) {
	t := r.t
	product := r.assetProduct(ctx, editor, orgID, resource)
	got(editor.ApplyAssetRegistrationWithResponse(ctx, jsonBody[apiclient.ApplyAssetRegistrationJSONRequestBody](t,
		`{"type":"initial","product_id":"`+product+`"}`))).want(r, 422)
	reg := got(editor.ApplyAssetRegistrationWithResponse(ctx, jsonBody[apiclient.ApplyAssetRegistrationJSONRequestBody](t,
		`{"type":"initial","product_id":"`+product+`","rights":["holding","processing","operation"],"statement":"本委自行采集，依法持有"}`))).want(r, 201).JSON201
	got(operator.ListAssetRegistrationsWithResponse(ctx, &apiclient.ListAssetRegistrationsParams{Side: ptr(apiclient.ListAssetRegistrationsParamsSideQueue)})).want(r, 200)
	got(operator.RequestAssetRegistrationInfoWithResponse(ctx, reg.Id, jsonBody[apiclient.RequestAssetRegistrationInfoJSONRequestBody](t,
		`{"text":"请补充数据采集的授权文件"}`))).want(r, 200)
	got(editor.AnswerAssetRegistrationWithResponse(ctx, reg.Id, jsonBody[apiclient.AnswerAssetRegistrationJSONRequestBody](t,
		`{"text":"采集依据见《京华市公共数据管理办法》"}`))).want(r, 200)
	got(editor.ReviewAssetRegistrationWithResponse(ctx, reg.Id, jsonBody[apiclient.ReviewAssetRegistrationJSONRequestBody](t,
		`{"decision":"approve"}`))).want(r, 403)
	approved := got(operator.ReviewAssetRegistrationWithResponse(ctx, reg.Id, jsonBody[apiclient.ReviewAssetRegistrationJSONRequestBody](t,
		`{"decision":"approve","comment":"权属清晰"}`))).want(r, 200).JSON200
	if approved.Number == nil || !strings.HasPrefix(*approved.Number, "JH-DR-") || approved.Stage != "publicity" {
		t.Fatalf("approved registration: number %v, stage %s", approved.Number, approved.Stage)
	}
	number := *approved.Number
	got(editor.GetAssetRegistrationWithResponse(ctx, reg.Id)).want(r, 200)
	got(anonymous.ListAssetCertificatesWithResponse(ctx, &apiclient.ListAssetCertificatesParams{Stage: ptr(apiclient.ListAssetCertificatesParamsStage("publicity"))})).want(r, 200)
	cert := got(anonymous.GetAssetCertificateWithResponse(ctx, number)).want(r, 200).JSON200
	if cert.RegistrationHash == "" || cert.ReceiptUrl == "" || !strings.HasSuffix(cert.Url, "/exchange/certificates/"+number) {
		t.Errorf("certificate: hash %q receipt %q url %q", cert.RegistrationHash, cert.ReceiptUrl, cert.Url)
	}
	qr := got(anonymous.GetAssetCertificateQrWithResponse(ctx, number)).want(r, 200)
	if img, err := png.Decode(bytes.NewReader(qr.Body)); err != nil || img.Bounds().Dx() < 200 {
		t.Errorf("QR code: %v", err)
	}
	got(anonymous.GetAssetCertificateWithResponse(ctx, "JH-DR-1999-000001")).want(r, 404)

	objection := func(grounds string) string {
		return got(company.ObjectAssetRegistrationWithResponse(ctx, number, jsonBody[apiclient.ObjectAssetRegistrationJSONRequestBody](t,
			`{"grounds":"`+grounds+`"}`))).want(r, 201).JSON201.Id
	}
	got(editor.ObjectAssetRegistrationWithResponse(ctx, number, jsonBody[apiclient.ObjectAssetRegistrationJSONRequestBody](t,
		`{"grounds":"持有人不对自己提出异议"}`))).want(r, 403)
	first := objection("该产品部分数据由本公司提供，权属存在争议")
	got(operator.ReviewAssetRegistrationWithResponse(ctx, first, jsonBody[apiclient.ReviewAssetRegistrationJSONRequestBody](t,
		`{"decision":"reject","comment":"异议依据不足"}`))).want(r, 200)
	got(company.WithdrawAssetRegistrationWithResponse(ctx, objection("补充异议"))).want(r, 200)

	r.valuations(ctx, operator, orgAdmin, requesterAdmin, anonymous, product, requesterOrg)
}

// assetProduct writes a product of the institution's resource delivered
// in a zone and submits it for listing: registrable while it is reviewed.
func (r *apiRun) assetProduct(ctx context.Context, editor *apiclient.ClientWithResponses, orgID, resource string) string {
	t := r.t
	participants := got(editor.ListExchangeParticipantsWithResponse(ctx, &apiclient.ListExchangeParticipantsParams{
		Role: ptr(apiclient.ListExchangeParticipantsParamsRoleProvider)})).want(r, 200).JSON200
	provider := ""
	for _, p := range *participants.Items {
		if p.OrgId == orgID {
			provider = p.Id
		}
	}
	profile := got(editor.CreateDeidProfileWithResponse(ctx, resource, jsonBody[apiclient.CreateDeidProfileJSONRequestBody](t,
		`{"name":"资产样例","profile":{"columns":{"stop_name":{"op":"mask","keep_first":1}}}}`))).want(r, 201)
	p := got(editor.CreateExchangeProductWithResponse(ctx, jsonBody[apiclient.CreateExchangeProductJSONRequestBody](t,
		`{"provider_id":"`+provider+`","title":"公交客流时空指数","description":"专区内按线路和小时计算的客流指数","use_scenarios":["线网优化"],
		  "source":"self_collected","legal_basis":"《京华市公共数据管理办法》","resource_ids":["`+resource+`"],"sample_deid_profile":"`+idOf(t, profile.Body)+`","delivery":["zone"],
		  "price":{"model":"one_off","amount_fen":5000000},"offer":{"id":"","policy":{"purposes":["线网优化"]},"period_days":365,
		  "onward_transfer":false,"auto_agree":false}}`))).want(r, 201).JSON201
	got(editor.SubmitExchangeProductWithResponse(ctx, p.Id, jsonBody[apiclient.SubmitExchangeProductJSONRequestBody](t, `{}`))).want(r, 200)
	return p.Id
}

// valuations admits the requesting institution as an assessor and files
// a valuation of product by it: a missing input first (422), then a
// complete one.
func (r *apiRun) valuations(ctx context.Context, operator, orgAdmin, requesterAdmin, anonymous *apiclient.ClientWithResponses, product, requesterOrg string) {
	t := r.t
	uscc := got(operator.GetOrganizationWithResponse(ctx, requesterOrg)).want(r, 200).JSON200.Uscc
	app := got(requesterAdmin.ApplyExchangeParticipantWithResponse(ctx, jsonBody[apiclient.ApplyExchangeParticipantJSONRequestBody](t,
		`{"org_id":"`+requesterOrg+`","uscc":"`+uscc+`","legal_representative":"周文","contact_name":"评估部","contact_phone":"010-87654321",
		  "contact_email":"pg@example.cn","roles":["assessor"]}`))).want(r, 201).JSON201
	got(operator.ReviewExchangeApplicationWithResponse(ctx, app.Id, jsonBody[apiclient.ReviewExchangeApplicationJSONRequestBody](t,
		`{"decision":"approve","comment":"评估资质齐全"}`))).want(r, 200)
	body := func(cost string) apiclient.FileAssetValuationJSONRequestBody {
		return jsonBody[apiclient.FileAssetValuationJSONRequestBody](t, `{"product_id":"`+product+`","method":"cost","base_date":"2026-06-30",
		  "purpose":"数据资产入表","cost":`+cost+`,"assumptions":["持续经营","数据来源合法且持续可得"],
		  "report":{"name":"评估报告.pdf","content":"JVBERi0xLjcgcmVwb3J0"}}`)
	}
	bad := got(requesterAdmin.FileAssetValuationWithResponse(ctx, body(`{"collection_fen":100000,"processing_fen":50000}`))).want(r, 422)
	if !strings.Contains(string(bad.Body), "body.cost.storage_fen") {
		t.Errorf("the missing input is not named: %s", excerpt(string(bad.Body)))
	}
	v := got(requesterAdmin.FileAssetValuationWithResponse(ctx, body(`{"collection_fen":100000,"processing_fen":50000,"storage_fen":25000,
		"profit_rate_bp":1000,"depreciation_rate_bp":2000}`))).want(r, 201).JSON201
	if v.ValueFen != 154000 || v.Computation == nil || len(*v.Computation) != 4 {
		t.Errorf("valuation: %d fen, computation %v", v.ValueFen, v.Computation)
	}
	got(orgAdmin.ListAssetValuationsWithResponse(ctx, &apiclient.ListAssetValuationsParams{ProductId: ptr(product)})).want(r, 200)
	got(orgAdmin.GetAssetValuationWithResponse(ctx, v.Id)).want(r, 200)
	got(anonymous.GetAssetValuationWithResponse(ctx, v.Id)).want(r, 401)
}
