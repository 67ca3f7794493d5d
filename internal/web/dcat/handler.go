package dcat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/search"
	"dataport/internal/store"
	"dataport/internal/web/services"
)

// Config is what the DCAT endpoints serve: the application services (they
// need Catalog, Identity and Search) and the site's own settings.
type Config struct {
	services.Services
	// PublicURL is the site's address, the base of every IRI; empty uses
	// the request's host.
	PublicURL       string
	SiteTitleZh     string
	SiteTitleEn     string
	HTML            http.Handler // serves /dataset/{name} to browsers
	DefaultPageSize int          // datasets per catalog page (default 100)
	MaximumPageSize int          // (default 1000)
}

// Paths are the paths the handler answers (GET): mount each of them.
var Paths = []string{"/catalog.ttl", "/catalog.jsonld", "/dataset/"}

// Media types of the two serializations.
const (
	Turtle = "text/turtle"
	JSONLD = "application/ld+json"
)

type handler struct{ Config }

// New returns the handler of Paths.
func New(cfg Config) http.Handler {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.SiteTitleZh == "" {
		cfg.SiteTitleZh, cfg.SiteTitleEn = "公共数据平台", "Public Data Platform"
	}
	if cfg.DefaultPageSize <= 0 {
		cfg.DefaultPageSize = 100
	}
	if cfg.MaximumPageSize <= 0 {
		cfg.MaximumPageSize = 1000
	}
	h := &handler{cfg}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /catalog.ttl", func(w http.ResponseWriter, r *http.Request) { h.catalog(w, r, Turtle) })
	mux.HandleFunc("GET /catalog.jsonld", func(w http.ResponseWriter, r *http.Request) { h.catalog(w, r, JSONLD) })
	mux.HandleFunc("GET /dataset/{file}", h.dataset)
	return mux
}

func (h *handler) site(r *http.Request) site {
	base := strings.TrimRight(h.PublicURL, "/")
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return site{base: base, titleZh: h.SiteTitleZh, titleEn: h.SiteTitleEn}
}

// catalog serves one page of the catalog: ?page=N (from 1), ?page_size,
// ?modified_since=ISO-8601 and ?q=words narrow it.
func (h *handler) catalog(w http.ResponseWriter, r *http.Request, mediaType string) {
	s := h.site(r)
	q := r.URL.Query()
	page, size, err := h.paging(q)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := search.Request{Text: q.Get("q"), Size: size, From: (page - 1) * size, Sort: search.SortNewest}
	if since := q.Get("modified_since"); since != "" {
		t, err := parseSince(since)
		if err != nil {
			http.Error(w, "modified_since: "+err.Error(), http.StatusBadRequest)
			return
		}
		req.Clauses = append(req.Clauses, search.Clause{Field: search.FieldModified, From: t.UTC().Format(search.TimeFormat), To: "9999"})
	}
	res, err := h.Search.Search(req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	newest, err := h.Search.Search(search.Request{Size: 1, Sort: search.SortNewest})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var modified time.Time
	if len(newest.Hits) > 0 {
		modified = newest.Hits[0].Resource.UpdatedAt
	}
	g := NewGraph()
	c := s.addCatalog(g, modified)
	for _, hit := range res.Hits {
		d := s.addDataset(g, hit.Resource, hit.Org)
		g.Add(c, nsDCAT+"dataset", d)
	}
	path := "/catalog.ttl"
	if mediaType == JSONLD {
		path = "/catalog.jsonld"
	}
	addPaging(g, s.base+path, q, page, size, res.Total)
	h.write(w, r, g, mediaType)
}

func (h *handler) paging(q url.Values) (page, size int, err error) {
	page, size = 1, h.DefaultPageSize
	if v := q.Get("page"); v != "" {
		if page, err = strconv.Atoi(v); err != nil || page < 1 {
			return 0, 0, fmt.Errorf("page must be a whole number from 1")
		}
	}
	if v := q.Get("page_size"); v != "" {
		if size, err = strconv.Atoi(v); err != nil || size < 1 || size > h.MaximumPageSize {
			return 0, 0, fmt.Errorf("page_size must be a whole number from 1 to %d", h.MaximumPageSize)
		}
	}
	return page, size, nil
}

// parseSince reads an ISO-8601 date or date and time (UTC when no zone).
func parseSince(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO-8601 date or date and time", s)
}

// addPaging adds Hydra paging: the terms ckanext-dcat writes and reads
// (hydra:PagedCollection with firstPage, nextPage ...) and the current
// Hydra view (hydra:PartialCollectionView with first, next ...).
func addPaging(g *Graph, path string, q url.Values, page, size, total int) {
	last := max(1, (total+size-1)/size)
	pageURL := func(n int) string {
		v := url.Values{}
		for k, vs := range q {
			if k != "page" {
				v[k] = vs
			}
		}
		v.Set("page", strconv.Itoa(n))
		return path + "?" + v.Encode()
	}
	view := IRI(pageURL(page))
	g.Add(view, rdfTyp, IRI(nsHydra+"PagedCollection"))
	g.Add(view, rdfTyp, IRI(nsHydra+"PartialCollectionView"))
	g.Add(view, nsHydra+"totalItems", Typed(strconv.Itoa(total), nsXSD+"integer"))
	g.Add(view, nsHydra+"itemsPerPage", Typed(strconv.Itoa(size), nsXSD+"integer"))
	link := func(old, current string, n int) {
		g.Add(view, nsHydra+old, Lit(pageURL(n)))
		g.Add(view, nsHydra+current, IRI(pageURL(n)))
	}
	link("firstPage", "first", 1)
	link("lastPage", "last", last)
	if page < last {
		link("nextPage", "next", page+1)
	}
	if page > 1 {
		link("previousPage", "previous", page-1)
	}
}

// dataset serves /dataset/{name}.ttl and .jsonld, and /dataset/{name} by
// content negotiation (HTML for browsers).
func (h *handler) dataset(w http.ResponseWriter, r *http.Request) {
	file := r.PathValue("file")
	name, mediaType := file, ""
	switch {
	case strings.HasSuffix(file, ".ttl"):
		name, mediaType = strings.TrimSuffix(file, ".ttl"), Turtle
	case strings.HasSuffix(file, ".jsonld"):
		name, mediaType = strings.TrimSuffix(file, ".jsonld"), JSONLD
	default:
		mediaType = negotiate(r.Header.Get("Accept"))
	}
	if mediaType == "" {
		if h.HTML == nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Add("Vary", "Accept")
		h.HTML.ServeHTTP(w, r)
		return
	}
	res, err := h.Catalog.GetByCode(r.Context(), identity.Anonymous, strings.ToUpper(name))
	if err == nil && res.Status != catalog.StatusPublished {
		err = fmt.Errorf("dataset %q: %w", name, store.ErrNotFound)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	org, err := h.Identity.Organization(r.Context(), res.OrganizationID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	s := h.site(r)
	g := NewGraph()
	s.addDataset(g, res, search.OrgOf(org))
	w.Header().Add("Vary", "Accept")
	h.write(w, r, g, mediaType)
}

// negotiate picks Turtle or JSON-LD when Accept prefers one of them to
// HTML ("" means HTML).
func negotiate(accept string) string {
	best, bestQ := "", 0.0
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			q, _ = strconv.ParseFloat(v, 64)
		}
		kind := ""
		switch mt {
		case Turtle, "application/x-turtle":
			kind = Turtle
		case JSONLD:
			kind = JSONLD
		case "text/html", "application/xhtml+xml":
			kind = "html"
		}
		if kind != "" && q > bestQ {
			best, bestQ = kind, q
		}
	}
	if best == "html" {
		return ""
	}
	return best
}

func (h *handler) write(w http.ResponseWriter, r *http.Request, g *Graph, mediaType string) {
	var body []byte
	if mediaType == JSONLD {
		var err error
		if body, err = g.JSONLD(); err != nil {
			h.fail(w, r, err)
			return
		}
	} else {
		body = g.Turtle()
	}
	w.Header().Set("Content-Type", mediaType+"; charset=utf-8")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		http.Error(w, "no such dataset", http.StatusNotFound)
	case errors.Is(err, search.ErrBadQuery):
		http.Error(w, err.Error(), http.StatusBadRequest)
	case errors.Is(err, context.Canceled):
	default:
		h.Log.ErrorContext(r.Context(), "dcat request failed", "path", r.URL.Path, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}
