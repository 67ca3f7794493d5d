package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// TestWritesRefuseBadInputAndChangeNothing sends bad input to every write
// endpoint and checks the status, the located field errors, and that no
// table changed.
func TestWritesRefuseBadInputAndChangeNothing(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		dupItems := validInput()
		dupItems.Items = append(dupItems.Items, dupItems.Items[0])
		dupItems.TitleZh = " "
		noBasis := validInput()
		noBasis.ShareType, noBasis.OpenType = catalog.ShareNone, catalog.OpenNone
		changedSubject := validInput()
		changedSubject.Subject = "05"
		tests := []struct {
			name           string
			method, path   string
			token          string
			body           any
			status         int
			wantLocations  []string // field errors that must be reported
			detailContains string
		}{
			{"create org: wrong USCC check character", "POST", "/organizations", "sysadm",
				map[string]any{"kind": "enterprise", "name_zh": "某科技有限公司", "uscc": "91110108MA01ABCDE0"}, 422, []string{"body.uscc"}, ""},
			{"create org: missing name, bad kind", "POST", "/organizations", "sysadm",
				map[string]any{"kind": "bank", "name_zh": ""}, 422, []string{"body.kind"}, ""},
			{"create org: duplicate code", "POST", "/organizations", "sysadm",
				map[string]any{"kind": "operator", "name_zh": "另一个", "code": "JTW"}, 422, []string{"body.code"}, ""},
			{"create org: editor may not", "POST", "/organizations", "editor",
				map[string]any{"kind": "operator", "name_zh": "某中心"}, 403, nil, ""},
			{"create org: anonymous", "POST", "/organizations", "",
				map[string]any{"kind": "operator", "name_zh": "某中心"}, 401, nil, ""},
			{"update org: bad region code", "PUT", "/organizations/{org}", "sysadm",
				map[string]any{"kind": "institution", "name_zh": "市交通委员会", "uscc": "{uscc}", "region_code": "11"}, 422, []string{"body.region_code"}, ""},
			{"update org: unknown id", "PUT", "/organizations/nope", "sysadm",
				map[string]any{"kind": "operator", "name_zh": "x"}, 404, nil, ""},
			{"set membership: bad role", "PUT", "/organizations/{org}/members/{editor}", "sysadm",
				map[string]any{"role": "owner"}, 422, []string{"body.role"}, ""},
			{"set membership: editor is not org admin", "PUT", "/organizations/{org}/members/{editor}", "editor",
				map[string]any{"role": "admin"}, 403, nil, ""},
			{"create user: short password, bad username", "POST", "/users", "sysadm",
				map[string]any{"username": "A B", "display_name": "x", "password": "short"}, 422, []string{"body.username", "body.password"}, ""},
			{"create user: unknown organization", "POST", "/users", "sysadm",
				map[string]any{"username": "newbie", "display_name": "x", "password": "long enough pw", "memberships": []map[string]string{{"organization_id": "nope", "role": "member"}}},
				422, []string{"body.memberships[0].organization_id"}, ""},
			{"create user: duplicate username", "POST", "/users", "sysadm",
				map[string]any{"username": "editor", "display_name": "x", "password": "long enough pw"}, 422, []string{"body.username"}, ""},
			{"create user: operator may not", "POST", "/users", "operator",
				map[string]any{"username": "newbie", "display_name": "x", "password": "long enough pw"}, 403, nil, ""},
			{"create token: no name, too long", "POST", "/users/me/tokens", "editor",
				map[string]any{"name": "", "expires_in_days": 1000}, 422, []string{"body.name", "body.expires_in_days"}, ""},
			{"create token: anonymous", "POST", "/users/me/tokens", "",
				map[string]any{"name": "x"}, 401, nil, ""},
			{"revoke token: unknown", "DELETE", "/users/me/tokens/nope", "editor", nil, 404, nil, ""},
			{"create resource: blank title, duplicate items", "POST", "/resources", "editor",
				withOrg("{org}", dupItems), 422, []string{"body.title_zh", "body.items[1].name"}, ""},
			{"create resource: none without basis", "POST", "/resources", "editor",
				withOrg("{org}", noBasis), 422, []string{"body.share_basis", "body.open_basis"}, ""},
			{"create resource: missing organization", "POST", "/resources", "editor",
				withOrg("", validInput()), 422, []string{"body.organization_id"}, ""},
			{"create resource: other institution", "POST", "/resources", "editor",
				withOrg("{other}", validInput()), 403, nil, ""},
			{"create resource: malformed JSON", "POST", "/resources", "editor",
				`{"title_zh": `, 400, nil, ""},
			{"create resource: wrong type", "POST", "/resources", "editor",
				`{"organization_id": "x", "level": "high"}`, 422, nil, ""},
			{"update resource: subject is part of the code", "PUT", "/resources/{draft}", "editor",
				changedSubject, 422, []string{"body.subject"}, ""},
			{"update resource: submitted cannot be edited", "PUT", "/resources/{submitted}", "editor",
				validInput(), 409, nil, "draft or returned"},
			{"update resource: anonymous must sign in first", "PUT", "/resources/{draft}", "",
				validInput(), 401, nil, ""},
			{"create resource: anonymous with a malformed body", "POST", "/resources", "",
				`{"title_zh": `, 401, nil, ""},
			{"submit: already submitted", "POST", "/resources/{submitted}/submit", "editor", nil, 409, nil, ""},
			{"submit: outsider", "POST", "/resources/{draft}/submit", "outsider", nil, 404, nil, ""},
			{"review: return without comment", "POST", "/resources/{submitted}/review", "operator",
				map[string]any{"decision": "return"}, 422, []string{"body.comment"}, ""},
			{"review: bad decision", "POST", "/resources/{submitted}/review", "operator",
				map[string]any{"decision": "maybe"}, 422, []string{"body.decision"}, ""},
			{"review: editor may not", "POST", "/resources/{submitted}/review", "editor",
				map[string]any{"decision": "approve"}, 403, nil, ""},
			{"review: draft is not reviewable", "POST", "/resources/{draft}/review", "sysadm",
				map[string]any{"decision": "approve"}, 409, nil, ""},
			{"retire: no reason", "POST", "/resources/{submitted}/retire", "operator",
				map[string]any{"reason": ""}, 422, []string{"body.reason"}, ""},
			{"retire: not published", "POST", "/resources/{submitted}/retire", "operator",
				map[string]any{"reason": "superseded"}, 409, nil, ""},
		}
		tokens := map[string]string{"": "", "editor": f.editor, "operator": f.operator, "sysadm": f.sysadm, "outsider": f.outsider}
		for _, test := range tests {
			t.Run(test.name, func(t *testing.T) {
				before := f.state()
				var p problemBody
				status := f.do(test.method, f.expand(test.path), tokens[test.token], f.expandBody(test.body), &p)
				if status != test.status {
					t.Fatalf("status = %d, want %d (%+v)", status, test.status, p)
				}
				for _, loc := range test.wantLocations {
					if !slices.Contains(p.locations(), loc) {
						t.Errorf("field errors %v lack %s", p.locations(), loc)
					}
				}
				if test.detailContains != "" && !strings.Contains(p.Detail, test.detailContains) {
					t.Errorf("detail %q lacks %q", p.Detail, test.detailContains)
				}
				if after := f.state(); after != before {
					t.Errorf("store changed:\nbefore %s\nafter  %s", before, after)
				}
			})
		}
	})
}

func withOrg(org string, in catalog.Input) map[string]any {
	m := map[string]any{}
	raw := must(jsonMarshal(in))
	jsonUnmarshal(raw, &m)
	if org != "" {
		m["organization_id"] = org
	}
	return m
}

func (f *fixture) expand(s string) string {
	var uscc string
	f.db.QueryRow(`SELECT uscc FROM organizations WHERE id = $1`, f.orgID).Scan(&uscc)
	return strings.NewReplacer("{org}", f.orgID, "{other}", f.otherOrgID, "{draft}", f.draftID,
		"{submitted}", f.submittedID, "{editor}", f.editorID, "{uscc}", uscc).Replace(s)
}

func (f *fixture) expandBody(body any) any {
	switch b := body.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, v := range b {
			if s, ok := v.(string); ok {
				v = f.expand(s)
			}
			out[k] = v
		}
		return out
	}
	return body
}

func TestWritesSucceedAndAreVisible(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		var created catalog.Resource
		if status := f.do("POST", "/resources", f.editor, withOrg(f.orgID, validInput()), &created); status != http.StatusCreated {
			t.Fatalf("create: %d", status)
		}
		if !strings.HasPrefix(created.Code, "JTW-04-") || created.Status != catalog.StatusDraft {
			t.Fatalf("created = %+v", created)
		}
		var got catalog.Resource
		if status := f.do("GET", "/resources/"+created.ID, "", nil, nil); status != http.StatusNotFound {
			t.Errorf("anonymous GET of a draft: %d, want 404", status)
		}
		for _, step := range []struct{ path, token string }{{"/submit", f.editor}, {"/review", f.operator}} {
			var body any
			if step.path == "/review" {
				body = map[string]string{"decision": "approve", "comment": "ok"}
			}
			if status := f.do("POST", "/resources/"+created.ID+step.path, step.token, body, &got); status != http.StatusOK {
				t.Fatalf("%s: %d", step.path, status)
			}
		}
		if status := f.do("GET", "/resources/"+created.ID, "", nil, &got); status != http.StatusOK || got.Status != catalog.StatusPublished {
			t.Fatalf("anonymous GET after publishing: %d %s", status, got.Status)
		}
		var page struct {
			Items      []catalog.Resource `json:"items"`
			NextCursor string             `json:"next_cursor"`
		}
		f.do("GET", "/resources?status=published&share_type=unconditional&limit=10", "", nil, &page)
		if len(page.Items) != 1 || page.Items[0].ID != created.ID {
			t.Fatalf("list = %+v", page.Items)
		}
		var orgs struct {
			Items []map[string]any `json:"items"`
		}
		f.do("GET", "/organizations", "", nil, &orgs)
		if len(orgs.Items) != 2 || orgs.Items[0]["uscc"] == "" || orgs.Items[0]["kind"] != "institution" {
			t.Fatalf("organizations = %+v", orgs.Items)
		}
		var tok struct {
			ID    string `json:"id"`
			Token string `json:"token"`
		}
		if status := f.do("POST", "/users/me/tokens", f.editor, map[string]any{"name": "ci", "expires_in_days": 30}, &tok); status != http.StatusCreated || !strings.HasPrefix(tok.Token, "dp_") {
			t.Fatalf("create token: %d %+v", status, tok)
		}
		if status := f.do("DELETE", "/users/me/tokens/"+tok.ID, f.editor, nil, nil); status != http.StatusNoContent {
			t.Fatalf("revoke: %d", status)
		}
		if status := f.do("GET", "/users/me", tok.Token, nil, nil); status != http.StatusUnauthorized {
			t.Fatalf("revoked token still works: %d", status)
		}
	})
}

func TestOpenAPIDocumentDescribesTheAPI(t *testing.T) {
	f := newFixture(t, storetest.Open(t, store.SQLite))
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if status := f.do("GET", "/openapi.json", "", nil, &doc); status != http.StatusOK {
		t.Fatalf("openapi.json: %d", status)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi = %q", doc.OpenAPI)
	}
	for _, p := range []string{"/resources", "/resources/{id}", "/resources/{id}/review", "/organizations", "/users/me/tokens"} {
		if doc.Paths[p] == nil {
			t.Errorf("OpenAPI lacks %s", p)
		}
	}
}
