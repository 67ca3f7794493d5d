package main

import (
	"bytes"
	"context"

	"dataport/internal/ledger"
	"dataport/internal/web/api/apiclient"
)

// disputes calls the dispute operations on the finalized contract between
// the institution (orgAdmin) and the company: the contract's evidence
// bundle for the company, 404 for an outsider; the company's claim, which
// the operator mediates and the admin (another of the exchange's staff)
// takes to arbitration and decides; the dispute's record and its attached
// evidence, both verifying offline; the institution's own claim, a second
// one refused, withdrawn.
func (r *apiRun) disputes(ctx context.Context, admin, operator, orgAdmin, company, requesterAdmin, anonymous *apiclient.ClientWithResponses,
	contract string) {
	t := r.t
	verifies := func(what string, b []byte) {
		t.Helper()
		if rep, err := ledger.VerifyBundle(bytes.NewReader(b), int64(len(b)), nil); err != nil {
			t.Errorf("%s does not verify: %v %v", what, err, rep.Problems)
		}
	}
	verifies("the contract's evidence", got(company.GetExchangeContractEvidenceWithResponse(ctx, contract)).want(r, 200).Body)
	got(requesterAdmin.GetExchangeContractEvidenceWithResponse(ctx, contract)).want(r, 404)

	open := func(c *apiclient.ClientWithResponses, body string) reply[*apiclient.OpenExchangeDisputeResponse] {
		return got(c.OpenExchangeDisputeWithResponse(ctx, contract, jsonBody[apiclient.OpenExchangeDisputeJSONRequestBody](t, body)))
	}
	open(company, `{"claim":" "}`).want(r, 422)
	d := open(company, `{"claim":"交付的字段少于合同约定，请求退还部分价款。"}`).want(r, 201).JSON201
	got(anonymous.ListExchangeDisputesWithResponse(ctx, nil)).want(r, 401)
	got(operator.ListExchangeDisputesWithResponse(ctx, &apiclient.ListExchangeDisputesParams{
		Status: ptr(apiclient.ListExchangeDisputesParamsStatusOpen)})).want(r, 200)
	got(requesterAdmin.GetExchangeDisputeWithResponse(ctx, d.Id)).want(r, 404)
	got(company.MediateExchangeDisputeWithResponse(ctx, d.Id, jsonBody[apiclient.MediateExchangeDisputeJSONRequestBody](t,
		`{"note":"自行调解"}`))).want(r, 403)
	got(operator.MediateExchangeDisputeWithResponse(ctx, d.Id, jsonBody[apiclient.MediateExchangeDisputeJSONRequestBody](t,
		`{"note":"约双方线上调解"}`))).want(r, 200)
	got(admin.EscalateExchangeDisputeWithResponse(ctx, d.Id, jsonBody[apiclient.EscalateExchangeDisputeJSONRequestBody](t,
		`{"reasons":"调解未达成一致"}`))).want(r, 200)
	got(operator.DecideExchangeDisputeWithResponse(ctx, d.Id, jsonBody[apiclient.DecideExchangeDisputeJSONRequestBody](t,
		`{"outcome":"upheld","reasons":"由调解员裁决"}`))).want(r, 403)
	got(admin.DecideExchangeDisputeWithResponse(ctx, d.Id, jsonBody[apiclient.DecideExchangeDisputeJSONRequestBody](t,
		`{"outcome":"partly_upheld","reasons":"字段缺失属实，退还三成价款。"}`))).want(r, 200)
	if decided := got(orgAdmin.GetExchangeDisputeWithResponse(ctx, d.Id)).want(r, 200).JSON200; decided.Status != "decided" ||
		decided.Steps == nil || len(*decided.Steps) != 4 {
		t.Errorf("the dispute after the award: %+v", decided)
	}
	verifies("the dispute's record", got(company.GetExchangeDisputeBundleWithResponse(ctx, d.Id)).want(r, 200).Body)
	verifies("the dispute's evidence", got(orgAdmin.GetExchangeDisputeEvidenceWithResponse(ctx, d.Id)).want(r, 200).Body)

	own := open(orgAdmin, `{"claim":"买方超出约定用途使用数据。"}`).want(r, 201).JSON201
	open(orgAdmin, `{"claim":"再次申请"}`).want(r, 409)
	got(company.WithdrawExchangeDisputeWithResponse(ctx, own.Id, jsonBody[apiclient.WithdrawExchangeDisputeJSONRequestBody](t,
		`{}`))).want(r, 403)
	got(orgAdmin.WithdrawExchangeDisputeWithResponse(ctx, own.Id, jsonBody[apiclient.WithdrawExchangeDisputeJSONRequestBody](t,
		`{"reason":"已与买方协商解决"}`))).want(r, 200)
}
