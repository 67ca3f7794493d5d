// Package ui is dataport's server-rendered portal and work UI: html/template
// pages in Chinese (default) and English, browser sessions in cookies,
// CSRF-checked forms, and embedded assets under content-hashed URLs. Pages
// need no JavaScript and load nothing from other hosts.
package ui

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"dataport/internal/catalog"
	"dataport/internal/classify"
	"dataport/internal/datastore"
	"dataport/internal/deid"
	"dataport/internal/identity"
	"dataport/internal/jobs"
	"dataport/internal/ledger"
	"dataport/internal/search"
	"dataport/internal/web/ui/session"
)

// Config is what the UI needs from the rest of the application.
type Config struct {
	Identity      *identity.Service
	Catalog       *catalog.Service
	Search        *search.Index  // the portal's search; nil lists the catalog from the database
	Access        AccessServices // grants, share requests, open applications, open lists, notices
	Log           *slog.Logger
	SecureCookies bool // set the Secure flag (and __Host- prefix) on cookies: true when served over https
	// Datastore serves the data pages (data.go); nil leaves them out.
	Datastore *datastore.Service
	// Jobs runs the loads of uploaded files in the background and lists
	// failed jobs to sysadmins (data.go, jobs_admin.go); nil leaves uploads
	// through the browser and that list out.
	Jobs *jobs.Runner
	// Ledger serves the event histories, the verify pages and the audit page
	// (ledger_history.go, audit.go); nil leaves them out.
	Ledger *ledger.Service
	// Classify and Deid serve the grading section of the resource page and
	// the de-identification profile pages (grading.go, deid_pages.go); nil
	// leaves them out.
	Classify *classify.Service
	Deid     *deid.Service
}

// server holds the services and the parsed pages behind every browser route.
type server struct {
	identity *identity.Service
	catalog  *catalog.Service
	search   *search.Index
	acc      AccessServices
	log      *slog.Logger
	sessions *session.Manager
	assets   *assets
	pages    *pages

	datastore *datastore.Service // the data pages (data.go)
	jobs      *jobs.Runner       // uploads' loads and the failed jobs page (data.go, jobs_admin.go)
	ledger    *ledger.Service    // event histories and the audit pages (audit.go)

	grades   *classify.Service // the grading section (grading.go)
	profiles *deid.Service     // the de-identification pages (deid_pages.go)
}

// New returns the handler for every browser route ("/" and below; the lead
// mounts /api/v1/, /healthz, /readyz, /metrics separately). It fails only when
// the embedded templates or assets are broken.
func New(cfg Config) (http.Handler, error) {
	if cfg.Identity == nil || cfg.Catalog == nil {
		return nil, errors.New("ui: Config needs Identity and Catalog")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	a, err := loadAssets()
	if err != nil {
		return nil, err
	}
	p, err := loadPages(a)
	if err != nil {
		return nil, err
	}
	s := &server{datastore: cfg.Datastore, identity: cfg.Identity, catalog: cfg.Catalog, search: cfg.Search, acc: cfg.Access, log: cfg.Log,
		assets: a, pages: p}
	s.sessions = session.New(cfg.Identity, cfg.SecureCookies, s.failRequest)
	s.ledger = cfg.Ledger
	s.jobs = cfg.Jobs
	s.grades, s.profiles = cfg.Classify, cfg.Deid
	return s.handler(), nil
}

// failRequest shows a request the session middleware refused.
func (s *server) failRequest(w http.ResponseWriter, r *http.Request, err error) {
	var se *session.Error
	if errors.As(err, &se) {
		err = &uiError{se.Status, se.Key}
	}
	s.fail(w, r, err)
}

// csrfToken returns the CSRF token of the request's browser, for its forms.
func csrfToken(ctx context.Context) string { return session.CSRFToken(ctx) }
