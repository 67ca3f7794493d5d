package ui

import (
	"net/http"
	"strings"

	"dataport/internal/validate"
)

// The password reset page: whoever holds a one-time reset code from a
// sysadmin chooses a new password with it, without signing in. The form is
// anonymous, so its CSRF token is bound to the pre-session cookie.

// resetPage is the data of the reset form; the code and passwords typed
// are never shown back.
type resetPage struct {
	Errors formErrors
	Code   string // the code a reset link e-mailed to the user carries
}

// passwordResetForm shows the form, with the code filled in when it is
// opened from the link of a reset e-mail (/password-reset?code=…).
func (s *server) passwordResetForm(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	return s.render(w, r, http.StatusOK, "password_reset", resetPage{Code: strings.TrimSpace(r.URL.Query().Get("code"))})
}

// redeemPasswordReset sets the password and sends the user to sign in.
// Form fields: csrf_token, reset_code, new_password, new_password_confirm.
func (s *server) redeemPasswordReset(w http.ResponseWriter, r *http.Request) error {
	code, pw := strings.TrimSpace(r.PostForm.Get("reset_code")), r.PostForm.Get("new_password")
	err := error(nil)
	if pw != r.PostForm.Get("new_password_confirm") {
		err = validate.Errors{{Field: "new_password_confirm", Message: "does not match the new password", Code: "new_password_mismatch"}}
	} else {
		err = s.identity.RedeemPasswordReset(r.Context(), code, pw)
	}
	if err == nil {
		return seeOther(w, r, "/login", "password_set")
	}
	errs := fieldErrors(err)
	if errs == nil {
		return err
	}
	for i := range errs {
		if errs[i].Field == "code" { // the service's name for the form's reset_code
			errs[i].Field = "reset_code"
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, http.StatusUnprocessableEntity, "password_reset", resetPage{Errors: newFormErrors(langOf(r), errs)})
}
