package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"dataport/internal/web/dcat/shacltest"
)

// TestDCATConformanceOfTheDemo validates what the demo publishes as
// DCAT-AP — every page of the catalog and every dataset document, each in
// Turtle and JSON-LD — against the official DCAT-AP 3.0.1 shapes
// (shapes.ttl + range.ttl) with a SHACL engine: no violation. The
// recommended shapes' results are logged.
func TestDCATConformanceOfTheDemo(t *testing.T) {
	v := shacltest.New(t)
	s := start(t, "demo", "--data", t.TempDir())
	dir := t.TempDir()
	var files []string
	save := func(name, u string) {
		t.Helper()
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, fetch(t, u), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	// The catalog, page by page along hydra:next, in both syntaxes.
	datasets, total := map[string]bool{}, -1
	next := s.url + "/catalog.jsonld?page_size=20"
	for page := 1; next != ""; page++ {
		var doc struct {
			Graph []map[string]any `json:"@graph"`
		}
		body := fetch(t, next)
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("%s: %v", next, err)
		}
		save(fmt.Sprintf("catalog-%d.jsonld", page), next)
		save(fmt.Sprintf("catalog-%d.ttl", page), strings.Replace(next, "/catalog.jsonld", "/catalog.ttl", 1))
		next = ""
		for _, n := range doc.Graph {
			if ids := refs(n["dcat:dataset"]); len(ids) > 0 {
				for _, id := range ids {
					datasets[id] = true
				}
			}
			if ids := refs(n["hydra:next"]); len(ids) == 1 {
				next = ids[0]
			}
			if n, ok := n["hydra:totalItems"].([]any); ok {
				fmt.Sscan(n[0].(map[string]any)["@value"].(string), &total)
			}
		}
		if page > 100 {
			t.Fatal("more than 100 catalog pages")
		}
	}
	if len(datasets) < 40 || len(datasets) != total {
		t.Fatalf("the catalog's pages list %d datasets, hydra:totalItems %d", len(datasets), total)
	}
	// Every dataset document.
	names := make([]string, 0, len(datasets))
	for id := range datasets {
		names = append(names, id[strings.LastIndex(id, "/")+1:])
	}
	sort.Strings(names)
	for _, name := range names {
		for _, ext := range []string{".ttl", ".jsonld"} {
			save("dataset-"+name+ext, s.url+"/dataset/"+name+ext)
		}
	}
	reports := v.Validate(t, files...)
	violations := shacltest.Conforms(t, reports)
	t.Logf("%d documents (%d catalog pages, %d datasets, each in Turtle and JSON-LD): %d violations; recommended shapes, results by property: %v",
		len(files), len(files)-2*len(names), len(names), violations, shacltest.Recommended(reports))
}

// refs are the @id values of a JSON-LD property's values.
func refs(v any) []string {
	values, _ := v.([]any)
	var ids []string
	for _, x := range values {
		if m, ok := x.(map[string]any); ok {
			if id, ok := m["@id"].(string); ok {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// fetch GETs u and returns the body of a 200 answer.
func fetch(t *testing.T, u string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v\n%s", u, resp.StatusCode, err, body)
	}
	return body
}
