package ui

import (
	"errors"
	"net/http"
	"strings"

	"dataport/internal/identity"
	"dataport/internal/validate"
)

// The administrators' forms the account pages lacked: create an account
// (sysadmins), give an account a membership or end one from its page, and
// create or edit an organisation (sysadmins and platform operators; an
// organisation's admins edit its details). Every change is the identity
// service's, which checks the actor again and records the event; a field
// problem shows the form again with the problem at its field (422).

// userForm is the new account form as typed. Fields: csrf_token, username,
// display_name, email, password, password_confirm, platform_roles
// (repeated), organization_id and role (an optional first membership).
type userForm struct {
	Username, DisplayName, Email string
	PlatformRoles                map[identity.PlatformRole]bool
	OrganizationID               string
	Role                         identity.Role
}

// newUserPage is the new account form.
type newUserPage struct {
	Form   userForm
	Errors formErrors
	Roles  []identity.PlatformRole
	Orgs   []identity.Organization
	Member []identity.Role
}

// newUserForm shows the new account form to sysadmins.
func (s *server) newUserForm(w http.ResponseWriter, r *http.Request) error {
	return s.showNewUser(w, r, http.StatusOK, newUserPage{Form: userForm{Role: identity.RoleMember}})
}

func (s *server) showNewUser(w http.ResponseWriter, r *http.Request, status int, page newUserPage) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	if !identity.CanManageUsers(p) {
		return identity.ErrForbidden
	}
	if page.Orgs, err = s.identity.Organizations(r.Context(), identity.OrgFilter{}); err != nil {
		return err
	}
	page.Roles, page.Member = identity.PlatformRoles, identity.Roles
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, status, "admin_user_new", page)
}

// createUser creates the account and opens its page.
func (s *server) createUser(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	f := r.PostForm
	form := userForm{Username: strings.TrimSpace(f.Get("username")), DisplayName: f.Get("display_name"), Email: f.Get("email"),
		PlatformRoles: tickedRoles(r), OrganizationID: f.Get("organization_id"), Role: identity.Role(f.Get("role"))}
	in := identity.UserInput{Username: form.Username, DisplayName: form.DisplayName, Email: form.Email, Password: f.Get("password")}
	for _, role := range identity.PlatformRoles {
		if form.PlatformRoles[role] {
			in.PlatformRoles = append(in.PlatformRoles, role)
		}
	}
	if form.OrganizationID != "" {
		in.Memberships = []identity.Membership{{OrganizationID: form.OrganizationID, Role: form.Role}}
	}
	var u identity.User
	if in.Password != f.Get("password_confirm") {
		err = validate.Errors{{Field: "password_confirm", Message: "does not match the password", Code: "password_mismatch"}}
	} else {
		u, err = s.identity.CreateUser(r.Context(), p, in)
	}
	if errs := fieldErrors(err); errs != nil {
		for i := range errs { // the one membership of the form
			errs[i].Field = strings.TrimPrefix(errs[i].Field, "memberships[0].")
		}
		return s.showNewUser(w, r, http.StatusUnprocessableEntity, newUserPage{Form: form, Errors: newFormErrors(langOf(r), errs)})
	} else if err != nil {
		return err
	}
	return seeOther(w, r, "/admin/users/"+u.ID, "user_created")
}

// addUserMembership gives the account of the path a role in an
// organisation. Form fields: csrf_token, organization_id, role.
func (s *server) addUserMembership(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	m := identity.Membership{OrganizationID: r.PostForm.Get("organization_id"), Role: identity.Role(r.PostForm.Get("role"))}
	if m.OrganizationID == "" {
		err = validate.Errors{{Field: "organization_id", Message: "is required", Code: validate.CodeRequired}}
	} else {
		err = s.identity.SetMembership(r.Context(), p, r.PathValue("id"), m)
	}
	return s.afterUserMembership(w, r, err, m, "member_added")
}

// removeUserMembership ends the account's membership of the organisation
// of the path. Form fields: csrf_token.
func (s *server) removeUserMembership(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	err = s.identity.RemoveMembership(r.Context(), p, r.PathValue("org"), r.PathValue("id"))
	return s.afterUserMembership(w, r, err, identity.Membership{Role: identity.RoleMember}, "member_removed")
}

// afterUserMembership returns to the account's page: with a banner after a
// change, with the reason after a refusal the admin can act on.
func (s *server) afterUserMembership(w http.ResponseWriter, r *http.Request, err error, m identity.Membership, done string) error {
	var errs validate.Errors
	switch {
	case err == nil:
		return seeOther(w, r, "/admin/users/"+r.PathValue("id"), done)
	case errors.Is(err, identity.ErrLastAdmin):
		return s.showUserAdmin(w, r, http.StatusConflict, userAdminPage{Conflict: refusalText(langOf(r), err), NewMember: m})
	case errors.As(err, &errs):
		return s.showUserAdmin(w, r, http.StatusUnprocessableEntity, userAdminPage{Errors: newFormErrors(langOf(r), errs), NewMember: m})
	}
	return err
}

// orgFormPage is the organisation form, new or editing.
type orgFormPage struct {
	Org    identity.Organization // the organisation edited ("" ID: a new one)
	Form   identity.OrgInput
	Kinds  []identity.OrgKind
	Errors formErrors
}

// newOrgForm shows the new organisation form.
func (s *server) newOrgForm(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	if !identity.CanManageOrganizations(p) {
		return identity.ErrForbidden
	}
	return s.renderOrgForm(w, r, http.StatusOK, orgFormPage{Form: identity.OrgInput{Kind: identity.KindInstitution}})
}

// editOrgForm shows an organisation's details to change.
func (s *server) editOrgForm(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	org, err := s.identity.Organization(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if !identity.CanEditOrganization(p, org.ID) {
		return identity.ErrForbidden
	}
	in := identity.OrgInput{Kind: org.Kind, NameZh: org.NameZh, NameEn: org.NameEn, USCC: org.USCC, Code: org.Code,
		RegionCode: org.RegionCode, Description: org.Description, Website: org.Website}
	return s.renderOrgForm(w, r, http.StatusOK, orgFormPage{Org: org, Form: in})
}

func (s *server) renderOrgForm(w http.ResponseWriter, r *http.Request, status int, page orgFormPage) error {
	page.Kinds = identity.OrgKinds
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, status, "admin_org_form", page)
}

// orgInput reads the organisation form. Fields: csrf_token, kind, name_zh,
// name_en, uscc, org_code (the organisation's code: "code" is a catalog
// entry's in the forms' labels), region_code, description, website.
func orgInput(r *http.Request) identity.OrgInput {
	f := r.PostForm
	return identity.OrgInput{Kind: identity.OrgKind(f.Get("kind")), NameZh: f.Get("name_zh"), NameEn: f.Get("name_en"), USCC: f.Get("uscc"),
		Code: f.Get("org_code"), RegionCode: f.Get("region_code"), Description: f.Get("description"), Website: f.Get("website")}
}

// createOrg registers the organisation and opens its page.
func (s *server) createOrg(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	in := orgInput(r)
	org, err := s.identity.CreateOrganization(r.Context(), p, in)
	if errs := orgFieldErrors(err); errs != nil {
		return s.renderOrgForm(w, r, http.StatusUnprocessableEntity, orgFormPage{Form: in, Errors: newFormErrors(langOf(r), errs)})
	} else if err != nil {
		return err
	}
	return seeOther(w, r, "/organizations/"+org.ID, "org_created")
}

// updateOrg changes the organisation's details.
func (s *server) updateOrg(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	in := orgInput(r)
	org, err := s.identity.UpdateOrganization(r.Context(), p, r.PathValue("id"), in)
	if errs := orgFieldErrors(err); errs != nil {
		if org, err = s.identity.Organization(r.Context(), r.PathValue("id")); err != nil {
			return err
		}
		return s.renderOrgForm(w, r, http.StatusUnprocessableEntity, orgFormPage{Org: org, Form: in, Errors: newFormErrors(langOf(r), errs)})
	} else if err != nil {
		return err
	}
	return seeOther(w, r, "/organizations/"+org.ID, "org_updated")
}

// orgFieldErrors are the organisation form's field problems, the
// organisation's code at its input.
func orgFieldErrors(err error) validate.Errors {
	errs := fieldErrors(err)
	for i := range errs {
		if errs[i].Field == "code" {
			errs[i].Field = "org_code"
		}
	}
	return errs
}
