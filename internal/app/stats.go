package app

import (
	"context"
	"time"
)

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
