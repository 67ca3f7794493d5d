package ckan_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/search"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/ckan"
	"dataport/internal/web/services"
)

// emptyPortal is the CKAN API over an empty catalog, as a handler (no
// server, so that a request that never ends cannot block the test's cleanup).
func emptyPortal(t testing.TB) http.Handler {
	t.Helper()
	db := storetest.Open(t, store.SQLite)
	ids, cat := identity.NewService(db), catalog.NewService(db)
	ix, err := search.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	indexer := search.NewIndexer(ix, db, cat, ids, nil)
	if err := indexer.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	return ckan.New(ckan.Config{Services: services.Services{Identity: ids, Catalog: cat, Search: ix, Indexer: indexer}})
}

// serveWithin serves req in a goroutine and fails the test when no answer
// comes within two seconds (the stuck goroutine is left behind).
func serveWithin(t *testing.T, h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(rec, req)
	}()
	select {
	case <-done:
		return rec
	case <-time.After(2 * time.Second):
		t.Fatalf("%s %s: no answer after 2 s", req.Method, req.URL)
		return nil
	}
}

// TestPackageSearchMalformedQueries sends package_search the queries that
// used to pin a core (q=:, fq="x :") and other malformed ones: each is
// answered at once with CKAN's Search Query Error naming the problem.
func TestPackageSearchMalformedQueries(t *testing.T) {
	h := emptyPortal(t)
	for _, test := range []struct {
		param, q, want string
	}{
		{"q", ":", `at character 1: \":\" has no field name before it`},
		{"fq", "x :", `at character 3: \":\" has no field name before it`},
		{"fq", "-:", `has no field name before it`},
		{"q", "tags:", "tags: has no value"},
		{"q", `"公交`, "the quote is not closed"},
		{"fq", "metadata_modified:[* TO", "the range is not closed"},
		{"fq", "tags:(a OR b", "the parenthesis is not closed"},
		{"fq", "organization:((jtw))", "parentheses do not nest"},
		{"q", "tags:\xff", "not valid UTF-8"},
		{"q", strings.Repeat("a ", 1025), "at most 1024 terms"},
		{"fq_list", `["` + strings.Repeat("a ", 600) + `", "` + strings.Repeat("b ", 600) + `"]`, "q, fq and fq_list hold at most 1024 terms together"},
		{"fq", "nosuchfield:x", `unknown field \"nosuchfield\"`},
		{"fq", "metadata_modified:[yesterday TO *]", `\"yesterday\" is not a date and time`},
	} {
		t.Run(test.param+"="+test.q[:min(len(test.q), 30)], func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/api/3/action/package_search?"+url.Values{test.param: {test.q}}.Encode(), nil)
			rec := serveWithin(t, h, req)
			body := rec.Body.String()
			if rec.Code != http.StatusBadRequest || !strings.Contains(body, `"__type":"Search Query Error"`) || !strings.Contains(body, test.want) {
				t.Errorf("%s=%q: %d %s; want 400 Search Query Error with %s", test.param, test.q, rec.Code, body, test.want)
			}
		})
	}
}

// TestPackageSearchRangeBraces checks that a brace excludes its bound: a
// resource modified at T is in [T TO *] and not in {T TO *}, and in
// [* TO T] but not in [* TO T}.
func TestPackageSearchRangeBraces(t *testing.T) {
	p := newPortal(t)
	var pkg struct {
		Name             string `json:"name"`
		MetadataModified string `json:"metadata_modified"`
	}
	p.get("package_show", vals("id", p.routes.ID)).into(t, &pkg)
	at := pkg.MetadataModified + "Z"
	if strings.HasSuffix(pkg.MetadataModified, "Z") {
		at = pkg.MetadataModified
	}
	for _, test := range []struct {
		fq   string
		want bool
	}{
		{"[" + at + " TO *]", true},
		{"{" + at + " TO *]", false},
		{"[* TO " + at + "]", true},
		{"[* TO " + at + "}", false},
	} {
		res := p.search(vals("fq", "metadata_modified:"+test.fq+" name:"+pkg.Name, "rows", "1"))
		if got := res.Count == 1; got != test.want {
			raw, _ := json.Marshal(res)
			t.Errorf("fq metadata_modified:%s found the resource: %v, want %v (%s)", test.fq, got, test.want, raw)
		}
	}
}
