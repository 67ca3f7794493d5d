package store_test

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// TestListenEventsHearsItsOwnSchema: a commit that writes events wakes the
// listeners on its schema, from another pool as from another replica, and
// not those of another schema of the same database.
func TestListenEventsHearsItsOwnSchema(t *testing.T) {
	dsn := os.Getenv(storetest.EnvPostgres)
	if dsn == "" {
		t.Skip("LISTEN/NOTIFY is PostgreSQL's: set " + storetest.EnvPostgres)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	open := func() (*store.DB, string) {
		url := storetest.NewSchema(t, dsn)
		db, err := store.Open(ctx, store.Config{URL: url})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db, url
	}
	ours, url := open()
	theirs, _ := open()
	woken := make(chan struct{}, 100)
	go store.ListenEvents(ctx, url, func() { woken <- struct{}{} }, slog.New(slog.DiscardHandler))
	select { // LISTEN has taken effect once it wakes the first time
	case <-woken:
	case <-time.After(10 * time.Second):
		t.Fatal("the listener never started")
	}
	emit := func(db *store.DB) {
		t.Helper()
		if err := db.Transact(ctx, func(tx *store.Tx) error {
			return tx.Emit(ctx, store.Event{Type: "test.tick", SubjectKind: "test", SubjectID: store.NewID()}, nil)
		}); err != nil {
			t.Fatal(err)
		}
	}
	emit(theirs)
	select {
	case <-woken:
		t.Fatal("a commit in another schema woke the listener")
	case <-time.After(500 * time.Millisecond):
	}
	emit(ours)
	select {
	case <-woken:
	case <-time.After(10 * time.Second):
		t.Fatal("a commit in the listener's schema did not wake it")
	}
}
