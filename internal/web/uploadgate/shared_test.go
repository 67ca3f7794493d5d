package uploadgate

import (
	"context"
	"errors"
	"testing"
	"time"

	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// TestGateAcrossReplicas: on PostgreSQL, two gates on one database (two
// replicas) hold one account's running uploads and start rate together; on
// SQLite each gate is its process's own, as before.
func TestGateAcrossReplicas(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		g1, g2 := ForStoreWith(db, 2, 6, 3), ForStoreWith(db, 2, 6, 3) // one start every 10 s, three together
		if (g1.shared != nil) != (db.Dialect == store.Postgres) {
			t.Fatalf("shared gate on %s: %v", db.Dialect, g1.shared != nil)
		}
		now := time.Now()
		d1, err := g1.Take("editor", now)
		if err != nil {
			t.Fatal(err)
		}
		d2, err := g2.Take("editor", now)
		if err != nil {
			t.Fatal(err)
		}
		d3, err1 := g1.Take("editor", now)
		if db.Dialect == store.SQLite {
			// Each process counts its own: each gate runs two uploads.
			d4, err2 := g2.Take("editor", now)
			_, err3 := g1.Take("editor", now)
			if err1 != nil || err2 != nil || !errors.Is(err3, ErrBusy) {
				t.Fatalf("third and fourth upload on two gates, fifth: %v, %v, %v", err1, err2, err3)
			}
			d1()
			d2()
			d3()
			d4()
			return
		}
		_, err2 := g2.Take("editor", now)
		for i, err := range []error{err1, err2} {
			if !errors.Is(err, ErrBusy) || wait(err) != 5*time.Second {
				t.Fatalf("third upload at once, on replica %d: %v", i+1, err)
			}
		}
		if _, err := g1.Take("other", now); err != nil {
			t.Errorf("another account waits for this one's uploads: %v", err)
		}
		d1()
		d1() // ending twice ends once
		d3, err = g1.Take("editor", now)
		if err != nil {
			t.Fatalf("after one ended on the other replica: %v", err)
		}
		d2()
		d3()
		// The burst of three is spent across the replicas.
		for i, g := range []*Gate{g1, g2} {
			if _, err := g.Take("editor", now); !errors.Is(err, ErrRate) || wait(err) < 9*time.Second || wait(err) > 12*time.Second {
				t.Fatalf("fourth start on replica %d: %v, wait %v", i+1, err, wait(err))
			}
		}
		done, err := g2.Take("editor", now.Add(10*time.Second))
		if err != nil {
			t.Fatalf("after the wait: %v", err)
		}
		done()
		if n := storetest.CountRows(t, db, "upload_leases")["upload_leases"]; n != 1 { // the other account's
			t.Errorf("%d leases left; want 1", n)
		}
	})
}

// TestGateDeadReplicaLeases: the uploads a dead replica left running stop
// counting once their leases expire; live ones count.
func TestGateDeadReplicaLeases(t *testing.T) {
	db := storetest.Open(t, store.Postgres)
	ctx := context.Background()
	g := ForStoreWith(db, 2, 60, 10)
	lease := func(id, expires string) {
		t.Helper()
		if _, err := db.ExecContext(ctx, `INSERT INTO upload_leases (id, user_id, expires) VALUES ($1, 'editor', clock_timestamp() + $2::interval)`,
			id, expires); err != nil {
			t.Fatal(err)
		}
	}
	lease("dead-1", "-1 second")
	lease("dead-2", "-5 seconds")
	done, err := g.Take("editor", time.Now())
	if err != nil {
		t.Fatalf("expired leases still count: %v", err)
	}
	done()
	keys, err := store.Strings(ctx, db, `SELECT id FROM upload_leases`)
	if err != nil || len(keys) != 0 {
		t.Fatalf("leases left: %v %v", keys, err)
	}
	lease("live-1", "20 seconds")
	lease("live-2", "20 seconds")
	if _, err := g.Take("editor", time.Now()); !errors.Is(err, ErrBusy) {
		t.Fatalf("live leases of another replica do not count: %v", err)
	}
}

// TestGateRenewsLeases: a running upload's lease is renewed while it runs,
// so it outlives its first expiry; ending it deletes it.
func TestGateRenewsLeases(t *testing.T) {
	db := storetest.Open(t, store.Postgres)
	g := ForStoreWith(db, 1, 60, 10)
	g.shared.ttl = 2 * time.Second
	done, err := g.Take("editor", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Second) // past two lifetimes of an unrenewed lease
	other := ForStoreWith(db, 1, 60, 10)
	if _, err := other.Take("editor", time.Now()); !errors.Is(err, ErrBusy) {
		t.Fatalf("a running upload's lease expired: %v", err)
	}
	done()
	if n := storetest.CountRows(t, db, "upload_leases")["upload_leases"]; n != 0 {
		t.Errorf("%d leases after the upload ended", n)
	}
}

// TestForStoreWithoutStore: without a store, or on SQLite, the gate is
// the process's own.
func TestForStoreWithoutStore(t *testing.T) {
	if ForStore(nil).shared != nil || ForStore(storetest.Open(t, store.SQLite)).shared != nil {
		t.Fatal("a gate without PostgreSQL is shared")
	}
}
