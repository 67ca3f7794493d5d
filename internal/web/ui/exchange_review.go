package ui

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"dataport/internal/exchange"
	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/web/ui/i18n"
)

// The exchange's review desk: what waits for the staff and the law firms —
// participants' applications, listing reviews (double vetting, each
// reviewer with a checklist over basic information, legality and
// tradability) and asset registrations — and the pages of one application
// and one listing review with their forms.

// deskRow is one case on the desk.
type deskRow struct {
	Link, Title, Party, Status string
	DueAt                      *time.Time
	Overdue                    bool
	Exchange, LawFirm          string // listing reviews: each reviewer's checklist ("", draft, approve, reject)
}

// Tag is the status tag's CSS modifier.
func (r deskRow) Tag() string { return participantTag(r.Status) }

// deskData is the review desk.
type deskData struct {
	Nav           exchangeNav
	Staff         bool
	Applications  []deskRow
	Listings      []deskRow
	Registrations []deskRow
	Open          []deskRow // every listing review under way (staff)
}

// reviewDesk shows the viewer's queues: to the exchange's staff and to the
// members of admitted law firms; anyone else is refused.
func (s *server) reviewDesk(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	d := deskData{Nav: s.exchangeNavFor(r, "review"), Staff: exchange.CanStaff(p)}
	if !d.Nav.Staff && !d.Nav.LawFirm {
		return identity.ErrForbidden
	}
	ctx, now, n := r.Context(), time.Now(), newNames(s, r.Context(), p)
	queue := review.Filter{Side: "queue", Limit: 200}
	apps, err := s.acc.Exchange.ApplicationReviews().List(ctx, p, queue)
	if err != nil {
		return err
	}
	for _, a := range apps {
		d.Applications = append(d.Applications, deskRow{Link: "/exchange/applications/" + a.ID, Title: orgNameIn(r, n.org(a.OrgID)),
			Status: string(a.Status), DueAt: a.DueAt, Overdue: a.Overdue(now)})
	}
	if d.Listings, err = s.listingRows(ctx, p, n, queue, now); err != nil {
		return err
	}
	if d.Staff {
		if d.Open, err = s.listingRows(ctx, p, n, review.Filter{Status: exchange.ComplianceReview, Limit: 200}, now); err != nil {
			return err
		}
	}
	if s.acc.Assets != nil {
		regs, err := s.acc.Assets.Registrations.List(ctx, p, queue)
		if err != nil {
			return err
		}
		for _, reg := range regs {
			d.Registrations = append(d.Registrations, deskRow{Link: "/exchange/registrations/" + reg.ID,
				Title: i18n.T(langOf(r), "exchange.regtype."+string(reg.Type)) + " · " + n.productTitle(reg.ProductID), Party: reg.HolderName,
				Status: string(reg.Status), DueAt: reg.DueAt, Overdue: reg.Overdue(now)})
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, http.StatusOK, "exchange_review", d)
}

// listingRows are the listing reviews f selects, as desk rows.
func (s *server) listingRows(ctx context.Context, p identity.Principal, n *names, f review.Filter, now time.Time) ([]deskRow, error) {
	ls, err := s.acc.Exchange.ListingReviews().List(ctx, p, f)
	if err != nil {
		return nil, err
	}
	out := make([]deskRow, len(ls))
	for i, l := range ls {
		row := deskRow{Link: "/exchange/listings/" + l.ID, Title: n.productTitle(l.ProductID), Party: n.participantName(l.ProviderID),
			Status: string(l.Status), DueAt: l.DueAt, Overdue: l.Overdue(now)}
		for _, c := range l.Checklists {
			state := c.Decision
			if state == "" {
				state = "draft"
			}
			switch c.Reviewer {
			case exchange.ReviewerExchange:
				row.Exchange = state
			case exchange.ReviewerLawFirm:
				row.LawFirm = state
			}
		}
		out[i] = row
	}
	return out, nil
}

// productTitle names product id as the viewer may see it.
func (n *names) productTitle(id string) string {
	if pr, err := n.s.acc.Exchange.Product(n.ctx, n.p, id); err == nil {
		return pr.Title
	}
	return id
}

// participantName names participant id as the viewer may see it.
func (n *names) participantName(id string) string {
	if pt, err := n.s.acc.Exchange.Participant(n.ctx, n.p, id); err == nil {
		return pt.Name
	}
	return id
}

// orgNameIn is an organization's name in r's language.
func orgNameIn(r *http.Request, o identity.Organization) string {
	return pick(langOf(r), o.NameZh, o.NameEn)
}

// caseForms is what the pages of a case keep of a refused form: the
// decision and comment, the question or answer, and the problems.
type caseForms struct {
	Decision, Comment, Text string
	Errors                  formErrors
}

// admissionData is the page of a participant's application.
type admissionData struct {
	Nav    exchangeNav
	A      exchange.ParticipantApplication
	P      exchange.Participant
	Org    identity.Organization
	Steps  []stepRow
	Viewer identity.Principal
	Forms  caseForms
}

// Tag is the status tag's CSS modifier.
func (d admissionData) Tag() string { return participantTag(string(d.A.Status)) }

// admissionPage shows application id with its forms.
func (s *server) admissionPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.loadAdmission(r, caseForms{})
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "exchange_application", d)
}

func (s *server) loadAdmission(r *http.Request, forms caseForms) (admissionData, error) {
	p, err := requireUser(r)
	if err != nil {
		return admissionData{}, err
	}
	a, err := s.acc.Exchange.ApplicationReviews().Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return admissionData{}, err
	}
	pt, err := s.acc.Exchange.Participant(r.Context(), p, a.ParticipantID)
	if err != nil {
		return admissionData{}, err
	}
	d := admissionData{Nav: s.exchangeNavFor(r, "review"), A: a, P: pt, Org: newNames(s, r.Context(), p).org(a.OrgID), Viewer: p, Forms: forms}
	d.Steps, err = s.stepRows(r.Context(), a.Steps)
	return d, err
}

// caseAction runs a form on a case page: act does it and returns the
// banner; field problems show the page again, rendered by show with the
// form kept (422).
func (s *server) caseAction(w http.ResponseWriter, r *http.Request, path string, act func(p identity.Principal) (string, error),
	show func(forms caseForms) error, forms caseForms) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	done, err := act(p)
	if err == nil {
		return seeOther(w, r, path, done)
	}
	errs := fieldErrors(err)
	if errs == nil {
		return err
	}
	forms.Errors = exchangeErrors(langOf(r), errs, nil)
	return show(forms)
}

// admissionAction runs a form on application id's page.
func (s *server) admissionAction(act func(r *http.Request, p identity.Principal, text string) (string, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		forms := caseForms{Decision: r.PostForm.Get("decision"), Comment: r.PostForm.Get("comment"), Text: r.PostForm.Get("text")}
		return s.caseAction(w, r, "/exchange/applications/"+r.PathValue("id"), func(p identity.Principal) (string, error) {
			return act(r, p, forms.Text)
		}, func(forms caseForms) error {
			d, err := s.loadAdmission(r, forms)
			if err != nil {
				return err
			}
			return s.render(w, r, http.StatusUnprocessableEntity, "exchange_application", d)
		}, forms)
	}
}

// decideAdmission admits or rejects (fields: decision, comment).
func (s *server) decideAdmission(r *http.Request, p identity.Principal, _ string) (string, error) {
	a, err := s.acc.Exchange.ApplicationReviews().Decide(r.Context(), p, r.PathValue("id"), review.Decision(r.PostForm.Get("decision")),
		r.PostForm.Get("comment"))
	return "exchange_application_" + string(a.Status), err
}

// askAdmission returns the application for more material (field: text).
func (s *server) askAdmission(r *http.Request, p identity.Principal, text string) (string, error) {
	_, err := s.acc.Exchange.ApplicationReviews().RequestInfo(r.Context(), p, r.PathValue("id"), text)
	return "request_more_info", err
}

// answerAdmission answers a request for more material (field: text).
func (s *server) answerAdmission(r *http.Request, p identity.Principal, text string) (string, error) {
	_, err := s.acc.Exchange.ApplicationReviews().Answer(r.Context(), p, r.PathValue("id"), text)
	return "request_answered", err
}

// withdrawAdmission withdraws the application.
func (s *server) withdrawAdmission(r *http.Request, p identity.Principal, _ string) (string, error) {
	_, err := s.acc.Exchange.ApplicationReviews().Withdraw(r.Context(), p, r.PathValue("id"))
	return "request_withdrawn", err
}

// listingData is the page of a listing review.
type listingData struct {
	Nav      exchangeNav
	L        exchange.Listing
	Product  productRow
	LawFirm  *participantRow
	LawFirms []participantRow // staff: the law firms it may be given to
	Steps    []stepRow
	Viewer   identity.Principal
	Mine     exchange.Checklist // the viewer's draft, or what is typed
	Sample   *exchange.ProductSample
	NoSample string // why the sample is not shown
	Staff    bool
	Reason   string
	Forms    caseForms
}

// Tag is the status tag's CSS modifier.
func (d listingData) Tag() string { return participantTag(string(d.L.Status)) }

// Dimensions are the checklist's dimensions in order.
func (listingData) Dimensions() []exchange.Dimension {
	return []exchange.Dimension{exchange.DimensionBasic, exchange.DimensionLegality, exchange.DimensionTradability}
}

// Items are the checklist's points of dimension dim.
func (listingData) Items(dim exchange.Dimension) []exchange.CheckItem {
	var out []exchange.CheckItem
	for _, it := range exchange.CheckItems {
		if it.Dimension == dim {
			out = append(out, it)
		}
	}
	return out
}

// Reviewers are the two reviewers' checklists at the current step (or the
// last one decided), exchange first.
func (d listingData) Reviewers() []exchange.Checklist {
	out := []exchange.Checklist{{Reviewer: exchange.ReviewerExchange}, {Reviewer: exchange.ReviewerLawFirm}}
	for _, c := range d.L.Checklists {
		for i := range out {
			if out[i].Reviewer == c.Reviewer {
				out[i] = c
			}
		}
	}
	return out
}

// Tick says how checklist c answers point key: yes, no, or none while the
// reviewer has filled in nothing.
func (listingData) Tick(c exchange.Checklist, key string) string {
	switch {
	case c.ActorID == "":
		return "none"
	case c.Items[key]:
		return "yes"
	}
	return "no"
}

// SampleRows are the sample's cells as text (an empty cell for null).
func (d listingData) SampleRows() [][]string {
	if d.Sample == nil {
		return nil
	}
	out := make([][]string, len(d.Sample.Rows))
	for i, row := range d.Sample.Rows {
		out[i] = make([]string, len(row))
		for j, v := range row {
			if v != nil {
				out[i][j] = fmt.Sprint(v)
			}
		}
	}
	return out
}

// Ticked says whether the viewer's checklist ticks point key.
func (d listingData) Ticked(key string) bool { return d.Mine.Items[key] }

// Open says whether the review is under way (or waits for an answer).
func (d listingData) Open() bool {
	return d.L.Status == exchange.ComplianceReview || d.L.Status == review.StatusMoreInfo
}

// listingPage shows listing review id with both checklists.
func (s *server) listingPage(w http.ResponseWriter, r *http.Request) error {
	d, err := s.loadListing(r, caseForms{}, nil)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "exchange_listing", d)
}

func (s *server) loadListing(r *http.Request, forms caseForms, typed *exchange.Checklist) (listingData, error) {
	p, err := requireUser(r)
	if err != nil {
		return listingData{}, err
	}
	ctx := r.Context()
	l, err := s.acc.Exchange.ListingReviews().Get(ctx, p, r.PathValue("id"))
	if err != nil {
		return listingData{}, err
	}
	pr, err := s.acc.Exchange.Product(ctx, p, l.ProductID)
	if err != nil {
		return listingData{}, err
	}
	n := newNames(s, ctx, p)
	d := listingData{Nav: s.exchangeNavFor(r, "review"), L: l, Product: productRow{pr, n.org(pr.ProviderOrgID)}, Viewer: p, Forms: forms,
		Staff: exchange.CanStaff(p)}
	if l.LawFirmID != "" {
		if firm, err := s.acc.Exchange.Participant(ctx, p, l.LawFirmID); err == nil {
			d.LawFirm = &participantRow{firm, n.org(firm.OrgID)}
		}
	}
	if d.Staff && d.Open() && !slices.ContainsFunc(l.Checklists, func(c exchange.Checklist) bool {
		return c.Reviewer == exchange.ReviewerLawFirm && c.Decision != ""
	}) {
		if d.LawFirms, err = s.lawFirms(ctx, p, pr.ProviderID); err != nil {
			return d, err
		}
	}
	for _, c := range l.Checklists {
		if c.ActorID == p.UserID && c.Decision == "" {
			d.Mine = c
		}
	}
	if typed != nil {
		d.Mine = *typed
	}
	if d.Steps, err = s.stepRows(ctx, l.Steps); err != nil {
		return d, err
	}
	if l.CanReview(p) && len(pr.ResourceIDs) > 0 && r.Method == http.MethodGet { // a refused form's page does not read it again
		if sample, err := s.acc.Exchange.Sample(ctx, p, pr.ID); err == nil {
			d.Sample = &sample
		} else {
			d.NoSample = refusalText(langOf(r), err)
		}
	}
	return d, nil
}

// listingAction runs a form on listing review id's page; typed keeps the
// checklist as ticked.
func (s *server) listingAction(act func(r *http.Request, p identity.Principal, text string) (string, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		forms := caseForms{Decision: r.PostForm.Get("decision"), Comment: r.PostForm.Get("comment"), Text: r.PostForm.Get("text")}
		var typed *exchange.Checklist
		if _, ok := r.PostForm["note"]; ok {
			in := checklistInput(r)
			typed = &exchange.Checklist{Items: in.Items, Note: in.Note}
		}
		return s.caseAction(w, r, "/exchange/listings/"+r.PathValue("id"), func(p identity.Principal) (string, error) {
			return act(r, p, forms.Text)
		}, func(forms caseForms) error {
			d, err := s.loadListing(r, forms, typed)
			if err != nil {
				return err
			}
			d.Reason = r.PostForm.Get("reason")
			return s.render(w, r, http.StatusUnprocessableEntity, "exchange_listing", d)
		}, forms)
	}
}

// checklistInput reads the checklist form: check (repeated, the keys
// ticked) and note; every point not ticked is false.
func checklistInput(r *http.Request) exchange.ChecklistInput {
	in := exchange.ChecklistInput{Items: map[string]bool{}, Note: r.PostForm.Get("note")}
	for _, it := range exchange.CheckItems {
		in.Items[it.Key] = false
	}
	for _, k := range r.PostForm["check"] {
		in.Items[k] = true
	}
	return in
}

// saveChecklist stores the viewer's checklist (fields: check, note).
func (s *server) saveChecklist(r *http.Request, p identity.Principal, _ string) (string, error) {
	_, err := s.acc.Exchange.SubmitChecklist(r.Context(), p, r.PathValue("id"), checklistInput(r))
	return "exchange_checklist_saved", err
}

// decideListing casts the viewer's vote (fields: decision, comment).
func (s *server) decideListing(r *http.Request, p identity.Principal, _ string) (string, error) {
	l, err := s.acc.Exchange.ListingReviews().Decide(r.Context(), p, r.PathValue("id"), review.Decision(r.PostForm.Get("decision")),
		r.PostForm.Get("comment"))
	if l.Status == "listed" || l.Status == review.StatusRejected {
		return "exchange_listing_" + string(l.Status), err
	}
	return "exchange_voted", err
}

// askListing returns the product for more material (field: text).
func (s *server) askListing(r *http.Request, p identity.Principal, text string) (string, error) {
	_, err := s.acc.Exchange.ListingReviews().RequestInfo(r.Context(), p, r.PathValue("id"), text)
	return "request_more_info", err
}

// answerListing answers a request for more material (field: text).
func (s *server) answerListing(r *http.Request, p identity.Principal, text string) (string, error) {
	_, err := s.acc.Exchange.ListingReviews().Answer(r.Context(), p, r.PathValue("id"), text)
	return "request_answered", err
}

// withdrawListing withdraws the listing review.
func (s *server) withdrawListing(r *http.Request, p identity.Principal, _ string) (string, error) {
	_, err := s.acc.Exchange.ListingReviews().Withdraw(r.Context(), p, r.PathValue("id"))
	return "request_withdrawn", err
}

// assignLawFirm names the law firm (the staff; field: law_firm_id).
func (s *server) assignLawFirm(r *http.Request, p identity.Principal, _ string) (string, error) {
	_, err := s.acc.Exchange.AssignLawFirm(r.Context(), p, r.PathValue("id"), r.PostForm.Get("law_firm_id"))
	return "exchange_law_firm_set", err
}
