package deid_test

import (
	"context"
	"errors"
	"testing"

	"dataport/internal/deid"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// TestRowTransformerFollowsProfileChanges: the decoded profile is reused
// only while the stored one is unchanged; an update is served at once and
// a deleted profile is not served at all.
func TestRowTransformerFollowsProfileChanges(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		r := f.resource(t)
		header := []string{"name", "idno"}
		served := func(id string) []string {
			t.Helper()
			rt, err := f.profiles.RowTransformer(ctx, id, header)
			if err != nil {
				t.Fatal(err)
			}
			row := []string{"张伟", "11010519491231002X"}
			rt.Transform(row)
			return row
		}
		in := deid.ProfileInput{Name: "公开版", Profile: deid.Profile{Columns: map[string]deid.ColumnOp{"name": {Op: deid.OpMask, KeepFirst: 1}}}}
		sp, err := f.profiles.Create(ctx, f.editor, r.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // the second read reuses the decoded profile
			if row := served(sp.ID); row[0] != "张*" || row[1] != "11010519491231002X" {
				t.Fatalf("served %v", row)
			}
		}
		in.Profile.Columns["idno"] = deid.ColumnOp{Op: deid.OpMask, KeepFirst: 6}
		if _, err := f.profiles.Update(ctx, f.editor, sp.ID, in); err != nil {
			t.Fatal(err)
		}
		if row := served(sp.ID); row[1] != "110105************" {
			t.Errorf("after the update: %v", row)
		}
		if err := f.profiles.Delete(ctx, f.editor, sp.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.profiles.RowTransformer(ctx, sp.ID, header); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a deleted profile is served: %v", err)
		}
	})
}
