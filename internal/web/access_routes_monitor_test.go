package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/monitor"
	"dataport/internal/store"
	"dataport/internal/web/api"
)

// routeMonitor is the route world's security monitor, its default rules
// seeded, observing the world's decision point.
func routeMonitor(t testing.TB, db *store.DB, acc *access.Service) *monitor.Service {
	t.Helper()
	m := monitor.New(db, monitor.Config{})
	ctx := context.Background()
	if err := m.Load(ctx); err != nil {
		t.Fatal(err)
	}
	acc.OnLogged(m.OnLogged)
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	return m
}

// TestMonitorRoutesWhoMayCall walks every operation of the security
// monitoring as each kind of caller, with an alert raised by ten denied
// reads: everything asks for a token; a public user is refused; the
// auditor (like the regulator) reads alerts and rules but changes
// nothing; the security officer works on them.
func TestMonitorRoutesWhoMayCall(t *testing.T) {
	rw := newRouteWorld(t)
	w := rw.w
	security := w.NewUser(t, "security", "security")
	ctx := context.Background()
	for range 10 {
		if _, err := rw.acc.Decide(ctx, access.Request{Subject: w.Unaffiliated, ResourceID: w.Unshared.ID, Action: access.ActionRead}); err != nil {
			t.Fatal(err)
		}
	}
	tokens := map[string]string{"citizen": rw.token(t, w.Citizen), "auditor": rw.token(t, w.Auditor), "security": rw.token(t, security)}
	var alertID string
	for range 100 { // the decision log and the monitor are asynchronous
		rw.acc.Flush(ctx)
		time.Sleep(20 * time.Millisecond)
		_, page := rw.send(t, http.MethodGet, api.Prefix+"/monitor/alerts?rule=repeated_denials", tokens["auditor"], nil)
		if items, _ := page["items"].([]any); len(items) == 1 {
			alertID, _ = items[0].(map[string]any)["id"].(string)
			break
		}
	}
	if alertID == "" {
		t.Fatal("ten denied reads raised no repeated_denials alert")
	}
	_, rule := rw.send(t, http.MethodGet, api.Prefix+"/monitor/rules/repeated_denials", tokens["security"], nil)
	body, _ := rule["body"].(string)
	bodies := map[string]any{
		"POST /monitor/alerts/{id}/acknowledge": map[string]any{"note": "处理中"},
		"POST /monitor/alerts/{id}/assign":      map[string]any{"owner_user_id": w.Citizen.UserID},
		"POST /monitor/alerts/{id}/close":       map[string]any{"outcome": "false_positive", "note": ""},
		"POST /monitor/rules":                   map[string]any{"body": "code: x\n  bad: ["},
		"PUT /monitor/rules/{id}":               map[string]any{"body": body},
	}
	// want: anonymous, citizen, auditor, security officer.
	want := map[string][4]int{
		"GET /monitor/alerts":                   {401, 403, 200, 200},
		"GET /monitor/alerts/{id}":              {401, 403, 200, 200},
		"POST /monitor/alerts/{id}/acknowledge": {401, 403, 403, 200},
		"POST /monitor/alerts/{id}/assign":      {401, 403, 403, 422}, // the citizen is no security officer
		"POST /monitor/alerts/{id}/close":       {401, 403, 403, 422}, // the note is required
		"GET /monitor/rules":                    {401, 403, 200, 200},
		"GET /monitor/rules/variables":          {401, 403, 200, 200},
		"POST /monitor/rules":                   {401, 403, 403, 422},
		"GET /monitor/rules/{id}":               {401, 403, 200, 200},
		"PUT /monitor/rules/{id}":               {401, 403, 403, 200},
	}
	walked := 0
	for _, op := range rw.operations(t) {
		if !strings.HasPrefix(op.path, "/monitor/") || strings.HasSuffix(op.path, "/incident") { // the incidents part's operation
			continue
		}
		key := op.method + " " + op.path
		expect, ok := want[key]
		if !ok {
			t.Errorf("%s is not in the walk", key)
			continue
		}
		walked++
		id := alertID
		if strings.HasPrefix(op.path, "/monitor/rules/") {
			id = "repeated_denials"
		}
		path := api.Prefix + strings.ReplaceAll(op.path, "{id}", id)
		for i, who := range []string{"anonymous", "citizen", "auditor", "security"} {
			var got int
			var out string
			if op.method == http.MethodGet {
				got, out = rw.get(t, path, tokens[who])
			} else {
				var m map[string]any
				got, m = rw.send(t, op.method, path, tokens[who], bodies[key])
				out = fmt.Sprint(m)
			}
			if got != expect[i] {
				t.Errorf("%s %s: %d, want %d: %.300s", who, key, got, expect[i], out)
			}
		}
	}
	if walked != len(want) {
		t.Errorf("walked %d monitoring operations, want %d", walked, len(want))
	}
}
