package main

import (
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCKANResourceFlowsThroughServer walks what a CKAN client does with a
// dataset on the running binary: package_show, then the CSV resource's url
// (the file itself), and datastore_search by that resource's id, paging
// with _links.next through the filtered rows only.
func TestCKANResourceFlowsThroughServer(t *testing.T) {
	dataDir := t.TempDir()
	db, orgID := importStore(t, dataDir, "")
	db.Close()
	secret, err := exec.Command(binary, "token", "create", "--user", "loader", "--data", dataDir).Output()
	if err != nil {
		t.Fatalf("token create: %v", err)
	}
	token := strings.TrimSpace(string(secret))
	s := start(t, "serve", "--data", dataDir)
	file := filepath.Join(t.TempDir(), "small.csv")
	writeCSV(t, file, 50)
	out, status := dataportCLI(t, nil, "import", "--url", s.url, "--token", token, "--infer", "--organization", orgID, "--title", "小文件", "--quiet", file)
	if status != 0 {
		t.Fatalf("import through the server: %s", out)
	}
	res := lastJSONLine(t, out)

	var show struct {
		Result struct {
			Resources []struct {
				ID, Format, URL string
				DatastoreActive bool `json:"datastore_active"`
			}
		}
	}
	getJSONAuth(t, s.url+"/api/3/action/package_show?id="+res.ID, token, &show)
	if len(show.Result.Resources) != 1 || show.Result.Resources[0].Format != "CSV" {
		t.Fatalf("resources = %+v", show.Result.Resources)
	}
	csv := show.Result.Resources[0]
	if !csv.DatastoreActive || csv.URL != s.url+"/api/v1/resources/"+res.ID+"/export?format=csv" {
		t.Errorf("CSV resource = %+v", csv)
	}
	if code, body := httpGet(t, csv.URL, token); code != http.StatusOK || strings.Count(body, "\n") != 51 {
		t.Errorf("GET the resource's url: %d, %d lines", code, strings.Count(body, "\n"))
	}

	type page struct {
		Result struct {
			Total   int                   `json:"total"`
			Records []map[string]any      `json:"records"`
			Links   struct{ Next string } `json:"_links"`
		}
	}
	var p page
	q := url.Values{"resource_id": {csv.ID}, "filters": {`{"col_6":"110102"}`}, "fields": {"col_1,col_6"}, "limit": {"3"}}
	getJSONAuth(t, s.url+"/api/3/action/datastore_search?"+q.Encode(), token, &p)
	var seen []string
	for range 3 {
		if p.Result.Total != 4 {
			t.Fatalf("total %d, want the 4 rows of 110102", p.Result.Total)
		}
		for _, r := range p.Result.Records {
			if fmt.Sprint(r["col_6"]) != "110102" {
				t.Errorf("record %v is not in 110102", r)
			}
			seen = append(seen, r["col_1"].(string))
		}
		if len(p.Result.Records) == 0 {
			break
		}
		next := p.Result.Links.Next
		p = page{}
		getJSONAuth(t, s.url+next, token, &p)
	}
	if strings.Join(seen, " ") != "R00000001 R00000017 R00000033 R00000049" {
		t.Errorf("paged through %v", seen)
	}
}
