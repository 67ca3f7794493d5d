package app

import (
	"context"
	"time"

	"dataport/internal/monitor/incident"
)

// openIncidents builds the data security incidents' service, which turns
// the monitor's alerts into incidents (opened after the monitor).
func (a *App) openIncidents() {
	a.Incidents = incident.New(a.DB, a.Identity, a.Catalog, a.Monitor, a.Config.Incidents)
}

// remindIncidents reminds the units, their responsible persons and the
// security officers of incident deadlines that near or have passed:
// periodic work, every minute (jobs.go).
func (a *App) remindIncidents(ctx context.Context, now time.Time) error {
	_, err := a.Incidents.Tick(ctx, now)
	return err
}
