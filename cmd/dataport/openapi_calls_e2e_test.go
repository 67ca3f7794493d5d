package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"dataport/internal/identity"
	"dataport/internal/web/api/apiclient"
)

// docRoute is one operation of the OpenAPI document: its method, a pattern
// of its path, and the status codes it documents.
type docRoute struct {
	id, method string
	path       *regexp.Regexp
	statuses   []string
	content    map[string][]string // media types by status
}

// apiRun calls the API through the generated client and records which of
// the document's operations were called.
type apiRun struct {
	t      *testing.T
	base   string
	routes []docRoute
	called map[string]bool
	last   string // the operation of the last request
}

func newAPIRun(t *testing.T, s *server, doc []byte) *apiRun {
	var d struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			Responses   map[string]struct {
				Content map[string]any `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	r := &apiRun{t: t, base: s.url + "/api/v1", called: map[string]bool{}}
	param := regexp.MustCompile(`\\\{[a-z_]+\\\}`)
	for path, ops := range d.Paths {
		re := regexp.MustCompile("^" + param.ReplaceAllString(regexp.QuoteMeta(path), "[^/]+") + "$")
		for method, op := range ops {
			route := docRoute{id: op.OperationID, method: strings.ToUpper(method), path: re, content: map[string][]string{}}
			for code, resp := range op.Responses {
				route.statuses = append(route.statuses, code)
				for ct := range resp.Content {
					route.content[code] = append(route.content[code], ct)
				}
			}
			r.routes = append(r.routes, route)
		}
	}
	return r
}

// client is the generated client acting with token ("" for anonymous).
func (r *apiRun) client(token string) *apiclient.ClientWithResponses {
	if token == "" {
		return r.clientWith("", "")
	}
	return r.clientWith("Authorization", "Bearer "+token)
}

// clientWith is the generated client sending header: value on every request
// (none when header is empty).
func (r *apiRun) clientWith(header, value string) *apiclient.ClientWithResponses {
	c, err := apiclient.NewClientWithResponses(r.base, apiclient.WithHTTPClient(r),
		apiclient.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			if header != "" {
				req.Header.Set(header, value)
			}
			return nil
		}))
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

// Do records the operation of req and sends it.
func (r *apiRun) Do(req *http.Request) (*http.Response, error) {
	path := strings.TrimPrefix(req.URL.Path, "/api/v1")
	r.last = ""
	for _, route := range r.routes {
		// A literal segment wins over a parameter (/users/me over /users/{id}).
		if route.method == req.Method && route.path.MatchString(path) &&
			(r.last == "" || strings.Count(route.path.String(), "[^/]+") < strings.Count(r.routeOf(r.last).path.String(), "[^/]+")) {
			r.last = route.id
		}
	}
	if r.last == "" {
		r.t.Errorf("%s %s is not an operation of the document", req.Method, req.URL.Path)
	}
	r.called[r.last] = true
	return http.DefaultClient.Do(req)
}

func (r *apiRun) routeOf(id string) docRoute {
	for _, route := range r.routes {
		if route.id == id {
			return route
		}
	}
	return docRoute{path: regexp.MustCompile("")}
}

// reply is a generated client's answer to one call.
type reply[R any] struct {
	res R
	err error
}

func got[R any](res R, err error) reply[R] { return reply[R]{res, err} }

// want checks that the answer has status code, that the document lists the
// status for the operation (or a default for an error), and that the body
// decodes, with no field the document lacks, into the generated type for
// that status: an error into the problem schema, as application/problem+json.
func (a reply[R]) want(r *apiRun, code int) R {
	r.t.Helper()
	if a.err != nil {
		r.t.Fatalf("%s: %v", r.last, a.err)
	}
	v := reflect.ValueOf(a.res).Elem()
	resp := v.FieldByName("HTTPResponse").Interface().(*http.Response)
	body := v.FieldByName("Body").Bytes()
	op := r.routeOf(r.last)
	status := strconv.Itoa(resp.StatusCode)
	if resp.StatusCode != code {
		r.t.Fatalf("%s %s: status %d, want %d\n%s", resp.Request.Method, resp.Request.URL, resp.StatusCode, code, excerpt(string(body)))
	}
	documented := slices.Contains(op.statuses, status) || (resp.StatusCode >= 400 && slices.Contains(op.statuses, "default"))
	if !documented {
		r.t.Errorf("%s answered %d, which the document does not list (%v)", op.id, resp.StatusCode, op.statuses)
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if len(body) > 0 && documented {
		key := status
		if !slices.Contains(op.statuses, status) {
			key = "default"
		}
		if !slices.Contains(op.content[key], ct) {
			r.t.Errorf("%s %d sent %s, which the document does not list (%v)", op.id, resp.StatusCode, ct, op.content[key])
		}
	}
	field := "JSON" + status
	if resp.StatusCode >= 400 {
		field = "ApplicationproblemJSON" + status
		if !v.FieldByName(field).IsValid() {
			field = "ApplicationproblemJSONDefault"
		}
		if ct != "application/problem+json" {
			r.t.Errorf("%s: error %d as %q, want application/problem+json", op.id, resp.StatusCode, ct)
		}
	}
	f := v.FieldByName(field)
	switch {
	case f.IsValid() && (ct == "application/json" || ct == "application/problem+json"):
		target := reflect.New(f.Type().Elem())
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(target.Interface()); err != nil {
			r.t.Errorf("%s %d: the body does not decode into %s: %v\n%s", op.id, resp.StatusCode, f.Type().Elem().Name(), err, excerpt(string(body)))
		}
		if f.IsNil() {
			r.t.Errorf("%s %d: the generated client did not decode the body into %s", op.id, resp.StatusCode, field)
		}
	case resp.StatusCode == http.StatusNoContent:
		if len(body) != 0 {
			r.t.Errorf("%s: 204 with a body", op.id)
		}
	}
	return a.res
}

// jsonBody strict-decodes s into the generated request type T, so that a
// request written here uses only the fields the document declares.
func jsonBody[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("request body %s: %v", s, err)
	}
	return v
}

// idOf is the "id" of a JSON object.
func idOf(t *testing.T, body []byte) string {
	t.Helper()
	var v struct{ ID string }
	if err := json.Unmarshal(body, &v); err != nil || v.ID == "" {
		t.Fatalf("no id in %s", excerpt(string(body)))
	}
	return v.ID
}

func ptr[T any](v T) *T { return &v }

// TestOpenAPIClientCallsEveryOperation calls every operation of the
// served OpenAPI document through the client generated from it, on the
// running demo, with valid inputs, as the roles that may: each answer has
// the status the document gives and decodes into the generated types with
// no undocumented field; errors are problem+json of the documented schema.
// It fails when an operation of the document was not called.
func TestOpenAPIClientCallsEveryOperation(t *testing.T) {
	s := start(t, "demo", "--data", t.TempDir())
	accounts := s.accounts(t)
	doc := servedDocument(t, s)
	r := newAPIRun(t, s, doc)
	ctx := context.Background()
	token := func(name string) string {
		b := newBrowser(t, s.url)
		b.login(name, accounts[name])
		return b.apiToken("openapi-client")
	}
	editorName, _ := accountWithSuffix(t, accounts, ".editor")
	orgAdminName := strings.TrimSuffix(editorName, ".editor") + ".admin"
	otherEditor := ""
	for name := range accounts {
		if strings.HasSuffix(name, ".editor") && name != editorName && (otherEditor == "" || name < otherEditor) {
			otherEditor = name
		}
	}
	admin, operator := r.client(token("admin")), r.client(token("operator"))
	editor, orgAdmin, requester := r.client(token(editorName)), r.client(token(orgAdminName)), r.client(token(otherEditor))
	company, anonymous := r.client(token("company")), r.client("")
	lawyer := r.client(token("lawfirm")) // the demo exchange's law firm (the company is an admitted buyer there)
	requesterAdmin := r.client(token(strings.TrimSuffix(otherEditor, ".editor") + ".admin"))

	memberOf := func(c *apiclient.ClientWithResponses) string {
		me := got(c.GetMeWithResponse(ctx)).want(r, 200).JSON200
		if me.Memberships == nil || len(*me.Memberships) == 0 {
			t.Fatalf("%s has no membership", me.Username)
		}
		return (*me.Memberships)[0].OrganizationId
	}
	orgID, requesterOrg, companyOrg, lawOrg := memberOf(editor), memberOf(requester), memberOf(company), memberOf(lawyer)

	r.identity(ctx, admin, orgID)
	res := r.catalog(ctx, editor, orgAdmin, operator, orgID)
	r.data(ctx, editor, orgAdmin, operator, anonymous, res, orgID)
	r.grading(ctx, editor, operator, res)
	r.access(ctx, operator, requesterAdmin, res, requesterOrg)
	r.workflows(ctx, editor, orgAdmin, operator, requester, company, res, orgID, requesterOrg, companyOrg)
	r.ledger(ctx, anonymous, admin)
	r.harvest(ctx, operator, s.url, orgID)
	r.synonyms(ctx, operator)
	r.portal(ctx, operator, editor, company, anonymous, orgID, res.shared)
	r.feedback(ctx, company, orgAdmin, res)
	r.exchange(ctx, operator, orgAdmin, editor, company, lawyer, requesterAdmin, anonymous, orgID, lawOrg, requesterOrg, res.open)
	contract := r.trade(ctx, operator, editor, orgAdmin, company, lawyer, requesterAdmin, orgID, companyOrg, lawOrg, res.open)
	r.disputes(ctx, admin, operator, orgAdmin, company, requesterAdmin, anonymous, contract)
	r.assets(ctx, operator, orgAdmin, editor, company, requesterAdmin, anonymous, orgID, requesterOrg, res.open)
	r.risk(ctx, operator, company, contract)
	r.zones(ctx, operator, editor, orgAdmin, company, requesterAdmin, anonymous, orgID, res.shared)
	r.statsIndex(ctx, operator, orgAdmin, anonymous)
	r.stats(ctx, anonymous, orgID)
	r.incidents(ctx, incidentClients{security: r.client(token("security")), orgAdmin: orgAdmin, editor: editor, outsider: requesterAdmin,
		regulator: r.client(token("regulator")), anonymous: anonymous}, orgID)
	r.monitor(ctx, r.client(token("security")), r.client(token("regulator")), orgAdmin, anonymous)
	r.assessments(ctx, r.client(token("security")), r.client(token("regulator")), editor, orgAdmin, requesterAdmin, anonymous, res.open)
	r.problems(ctx, anonymous, editor, res)
	got(orgAdmin.RetireResourceWithResponse(ctx, res.shared, jsonBody[apiclient.RetireResourceJSONRequestBody](t,
		`{"reason":"由新版数据资源替代"}`))).want(r, 200)

	var missed []string
	for _, route := range r.routes {
		if !r.called[route.id] {
			missed = append(missed, route.method+" "+route.id)
		}
	}
	slices.Sort(missed)
	if len(missed) > 0 {
		t.Errorf("%d operations of the document were not called: %v", len(missed), missed)
	}
	t.Logf("called %d operations of the document", len(r.called))
}

// testResources are the resources the run creates: one conditionally
// shared and opened, with data.
type testResources struct {
	shared, open string
}

func (r *apiRun) identity(ctx context.Context, admin *apiclient.ClientWithResponses, orgID string) {
	t := r.t
	got(admin.ListOrganizationsWithResponse(ctx, &apiclient.ListOrganizationsParams{Limit: ptr(int64(5))})).want(r, 200)
	check, err := identity.USCCCheckChar("12110000MB0000001")
	if err != nil {
		t.Fatal(err)
	}
	uscc := "12110000MB0000001" + string(check)
	org := got(admin.CreateOrganizationWithResponse(ctx, jsonBody[apiclient.CreateOrganizationJSONRequestBody](t,
		`{"kind":"institution","name_zh":"京华市测试中心","name_en":"Test centre","code":"CSZX","region_code":"110000","uscc":"`+uscc+`"}`))).want(r, 201)
	newOrg := org.JSON201.Id
	got(admin.GetOrganizationWithResponse(ctx, newOrg)).want(r, 200)
	got(admin.UpdateOrganizationWithResponse(ctx, newOrg, jsonBody[apiclient.UpdateOrganizationJSONRequestBody](t,
		`{"kind":"institution","name_zh":"京华市测试中心","name_en":"Test centre","code":"CSZX","region_code":"110000","uscc":"`+uscc+`","description":"测试"}`))).want(r, 200)
	got(admin.ListMembersWithResponse(ctx, orgID)).want(r, 200)
	got(admin.ListUsersWithResponse(ctx, &apiclient.ListUsersParams{Q: ptr("admin")})).want(r, 200)
	user := got(admin.CreateUserWithResponse(ctx, jsonBody[apiclient.CreateUserJSONRequestBody](t,
		`{"username":"client.tester","display_name":"测试用户","email":"tester@example.gov.cn","password":"Client@tester1",
		  "memberships":[{"organization_id":"`+newOrg+`","role":"member"}]}`))).want(r, 201)
	uid := user.JSON201.Id
	got(admin.GetUserWithResponse(ctx, uid)).want(r, 200)
	got(admin.SetMembershipWithResponse(ctx, newOrg, uid, jsonBody[apiclient.SetMembershipJSONRequestBody](t, `{"role":"editor"}`))).want(r, 200)
	got(admin.SetMembershipWithResponse(ctx, orgID, uid, jsonBody[apiclient.SetMembershipJSONRequestBody](t, `{"role":"member"}`))).want(r, 200)
	got(admin.RemoveMembershipWithResponse(ctx, orgID, uid)).want(r, 204)
	got(admin.SetPlatformRolesWithResponse(ctx, uid, jsonBody[apiclient.SetPlatformRolesJSONRequestBody](t, `{"platform_roles":["auditor"]}`))).want(r, 200)
	got(admin.ResetUserPasswordWithResponse(ctx, uid, jsonBody[apiclient.ResetUserPasswordJSONRequestBody](t, `{"password":"Client@tester2"}`))).want(r, 200)

	// The new user acts for themself: a token of their own, a new password.
	b := newBrowser(t, strings.TrimSuffix(r.base, "/api/v1"))
	b.login("client.tester", "Client@tester2")
	tester := r.client(b.apiToken("first"))
	got(tester.ChangeMyPasswordWithResponse(ctx, jsonBody[apiclient.ChangeMyPasswordJSONRequestBody](t,
		`{"current_password":"Client@tester2","new_password":"Client@tester3"}`))).want(r, 200)
	tok := got(tester.CreateMyTokenWithResponse(ctx, jsonBody[apiclient.CreateMyTokenJSONRequestBody](t, `{"name":"script","expires_in_days":7}`))).want(r, 201)
	got(tester.ListMyTokensWithResponse(ctx)).want(r, 200)
	got(tester.RevokeMyTokenWithResponse(ctx, idOf(t, tok.Body))).want(r, 204)
	got(admin.RevokeUserAccessWithResponse(ctx, uid)).want(r, 200)
	got(admin.IssuePasswordResetCodeWithResponse(ctx, uid)).want(r, 201)
	got(admin.DisableUserWithResponse(ctx, uid)).want(r, 200)
	got(admin.EnableUserWithResponse(ctx, uid)).want(r, 204)
}

// resourceBody is a valid description of a resource of the catalog.
func resourceBody(orgID, title, share, open string) string {
	return fmt.Sprintf(`{"organization_id":%q,"title_zh":%q,"title_en":"Bus stops (test)","description_zh":"测试用的公交站点数据，含站点编号、名称、行政区划和坐标。",
	  "subject":"04","industry":"G","keywords":["公交","站点"],"formats":["CSV"],"update_frequency":"monthly",
	  "share_type":%q,"share_basis":"依法履行职责所需","open_type":%q,"open_basis":"依申请开放","classification":"general","level":1,
	  "personal_info":false,"source_system":"公交运营系统","contact_name":"信息中心","contact_phone":"010-12345678","contact_email":"data@example.gov.cn",
	  "items":[{"name":"stop_id","label_zh":"站点编号","type":"text","length":12,"required":true,"key":true},
	           {"name":"stop_name","label_zh":"站点名称","type":"text","length":50,"required":true},
	           {"name":"district","label_zh":"行政区划","type":"code","length":6,"code_list":[{"code":"110101","label":"东城区"},{"code":"110102","label":"西城区"}]},
	           {"name":"boardings","label_zh":"日均上车人次","type":"integer"}]}`, orgID, title, share, open)
}

func (r *apiRun) catalog(ctx context.Context, editor, orgAdmin, operator *apiclient.ClientWithResponses, orgID string) testResources {
	t := r.t
	got(editor.CatalogSpecWithResponse(ctx)).want(r, 200)
	got(editor.ListResourcesWithResponse(ctx, &apiclient.ListResourcesParams{OrganizationId: ptr(orgID), Limit: ptr(int64(5))})).want(r, 200)
	var out testResources
	for _, x := range []struct {
		id          *string
		title, open string
	}{{&out.shared, "公交站点（有条件共享测试）", "none"}, {&out.open, "公交站点（有条件开放测试）", "conditional"}} {
		created := got(editor.CreateResourceWithResponse(ctx, jsonBody[apiclient.CreateResourceJSONRequestBody](t,
			resourceBody(orgID, x.title, "conditional", x.open)))).want(r, 201)
		*x.id = created.JSON201.Id
		got(editor.UpdateResourceWithResponse(ctx, *x.id, jsonBody[apiclient.UpdateResourceJSONRequestBody](t,
			strings.Replace(resourceBody(orgID, x.title, "conditional", x.open), `"organization_id":"`+orgID+`",`, "", 1)))).want(r, 200)
		got(editor.SubmitResourceWithResponse(ctx, *x.id)).want(r, 200)
		got(operator.ReviewResourceWithResponse(ctx, *x.id, jsonBody[apiclient.ReviewResourceJSONRequestBody](t,
			`{"decision":"approve","comment":"符合目录规范"}`))).want(r, 200)
	}
	got(editor.GetResourceWithResponse(ctx, out.shared)).want(r, 200)
	got(editor.ResourceHistoryWithResponse(ctx, out.shared)).want(r, 200)
	return out
}

// stopsCSV is a CSV of n bus stops of the test resources.
func stopsCSV(n int, extra string) string {
	var b strings.Builder
	b.WriteString("stop_id,stop_name,district,boardings\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "S%05d,站点%d,11010%d,%d\n", i, i, 1+i%2, 100*i)
	}
	b.WriteString(extra)
	return b.String()
}

func (r *apiRun) upload(ctx context.Context, c *apiclient.ClientWithResponses, id, csv string) *apiclient.UploadDataResponse {
	return got(c.UploadDataWithBodyWithResponse(ctx, id, &apiclient.UploadDataParams{Name: ptr("stops.csv")}, "text/csv",
		strings.NewReader(csv))).want(r, 201)
}

func (r *apiRun) data(ctx context.Context, editor, orgAdmin, operator, anonymous *apiclient.ClientWithResponses, res testResources, orgID string) {
	t := r.t
	got(editor.GetDatastoreSettingsWithResponse(ctx, res.shared)).want(r, 200)
	got(editor.SetDatastoreSettingsWithResponse(ctx, res.shared, jsonBody[apiclient.SetDatastoreSettingsJSONRequestBody](t,
		`{"keep_versions":5,"on_error":"quarantine","indexes":["district"]}`))).want(r, 200)
	v1 := r.upload(ctx, editor, res.shared, stopsCSV(40, ""))
	r.upload(ctx, editor, res.open, stopsCSV(40, ""))
	v2 := r.upload(ctx, editor, res.shared, stopsCSV(45, "S99999,坏记录,110101,不是数字\n"))
	if id := v2.JSON201.LoadId; id == "" {
		t.Errorf("the upload's version names no load: %s", excerpt(string(v2.Body)))
	} else {
		got(editor.GetLoadWithResponse(ctx, id)).want(r, 200)
	}
	got(editor.ListVersionsWithResponse(ctx, res.shared, &apiclient.ListVersionsParams{Reports: ptr(true)})).want(r, 200)
	ver2 := v2.JSON201.Version
	got(editor.GetVersionWithResponse(ctx, res.shared, ver2)).want(r, 200)
	got(editor.DiffVersionWithResponse(ctx, res.shared, ver2, &apiclient.DiffVersionParams{Against: ptr(v1.JSON201.Version)})).want(r, 200)
	q := got(editor.QuarantineVersionWithResponse(ctx, res.shared, ver2)).want(r, 200)
	if !strings.Contains(string(q.Body), "S99999") {
		t.Errorf("quarantine of version %d: %s", ver2, q.Body)
	}
	rows := got(editor.ListRowsWithResponse(ctx, res.shared, &apiclient.ListRowsParams{Filter: &[]string{"district:eq:110101"},
		Sort: ptr("boardings desc"), Limit: ptr(int64(5)), Offset: ptr(int64(5))})).want(r, 200)
	if page := rows.JSON200; page.Rows == nil || len(*page.Rows) != 5 || page.Offset != 5 {
		t.Errorf("rows at offset 5: %s", excerpt(string(rows.Body)))
	}
	exp := got(editor.ExportRowsWithResponse(ctx, res.shared, &apiclient.ExportRowsParams{Format: ptr(apiclient.ExportRowsParamsFormat("csv"))})).want(r, 200)
	if lines := strings.Count(string(exp.Body), "\n"); lines != 46 {
		t.Errorf("export: %d lines, want the header and 45 rows", lines)
	}
	got(anonymous.CheckResourceAccessWithResponse(ctx, res.shared, &apiclient.CheckResourceAccessParams{
		Action: ptr(apiclient.CheckResourceAccessParamsActionRead)})).want(r, 200)
	got(anonymous.GetResourceEnforcementWithResponse(ctx, res.shared, &apiclient.GetResourceEnforcementParams{
		Use: ptr(apiclient.GetResourceEnforcementParamsUseShare), Path: ptr(apiclient.GetResourceEnforcementParamsPathApi)})).want(r, 200)
	got(editor.RollbackVersionWithResponse(ctx, res.shared, v1.JSON201.Version)).want(r, 200)
	got(orgAdmin.StaleResourcesWithResponse(ctx, orgID)).want(r, 200)
	r.held(ctx, editor, orgAdmin, res)
}

// held loads personal information into the openable resource, which the
// legality check holds, and releases it.
func (r *apiRun) held(ctx context.Context, editor, orgAdmin *apiclient.ClientWithResponses, res testResources) {
	t := r.t
	csv := "stop_id,stop_name,district,boardings\n"
	for i := 1; i <= 20; i++ {
		csv += fmt.Sprintf("P%05d,13%09d,110101,%d\n", i, 800000000+i*7919, i)
	}
	v := r.upload(ctx, editor, res.open, csv)
	if v.JSON201.Status != "held" {
		t.Logf("a load with phone numbers in an open resource is %q, not held", v.JSON201.Status)
		return
	}
	got(orgAdmin.ReleaseVersionWithResponse(ctx, res.open, v.JSON201.Version, jsonBody[apiclient.ReleaseVersionJSONRequestBody](t,
		`{"comment":"站点名称列为测试数据，不是个人手机号"}`))).want(r, 200)
}

func (r *apiRun) grading(ctx context.Context, editor, operator *apiclient.ClientWithResponses, res testResources) {
	t := r.t
	got(editor.GetGradingRulesWithResponse(ctx)).want(r, 200)
	got(editor.ScanCsvWithBodyWithResponse(ctx, nil, "text/csv", strings.NewReader("name,phone\n张三,13800138000\n李四,13900139000\n"))).want(r, 200)
	got(editor.ScanResourceWithBodyWithResponse(ctx, res.shared, "text/csv", strings.NewReader(stopsCSV(10, "")))).want(r, 200)
	got(editor.GetResourceGradingWithResponse(ctx, res.shared)).want(r, 200)
	got(operator.OverrideResourceGradingWithResponse(ctx, res.shared, jsonBody[apiclient.OverrideResourceGradingJSONRequestBody](t,
		`{"class":"general","level":2,"reason":"站点客流数据汇总后仍可推断出行规律"}`))).want(r, 200)
	profile := `{"name":"公开版","paths":["download"],"profile":{"k":2,"max_suppression":0.5,"quasi_identifiers":["district"],
	  "columns":{"stop_name":{"op":"mask"}}}}`
	p := got(editor.CreateDeidProfileWithResponse(ctx, res.shared, jsonBody[apiclient.CreateDeidProfileJSONRequestBody](t, profile))).want(r, 201)
	pid := idOf(t, p.Body)
	got(editor.ListDeidProfilesWithResponse(ctx, res.shared)).want(r, 200)
	got(editor.GetDeidProfileWithResponse(ctx, pid)).want(r, 200)
	got(editor.UpdateDeidProfileWithResponse(ctx, pid, jsonBody[apiclient.UpdateDeidProfileJSONRequestBody](t,
		strings.Replace(profile, `"k":2`, `"k":3`, 1)))).want(r, 200)
	got(editor.PreviewDeidProfileWithBodyWithResponse(ctx, pid, "text/csv", strings.NewReader(stopsCSV(30, "")))).want(r, 200)
	got(editor.DeleteDeidProfileWithResponse(ctx, pid)).want(r, 204)
}

func (r *apiRun) access(ctx context.Context, operator, grantee *apiclient.ClientWithResponses, res testResources, requesterOrg string) {
	t := r.t
	got(operator.CreateAccessGroupWithResponse(ctx, jsonBody[apiclient.CreateAccessGroupJSONRequestBody](t,
		`{"name_zh":"交通数据联合实验室","organization_ids":["`+requesterOrg+`"]}`))).want(r, 201)
	g := got(operator.CreateGrantWithResponse(ctx, jsonBody[apiclient.CreateGrantJSONRequestBody](t,
		`{"grantee_kind":"organization","grantee_id":"`+requesterOrg+`","resource_ids":["`+res.shared+`"],"purpose":"公交线网优化研究",
		  "policy":{"actions":["read","query"],"fields":["stop_id","district"],"max_rows":1000,"rate_per_minute":30},
		  "valid_until":"`+time.Now().AddDate(0, 1, 0).UTC().Format(time.RFC3339)+`"}`))).want(r, 201)
	gid := g.JSON201.Id
	got(operator.ListGrantsWithResponse(ctx, &apiclient.ListGrantsParams{ResourceId: ptr(res.shared)})).want(r, 200)
	got(operator.GetGrantWithResponse(ctx, gid)).want(r, 200)
	key := got(grantee.CreateGrantKeyWithResponse(ctx, gid, jsonBody[apiclient.CreateGrantKeyJSONRequestBody](t, `{"name":"线网优化脚本"}`))).want(r, 201)
	var k struct {
		Key    struct{ ID string }
		Secret string
	}
	json.Unmarshal(key.Body, &k)
	keyed := r.clientWith("X-Dataport-Key", k.Secret)
	rows := got(keyed.ListRowsWithResponse(ctx, res.shared, &apiclient.ListRowsParams{Limit: ptr(int64(3))})).want(r, 200)
	if h := rows.Headers200; h == nil || h.RateLimitPolicy == nil || h.DataportQuotaRemaining == nil {
		t.Errorf("rows under a key: rate headers %+v", rows.HTTPResponse.Header)
	}
	got(operator.ListGrantDecisionsWithResponse(ctx, gid, nil)).want(r, 200)
	got(grantee.ListGrantKeysWithResponse(ctx, gid)).want(r, 200)
	got(grantee.RevokeGrantKeyWithResponse(ctx, gid, k.Key.ID)).want(r, 204)
	got(operator.RevokeGrantWithResponse(ctx, gid, jsonBody[apiclient.RevokeGrantJSONRequestBody](t, `{"reason":"研究结束"}`))).want(r, 200)
}

func (r *apiRun) workflows(ctx context.Context, editor, orgAdmin, operator, requester, company *apiclient.ClientWithResponses,
	res testResources, orgID, requesterOrg, companyOrg string) {
	t := r.t
	share := `{"resource_id":"` + res.shared + `","requester_org_id":"` + requesterOrg + `","purpose":"核对辖区公交站点设置","legal_basis":"《京华市数字经济促进条例》第十七条","duration_days":90,"fields":["stop_id","district"]}`
	sr := got(requester.CreateShareRequestWithResponse(ctx, jsonBody[apiclient.CreateShareRequestJSONRequestBody](t, share))).want(r, 201)
	srID := sr.JSON201.Id
	got(requester.ListShareRequestsWithResponse(ctx, nil)).want(r, 200)
	got(orgAdmin.GetShareRequestWithResponse(ctx, srID)).want(r, 200)
	got(orgAdmin.ListWaitingWithResponse(ctx, nil)).want(r, 200)
	notes := got(orgAdmin.ListNotificationsWithResponse(ctx, &apiclient.ListNotificationsParams{Unread: ptr(true)})).want(r, 200)
	if items := notes.JSON200.Items; items != nil && len(*items) > 0 {
		got(orgAdmin.ReadNotificationWithResponse(ctx, (*items)[0].Id)).want(r, 204)
	} else {
		t.Errorf("the provider's admin has no notice of the share request")
	}
	got(orgAdmin.RequestShareRequestInfoWithResponse(ctx, srID, jsonBody[apiclient.RequestShareRequestInfoJSONRequestBody](t,
		`{"text":"请补充使用范围说明"}`))).want(r, 200)
	got(requester.AnswerShareRequestWithResponse(ctx, srID, jsonBody[apiclient.AnswerShareRequestJSONRequestBody](t,
		`{"text":"仅用于本委公交站点核对，不对外提供"}`))).want(r, 200)
	got(orgAdmin.ReviewShareRequestWithResponse(ctx, srID, jsonBody[apiclient.ReviewShareRequestJSONRequestBody](t,
		`{"decision":"approve","comment":"同意"}`))).want(r, 200)
	sr2 := got(requester.CreateShareRequestWithResponse(ctx, jsonBody[apiclient.CreateShareRequestJSONRequestBody](t, share))).want(r, 201)
	got(requester.WithdrawShareRequestWithResponse(ctx, sr2.JSON201.Id)).want(r, 200)

	app := `{"resource_id":"` + res.open + `","applicant_org_id":"` + companyOrg + `","purpose":"开发公交出行导航应用","scenario":"在导航应用中展示站点客流",
	  "security_measures":"数据加密存储，仅限项目组访问","duration_days":180,"fields":["stop_id","boardings"]}`
	oa := got(company.CreateOpenApplicationWithResponse(ctx, jsonBody[apiclient.CreateOpenApplicationJSONRequestBody](t, app))).want(r, 201)
	oaID := oa.JSON201.Id
	got(company.ListOpenApplicationsWithResponse(ctx, nil)).want(r, 200)
	got(orgAdmin.GetOpenApplicationWithResponse(ctx, oaID)).want(r, 200)
	got(orgAdmin.RequestOpenApplicationInfoWithResponse(ctx, oaID, jsonBody[apiclient.RequestOpenApplicationInfoJSONRequestBody](t,
		`{"text":"请说明数据保存期限"}`))).want(r, 200)
	got(company.AnswerOpenApplicationWithResponse(ctx, oaID, jsonBody[apiclient.AnswerOpenApplicationJSONRequestBody](t,
		`{"text":"项目结束后30日内删除"}`))).want(r, 200)
	got(orgAdmin.ReviewOpenApplicationWithResponse(ctx, oaID, jsonBody[apiclient.ReviewOpenApplicationJSONRequestBody](t,
		`{"decision":"approve","comment":"同意开放"}`))).want(r, 200)
	oa2 := got(company.CreateOpenApplicationWithResponse(ctx, jsonBody[apiclient.CreateOpenApplicationJSONRequestBody](t, app))).want(r, 201)
	got(company.WithdrawOpenApplicationWithResponse(ctx, oa2.JSON201.Id)).want(r, 200)

	year := int64(time.Now().Year() + 1)
	got(editor.ListOpenListsWithResponse(ctx, &apiclient.ListOpenListsParams{Year: ptr(year)})).want(r, 200)
	ol := got(editor.SaveOpenListWithResponse(ctx, jsonBody[apiclient.SaveOpenListJSONRequestBody](t,
		fmt.Sprintf(`{"organization_id":%q,"year":%d,"plan":"年内开放公交运营数据"}`, orgID, year)))).want(r, 200)
	olID := ol.JSON200.Id
	item := got(editor.AddOpenListItemWithResponse(ctx, olID, jsonBody[apiclient.AddOpenListItemJSONRequestBody](t,
		fmt.Sprintf(`{"title_zh":"公交站点客流","open_type":"conditional","planned_date":"%d-06-30"}`, year)))).want(r, 200)
	items := *item.JSON200.Items
	got(editor.LinkOpenListItemWithResponse(ctx, olID, items[len(items)-1].Id, jsonBody[apiclient.LinkOpenListItemJSONRequestBody](t,
		`{"resource_id":"`+res.open+`"}`))).want(r, 200)
	got(editor.GetOpenListWithResponse(ctx, olID)).want(r, 200)
	got(orgAdmin.PublishOpenListWithResponse(ctx, olID)).want(r, 200)
}

func (r *apiRun) ledger(ctx context.Context, anonymous, admin *apiclient.ClientWithResponses) {
	t := r.t
	got(anonymous.GetLedgerStatusWithResponse(ctx)).want(r, 200)
	events := got(admin.ListLedgerEventsWithResponse(ctx, &apiclient.ListLedgerEventsParams{Limit: ptr(int64(5))})).want(r, 200)
	var list struct{ Items []struct{ ID string } }
	json.Unmarshal(events.Body, &list)
	if len(list.Items) == 0 {
		t.Fatal("no ledger events")
	}
	// The newest events may still wait for the sequencer (409); the oldest of the page is sealed soon.
	id := list.Items[len(list.Items)-1].ID
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := anonymous.GetLedgerReceiptWithResponse(ctx, id)
		if err == nil && res.StatusCode() == http.StatusConflict && time.Now().Before(deadline) {
			got(res, err).want(r, 409)
			time.Sleep(200 * time.Millisecond)
			continue
		}
		got(res, err).want(r, 200)
		break
	}
}

func (r *apiRun) harvest(ctx context.Context, operator *apiclient.ClientWithResponses, site, orgID string) {
	t := r.t
	src := got(operator.CreateHarvestSourceWithResponse(ctx, jsonBody[apiclient.CreateHarvestSourceJSONRequestBody](t,
		`{"kind":"ckan","url":"`+site+`","organization_id":"`+orgID+`","frequency":"manual"}`))).want(r, 201)
	id := src.JSON201.Id
	got(operator.ListHarvestSourcesWithResponse(ctx)).want(r, 200)
	got(operator.UpdateHarvestSourceWithResponse(ctx, id, jsonBody[apiclient.UpdateHarvestSourceJSONRequestBody](t, `{"frequency":"weekly"}`))).want(r, 200)
	got(operator.RunHarvestSourceWithResponse(ctx, id, jsonBody[apiclient.RunHarvestSourceJSONRequestBody](t, `{"full":false}`))).want(r, 200)
	got(operator.GetHarvestSourceWithResponse(ctx, id)).want(r, 200)
	got(operator.DeleteHarvestSourceWithResponse(ctx, id)).want(r, 204)
}

// feedback is a company's rating, comment, error report and follow on a
// published dataset, and its provider's answers.
func (r *apiRun) feedback(ctx context.Context, user, provider *apiclient.ClientWithResponses, res testResources) {
	t := r.t
	got(user.RateResourceWithResponse(ctx, res.open, jsonBody[apiclient.RateResourceJSONRequestBody](t, `{"stars":4}`))).want(r, 200)
	c := got(user.AddCommentWithResponse(ctx, res.open, jsonBody[apiclient.AddCommentJSONRequestBody](t, `{"body":"站点数据很有用"}`))).want(r, 201)
	got(user.ListCommentsWithResponse(ctx, res.open)).want(r, 200)
	got(provider.HideCommentWithResponse(ctx, idOf(t, c.Body), jsonBody[apiclient.HideCommentJSONRequestBody](t, `{"reason":"测试后隐藏"}`))).want(r, 200)
	e := got(user.ReportErrorWithResponse(ctx, res.open, jsonBody[apiclient.ReportErrorJSONRequestBody](t,
		`{"column":"boardings","row":"S00001","value":"100","problem":"上车人次应为120"}`))).want(r, 201)
	got(provider.ListErrorReportsWithResponse(ctx, res.open)).want(r, 200)
	got(provider.AnswerErrorReportWithResponse(ctx, idOf(t, e.Body), jsonBody[apiclient.AnswerErrorReportJSONRequestBody](t,
		`{"reply":"已核实，下一版更正"}`))).want(r, 200)
	got(user.FollowResourceWithResponse(ctx, res.open)).want(r, 204)
	got(user.GetEngagementWithResponse(ctx, res.open)).want(r, 200)
	got(user.UnfollowResourceWithResponse(ctx, res.open)).want(r, 204)
}

// synonyms reads the search synonym list and writes it back with one group more.
func (r *apiRun) synonyms(ctx context.Context, operator *apiclient.ClientWithResponses) {
	list := got(operator.GetSearchSynonymsWithResponse(ctx)).want(r, 200)
	var groups []apiclient.SynonymGroup
	if list.JSON200.Groups != nil {
		groups = *list.JSON200.Groups
	}
	groups = append(groups, apiclient.SynonymGroup{Words: &[]string{"接口测试甲", "接口测试乙"}})
	body, _ := json.Marshal(map[string]any{"groups": groups})
	got(operator.PutSearchSynonymsWithResponse(ctx, jsonBody[apiclient.PutSearchSynonymsJSONRequestBody](r.t, string(body)))).want(r, 200)
}

// problems checks error answers against the documented problem schema: an
// unknown resource, a write without a token, an invalid body.
func (r *apiRun) problems(ctx context.Context, anonymous, editor *apiclient.ClientWithResponses, res testResources) {
	t := r.t
	got(editor.GetVersionWithResponse(ctx, res.shared, 99)).want(r, 404)
	got(editor.DiffVersionWithResponse(ctx, res.shared, 99, nil)).want(r, 404)
	got(editor.QuarantineVersionWithResponse(ctx, res.shared, 99)).want(r, 404)
	missing := "01a24e50-0000-7000-8000-000000000000"
	got(anonymous.GetResourceWithResponse(ctx, missing)).want(r, 404)
	got(anonymous.CheckResourceAccessWithResponse(ctx, missing, nil)).want(r, 200)
	got(anonymous.ListRowsWithResponse(ctx, missing, nil)).want(r, 403) // the decision point does not tell a missing resource from a hidden one
	got(anonymous.CreateMyTokenWithResponse(ctx, jsonBody[apiclient.CreateMyTokenJSONRequestBody](t, `{"name":"x"}`))).want(r, 401)
	bad := got(editor.CreateMyTokenWithResponse(ctx, jsonBody[apiclient.CreateMyTokenJSONRequestBody](t, `{"name":"x","expires_in_days":9999}`))).want(r, 422)
	if !bytes.Contains(bad.Body, []byte("expires_in_days")) {
		t.Errorf("422 does not name the field: %s", bad.Body)
	}
	_ = io.Discard
}
