package ckan_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
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

// FuzzPackageSearch sends package_search any q and fq, as a GET sends
// them, to the CKAN API over a real store and index holding two published
// resources of two institutions. Every call is answered within three
// seconds, with 200 and at most the two packages, or with 400 and CKAN's
// Search Query Error: never a 500, never a hang.
func FuzzPackageSearch(f *testing.F) {
	for _, s := range [][2]string{
		{"公交", ""}, {"arrivals", "organization:wjw OR res_format:API"}, {"tags:线路", `tags:"实时到站"`},
		{"", "-organization:jtw"}, {"", "groups:transport res_format:json"}, {"", "extras_update_frequency:realtime"},
		{"医疗", "metadata_modified:[2000-01-01T00:00:00Z TO *]"}, {"", "metadata_modified:[NOW+1DAY TO *]"},
		{"*:*", "metadata_created:{NOW/DAY-7DAYS TO NOW}"}, {"", `res_format:(CSV OR "JSON LD")`},
		{"name:jtw-04-00001", "state:active capacity:public license_id:cc-by"}, {"code:JTW-04-00001", "+dataset_type:dataset"},
		{":", "x :"}, {"tags:", "metadata_modified:[* TO"}, {"", "metadata_modified:[NOW+99999999999YEARS TO *]"},
	} {
		f.Add(s[0], s[1])
	}
	h := searchPortal(f)
	f.Fuzz(func(t *testing.T, q, fq string) {
		req := httptest.NewRequest(http.MethodGet, "/api/3/action/package_search?"+url.Values{"q": {q}, "fq": {fq}}.Encode(), nil)
		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() {
			defer close(done)
			h.ServeHTTP(rec, req)
		}()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			t.Fatalf("q=%q fq=%q: no answer after 3 s", q, fq)
		}
		var body struct {
			Success bool `json:"success"`
			Result  struct {
				Count   int               `json:"count"`
				Results []json.RawMessage `json:"results"`
			} `json:"result"`
			Error map[string]any `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("q=%q fq=%q: %d %s: %v", q, fq, rec.Code, rec.Body, err)
		}
		switch {
		case rec.Code == http.StatusOK && body.Success && body.Result.Count <= 2 && len(body.Result.Results) == body.Result.Count:
		case rec.Code == http.StatusBadRequest && !body.Success && body.Error["__type"] == "Search Query Error":
		default:
			t.Fatalf("q=%q fq=%q: %d %s", q, fq, rec.Code, rec.Body)
		}
	})
}

// searchPortal is the CKAN API over two published resources of two
// institutions, as a handler.
func searchPortal(t testing.TB) http.Handler {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, store.SQLite)
	ids, cat := identity.NewService(db), catalog.NewService(db)
	for i, o := range []struct{ first17, code, zh, title string }{
		{"12110000000000001", "JTW", "市交通委员会", "公交站点实时到站信息"}, {"12110000000000002", "WJW", "市卫生健康委员会", "医疗机构名录"},
	} {
		check, _ := identity.USCCCheckChar(o.first17)
		org, err := ids.CreateOrganization(ctx, identity.System, identity.OrgInput{Kind: identity.KindInstitution, NameZh: o.zh,
			USCC: o.first17 + string(check), Code: o.code})
		if err != nil {
			t.Fatal(err)
		}
		in := sample(o.title, "resource "+o.code)
		in.Keywords, in.Formats = []string{"公交", "实时到站"}[i:], []string{"JSON", "API"}[:i+1]
		r, err := cat.Create(ctx, identity.System, org.ID, in)
		if err == nil {
			_, err = cat.Submit(ctx, identity.System, r.ID)
		}
		if err == nil {
			_, err = cat.Review(ctx, identity.System, r.ID, catalog.Approve, "")
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	ix, err := search.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	indexer := search.NewIndexer(ix, db, cat, ids, nil)
	if err := indexer.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	return ckan.New(ckan.Config{Services: services.Services{Identity: ids, Catalog: cat, Search: ix, Indexer: indexer}})
}
