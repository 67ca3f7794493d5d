// Package jobs runs dataport's background work on River
// (github.com/riverqueue/river), in the same database as everything else:
// SQLite through riversqlite, PostgreSQL through riverdatabasesql with a pgx
// listener (riverpgxv5) for prompt pickup. A job is queued in the
// transaction of the change that causes it, so it exists exactly when the
// change does; it survives a crash or a restart, is retried with backoff
// when it fails, and a cluster runs it once. Periodic work runs once per
// period in the whole cluster, on the elected leader's schedule.
//
// The wiring package (internal/app) opens one Runner per process, starts
// it with the server and stops it on shutdown, letting running jobs finish
// up to a deadline.
package jobs

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/store"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
)

// Config says how a process runs jobs.
type Config struct {
	// Node names this process among those sharing the database, and must
	// stay the same across its restarts (NodeID keeps one in the data dir).
	// Jobs a process with this name was running when it died are run again
	// when it starts.
	Node string
	// DatabaseURL is the PostgreSQL DSN the store was opened with; the
	// runner opens a small pgx pool on it to LISTEN for new jobs. Unused
	// on SQLite.
	DatabaseURL string
	// SpoolDir holds uploads waiting for their load job (in the data dir,
	// so that they survive a restart).
	SpoolDir string
	// Shared says that the processes on the database share one data dir
	// (replicas, each with its own Node): a spooled upload is then every
	// node's to load, so loads go to a queue all nodes work, and a node
	// whose lease another live process holds refuses to start.
	Shared bool

	// Datastore and Identity run the load jobs; without Datastore there
	// are none.
	Datastore *datastore.Service
	Identity  *identity.Service

	// Harvest runs the harvests of registered sources; without it there are none.
	Harvest *Harvests

	// Zones runs the queries of the public data zones; without it there are none.
	Zones Zones

	// Periodic is the work run on a schedule, once per period in the cluster.
	Periodic []Periodic
	// Workers registers more job kinds (tests); nil adds none.
	Workers *river.Workers

	// PollInterval is how often the runner looks for jobs besides being
	// told of new ones (default 1 s).
	PollInterval time.Duration

	Log *slog.Logger
}

// Runner queues and runs jobs on the store.
type Runner struct {
	db        *store.DB
	client    *river.Client[*sql.Tx]
	driver    riverdriver.Driver[*sql.Tx]
	listen    *pgxpool.Pool // PostgreSQL: the pool LISTEN connections come from
	node      string
	instance  string // this start of the process (node leases, nodes.go)
	shared    bool   // Config.Shared
	local     string // the queue of loads: only this node's (their files are in its data dir), or every node's (Shared)
	stopLease context.CancelFunc
	leaseDone chan struct{}
	spoolDir  string
	ds        *datastore.Service
	ids       *identity.Service
	harvest   *Harvests
	zones     Zones
	periodic  map[string]Periodic
	failures  *failureCounter // failed attempts by kind (failures.go)
	log       *slog.Logger
}

// Queues. Jobs that read this node's files go in its own queue; the rest
// in the shared one, which any node works.
const (
	sharedQueue  = river.QueueDefault
	sharedWorker = 4
	localWorkers = 2 // loads at once: each takes a core and its batches' memory
	sharedLoads  = "loads"
)

// defaultTimeout bounds a job whose kind sets no timeout of its own.
const defaultTimeout = 10 * time.Minute

// Open applies River's migrations to db (idempotently, next to the store's
// own) and returns a runner that queues jobs at once and works them once
// started.
func Open(ctx context.Context, db *store.DB, cfg Config) (*Runner, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Node == "" {
		return nil, errors.New("jobs: Config.Node is empty")
	}
	r := &Runner{db: db, node: cfg.Node, instance: newInstance(), shared: cfg.Shared, local: localQueue(cfg.Node), spoolDir: cfg.SpoolDir, ds: cfg.Datastore, ids: cfg.Identity,
		harvest: cfg.Harvest, zones: cfg.Zones, periodic: map[string]Periodic{}, log: cfg.Log}
	if cfg.Shared {
		r.local = sharedLoads
	}
	if err := r.openDriver(ctx, cfg.DatabaseURL); err != nil {
		return nil, err
	}
	if err := migrate(ctx, db, r.driver, cfg.Log); err != nil {
		r.Close()
		return nil, err
	}
	client, err := river.NewClient(r.driver, r.clientConfig(cfg))
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("jobs: %w", err)
	}
	r.client = client
	return r, nil
}

// openDriver picks River's driver for the store's dialect.
func (r *Runner) openDriver(ctx context.Context, url string) error {
	if r.db.Dialect == store.SQLite {
		r.driver = riversqlite.New(r.db.DB)
		return nil
	}
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("jobs: listener pool: %w", err)
	}
	pcfg.MinConns, pcfg.MaxConns = 0, 2
	if r.listen, err = pgxpool.NewWithConfig(ctx, pcfg); err != nil {
		return fmt.Errorf("jobs: listener pool: %w", err)
	}
	r.driver = riverdatabasesql.NewWithPgxListener(r.db.DB, r.listen)
	return nil
}

// clientConfig is River's configuration: the queues, the workers of every
// kind and the periodic work.
func (r *Runner) clientConfig(cfg Config) *river.Config {
	workers := cfg.Workers
	if workers == nil {
		workers = river.NewWorkers()
	}
	var kinds []string // the kinds this runner works, for the failure counts
	if r.ds != nil {
		river.AddWorker(workers, &loadWorker{r: r})
		kinds = append(kinds, LoadArgs{}.Kind())
	}
	if r.harvest != nil {
		river.AddWorker(workers, &harvestWorker{r: r})
		kinds = append(kinds, HarvestArgs{}.Kind())
	}
	if r.zones != nil {
		river.AddWorker(workers, &zoneQueryWorker{r: r})
		kinds = append(kinds, ZoneQueryArgs{}.Kind())
	}
	river.AddWorker(workers, &periodicWorker{r: r})
	var periodic []*river.PeriodicJob
	for _, p := range cfg.Periodic {
		r.periodic[p.Name] = p
		periodic = append(periodic, p.schedule())
	}
	if r.spoolDir != "" {
		sweep := Periodic{Name: "jobs.sweep_spool", Every: time.Hour, Run: r.sweepSpool}
		r.periodic[sweep.Name] = sweep
		periodic = append(periodic, sweep.schedule())
	}
	r.failures = newFailureCounter(kinds, slices.Sorted(maps.Keys(r.periodic)))
	return &river.Config{
		Middleware:        []rivertype.Middleware{r.failures},
		ID:                cfg.Node,
		Queues:            map[string]river.QueueConfig{sharedQueue: {MaxWorkers: sharedWorker}, r.local: {MaxWorkers: localWorkers}},
		Workers:           workers,
		PeriodicJobs:      periodic,
		JobTimeout:        defaultTimeout,
		FetchPollInterval: cfg.PollInterval,
		Logger:            slog.New(minLevel{cfg.Log.Handler(), slog.LevelWarn}), // River's start/stop chatter stays out of the log
	}
}

// Start takes this node's lease and works jobs until Stop. Jobs that a
// process of the same node was running when it died (killed, or the
// machine lost power) are run again first; those of a node that died for
// good are when its lease lapses (nodes.go).
func (r *Runner) Start(ctx context.Context) error {
	if err := r.claimNode(ctx); err != nil {
		return err
	}
	if n, err := r.rescue(ctx, r.node, time.Now(), "interrupted: the process running it stopped"); err != nil {
		return err
	} else if n > 0 {
		r.log.InfoContext(ctx, "jobs interrupted by the previous stop run again", "jobs", n)
	}
	// Not ctx itself: its end would cancel the running jobs at once, while
	// shutdown lets them finish (Stop).
	if err := r.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r.stopLease, r.leaseDone = cancel, make(chan struct{})
	go r.keepLease(lctx, r.leaseDone)
	return nil
}

// Stop stops taking jobs and waits up to grace for the running ones to
// finish. Then their contexts end and they get windup more to return; a
// job cut short is made available again (River does not count the attempt)
// and runs after the next start.
func (r *Runner) Stop(grace, windup time.Duration) error {
	defer r.releaseLease()
	soft, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := r.client.Stop(soft)
	if err == nil {
		return nil
	}
	r.log.Warn("jobs were still running at the shutdown deadline: they are cancelled and run again after the next start", "grace", grace)
	hard, cancel := context.WithTimeout(context.Background(), windup)
	defer cancel()
	if err := r.client.StopAndCancel(hard); err != nil {
		return fmt.Errorf("jobs: stop: %w", err)
	}
	return nil
}

// releaseLease stops renewing the lease and gives it up, once the jobs
// have stopped.
func (r *Runner) releaseLease() {
	if r.stopLease != nil {
		r.stopLease()
		<-r.leaseDone
	}
}

// Close releases the runner's own connections (PostgreSQL's listener
// pool). Call it after Stop.
func (r *Runner) Close() {
	if r.listen != nil {
		r.listen.Close()
	}
}

// Enqueue queues a job in tx: it runs only if tx commits, and not before.
// It returns the job's id (that of the existing job when args is unique
// and one is already queued).
func (r *Runner) Enqueue(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) (int64, error) {
	res, err := r.client.InsertTx(ctx, tx.Tx, args, opts)
	if err != nil {
		return 0, fmt.Errorf("jobs: enqueue %s: %w", args.Kind(), err)
	}
	return res.Job.ID, nil
}

// NodeID returns the name of the node whose data dir is dataDir, the same
// across its restarts whatever the host is called then: it is kept in the
// data dir's node-id file, created on first use from the host name and a
// random suffix. The data dir holds what only this node can read (spooled
// uploads), so its jobs follow it. A copy of a data dir must not serve
// beside its original: the two would be one node.
func NodeID(dataDir string) (string, error) {
	path := filepath.Join(dataDir, "node-id")
	if b, err := os.ReadFile(path); err == nil {
		if id := strings.TrimSpace(string(b)); id != "" {
			return id, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("jobs: node id: %w", err)
	}
	host, _ := os.Hostname()
	host = strings.Trim(nonName.ReplaceAllString(strings.ToLower(host), "-"), "-")
	if host == "" {
		host = "node"
	}
	suffix := make([]byte, 4)
	rand.Read(suffix)
	id := fmt.Sprintf("%.40s-%s", host, hex.EncodeToString(suffix))
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return "", fmt.Errorf("jobs: node id: %w", err)
	}
	if err := os.WriteFile(path, []byte(id+"\n"), 0o640); err != nil {
		return "", fmt.Errorf("jobs: node id: %w", err)
	}
	return id, nil
}

var nonName = regexp.MustCompile(`[^a-z0-9]+`)

// localQueue is the queue of node's own jobs (River's names: 64 characters
// of lower-case letters, digits and single dashes).
func localQueue(node string) string {
	sum := sha256.Sum256([]byte(node))
	return "node-" + hex.EncodeToString(sum[:8])
}

// minLevel drops the records of a handler below a level.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(as), h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.min}
}
