package catalog_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store/storetest"
)

// People's lists and the published counts are read from the read replica;
// the platform's own lists and single resources from the primary.
func TestListsFromReadReplica(t *testing.T) {
	db, role := storetest.OpenWithReadOnlyReplica(t)
	f := newFixture(t, db)
	ctx := context.Background()
	r := f.resource(t, f.orgA.ID, validInput(), catalog.StatusPublished)
	page, err := f.cat.List(ctx, identity.Anonymous, catalog.Filter{})
	if err != nil || !slices.Equal(idsOf(page.Items), []string{r.ID}) {
		t.Fatalf("anonymous list through the replica: %v, %v; want [%s]", idsOf(page.Items), err, r.ID)
	}
	if c, err := f.cat.PublishedCounts(ctx); err != nil || c.Published != 1 {
		t.Fatalf("published counts through the replica: %+v, %v", c, err)
	}

	if _, err := db.ExecContext(ctx, `REVOKE SELECT ON resources FROM `+role); err != nil {
		t.Fatal(err)
	}
	for name, read := range map[string]func() error{
		"anonymous list": func() error { _, err := f.cat.List(ctx, identity.Anonymous, catalog.Filter{}); return err },
		"editor's list": func() error {
			_, err := f.cat.List(ctx, f.editorA, catalog.Filter{OrganizationID: f.orgA.ID})
			return err
		},
		"counts": func() error { _, err := f.cat.PublishedCounts(ctx); return err },
	} {
		if err := read(); err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("%s when the replica may not read resources: %v, want permission denied (it reads the replica)", name, err)
		}
	}
	if page, err := f.cat.List(ctx, identity.System, catalog.Filter{}); err != nil || len(page.Items) != 1 {
		t.Errorf("the platform's list: %d resources, %v; want 1 from the primary", len(page.Items), err)
	}
	if _, err := f.cat.Get(ctx, identity.Anonymous, r.ID); err != nil {
		t.Errorf("a resource's page: %v, want it read from the primary", err)
	}
}
