package datastore_test

import (
	"context"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// TestHeldListsHeldVersionsToInsiders: the operators' dashboard and the
// provider see the versions the legality check holds; an outsider sees none,
// and a released version leaves the list.
func TestHeldListsHeldVersionsToInsiders(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		items := append(stationItems(), catalog.Item{Name: "phone", LabelZh: "联系电话", Type: catalog.TypeText})
		r := f.resource(t, items, true)
		v, err := f.load(t, r, "p.csv", "站点编号,站点名称,联系电话\nS1,甲,13812345678\nS2,乙,13912345678\n")
		if err != nil {
			t.Fatal(err)
		}
		clean := f.resource(t, stationItems(), true)
		if _, err := f.load(t, clean, "s.csv", stationsCSV); err != nil {
			t.Fatal(err)
		}
		held := func(p identity.Principal) []string {
			t.Helper()
			vs, err := f.ds.Held(ctx, p, 0)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, v := range vs {
				out = append(out, v.ResourceID)
			}
			return out
		}
		for name, p := range map[string]identity.Principal{"operator": f.operator, "provider": f.editor} {
			if got := held(p); len(got) != 1 || got[0] != r.ID {
				t.Errorf("%s: held %v, want the one with phone numbers", name, got)
			}
		}
		if got := held(f.outsider); len(got) != 0 {
			t.Errorf("outsider: held %v, want none", got)
		}
		if _, err := f.ds.Held(ctx, identity.Anonymous, 0); err == nil {
			t.Error("anonymous listed held versions")
		}
		if _, err := f.ds.Release(ctx, f.operator, r.ID, v.Version, "电话为公共服务热线"); err != nil {
			t.Fatal(err)
		}
		if got := held(f.operator); len(got) != 0 {
			t.Errorf("after release: held %v", got)
		}
	})
}
