package ui

import (
	"net/http"
	"net/url"
	"strings"

	"dataport/internal/web/ui/session"
)

// The UI's languages: Chinese is the default, English the alternative.
const (
	langZh = session.Chinese
	langEn = session.English
)

// langOf returns the language chosen in r's cookie, Chinese by default.
func langOf(r *http.Request) string { return session.Lang(r) }

// switchLanguage remembers the language in ?to= and returns to ?next= when
// that is a path on this site (anything else goes to the home page, so the
// switch cannot be used as an open redirect).
func (s *server) switchLanguage(w http.ResponseWriter, r *http.Request) error {
	s.sessions.SetLang(w, r.URL.Query().Get("to"))
	http.Redirect(w, r, localPath(r.URL.Query().Get("next"), "/"), http.StatusSeeOther)
	return nil
}

// localPath returns next when it is a path on this site ("/catalog?q=x"),
// fallback otherwise: absolute URLs, scheme-relative "//host" and "/\host"
// (which browsers treat as "//host") are all refused.
func localPath(next, fallback string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, `/\`) {
		return fallback
	}
	if strings.ContainsFunc(next, func(c rune) bool { return c < 0x20 || c == 0x7f }) {
		return fallback
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return fallback
	}
	return next
}
