package ui

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"

	"dataport/internal/identity"
	"dataport/internal/store"
)

// loadSession puts the principal of the request's session cookie into its
// context (anonymous without one), and drops a cookie that no longer works.
// The principal is read afresh on every request, so a removed role, a
// disabled account or an ended session holds from the next request on. It
// also loads the key CSRF tokens are derived with (csrf.go).
func (s *server) loadSession(next http.Handler) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		if err := s.loadFormKey(r.Context()); err != nil {
			return err
		}
		p := identity.Anonymous
		if secret := s.cookies.sessionSecret(r); secret != "" {
			var err error
			p, err = s.identity.SessionPrincipal(r.Context(), secret)
			if errors.Is(err, identity.ErrUnauthenticated) || errors.Is(err, store.ErrNotFound) {
				s.cookies.clearSession(w)
				p = identity.Anonymous
			} else if err != nil {
				return err
			}
		}
		next.ServeHTTP(w, r.WithContext(identity.NewContext(r.Context(), p)))
		return nil
	})
}

// loginPage is the data of the sign-in form.
type loginPage struct {
	Username string
	Next     string
	Failed   bool // wrong username or password
	WaitSecs int  // > 0: too many failures, try again after this many seconds
}

// loginForm shows the sign-in form.
func (s *server) loginForm(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "login", loginPage{Next: localPath(r.URL.Query().Get("next"), "")})
}

// login checks the credentials, starts a session and returns to the page
// the user came from. Wrong credentials show the form again with the
// username kept; after repeated failures the form asks to wait a few
// seconds (429 with Retry-After), never locks the account.
func (s *server) login(w http.ResponseWriter, r *http.Request) error {
	username, next := r.PostForm.Get("username"), localPath(r.PostForm.Get("next"), "")
	p, err := s.identity.Authenticate(r.Context(), username, r.PostForm.Get("password"), clientIP(r))
	var throttled *identity.ThrottledError
	switch {
	case errors.As(err, &throttled):
		w.Header().Set("Retry-After", strconv.Itoa(throttled.Seconds()))
		return s.render(w, r, http.StatusTooManyRequests, "login", loginPage{Username: username, Next: next, WaitSecs: throttled.Seconds()})
	case errors.Is(err, identity.ErrBadCredentials):
		return s.render(w, r, http.StatusUnauthorized, "login", loginPage{Username: username, Next: next, Failed: true})
	case err != nil:
		return err
	}
	secret, err := s.identity.CreateSession(r.Context(), p)
	if err != nil {
		return err
	}
	s.cookies.setSession(w, secret, s.identity.SessionTTL)
	s.cookies.setPreSession(w, newPreSession()) // for the forms after signing out
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
	if secret := s.cookies.sessionSecret(r); secret != "" {
		if err := s.identity.EndSession(r.Context(), secret); err != nil {
			return err
		}
	}
	s.cookies.clearSession(w)
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
