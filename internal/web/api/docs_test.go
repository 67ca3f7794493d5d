package api_test

import (
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/api"
	"dataport/internal/web/services"
)

// TestDocsPageOffline: /api/v1/docs and every script and style it names are
// served from this origin with the site's browser protections, the page
// and our script name no other origin, the policy allows none, and the
// bundle reaches clients with and without gzip.
func TestDocsPageOffline(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	cfg := api.Config{Version: "test", Services: services.Services{Identity: identity.NewService(db), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	srv := httptest.NewServer(api.New(cfg))
	t.Cleanup(srv.Close)
	get := func(url string, gzipOK bool) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		if gzipOK {
			req.Header.Set("Accept-Encoding", "gzip") // set by hand, so the client does not unpack the body
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body io.Reader = resp.Body
		if resp.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(resp.Body)
			if err != nil {
				t.Fatalf("%s: %v", url, err)
			}
			body = zr
		}
		raw, err := io.ReadAll(body)
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		return resp, string(raw)
	}
	checkHeaders := func(url string, h http.Header) {
		t.Helper()
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "http") ||
			strings.Contains(csp, "unsafe") || h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" ||
			h.Get("Referrer-Policy") != "same-origin" {
			t.Errorf("%s: browser protections missing: %v", url, h)
		}
	}
	resp, page := get(srv.URL+api.DocsPath, false)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `data-spec="/api/v1/openapi.json"`) || !strings.Contains(page, api.TokensHelpPath) {
		t.Fatalf("docs page: %d %s", resp.StatusCode, page)
	}
	checkHeaders(api.DocsPath, resp.Header)
	remote := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]`)
	if m := remote.FindString(page); m != "" {
		t.Errorf("the docs page names another origin: %q", m)
	}
	assets := regexp.MustCompile(`(?:src|href)="(/api/v1/docs/assets/[^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(assets) != 4 {
		t.Fatalf("docs page names %d assets, want 4 (bundle, styles, our script and style): %s", len(assets), page)
	}
	for _, a := range assets {
		for _, gzipOK := range []bool{true, false} {
			resp, body := get(srv.URL+a[1], gzipOK)
			if resp.StatusCode != http.StatusOK || len(body) == 0 || (!strings.HasSuffix(a[1], ".js") && !strings.HasSuffix(a[1], ".css")) {
				t.Errorf("%s (gzip %v): %d, %d bytes", a[1], gzipOK, resp.StatusCode, len(body))
			}
			checkHeaders(a[1], resp.Header)
			if strings.Contains(a[1], "/docs.") {
				if m := remote.FindString(body); m != "" {
					t.Errorf("%s names another origin: %q", a[1], m)
				}
			}
			if strings.Contains(a[1], "swagger-ui-bundle") && !strings.Contains(body, "SwaggerUIBundle") {
				t.Errorf("%s (gzip %v) is not Swagger UI's bundle: %.100q", a[1], gzipOK, body)
			}
		}
	}
	if resp, _ := get(srv.URL+api.DocsPath+"/assets/nothing.js", true); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown asset: %d", resp.StatusCode)
	}
	if resp, spec := get(srv.URL+api.Prefix+"/openapi.json", true); resp.StatusCode != http.StatusOK || !strings.Contains(spec, `"openapi"`) {
		t.Errorf("the document the page loads: %d", resp.StatusCode)
	}
}
