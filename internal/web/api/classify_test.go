package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/classify"
	"dataport/internal/deid"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/api"
	"dataport/internal/web/services"
)

// TestClassifyAPI drives the grading and profile routes: scan a CSV into a
// stored grade, override it, manage a profile, ask what opening requires.
func TestClassifyAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		cat := catalog.NewService(db)
		grades := classify.NewService(db, cat, nil, classify.DefaultPolicy)
		profiles := deid.NewService(db, cat)
		grades.SetProfiles(profiles)
		srv := httptest.NewServer(mount(api.New(api.Config{Version: "test", Services: services.Services{Identity: identity.NewService(db), Catalog: cat,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Grades: grades, Profiles: profiles}})))
		t.Cleanup(srv.Close)
		send := func(method, path, token, ctype, body string, out any) int {
			t.Helper()
			req, _ := http.NewRequest(method, srv.URL+api.Prefix+path, strings.NewReader(body))
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			if ctype != "" {
				req.Header.Set("Content-Type", ctype)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if out != nil && len(raw) > 0 {
				if err := json.Unmarshal(raw, out); err != nil {
					t.Fatalf("%s %s: %q: %v", method, path, raw, err)
				}
			}
			return resp.StatusCode
		}
		csv := "姓名,手机号码\n张伟,13800138000\n王芳,13900139000\n李娜,13700137000\n"
		id := f.submittedID // platform staff see submitted resources, not drafts
		var g classify.ResourceGrading
		if code := send("POST", "/resources/"+f.draftID+"/grading/scan", f.outsider, "text/csv", csv, nil); code != http.StatusNotFound {
			t.Errorf("an outsider scanned a draft: %d", code)
		}
		if code := send("POST", "/resources/"+id+"/grading/scan", f.editor, "text/csv", csv, &g); code != http.StatusOK || g.Level != 2 || !g.PersonalInfo {
			t.Fatalf("scan: %d %+v", code, g)
		}
		if code := send("GET", "/resources/"+id+"/grading", f.editor, "", "", &g); code != http.StatusOK || len(g.Columns) != 2 {
			t.Errorf("get grading: %d %+v", code, g)
		}
		var prob struct {
			Errors []struct{ Location string } `json:"errors"`
		}
		if code := send("POST", "/resources/"+id+"/grading/override", f.operator, "application/json", `{"class":"general","level":1,"reason":""}`, &prob); code != http.StatusUnprocessableEntity {
			t.Errorf("override without reason: %d %+v", code, prob)
		}
		if code := send("POST", "/resources/"+id+"/grading/override", f.operator, "application/json", `{"class":"general","level":4,"reason":"涉及低收入群体"}`, &g); code != http.StatusOK || g.Level != 4 || g.Override == nil {
			t.Errorf("override: %d %+v", code, g)
		}
		var req classify.Requirement
		if code := send("GET", "/resources/"+id+"/enforcement?use=open&path=download", f.editor, "", "", &req); code != http.StatusOK || req.Allowed {
			t.Errorf("enforcement before a profile: %d %+v", code, req)
		}
		body, _ := json.Marshal(deid.ProfileInput{Name: "open", Profile: deid.Profile{K: 1, Columns: map[string]deid.ColumnOp{"手机号码": {Op: deid.OpMask, KeepFirst: 3, KeepLast: 4}}}})
		var sp deid.StoredProfile
		if code := send("POST", "/resources/"+id+"/deid-profiles", f.editor, "application/json", string(body), &sp); code != http.StatusCreated || sp.ID == "" {
			t.Fatalf("create profile: %d %+v", code, sp)
		}
		if code := send("POST", "/resources/"+id+"/deid-profiles", f.editor, "application/json", string(body), nil); code != http.StatusUnprocessableEntity {
			t.Errorf("duplicate profile name: %d", code)
		}
		if code := send("GET", "/resources/"+id+"/enforcement?use=open&path=api", f.editor, "", "", &req); code != http.StatusOK || !req.Allowed || req.ProfileID != sp.ID {
			t.Errorf("enforcement with a profile: %d %+v", code, req)
		}
		var preview struct {
			Rows [][]string `json:"rows"`
		}
		if code := send("POST", "/deid-profiles/"+sp.ID+"/preview", f.editor, "text/csv", csv, &preview); code != http.StatusOK || preview.Rows[0][1] != "138****8000" {
			t.Errorf("preview: %d %+v", code, preview)
		}
		var list struct{ Items []deid.StoredProfile }
		if code := send("GET", "/resources/"+id+"/deid-profiles", f.editor, "", "", &list); code != http.StatusOK || len(list.Items) != 1 {
			t.Errorf("list: %d %+v", code, list)
		}
		if code := send("DELETE", "/deid-profiles/"+sp.ID, f.editor, "", "", nil); code != http.StatusNoContent {
			t.Errorf("delete: %d", code)
		}
		var scan classify.Result
		if code := send("POST", "/classify/scan", f.outsider, "text/csv", csv, &scan); code != http.StatusOK || scan.Classification == nil || scan.Rows != 3 {
			t.Errorf("scan only: %d %+v", code, scan)
		}
		if code := send("POST", "/classify/scan", "", "text/csv", csv, nil); code != http.StatusUnauthorized {
			t.Errorf("anonymous scan: %d", code)
		}
		_ = bytes.MinRead
	})
}
