package store_test

import (
	"context"
	"fmt"
	"testing"

	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// TestPreparedReads: reads through the store's prepared statements see
// what is written, follow a table dropped and made again with other
// columns, and keep working past the number of statements kept.
func TestPreparedReads(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := db.ExecContext(ctx, q, args...); err != nil {
				t.Fatal(err)
			}
		}
		exec(`CREATE TABLE prep_t (id INTEGER PRIMARY KEY, name TEXT)`)
		exec(`INSERT INTO prep_t (id, name) VALUES (1, '东城区')`)
		const read = `SELECT name FROM prep_t WHERE id = $1`
		var name string
		for range 3 {
			if err := db.QueryRowContext(ctx, read, 1).Scan(&name); err != nil || name != "东城区" {
				t.Fatalf("read: %q %v", name, err)
			}
		}
		exec(`UPDATE prep_t SET name = '西城区' WHERE id = 1`)
		if err := db.QueryRowContext(ctx, read, 1).Scan(&name); err != nil || name != "西城区" {
			t.Fatalf("after an update: %q %v", name, err)
		}
		exec(`DROP TABLE prep_t`)
		if err := db.QueryRowContext(ctx, read, 1).Scan(&name); err == nil {
			t.Fatal("a read of a dropped table succeeded")
		}
		exec(`CREATE TABLE prep_t (id INTEGER PRIMARY KEY, extra TEXT, name TEXT)`)
		exec(`INSERT INTO prep_t (id, extra, name) VALUES (1, 'x', '朝阳区')`)
		if err := db.QueryRowContext(ctx, read, 1).Scan(&name); err != nil || name != "朝阳区" {
			t.Fatalf("after the table was made again: %q %v", name, err)
		}
		// More distinct queries than the store keeps prepared.
		for i := range 300 {
			var n int
			if err := db.QueryRowContext(ctx, fmt.Sprintf(`SELECT %d + id FROM prep_t WHERE id = $1`, i), 1).Scan(&n); err != nil || n != i+1 {
				t.Fatalf("query %d: %d %v", i, n, err)
			}
		}
		rows, err := db.QueryContext(ctx, `SELECT name FROM prep_t ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		if !rows.Next() || rows.Scan(&name) != nil || name != "朝阳区" {
			t.Errorf("rows: %q", name)
		}
	})
}
