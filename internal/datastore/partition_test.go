package datastore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"dataport/internal/access"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// stationsOf is a stations file of n records, keys S0001..; when repeat is
// above 0 one more record repeats the key of record repeat.
func stationsOf(n, repeat int) string {
	var b strings.Builder
	b.WriteString("站点编号,站点名称,所属区县,线路数,启用日期,无障碍\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "S%04d,站%d,%s,%d,2020-01-02,是\n", i, i, []string{"110101", "110102"}[i%2], i)
	}
	if repeat > 0 {
		fmt.Fprintf(&b, "S%04d,重复,110101,1,2020-01-02,否\n", repeat)
	}
	return b.String()
}

// partitionsOf returns the rows in each partition of table in order, or
// nil when table is not partitioned.
func partitionsOf(t *testing.T, db *store.DB, table string) []int {
	t.Helper()
	ctx := context.Background()
	names, err := store.Strings(ctx, db, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = to_regclass($1) ORDER BY c.relname`, table)
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, name := range names {
		out = append(out, countOf(t, db, `SELECT count(*) FROM `+name))
	}
	return out
}

func currentTable(t *testing.T, db *store.DB, resourceID string) string {
	t.Helper()
	var table string
	if err := db.QueryRowContext(context.Background(), `SELECT table_name FROM datastore_current WHERE resource_id = $1`,
		resourceID).Scan(&table); err != nil {
		t.Fatal(err)
	}
	return table
}

// On PostgreSQL a load expected above PartitionRows goes into a table
// partitioned by row number ranges; reads, paging, counts and the key's
// uniqueness behave as on a plain table. SQLite never partitions.
func TestLargeVersionsArePartitioned(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		acc := access.NewService(db, f.cat)
		t.Cleanup(acc.Close)
		f.ds = datastore.New(datastore.Config{DB: db, Catalog: f.cat, Access: acc, PartitionRows: 20, PartitionSize: 8})
		ctx := context.Background()
		r := f.resource(t, stationItems(), true)
		if _, err := f.ds.SetSettings(ctx, f.editor, r.ID, datastore.LoadSettings{OnError: datastore.Refuse, KeepVersions: 5,
			Indexes: []string{"district"}}); err != nil {
			t.Fatal(err)
		}
		small, err := f.load(t, r, "stations.csv", stationsOf(4, 0))
		if err != nil {
			t.Fatal(err)
		}
		if db.Dialect == store.Postgres && partitionsOf(t, db, currentTable(t, db, r.ID)) != nil {
			t.Errorf("a load of %d rows, under PartitionRows, was partitioned", small.Rows)
		}
		v, err := f.load(t, r, "stations.csv", stationsOf(30, 0))
		if err != nil || v.Rows != 30 {
			t.Fatalf("load of 30 rows: %+v, %v", v.Rows, err)
		}
		table := currentTable(t, db, r.ID)
		if db.Dialect == store.Postgres {
			// Source rows 2..31 in ranges of 8: [MIN,8) [8,16) [16,24) [24,MAX).
			if got := partitionsOf(t, db, table); !slices.Equal(got, []int{6, 8, 8, 8}) {
				t.Errorf("rows per partition %v, want [6 8 8 8]", got)
			}
			if n := countOf(t, db, `SELECT count(*) FROM pg_indexes WHERE tablename = $1`, table+"_p2"); n != 3 {
				t.Errorf("a partition has %d indexes, want 3 (row number, key, district)", n)
			}
		} else if got := tableNames(t, db); !slices.Contains(got, table) || slices.ContainsFunc(got, func(n string) bool { return strings.Contains(n, "_p") }) {
			t.Errorf("SQLite tables %v, want plain tables (%s among them) and no partitions", got, table)
		}

		page, err := f.ds.Search(ctx, identity.Anonymous, r.ID, access.ChannelAPIRows, datastore.Query{Total: true,
			Filters: []datastore.Filter{{Item: "district", Op: "eq", Values: []string{"110101"}}}})
		if err != nil || len(page.Rows) != 15 || page.Total != 15 {
			t.Fatalf("filtered read: %d rows, total %d, %v; want 15 and 15", len(page.Rows), page.Total, err)
		}
		var keys []string
		for cursor := ""; ; {
			page, err := f.ds.Search(ctx, identity.Anonymous, r.ID, access.ChannelAPIRows, datastore.Query{Limit: 7, Cursor: cursor,
				Fields: []string{"station_id"}})
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range page.Rows {
				keys = append(keys, row[1].(string))
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if len(keys) != 30 || keys[0] != "S0001" || keys[29] != "S0030" || !slices.IsSorted(keys) {
			t.Errorf("paged %d keys in row order, from %v to %v; want S0001..S0030", len(keys), keys[:1], keys[len(keys)-1:])
		}

		before := tableNames(t, db)
		_, err = f.load(t, r, "stations.csv", stationsOf(30, 3))
		var le *datastore.LoadError
		if !errors.As(err, &le) || le.Reason != "1 record(s) repeat the key (station_id) of an earlier record" {
			t.Fatalf("a repeated key in a partitioned load: %v, want it refused", err)
		}
		if got := tableNames(t, db); !slices.Equal(got, before) {
			t.Errorf("tables after a refused load %v, want %v", got, before)
		}
		if _, err := f.ds.SetSettings(ctx, f.editor, r.ID, datastore.LoadSettings{OnError: datastore.Quarantine, KeepVersions: 5}); err != nil {
			t.Fatal(err)
		}
		v, err = f.load(t, r, "stations.csv", stationsOf(30, 3))
		if err != nil || v.Rows != 30 || v.Rejected != 1 {
			t.Fatalf("quarantined load: rows %d rejected %d, %v; want 30 and 1", v.Rows, v.Rejected, err)
		}
	})
}
