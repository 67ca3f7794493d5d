package datastore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

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
	return &sqliteWriter{db: s.db, table: l.table, cols: cols}, nil
}

// sqliteWriter inserts each batch in one transaction with prepared
// multi-row INSERT statements.
type sqliteWriter struct {
	db    *store.DB
	table string
	cols  []string
}

// sqliteChunk is how many records one INSERT statement carries (SQLite
// allows 32766 parameters per statement).
func (w *sqliteWriter) chunk() int { return min(256, 32766/len(w.cols)) }

func (w *sqliteWriter) insertSQL(rows int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(w.cols)), ",") + ")"
	return "INSERT INTO " + ident(w.table) + " (" + strings.Join(w.cols, ", ") + ") VALUES " +
		strings.TrimSuffix(strings.Repeat(one+",", rows), ",")
}

func (w *sqliteWriter) write(ctx context.Context, b *batch) error {
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("datastore: begin batch: %w", err)
	}
	defer tx.Rollback()
	width, chunk := len(w.cols), w.chunk()
	var full *sql.Stmt
	for at := 0; at < b.n; at += chunk {
		n := min(chunk, b.n-at)
		args := b.vals[at*width : (at+n)*width]
		if n == chunk {
			if full == nil {
				if full, err = tx.PrepareContext(ctx, w.insertSQL(chunk)); err != nil {
					return fmt.Errorf("datastore: prepare insert: %w", err)
				}
				defer full.Close()
			}
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, w.insertSQL(n), args...)
		}
		if err != nil {
			return fmt.Errorf("datastore: insert rows: %w", err)
		}
	}
	if err := insertQuarantine(ctx, tx, w.table, b.bad); err != nil {
		return err
	}
	return tx.Commit()
}

func (w *sqliteWriter) close(context.Context, error) error { return nil }

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
