package dcat

import (
	"context"
	"strings"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/identity"
)

// TestCatalogLeavesOutNotOpened: the catalog feed, like the portal's
// lists, leaves out datasets not opened (不予开放); each still has its own
// page (/dataset/{name}).
func TestCatalogLeavesOutNotOpened(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in := catalog.Input{TitleZh: "网约车订单明细", TitleEn: "Ride-hailing orders", DescriptionZh: "不予开放的数据", Subject: "04",
		Formats: []string{"CSV"}, UpdateFrequency: catalog.FreqDaily, ShareType: catalog.ShareUnconditional,
		OpenType: catalog.OpenNone, OpenBasis: "涉及商业秘密", Classification: catalog.ClassGeneral, Level: 1,
		Items: []catalog.Item{{Name: "order_id", LabelZh: "订单编号", Type: catalog.TypeText}}}
	r, err := f.cat.Create(ctx, identity.System, f.bus.OrganizationID, in)
	if err == nil {
		if _, err = f.cat.Submit(ctx, identity.System, r.ID); err == nil {
			r, err = f.cat.Review(ctx, identity.System, r.ID, catalog.Approve, "")
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := f.indexer.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	_, _, body := f.get(t, "/catalog.ttl", "")
	if strings.Contains(body, "网约车订单明细") {
		t.Errorf("the catalog feed lists a dataset not opened")
	}
	if status, _, body := f.get(t, "/dataset/"+strings.ToLower(r.Code)+".ttl", ""); status != 200 || !strings.Contains(body, "网约车订单明细") {
		t.Errorf("the dataset's own page: %d", status)
	}
}
