package api

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io"
	"net/http"
	"path"
	"strings"

	"dataport/internal/web/ui/session"
)

// The API documentation page: Swagger UI, embedded (see docsui/README.md for
// the release and its Apache 2.0 licence), rendering the OpenAPI document.
// It loads nothing from another origin, and its Content-Security-Policy is
// the site's with scripts from this origin allowed.

// DocsPath is the API documentation page.
const DocsPath = Prefix + "/docs"

// TokensHelpPath is the page that explains account tokens and per-grant
// API keys (served by the UI).
const TokensHelpPath = "/help/api-access"

// docsCSP is session's policy for a page that runs our own scripts: Swagger
// UI's icons are data: images, and it fetches the document from us.
const docsCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

//go:embed docsui
var docsFiles embed.FS

// docsAsset is one embedded file, served under a content-hashed name.
type docsAsset struct {
	body        []byte
	gzipped     bool
	contentType string
}

// docsAssets maps the hashed names to the files; docsURLs the files' plain
// names to their URLs.
var docsAssets, docsURLs = loadDocsAssets()

func loadDocsAssets() (map[string]docsAsset, map[string]string) {
	assets, urls := map[string]docsAsset{}, map[string]string{}
	for _, name := range []string{"swagger-ui-bundle.js.gz", "swagger-ui.css.gz", "docs.js", "docs.css"} {
		body, err := docsFiles.ReadFile("docsui/" + name)
		if err != nil {
			panic(err)
		}
		plain, gzipped := strings.CutSuffix(name, ".gz")
		sum := sha256.Sum256(body)
		ext := path.Ext(plain)
		hashed := strings.TrimSuffix(plain, ext) + "." + hex.EncodeToString(sum[:6]) + ext
		ctype := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}[ext]
		assets[hashed] = docsAsset{body: body, gzipped: gzipped, contentType: ctype}
		urls[plain] = DocsPath + "/assets/" + hashed
	}
	return assets, urls
}

var docsPage = template.Must(template.ParseFS(docsFiles, "docsui/index.html"))

// docsRoutes adds the page and its assets to mux, with the site's browser
// protections (session.Headers) and docsCSP.
func docsRoutes(mux *http.ServeMux) {
	var page bytes.Buffer
	err := docsPage.Execute(&page, map[string]string{"CSS": docsURLs["swagger-ui.css"], "PageCSS": docsURLs["docs.css"],
		"Bundle": docsURLs["swagger-ui-bundle.js"], "Start": docsURLs["docs.js"], "Spec": Prefix + "/openapi.json", "Help": TokensHelpPath})
	if err != nil {
		panic(err)
	}
	html := page.Bytes()
	mux.Handle("GET "+DocsPath, session.Headers(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", docsCSP)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(html)
	})))
	mux.Handle("GET "+DocsPath+"/assets/{name}", session.Headers(http.HandlerFunc(serveDocsAsset)))
}

// serveDocsAsset sends an asset for a year (its name changes with it),
// compressed to clients that accept gzip.
func serveDocsAsset(w http.ResponseWriter, r *http.Request) {
	a, ok := docsAssets[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", docsCSP)
	h.Set("Content-Type", a.contentType)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Vary", "Accept-Encoding")
	if !a.gzipped {
		w.Write(a.body)
		return
	}
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		w.Write(a.body)
		return
	}
	zr, err := gzip.NewReader(bytes.NewReader(a.body))
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	io.Copy(w, zr)
}
