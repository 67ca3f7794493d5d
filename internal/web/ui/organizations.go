package ui

import (
	"net/http"
	"slices"

	"dataport/internal/catalog"
	"dataport/internal/identity"
)

// organizationsPage lists organizations grouped by kind.
type organizationsPage struct {
	Kind   string // the kind filter, "" for all
	Groups []organizationGroup
	Counts map[string]int // published resources by organization, from the search index
}

type organizationGroup struct {
	Kind identity.OrgKind
	Orgs []identity.Organization
}

// organizationsPage lists organizations, grouped by kind and filterable by ?kind=.
func (s *server) organizationsPage(w http.ResponseWriter, r *http.Request) error {
	kind := r.URL.Query().Get("kind")
	if !slices.Contains(identity.OrgKinds, identity.OrgKind(kind)) {
		kind = ""
	}
	orgs, err := s.identity.Organizations(r.Context(), identity.OrgFilter{Kind: identity.OrgKind(kind)})
	if err != nil {
		return err
	}
	page := organizationsPage{Kind: kind, Counts: s.orgCounts(principal(r))}
	for _, k := range identity.OrgKinds {
		group := organizationGroup{Kind: k}
		for _, o := range orgs {
			if o.Kind == k {
				group.Orgs = append(group.Orgs, o)
			}
		}
		if len(group.Orgs) > 0 {
			page.Groups = append(page.Groups, group)
		}
	}
	return s.render(w, r, http.StatusOK, "organizations", page)
}

// organizationPage is one organization and the resources its viewer may see.
type organizationPage struct {
	Org       identity.Organization
	Published int // its published resources the viewer can find in the portal
	Rows      []resourceRow
	Pager     pager
	CanCreate bool
	CanManage bool // the viewer manages its members
	// Officers are the unit's responsible person and chief data officer
	// (incidents_officers.go).
	Officers officersView
}

// organizationPage shows an organization's details and resources; its own
// members also see its drafts, since the catalog lists what they may see.
func (s *server) organizationPage(w http.ResponseWriter, r *http.Request) error {
	p, q := principal(r), r.URL.Query()
	org, err := s.identity.Organization(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	list, err := s.catalog.List(r.Context(), p, catalog.Filter{OrganizationID: org.ID, Cursor: q.Get("cursor"), Limit: 50})
	if err != nil {
		return err
	}
	rows := make([]resourceRow, len(list.Items))
	for i, res := range list.Items {
		rows[i] = resourceRow{Resource: res, Org: org}
	}
	return s.render(w, r, http.StatusOK, "organization", organizationPage{Org: org, Rows: rows, Published: s.orgCounts(p)[org.ID],
		Pager:     newPager("/organizations/"+org.ID, q, list.NextCursor),
		CanCreate: catalog.CanCreateIn(p, org), CanManage: identity.CanManageMembers(p, org.ID), Officers: s.orgOfficers(r, org)})
}
