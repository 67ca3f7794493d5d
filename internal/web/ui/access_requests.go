package ui

import (
	"context"
	"net/http"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/validate"
)

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

// fileRequest reads the posted form of kind and files it through file,
// which returns the new request's ID, then shows the request. Refused
// fields show the form again, with the domain's orgField shown at the
// form's org_id.
func (s *server) fileRequest(w http.ResponseWriter, r *http.Request, kind, orgField string,
	file func(p identity.Principal, f requestForm, days int) (string, error)) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	f := readRequestForm(r, kind)
	var errs validate.Errors
	days := whole(&errs, "duration_days", f.Days)
	if len(errs) == 0 {
		id, err := file(p, f, days)
		if err == nil {
			return seeOther(w, r, requestPath(kind, id), "request_sent")
		}
		if errs = fieldErrors(err); errs == nil {
			return err
		}
	}
	f.Errors = newFormErrors(langOf(r), renameFields(errs, map[string]string{orgField: "org_id"}))
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

// showRequests renders the list page of kind, with rows(side) for each
// of its sides: "queue" (what waits for the user's review), "sent" and
// "received".
func (s *server) showRequests(w http.ResponseWriter, r *http.Request, kind string, rows func(n *names, side string) ([]requestRow, error)) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	page := requestsPage{Kind: kind}
	n := newNames(s, r.Context(), p)
	for _, side := range []struct {
		name string
		rows *[]requestRow
	}{{"queue", &page.Queue}, {"sent", &page.Sent}, {"received", &page.Received}} {
		if *side.rows, err = rows(n, side.name); err != nil {
			return err
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
	// CanAnswer: the request waits for the viewer's organization to answer
	// a request for more material, by AnswerDueAt.
	CanAnswer   bool
	AnswerDueAt *time.Time
	Review      reviewForm
	Text        string // the question or answer being written, shown again with its errors
	Errors      formErrors
}

// requestPath is the address of the request (or application) id of kind.
func requestPath(kind, id string) string {
	if kind == kindShare {
		return "/share-requests/" + id
	}
	return "/applications/" + id
}

// Path is the page's address, the base of its forms' actions.
func (p requestPage) Path() string { return requestPath(p.Kind, p.ID) }

// stepRow is a history step with the username of whoever took it.
type stepRow struct {
	review.Entry
	Who string
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

// reviewRequest records the verdict of the form (fields: csrf_token,
// decision, comment) on the request of kind through decide, which returns the request's new
// status. A refused verdict shows the request's page, loaded by load, with
// the form and its errors.
func (s *server) reviewRequest(w http.ResponseWriter, r *http.Request, kind string, load func(*http.Request, identity.Principal) (requestPage, error),
	decide func(identity.Principal, reviewForm) (string, error)) error {
	form := reviewForm{Decision: r.PostForm.Get("decision"), Comment: r.PostForm.Get("comment")}
	return s.requestForm(w, r, kind, load, func(p identity.Principal) (string, error) {
		status, err := decide(p, form)
		return "request_" + status, err
	}, func(page *requestPage) { page.Review = form })
}

// requestForm runs a form posted on a request's page: act does it as the
// signed-in user and names the banner of the page it returns to. A refusal
// with field problems shows the page again, loaded by load, with refill
// putting back what was typed, and the problems.
func (s *server) requestForm(w http.ResponseWriter, r *http.Request, kind string, load func(*http.Request, identity.Principal) (requestPage, error),
	act func(identity.Principal) (string, error), refill func(*requestPage)) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	done, err := act(p)
	if errs := fieldErrors(err); errs != nil {
		page, err := load(r, p)
		if err != nil {
			return err
		}
		refill(&page)
		page.Errors = newFormErrors(langOf(r), errs)
		return s.render(w, r, http.StatusUnprocessableEntity, "request", page)
	} else if err != nil {
		return err
	}
	return seeOther(w, r, requestPath(kind, r.PathValue("id")), done)
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
