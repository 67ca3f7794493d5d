package datastore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"dataport/internal/store"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/libc"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// SQLReaderRole is the PostgreSQL role datastore_search_sql runs as: it
// may log in nowhere and SELECT only datastore version tables (granted as
// each is created, see grantSQLReader), never the platform's own tables.
// Migration 0007 creates it when the store's user may create roles; an
// administrator can otherwise run
//
//	CREATE ROLE dataport_sql_reader NOLOGIN; GRANT dataport_sql_reader TO <store user>;
//
// and restart. Without it, SQL is refused on PostgreSQL.
const SQLReaderRole = "dataport_sql_reader"

// grantSQLReader lets SQLReaderRole read a new version table (not its
// quarantine table) on PostgreSQL, once the role exists.
func grantSQLReader(ctx context.Context, q store.Querier, d store.Dialect, table string) error {
	if d != store.Postgres {
		return nil
	}
	if !tableName.MatchString(table) {
		return fmt.Errorf("datastore: refusing to grant %q", table)
	}
	_, err := q.ExecContext(ctx, `DO $$ BEGIN IF to_regrole('`+SQLReaderRole+`') IS NOT NULL THEN `+
		`GRANT SELECT ON `+ident(table)+` TO `+SQLReaderRole+`; END IF; END $$`)
	if err != nil {
		return fmt.Errorf("datastore: grant %s to %s: %w", table, SQLReaderRole, err)
	}
	return nil
}

// Bounds of one datastore_search_sql statement beyond its rows and time.
const (
	maxSQLValueBytes  = 1 << 20  // a value built or read (SQLite's SQLITE_LIMIT_LENGTH)
	maxSQLRowBytes    = 4 << 20  // one row as PostgreSQL sends it
	maxSQLResultBytes = 16 << 20 // all values served; more is cut as records_truncated
	sqlWorkMem        = "16MB"   // PostgreSQL memory per sort or hash before spilling to disk
)

// sqlRun is one checked statement, printed with its version tables, and
// what the database may let it touch.
type sqlRun struct {
	query     string
	tables    []string // version tables it may read
	functions []string // functions it may call
	maxRows   int
}

// runSQL prints a checked statement with the version tables of its
// resources and runs it read-only, returning at most maxRows rows.
func (s *Service) runSQL(ctx context.Context, stmt *CheckedSQL, tables map[string]string, maxRows int) ([]map[string]any, []RowField, bool, error) {
	query, err := stmt.Render(tables)
	if err != nil {
		return nil, nil, false, err
	}
	versions := slices.Sorted(maps.Values(tables))
	return s.runReadOnly(ctx, sqlRun{query: query, tables: slices.Compact(versions), functions: stmt.Functions(), maxRows: maxRows})
}

// runReadOnly runs run.query where the database enforces again what the
// syntax check decided: on SQLite a read-only connection of its own whose
// authorizer permits reading run.tables and calling run.functions only,
// with lowered length limits and an interrupt at the deadline; on
// PostgreSQL a READ ONLY transaction as SQLReaderRole whose plan may scan
// run.tables only, with statement_timeout, work_mem and a message size
// cap. Either way the statement is wrapped in LIMIT maxRows+1, so sorts
// keep only what is served, and at most maxSQLResultBytes are collected.
func (s *Service) runReadOnly(ctx context.Context, run sqlRun) ([]map[string]any, []RowField, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.sql.Timeout)
	defer cancel()
	wrapped := fmt.Sprintf(`SELECT * FROM (%s) AS "dataport_result" LIMIT %d`, run.query, max(run.maxRows, 0)+1)
	var (
		records   []map[string]any
		fields    []RowField
		truncated bool
		err       error
	)
	err = s.queryGuarded(ctx, wrapped, run, guardOptions{timeout: s.sql.Timeout, roleMissing: "datastore: datastore_search_sql on PostgreSQL runs as the role %s, which this store's user cannot take " +
		"(CREATE ROLE %[1]s NOLOGIN; GRANT %[1]s TO <store user>; then restart): %w"}, func(rows *sql.Rows) error {
		records, fields, truncated, err = collect(rows, run.maxRows)
		return err
	})
	if err != nil {
		return nil, nil, false, sqlFailure(ctx, err, s.sql.Timeout)
	}
	return records, fields, truncated, nil
}

// guardOptions are what differs between the statements queryGuarded runs.
type guardOptions struct {
	timeout time.Duration // PostgreSQL's statement_timeout (SQLite stops at ctx's deadline)
	// parallel lets PostgreSQL use parallel workers: for background jobs
	// (the zones' sandbox), not for statements that answer requests.
	parallel bool
	// roleMissing is the error when the store's user cannot take
	// SQLReaderRole: a format with %s for the role and %w for the cause.
	roleMissing string
}

// queryGuarded runs query where the database enforces again what the
// syntax check decided and hands its rows to read, whose error it returns
// as it is: on SQLite a read-only connection of its own whose authorizer
// permits reading run.tables and calling run.functions only, with lowered
// length limits and an interrupt when ctx ends; on PostgreSQL a READ ONLY
// transaction as SQLReaderRole whose plan may scan run.tables only, with
// statement_timeout, work_mem and a message size cap.
func (s *Service) queryGuarded(ctx context.Context, query string, run sqlRun, o guardOptions, read func(*sql.Rows) error) error {
	if s.db.Dialect == store.Postgres {
		return s.queryPostgres(ctx, query, run, o, read)
	}
	db, err := s.sqliteReadDB()
	if err != nil {
		return err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("datastore: open read-only connection: %w", err)
	}
	defer conn.Close()
	guard, err := guardSQLite(conn, run)
	if err != nil {
		return err
	}
	defer guard.release()
	stop := context.AfterFunc(ctx, guard.interrupt)
	defer stop()
	rows, err := conn.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	return read(rows)
}

// sqliteReadDB is the pool of read-only connections SQL statements run on:
// two at most (a third statement waits for one, under its deadline), each
// closed after a minute unused. Every statement sets its own limits and
// authorizer on the connection it takes, and leaves a deny-all one behind.
func (s *Service) sqliteReadDB() (*sql.DB, error) {
	r := &s.sqlRead
	r.once.Do(func() {
		r.db, r.err = sql.Open("sqlite", sqliteReadDSN(s.db.Path))
		if r.err != nil {
			r.err = fmt.Errorf("datastore: open read-only connections: %w", r.err)
			return
		}
		r.db.SetMaxOpenConns(2)
		r.db.SetMaxIdleConns(2)
		r.db.SetConnMaxIdleTime(time.Minute)
	})
	return r.db, r.err
}

// sqliteReadDSN opens the store's file read-only, as a URI (so '?', '#'
// and '%' in the path are escaped), without the double-quoted-string quirk,
// in defensive mode and trusting nothing in the schema.
func sqliteReadDSN(path string) string {
	escaped := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + escaped + "?mode=ro&_dqs=0&_defensive=1" +
		"&_pragma=query_only(1)&_pragma=trusted_schema(0)&_pragma=busy_timeout(5000)"
}

// sqliteReadLimits lower SQLite's limits on the read connection. The
// length limit is what stops randomblob(9e8), zeroblob or replace from
// building huge values: SQLite refuses before allocating.
var sqliteReadLimits = []struct{ id, value int }{
	{sqlite3.SQLITE_LIMIT_LENGTH, maxSQLValueBytes},
	{sqlite3.SQLITE_LIMIT_SQL_LENGTH, 256 << 10},
	{sqlite3.SQLITE_LIMIT_COLUMN, 1000}, // a resource has at most 500 items
	{sqlite3.SQLITE_LIMIT_EXPR_DEPTH, 2 * maxSQLDepth},
	{sqlite3.SQLITE_LIMIT_COMPOUND_SELECT, maxCompound},
	{sqlite3.SQLITE_LIMIT_VDBE_OP, 250000},
	{sqlite3.SQLITE_LIMIT_FUNCTION_ARG, maxFunctionArgs},
	{sqlite3.SQLITE_LIMIT_ATTACHED, 0},
	{sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 1000},
	{sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 1},
	{sqlite3.SQLITE_LIMIT_TRIGGER_DEPTH, 1},
	{sqlite3.SQLITE_LIMIT_WORKER_THREADS, 0},
}

// sqliteImplicitFunctions are functions SQLite calls for syntax rather
// than by name: LIKE, and CURRENT_DATE and its kin.
var sqliteImplicitFunctions = []string{"like", "current_date", "current_time", "current_timestamp"}

// sqliteGuard interrupts the statement on its connection; release must
// be called before the connection closes.
type sqliteGuard struct {
	conn *sql.Conn
	mu   sync.Mutex
	db   uintptr // the connection's sqlite3*, 0 once released
}

// guardSQLite lowers the connection's limits and installs the authorizer
// of run: SELECT, reading run.tables in the main database and calling
// run.functions are permitted; everything else (other tables and schemas,
// PRAGMA and pragma functions, ATTACH, writes, recursive WITH) is denied.
func guardSQLite(conn *sql.Conn, run sqlRun) (*sqliteGuard, error) {
	for _, l := range sqliteReadLimits {
		if _, err := sqlite.Limit(conn, l.id, l.value); err != nil {
			return nil, fmt.Errorf("datastore: limit read connection: %w", err)
		}
	}
	functions := append(slices.Clone(run.functions), sqliteImplicitFunctions...)
	authorize := func(action sqlite.AuthorizerActionCode, arg1, arg2, database, _ string) sqlite.AuthorizerReturnCode {
		switch {
		case action == sqlite.AuthSelect,
			// A table read for no column (count(*)) comes without a database name.
			action == sqlite.AuthRead && (database == "main" || database == "") && slices.Contains(run.tables, arg1),
			action == sqlite.AuthFunction && slices.Contains(functions, asciiLower(arg2)):
			return sqlite.AuthorizerOK
		}
		return sqlite.AuthorizerDeny
	}
	g := &sqliteGuard{conn: conn}
	err := conn.Raw(func(driverConn any) error {
		registerer, ok := driverConn.(sqlite.AuthorizerRegisterer)
		if !ok {
			return fmt.Errorf("datastore: %T has no authorizer", driverConn)
		}
		db, err := sqliteHandle(driverConn)
		if err != nil {
			return err
		}
		g.db = db
		return registerer.RegisterAuthorizer(authorize)
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// sqliteHandle reads the sqlite3* of a modernc.org/sqlite connection. The
// driver interrupts a statement when its context ends only while the
// statement's first row is computed; the rows after it (rows.Next) run
// unguarded, so a cross join that finds its first row at once would run
// past any deadline. sqlite3_interrupt needs the handle, which the driver
// keeps unexported: it is read by reflection (go.mod pins the driver;
// TestSQLDeadlineStopsLaterRows fails if this breaks), and a missing
// field refuses the statement rather than running it unguarded.
func sqliteHandle(driverConn any) (uintptr, error) {
	v := reflect.ValueOf(driverConn)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() == reflect.Struct {
		if f := v.FieldByName("db"); f.IsValid() && f.Kind() == reflect.Uintptr && f.Uint() != 0 {
			return uintptr(f.Uint()), nil
		}
	}
	return 0, fmt.Errorf("datastore: cannot reach the SQLite handle of %T to interrupt statements", driverConn)
}

// interrupt stops the statement running on the connection, if any.
func (g *sqliteGuard) interrupt() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.db != 0 {
		tls := libc.NewTLS()
		sqlite3.Xsqlite3_interrupt(tls, g.db)
		tls.Close()
	}
}

// release ends the guard: the connection goes back to the pool with an
// authorizer that denies everything until the next statement sets its own.
func (g *sqliteGuard) release() {
	g.mu.Lock()
	g.db = 0
	g.mu.Unlock()
	g.conn.Raw(func(driverConn any) error {
		return driverConn.(sqlite.AuthorizerRegisterer).RegisterAuthorizer(denyAll)
	})
}

func denyAll(sqlite.AuthorizerActionCode, string, string, string, string) sqlite.AuthorizerReturnCode {
	return sqlite.AuthorizerDeny
}

func (s *Service) queryPostgres(ctx context.Context, query string, run sqlRun, o guardOptions, read func(*sql.Rows) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SET LOCAL ROLE "+SQLReaderRole); err != nil {
		return fmt.Errorf(o.roleMissing, SQLReaderRole, err)
	}
	settings := []string{
		fmt.Sprintf("SET LOCAL statement_timeout = %d", max(o.timeout.Milliseconds(), 1)),
		"SET LOCAL work_mem = '" + sqlWorkMem + "'",
		"SET LOCAL jit = off",
		"SET LOCAL standard_conforming_strings = on",
	}
	if !o.parallel {
		settings = append(settings, "SET LOCAL max_parallel_workers_per_gather = 0")
	}
	for _, set := range settings {
		if _, err := tx.ExecContext(ctx, set); err != nil {
			return err
		}
	}
	if err := checkPlan(ctx, tx, query, run.tables); err != nil {
		return err
	}
	restore, err := capMessages(conn, maxSQLRowBytes)
	if err != nil {
		return err
	}
	defer restore()
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	return read(rows)
}

// errSQLPlan is a plan that would read outside the statement's tables.
var errSQLPlan = errors.New("would read outside the resources named")

// scanNodes are plan nodes that read something other than a table.
var scanNodes = []string{"Function Scan", "Table Function Scan", "Foreign Scan", "Custom Scan", "WorkTable Scan",
	"Named Tuplestore Scan", "ProjectSet"}

// checkPlan asks PostgreSQL for the statement's plan (EXPLAIN plans, it
// does not run) and refuses it when the plan scans any relation other
// than tables, or reads rows from a function: the database's own account
// of what the statement reads, beneath the syntax check.
func checkPlan(ctx context.Context, tx *sql.Tx, query string, tables []string) error {
	var plan string
	if err := tx.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+query).Scan(&plan); err != nil {
		return err
	}
	var tree any
	if err := json.Unmarshal([]byte(plan), &tree); err != nil {
		return fmt.Errorf("datastore: read plan: %w", err)
	}
	return walkPlan(tree, tables)
}

func walkPlan(node any, tables []string) error {
	switch x := node.(type) {
	case []any:
		for _, n := range x {
			if err := walkPlan(n, tables); err != nil {
				return err
			}
		}
	case map[string]any:
		if rel, ok := x["Relation Name"].(string); ok && !slices.Contains(tables, rel) {
			return fmt.Errorf("%w: %s", errSQLPlan, rel)
		}
		if kind, _ := x["Node Type"].(string); slices.Contains(scanNodes, kind) {
			return fmt.Errorf("%w: %s", errSQLPlan, kind)
		}
		for _, v := range x {
			if err := walkPlan(v, tables); err != nil {
				return err
			}
		}
	}
	return nil
}

// capMessages caps the size of a protocol message pgx accepts on conn, so
// one huge row (replace() can build a 1 GB value in the server) is
// refused instead of read into memory; restore puts the cap back.
func capMessages(conn *sql.Conn, n int) (restore func(), err error) {
	var pg *stdlib.Conn
	err = conn.Raw(func(driverConn any) error {
		c, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("datastore: %T is not a pgx connection", driverConn)
		}
		pg = c
		c.Conn().PgConn().Frontend().SetMaxBodyLen(n)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return func() {
		conn.Raw(func(any) error {
			// pgproto3's default: PostgreSQL's own limit (the store sets none).
			pg.Conn().PgConn().Frontend().SetMaxBodyLen(0x3fffffff - 1)
			return nil
		})
	}, nil
}

var numeric = regexp.MustCompile(`^-?\d+(\.\d+)?$`)

// collect reads at most maxRows rows and maxSQLResultBytes of values;
// truncated says more were there.
func collect(rows *sql.Rows, maxRows int) ([]map[string]any, []RowField, bool, error) {
	cols, err := rows.ColumnTypes()
	if err != nil {
		return nil, nil, false, err
	}
	fields := make([]RowField, len(cols))
	for i, c := range cols {
		fields[i] = RowField{ID: c.Name(), Type: strings.ToLower(c.DatabaseTypeName())}
	}
	out := []map[string]any{}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	size := 0
	for rows.Next() {
		if len(out) >= maxRows || size > maxSQLResultBytes {
			return out, fields, true, nil
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, nil, false, err
		}
		rec := make(map[string]any, len(cols))
		for i, f := range fields {
			rec[f.ID] = sqlValue(vals[i], f.Type)
			size += 16
			if s, ok := rec[f.ID].(string); ok {
				size += len(s)
			}
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, false, err
	}
	return out, fields, false, nil
}

func sqlValue(v any, typ string) any {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case time.Time:
		return x.Format("2006-01-02T15:04:05.999999")
	case string:
		if typ == "numeric" && numeric.MatchString(x) {
			return json.Number(x)
		}
	}
	return v
}

// sqlFailure reports why the database stopped a statement, as bad input
// (a 422 on "sql"); a request whose client went away keeps its error.
func sqlFailure(ctx context.Context, err error, timeout time.Duration) error {
	var tooBig *pgproto3.ExceededMaxBodyLenErr
	msg := err.Error()
	switch {
	case errors.Is(err, context.Canceled):
		return err
	case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || strings.Contains(msg, "statement timeout") ||
		strings.Contains(msg, "interrupted"):
		return badSQL(fmt.Sprintf("took longer than the statement timeout (%s) and was stopped", timeout))
	case errors.As(err, &tooBig):
		return badSQL(fmt.Sprintf("returned a row longer than %d MB", maxSQLRowBytes>>20))
	case strings.Contains(msg, "string or blob too big"):
		return badSQL(fmt.Sprintf("built a value longer than %d MB", maxSQLValueBytes>>20))
	case strings.Contains(msg, "not authorized") || strings.Contains(msg, "authorization denied") ||
		strings.Contains(msg, "permission denied") || errors.Is(err, errSQLPlan):
		return badSQL("was refused by the database (" + msg + "): only the resources named and the allowed functions may be used")
	case strings.HasPrefix(msg, "datastore:"):
		return err
	}
	return badSQL("failed: " + msg)
}
