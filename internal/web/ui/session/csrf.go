package session

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"

	"dataport/internal/identity"
)

// The CSRF defence binds every form to the browser's session: the token in
// the hidden field csrf_token is the HMAC, under a server key, of the
// session cookie's value (cookies.formToken). Anonymous forms (sign-in,
// password reset) are bound the same way to a random pre-session cookie,
// replaced at sign-in. A cookie planted from outside cannot pass: its token
// needs the server key. Go's cross-origin protection (Sec-Fetch-Site /
// Origin) runs in front as a second line (CrossOrigin).

// Error is a failure of the browser request itself rather than of the
// domain: a missing CSRF token, an oversized or unreadable form.
type Error struct {
	Status int    // the HTTP status to answer with
	Key    string // the UI's message key of the explanation
}

func (e *Error) Error() string { return e.Key }

// The refusals of the middleware (and of forms read outside it, such as uploads).
var (
	ErrCSRF        = &Error{http.StatusForbidden, "error.csrf"}
	ErrCrossOrigin = &Error{http.StatusForbidden, "error.cross_origin"}
	ErrTooLarge    = &Error{http.StatusRequestEntityTooLarge, "error.too_large"}
	ErrBadForm     = &Error{http.StatusBadRequest, "error.bad_request"}
)

type csrfKey struct{}

// formKeyName names the server key the tokens are derived with.
const formKeyName = "ui-form-tokens"

// CSRFToken returns the token of the request's browser, for its forms; ""
// outside CheckCSRF.
func CSRFToken(ctx context.Context) string {
	t, _ := ctx.Value(csrfKey{}).(string)
	return t
}

// WithCSRFToken gives ctx the browser's token for the forms of a page
// rendered outside CheckCSRF (after a multipart form checked with CSRF).
func WithCSRFToken(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, csrfKey{}, token)
}

// CSRF returns the token the forms of r's browser must carry, for a form
// read outside CheckCSRF (a multipart upload): bound to its session when it
// sends a session cookie, else to its pre-session cookie; "" when it has
// neither. It needs Load to have run.
func (m *Manager) CSRF(r *http.Request) string {
	return m.cookies.csrfFor(r, m.cookies.sessionSecret(r) != "")
}

// newPreSession returns a fresh random pre-session cookie value.
func newPreSession() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// loadFormKey reads the server's form key into the cookies once.
func (m *Manager) loadFormKey(ctx context.Context) error {
	if m.cookies.formKey.Load() != nil {
		return nil
	}
	key, err := m.identity.ServerKey(ctx, formKeyName)
	if err != nil {
		return err
	}
	m.cookies.formKey.Store(&key)
	return nil
}

// CheckCSRF refuses unsafe requests whose csrf_token field is not the
// token of the browser's session (or pre-session), and gives an anonymous
// browser without a pre-session cookie one. It runs after Load, and parses
// the form of every unsafe request (ErrTooLarge, ErrBadForm).
func (m *Manager) CheckCSRF(next http.Handler) http.Handler {
	return m.handle(func(w http.ResponseWriter, r *http.Request) error {
		signedIn := !identity.FromContext(r.Context()).IsAnonymous()
		token := m.cookies.csrfFor(r, signedIn)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if err := parseForm(r); err != nil {
				return err
			}
			if !tokenMatches(r.PostForm.Get("csrf_token"), token) {
				return ErrCSRF
			}
		}
		if token == "" && !signedIn {
			pre := newPreSession()
			m.cookies.setPreSession(w, pre)
			token = m.cookies.formToken("pre-session", pre)
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), csrfKey{}, token)))
		return nil
	})
}

// CrossOrigin refuses cross-origin unsafe requests (Go's
// http.CrossOriginProtection) with ErrCrossOrigin.
func (m *Manager) CrossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(m.handle(func(http.ResponseWriter, *http.Request) error { return ErrCrossOrigin }))
	return cop.Handler(next)
}

// tokenMatches compares a sent token with the expected one in constant time.
func tokenMatches(sent, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(sent), []byte(want)) == 1
}

// parseForm reads a url-encoded form body, mapping an oversized body to 413.
func parseForm(r *http.Request) error {
	err := r.ParseForm()
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return ErrTooLarge
	case err != nil:
		return ErrBadForm
	}
	return nil
}
