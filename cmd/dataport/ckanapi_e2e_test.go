package main

import (
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"dataport/internal/web/api"
)

// TestCKANAPIClientFlows runs the ckanapi client (CKAN's own Python client,
// vendored in testdata/ckanapi) against the running demo: the resource
// flows (package_search, package_show, resource_show, organization_list
// and organization_show, the download through a resource's url) and the
// datastore flows of the CKAN API documentation (datastore_search with
// filters, q, fields, sort, limit and offset, following _links.next, and
// datastore_search_sql). It skips only when python3 is missing.
func TestCKANAPIClientFlows(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	s := start(t, "demo", "--data", t.TempDir(), "--datastore-sql")
	token := editorToken(t, s, "ckanapi")

	lib, _ := filepath.Abs("testdata/ckanapi")
	cmd := exec.Command(python, "testdata/ckanapi_flows.py", s.url, token, "公交")
	cmd.Env = append(os.Environ(), "PYTHONPATH="+lib, "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ckanapi flows: %v\n%s", err, out)
	}
	for _, flow := range []string{"ok resources:", "ok datastore:"} {
		if !strings.Contains(string(out), flow) {
			t.Errorf("no %q in the output:\n%s", flow, out)
		}
	}
	t.Logf("%s", out)
}

// editorToken signs in as a demo institution editor and creates an API token.
func editorToken(t *testing.T, s *server, tokenName string) string {
	t.Helper()
	name, password := accountWithSuffix(t, s.accounts(t), ".editor")
	b := newBrowser(t, s.url)
	b.login(name, password)
	return b.apiToken(tokenName)
}

// TestCKANDatastoreSearchRateHeaders: a keyed datastore_search (a token, as
// ckanapi sends it, or a per-grant key) carries the same rate-limit fields
// as the native API's data routes, readable by browsers (CORS); an
// anonymous one carries none.
func TestCKANDatastoreSearchRateHeaders(t *testing.T) {
	s := start(t, "demo", "--data", t.TempDir())
	token := editorToken(t, s, "rate")

	var found struct {
		Result struct {
			Results []struct {
				Resources []struct {
					ID              string
					DatastoreActive bool `json:"datastore_active"`
				}
			}
		}
	}
	getJSON(t, s.url+"/api/3/action/package_search?q=%E5%85%AC%E4%BA%A4&rows=20", &found)
	rid := ""
	for _, p := range found.Result.Results {
		for _, r := range p.Resources {
			if r.DatastoreActive && rid == "" {
				rid = r.ID
			}
		}
	}
	if rid == "" {
		t.Fatal("no resource in the datastore")
	}
	search := s.url + "/api/3/action/datastore_search?" + url.Values{"resource_id": {rid}, "limit": {"1"}}.Encode()
	for _, header := range []string{"Authorization", "X-CKAN-API-Key"} {
		req, _ := http.NewRequest(http.MethodGet, search, nil)
		req.Header.Set(header, token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if !strings.Contains(h.Get("Access-Control-Expose-Headers"), api.RateLimitPolicyHeader) {
			t.Errorf("browsers may not read the rate fields: Access-Control-Expose-Headers %q", h.Get("Access-Control-Expose-Headers"))
		}
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(h.Get(api.RateLimitPolicyHeader), `"user";q=`) ||
			!strings.HasPrefix(h.Get(api.RateLimitHeader), `"user";r=`) || h.Get(api.RateLimitRemainingHeader) == "" ||
			h.Get(api.RateLimitLimitHeader) == "" || h.Get(api.RateLimitResetHeader) == "" {
			t.Errorf("datastore_search with %s: %d, rate fields %q %q %q", header, resp.StatusCode,
				h.Get(api.RateLimitPolicyHeader), h.Get(api.RateLimitHeader), h.Get(api.RateLimitRemainingHeader))
		}
	}
	resp, err := http.Get(search)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get(api.RateLimitHeader) != "" {
		t.Errorf("anonymous datastore_search: %d, RateLimit %q", resp.StatusCode, resp.Header.Get(api.RateLimitHeader))
	}
}
