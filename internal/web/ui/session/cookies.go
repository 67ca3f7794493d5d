package session

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"sync/atomic"
	"time"
)

// cookies names and writes the UI's cookies. Over https they carry the
// Secure flag and the session and pre-session cookies the __Host- prefix,
// which pins them to this host and path "/".
type cookies struct {
	secure     bool
	session    string
	preSession string
	// formKey is the server key CSRF tokens are derived with; Load loads it
	// before any page or form is handled (csrf.go).
	formKey *atomic.Pointer[[]byte]
}

// langCookie remembers the chosen language; it is not a secret, so it keeps
// one plain name everywhere.
const langCookie = "lang"

func newCookies(secure bool) cookies {
	c := cookies{session: "dataport_session", preSession: "dataport_pre", formKey: new(atomic.Pointer[[]byte])}
	if secure {
		c.secure, c.session, c.preSession = true, "__Host-dataport_session", "__Host-dataport_pre"
	}
	return c
}

// set writes a cookie with the UI's common attributes; maxAge < 0 deletes it.
func (c cookies) set(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	ck := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: c.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(maxAge.Seconds())}
	if maxAge < 0 {
		ck.MaxAge = -1
	}
	http.SetCookie(w, ck)
}

// sessionSecret returns the session cookie's value, or "".
func (c cookies) sessionSecret(r *http.Request) string { return value(r, c.session) }

func (c cookies) setSession(w http.ResponseWriter, secret string, ttl time.Duration) {
	c.set(w, c.session, secret, ttl)
}

func (c cookies) clearSession(w http.ResponseWriter) { c.set(w, c.session, "", -1) }

// csrfFor returns the CSRF token the forms of r's browser must carry: bound
// to its session when signedIn (the caller knows the session cookie is a
// live session), else to its pre-session cookie; "" when it has neither (or
// the key is not loaded yet). A stale session cookie is ignored and the
// pre-session binding used.
func (c cookies) csrfFor(r *http.Request, signedIn bool) string {
	if signedIn {
		return c.formToken("session", c.sessionSecret(r))
	}
	return c.formToken("pre-session", value(r, c.preSession))
}

// formToken is the HMAC-SHA256, under the server's form key, of a cookie's
// value and what the cookie is: without the key, and without the cookie
// (HttpOnly), no one can work out the token of another's browser.
func (c cookies) formToken(kind, cookie string) string {
	key := c.formKey.Load()
	if key == nil || cookie == "" {
		return ""
	}
	m := hmac.New(sha256.New, *key)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(cookie))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// setPreSession gives the browser a fresh random pre-session value, which
// binds the CSRF tokens of its forms while nobody is signed in.
func (c cookies) setPreSession(w http.ResponseWriter, value string) {
	c.set(w, c.preSession, value, 365*24*time.Hour)
}

func (c cookies) setLang(w http.ResponseWriter, lang string) {
	c.set(w, langCookie, lang, 365*24*time.Hour)
}

func value(r *http.Request, name string) string {
	ck, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return ck.Value
}
