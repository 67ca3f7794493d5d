package zones

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/zones/protect"
)

// Sandbox opens the datastore's sandbox sessions (datastore.Service).
type Sandbox interface {
	OpenSandbox(ctx context.Context, actor identity.Principal, purpose string, resourceIDs []string) (*datastore.SandboxSession, error)
}

// Enqueuer queues a query's job in the transaction that records it
// (jobs.Runner).
type Enqueuer interface {
	EnqueueZoneQuery(ctx context.Context, tx *store.Tx, queryID string) (int64, error)
}

// Config configures the service.
type Config struct {
	// Review keeps the application and release cases (default: a review
	// service of its own).
	Review *review.Service
	// Jobs queues queries; without it Submit runs each query itself in
	// the background (tests, tools).
	Jobs Enqueuer
	// Noise is where differential privacy's noise comes from (default
	// protect.CryptoSource(); tests pass a seeded one).
	Noise protect.Source
	// Now is the clock (default time.Now).
	Now func() time.Time
	Log *slog.Logger
}

// Service runs the zones on one store.
type Service struct {
	db      *store.DB
	ids     *identity.Service
	cat     *catalog.Service
	acc     *access.Service
	sandbox Sandbox
	cfg     Config

	apps     review.Records[appRecord] // operators' applications (application.go)
	releases *review.Workflow          // results waiting for the steward (release.go)
	waiting  waiters                   // Await calls to wake when this process finishes a run (query.go)
	// background bounds the queries run without a job runner (query.go).
	background chan struct{}
}

// New returns the zones service.
func New(db *store.DB, ids *identity.Service, cat *catalog.Service, acc *access.Service, sandbox Sandbox, cfg Config) *Service {
	if cfg.Review == nil {
		cfg.Review = review.NewService(db, review.Config{})
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	s := &Service{db: db, ids: ids, cat: cat, acc: acc, sandbox: sandbox, cfg: cfg,
		background: make(chan struct{}, backgroundRuns)}
	s.apps = s.registerApplications()
	s.releases = s.registerReleases()
	return s
}

var errTODO = errors.New("zones: not built yet")

// ListFilter selects zones.
type ListFilter struct {
	Domain Domain
	Cursor string // from a previous page's next cursor
	Limit  int    // default 50, at most 200
}

// ApplicationFilter selects applications.
type ApplicationFilter struct {
	ZoneID string
	Status string
	Mine   bool // only the actor's organizations'
}

// The helpers below are what the query part (query.go and its files)
// uses of the zone part: zone (store.go), activeAuthorisation
// (authorisation.go), chargeBudgets and budgetLeft (budget.go).

// ErrBudget means a query's epsilon exceeds what is left of the
// operator's budget on one of its resources (matched with errors.Is).
var ErrBudget = errors.New("the epsilon budget is spent")

// isPlatformOperator reports whether p runs the platform (sees and decides
// everything in zones): platform operators and sysadmins.
func isPlatformOperator(p identity.Principal) bool {
	return p.Has(identity.PlatformOperator) || p.Has(identity.PlatformSysadmin)
}

// isSteward reports whether p is a member of the zone's steward institution.
func (s *Service) isSteward(p identity.Principal, z Zone) bool {
	return z.StewardOrgID != "" && p.RoleIn(z.StewardOrgID) != ""
}

// now is the service's clock, in UTC to the microsecond (as stored).
func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }
