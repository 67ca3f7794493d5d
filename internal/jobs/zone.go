package jobs

import (
	"context"
	"errors"
	"time"

	"dataport/internal/store"

	"github.com/riverqueue/river"
)

// ZoneQueryArgs is the job that runs an operator's query in a public data
// zone's sandbox (zones.Service.Run).
type ZoneQueryArgs struct {
	QueryID string `json:"query_id"`
}

// Kind is the zone query job's kind.
func (ZoneQueryArgs) Kind() string { return "zones.query" }

// Zones runs the queries of the public data zones: Run records the
// query's outcome itself (released, in review, refused, failed) and
// returns an error only when it could not, or when ctx ended first (then
// the query is run again).
type Zones interface {
	Run(ctx context.Context, queryID string) error
}

// A zone query is tried zoneQueryAttempts times and stops after
// zoneQueryTimeout (each of its statements is bounded by its zone's
// MaxSeconds; a run makes a few of them).
const (
	zoneQueryAttempts = 3
	zoneQueryTimeout  = 30 * time.Minute
)

// ErrNoZones is returned when the runner has no zones to run queries in.
var ErrNoZones = errors.New("jobs: this runner does not run zone queries")

// EnqueueZoneQuery queues the run of zone query id in tx (the transaction
// that records the query) and returns the job's id; it satisfies
// zones.Enqueuer.
func (r *Runner) EnqueueZoneQuery(ctx context.Context, tx *store.Tx, id string) (int64, error) {
	if r.zones == nil {
		return 0, ErrNoZones
	}
	return r.Enqueue(ctx, tx, ZoneQueryArgs{QueryID: id}, &river.InsertOpts{MaxAttempts: zoneQueryAttempts,
		UniqueOpts: river.UniqueOpts{ByArgs: true}})
}

// zoneQueryWorker runs zone queries.
type zoneQueryWorker struct {
	river.WorkerDefaults[ZoneQueryArgs]
	r *Runner
}

func (w *zoneQueryWorker) Timeout(*river.Job[ZoneQueryArgs]) time.Duration { return zoneQueryTimeout }

func (w *zoneQueryWorker) Work(ctx context.Context, job *river.Job[ZoneQueryArgs]) error {
	err := w.r.zones.Run(ctx, job.Args.QueryID)
	if errors.Is(err, store.ErrNotFound) { // the query is gone
		return river.JobCancel(err)
	}
	return err
}
