package ui

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
// Origin) runs in front as a second line (routes.go).

type csrfKey struct{}

// formKeyName names the server key the tokens are derived with.
const formKeyName = "ui-form-tokens"

// csrfToken returns the token of the request's browser, for forms.
func csrfToken(ctx context.Context) string {
	t, _ := ctx.Value(csrfKey{}).(string)
	return t
}

// newPreSession returns a fresh random pre-session cookie value.
func newPreSession() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// loadFormKey reads the server's form key into the cookies once.
func (s *server) loadFormKey(ctx context.Context) error {
	if s.cookies.formKey.Load() != nil {
		return nil
	}
	key, err := s.identity.ServerKey(ctx, formKeyName)
	if err != nil {
		return err
	}
	s.cookies.formKey.Store(&key)
	return nil
}

// checkCSRF refuses unsafe requests whose csrf_token field is not the
// token of the browser's session (or pre-session), and gives an anonymous
// browser without a pre-session cookie one. It runs after loadSession.
func (s *server) checkCSRF(next http.Handler) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		signedIn := !identity.FromContext(r.Context()).IsAnonymous()
		token := s.cookies.csrfFor(r, signedIn)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if err := parseForm(r); err != nil {
				return err
			}
			if !tokenMatches(r.PostForm.Get("csrf_token"), token) {
				return errCSRF
			}
		}
		if token == "" && !signedIn {
			pre := newPreSession()
			s.cookies.setPreSession(w, pre)
			token = s.cookies.formToken("pre-session", pre)
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), csrfKey{}, token)))
		return nil
	})
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
		return errTooLarge
	case err != nil:
		return errBadForm
	}
	return nil
}
