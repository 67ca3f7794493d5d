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

// loadAssets hashes every embedded static file. The style sheet app.css is
// the files of static/css joined in name order (00-base.css first), so each
// part of the product keeps its styles beside the others in one download.
func loadAssets() (*assets, error) {
	a := &assets{urls: map[string]string{}, files: map[string]asset{}}
	entries, err := fs.ReadDir(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("ui: static assets: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		body, err := staticFS.ReadFile("static/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("ui: static asset %s: %w", e.Name(), err)
		}
		a.add(e.Name(), body)
	}
	sheets, err := fs.Glob(staticFS, "static/css/*.css")
	if err != nil || len(sheets) == 0 {
		return nil, fmt.Errorf("ui: no style sheets in static/css (%v)", err)
	}
	var css []byte
	for _, name := range sheets { // fs.Glob returns names sorted
		body, err := staticFS.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("ui: static asset %s: %w", name, err)
		}
		css = append(css, fmt.Sprintf("/* %s */\n", path.Base(name))...)
		css = append(css, body...)
		css = append(css, '\n')
	}
	a.add("app.css", css)
	return a, nil
}

// add registers body under name and its content-hashed name.
func (a *assets) add(name string, body []byte) {
	sum := sha256.Sum256(body)
	ext := path.Ext(name)
	hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:5]) + ext
	a.urls[name] = "/static/" + hashed
	a.files[hashed] = asset{body: body, contentType: mime.TypeByExtension(ext)}
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
