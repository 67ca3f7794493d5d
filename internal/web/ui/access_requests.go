package ui

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/notify"
	"dataport/internal/opening"
	"dataport/internal/review"
	"dataport/internal/sharing"
	"dataport/internal/validate"
)

// AccessServices are the services behind the sharing, opening, grant and
// notification pages.
type AccessServices struct {
	Access  *access.Service
	Sharing *sharing.Service
	Opening *opening.Service
	Notify  *notify.Service
}

// The two request workflows — share requests between institutions and
// open applications from companies and persons — share their pages: a
// form, a list with review deadlines, and a page with history and actions.

// Request kinds as the pages name them.
const (
	kindShare = "share"
	kindOpen  = "open"
)

// requestForm is the data of the request and application forms.
type requestForm struct {
	Kind     string
	Resource catalog.Resource
	Provider identity.Organization
	Orgs     []identity.Organization // the organizations the user may act for
	OrgID    string
	Purpose  string
	Basis    string // legal basis (share) or scenario (open)
	Measures string // security measures (open)
	Fields   []string
	Days     string
	Errors   formErrors
}

// newShareRequest shows the share request form for ?resource_id=.
func (s *server) newShareRequest(w http.ResponseWriter, r *http.Request) error {
	return s.showRequestForm(w, r, http.StatusOK, requestForm{Kind: kindShare, Days: "90"})
}

// newApplication shows the open application form for ?resource_id=.
func (s *server) newApplication(w http.ResponseWriter, r *http.Request) error {
	return s.showRequestForm(w, r, http.StatusOK, requestForm{Kind: kindOpen, Days: "180"})
}

// showRequestForm fills f with the resource and the user's organizations.
func (s *server) showRequestForm(w http.ResponseWriter, r *http.Request, status int, f requestForm) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	id := r.URL.Query().Get("resource_id")
	if r.Method == http.MethodPost {
		id = r.PostForm.Get("resource_id")
	}
	if f.Resource, err = s.catalog.Get(r.Context(), p, id); err != nil {
		return err
	}
	if f.Provider, err = s.identity.Organization(r.Context(), f.Resource.OrganizationID); err != nil {
		return err
	}
	for _, m := range p.Memberships {
		org, err := s.identity.Organization(r.Context(), m.OrganizationID)
		if err != nil {
			return err
		}
		institution := org.Kind == identity.KindInstitution || org.Kind == identity.KindOperator
		if org.ID != f.Resource.OrganizationID && institution == (f.Kind == kindShare) {
			f.Orgs = append(f.Orgs, org)
		}
	}
	if f.OrgID == "" && len(f.Orgs) > 0 {
		f.OrgID = f.Orgs[0].ID
	}
	return s.render(w, r, status, "request_form", f)
}

// readRequestForm reads the posted form of kind.
func readRequestForm(r *http.Request, kind string) requestForm {
	pf := r.PostForm
	return requestForm{Kind: kind, OrgID: pf.Get("org_id"), Purpose: pf.Get("purpose"), Basis: pf.Get("legal_basis") + pf.Get("scenario"),
		Measures: pf.Get("security_measures"), Fields: pf["fields"], Days: pf.Get("duration_days")}
}

// createShareRequest files a share request. Form fields: csrf_token,
// resource_id, org_id, purpose, legal_basis, fields, duration_days.
func (s *server) createShareRequest(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	f := readRequestForm(r, kindShare)
	var errs validate.Errors
	days := whole(&errs, "duration_days", f.Days)
	if len(errs) == 0 {
		req, err := s.acc.Sharing.Create(r.Context(), p, sharing.RequestInput{ResourceID: r.PostForm.Get("resource_id"), RequesterOrgID: f.OrgID,
			Purpose: f.Purpose, LegalBasis: f.Basis, Fields: f.Fields, DurationDays: days})
		if err == nil {
			return seeOther(w, r, "/share-requests/"+req.ID, "request_sent")
		}
		if errs = fieldErrors(err); errs == nil {
			return err
		}
	}
	f.Errors = newFormErrors(langOf(r), renameFields(errs, map[string]string{"requester_org_id": "org_id"}))
	return s.showRequestForm(w, r, http.StatusUnprocessableEntity, f)
}

// createApplication files an open application. Form fields: csrf_token,
// resource_id, org_id, purpose, scenario, security_measures,
// fields, duration_days.
func (s *server) createApplication(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	f := readRequestForm(r, kindOpen)
	var errs validate.Errors
	days := whole(&errs, "duration_days", f.Days)
	if len(errs) == 0 {
		a, err := s.acc.Opening.Apply(r.Context(), p, opening.ApplicationInput{ResourceID: r.PostForm.Get("resource_id"), ApplicantOrgID: f.OrgID,
			Purpose: f.Purpose, Scenario: f.Basis, SecurityMeasures: f.Measures, Fields: f.Fields, DurationDays: days})
		if err == nil {
			return seeOther(w, r, "/applications/"+a.ID, "request_sent")
		}
		if errs = fieldErrors(err); errs == nil {
			return err
		}
	}
	f.Errors = newFormErrors(langOf(r), renameFields(errs, map[string]string{"applicant_org_id": "org_id"}))
	return s.showRequestForm(w, r, http.StatusUnprocessableEntity, f)
}

// renameFields points domain fields at the inputs of a shared form.
func renameFields(errs validate.Errors, names map[string]string) validate.Errors {
	out := make(validate.Errors, len(errs))
	for i, e := range errs {
		if to, ok := names[fieldKey(e.Field)]; ok {
			e.Field = to
		}
		out[i] = e
	}
	return out
}

// requestRow is one line of a request list.
type requestRow struct {
	Link      string
	Resource  catalog.Resource
	Requester identity.Organization
	Provider  identity.Organization
	Status    string
	DueAt     *time.Time
	Overdue   bool
	Escalated bool
	CreatedAt time.Time
}

// requestsPage is a list page: what waits for the user's review, and what
// their organizations sent and received.
type requestsPage struct {
	Kind                  string
	Queue, Sent, Received []requestRow
}

// shareRequests lists the user's share requests.
func (s *server) shareRequests(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	page := requestsPage{Kind: kindShare}
	names := newNames(s, r.Context(), p)
	for _, side := range []struct {
		name string
		rows *[]requestRow
	}{{"queue", &page.Queue}, {"sent", &page.Sent}, {"received", &page.Received}} {
		list, err := s.acc.Sharing.List(r.Context(), p, sharing.Filter{Side: side.name, Limit: 200})
		if err != nil {
			return err
		}
		for _, req := range list {
			*side.rows = append(*side.rows, names.row("/share-requests/"+req.ID, req.ResourceID, req.RequesterOrgID, req.ProviderOrgID,
				string(req.Status), req.DueAt, req.Overdue(time.Now()), req.EscalatedAt != nil, req.CreatedAt))
		}
	}
	return s.render(w, r, http.StatusOK, "requests", page)
}

// applications lists the user's open applications.
func (s *server) applications(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	page := requestsPage{Kind: kindOpen}
	names := newNames(s, r.Context(), p)
	for _, side := range []struct {
		name string
		rows *[]requestRow
	}{{"queue", &page.Queue}, {"sent", &page.Sent}, {"received", &page.Received}} {
		list, err := s.acc.Opening.Applications(r.Context(), p, opening.Filter{Side: side.name, Limit: 200})
		if err != nil {
			return err
		}
		for _, a := range list {
			*side.rows = append(*side.rows, names.row("/applications/"+a.ID, a.ResourceID, a.ApplicantOrgID, a.ProviderOrgID,
				string(a.Status), a.DueAt, a.Overdue(time.Now()), a.EscalatedAt != nil, a.CreatedAt))
		}
	}
	return s.render(w, r, http.StatusOK, "requests", page)
}

// names looks up organizations and resources once per page.
type names struct {
	s    *server
	ctx  context.Context
	p    identity.Principal
	orgs map[string]identity.Organization
	res  map[string]catalog.Resource
	who  map[string]string
}

func newNames(s *server, ctx context.Context, p identity.Principal) *names {
	return &names{s: s, ctx: ctx, p: p, orgs: map[string]identity.Organization{}, res: map[string]catalog.Resource{}}
}

func (n *names) org(id string) identity.Organization {
	if o, ok := n.orgs[id]; ok {
		return o
	}
	o, err := n.s.identity.Organization(n.ctx, id)
	if err != nil {
		o = identity.Organization{ID: id, NameZh: id}
	}
	n.orgs[id] = o
	return o
}

func (n *names) resource(id string) catalog.Resource {
	if r, ok := n.res[id]; ok {
		return r
	}
	r, err := n.s.catalog.Get(n.ctx, n.p, id)
	if err != nil {
		r = catalog.Resource{ID: id, Code: id}
		r.TitleZh = id
	}
	n.res[id] = r
	return r
}

func (n *names) row(link, resourceID, requesterID, providerID, status string, due *time.Time, overdue, escalated bool, created time.Time) requestRow {
	return requestRow{Link: link, Resource: n.resource(resourceID), Requester: n.org(requesterID), Provider: n.org(providerID),
		Status: status, DueAt: due, Overdue: overdue, Escalated: escalated, CreatedAt: created}
}

// requestPage is one request or application with its history and actions.
type requestPage struct {
	Kind                   string
	ID                     string
	Status                 string
	Resource               catalog.Resource
	Requester, Provider    identity.Organization
	Purpose, Basis         string // legal basis or scenario
	Measures               string
	Fields                 []string
	DurationDays           int
	DueAt, EscalatedAt     *time.Time
	Overdue, NeedsOperator bool
	GrantID, Reason        string
	Agreement, AgreeHash   string
	Steps                  []stepRow
	CanReview, CanWithdraw bool
	Review                 reviewForm
	Errors                 formErrors
}

// stepRow is a history step with the username of whoever took it.
type stepRow struct {
	review.Entry
	Who string
}

// shareRequestPage shows one share request.
func (s *server) shareRequestPage(w http.ResponseWriter, r *http.Request) error {
	page, err := s.loadShareRequest(r, principal(r))
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "request", page)
}

func (s *server) loadShareRequest(r *http.Request, p identity.Principal) (requestPage, error) {
	if p.IsAnonymous() {
		return requestPage{}, identity.ErrUnauthenticated
	}
	req, err := s.acc.Sharing.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return requestPage{}, err
	}
	n := newNames(s, r.Context(), p)
	page := requestPage{Kind: kindShare, ID: req.ID, Status: string(req.Status), Resource: n.resource(req.ResourceID),
		Requester: n.org(req.RequesterOrgID), Provider: n.org(req.ProviderOrgID), Purpose: req.Purpose, Basis: req.LegalBasis,
		Fields: req.Fields, DurationDays: req.DurationDays, DueAt: req.DueAt, EscalatedAt: req.EscalatedAt, Overdue: req.Overdue(time.Now()),
		NeedsOperator: req.NeedsOperator, GrantID: req.GrantID, Reason: req.Reason,
		CanWithdraw: req.CanWithdraw(p), CanReview: req.CanReview(p)}
	page.Steps, err = s.stepRows(r.Context(), req.Steps)
	return page, err
}

// applicationPage shows one open application.
func (s *server) applicationPage(w http.ResponseWriter, r *http.Request) error {
	page, err := s.loadApplication(r, principal(r))
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "request", page)
}

func (s *server) loadApplication(r *http.Request, p identity.Principal) (requestPage, error) {
	if p.IsAnonymous() {
		return requestPage{}, identity.ErrUnauthenticated
	}
	a, err := s.acc.Opening.Application(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return requestPage{}, err
	}
	n := newNames(s, r.Context(), p)
	page := requestPage{Kind: kindOpen, ID: a.ID, Status: string(a.Status), Resource: n.resource(a.ResourceID),
		Requester: n.org(a.ApplicantOrgID), Provider: n.org(a.ProviderOrgID), Purpose: a.Purpose, Basis: a.Scenario,
		Measures: a.SecurityMeasures, Fields: a.Fields, DurationDays: a.DurationDays, DueAt: a.DueAt, EscalatedAt: a.EscalatedAt,
		Overdue: a.Overdue(time.Now()), NeedsOperator: true, GrantID: a.GrantID, Reason: a.Reason, Agreement: a.Agreement,
		AgreeHash: a.AgreementHash, CanWithdraw: a.CanWithdraw(p), CanReview: a.CanReview(p)}
	page.Steps, err = s.stepRows(r.Context(), a.Steps)
	return page, err
}

func (s *server) stepRows(ctx context.Context, steps []review.Entry) ([]stepRow, error) {
	ids := make([]string, len(steps))
	for i, st := range steps {
		ids[i] = st.ActorID
	}
	who, err := s.identity.Usernames(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]stepRow, len(steps))
	for i, st := range steps {
		out[i] = stepRow{Entry: st, Who: who[st.ActorID]}
	}
	return out, nil
}

// reviewShareRequest records a verdict. Form fields: csrf_token, decision (approve|reject), comment.
func (s *server) reviewShareRequest(w http.ResponseWriter, r *http.Request) error {
	return s.reviewRequest(w, r, kindShare)
}

// reviewApplication records a verdict. Form fields: csrf_token, decision (approve|reject), comment.
func (s *server) reviewApplication(w http.ResponseWriter, r *http.Request) error {
	return s.reviewRequest(w, r, kindOpen)
}

func (s *server) reviewRequest(w http.ResponseWriter, r *http.Request, kind string) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	form := reviewForm{Decision: r.PostForm.Get("decision"), Comment: r.PostForm.Get("comment")}
	id, d := r.PathValue("id"), review.Decision(form.Decision)
	var status, path string
	if kind == kindShare {
		var req sharing.Request
		req, err = s.acc.Sharing.Review(r.Context(), p, id, d, form.Comment)
		status, path = string(req.Status), "/share-requests/"+id
	} else {
		var a opening.Application
		a, err = s.acc.Opening.Review(r.Context(), p, id, d, form.Comment)
		status, path = string(a.Status), "/applications/"+id
	}
	if errs := fieldErrors(err); errs != nil {
		load := s.loadShareRequest
		if kind == kindOpen {
			load = s.loadApplication
		}
		page, err := load(r, p)
		if err != nil {
			return err
		}
		page.Review, page.Errors = form, newFormErrors(langOf(r), errs)
		return s.render(w, r, http.StatusUnprocessableEntity, "request", page)
	} else if err != nil {
		return err
	}
	return seeOther(w, r, path, "request_"+status)
}

// withdrawShareRequest withdraws a share request. Form fields: csrf_token.
func (s *server) withdrawShareRequest(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	if _, err := s.acc.Sharing.Withdraw(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	return seeOther(w, r, "/share-requests/"+r.PathValue("id"), "request_withdrawn")
}

// withdrawApplication withdraws an open application. Form fields: csrf_token.
func (s *server) withdrawApplication(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	if _, err := s.acc.Opening.Withdraw(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	return seeOther(w, r, "/applications/"+r.PathValue("id"), "request_withdrawn")
}

// yearParam reads ?year=, defaulting to this year in Beijing.
func yearParam(r *http.Request) int {
	if y, err := strconv.Atoi(r.URL.Query().Get("year")); err == nil && y >= 2000 && y <= 2100 {
		return y
	}
	return time.Now().In(beijing).Year()
}

// statusTag is the CSS modifier of a status tag: the catalog's colours
// reused for the workflows' states.
func statusTag(status string) string {
	switch status {
	case "granted", "active", "opened", "published":
		return "published"
	case "rejected", "revoked", "expired", "late":
		return "returned"
	case "provider_review", "operator_review", "pending":
		return "submitted"
	}
	return "draft"
}

// Tag is the row's status tag modifier.
func (r requestRow) Tag() string { return statusTag(r.Status) }

// Tag is the page's status tag modifier.
func (p requestPage) Tag() string { return statusTag(p.Status) }
