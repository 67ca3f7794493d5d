package risk

import (
	"context"

	"dataport/internal/exchange/trade"
	"dataport/internal/store"
)

// OnTradeChange observes trading as it happens, in the transaction of each
// change (the application registers it with the trade service's
// OnChange): a negotiation requested is an order; a contract agreed is a
// trade, which joins the trade graph.
func (e *Engine) OnTradeChange(ctx context.Context, tx *store.Tx, c trade.Change) error {
	n := c.Negotiation
	switch {
	case n == nil:
	case c.To == trade.Agreed && c.Contract != nil:
		_, err := e.ObserveTrade(ctx, tx, TradeOf(*c.Contract))
		return err
	case c.To == trade.Requested && c.From == "":
		_, err := e.ObserveOrder(ctx, tx, Order{NegotiationID: n.ID, ProductID: n.ProductID, ProviderID: n.ProviderID, BuyerID: n.BuyerID})
		return err
	}
	return nil
}

// TradeOf is the trade a contract records.
func TradeOf(c trade.Contract) Trade {
	return Trade{ContractID: c.ID, ProductID: c.ProductID, ProviderID: c.ProviderID, BuyerID: c.BuyerID, PriceModel: string(c.Price.Model),
		UnitFen: c.Price.AmountFen, AmountFen: c.AmountFen, At: c.CreatedAt}
}
