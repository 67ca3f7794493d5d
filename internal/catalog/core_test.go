package catalog_test

import (
	"context"
	"errors"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// TestCoreDataDescriptionStaysInternal: a published core-data resource is
// listed and shown to its institution and platform staff only.
func TestCoreDataDescriptionStaysInternal(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		core := inputWith(func(in *catalog.Input) {
			in.Classification, in.Level = catalog.ClassCore, 4
			in.ShareType, in.ShareBasis = catalog.ShareNone, "《数据安全法》第二十一条"
			in.OpenType, in.OpenBasis = catalog.OpenNone, "核心数据不予开放"
		})
		r, err := f.cat.Create(ctx, f.editorA, f.orgA.ID, core)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.cat.Submit(ctx, f.editorA, r.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.cat.Review(ctx, f.operator, r.ID, catalog.Approve, ""); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			p    identity.Principal
			sees bool
		}{
			{"anonymous", identity.Anonymous, false},
			{"editor of another institution", f.editorB, false},
			{"member of the institution", f.memberA, true},
			{"regulator", f.regulator, true},
			{"operator", f.operator, true},
		} {
			t.Run(c.name, func(t *testing.T) {
				_, err := f.cat.Get(ctx, c.p, r.ID)
				if c.sees != (err == nil) || (!c.sees && !errors.Is(err, store.ErrNotFound)) {
					t.Errorf("Get: err = %v, want visible %v", err, c.sees)
				}
				page, err := f.cat.List(ctx, c.p, catalog.Filter{Status: catalog.StatusPublished})
				if err != nil {
					t.Fatal(err)
				}
				if listed := len(page.Items) == 1; listed != c.sees {
					t.Errorf("List shows %d resources, want visible %v", len(page.Items), c.sees)
				}
			})
		}
		counts, err := f.cat.PublishedCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if counts.Published != 0 {
			t.Errorf("public counts include core data: %+v", counts)
		}
	})
}
