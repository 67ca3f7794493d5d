package dcat

import (
	"strings"
	"testing"

	"dataport/internal/web/dcat/shacltest"
)

// TestSHACLConformance validates the fixture's catalog pages and dataset
// documents, in Turtle and JSON-LD, against the official DCAT-AP 3.0.1
// shapes (shapes.ttl + range.ttl) with a SHACL engine: no violation.
func TestSHACLConformance(t *testing.T) {
	v := shacltest.New(t)
	f := newFixture(t)
	docs := map[string]string{}
	for _, path := range []string{
		"/catalog.ttl?page_size=2", "/catalog.jsonld?page_size=2",
		"/catalog.ttl?page_size=2&page=2", "/catalog.jsonld?page_size=2&page=2",
		"/dataset/jtw-04-00001.ttl", "/dataset/jtw-04-00001.jsonld", // named contact, open to all
		"/dataset/jtw-20-00001.ttl", "/dataset/jtw-20-00001.jsonld", // open on application
		"/dataset/jtw-04-00002.ttl", "/dataset/jtw-04-00002.jsonld", // no named contact
	} {
		status, _, body := f.get(t, path, "")
		if status != 200 {
			t.Fatalf("GET %s: %d", path, status)
		}
		name, query, _ := strings.Cut(strings.TrimPrefix(path, "/"), "?")
		if query != "" {
			base, ext, _ := strings.Cut(name, ".")
			name = base + "-" + strings.NewReplacer("=", "", "&", "-").Replace(query) + "." + ext
		}
		docs[name] = body
	}
	reports := v.ValidateDocs(t, docs)
	shacltest.Conforms(t, reports)
	t.Logf("recommended shapes, results by property: %v", shacltest.Recommended(reports))
}

// TestSHACLFindsViolations shows the check can fail: our own output with a
// concept's labels or the publisher's class taken out is refused.
func TestSHACLFindsViolations(t *testing.T) {
	v := shacltest.New(t)
	f := newFixture(t)
	_, _, body := f.get(t, "/dataset/jtw-04-00001.jsonld", "")
	theme := IRI(themeScheme + "/TRAN")
	publisher := objects(graphOf(t, body), IRI("https://data.example.gov.cn/dataset/jtw-04-00001"), nsDCT+"publisher")[0]
	for _, test := range []struct {
		name       string
		drop       func(Triple) bool
		focus      string
		constraint string
	}{
		{"a theme without skos:prefLabel", func(tr Triple) bool { return tr.S == theme && tr.P.IRI == nsSKOS+"prefLabel" },
			theme.IRI, "sh:MinCountConstraintComponent"},
		{"a publisher that is not a foaf:Agent", func(tr Triple) bool { return tr.S == publisher && tr.O.IRI == nsFOAF+"Agent" },
			"https://data.example.gov.cn/dataset/jtw-04-00001", "sh:ClassConstraintComponent"},
	} {
		t.Run(test.name, func(t *testing.T) {
			g := NewGraph()
			for _, tr := range graphOf(t, body).Triples() {
				if !test.drop(tr) {
					g.Add(tr.S, tr.P.IRI, tr.O)
				}
			}
			ld, err := g.JSONLD()
			if err != nil {
				t.Fatal(err)
			}
			reports := v.ValidateDocs(t, map[string]string{"broken.ttl": string(g.Turtle()), "broken.jsonld": string(ld)})
			for _, r := range reports {
				found := false
				for _, res := range r.Violations {
					found = found || res.FocusNode == test.focus && res.Constraint == test.constraint
				}
				if !found {
					t.Errorf("%s: no %s on %s among %v", r.File, test.constraint, test.focus, r.Violations)
				}
			}
		})
	}
}
