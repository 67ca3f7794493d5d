package ckan_test

import (
	"context"
	"slices"
	"testing"

	"dataport/internal/catalog"
)

// TestPackageSearchLeavesOutNotOpened: datasets not opened (不予开放) are
// out of package_search unless a condition on the licence or open type, or
// include_not_open, asks for them; the license_id facet counts them so a
// client can.
func TestPackageSearchLeavesOutNotOpened(t *testing.T) {
	p := newPortal(t)
	p.resource(p.transit, "网约车平台订单明细", "Ride-hailing orders", catalog.StatusPublished, func(in *catalog.Input) {
		in.OpenType, in.OpenBasis, in.Keywords = catalog.OpenNone, "涉及商业秘密", []string{"网约车"}
	})
	if err := p.indexer.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	const closed = "网约车平台订单明细"
	for _, test := range []struct {
		name  string
		q     []string
		found bool
	}{
		{"default", []string{"q", "网约车"}, false},
		{"everything", []string{"q", "*:*"}, false},
		{"fq license_id not-open", []string{"q", "网约车", "fq", "license_id:not-open"}, true},
		{"fq open_type none", []string{"fq", "open_type:none"}, true},
		{"include_not_open", []string{"q", "网约车", "include_not_open", "true"}, true},
		{"another licence asked", []string{"q", "网约车", "fq", "license_id:open-unconditional"}, false},
	} {
		t.Run(test.name, func(t *testing.T) {
			res := p.search(vals(test.q...))
			if got := slices.Contains(names(res.Results), closed); got != test.found {
				t.Errorf("found %v; want the dataset not opened found: %v", names(res.Results), test.found)
			}
		})
	}
	res := p.search(vals("q", "网约车", "facet.field", `["license_id"]`))
	if res.Count != 0 || res.Facets["license_id"]["not-open"] != 1 {
		t.Errorf("count %d, license_id facet %v: want 0 found and not-open counted once", res.Count, res.Facets["license_id"])
	}
}
