package harvest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/catalog/vocab"
)

// Vocabulary the DCAT reader looks for.
const (
	nsDCAT   = "http://www.w3.org/ns/dcat#"
	nsDCT    = "http://purl.org/dc/terms/"
	nsVCard  = "http://www.w3.org/2006/vcard/ns#"
	nsHydra  = "http://www.w3.org/ns/hydra/core#"
	rdfType  = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
	euPrefix = vocab.EUAuthority
)

// fetchDCAT reads a DCAT catalog in JSON-LD, page by page along its Hydra
// next links (hydra:next or ckanext-dcat's hydra:nextPage), asking for
// modified_since (which dataport honours) and keeping only datasets whose
// dct:modified is after since (for catalogs that ignore it).
func fetchDCAT(ctx context.Context, client *http.Client, source string, since time.Time, opts Options) ([]Record, error) {
	next := source
	if !since.IsZero() {
		next = withParam(source, "modified_since", since.UTC().Format(time.RFC3339))
	}
	var out []Record
	visited, seen := map[string]bool{}, map[string]bool{}
	for next != "" && !visited[next] {
		visited[next] = true
		body, err := get(ctx, client, next, "application/ld+json")
		if err != nil {
			return nil, err
		}
		g, err := parseJSONLD(body)
		if err != nil {
			return nil, fmt.Errorf("harvest: %s: %w", next, err)
		}
		for _, d := range g.ofType(nsDCAT + "Dataset") {
			if seen[d] { // datasets changing while we page may appear twice
				continue
			}
			seen[d] = true
			r := g.record(d, source, opts)
			if since.IsZero() || r.Modified.IsZero() || r.Modified.After(since) {
				out = append(out, r)
			}
		}
		next = g.nextPage()
	}
	return out, nil
}

func withParam(u, key, value string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		return u
	}
	q := parsed.Query()
	q.Set(key, value)
	parsed.RawQuery = q.Encode()
	return parsed.String()
}

// value is an RDF object: an IRI, or a literal with its language.
type value struct{ iri, text, lang string }

// graph is a JSON-LD document as subjects and their properties (full IRIs).
type graph struct {
	nodes map[string]map[string][]value
	order []string
}

// parseJSONLD reads the JSON-LD that DCAT portals publish: a @graph of
// node objects (or a list of them), with a context of prefixes or none.
// Contexts with term definitions other than plain IRIs are not read.
func parseJSONLD(body []byte) (*graph, error) {
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("not JSON-LD: %w", err)
	}
	ctx := map[string]string{}
	var nodes []any
	switch d := doc.(type) {
	case []any:
		nodes = d
	case map[string]any:
		if c, ok := d["@context"].(map[string]any); ok {
			for k, v := range c {
				if s, ok := v.(string); ok {
					ctx[k] = s
				}
			}
		}
		if g, ok := d["@graph"].([]any); ok {
			nodes = g
		} else {
			nodes = []any{d}
		}
	default:
		return nil, fmt.Errorf("not a JSON-LD document")
	}
	g := &graph{nodes: map[string]map[string][]value{}}
	for _, n := range nodes {
		if m, ok := n.(map[string]any); ok {
			g.addNode(m, ctx)
		}
	}
	return g, nil
}

func expandIRI(s string, ctx map[string]string) string {
	if p, local, ok := strings.Cut(s, ":"); ok && !strings.HasPrefix(local, "//") {
		if ns, ok := ctx[p]; ok {
			return ns + local
		}
	}
	if ns, ok := ctx[s]; ok {
		return ns
	}
	return s
}

func (g *graph) addNode(m map[string]any, ctx map[string]string) string {
	id, _ := m["@id"].(string)
	id = expandIRI(id, ctx)
	if id == "" {
		id = fmt.Sprintf("_:n%d", len(g.order))
	}
	props, ok := g.nodes[id]
	if !ok {
		props = map[string][]value{}
		g.nodes[id] = props
		g.order = append(g.order, id)
	}
	for k, raw := range m {
		switch k {
		case "@id", "@context":
			continue
		case "@type":
			for _, t := range asList(raw) {
				if s, ok := t.(string); ok {
					props[rdfType] = append(props[rdfType], value{iri: expandIRI(s, ctx)})
				}
			}
			continue
		}
		key := expandIRI(k, ctx)
		for _, v := range asList(raw) {
			switch x := v.(type) {
			case string:
				props[key] = append(props[key], value{text: x})
			case map[string]any:
				if lit, ok := x["@value"]; ok {
					lang, _ := x["@language"].(string)
					props[key] = append(props[key], value{text: fmt.Sprint(lit), lang: lang})
				} else if ref, ok := x["@id"].(string); ok && len(x) == 1 {
					props[key] = append(props[key], value{iri: expandIRI(ref, ctx)})
				} else if _, ok := x["@id"]; ok && len(x) == 1 {
					continue // a reference whose @id is no string: nothing to follow
				} else { // an embedded node
					props[key] = append(props[key], value{iri: g.addNode(x, ctx)})
				}
			default:
				props[key] = append(props[key], value{text: fmt.Sprint(x)})
			}
		}
	}
	return id
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func (g *graph) ofType(class string) []string {
	var out []string
	for _, id := range g.order {
		for _, t := range g.nodes[id][rdfType] {
			if t.iri == class {
				out = append(out, id) // once, whatever the number of times the type is said
				break
			}
		}
	}
	return out
}

// text is a node's literal in lang ("" takes an untagged one), else any.
func (g *graph) text(id, prop, lang string) string {
	vs := g.nodes[id][prop]
	for _, v := range vs {
		if v.iri == "" && (v.lang == lang || lang == "zh" && strings.HasPrefix(v.lang, "zh")) {
			return v.text
		}
	}
	if lang == "zh" {
		for _, v := range vs {
			if v.iri == "" && v.lang == "" {
				return v.text
			}
		}
	}
	return ""
}

func (g *graph) iris(id, prop string) []string {
	var out []string
	for _, v := range g.nodes[id][prop] {
		if v.iri != "" {
			out = append(out, v.iri)
		} else if strings.HasPrefix(v.text, "http") {
			out = append(out, v.text)
		}
	}
	return out
}

// nextPage is the catalog page after this one, from Hydra.
func (g *graph) nextPage() string {
	for _, id := range g.order {
		for _, p := range []string{nsHydra + "next", nsHydra + "nextPage"} {
			if next := g.iris(id, p); len(next) > 0 {
				return next[0]
			}
		}
	}
	return ""
}

// record reads one dcat:Dataset into a catalog input.
func (g *graph) record(id, source string, opts Options) Record {
	r := Record{RemoteID: id, Name: firstNonEmpty(g.text(id, nsDCT+"identifier", ""), id)}
	r.Modified, _ = time.Parse(time.RFC3339, g.text(id, nsDCT+"modified", ""))
	in := catalog.Input{TitleZh: g.text(id, nsDCT+"title", "zh"), TitleEn: g.text(id, nsDCT+"title", "en"),
		DescriptionZh: g.text(id, nsDCT+"description", "zh"), DescriptionEn: g.text(id, nsDCT+"description", "en")}
	if in.TitleZh == "" {
		in.TitleZh = in.TitleEn
	}
	if in.DescriptionZh == "" {
		in.DescriptionZh = in.DescriptionEn
	}
	for _, v := range g.nodes[id][nsDCAT+"keyword"] {
		in.Keywords = append(in.Keywords, v.text)
	}
	in.Subject = subjectOf(g.iris(id, nsDCAT+"theme"))
	in.OpenType = reverse(vocab.AccessRights, g.iris(id, nsDCT+"accessRights"), "access-right/")
	in.UpdateFrequency = reverse(vocab.Frequencies, g.iris(id, nsDCT+"accrualPeriodicity"), "frequency/")
	for _, dist := range g.iris(id, nsDCAT+"distribution") {
		if f := formatOf(g, dist); f != "" {
			in.Formats = append(in.Formats, f)
		}
	}
	for _, cp := range g.iris(id, nsDCAT+"contactPoint") {
		in.ContactName = g.text(cp, nsVCard+"fn", "")
		for _, e := range g.iris(cp, nsVCard+"hasEmail") {
			in.ContactEmail = strings.TrimPrefix(e, "mailto:")
		}
		for _, tel := range g.iris(cp, nsVCard+"hasTelephone") {
			in.ContactPhone = strings.TrimPrefix(tel, "tel:")
		}
	}
	r.Input = in
	r.Placeholder = defaults(&r.Input, source, opts)
	return r
}

// subjectOf picks the catalog subject for EU data themes: the first subject
// mapped to the first theme.
func subjectOf(themes []string) string {
	for _, t := range themes {
		code := strings.TrimPrefix(t, euPrefix+"data-theme/")
		for _, s := range catalog.Subjects {
			if vocab.Themes[s.Code] == code {
				return s.Code
			}
		}
	}
	return ""
}

func reverse[K ~string](table map[K]string, iris []string, kind string) K {
	for _, iri := range iris {
		code := strings.TrimPrefix(iri, euPrefix+kind)
		for k, v := range table {
			if v == code {
				return k
			}
		}
	}
	return ""
}

// formatOf reads a distribution's format from its file type, media type or
// title, as one of the catalog's formats ("" when none fits).
func formatOf(g *graph, dist string) string {
	for _, iri := range g.iris(dist, nsDCT+"format") {
		code := strings.TrimPrefix(iri, euPrefix+"file-type/")
		for f, ft := range vocab.FileTypes {
			if ft == code {
				return f
			}
		}
	}
	for _, iri := range append(g.iris(dist, nsDCAT+"mediaType"), g.text(dist, nsDCAT+"mediaType", "")) {
		for f, mt := range vocab.MediaTypes {
			if mt != "" && strings.HasSuffix(iri, mt) {
				return f
			}
		}
	}
	title := strings.ToUpper(g.text(dist, nsDCT+"title", "zh"))
	if strings.Contains(title, "API") {
		return "API"
	}
	return ""
}
