// Package storetest gives tests real stores: a fresh SQLite file always, and a
// fresh PostgreSQL schema when DATAPORT_TEST_POSTGRES holds a DSN.
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"dataport/internal/store"
	"github.com/google/uuid"
)

// EnvPostgres names the variable holding the test PostgreSQL DSN.
const EnvPostgres = "DATAPORT_TEST_POSTGRES"

// Run calls fn once per available dialect, as subtests named "sqlite" and "postgres".
func Run(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, Open(t, store.SQLite)) })
	if os.Getenv(EnvPostgres) != "" {
		t.Run("postgres", func(t *testing.T) { fn(t, Open(t, store.Postgres)) })
	}
}

// Open returns a migrated store of the given dialect that only this test sees;
// it is removed when the test ends. A PostgreSQL request without the
// environment variable skips the test.
func Open(t testing.TB, d store.Dialect) *store.DB {
	t.Helper()
	cfg := Config(t, d)
	db, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open %s store: %v", d, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Config returns a store config for a fresh database of dialect d: a new
// SQLite data dir, or a new PostgreSQL schema dropped at cleanup.
func Config(t testing.TB, d store.Dialect) store.Config {
	t.Helper()
	if d == store.SQLite {
		return store.Config{DataDir: t.TempDir()}
	}
	dsn := os.Getenv(EnvPostgres)
	if dsn == "" {
		t.Skipf("%s not set", EnvPostgres)
	}
	return store.Config{URL: NewSchema(t, dsn)}
}

// NewSchema creates an empty schema in the database at dsn and returns a DSN
// whose search_path is that schema. The schema is dropped when t ends.
func NewSchema(t testing.TB, dsn string) string {
	t.Helper()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := "t_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:16]
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return fmt.Sprint(u)
}
