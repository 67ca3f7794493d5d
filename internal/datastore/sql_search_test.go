package datastore_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"dataport/internal/datastore"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// TestSearchSQL: a statement reads resources by id; anything else a
// statement might do is refused, and so is SQL where it is disabled.
func TestSearchSQL(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		r := f.resource(t, stationItems(), true)
		if _, err := f.load(t, r, "s.csv", stationsCSV); err != nil {
			t.Fatal(err)
		}
		out, err := f.ds.SearchSQL(ctx, f.outsider, `SELECT district, COUNT(*) AS n, SUM(lines) AS total FROM "`+r.ID+`" GROUP BY district ORDER BY district`)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(out.Records)
		if string(got) != `[{"district":"110101","n":2,"total":5},{"district":"110102","n":2,"total":15}]` {
			t.Errorf("records = %s", got)
		}
		draft := f.resource(t, stationItems(), false)
		for _, test := range []struct{ sql, want string }{
			{`DELETE FROM "` + r.ID + `"`, "must be one SELECT statement"},
			{`SELECT * FROM "` + r.ID + `"; DROP TABLE resources`, "must be a single statement"},
			{`SELECT * FROM "` + r.ID + `" WHERE 1 = 1 UNION SELECT * FROM "` + r.ID + `" FOR UPDATE`, "may not use FOR"},
			{`SELECT * FROM resources`, "may only read resources"},
			{`SELECT * FROM "` + r.ID + `", users`, "may only read resources"},
			{`SELECT * FROM "` + r.ID + `" WHERE name IN (SELECT name FROM sqlite_master)`, "may only read resources"},
			{`SELECT load_extension('x') FROM "` + r.ID + `"`, "may not call load_extension()"},
			{`SELECT pg_read_file('/etc/passwd') FROM "` + r.ID + `"`, "may not call pg_read_file()"},
			{`SELECT 1`, "must read at least one resource"},
		} {
			_, err := f.ds.SearchSQL(ctx, f.outsider, test.sql)
			if err == nil || !strings.Contains(err.Error(), test.want) {
				t.Errorf("%s: err = %v, want %q", test.sql, err, test.want)
			}
		}
		if _, err := f.ds.SearchSQL(ctx, f.outsider, `SELECT * FROM "`+draft.ID+`"`); err == nil {
			t.Error("an outsider queried a draft")
		}
		off := datastore.New(datastore.Config{DB: db, Catalog: f.cat})
		if _, err := off.SearchSQL(ctx, f.outsider, `SELECT 1`); !errors.Is(err, datastore.ErrSQLDisabled) {
			t.Errorf("disabled SQL: %v", err)
		}
	})
}
