package ui

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"

	"dataport/internal/identity"
	"dataport/internal/signup"
	"dataport/internal/web/ui/i18n"
)

// Single sign-on with the city's unified identity (OpenID Connect): the
// sign-in page's button goes to /login/sso, which sends the browser to the
// provider with a fresh state, nonce and PKCE challenge kept in a
// short-lived cookie; the provider sends it back to /login/sso/callback,
// where the code is exchanged and the ID token verified before a session
// starts. The first sign-in links or opens the account.

// ssoCookie holds the state, nonce and code verifier of one sign-in.
const ssoCookie = "dataport_sso"

// ssoCookieTTL bounds how long a sign-in at the provider may take.
const ssoCookieTTL = 10 * time.Minute

// ssoLabel is the single sign-on button's label, or "" when it is off.
func (s *server) ssoLabel(r *http.Request) string {
	if s.acc.Signup == nil || !s.acc.Signup.OIDC().Enabled() {
		return ""
	}
	if name := s.acc.Signup.OIDC().Name; name != "" {
		return name
	}
	return i18n.T(langOf(r), "sso.button")
}

// ssoStart sends the browser to the provider.
func (s *server) ssoStart(w http.ResponseWriter, r *http.Request) error {
	st, err := s.acc.Signup.StartSSO(r.Context())
	if err != nil {
		s.log.ErrorContext(r.Context(), "single sign-on: start", "err", err)
		return s.ssoFailed(w, r, http.StatusBadGateway, "sso_unavailable")
	}
	http.SetCookie(w, &http.Cookie{Name: ssoCookie, Value: st.State + "." + st.Nonce + "." + st.Verifier, Path: "/login/sso",
		HttpOnly: true, Secure: s.sessions.Secure(), SameSite: http.SameSiteLaxMode, MaxAge: int(ssoCookieTTL.Seconds())})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, st.URL, http.StatusFound)
	return nil
}

// ssoCallback finishes the sign-in the provider sends back.
func (s *server) ssoCallback(w http.ResponseWriter, r *http.Request) error {
	http.SetCookie(w, &http.Cookie{Name: ssoCookie, Path: "/login/sso", HttpOnly: true, Secure: s.sessions.Secure(), MaxAge: -1})
	w.Header().Set("Cache-Control", "no-store")
	q := r.URL.Query()
	ck, err := r.Cookie(ssoCookie)
	parts := []string{}
	if err == nil {
		parts = strings.Split(ck.Value, ".")
	}
	if len(parts) != 3 || subtle.ConstantTimeCompare([]byte(parts[0]), []byte(q.Get("state"))) != 1 {
		return s.ssoFailed(w, r, http.StatusBadRequest, "sso_state")
	}
	if q.Get("error") != "" || q.Get("code") == "" {
		return s.ssoFailed(w, r, http.StatusUnauthorized, "sso_refused")
	}
	p, err := s.acc.Signup.FinishSSO(r.Context(), q.Get("code"), signup.SSOStart{State: parts[0], Nonce: parts[1], Verifier: parts[2]})
	var stateErr *identity.StateError
	switch {
	case errors.As(err, &stateErr):
		return s.render(w, r, http.StatusForbidden, "login", s.loginPage(r, loginPage{State: string(stateErr.State)}))
	case errors.Is(err, identity.ErrExternalConflict):
		return s.ssoFailed(w, r, http.StatusConflict, "sso_public_body")
	case errors.Is(err, identity.ErrBadCredentials):
		return s.ssoFailed(w, r, http.StatusForbidden, "sso_disabled")
	case err != nil:
		s.log.ErrorContext(r.Context(), "single sign-on: callback", "err", err)
		return s.ssoFailed(w, r, http.StatusBadGateway, "sso_failed")
	}
	if err := s.sessions.Start(r.Context(), w, p); err != nil {
		return err
	}
	http.Redirect(w, r, "/my", http.StatusSeeOther)
	return nil
}

// ssoFailed shows the sign-in page with why single sign-on failed.
func (s *server) ssoFailed(w http.ResponseWriter, r *http.Request, status int, why string) error {
	return s.render(w, r, status, "login", s.loginPage(r, loginPage{SSOError: why}))
}
