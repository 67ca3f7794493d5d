// Package datastore holds the rows of catalog resources: every load becomes
// an immutable version in a table of its own, switched in atomically (a
// pointer row updated in the same transaction as the version record and its
// event), so readers never see half a load. It serves rows through the
// access decision point only: native row queries, CKAN datastore_search and
// datastore_search_sql, and streamed exports.
package datastore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/ingest"
	"dataport/internal/store"
)

// ErrNoData means the resource has no current version to read.
var ErrNoData = fmt.Errorf("the resource has no data loaded yet: %w", store.ErrNotFound)

// ErrSQLDisabled means datastore_search_sql is switched off on this platform.
var ErrSQLDisabled = errors.New("datastore_search_sql is not enabled on this platform")

// Deidentifier applies a de-identification profile to rows before they are
// served, as an access decision's constraints demand. The deid package is
// meant to implement it; without one, reads that need a profile are denied.
type Deidentifier interface {
	// Transformer returns profile made ready for rows of items (values in
	// the order of items), or an error when it cannot be applied.
	Transformer(ctx context.Context, profile string, r catalog.Resource, items []catalog.Item) (Deidentification, error)
}

// Deidentification is a profile made ready for one read.
type Deidentification struct {
	// Row rewrites one row (values in the order of items) in place.
	Row func(row []any) error
	// Rewritten names the items whose served values are not the stored
	// ones: every item the profile gives an operator other than keep,
	// dropped items included. Filters and sort on them are refused and
	// full-text search skips them, since matching their stored values
	// would reveal what the profile hides; keyset cursors never carry them.
	Rewritten []string
}

// Config is what the service needs.
type Config struct {
	DB      *store.DB
	Catalog *catalog.Service
	// Access is the decision point every read asks.
	Access access.Decider
	// PersonalInfo is the legality check of loads; nil uses ingest.DefaultPersonalInfoCheck.
	PersonalInfo ingest.PersonalInfoCheck
	// Deid applies de-identification profiles; nil denies reads that need one.
	Deid Deidentifier
	// SQL configures datastore_search_sql; it is off unless Enabled.
	SQL SQLConfig
	// Limits bound what reading one uploaded file may cost; zero fields take ingest.DefaultLimits.
	Limits ingest.Limits
	// PartitionRows: on PostgreSQL, a load expected to hold at least this
	// many rows gets a partitioned table of PartitionSize rows per
	// partition (partition.go). Zero fields take DefaultPartitionRows and
	// DefaultPartitionSize; a negative PartitionRows never partitions.
	PartitionRows, PartitionSize int64
	Log                          *slog.Logger
}

// SQLConfig limits datastore_search_sql.
type SQLConfig struct {
	Enabled bool
	Timeout time.Duration // per statement; default 5s
	MaxRows int           // rows returned at most; default 32000
}

// Service loads and serves resource rows on one store.
type Service struct {
	db     *store.DB
	cat    *catalog.Service
	access access.Decider
	pii    ingest.PersonalInfoCheck
	deid   Deidentifier
	sql    SQLConfig
	limits ingest.Limits
	log    *slog.Logger

	partRows, partSize int64 // Config.PartitionRows, PartitionSize

	// sqlRead holds the read-only SQLite connections datastore_search_sql
	// runs on (opened at first use): opening one reads the whole schema,
	// which cost more than the statement itself.
	sqlRead struct {
		once sync.Once
		db   *sql.DB
		err  error
	}
	groups  groupCache    // Aggregate's answers per version table (aggregate.go)
	replica replicaTables // version tables the read replica holds (replica.go)
}

// New returns the datastore service.
func New(cfg Config) *Service {
	if cfg.PersonalInfo == nil {
		cfg.PersonalInfo = ingest.DefaultPersonalInfoCheck{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.SQL.Timeout <= 0 {
		cfg.SQL.Timeout = 5 * time.Second
	}
	if cfg.SQL.MaxRows <= 0 || cfg.SQL.MaxRows > MaxLimit {
		cfg.SQL.MaxRows = MaxLimit
	}
	if cfg.PartitionRows == 0 {
		cfg.PartitionRows = DefaultPartitionRows
	}
	if cfg.PartitionSize <= 0 {
		cfg.PartitionSize = DefaultPartitionSize
	}
	return &Service{db: cfg.DB, cat: cfg.Catalog, access: cfg.Access, pii: cfg.PersonalInfo, deid: cfg.Deid, sql: cfg.SQL,
		limits: cfg.Limits.Or(ingest.DefaultLimits), log: cfg.Log, partRows: cfg.PartitionRows, partSize: cfg.PartitionSize}
}

// ResolveResource returns the id of the resource ref names, by id or by
// catalog code (as CKAN clients may name it); a code the actor cannot see,
// or any other text, is returned as it is, for the access decision to refuse.
func (s *Service) ResolveResource(ctx context.Context, actor identity.Principal, ref string) string {
	if ref == "" || len(ref) == 36 {
		return ref
	}
	if r, err := s.cat.GetByCode(ctx, actor, ref); err == nil {
		return r.ID
	}
	return ref
}

// Dialect is the SQL dialect of the store the rows live in.
func (s *Service) Dialect() store.Dialect { return s.db.Dialect }

// MaxLimit is the most rows one query returns (CKAN's datastore limit).
const MaxLimit = 32000
