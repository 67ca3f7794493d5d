package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"dataport/internal/identity"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Job is a job as the UI shows it.
type Job struct {
	ID          int64
	Kind        string // "datastore.load", "periodic", ...
	Name        string // what it works on: the periodic work's name, the load's file
	Queue       string
	State       string // available, scheduled, pending, running, retryable, completed, discarded, cancelled
	Attempt     int    // tries so far
	MaxAttempts int
	LastError   string // the last try's error, if it failed
	CreatedAt   time.Time
	ScheduledAt time.Time  // when it runs (next, for a retryable job)
	FinalizedAt *time.Time // when it completed, was discarded or cancelled
}

// Finished reports whether the job will not run again.
func (j Job) Finished() bool {
	switch rivertype.JobState(j.State) {
	case rivertype.JobStateCompleted, rivertype.JobStateDiscarded, rivertype.JobStateCancelled:
		return true
	}
	return false
}

// Job returns the job with id.
func (r *Runner) Job(ctx context.Context, id int64) (Job, error) {
	row, err := r.client.JobGet(ctx, id)
	if err != nil {
		return Job{}, fmt.Errorf("jobs: job %d: %w", id, err)
	}
	return newJob(row), nil
}

// LoadJob returns the job of a load registered by EnqueueLoad. Callers show
// it next to the load, after checking that the viewer may see the load.
func (r *Runner) LoadJob(ctx context.Context, loadID string) (Job, error) {
	res, err := r.client.JobList(ctx, river.NewJobListParams().Kinds(LoadArgs{}.Kind()).TagsAll(loadTag(loadID)).
		OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(1))
	if err != nil {
		return Job{}, fmt.Errorf("jobs: load %s: %w", loadID, err)
	}
	if len(res.Jobs) == 0 {
		return Job{}, fmt.Errorf("jobs: no job for load %s: %w", loadID, ErrNoJob)
	}
	return newJob(res.Jobs[0]), nil
}

// ErrNoJob is returned (wrapped) when a looked-up job does not exist (any
// more: finished jobs are removed after a day, failed ones after a week).
var ErrNoJob = rivertype.ErrNotFound

// Troubled returns, to sysadmins, the jobs that failed for good (discarded
// after their last try, or cancelled as unable to run) or failed a try and
// wait to try again (retryable), newest first.
func (r *Runner) Troubled(ctx context.Context, actor identity.Principal, limit int) ([]Job, error) {
	if !actor.Has(identity.PlatformSysadmin) {
		return nil, identity.ErrForbidden
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	res, err := r.client.JobList(ctx, river.NewJobListParams().States(rivertype.JobStateDiscarded, rivertype.JobStateCancelled, rivertype.JobStateRetryable).
		OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(limit))
	if err != nil {
		return nil, fmt.Errorf("jobs: list failed jobs: %w", err)
	}
	out := make([]Job, len(res.Jobs))
	for i, j := range res.Jobs {
		out[i] = newJob(j)
	}
	return out, nil
}

// newJob is River's row as a Job.
func newJob(row *rivertype.JobRow) Job {
	j := Job{ID: row.ID, Kind: row.Kind, Queue: row.Queue, State: string(row.State), Attempt: row.Attempt, MaxAttempts: row.MaxAttempts,
		CreatedAt: row.CreatedAt, ScheduledAt: row.ScheduledAt, FinalizedAt: row.FinalizedAt}
	if n := len(row.Errors); n > 0 {
		j.LastError = row.Errors[n-1].Error
	}
	var named struct {
		Name     string `json:"name"`
		FileName string `json:"file_name"`
	}
	if json.Unmarshal(row.EncodedArgs, &named) == nil {
		j.Name = named.Name + named.FileName
	}
	return j
}
