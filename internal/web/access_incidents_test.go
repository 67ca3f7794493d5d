package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"dataport/internal/store"
	"dataport/internal/web/api"
)

// TestIncidentRoutesWhoMayCall walks every operation of the data security
// incidents as each kind of caller against an open incident of the
// provider: everything asks for a token; the provider's editor works on
// it; the auditor reads but changes nothing; another institution and a
// public user are told that it does not exist and list nothing of it; only
// the security officer turns an alert into an incident, and only a unit's
// admins name its officers.
func TestIncidentRoutesWhoMayCall(t *testing.T) {
	rw := newRouteWorld(t)
	w := rw.w
	tokens := map[string]string{"editor": rw.token(t, w.ProviderEditor), "auditor": rw.token(t, w.Auditor),
		"outsider": rw.token(t, w.RequesterAdmin), "citizen": rw.token(t, w.Citizen)}
	details := map[string]any{"org_id": w.Provider.ID, "title": "数据外泄事件", "kind": "leak", "level": "major", "persons_affected": 3,
		"records_affected": 9, "discovered_at": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)}
	code, created := rw.send(t, http.MethodPost, api.Prefix+"/incidents", tokens["editor"], details)
	id, _ := created["id"].(string)
	if code != http.StatusCreated || id == "" {
		t.Fatalf("open: %d %v", code, created)
	}
	bodies := map[string]any{
		"POST /incidents":                           details,
		"PUT /incidents/{id}":                       details,
		"POST /incidents/{id}/contain":              map[string]any{},
		"POST /incidents/{id}/documents":            map[string]any{"kind": "report"},
		"POST /incidents/{id}/review":               map[string]any{"summary": "经过", "lessons": "整改"},
		"POST /incidents/{id}/tasks":                map[string]any{"title": "排查", "owner_user_id": "nobody", "due_at": "2099-01-01T00:00:00Z"},
		"POST /monitor/alerts/{id}/incident":        details,
		"PUT /organizations/{id}/officers":          map[string]any{"responsible_user_id": w.ProviderEditor.UserID},
		"POST /incidents/{id}/tasks/{task_id}/done": map[string]any{},
		"POST /incidents/{id}/close":                map[string]any{},
		"GET /incidents/{id}/documents/{doc_id}":    nil,
		"GET /incidents":                            nil,
		"GET /incidents/{id}":                       nil,
	}
	// want: anonymous, citizen, outsider, auditor, editor; operations in path order.
	want := map[string][5]int{
		"GET /incidents":                            {401, 200, 200, 200, 200},
		"POST /incidents":                           {401, 403, 403, 403, 201},
		"GET /incidents/{id}":                       {401, 404, 404, 200, 200},
		"PUT /incidents/{id}":                       {401, 404, 404, 403, 200},
		"POST /incidents/{id}/close":                {401, 404, 404, 403, 409}, // not contained yet
		"POST /incidents/{id}/contain":              {401, 404, 404, 403, 200},
		"POST /incidents/{id}/documents":            {401, 404, 404, 403, 201},
		"GET /incidents/{id}/documents/{doc_id}":    {401, 404, 404, 404, 404}, // no such document
		"POST /incidents/{id}/review":               {401, 404, 404, 403, 200},
		"POST /incidents/{id}/tasks":                {401, 404, 404, 403, 422}, // the owner names no user
		"POST /incidents/{id}/tasks/{task_id}/done": {401, 404, 404, 404, 404}, // no such task
		"POST /monitor/alerts/{id}/incident":        {401, 403, 403, 403, 403}, // the security officer's
		"PUT /organizations/{id}/officers":          {401, 403, 403, 403, 403}, // the unit's admins'
	}
	walked := 0
	for _, op := range rw.operations(t) {
		key := op.method + " " + op.path
		expect, ok := want[key]
		if !ok {
			if strings.HasPrefix(op.path, "/incidents") {
				t.Errorf("%s is not in the walk", key)
			}
			continue
		}
		walked++
		target := id
		if strings.HasPrefix(op.path, "/organizations") {
			target = w.Provider.ID
		}
		path := api.Prefix + strings.NewReplacer("{id}", target, "{task_id}", store.NewID(), "{doc_id}", store.NewID()).Replace(op.path)
		for i, who := range []string{"anonymous", "citizen", "outsider", "auditor", "editor"} {
			var got int
			var body string
			if op.method == http.MethodGet {
				got, body = rw.get(t, path, tokens[who])
			} else {
				var out map[string]any
				got, out = rw.send(t, op.method, path, tokens[who], bodies[key])
				body = fmt.Sprint(out)
			}
			if got != expect[i] {
				t.Errorf("%s %s: %d, want %d: %.200s", who, key, got, expect[i], body)
			}
			if (who == "citizen" || who == "outsider") && strings.Contains(body, "数据外泄事件") {
				t.Errorf("%s %s shows the incident: %.200s", who, key, body)
			}
		}
	}
	if walked != len(want) {
		t.Errorf("walked %d incident operations, want %d", walked, len(want))
	}
}
