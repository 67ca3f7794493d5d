package ui

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"

	"dataport/internal/identity"
)

// loginPage is the data of the sign-in form.
type loginPage struct {
	Username string
	Next     string
	Failed   bool // wrong username or password
	WaitSecs int  // > 0: too many failures, try again after this many seconds
	// State is a self-registered account's state when the right password
	// was given but it may not sign in yet ("unconfirmed", "unverified",
	// "rejected").
	State string
	// SSO is the single sign-on button's label ("" when it is off) and
	// SSOError why a single sign-on failed.
	SSO, SSOError string
	Register      bool // self-registration is offered
}

// loginForm shows the sign-in form.
func (s *server) loginForm(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "login", s.loginPage(r, loginPage{Next: localPath(r.URL.Query().Get("next"), "")}))
}

// loginPage completes page with the ways to sign in that are offered.
func (s *server) loginPage(r *http.Request, page loginPage) loginPage {
	page.SSO, page.Register = s.ssoLabel(r), s.acc.Signup != nil
	return page
}

// login checks the credentials, starts a session and returns to the page
// the user came from. Wrong credentials show the form again with the
// username kept; after repeated failures the form asks to wait a few
// seconds (429 with Retry-After), never locks the account.
func (s *server) login(w http.ResponseWriter, r *http.Request) error {
	username, next := r.PostForm.Get("username"), localPath(r.PostForm.Get("next"), "")
	p, err := s.identity.Authenticate(r.Context(), username, r.PostForm.Get("password"), clientIP(r))
	var throttled *identity.ThrottledError
	var stateErr *identity.StateError
	switch {
	case errors.As(err, &throttled):
		w.Header().Set("Retry-After", strconv.Itoa(throttled.Seconds()))
		return s.render(w, r, http.StatusTooManyRequests, "login", s.loginPage(r, loginPage{Username: username, Next: next, WaitSecs: throttled.Seconds()}))
	case errors.Is(err, identity.ErrBadCredentials):
		return s.render(w, r, http.StatusUnauthorized, "login", s.loginPage(r, loginPage{Username: username, Next: next, Failed: true}))
	case errors.As(err, &stateErr):
		return s.render(w, r, http.StatusForbidden, "login", s.loginPage(r, loginPage{Username: username, Next: next, State: string(stateErr.State)}))
	case err != nil:
		return err
	}
	if err := s.sessions.Start(r.Context(), w, p); err != nil {
		return err
	}
	http.Redirect(w, r, afterLogin(next), http.StatusSeeOther)
	return nil
}

// afterLogin is where a successful sign-in goes: back to next, unless that
// is missing, not local, or the sign-in page itself.
func afterLogin(next string) string {
	next = localPath(next, "/my")
	if next == "/login" || strings.HasPrefix(next, "/login?") {
		return "/my"
	}
	return next
}

// logout ends the session and returns to the home page.
func (s *server) logout(w http.ResponseWriter, r *http.Request) error {
	if err := s.sessions.End(w, r); err != nil {
		return err
	}
	return seeOther(w, r, "/", "signed_out")
}

// clientIP is the address the request came from, for sign-in throttling.
// Behind a reverse proxy the server in front must set RemoteAddr.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
