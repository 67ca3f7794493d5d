package ui

import (
	"net/http"

	"dataport/internal/catalog"
	"dataport/internal/identity"
)

// myPage is a signed-in user's work: each of their organizations with its resources.
type myPage struct {
	Orgs []myOrganization
	Todo deskTodo // what waits for the user (desk_todo.go)
}

type myOrganization struct {
	Org       identity.Organization
	Role      identity.Role
	CanCreate bool
	Rows      []resourceRow
	More      string // link to the rest when there are more than one page
}

// myWork lists the user's organizations and all their resources, whatever
// their status. Anonymous visitors are sent to sign in.
func (s *server) myWork(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	page := myPage{}
	for _, m := range p.Memberships {
		org, err := s.identity.Organization(r.Context(), m.OrganizationID)
		if err != nil {
			return err
		}
		list, err := s.catalog.List(r.Context(), p, catalog.Filter{OrganizationID: org.ID, Limit: 200})
		if err != nil {
			return err
		}
		mine := myOrganization{Org: org, Role: m.Role, CanCreate: catalog.CanCreateIn(p, org)}
		for _, res := range list.Items {
			mine.Rows = append(mine.Rows, resourceRow{Resource: res, Org: org})
		}
		if list.NextCursor != "" {
			mine.More = "/organizations/" + org.ID
		}
		page.Orgs = append(page.Orgs, mine)
	}
	if page.Todo, err = s.deskTodo(r.Context(), p, page.Orgs); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "my", page)
}
