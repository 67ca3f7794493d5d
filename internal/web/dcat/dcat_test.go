package dcat

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/search"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/services"
)

const (
	rdfsNS = "http://www.w3.org/2000/01/rdf-schema#"
	xsdDT  = nsXSD + "dateTime"
)

// fixture is a DCAT endpoint over a store with one institution, three
// published resources and a draft.
type fixture struct {
	url     string
	cat     *catalog.Service
	indexer *search.Indexer
	bus     catalog.Resource
	draft   catalog.Resource
	html    *bool
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, store.SQLite)
	ids, cat := identity.NewService(db), catalog.NewService(db)
	check, _ := identity.USCCCheckChar("12110000000000001")
	org, err := ids.CreateOrganization(ctx, identity.System, identity.OrgInput{Kind: identity.KindInstitution,
		NameZh: "市交通委员会", NameEn: "Municipal Transport Commission", USCC: "12110000000000001" + string(check), Code: "JTW"})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{cat: cat, html: new(bool)}
	add := func(zh, en string, publish bool, edit func(*catalog.Input)) catalog.Resource {
		in := catalog.Input{TitleZh: zh, TitleEn: en, DescriptionZh: zh + "，含\"引号\"与\\反斜杠。", DescriptionEn: "About " + en,
			Subject: "04", Keywords: []string{"公交", "出行"}, Formats: []string{"CSV", "JSON", "API"},
			UpdateFrequency: catalog.FreqDaily, ShareType: catalog.ShareUnconditional, OpenType: catalog.OpenUnconditional,
			Classification: catalog.ClassGeneral, Level: 1, ContactName: "数据管理处", ContactEmail: "data@jtw.example", ContactPhone: "010 1234 5678",
			Items: []catalog.Item{{Name: "stop_id", LabelZh: "站点编号", Type: catalog.TypeText}}}
		if edit != nil {
			edit(&in)
		}
		r, err := cat.Create(ctx, identity.System, org.ID, in)
		if err == nil && publish {
			if _, err = cat.Submit(ctx, identity.System, r.ID); err == nil {
				r, err = cat.Review(ctx, identity.System, r.ID, catalog.Approve, "")
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	f.bus = add("公交站点实时到站信息", "Real-time bus arrivals", true, func(in *catalog.Input) { in.UpdateFrequency = catalog.FreqRealtime })
	add("地铁客流", "Metro ridership", true, func(in *catalog.Input) {
		in.OpenType, in.OpenBasis, in.Subject = catalog.OpenConditional, "需申请", "20"
	})
	add("道路养护", "Road maintenance", true, func(in *catalog.Input) { in.ContactName, in.ContactEmail, in.ContactPhone = "", "", "" })
	f.draft = add("草稿", "Draft", false, nil)
	ix, err := search.OpenMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	f.indexer = search.NewIndexer(ix, db, cat, ids, nil)
	if err := f.indexer.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	html := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { *f.html = true; w.Write([]byte("<html>")) })
	srv := httptest.NewServer(New(Config{Services: services.Services{Catalog: cat, Identity: ids, Search: ix}, HTML: html, PublicURL: "https://data.example.gov.cn"}))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

func (f *fixture) get(t *testing.T, path, accept string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.url+path, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// graphOf reads back a JSON-LD document this package wrote into triples (it
// knows the one shape we write: a context of prefixes and a flat @graph).
func graphOf(t *testing.T, doc string) *Graph {
	t.Helper()
	var d struct {
		Context map[string]string `json:"@context"`
		Graph   []map[string]any  `json:"@graph"`
	}
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		t.Fatalf("JSON-LD: %v", err)
	}
	expand := func(s string) string {
		if p, local, ok := strings.Cut(s, ":"); ok && d.Context[p] != "" && !strings.HasPrefix(local, "//") {
			return d.Context[p] + local
		}
		return s
	}
	node := func(id string) Term {
		if b, ok := strings.CutPrefix(id, "_:"); ok {
			return Blank(b)
		}
		return IRI(id)
	}
	g := NewGraph()
	for _, n := range d.Graph {
		s := node(n["@id"].(string))
		for k, v := range n {
			switch k {
			case "@id":
			case "@type":
				for _, typ := range v.([]any) {
					g.Add(s, rdfType, IRI(expand(typ.(string))))
				}
			default:
				for _, raw := range v.([]any) {
					o := raw.(map[string]any)
					switch {
					case o["@id"] != nil:
						g.Add(s, expand(k), node(o["@id"].(string)))
					case o["@language"] != nil:
						g.Add(s, expand(k), LangLit(o["@value"].(string), o["@language"].(string)))
					case o["@type"] != nil:
						g.Add(s, expand(k), Typed(o["@value"].(string), expand(o["@type"].(string))))
					default:
						g.Add(s, expand(k), Lit(o["@value"].(string)))
					}
				}
			}
		}
	}
	return g
}

// objects are the values of s's property p.
func objects(g *Graph, s Term, p string) []Term {
	var out []Term
	for _, t := range g.Triples() {
		if t.S == s && t.P.IRI == p {
			out = append(out, t.O)
		}
	}
	return out
}

func subjectsOfType(g *Graph, class string) []Term {
	var out []Term
	for _, t := range g.Triples() {
		if t.P.IRI == rdfType && t.O.IRI == class {
			out = append(out, t.S)
		}
	}
	return out
}

func hasType(g *Graph, s Term, class string) bool {
	return slices.Contains(objects(g, s, rdfType), IRI(class))
}

// requirement is one DCAT-AP 3 property of a class: at least one value,
// and, for resources, of the class the property's range names (SHACL's
// sh:class, which checks the type in the data graph itself).
type requirement struct {
	property  string
	class     string // "" for a literal
	datatype  string // for typed literals
	langs     []string
	prefix    string // the IRI vocabulary the value must come from
	mandatory bool
}

var (
	catalogRequirements = []requirement{
		{property: nsDCT + "title", langs: []string{"zh", "en"}, mandatory: true},
		{property: nsDCT + "description", langs: []string{"zh", "en"}, mandatory: true},
		{property: nsDCT + "publisher", class: nsFOAF + "Agent", mandatory: true},
		{property: nsDCAT + "dataset", class: nsDCAT + "Dataset"},
		{property: nsFOAF + "homepage", class: nsFOAF + "Document"},
		{property: nsDCT + "language", class: nsDCT + "LinguisticSystem", prefix: euAuthority + "language/"},
		{property: nsDCT + "license", class: nsDCT + "LicenseDocument"},
		{property: nsDCT + "modified", datatype: xsdDT},
		{property: nsDCAT + "themeTaxonomy", class: nsSKOS + "ConceptScheme"},
	}
	datasetRequirements = []requirement{
		{property: nsDCT + "title", langs: []string{"zh", "en"}, mandatory: true},
		{property: nsDCT + "description", langs: []string{"zh", "en"}, mandatory: true},
		{property: nsDCT + "publisher", class: nsFOAF + "Agent"},
		{property: nsDCAT + "contactPoint", class: nsVCard + "Kind"},
		{property: nsDCAT + "keyword", langs: []string{"zh"}},
		{property: nsDCAT + "theme", class: nsSKOS + "Concept", prefix: themeScheme + "/"},
		{property: nsDCAT + "distribution", class: nsDCAT + "Distribution"},
		{property: nsDCT + "accessRights", class: nsDCT + "RightsStatement", prefix: euAuthority + "access-right/"},
		{property: nsDCT + "accrualPeriodicity", class: nsDCT + "Frequency", prefix: euAuthority + "frequency/"},
		{property: nsDCT + "issued", datatype: xsdDT},
		{property: nsDCT + "modified", datatype: xsdDT},
		{property: nsDCT + "identifier"},
		{property: nsDCAT + "landingPage", class: nsFOAF + "Document"},
		{property: nsDCT + "language", class: nsDCT + "LinguisticSystem", prefix: euAuthority + "language/"},
	}
	distributionRequirements = []requirement{
		{property: nsDCAT + "accessURL", mandatory: true},
		{property: nsDCT + "license", class: nsDCT + "LicenseDocument"},
		{property: nsDCT + "title", langs: []string{"zh"}},
		{property: nsDCT + "description", langs: []string{"zh", "en"}},
		{property: nsDCT + "modified", datatype: xsdDT},
	}
	agentRequirements = []requirement{{property: nsFOAF + "name", langs: []string{"zh"}, mandatory: true}}
	kindRequirements  = []requirement{{property: nsVCard + "fn", mandatory: true}}
	// DCAT-AP's Category: a skos:prefLabel, here in both languages.
	conceptRequirements = []requirement{
		{property: nsSKOS + "prefLabel", langs: []string{"zh", "en"}, mandatory: true},
		{property: nsSKOS + "inScheme"},
	}
)

func checkNode(t *testing.T, g *Graph, s Term, reqs []requirement) {
	t.Helper()
	for _, req := range reqs {
		values := objects(g, s, req.property)
		if len(values) == 0 {
			t.Errorf("%s has no %s", s.IRI, req.property)
			continue
		}
		for _, v := range values {
			switch {
			case req.class != "" && (v.IsLiteral() || !hasType(g, v, req.class)):
				t.Errorf("%s %s %v: not a %s", s.IRI, req.property, v, req.class)
			case req.datatype != "" && v.Datatype != req.datatype:
				t.Errorf("%s %s %v: datatype %q, want %s", s.IRI, req.property, v, v.Datatype, req.datatype)
			case req.datatype == xsdDT && !isDateTime(v.Value):
				t.Errorf("%s %s %q is not an xsd:dateTime", s.IRI, req.property, v.Value)
			case req.prefix != "" && !strings.HasPrefix(v.IRI, req.prefix):
				t.Errorf("%s %s %s: not in %s", s.IRI, req.property, v.IRI, req.prefix)
			}
		}
		for _, lang := range req.langs {
			if !slices.ContainsFunc(values, func(v Term) bool { return v.Lang == lang }) {
				t.Errorf("%s %s: no value in %s", s.IRI, req.property, lang)
			}
		}
	}
}

func isDateTime(s string) bool {
	_, err := time.Parse(time.RFC3339, s)
	return err == nil
}

func TestCatalogHasEveryDCATAPProperty(t *testing.T) {
	f := newFixture(t)
	status, ct, body := f.get(t, "/catalog.jsonld", "")
	if status != 200 || ct != "application/ld+json; charset=utf-8" {
		t.Fatalf("GET /catalog.jsonld: %d %s", status, ct)
	}
	g := graphOf(t, body)
	catalogs := subjectsOfType(g, nsDCAT+"Catalog")
	if len(catalogs) != 1 || catalogs[0].IRI != "https://data.example.gov.cn/catalog" {
		t.Fatalf("catalogs: %v", catalogs)
	}
	checkNode(t, g, catalogs[0], catalogRequirements)
	datasets := subjectsOfType(g, nsDCAT+"Dataset")
	if len(datasets) != 3 {
		t.Fatalf("%d datasets in the catalog, want the 3 published", len(datasets))
	}
	for _, d := range datasets {
		checkNode(t, g, d, datasetRequirements)
	}
	for _, d := range subjectsOfType(g, nsDCAT+"Distribution") {
		checkNode(t, g, d, distributionRequirements)
		if strings.HasSuffix(d.IRI, "-csv") {
			checkNode(t, g, d, []requirement{
				{property: nsDCT + "format", class: nsDCT + "MediaTypeOrExtent", prefix: euAuthority + "file-type/"},
				{property: nsDCAT + "mediaType", class: nsDCT + "MediaType", prefix: mediaTypes},
			})
		}
	}
	for _, a := range subjectsOfType(g, nsFOAF+"Agent") {
		checkNode(t, g, a, agentRequirements)
	}
	for _, k := range subjectsOfType(g, nsVCard+"Kind") {
		checkNode(t, g, k, kindRequirements)
	}
	concepts := subjectsOfType(g, nsSKOS+"Concept")
	for _, c := range concepts {
		checkNode(t, g, c, conceptRequirements)
	}
	// Themes, publisher type, access rights, frequency, file types, languages.
	if len(concepts) < 8 {
		t.Errorf("only %d skos:Concepts: %v", len(concepts), concepts)
	}
	// The controlled vocabularies, value by value.
	bus := IRI("https://data.example.gov.cn/dataset/jtw-04-00001")
	for p, want := range map[string]string{
		nsDCAT + "theme":             themeScheme + "/TRAN",
		nsDCT + "accrualPeriodicity": euAuthority + "frequency/UPDATE_CONT",
		nsDCT + "accessRights":       euAuthority + "access-right/PUBLIC",
	} {
		if got := objects(g, bus, p); len(got) != 1 || got[0].IRI != want {
			t.Errorf("bus %s = %v, want %s", p, got, want)
		}
	}
	metro := IRI("https://data.example.gov.cn/dataset/jtw-20-00001")
	if got := objects(g, metro, nsDCT+"accessRights"); len(got) != 1 || got[0].IRI != euAuthority+"access-right/RESTRICTED" {
		t.Errorf("conditionally open: accessRights %v", got)
	}
	csv := IRI(bus.IRI + "#distribution-csv")
	if got := objects(g, csv, nsDCAT+"mediaType"); len(got) != 1 || got[0].IRI != mediaTypes+"text/csv" {
		t.Errorf("CSV media type %v", got)
	}
	contact := objects(g, bus, nsDCAT+"contactPoint")[0]
	if got := objects(g, contact, nsVCard+"hasEmail"); len(got) != 1 || got[0].IRI != "mailto:data@jtw.example" {
		t.Errorf("contact email %v", got)
	}
	if got := objects(g, contact, nsVCard+"hasTelephone"); len(got) != 1 || got[0].IRI != "tel:01012345678" {
		t.Errorf("contact telephone %v", got)
	}
}

// TestTurtleAndJSONLDAgree checks that both serializations of a page carry
// the same graph, and that Turtle escapes what it must.
func TestTurtleAndJSONLDAgree(t *testing.T) {
	f := newFixture(t)
	_, _, jsonld := f.get(t, "/dataset/jtw-04-00001.jsonld", "")
	status, ct, ttl := f.get(t, "/dataset/jtw-04-00001.ttl", "")
	if status != 200 || ct != "text/turtle; charset=utf-8" {
		t.Fatalf("GET .ttl: %d %s", status, ct)
	}
	g := graphOf(t, jsonld)
	if len(g.Triples()) < 40 {
		t.Fatalf("only %d triples", len(g.Triples()))
	}
	for _, want := range []string{
		`<https://data.example.gov.cn/dataset/jtw-04-00001>` + "\n    a dcat:Dataset",
		`"公交站点实时到站信息，含\"引号\"与\\反斜杠。"@zh`,
		`dct:issued "`, `"^^xsd:dateTime`,
		`dcat:theme <http://publications.europa.eu/resource/authority/data-theme/TRAN>`,
	} {
		if !strings.Contains(ttl, want) {
			t.Errorf("Turtle lacks %q:\n%s", want, ttl)
		}
	}
	// Every triple of the JSON-LD appears in the Turtle, subject by subject.
	for _, tr := range g.Triples() {
		obj := turtleTerm(tr.O)
		if tr.P.IRI == rdfType {
			if !strings.Contains(ttl, "a "+obj) {
				t.Errorf("Turtle lacks type %s of %v", obj, tr.S)
			}
			continue
		}
		if !strings.Contains(ttl, turtleTerm(tr.P)+" "+obj) {
			t.Errorf("Turtle lacks %s %s", turtleTerm(tr.P), obj)
		}
	}
}

func TestCatalogPaging(t *testing.T) {
	f := newFixture(t)
	_, _, body := f.get(t, "/catalog.jsonld?page_size=2", "")
	g := graphOf(t, body)
	view := IRI("https://data.example.gov.cn/catalog.jsonld?page=1&page_size=2")
	want := map[string]string{
		nsHydra + "next":  "https://data.example.gov.cn/catalog.jsonld?page=2&page_size=2",
		nsHydra + "last":  "https://data.example.gov.cn/catalog.jsonld?page=2&page_size=2",
		nsHydra + "first": "https://data.example.gov.cn/catalog.jsonld?page=1&page_size=2",
	}
	for p, iri := range want {
		if got := objects(g, view, p); len(got) != 1 || got[0].IRI != iri {
			t.Errorf("%s = %v, want %s", p, got, iri)
		}
	}
	if got := objects(g, view, nsHydra+"nextPage"); len(got) != 1 || got[0].Value != want[nsHydra+"next"] {
		t.Errorf("hydra:nextPage (ckanext-dcat) = %v", got)
	}
	if got := objects(g, view, nsHydra+"totalItems"); len(got) != 1 || got[0].Value != "3" {
		t.Errorf("totalItems = %v", got)
	}
	if n := len(subjectsOfType(g, nsDCAT+"Dataset")); n != 2 {
		t.Errorf("page 1 of size 2 has %d datasets", n)
	}
	_, _, body = f.get(t, "/catalog.jsonld?page_size=2&page=2", "")
	g = graphOf(t, body)
	last := IRI("https://data.example.gov.cn/catalog.jsonld?page=2&page_size=2")
	if n := len(subjectsOfType(g, nsDCAT+"Dataset")); n != 1 || len(objects(g, last, nsHydra+"next")) != 0 || len(objects(g, last, nsHydra+"previous")) != 1 {
		t.Errorf("last page: %d datasets, next %v", n, objects(g, last, nsHydra+"next"))
	}
	// modified_since and q narrow the catalog.
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	_, _, body = f.get(t, "/catalog.jsonld?modified_since="+future, "")
	if n := len(subjectsOfType(graphOf(t, body), nsDCAT+"Dataset")); n != 0 {
		t.Errorf("modified_since the future: %d datasets", n)
	}
	_, _, body = f.get(t, "/catalog.jsonld?q=%E5%9C%B0%E9%93%81", "") // 地铁
	if n := len(subjectsOfType(graphOf(t, body), nsDCAT+"Dataset")); n != 1 {
		t.Errorf("q=地铁: %d datasets", n)
	}
	for _, bad := range []string{"page=0", "page=x", "page_size=5000", "modified_since=yesterday"} {
		if status, _, _ := f.get(t, "/catalog.ttl?"+bad, ""); status != http.StatusBadRequest {
			t.Errorf("?%s: status %d", bad, status)
		}
	}
}

func TestDatasetNegotiation(t *testing.T) {
	f := newFixture(t)
	for _, test := range []struct{ accept, wantType string }{
		{"text/turtle", "text/turtle; charset=utf-8"},
		{"application/ld+json", "application/ld+json; charset=utf-8"},
		{"text/html,application/xhtml+xml;q=0.9,*/*;q=0.8", "html"},
		{"application/ld+json;q=0.5, text/html", "html"},
		{"text/html;q=0.5, text/turtle", "text/turtle; charset=utf-8"},
	} {
		*f.html = false
		status, ct, _ := f.get(t, "/dataset/jtw-04-00001", test.accept)
		got := ct
		if *f.html {
			got = "html"
		}
		if status != 200 || got != test.wantType {
			t.Errorf("Accept %q: %d %s, want %s", test.accept, status, got, test.wantType)
		}
	}
	if status, _, _ := f.get(t, "/dataset/"+strings.ToLower(f.draft.Code)+".ttl", ""); status != http.StatusNotFound {
		t.Errorf("a draft's DCAT: status %d", status)
	}
	if status, _, _ := f.get(t, "/dataset/no-such.jsonld", ""); status != http.StatusNotFound {
		t.Errorf("an unknown dataset: status %d", status)
	}
}

func TestTurtleEscapes(t *testing.T) {
	g := NewGraph()
	g.Add(IRI("http://x/a b"), nsDCT+"title", LangLit("line\nbreak \"q\" \\ tab\t", "zh"))
	g.Add(IRI("http://x/a b"), rdfsNS+"label", Lit(""))
	ttl := string(g.Turtle())
	if !strings.Contains(ttl, `<http://x/a%20b>`) || !strings.Contains(ttl, `"line\nbreak \"q\" \\ tab\t"@zh`) {
		t.Errorf("escaping:\n%s", ttl)
	}
	if strings.Contains(ttl, "label") {
		t.Error("an empty literal was written")
	}
}
