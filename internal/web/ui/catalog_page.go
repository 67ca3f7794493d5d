package ui

import (
	"net/http"
	"net/url"

	"dataport/internal/catalog"
	"dataport/internal/identity"
)

// catalogFilter is the catalog page's filter form, as the user sent it.
type catalogFilter struct {
	Q, OrganizationID, Subject, ShareType, OpenType, Classification string
}

// catalogPage is the data of the public catalog listing.
type catalogPage struct {
	Filter       catalogFilter
	Institutions []identity.Organization
	Rows         []resourceRow
	Pager        pager
}

// catalogPage is the portal's search page (search_page.go) when the search
// index is there, and otherwise a filtered listing from the database.
func (s *server) catalogPage(w http.ResponseWriter, r *http.Request) error {
	if s.search != nil {
		return s.searchPage(w, r)
	}
	q := r.URL.Query()
	f := catalogFilter{Q: q.Get("q"), OrganizationID: q.Get("organization_id"), Subject: q.Get("subject"),
		ShareType: q.Get("share_type"), OpenType: q.Get("open_type"), Classification: q.Get("classification")}
	page, err := s.catalog.List(r.Context(), principal(r), catalog.Filter{
		Q: f.Q, OrganizationID: f.OrganizationID, Subject: f.Subject, Status: catalog.StatusPublished,
		ShareType: catalog.ShareType(f.ShareType), OpenType: catalog.OpenType(f.OpenType),
		Classification: catalog.Classification(f.Classification), Cursor: q.Get("cursor")})
	if err != nil {
		return err
	}
	rows, err := s.resourceRows(r.Context(), page.Items)
	if err != nil {
		return err
	}
	insts, err := s.institutions(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "catalog", catalogPage{Filter: f, Institutions: insts, Rows: rows,
		Pager: newPager("/catalog", q, page.NextCursor)})
}

// queryWith returns q with key set to value ("" removes it), without the
// page cursor, since a changed search starts on its first page.
func queryWith(q url.Values, key, value string) url.Values {
	out := url.Values{}
	for k, vs := range q {
		if k != "after" && k != "cursor" && k != "done" {
			out[k] = vs
		}
	}
	if value == "" {
		out.Del(key)
	} else {
		out.Set(key, value)
	}
	return out
}
