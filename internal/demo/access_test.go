package demo

import (
	"context"
	"testing"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/opening"
	"dataport/internal/sharing"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

func TestSeedAccess(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	ids, cat := identity.NewService(db), catalog.NewService(db)
	if _, err := Seed(ctx, ids, cat); err != nil {
		t.Fatal(err)
	}
	acc := access.NewService(db, cat)
	defer acc.Close()
	sh, op := sharing.NewService(db, cat, acc, sharing.Config{}), opening.NewService(db, cat, ids, acc, opening.Config{})
	if err := SeedAccess(ctx, AccessServices{Identity: ids, Catalog: cat, Sharing: sh, Opening: op}); err != nil {
		t.Fatal(err)
	}
	requests, _ := sh.List(ctx, identity.System, sharing.Filter{})
	apps, _ := op.List(ctx, identity.System, opening.Filter{})
	grants, _ := acc.Grants(ctx, identity.System, access.GrantFilter{})
	lists, _ := op.Lists(ctx, identity.Anonymous, thisYear())
	if len(requests) != 2 || len(apps) != 2 || len(grants) != 2 || len(lists) != len(institutions) {
		t.Fatalf("seeded %d share requests, %d applications, %d grants, %d public open lists; want 2, 2, 2, one per institution",
			len(requests), len(apps), len(grants), len(lists))
	}
}
