package ui

import (
	"errors"
	"net/http"
	"strings"

	"dataport/internal/identity"
	"dataport/internal/validate"
)

// The sysadmin's pages for accounts: a searchable list, and one account's
// page with its memberships and the lifecycle forms (disable or enable,
// platform roles, password reset, ending its sessions and tokens). Every
// form carries csrf_token; every change is the identity service's, which
// checks the sysadmin role again and records the event.

// usersPageSize is how many accounts one page of the list shows.
const usersPageSize = 50

// usersPage is the account list.
type usersPage struct {
	Q     string
	Users []identity.User
	Pager pager
}

// usersAdminPage lists accounts by username, filtered by ?q=.
func (s *server) usersAdminPage(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	page := usersPage{Q: strings.TrimSpace(q.Get("q"))}
	users, err := s.identity.Users(r.Context(), p, identity.UserFilter{Q: page.Q, After: q.Get("cursor"), Limit: usersPageSize + 1})
	if err != nil {
		return err
	}
	next := ""
	if len(users) > usersPageSize {
		users, next = users[:usersPageSize], users[usersPageSize-1].Username
	}
	page.Users, page.Pager = users, newPager("/admin/users", q, next)
	return s.render(w, r, http.StatusOK, "admin_users", page)
}

// userAdminPage is one account as the sysadmin manages it.
type userAdminPage struct {
	User      identity.User
	Orgs      map[string]identity.Organization // the user's organizations by id
	Roles     []identity.PlatformRole          // every platform role, for the form
	Self      bool                             // the sysadmin's own account
	NewCode   *identity.PasswordResetCode      // a reset code just issued, shown this once
	Errors    formErrors
	Conflict  string                         // a refused change's reason (409), translated
	PlatRoles map[identity.PlatformRole]bool // the roles ticked in the form
	// The membership form: every organization (by name), the roles, and
	// what a refused form held (admin_accounts.go).
	OrgChoices  []identity.Organization
	MemberRoles []identity.Role
	NewMember   identity.Membership
}

// userAdminPageHandler shows one account.
func (s *server) userAdminPageHandler(w http.ResponseWriter, r *http.Request) error {
	return s.showUserAdmin(w, r, http.StatusOK, userAdminPage{})
}

// showUserAdmin fills page with the account of the path and renders it uncached.
func (s *server) showUserAdmin(w http.ResponseWriter, r *http.Request, status int, page userAdminPage) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	if !identity.CanManageUsers(p) {
		return identity.ErrForbidden
	}
	if page.User, err = s.identity.User(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	if page.Orgs, err = s.organizationIndex(r.Context()); err != nil {
		return err
	}
	page.Roles, page.Self = identity.PlatformRoles, page.User.ID == p.UserID
	page.MemberRoles = identity.Roles
	if page.OrgChoices, err = s.identity.Organizations(r.Context(), identity.OrgFilter{}); err != nil {
		return err
	}
	if page.NewMember.Role == "" {
		page.NewMember.Role = identity.RoleMember
	}
	if page.PlatRoles == nil {
		page.PlatRoles = map[identity.PlatformRole]bool{}
		for _, role := range page.User.PlatformRoles {
			page.PlatRoles[role] = true
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, status, "admin_user", page)
}

// userAdminAction runs one lifecycle change on the account of the path and
// returns to its page with a banner; a refusal because of other records
// (the last sysadmin) shows the page again with the reason.
func (s *server) userAdminAction(change func(r *http.Request, p identity.Principal, id string) error, done string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := requireUser(r)
		if err != nil {
			return err
		}
		id := r.PathValue("id")
		err = change(r, p, id)
		var errs validate.Errors
		switch {
		case err == nil:
			return seeOther(w, r, "/admin/users/"+id, done)
		case errors.Is(err, identity.ErrLastSysadmin):
			return s.showUserAdmin(w, r, http.StatusConflict, userAdminPage{Conflict: refusalText(langOf(r), err)})
		case errors.As(err, &errs):
			page := userAdminPage{Errors: newFormErrors(langOf(r), errs)}
			if r.PostForm.Has("platform_roles_form") {
				page.PlatRoles = tickedRoles(r)
			}
			return s.showUserAdmin(w, r, http.StatusUnprocessableEntity, page)
		}
		return err
	}
}

// disableUser: form fields csrf_token.
func (s *server) disableUser(r *http.Request, p identity.Principal, id string) error {
	_, err := s.identity.DisableUser(r.Context(), p, id)
	return err
}

// enableUser: form fields csrf_token.
func (s *server) enableUser(r *http.Request, p identity.Principal, id string) error {
	return s.identity.EnableUser(r.Context(), p, id)
}

// revokeUserAccess: form fields csrf_token.
func (s *server) revokeUserAccess(r *http.Request, p identity.Principal, id string) error {
	_, err := s.identity.RevokeAccess(r.Context(), p, id)
	return err
}

// setUserPassword: form fields csrf_token, password, password_confirm.
func (s *server) setUserPassword(r *http.Request, p identity.Principal, id string) error {
	pw := r.PostForm.Get("password")
	if pw != r.PostForm.Get("password_confirm") {
		return validate.Errors{{Field: "password_confirm", Message: "does not match the password", Code: "password_mismatch"}}
	}
	_, err := s.identity.ResetPassword(r.Context(), p, id, pw)
	return err
}

// setUserPlatformRoles: form fields csrf_token, platform_roles (repeated),
// platform_roles_form (marks the form, so that no box ticked means none).
func (s *server) setUserPlatformRoles(r *http.Request, p identity.Principal, id string) error {
	var roles []identity.PlatformRole
	for _, v := range r.PostForm["platform_roles"] {
		roles = append(roles, identity.PlatformRole(v))
	}
	return s.identity.SetPlatformRoles(r.Context(), p, id, roles)
}

func tickedRoles(r *http.Request) map[identity.PlatformRole]bool {
	out := map[identity.PlatformRole]bool{}
	for _, v := range r.PostForm["platform_roles"] {
		out[identity.PlatformRole(v)] = true
	}
	return out
}

// issueResetCode gives the account a one-time password reset code and
// shows it on this response only (never stored in clear, never cached).
// Form fields: csrf_token.
func (s *server) issueResetCode(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	rc, err := s.identity.IssuePasswordReset(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.showUserAdmin(w, r, http.StatusOK, userAdminPage{NewCode: &rc})
}
