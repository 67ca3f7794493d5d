package app

import (
	"context"
	"path/filepath"
	"sync"
	"time"

	"dataport/internal/jobs"
)

// openJobs opens the background job runner on the store (applying River's
// migrations next to the store's) with the platform's periodic work.
func (a *App) openJobs(ctx context.Context) (*jobs.Runner, error) {
	node, err := jobs.NodeID(a.Config.DataDir)
	if err != nil {
		return nil, err
	}
	return jobs.Open(ctx, a.DB, jobs.Config{Node: node, DatabaseURL: a.Config.DatabaseURL,
		SpoolDir: filepath.Join(a.Config.DataDir, "spool"), Datastore: a.Datastore(), Identity: a.Identity, Log: a.Config.Log,
		Periodic: []jobs.Periodic{
			{Name: "review.deadlines", Every: time.Minute, Run: a.escalate},
			{Name: "datastore.monitor", Every: time.Hour, Run: a.monitorData},
		}})
}

// monitorData fails the loads whose process died and flags the resources
// whose data is late under their update frequency: periodic work, hourly.
func (a *App) monitorData(ctx context.Context, now time.Time) error {
	ds := a.Datastore()
	ds.Reap(ctx)
	_, err := ds.CheckTimeliness(ctx, now)
	return err
}

// jobsStopper returns the runner's stop for Serve: running jobs get
// shutdownGrace to finish, as requests in flight do, then the rest of
// shutdownTimeout to return. Later calls wait for the first.
func (a *App) jobsStopper() func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			if err := a.Jobs.Stop(shutdownGrace, shutdownTimeout-shutdownGrace); err != nil {
				a.Config.Log.Error("background jobs did not stop cleanly", "err", err)
			}
		})
	}
}
