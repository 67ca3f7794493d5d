package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/search"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/api"
	"dataport/internal/web/services"
)

// TestSearchSynonymsAPI: anyone reads the synonym list (the shipped
// defaults at first); platform operators replace it, and the next search
// uses it; others are refused, and a bad list is refused with the field
// of each problem, leaving the list as it was.
func TestSearchSynonymsAPI(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	f := newFixture(t, db)
	ids, cat := identity.NewService(db), catalog.NewService(db)
	ix, err := search.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	indexer := search.NewIndexer(ix, db, cat, ids, nil)
	if err := indexer.Prepare(context.Background()); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.srv = httptest.NewServer(mount(api.New(api.Config{Version: "test", Services: services.Services{Identity: ids, Catalog: cat, Log: log, Search: ix, Indexer: indexer}})))
	defer f.srv.Close()

	type list struct{ Groups []search.SynonymGroup }
	var got list
	if code := f.do(http.MethodGet, "/search/synonyms", "", nil, &got); code != http.StatusOK {
		t.Fatalf("GET: %d", code)
	}
	if !slices.ContainsFunc(got.Groups, func(g search.SynonymGroup) bool { return slices.Contains(g.Words, "出租汽车") }) {
		t.Errorf("defaults %v lack 出租车/出租汽车", got.Groups)
	}
	body := map[string]any{"groups": []map[string]any{{"words": []string{"单车", "自行车"}}}}
	for _, token := range []string{f.editor, f.outsider} {
		if code := f.do(http.MethodPut, "/search/synonyms", token, body, nil); code != http.StatusForbidden {
			t.Errorf("PUT by a non-operator: %d, want 403", code)
		}
	}
	if code := f.do(http.MethodPut, "/search/synonyms", "", body, nil); code != http.StatusUnauthorized && code != http.StatusForbidden {
		t.Errorf("anonymous PUT: %d", code)
	}
	var saved list
	if code := f.do(http.MethodPut, "/search/synonyms", f.operator, body, &saved); code != http.StatusOK || len(saved.Groups) != 1 {
		t.Fatalf("operator's PUT: %d %v", code, saved)
	}
	if also := ix.AlsoSearched("单车"); !slices.Equal(also, []string{"自行车"}) {
		t.Errorf("after the PUT, 单车 is also searched as %v", also)
	}
	bad := map[string]any{"groups": []map[string]any{{"words": []string{"单车", "自行车"}}, {"words": []string{"脚踏车", "单车"}}}}
	var pr problemBody
	if code := f.do(http.MethodPut, "/search/synonyms", f.operator, bad, &pr); code != http.StatusUnprocessableEntity ||
		!slices.Equal(pr.locations(), []string{"body.groups[1].words[1]"}) {
		t.Errorf("bad list: %d %v, want 422 at body.groups[1].words[1]", code, pr.locations())
	}
	if code := f.do(http.MethodGet, "/search/synonyms", "", nil, &got); code != http.StatusOK || len(got.Groups) != 1 {
		t.Errorf("after a refused PUT: %v", got.Groups)
	}
}
