// Package web assembles dataport's HTTP surface: the portal and work UI, the
// native API, health checks and metrics, each with its own middleware.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/jobs"
	"dataport/internal/ledger"
	"dataport/internal/notify"
	"dataport/internal/opening"
	"dataport/internal/search"
	"dataport/internal/sharing"
	"dataport/internal/store"
	"dataport/internal/web/api"
	"dataport/internal/web/ui"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Config holds what the HTTP surface serves.
type Config struct {
	DB            *store.DB
	Identity      *identity.Service
	Catalog       *catalog.Service
	Ledger        *ledger.Service
	Access        *access.Service
	Sharing       *sharing.Service
	Opening       *opening.Service
	Notify        *notify.Service
	Log           *slog.Logger
	Version       string
	SecureCookies bool
	// Search and Indexer serve the portal's search, the CKAN API and DCAT;
	// PublicURL is the base of the links and IRIs they write.
	Search    *search.Index
	Indexer   *search.Indexer
	PublicURL string
	// Datastore loads and serves resource rows (native rows API, uploads, UI).
	Datastore *datastore.Service
	// Jobs runs the loads of files uploaded through the browser, in the
	// background; nil leaves that upload out.
	Jobs *jobs.Runner
	// Classify grades resources and keeps their de-identification profiles.
	Classify api.ClassifyServices
	// Timeouts bound every request; zero fields take the defaults.
	Timeouts Timeouts
}

// New returns the handler for the whole site. Every request runs under a
// deadline (Timeouts): ordinary ones 30 s, uploads and exports as long as
// they move.
func New(cfg Config) (http.Handler, error) {
	browser, err := ui.New(ui.Config{Datastore: cfg.Datastore, Jobs: cfg.Jobs, Identity: cfg.Identity, Catalog: cfg.Catalog, Search: cfg.Search, Log: cfg.Log, SecureCookies: cfg.SecureCookies,
		Ledger: cfg.Ledger, Access: ui.AccessServices{Access: cfg.Access, Sharing: cfg.Sharing, Opening: cfg.Opening, Notify: cfg.Notify},
		Classify: cfg.Classify.Grades, Deid: cfg.Classify.Profiles})
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := newMetrics(reg)
	if cfg.Ledger != nil {
		reg.MustRegister(newLedgerCollector(cfg.Ledger))
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", ready(cfg.DB))
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle(api.Prefix+"/", api.New(api.Config{Datastore: cfg.Datastore, Identity: cfg.Identity, Catalog: cfg.Catalog, Ledger: cfg.Ledger, Log: cfg.Log, Version: cfg.Version,
		Access: api.AccessServices{Access: cfg.Access, Sharing: cfg.Sharing, Opening: cfg.Opening, Notify: cfg.Notify}, Classify: cfg.Classify}))
	if cfg.Datastore != nil {
		mux.Handle("POST "+api.Prefix+"/resources/{id}/data", api.UploadHandler(api.Config{Identity: cfg.Identity, Datastore: cfg.Datastore, Log: cfg.Log}))
	}
	if cfg.Ledger != nil {
		mux.Handle("GET /ledger/", cfg.Ledger.Handler())
	}
	mountPortal(mux, cfg, browser)
	mux.Handle("/", browser)
	return bound(cfg.Timeouts, recoverPanics(cfg.Log, clientContext(m.observe(mux)))), nil
}

func ready(db *store.DB) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := db.PingContext(ctx); err != nil {
			http.Error(w, "database unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	}
}

type metrics struct {
	requests *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "dataport_http_request_duration_seconds",
		Help:    "HTTP requests by route pattern, method and status.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"pattern", "method", "status"})}
	reg.MustRegister(m.requests)
	return m
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (m *metrics) observe(next *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		_, pattern := next.Handler(r)
		m.requests.WithLabelValues(pattern, r.Method, strconv.Itoa(rec.status)).Observe(time.Since(start).Seconds())
	})
}

func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil && v != http.ErrAbortHandler {
				log.ErrorContext(r.Context(), "panic serving request", "path", r.URL.Path, "panic", v)
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
