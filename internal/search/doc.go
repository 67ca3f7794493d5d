// Package search is the catalog's full-text index (bleve): every resource as
// a document with Chinese (CJK bigram) and English analysis, keyword fields
// for facets and filters, sortable fields, and the whole resource stored so
// that results are served without a database query per hit. The index
// follows the events outbox, so it is current within a second of a change.
package search

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/mapping"
)

// Field names of the index. Keyword fields hold codes exactly as the catalog
// spells them, for filters and facets.
const (
	FieldID             = "id"
	FieldName           = "name" // the CKAN name: the catalog code in lower case
	FieldCode           = "code"
	FieldStatus         = "status"
	FieldOrganization   = "organization" // organization id
	FieldSubject        = "subject"
	FieldIndustry       = "industry"
	FieldKeywords       = "keywords"
	FieldFormats        = "formats"
	FieldOpenType       = "open_type"
	FieldShareType      = "share_type"
	FieldClassification = "classification"
	FieldFrequency      = "update_frequency"
	FieldLevel          = "level"
	FieldModified       = "modified"  // updated_at, fixed-width UTC text
	FieldCreated        = "created"   // created_at
	FieldPublished      = "published" // published_at; empty before publication
	FieldTitleSort      = "title_sort"
	// FieldAudience is "public" for what anyone may find (published or
	// retired, not core data), "restricted" otherwise: the anonymous
	// visibility filter in one term.
	FieldAudience = "audience"

	fieldTitleZh  = "title_zh"
	fieldTitleEn  = "title_en"
	fieldDescZh   = "description_zh"
	fieldDescEn   = "description_en"
	fieldKeywordT = "keywords_text"
	fieldOrgText  = "org_text"
	fieldItems    = "items_text"
	fieldSource   = "_source"
)

// FacetFields are the keyword fields a search may count values of.
var FacetFields = []string{FieldOrganization, FieldSubject, FieldKeywords, FieldFormats, FieldOpenType,
	FieldShareType, FieldClassification, FieldFrequency, FieldIndustry, FieldStatus, FieldLevel}

// mappingVersion changes whenever the mapping or the document shape does;
// an index built with another version is rebuilt on start.
const mappingVersion = "4"

// TimeFormat is how timestamps are indexed: fixed-width UTC, so that their
// text order is their time order.
const TimeFormat = "2006-01-02T15:04:05.000000Z"

// Org is the part of an organization stored with each of its resources.
type Org struct {
	ID          string    `json:"id"`
	Code        string    `json:"code"`
	NameZh      string    `json:"name_zh"`
	NameEn      string    `json:"name_en"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// OrgOf keeps what the index stores of an organization.
func OrgOf(o identity.Organization) Org {
	return Org{ID: o.ID, Code: o.Code, NameZh: o.NameZh, NameEn: o.NameEn, Description: o.Description, CreatedAt: o.CreatedAt}
}

// stored is the document's stored source: enough to answer a search alone.
type stored struct {
	Resource catalog.Resource `json:"r"`
	Org      Org              `json:"o"`
}

// Name is the CKAN-style name of a resource: its catalog code in lower case
// ("jtw-04-00012"), unique because codes are.
func Name(r catalog.Resource) string { return strings.ToLower(r.Code) }

// document turns a resource into the map bleve indexes.
func document(r catalog.Resource, o Org) (map[string]any, error) {
	src, err := json.Marshal(stored{Resource: r, Org: o})
	if err != nil {
		return nil, err
	}
	return documentWith(r, o, string(src)), nil
}

// documentWith is document with the stored source already encoded.
func documentWith(r catalog.Resource, o Org, src string) map[string]any {
	var items []string
	for _, it := range r.Items {
		items = append(items, it.Name, it.LabelZh)
	}
	doc := map[string]any{
		FieldID: r.ID, FieldName: Name(r), FieldCode: r.Code, FieldStatus: string(r.Status),
		FieldOrganization: r.OrganizationID, FieldSubject: r.Subject, FieldIndustry: r.Industry,
		FieldKeywords: r.Keywords, FieldFormats: r.Formats, FieldOpenType: string(r.OpenType),
		FieldShareType: string(r.ShareType), FieldClassification: string(r.Classification),
		FieldFrequency: string(r.UpdateFrequency), FieldLevel: strconv.Itoa(r.Level),
		FieldModified: r.UpdatedAt.UTC().Format(TimeFormat), FieldCreated: r.CreatedAt.UTC().Format(TimeFormat),
		FieldTitleSort: strings.ToLower(r.TitleZh),
		fieldTitleZh:   r.TitleZh, fieldTitleEn: r.TitleEn, fieldDescZh: r.DescriptionZh, fieldDescEn: r.DescriptionEn,
		fieldKeywordT: strings.Join(r.Keywords, " "), fieldOrgText: o.NameZh + " " + o.NameEn + " " + o.Code,
		fieldItems: strings.Join(items, " "), fieldSource: src,
	}
	doc[FieldAudience] = "restricted"
	if catalog.Public(r) {
		doc[FieldAudience] = "public"
	}
	if r.PublishedAt != nil {
		doc[FieldPublished] = r.PublishedAt.UTC().Format(TimeFormat)
	}
	return doc
}

// newMapping is the index mapping: CJK bigrams for Chinese text, English
// stemming for English text, exact keywords for codes, one stored source.
func newMapping() mapping.IndexMapping {
	m := bleve.NewIndexMapping()
	m.DefaultAnalyzer = cjk.AnalyzerName
	m.StoreDynamic, m.IndexDynamic, m.DocValuesDynamic = false, false, false
	doc := bleve.NewDocumentStaticMapping()
	keywordField := func() *mapping.FieldMapping {
		f := bleve.NewKeywordFieldMapping()
		f.Store, f.IncludeInAll, f.IncludeTermVectors = false, false, false
		return f
	}
	text := func(analyzer string) *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer, f.Store, f.IncludeInAll, f.DocValues, f.IncludeTermVectors = analyzer, false, false, false, false
		return f
	}
	for _, name := range []string{FieldID, FieldName, FieldCode, FieldModified, FieldCreated, FieldPublished, FieldTitleSort, FieldAudience} {
		doc.AddFieldMappingsAt(name, keywordField())
	}
	for _, name := range FacetFields {
		doc.AddFieldMappingsAt(name, keywordField())
	}
	for _, name := range []string{fieldTitleZh, fieldDescZh, fieldKeywordT, fieldOrgText, fieldItems} {
		doc.AddFieldMappingsAt(name, text(cjk.AnalyzerName))
	}
	for _, name := range []string{fieldTitleEn, fieldDescEn} {
		doc.AddFieldMappingsAt(name, text(en.AnalyzerName))
	}
	source := bleve.NewTextFieldMapping()
	source.Analyzer, source.Index, source.Store, source.DocValues, source.IncludeInAll = keyword.Name, false, true, false, false
	doc.AddFieldMappingsAt(fieldSource, source)
	m.DefaultMapping = doc
	return m
}
