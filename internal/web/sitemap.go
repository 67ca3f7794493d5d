package web

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
)

// maxSitemapURLs is the sitemap protocol's limit of addresses in one file.
const maxSitemapURLs = 50000

// sitemapTTL is how long a built sitemap is served before it is built again.
const sitemapTTL = 5 * time.Minute

// privatePaths are the pages crawlers are asked to leave alone: a person's
// own pages, the work pages and the machine interfaces.
var privatePaths = []string{"/my", "/account", "/admin", "/review", "/waiting", "/notifications", "/grants", "/share-requests",
	"/applications", "/audit", "/loads", "/login", "/logout", "/lang", "/password-reset", "/register", "/api/"}

// mountSitemap serves /robots.txt and /sitemap.xml: the public pages, every
// published dataset, public institution, news item and shown app, with
// absolute addresses (PublicURL when set, else the request's host).
func mountSitemap(mux *http.ServeMux, cfg Config) {
	sm := &sitemap{cfg: cfg}
	mux.HandleFunc("GET /robots.txt", sm.robots)
	mux.HandleFunc("GET /sitemap.xml", sm.serve)
}

type sitemap struct {
	cfg   Config
	mu    sync.Mutex
	base  string // the base the cached body was built with
	body  []byte
	built time.Time
}

// siteBase is the site's absolute address without a trailing slash.
func siteBase(publicURL string, r *http.Request) string {
	if publicURL != "" {
		return strings.TrimRight(publicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (sm *sitemap) robots(w http.ResponseWriter, r *http.Request) {
	var b strings.Builder
	b.WriteString("User-agent: *\n")
	for _, p := range privatePaths {
		b.WriteString("Disallow: " + p + "\n")
	}
	b.WriteString("\nSitemap: " + siteBase(sm.cfg.PublicURL, r) + "/sitemap.xml\n")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write([]byte(b.String()))
}

func (sm *sitemap) serve(w http.ResponseWriter, r *http.Request) {
	base := siteBase(sm.cfg.PublicURL, r)
	sm.mu.Lock()
	defer sm.mu.Unlock()
	if sm.body == nil || sm.base != base || time.Since(sm.built) > sitemapTTL {
		body, err := sm.build(r.Context(), base)
		if err != nil {
			if sm.cfg.Log != nil {
				sm.cfg.Log.ErrorContext(r.Context(), "sitemap failed", "err", err)
			}
			http.Error(w, "the sitemap could not be built", http.StatusInternalServerError)
			return
		}
		sm.body, sm.base, sm.built = body, base, time.Now()
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(sm.body)
}

// sitemapURL is one <url> of the sitemap protocol (sitemaps.org 0.9).
type sitemapURL struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

type urlSet struct {
	XMLName xml.Name     `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
	URLs    []sitemapURL `xml:"url"`
}

// build lists the public pages, at most maxSitemapURLs of them.
func (sm *sitemap) build(ctx context.Context, base string) ([]byte, error) {
	set := urlSet{}
	add := func(path string, mod time.Time) bool {
		if len(set.URLs) >= maxSitemapURLs {
			return false
		}
		u := sitemapURL{Loc: base + path}
		if !mod.IsZero() {
			u.LastMod = mod.UTC().Format(time.RFC3339)
		}
		set.URLs = append(set.URLs, u)
		return true
	}
	for _, p := range []string{"/", "/catalog", "/organizations", "/open-lists"} {
		add(p, time.Time{})
	}
	if sm.cfg.Portal != nil {
		for _, p := range []string{"/data-requests", "/apps", "/news"} {
			add(p, time.Time{})
		}
	}
	steps := []func(context.Context, func(string, time.Time) bool) error{sm.datasets, sm.institutions, sm.news, sm.apps}
	for _, step := range steps {
		if err := step(ctx, add); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", " ")
	if err := enc.Encode(set); err != nil {
		return nil, err
	}
	buf.WriteString("\n")
	return buf.Bytes(), nil
}

// datasets adds every resource the public sees published, by its dataset page.
func (sm *sitemap) datasets(ctx context.Context, add func(string, time.Time) bool) error {
	cursor := ""
	for {
		page, err := sm.cfg.Catalog.List(ctx, identity.Anonymous, catalog.Filter{Status: catalog.StatusPublished, Limit: 200, Cursor: cursor})
		if err != nil {
			return fmt.Errorf("sitemap: datasets: %w", err)
		}
		for _, r := range page.Items {
			if !add("/dataset/"+strings.ToLower(r.Code), r.UpdatedAt) {
				return nil
			}
		}
		if cursor = page.NextCursor; cursor == "" {
			return nil
		}
	}
}

// institutions adds the public institutions' pages (not persons' or companies' accounts).
func (sm *sitemap) institutions(ctx context.Context, add func(string, time.Time) bool) error {
	after := ""
	for {
		orgs, err := sm.cfg.Identity.Organizations(ctx, identity.OrgFilter{Kind: identity.KindInstitution, After: after, Limit: 1000})
		if err != nil {
			return fmt.Errorf("sitemap: institutions: %w", err)
		}
		for _, o := range orgs {
			if !add("/organizations/"+o.ID, time.Time{}) {
				return nil
			}
		}
		if len(orgs) < 1000 {
			return nil
		}
		after = orgs[len(orgs)-1].ID
	}
}

func (sm *sitemap) news(ctx context.Context, add func(string, time.Time) bool) error {
	for cursor, first := "", true; sm.cfg.Portal != nil && (first || cursor != ""); first = false {
		items, next, err := sm.cfg.Portal.NewsList(ctx, "", 100, cursor)
		if err != nil {
			return fmt.Errorf("sitemap: news: %w", err)
		}
		for _, n := range items {
			if !add("/news/"+n.ID, n.UpdatedAt) {
				return nil
			}
		}
		cursor = next
	}
	return nil
}

func (sm *sitemap) apps(ctx context.Context, add func(string, time.Time) bool) error {
	for cursor, first := "", true; sm.cfg.Portal != nil && (first || cursor != ""); first = false {
		apps, next, err := sm.cfg.Portal.PublishedApps(ctx, 100, cursor)
		if err != nil {
			return fmt.Errorf("sitemap: apps: %w", err)
		}
		for _, a := range apps {
			var mod time.Time
			if a.PublishedAt != nil {
				mod = *a.PublishedAt
			}
			if !add("/apps/"+a.ID, mod) {
				return nil
			}
		}
		cursor = next
	}
	return nil
}
