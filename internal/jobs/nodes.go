package jobs

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"dataport/internal/store"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

// Node leases. Every process holds a lease on its node name in
// cluster_nodes, renewed every leaseRenew. A node whose lease has not been
// renewed for leaseTTL is dead (killed, its machine gone): the first live
// node to notice removes its lease and makes the jobs it was running
// available again, so that a load or a harvest a dead replica had started
// is resumed by another within leaseTTL plus a renewal, instead of after
// River's rescuer's hour. The times are the processes' own clocks, which
// must agree to well under leaseTTL (NTP does).
const (
	leaseRenew = 2 * time.Second
	leaseTTL   = 10 * time.Second
)

// ErrNodeInUse is returned by Start when another live process holds the
// lease of this runner's node: two replicas were given the same --node.
var ErrNodeInUse = errors.New("jobs: another live process runs as this node")

// newInstance names one start of a process.
func newInstance() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// claimNode takes this node's lease. A process that names its node
// explicitly (Config.Shared) may find the lease of a previous process of
// the same name still running, just killed and restarted: it waits for that
// lease to lapse, and refuses to start when it is renewed all along (a
// second live process with the same name). A node named by its data dir's
// node-id file owns that dir alone and takes the lease at once.
func (r *Runner) claimNode(ctx context.Context) error {
	deadline := time.Now().Add(leaseTTL + 2*leaseRenew)
	for logged := false; ; logged = true {
		took, holder, err := r.tryClaim(ctx, time.Now())
		if err != nil || took {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: %q renewed its lease %s ago; give each replica its own --node", ErrNodeInUse, r.node, time.Since(holder).Round(time.Second))
		}
		if !logged {
			r.log.WarnContext(ctx, "another process held this node's lease moments ago; waiting for it to lapse", "node", r.node, "lease", leaseTTL)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(leaseRenew / 2):
		}
	}
}

// tryClaim takes the lease when it is free, lapsed or (without Shared)
// whatever its state; otherwise it returns when its holder last renewed it.
func (r *Runner) tryClaim(ctx context.Context, now time.Time) (bool, time.Time, error) {
	var took bool
	var seen time.Time
	err := r.db.Transact(ctx, func(tx *store.Tx) error {
		lock := ""
		if tx.Dialect == store.Postgres {
			lock = " FOR UPDATE"
		}
		var instance string
		err := tx.QueryRowContext(ctx, `SELECT instance, seen_at FROM cluster_nodes WHERE node = $1`+lock, r.node).Scan(&instance, store.ScanTime(&seen))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.ExecContext(ctx, `INSERT INTO cluster_nodes (node, instance, started_at, seen_at) VALUES ($1, $2, $3, $3)`,
				r.node, r.instance, store.TS(now))
			took = err == nil
			return err
		case err != nil:
			return err
		case r.shared && instance != r.instance && now.Sub(seen) < leaseTTL:
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE cluster_nodes SET instance = $2, started_at = $3, seen_at = $3 WHERE node = $1`,
			r.node, r.instance, store.TS(now))
		took = err == nil
		return err
	})
	if err != nil {
		return false, time.Time{}, fmt.Errorf("jobs: node lease: %w", err)
	}
	return took, seen, nil
}

// keepLease renews this node's lease and looks for dead nodes until ctx
// ends; then it gives the lease up (a clean stop leaves nothing to rescue).
func (r *Runner) keepLease(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(leaseRenew)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			release, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			r.db.ExecContext(release, `DELETE FROM cluster_nodes WHERE node = $1 AND instance = $2`, r.node, r.instance)
			cancel()
			return
		case <-t.C:
		}
		now := time.Now()
		if err := r.renew(ctx, now); err != nil && ctx.Err() == nil {
			r.log.ErrorContext(ctx, "jobs: renewing this node's lease failed", "node", r.node, "err", err)
		}
		if err := r.rescueDead(ctx, now); err != nil && ctx.Err() == nil {
			r.log.ErrorContext(ctx, "jobs: rescuing the jobs of dead nodes failed", "err", err)
		}
	}
}

// renew extends the lease. When it is no longer this process's (others
// took it as dead, after a pause longer than leaseTTL), it is taken back:
// the jobs it was running may now run twice, which every kind tolerates
// (loads and harvests are idempotent; a periodic run repeats its period).
func (r *Runner) renew(ctx context.Context, now time.Time) error {
	res, err := r.db.ExecContext(ctx, `UPDATE cluster_nodes SET seen_at = $3 WHERE node = $1 AND instance = $2`, r.node, r.instance, store.TS(now))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	r.log.WarnContext(ctx, "jobs: this node's lease lapsed (a pause longer than the lease) and was taken; its jobs may be run again elsewhere", "node", r.node, "lease", leaseTTL)
	_, _, err = r.tryClaim(ctx, now)
	return err
}

// rescueDead makes the running jobs of nodes whose lease lapsed available
// again. Each dead node's lease is removed in the same step, so exactly one
// live node rescues it.
func (r *Runner) rescueDead(ctx context.Context, now time.Time) error {
	// Not this node: its own renewals may have failed for a while (a busy
	// SQLite file), which renew repairs; rescuing its own running jobs
	// would run them twice.
	rows, err := r.db.QueryContext(ctx, `SELECT node FROM cluster_nodes WHERE seen_at < $1 AND node <> $2`, store.TS(now.Add(-leaseTTL)), r.node)
	if err != nil {
		return err
	}
	var dead []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		dead = append(dead, n)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for _, node := range dead {
		res, err := r.db.ExecContext(ctx, `DELETE FROM cluster_nodes WHERE node = $1 AND seen_at < $2`, node, store.TS(now.Add(-leaseTTL)))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			continue // another node took it, or it came back
		}
		n, err := r.rescue(ctx, node, now, "interrupted: the replica running it stopped renewing its lease")
		if err != nil {
			return err
		}
		r.log.WarnContext(ctx, "jobs: a node's lease lapsed; the jobs it was running run again", "node", node, "jobs", n)
	}
	return nil
}

// rescue makes the jobs node was last running available again at once (or
// discards those that were on their last attempt) and returns how many.
func (r *Runner) rescue(ctx context.Context, node string, now time.Time, reason string) (int, error) {
	res, err := r.client.JobList(ctx, river.NewJobListParams().States(rivertype.JobStateRunning).First(10000))
	if err != nil {
		return 0, fmt.Errorf("jobs: list running jobs: %w", err)
	}
	now = now.UTC()
	params := &riverdriver.JobRescueManyParams{StuckHorizon: now.Add(time.Second)}
	for _, j := range res.Jobs {
		if len(j.AttemptedBy) == 0 || j.AttemptedBy[len(j.AttemptedBy)-1] != node {
			continue
		}
		state, finalized := rivertype.JobStateAvailable, (*time.Time)(nil)
		if j.Attempt >= j.MaxAttempts {
			state, finalized = rivertype.JobStateDiscarded, &now
		}
		msg, _ := json.Marshal(rivertype.AttemptError{At: now, Attempt: j.Attempt, Error: reason})
		params.ID = append(params.ID, j.ID)
		params.Error = append(params.Error, msg)
		params.FinalizedAt = append(params.FinalizedAt, finalized)
		params.ScheduledAt = append(params.ScheduledAt, now)
		params.State = append(params.State, string(state))
	}
	if len(params.ID) == 0 {
		return 0, nil
	}
	if _, err := r.driver.GetExecutor().JobRescueMany(ctx, params); err != nil {
		return 0, fmt.Errorf("jobs: rescue the jobs of %s: %w", node, err)
	}
	return len(params.ID), nil
}
