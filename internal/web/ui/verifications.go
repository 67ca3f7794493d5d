package ui

import (
	"net/http"

	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/signup"
)

// The operators' approval queue of self-registered companies: the list of
// verifications and one verification's page with its decision form. The
// cases are the review workflow's (they appear on /waiting too).

// verificationsPage lists the verifications, waiting ones first.
type verificationsPage struct {
	Waiting, Decided []signup.Verification
}

// verificationsAdminPage shows the queue to the platform operators and sysadmins.
func (s *server) verificationsAdminPage(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	all, err := s.acc.Signup.Queue().List(r.Context(), p, "")
	if err != nil {
		return err
	}
	var page verificationsPage
	for _, v := range all {
		if v.Open() {
			page.Waiting = append(page.Waiting, v)
		} else {
			page.Decided = append(page.Decided, v)
		}
	}
	return s.render(w, r, http.StatusOK, "verifications", page)
}

// verificationPage is one company's verification.
type verificationPage struct {
	V         signup.Verification
	Form      reviewForm
	Errors    formErrors
	CanDecide bool
}

// verificationAdminPage shows one verification.
func (s *server) verificationAdminPage(w http.ResponseWriter, r *http.Request) error {
	return s.showVerification(w, r, http.StatusOK, verificationPage{})
}

func (s *server) showVerification(w http.ResponseWriter, r *http.Request, status int, page verificationPage) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	if page.V, err = s.acc.Signup.Queue().Get(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	page.CanDecide = page.V.CanDecide(p)
	return s.render(w, r, status, "verification", page)
}

// reviewVerification records an operator's verdict. Form fields:
// csrf_token, decision (approve|reject), comment (required to reject).
func (s *server) reviewVerification(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	form := reviewForm{Decision: r.PostForm.Get("decision"), Comment: r.PostForm.Get("comment")}
	err = s.acc.Signup.Queue().Decide(r.Context(), p, r.PathValue("id"), review.Decision(form.Decision), form.Comment)
	if err == nil {
		return seeOther(w, r, "/admin/verifications", "verification_decided")
	}
	errs := fieldErrors(err)
	if errs == nil {
		return err
	}
	return s.showVerification(w, r, http.StatusUnprocessableEntity, verificationPage{Form: form, Errors: newFormErrors(langOf(r), errs)})
}

// canSeeVerifications: the staff who decide verifications see the queue's link.
func canSeeVerifications(p identity.Principal) bool { return review.CanTakeOver(p) }
