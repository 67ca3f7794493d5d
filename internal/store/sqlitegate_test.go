package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// TestSQLiteWritesTakeTurns: on SQLite every write — a write transaction,
// a write statement outside one (INSERT ... RETURNING holding its turn
// until its rows close), a BEGIN IMMEDIATE of a connection's own, and the
// bulk loader's WriteTurn — waits while another holds the turn, and
// proceeds once it ends; reads, deferred transactions and their ends never
// wait.
func TestSQLiteWritesTakeTurns(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	insert := `INSERT INTO catalog_sequences(prefix, next) VALUES ($1, 1)`

	n := 0
	prefix := func() string { n++; return fmt.Sprintf("T%d", n) }

	holdTx := func(started chan<- struct{}, end <-chan struct{}) error {
		return db.Transact(ctx, func(tx *store.Tx) error {
			if _, err := tx.ExecContext(ctx, insert, prefix()); err != nil {
				return err
			}
			close(started)
			<-end
			return nil
		})
	}
	holdRows := func(started chan<- struct{}, end <-chan struct{}) error {
		rows, err := db.QueryContext(ctx, insert+` RETURNING prefix`, prefix())
		if err != nil {
			return err
		}
		close(started)
		<-end
		return rows.Close()
	}
	holdTurn := func(started chan<- struct{}, end <-chan struct{}) error {
		release, err := db.WriteTurn(ctx)
		if err != nil {
			return err
		}
		close(started)
		<-end
		release()
		return nil
	}
	holdBegin := func(started chan<- struct{}, end <-chan struct{}) error {
		conn, err := db.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "/* own */ BEGIN IMMEDIATE"); err != nil {
			return err
		}
		close(started)
		<-end
		_, err = conn.ExecContext(ctx, "COMMIT")
		return err
	}
	writeTx := func() error {
		return db.Transact(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, insert, prefix())
			return err
		})
	}
	writeStmt := func() error {
		_, err := db.ExecContext(ctx, insert, prefix())
		return err
	}
	// A statement run on database/sql's pool directly (as River's driver
	// does) takes the turn in the connection.
	writePool := func() error {
		_, err := db.DB.ExecContext(ctx, insert, prefix())
		return err
	}
	for _, h := range []struct {
		name string
		hold func(chan<- struct{}, <-chan struct{}) error
	}{{"transaction", holdTx}, {"INSERT RETURNING", holdRows}, {"WriteTurn", holdTurn}, {"BEGIN IMMEDIATE", holdBegin}} {
		for _, w := range []struct {
			name  string
			write func() error
		}{{"transaction", writeTx}, {"statement", writeStmt}, {"statement on the pool", writePool}} {
			name := w.name + " during " + h.name
			end, held, started := make(chan struct{}), make(chan error, 1), make(chan struct{})
			go func() { held <- h.hold(started, end) }()
			<-started
			done := make(chan error, 1)
			go func() { done <- w.write() }()
			select {
			case err := <-done:
				t.Fatalf("%s: finished while the other held the turn (err %v)", name, err)
			case <-time.After(200 * time.Millisecond):
			}
			// Reads, and a deferred transaction's begin and end, do not wait.
			var count int
			if err := db.DB.QueryRowContext(ctx, `SELECT count(*) FROM catalog_sequences`).Scan(&count); err != nil {
				t.Fatalf("%s: read: %v", name, err)
			}
			conn, err := db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, stmt := range []string{"BEGIN", "SELECT 1", "ROLLBACK"} {
				if _, err := conn.ExecContext(ctx, stmt); err != nil {
					t.Fatalf("%s: %s: %v", name, stmt, err)
				}
			}
			conn.Close()
			close(end)
			if err := <-held; err != nil {
				t.Fatalf("%s: holder: %v", name, err)
			}
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: still waiting after the turn was given back", name)
			}
		}
	}
}

// TestSQLiteWritersDoNotStarve: 48 writers, each writing back to back
// (transactions, statements, and INSERT ... RETURNING), three times as
// many as the pool's connections, all succeed: writers wait for their turn
// before they take a connection, so the one holding it always gets one.
func TestSQLiteWritersDoNotStarve(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 48)
	for w := range 48 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				p := fmt.Sprintf("W%d-%d", w, i)
				var err error
				switch w % 3 {
				case 0:
					err = db.Transact(ctx, func(tx *store.Tx) error {
						_, err := tx.ExecContext(ctx, `INSERT INTO catalog_sequences(prefix, next) VALUES ($1, 1)`, p)
						return err
					})
				case 1:
					_, err = db.ExecContext(ctx, `INSERT INTO catalog_sequences(prefix, next) VALUES ($1, 1)`, p)
				case 2:
					var got string
					err = db.QueryRowContext(ctx, `INSERT INTO catalog_sequences(prefix, next) VALUES ($1, 1) RETURNING prefix`, p).Scan(&got)
				}
				if err != nil {
					errs <- fmt.Errorf("writer %d, write %d: %w", w, i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var n int
	if err := db.DB.QueryRowContext(ctx, `SELECT count(*) FROM catalog_sequences WHERE prefix LIKE 'W%'`).Scan(&n); err != nil || n != 48*40 {
		t.Fatalf("rows = %d, %v; want %d", n, err, 48*40)
	}
}
