package jobs

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Failure counts the failed attempts of one kind of work in this process
// since it started: a job kind, or a periodic work's name (Kind "periodic").
// An attempt fails when its work returns an error or runs out of time;
// whether River tries it again or discards it, it is counted once here.
type Failure struct {
	Kind     string // the job kind: "datastore.load", "periodic", …
	Name     string // the periodic work's name; "" for other kinds
	Failures int64
}

// failureCounter is River worker middleware counting failed attempts by
// kind and periodic name. Every known kind starts at zero, so that a
// monitoring system sees the first failure as an increase.
type failureCounter struct {
	river.MiddlewareDefaults
	mu     sync.Mutex
	counts map[[2]string]int64
}

func newFailureCounter(kinds []string, periodic []string) *failureCounter {
	c := &failureCounter{counts: map[[2]string]int64{}}
	for _, k := range kinds {
		c.counts[[2]string{k, ""}] = 0
	}
	for _, name := range periodic {
		c.counts[[2]string{PeriodicArgs{}.Kind(), name}] = 0
	}
	return c
}

// Work implements rivertype.WorkerMiddleware.
func (c *failureCounter) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	err := doInner(ctx)
	if err != nil {
		key := [2]string{job.Kind, ""}
		if job.Kind == (PeriodicArgs{}).Kind() {
			var args PeriodicArgs
			if json.Unmarshal(job.EncodedArgs, &args) == nil {
				key[1] = args.Name
			}
		}
		c.mu.Lock()
		c.counts[key]++
		c.mu.Unlock()
	}
	return err
}

// snapshot returns the counts ordered by kind and name.
func (c *failureCounter) snapshot() []Failure {
	c.mu.Lock()
	out := make([]Failure, 0, len(c.counts))
	for k, n := range c.counts {
		out = append(out, Failure{Kind: k[0], Name: k[1], Failures: n})
	}
	c.mu.Unlock()
	slices.SortFunc(out, func(a, b Failure) int {
		return strings.Compare(a.Kind+"\x00"+a.Name, b.Kind+"\x00"+b.Name)
	})
	return out
}

// Failures returns the failed attempts of each kind of work this process
// has run since it started (zero for the kinds it knows and none failed),
// for the /metrics counter dataport_jobs_failed_total.
func (r *Runner) Failures() []Failure { return r.failures.snapshot() }
