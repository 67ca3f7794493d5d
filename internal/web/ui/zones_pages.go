package ui

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/validate"
	"dataport/internal/web/problem"
	"dataport/internal/zones"
)

// The zones' public pages and an operator's application: the list of
// zones, a zone's page (its steward, member resources with each item's
// role and bounds, its rules in plain words, kept outputs), the
// application form and an application's page with its review.

// zoneRow is one zone in the list.
type zoneRow struct {
	Z         zones.Zone
	Name      string
	Steward   identity.Organization
	Resources int
}

// zonesData is the list of zones.
type zonesData struct {
	Domain string
	Rows   []zoneRow
	Pager  pager
}

// Domains are the list's filter choices.
func (zonesData) Domains() []zones.Domain { return zones.Domains }

// zonesPage lists the zones, by domain.
func (s *server) zonesPage(w http.ResponseWriter, r *http.Request) error {
	ctx, p, lang, q := r.Context(), principal(r), langOf(r), r.URL.Query()
	d := zonesData{Domain: q.Get("domain")}
	list, next, err := s.acc.Zones.List(ctx, p, zones.ListFilter{Domain: zones.Domain(d.Domain), Cursor: q.Get("cursor")})
	if err != nil {
		return err
	}
	n := newNames(s, ctx, p)
	for _, z := range list {
		d.Rows = append(d.Rows, zoneRow{Z: z, Name: zoneName(lang, z), Steward: n.org(z.StewardOrgID), Resources: len(z.Members)})
	}
	d.Pager = newPager("/zones", q, next)
	return s.render(w, r, http.StatusOK, "zones", d)
}

// zoneData is a zone's public page.
type zoneData struct {
	Nav          zoneNav
	Name         string
	Description  string
	Steward      identity.Organization
	Rules        []string
	Tables       []schemaTable
	Outputs      []zones.Output
	Applications []zones.Application // the viewer's organizations' applications
}

// zonePage shows a zone to anyone.
func (s *server) zonePage(w http.ResponseWriter, r *http.Request) error {
	ctx, p, lang := r.Context(), principal(r), langOf(r)
	z, err := s.zoneFor(r)
	if err != nil {
		return err
	}
	nav, _ := s.zoneNavFor(r, z, "zone")
	d := zoneData{Nav: nav, Name: zoneName(lang, z), Description: pick(lang, z.DescriptionZh, z.DescriptionEn),
		Steward: newNames(s, ctx, p).org(z.StewardOrgID), Rules: ruleWords(lang, z.Rules), Tables: s.schemaTables(ctx, p, lang, z, nil)}
	if d.Outputs, err = s.acc.Zones.Outputs(ctx, p, z.ID); err != nil && !denied(err) {
		return err
	}
	if !p.IsAnonymous() {
		if d.Applications, err = s.acc.Zones.Applications(ctx, p, zones.ApplicationFilter{ZoneID: z.ID, Mine: true}); err != nil && !denied(err) {
			return err
		}
	}
	return s.render(w, r, http.StatusOK, "zone", d)
}

// denied reports whether err refuses the viewer (rather than failing).
func denied(err error) bool {
	return errors.Is(err, identity.ErrForbidden) || errors.Is(err, identity.ErrUnauthenticated)
}

// zoneApplyForm is what the application form holds.
type zoneApplyInput struct {
	OrgID, Scenario, DocumentNo, DocumentTitle string
	ResourceIDs                                []string
	ValidFrom, ValidUntil, Epsilon             string
}

// zoneApplyData is the application form's page.
type zoneApplyData struct {
	Nav    zoneNav
	Orgs   []identity.Organization
	Tables []schemaTable
	Form   zoneApplyInput
	Budget string // the zone's budget per resource
	Errors formErrors
}

// zoneApplyForm shows the application form to members of companies and
// institutions (others are told who may apply).
func (s *server) zoneApplyForm(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	today := time.Now().In(beijing)
	form := zoneApplyInput{ValidFrom: today.Format(time.DateOnly), ValidUntil: today.AddDate(1, 0, 0).Format(time.DateOnly)}
	d, err := s.loadZoneApply(r, p, form)
	if err != nil {
		return err
	}
	for _, t := range d.Tables {
		d.Form.ResourceIDs = append(d.Form.ResourceIDs, t.M.ResourceID)
	}
	return s.render(w, r, http.StatusOK, "zones_apply", d)
}

func (s *server) loadZoneApply(r *http.Request, p identity.Principal, form zoneApplyInput) (zoneApplyData, error) {
	z, err := s.zoneFor(r)
	if err != nil {
		return zoneApplyData{}, err
	}
	nav, _ := s.zoneNavFor(r, z, "apply")
	d := zoneApplyData{Nav: nav, Tables: s.schemaTables(r.Context(), p, langOf(r), z, nil), Form: form, Budget: epsilonText(z.Rules.EpsilonBudget)}
	n := newNames(s, r.Context(), p)
	for _, id := range operatorOrgs(p, z) {
		d.Orgs = append(d.Orgs, n.org(id))
	}
	if d.Form.OrgID == "" && len(d.Orgs) > 0 {
		d.Form.OrgID = d.Orgs[0].ID
	}
	return d, nil
}

// zoneApply files the application. Form fields: csrf_token, org_id,
// scenario, document_no, document_title, zone_resources (repeated),
// valid_from, valid_until (YYYY-MM-DD), epsilon_budget (blank: the
// zone's). A problem shows the form again beside its input (422) and
// files nothing; so does an application of the organization still under
// review.
func (s *server) zoneApply(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	f := r.PostForm
	form := zoneApplyInput{OrgID: f.Get("org_id"), Scenario: f.Get("scenario"), DocumentNo: f.Get("document_no"), DocumentTitle: f.Get("document_title"),
		ResourceIDs: f["zone_resources"], ValidFrom: f.Get("valid_from"), ValidUntil: f.Get("valid_until"), Epsilon: f.Get("epsilon_budget")}
	in, errs := applicationInput(form)
	var a zones.Application
	if errs == nil {
		a, err = s.acc.Zones.Apply(r.Context(), p, r.PathValue("code"), in)
		if code, _ := problem.CodeOf(err); code == "application_open" {
			errs = validate.Errors{{Field: "org_id", Value: form.OrgID, Code: "zone_application_open", Message: err.Error()}}
		} else if errs = fieldErrors(err); errs == nil && err != nil {
			return err
		}
	}
	if errs != nil {
		d, lerr := s.loadZoneApply(r, p, form)
		if lerr != nil {
			return lerr
		}
		d.Errors = zoneErrors(langOf(r), errs, zoneApplyRenames)
		return s.render(w, r, http.StatusUnprocessableEntity, "zones_apply", d)
	}
	return seeOther(w, r, "/zones/"+url.PathEscape(r.PathValue("code"))+"/applications/"+url.PathEscape(a.ID), "zone_applied")
}

// zoneApplyRenames maps the application's fields to the form's inputs.
var zoneApplyRenames = map[string]string{"resource_ids": "zone_resources", "operator_org_id": "org_id"}

// zoneCodes are problem codes the zones' forms say otherwise than the
// rest of the UI, by input and code: a resource that is not the zone's
// is "not_member" in the domain, which elsewhere means an organization.
var zoneCodes = map[string]string{"zone_resources/not_member": "not_zone_resource"}

// applicationInput reads the form: dates are days in Beijing (the period
// ends at the end of its last day), the budget a decimal number.
func applicationInput(f zoneApplyInput) (zones.ApplicationInput, validate.Errors) {
	in := zones.ApplicationInput{OperatorOrgID: f.OrgID, Scenario: strings.TrimSpace(f.Scenario), DocumentNo: strings.TrimSpace(f.DocumentNo),
		DocumentTitle: strings.TrimSpace(f.DocumentTitle), ResourceIDs: f.ResourceIDs}
	var errs validate.Errors
	from, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(f.ValidFrom), beijing)
	if err != nil {
		errs.Add("valid_from", f.ValidFrom, validate.CodeDate, "must be a date written YYYY-MM-DD")
	}
	until, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(f.ValidUntil), beijing)
	if err != nil {
		errs.Add("valid_until", f.ValidUntil, validate.CodeDate, "must be a date written YYYY-MM-DD")
	}
	in.ValidFrom, in.ValidUntil = from.UTC(), until.AddDate(0, 0, 1).UTC()
	if eps := strings.TrimSpace(f.Epsilon); eps != "" {
		v, err := strconv.ParseFloat(eps, 64)
		if err != nil {
			errs.Add("epsilon_budget", f.Epsilon, validate.CodeNumber, "must be a number")
		}
		in.EpsilonBudget = v
	}
	if len(errs) > 0 {
		return in, errs
	}
	return in, nil
}

// zoneApplicationData is an application's page.
type zoneApplicationData struct {
	Nav       zoneNav
	A         zones.Application
	State     review.State
	Org       identity.Organization
	Tables    []schemaTable
	Period    string
	Steps     []stepRow
	CanReview bool
	Forms     caseForms
}

// zoneApplicationPage shows an application with its review, and the
// decision form to whoever may decide its step now.
func (s *server) zoneApplicationPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.loadZoneApplication(r, caseForms{})
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "zones_application", d)
}

func (s *server) loadZoneApplication(r *http.Request, forms caseForms) (zoneApplicationData, error) {
	p, err := requireUser(r)
	if err != nil {
		return zoneApplicationData{}, err
	}
	z, err := s.zoneFor(r)
	if err != nil {
		return zoneApplicationData{}, err
	}
	a, st, err := s.acc.Zones.Application(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return zoneApplicationData{}, err
	}
	if a.ZoneID != z.ID {
		return zoneApplicationData{}, store.ErrNotFound
	}
	nav, _ := s.zoneNavFor(r, z, "steward")
	d := zoneApplicationData{Nav: nav, A: a, State: st, Org: newNames(s, r.Context(), p).org(a.OperatorOrgID),
		Tables: s.schemaTables(r.Context(), p, langOf(r), z, a.ResourceIDs), Period: periodText(a.ValidFrom, a.ValidUntil),
		CanReview: st.CanReview(p), Forms: forms}
	d.Steps, err = s.stepRows(r.Context(), st.Steps)
	return d, err
}

// periodText writes a period [from, until) as its first and last days.
func periodText(from, until time.Time) string {
	return day(from) + " – " + day(until.Add(-time.Second))
}

// zoneApplicationReview records a reviewer's decision (fields: decision,
// comment); a problem shows the page again with it (422).
func (s *server) zoneApplicationReview(w http.ResponseWriter, r *http.Request) error {
	forms := caseForms{Decision: r.PostForm.Get("decision"), Comment: r.PostForm.Get("comment")}
	path := "/zones/" + url.PathEscape(r.PathValue("code")) + "/applications/" + url.PathEscape(r.PathValue("id"))
	return s.caseAction(w, r, path, func(p identity.Principal) (string, error) {
		if _, err := s.zoneFor(r); err != nil {
			return "", err
		}
		a, err := s.acc.Zones.DecideApplication(r.Context(), p, r.PathValue("id"), review.Decision(forms.Decision), forms.Comment)
		return "zone_application_" + a.Status, err
	}, func(forms caseForms) error {
		d, err := s.loadZoneApplication(r, forms)
		if err != nil {
			return err
		}
		return s.render(w, r, http.StatusUnprocessableEntity, "zones_application", d)
	}, forms)
}

// zoneCaseLink sends a review case's link to its page: an application's
// (/zones/applications/{id}) or a query's (/zones/queries/{id}) under its
// zone's code, as the viewer may see them; anything else is not found.
func (s *server) zoneCaseLink(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	ctx, id := r.Context(), r.PathValue("id")
	var zoneID string
	switch r.PathValue("kind") {
	case "applications":
		a, _, err := s.acc.Zones.Application(ctx, p, id)
		if err != nil {
			return err
		}
		zoneID = a.ZoneID
	case "queries":
		q, err := s.acc.Zones.Query(ctx, p, id)
		if err != nil {
			return err
		}
		zoneID = q.ZoneID
	default:
		return s.notFound(w, r)
	}
	z, err := s.acc.Zones.Get(ctx, p, zoneID)
	if err != nil {
		return err
	}
	http.Redirect(w, r, zonePath(z)+"/"+r.PathValue("kind")+"/"+url.PathEscape(id), http.StatusSeeOther)
	return nil
}

// zoneErrors translates errs for a zone form whose inputs rename some of
// the domain's fields.
func zoneErrors(lang string, errs validate.Errors, renames map[string]string) formErrors {
	out := make(validate.Errors, len(errs))
	for i, e := range errs {
		if to, ok := renames[fieldKey(e.Field)]; ok {
			e.Field = to
		}
		if code, ok := zoneCodes[fieldKey(e.Field)+"/"+e.Code]; ok {
			e.Code = code
		}
		out[i] = e
	}
	return newFormErrors(lang, out)
}
