package ui

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"dataport/internal/identity"
	"dataport/internal/validate"
)

// Self-registration pages: a person or a company opens an account, confirms
// the e-mail address through the link e-mailed to it, asks for that link
// again, or asks for a password reset link. Every form is anonymous (its
// CSRF token is bound to the pre-session cookie), and every answer about an
// e-mail address is the same whether an account has it or not.

// registerPage is the data of the registration form; passwords typed are
// never shown back.
type registerPage struct {
	Form   identity.Registration
	Errors formErrors
	SSO    string // the single sign-on button's label, when it is configured
}

// registerForm shows the registration form.
func (s *server) registerForm(w http.ResponseWriter, r *http.Request) error {
	kind := identity.OrgKind(r.URL.Query().Get("kind"))
	if kind != identity.KindEnterprise {
		kind = identity.KindIndividual
	}
	return s.render(w, r, http.StatusOK, "register", registerPage{Form: identity.Registration{Kind: kind}, SSO: s.ssoLabel(r)})
}

// register opens the account and sends to the page that says to look for
// the confirmation e-mail. Form fields: csrf_token, kind (individual |
// enterprise), display_name, email, password, password_confirm,
// company_name, uscc.
func (s *server) register(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	in := identity.Registration{Kind: identity.OrgKind(f.Get("kind")), DisplayName: f.Get("display_name"), Email: f.Get("email"),
		Password: f.Get("password"), CompanyName: f.Get("company_name"), USCC: f.Get("uscc")}
	var err error
	if in.Password != f.Get("password_confirm") {
		err = validate.Errors{{Field: "password_confirm", Message: "does not match the password", Code: "password_mismatch"}}
	} else {
		err = s.acc.Signup.Register(r.Context(), in, clientIP(r))
	}
	if err == nil {
		return seeOther(w, r, "/register/sent", "")
	}
	status, err := throttledField(w, err, "email")
	errs := fieldErrors(err)
	if errs == nil {
		return err
	}
	in.Password = ""
	return s.render(w, r, status, "register", registerPage{Form: in, Errors: newFormErrors(langOf(r), errs), SSO: s.ssoLabel(r)})
}

// throttledField turns a *identity.ThrottledError into a field error at
// field with 429 and Retry-After; other errors keep 422.
func throttledField(w http.ResponseWriter, err error, field string) (int, error) {
	var throttled *identity.ThrottledError
	if !errors.As(err, &throttled) {
		return http.StatusUnprocessableEntity, err
	}
	w.Header().Set("Retry-After", strconv.Itoa(throttled.Seconds()))
	return http.StatusTooManyRequests, validate.Errors{{Field: field, Message: "too many attempts: try again later",
		Code: "self_service_throttled", Args: []any{throttled.Seconds()}}}
}

// sentPage says an e-mail is on its way (if the address has an account).
type sentPage struct{ What string }

// registerSent is the page after a registration or a resend.
func (s *server) registerSent(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "register_sent", sentPage{What: "confirm"})
}

// confirmPage is the page a confirmation link opens: one button confirms.
type confirmPage struct {
	Code   string
	Errors formErrors
	State  identity.AccountState // after confirming
}

// confirmForm shows the button that confirms the address; opening the
// link changes nothing, so a mail scanner following it uses nothing up.
func (s *server) confirmForm(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	return s.render(w, r, http.StatusOK, "register_confirm", confirmPage{Code: r.URL.Query().Get("code")})
}

// confirm uses the code up: a person may sign in now; a company is told
// that its verification waits for the platform. Form fields: csrf_token, code.
func (s *server) confirm(w http.ResponseWriter, r *http.Request) error {
	state, err := s.acc.Signup.Confirm(r.Context(), r.PostForm.Get("code"))
	if err == nil && state == identity.StateActive {
		return seeOther(w, r, "/login", "email_confirmed")
	}
	w.Header().Set("Cache-Control", "no-store")
	if err == nil {
		return s.render(w, r, http.StatusOK, "register_confirm", confirmPage{State: state})
	}
	errs := fieldErrors(err)
	if errs == nil {
		return err
	}
	for i := range errs {
		if errs[i].Field == "code" { // the service's name for the link's code
			errs[i].Field = "confirm_link"
		}
	}
	return s.render(w, r, http.StatusUnprocessableEntity, "register_confirm", confirmPage{Errors: newFormErrors(langOf(r), errs)})
}

// emailPage is an e-mail address form: ask for the confirmation link again,
// or for a password reset link.
type emailPage struct {
	What   string // "resend" or "forgot"
	Email  string
	Errors formErrors
}

// resendForm shows the form that asks for the confirmation link again.
func (s *server) resendForm(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "register_email", emailPage{What: "resend", Email: r.URL.Query().Get("email")})
}

// resend e-mails a new confirmation link, if the address waits for one.
// Form fields: csrf_token, email.
func (s *server) resend(w http.ResponseWriter, r *http.Request) error {
	return s.emailForm(w, r, "resend", s.acc.Signup.ResendConfirmation, "/register/sent")
}

// forgotForm shows the form that asks for a password reset link.
func (s *server) forgotForm(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "register_email", emailPage{What: "forgot"})
}

// forgot e-mails a password reset link to the accounts with the address.
// Form fields: csrf_token, email.
func (s *server) forgot(w http.ResponseWriter, r *http.Request) error {
	return s.emailForm(w, r, "forgot", s.acc.Signup.ForgotPassword, "/password-forgot/sent")
}

// forgotSent is the page after asking for a reset link.
func (s *server) forgotSent(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "register_sent", sentPage{What: "forgot"})
}

// emailForm runs send for the form's address and goes to sent; only a
// blank or malformed address, or too many requests, are shown back.
func (s *server) emailForm(w http.ResponseWriter, r *http.Request, what string,
	send func(ctx context.Context, email, clientIP string) error, sent string) error {
	email := strings.TrimSpace(r.PostForm.Get("email"))
	var errs validate.Errors
	if errs.Required("email", email) && !strings.Contains(email, "@") {
		errs.Add("email", email, validate.CodeEmail, "is not an email address")
	}
	err := errs.Err()
	if err == nil {
		if err = send(r.Context(), email, clientIP(r)); err == nil {
			return seeOther(w, r, sent, "")
		}
	}
	status, err := throttledField(w, err, "email")
	if errs = fieldErrors(err); errs == nil {
		return err
	}
	return s.render(w, r, status, "register_email", emailPage{What: what, Email: email, Errors: newFormErrors(langOf(r), errs)})
}
