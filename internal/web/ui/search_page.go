package ui

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/search"
	"dataport/internal/web/ui/i18n"
)

// facetParam is a facet of the search page: its URL parameter, the index
// field it filters, the message key of its title and the code list that
// names its values ("" when values are shown as they are).
type facetParam struct {
	param, field, title, list string
	open                      bool // shown unfolded even when nothing is chosen in it
}

// searchFacets are the search page's facets, in the order shown.
var searchFacets = []facetParam{
	{"organization", search.FieldOrganization, "col.org", "org", true},
	{"subject", search.FieldSubject, "field.subject", "subject", true},
	{"open_type", search.FieldOpenType, "field.open_type", "open", true},
	{"formats", search.FieldFormats, "field.formats", "", false},
	{"keywords", search.FieldKeywords, "field.keywords", "", false},
	{"update_frequency", search.FieldFrequency, "field.update_frequency", "freq", false},
	{"share_type", search.FieldShareType, "field.share_type", "share", false},
	{"classification", search.FieldClassification, "field.classification", "class", false},
}

// sortOrders are the orders the search page offers.
var sortOrders = map[string][]search.SortKey{
	"relevance": search.SortRelevance, "newest": search.SortNewest, "name": search.SortName,
}

// searchPage is the data of the search page.
type searchPage struct {
	Q        string
	Sort     string
	Sorts    []string
	Total    int
	Results  []searchResult
	Facets   []facetGroup
	Chosen   []chosenFilter
	Pager    pager
	Hidden   []hiddenField // the chosen filters, kept when the words or the order change
	ClearURL string
	// AlsoSearched are the synonyms the words were looked for as too.
	AlsoSearched []string
	// DidYouMean and Related are offered when nothing was found.
	DidYouMean *suggestionLink
	Related    []suggestionLink
	// NotOpen counts the resources not opened (不予开放) left out, and
	// NotOpenURL brings them back; 0 when none was left out.
	NotOpen    int
	NotOpenURL string
	// EditSynonyms links the synonym list, for the staff who edit it.
	EditSynonyms bool
}

// suggestionLink is a search offered instead: its words, what it finds, its link.
type suggestionLink struct {
	Text  string
	Count int
	URL   string
}

// searchResult is one hit, with the words searched for marked.
type searchResult struct {
	Resource catalog.Resource
	Org      search.Org
	Title    []search.Segment
	Snippet  []search.Segment
	URL      string
}

type facetGroup struct {
	Param, Title string
	Open         bool
	Values       []facetLink
}

type facetLink struct {
	Label    string
	Count    int
	URL      string
	Selected bool
}

// chosenFilter is a filter in force, with the link that removes it.
type chosenFilter struct {
	Title, Label, RemoveURL string
}

type hiddenField struct{ Name, Value string }

// searchPage searches the index: words, one value per facet, an order, and
// keyset pages (?after=cursor).
func (s *server) searchPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if v := q.Get("organization_id"); v != "" && q.Get("organization") == "" { // the older filter form's name
		q.Set("organization", v)
		q.Del("organization_id")
	}
	lang := langOf(r)
	page := searchPage{Q: q.Get("q"), Sort: q.Get("sort"), Sorts: []string{"relevance", "newest", "name"}, ClearURL: "/catalog"}
	if _, ok := sortOrders[page.Sort]; !ok {
		page.Sort = "newest"
		if page.Q != "" {
			page.Sort = "relevance"
		}
	}
	req := search.Request{Text: page.Q, Viewer: principal(r), Sort: sortOrders[page.Sort], Size: 20, After: q.Get("after"), FacetSize: 12}
	labels, err := s.facetLabeler(r.Context(), lang)
	if err != nil {
		return err
	}
	for _, f := range searchFacets {
		req.Facets = append(req.Facets, f.field)
		if v := q.Get(f.param); v != "" {
			req.Clauses = append(req.Clauses, search.Clause{Field: f.field, Values: []string{v}})
			page.Chosen = append(page.Chosen, chosenFilter{Title: i18n.T(lang, f.title), Label: labels(f.list, v),
				RemoveURL: withQuery("/catalog", queryWith(q, f.param, ""))})
			page.Hidden = append(page.Hidden, hiddenField{f.param, v})
		}
	}
	res, err := s.search.SearchContext(r.Context(), req)
	if errors.Is(err, search.ErrBadQuery) && req.After != "" { // a stale cursor: start again
		req.After = ""
		res, err = s.search.SearchContext(r.Context(), req)
	}
	if err != nil {
		return err
	}
	page.Total = res.Total
	page.AlsoSearched = s.search.AlsoSearched(page.Q)
	marked := strings.Join(append([]string{page.Q}, page.AlsoSearched...), " ")
	for _, h := range res.Hits {
		page.Results = append(page.Results, searchResult{Resource: h.Resource, Org: h.Org, URL: "/dataset/" + search.Name(h.Resource),
			Title:   search.Highlight(pick(lang, h.Resource.TitleZh, h.Resource.TitleEn), marked, 0),
			Snippet: search.Highlight(pick(lang, h.Resource.DescriptionZh, h.Resource.DescriptionEn), marked, 140)})
	}
	if err := s.suggest(r, q, req, &page); err != nil {
		return err
	}
	if q.Get("open_type") == "" {
		for _, v := range res.Facets[search.FieldOpenType] {
			if v.Value == string(catalog.OpenNone) {
				page.NotOpen, page.NotOpenURL = v.Count, withQuery("/catalog", queryWith(q, "open_type", v.Value))
			}
		}
	}
	p := principal(r)
	page.EditSynonyms = s.acc.Indexer != nil && (p.Has(identity.PlatformOperator) || p.Has(identity.PlatformSysadmin))
	for _, f := range searchFacets {
		g := facetGroup{Param: f.param, Title: i18n.T(lang, f.title), Open: f.open || q.Get(f.param) != ""}
		for _, v := range res.Facets[f.field] {
			selected := q.Get(f.param) == v.Value
			link := queryWith(q, f.param, v.Value)
			if selected {
				link = queryWith(q, f.param, "")
			}
			g.Values = append(g.Values, facetLink{Label: labels(f.list, v.Value), Count: v.Count, URL: withQuery("/catalog", link), Selected: selected})
		}
		if len(g.Values) > 0 {
			page.Facets = append(page.Facets, g)
		}
	}
	page.Pager = searchPager(q, res.Next)
	return s.render(w, r, http.StatusOK, "search", page)
}

// suggest offers other searches when the words found nothing.
func (s *server) suggest(r *http.Request, q url.Values, req search.Request, page *searchPage) error {
	if page.Total > 0 || page.Q == "" {
		return nil
	}
	sg, err := s.search.Suggest(r.Context(), req)
	if err != nil {
		return err
	}
	link := func(x search.Suggestion) suggestionLink {
		return suggestionLink{Text: x.Text, Count: x.Count, URL: withQuery("/catalog", queryWith(q, "q", x.Text))}
	}
	if sg.DidYouMean != nil {
		l := link(*sg.DidYouMean)
		page.DidYouMean = &l
	}
	for _, x := range sg.Related {
		page.Related = append(page.Related, link(x))
	}
	return nil
}

// searchPager links the next page (by cursor) and, past the first, the first.
func searchPager(q url.Values, next string) pager {
	var p pager
	if q.Get("after") != "" {
		p.First = withQuery("/catalog", queryWith(q, "after", ""))
	}
	if next != "" {
		p.Next = withQuery("/catalog", queryWith(q, "after", next))
	}
	return p
}

// facetLabeler returns a function that names a facet value in lang.
func (s *server) facetLabeler(ctx context.Context, lang string) (func(list, value string) string, error) {
	orgs, err := s.organizationIndex(ctx)
	if err != nil {
		return nil, err
	}
	return func(list, value string) string {
		switch list {
		case "org":
			if o, ok := orgs[value]; ok {
				return pick(lang, o.NameZh, o.NameEn)
			}
			return value
		case "subject":
			return labelOr(lang, catalog.SubjectLabel(value), value)
		case "":
			return value
		}
		return codeLabel(lang, list, value)
	}, nil
}

// orgCounts is how many public resources each organization has in the index.
func (s *server) orgCounts(p identity.Principal) map[string]int {
	out := map[string]int{}
	if s.search == nil {
		return out
	}
	res, err := s.search.Search(search.Request{Viewer: p, Size: 1, Facets: []string{search.FieldOrganization}, FacetSize: 10000})
	if err != nil {
		s.log.Error("counting resources by organization", "err", err)
		return out
	}
	for _, v := range res.Facets[search.FieldOrganization] {
		out[v.Value] = v.Count
	}
	return out
}

// itoa is strconv.Itoa for templates' counts.
func itoa(n int) string { return strconv.Itoa(n) }
