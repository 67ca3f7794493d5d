package store

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// maxStatements bounds the prepared statements a store keeps: reads of
// tables named at run time (the datastore's) must not fill memory, so past
// this many distinct queries the rest run unprepared.
const maxStatements = 256

// statements are the reads a store has prepared, by query text.
type statements struct {
	m sync.Map // string → *sql.Stmt
	n atomic.Int64
}

// QueryContext runs a read outside a transaction. On SQLite the query is
// prepared once and reused (database/sql prepares it once per connection):
// preparing a statement anew for every read was a sixth of the server's CPU
// on busy data reads. PostgreSQL reads run as given, so that a pooler in
// front of the database never meets a prepared statement.
func (db *DB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if db.gate != nil && statementWrites(query) {
		ctx, h, err := db.turnUntilClosed(ctx)
		if err != nil {
			return nil, err
		}
		rows, err := db.DB.QueryContext(ctx, query, args...)
		if err != nil {
			h.release()
		}
		return rows, err
	}
	if st := db.prepared(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return db.DB.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a read of one row outside a transaction, prepared
// once on SQLite as QueryContext says.
func (db *DB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if db.gate != nil && statementWrites(query) {
		// The row's Scan closes its rows, which gives the turn back; a
		// turn not had is the row's error.
		turnCtx, h, err := db.turnUntilClosed(ctx)
		if err != nil {
			ctx, cancel := context.WithCancelCause(ctx)
			cancel(err)
			return db.DB.QueryRowContext(ctx, query, args...)
		}
		row := db.DB.QueryRowContext(turnCtx, query, args...)
		if row.Err() != nil { // no rows to close
			h.release()
		}
		return row
	}
	if st := db.prepared(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return db.DB.QueryRowContext(ctx, query, args...)
}

// prepared returns query's statement, preparing it on first use, or nil
// when it runs unprepared: on PostgreSQL, when the store keeps
// maxStatements already, or when it does not prepare (its error then comes
// from running it).
func (db *DB) prepared(ctx context.Context, query string) *sql.Stmt {
	if db.Dialect != SQLite {
		return nil
	}
	if st, ok := db.stmts.m.Load(query); ok {
		return st.(*sql.Stmt)
	}
	if db.stmts.n.Load() >= maxStatements {
		return nil
	}
	st, err := db.DB.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	if prev, loaded := db.stmts.m.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt)
	}
	db.stmts.n.Add(1)
	return st
}

// Close closes the store's prepared statements and its connections, and
// its read replica's.
func (db *DB) Close() error {
	if db.reader != nil {
		db.reader.Close()
	}
	db.stmts.m.Range(func(_, st any) bool {
		st.(*sql.Stmt).Close()
		return true
	})
	return db.DB.Close()
}
