package datastore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"dataport/internal/store"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// rowWriter puts batches into a load's table and its quarantine table.
type rowWriter interface {
	// write stores the batch's records and the load's heartbeat (rows and
	// bytes read so far).
	write(ctx context.Context, b *batch) error
	// close finishes the writes; failed says an earlier write or the reader failed.
	close(ctx context.Context, failed error) error
	// keyIndexed says the key's unique index exists and holds every
	// record written.
	keyIndexed() bool
}

func (s *Service) newWriter(ctx context.Context, l *loader) (rowWriter, error) {
	cols := []string{ident(rowColumn)}
	for _, it := range l.res.Items {
		cols = append(cols, ident(it.Name))
	}
	if s.db.Dialect == store.Postgres {
		return newCopyWriter(ctx, s.db, l.table, cols, l.id)
	}
	w, err := newSQLiteWriter(ctx, s.db, l.table, cols, l.id)
	if err != nil {
		return nil, err
	}
	w.keyIndex = keyIndexSQL(l.table, keptKeyIndex, l.res.Items, true)
	return w, nil
}

// sqliteWriter inserts each batch in one transaction on a bulk connection
// of its own (see bulkConn), with a prepared multi-row INSERT. The values
// are already what the columns take (int64, float64, string, nil; see
// storeValue).
type sqliteWriter struct {
	table string
	cols  []string
	load  string // the load's id, whose heartbeat each batch's transaction updates
	conn  *bulkConn
	db    *store.DB // whose write turn each batch's transaction takes
	full  *bulkStmt // the INSERT of a full chunk
	quar  *bulkStmt // the INSERT of one quarantined value
	beat  *bulkStmt // the load's progress and heartbeat
	// keyIndex creates the key's unique index. It is created before the
	// first batch when that batch's keys ascend, so that each entry goes
	// after the last one, and dropped at the first batch whose keys do not
	// (the load then builds it afterwards, finding any repeated keys).
	// It has a name of its own: the store's pooled connections may still
	// know it from a schema read before the drop, and would take a CREATE
	// of the same name for a duplicate.
	keyIndex string
	keyed    bool // the key index exists
	started  bool // a batch was written
}

func newSQLiteWriter(_ context.Context, db *store.DB, table string, cols []string, load string) (*sqliteWriter, error) {
	if db.Path == "" {
		return nil, fmt.Errorf("datastore: the SQLite store has no file path")
	}
	conn, err := openBulk(db.Path)
	if err != nil {
		return nil, err
	}
	return &sqliteWriter{table: table, cols: cols, load: load, conn: conn, db: db}, nil
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
	if err := ctx.Err(); err != nil {
		return err
	}
	release, err := w.db.WriteTurn(ctx)
	if err != nil {
		return fmt.Errorf("datastore: begin batch: %w", err)
	}
	defer release()
	if err := w.conn.exec("BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("datastore: begin batch: %w", err)
	}
	if err := w.keepKeyIndex(b); err != nil {
		w.conn.exec("ROLLBACK")
		return err
	}
	if err := w.insert(b); err != nil {
		w.conn.exec("ROLLBACK")
		return err
	}
	if err := w.heartbeat(b); err != nil {
		w.conn.exec("ROLLBACK")
		return err
	}
	if err := w.conn.exec("COMMIT"); err != nil {
		w.conn.exec("ROLLBACK")
		return fmt.Errorf("datastore: commit batch: %w", err)
	}
	return nil
}

// keptKeyIndex ends the name of the key index kept while loading.
const keptKeyIndex = "_key_kept"

// keepKeyIndex creates or drops the key index before the batch is inserted
// (see sqliteWriter.keyIndex).
func (w *sqliteWriter) keepKeyIndex(b *batch) error {
	var err error
	switch {
	case !w.started && w.keyIndex != "" && b.keysAscending:
		w.keyed = true
		err = w.conn.exec(w.keyIndex)
	case w.keyed && !b.keysAscending:
		w.keyed = false
		err = w.conn.exec("DROP INDEX " + ident(w.table+keptKeyIndex))
	}
	w.started = true
	if err != nil {
		return fmt.Errorf("datastore: key index: %w", err)
	}
	return nil
}

func (w *sqliteWriter) keyIndexed() bool { return w.keyed }

// insert writes the batch's records and its quarantined ones inside the
// transaction write began.
func (w *sqliteWriter) insert(b *batch) error {
	width, chunk := len(w.cols), w.chunk()
	var err error
	for at := 0; at < b.n; at += chunk {
		n := min(chunk, b.n-at)
		vals := b.vals[at*width : (at+n)*width]
		if n == chunk {
			if w.full == nil {
				if w.full, err = w.conn.prepare(w.insertSQL(chunk)); err != nil {
					return fmt.Errorf("datastore: prepare insert: %w", err)
				}
			}
			err = w.full.run(vals)
		} else {
			var st *bulkStmt
			if st, err = w.conn.prepare(w.insertSQL(n)); err != nil {
				return fmt.Errorf("datastore: prepare insert: %w", err)
			}
			err = st.run(vals)
			st.close()
		}
		if err != nil {
			return fmt.Errorf("datastore: insert rows: %w", err)
		}
	}
	for _, r := range b.bad {
		for _, e := range r.errs {
			if w.quar == nil {
				if w.quar, err = w.conn.prepare(`INSERT INTO ` + ident(w.table+"_q") + ` ("row", "column", "value", "reason", "record") VALUES (?, ?, ?, ?, ?)`); err != nil {
					return fmt.Errorf("datastore: prepare quarantine: %w", err)
				}
			}
			if err := w.quar.run([]any{r.row, e.Column, e.Value, e.Reason, r.record}); err != nil {
				return fmt.Errorf("datastore: quarantine: %w", err)
			}
		}
	}
	return nil
}

// heartbeat records the load's progress in the batch's transaction (one
// commit per batch instead of two).
func (w *sqliteWriter) heartbeat(b *batch) error {
	var err error
	if w.beat == nil {
		if w.beat, err = w.conn.prepare(`UPDATE datastore_loads SET rows_read = ?, bytes_read = ?, heartbeat_at = ? WHERE id = ?`); err != nil {
			return fmt.Errorf("datastore: prepare heartbeat: %w", err)
		}
	}
	if err := w.beat.run([]any{b.rows, b.bytes, store.TS(time.Now()), w.load}); err != nil {
		return fmt.Errorf("datastore: heartbeat: %w", err)
	}
	return nil
}

// close releases the statements and the connection.
func (w *sqliteWriter) close(context.Context, error) error {
	w.full.close()
	w.quar.close()
	w.beat.close()
	return w.conn.close()
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
	load  string // the load's id, whose heartbeat each batch updates
	rows  chan []any
	done  chan error
	conn  *sql.Conn
}

// keyIndexed is false: on PostgreSQL the key index is built after the COPY.
func (w *copyWriter) keyIndexed() bool { return false }

func newCopyWriter(ctx context.Context, db *store.DB, table string, cols []string, load string) (*copyWriter, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	w := &copyWriter{db: db, table: table, load: load, rows: make(chan []any, 4096), done: make(chan error, 1), conn: conn}
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
	if err := insertQuarantine(ctx, w.db, w.table, b.bad); err != nil {
		return err
	}
	// The COPY commits only at the end: the heartbeat goes through the pool.
	w.db.ExecContext(ctx, `UPDATE datastore_loads SET rows_read = $2, bytes_read = $3, heartbeat_at = $4 WHERE id = $1`,
		w.load, b.rows, b.bytes, store.TS(time.Now()))
	return nil
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
