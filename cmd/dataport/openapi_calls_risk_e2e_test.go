package main

import (
	"context"
	"slices"
	"time"

	"dataport/internal/web/api/apiclient"
)

// risk calls the exchange's risk warning operations as the platform
// operator (exchange staff), after trade read past the count of contract:
// the access point stopped that read, and the read raised the usage alert
// about the contract, its product and parties. The operator reads the
// rules and their variables, is refused a rule whose expression does not
// compile, adds and changes one; takes the alert in hand, suspends its
// product (a participant the alert is not about is refused) and closes it
// with a note. A company reads no alert and no rule.
func (r *apiRun) risk(ctx context.Context, operator, company *apiclient.ClientWithResponses, contract string) {
	t := r.t
	rules := got(operator.ListRiskRulesWithResponse(ctx)).want(r, 200).JSON200.Items
	if rules == nil || !slices.ContainsFunc(*rules, func(x apiclient.AlertRule) bool { return x.Name == "circular_trade" && x.Builtin }) {
		t.Errorf("the seeded rules lack circular_trade: %+v", rules)
	}
	got(company.ListRiskRulesWithResponse(ctx)).want(r, 403)
	got(operator.ListRiskRuleVariablesWithResponse(ctx)).want(r, 200)
	got(operator.CreateRiskRuleWithResponse(ctx, jsonBody[apiclient.CreateRiskRuleJSONRequestBody](t,
		`{"name":"related_party_trade","title":"关联方之间的交易","on":"trade","expr":"trade.relatd","severity":"low","queue":"related","enabled":true}`))).
		want(r, 422)
	rule := got(operator.CreateRiskRuleWithResponse(ctx, jsonBody[apiclient.CreateRiskRuleJSONRequestBody](t,
		`{"name":"related_party_trade","title":"关联方之间的交易","on":"trade","expr":"trade.related","severity":"low","queue":"related","enabled":true}`))).
		want(r, 201).JSON201
	got(operator.GetRiskRuleWithResponse(ctx, rule.Id)).want(r, 200)
	got(operator.UpdateRiskRuleWithResponse(ctx, rule.Id, jsonBody[apiclient.UpdateRiskRuleJSONRequestBody](t,
		`{"name":"related_party_trade","title":"关联方之间的交易","on":"trade","expr":"trade.related && trade.amount_fen > 0","severity":"medium","queue":"related","enabled":true}`))).
		want(r, 200)

	params := &apiclient.ListRiskAlertsParams{Rule: ptr("usage_exceeded"), SubjectId: ptr(contract)}
	var alerts []apiclient.Alert
	for deadline := time.Now().Add(10 * time.Second); len(alerts) == 0 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if items := got(operator.ListRiskAlertsWithResponse(ctx, params)).want(r, 200).JSON200.Items; items != nil {
			alerts = *items
		}
	}
	if len(alerts) != 1 || alerts[0].Queue != "usage" || alerts[0].Subjects.ProductIds == nil || len(*alerts[0].Subjects.ProductIds) != 1 {
		t.Fatalf("a read past the contract's count raised %+v, want one usage alert about the contract", alerts)
	}
	a := alerts[0]
	got(company.ListRiskAlertsWithResponse(ctx, nil)).want(r, 403)
	got(operator.GetRiskAlertWithResponse(ctx, a.Id)).want(r, 200)
	got(operator.AcknowledgeRiskAlertWithResponse(ctx, a.Id, jsonBody[apiclient.AcknowledgeRiskAlertJSONRequestBody](t,
		`{"note":"核查买方调用记录"}`))).want(r, 200)
	got(operator.SuspendFromRiskAlertWithResponse(ctx, a.Id, jsonBody[apiclient.SuspendFromRiskAlertJSONRequestBody](t,
		`{"target":"participant","target_id":"`+rule.Id+`","reason":"超量调用"}`))).want(r, 422)
	suspended := got(operator.SuspendFromRiskAlertWithResponse(ctx, a.Id, jsonBody[apiclient.SuspendFromRiskAlertJSONRequestBody](t,
		`{"target":"product","target_id":"`+(*a.Subjects.ProductIds)[0]+`","reason":"超出合同约定用量，暂停挂牌待核查"}`))).want(r, 200).JSON200
	if suspended.Actions == nil || len(*suspended.Actions) != 1 {
		t.Errorf("the suspension is not recorded on the alert: %+v", suspended.Actions)
	}
	got(operator.CloseRiskAlertWithResponse(ctx, a.Id, jsonBody[apiclient.CloseRiskAlertJSONRequestBody](t,
		`{"note":"买方超量调用被拒，产品已暂停"}`))).want(r, 200)
	got(operator.CloseRiskAlertWithResponse(ctx, a.Id, jsonBody[apiclient.CloseRiskAlertJSONRequestBody](t,
		`{"note":"再次关闭"}`))).want(r, 409)
}
