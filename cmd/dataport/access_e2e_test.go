package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// The access end-to-end tests drive the real binary over HTTP: a
// conditional share from request to data access to revocation, a
// conditional-open application the same way, and the anonymous rate limit.

// demoResource is a published demo resource as the API lists it.
type demoResource struct {
	ID             string `json:"id"`
	Code           string `json:"code"`
	OrganizationID string `json:"organization_id"`
	ShareType      string `json:"share_type"`
	OpenType       string `json:"open_type"`
	Classification string `json:"classification"`
}

// findResource returns the first published demo resource matching query
// whose institution is not skipOrg, with its institution's code.
func findResource(t *testing.T, s *server, query, skipOrg string) (demoResource, string) {
	t.Helper()
	var list struct {
		Items []demoResource `json:"items"`
	}
	getJSON(t, s.url+"/api/v1/resources?status=published&limit=200&"+query, &list)
	for _, r := range list.Items {
		var org struct{ Code, Kind string }
		getJSON(t, s.url+"/api/v1/organizations/"+r.OrganizationID, &org)
		// Public institutions only: their admins are the demo's code.admin
		// accounts (the exchange's companies that hold data sign in otherwise).
		if org.Code != skipOrg && org.Kind == "institution" {
			return r, strings.ToLower(org.Code)
		}
	}
	t.Fatalf("no published demo resource of a public institution with %s outside %s", query, skipOrg)
	return demoResource{}, ""
}

// apiGet calls the native API with an optional bearer token and returns the
// status, headers and body.
func apiGet(t *testing.T, u, token string) (int, http.Header, string) {
	t.Helper()
	return apiCall(t, http.MethodGet, u, token, nil)
}

// apiCall sends a request to the native API, with a JSON body when body is
// not nil and a bearer token when token is set, and returns the status,
// headers and body.
func apiCall(t *testing.T, method, u, token string, body io.Reader) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(method, u, body)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(out)
}

var secretCode = regexp.MustCompile(`<code class="secret">(dp_[^<]+)</code>`)

// apiToken creates an API token through the account page and returns it.
func (b *browser) apiToken(name string) string {
	b.t.Helper()
	status, _, body := b.post("/account/tokens", url.Values{"csrf_token": {b.csrf("/account")}, "name": {name}, "expires_in_days": {"1"}})
	m := secretCode.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		b.t.Fatalf("create token: %d\n%s", status, excerpt(body))
	}
	return m[1]
}

// decision asks the decision point about resource id for the token's holder.
func decision(t *testing.T, s *server, id, token string) (allow bool, reason string) {
	t.Helper()
	status, _, body := apiGet(t, s.url+"/api/v1/resources/"+id+"/access", token)
	var d struct {
		Allow  bool   `json:"allow"`
		Reason string `json:"reason"`
	}
	if status != http.StatusOK || json.Unmarshal([]byte(body), &d) != nil {
		t.Fatalf("access check: %d %s", status, body)
	}
	return d.Allow, d.Reason
}

// rowsStatus is the status of the rows API for the token's holder.
func rowsStatus(t *testing.T, s *server, id, token string) (int, string) {
	t.Helper()
	status, h, body := apiGet(t, s.url+"/api/v1/resources/"+id+"/rows?limit=5", token)
	if status == http.StatusForbidden && !strings.HasPrefix(h.Get("Content-Type"), "application/problem+json") {
		t.Errorf("403 without problem+json: %s", h.Get("Content-Type"))
	}
	return status, body
}

var (
	requestPath = regexp.MustCompile(`^/(share-requests|applications)/([0-9a-f-]{36})`)
	grantLink   = regexp.MustCompile(`href="/grants/([0-9a-f-]{36})"`)
	orgOption   = regexp.MustCompile(`<option value="([0-9a-f-]{36})"`)
)

// review approves the request or application at page as b.
func (b *browser) review(page string) {
	b.t.Helper()
	status, loc, body := b.post(page+"/review", url.Values{"csrf_token": {b.csrf(page)}, "decision": {"approve"}, "comment": {"同意"}})
	if status != http.StatusSeeOther {
		b.t.Fatalf("review %s: %d %s\n%s", page, status, loc, excerpt(body))
	}
}

func TestEndToEndConditionalShareToRevocation(t *testing.T) {
	s := start(t, "demo", "--data", t.TempDir())
	accounts := s.accounts(t)
	res, providerCode := findResource(t, s, "share_type=conditional&classification=general", "TJJ")
	requester := newBrowser(t, s.url)
	requester.login("tjj.editor", accounts["tjj.editor"])
	token := requester.apiToken("share-e2e")
	if allow, reason := decision(t, s, res.ID, token); allow || reason != "no_grant" {
		t.Fatalf("before the request: allow=%v reason=%s", allow, reason)
	}
	if status, _ := rowsStatus(t, s, res.ID, token); status != http.StatusForbidden {
		t.Fatalf("rows before the request: %d, want 403", status)
	}

	form := "/share-requests/new?resource_id=" + res.ID
	status, loc, body := requester.post("/share-requests", url.Values{"csrf_token": {requester.csrf(form)}, "resource_id": {res.ID},
		"org_id": {orgOption.FindStringSubmatch(mustGet(t, requester, form))[1]}, "purpose": {"人口与交通关联统计分析"},
		"legal_basis": {"《京华市统计条例》第十二条"}, "duration_days": {"30"}})
	m := requestPath.FindStringSubmatch(loc)
	if status != http.StatusSeeOther || m == nil {
		t.Fatalf("share request: %d %q\n%s", status, loc, excerpt(body))
	}
	page := "/share-requests/" + m[2]

	provider := newBrowser(t, s.url)
	provider.login(providerCode+".admin", accounts[providerCode+".admin"])
	if queue := mustGet(t, provider, "/share-requests"); !strings.Contains(queue, page) {
		t.Fatalf("provider's queue does not list %s", page)
	}
	provider.review(page)
	detail := mustGet(t, requester, page)
	g := grantLink.FindStringSubmatch(detail)
	if g == nil {
		t.Fatalf("granted request shows no grant:\n%s", excerpt(detail))
	}
	if allow, reason := decision(t, s, res.ID, token); !allow || reason != "grant" {
		t.Fatalf("after approval: allow=%v reason=%s", allow, reason)
	}
	if status, body := rowsStatus(t, s, res.ID, token); status == http.StatusForbidden || status == http.StatusTooManyRequests {
		t.Fatalf("rows after approval: %d %s", status, body)
	}

	grantPage := "/grants/" + g[1]
	status, _, body = provider.post(grantPage+"/revoke", url.Values{"csrf_token": {provider.csrf(grantPage)}, "reason": {"合作结束"}})
	if status != http.StatusSeeOther {
		t.Fatalf("revoke: %d\n%s", status, excerpt(body))
	}
	if allow, reason := decision(t, s, res.ID, token); allow || reason != "grant_revoked" {
		t.Fatalf("after revocation: allow=%v reason=%s", allow, reason)
	}
	if status, _ := rowsStatus(t, s, res.ID, token); status != http.StatusForbidden {
		t.Fatalf("rows after revocation: %d, want 403", status)
	}
	if notes := mustGet(t, requester, "/notifications"); !strings.Contains(notes, grantPage) {
		t.Errorf("the requester was not notified of the revocation")
	}
}

func TestEndToEndConditionalOpenApplication(t *testing.T) {
	s := start(t, "demo", "--data", t.TempDir())
	accounts := s.accounts(t)
	res, providerCode := findResource(t, s, "open_type=conditional", "")
	company := newBrowser(t, s.url)
	company.login("company", accounts["company"])
	token := company.apiToken("open-e2e")
	if status, _ := rowsStatus(t, s, res.ID, token); status != http.StatusForbidden {
		t.Fatalf("rows before applying: %d, want 403", status)
	}
	form := "/applications/new?resource_id=" + res.ID
	orgID := orgOption.FindStringSubmatch(mustGet(t, company, form))
	if orgID == nil {
		t.Fatal("the application form offers the company no applicant")
	}
	status, loc, body := company.post("/applications", url.Values{"csrf_token": {company.csrf(form)}, "resource_id": {res.ID},
		"org_id": {orgID[1]}, "purpose": {"出行服务应用"}, "scenario": {"公司导航产品的到站预测"},
		"security_measures": {"专线接入、访问审计、加密存储"}, "duration_days": {"90"}})
	m := requestPath.FindStringSubmatch(loc)
	if status != http.StatusSeeOther || m == nil {
		t.Fatalf("application: %d %q\n%s", status, loc, excerpt(body))
	}
	page := "/applications/" + m[2]
	provider := newBrowser(t, s.url)
	provider.login(providerCode+".admin", accounts[providerCode+".admin"])
	provider.review(page)
	if allow, _ := decision(t, s, res.ID, token); allow {
		t.Fatal("readable before the operator approved")
	}
	operator := newBrowser(t, s.url)
	operator.login("operator", accounts["operator"])
	operator.review(page)
	detail := mustGet(t, company, page)
	if !strings.Contains(detail, "SHA-256") || grantLink.FindStringSubmatch(detail) == nil {
		t.Fatalf("granted application shows no agreement or grant:\n%s", excerpt(detail))
	}
	if allow, reason := decision(t, s, res.ID, token); !allow || reason != "grant" {
		t.Fatalf("after approval: allow=%v reason=%s", allow, reason)
	}
	grantPage := "/grants/" + grantLink.FindStringSubmatch(detail)[1]
	if mine := mustGet(t, company, "/grants"); !strings.Contains(mine, grantPage) {
		t.Errorf("/grants does not list the company's grant")
	}
	// A machine client of the company reads with a per-grant key alone.
	status, _, body = company.post(grantPage+"/keys", url.Values{"csrf_token": {company.csrf(grantPage)}, "name": {"导航后台"}})
	key := keySecret.FindStringSubmatch(body)
	if status != http.StatusOK || key == nil {
		t.Fatalf("create key: %d\n%s", status, excerpt(body))
	}
	if allow, reason := keyDecision(t, s, res.ID, key[1]); !allow || reason != "grant" {
		t.Fatalf("keyed read: allow=%v reason=%s", allow, reason)
	}
	if status, _, body := operator.post(grantPage+"/revoke", url.Values{"csrf_token": {operator.csrf(grantPage)}, "reason": {"违反约定用途"}}); status != http.StatusSeeOther {
		t.Fatalf("revoke: %d\n%s", status, excerpt(body))
	}
	if status, _ := rowsStatus(t, s, res.ID, token); status != http.StatusForbidden {
		t.Fatalf("rows after revocation: %d, want 403", status)
	}
	if allow, reason := keyDecision(t, s, res.ID, key[1]); allow || reason != "grant_revoked" {
		t.Fatalf("keyed read after revocation: allow=%v reason=%s", allow, reason)
	}
	if lists := mustGet(t, company, "/open-lists"); !strings.Contains(lists, "京华市交通委员会") {
		t.Errorf("the open list page does not show the transport commission's list")
	}
	mustGet(t, company, "/applications")
}

var keySecret = regexp.MustCompile(`<code class="secret">(dpk_[^<]+)</code>`)

// keyDecision asks the decision point with only a per-grant API key.
func keyDecision(t *testing.T, s *server, id, key string) (bool, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.url+"/api/v1/resources/"+id+"/access", nil)
	req.Header.Set("X-Dataport-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d struct {
		Allow  bool   `json:"allow"`
		Reason string `json:"reason"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("keyed access check: %d %v", resp.StatusCode, err)
	}
	return d.Allow, d.Reason
}

func TestEndToEndAnonymousRateLimit(t *testing.T) {
	s := start(t, "demo", "--data", t.TempDir(), "--anon-rate", "5")
	res, _ := findResource(t, s, "open_type=unconditional", "")
	var last int
	var header http.Header
	var body string
	for range 6 {
		last, header, body = apiGet(t, s.url+"/api/v1/resources/"+res.ID+"/rows?limit=1", "")
	}
	if last != http.StatusTooManyRequests || header.Get("Retry-After") == "" ||
		!strings.HasPrefix(header.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("sixth anonymous read: %d, Retry-After %q, %s: %s", last, header.Get("Retry-After"), header.Get("Content-Type"), body)
	}
	closed, _ := findResource(t, s, "open_type=none", "")
	if status, _, _ := apiGet(t, s.url+"/api/v1/resources/"+closed.ID+"/access", ""); status != http.StatusTooManyRequests {
		t.Errorf("the limit is per address, across resources: got %d", status)
	}
}

func mustGet(t *testing.T, b *browser, path string) string {
	t.Helper()
	status, body := b.get(path)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", path, status, excerpt(body))
	}
	return body
}
