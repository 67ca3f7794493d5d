package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"dataport/internal/store"
	"dataport/internal/web/api/apiclient"
)

// incidentClients are the demo accounts the incident calls act as.
type incidentClients struct {
	security, orgAdmin, editor, outsider, regulator, anonymous *apiclient.ClientWithResponses
}

// incidents calls the incident operations on the demo: the unit's admin
// names its responsible person (itself) and chief data officer (the
// editor), refused for another unit's admin; the editor records a major
// leak discovered an hour ago, whose report is due 4 hours and notice 48
// hours after the discovery; a level change recomputes them; a task, the
// containment, the report and the notice (each naming the counts, byte for
// byte as their sealed hashes say), the review and the closing. Another
// unit sees nothing, anonymous callers are refused, and an alert that does
// not exist cannot become an incident. It returns the incident's id.
func (r *apiRun) incidents(ctx context.Context, c incidentClients, orgID string) string {
	t := r.t
	me := func(cl *apiclient.ClientWithResponses) string {
		return got(cl.GetMeWithResponse(ctx)).want(r, 200).JSON200.Id
	}
	adminID, editorID, outsiderID := me(c.orgAdmin), me(c.editor), me(c.outsider)
	officers := func(cl *apiclient.ClientWithResponses, body string) reply[*apiclient.SetOrganizationOfficersResponse] {
		return got(cl.SetOrganizationOfficersWithResponse(ctx, orgID, jsonBody[apiclient.SetOrganizationOfficersJSONRequestBody](t, body)))
	}
	officers(c.orgAdmin, fmt.Sprintf(`{"responsible_user_id":%q}`, outsiderID)).want(r, 422)
	officers(c.outsider, fmt.Sprintf(`{"responsible_user_id":%q}`, outsiderID)).want(r, 403)
	if org := officers(c.orgAdmin, fmt.Sprintf(`{"responsible_user_id":%q,"chief_data_officer_user_id":%q}`, adminID, editorID)).
		want(r, 200).JSON200; org.ResponsibleUserId != adminID || org.ChiefDataOfficerUserId != editorID {
		t.Errorf("officers: %+v", org)
	}

	got(c.anonymous.ListIncidentsWithResponse(ctx, nil)).want(r, 401)
	discovered := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	body := fmt.Sprintf(`{"org_id":%q,"title":"人口信息导出接口越权访问","kind":"leak","level":"major","cause":"导出接口未校验授权范围。",
		"measures":"已下线导出接口。","advice":"请警惕冒充政府部门的来电。","records_affected":48213,"persons_affected":15204,
		"discovered_at":%q}`, orgID, discovered.Format(time.RFC3339))
	open := func(cl *apiclient.ClientWithResponses, b string) reply[*apiclient.OpenIncidentResponse] {
		return got(cl.OpenIncidentWithResponse(ctx, jsonBody[apiclient.OpenIncidentJSONRequestBody](t, b)))
	}
	open(c.editor, strings.Replace(body, `"level":"major"`, `"level":"huge"`, 1)).want(r, 422)
	open(c.outsider, body).want(r, 403)
	inc := open(c.editor, body).want(r, 201).JSON201
	if !inc.ReportDue.Equal(discovered.Add(4*time.Hour)) || inc.NotifyDue == nil || !inc.NotifyDue.Equal(discovered.Add(48*time.Hour)) {
		t.Errorf("deadlines of a major leak discovered at %v: report %v, notify %v", discovered, inc.ReportDue, inc.NotifyDue)
	}
	got(c.outsider.GetIncidentWithResponse(ctx, inc.Id)).want(r, 404)
	got(c.regulator.ListIncidentsWithResponse(ctx, &apiclient.ListIncidentsParams{State: ptr(apiclient.ListIncidentsParamsStateOpen)})).want(r, 200)
	got(c.security.OpenIncidentFromAlertWithResponse(ctx, "no-such-alert",
		jsonBody[apiclient.OpenIncidentFromAlertJSONRequestBody](t, body))).want(r, 404)

	serious := strings.Replace(body, `"level":"major"`, `"level":"serious"`, 1)
	upd := got(c.security.UpdateIncidentWithResponse(ctx, inc.Id, jsonBody[apiclient.UpdateIncidentJSONRequestBody](t, serious))).want(r, 200).JSON200
	if upd.NotifyDue == nil || !upd.NotifyDue.Equal(discovered.Add(24*time.Hour)) {
		t.Errorf("a serious leak's notice is due %v, want 24 h after the discovery", upd.NotifyDue)
	}
	task := got(c.editor.AddIncidentTaskWithResponse(ctx, inc.Id, jsonBody[apiclient.AddIncidentTaskJSONRequestBody](t,
		fmt.Sprintf(`{"title":"排查同类接口","owner_user_id":%q,"due_at":%q}`, editorID, time.Now().Add(24*time.Hour).UTC().Format(time.RFC3339))))).
		want(r, 201).JSON201
	got(c.editor.ContainIncidentWithResponse(ctx, inc.Id, jsonBody[apiclient.ContainIncidentJSONRequestBody](t, `{}`))).want(r, 200)
	r.incidentDocuments(ctx, c, inc.Id)
	got(c.editor.CloseIncidentWithResponse(ctx, inc.Id)).want(r, 409) // no review, the task open
	got(c.editor.CompleteIncidentTaskWithResponse(ctx, inc.Id, (*task.Tasks)[0].Id)).want(r, 200)
	got(c.orgAdmin.ReviewIncidentWithResponse(ctx, inc.Id, jsonBody[apiclient.ReviewIncidentJSONRequestBody](t,
		`{"summary":"接口上线前未做安全评审。","lessons":"导出接口纳入上线安全检查。"}`))).want(r, 200)
	closed := got(c.orgAdmin.CloseIncidentWithResponse(ctx, inc.Id)).want(r, 200).JSON200
	if closed.State != apiclient.IncidentBodyStateClosed || closed.DeadlineStates == nil || len(*closed.DeadlineStates) != 2 {
		t.Errorf("closed incident: %+v", closed)
	}
	for _, d := range *closed.DeadlineStates {
		if d.Status != apiclient.DeadlineViewStatusMet {
			t.Errorf("deadline %s: %s", d.Name, d.Status)
		}
	}
	return inc.Id
}

// incidentDocuments issues the report and the notice and reads each back
// in both forms: the bodies' SHA-256 are those the answer (and the event)
// give, and they name the counts of records and persons affected.
func (r *apiRun) incidentDocuments(ctx context.Context, c incidentClients, id string) {
	t := r.t
	issue := func(kind string) apiclient.Filing {
		return got(c.editor.IssueIncidentDocumentWithResponse(ctx, id, jsonBody[apiclient.IssueIncidentDocumentJSONRequestBody](t,
			`{"kind":"`+kind+`"}`))).want(r, 201).JSON201.Document
	}
	for _, doc := range []apiclient.Filing{issue("report"), issue("notice")} {
		for format, sum := range map[apiclient.GetIncidentDocumentParamsFormat]string{"html": doc.HtmlSha256, "text": doc.TextSha256} {
			res := got(c.regulator.GetIncidentDocumentWithResponse(ctx, id, doc.Id, &apiclient.GetIncidentDocumentParams{Format: &format})).
				want(r, 200)
			if store.SHA256Hex(string(res.Body)) != sum {
				t.Errorf("%s as %s is not the document sealed", doc.Kind, format)
			}
			for _, want := range []string{"48,213", "15,204"} {
				if !strings.Contains(string(res.Body), want) {
					t.Errorf("%s as %s does not name %s", doc.Kind, format, want)
				}
			}
		}
	}
}

// TestIncidentsEndToEnd works an incident on the real binary over HTTP,
// on SQLite and on PostgreSQL when DATAPORT_TEST_POSTGRES is set, and
// checks that every step is an incident.* event sealed by the ledger: each
// event of the incident gets its log index and a receipt.
func TestIncidentsEndToEnd(t *testing.T) {
	ledgerStores(t, func(t *testing.T, dataDir, dbURL string) {
		args := []string{"demo", "--data", dataDir}
		if dbURL != "" {
			args = append(args, "--db", dbURL)
		}
		s := start(t, args...)
		r := newAPIRun(t, s, servedDocument(t, s))
		accounts := s.accounts(t)
		token := func(name string) *apiclient.ClientWithResponses {
			b := newBrowser(t, s.url)
			b.login(name, accounts[name])
			return r.client(b.apiToken("incidents-e2e"))
		}
		editorName, _ := accountWithSuffix(t, accounts, ".editor")
		unit := strings.TrimSuffix(editorName, ".editor")
		var outsider string
		for name := range accounts {
			if strings.HasSuffix(name, ".admin") && name != unit+".admin" && (outsider == "" || name < outsider) {
				outsider = name
			}
		}
		c := incidentClients{security: token("security"), orgAdmin: token(unit + ".admin"), editor: token(editorName),
			outsider: token(outsider), regulator: token("regulator"), anonymous: r.client("")}
		ctx := context.Background()
		orgID := (*got(c.editor.GetMeWithResponse(ctx)).want(r, 200).JSON200.Memberships)[0].OrganizationId
		id := r.incidents(ctx, c, orgID)
		r.incidentSealed(ctx, c.security, id, []string{"incident.opened", "incident.updated", "incident.task_added", "incident.contained",
			"incident.document_issued", "incident.document_issued", "incident.task_done", "incident.reviewed", "incident.closed"})
		fromAlert := r.incidentFromAlert(ctx, s, c.security, orgID)
		r.incidentSealed(ctx, c.security, fromAlert, []string{"incident.opened"})
		incidentPages(t, s, accounts, id, orgID)
	})
}

// incidentFromAlert raises a credential stuffing alert with real failed
// sign-ins (ten accounts from this address), turns it into an incident
// and checks that its deadlines count from the alert's creation and that
// the alert is escalated to it. It returns the incident's id.
func (r *apiRun) incidentFromAlert(ctx context.Context, s *server, security *apiclient.ClientWithResponses, orgID string) string {
	t := r.t
	for i := range 10 {
		b := newBrowser(t, s.url)
		if status, _, _ := b.post("/login", url.Values{"csrf_token": {b.csrf("/login")}, "username": {fmt.Sprintf("nobody-%d", i)},
			"password": {"not-the-password"}}); status == http.StatusSeeOther {
			t.Fatal("signed in with a wrong password")
		}
	}
	var alert apiclient.MonitorAlertItem
	for deadline := time.Now().Add(30 * time.Second); alert.Id == ""; time.Sleep(200 * time.Millisecond) {
		list := got(security.ListMonitorAlertsWithResponse(ctx, &apiclient.ListMonitorAlertsParams{Rule: ptr("credential_stuffing"),
			State: ptr(apiclient.ListMonitorAlertsParamsStateNew)})).want(r, 200).JSON200
		if list.Items != nil && len(*list.Items) > 0 {
			alert = (*list.Items)[0]
		} else if time.Now().After(deadline) {
			t.Fatal("ten failed sign-ins from one address raised no credential stuffing alert")
		}
	}
	inc := got(security.OpenIncidentFromAlertWithResponse(ctx, alert.Id, jsonBody[apiclient.OpenIncidentFromAlertJSONRequestBody](t,
		fmt.Sprintf(`{"org_id":%q,"title":"撞库攻击","kind":"attack","level":"critical","records_affected":0,"persons_affected":10}`,
			orgID)))).want(r, 201).JSON201
	if inc.AlertId == nil || *inc.AlertId != alert.Id || !inc.DiscoveredAt.Equal(alert.CreatedAt) ||
		!inc.ReportDue.Equal(alert.CreatedAt.Add(4*time.Hour)) || inc.NotifyDue == nil || !inc.NotifyDue.Equal(alert.CreatedAt.Add(24*time.Hour)) {
		t.Errorf("incident from the alert created at %v: discovered %v, report due %v, notify due %v", alert.CreatedAt, inc.DiscoveredAt,
			inc.ReportDue, inc.NotifyDue)
	}
	after := got(security.GetMonitorAlertWithResponse(ctx, alert.Id)).want(r, 200).JSON200
	if after.State != apiclient.MonitorAlertStateEscalated || after.IncidentId == nil || *after.IncidentId != inc.Id {
		t.Errorf("the alert after: %s %v", after.State, after.IncidentId)
	}
	got(security.OpenIncidentFromAlertWithResponse(ctx, alert.Id, jsonBody[apiclient.OpenIncidentFromAlertJSONRequestBody](t,
		fmt.Sprintf(`{"org_id":%q,"title":"再次升级","kind":"attack","level":"critical"}`, orgID)))).want(r, 409)
	return inc.Id
}

// incidentPages works the incident pages in a browser session: the list
// shows the demo's incident in progress (its report met, its notice
// pending) and the API's incident; an incident recorded through the form
// gets its page with its deadlines; a refused form names the field; the
// closed incident's report is served as sealed, its stylesheet alone
// allowed; the organization page names the unit's responsible person.
func incidentPages(t *testing.T, s *server, accounts map[string]string, closedID, orgID string) {
	b := newBrowser(t, s.url)
	b.login("security", accounts["security"])
	status, list := b.get("/security/incidents")
	if status != 200 || !strings.Contains(list, "去标识化行政处罚数据被按准标识符精确筛选") || !strings.Contains(list, "人口信息导出接口越权访问") {
		t.Fatalf("the incidents' list: %d\n%s", status, excerpt(list))
	}
	form := url.Values{"csrf_token": {b.csrf("/security/incidents/new")}, "org_id": {orgID}, "title": {"备份磁带遗失"}, "kind": {"loss"},
		"level": {"general"}, "records_affected": {"1200"}, "persons_affected": {"0"}, "discovered_at": {time.Now().Add(-time.Hour).In(time.FixedZone("CST", 8*3600)).Format("2006-01-02T15:04")}}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("records_affected", "很多")
	if status, _, body := b.post("/security/incidents", bad); status != 422 || !strings.Contains(body, "field-records_affected") {
		t.Errorf("a refused form: %d\n%s", status, excerpt(body))
	}
	status, loc, body := b.post("/security/incidents", form)
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "/security/incidents/") {
		t.Fatalf("recording through the form: %d %q\n%s", status, loc, excerpt(body))
	}
	if status, page := b.get(loc); status != 200 || !strings.Contains(page, "备份磁带遗失") || !strings.Contains(page, `id="deadline-report"`) ||
		strings.Contains(page, `id="deadline-notify"`) {
		t.Errorf("the recorded incident's page: %d\n%s", status, excerpt(page))
	}
	status, page := b.get("/security/incidents/" + closedID)
	m := regexp.MustCompile(`href="(/security/incidents/[^/"]+/documents/[^"?]+)"`).FindStringSubmatch(page)
	if status != 200 || m == nil || !strings.Contains(page, `id="incident-timeline"`) {
		t.Fatalf("the closed incident's page: %d\n%s", status, excerpt(page))
	}
	docReq, _ := http.NewRequest(http.MethodGet, s.url+m[1], nil)
	for _, c := range b.c.Jar.Cookies(docReq.URL) {
		docReq.AddCookie(c)
	}
	res, err := b.c.Do(docReq)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if csp := res.Header.Get("Content-Security-Policy"); res.StatusCode != 200 || !strings.Contains(csp, "style-src 'sha256-") ||
		!strings.Contains(csp, "default-src 'none'") {
		t.Errorf("the document page: %d, CSP %q", res.StatusCode, csp)
	}
	if status, org := b.get("/organizations/" + orgID); status != 200 || !strings.Contains(org, `id="org-responsible"`) {
		t.Errorf("the organization page names no responsible person: %d", status)
	}
}

// incidentSealed waits (up to 30 s) for every event of incident id to be
// sealed, checks their types, oldest first, and fetches each receipt.
func (r *apiRun) incidentSealed(ctx context.Context, security *apiclient.ClientWithResponses, id string, want []string) {
	t := r.t
	var events []struct {
		ID, Type string
		Index    *int64
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		res := got(security.ListLedgerEventsWithResponse(ctx, &apiclient.ListLedgerEventsParams{Subject: ptr("incident:" + id)})).want(r, 200)
		var page struct {
			Items []struct {
				ID, Type string
				Index    *int64
			}
		}
		if err := json.Unmarshal(res.Body, &page); err != nil {
			t.Fatal(err)
		}
		events = page.Items
		sealed := !slices.ContainsFunc(events, func(e struct {
			ID, Type string
			Index    *int64
		}) bool {
			return e.Index == nil
		})
		if sealed || time.Now().After(deadline) {
			break
		}
	}
	var types []string
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		types = append(types, e.Type)
		if e.Index == nil {
			t.Errorf("%s %s is not sealed", e.Type, e.ID)
			continue
		}
		res := got(security.GetLedgerReceiptWithResponse(ctx, e.ID)).want(r, http.StatusOK)
		if res.JSON200 == nil || res.JSON200.Index != *e.Index {
			t.Errorf("%s's receipt: %s", e.Type, res.Body)
		}
	}
	if !slices.Equal(types, want) {
		t.Errorf("the incident's sealed events:\n got %v\nwant %v", types, want)
	}
}
