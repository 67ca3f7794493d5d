package main

import (
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
)

// TestMetricsFlags: the real binary serves /metrics only as --metrics-allow
// and the token in DATAPORT_METRICS_TOKEN say — here not to its own
// loopback, which the allowed network leaves out — and refuses to start
// with a bad network, naming the flag.
func TestMetricsFlags(t *testing.T) {
	t.Setenv("DATAPORT_METRICS_TOKEN", "e2e-metrics-token")
	s := start(t, "serve", "--data", t.TempDir(), "--metrics-allow", "192.0.2.0/24")
	get := func(auth string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, s.url+"/metrics", nil)
		if err != nil {
			t.Fatal(err)
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for _, test := range []struct {
		name, auth string
		want       int
	}{
		{"loopback outside the allowed network", "", http.StatusNotFound},
		{"the token from the environment", "Bearer e2e-metrics-token", http.StatusOK},
		{"a wrong token", "Bearer e2e-metrics-tokens", http.StatusForbidden},
	} {
		status, body := get(test.auth)
		if status != test.want || strings.Contains(body, "go_goroutines") != (test.want == http.StatusOK) {
			t.Errorf("%s: status %d, want %d:\n%.200s", test.name, status, test.want, body)
		}
	}

	out, err := exec.Command(binary, "serve", "--data", t.TempDir(), "--addr", freeAddr(t), "--metrics-allow", "10.0.0.0/33").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--metrics-allow") || !strings.Contains(string(out), "10.0.0.0/33") {
		t.Errorf("a bad network: err %v, output %q; want a refusal naming the flag and the entry", err, out)
	}
}
