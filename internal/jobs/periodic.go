package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// Periodic is work run every period, by one process of the cluster at a
// time (River's elected leader queues it; any node may run it). A run that
// fails is not retried: the next period's run is.
type Periodic struct {
	Name  string        // e.g. "review.tick"; names the job in the admin page
	Every time.Duration // the period; also the run's timeout
	Run   func(ctx context.Context, now time.Time) error
}

// PeriodicArgs is a run of periodic work.
type PeriodicArgs struct {
	Name string `json:"name"`
}

// Kind is the job kind of every periodic run.
func (PeriodicArgs) Kind() string { return "periodic" }

// schedule is p as River's periodic job: queued at start and every period,
// unique per period so that a change of leader does not queue it twice.
func (p Periodic) schedule() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(p.Every),
		func() (river.JobArgs, *river.InsertOpts) {
			return PeriodicArgs{Name: p.Name}, &river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: p.Every}}
		},
		&river.PeriodicJobOpts{ID: p.Name, RunOnStart: true})
}

// periodicWorker runs the periodic work by its name.
type periodicWorker struct {
	river.WorkerDefaults[PeriodicArgs]
	r *Runner
}

func (w *periodicWorker) Timeout(job *river.Job[PeriodicArgs]) time.Duration {
	if p, ok := w.r.periodic[job.Args.Name]; ok {
		return max(p.Every, time.Minute)
	}
	return 0
}

func (w *periodicWorker) Work(ctx context.Context, job *river.Job[PeriodicArgs]) error {
	p, ok := w.r.periodic[job.Args.Name]
	if !ok { // queued by a version that had it
		return river.JobCancel(fmt.Errorf("no periodic work named %q", job.Args.Name))
	}
	return p.Run(ctx, time.Now())
}
