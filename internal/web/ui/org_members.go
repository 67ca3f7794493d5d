package ui

import (
	"errors"
	"net/http"
	"strings"

	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// The members page of an organization, for its admins, sysadmins and
// platform operators: add an account by username, change a member's role,
// remove a member. The identity service decides who may and which accounts
// an organization's own admin may add; the page shows its refusals.

// membersPage is an organization's members and the forms to change them.
type membersPage struct {
	Org      identity.Organization
	Members  []memberRow
	Roles    []identity.Role
	Form     memberForm // the add form, as typed
	Errors   formErrors
	Conflict string // a refused change's reason (409), translated
	AnyAcct  bool   // the viewer may add accounts of any kind (operator, sysadmin)
}

// memberRow is a member with their role here.
type memberRow struct {
	identity.User
	Role identity.Role
}

// memberForm is the add form. Fields: csrf_token, username, role.
type memberForm struct {
	Username string
	Role     identity.Role
}

// membersPageHandler shows the members page.
func (s *server) membersPageHandler(w http.ResponseWriter, r *http.Request) error {
	return s.showMembers(w, r, http.StatusOK, membersPage{Form: memberForm{Role: identity.RoleMember}})
}

// showMembers fills page with the organization of the path and its members.
func (s *server) showMembers(w http.ResponseWriter, r *http.Request, status int, page membersPage) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	orgID := r.PathValue("id")
	if !identity.CanManageMembers(p, orgID) {
		return identity.ErrForbidden
	}
	if page.Org, err = s.identity.Organization(r.Context(), orgID); err != nil {
		return err
	}
	users, err := s.identity.Members(r.Context(), orgID)
	if err != nil {
		return err
	}
	for _, u := range users {
		row := memberRow{User: u}
		for _, m := range u.Memberships {
			if m.OrganizationID == orgID {
				row.Role = m.Role
			}
		}
		page.Members = append(page.Members, row)
	}
	page.Roles, page.AnyAcct = identity.Roles, identity.CanEnrolAnyAccount(p)
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, status, "org_members", page)
}

// addMember adds the account named in the form with the chosen role.
func (s *server) addMember(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	orgID := r.PathValue("id")
	form := memberForm{Username: strings.TrimSpace(r.PostForm.Get("username")), Role: identity.Role(r.PostForm.Get("role"))}
	u, err := s.identity.UserByName(r.Context(), form.Username)
	if errors.Is(err, store.ErrNotFound) {
		err = validate.Errors{{Field: "username", Value: form.Username, Message: "no such user", Code: "no_user"}}
	} else if err == nil {
		err = s.identity.SetMembership(r.Context(), p, u.ID, identity.Membership{OrganizationID: orgID, Role: form.Role})
	}
	return s.afterMemberChange(w, r, err, form, "member_added")
}

// setMemberRole changes a member's role. Form fields: csrf_token, role.
func (s *server) setMemberRole(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	m := identity.Membership{OrganizationID: r.PathValue("id"), Role: identity.Role(r.PostForm.Get("role"))}
	err = s.identity.SetMembership(r.Context(), p, r.PathValue("user"), m)
	return s.afterMemberChange(w, r, err, memberForm{Role: identity.RoleMember}, "member_role_set")
}

// removeMember ends a membership. Form fields: csrf_token.
func (s *server) removeMember(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	err = s.identity.RemoveMembership(r.Context(), p, r.PathValue("id"), r.PathValue("user"))
	return s.afterMemberChange(w, r, err, memberForm{Role: identity.RoleMember}, "member_removed")
}

// afterMemberChange returns to the members page: with a banner after a
// change, with the reason after a refusal the user can act on (a field
// error, or the last admin).
func (s *server) afterMemberChange(w http.ResponseWriter, r *http.Request, err error, form memberForm, done string) error {
	var errs validate.Errors
	switch {
	case err == nil:
		return seeOther(w, r, "/organizations/"+r.PathValue("id")+"/members", done)
	case errors.Is(err, identity.ErrLastAdmin):
		return s.showMembers(w, r, http.StatusConflict, membersPage{Form: form, Conflict: refusalText(langOf(r), err)})
	case errors.As(err, &errs):
		for i := range errs {
			if errs[i].Field == "user_id" { // the account the username names
				errs[i].Field, errs[i].Value = "username", form.Username
			}
		}
		return s.showMembers(w, r, http.StatusUnprocessableEntity, membersPage{Form: form, Errors: newFormErrors(langOf(r), errs)})
	}
	return err
}
