package app

import (
	"context"

	"dataport/internal/exchange/risk"
)

// openRisk builds the exchange's risk engine, hooks it into what it
// observes — trading, the exchange's listing reviews and source
// declarations, reads refused under grants — and loads its trade graph.
func (a *App) openRisk(ctx context.Context) error {
	a.Risk = risk.New(a.DB, a.Exchange, risk.Config{Log: a.Config.Log})
	a.Exchange.OnSourceChange(a.Risk.OnSourceChange)
	a.Exchange.OnReviewFailed(a.Risk.OnReviewFailed)
	a.Exchange.OnRelationChange(a.Risk.RelationsChanged)
	a.Trade.OnChange(a.Risk.OnTradeChange)
	a.Access.OnDenied(a.Risk.OnAccessDenied)
	return a.Risk.Load(ctx)
}
