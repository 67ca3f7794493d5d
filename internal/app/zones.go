package app

import (
	"context"

	"dataport/internal/zones"
)

// openZones builds the public data zones' service: queries run in the
// datastore's sandbox, results in review are the review workflow's cases,
// and queries are queued on the job runner (opened before it).
func (a *App) openZones() {
	a.Zones = zones.New(a.DB, a.Identity, a.Catalog, a.Access, a.Datastore(),
		zones.Config{Review: a.Review, Jobs: a.Jobs, Log: a.Config.Log})
}

// zoneQueries runs the zones' query jobs for the job runner, which is
// opened before the zones service it calls.
type zoneQueries struct{ a *App }

func (z zoneQueries) Run(ctx context.Context, queryID string) error {
	return z.a.Zones.Run(ctx, queryID)
}

// zoneOutputs tells the exchange who kept a zone output, for the zones
// service opened after it.
type zoneOutputs struct{ a *App }

func (z zoneOutputs) OutputOwner(ctx context.Context, id string) (string, error) {
	return z.a.Zones.OutputOwner(ctx, id)
}
