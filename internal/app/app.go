// Package app wires dataport together: configuration → store → services →
// HTTP server. It is the only place that builds everything.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"

	"dataport/internal/access"
	"dataport/internal/assess"
	"dataport/internal/catalog"
	"dataport/internal/classify"
	"dataport/internal/deid"
	"dataport/internal/engage"
	"dataport/internal/exchange"
	"dataport/internal/exchange/asset"
	"dataport/internal/exchange/dispute"
	"dataport/internal/exchange/risk"
	"dataport/internal/exchange/trade"
	"dataport/internal/harvest"
	"dataport/internal/identity"
	"dataport/internal/jobs"
	"dataport/internal/ledger"
	"dataport/internal/monitor"
	"dataport/internal/monitor/incident"
	"dataport/internal/notify"
	"dataport/internal/opening"
	"dataport/internal/portal"
	"dataport/internal/review"
	"dataport/internal/sharing"
	"dataport/internal/signup"
	"dataport/internal/stats"
	"dataport/internal/store"
	"dataport/internal/web"
	"dataport/internal/web/dsp"
	"dataport/internal/web/services"
	"dataport/internal/workday"
	"dataport/internal/zones"
)

// Config is the whole configuration of a dataport process.
type Config struct {
	Addr        string // listen address, e.g. 127.0.0.1:8080
	DataDir     string // SQLite file, ledger, blobs
	DatabaseURL string // postgres://...; empty for the embedded SQLite store
	PublicURL   string // how users reach the server; https:// turns on secure cookies
	Version     string
	Log         *slog.Logger

	// LedgerOrigin is the origin line of the ledger's checkpoints; empty
	// derives it from PublicURL when the ledger key is first created.
	LedgerOrigin string

	// AnonymousRate is how many data reads a minute one anonymous client
	// address may make (0: the access package's default).
	AnonymousRate int

	// DatastoreSQL turns on CKAN's datastore_search_sql (off by default).
	DatastoreSQL bool

	// GradingRules is the operator's grading rule file (YAML or JSON); empty uses the shipped rules.
	GradingRules string

	// Holidays is the operator's public-holiday schedule file (YAML or
	// JSON), adding years to the shipped ones; empty uses the shipped ones.
	Holidays string

	// SMTP is the mail server notices are e-mailed through; without a
	// host, notices wait in the outbox (the admin's outbox page shows them).
	SMTP notify.SMTP

	// Metrics says who may read /metrics: networks and a bearer token.
	Metrics web.MetricsAccess

	// OIDC is single sign-on with the city's unified identity (off
	// without an issuer); its RedirectURL is derived from PublicURL.
	OIDC signup.OIDC

	// DSPInsecureCallbacks lets Dataspace Protocol consumers' callback
	// addresses be http:// and on loopback or private networks (local
	// trials and tests only).
	DSPInsecureCallbacks bool

	// Node names this replica among the processes sharing DatabaseURL and
	// DataDir (see jobs.Config.Node); empty: the only process on the data
	// dir, named in its node-id file.
	Node string
	// SearchDir is this replica's own search index; empty: SearchDir's default.
	SearchDir string
	// ReadDatabaseURL is a PostgreSQL streaming replica for read-only
	// paths; empty: every read goes to DatabaseURL.
	ReadDatabaseURL string

	// Incidents sets the deadlines of data security incidents (hours per
	// level to notify persons and to report; zero fields: the defaults).
	Incidents incident.Config
}

// App is an opened store with the services on it.
type App struct {
	Config   Config
	DB       *store.DB
	Identity *identity.Service
	Catalog  *catalog.Service
	Ledger   *ledger.Service
	Access   *access.Service
	Review   *review.Service // the review cases of every kind: share requests, open applications
	Sharing  *sharing.Service
	Opening  *opening.Service
	Notify   *notify.Service
	Grades   *classify.Service // classification and grading (GB/T 43697), enforcement
	Profiles *deid.Service     // de-identification profiles per resource
	Calendar *workday.Calendar // the working days deadlines are counted in
	Jobs     *jobs.Runner      // background jobs: loads of uploads, harvests, e-mail, periodic work (jobs.go)
	Harvest  *harvest.Sources  // other portals' catalogs harvested on a schedule (jobs.go)
	Signup   *signup.Service   // self-registration, company verification, single sign-on
	Engage   *engage.Service   // counts, ratings, comments, error reports and follows of datasets
	Portal   *portal.Service   // data requests, apps built on the data, news, the front page's figures
	Trade    *trade.Service    // the exchange's negotiations (Dataspace Protocol states), contracts, delivery grants, transfers, settlements, ratings
	Disputes *dispute.Service  // disputes over exchange contracts (mediation, arbitration) and contracts' evidence bundles
	Exchange *exchange.Service // the data exchange's participants, products, listing reviews and samples
	Assets   *asset.Service    // the exchange's asset registrations, objection periods, certificates and valuation reports
	Risk     *risk.Engine      // the exchange's risk warning: rules in CEL, circular trades, alerts (risk.go)
	DSP      *dsp.Handler      // the exchange's Dataspace Protocol provider under /dsp and its callbacks (dsp.go)
	Zones    *zones.Service    // public data zones: authorised operators' sandbox queries, disclosure control, budgets (zones.go)
	Assess   *assess.Service   // data security risk assessments (GB/T 20984), required for sharing important data (assess.go)
	Monitor  *monitor.Service  // security monitoring: rules over decisions, sign-ins and events, alerts (monitor.go)
	Stats    *stats.Service    // statistics (art. 7): indicators from the platform's records, daily snapshots (stats.go)

	// Incidents keeps data security incidents: deadlines, tasks, documents, reminders (incidents.go).
	Incidents *incident.Service
}

// nodeName is what Config.Node may be: a DNS label (dots allowed), as
// Kubernetes pod names are; it names a folder in the data dir too.
var nodeName = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$`)

// Open connects to the store (applying migrations) and builds the services.
func Open(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Node != "" && !nodeName.MatchString(cfg.Node) {
		return nil, fmt.Errorf("--node %q: a node name is 1 to 63 lower-case letters, digits, dots and dashes, starting and ending with a letter or digit (a Kubernetes pod name is one)", cfg.Node)
	}
	db, err := store.Open(ctx, store.Config{DataDir: cfg.DataDir, URL: cfg.DatabaseURL})
	if err != nil {
		return nil, err
	}
	if cfg.ReadDatabaseURL != "" { // reads that may lag a few seconds (store/reader.go)
		if err := db.AttachReader(ctx, cfg.ReadDatabaseURL); err != nil {
			db.Close()
			return nil, err
		}
	}
	led := ledger.New(db, ledger.Config{DataDir: cfg.DataDir, Origin: cfg.LedgerOrigin, PublicURL: cfg.PublicURL, Log: cfg.Log})
	cat := catalog.NewService(db)
	ids := identity.NewService(db)
	grades, profiles, err := openClassify(db, cat, cfg.GradingRules)
	if err != nil {
		db.Close()
		return nil, err
	}
	cal, err := calendar(cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	acc := access.New(db, cat, access.Config{AnonymousRate: cfg.AnonymousRate, Logger: cfg.Log, Rules: grades})
	rev := review.NewService(db, review.Config{Calendar: cal})
	a := &App{Config: cfg, DB: db, Identity: ids, Catalog: cat, Ledger: led, Access: acc, Grades: grades, Profiles: profiles, Calendar: cal,
		Review:  rev,
		Sharing: sharing.NewService(db, cat, acc, sharing.Config{Review: rev}),
		Opening: opening.NewService(db, cat, ids, acc, opening.Config{Review: rev}),
		Portal:  portal.New(db, ids, cat, portal.Config{Review: rev}),
		Notify:  notify.NewService(db)}
	a.openAssess()
	a.Exchange = exchange.New(db, ids, cat, acc, exchange.Config{Review: rev, DataDir: cfg.DataDir, Rows: a.Datastore(), Profiles: profiles,
		ZoneOutputs: zoneOutputs{a}, Log: cfg.Log})
	a.Assets = asset.New(db, a.Exchange, asset.Config{Review: rev, Calendar: cal, PublicURL: cfg.PublicURL, DataDir: cfg.DataDir})
	a.Trade = trade.New(db, a.Exchange, acc, trade.Config{PublicURL: cfg.PublicURL, Logger: cfg.Log})
	if err := a.openRisk(ctx); err != nil {
		db.Close()
		return nil, err
	}
	a.Disputes = dispute.New(db, a.Trade, led, dispute.Config{Access: acc, DataDir: cfg.DataDir, Logger: cfg.Log})
	a.openDSP()
	a.Engage = engage.New(db, cat, engage.Config{Log: cfg.Log})
	a.openStats()
	oidc := cfg.OIDC
	oidc.RedirectURL = strings.TrimRight(cfg.PublicURL, "/") + "/login/sso/callback"
	a.Signup = signup.NewService(db, ids, signup.Config{Review: rev, OIDC: oidc})
	if a.Jobs, err = a.openJobs(ctx); err != nil {
		db.Close()
		return nil, err
	}
	a.openZones()
	if err := a.openMonitor(ctx); err != nil {
		db.Close()
		return nil, err
	}
	a.openIncidents()
	return a, nil
}

// calendar is the working-day calendar deadlines are counted in: the
// shipped schedules, or those and the operator's file.
func calendar(cfg Config) (*workday.Calendar, error) {
	if cfg.Holidays == "" {
		return workday.China(), nil
	}
	return workday.Load(cfg.Holidays)
}

// warnCalendar logs, for a server, the years deadlines may fall in that
// have no State Council schedule: only the fixed-date holidays count there.
func (a *App) warnCalendar(now time.Time) {
	now = now.In(workday.Beijing)
	years := []int{now.Year()}
	if now.Month() >= time.November { // deadlines start to cross the year's end
		years = append(years, now.Year()+1)
	}
	for _, y := range years {
		if !a.Calendar.Covers(y) {
			a.Config.Log.Warn("the working-day calendar has no public-holiday schedule for a year deadlines may fall in: they count Monday to Friday less 1 January, 1–2 May and 1–3 October; add the State Council's schedule with --holidays",
				"year", y)
		}
	}
}

// Close writes the decisions still queued and releases the store (call
// it after Serve has returned).
func (a *App) Close() error {
	a.Access.Close()
	a.Monitor.Stop() // after the decision log: its last batches are observed
	a.Risk.Close()   // the denials being looked at
	a.Jobs.Close()
	if err := a.Engage.Close(); err != nil { // the counts not yet flushed
		a.Config.Log.Error("engage: counts lost at close", "err", err)
	}
	if err := a.Stats.FlushServed(context.Background()); err != nil { // the rows served counted since the last flush
		a.Config.Log.Error("stats: rows served lost at close", "err", err)
	}
	return a.DB.Close()
}

// Shutting down: requests in flight may finish for shutdownGrace; then
// their contexts end, and what is still open at shutdownTimeout is closed.
const (
	shutdownGrace   = 10 * time.Second
	shutdownTimeout = 15 * time.Second
)

// Serve listens on the configured address and serves until ctx is cancelled,
// then shuts down gracefully, letting requests in flight finish.
func (a *App) Serve(ctx context.Context) error {
	a.warnCalendar(time.Now())
	indexer, err := a.OpenSearch(ctx)
	if err != nil {
		return err
	}
	defer indexer.Index().Close()
	go indexer.Run(ctx)
	// Commits on other replicas wake this one's index and sequencer at once.
	go store.ListenEvents(ctx, a.Config.DatabaseURL, func() { indexer.Notify(); a.Ledger.Notify() }, a.Config.Log)
	handler, err := web.New(web.Config{Services: services.Services{Identity: a.Identity, Catalog: a.Catalog, Log: a.Config.Log,
		Search: indexer.Index(), Indexer: indexer, Access: a.Access, Sharing: a.Sharing, Opening: a.Opening, Notify: a.Notify,
		Review: a.Review, Datastore: a.Datastore(), Ledger: a.Ledger, Grades: a.Grades, Profiles: a.Profiles,
		Jobs: a.Jobs, Harvest: a.Harvest, Signup: a.Signup, Portal: a.Portal, Engage: a.Engage, Trade: a.Trade, Stats: a.Stats,
		Disputes: a.Disputes,
		Exchange: a.Exchange, Assets: a.Assets, Risk: a.Risk, Zones: a.Zones, Monitor: a.Monitor, Assess: a.Assess,
		Incidents: a.Incidents},
		DB: a.DB, Version: a.Config.Version, SecureCookies: strings.HasPrefix(a.Config.PublicURL, "https://"), PublicURL: a.Config.PublicURL,
		MailConfigured: a.Config.SMTP.Host != "", Metrics: a.Config.Metrics, DSP: a.DSP})
	if err != nil {
		return err
	}
	if err := a.Ledger.Start(ctx); err != nil {
		return err
	}
	defer a.stopLedger()
	if err := a.Access.Start(ctx); err != nil {
		return err
	}
	if err := a.Jobs.Start(ctx); err != nil { // runs the periodic work too (jobs.go)
		return err
	}
	stopJobs := a.jobsStopper()
	defer stopJobs()
	a.Engage.Start(ctx) // flushes view and download counts; Close flushes the rest
	// Protocol callbacks are sent until the server has shut down.
	stopDSP := a.startDSP()
	defer stopDSP()
	ln, err := net.Listen("tcp", a.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.Config.Addr, err)
	}
	// Requests' contexts derive from this one, which shutdown cancels once
	// its grace has passed.
	requests, cancelRequests := context.WithCancel(context.Background())
	defer cancelRequests()
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		// No ReadTimeout or WriteTimeout: a bound on the whole request
		// would cut uploads and exports, which the handler bounds by their
		// progress instead; it bounds every other request at 30 s
		// (web.Timeouts).
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(a.Config.Log.Handler(), slog.LevelWarn),
		BaseContext:    func(net.Listener) context.Context { return requests },
	}
	a.Config.Log.InfoContext(ctx, "dataport listening", "addr", ln.Addr().String(), "dialect", a.DB.Dialect, "version", a.Config.Version)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.Config.Log.Info("shutting down")
	go stopJobs() // running jobs finish alongside the requests in flight
	// Requests in flight get shutdownGrace to finish; then their contexts
	// end, so that their handlers stop, and connections still open at
	// shutdownTimeout are closed.
	stopRequests := time.AfterFunc(shutdownGrace, cancelRequests)
	defer stopRequests.Stop()
	shutdown, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		a.Config.Log.Warn("requests were still running at the shutdown deadline: their connections are closed", "err", err)
		srv.Close()
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// stopLedger lets the sequencer finish its batch and publish a checkpoint.
func (a *App) stopLedger() {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := a.Ledger.Stop(ctx); err != nil {
		a.Config.Log.Error("ledger did not stop cleanly", "err", err)
	}
}

// escalate applies the review deadlines (reminders, escalation of overdue
// share requests and open applications, expiry): periodic work, every
// minute (jobs.go).
func (a *App) escalate(ctx context.Context, now time.Time) error {
	_, err := a.Review.Tick(ctx, now)
	return err
}
