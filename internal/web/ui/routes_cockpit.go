package ui

// cockpitRoutes are the routes of the platform operator's cockpit: the
// dashboard and its lists, the catalog's review queue with its batch
// form, and the administrators' account and organisation forms.
func (s *server) cockpitRoutes() []route {
	return []route{
		{"GET /admin", s.cockpitPageHandler},
		{"GET /admin/held", s.heldPage},
		{"GET /admin/open-lists", s.missingListsPage},
		{"GET /review", s.reviewQueue},
		{"POST /review/batch", s.reviewBatch},
		{"GET /admin/users/new", s.newUserForm},
		{"POST /admin/users", s.createUser},
		{"POST /admin/users/{id}/memberships", s.addUserMembership},
		{"POST /admin/users/{id}/memberships/{org}/remove", s.removeUserMembership},
		{"GET /admin/organizations/new", s.newOrgForm},
		{"POST /admin/organizations", s.createOrg},
		{"GET /organizations/{id}/edit", s.editOrgForm},
		{"POST /organizations/{id}/edit", s.updateOrg},
	}
}
