package ui

import (
	"errors"
	"net"
	"net/http"
	"strings"

	"dataport/internal/identity"
	"dataport/internal/store"
)

// loadSession puts the principal of the request's session cookie into its
// context (anonymous without one), and drops a cookie that no longer works.
func (s *server) loadSession(next http.Handler) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
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
}

// loginForm shows the sign-in form.
func (s *server) loginForm(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, http.StatusOK, "login", loginPage{Next: localPath(r.URL.Query().Get("next"), "")})
}

// login checks the credentials, starts a session and returns to the page
// the user came from. Wrong credentials show the form again with the
// username kept; too many failures show the 429 page.
func (s *server) login(w http.ResponseWriter, r *http.Request) error {
	username, next := r.PostForm.Get("username"), localPath(r.PostForm.Get("next"), "")
	p, err := s.identity.Authenticate(r.Context(), username, r.PostForm.Get("password"), clientIP(r))
	if errors.Is(err, identity.ErrBadCredentials) {
		return s.render(w, r, http.StatusUnauthorized, "login", loginPage{Username: username, Next: next, Failed: true})
	} else if err != nil {
		return err
	}
	secret, err := s.identity.CreateSession(r.Context(), p)
	if err != nil {
		return err
	}
	s.cookies.setSession(w, secret, s.identity.SessionTTL)
	s.cookies.setCSRF(w, newCSRFToken()) // a new token for the new session
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
