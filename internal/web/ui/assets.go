package ui

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var staticFS embed.FS

// assets serves the embedded static files under content-hashed names
// ("app.3f9a1c2b7d.css"), so that they can be cached forever: a changed file
// gets a new URL.
type assets struct {
	urls  map[string]string // logical name → "/static/hashed-name"
	files map[string]asset  // hashed name → content
}

type asset struct {
	body        []byte
	contentType string
}

// loadAssets hashes every embedded static file.
func loadAssets() (*assets, error) {
	a := &assets{urls: map[string]string{}, files: map[string]asset{}}
	entries, err := fs.ReadDir(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("ui: static assets: %w", err)
	}
	for _, e := range entries {
		body, err := staticFS.ReadFile("static/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("ui: static asset %s: %w", e.Name(), err)
		}
		sum := sha256.Sum256(body)
		ext := path.Ext(e.Name())
		hashed := strings.TrimSuffix(e.Name(), ext) + "." + hex.EncodeToString(sum[:5]) + ext
		a.urls[e.Name()] = "/static/" + hashed
		a.files[hashed] = asset{body: body, contentType: mime.TypeByExtension(ext)}
	}
	return a, nil
}

// url returns the hashed URL of the static file name; it panics on a name
// that is not embedded, which the template tests catch.
func (a *assets) url(name string) string {
	u, ok := a.urls[name]
	if !ok {
		panic("ui: no static asset " + name)
	}
	return u
}

// ServeHTTP serves a hashed asset with a year-long immutable cache.
func (a *assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, ok := a.files[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.contentType)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Write(f.body)
}
