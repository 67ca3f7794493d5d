package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// A read replica (dataport serve --db-read) is a PostgreSQL streaming
// replica that serves reads which may lag the primary by a few seconds:
// catalog lists and counts shown to people, the search index's rebuild and
// datastore rows once the access decision has allowed them. Everything else
// — every write, every access decision with its quotas and log, what the
// platform acts on — reads and writes the primary.
//
// Lag: a streaming replica usually replays within a second, a few seconds
// under load; it may be longer after a burst of writes or a network fault.
// A resource just published or changed may therefore be missing or old in
// the lists read from it; the datastore reads a version's rows from the
// replica only once the replica holds that version (and falls back to the
// primary otherwise), so a row read never sees a half-visible or missing
// table.

// ErrReaderNeedsPostgres refuses a read replica for the embedded SQLite
// store: one process owns a SQLite file, which has no replicas.
var ErrReaderNeedsPostgres = errors.New("store: a read replica (--db-read) needs a PostgreSQL primary (--db postgres://...); the embedded SQLite store has none")

// Reader is where reads that may lag go: the read replica when one is
// attached (AttachReader), otherwise db itself. It MUST NOT be written to:
// on a streaming replica every write fails.
func (db *DB) Reader() *DB {
	if db.reader != nil {
		return db.reader
	}
	return db
}

// HasReader reports whether reads that may lag go to a separate replica.
func (db *DB) HasReader() bool { return db.reader != nil }

// AttachReader connects the read replica at url (a postgres:// URL) and
// makes Reader return it; Close closes it with db. It refuses a SQLite
// store, a URL that is not PostgreSQL, and a replica it cannot reach (so a
// wrong flag stops the server at start, not at the first read).
func (db *DB) AttachReader(ctx context.Context, url string) error {
	if db.Dialect != Postgres {
		return ErrReaderNeedsPostgres
	}
	if !strings.HasPrefix(url, "postgres://") && !strings.HasPrefix(url, "postgresql://") {
		return fmt.Errorf("store: unsupported read replica URL %q (want postgres://...)", redactURL(url))
	}
	r, err := connect(Config{URL: url})
	if err != nil {
		return err
	}
	if err := r.PingContext(ctx); err != nil {
		r.Close()
		return fmt.Errorf("store: read replica %s: %w", redactURL(url), err)
	}
	if db.reader != nil {
		db.reader.Close()
	}
	db.reader = r
	return nil
}

// IsUndefinedTable reports whether err says a table does not exist
// (PostgreSQL's undefined_table, SQLite's "no such table"): on a replica,
// a table the primary created a moment ago.
func IsUndefinedTable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "42P01"
	}
	return err != nil && strings.Contains(err.Error(), "no such table")
}
