// Package dsp is the exchange's provider side of the Dataspace Protocol
// 2025-1 over its HTTPS binding, so that any dataspace connector can trade
// with the exchange: the catalog of listed products (dcat:Dataset with
// odrl:hasPolicy offers), contract negotiation and transfer processes
// with HttpData-PULL delivery, under /dsp, and the version list at
// /.well-known/dspace-version. It drives the same state machines as the
// native API (exchange/trade); messages to the consumer's callbackAddress
// are queued in the transaction of the change they report and sent after
// commit (outbox.go). Every message sent and received is validated against
// the protocol's JSON Schemas (schemas.go); callers authenticate with a
// dataport API token of a user of an admitted buyer participant.
package dsp

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"dataport/internal/exchange"
	"dataport/internal/exchange/trade"
	"dataport/internal/identity"
	"dataport/internal/store"
)

// Prefix is where the protocol's endpoints are mounted; VersionPath lists
// the versions served.
const (
	Prefix      = "/dsp"
	VersionPath = "/.well-known/dspace-version"
)

// Config tunes the provider.
type Config struct {
	// PublicURL is how consumers reach this server (https://…): the data
	// service's endpoint is PublicURL + Prefix.
	PublicURL string
	// ParticipantID names the exchange in its catalog (default PublicURL + Prefix).
	ParticipantID string
	// InsecureCallbacks lets callback addresses use http:// and reach
	// loopback and private addresses: for tests and local trials only. By
	// default callbacks go to https:// addresses on public networks alone,
	// so that a consumer cannot make the provider call into its own network.
	InsecureCallbacks bool
	// Attempts is how often a callback is tried before it is given up
	// (default 12, about 35 minutes of backoff).
	Attempts int
	// Workers is how many callbacks are sent at once (default 8).
	Workers int
	// Timeout bounds one callback request (default 10 s).
	Timeout time.Duration
	// Writers is how many messages that change a process are handled at
	// once (default 2); more wait their turn. SQLite has one writer: more
	// at once only queue for its lock (sleeping between tries), each
	// holding a pooled connection; with 2, 16 concurrent consumers cost
	// 6.7–7.5 ms CPU per negotiation, with 4, 9.7 ms.
	Writers int
	// Log records callbacks given up and internal errors (nil: slog.Default).
	Log *slog.Logger
}

// Handler serves the protocol (an http.Handler for Prefix and
// VersionPath) and sends its callbacks.
type Handler struct {
	tr   *trade.Service
	ex   *exchange.Service
	ids  *identity.Service
	db   *store.DB
	cfg  Config
	log  *slog.Logger
	mux  *http.ServeMux
	out  *dispatcher
	once sync.Once
	// writers holds a slot per message being handled that may change a process.
	writers chan struct{}
}

// New returns the provider and registers its hook on tr, which queues the
// callbacks of every change of a protocol negotiation or transfer. Start
// sends them.
func New(tr *trade.Service, ex *exchange.Service, ids *identity.Service, db *store.DB, cfg Config) *Handler {
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.ParticipantID == "" {
		cfg.ParticipantID = cfg.PublicURL + Prefix
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 12
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Writers <= 0 {
		cfg.Writers = 2
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	h := &Handler{tr: tr, ex: ex, ids: ids, db: db, cfg: cfg, log: cfg.Log, mux: http.NewServeMux(), writers: make(chan struct{}, cfg.Writers)}
	h.out = newDispatcher(h)
	h.routes()
	tr.OnChange(h.queueCallbacks)
	return h
}

// Route is one endpoint of the binding.
type Route struct{ Method, Path string }

// Routes lists every endpoint the handler serves, with {placeholders}
// for path parameters (the route-walking tests read it).
func Routes() []Route {
	return []Route{
		{http.MethodGet, VersionPath},
		{http.MethodPost, Prefix + "/catalog/request"},
		{http.MethodGet, Prefix + "/catalog/datasets/{id}"},
		{http.MethodGet, Prefix + "/negotiations/{pid}"},
		{http.MethodPost, Prefix + "/negotiations/request"},
		{http.MethodPost, Prefix + "/negotiations/{pid}/request"},
		{http.MethodPost, Prefix + "/negotiations/{pid}/events"},
		{http.MethodPost, Prefix + "/negotiations/{pid}/agreement/verification"},
		{http.MethodPost, Prefix + "/negotiations/{pid}/termination"},
		{http.MethodGet, Prefix + "/transfers/{pid}"},
		{http.MethodPost, Prefix + "/transfers/request"},
		{http.MethodPost, Prefix + "/transfers/{pid}/start"},
		{http.MethodPost, Prefix + "/transfers/{pid}/completion"},
		{http.MethodPost, Prefix + "/transfers/{pid}/suspension"},
		{http.MethodPost, Prefix + "/transfers/{pid}/termination"},
	}
}

// routes is the binding's route table, in the order of Routes.
func (h *Handler) routes() {
	handlers := []http.HandlerFunc{
		h.versions,
		h.catalogRequest, h.datasetByID,
		h.getNegotiation, h.requestNegotiation, h.counterRequest, h.negotiationEvent, h.verifyAgreement, h.terminateNegotiation,
		h.getTransfer, h.requestTransfer, h.restartTransfer, h.completeTransfer, h.suspendTransfer, h.terminateTransfer,
	}
	for i, r := range Routes() {
		h.mux.HandleFunc(r.Method+" "+r.Path, handlers[i])
	}
}

// ServeHTTP serves the binding: bodies are capped, answers are JSON and
// never sniffed or cached; messages (POST) take a writer's slot.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if r.Method == http.MethodPost {
		select {
		case h.writers <- struct{}{}:
			defer func() { <-h.writers }()
		case <-r.Context().Done():
			http.Error(w, "request cancelled", http.StatusServiceUnavailable)
			return
		}
	}
	h.mux.ServeHTTP(w, r)
}

// maxBody caps a request body: protocol messages are small.
const maxBody = 256 << 10

// Start sends queued callbacks from now until ctx ends: those queued
// before (after a restart) and each one as soon as its change commits.
// Call it once; Wait returns when the senders have stopped.
func (h *Handler) Start(ctx context.Context) {
	h.once.Do(func() { h.out.start(ctx) })
}

// Wait returns once the senders Start began have stopped (ctx ended).
func (h *Handler) Wait() { h.out.wait() }

// Deliver sends the callbacks that are due now, those queued while no
// sender ran and those waiting to be tried again: periodic work. It
// returns how many were sent.
func (h *Handler) Deliver(ctx context.Context, now time.Time) (int, error) {
	return h.out.sweep(ctx, now)
}
