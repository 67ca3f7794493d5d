// Package store opens the database (embedded SQLite or PostgreSQL), applies the
// embedded migrations for its dialect, and runs every write inside one
// transaction helper together with the events that describe the write.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Dialect names the SQL dialect of an open store.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// ErrNotFound is returned (wrapped) when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned (wrapped) when a write would break a uniqueness rule.
var ErrConflict = errors.New("conflict")

//go:embed migrations
var migrations embed.FS

// Querier is what reads need: satisfied by *sql.DB and *sql.Tx.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Strings runs a query of one text column and returns its values, in order.
func Strings(ctx context.Context, q Querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// DB is an open store. Reads may use it directly; writes go through Transact.
// SQL uses $1, $2 ... placeholders, which both drivers accept.
type DB struct {
	*sql.DB
	Dialect Dialect
	// Path is the SQLite database file (empty on PostgreSQL), for the
	// datastore's bulk loader, which opens its own connection to it.
	Path string

	stmts  statements // prepared reads (stmt.go)
	reader *DB        // the read replica, when attached (reader.go)
	gate   *writeGate // SQLite's write turn (sqlitegate.go); nil on PostgreSQL
}

// Config says where the store lives.
type Config struct {
	// DataDir holds the SQLite file (dataport.db) when URL is empty.
	DataDir string
	// URL is a postgres:// DSN; empty means the embedded SQLite store.
	URL string
}

// Open connects to the store described by cfg and applies pending migrations.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	db, err := connect(cfg)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func connect(cfg Config) (*DB, error) {
	if strings.HasPrefix(cfg.URL, "postgres://") || strings.HasPrefix(cfg.URL, "postgresql://") {
		sqldb, err := sql.Open("pgx", cfg.URL)
		if err != nil {
			return nil, fmt.Errorf("store: open postgres: %w", err)
		}
		// Keep as many connections idle as may be open: database/sql keeps
		// two by default, so under more than two concurrent requests every
		// query beyond them opened a connection, a new PostgreSQL backend
		// process, and closed it after. Forking and warming those backends
		// took 1.2 of this machine's 2 cores at 500 reads/s
		// (docs/benchmarks.md, Replicas). Idle ones close after 5 minutes.
		sqldb.SetMaxOpenConns(20)
		sqldb.SetMaxIdleConns(20)
		sqldb.SetConnMaxIdleTime(5 * time.Minute)
		return &DB{DB: sqldb, Dialect: Postgres}, nil
	}
	if cfg.URL != "" {
		return nil, fmt.Errorf("store: unsupported database URL %q (want postgres://...)", redactURL(cfg.URL))
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("store: create data dir: %w", err)
	}
	path := filepath.Join(cfg.DataDir, "dataport.db")
	// synchronous(NORMAL): the WAL is synced at checkpoints, not at every
	// commit, so a power cut can undo the last commits (never corrupt the
	// file). What must not be undone once used outside the database — events
	// the ledger is about to seal — is made durable first with SyncWAL.
	// FULL would sync every commit: +0.15 ms per write transaction here, and
	// at 5,000 events/s the sequencer's own writes then queued so long that
	// commit → checkpoint lag reached p99 19 s (docs/benchmarks.md, Ledger).
	dsn := "file:" + path + "?_txlock=immediate" +
		"&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)"
	gate := &writeGate{slot: make(chan struct{}, 1)}
	sqldb := sql.OpenDB(&gatedConnector{dsn: dsn, gate: gate})
	// Keep every connection open when idle (database/sql keeps two by
	// default): a connection closed and opened again costs its pragmas and
	// every statement prepared on it, which was a sixth of the CPU of a
	// Dataspace Protocol negotiation (docs/benchmarks.md).
	sqldb.SetMaxOpenConns(16)
	sqldb.SetMaxIdleConns(16)
	return &DB{DB: sqldb, Dialect: SQLite, Path: path, gate: gate}, nil
}

// SyncWAL makes every transaction committed so far durable. On SQLite,
// commits run with synchronous=NORMAL and may sit in the write-ahead log
// unsynced: syncing the log file makes them durable (what a checkpoint has
// already copied into the database file was synced by that checkpoint, and
// a log that does not exist holds nothing). The file is opened afresh each
// time, since SQLite may delete and recreate it. PostgreSQL commits are
// durable when they return (synchronous_commit=on), so it does nothing there.
func (db *DB) SyncWAL() error {
	if db.Dialect != SQLite || db.Path == "" {
		return nil
	}
	f, err := os.OpenFile(db.Path+"-wal", os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: open write-ahead log: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("store: sync write-ahead log: %w", err)
	}
	return nil
}

// Migrate applies the embedded migrations of the store's dialect.
func (db *DB) Migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations/"+string(db.Dialect))
	if err != nil {
		return err
	}
	dialect := goose.DialectSQLite3
	if db.Dialect == Postgres {
		dialect = goose.DialectPostgres
	}
	var opts []goose.ProviderOption
	if db.Dialect == Postgres {
		// Replicas starting together on an unmigrated database take turns:
		// the first migrates, the others wait and find nothing to do. The
		// lock is the schema's, as the sequencer's is.
		var id int64
		if err := db.QueryRowContext(ctx, `SELECT hashtextextended('dataport.migrate:' || current_schema(), 0)`).Scan(&id); err != nil {
			return fmt.Errorf("store: migrations lock: %w", err)
		}
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(id), lock.WithLockTimeout(1, 900))
		if err != nil {
			return fmt.Errorf("store: migrations lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, db.DB, sub, opts...)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	for _, r := range results {
		slog.InfoContext(ctx, "migration applied", "version", r.Source.Version, "dialect", db.Dialect)
	}
	return nil
}

// Tx is one write transaction. Events emitted on it commit or roll back with it.
type Tx struct {
	*sql.Tx
	Dialect     Dialect
	now         time.Time
	afterCommit []func()
}

// Now is the transaction's clock: every timestamp written in one transaction is the same.
func (tx *Tx) Now() time.Time { return tx.now }

// AfterCommit registers fn to run once the transaction has committed, after
// the functions registered before it. It never runs when the transaction
// rolls back, or when its commit fails. Transact calls it before it returns,
// so that what fn does (refreshing a cache of what was written) is done when
// the caller sees the change committed.
func (tx *Tx) AfterCommit(fn func()) { tx.afterCommit = append(tx.afterCommit, fn) }

// Transact runs fn in a transaction and commits when fn returns nil, then
// runs the functions fn registered with AfterCommit. Any error (or panic)
// rolls everything back, including the events fn emitted, and runs none.
func (db *DB) Transact(ctx context.Context, fn func(tx *Tx) error) error {
	tx, err := db.transact(ctx, fn)
	if err != nil {
		return err
	}
	for _, fn := range tx.afterCommit {
		fn()
	}
	return nil
}

// transact runs fn in a transaction and commits. On SQLite it first waits
// for the write turn (sqlitegate.go), before it takes a connection, and
// gives it back once the transaction has ended.
func (db *DB) transact(ctx context.Context, fn func(tx *Tx) error) (tx *Tx, err error) {
	begin := ctx
	if db.gate != nil {
		if err := db.gate.acquire(ctx); err != nil {
			return nil, fmt.Errorf("store: begin: %w", err)
		}
		defer db.gate.release()
		begin = withTurn(ctx)
	}
	sqltx, err := db.BeginTx(begin, nil)
	if err != nil {
		return nil, fmt.Errorf("store: begin: %w", err)
	}
	tx = &Tx{Tx: sqltx, Dialect: db.Dialect, now: time.Now().UTC().Truncate(time.Microsecond)}
	defer func() {
		if p := recover(); p != nil {
			sqltx.Rollback()
			panic(p)
		}
		if err != nil {
			sqltx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return nil, err
	}
	if err = sqltx.Commit(); err != nil {
		return nil, fmt.Errorf("store: commit: %w", err)
	}
	return tx, nil
}

// IsUniqueViolation reports whether err is a unique-constraint failure in either dialect.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "SQLSTATE 23505")
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable)"
	}
	return u.Redacted()
}
