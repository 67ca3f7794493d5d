package ui

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/portal"
	"dataport/internal/review"
	"dataport/internal/validate"
)

// The portal's public pages besides the catalog: data requests (数据需求征集),
// apps built on the data (应用成果展示) and news and notices. The forms'
// inputs have names of their own where the domain's field names would clash
// with another form's labels (formNames).

// formNames map the domain's field names to the inputs of one form.
type formNames map[string]string

var (
	requestNames = formNames{"description": "need_description", "organization_id": "holder_org"}
	answerNames  = formNames{"outcome": "answer_outcome", "answer": "answer_text", "resource_id": "answer_resource"}
	routeNames   = formNames{"organization_id": "route_org"}
	appNames     = formNames{"name": "app_name", "description": "app_description", "url": "app_url", "resource_ids": "app_resources",
		"organization_id": "app_org"}
	newsNames = formNames{"kind": "news_kind", "title": "news_title", "body": "news_body"}
)

// rename returns err's field problems under the form's input names; any
// other error as it is.
func (n formNames) rename(err error) error {
	errs := fieldErrors(err)
	if errs == nil {
		return err
	}
	out := make(validate.Errors, len(errs))
	for i, e := range errs {
		key, rest := e.Field, ""
		if j := strings.IndexAny(key, "[."); j > 0 {
			key, rest = key[:j], key[j:]
		}
		if to, ok := n[key]; ok {
			e.Field = to + rest
		}
		out[i] = e
	}
	return out
}

// formFailed renders page again with err's field problems (422), or returns
// err when it has none.
func (s *server) formFailed(w http.ResponseWriter, r *http.Request, err error, names formNames, name string, page func(formErrors) any) error {
	errs := fieldErrors(names.rename(err))
	if errs == nil {
		return err
	}
	return s.render(w, r, http.StatusUnprocessableEntity, name, page(newFormErrors(langOf(r), errs)))
}

// needRow is a data request with the institution it is addressed to.
type needRow struct {
	Request portal.DataRequest
	Org     identity.Organization
}

// dataRequestsPage is the data of the public list of data requests.
type dataRequestsPage struct {
	Status, Org  string
	Institutions []identity.Organization
	Rows         []needRow
	Pager        pager
}

// dataRequestsPage lists data requests, newest first, with their answers;
// ?status= and ?organization_id= filter it.
func (s *server) dataRequestsPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	page := dataRequestsPage{Status: q.Get("status"), Org: q.Get("organization_id")}
	if page.Status != string(portal.RequestPending) && page.Status != string(portal.RequestAnswered) {
		page.Status = ""
	}
	list, err := s.acc.Portal.Requests(r.Context(), portal.RequestFilter{Status: portal.RequestStatus(page.Status), OrganizationID: page.Org,
		Cursor: q.Get("cursor")})
	if err != nil {
		return err
	}
	if page.Rows, err = s.needRows(r.Context(), list.Items); err != nil {
		return err
	}
	if page.Institutions, err = s.institutions(r.Context()); err != nil {
		return err
	}
	page.Pager = newPager("/data-requests", q, list.NextCursor)
	return s.render(w, r, http.StatusOK, "data_requests", page)
}

func (s *server) needRows(ctx context.Context, reqs []portal.DataRequest) ([]needRow, error) {
	index, err := s.organizationIndex(ctx)
	if err != nil {
		return nil, err
	}
	rows := make([]needRow, len(reqs))
	for i, req := range reqs {
		rows[i] = needRow{Request: req, Org: index[req.OrganizationID]}
	}
	return rows, nil
}

// needForm is the data of the form that files a data request.
type needForm struct {
	Title, Description, Purpose, Org string
	Institutions                     []identity.Organization
	Errors                           formErrors
}

func (s *server) newDataRequestForm(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	insts, err := s.institutions(r.Context())
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "data_request_form", needForm{Org: r.URL.Query().Get("organization_id"), Institutions: insts})
}

// createDataRequest files a data request. Form fields: csrf_token, title,
// need_description, purpose, holder_org (optional).
func (s *server) createDataRequest(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	f := needForm{Title: r.PostForm.Get("title"), Description: r.PostForm.Get("need_description"), Purpose: r.PostForm.Get("purpose"),
		Org: r.PostForm.Get("holder_org")}
	req, err := s.acc.Portal.SubmitRequest(r.Context(), p, portal.DataRequestInput{Title: f.Title, Description: f.Description, Purpose: f.Purpose,
		OrganizationID: f.Org})
	if err != nil {
		insts, ierr := s.institutions(r.Context())
		if ierr != nil {
			return ierr
		}
		f.Institutions = insts
		return s.formFailed(w, r, err, requestNames, "data_request_form", func(fe formErrors) any { f.Errors = fe; return f })
	}
	return seeOther(w, r, "/data-requests/"+req.ID, "data_request_sent")
}

// dataRequestPage is the data of one data request's page.
type dataRequestPage struct {
	needRow
	Resource     catalog.Resource // the resource opened for it, when the viewer may see it
	HasResource  bool
	Answerer     identity.Organization
	Mine         bool
	CanAnswer    bool
	CanRoute     bool
	Institutions []identity.Organization // for routing
	Candidates   []catalog.Resource      // the institution's published resources, for the answer
	Outcomes     []portal.Outcome        // the answer form's choices
	Outcome      string                  // the answer form's values
	Answer       string
	AnswerRes    string
	RouteOrg     string
	Errors       formErrors
}

// loadDataRequest reads the request of the path and what its page shows p.
func (s *server) loadDataRequest(r *http.Request, p identity.Principal) (dataRequestPage, error) {
	ctx := r.Context()
	req, err := s.acc.Portal.Request(ctx, r.PathValue("id"))
	if err != nil {
		return dataRequestPage{}, err
	}
	rows, err := s.needRows(ctx, []portal.DataRequest{req})
	if err != nil {
		return dataRequestPage{}, err
	}
	page := dataRequestPage{needRow: rows[0], Mine: req.Mine(p), CanAnswer: portal.CanAnswer(p, req), CanRoute: portal.CanRoute(p, req),
		Outcomes: portal.Outcomes, Outcome: string(req.Outcome), Answer: req.Answer, AnswerRes: req.ResourceID}
	if req.ResourceID != "" {
		if res, err := s.catalog.Get(ctx, p, req.ResourceID); err == nil {
			page.Resource, page.HasResource = res, true
		}
	}
	if req.AnsweredByOrgID != "" {
		page.Answerer, _ = s.identity.Organization(ctx, req.AnsweredByOrgID)
	}
	if page.CanRoute {
		if page.Institutions, err = s.institutions(ctx); err != nil {
			return page, err
		}
	}
	if page.CanAnswer && req.OrganizationID != "" {
		list, err := s.catalog.List(ctx, p, catalog.Filter{OrganizationID: req.OrganizationID, Status: catalog.StatusPublished, Limit: 200})
		if err != nil {
			return page, err
		}
		page.Candidates = list.Items
	}
	return page, nil
}

func (s *server) dataRequestPage(w http.ResponseWriter, r *http.Request) error {
	page, err := s.loadDataRequest(r, principal(r))
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "data_request", page)
}

// answerDataRequest records an answer. Form fields: csrf_token,
// answer_outcome, answer_text, answer_resource (when opened).
func (s *server) answerDataRequest(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	in := portal.DataRequestAnswer{Outcome: portal.Outcome(r.PostForm.Get("answer_outcome")), Answer: r.PostForm.Get("answer_text"),
		ResourceID: r.PostForm.Get("answer_resource")}
	if _, err := s.acc.Portal.AnswerRequest(r.Context(), p, r.PathValue("id"), in); err != nil {
		page, lerr := s.loadDataRequest(r, p)
		if lerr != nil {
			return lerr
		}
		page.Outcome, page.Answer, page.AnswerRes = string(in.Outcome), in.Answer, in.ResourceID
		return s.formFailed(w, r, err, answerNames, "data_request", func(fe formErrors) any { page.Errors = fe; return page })
	}
	return seeOther(w, r, "/data-requests/"+r.PathValue("id"), "data_request_answered")
}

// routeDataRequest sends a request to an institution. Form fields:
// csrf_token, route_org.
func (s *server) routeDataRequest(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	org := r.PostForm.Get("route_org")
	if _, err := s.acc.Portal.RouteRequest(r.Context(), p, r.PathValue("id"), org); err != nil {
		page, lerr := s.loadDataRequest(r, p)
		if lerr != nil {
			return lerr
		}
		page.RouteOrg = org
		return s.formFailed(w, r, err, routeNames, "data_request", func(fe formErrors) any { page.Errors = fe; return page })
	}
	return seeOther(w, r, "/data-requests/"+r.PathValue("id"), "data_request_routed")
}

// appsPage is the data of the public showcase of apps.
type appsPage struct {
	Apps  []portal.App
	Pager pager
}

func (s *server) appsPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	apps, next, err := s.acc.Portal.PublishedApps(r.Context(), 24, q.Get("cursor"))
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "apps", appsPage{Apps: apps, Pager: newPager("/apps", q, next)})
}

// appForm is the data of the form that submits an app.
type appForm struct {
	Name, Description, URL, Resources, Org string
	Orgs                                   []identity.Organization // those the submitter acts for
	Errors                                 formErrors
}

func (s *server) newAppForm(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	f := appForm{}
	if id := r.URL.Query().Get("resource"); id != "" {
		if res, err := s.catalog.Get(r.Context(), p, id); err == nil {
			f.Resources = res.Code
		}
	}
	if f.Orgs, err = s.memberOrgs(r.Context(), p); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "app_form", f)
}

// memberOrgs are the organizations p belongs to.
func (s *server) memberOrgs(ctx context.Context, p identity.Principal) ([]identity.Organization, error) {
	var out []identity.Organization
	for _, id := range p.OrgIDs() {
		o, err := s.identity.Organization(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// createApp submits an app for review. Form fields: csrf_token, app_name,
// app_description, app_url, app_resources (catalog codes or dataset
// addresses, one a line or separated by commas), app_org.
func (s *server) createApp(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	f := appForm{Name: r.PostForm.Get("app_name"), Description: r.PostForm.Get("app_description"), URL: r.PostForm.Get("app_url"),
		Resources: r.PostForm.Get("app_resources"), Org: r.PostForm.Get("app_org")}
	in := portal.AppInput{Name: f.Name, Description: f.Description, URL: f.URL, OrganizationID: f.Org}
	ids, named := s.resourceIDs(r.Context(), p, f.Resources)
	in.ResourceIDs = ids
	if named == nil {
		a, err := s.acc.Portal.SubmitApp(r.Context(), p, in)
		if err == nil {
			return seeOther(w, r, "/apps/"+a.ID, "app_sent")
		}
		named = err
	} else if err := appNames.rename(s.acc.Portal.CheckApp(r.Context(), p, in)); fieldErrors(err) != nil {
		// The names that resolve to nothing stand for the resources' problems.
		others := slices.DeleteFunc(fieldErrors(err), func(e validate.FieldError) bool { return strings.HasPrefix(e.Field, "app_resources") })
		named = append(others, fieldErrors(named)...)
	}
	if f.Orgs, err = s.memberOrgs(r.Context(), p); err != nil {
		return err
	}
	return s.formFailed(w, r, named, appNames, "app_form", func(fe formErrors) any { f.Errors = fe; return f })
}

// resourceIDs resolves the resources a submitter named by catalog code or
// dataset address; a name that resolves to nothing is a field problem.
func (s *server) resourceIDs(ctx context.Context, p identity.Principal, text string) ([]string, error) {
	var ids []string
	var errs validate.Errors
	for _, name := range strings.FieldsFunc(text, func(r rune) bool { return strings.ContainsRune(" \t\r\n,，、;；", r) }) {
		if i := strings.LastIndex(name, "/"); i >= 0 {
			name = name[i+1:]
		}
		res, err := s.catalog.GetByCode(ctx, p, strings.ToUpper(name))
		if err != nil {
			if res, err = s.catalog.Get(ctx, p, name); err != nil {
				errs.Add("app_resources", name, validate.CodeUnknown, "names no resource: %s", name)
				continue
			}
		}
		ids = append(ids, res.ID)
	}
	return ids, errs.Err()
}

// appPage is the data of one app's page.
type appPage struct {
	App       portal.App
	Resources []catalog.Resource
	Submitter identity.Organization
	CanReview bool
	Decision  string
	Comment   string
	Errors    formErrors
}

func (s *server) loadApp(r *http.Request, p identity.Principal) (appPage, error) {
	ctx := r.Context()
	a, err := s.acc.Portal.App(ctx, p, r.PathValue("id"))
	if err != nil {
		return appPage{}, err
	}
	page := appPage{App: a, CanReview: a.CanReview(p)}
	for _, id := range a.ResourceIDs {
		if res, err := s.catalog.Get(ctx, p, id); err == nil {
			page.Resources = append(page.Resources, res)
		}
	}
	if a.SubmitterOrgID != "" {
		if o, err := s.identity.Organization(ctx, a.SubmitterOrgID); err == nil && o.Kind != identity.KindIndividual {
			page.Submitter = o // a person's own account is not named in public
		}
	}
	return page, nil
}

func (s *server) appPage(w http.ResponseWriter, r *http.Request) error {
	page, err := s.loadApp(r, principal(r))
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "app", page)
}

// reviewApp decides an app. Form fields: csrf_token, decision (approve or
// reject), comment (required to reject).
func (s *server) reviewApp(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	d, comment := review.Decision(r.PostForm.Get("decision")), r.PostForm.Get("comment")
	if _, err := s.acc.Portal.Apps.Decide(r.Context(), p, r.PathValue("id"), d, comment); err != nil {
		page, lerr := s.loadApp(r, p)
		if lerr != nil {
			return lerr
		}
		page.Decision, page.Comment = string(d), comment
		return s.formFailed(w, r, err, nil, "app", func(fe formErrors) any { page.Errors = fe; return page })
	}
	return seeOther(w, r, "/apps/"+r.PathValue("id"), "app_decided")
}

// newsPage is the data of the list of news and notices.
type newsPage struct {
	Kind       string
	Items      []portal.News
	Pager      pager
	CanPublish bool
}

func (s *server) newsPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	page := newsPage{Kind: q.Get("kind"), CanPublish: portal.IsStaff(principal(r))}
	if page.Kind != string(portal.KindNews) && page.Kind != string(portal.KindNotice) {
		page.Kind = ""
	}
	items, next, err := s.acc.Portal.NewsList(r.Context(), portal.NewsKind(page.Kind), 20, q.Get("cursor"))
	if err != nil {
		return err
	}
	page.Items, page.Pager = items, newPager("/news", q, next)
	return s.render(w, r, http.StatusOK, "news", page)
}

// newsItemPage is the data of one item's page.
type newsItemPage struct {
	Item       portal.News
	CanPublish bool
}

func (s *server) newsItemPage(w http.ResponseWriter, r *http.Request) error {
	n, err := s.acc.Portal.NewsItem(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "news_item", newsItemPage{Item: n, CanPublish: portal.IsStaff(principal(r))})
}

// newsForm is the data of the form that writes or edits an item.
type newsForm struct {
	ID, Kind, Title, Body string
	Errors                formErrors
}

// Kinds are the form's choices of kind.
func (newsForm) Kinds() []portal.NewsKind { return portal.NewsKinds }

// staff returns the signed-in platform staff member who publishes news.
func staff(r *http.Request) (identity.Principal, error) {
	p, err := requireUser(r)
	if err == nil && !portal.IsStaff(p) {
		err = identity.ErrForbidden
	}
	return p, err
}

func (s *server) newNewsForm(w http.ResponseWriter, r *http.Request) error {
	if _, err := staff(r); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "news_form", newsForm{Kind: string(portal.KindNews)})
}

func (s *server) editNewsForm(w http.ResponseWriter, r *http.Request) error {
	if _, err := staff(r); err != nil {
		return err
	}
	n, err := s.acc.Portal.NewsItem(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "news_form", newsForm{ID: n.ID, Kind: string(n.Kind), Title: n.Title, Body: n.Body})
}

// newsInput reads the news form: news_kind, news_title, news_body.
func newsInput(r *http.Request) (portal.NewsInput, newsForm) {
	f := newsForm{ID: r.PathValue("id"), Kind: r.PostForm.Get("news_kind"), Title: r.PostForm.Get("news_title"), Body: r.PostForm.Get("news_body")}
	return portal.NewsInput{Kind: portal.NewsKind(f.Kind), Title: f.Title, Body: f.Body}, f
}

func (s *server) createNews(w http.ResponseWriter, r *http.Request) error {
	p, err := staff(r)
	if err != nil {
		return err
	}
	in, f := newsInput(r)
	n, err := s.acc.Portal.PublishNews(r.Context(), p, in)
	if err != nil {
		return s.formFailed(w, r, err, newsNames, "news_form", func(fe formErrors) any { f.Errors = fe; return f })
	}
	return seeOther(w, r, "/news/"+n.ID, "news_published")
}

func (s *server) editNews(w http.ResponseWriter, r *http.Request) error {
	p, err := staff(r)
	if err != nil {
		return err
	}
	in, f := newsInput(r)
	if _, err := s.acc.Portal.UpdateNews(r.Context(), p, f.ID, in); err != nil {
		return s.formFailed(w, r, err, newsNames, "news_form", func(fe formErrors) any { f.Errors = fe; return f })
	}
	return seeOther(w, r, "/news/"+f.ID, "news_updated")
}

func (s *server) withdrawNews(w http.ResponseWriter, r *http.Request) error {
	p, err := staff(r)
	if err != nil {
		return err
	}
	if err := s.acc.Portal.WithdrawNews(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	return seeOther(w, r, "/news", "news_withdrawn")
}
