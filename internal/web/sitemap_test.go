package web_test

import (
	"context"
	"encoding/xml"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"dataport/internal/access/accesstest"
	"dataport/internal/portal"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web"
	"dataport/internal/web/services"
)

// sitemapSite is the whole HTTP surface with the portal service, a news
// item and an approved app, at publicURL ("" for the request's host).
func sitemapSite(t *testing.T, publicURL string) (http.Handler, *accesstest.World, portal.News, portal.App) {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, store.SQLite)
	w := accesstest.New(t, db)
	svc := portal.New(db, w.IDs, w.Cat, portal.Config{Review: review.NewService(db, review.Config{})})
	n, err := svc.PublishNews(ctx, w.Operator, portal.NewsInput{Kind: portal.KindNews, Title: "平台上线", Body: "正文"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := svc.SubmitApp(ctx, w.Citizen, portal.AppInput{Name: "出行", Description: "d", URL: "https://a.example", ResourceIDs: []string{w.Open.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if a, err = svc.Apps.Decide(ctx, w.Operator, a.ID, review.Approve, ""); err != nil {
		t.Fatal(err)
	}
	h, err := web.New(web.Config{DB: db, PublicURL: publicURL, Version: "test", Services: services.Services{
		Identity: w.IDs, Catalog: w.Cat, Portal: svc, Log: slog.New(slog.DiscardHandler)}})
	if err != nil {
		t.Fatal(err)
	}
	return h, w, n, a
}

func TestSitemapListsPublicPagesWithAbsoluteURLs(t *testing.T) {
	for _, test := range []struct{ name, publicURL, base string }{
		{"public url", "https://data.jinghua.example/", "https://data.jinghua.example"},
		{"request host", "", "http://example.com"},
	} {
		t.Run(test.name, func(t *testing.T) {
			h, w, n, a := sitemapSite(t, test.publicURL)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/sitemap.xml", nil))
			if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/xml") {
				t.Fatalf("GET /sitemap.xml: %d %s\n%s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
			var set struct {
				XMLName xml.Name
				URLs    []struct {
					Loc     string `xml:"loc"`
					LastMod string `xml:"lastmod"`
				} `xml:"url"`
			}
			if err := xml.Unmarshal(rec.Body.Bytes(), &set); err != nil {
				t.Fatalf("the sitemap is not XML: %v\n%s", err, rec.Body)
			}
			if set.XMLName.Space != "http://www.sitemaps.org/schemas/sitemap/0.9" || set.XMLName.Local != "urlset" {
				t.Errorf("root element %v", set.XMLName)
			}
			var paths []string
			for _, u := range set.URLs {
				parsed, err := url.Parse(u.Loc)
				if err != nil || !parsed.IsAbs() || !strings.HasPrefix(u.Loc, test.base+"/") {
					t.Errorf("loc %q is not an absolute address under %s", u.Loc, test.base)
					continue
				}
				paths = append(paths, parsed.Path)
			}
			for _, want := range []string{"/", "/catalog", "/data-requests", "/apps", "/news", "/dataset/" + strings.ToLower(w.Open.Code),
				"/dataset/" + strings.ToLower(w.Conditional.Code), "/organizations/" + w.Provider.ID, "/news/" + n.ID, "/apps/" + a.ID} {
				if !slices.Contains(paths, want) {
					t.Errorf("the sitemap lacks %s", want)
				}
			}
			for _, hidden := range []string{"/dataset/" + strings.ToLower(w.Draft.Code), "/dataset/" + strings.ToLower(w.Retired.Code),
				"/organizations/" + w.Person.ID, "/organizations/" + w.Company.ID} {
				if slices.Contains(paths, hidden) {
					t.Errorf("the sitemap lists %s", hidden)
				}
			}

			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/robots.txt", nil))
			body := rec.Body.String()
			for _, want := range []string{"User-agent: *\n", "Disallow: /my\n", "Disallow: /admin\n", "Disallow: /account\n",
				"Sitemap: " + test.base + "/sitemap.xml\n"} {
				if !strings.Contains(body, want) {
					t.Errorf("robots.txt lacks %q:\n%s", want, body)
				}
			}
		})
	}
}
