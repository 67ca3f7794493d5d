package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strings"

	"dataport/internal/web/api/apiclient"
)

// trade calls the exchange's trading operations, after exchange admitted
// the institution orgID as a provider (the demo admitted the company
// companyOrg as a buyer, and the law firm lawOrg). The institution's editor
// lists a product on resource that agrees automatically (two fields, three
// reads, 30 days), double vetted by the operator and the law firm
// (lawyer); the company orders it
// (agreed at once), verifies (FINALIZED, the delivery grant) and reads the
// rows with a transfer's short-lived key, within the contract's fields and
// no more than its count; the institution's admin suspends the transfer
// (the key stops), the company resumes and completes it; an order asking
// more than the offer waits in the provider's queue, is counter-offered,
// accepted, agreed and terminated; the contract is downloaded as its
// canonical JSON, settled and rated. It returns the finalized contract.
func (r *apiRun) trade(ctx context.Context, operator, editor, orgAdmin, company, lawyer, requesterAdmin *apiclient.ClientWithResponses,
	orgID, companyOrg, lawOrg, resource string) string {
	t := r.t
	product := r.tradedProduct(ctx, operator, editor, lawyer, orgID, lawOrg, resource)

	order := func(body string) *apiclient.Negotiation {
		return got(company.RequestExchangeNegotiationWithResponse(ctx, jsonBody[apiclient.RequestExchangeNegotiationJSONRequestBody](t,
			body))).want(r, 201).JSON201
	}
	got(company.RequestExchangeNegotiationWithResponse(ctx, jsonBody[apiclient.RequestExchangeNegotiationJSONRequestBody](t,
		`{"product_id":"`+product+`","purpose":""}`))).want(r, 422)
	n := order(`{"product_id":"` + product + `","buyer_org_id":"` + companyOrg + `","purpose":"线路规划"}`)
	if n.State != "AGREED" || n.ContractId == nil {
		t.Fatalf("an order matching the offer: %+v, want AGREED with a contract", n)
	}
	contract := *n.ContractId
	got(company.ListExchangeNegotiationsWithResponse(ctx, &apiclient.ListExchangeNegotiationsParams{
		Side: ptr(apiclient.ListExchangeNegotiationsParamsSideBuyer)})).want(r, 200)
	got(company.GetExchangeNegotiationWithResponse(ctx, n.Id)).want(r, 200)
	got(requesterAdmin.GetExchangeNegotiationWithResponse(ctx, n.Id)).want(r, 404)
	n = got(company.VerifyExchangeNegotiationWithResponse(ctx, n.Id)).want(r, 200).JSON200
	if n.State != "FINALIZED" {
		t.Fatalf("after verification: %s", n.State)
	}
	got(company.VerifyExchangeNegotiationWithResponse(ctx, n.Id)).want(r, 409)

	r.queuedOrder(ctx, orgAdmin, company, order(`{"product_id":"`+product+`","purpose":"线路规划","period_days":60}`))
	r.tradeContract(ctx, company, contract)
	r.tradeTransfer(ctx, orgAdmin, company, contract, resource)

	got(orgAdmin.SettleExchangeContractWithResponse(ctx, contract)).want(r, 201)
	got(company.GetExchangeSettlementWithResponse(ctx, contract)).want(r, 200)
	got(company.RateExchangeContractWithResponse(ctx, contract, jsonBody[apiclient.RateExchangeContractJSONRequestBody](t,
		`{"stars":5,"comment":"字段清楚，更新及时"}`))).want(r, 201)
	got(company.RateExchangeContractWithResponse(ctx, contract, jsonBody[apiclient.RateExchangeContractJSONRequestBody](t,
		`{"stars":4}`))).want(r, 409)
	got(orgAdmin.GetExchangeRatingWithResponse(ctx, contract)).want(r, 200)
	return contract
}

// tradedProduct lists the institution's product for trading, vetted by
// the operator and the law firm (lawyer, of lawOrg), and returns its id.
func (r *apiRun) tradedProduct(ctx context.Context, operator, editor, lawyer *apiclient.ClientWithResponses, orgID, lawOrg, resource string) string {
	t := r.t
	provider, firm := r.participantOf(ctx, operator, apiclient.ListExchangeParticipantsParamsRoleProvider, orgID),
		r.participantOf(ctx, operator, apiclient.ListExchangeParticipantsParamsRoleLawFirm, lawOrg)
	profile := got(editor.CreateDeidProfileWithResponse(ctx, resource, jsonBody[apiclient.CreateDeidProfileJSONRequestBody](t,
		`{"name":"交易样例","profile":{"columns":{"stop_name":{"op":"mask","keep_first":1}}}}`))).want(r, 201)
	p := got(editor.CreateExchangeProductWithResponse(ctx, jsonBody[apiclient.CreateExchangeProductJSONRequestBody](t,
		`{"provider_id":"`+provider+`","title":"公交站点日均上车人次（交易）","description":"按站点的日均上车人次","use_scenarios":["线路规划"],
		  "source":"self_collected","source_note":"公交运营系统采集","legal_basis":"《京华市公共数据管理办法》","resource_ids":["`+resource+`"],
		  "sample_deid_profile":"`+idOf(t, profile.Body)+`","delivery":["api","file"],"price":{"model":"one_off","amount_fen":50000},
		  "offer":{"id":"","policy":{"purposes":["线路规划"],"fields":["stop_name","boardings"],"max_calls":3},"period_days":30,
		    "onward_transfer":false,"auto_agree":true}}`))).want(r, 201).JSON201
	l := got(editor.SubmitExchangeProductWithResponse(ctx, p.Id, jsonBody[apiclient.SubmitExchangeProductJSONRequestBody](t,
		`{"law_firm_id":"`+firm+`"}`))).want(r, 200).JSON200
	checklist := `{"items":{"provider_identity":true,"description_accurate":true,"delivery_price_clear":true,"source_lawful":true,
	  "personal_information":true,"no_core_data":true,"legal_basis":true,"rights_clear":true,"scenarios_lawful":true,
	  "policy_controllable":true,"sample_deidentified":true},"note":"逐项核验"}`
	for _, c := range []*apiclient.ClientWithResponses{operator, lawyer} {
		got(c.SubmitExchangeListingChecklistWithResponse(ctx, l.Id, jsonBody[apiclient.SubmitExchangeListingChecklistJSONRequestBody](t, checklist))).want(r, 200)
		got(c.ReviewExchangeListingWithResponse(ctx, l.Id, jsonBody[apiclient.ReviewExchangeListingJSONRequestBody](t,
			`{"decision":"approve","comment":"符合挂牌条件"}`))).want(r, 200)
	}
	return p.Id
}

// queuedOrder takes an order that asks more than the offer through the
// provider's queue: counter-offer, acceptance, agreement, termination.
func (r *apiRun) queuedOrder(ctx context.Context, orgAdmin, company *apiclient.ClientWithResponses, n *apiclient.Negotiation) {
	t := r.t
	if n.State != "REQUESTED" {
		t.Fatalf("an order asking a longer period than the offer: %s, want REQUESTED", n.State)
	}
	queue := got(orgAdmin.ListExchangeNegotiationsWithResponse(ctx, &apiclient.ListExchangeNegotiationsParams{
		Side: ptr(apiclient.ListExchangeNegotiationsParamsSideQueue)})).want(r, 200).JSON200
	if !slices.ContainsFunc(*queue.Items, func(q apiclient.Negotiation) bool { return q.Id == n.Id }) {
		t.Errorf("the provider's queue lacks the order: %+v", *queue.Items)
	}
	got(company.AgreeExchangeNegotiationWithResponse(ctx, n.Id)).want(r, 403)
	n = got(orgAdmin.OfferExchangeNegotiationWithResponse(ctx, n.Id, jsonBody[apiclient.OfferExchangeNegotiationJSONRequestBody](t,
		`{"policy":{"purposes":["线路规划"],"fields":["stop_name"],"max_calls":2},"period_days":30}`))).want(r, 200).JSON200
	got(company.AcceptExchangeNegotiationWithResponse(ctx, n.Id)).want(r, 200)
	if n = got(orgAdmin.AgreeExchangeNegotiationWithResponse(ctx, n.Id)).want(r, 200).JSON200; n.State != "AGREED" {
		t.Errorf("after agreement: %s", n.State)
	}
	got(company.TerminateExchangeNegotiationWithResponse(ctx, n.Id, jsonBody[apiclient.TerminateExchangeNegotiationJSONRequestBody](t,
		`{"code":"budget","reason":"预算取消"}`))).want(r, 200)
}

// tradeContract reads the contract and downloads its canonical JSON,
// whose SHA-256 is the contract's hash and the one in Repr-Digest.
func (r *apiRun) tradeContract(ctx context.Context, company *apiclient.ClientWithResponses, id string) {
	t := r.t
	got(company.ListExchangeContractsWithResponse(ctx, &apiclient.ListExchangeContractsParams{
		Side: ptr(apiclient.ListExchangeContractsParamsSideBuyer)})).want(r, 200)
	c := got(company.GetExchangeContractWithResponse(ctx, id)).want(r, 200).JSON200
	doc := got(company.GetExchangeContractDocumentWithResponse(ctx, id)).want(r, 200)
	sum := sha256.Sum256(doc.Body)
	if hex.EncodeToString(sum[:]) != c.Hash || doc.HTTPResponse.Header.Get("Repr-Digest") != "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":" {
		t.Errorf("contract document %s: hash %s, Repr-Digest %q", excerpt(string(doc.Body)), c.Hash, doc.HTTPResponse.Header.Get("Repr-Digest"))
	}
	if c.ReceiptEventId == "" || !strings.HasSuffix(c.ReceiptUrl, c.ReceiptEventId) {
		t.Errorf("contract receipt: %q %q", c.ReceiptEventId, c.ReceiptUrl)
	}
}

// tradeTransfer starts a transfer and reads the rows with its data
// address's key: the contract's two fields only, three reads at most; a
// suspended transfer's key stops working.
func (r *apiRun) tradeTransfer(ctx context.Context, orgAdmin, company *apiclient.ClientWithResponses, contract, resource string) {
	t := r.t
	tr := got(company.RequestExchangeTransferWithResponse(ctx, contract, jsonBody[apiclient.RequestExchangeTransferJSONRequestBody](t,
		`{"format":"HttpData-PULL"}`))).want(r, 201).JSON201
	if tr.State != "STARTED" {
		t.Fatalf("an HttpData-PULL transfer: %s, want STARTED", tr.State)
	}
	got(company.ListExchangeTransfersWithResponse(ctx, contract)).want(r, 200)
	got(orgAdmin.GetExchangeTransferWithResponse(ctx, tr.Id)).want(r, 200)
	address := func() string {
		a := got(company.IssueExchangeDataAddressWithResponse(ctx, tr.Id)).want(r, 200).JSON200
		if !strings.HasSuffix(a.Endpoint, "/api/v1/resources/"+resource+"/rows") || a.Header != "X-Dataport-Key" {
			t.Errorf("data address: %+v", a)
		}
		return a.Token
	}
	read := func(key string, want int) {
		t.Helper()
		rows := got(r.clientWith("X-Dataport-Key", key).ListRowsWithResponse(ctx, resource, &apiclient.ListRowsParams{Limit: ptr(int64(5))})).want(r, want)
		if want != 200 {
			return
		}
		var names []string
		for _, f := range *rows.JSON200.Fields {
			if !strings.HasPrefix(f.Id, "_") { // the row's own id
				names = append(names, f.Id)
			}
		}
		if slices.Sort(names); !slices.Equal(names, []string{"boardings", "stop_name"}) || len(*rows.JSON200.Rows) == 0 {
			t.Errorf("rows under the contract: fields %v, %d rows; want the contract's two fields", names, len(*rows.JSON200.Rows))
		}
	}
	key := address()
	read(key, 200)
	read(key, 200)
	got(orgAdmin.SuspendExchangeTransferWithResponse(ctx, tr.Id, jsonBody[apiclient.SuspendExchangeTransferJSONRequestBody](t,
		`{"code":"maintenance","reason":"系统维护"}`))).want(r, 200)
	read(key, 403)
	got(company.ResumeExchangeTransferWithResponse(ctx, tr.Id, jsonBody[apiclient.ResumeExchangeTransferJSONRequestBody](t, `{}`))).want(r, 200)
	key = address()
	read(key, 200)
	read(key, 403) // a fourth read under a contract of three
	got(company.CompleteExchangeTransferWithResponse(ctx, tr.Id, jsonBody[apiclient.CompleteExchangeTransferJSONRequestBody](t, `{}`))).want(r, 200)
	other := got(company.RequestExchangeTransferWithResponse(ctx, contract, jsonBody[apiclient.RequestExchangeTransferJSONRequestBody](t,
		`{}`))).want(r, 201).JSON201
	got(company.TerminateExchangeTransferWithResponse(ctx, other.Id, jsonBody[apiclient.TerminateExchangeTransferJSONRequestBody](t,
		`{"reason":"重复请求"}`))).want(r, 200)
}
