package dcat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// A small RDF model, enough to write DCAT-AP in Turtle and JSON-LD from one
// graph, so that the two serializations always say the same thing.

// Term is an RDF term: an IRI, a blank node, or a literal with an optional
// language or datatype.
type Term struct {
	IRI, Blank, Value, Lang, Datatype string
	literal                           bool
}

// IRI returns the IRI term for s.
func IRI(s string) Term { return Term{IRI: s} }

// Blank returns a blank node labelled id.
func Blank(id string) Term { return Term{Blank: id} }

// Lit returns a plain string literal.
func Lit(s string) Term { return Term{Value: s, literal: true} }

// LangLit returns a literal in language lang.
func LangLit(s, lang string) Term { return Term{Value: s, Lang: lang, literal: true} }

// Typed returns a literal of datatype (a full IRI).
func Typed(s, datatype string) Term { return Term{Value: s, Datatype: datatype, literal: true} }

// IsLiteral reports whether t is a literal.
func (t Term) IsLiteral() bool { return t.literal }

// Triple is one statement.
type Triple struct{ S, P, O Term }

// Graph is a set of triples in the order they were added.
type Graph struct {
	triples []Triple
	seen    map[Triple]bool
}

// NewGraph returns an empty graph.
func NewGraph() *Graph { return &Graph{seen: map[Triple]bool{}} }

// Add adds a triple once; a literal with empty text is left out.
func (g *Graph) Add(s Term, p string, o Term) {
	if o.literal && strings.TrimSpace(o.Value) == "" {
		return
	}
	t := Triple{s, IRI(p), o}
	if g.seen[t] {
		return
	}
	g.seen[t] = true
	g.triples = append(g.triples, t)
}

// Triples returns the graph's triples.
func (g *Graph) Triples() []Triple { return g.triples }

// prefixes are the namespaces written in compact form.
var prefixes = []struct{ prefix, ns string }{
	{"dcat", "http://www.w3.org/ns/dcat#"},
	{"dct", "http://purl.org/dc/terms/"},
	{"foaf", "http://xmlns.com/foaf/0.1/"},
	{"vcard", "http://www.w3.org/2006/vcard/ns#"},
	{"skos", "http://www.w3.org/2004/02/skos/core#"},
	{"adms", "http://www.w3.org/ns/adms#"},
	{"hydra", "http://www.w3.org/ns/hydra/core#"},
	{"rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"},
	{"xsd", "http://www.w3.org/2001/XMLSchema#"},
}

// compact writes iri as prefix:local when a prefix covers it and the local
// part is a plain name; ok is false otherwise.
func compact(iri string) (string, bool) {
	for _, p := range prefixes {
		if local, found := strings.CutPrefix(iri, p.ns); found && isPlainName(local) {
			return p.prefix + ":" + local, true
		}
	}
	return "", false
}

func isPlainName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' || i > 0 && (r >= '0' && r <= '9' || r == '-')
		if !ok {
			return false
		}
	}
	return true
}

// subjects groups the triples by subject, keeping first-seen order.
func (g *Graph) subjects() ([]Term, map[Term][]Triple) {
	var order []Term
	by := map[Term][]Triple{}
	for _, t := range g.triples {
		if _, ok := by[t.S]; !ok {
			order = append(order, t.S)
		}
		by[t.S] = append(by[t.S], t)
	}
	return order, by
}

const rdfType = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

// Turtle writes the graph in Turtle.
func (g *Graph) Turtle() []byte {
	var b bytes.Buffer
	for _, p := range prefixes {
		fmt.Fprintf(&b, "@prefix %s: <%s> .\n", p.prefix, p.ns)
	}
	order, by := g.subjects()
	for _, s := range order {
		b.WriteString("\n")
		b.WriteString(turtleTerm(s))
		for i, t := range by[s] {
			sep := " ;\n    "
			if i == 0 {
				sep = "\n    "
			}
			b.WriteString(sep)
			if t.P.IRI == rdfType {
				b.WriteString("a")
			} else {
				b.WriteString(turtleTerm(t.P))
			}
			b.WriteString(" ")
			b.WriteString(turtleTerm(t.O))
		}
		b.WriteString(" .\n")
	}
	return b.Bytes()
}

func turtleTerm(t Term) string {
	switch {
	case t.Blank != "":
		return "_:" + t.Blank
	case !t.literal:
		if c, ok := compact(t.IRI); ok {
			return c
		}
		return "<" + escapeIRI(t.IRI) + ">"
	}
	s := `"` + escapeString(t.Value) + `"`
	switch {
	case t.Lang != "":
		return s + "@" + t.Lang
	case t.Datatype != "":
		if c, ok := compact(t.Datatype); ok {
			return s + "^^" + c
		}
		return s + "^^<" + escapeIRI(t.Datatype) + ">"
	}
	return s
}

// escapeString escapes a literal for Turtle and N-Triples.
func escapeString(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// escapeIRI percent-encodes the characters an IRI reference may not hold.
func escapeIRI(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r <= 0x20 || strings.ContainsRune(`<>"{}|^`+"`\\", r) {
			fmt.Fprintf(&b, "%%%02X", r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// NTriples writes the graph as N-Triples, one statement a line, sorted; a
// canonical form for comparing graphs in tests.
func (g *Graph) NTriples() string {
	lines := make([]string, len(g.triples))
	for i, t := range g.triples {
		lines[i] = ntTerm(t.S) + " " + ntTerm(t.P) + " " + ntTerm(t.O) + " ."
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

func ntTerm(t Term) string {
	switch {
	case t.Blank != "":
		return "_:" + t.Blank
	case !t.literal:
		return "<" + escapeIRI(t.IRI) + ">"
	case t.Lang != "":
		return `"` + escapeString(t.Value) + `"@` + t.Lang
	case t.Datatype != "":
		return `"` + escapeString(t.Value) + `"^^<` + t.Datatype + ">"
	}
	return `"` + escapeString(t.Value) + `"`
}

// JSONLD writes the graph as a JSON-LD document: a context of the prefixes
// and a flat @graph of node objects.
func (g *Graph) JSONLD() ([]byte, error) {
	ctx := map[string]string{}
	for _, p := range prefixes {
		ctx[p.prefix] = p.ns
	}
	order, by := g.subjects()
	nodes := make([]map[string]any, 0, len(order))
	for _, s := range order {
		node := map[string]any{"@id": jsonldID(s)}
		for _, t := range by[s] {
			if t.P.IRI == rdfType {
				types, _ := node["@type"].([]string)
				node["@type"] = append(types, jsonldName(t.O.IRI))
				continue
			}
			key := jsonldName(t.P.IRI)
			values, _ := node[key].([]any)
			node[key] = append(values, jsonldValue(t.O))
		}
		nodes = append(nodes, node)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	err := enc.Encode(map[string]any{"@context": ctx, "@graph": nodes})
	return b.Bytes(), err
}

func jsonldID(t Term) string {
	if t.Blank != "" {
		return "_:" + t.Blank
	}
	return t.IRI
}

func jsonldName(iri string) string {
	if c, ok := compact(iri); ok {
		return c
	}
	return iri
}

func jsonldValue(t Term) map[string]any {
	switch {
	case !t.literal:
		return map[string]any{"@id": jsonldID(t)}
	case t.Lang != "":
		return map[string]any{"@value": t.Value, "@language": t.Lang}
	case t.Datatype != "":
		return map[string]any{"@value": t.Value, "@type": jsonldName(t.Datatype)}
	}
	return map[string]any{"@value": t.Value}
}
