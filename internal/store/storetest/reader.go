package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"dataport/internal/store"
	"github.com/google/uuid"
)

// ReadOnlyReplica returns a DSN standing in for a streaming replica of the
// PostgreSQL store at dsn (a URL from NewSchema): the same database and
// schema, signed in as a new login role whose transactions are read-only
// (default_transaction_read_only) and which may only SELECT in the schema,
// tables created later included. Any write through it fails as it would on
// a replica. The role's name is returned too; the role is dropped when t
// ends.
func ReadOnlyReplica(t testing.TB, dsn string) (replicaDSN, role string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := u.Query().Get("search_path")
	if schema == "" {
		t.Fatalf("ReadOnlyReplica: %s has no search_path (use NewSchema's DSN)", u.Redacted())
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	role = "r_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:16]
	for _, stmt := range []string{
		"CREATE ROLE " + role + " LOGIN",
		"ALTER ROLE " + role + " SET default_transaction_read_only = on",
		"GRANT USAGE ON SCHEMA " + schema + " TO " + role,
		"GRANT SELECT ON ALL TABLES IN SCHEMA " + schema + " TO " + role,
		"ALTER DEFAULT PRIVILEGES IN SCHEMA " + schema + " GRANT SELECT ON TABLES TO " + role,
	} {
		if _, err := admin.Exec(stmt); err != nil {
			admin.Close()
			t.Fatalf("read-only replica role: %s: %v", stmt, err)
		}
	}
	t.Cleanup(func() {
		admin.Exec("DROP OWNED BY " + role)
		admin.Exec("DROP ROLE " + role)
		admin.Close()
	})
	u.User = url.User(role)
	return fmt.Sprint(u), role
}

// OpenWithReadOnlyReplica returns a migrated PostgreSQL store in a fresh
// schema whose reader (store.DB.Reader) is a ReadOnlyReplica of it, and
// that role's name (a test may REVOKE from it to see which reads use it).
// It skips the test without DATAPORT_TEST_POSTGRES.
func OpenWithReadOnlyReplica(t testing.TB) (*store.DB, string) {
	t.Helper()
	cfg := Config(t, store.Postgres)
	replica, role := ReadOnlyReplica(t, cfg.URL)
	ctx := context.Background()
	db, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open postgres store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.AttachReader(ctx, replica); err != nil {
		t.Fatalf("attach the read-only replica: %v", err)
	}
	return db, role
}
