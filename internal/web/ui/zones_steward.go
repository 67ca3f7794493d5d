package ui

import (
	"net/http"
	"net/url"
	"strings"

	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/zones"
)

// The steward's desk of a zone, for the members of its steward
// institution and the platform's operators: the operators'
// applications (decided on each application's page), the results
// waiting in review, the authorisations with their budgets (revoked
// here), and every operator's usage.

// zoneApplicationRow is one application on the desk.
type zoneApplicationRow struct {
	A    zones.Application
	Org  identity.Organization
	Link string
}

// zoneAuthorisationRow is one authorisation on the desk.
type zoneAuthorisationRow struct {
	A       zones.Authorisation
	Org     identity.Organization
	Period  string
	Budgets []budgetView
}

// zoneStewardData is the steward's desk.
type zoneStewardData struct {
	Nav            zoneNav
	Applications   []zoneApplicationRow
	Review         []zoneQueryRow
	Authorisations []zoneAuthorisationRow
	Usage          []usageView
	CanRevoke      bool   // the steward's admins and platform operators (zones.CanManage)
	Revoke         string // the authorisation whose revocation was refused
	Reason         string
	Errors         formErrors
}

// zoneStewardPage shows the desk; 403 to anyone but the steward's
// members and the platform's operators.
func (s *server) zoneStewardPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.loadSteward(r)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, http.StatusOK, "zones_steward", d)
}

func (s *server) loadSteward(r *http.Request) (zoneStewardData, error) {
	ctx, lang := r.Context(), langOf(r)
	p, err := requireUser(r)
	if err != nil {
		return zoneStewardData{}, err
	}
	z, err := s.zoneFor(r)
	if err != nil {
		return zoneStewardData{}, err
	}
	if !zoneSteward(p, z) {
		return zoneStewardData{}, identity.ErrForbidden
	}
	nav, _ := s.zoneNavFor(r, z, "steward")
	d := zoneStewardData{Nav: nav, CanRevoke: zones.CanManage(p, z)}
	n := newNames(s, ctx, p)
	apps, err := s.acc.Zones.Applications(ctx, p, zones.ApplicationFilter{ZoneID: z.ID})
	if err != nil {
		return d, err
	}
	for _, a := range apps {
		d.Applications = append(d.Applications, zoneApplicationRow{A: a, Org: n.org(a.OperatorOrgID),
			Link: zonePath(z) + "/applications/" + url.PathEscape(a.ID)})
	}
	if d.Review, err = s.zoneQueryRows(ctx, p, z, zones.QueryReview); err != nil {
		return d, err
	}
	auths, err := s.acc.Zones.Authorisations(ctx, p, z.ID)
	if err != nil {
		return d, err
	}
	tables := s.schemaTables(ctx, p, lang, z, nil)
	for _, a := range auths {
		row := zoneAuthorisationRow{A: a, Org: n.org(a.OperatorOrgID), Period: periodText(a.ValidFrom, a.ValidUntil)}
		for _, b := range a.Budgets {
			row.Budgets = append(row.Budgets, newBudgetView(b, tableTitle(tables, b.ResourceID)))
		}
		d.Authorisations = append(d.Authorisations, row)
	}
	usage, err := s.acc.Zones.Usage(ctx, p, z.ID)
	if err != nil {
		return d, err
	}
	for _, u := range usage {
		d.Usage = append(d.Usage, newUsageView(u, n.org(u.OperatorOrgID)))
	}
	return d, nil
}

// zoneRevoke revokes an authorisation at once (field: revoke_reason); a problem
// shows the desk again with it beside the authorisation's form (422).
func (s *server) zoneRevoke(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	z, err := s.zoneFor(r)
	if err != nil {
		return err
	}
	id, reason := r.PathValue("id"), strings.TrimSpace(r.PostForm.Get("revoke_reason"))
	a, err := s.acc.Zones.Authorisation(r.Context(), p, id)
	if err != nil {
		return err
	}
	if a.ZoneID != z.ID {
		return store.ErrNotFound
	}
	_, err = s.acc.Zones.Revoke(r.Context(), p, id, reason)
	if err == nil {
		return seeOther(w, r, zonePath(z)+"/steward", "zone_revoked")
	}
	errs := fieldErrors(err)
	if errs == nil {
		return err
	}
	d, lerr := s.loadSteward(r)
	if lerr != nil {
		return lerr
	}
	d.Revoke, d.Reason, d.Errors = id, reason, zoneErrors(langOf(r), errs, map[string]string{"reason": "revoke_reason"})
	return s.render(w, r, http.StatusUnprocessableEntity, "zones_steward", d)
}
