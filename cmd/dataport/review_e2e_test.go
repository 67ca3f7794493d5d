package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// apiPost sends body as JSON with a bearer token and returns the status and
// the response body.
func apiPost(t *testing.T, u, token string, body any) (int, string) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	status, _, out := apiCall(t, http.MethodPost, u, token, bytes.NewReader(b))
	return status, out
}

// waiting is what the API says waits for the token's holder, as "task link".
func waiting(t *testing.T, s *server, token string) []string {
	t.Helper()
	status, _, body := apiGet(t, s.url+"/api/v1/reviews/waiting", token)
	var list struct {
		Items []struct{ Task, Link string } `json:"items"`
	}
	if status != http.StatusOK || json.Unmarshal([]byte(body), &list) != nil {
		t.Fatalf("waiting: %d %s", status, body)
	}
	var out []string
	for _, w := range list.Items {
		out = append(out, w.Task+" "+w.Link)
	}
	return out
}

// TestEndToEndMoreMaterial: a provider asks a requester for more material
// over the API, the request shows up in each side's "waits for me" list in
// turn, the requester answers in the browser, and the provider approves.
func TestEndToEndMoreMaterial(t *testing.T) {
	s := start(t, "demo", "--data", t.TempDir())
	accounts := s.accounts(t)
	res, providerCode := findResource(t, s, "share_type=conditional&classification=general", "TJJ")
	requester := newBrowser(t, s.url)
	requester.login("tjj.editor", accounts["tjj.editor"])
	requesterToken := requester.apiToken("more-material-requester")
	form := "/share-requests/new?resource_id=" + res.ID
	status, loc, body := requester.post("/share-requests", url.Values{"csrf_token": {requester.csrf(form)}, "resource_id": {res.ID},
		"org_id": {orgOption.FindStringSubmatch(mustGet(t, requester, form))[1]}, "purpose": {"人口与交通关联统计分析"},
		"legal_basis": {"《京华市统计条例》第十二条"}, "duration_days": {"30"}})
	m := requestPath.FindStringSubmatch(loc)
	if status != http.StatusSeeOther || m == nil {
		t.Fatalf("share request: %d %q\n%s", status, loc, excerpt(body))
	}
	id, page := m[2], "/share-requests/"+m[2]
	provider := newBrowser(t, s.url)
	provider.login(providerCode+".admin", accounts[providerCode+".admin"])
	providerToken := provider.apiToken("more-material-provider")
	if w := waiting(t, s, providerToken); !slices.Contains(w, "decide "+page) {
		t.Fatalf("the provider's waiting list lacks the request: %v", w)
	}
	if status, body := apiPost(t, s.url+"/api/v1/share-requests/"+id+"/request-info", requesterToken, map[string]string{"text": "自问自答"}); status != http.StatusForbidden {
		t.Errorf("the requester asked itself: %d %s", status, body)
	}
	status, body = apiPost(t, s.url+"/api/v1/share-requests/"+id+"/request-info", providerToken, map[string]string{"text": "请补充数据使用的安全措施"})
	if status != http.StatusOK || !strings.Contains(body, `"status":"more_info"`) || !strings.Contains(body, `"answer_due_at"`) {
		t.Fatalf("request info: %d %s", status, body)
	}
	if w := waiting(t, s, requesterToken); !slices.Contains(w, "answer "+page) {
		t.Fatalf("the requester's waiting list lacks the question: %v", w)
	}
	if w := waiting(t, s, providerToken); slices.Contains(w, "decide "+page) {
		t.Errorf("the provider still waits for the request while it waits for material: %v", w)
	}
	if status, body := apiPost(t, s.url+"/api/v1/share-requests/"+id+"/review", providerToken, map[string]string{"decision": "approve"}); status != http.StatusConflict {
		t.Errorf("approved while waiting for material: %d %s", status, body)
	}

	// The requester answers in the browser.
	detail := mustGet(t, requester, page)
	if !strings.Contains(detail, `action="`+page+`/answer"`) || !strings.Contains(detail, "请补充数据使用的安全措施") {
		t.Fatalf("the request page offers no answer form or hides the question:\n%s", excerpt(detail))
	}
	status, _, body = requester.post(page+"/answer", url.Values{"csrf_token": {requester.csrf(page)}, "text": {"  "}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="field-text-error"`) {
		t.Fatalf("an empty answer: %d\n%s", status, excerpt(body))
	}
	status, _, body = requester.post(page+"/answer", url.Values{"csrf_token": {requester.csrf(page)}, "text": {"数据仅在内网分析环境使用，访问留痕"}})
	if status != http.StatusSeeOther {
		t.Fatalf("answer: %d\n%s", status, excerpt(body))
	}
	if w := waiting(t, s, providerToken); !slices.Contains(w, "decide "+page) {
		t.Fatalf("after the answer the provider's waiting list lacks the request: %v", w)
	}
	if todo := mustGet(t, provider, "/waiting"); !strings.Contains(todo, page) {
		t.Errorf("the provider's waiting page does not link the request")
	}
	provider.review(page)
	if allow, reason := decision(t, s, res.ID, requesterToken); !allow || reason != "grant" {
		t.Fatalf("after approval: allow=%v reason=%s", allow, reason)
	}
}
