package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// LoadArgs is the job that loads an uploaded file, spooled in the data dir,
// into a load registered with datastore.StartLoad.
type LoadArgs struct {
	LoadID     string `json:"load_id"`
	ResourceID string `json:"resource_id"`
	UserID     string `json:"user_id"` // who uploaded: the load runs with their rights at the time it runs
	FileName   string `json:"file_name"`
	Spool      string `json:"spool"` // the file's name in the spool dir of the node that received it
	Size       int64  `json:"size"`
}

// Kind is the load job's kind.
func (LoadArgs) Kind() string { return "datastore.load" }

// A load is tried loadAttempts times (the backoff between tries is River's
// default, attempt⁴ seconds: 1 s, 16 s, 81 s, 4 min, 10 min) and stops
// after loadTimeout, as a browser upload did before it was a job.
const (
	loadAttempts = 6
	loadTimeout  = 6 * time.Hour
)

// ErrNoLoads is returned when the runner has no datastore to load into.
var ErrNoLoads = errors.New("jobs: this runner does not run loads")

// SpoolFile creates a file in the spool dir for an upload to wait in until
// its load job has run.
func (r *Runner) SpoolFile() (*os.File, error) {
	if r.ds == nil || r.spoolDir == "" {
		return nil, ErrNoLoads
	}
	if err := os.MkdirAll(r.spoolDir, 0o750); err != nil {
		return nil, fmt.Errorf("jobs: spool dir: %w", err)
	}
	return os.CreateTemp(r.spoolDir, "upload-*")
}

// EnqueueLoad registers a load of the spooled file at path into the
// resource, as p, and queues its job in the same transaction; it returns
// the load's id, whose status page follows it. The job takes over the file
// (and removes it when done) only when this returns nil.
func (r *Runner) EnqueueLoad(ctx context.Context, p identity.Principal, resourceID, fileName, path string, size int64) (string, error) {
	if r.ds == nil || r.spoolDir == "" {
		return "", ErrNoLoads
	}
	spool := filepath.Base(path)
	if filepath.Join(r.spoolDir, spool) != filepath.Clean(path) {
		return "", fmt.Errorf("jobs: %s is not in the spool dir", path)
	}
	var loadID string
	err := r.db.Transact(ctx, func(tx *store.Tx) error {
		id, err := r.ds.StartLoad(ctx, tx, p, resourceID, fileName, size)
		if err != nil {
			return err
		}
		loadID = id
		_, err = r.Enqueue(ctx, tx, LoadArgs{LoadID: id, ResourceID: resourceID, UserID: p.UserID, FileName: fileName, Spool: spool, Size: size},
			&river.InsertOpts{Queue: r.local, MaxAttempts: loadAttempts, Tags: []string{loadTag(id)}, UniqueOpts: river.UniqueOpts{ByArgs: true}})
		return err
	})
	return loadID, err
}

// loadTag marks a load's job, to find it from the load's status page.
func loadTag(loadID string) string { return "load-" + loadID }

// loadWorker runs load jobs.
type loadWorker struct {
	river.WorkerDefaults[LoadArgs]
	r *Runner
}

func (w *loadWorker) Timeout(*river.Job[LoadArgs]) time.Duration { return loadTimeout }

// Work loads the spooled file. A refused file (bad input, or an uploader
// who may no longer load) ends the job: the refusal is on the load's status
// page. Other failures (the database, a stop) are retried; the file is kept
// until the last try.
func (w *loadWorker) Work(ctx context.Context, job *river.Job[LoadArgs]) error {
	a := job.Args
	path := filepath.Join(w.r.spoolDir, filepath.Base(a.Spool))
	p, err := w.r.uploader(ctx, a.UserID)
	if err != nil {
		return err
	}
	if st, err := w.r.ds.LoadStatus(ctx, p, a.LoadID); err == nil && st.State == "done" {
		os.Remove(path) // an earlier attempt switched the version in, then stopped before River heard
		return nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		gone := errors.New("the uploaded file is no longer on the server: upload it again")
		w.r.ds.AbandonLoad(ctx, a.LoadID, gone)
		return river.JobCancel(fmt.Errorf("%w (%w)", gone, err))
	} else if err != nil {
		return err
	}
	_, err = w.r.ds.Load(ctx, p, a.ResourceID, datastore.LoadInput{File: f, Name: a.FileName, Size: a.Size, LoadID: a.LoadID})
	f.Close()
	switch {
	case err == nil || refused(err):
		os.Remove(path)
		return nil
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		os.Remove(path)
		return river.JobCancel(fmt.Errorf("the load took longer than %v: %w", loadTimeout, err))
	case job.Attempt >= job.MaxAttempts:
		os.Remove(path)
	}
	return err
}

// uploader is the principal a load runs as: the uploader now, or nobody
// (whose load is then refused) when their account is gone or disabled.
func (r *Runner) uploader(ctx context.Context, userID string) (identity.Principal, error) {
	if userID == identity.System.UserID {
		return identity.System, nil
	}
	p, err := r.ids.Principal(ctx, userID)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, identity.ErrUnauthenticated) {
		return identity.Anonymous, nil
	}
	return p, err
}

// refused reports whether a load's error is its outcome rather than a
// failure to try again: the file or the uploader was refused.
func refused(err error) bool {
	var le *datastore.LoadError
	var fe validate.Errors
	return errors.As(err, &le) || errors.As(err, &fe) || errors.Is(err, identity.ErrForbidden) ||
		errors.Is(err, identity.ErrUnauthenticated) || errors.Is(err, catalog.ErrState) || errors.Is(err, store.ErrNotFound)
}

// spoolAge is how old a spooled file no job names must be to be removed:
// an upload being received is written to, so its file is always newer.
const spoolAge = time.Hour

// sweepSpool removes spooled files that no unfinished load job will read
// (an upload whose load could not be registered, a job discarded while
// its process was killed).
func (r *Runner) sweepSpool(ctx context.Context, now time.Time) error {
	entries, err := os.ReadDir(r.spoolDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	res, err := r.client.JobList(ctx, river.NewJobListParams().Kinds(LoadArgs{}.Kind()).First(10000).
		States(rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable, rivertype.JobStateRunning, rivertype.JobStateScheduled))
	if err != nil {
		return err
	}
	var waiting []string
	for _, j := range res.Jobs {
		var a LoadArgs
		if err := json.Unmarshal(j.EncodedArgs, &a); err == nil {
			waiting = append(waiting, a.Spool)
		}
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() || now.Sub(info.ModTime()) < spoolAge || slices.Contains(waiting, e.Name()) {
			continue
		}
		if err := os.Remove(filepath.Join(r.spoolDir, e.Name())); err == nil {
			r.log.InfoContext(ctx, "jobs: removed a spooled upload no load will read", "file", e.Name())
		}
	}
	return nil
}
