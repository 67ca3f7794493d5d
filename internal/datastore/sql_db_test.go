package datastore_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"dataport/internal/datastore"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// TestSQLDatabaseRefusesOutsideReads bypasses the syntax check: statements
// go straight to the database layer of datastore_search_sql, permitted to
// read the open resource's version table only, and the database itself
// (SQLite's authorizer; PostgreSQL's reader role and plan check) refuses
// everything else.
func TestSQLDatabaseRefusesOutsideReads(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newSQLWorld(t, db)
		ctx := context.Background()
		tables, functions := []string{w.openTable}, []string{"count"}
		statements := []string{
			`SELECT * FROM users`,
			`SELECT username, password_hash FROM users`,
			`SELECT * FROM "` + w.openTable + `", users`,
			`SELECT * FROM "` + w.openTable + `" WHERE "name" IN (SELECT password_hash FROM users)`,
			`SELECT * FROM sessions`,
			`SELECT * FROM deid_profiles`,
			`SELECT * FROM grant_keys`,
			`SELECT * FROM "` + w.draftTable + `"`,
			`SELECT * FROM "` + w.openTable + `_q"`,
		}
		if db.Dialect == store.SQLite {
			// On PostgreSQL, functions anyone may call are refused by the
			// syntax check only; those that read files or run SQL are not
			// the reader role's to call (below).
			statements = append(statements,
				`SELECT count(*) FROM "`+w.openTable+`" WHERE length("name") > 0`, // length() is not permitted here
				`SELECT * FROM sqlite_master`,
				`SELECT * FROM main.sqlite_schema`,
				`SELECT * FROM pragma_table_info('users')`,
				`SELECT randomblob(16)`,
				`SELECT load_extension('/tmp/x.so')`,
				`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c) SELECT count(*) FROM c`,
			)
		} else {
			statements = append(statements,
				`SELECT * FROM pg_catalog.pg_authid`,
				`SELECT * FROM information_schema.tables`,
				`SELECT * FROM generate_series(1, 10)`,
				`SELECT pg_read_file('/etc/passwd')`,
				`SELECT count(*) FROM "`+w.openTable+`" a, LATERAL (SELECT * FROM users) u`,
				`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c) SELECT count(*) FROM c`,
			)
		}
		for _, q := range statements {
			out, err := w.sql.RunRawSQL(ctx, q, tables, functions)
			if err == nil {
				t.Errorf("%s: the database let it run: %v", q, out)
				continue
			}
			if strings.Contains(err.Error(), passwordSentinel) || strings.Contains(err.Error(), draftSentinel) {
				t.Errorf("%s: the error tells what it read: %v", q, err)
			}
			t.Logf("%s: %v", q, err)
		}
		// The control: what is permitted runs, so the refusals above are not
		// a layer that refuses everything.
		out, err := w.sql.RunRawSQL(ctx, `SELECT count(*) AS n FROM "`+w.openTable+`"`, tables, functions)
		if err != nil || len(out) != 1 || out[0]["n"] != int64(4) {
			t.Errorf("permitted statement: %v %v", out, err)
		}
	})
}

// TestSQLDatabaseLimitsValues shows the length limits beneath the function
// allow-list: with the function permitted, SQLite refuses to build a value
// over 1 MB (randomblob(9e8) ran 18 s to 971 MB before), and a PostgreSQL
// row over 4 MB is refused before it is read into memory.
func TestSQLDatabaseLimitsValues(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newSQLWorld(t, db)
		ctx := context.Background()
		statements := map[string][]string{
			`SELECT length(randomblob(900000000)) AS n`:             {"randomblob", "length"},
			`SELECT length(zeroblob(1000000000)) AS n`:              {"zeroblob", "length"},
			`SELECT length(printf('%.*c', 1000000000, 'x')) AS n`:   {"printf", "length"},
			`SELECT replace(hex(zeroblob(400000)), '0', '00') AS n`: {"replace", "hex", "zeroblob"},
		}
		want := "built a value longer than 1 MB"
		if db.Dialect == store.Postgres {
			statements = map[string][]string{`SELECT repeat('x', 5000000) AS n`: {"repeat"}}
			want = "returned a row longer than 4 MB"
		}
		for q, functions := range statements {
			before := resetPeakRSS()
			_, err := w.sql.RunRawSQL(ctx, q, nil, functions)
			grown := peakRSS() - before
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: err = %v, want %q", q, err, want)
			}
			if grown > 64<<20 {
				t.Errorf("%s: peak resident memory grew by %d MB", q, grown>>20)
			}
			t.Logf("%s: %v; peak resident memory +%d MB", q, err, grown>>20)
		}
		// The connection the oversized row broke is not handed out again.
		if _, err := w.sql.RunRawSQL(ctx, `SELECT 1 AS n`, nil, nil); err != nil {
			t.Errorf("next statement: %v", err)
		}
	})
}

// TestSQLDeadlineStopsLaterRows runs a cross join whose first row comes at
// once and whose next rows would take hours (the OR's second arm names all
// three tables, so PostgreSQL cannot narrow any of them to one row first,
// as it did when the arm named one: the join then finished in 0.25 s on a
// quiet machine): the modernc driver stops a
// statement at its deadline only while the first row is computed, so
// without the datastore's own interrupt this would run on. It must end
// with the timeout error (the watchdog only keeps a failure from hanging).
func TestSQLDeadlineStopsLaterRows(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newSQLWorld(t, db)
		big, err := w.sql.VersionTable(context.Background(), w.big.ID)
		if err != nil {
			t.Fatal(err)
		}
		q := `SELECT a."station_id" FROM "` + big + `" a, "` + big + `" b, "` + big + `" c ` +
			`WHERE (a."station_id" = 'B0000' AND b."station_id" = 'B0000' AND c."station_id" = 'B0000') OR a."lines" + b."lines" + c."lines" < 0`
		done := make(chan error, 1)
		go func() {
			_, err := w.sql.RunRawSQL(context.Background(), q, []string{big}, nil)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "took longer than the statement timeout") {
				t.Errorf("err = %v, want the statement timeout", err)
			}
		case <-time.After(time.Minute):
			t.Fatal("the statement ran on past its deadline")
		}
	})
}

// TestSQLReaderRole checks what PostgreSQL's reader role may read: the
// version tables of loaded resources and nothing else of the store (not
// users, sessions, de-identification profiles, grant keys or quarantined
// rows), also when asked directly.
func TestSQLReaderRole(t *testing.T) {
	db := storetest.Open(t, store.Postgres) // skips without PostgreSQL
	w := newSQLWorld(t, db)
	ctx := context.Background()
	rows, err := db.QueryContext(ctx, `SELECT table_name, has_table_privilege($1, quote_ident(table_schema) || '.' || quote_ident(table_name), 'SELECT')
		FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name`, datastore.SQLReaderRole)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	readable, checked := map[string]bool{}, 0
	for rows.Next() {
		var name string
		var may bool
		if err := rows.Scan(&name, &may); err != nil {
			t.Fatal(err)
		}
		checked++
		readable[name] = may
	}
	if checked < 20 {
		t.Fatalf("checked %d tables only", checked)
	}
	for name, may := range readable {
		isVersion := strings.HasPrefix(name, "ds_") && !strings.HasSuffix(name, "_q")
		if may != isVersion {
			t.Errorf("%s may read %s: %v", datastore.SQLReaderRole, name, may)
		}
	}
	if !readable[w.openTable] || !readable[w.draftTable] {
		t.Errorf("version tables not readable: %v", readable)
	}
	for _, q := range []string{`SELECT * FROM users`, `SELECT * FROM sessions`, `SELECT * FROM "` + w.openTable + `_q"`} {
		err := asReader(ctx, db, q)
		if err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("%s as %s: %v, want permission denied", q, datastore.SQLReaderRole, err)
		}
	}
	if err := asReader(ctx, db, `SELECT * FROM "`+w.openTable+`"`); err != nil {
		t.Errorf("version table as %s: %v", datastore.SQLReaderRole, err)
	}
}

// asReader runs q in a read-only transaction as the reader role.
func asReader(ctx context.Context, db *store.DB, q string) error {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SET LOCAL ROLE "+datastore.SQLReaderRole); err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	return rows.Close()
}
