package app

import (
	"context"

	"dataport/internal/identity"
	"dataport/internal/monitor"
)

// openMonitor builds the security monitoring, seeds its default rules,
// hooks it into what it observes — the decision log's committed batches
// and sign-in attempts (the events table it follows itself) — and starts
// its evaluating goroutine (stopped by Close).
func (a *App) openMonitor(ctx context.Context) error {
	a.Monitor = monitor.New(a.DB, monitor.Config{Log: a.Config.Log, Profile: a.profileQuasiIdentifiers})
	if err := a.Monitor.Load(ctx); err != nil {
		return err
	}
	a.Access.OnLogged(a.Monitor.OnLogged)
	a.Identity.OnSignIn(a.Monitor.OnSignIn)
	return a.Monitor.Start(ctx)
}

// profileQuasiIdentifiers is a de-identification profile's
// quasi-identifiers and k, for the monitor's reid_qi rule.
func (a *App) profileQuasiIdentifiers(ctx context.Context, id string) ([]string, int, error) {
	sp, err := a.Profiles.Get(ctx, identity.System, id)
	if err != nil {
		return nil, 0, err
	}
	return sp.Profile.QuasiIdentifiers, sp.Profile.K, nil
}
