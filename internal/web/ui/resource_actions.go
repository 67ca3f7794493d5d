package ui

import (
	"net/http"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/validate"
)

// The workflow forms of the resource page. Each redirects back to the page
// with a banner on success; a field problem shows the page again with the
// form as the user filled it (422).

// submitResource sends a draft or returned resource for review. Form fields: csrf_token.
func (s *server) submitResource(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	res, err := s.catalog.Submit(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	return seeOther(w, r, "/resources/"+res.ID, "submitted")
}

// reviewResource approves or returns a submitted resource. Form fields:
// csrf_token, decision (approve|return), comment.
func (s *server) reviewResource(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	if !catalog.CanReview(p) {
		return identity.ErrForbidden
	}
	form := reviewForm{Decision: r.PostForm.Get("decision"), Comment: r.PostForm.Get("comment")}
	res, err := s.catalog.Review(r.Context(), p, r.PathValue("id"), catalog.Decision(form.Decision), form.Comment)
	if errs := fieldErrors(err); errs != nil {
		return s.resourceFormFailed(w, r, errs, func(page *resourcePage) error {
			page.Review = form
			return catalog.Check(p, page.Resource, catalog.ActionReview)
		})
	} else if err != nil {
		return err
	}
	return seeOther(w, r, "/resources/"+res.ID, string(res.Status))
}

// retireResource withdraws a published resource. Form fields: csrf_token, reason.
func (s *server) retireResource(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	form := retireForm{Reason: r.PostForm.Get("reason")}
	res, err := s.catalog.Retire(r.Context(), p, r.PathValue("id"), form.Reason)
	if errs := fieldErrors(err); errs != nil {
		return s.resourceFormFailed(w, r, errs, func(page *resourcePage) error {
			page.Retire = form
			return catalog.Check(p, page.Resource, catalog.ActionRetire)
		})
	} else if err != nil {
		return err
	}
	return seeOther(w, r, "/resources/"+res.ID, "retired")
}

// resourceFormFailed shows the resource page again with errs and the form
// that keep fills in, unless keep says the page would not offer that form
// (for a workflow form: catalog.Check's refusal, forbidden or a conflict
// with the resource's status).
func (s *server) resourceFormFailed(w http.ResponseWriter, r *http.Request, errs validate.Errors, keep func(*resourcePage) error) error {
	page, err := s.loadResourcePage(r.Context(), principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := keep(&page); err != nil {
		return err
	}
	page.Errors = newFormErrors(langOf(r), errs)
	return s.render(w, r, http.StatusUnprocessableEntity, "resource", page)
}
