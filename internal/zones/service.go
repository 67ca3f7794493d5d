package zones

import (
	"context"
	"errors"
	"io"
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

// Submit checks an operator's statement, records the query and queues its
// job. A statement the guard refuses is recorded as refused (an event
// without the statement's text) and returned with a validate.Errors on
// the field "sql" (422).
func (s *Service) Submit(ctx context.Context, actor identity.Principal, zoneID string, in QueryInput) (Query, error) {
	return Query{}, errTODO
}

// Await waits until the query is finished or ctx ends, and returns it as
// actor may see it.
func (s *Service) Await(ctx context.Context, actor identity.Principal, id string) (Query, error) {
	return Query{}, errTODO
}

// Run is the query job's work: it runs the query and records its outcome.
func (s *Service) Run(ctx context.Context, queryID string) error { return errTODO }

// QueryFilter selects queries.
type QueryFilter struct {
	ZoneID string
	Status string
	Cursor string
	Limit  int
}

// Query returns a query as actor may see it: its operator sees the
// result once released; the steward and platform operators see the
// result in review too.
func (s *Service) Query(ctx context.Context, actor identity.Principal, id string) (Query, error) {
	return Query{}, errTODO
}

// Queries lists the queries actor may see, newest first, and the next cursor.
func (s *Service) Queries(ctx context.Context, actor identity.Principal, f QueryFilter) ([]Query, string, error) {
	return nil, "", errTODO
}

// DecideRelease is the steward's decision on a result in review: approve
// releases it, reject refuses it.
func (s *Service) DecideRelease(ctx context.Context, actor identity.Principal, queryID string, d review.Decision, comment string) (Query, error) {
	return Query{}, errTODO
}

// Usage returns each operator's metering in a zone (the steward and
// platform operators see all operators, an operator its own).
func (s *Service) Usage(ctx context.Context, actor identity.Principal, zoneID string) ([]Usage, error) {
	return nil, errTODO
}

// WriteCSV writes a released result as CSV (UTF-8 with BOM).
func (s *Service) WriteCSV(ctx context.Context, actor identity.Principal, queryID string, w io.Writer) error {
	return errTODO
}

// Keep keeps a released result in the zone as a derived dataset.
func (s *Service) Keep(ctx context.Context, actor identity.Principal, queryID string, in OutputInput) (Output, error) {
	return Output{}, errTODO
}

// Outputs lists a zone's kept outputs.
func (s *Service) Outputs(ctx context.Context, actor identity.Principal, zoneID string) ([]Output, error) {
	return nil, errTODO
}

// Output returns one kept output with its result.
func (s *Service) Output(ctx context.Context, actor identity.Principal, id string) (Output, Query, error) {
	return Output{}, Query{}, errTODO
}
