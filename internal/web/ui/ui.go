// Package ui is dataport's server-rendered portal and work UI: html/template
// pages in Chinese (default) and English, browser sessions in cookies,
// CSRF-checked forms, and embedded assets under content-hashed URLs. Pages
// need no JavaScript and load nothing from other hosts.
package ui

import (
	"errors"
	"log/slog"
	"net/http"

	"dataport/internal/catalog"
	"dataport/internal/identity"
)

// Config is what the UI needs from the rest of the application.
type Config struct {
	Identity      *identity.Service
	Catalog       *catalog.Service
	Log           *slog.Logger
	SecureCookies bool // set the Secure flag (and __Host- prefix) on cookies: true when served over https
}

// server holds the services and the parsed pages behind every browser route.
type server struct {
	identity *identity.Service
	catalog  *catalog.Service
	log      *slog.Logger
	cookies  cookies
	assets   *assets
	pages    *pages
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
	s := &server{identity: cfg.Identity, catalog: cfg.Catalog, log: cfg.Log,
		cookies: newCookies(cfg.SecureCookies), assets: a, pages: p}
	return s.handler(), nil
}
