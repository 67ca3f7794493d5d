package ui

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
	"dataport/internal/web/problem"
	"dataport/internal/web/ui/i18n"
)

// handlerFunc is a browser handler: it writes a page or a redirect, or
// returns an error for handle to render.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle turns h into an http.Handler that renders h's error, if any.
func (s *server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
}

// uiError is a failure of the browser request itself rather than of the
// domain: a missing CSRF token, an oversized or unreadable form.
type uiError struct {
	status int
	key    string // message key of the explanation
}

func (e *uiError) Error() string { return e.key }

var (
	errCSRF        = &uiError{http.StatusForbidden, "error.csrf"}
	errCrossOrigin = &uiError{http.StatusForbidden, "error.cross_origin"}
	errTooLarge    = &uiError{http.StatusRequestEntityTooLarge, "error.too_large"}
	errBadForm     = &uiError{http.StatusBadRequest, "error.bad_request"}
)

// errorPage is the data of the error template.
type errorPage struct {
	Status int
	Detail string   // the client's own error, translated where we can
	Fields []string // field problems of a 422 outside a form
}

// fail renders err as a translated error page, or sends an anonymous caller
// to sign in. Errors that are not the client's are logged, never shown.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	pr := problem.Of(identity.FromContext(r.Context()), err)
	status, public := pr.Status, pr.Public
	var ue *uiError
	if errors.As(err, &ue) {
		status, public = ue.status, true
	}
	if status == http.StatusUnauthorized {
		http.Redirect(w, r, loginURL(r), http.StatusSeeOther)
		return
	}
	if !public {
		s.log.ErrorContext(r.Context(), "ui request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	for k, v := range pr.Header {
		w.Header()[k] = v
	}
	page := errorPage{Status: status}
	lang := langOf(r)
	switch {
	case ue != nil:
		page.Detail = i18n.T(lang, ue.key)
	case status == http.StatusUnprocessableEntity:
		page.Fields = summarize(lang, pr.Fields)
	case status == http.StatusConflict || status == http.StatusTooManyRequests:
		page.Detail = problemText(lang, pr.Code, pr.Args, pr.Detail)
	}
	if err := s.render(w, r, status, "error", page); err != nil {
		s.log.ErrorContext(r.Context(), "ui error page failed", "err", err)
		http.Error(w, http.StatusText(status), status)
	}
}

// loginURL is the sign-in page that returns to r's page afterwards.
func loginURL(r *http.Request) string {
	next := r.URL.RequestURI()
	if r.Method != http.MethodGet {
		next = "/my"
	}
	return "/login?next=" + url.QueryEscape(next)
}

// fieldErrors returns the field problems inside err (nil when it has none).
func fieldErrors(err error) validate.Errors {
	var errs validate.Errors
	errors.As(err, &errs)
	return errs
}

// view is what every template receives: who is asking, in which language,
// the CSRF token for its forms, and the page's own data.
type view struct {
	Lang      string // "zh" or "en"
	Principal identity.Principal
	CSRFToken string
	Path      string // the request's path and query, for the language switch
	Notice    string // message key of a "done" banner
	Unread    int    // the viewer's unread notices, for the navigation
	Exchange  bool   // the exchange's pages are served, for the navigation
	Zones     bool   // the data zones' pages are served, for the navigation
	Data      any
}

// SignedIn reports whether someone is signed in.
func (v view) SignedIn() bool { return !v.Principal.IsAnonymous() }

// Current reports whether the page is the section at path ("/catalog"
// covers "/catalog?q=x"; "/" only the home page itself).
func (v view) Current(path string) bool {
	here, _, _ := strings.Cut(v.Path, "?")
	if path == "/" {
		return here == "/"
	}
	return here == path || strings.HasPrefix(here, path+"/")
}

// CanReview reports whether the viewer reviews catalog entries.
func (v view) CanReview() bool { return catalog.CanReview(v.Principal) }

// render executes page into a buffer and only then writes it with status, so
// a failing template never leaves half a page.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) error {
	v := view{Lang: langOf(r), Principal: identity.FromContext(r.Context()), CSRFToken: csrfToken(r.Context()),
		Path: pagePath(r), Notice: notice(r), Unread: s.unreadNotices(r), Exchange: s.acc.Exchange != nil, Zones: s.acc.Zones != nil, Data: data}
	var buf bytes.Buffer
	if err := s.pages.execute(&buf, v.Lang, page, v); err != nil {
		return fmt.Errorf("ui: render %s: %w", page, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "private, no-cache")
	}
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}

// pagePath is the address of the page being shown, for links back to it. A
// form's response (POST) has no address of its own, so it is the page the
// form was on, from the same-origin Referer, or the home page.
func pagePath(r *http.Request) string {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return r.URL.RequestURI()
	}
	ref, err := url.Parse(r.Referer())
	if err != nil || ref.Host != r.Host {
		return "/"
	}
	return localPath(ref.RequestURI(), "/")
}

// notice returns the message key of the ?done= banner, when it names one.
func notice(r *http.Request) string {
	done := r.URL.Query().Get("done")
	if done == "" || !i18n.Has("done."+done) {
		return ""
	}
	return "done." + done
}

// seeOther redirects to path with a "done" banner after a successful form.
func seeOther(w http.ResponseWriter, r *http.Request, path, done string) error {
	if done != "" {
		path += "?done=" + url.QueryEscape(done)
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
	return nil
}

// notFound is the page for every path no route claims.
func (s *server) notFound(w http.ResponseWriter, r *http.Request) error {
	return fmt.Errorf("ui: no page at %s: %w", r.URL.Path, store.ErrNotFound)
}

// principal returns who made r.
func principal(r *http.Request) identity.Principal { return identity.FromContext(r.Context()) }

// requireUser returns the signed-in principal, or ErrUnauthenticated so that
// an anonymous caller is sent to sign in.
func requireUser(r *http.Request) (identity.Principal, error) {
	p := principal(r)
	if p.IsAnonymous() {
		return p, identity.ErrUnauthenticated
	}
	return p, nil
}
