// Package web assembles dataport's HTTP surface: the portal and work UI, the
// native API, health checks and metrics, each with its own middleware.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"dataport/internal/store"
	"dataport/internal/web/api"
	"dataport/internal/web/dsp"
	"dataport/internal/web/services"
	"dataport/internal/web/ui"
	"dataport/internal/web/uploadgate"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Config holds what the HTTP surface serves: the application services,
// shared by every surface, and the site's own settings.
type Config struct {
	services.Services
	DB            *store.DB // for /readyz
	Version       string
	SecureCookies bool
	// PublicURL is the base of the links and IRIs the CKAN API and DCAT write.
	PublicURL string
	// MailConfigured says that notices are e-mailed through an SMTP server;
	// the UI's outbox page shows it.
	MailConfigured bool
	// Timeouts bound every request; zero fields take the defaults.
	Timeouts Timeouts
	// Metrics says who may read /metrics (the zero value: loopback only).
	Metrics MetricsAccess
	// DSP serves the exchange's Dataspace Protocol endpoints under /dsp and
	// their version list at /.well-known/dspace-version (internal/web/dsp,
	// built by the wiring); nil leaves both out.
	DSP http.Handler
}

// New returns the handler for the whole site. Every request runs under a
// deadline (Timeouts): ordinary ones 30 s, uploads and exports as long as
// they move.
func New(cfg Config) (http.Handler, error) {
	// One upload gate for the API and the browser, shared by every replica
	// on PostgreSQL.
	uploads := uploadgate.ForStore(cfg.DB)
	browser, err := ui.New(ui.Config{Services: cfg.Services, SecureCookies: cfg.SecureCookies, MailConfigured: cfg.MailConfigured,
		Uploads: uploads})
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := newMetrics(reg)
	if cfg.Ledger != nil {
		reg.MustRegister(newLedgerCollector(cfg.Ledger))
	}
	if cfg.Monitor != nil {
		reg.MustRegister(cfg.Monitor.Collector())
	}
	if cfg.Jobs != nil {
		reg.MustRegister(newJobsCollector(cfg.Jobs))
	}
	if cfg.Access != nil {
		reg.MustRegister(newDecisionLogCollector(cfg.Access))
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", ready(cfg.DB))
	mux.Handle("GET /metrics", cfg.Metrics.guard(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	apiCfg := api.Config{Services: cfg.Services, Version: cfg.Version, Uploads: uploads}
	mux.Handle(api.Prefix+"/", api.New(apiCfg))
	if cfg.Datastore != nil {
		mux.Handle("POST "+api.Prefix+"/resources/{id}/data", api.UploadHandler(apiCfg))
	}
	if cfg.Ledger != nil {
		mux.Handle("GET /ledger/", cfg.Ledger.Handler())
	}
	if cfg.DSP != nil {
		mux.Handle(dsp.Prefix+"/", cfg.DSP)
		mux.Handle("GET "+dsp.VersionPath, cfg.DSP)
	}
	mountSitemap(mux, cfg)
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
