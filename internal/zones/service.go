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
	return &Service{db: db, ids: ids, cat: cat, acc: acc, sandbox: sandbox, cfg: cfg}
}

var errTODO = errors.New("zones: not built yet")

// ListFilter selects zones.
type ListFilter struct {
	Domain Domain
	Cursor string // from a previous page's next cursor
	Limit  int    // default 50, at most 200
}

// List returns active zones (anyone may list them; platform operators and
// stewards also see closed ones) and the cursor of the next page ("" at the end).
func (s *Service) List(ctx context.Context, actor identity.Principal, f ListFilter) ([]Zone, string, error) {
	return nil, "", errTODO
}

// Get returns a zone by id or code.
func (s *Service) Get(ctx context.Context, actor identity.Principal, idOrCode string) (Zone, error) {
	return Zone{}, errTODO
}

// Create creates a zone (platform operators).
func (s *Service) Create(ctx context.Context, actor identity.Principal, in ZoneInput) (Zone, error) {
	return Zone{}, errTODO
}

// Update changes a zone's description and rules (platform operators, the
// steward's admins).
func (s *Service) Update(ctx context.Context, actor identity.Principal, id string, in ZoneInput) (Zone, error) {
	return Zone{}, errTODO
}

// SetMember adds a resource with data to the zone or changes its item
// rules (platform operators, the steward's admins). The resource must have
// key items.
func (s *Service) SetMember(ctx context.Context, actor identity.Principal, zoneID string, in MemberInput) (Zone, error) {
	return Zone{}, errTODO
}

// RemoveMember takes a resource out of the zone.
func (s *Service) RemoveMember(ctx context.Context, actor identity.Principal, zoneID, resourceID string) (Zone, error) {
	return Zone{}, errTODO
}

// Apply files an operator's application (a member of a company or
// institution, for its organization).
func (s *Service) Apply(ctx context.Context, actor identity.Principal, zoneID string, in ApplicationInput) (Application, error) {
	return Application{}, errTODO
}

// ApplicationFilter selects applications.
type ApplicationFilter struct {
	ZoneID string
	Status string
	Mine   bool // only the actor's organizations'
}

// Applications lists the applications actor may see: its organizations',
// and those it reviews.
func (s *Service) Applications(ctx context.Context, actor identity.Principal, f ApplicationFilter) ([]Application, error) {
	return nil, errTODO
}

// Application returns one application with its review state.
func (s *Service) Application(ctx context.Context, actor identity.Principal, id string) (Application, review.State, error) {
	return Application{}, review.State{}, errTODO
}

// DecideApplication records a reviewer's decision; the last approval
// creates the authorisation, its grants and budgets in the same transaction.
func (s *Service) DecideApplication(ctx context.Context, actor identity.Principal, id string, d review.Decision, comment string) (Application, error) {
	return Application{}, errTODO
}

// Authorisations lists the authorisations of a zone (zoneID "" for all)
// that actor may see: its organizations', or all to the steward and
// platform operators.
func (s *Service) Authorisations(ctx context.Context, actor identity.Principal, zoneID string) ([]Authorisation, error) {
	return nil, errTODO
}

// Authorisation returns one authorisation with its budgets.
func (s *Service) Authorisation(ctx context.Context, actor identity.Principal, id string) (Authorisation, error) {
	return Authorisation{}, errTODO
}

// Revoke ends an authorisation at once and revokes its grants (the
// steward's admins, platform operators); the next query is refused.
func (s *Service) Revoke(ctx context.Context, actor identity.Principal, id, reason string) (Authorisation, error) {
	return Authorisation{}, errTODO
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
