package ui

import (
	"net/http"

	"dataport/internal/catalog"
)

// homePage is the data of the portal's front page.
type homePage struct {
	Counts catalog.Counts
	Newest []resourceRow
}

// home shows the catalog's figures, the newest published resources and a search box.
func (s *server) home(w http.ResponseWriter, r *http.Request) error {
	counts, err := s.catalog.PublishedCounts(r.Context())
	if err != nil {
		return err
	}
	page, err := s.catalog.List(r.Context(), principal(r), catalog.Filter{Status: catalog.StatusPublished, Limit: 8})
	if err != nil {
		return err
	}
	rows, err := s.resourceRows(r.Context(), page.Items)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "home", homePage{Counts: counts, Newest: rows})
}
