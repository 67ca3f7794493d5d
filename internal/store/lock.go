package store

import (
	"context"
	"database/sql"
	"fmt"
)

// SessionLock is a lock on a name held by one process of those sharing the
// database until it releases it or dies: on PostgreSQL a session advisory
// lock, on a connection of its own, keyed by the name and the schema (so
// that installations in separate schemas do not contend); on SQLite, which
// one process owns, it is always held. The ledger's sequencer has its own
// (internal/ledger/lock.go), which also runs its writes on the lock's
// connection.
type SessionLock struct {
	conn *sql.Conn // nil on SQLite
	name string
}

// DeadPeerSQL makes the server notice within about 10 s that the client of
// the session has vanished (its host down, the network cut), ending the
// session and so releasing its advisory locks; with the operating system's
// TCP defaults that takes two hours. It sets the session's own keepalive
// settings; over a Unix socket they do nothing.
const DeadPeerSQL = `SELECT set_config('tcp_keepalives_idle', '4', false), set_config('tcp_keepalives_interval', '2', false),
	set_config('tcp_keepalives_count', '3', false), set_config('tcp_user_timeout', '10000', false)`

const lockKey = `hashtextextended('dataport.lock:' || $1 || ':' || current_schema(), 0)`

// TryLock takes the lock on name, or returns nil (and no error) when
// another process holds it.
func (db *DB) TryLock(ctx context.Context, name string) (*SessionLock, error) {
	if db.Dialect != Postgres {
		return &SessionLock{name: name}, nil
	}
	c, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: lock %s: %w", name, err)
	}
	var held bool
	if _, err := c.ExecContext(ctx, DeadPeerSQL); err != nil {
		c.Close()
		return nil, fmt.Errorf("store: lock %s: %w", name, err)
	}
	if err := c.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(`+lockKey+`)`, name).Scan(&held); err != nil || !held {
		c.Close()
		if err != nil {
			return nil, fmt.Errorf("store: lock %s: %w", name, err)
		}
		return nil, nil
	}
	return &SessionLock{conn: c, name: name}, nil
}

// Held reports whether the lock is still this process's: false once its
// connection is lost (the database restarted, the network failed), when
// another process may have taken it.
func (l *SessionLock) Held(ctx context.Context) bool {
	if l.conn == nil {
		return true
	}
	return l.conn.PingContext(ctx) == nil
}

// Release gives the lock up.
func (l *SessionLock) Release() {
	if l.conn == nil {
		return
	}
	l.conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(`+lockKey+`)`, l.name)
	l.conn.Close()
}
