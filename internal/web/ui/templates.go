package ui

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"slices"
	"strings"
)

//go:embed templates
var templateFS embed.FS

// pages holds every page template parsed once per language, each with the
// layout and partials, and template functions that speak that language.
type pages struct {
	byLang map[string]map[string]*template.Template
}

// shared are the templates every page is parsed with.
var shared = []string{"templates/layout.html", "templates/partials.html", "templates/data_partials.html", "templates/ledger_partials.html", "templates/grading_partials.html", "templates/harvest_partials.html", "templates/engage_partials.html", "templates/dataset_partials.html", "templates/exchange_partials.html", "templates/trade_partials.html", "templates/zones_partials.html", "templates/security_partials.html", "templates/incident_partials.html"}

// loadPages parses every page of templates/ for each language.
func loadPages(a *assets) (*pages, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{byLang: map[string]map[string]*template.Template{}}
	for _, lang := range []string{langZh, langEn} {
		base, err := template.New("").Funcs(funcs(lang, a)).ParseFS(templateFS, shared...)
		if err != nil {
			return nil, fmt.Errorf("ui: templates: %w", err)
		}
		p.byLang[lang] = map[string]*template.Template{}
		for _, name := range names {
			if slices.Contains(shared, name) {
				continue
			}
			t, err := template.Must(base.Clone()).ParseFS(templateFS, name)
			if err != nil {
				return nil, fmt.Errorf("ui: template %s: %w", name, err)
			}
			page := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")
			p.byLang[lang][page] = t
		}
	}
	return p, nil
}

// execute renders page in lang through the layout.
func (p *pages) execute(w io.Writer, lang, page string, v view) error {
	t, ok := p.byLang[lang][page]
	if !ok {
		return fmt.Errorf("no page template %q", page)
	}
	return t.ExecuteTemplate(w, "layout", v)
}
