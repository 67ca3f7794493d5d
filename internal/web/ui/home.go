package ui

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"slices"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/portal"
	"dataport/internal/search"
)

// homePage is the data of the portal's front page.
type homePage struct {
	Counts    catalog.Counts
	Stats     portal.Stats // zero without the portal service
	Portal    bool
	Subjects  []tile // topics (主题) with public resources
	Orgs      []tile // institutions with the most public resources
	MoreOrgs  bool   // there are institutions beyond Orgs
	Newest    []resourceRow
	Popular   []resourceRow // most viewed
	Engage    bool          // views and downloads are counted
	Views     int64
	Downloads int64
	News      []portal.News
	Apps      []portal.App
	Charts    []barChart
}

// tile is a topic or an institution on the front page, with its count and
// the catalog list it opens.
type tile struct {
	Code  string // subject code or organization id
	Label string
	Count int
	URL   string
}

// homeOrgTiles is how many institutions the front page shows.
const homeOrgTiles = 12

// home shows the search box, topic and institution tiles, the newest (and,
// once kept, the most viewed) resources, the platform's figures with small
// charts, and the latest news and apps.
func (s *server) home(w http.ResponseWriter, r *http.Request) error {
	ctx, lang := r.Context(), langOf(r)
	page := homePage{Portal: s.acc.Portal != nil}
	var err error
	if page.Counts, err = s.catalog.PublishedCounts(ctx); err != nil {
		return err
	}
	list, err := s.catalog.List(ctx, principal(r), catalog.Filter{Status: catalog.StatusPublished, Limit: 8})
	if err != nil {
		return err
	}
	if page.Newest, err = s.resourceRows(ctx, list.Items); err != nil {
		return err
	}
	if page.Popular, err = s.mostViewed(ctx, principal(r), 8); err != nil {
		return err
	}
	if err := s.engagement(ctx, &page); err != nil {
		return err
	}
	if s.acc.Portal != nil {
		if err := s.portalHome(ctx, lang, &page); err != nil {
			return err
		}
	}
	subjects, orgs, err := s.tallies(ctx, principal(r), page.Stats)
	if err != nil {
		return err
	}
	if page.Subjects, page.Orgs, err = s.tiles(ctx, lang, subjects, orgs); err != nil {
		return err
	}
	page.MoreOrgs = len(page.Orgs) > homeOrgTiles
	page.Orgs = page.Orgs[:min(len(page.Orgs), homeOrgTiles)]
	page.Charts = homeCharts(lang, page)
	return s.render(w, r, http.StatusOK, "home", page)
}

// portalHome adds the portal's figures and its latest news and apps.
func (s *server) portalHome(ctx context.Context, lang string, page *homePage) error {
	var err error
	if page.Stats, err = s.acc.Portal.Stats(ctx); err != nil {
		return err
	}
	if page.News, _, err = s.acc.Portal.NewsList(ctx, "", 5, ""); err != nil {
		return err
	}
	page.Apps, _, err = s.acc.Portal.PublishedApps(ctx, 3, "")
	return err
}

// mostViewed returns the n most viewed resources p may see, from the view
// counts (engage; none without it).
func (s *server) mostViewed(ctx context.Context, p identity.Principal, n int) ([]resourceRow, error) {
	if s.acc.Engage == nil {
		return nil, nil
	}
	counts, err := s.acc.Engage.MostViewed(ctx, n)
	if err != nil {
		return nil, err
	}
	var list []catalog.Resource
	for _, c := range counts {
		if r, err := s.catalog.Get(ctx, p, c.ResourceID); err == nil && r.Status == catalog.StatusPublished {
			list = append(list, r)
		}
	}
	return s.resourceRows(ctx, list)
}

// engagement adds the platform's views and downloads to page.
func (s *server) engagement(ctx context.Context, page *homePage) error {
	if s.acc.Engage == nil {
		return nil
	}
	t, err := s.acc.Engage.Totals(ctx)
	page.Views, page.Downloads, page.Engage = t.Views, t.Downloads, true
	return err
}

// tallies counts the public resources by subject and by institution as the
// catalog page the tiles open will list them: from the search index's facets
// for the viewer when there is one, else the portal's figures.
func (s *server) tallies(ctx context.Context, p identity.Principal, st portal.Stats) (subjects, orgs []portal.GroupCount, err error) {
	if s.search == nil {
		return st.BySubject, st.ByOrg, nil
	}
	res, err := s.search.SearchContext(ctx, search.Request{Viewer: p, Size: 1, FacetSize: 500,
		Facets: []string{search.FieldSubject, search.FieldOrganization}})
	if err != nil {
		return nil, nil, err
	}
	conv := func(vs []search.FacetValue) []portal.GroupCount {
		out := make([]portal.GroupCount, len(vs))
		for i, v := range vs {
			out[i] = portal.GroupCount{Key: v.Value, Count: v.Count}
		}
		return out
	}
	return conv(res.Facets[search.FieldSubject]), conv(res.Facets[search.FieldOrganization]), nil
}

// tiles names the tallies: subjects in the catalog spec's order, institutions
// with the most resources first.
func (s *server) tiles(ctx context.Context, lang string, subjects, orgs []portal.GroupCount) ([]tile, []tile, error) {
	var st []tile
	for _, subj := range catalog.Subjects {
		i := slices.IndexFunc(subjects, func(t portal.GroupCount) bool { return t.Key == subj.Code })
		if i >= 0 && subjects[i].Count > 0 {
			st = append(st, tile{Code: subj.Code, Label: pick(lang, subj.Zh, subj.En), Count: subjects[i].Count,
				URL: "/catalog?" + url.Values{"subject": {subj.Code}}.Encode()})
		}
	}
	index, err := s.organizationIndex(ctx)
	if err != nil {
		return nil, nil, err
	}
	var ot []tile
	for _, t := range orgs {
		if o, ok := index[t.Key]; ok && t.Count > 0 {
			ot = append(ot, tile{Code: o.ID, Label: pick(lang, o.NameZh, o.NameEn), Count: t.Count,
				URL: "/catalog?" + url.Values{"organization_id": {o.ID}}.Encode()})
		}
	}
	slices.SortStableFunc(ot, func(a, b tile) int { return cmp.Or(b.Count-a.Count, cmp.Compare(a.Label, b.Label)) })
	return st, ot, nil
}
