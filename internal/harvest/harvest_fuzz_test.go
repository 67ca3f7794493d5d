package harvest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"dataport/internal/fuzztest"
)

// servePages is an HTTP client whose every GET answers page(url): the
// harvest readers run on fuzzed bodies through their real paging code.
func servePages(page func(u string) []byte) *http.Client {
	return &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Header: http.Header{},
			Body: io.NopCloser(bytes.NewReader(page(r.URL.String()))), Request: r}, nil
	})}
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// checkRecords fails on what a source's records must never be: two with one
// remote id (the run would create and update one local resource twice), or
// one read without error whose input cannot be normalized and validated
// (Validate may refuse it; it must not panic).
func checkRecords(t *testing.T, records []Record) {
	t.Helper()
	seen := map[string]bool{}
	for _, r := range records {
		if seen[r.RemoteID] {
			t.Fatalf("remote id %q read twice", r.RemoteID)
		}
		seen[r.RemoteID] = true
		if r.Err != nil {
			continue
		}
		in := r.Input
		in.Normalize()
		_ = in.Validate()
		if LocalID("https://source.example", r.RemoteID) != LocalID("https://source.example", r.RemoteID) {
			t.Fatalf("local id of %q not stable", r.RemoteID)
		}
	}
}

// FuzzDCATPage feeds a DCAT catalog page (JSON-LD, the harvest's outside
// input) to fetchDCAT, every page of the run answering the same body.
func FuzzDCATPage(f *testing.F) {
	f.Add([]byte(expandedCatalog))
	f.Add([]byte(`{"@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/"},
	  "@graph": [{"@id": "d1", "@type": "dcat:Dataset", "dct:title": "公交站点", "dcat:distribution": {"dct:format": {"@id": "x"}}},
	             {"@id": "d1", "@type": ["dcat:Dataset", "dcat:Dataset"], "dct:modified": "2024-01-01T00:00:00Z"}]}`))
	f.Add([]byte(`{"@type": "http://www.w3.org/ns/dcat#Dataset", "http://purl.org/dc/terms/title": {"@value": 5, "@language": 7},
	  "http://www.w3.org/ns/dcat#contactPoint": {"@id": 12}, "http://www.w3.org/ns/hydra/core#next": "http://next.example/2"}`))
	f.Add([]byte(`[{"@id": "a", "http://www.w3.org/ns/hydra/core#nextPage": {"@id": "a"}}, 1, "x", null]`))
	f.Add([]byte(`"just a string"`))
	f.Add([]byte(`{"@graph": {"not": "a list"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var records []Record
		var err error
		fuzztest.Within(t, "fetchDCAT", func() {
			records, err = fetchDCAT(context.Background(), servePages(func(string) []byte { return body }),
				"https://source.example/catalog.jsonld", time.Time{}, Options{Subject: "09"})
		})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "harvest: ") {
				t.Fatalf("error %q does not say it is the harvest's", err)
			}
			return
		}
		checkRecords(t, records)
	})
}

// FuzzCKANPackageSearch feeds a CKAN package_search answer to fetchCKAN:
// the first page is the fuzzed body, later pages are empty.
func FuzzCKANPackageSearch(f *testing.F) {
	f.Add([]byte(`{"success": true, "result": {"count": 2, "results": [
	  {"id": "7c1c1d6e-59f4-4cbb-9d1a-0e4f4c5d4a11", "name": "bus-stops", "title": "公交站点", "notes": "全市公交站点。",
	   "metadata_modified": "2024-05-01T10:00:00.123456", "tags": [{"name": "交通"}], "resources": [{"format": "CSV", "name": "站点"}],
	   "extras": [{"key": "update_frequency", "value": "daily"}]},
	  {"id": "7c1c1d6e-59f4-4cbb-9d1a-0e4f4c5d4a11", "name": "again"},
	  {"name": "no-id"}, {"id": "h", "type": "harvest"}]}}`))
	f.Add([]byte(`{"success": true, "result": {"results": [{"id": 5, "tags": "x", "resources": {"a": 1}, "extras": [1, {"key": 2}]}]}}`))
	f.Add([]byte(`{"success": false, "error": {"message": "boom"}}`))
	f.Add([]byte(`{"success": true, "result": {"results": [{"id": "x", "title": null, "groups": [{"name": null}], "organization": "o"}]}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var records []Record
		var err error
		fuzztest.Within(t, "fetchCKAN", func() {
			records, err = fetchCKAN(context.Background(), servePages(func(u string) []byte {
				if strings.Contains(u, "start=0") {
					return body
				}
				return []byte(`{"success": true, "result": {"results": []}}`)
			}), "https://source.example", time.Time{}, Options{})
		})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "harvest: ") {
				t.Fatalf("error %q does not say it is the harvest's", err)
			}
			return
		}
		for _, r := range records {
			if r.RemoteID == "" && r.Err == nil {
				t.Fatalf("a record without a remote id was read as valid: %+v", r)
			}
		}
		checkRecords(t, records)
	})
}
