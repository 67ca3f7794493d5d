package access

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"dataport/internal/store"
)

// A grant's total row quota (Policy.MaxRows) is enforced in one place for
// every data path: Decide reserves the rows a response may carry before
// anything is read (takeRows), and RecordRows counts what was served and
// releases the rest (settleRows). The reservation is made in the store,
// whose grant_usage row is the authority shared by every replica on it, by
// a conditional UPDATE that cannot take more than is left; the cache's
// counter follows it, never ahead of the store, so its early over_quota
// check can only be late, never wrong. A process that dies between the two
// leaves its reservation counted as served: the quota errs on the side of
// serving less.

// reservation marks a decision whose response counts against a total row
// quota; settled makes RecordRows release it once only.
type reservation struct{ settled atomic.Bool }

// settleTimeout bounds the release of a reservation, which runs even when
// the request's context has ended (a client that went away mid-export).
const settleTimeout = 10 * time.Second

// takeRows reserves up to want rows of grant e's total quota of rows
// and returns how many it reserved: want, or what is left if less, or 0
// when the quota is used up.
func (s *Service) takeRows(ctx context.Context, e *grantEntry, quota, want int64) (int64, error) {
	if want <= 0 {
		return 0, nil
	}
	var took int64
	err := s.usageTx(ctx, func(tx *store.Tx) error {
		// Most reads fit in what is left: one conditional UPDATE reserves them.
		res, err := tx.ExecContext(ctx, `UPDATE grant_usage SET rows_served = rows_served + $2
			WHERE grant_id = $1 AND rows_served + $2 <= $3`, e.ID, want, quota)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			took = want
			return err
		}
		// Fewer are left than asked: take the rest under the row's lock
		// (SQLite transactions begin IMMEDIATE, so they hold it already).
		lock := ""
		if tx.Dialect == store.Postgres {
			lock = " FOR UPDATE"
		}
		var used int64
		if err := tx.QueryRowContext(ctx, `SELECT rows_served FROM grant_usage WHERE grant_id = $1`+lock, e.ID).Scan(&used); err != nil {
			return err
		}
		if took = min(want, quota-used); took <= 0 {
			took = 0
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE grant_usage SET rows_served = rows_served + $2 WHERE grant_id = $1`, e.ID, took)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("access: reserve rows: %w", err)
	}
	e.rows.Add(took)
	return took, nil
}

// usageTx runs fn in a transaction that moves usage counters. On
// PostgreSQL its commit does not wait for the write-ahead log to reach the
// disk (synchronous_commit off, for this transaction only): other
// replicas see the change at once, and a database crash can undo only the
// last fraction of a second of counts — the durability SQLite's
// synchronous=NORMAL gives every commit — instead of every read waiting
// for a disk flush.
func (s *Service) usageTx(ctx context.Context, fn func(tx *store.Tx) error) error {
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		if tx.Dialect == store.Postgres {
			if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
				return err
			}
		}
		return fn(tx)
	})
}

// settleRows records that served rows of the reserved ones were served
// under grant id: the difference goes back to the quota (or, should a path
// have served more than it reserved, is counted too).
func (s *Service) settleRows(ctx context.Context, id string, reserved, served int64) error {
	delta := served - reserved
	if delta == 0 {
		return nil
	}
	if delta > 0 {
		s.cfg.Logger.ErrorContext(ctx, "access: a data path served more rows than it reserved", "grant", id,
			"reserved", reserved, "served", served)
	}
	e := s.cache.grant(id)
	if e != nil && delta < 0 {
		e.rows.Add(delta) // released in the cache first, so it never runs ahead of the store
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	err := s.usageTx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE grant_usage SET rows_served = rows_served + $2 WHERE grant_id = $1`, id, delta)
		return err
	})
	if err != nil {
		return fmt.Errorf("access: record rows served: %w", err)
	}
	if e != nil && delta > 0 {
		e.rows.Add(delta)
	}
	return nil
}

// A grant's total call quota (Policy.MaxCalls) is counted by the decision
// log, which adds each batch's allowed calls to grant_usage, and checked
// against the cache's counter. In one process (SQLite) that counter sees
// every call. On PostgreSQL, where replicas share the store, a call under
// a call quota is instead counted at the decision by a conditional UPDATE
// of grant_usage that cannot pass the quota, and the log does not count it
// again (record.callCounted): a client spreading its calls over replicas
// gets the quota once, not once per replica.

// takeCall counts one call of grant e against a quota of max (0: none):
// took is false when the quota is used up, counted true when the store
// counted it (PostgreSQL, under a quota).
func (s *Service) takeCall(ctx context.Context, e *grantEntry, max int64) (took, counted bool, err error) {
	if max <= 0 || s.db.Dialect != store.Postgres {
		return takeCall(e, max), false, nil
	}
	if e.calls.Load() >= max { // the cache never runs ahead of the store
		return false, false, nil
	}
	var calls int64
	err = s.usageTx(ctx, func(tx *store.Tx) error {
		err := tx.QueryRowContext(ctx, `UPDATE grant_usage SET calls = calls + 1 WHERE grant_id = $1 AND calls < $2 RETURNING calls`,
			e.ID, max).Scan(&calls)
		if errors.Is(err, sql.ErrNoRows) {
			calls, err = max, nil
			return nil
		}
		took = err == nil
		return err
	})
	if err != nil {
		return false, false, fmt.Errorf("access: count a call: %w", err)
	}
	for { // the cache follows the store, never back
		n := e.calls.Load()
		if n >= calls || e.calls.CompareAndSwap(n, calls) {
			break
		}
	}
	return took, took, nil
}

// untakeCall gives back a call takeCall took but that is not made.
func (s *Service) untakeCall(ctx context.Context, e *grantEntry, counted bool) {
	e.calls.Add(-1)
	if !counted {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	err := s.usageTx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE grant_usage SET calls = calls - 1 WHERE grant_id = $1`, e.ID)
		return err
	})
	if err != nil {
		s.cfg.Logger.ErrorContext(ctx, "access: a call not made stays counted", "grant", e.ID, "err", err)
	}
}
