package datastore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"time"

	"dataport/internal/store"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// rowWriter puts batches into a load's table and its quarantine table.
type rowWriter interface {
	write(ctx context.Context, b *batch) error
	// close finishes the writes; failed says an earlier write or the reader failed.
	close(ctx context.Context, failed error) error
}

func (s *Service) newWriter(ctx context.Context, l *loader) (rowWriter, error) {
	cols := []string{ident(rowColumn)}
	for _, it := range l.res.Items {
		cols = append(cols, ident(it.Name))
	}
	if s.db.Dialect == store.Postgres {
		return newCopyWriter(ctx, s.db, l.table, cols)
	}
	return newSQLiteWriter(ctx, s.db, l.table, cols)
}

// sqliteWriter inserts each batch in one transaction on a connection of
// its own, through the driver's statement interface: database/sql would
// check and convert every argument and allocate an argument slice per
// statement, which cost as much as SQLite's own work. The values are
// already driver values (int64, float64, string, nil; see storeValue).
type sqliteWriter struct {
	db    *store.DB
	table string
	cols  []string
	conn  *sql.Conn
	full  driver.Stmt         // the INSERT of a full chunk, prepared on conn
	args  []driver.NamedValue // reused for every statement
}

// sqliteDriverConn is what the writer needs of the SQLite driver's connection.
type sqliteDriverConn interface {
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
}

func newSQLiteWriter(ctx context.Context, db *store.DB, table string, cols []string) (*sqliteWriter, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("datastore: load connection: %w", err)
	}
	return &sqliteWriter{db: db, table: table, cols: cols, conn: conn}, nil
}

// chunk is how many records one INSERT statement carries: the largest
// divisor of batchRows up to 1000 that keeps within SQLite's 32766
// parameters, so that full batches need no second statement (preparing one
// costs as much as running it).
func (w *sqliteWriter) chunk() int {
	limit := max(1, min(1000, 32766/len(w.cols)))
	for n := limit; n > 1; n-- {
		if batchRows%n == 0 {
			return n
		}
	}
	return limit
}

func (w *sqliteWriter) insertSQL(rows int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(w.cols)), ",") + ")"
	return "INSERT INTO " + ident(w.table) + " (" + strings.Join(w.cols, ", ") + ") VALUES " +
		strings.TrimSuffix(strings.Repeat(one+",", rows), ",")
}

func (w *sqliteWriter) write(ctx context.Context, b *batch) error {
	return w.conn.Raw(func(dc any) error {
		c, ok := dc.(sqliteDriverConn)
		if !ok {
			return fmt.Errorf("datastore: the SQLite driver's connection (%T) lacks the statement interface", dc)
		}
		tx, err := c.BeginTx(ctx, driver.TxOptions{})
		if err != nil {
			return fmt.Errorf("datastore: begin batch: %w", err)
		}
		if err := w.insert(ctx, c, b); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("datastore: commit batch: %w", err)
		}
		return nil
	})
}

// insert writes the batch's records and its quarantined ones on c, inside
// the transaction write began.
func (w *sqliteWriter) insert(ctx context.Context, c sqliteDriverConn, b *batch) error {
	width, chunk := len(w.cols), w.chunk()
	for at := 0; at < b.n; at += chunk {
		n := min(chunk, b.n-at)
		args := w.bind(b.vals[at*width : (at+n)*width])
		var err error
		if n == chunk {
			if w.full == nil {
				if w.full, err = c.PrepareContext(ctx, w.insertSQL(chunk)); err != nil {
					return fmt.Errorf("datastore: prepare insert: %w", err)
				}
			}
			_, err = w.full.(driver.StmtExecContext).ExecContext(ctx, args)
		} else {
			_, err = c.ExecContext(ctx, w.insertSQL(n), args)
		}
		if err != nil {
			return fmt.Errorf("datastore: insert rows: %w", err)
		}
	}
	for _, r := range b.bad {
		for _, e := range r.errs {
			args := w.bind([]any{r.row, e.Column, e.Value, e.Reason, r.record})
			if _, err := c.ExecContext(ctx, `INSERT INTO `+ident(w.table+"_q")+` ("row", "column", "value", "reason", "record") VALUES (?, ?, ?, ?, ?)`, args); err != nil {
				return fmt.Errorf("datastore: quarantine: %w", err)
			}
		}
	}
	return nil
}

// bind puts vals in the reused argument slice as driver values.
func (w *sqliteWriter) bind(vals []any) []driver.NamedValue {
	if cap(w.args) < len(vals) {
		w.args = make([]driver.NamedValue, len(vals))
	}
	args := w.args[:len(vals)]
	for i, v := range vals {
		switch v.(type) {
		case nil, int64, float64, string, bool, []byte, time.Time:
		default: // what database/sql would have done
			if cv, err := driver.DefaultParameterConverter.ConvertValue(v); err == nil {
				v = cv
			}
		}
		args[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return args
}

// close releases the prepared statement and returns the connection to the pool.
func (w *sqliteWriter) close(context.Context, error) error {
	var err error
	if w.full != nil {
		err = w.conn.Raw(func(any) error { return w.full.Close() })
		w.full = nil
	}
	if cerr := w.conn.Close(); err == nil {
		err = cerr
	}
	return err
}

func insertQuarantine(ctx context.Context, q store.Querier, table string, bad []badRecord) error {
	for _, r := range bad {
		for _, e := range r.errs {
			_, err := q.ExecContext(ctx, `INSERT INTO `+ident(table+"_q")+` ("row", "column", "value", "reason", "record") VALUES ($1, $2, $3, $4, $5)`,
				r.row, e.Column, e.Value, e.Reason, r.record)
			if err != nil {
				return fmt.Errorf("datastore: quarantine: %w", err)
			}
		}
	}
	return nil
}

// copyWriter streams every batch into one PostgreSQL COPY on a dedicated
// connection; quarantined records go in with plain INSERTs.
type copyWriter struct {
	db    *store.DB
	table string
	rows  chan []any
	done  chan error
	conn  *sql.Conn
}

func newCopyWriter(ctx context.Context, db *store.DB, table string, cols []string) (*copyWriter, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	w := &copyWriter{db: db, table: table, rows: make(chan []any, 4096), done: make(chan error, 1), conn: conn}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = strings.Trim(c, `"`)
	}
	go func() {
		w.done <- conn.Raw(func(dc any) error {
			pc := dc.(*stdlib.Conn).Conn()
			_, err := pc.CopyFrom(ctx, pgx.Identifier{table}, names, &chanSource{rows: w.rows})
			return err
		})
	}()
	return w, nil
}

func (w *copyWriter) write(ctx context.Context, b *batch) error {
	width := len(b.vals) / max(b.n, 1)
	for i := 0; i < b.n; i++ {
		select {
		case w.rows <- b.vals[i*width : (i+1)*width]:
		case err := <-w.done:
			w.done <- err
			return fmt.Errorf("datastore: copy rows: %w", err)
		}
	}
	return insertQuarantine(ctx, w.db, w.table, b.bad)
}

// close ends the COPY: it commits when nothing failed; a failure cancels it.
func (w *copyWriter) close(ctx context.Context, failed error) error {
	defer w.conn.Close()
	if failed != nil {
		close(w.rows)
		<-w.done
		return failed
	}
	close(w.rows)
	if err := <-w.done; err != nil {
		return fmt.Errorf("datastore: copy rows: %w", err)
	}
	return nil
}

// chanSource feeds COPY from a channel of records.
type chanSource struct {
	rows chan []any
	cur  []any
}

func (c *chanSource) Next() bool {
	r, ok := <-c.rows
	c.cur = r
	return ok
}

func (c *chanSource) Values() ([]any, error) { return c.cur, nil }
func (c *chanSource) Err() error             { return nil }
