package ui

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
)

// The CSRF defence is a double submit: each browser holds a random token in
// a cookie, every form carries it in the hidden field csrf_token, and a POST
// whose field does not equal its cookie is refused. Cross-origin protection
// (Sec-Fetch-Site / Origin) runs in front of it as a second line.

type csrfKey struct{}

// csrfTokenLen is the length of a token: 32 random bytes, base64url.
const csrfTokenLen = 43

// newCSRFToken returns a fresh random token.
func newCSRFToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// csrfToken returns the token of the request's browser, for forms.
func csrfToken(ctx context.Context) string {
	t, _ := ctx.Value(csrfKey{}).(string)
	return t
}

// checkCSRF gives each browser a token (setting the cookie when missing) and
// refuses unsafe requests whose csrf_token field does not match it.
func (s *server) checkCSRF(next http.Handler) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		token := s.cookies.csrf(r)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if err := parseForm(r); err != nil {
				return err
			}
			sent := r.PostForm.Get("csrf_token")
			if token == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(token)) != 1 {
				return errCSRF
			}
		}
		if token == "" {
			token = newCSRFToken()
			s.cookies.setCSRF(w, token)
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), csrfKey{}, token)))
		return nil
	})
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
