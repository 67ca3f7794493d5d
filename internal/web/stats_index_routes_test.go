package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"dataport/internal/web/api"
)

// TestStatsIndexRoutes walks who may call the composite index's
// operations: anyone reads (404 for a year not published), only the
// platform operator and sysadmins publish — the anonymous are asked to
// authenticate, an institution's admin or member and the auditor are
// refused — and the world, with no statistics, refuses the operator's
// publication on the period; the page's form needs the CSRF token.
func TestStatsIndexRoutes(t *testing.T) {
	rw := newRouteWorld(t)
	w := rw.w
	if status, body := rw.get(t, api.Prefix+"/stats/index?period=2025", ""); status != http.StatusNotFound {
		t.Errorf("an unpublished year: %d %.300s", status, body)
	}
	for who, c := range map[string]struct {
		token string
		want  int
	}{
		"anonymous":             {"", http.StatusUnauthorized},
		"an institution member": {rw.token(t, w.RequesterMember), http.StatusForbidden},
		"an institution admin":  {rw.token(t, w.ProviderAdmin), http.StatusForbidden},
		"the auditor":           {rw.token(t, w.Auditor), http.StatusForbidden},
		"the platform operator": {rw.token(t, w.Operator), http.StatusUnprocessableEntity},
		"a sysadmin":            {rw.token(t, w.Sysadmin), http.StatusUnprocessableEntity},
	} {
		req := httptest.NewRequest(http.MethodPost, api.Prefix+"/stats/index", strings.NewReader(`{"period":"2025"}`))
		req.Header.Set("Content-Type", "application/json")
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		rec := httptest.NewRecorder()
		rw.handler.ServeHTTP(rec, req)
		body, _ := io.ReadAll(rec.Result().Body)
		if rec.Code != c.want || (c.want == http.StatusUnprocessableEntity && !strings.Contains(string(body), `"body.period"`)) {
			t.Errorf("%s publishing: %d, want %d\n%.400s", who, rec.Code, c.want, body)
		}
	}
	if status, page := rw.get(t, "/stats/index", ""); status != http.StatusOK || strings.Contains(page, `action="/stats/index"`) {
		t.Errorf("the list for anyone: %d (a publish form shown: %v)", status, strings.Contains(page, `action="/stats/index"`))
	}
	req := httptest.NewRequest(http.MethodPost, "/stats/index", strings.NewReader("period=2025"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	rw.handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden && rec.Code != http.StatusBadRequest {
		t.Errorf("the publish form without a CSRF token: %d", rec.Code)
	}
}
