package storetest

import (
	"context"
	"testing"

	"dataport/internal/store"
	"github.com/google/go-cmp/cmp"
)

// CountRows returns the number of rows in each table.
func CountRows(t testing.TB, db *store.DB, tables ...string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range tables {
		var n int
		if err := db.QueryRowContext(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

// AssertUnchanged fails t when any table's row count differs from before
// (a map from CountRows): a refused write must leave the store as it was.
func AssertUnchanged(t testing.TB, db *store.DB, before map[string]int) {
	t.Helper()
	tables := make([]string, 0, len(before))
	for table := range before {
		tables = append(tables, table)
	}
	if diff := cmp.Diff(before, CountRows(t, db, tables...)); diff != "" {
		t.Errorf("a refused write changed the store (-before +after):\n%s", diff)
	}
}
