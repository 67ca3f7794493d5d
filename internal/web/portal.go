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
	ckanCfg := ckan.Config{Datastore: cfg.Datastore, Identity: cfg.Identity, Catalog: cfg.Catalog, Search: cfg.Search, PublicURL: cfg.PublicURL, Log: cfg.Log}
	if cfg.Indexer != nil {
		ckanCfg.Indexer = cfg.Indexer
	}
	api := ckan.New(ckanCfg)
	for _, p := range ckan.Prefixes {
		mux.Handle(p, api)
	}
	rdf := dcat.New(dcat.Config{Catalog: cfg.Catalog, Identity: cfg.Identity, Search: cfg.Search,
		PublicURL: cfg.PublicURL, Log: cfg.Log, HTML: browser})
	for _, p := range dcat.Paths {
		mux.Handle("GET "+p, rdf)
	}
}
