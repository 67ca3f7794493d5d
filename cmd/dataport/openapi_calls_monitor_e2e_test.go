package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"dataport/internal/web/api/apiclient"
)

// monitor calls the security monitoring operations on the demo, whose
// synthetic activity raised one alert of each default rule: the regulator
// lists them (each with its rule, severity, state, subject, time and the
// sealed events of its evidence) and reads one, but moves nothing; the
// security officer reads the rules and their variables, is refused a rule
// whose YAML is wrong (naming its line), adds one and changes it, then
// acknowledges the repeated-denials alert, gives it an owner (a public
// user is refused as owner) and closes it as a true positive; a closed
// alert is not acknowledged again. An institution's admin sees nothing.
func (r *apiRun) monitor(ctx context.Context, security, regulator, orgAdmin, anonymous *apiclient.ClientWithResponses) {
	t := r.t
	list := got(regulator.ListMonitorAlertsWithResponse(ctx, &apiclient.ListMonitorAlertsParams{Limit: ptr(int64(50))})).want(r, 200).JSON200
	var rules []string
	for _, a := range *list.Items {
		rules = append(rules, a.Rule)
		if a.Evidence == nil || len(*a.Evidence) == 0 || a.Subject == "" || a.CreatedAt.IsZero() {
			t.Errorf("alert %s of %s: %+v", a.Id, a.Rule, a)
		}
	}
	for _, code := range []string{"bulk_download", "off_hours", "volume_spike", "repeated_denials", "credential_stuffing", "lapsed_grant", "reid_qi"} {
		if !slices.Contains(rules, code) {
			t.Errorf("the demo raised no %s alert: %v", code, rules)
		}
	}
	got(orgAdmin.ListMonitorAlertsWithResponse(ctx, nil)).want(r, 403)
	got(anonymous.ListMonitorAlertsWithResponse(ctx, nil)).want(r, 401)
	denials := got(regulator.ListMonitorAlertsWithResponse(ctx, &apiclient.ListMonitorAlertsParams{Rule: ptr("repeated_denials"),
		State: ptr(apiclient.ListMonitorAlertsParamsStateNew)})).want(r, 200).JSON200
	if len(*denials.Items) != 1 {
		t.Fatalf("new repeated_denials alerts: %+v", denials.Items)
	}
	id := (*denials.Items)[0].Id
	full := got(regulator.GetMonitorAlertWithResponse(ctx, id)).want(r, 200).JSON200
	if full.Evidence == nil || len(*full.Evidence) == 0 || (*full.Evidence)[0].Receipt == nil ||
		!strings.HasPrefix(*(*full.Evidence)[0].Receipt, "/api/v1/ledger/receipts/") {
		t.Errorf("the alert's evidence: %+v", full.Evidence)
	}
	got(regulator.AcknowledgeMonitorAlertWithResponse(ctx, id, jsonBody[apiclient.AcknowledgeMonitorAlertJSONRequestBody](t, `{}`))).want(r, 403)

	all := got(security.ListMonitorRulesWithResponse(ctx)).want(r, 200).JSON200
	if all.Items == nil || len(*all.Items) < 7 {
		t.Errorf("rules: %+v", all.Items)
	}
	got(security.ListMonitorRuleVariablesWithResponse(ctx)).want(r, 200)
	bad := got(security.CreateMonitorRuleWithResponse(ctx, jsonBody[apiclient.CreateMonitorRuleJSONRequestBody](t,
		`{"body":"code: many_downloads\nname_zh: 下载过多\nname_en: Many downloads\nseverity: low\nsource: decision\nwhere: action == download\n"}`))).
		want(r, 422).ApplicationproblemJSON422
	if raw, _ := json.Marshal(bad); !strings.Contains(string(raw), "line 6") {
		t.Errorf("a where condition naming no variable: %s", raw)
	}
	body := "code: many_downloads\nname_zh: 下载过多\nname_en: Many downloads\nseverity: low\nsource: decision\nwhere: action == \"download\"\n" +
		"correlate:\n  type: count\n  group_by: [subject]\n  window: 1h\n  threshold: 50\n"
	created := got(security.CreateMonitorRuleWithResponse(ctx, jsonBody[apiclient.CreateMonitorRuleJSONRequestBody](t,
		`{"body":`+quoteJSON(body)+`}`))).want(r, 201).JSON201
	got(regulator.GetMonitorRuleWithResponse(ctx, created.Id)).want(r, 200)
	changed := got(security.UpdateMonitorRuleWithResponse(ctx, "many_downloads", jsonBody[apiclient.UpdateMonitorRuleJSONRequestBody](t,
		`{"body":`+quoteJSON(strings.Replace(body, "threshold: 50", "threshold: 100", 1))+`}`))).want(r, 200).JSON200
	if !strings.Contains(changed.Body, "threshold: 100") {
		t.Errorf("the changed rule: %s", changed.Body)
	}

	me := got(security.GetMeWithResponse(ctx)).want(r, 200).JSON200
	got(security.AcknowledgeMonitorAlertWithResponse(ctx, id, jsonBody[apiclient.AcknowledgeMonitorAlertJSONRequestBody](t,
		`{"note":"核查该账号的访问记录"}`))).want(r, 200)
	owner := got(orgAdmin.GetMeWithResponse(ctx)).want(r, 200).JSON200
	got(security.AssignMonitorAlertWithResponse(ctx, id, jsonBody[apiclient.AssignMonitorAlertJSONRequestBody](t,
		`{"owner_user_id":`+quoteJSON(owner.Id)+`}`))).want(r, 422)
	got(security.AssignMonitorAlertWithResponse(ctx, id, jsonBody[apiclient.AssignMonitorAlertJSONRequestBody](t,
		`{"owner_user_id":`+quoteJSON(me.Id)+`}`))).want(r, 200)
	closed := got(security.CloseMonitorAlertWithResponse(ctx, id, jsonBody[apiclient.CloseMonitorAlertJSONRequestBody](t,
		`{"outcome":"true_positive","note":"确认为越权探测，已约谈"}`))).want(r, 200).JSON200
	if closed.State != apiclient.MonitorAlertStateClosedTrue || closed.OwnerUserId == nil || *closed.OwnerUserId != me.Id {
		t.Errorf("the closed alert: %s, owner %v", closed.State, closed.OwnerUserId)
	}
	got(security.AcknowledgeMonitorAlertWithResponse(ctx, id, jsonBody[apiclient.AcknowledgeMonitorAlertJSONRequestBody](t, `{}`))).want(r, 409)
}

// quoteJSON is s as a JSON string.
func quoteJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
