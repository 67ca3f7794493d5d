// Package session is the browser UI's request middleware: the principal of
// the session cookie, CSRF tokens bound to that session, the security
// headers and body cap of every page, and the chosen language. It decides
// what a browser request may do; the ui package decides how to show it.
package session

import (
	"context"
	"errors"
	"net/http"

	"dataport/internal/identity"
	"dataport/internal/store"
)

// Manager runs the middleware of one UI: it reads and writes the UI's
// cookies and reports refused requests through the UI's error page.
type Manager struct {
	identity *identity.Service
	cookies  cookies
	fail     func(http.ResponseWriter, *http.Request, error)
}

// New returns the middleware of a UI whose sessions live in ids. Over https
// (secure) its cookies carry the Secure flag and the __Host- prefix. fail
// shows a refused request; its error is one of this package's *Error values
// or an error of ids.
func New(ids *identity.Service, secure bool, fail func(http.ResponseWriter, *http.Request, error)) *Manager {
	return &Manager{identity: ids, cookies: newCookies(secure), fail: fail}
}

// Secure reports whether the UI is served over https.
func (m *Manager) Secure() bool { return m.cookies.secure }

// handle turns h into an http.Handler that shows h's error, if any.
func (m *Manager) handle(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			m.fail(w, r, err)
		}
	})
}

// Load puts the principal of the request's session cookie into its context
// (anonymous without one), and drops a cookie that no longer works. The
// principal is read afresh on every request, so a removed role, a disabled
// account or an ended session holds from the next request on. It also loads
// the key CSRF tokens are derived with (csrf.go).
func (m *Manager) Load(next http.Handler) http.Handler {
	return m.handle(func(w http.ResponseWriter, r *http.Request) error {
		if err := m.loadFormKey(r.Context()); err != nil {
			return err
		}
		p := identity.Anonymous
		if secret := m.cookies.sessionSecret(r); secret != "" {
			var err error
			p, err = m.identity.SessionPrincipal(r.Context(), secret)
			if errors.Is(err, identity.ErrUnauthenticated) || errors.Is(err, store.ErrNotFound) {
				m.cookies.clearSession(w)
				p = identity.Anonymous
			} else if err != nil {
				return err
			}
		}
		next.ServeHTTP(w, r.WithContext(identity.NewContext(r.Context(), p)))
		return nil
	})
}

// Start begins a session for p, who has just signed in, and gives the
// browser a fresh pre-session for the forms after signing out.
func (m *Manager) Start(ctx context.Context, w http.ResponseWriter, p identity.Principal) error {
	secret, err := m.identity.CreateSession(ctx, p)
	if err != nil {
		return err
	}
	m.cookies.setSession(w, secret, m.identity.SessionTTL)
	m.cookies.setPreSession(w, newPreSession())
	return nil
}

// End ends the session of r's browser, if it has one, and drops its cookie.
func (m *Manager) End(w http.ResponseWriter, r *http.Request) error {
	if secret := m.cookies.sessionSecret(r); secret != "" {
		if err := m.identity.EndSession(r.Context(), secret); err != nil {
			return err
		}
	}
	m.cookies.clearSession(w)
	return nil
}

// Secret returns the value of r's session cookie, or "": the session a
// password change keeps.
func (m *Manager) Secret(r *http.Request) string { return m.cookies.sessionSecret(r) }
