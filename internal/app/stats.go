package app

import (
	"context"
	"time"

	"dataport/internal/stats"
)

// openStats builds the statistics' service and has it count the rows
// served that the access service reports once committed.
func (a *App) openStats() {
	a.Stats = stats.New(a.DB)
	a.Access.OnLogged(a.Stats.OnLogged)
}

// takeSnapshots takes the statistics' daily snapshots missing up to
// yesterday (Beijing time), each from the records as they stood at the
// day's end: periodic work, hourly (idempotent, so replicas and restarts
// take each day once).
func (a *App) takeSnapshots(ctx context.Context, now time.Time) error {
	n, err := a.Stats.CatchUp(ctx, now)
	if n > 0 {
		a.Config.Log.InfoContext(ctx, "statistics snapshots taken", "days", n)
	}
	return err
}

// countServed adds the rows served counted in memory to the store:
// periodic work, every ten seconds.
func (a *App) countServed(ctx context.Context, _ time.Time) error {
	return a.Stats.FlushServed(ctx)
}
