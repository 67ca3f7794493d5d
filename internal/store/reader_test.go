package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// A SQLite store has no replicas: --db-read is refused, and reads stay on it.
func TestReaderRefusedOnSQLite(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	err := db.AttachReader(context.Background(), "postgres://postgres@127.0.0.1:5432/test")
	if !errors.Is(err, store.ErrReaderNeedsPostgres) {
		t.Fatalf("AttachReader on SQLite: got %v, want ErrReaderNeedsPostgres", err)
	}
	if db.Reader() != db || db.HasReader() {
		t.Error("a refused read replica was attached")
	}
}

// Bad replica URLs stop at AttachReader, leaving reads on the primary.
func TestReaderRefusesBadURLs(t *testing.T) {
	db := storetest.Open(t, store.Postgres)
	for _, tc := range []struct{ url, want string }{
		{"mysql://root@127.0.0.1/x", "unsupported read replica URL"},
		{"postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=2", "store: read replica postgres://postgres@127.0.0.1:1/test"},
	} {
		err := db.AttachReader(context.Background(), tc.url)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("AttachReader(%q) = %v, want an error containing %q", tc.url, err, tc.want)
		}
		if db.HasReader() {
			t.Errorf("AttachReader(%q) attached it", tc.url)
		}
	}
}

// Reads through the reader reach the replica; writes on it fail as on a
// streaming replica, while the primary's writes go on.
func TestReaderIsReadOnlyReplica(t *testing.T) {
	db, _ := storetest.OpenWithReadOnlyReplica(t)
	ctx := context.Background()
	if !db.HasReader() || db.Reader() == db {
		t.Fatal("no reader attached")
	}
	var user string
	if err := db.Reader().QueryRowContext(ctx, `SELECT current_user`).Scan(&user); err != nil || !strings.HasPrefix(user, "r_") {
		t.Fatalf("the reader signs in as %q (%v), want the replica's role", user, err)
	}
	err := db.Transact(ctx, func(tx *store.Tx) error {
		return tx.Emit(ctx, store.Event{Type: "test.primary_write", SubjectKind: "test", SubjectID: "1"}, nil)
	})
	if err != nil {
		t.Fatalf("a write on the primary: %v", err)
	}
	var n int
	if err := db.Reader().QueryRowContext(ctx, `SELECT count(*) FROM events WHERE type = 'test.primary_write'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the replica sees %d primary writes (%v), want 1", n, err)
	}
	_, err = db.Reader().ExecContext(ctx, `DELETE FROM events`)
	if err == nil || !strings.Contains(err.Error(), "read-only transaction") {
		t.Fatalf("a write through the reader: got %v, want a read-only transaction error", err)
	}
	_, err = db.Reader().QueryContext(ctx, `SELECT 1 FROM ds_0000000000000000`)
	if !store.IsUndefinedTable(err) {
		t.Errorf("IsUndefinedTable(%v) = false, want true", err)
	}
	if store.IsUndefinedTable(errors.New("permission denied for table events")) {
		t.Error("IsUndefinedTable is true for another error")
	}
}
