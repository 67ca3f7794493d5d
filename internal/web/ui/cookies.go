package ui

import (
	"net/http"
	"time"
)

// cookies names and writes the UI's cookies. Over https they carry the
// Secure flag and the session and CSRF cookies the __Host- prefix, which
// pins them to this host and path "/".
type cookies struct {
	secure  bool
	session string
	token   string
}

// langCookie remembers the chosen language; it is not a secret, so it keeps
// one plain name everywhere.
const langCookie = "lang"

func newCookies(secure bool) cookies {
	if secure {
		return cookies{secure: true, session: "__Host-dataport_session", token: "__Host-dataport_csrf"}
	}
	return cookies{session: "dataport_session", token: "dataport_csrf"}
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

// csrf returns the browser's CSRF token, or "" when it has none (or a malformed one).
func (c cookies) csrf(r *http.Request) string {
	if t := value(r, c.token); len(t) == csrfTokenLen {
		return t
	}
	return ""
}

// setCSRF stores the browser's CSRF token for a year; it is no secret from
// the browser itself, only from other sites.
func (c cookies) setCSRF(w http.ResponseWriter, token string) {
	c.set(w, c.token, token, 365*24*time.Hour)
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
