package ui

import (
	"net/http"
	"time"

	"dataport/internal/identity"
	"dataport/internal/opening"
	"dataport/internal/review"
)

// The open application pages: a company or person applies for
// conditionally open data (opening workflow); the pages they share with
// share requests are in access_requests.go.

// newApplication shows the open application form for ?resource_id=.
func (s *server) newApplication(w http.ResponseWriter, r *http.Request) error {
	return s.showRequestForm(w, r, http.StatusOK, requestForm{Kind: kindOpen, Days: "180"})
}

// createApplication files an open application. Form fields: csrf_token,
// resource_id, org_id, purpose, scenario, security_measures,
// fields, duration_days.
func (s *server) createApplication(w http.ResponseWriter, r *http.Request) error {
	return s.fileRequest(w, r, kindOpen, "applicant_org_id", func(p identity.Principal, f requestForm, days int) (string, error) {
		a, err := s.acc.Opening.Apply(r.Context(), p, opening.ApplicationInput{ResourceID: r.PostForm.Get("resource_id"), ApplicantOrgID: f.OrgID,
			Purpose: f.Purpose, Scenario: f.Basis, SecurityMeasures: f.Measures, Fields: f.Fields, DurationDays: days})
		return a.ID, err
	})
}

// applications lists the user's open applications.
func (s *server) applications(w http.ResponseWriter, r *http.Request) error {
	return s.showRequests(w, r, kindOpen, func(n *names, side string) ([]requestRow, error) {
		list, err := s.acc.Opening.List(r.Context(), n.p, opening.Filter{Side: side, Limit: 200})
		rows := make([]requestRow, len(list))
		for i, a := range list {
			rows[i] = n.row(requestPath(kindOpen, a.ID), a.ResourceID, a.ApplicantOrgID, a.ProviderOrgID,
				string(a.Status), a.DueAt, a.Overdue(time.Now()), a.EscalatedAt != nil, a.CreatedAt)
		}
		return rows, err
	})
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
	a, err := s.acc.Opening.Get(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return requestPage{}, err
	}
	n := newNames(s, r.Context(), p)
	page := requestPage{Kind: kindOpen, ID: a.ID, Status: string(a.Status), Resource: n.resource(a.ResourceID),
		Requester: n.org(a.ApplicantOrgID), Provider: n.org(a.ProviderOrgID), Purpose: a.Purpose, Basis: a.Scenario,
		Measures: a.SecurityMeasures, Fields: a.Fields, DurationDays: a.DurationDays, DueAt: a.DueAt, EscalatedAt: a.EscalatedAt,
		Overdue: a.Overdue(time.Now()), NeedsOperator: true, GrantID: a.GrantID, Reason: a.Reason, Agreement: a.Agreement,
		AgreeHash: a.AgreementHash, CanWithdraw: a.CanWithdraw(p), CanReview: a.CanReview(p),
		CanAnswer: a.CanAnswer(p), AnswerDueAt: a.AnswerDueAt}
	page.Steps, err = s.stepRows(r.Context(), a.Steps)
	return page, err
}

// reviewApplication records a verdict. Form fields: csrf_token, decision (approve|reject), comment.
func (s *server) reviewApplication(w http.ResponseWriter, r *http.Request) error {
	return s.reviewRequest(w, r, kindOpen, s.loadApplication, func(p identity.Principal, form reviewForm) (string, error) {
		a, err := s.acc.Opening.Decide(r.Context(), p, r.PathValue("id"), review.Decision(form.Decision), form.Comment)
		return string(a.Status), err
	})
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
	return seeOther(w, r, requestPath(kindOpen, r.PathValue("id")), "request_withdrawn")
}
