package trade_test

import (
	"context"
	"testing"

	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// TestProductRatings: the hall's view of ratings — per product, a count,
// a sum and an average rounded half up in tenths; the newest first with
// their comments; a product nobody rated has none.
func TestProductRatings(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		m := newMarket(t, db)
		for _, stars := range []int{5, 4} {
			_, c := m.finalized(t)
			if _, err := m.tr.Settle(ctx, m.w.ProviderAdmin, c.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := m.tr.Rate(ctx, m.w.CompanyAdmin, c.ID, stars, map[int]string{5: "及时", 4: "字段齐全"}[stars]); err != nil {
				t.Fatal(err)
			}
		}
		sums, err := m.tr.RatingSummaries(ctx, []string{m.auto.ID, m.held.ID})
		if err != nil {
			t.Fatal(err)
		}
		if got := sums[m.auto.ID]; got.Count != 2 || got.Stars != 9 || got.AverageTenths() != 45 {
			t.Errorf("summary of the rated product: %+v (average %d tenths), want 2 ratings, 9 stars, 4.5", got, got.AverageTenths())
		}
		if got, ok := sums[m.held.ID]; ok || got.AverageTenths() != 0 {
			t.Errorf("an unrated product has a summary: %+v", got)
		}
		list, err := m.tr.ProductRatings(ctx, m.auto.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].Stars != 4 || list[0].Comment != "字段齐全" || list[1].Stars != 5 {
			t.Errorf("ratings newest first: %+v", list)
		}
		if one, err := m.tr.ProductRatings(ctx, m.auto.ID, 1); err != nil || len(one) != 1 {
			t.Errorf("a limit of 1: %d ratings, %v", len(one), err)
		}
		if none, err := m.tr.RatingSummaries(ctx, nil); err != nil || len(none) != 0 {
			t.Errorf("no products: %v %v", none, err)
		}
	})
}
