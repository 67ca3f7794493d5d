package ui

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"dataport/internal/harvest"
	"dataport/internal/identity"
	"dataport/internal/notify"
	"dataport/internal/validate"
)

// accountPage is the signed-in user's details, API tokens and the form to
// change their password.
type accountPage struct {
	User        identity.User
	Tokens      []tokenRow
	Form        tokenForm
	NewSecret   string // the secret of a token just created, shown this once
	Errors      formErrors
	ManageUsers bool // the user is a sysadmin: link the account pages
	// HarvestDesk and OutboxDesk link the harvest sources and the e-mail
	// outbox for the platform operators and sysadmins.
	HarvestDesk, OutboxDesk bool
	// Orgs are the user's organizations: a registered person's or company's
	// own (kind individual or enterprise) shows as their profile.
	Orgs []identity.Organization
	// VerificationDesk links the operators' queue of company verifications.
	VerificationDesk bool
}

// tokenRow is a token with its state now: active, revoked or expired.
type tokenRow struct {
	identity.Token
	State string
}

// tokenForm is the create-token form. Fields: csrf_token, name, expires_in_days.
type tokenForm struct {
	Name, ExpiresInDays string
}

// defaultTokenDays is the validity the form suggests.
const defaultTokenDays = "90"

// accountPage shows the user and their tokens.
func (s *server) accountPage(w http.ResponseWriter, r *http.Request) error {
	return s.showAccount(w, r, http.StatusOK, accountPage{Form: tokenForm{ExpiresInDays: defaultTokenDays}})
}

// createToken issues an API token and shows its secret once, on this
// response only (never stored, never cached).
func (s *server) createToken(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	form := tokenForm{Name: r.PostForm.Get("name"), ExpiresInDays: r.PostForm.Get("expires_in_days")}
	var errs validate.Errors
	days := whole(&errs, "expires_in_days", form.ExpiresInDays)
	if len(errs) == 0 {
		var secret string
		secret, _, err = s.identity.CreateToken(r.Context(), p, p.UserID, form.Name, time.Duration(days)*24*time.Hour)
		if err == nil {
			return s.showAccount(w, r, http.StatusOK, accountPage{Form: tokenForm{ExpiresInDays: defaultTokenDays}, NewSecret: secret})
		}
		if errs = fieldErrors(err); errs == nil {
			return err
		}
	}
	page := accountPage{Form: form, Errors: newFormErrors(langOf(r), errs)}
	return s.showAccount(w, r, http.StatusUnprocessableEntity, page)
}

// revokeToken revokes one of the user's tokens. Form fields: csrf_token.
func (s *server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	if err := s.identity.RevokeToken(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	return seeOther(w, r, "/account", "token_revoked")
}

// changePassword sets the user's password when the current one is right;
// the user's other sessions end, this one stays. Form fields: csrf_token,
// current_password, new_password, new_password_confirm (never shown back).
func (s *server) changePassword(w http.ResponseWriter, r *http.Request) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	status := http.StatusUnprocessableEntity
	in := identity.PasswordChange{Current: r.PostForm.Get("current_password"), New: r.PostForm.Get("new_password"),
		ClientIP: clientIP(r), KeepSession: s.sessions.Secret(r)}
	if in.New != r.PostForm.Get("new_password_confirm") {
		err = validate.Errors{{Field: "new_password_confirm", Message: "does not match the new password", Code: "new_password_mismatch"}}
	} else if _, err = s.identity.ChangePassword(r.Context(), p, in); err == nil {
		return seeOther(w, r, "/account", "password_changed")
	}
	var throttled *identity.ThrottledError
	if errors.As(err, &throttled) {
		w.Header().Set("Retry-After", strconv.Itoa(throttled.Seconds()))
		status, err = http.StatusTooManyRequests, validate.Errors{{Field: "current_password", Message: throttled.Error(), Code: "throttled", Args: []any{throttled.Seconds()}}}
	}
	errs := fieldErrors(err)
	if errs == nil {
		return err
	}
	page := accountPage{Form: tokenForm{ExpiresInDays: defaultTokenDays}, Errors: newFormErrors(langOf(r), errs)}
	return s.showAccount(w, r, status, page)
}

// showAccount fills page with the user and tokens and renders it uncached.
func (s *server) showAccount(w http.ResponseWriter, r *http.Request, status int, page accountPage) error {
	p, err := requireUser(r)
	if err != nil {
		return err
	}
	if page.User, err = s.identity.User(r.Context(), p, p.UserID); err != nil {
		return err
	}
	tokens, err := s.identity.Tokens(r.Context(), p, p.UserID)
	if err != nil {
		return err
	}
	page.ManageUsers = identity.CanManageUsers(p)
	page.HarvestDesk = s.acc.Harvest != nil && harvest.CanManage(p)
	page.OutboxDesk = s.acc.Notify != nil && notify.CanReadOutbox(p)
	page.VerificationDesk = s.acc.Signup != nil && canSeeVerifications(p)
	for _, m := range page.User.Memberships {
		org, err := s.identity.Organization(r.Context(), m.OrganizationID)
		if err != nil {
			return err
		}
		page.Orgs = append(page.Orgs, org)
	}
	now := time.Now()
	for _, t := range tokens {
		page.Tokens = append(page.Tokens, tokenRow{Token: t, State: tokenState(t, now)})
	}
	w.Header().Set("Cache-Control", "no-store")
	return s.render(w, r, status, "account", page)
}

func tokenState(t identity.Token, now time.Time) string {
	switch {
	case t.RevokedAt != nil:
		return "revoked"
	case now.After(t.ExpiresAt):
		return "expired"
	}
	return "active"
}
