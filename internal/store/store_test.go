package store_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"

	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

func TestTransactCommitsChangeAndEventTogether(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		err := db.Transact(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO catalog_sequences(prefix, next) VALUES ($1, $2)`, "A", 1)
			if err != nil {
				return err
			}
			return tx.Emit(ctx, store.Event{Type: "test.created", SubjectKind: "seq", SubjectID: "A"}, map[string]int{"n": 1})
		})
		if err != nil {
			t.Fatal(err)
		}
		evs, err := db.Events(ctx, store.EventFilter{SubjectKind: "seq", SubjectID: "A"})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 || evs[0].Type != "test.created" || evs[0].LedgerIndex != nil || len(evs[0].PayloadHash) != 64 {
			t.Fatalf("events = %+v", evs)
		}
		if string(evs[0].Payload) != `{"n":1}` {
			t.Errorf("payload = %s", evs[0].Payload)
		}
	})
}

func TestTransactRollsBackChangeAndEvent(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		boom := errors.New("boom")
		err := db.Transact(ctx, func(tx *store.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO catalog_sequences(prefix, next) VALUES ($1, $2)`, "B", 1); err != nil {
				return err
			}
			if err := tx.Emit(ctx, store.Event{Type: "test.created", SubjectKind: "seq", SubjectID: "B"}, nil); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v", err)
		}
		var n int
		db.QueryRowContext(ctx, `SELECT count(*) FROM catalog_sequences`).Scan(&n)
		evs, _ := db.Events(ctx, store.EventFilter{})
		if n != 0 || len(evs) != 0 {
			t.Fatalf("rows = %d, events = %d after rollback", n, len(evs))
		}
	})
}

func TestUniqueViolationIsRecognised(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		insert := func() error {
			return db.Transact(ctx, func(tx *store.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO catalog_sequences(prefix, next) VALUES ('C', 1)`)
				return err
			})
		}
		if err := insert(); err != nil {
			t.Fatal(err)
		}
		if err := insert(); !store.IsUniqueViolation(err) {
			t.Fatalf("second insert err = %v, want unique violation", err)
		}
	})
}

func TestMigrateIsIdempotent(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		if err := db.Migrate(context.Background()); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
	})
}

func TestTimestampsRoundTrip(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		err := db.Transact(ctx, func(tx *store.Tx) error {
			return tx.Emit(ctx, store.Event{Type: "t", SubjectKind: "k", SubjectID: "1"}, nil)
		})
		if err != nil {
			t.Fatal(err)
		}
		evs, _ := db.Events(ctx, store.EventFilter{})
		if len(evs) != 1 || evs[0].At.IsZero() || evs[0].At.Location().String() != "UTC" {
			t.Fatalf("at = %v", evs)
		}
	})
}

// TestSyncWAL: on SQLite the write-ahead log exists after a commit and is
// synced without error; a store whose log has gone (all checkpointed) syncs
// nothing and succeeds; on PostgreSQL it is a no-op.
func TestSyncWAL(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, `CREATE TABLE sync_t (id INTEGER PRIMARY KEY)`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO sync_t (id) VALUES (1)`); err != nil {
			t.Fatal(err)
		}
		if db.Dialect == store.SQLite {
			if fi, err := os.Stat(db.Path + "-wal"); err != nil || fi.Size() == 0 {
				t.Fatalf("write-ahead log after a commit: %v %v", fi, err)
			}
		}
		if err := db.SyncWAL(); err != nil {
			t.Fatal(err)
		}
		if db.Dialect == store.SQLite {
			moved := db.Path + "-wal.moved"
			if err := os.Rename(db.Path+"-wal", moved); err != nil {
				t.Fatal(err)
			}
			defer os.Rename(moved, db.Path+"-wal")
			if err := db.SyncWAL(); err != nil {
				t.Fatalf("no write-ahead log: %v", err)
			}
		}
	})
}

// TestAfterCommit: what a transaction registers runs, in order, once it has
// committed and before Transact returns; never when it rolls back (fn's
// error, a failed statement) or panics.
func TestAfterCommit(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		insert := func(tx *store.Tx, prefix string) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO catalog_sequences(prefix, next) VALUES ($1, 1)`, prefix)
			return err
		}
		var ran []string
		err := db.Transact(ctx, func(tx *store.Tx) error {
			tx.AfterCommit(func() {
				var n int // the hook sees the change committed
				if err := db.QueryRowContext(ctx, `SELECT count(*) FROM catalog_sequences WHERE prefix = 'C'`).Scan(&n); err != nil || n != 1 {
					t.Errorf("in the hook: %d rows, %v", n, err)
				}
				ran = append(ran, "first")
			})
			tx.AfterCommit(func() { ran = append(ran, "second") })
			if len(ran) != 0 {
				t.Error("a hook ran before the commit")
			}
			return insert(tx, "C")
		})
		if err != nil || !slices.Equal(ran, []string{"first", "second"}) {
			t.Fatalf("committed: err %v, hooks ran %v", err, ran)
		}

		ran = nil
		boom := errors.New("boom")
		err = db.Transact(ctx, func(tx *store.Tx) error {
			tx.AfterCommit(func() { ran = append(ran, "rolled back") })
			if err := insert(tx, "D"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) || len(ran) != 0 {
			t.Fatalf("rolled back: err %v, hooks ran %v", err, ran)
		}

		err = db.Transact(ctx, func(tx *store.Tx) error { // a statement fails: the insert breaks a unique key
			tx.AfterCommit(func() { ran = append(ran, "failed") })
			return insert(tx, "C")
		})
		if err == nil || len(ran) != 0 {
			t.Fatalf("failed insert: err %v, hooks ran %v", err, ran)
		}

		func() {
			defer func() {
				if recover() == nil {
					t.Error("the panic was swallowed")
				}
			}()
			db.Transact(ctx, func(tx *store.Tx) error {
				tx.AfterCommit(func() { ran = append(ran, "panicked") })
				panic("boom")
			})
		}()
		if len(ran) != 0 {
			t.Fatalf("panicked: hooks ran %v", ran)
		}
	})
}

// TestReplicasStartingTogetherMigrateOnce: processes opening one fresh
// PostgreSQL schema at once (replicas rolled out together) take turns on
// the migrations; every one opens.
func TestReplicasStartingTogetherMigrateOnce(t *testing.T) {
	dsn := os.Getenv(storetest.EnvPostgres)
	if dsn == "" {
		t.Skip("migration locking is PostgreSQL's: set " + storetest.EnvPostgres)
	}
	url := storetest.NewSchema(t, dsn)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			db, err := store.Open(context.Background(), store.Config{URL: url})
			if err == nil {
				db.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Errorf("a replica failed to open: %v", err)
		}
	}
}
