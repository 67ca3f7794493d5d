package jobs

import (
	"context"
	"errors"
	"time"

	"dataport/internal/harvest"
	"dataport/internal/store"

	"github.com/riverqueue/river"
)

// HarvestArgs is the job that harvests one registered source.
type HarvestArgs struct {
	SourceID string `json:"source_id"`
	Full     bool   `json:"full,omitempty"` // every record, not only what changed since the last run
}

// Kind is the harvest job's kind.
func (HarvestArgs) Kind() string { return "harvest.run" }

// A harvest is tried harvestAttempts times (River's backoff: 1 s, 16 s) and
// stops after harvestTimeout.
const (
	harvestAttempts = 3
	harvestTimeout  = time.Hour
)

// ErrNoHarvests is returned when the runner has no harvester.
var ErrNoHarvests = errors.New("jobs: this runner does not run harvests")

// QueueHarvest queues a harvest of source id in tx (harvest.Queue).
func (r *Runner) QueueHarvest(ctx context.Context, tx *store.Tx, id string, full bool) error {
	if r.harvest == nil {
		return ErrNoHarvests
	}
	// Not a River unique job: a run that has just finished is still
	// "running" to River for a moment, and a new run asked for then would
	// be dropped as its duplicate. The source's own status, changed under
	// its row lock, keeps a source queued once (harvest.Sources).
	_, err := r.Enqueue(ctx, tx, HarvestArgs{SourceID: id, Full: full}, &river.InsertOpts{MaxAttempts: harvestAttempts})
	return err
}

// Harvests are what the runner needs to run harvest jobs.
type Harvests struct {
	Harvester *harvest.Harvester
	Sources   *harvest.Sources
}

// harvestWorker runs a source's harvest, keeping its outcome on the source.
type harvestWorker struct {
	river.WorkerDefaults[HarvestArgs]
	r *Runner
}

func (w *harvestWorker) Timeout(*river.Job[HarvestArgs]) time.Duration { return harvestTimeout }

func (w *harvestWorker) Work(ctx context.Context, job *river.Job[HarvestArgs]) error {
	h := w.r.harvest
	_, err := h.Sources.Run(ctx, h.Harvester, job.Args.SourceID, job.Args.Full)
	switch {
	case errors.Is(err, store.ErrNotFound): // the source was removed meanwhile
		return river.JobCancel(err)
	case err != nil && job.Attempt >= job.MaxAttempts:
		if ferr := h.Sources.Failed(context.WithoutCancel(ctx), job.Args.SourceID, err); ferr != nil {
			return errors.Join(err, ferr)
		}
	}
	return err
}
