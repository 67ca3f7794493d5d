package risk

import (
	"context"
	"fmt"
	"slices"

	"dataport/internal/store"
)

// priceKey names a product's prices under one price model.
type priceKey struct{ product, model string }

// priceBook keeps the unit prices of each product's last trades under each
// price model (Config.PriceHistory at most, newest last), read from the
// store the first time the product trades here and kept since: the trades
// this process observes, and those other processes record (read by
// catchUp), are added as they join the graph. The price rule's median is
// then taken without asking the store. Guarded by the Engine's mutex.
type priceBook struct {
	n int
	m map[priceKey][]int64
}

// add counts t's price, when its product's prices were read.
func (b *priceBook) add(t Trade) {
	k := priceKey{t.ProductID, t.PriceModel}
	h, ok := b.m[k]
	if !ok {
		return
	}
	if h = append(h, t.UnitFen); len(h) > b.n {
		h = h[len(h)-b.n:]
	}
	b.m[k] = h
}

// priceFacts compare t's unit price with the median of the product's last
// Config.PriceHistory trades under the same price model before it.
func (e *Engine) priceFacts(ctx context.Context, tx *store.Tx, t Trade) (PriceFacts, error) {
	k := priceKey{t.ProductID, t.PriceModel}
	e.mu.Lock()
	prices, ok := slices.Clone(e.prices.m[k]), e.prices.m[k] != nil
	e.mu.Unlock()
	if !ok {
		var err error
		if prices, err = e.storedPrices(ctx, tx, t); err != nil {
			return PriceFacts{}, err
		}
		e.mu.Lock()
		if _, read := e.prices.m[k]; !read {
			e.prices.m[k] = slices.Clone(prices)
		}
		e.mu.Unlock()
	}
	if len(prices) == 0 {
		return PriceFacts{}, nil
	}
	slices.Sort(prices)
	median := prices[len(prices)/2]
	if len(prices)%2 == 0 {
		median = (prices[len(prices)/2-1] + median) / 2
	}
	f := PriceFacts{History: int64(len(prices)), MedianFen: median}
	if median > 0 {
		f.Ratio = float64(t.UnitFen) / float64(median)
	}
	return f, nil
}

// storedPrices reads the unit prices of the product's last trades under
// t's price model, t's own excepted, oldest first (never nil).
func (e *Engine) storedPrices(ctx context.Context, tx *store.Tx, t Trade) ([]int64, error) {
	rows, err := e.query(ctx, tx, priceHistory, t.ProductID, t.PriceModel, t.ContractID, e.prices.n)
	if err != nil {
		return nil, fmt.Errorf("risk: price history: %w", err)
	}
	defer rows.Close()
	prices := []int64{}
	for rows.Next() {
		var p int64
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		prices = append(prices, p)
	}
	slices.Reverse(prices)
	return prices, rows.Err()
}
