package ckan

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/datastore/datastoretest"
	"dataport/internal/search"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	nativeapi "dataport/internal/web/api"
	"dataport/internal/web/services"
)

// stationsSite serves the stations store as the platform does: the CKAN API
// under its prefixes and the native API under /api/v1, on one address
// (empty PublicURL, so links are written with the test server's host).
type stationsSite struct {
	*stations
	url     string
	indexer *search.Indexer
}

func newStationsSite(t *testing.T, db *store.DB) *stationsSite {
	t.Helper()
	s := newStations(t, db)
	ix, err := search.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	indexer := search.NewIndexer(ix, db, s.w.Cat, s.w.IDs, nil)
	if err := indexer.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	svc := services.Services{Identity: s.w.IDs, Catalog: s.w.Cat, Search: ix, Indexer: indexer, Datastore: s.ds}
	mux := http.NewServeMux()
	ckanAPI := New(Config{Services: svc})
	for _, p := range Prefixes {
		mux.Handle(p, ckanAPI)
	}
	mux.Handle(nativeapi.Prefix+"/", nativeapi.New(nativeapi.Config{Services: svc}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &stationsSite{stations: s, url: srv.URL, indexer: indexer}
}

// call GETs u (a path of the site, or an absolute URL) anonymously, as a
// browser or ckanapi without a key does, and returns the status and body.
func (s *stationsSite) call(t *testing.T, u string) (int, []byte) {
	t.Helper()
	if u != "" && u[0] == '/' {
		u = s.url + u
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// action GETs a CKAN action and decodes its result into v.
func (s *stationsSite) action(t *testing.T, name string, q url.Values, v any) {
	t.Helper()
	status, body := s.call(t, "/api/3/action/"+name+"?"+q.Encode())
	var env struct {
		Success bool            `json:"success"`
		Result  json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(body, &env); err != nil || status != http.StatusOK || !env.Success {
		t.Fatalf("%s %v: %d %s", name, q, status, body)
	}
	if err := json.Unmarshal(env.Result, v); err != nil {
		t.Fatalf("%s result: %v\n%s", name, err, body)
	}
}

// ckanResource is the part of a CKAN resource dict the tests read.
type ckanResource struct {
	ID              string `json:"id"`
	Format          string `json:"format"`
	URL             string `json:"url"`
	DatastoreActive *bool  `json:"datastore_active"`
}

// TestResourceURLDownloadsTheFile: each resource's url in package_show is
// where its file is, absolute, so that ckanapi's resource download and a
// browser get the rows in that format; a format the export does not write
// links the dataset page's distribution, as before.
func TestResourceURLDownloadsTheFile(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := newStationsSite(t, db)
		var pkg struct{ Resources []ckanResource }
		s.action(t, "package_show", url.Values{"id": {s.res.ID}}, &pkg)
		byFormat := map[string]ckanResource{}
		for _, r := range pkg.Resources {
			byFormat[r.Format] = r
		}
		if want := s.url + "/api/v1/resources/" + s.res.ID + "/export?format=csv"; byFormat["CSV"].URL != want {
			t.Fatalf("CSV url = %q, want %q", byFormat["CSV"].URL, want)
		}
		status, body := s.call(t, byFormat["CSV"].URL)
		if status != http.StatusOK || !strings.HasPrefix(string(body), "station_id,") || strings.Count(string(body), "\n") != 5 {
			t.Errorf("GET the CSV resource's url: %d\n%s", status, body)
		}
		status, body = s.call(t, byFormat["JSON"].URL)
		var rows []map[string]any
		if status != http.StatusOK || json.Unmarshal(body, &rows) != nil || len(rows) != 4 {
			t.Errorf("GET the JSON resource's url: %d\n%s", status, body)
		}
		if want := s.url + "/dataset/" + search.Name(s.res) + "#distribution-api"; byFormat["API"].URL != want {
			t.Errorf("API url = %q, want %q", byFormat["API"].URL, want)
		}
		// resource_show gives the same url.
		var res ckanResource
		s.action(t, "resource_show", url.Values{"id": {byFormat["CSV"].ID}}, &res)
		if res.URL != byFormat["CSV"].URL {
			t.Errorf("resource_show url = %q, package_show's %q", res.URL, byFormat["CSV"].URL)
		}
	})
}

// TestDatastoreSearchTakesResourceIDs: the id package_show gives each CKAN
// resource ("{package id}-csv") names the package's rows in
// datastore_search, as CKAN clients take it from package_show; an id whose
// format the package does not have is not found, as in resource_show.
func TestDatastoreSearchTakesResourceIDs(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := newStationsSite(t, db)
		var pkg struct{ Resources []ckanResource }
		s.action(t, "package_show", url.Values{"id": {s.res.ID}}, &pkg)
		for _, r := range pkg.Resources {
			var out struct {
				ResourceID string           `json:"resource_id"`
				Total      int              `json:"total"`
				Records    []map[string]any `json:"records"`
			}
			s.action(t, "datastore_search", url.Values{"resource_id": {r.ID}, "filters": {`{"district":"110101"}`}}, &out)
			if out.Total != 2 || len(out.Records) != 2 || out.ResourceID != s.res.ID {
				t.Errorf("datastore_search %s: resource %s, total %d, %d records", r.ID, out.ResourceID, out.Total, len(out.Records))
			}
		}
		if status, body := s.call(t, "/api/3/action/datastore_search?resource_id="+s.res.ID+"-xlsx"); status != http.StatusNotFound {
			t.Errorf("a format the package lacks: %d %s", status, body)
		}
	})
}

// TestDatastoreActive: every resource in package_show, resource_show,
// package_search, current_package_list_with_resources and
// organization_show's datasets says datastore_active, as CKAN's do: true
// for a package with a current data version, false for one without (and
// false is written, not left out).
func TestDatastoreActive(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := newStationsSite(t, db)
		in := catalog.Input{TitleZh: "公交线路", DescriptionZh: "尚未上传数据", Subject: "04", Items: s.res.Items,
			UpdateFrequency: catalog.FreqMonthly, ShareType: catalog.ShareUnconditional, OpenType: catalog.OpenUnconditional,
			Classification: catalog.ClassGeneral, Level: 1, Formats: []string{"CSV", "XLSX"}}
		empty := publish(t, s.w, in)
		if err := s.indexer.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{s.res.ID: true, empty.ID: false}
		check := func(where string, pkgs []struct {
			ID        string
			Resources []ckanResource
		}) {
			t.Helper()
			seen := 0
			for _, p := range pkgs {
				w, ok := want[p.ID]
				if !ok {
					continue
				}
				seen++
				for _, r := range p.Resources {
					if r.DatastoreActive == nil || *r.DatastoreActive != w {
						t.Errorf("%s: %s datastore_active = %v, want %v", where, r.ID, r.DatastoreActive, w)
					}
				}
				if len(p.Resources) == 0 {
					t.Errorf("%s: %s has no resources", where, p.ID)
				}
			}
			if seen != len(want) {
				t.Errorf("%s: saw %d of the %d packages", where, seen, len(want))
			}
		}
		type pkgs = []struct {
			ID        string
			Resources []ckanResource
		}
		var shown pkgs
		for id := range want {
			var p struct {
				ID        string
				Resources []ckanResource
			}
			s.action(t, "package_show", url.Values{"id": {id}}, &p)
			shown = append(shown, p)
			var res ckanResource
			s.action(t, "resource_show", url.Values{"id": {p.Resources[0].ID}}, &res)
			if res.DatastoreActive == nil || *res.DatastoreActive != want[id] {
				t.Errorf("resource_show %s: datastore_active = %v", res.ID, res.DatastoreActive)
			}
		}
		check("package_show", shown)
		var found struct{ Results pkgs }
		s.action(t, "package_search", url.Values{"rows": {"100"}}, &found)
		check("package_search", found.Results)
		// Twice: the second answer is spliced from the search index's cache.
		s.action(t, "package_search", url.Values{"rows": {"100"}}, &found)
		check("package_search (cached)", found.Results)
		var current pkgs
		s.action(t, "current_package_list_with_resources", url.Values{}, &current)
		check("current_package_list_with_resources", current)
		var org struct{ Packages pkgs }
		s.action(t, "organization_show", url.Values{"id": {s.res.OrganizationID}, "include_datasets": {"true"}}, &org)
		check("organization_show", org.Packages)

		// Data loaded into the empty one: package_search says so once the
		// index has read the load's event (it remembers the flags until then).
		csv := datastoretest.StationsCSV
		if _, err := s.ds.Load(context.Background(), s.w.ProviderEditor, empty.ID, datastore.LoadInput{File: strings.NewReader(csv), Name: "s.csv", Size: int64(len(csv))}); err != nil {
			t.Fatal(err)
		}
		if err := s.indexer.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		want[empty.ID] = true
		s.action(t, "package_search", url.Values{"rows": {"100"}}, &found)
		check("package_search after a load", found.Results)
	})
}

// TestDatastoreSearchLinksKeepTheQuery: following _links.next walks the
// same query's rows, as CKAN's links do (it rewrites only the offset of the
// request's query): filters, fields, sort and limit stay, whether the call
// was a GET or a POSTed JSON body as ckanapi sends; _links.start is the
// query from its first row.
func TestDatastoreSearchLinksKeepTheQuery(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := newStationsSite(t, db)
		type page struct {
			Total   int              `json:"total"`
			Records []map[string]any `json:"records"`
			Links   struct {
				Start, Next string
			} `json:"_links"`
		}
		follow := func(t *testing.T, link string) page {
			t.Helper()
			status, body := s.call(t, link)
			var env struct {
				Result page `json:"result"`
			}
			if status != http.StatusOK || json.Unmarshal(body, &env) != nil {
				t.Fatalf("GET %s: %d %s", link, status, body)
			}
			return env.Result
		}
		// Two of the four stations are in 110101; one a page, two fields.
		walk := func(t *testing.T, first page) {
			t.Helper()
			var stations []any
			p := first
			for range 3 {
				if p.Total != 2 {
					t.Fatalf("total %d, want 2 (the filter was dropped?)", p.Total)
				}
				for _, r := range p.Records {
					if len(r) != 3 || r["district"] != "110101" { // _id and the two fields asked for
						t.Errorf("record %v: want the fields asked for, in 110101", r)
					}
					stations = append(stations, r["station_id"])
				}
				if len(p.Records) == 0 {
					break
				}
				p = follow(t, p.Links.Next)
			}
			if fmtJSON(stations) != `["S001","S003"]` {
				t.Errorf("walked %v, want S001 then S003 (sorted by lines desc)", stations)
			}
			if start := follow(t, first.Links.Next); start.Total != 2 {
				t.Errorf("start: total %d", start.Total)
			}
			if start := follow(t, p.Links.Start); len(start.Records) != 1 || start.Records[0]["station_id"] != "S001" {
				t.Errorf("start = %v, want the first page again", start.Records)
			}
		}
		t.Run("GET", func(t *testing.T) {
			q := url.Values{"resource_id": {s.res.ID}, "filters": {`{"district":"110101"}`}, "fields": {"station_id,district"},
				"sort": {"lines desc"}, "limit": {"1"}}
			walk(t, follow(t, "/api/3/action/datastore_search?"+q.Encode()))
		})
		t.Run("POST", func(t *testing.T) {
			body := `{"resource_id":"` + s.res.ID + `","filters":{"district":"110101"},"fields":["station_id","district"],"sort":"lines desc","limit":1}`
			resp, err := http.Post(s.url+"/api/action/datastore_search", "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var env struct {
				Result page `json:"result"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
				t.Fatal(err)
			}
			walk(t, env.Result)
		})
	})
}

func fmtJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
