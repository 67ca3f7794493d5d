package search_test

import (
	"context"
	"strings"
	"testing"

	"dataport/internal/store/storetest"
)

// A rebuild reads the catalog from the read replica.
func TestRebuildFromReadReplica(t *testing.T) {
	db, role := storetest.OpenWithReadOnlyReplica(t)
	c := newCity(t, db)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `REVOKE SELECT ON resources FROM `+role); err != nil {
		t.Fatal(err)
	}
	if err := c.indexer.Rebuild(ctx); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("rebuild when the replica may not read resources: %v, want permission denied (it reads the replica)", err)
	}
	if _, err := db.ExecContext(ctx, `GRANT SELECT ON resources TO `+role); err != nil {
		t.Fatal(err)
	}
	if err := c.indexer.Rebuild(ctx); err != nil {
		t.Fatalf("rebuild through the replica: %v", err)
	}
	if n, err := c.ix.Count(); err != nil || n != uint64(len(c.everyone)) {
		t.Errorf("indexed %d resources (%v), want %d", n, err, len(c.everyone))
	}
}
