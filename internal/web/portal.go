package web

import (
	"net/http"

	"dataport/internal/web/ckan"
	"dataport/internal/web/dcat"
)

// mountPortal adds the open data portal's machine interfaces: the CKAN
// Action API and the DCAT-AP documents (whose /dataset/{name} falls back to
// the browser's page when HTML is wanted). Without a search index there is
// nothing to serve them from, and they are left out.
func mountPortal(mux *http.ServeMux, cfg Config, browser http.Handler) {
	if cfg.Search == nil {
		return
	}
	api := ckan.New(ckan.Config{Services: cfg.Services, PublicURL: cfg.PublicURL})
	for _, p := range ckan.Prefixes {
		mux.Handle(p, api)
	}
	rdf := dcat.New(dcat.Config{Services: cfg.Services, PublicURL: cfg.PublicURL, HTML: browser})
	for _, p := range dcat.Paths {
		mux.Handle("GET "+p, rdf)
	}
}
