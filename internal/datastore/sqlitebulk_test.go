package datastore

import (
	"context"
	"strings"
	"testing"

	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// TestBulkConn writes through the bulk connection and reads back through
// the store's pool: every bound type, empty text versus NULL, text that
// outgrows the reused C buffer, and the errors of a bad statement, a
// constraint violation and an unsupported value, after which nothing of the
// failed transaction is visible.
func TestBulkConn(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, store.SQLite)
	if _, err := db.ExecContext(ctx, `CREATE TABLE bulk_t (id INTEGER PRIMARY KEY, s TEXT, f REAL, b BLOB, ok INTEGER)`); err != nil {
		t.Fatal(err)
	}
	c, err := openBulk(db.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	if _, err := c.prepare(`INSERT INTO no_such_table VALUES (?)`); err == nil || !strings.Contains(err.Error(), "no such table: no_such_table") {
		t.Fatalf("prepare on a missing table: %v", err)
	}
	st, err := c.prepare(`INSERT INTO bulk_t (id, s, f, b, ok) VALUES (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)`)
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	long := strings.Repeat("长文本", 40000) // 360 KB: more than the first buffer
	if err := c.exec("BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	if err := st.run([]any{int64(1), "", 1.5, []byte{0, 1}, true, 2, long, nil, nil, false}); err != nil {
		t.Fatal(err)
	}
	if err := c.exec("COMMIT"); err != nil {
		t.Fatal(err)
	}
	var s1, s2 string
	var f float64
	var ok1, ok2 int64
	var blob []byte
	err = db.QueryRowContext(ctx, `SELECT a.s, a.f, a.b, a.ok, b.s, b.ok
		FROM bulk_t a, bulk_t b WHERE a.id = 1 AND b.id = 2`).Scan(&s1, &f, &blob, &ok1, &s2, &ok2)
	if err != nil {
		t.Fatal(err)
	}
	if s1 != "" || f != 1.5 || string(blob) != "\x00\x01" || ok1 != 1 || s2 != long || ok2 != 0 {
		t.Fatalf("read back %q %v %v %d %d-byte text %d", s1, f, blob, ok1, len(s2), ok2)
	}
	var types string
	db.QueryRowContext(ctx, `SELECT typeof(s) || ',' || typeof(f) FROM bulk_t WHERE id = 1`).Scan(&types)
	var nullF string
	db.QueryRowContext(ctx, `SELECT typeof(f) FROM bulk_t WHERE id = 2`).Scan(&nullF)
	if types != "text,real" || nullF != "null" {
		t.Fatalf("types %q and %q: empty text must stay text, nil must be NULL", types, nullF)
	}

	// A failing batch leaves nothing behind once rolled back.
	if err := c.exec("BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	if err := st.run([]any{int64(3), "x", 0.0, nil, true, int64(1), "dup", 0.0, nil, true}); err == nil || !strings.Contains(err.Error(), "UNIQUE constraint failed: bulk_t.id") {
		t.Fatalf("duplicate id: %v", err)
	}
	if err := st.run([]any{int64(4), struct{}{}, 0.0, nil, true, int64(5), "y", 0.0, nil, true}); err == nil || !strings.Contains(err.Error(), "cannot bind value 2 of type struct {}") {
		t.Fatalf("unsupported value: %v", err)
	}
	if err := st.run([]any{int64(6)}); err == nil || !strings.Contains(err.Error(), "1 values for 10 parameters") {
		t.Fatalf("short row: %v", err)
	}
	if err := c.exec("ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM bulk_t`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("rows after the rollback: %d, %v", n, err)
	}
}
