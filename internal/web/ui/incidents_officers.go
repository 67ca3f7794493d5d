package ui

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"dataport/internal/identity"
)

// A unit's officers for data security (art. 48) on its organization page:
// the responsible person (数据安全负责人) and the chief data officer
// (首席数据官), chosen among its members by its admins and the platform
// operators (identity.SetOfficers).

// officersView is what the organization page shows of a unit's officers.
type officersView struct {
	Responsible, ChiefDataOfficer string          // display names; "" when not named
	CanEdit                       bool            // the viewer may name them
	Members                       []identity.User // the choices, for whoever may name them
	OrgID, ResponsibleID, CDOID   string
	CSRFToken                     string // the form's token
}

// officers names org's officers and, for whoever may change them, its members.
func (s *server) officers(ctx context.Context, org identity.Organization) officersView {
	v := officersView{OrgID: org.ID, ResponsibleID: org.ResponsibleUserID, CDOID: org.ChiefDataOfficerUserID}
	names, _ := s.identity.Usernames(ctx, []string{org.ResponsibleUserID, org.ChiefDataOfficerUserID})
	v.Responsible, v.ChiefDataOfficer = s.displayName(ctx, org.ResponsibleUserID, names), s.displayName(ctx, org.ChiefDataOfficerUserID, names)
	return v
}

// displayName is a user's display name (their username when it has none).
func (s *server) displayName(ctx context.Context, id string, usernames map[string]string) string {
	if id == "" {
		return ""
	}
	if u, err := s.identity.User(ctx, identity.System, id); err == nil && u.DisplayName != "" {
		return u.DisplayName
	}
	return usernames[id]
}

// orgOfficers is the organization page's officers: names for anyone, the
// form's members for whoever may name them.
func (s *server) orgOfficers(r *http.Request, org identity.Organization) officersView {
	v := s.officers(r.Context(), org)
	if p := principal(r); identity.CanEditOrganization(p, org.ID) {
		v.CanEdit, v.CSRFToken = true, csrfToken(r.Context())
		v.Members, _ = s.identity.Members(r.Context(), org.ID)
	}
	return v
}

// setOfficers names a unit's officers. Form fields: responsible_user_id,
// chief_data_officer_user_id (optional). A problem goes back to the
// organization page with it named (422 there).
func (s *server) setOfficers(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	_, err = s.identity.SetOfficers(r.Context(), p, id, identity.Officers{ResponsibleUserID: strings.TrimSpace(r.PostForm.Get("responsible_user_id")),
		ChiefDataOfficerUserID: strings.TrimSpace(r.PostForm.Get("chief_data_officer_user_id"))})
	if err != nil {
		return err
	}
	return seeOther(w, r, "/organizations/"+url.PathEscape(id), "officers_set")
}
