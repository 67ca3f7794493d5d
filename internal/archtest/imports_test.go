package archtest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"dataport/internal/archdoc"
)

// rule forbids packages matching from to import packages matching to,
// except importers matching unless and imports matching allow. A pattern
// "x/..." matches x and everything below it; other patterns match one
// package. Paths are within the module.
type rule struct {
	name, from, to string
	unless, allow  []string
}

// The layers, as docs/architecture.md ("Import directions") states them.
var (
	web    = "internal/web/..."
	wiring = []string{"internal/app", "cmd/..."}
	// domain is every internal package but web's and the wiring's; demo
	// seeds through the domain services and is held to the same line.
	domain = "internal/..."
)

// rules mirror the document's table of import directions.
var rules = []rule{
	{name: "domain code never imports web", from: domain, to: web, unless: append([]string{web}, wiring...)},
	{name: "harvest never imports web", from: "internal/harvest/...", to: web},
	{name: "web calls the domain, never the wiring or the demo", from: web, to: "internal/app"},
	{name: "web calls the domain, never the wiring or the demo", from: web, to: "internal/demo"},
	{name: "only cmd builds the application", from: "internal/...", to: "internal/app", unless: []string{"internal/app"}},
	{name: "the store imports no domain", from: "internal/store", to: "internal/..."},
	{name: "validate imports nothing of ours", from: "internal/validate", to: "internal/..."},
	{name: "the catalog's vocabulary depends on the catalog only", from: "internal/catalog/vocab", to: "internal/...", allow: []string{"internal/catalog"}},
}

// known are edges that break a rule today, each with why and where it is
// being fixed; TestKnownViolationsStillExist fails once one is gone, so the
// list only shrinks.
var known = map[[2]string]string{}

func matches(pattern, path string) bool {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return path == base || strings.HasPrefix(path, base+"/")
	}
	return path == pattern
}

func matchesAny(patterns []string, path string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return matches(p, path) })
}

// violations lists the edges of graph (package → its imports, paths within
// the module) that break a rule, as "from → to: rule", leaving out known ones.
func violations(graph map[string][]string, rules []rule, known map[[2]string]string) []string {
	var out []string
	for from, imports := range graph {
		for _, to := range imports {
			if _, ok := known[[2]string{from, to}]; ok || from == to {
				continue
			}
			for _, r := range rules {
				if matches(r.from, from) && !matchesAny(r.unless, from) && matches(r.to, to) && !matchesAny(r.allow, to) {
					out = append(out, from+" → "+to+": "+r.name)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// graph loads the module's package graph with paths within the module.
func graph(t *testing.T) map[string][]string {
	t.Helper()
	pkgs, err := archdoc.Load(root(t))
	if err != nil {
		t.Fatal(err)
	}
	g := map[string][]string{}
	for _, p := range pkgs {
		g[p.Rel()] = nil
		for _, imp := range p.Imports {
			g[p.Rel()] = append(g[p.Rel()], strings.TrimPrefix(imp, archdoc.Module+"/"))
		}
	}
	return g
}

func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestImportDirections: no package imports across a line the document forbids.
func TestImportDirections(t *testing.T) {
	g := graph(t)
	if len(g) < 20 || g["internal/web/ckan"] == nil {
		t.Fatalf("read %d packages; the graph is not the module's", len(g))
	}
	for _, v := range violations(g, rules, known) {
		t.Error(v)
	}
}

// TestKnownViolationsStillExist: an exception is removed once its edge is gone.
func TestKnownViolationsStillExist(t *testing.T) {
	g := graph(t)
	for edge, why := range known {
		if !slices.Contains(g[edge[0]], edge[1]) {
			t.Errorf("%s no longer imports %s: remove the exception (%s)", edge[0], edge[1], why)
		}
	}
}

// TestViolationsAreFound: the checker reports forbidden edges and passes
// allowed ones, so that TestImportDirections can fail.
func TestViolationsAreFound(t *testing.T) {
	for _, test := range []struct {
		from, to string
		want     bool
	}{
		{"internal/catalog", "internal/web/ui", true},
		{"internal/datastore", "internal/web/ckan", true},
		{"internal/harvest", "internal/web/dcat", true},
		{"internal/harvest/sub", "internal/web", true},
		{"internal/web/ckan", "internal/app", true},
		{"internal/web/api", "internal/demo", true},
		{"internal/jobs", "internal/app", true},
		{"internal/store", "internal/catalog", true},
		{"internal/catalog/vocab", "internal/search", true},
		{"internal/web/ckan", "internal/datastore", false},
		{"internal/web/dcat", "internal/web/ckan", false},
		{"internal/app", "internal/web", false},
		{"cmd/dataport", "internal/app", false},
		{"internal/harvest", "internal/catalog/vocab", false},
		{"internal/harvest", "internal/catalog/ckanpkg", false},
		{"internal/web/ckan", "internal/catalog/ckanpkg", false},
		{"internal/store/storetest", "internal/store", false},
		{"internal/catalog/vocab", "internal/catalog", false},
	} {
		got := violations(map[string][]string{test.from: {test.to}}, rules, nil)
		if (len(got) > 0) != test.want {
			t.Errorf("%s → %s: violations %q, want forbidden %v", test.from, test.to, got, test.want)
		}
	}
	edge := map[[2]string]string{{"internal/harvest", "internal/web/ckan"}: "a test exception"}
	if got := violations(map[string][]string{"internal/harvest": {"internal/web/ckan"}}, rules, edge); len(got) != 0 {
		t.Errorf("a known edge is reported: %q", got)
	}
}

// TestArchitectureDocumentIsCurrent: the package table of
// docs/architecture.md is what go run ./scripts/archdoc writes today.
func TestArchitectureDocumentIsCurrent(t *testing.T) {
	pkgs, err := archdoc.Load(root(t))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(root(t), "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := archdoc.Update(string(doc), archdoc.Table(pkgs))
	if err != nil {
		t.Fatal(err)
	}
	if want != string(doc) {
		t.Error("docs/architecture.md's package table does not match the code: run go run ./scripts/archdoc and commit the result")
	}
}
