package uploadgate

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"dataport/internal/access"
	"dataport/internal/store"
)

// ForStore returns a gate with the package's limits for the processes on
// db: shared by every replica on PostgreSQL, this process's own on SQLite
// or without a store. One gate serves both the API's and the browser's
// uploads, so that an account's limits are the same whichever it uses.
func ForStore(db *store.DB) *Gate { return ForStoreWith(db, Parallel, PerMinute, Burst) }

// ForStoreWith is ForStore with the limits of NewWith.
func ForStoreWith(db *store.DB, parallel, perMinute, burst int) *Gate {
	g := NewWith(parallel, perMinute, burst)
	if db != nil && db.Dialect == store.Postgres {
		g.shared = &shared{db: db, ttl: leaseTTL}
	}
	return g
}

// leaseTTL is how long a running upload's lease lasts without renewal: the
// replica running it renews it every third of that, so the uploads of a
// replica that died stop counting within leaseTTL.
const leaseTTL = 30 * time.Second

// sharedTimeout bounds each statement of the shared gate, which runs
// outside the request's context (Take has none).
const sharedTimeout = 5 * time.Second

// shared holds a gate's counts in PostgreSQL: a lease per running upload
// in upload_leases, the starts in the rate_buckets bucket "upload:USER".
// Lease times are the database's clock, so replicas' clocks need not agree.
type shared struct {
	db     *store.DB
	ttl    time.Duration
	warned atomic.Int64 // unix seconds of the last warning
}

// errUnavailable says that the shared counts could not be reached: the
// caller then counts in its own memory.
var errUnavailable = errors.New("uploadgate: shared counts unavailable")

// take is Take on the shared counts, or errUnavailable when the database
// did not answer: the caller then counts in its own memory, so that a database
// hiccup makes the limits per process for a moment rather than refusing
// every upload. A transaction locks the account (an advisory lock on its
// key), so that two replicas cannot both see room for one more upload.
func (s *shared) take(g *Gate, user string, now time.Time) (done func(), err error) {
	ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
	defer cancel()
	key, id := "upload:"+user, store.NewID()
	var refusal *Refusal
	txErr := s.db.Transact(ctx, func(tx *store.Tx) error {
		refusal = nil
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, key); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM upload_leases WHERE user_id = $1 AND expires <= clock_timestamp()`, user); err != nil {
			return err
		}
		var running int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM upload_leases WHERE user_id = $1`, user).Scan(&running); err != nil {
			return err
		}
		if running >= g.parallel {
			refusal = &Refusal{Reason: ErrBusy, Wait: 5 * time.Second}
			return nil
		}
		took, tokens, err := access.TakeToken(ctx, tx, key, 1/g.every.Seconds(), float64(g.burst), now)
		if err != nil {
			return err
		}
		if !took {
			wait := time.Duration((1 - tokens) * float64(g.every))
			refusal = &Refusal{Reason: ErrRate, Wait: wait.Round(time.Second) + time.Second}
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO upload_leases (id, user_id, expires)
			VALUES ($1, $2, clock_timestamp() + make_interval(secs => $3::float8))`, id, user, s.ttl.Seconds())
		return err
	})
	if txErr != nil {
		if last, t := s.warned.Load(), time.Now().Unix(); last <= t-60 && s.warned.CompareAndSwap(last, t) {
			slog.Warn("uploadgate: shared upload limits unavailable; counting in this process", "err", txErr)
		}
		return nil, errUnavailable
	}
	if refusal != nil {
		return nil, refusal
	}
	return s.hold(id), nil
}

// hold renews lease id while the upload runs and returns the function
// that ends it: it stops the renewals and deletes the lease (which, should
// the delete fail, expires on its own).
func (s *shared) hold(id string) func() {
	stop := make(chan struct{})
	go func() {
		tick := time.NewTicker(s.ttl / 3)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
				s.db.ExecContext(ctx, `UPDATE upload_leases SET expires = clock_timestamp() + make_interval(secs => $2::float8)
					WHERE id = $1`, id, s.ttl.Seconds())
				cancel()
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
			defer cancel()
			s.db.ExecContext(ctx, `DELETE FROM upload_leases WHERE id = $1`, id)
		})
	}
}
