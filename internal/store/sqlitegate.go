package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
)

// SQLite lets one writer in at a time and makes the others poll for the
// lock with growing sleeps (its busy handler). That is not a queue: under
// a steady stream of writers a poller can lose every poll for longer than
// the busy timeout and fail with SQLITE_BUSY while the lock sat free
// between two polls. In the soak (docs/benchmarks.md, Soak) 16 clients
// got 21 requests/s and 2.3 % errors that way, with the server mostly idle.
//
// So the store's SQLite connections take a write turn first: a writeGate
// of one slot that every write (a write transaction from BEGIN to its end,
// or a write statement outside one) holds while it runs, so that the
// process's writers queue in Go in arrival order and find the lock free.
// The gate wraps the modernc driver; reads are not gated. The datastore's
// bulk loader, which drives SQLite through its C API on a connection of
// its own, takes the same turn (DB.WriteTurn).
type writeGate struct{ slot chan struct{} }

// writeTurnWait is how long a write waits for its turn before it fails, as
// SQLite's busy timeout would.
const writeTurnWait = 30 * time.Second

// slowTurn is the wait for the write turn past which it is logged: the
// writes before it held the database for that long (a long transaction),
// or a write waits for a turn its own caller holds.
const slowTurn = 5 * time.Second

// turnHeld marks a context whose caller holds the turn already (Transact,
// DB.ExecContext): the connection it gets then takes none of its own.
// Those callers wait for the turn before database/sql hands them a
// connection, so that writers waiting their turn never hold the pool's
// connections a writer holding it may need.
type turnHeld struct{}

func withTurn(ctx context.Context) context.Context { return context.WithValue(ctx, turnHeld{}, true) }

// heldUntilClosed is the turn of a write statement run by DB.QueryContext
// (INSERT ... RETURNING): the statement runs until its rows are closed, so
// the connection gives the turn back then.
type heldUntilClosed struct {
	once sync.Once
	gate *writeGate
}

func (h *heldUntilClosed) release() { h.once.Do(h.gate.release) }

// rowsEnd wraps the rows of a query whose caller took the turn for them.
func rowsEnd(ctx context.Context, rows driver.Rows) driver.Rows {
	if h, ok := ctx.Value(turnHeld{}).(*heldUntilClosed); ok {
		return &gatedRows{Rows: rows, end: func(error) { h.release() }}
	}
	return rows
}

func hasTurn(ctx context.Context) bool { return ctx.Value(turnHeld{}) != nil }

// acquire waits for the write turn.
func (g *writeGate) acquire(ctx context.Context) error {
	select {
	case g.slot <- struct{}{}:
		return nil
	default:
	}
	start := time.Now()
	wait := time.NewTimer(writeTurnWait)
	defer wait.Stop()
	select {
	case g.slot <- struct{}{}:
		if d := time.Since(start); d > slowTurn {
			slog.WarnContext(ctx, "store: a write waited long for SQLite's write turn", "waited", d.Round(time.Millisecond))
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-wait.C:
		slog.ErrorContext(ctx, "store: a write waited too long for SQLite's write turn", "waited", writeTurnWait)
		return fmt.Errorf("store: waited %s for the writes before this one: database is locked (SQLITE_BUSY)", writeTurnWait)
	}
}

func (g *writeGate) release() { <-g.slot }

// WriteTurn waits for the SQLite store's write turn and returns the
// function that gives it back; a connection of one's own (the bulk
// loader's) takes it around each write transaction. It returns at once on
// PostgreSQL, whose row locks queue.
func (db *DB) WriteTurn(ctx context.Context) (release func(), err error) {
	if db.gate == nil {
		return func() {}, nil
	}
	if err := db.gate.acquire(ctx); err != nil {
		return nil, err
	}
	var once sync.Once
	return func() { once.Do(db.gate.release) }, nil
}

// gatedConnector opens modernc connections that take the gate's turn.
type gatedConnector struct {
	dsn  string
	gate *writeGate
}

var sqliteDriver = &sqlite.Driver{}

func (c *gatedConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := sqliteDriver.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &gatedConn{inner: conn.(sqliteConn), gate: c.gate}, nil
}

func (c *gatedConnector) Driver() driver.Driver { return sqliteDriver }

// sqliteConn is what the modernc connection implements.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	NewBackup(string) (*sqlite.Backup, error)
}

// gatedConn is one connection. held says it holds the turn for a
// transaction (database/sql's, or a BEGIN statement of its own) until
// that ends; statements inside a transaction take no turn of their own.
type gatedConn struct {
	inner sqliteConn
	gate  *writeGate
	inTx  bool // a transaction is open (its turn, if any, is held)
	held  bool
}

func (c *gatedConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *gatedConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	s, err := c.inner.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &gatedStmt{inner: s, conn: c, query: query}, nil
}

func (c *gatedConn) Close() error {
	c.drop()
	return c.inner.Close()
}

func (c *gatedConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *gatedConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if !opts.ReadOnly && !hasTurn(ctx) {
		if err := c.gate.acquire(ctx); err != nil {
			return nil, err
		}
		c.held = true
	}
	tx, err := c.inner.BeginTx(ctx, opts)
	if err != nil {
		c.drop()
		return nil, err
	}
	c.inTx = true
	return &gatedTx{inner: tx, conn: c}, nil
}

// drop gives back the turn the connection holds, if any.
func (c *gatedConn) drop() {
	if c.held {
		c.held = false
		c.gate.release()
	}
}

func (c *gatedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.exec(ctx, query, func() (driver.Result, error) { return c.inner.ExecContext(ctx, query, args) })
}

func (c *gatedConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.query(ctx, query, func() (driver.Rows, error) { return c.inner.QueryContext(ctx, query, args) })
}

// exec runs a statement in its turn (see turn).
func (c *gatedConn) exec(ctx context.Context, query string, run func() (driver.Result, error)) (driver.Result, error) {
	end, err := c.turn(ctx, query)
	if err != nil {
		return nil, err
	}
	res, err := run()
	end(err)
	return res, err
}

// query runs a statement that returns rows in its turn. A write's turn
// lasts until its rows are closed: the one it took here, or the one its
// caller took (DB.QueryContext, DB.QueryRowContext).
func (c *gatedConn) query(ctx context.Context, query string, run func() (driver.Rows, error)) (driver.Rows, error) {
	end, err := c.turn(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := run()
	if err == nil && hasTurn(ctx) {
		return rowsEnd(ctx, rows), nil
	}
	if err != nil || !c.heldFor(ctx, query) {
		end(err)
		return rows, err
	}
	return &gatedRows{Rows: rows, end: end}, nil
}

// heldFor says whether a statement outside a transaction took the turn.
func (c *gatedConn) heldFor(ctx context.Context, query string) bool {
	return !c.inTx && !hasTurn(ctx) && statementWrites(query)
}

// turnUntilClosed waits for the turn of a write statement that returns
// rows outside a transaction on SQLite, before it takes a connection, and
// returns the context to run it with: its rows give the turn back when
// closed; release gives it back if it never had rows.
func (db *DB) turnUntilClosed(ctx context.Context) (context.Context, *heldUntilClosed, error) {
	if err := db.gate.acquire(ctx); err != nil {
		return nil, nil, err
	}
	h := &heldUntilClosed{gate: db.gate}
	return context.WithValue(ctx, turnHeld{}, h), h, nil
}

// ExecContext runs a statement outside a transaction; on SQLite a write
// first waits for the write turn.
func (db *DB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if db.gate == nil || !statementWrites(query) {
		return db.DB.ExecContext(ctx, query, args...)
	}
	if err := db.gate.acquire(ctx); err != nil {
		return nil, err
	}
	defer db.gate.release()
	return db.DB.ExecContext(withTurn(ctx), query, args...)
}

// turn takes the write turn a statement needs and returns what to call
// when it has run: nothing inside a transaction or for a read; for a
// write, give the turn back — except after a BEGIN that succeeded, which
// keeps it until its COMMIT, ROLLBACK or END.
func (c *gatedConn) turn(ctx context.Context, query string) (end func(error), err error) {
	word := firstWord(query)
	switch {
	case c.inTx || hasTurn(ctx):
		return func(error) {}, nil
	case c.held && (word == "COMMIT" || word == "END" || word == "ROLLBACK"):
		return func(err error) {
			if err == nil || strings.Contains(err.Error(), "no transaction is active") {
				c.drop()
			}
		}, nil
	case c.held || !statementWrites(query):
		return func(error) {}, nil
	}
	if err := c.gate.acquire(ctx); err != nil {
		return nil, err
	}
	c.held = true
	if word == "BEGIN" {
		return func(err error) {
			if err != nil {
				c.drop()
			}
		}, nil
	}
	return func(error) { c.drop() }, nil
}

func (c *gatedConn) Ping(ctx context.Context) error               { return c.inner.Ping(ctx) }
func (c *gatedConn) ResetSession(ctx context.Context) error       { return c.inner.ResetSession(ctx) }
func (c *gatedConn) IsValid() bool                                { return c.inner.IsValid() }
func (c *gatedConn) NewBackup(dst string) (*sqlite.Backup, error) { return c.inner.NewBackup(dst) }

type gatedTx struct {
	inner driver.Tx
	conn  *gatedConn
}

func (t *gatedTx) Commit() error {
	defer t.end()
	return t.inner.Commit()
}

func (t *gatedTx) Rollback() error {
	defer t.end()
	return t.inner.Rollback()
}

func (t *gatedTx) end() {
	t.conn.inTx = false
	t.conn.drop()
}

type gatedStmt struct {
	inner driver.Stmt
	conn  *gatedConn
	query string
}

func (s *gatedStmt) Close() error  { return s.inner.Close() }
func (s *gatedStmt) NumInput() int { return s.inner.NumInput() }

func (s *gatedStmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.ExecContext(context.Background(), named(args))
}

func (s *gatedStmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.QueryContext(context.Background(), named(args))
}

func (s *gatedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.conn.exec(ctx, s.query, func() (driver.Result, error) { return s.inner.(driver.StmtExecContext).ExecContext(ctx, args) })
}

func (s *gatedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return s.conn.query(ctx, s.query, func() (driver.Rows, error) { return s.inner.(driver.StmtQueryContext).QueryContext(ctx, args) })
}

func named(args []driver.Value) []driver.NamedValue {
	out := make([]driver.NamedValue, len(args))
	for i, v := range args {
		out[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return out
}

// gatedRows are the rows of a write statement (INSERT ... RETURNING):
// the statement runs until they are closed, so the turn is held until then.
type gatedRows struct {
	driver.Rows
	end  func(error)
	once sync.Once
}

func (r *gatedRows) Close() error {
	err := r.Rows.Close()
	r.once.Do(func() { r.end(nil) })
	return err
}

// firstWord is a statement's first keyword, upper-cased, after blanks and
// comments.
func firstWord(query string) string {
	q := query
	for {
		q = strings.TrimLeft(q, " \t\r\n(")
		switch {
		case strings.HasPrefix(q, "--"):
			_, rest, ok := strings.Cut(q, "\n")
			if !ok {
				return ""
			}
			q = rest
			continue
		case strings.HasPrefix(q, "/*"):
			_, rest, ok := strings.Cut(q[2:], "*/")
			if !ok {
				return ""
			}
			q = rest
			continue
		}
		break
	}
	end := strings.IndexFunc(q, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') })
	if end < 0 {
		end = len(q)
	}
	return strings.ToUpper(q[:end])
}

// statementWrites says whether a statement outside a transaction may write,
// and so needs the turn: anything but SELECT, PRAGMA, EXPLAIN and VALUES,
// a WITH only when it names a write, and of the transaction statements
// only BEGIN IMMEDIATE or EXCLUSIVE. A deferred BEGIN starts a read (the
// backup's snapshot); its writes, if any, would take the turn one
// statement at a time.
func statementWrites(query string) bool {
	switch firstWord(query) {
	case "SELECT", "PRAGMA", "EXPLAIN", "VALUES", "COMMIT", "END", "ROLLBACK", "RELEASE", "SAVEPOINT":
		return false
	case "BEGIN":
		upper := strings.ToUpper(query)
		return strings.Contains(upper, "IMMEDIATE") || strings.Contains(upper, "EXCLUSIVE")
	case "WITH":
		upper := strings.ToUpper(query)
		for _, w := range []string{"INSERT", "UPDATE", "DELETE", "REPLACE"} {
			if strings.Contains(upper, w) {
				return true
			}
		}
		return false
	}
	return true
}
