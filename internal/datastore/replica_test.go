package datastore_test

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// replicaFixture is the datastore on a PostgreSQL store whose reader is a
// read-only role on the same schema (storetest.ReadOnlyReplica), with the
// access service kept to flush its decision log.
func replicaFixture(t *testing.T) (*fixture, *access.Service, string) {
	t.Helper()
	db, role := storetest.OpenWithReadOnlyReplica(t)
	f := newFixture(t, db)
	acc := access.NewService(db, f.cat)
	t.Cleanup(acc.Close)
	f.ds = datastore.New(datastore.Config{DB: db, Catalog: f.cat, Access: acc})
	return f, acc, role
}

func countOf(t *testing.T, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// Rows are fetched from the replica after the decision on the primary:
// loads and the decision log write the primary (the replica refuses
// writes), and a replica that may not read the version's table makes the
// row read fail while the decision was still taken and logged.
func TestRowsFromReadReplica(t *testing.T) {
	f, acc, role := replicaFixture(t)
	ctx := context.Background()
	r := f.resource(t, stationItems(), true)
	if _, err := f.load(t, r, "stations.csv", stationsCSV); err != nil {
		t.Fatalf("load with a read replica attached: %v", err)
	}
	before := countOf(t, f.db, `SELECT count(*) FROM access_decisions`)
	q := datastore.Query{Filters: []datastore.Filter{{Item: "district", Op: "eq", Values: []string{"110101"}}}, Total: true}
	page, err := f.ds.Search(ctx, identity.Anonymous, r.ID, access.ChannelAPIRows, q)
	if err != nil {
		t.Fatalf("search through the replica: %v", err)
	}
	if len(page.Rows) != 2 || page.Total != 2 {
		t.Fatalf("got %d rows, total %d; want 2 and 2 (朝阳门, 东四)", len(page.Rows), page.Total)
	}
	groups, err := f.ds.Aggregate(ctx, identity.Anonymous, r.ID, access.ChannelAPIRows, datastore.GroupQuery{By: "district"})
	if err != nil || len(groups.Groups) != 2 {
		t.Fatalf("aggregate through the replica: %+v, %v", groups, err)
	}
	if err := acc.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if after := countOf(t, f.db, `SELECT count(*) FROM access_decisions`); after != before+2 {
		t.Errorf("decisions logged on the primary: %d, want %d", after, before+2)
	}

	var table string
	if err := f.db.QueryRowContext(ctx, `SELECT table_name FROM datastore_current WHERE resource_id = $1`, r.ID).Scan(&table); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.ExecContext(ctx, `REVOKE SELECT ON `+table+` FROM `+role); err != nil {
		t.Fatal(err)
	}
	_, err = f.ds.Search(ctx, identity.Anonymous, r.ID, access.ChannelAPIRows, datastore.Query{})
	if err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("search when the replica may not read the table: got %v, want permission denied (the rows come from the replica)", err)
	}
	if err := acc.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if after := countOf(t, f.db, `SELECT count(*) FROM access_decisions`); after != before+3 {
		t.Errorf("decisions logged on the primary: %d, want %d (the failed read's decision too)", after, before+3)
	}
}

// A replica that does not hold the version yet (lag), or holds its record
// but not its table, serves nothing: the rows come from the primary.
func TestRowsFallBackToPrimaryWhenReplicaLags(t *testing.T) {
	f, _, _ := replicaFixture(t)
	ctx := context.Background()
	r := f.resource(t, stationItems(), true)
	if _, err := f.load(t, r, "stations.csv", stationsCSV); err != nil {
		t.Fatal(err)
	}
	// A "replica" of another, empty store stands for one that has not
	// replayed the load yet.
	cfg := storetest.Config(t, store.Postgres)
	empty, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	empty.Close()
	behind, _ := storetest.ReadOnlyReplica(t, cfg.URL)
	if err := f.db.AttachReader(ctx, behind); err != nil {
		t.Fatal(err)
	}
	search := func(when string) {
		t.Helper()
		acc := access.NewService(f.db, f.cat)
		defer acc.Close()
		ds := datastore.New(datastore.Config{DB: f.db, Catalog: f.cat, Access: acc})
		page, err := ds.Search(ctx, identity.Anonymous, r.ID, access.ChannelAPIRows, datastore.Query{Total: true,
			Filters: []datastore.Filter{{Item: "lines", Op: "gt", Values: []string{"4"}}}})
		if err != nil || len(page.Rows) != 2 || page.Total != 2 {
			t.Fatalf("%s: got %d rows, total %d, %v; want the primary's 2", when, len(page.Rows), page.Total, err)
		}
	}
	search("replica without the version")

	// The version's record reaches the replica, its table does not.
	u, _ := url.Parse(cfg.URL)
	schema := u.Query().Get("search_path")
	err = f.db.Transact(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO `+schema+`.datastore_versions SELECT * FROM datastore_versions WHERE resource_id = $1`, r.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	search("replica with the version's record but not its table")
}

// On a real hot standby: rows are served at once after a load (from the
// primary while the standby has not replayed it), then from the standby,
// whose log shows the row read; the decisions are logged on the primary.
func TestRowsFromStreamingReplica(t *testing.T) {
	primary, standby, standbyLog := storetest.StreamingReplica(t)
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{URL: primary})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.AttachReader(ctx, standby); err != nil {
		t.Fatal(err)
	}
	var recovering bool
	if err := db.Reader().QueryRowContext(ctx, `SELECT pg_is_in_recovery()`).Scan(&recovering); err != nil || !recovering {
		t.Fatalf("the reader is not a standby: %v, %v", recovering, err)
	}
	f := newFixture(t, db)
	acc := access.NewService(db, f.cat)
	t.Cleanup(acc.Close)
	f.ds = datastore.New(datastore.Config{DB: db, Catalog: f.cat, Access: acc})
	r := f.resource(t, stationItems(), true)
	v, err := f.load(t, r, "stations.csv", stationsCSV)
	if err != nil {
		t.Fatal(err)
	}
	read := func(when string) {
		t.Helper()
		page, err := f.ds.Search(ctx, identity.Anonymous, r.ID, access.ChannelAPIRows, datastore.Query{})
		if err != nil || len(page.Rows) != 4 {
			t.Fatalf("%s: %d rows, %v; want 4", when, len(page.Rows), err)
		}
	}
	read("just after the load")
	deadline := time.Now().Add(30 * time.Second)
	for countOf(t, db.Reader(), `SELECT count(*) FROM datastore_versions WHERE resource_id = $1 AND version = $2`, r.ID, v.Version) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the standby did not replay the load within 30 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	read("once the standby holds the version")
	log, err := os.ReadFile(standbyLog)
	if err != nil {
		t.Fatal(err)
	}
	if table := currentTable(t, db, r.ID); !strings.Contains(string(log), `FROM "`+table+`"`) {
		t.Errorf("the standby's log shows no read of %s", table)
	}
	if err := acc.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countOf(t, db, `SELECT count(*) FROM access_decisions`); n < 2 {
		t.Errorf("%d decisions logged on the primary, want 2", n)
	}
}
