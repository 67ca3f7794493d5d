package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web"
	"dataport/internal/web/services"
)

// metricsSite is the whole HTTP surface with /metrics restricted by m.
func metricsSite(t *testing.T, m web.MetricsAccess) http.Handler {
	t.Helper()
	db := storetest.Open(t, store.SQLite)
	h, err := web.New(web.Config{DB: db, PublicURL: "http://portal.test", Version: "test", Metrics: m,
		Services: services.Services{Identity: identity.NewService(db), Catalog: catalog.NewService(db)}})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestMetricsRestricted: /metrics is Prometheus text for a client in an
// allowed network or with the configured bearer token; a client elsewhere
// is answered 404 as if there were no metrics, a wrong token 403, and
// neither gets a line of the metrics.
func TestMetricsRestricted(t *testing.T) {
	allow, err := web.ParseMetricsAllow([]string{"10.1.0.0/16", "2001:db8::/32", "192.0.2.7"})
	if err != nil {
		t.Fatal(err)
	}
	restricted := metricsSite(t, web.MetricsAccess{Allow: allow, Token: "s3cret-token"})
	defaults := metricsSite(t, web.MetricsAccess{})
	for _, test := range []struct {
		name   string
		h      http.Handler
		remote string
		auth   string
		want   int
	}{
		{"allowed network", restricted, "10.1.200.3:5555", "", http.StatusOK},
		{"allowed v6 network", restricted, "[2001:db8::1]:5555", "", http.StatusOK},
		{"allowed single host", restricted, "192.0.2.7:5555", "", http.StatusOK},
		{"v4-mapped v6 address in an allowed network", restricted, "[::ffff:10.1.0.9]:5555", "", http.StatusOK},
		{"denied address", restricted, "10.2.0.1:5555", "", http.StatusNotFound},
		{"loopback not configured", restricted, "127.0.0.1:5555", "", http.StatusNotFound},
		{"token from anywhere", restricted, "198.51.100.9:5555", "Bearer s3cret-token", http.StatusOK},
		{"wrong token", restricted, "198.51.100.9:5555", "Bearer s3cret-tokeN", http.StatusForbidden},
		{"wrong token in an allowed network", restricted, "10.1.0.1:5555", "Bearer nope", http.StatusForbidden},
		{"forwarded header is not the peer", restricted, "198.51.100.9:5555", "", http.StatusNotFound},
		{"default: loopback v4", defaults, "127.0.0.1:5555", "", http.StatusOK},
		{"default: loopback v6", defaults, "[::1]:5555", "", http.StatusOK},
		{"default: any token is refused", defaults, "127.0.0.1:5555", "Bearer x", http.StatusForbidden},
		{"default: other address", defaults, "192.0.2.1:5555", "", http.StatusNotFound},
	} {
		t.Run(test.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			req.RemoteAddr = test.remote
			req.Header.Set("X-Forwarded-For", "10.1.0.1")
			if test.auth != "" {
				req.Header.Set("Authorization", test.auth)
			}
			rec := httptest.NewRecorder()
			test.h.ServeHTTP(rec, req)
			if rec.Code != test.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, test.want, rec.Body)
			}
			served := strings.Contains(rec.Body.String(), "go_goroutines")
			if served != (test.want == http.StatusOK) {
				t.Errorf("metrics served = %v with status %d", served, rec.Code)
			}
		})
	}
}

// TestParseMetricsAllow names a bad entry and reads bare addresses as hosts.
func TestParseMetricsAllow(t *testing.T) {
	got, err := web.ParseMetricsAllow([]string{"::1", " 10.0.0.0/8 ", ""})
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("10.0.0.0/8")}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got %v, want %v", got, want)
	}
	if _, err := web.ParseMetricsAllow([]string{"10.0.0.0/33"}); err == nil || !strings.Contains(err.Error(), "10.0.0.0/33") {
		t.Errorf("bad CIDR: err = %v, want it named", err)
	}
}
