package main

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// rowsPage is the part of a rows page the de-identification test reads.
type rowsPage struct {
	Fields []struct {
		ID string `json:"id"`
	} `json:"fields"`
	Rows [][]any `json:"rows"`
}

// column returns the values of field name in page, by row.
func (p rowsPage) column(t *testing.T, name string) []string {
	t.Helper()
	for i, f := range p.Fields {
		if f.ID == name {
			out := make([]string, len(p.Rows))
			for k, r := range p.Rows {
				out[k], _ = r[i].(string)
			}
			return out
		}
	}
	t.Fatalf("no field %s in the page", name)
	return nil
}

var (
	validResidentID = regexp.MustCompile(`^\d{17}[\dX]$`)
	fullMobile      = regexp.MustCompile(`^1\d{10}$`)
)

// TestEndToEndOpenRowsAreDeidentified runs the demo city and reads, without
// signing in, the rows of the open resource that holds personal
// information: 200, with names, identity numbers, phones and addresses
// de-identified — different from what its provider reads — on the row API,
// the export and CKAN datastore_search alike; a conditionally open resource
// answers 403 with problem+json.
func TestEndToEndOpenRowsAreDeidentified(t *testing.T) {
	dir := t.TempDir()
	s := start(t, "demo", "--data", dir)

	var list struct {
		Items []struct {
			demoResource
			TitleZh      string `json:"title_zh"`
			PersonalInfo bool   `json:"personal_info"`
		} `json:"items"`
	}
	getJSON(t, s.url+"/api/v1/resources?status=published&open_type=unconditional&limit=200", &list)
	var id string
	for _, r := range list.Items {
		if r.PersonalInfo {
			id = r.ID
		}
	}
	if id == "" {
		t.Fatal("the demo city has no unconditionally open resource with personal information")
	}
	personal := []string{"party_name", "id_number", "phone", "address"}

	status, h, body := apiGet(t, s.url+"/api/v1/resources/"+id+"/rows?limit=20", "")
	var anon rowsPage
	if status != http.StatusOK || json.Unmarshal([]byte(body), &anon) != nil || len(anon.Rows) != 20 {
		t.Fatalf("anonymous rows: %d %s\n%.300s", status, h.Get("Content-Type"), body)
	}
	for _, v := range anon.column(t, "id_number") {
		if validResidentID.MatchString(v) || !strings.Contains(v, "*") {
			t.Errorf("identity number served as %q, want it masked", v)
		}
	}
	for _, v := range anon.column(t, "phone") {
		if fullMobile.MatchString(v) || !strings.Contains(v, "*") {
			t.Errorf("phone served as %q, want it masked", v)
		}
	}

	// The same rows through the export and CKAN's datastore_search.
	status, _, body = apiGet(t, s.url+"/api/v1/resources/"+id+"/export?format=csv", "")
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if status != http.StatusOK || err != nil || len(recs) < 21 {
		t.Fatalf("anonymous export: %d %v %.300s", status, err, body)
	}
	for k, name := range recs[0] {
		for i, want := range anon.column(t, name) {
			if col := name; col == "party_name" || col == "id_number" || col == "phone" || col == "address" {
				if recs[1+i][k] != want {
					t.Errorf("export row %d %s = %q, the row API serves %q", i+1, name, recs[1+i][k], want)
				}
			}
		}
	}
	status, _, body = apiGet(t, s.url+"/api/3/action/datastore_search?limit=5&resource_id="+id, "")
	if status != http.StatusOK || !strings.Contains(body, anon.column(t, "id_number")[0]) {
		t.Errorf("anonymous datastore_search: %d %.300s", status, body)
	}

	// A conditionally open resource is refused, with a problem document.
	cond, _ := findResource(t, s, "open_type=conditional", "")
	status, h, body = apiGet(t, s.url+"/api/v1/resources/"+cond.ID+"/rows?limit=5", "")
	if status != http.StatusForbidden || !strings.HasPrefix(h.Get("Content-Type"), "application/problem+json") {
		t.Errorf("anonymous rows of conditionally open %s: %d %s %.200s", cond.Code, status, h.Get("Content-Type"), body)
	}
	s.stop(t)

	// The provider reads the raw rows: every personal value differs.
	out, err := exec.Command(binary, "token", "create", "--data", dir, "--user", "scjg.editor", "--name", "deid-e2e").Output()
	if err != nil {
		t.Fatalf("token create: %v", err)
	}
	token := strings.TrimSpace(string(out))
	s2 := start(t, "serve", "--data", dir)
	status, _, body = apiGet(t, s2.url+"/api/v1/resources/"+id+"/rows?limit=20", token)
	var raw rowsPage
	if status != http.StatusOK || json.Unmarshal([]byte(body), &raw) != nil || len(raw.Rows) != 20 {
		t.Fatalf("provider rows: %d %.300s", status, body)
	}
	for _, v := range raw.column(t, "id_number") {
		if !validResidentID.MatchString(v) {
			t.Errorf("the provider reads identity number %q, want the stored one", v)
		}
	}
	for _, name := range personal {
		a, r := anon.column(t, name), raw.column(t, name)
		for i := range r {
			if a[i] == r[i] || r[i] == "" {
				t.Errorf("row %d %s: anonymous %q, provider %q: want them to differ", i+1, name, a[i], r[i])
			}
		}
	}
	// Columns without personal information are served as they are.
	if a, r := anon.column(t, "decision_no"), raw.column(t, "decision_no"); strings.Join(a, ",") != strings.Join(r, ",") {
		t.Errorf("decision numbers differ: anonymous %q, provider %q", a, r)
	}
}
