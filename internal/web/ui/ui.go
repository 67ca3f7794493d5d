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
	"dataport/internal/web/services"
	"dataport/internal/web/ui/session"
	"dataport/internal/web/uploadgate"
)

// Config is what the UI serves: the application services (it needs
// Identity and Catalog; without Search it lists the catalog from the
// database; nil Datastore leaves out the data pages, nil Ledger the event
// histories and the audit pages, nil Grades and Profiles the grading
// section and the de-identification pages) and its own settings.
type Config struct {
	services.Services
	SecureCookies bool // set the Secure flag (and __Host- prefix) on cookies: true when served over https
	// MailConfigured says that notices are e-mailed (an SMTP server is
	// set); the outbox page tells the operators when they are not.
	MailConfigured bool
	// Uploads bounds each account's uploads (nil: uploadgate.New(), this
	// process's own); the site gives the API's and the browser's one gate.
	Uploads *uploadgate.Gate
}

// server holds the services and the parsed pages behind every browser route.
type server struct {
	identity *identity.Service
	catalog  *catalog.Service
	search   *search.Index
	acc      services.Services // the workflows' services: Access, Sharing, Opening, Notify
	log      *slog.Logger
	sessions *session.Manager
	assets   *assets
	pages    *pages

	datastore *datastore.Service // the data pages (data.go)
	jobs      *jobs.Runner       // uploads' loads and the failed jobs page (data.go, jobs_admin.go)
	uploads   *uploadgate.Gate   // each account's uploads at once and a minute (data.go)
	samples   *sampleStore       // the resource form's sample files (desk_infer.go)
	ledger    *ledger.Service    // event histories and the audit pages (audit.go)

	mailConfigured bool // the outbox page's SMTP line (outbox_admin.go)

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
	s := &server{datastore: cfg.Datastore, identity: cfg.Identity, catalog: cfg.Catalog, search: cfg.Search, acc: cfg.Services, log: cfg.Log,
		assets: a, pages: p, uploads: cfg.Uploads, samples: newSampleStore()}
	if s.uploads == nil {
		s.uploads = uploadgate.New()
	}
	s.sessions = session.New(cfg.Identity, cfg.SecureCookies, s.failRequest)
	s.ledger = cfg.Ledger
	s.jobs = cfg.Jobs
	s.mailConfigured = cfg.MailConfigured
	s.grades, s.profiles = cfg.Grades, cfg.Profiles
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
