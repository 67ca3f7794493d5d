// Package dcat publishes the catalog as DCAT-AP 3: the whole catalog,
// paged with Hydra links, at /catalog.ttl and /catalog.jsonld, and each
// dataset at /dataset/{name}.ttl and .jsonld (or by content negotiation on
// /dataset/{name}). Vocabularies are the EU authority tables (data themes,
// frequencies, access rights, file types, languages) and IANA media types.
package dcat

import (
	"strings"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/catalog/ckanpkg"
	"dataport/internal/catalog/vocab"
	"dataport/internal/search"
	"dataport/internal/web/ckan"
)

// Namespaces and vocabularies.
const (
	nsDCAT  = "http://www.w3.org/ns/dcat#"
	nsDCT   = "http://purl.org/dc/terms/"
	nsFOAF  = "http://xmlns.com/foaf/0.1/"
	nsVCard = "http://www.w3.org/2006/vcard/ns#"
	nsSKOS  = "http://www.w3.org/2004/02/skos/core#"
	nsHydra = "http://www.w3.org/ns/hydra/core#"
	nsXSD   = "http://www.w3.org/2001/XMLSchema#"
	rdfTyp  = rdfType

	euAuthority = vocab.EUAuthority
	themeScheme = euAuthority + vocab.TableTheme
	mediaTypes  = "http://www.iana.org/assignments/media-types/"
)

// site is what the documents say about the portal itself.
type site struct {
	base, titleZh, titleEn string
}

func (s site) catalogIRI() string { return s.base + "/catalog" }

// DatasetIRI is a resource's IRI: its page on the portal.
func DatasetIRI(base string, r catalog.Resource) string { return ckan.DatasetURL(base, r) }

func (s site) orgIRI(id string) string { return s.base + "/organizations/" + id }

func (s site) licenseIRI(t catalog.OpenType) string {
	return s.base + "/licenses/" + ckanpkg.LicenseFor(t).ID
}

// addCatalog describes the catalog itself.
func (s site) addCatalog(g *Graph, modified time.Time) Term {
	c := IRI(s.catalogIRI())
	g.Add(c, rdfTyp, IRI(nsDCAT+"Catalog"))
	g.Add(c, nsDCT+"title", LangLit(s.titleZh, "zh"))
	g.Add(c, nsDCT+"title", LangLit(s.titleEn, "en"))
	g.Add(c, nsDCT+"description", LangLit("本市公共机构编目、共享和开放的公共数据资源目录。", "zh"))
	g.Add(c, nsDCT+"description", LangLit("The catalog of public data resources that the city's public institutions catalog, share and open.", "en"))
	pub := IRI(s.base + "/#publisher")
	g.Add(c, nsDCT+"publisher", pub)
	g.Add(pub, rdfTyp, IRI(nsFOAF+"Agent"))
	g.Add(pub, nsFOAF+"name", LangLit(s.titleZh, "zh"))
	g.Add(pub, nsFOAF+"name", LangLit(s.titleEn, "en"))
	addPublisherType(g, pub)
	home := IRI(s.base + "/")
	g.Add(c, nsFOAF+"homepage", home)
	g.Add(home, rdfTyp, IRI(nsFOAF+"Document"))
	s.addLanguages(g, c)
	g.Add(c, nsDCAT+"themeTaxonomy", IRI(themeScheme))
	g.Add(IRI(themeScheme), rdfTyp, IRI(nsSKOS+"ConceptScheme"))
	g.Add(IRI(themeScheme), nsDCT+"title", LangLit("数据主题", "zh"))
	g.Add(IRI(themeScheme), nsDCT+"title", LangLit("Data theme", "en"))
	s.addLicense(g, c, catalog.OpenUnconditional)
	if !modified.IsZero() {
		g.Add(c, nsDCT+"modified", dateTime(modified))
	}
	return c
}

func (s site) addLanguages(g *Graph, node Term) {
	for _, l := range vocab.Languages {
		addTerm(g, node, nsDCT+"language", nsDCT+"LinguisticSystem", vocab.TableLanguage, l)
	}
}

// addTerm links node by p to code of an EU authority table, described as
// the skos:Concept it is there and as class (the range DCAT-AP gives p),
// with its labels, so the document needs no other to be read.
func addTerm(g *Graph, node Term, p, class, table, code string) Term {
	term := IRI(vocab.TermIRI(table, code))
	g.Add(node, p, term)
	g.Add(term, rdfTyp, IRI(class))
	l, _ := vocab.TermLabel(table, code)
	addConcept(g, term, vocab.SchemeIRI(table), l)
	return term
}

// addConcept types c a skos:Concept of scheme with its preferred labels.
func addConcept(g *Graph, c Term, scheme string, l catalog.Label) {
	g.Add(c, rdfTyp, IRI(nsSKOS+"Concept"))
	g.Add(c, nsSKOS+"prefLabel", LangLit(l.Zh, "zh"))
	g.Add(c, nsSKOS+"prefLabel", LangLit(l.En, "en"))
	g.Add(c, nsSKOS+"inScheme", IRI(scheme))
}

// addPublisherType says that the publisher pub is a local authority.
func addPublisherType(g *Graph, pub Term) {
	t := IRI(vocab.PublisherTypeLocalAuthority)
	g.Add(pub, nsDCT+"type", t)
	addConcept(g, t, vocab.PublisherTypeScheme, vocab.PublisherTypeLocalAuthorityLabel)
}

func (s site) addLicense(g *Graph, node Term, t catalog.OpenType) {
	lic := IRI(s.licenseIRI(t))
	g.Add(node, nsDCT+"license", lic)
	g.Add(lic, rdfTyp, IRI(nsDCT+"LicenseDocument"))
	g.Add(lic, nsDCT+"title", LangLit(ckanpkg.LicenseFor(t).Title, "zh"))
}

// addDataset describes one resource, its publisher, contact point and
// distributions (one per format).
func (s site) addDataset(g *Graph, r catalog.Resource, o search.Org) Term {
	d := IRI(DatasetIRI(s.base, r))
	g.Add(d, rdfTyp, IRI(nsDCAT+"Dataset"))
	g.Add(d, nsDCT+"identifier", Lit(r.Code))
	g.Add(d, nsDCT+"title", LangLit(r.TitleZh, "zh"))
	g.Add(d, nsDCT+"title", LangLit(r.TitleEn, "en"))
	g.Add(d, nsDCT+"description", LangLit(r.DescriptionZh, "zh"))
	g.Add(d, nsDCT+"description", LangLit(r.DescriptionEn, "en"))
	for _, k := range r.Keywords {
		g.Add(d, nsDCAT+"keyword", LangLit(k, "zh"))
	}
	if code, ok := vocab.Themes[r.Subject]; ok {
		addTerm(g, d, nsDCAT+"theme", nsSKOS+"Concept", vocab.TableTheme, code)
	}
	s.addPublisher(g, d, o)
	s.addContact(g, d, r, o)
	if code, ok := vocab.AccessRights[r.OpenType]; ok {
		addTerm(g, d, nsDCT+"accessRights", nsDCT+"RightsStatement", vocab.TableAccessRight, code)
	}
	if code, ok := vocab.Frequencies[r.UpdateFrequency]; ok {
		addTerm(g, d, nsDCT+"accrualPeriodicity", nsDCT+"Frequency", vocab.TableFrequency, code)
	}
	if r.PublishedAt != nil {
		g.Add(d, nsDCT+"issued", dateTime(*r.PublishedAt))
	}
	g.Add(d, nsDCT+"modified", dateTime(r.UpdatedAt))
	page := IRI(s.base + "/resources/" + r.ID)
	g.Add(d, nsDCAT+"landingPage", page)
	g.Add(page, rdfTyp, IRI(nsFOAF+"Document"))
	s.addLanguages(g, d)
	for _, f := range r.Formats {
		s.addDistribution(g, d, r, f)
	}
	return d
}

func (s site) addPublisher(g *Graph, d Term, o search.Org) {
	pub := IRI(s.orgIRI(o.ID))
	g.Add(d, nsDCT+"publisher", pub)
	g.Add(pub, rdfTyp, IRI(nsFOAF+"Agent"))
	g.Add(pub, nsFOAF+"name", LangLit(o.NameZh, "zh"))
	g.Add(pub, nsFOAF+"name", LangLit(o.NameEn, "en"))
	g.Add(pub, nsDCT+"identifier", Lit(o.Code))
	addPublisherType(g, pub)
}

// addContact adds the contact point: the named contact, or the institution.
func (s site) addContact(g *Graph, d Term, r catalog.Resource, o search.Org) {
	cp := IRI(DatasetIRI(s.base, r) + "#contact")
	g.Add(d, nsDCAT+"contactPoint", cp)
	g.Add(cp, rdfTyp, IRI(nsVCard+"Kind"))
	g.Add(cp, rdfTyp, IRI(nsVCard+"Organization"))
	g.Add(cp, nsVCard+"fn", Lit(firstOf(r.ContactName, o.NameZh)))
	g.Add(cp, nsVCard+"organization-name", LangLit(o.NameZh, "zh"))
	if r.ContactEmail != "" {
		g.Add(cp, nsVCard+"hasEmail", IRI("mailto:"+r.ContactEmail))
	}
	if r.ContactPhone != "" {
		g.Add(cp, nsVCard+"hasTelephone", IRI("tel:"+strings.ReplaceAll(r.ContactPhone, " ", "")))
	}
}

func (s site) addDistribution(g *Graph, d Term, r catalog.Resource, format string) {
	dist := IRI(DatasetIRI(s.base, r) + "#distribution-" + strings.ToLower(format))
	g.Add(d, nsDCAT+"distribution", dist)
	g.Add(dist, rdfTyp, IRI(nsDCAT+"Distribution"))
	g.Add(dist, nsDCT+"title", LangLit(r.TitleZh+"（"+format+"）", "zh"))
	zh, en := distributionDescription(r, format)
	g.Add(dist, nsDCT+"description", LangLit(zh, "zh"))
	g.Add(dist, nsDCT+"description", LangLit(en, "en"))
	g.Add(dist, nsDCAT+"accessURL", IRI(s.base+"/resources/"+r.ID))
	if ft, ok := vocab.FileTypes[format]; ok {
		addTerm(g, dist, nsDCT+"format", nsDCT+"MediaTypeOrExtent", vocab.TableFileType, ft)
	}
	if mt := vocab.MediaTypes[format]; mt != "" {
		t := IRI(mediaTypes + mt)
		g.Add(dist, nsDCAT+"mediaType", t)
		g.Add(t, rdfTyp, IRI(nsDCT+"MediaType"))
	}
	s.addLicense(g, dist, r.OpenType)
	if code, ok := vocab.AccessRights[r.OpenType]; ok {
		addTerm(g, dist, nsDCT+"rights", nsDCT+"RightsStatement", vocab.TableAccessRight, code)
	}
	g.Add(dist, nsDCT+"modified", dateTime(r.UpdatedAt))
}

// accessText says, by open type, how the public gets a distribution.
var accessText = map[catalog.OpenType][2]string{
	catalog.OpenUnconditional: {"无条件开放，在资源页面直接获取", "open to all, available from the resource page"},
	catalog.OpenConditional:   {"有条件开放，申请获批后在资源页面获取", "open on application, available from the resource page once an application is approved"},
	catalog.OpenNone:          {"不予开放", "not open to the public"},
}

// distributionDescription says what a distribution is and how to get it,
// in Chinese and English.
func distributionDescription(r catalog.Resource, format string) (zh, en string) {
	title := firstOf(r.TitleEn, r.TitleZh)
	zh, en = "「"+r.TitleZh+"」的 "+format+" 文件", title+" as a "+format+" file"
	if format == "API" {
		zh, en = "「"+r.TitleZh+"」的数据接口（API）", title+" through the data API"
	}
	if a, ok := accessText[r.OpenType]; ok {
		zh, en = zh+"；"+a[0]+"。", en+"; "+a[1]+"."
	}
	return zh, en
}

func dateTime(t time.Time) Term {
	return Typed(t.UTC().Format("2006-01-02T15:04:05Z"), nsXSD+"dateTime")
}

func firstOf(values ...string) string {
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
