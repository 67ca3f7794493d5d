package ui

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/opening"
)

// grantRow is a grant as the lists show it.
type grantRow struct {
	access.Grant
	Resources []catalog.Resource
	Grantee   string // the holder's name
	Provider  identity.Organization
	State     access.GrantStatus
}

// grantsPage is "my grants": those the user's organizations hold, and
// those issued on their data, each with its usage.
type grantsPage struct {
	Received, Issued []grantRow
}

// grantsPage lists the grants the user holds or issued.
func (s *server) grantsPage(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	n := newNames(s, r.Context(), p)
	page := grantsPage{}
	for _, side := range []struct {
		name string
		rows *[]grantRow
	}{{"received", &page.Received}, {"issued", &page.Issued}} {
		list, err := s.acc.Access.Grants(r.Context(), p, access.GrantFilter{Side: side.name, Limit: 200})
		if err != nil {
			return err
		}
		for _, g := range list {
			*side.rows = append(*side.rows, s.grantRow(n, g))
		}
	}
	return s.render(w, r, http.StatusOK, "grants", page)
}

func (s *server) grantRow(n *names, g access.Grant) grantRow {
	row := grantRow{Grant: g, Provider: n.org(g.ProviderOrgID), State: g.StatusAt(time.Now())}
	for _, id := range g.ResourceIDs {
		row.Resources = append(row.Resources, n.resource(id))
	}
	switch g.GranteeKind {
	case access.GranteeOrganization:
		row.Grantee = n.org(g.GranteeID).NameZh
	case access.GranteeUser:
		names, _ := s.identity.Usernames(n.ctx, []string{g.GranteeID})
		row.Grantee = names[g.GranteeID]
	default:
		row.Grantee = g.GranteeID
	}
	return row
}

// grantPage is one grant: policy, usage, recent decisions, keys, actions.
type grantPage struct {
	grantRow
	Decisions      []access.LoggedDecision
	Keys           []access.Key
	CanRevoke      bool
	CanManageKeys  bool
	NewSecret      string // a key just created, shown this once
	KeyName        string
	RevokeReason   string
	Errors         formErrors
	KeyHeader      string
	RowsLeft       int64
	CallsLeft      int64
	ShowsAgreement string // link to the application holding the agreement
}

// grantPage shows one grant.
func (s *server) grantPage(w http.ResponseWriter, r *http.Request) error {
	return s.showGrant(w, r, http.StatusOK, grantPage{})
}

func (s *server) showGrant(w http.ResponseWriter, r *http.Request, status int, page grantPage) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	g, err := s.acc.Access.Grant(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	page.grantRow = s.grantRow(newNames(s, r.Context(), p), g)
	if page.Decisions, err = s.acc.Access.GrantDecisions(r.Context(), p, g.ID, 20); err != nil {
		return err
	}
	if page.Keys, err = s.acc.Access.Keys(r.Context(), p, g.ID); err != nil {
		return err
	}
	page.CanRevoke = g.RevokedAt == nil && s.acc.Access.CanRevoke(p, g)
	page.CanManageKeys = page.State == access.GrantActive && s.acc.Access.CanManageKeys(p, g)
	page.KeyHeader = access.KeyHeader
	if g.Policy.MaxRows > 0 {
		page.RowsLeft = max(g.Policy.MaxRows-g.Usage.Rows, 0)
	}
	if g.Policy.MaxCalls > 0 {
		page.CallsLeft = max(g.Policy.MaxCalls-g.Usage.Calls, 0)
	}
	switch g.OriginKind {
	case access.OriginOpenApplication:
		page.ShowsAgreement = "/applications/" + g.OriginID
	case access.OriginShareRequest:
		page.ShowsAgreement = "/share-requests/" + g.OriginID
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, status, "grant", page)
}

// revokeGrant revokes a grant. Form fields: csrf_token, reason.
func (s *server) revokeGrant(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	reason := r.PostForm.Get("reason")
	_, err = s.acc.Access.Revoke(r.Context(), p, r.PathValue("id"), reason)
	if errs := fieldErrors(err); errs != nil {
		errs = renameFields(errs, map[string]string{"reason": "revoke_reason"})
		return s.showGrant(w, r, http.StatusUnprocessableEntity, grantPage{RevokeReason: reason, Errors: newFormErrors(langOf(r), errs)})
	} else if err != nil {
		return err
	}
	return seeOther(w, r, "/grants/"+r.PathValue("id"), "grant_revoked")
}

// createGrantKey makes an API key and shows its secret once. Form fields: csrf_token, name.
func (s *server) createGrantKey(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	name := r.PostForm.Get("name")
	secret, _, err := s.acc.Access.CreateKey(r.Context(), p, r.PathValue("id"), name)
	if errs := fieldErrors(err); errs != nil {
		errs = renameFields(errs, map[string]string{"name": "key_name"})
		return s.showGrant(w, r, http.StatusUnprocessableEntity, grantPage{KeyName: name, Errors: newFormErrors(langOf(r), errs)})
	} else if err != nil {
		return err
	}
	return s.showGrant(w, r, http.StatusOK, grantPage{NewSecret: secret})
}

// revokeGrantKey stops an API key. Form fields: csrf_token.
func (s *server) revokeGrantKey(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	if err := s.acc.Access.RevokeKey(r.Context(), p, r.PathValue("id"), r.PathValue("key")); err != nil {
		return err
	}
	return seeOther(w, r, "/grants/"+r.PathValue("id"), "key_revoked")
}

// notificationsPage lists the user's notices.
func (s *server) notificationsPage(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	list, err := s.acc.Notify.List(r.Context(), p, false, 100)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "notifications", s.noticeRows(r.Context(), p, list))
}

// readNotifications marks every notice read. Form fields: csrf_token.
func (s *server) readNotifications(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	if err := s.acc.Notify.MarkRead(r.Context(), p, ""); err != nil {
		return err
	}
	return seeOther(w, r, "/notifications", "notifications_read")
}

// openListsPage is the annual open list of every institution for a year.
type openListsPage struct {
	Year, Prev, Next int
	Lists            []openListView
	Kept             []keptList // the lists of the year the user keeps
}

type openListView struct {
	opening.OpenList
	Org                   identity.Organization
	Planned, Opened, Late int
}

// keptList links the editor's page of one institution's list.
type keptList struct {
	Org    identity.Organization
	Status opening.ListStatus // "" until the list is created
	Path   string
}

// yearParam reads ?year=, defaulting to this year in Beijing.
func yearParam(r *http.Request) int {
	if y, err := strconv.Atoi(r.URL.Query().Get("year")); err == nil && y >= 2000 && y <= 2100 {
		return y
	}
	return time.Now().In(beijing).Year()
}

// openListsPage shows the year's published open lists (and the user's
// drafts), with a link to the editor's page of each list the user keeps.
func (s *server) openListsPage(w http.ResponseWriter, r *http.Request) error {
	p, year := principal(r), yearParam(r)
	lists, err := s.acc.Opening.Lists(r.Context(), p, year)
	if err != nil {
		return err
	}
	n := newNames(s, r.Context(), p)
	page := openListsPage{Year: year, Prev: year - 1, Next: year + 1}
	status := map[string]opening.ListStatus{}
	for _, l := range lists {
		v := openListView{OpenList: l, Org: n.org(l.OrganizationID)}
		v.Planned, v.Opened, v.Late = l.Counts()
		page.Lists = append(page.Lists, v)
		status[l.OrganizationID] = l.Status
	}
	orgs, err := s.listKeeping(r.Context(), p)
	if err != nil {
		return err
	}
	for _, org := range orgs {
		page.Kept = append(page.Kept, keptList{Org: org, Status: status[org.ID], Path: fmt.Sprintf("/open-lists/%d/%s/edit", year, org.ID)})
	}
	return s.render(w, r, http.StatusOK, "open_lists", page)
}

// listKeeping returns the public institutions whose open lists p keeps:
// every one for a sysadmin, else those where p is an editor or admin.
func (s *server) listKeeping(ctx context.Context, p identity.Principal) ([]identity.Organization, error) {
	if p.Has(identity.PlatformSysadmin) {
		return s.institutions(ctx)
	}
	var orgs []identity.Organization
	for _, id := range p.OrgIDs() {
		if !opening.CanEditList(p, id) {
			continue
		}
		org, err := s.identity.Organization(ctx, id)
		if err != nil {
			return nil, err
		}
		if org.Kind == identity.KindInstitution {
			orgs = append(orgs, org)
		}
	}
	return orgs, nil
}

// Tag is the grant's status tag modifier.
func (g grantRow) Tag() string { return statusTag(string(g.State)) }
