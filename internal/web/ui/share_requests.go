package ui

import (
	"net/http"
	"time"

	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/sharing"
)

// The share request pages: an institution asks another for its data
// (sharing workflow); the pages they share with open applications are in
// access_requests.go.

// newShareRequest shows the share request form for ?resource_id=.
func (s *server) newShareRequest(w http.ResponseWriter, r *http.Request) error {
	return s.showRequestForm(w, r, http.StatusOK, requestForm{Kind: kindShare, Days: "90"})
}

// createShareRequest files a share request. Form fields: csrf_token,
// resource_id, org_id, purpose, legal_basis, fields, duration_days.
func (s *server) createShareRequest(w http.ResponseWriter, r *http.Request) error {
	return s.fileRequest(w, r, kindShare, "requester_org_id", func(p identity.Principal, f requestForm, days int) (string, error) {
		req, err := s.acc.Sharing.Create(r.Context(), p, sharing.RequestInput{ResourceID: r.PostForm.Get("resource_id"), RequesterOrgID: f.OrgID,
			Purpose: f.Purpose, LegalBasis: f.Basis, Fields: f.Fields, DurationDays: days})
		return req.ID, err
	})
}

// shareRequests lists the user's share requests.
func (s *server) shareRequests(w http.ResponseWriter, r *http.Request) error {
	return s.showRequests(w, r, kindShare, func(n *names, side string) ([]requestRow, error) {
		list, err := s.acc.Sharing.List(r.Context(), n.p, sharing.Filter{Side: side, Limit: 200})
		rows := make([]requestRow, len(list))
		for i, req := range list {
			rows[i] = n.row(requestPath(kindShare, req.ID), req.ResourceID, req.RequesterOrgID, req.ProviderOrgID,
				string(req.Status), req.DueAt, req.Overdue(time.Now()), req.EscalatedAt != nil, req.CreatedAt)
		}
		return rows, err
	})
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
		CanWithdraw: req.CanWithdraw(p), CanReview: req.CanReview(p),
		CanAnswer: req.CanAnswer(p), AnswerDueAt: req.AnswerDueAt}
	page.Steps, err = s.stepRows(r.Context(), req.Steps)
	return page, err
}

// reviewShareRequest records a verdict. Form fields: csrf_token, decision (approve|reject), comment.
func (s *server) reviewShareRequest(w http.ResponseWriter, r *http.Request) error {
	return s.reviewRequest(w, r, kindShare, s.loadShareRequest, func(p identity.Principal, form reviewForm) (string, error) {
		req, err := s.acc.Sharing.Decide(r.Context(), p, r.PathValue("id"), review.Decision(form.Decision), form.Comment)
		return string(req.Status), err
	})
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
	return seeOther(w, r, requestPath(kindShare, r.PathValue("id")), "request_withdrawn")
}
