package access

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"dataport/internal/store"
)

// sharedLimiter keeps the buckets in the PostgreSQL table rate_buckets,
// which every process on the database shares: one atomic statement per
// request (TakeToken). Should the statement fail, the request is counted
// in this process's own buckets instead, so that a database hiccup makes
// the limit per process for a moment rather than failing every request.
type sharedLimiter struct {
	db     *store.DB
	local  *limiter
	log    *slog.Logger
	warned atomic.Int64 // unix seconds of the last warning
}

func newSharedLimiter(db *store.DB, log *slog.Logger) *sharedLimiter {
	return &sharedLimiter{db: db, local: newLimiter(), log: log}
}

// newLimits returns the limits for db: shared on PostgreSQL, the
// process's own on SQLite.
func newLimits(db *store.DB, log *slog.Logger) limits {
	if db != nil && db.Dialect == store.Postgres {
		return newSharedLimiter(db, log)
	}
	return newLimiter()
}

func (l *sharedLimiter) allow(ctx context.Context, key, policy string, perMinute int, now time.Time) (time.Duration, Rate) {
	if perMinute <= 0 {
		return 0, Rate{}
	}
	took, tokens, err := TakeToken(ctx, l.db, key, float64(perMinute)/60, float64(perMinute), now)
	if err != nil {
		if last, t := l.warned.Load(), time.Now().Unix(); ctx.Err() == nil && last <= t-60 && l.warned.CompareAndSwap(last, t) {
			l.log.WarnContext(ctx, "access: shared rate limits unavailable; counting in this process", "err", err)
		}
		return l.local.allow(ctx, key, policy, perMinute, now)
	}
	return bucketRate(policy, perMinute, tokens, took)
}

func (l *sharedLimiter) sweep(ctx context.Context, now time.Time) {
	l.local.sweep(ctx, now)
	if err := SweepTokens(ctx, l.db, now); err != nil && ctx.Err() == nil {
		l.log.WarnContext(ctx, "access: sweeping shared rate limits failed", "err", err)
	}
}

// takeToken is TakeToken's statement. A new bucket starts full and gives
// its first token at once; an existing one is refilled for the time since
// it was last counted (never for time going backwards: a process whose
// clock lags another's refills nothing until it catches up) and gives a
// token if it holds one. The row is locked for the statement only, so that
// concurrent requests of one client, on any replica, are counted one after
// another.
const takeToken = `INSERT INTO rate_buckets AS b (key, tokens, at, rate, burst, took)
	VALUES ($1, $4::float8 - 1, $2::timestamptz, $3::float8, $4::float8, true)
	ON CONFLICT (key) DO UPDATE SET
		tokens = CASE WHEN ` + refilled + ` >= 1 THEN ` + refilled + ` - 1 ELSE ` + refilled + ` END,
		took = ` + refilled + ` >= 1,
		at = GREATEST(b.at, EXCLUDED.at), rate = EXCLUDED.rate, burst = EXCLUDED.burst
	RETURNING tokens, took`

// refilled is an existing bucket's tokens at the request's time.
const refilled = `LEAST(EXCLUDED.burst, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM EXCLUDED.at - b.at)::float8) * EXCLUDED.rate)`

// TakeToken takes one token from the token bucket key in the PostgreSQL
// table rate_buckets, shared by every process on the database, through q
// (a PostgreSQL store or one of its transactions): the bucket
// holds at most burst tokens (at least one) and refills at perSecond. It
// reports whether a token was taken and how many are left. A refused
// request takes nothing. The statement writes an UNLOGGED table only, so
// its commit does not wait for a disk flush.
func TakeToken(ctx context.Context, q store.Querier, key string, perSecond, burst float64, now time.Time) (took bool, tokens float64, err error) {
	if d := dialectOf(q); d != store.Postgres {
		return false, 0, fmt.Errorf("access: shared rate limits need PostgreSQL, not %s", d)
	}
	if perSecond <= 0 {
		return false, 0, fmt.Errorf("access: rate %v of %q is not positive", perSecond, key)
	}
	err = q.QueryRowContext(ctx, takeToken, key, now.UTC(), perSecond, max(burst, 1)).Scan(&tokens, &took)
	if err != nil {
		return false, 0, fmt.Errorf("access: take a token of %q: %w", key, err)
	}
	return took, tokens, nil
}

// SweepTokens deletes the buckets of rate_buckets that are full again at
// now: an absent bucket is a full one, so nothing changes but the size of
// the table. A bucket counted meanwhile on another replica is kept (the
// row is checked again once its lock is free).
func SweepTokens(ctx context.Context, db *store.DB, now time.Time) error {
	if db.Dialect != store.Postgres {
		return nil
	}
	_, err := db.ExecContext(ctx, `DELETE FROM rate_buckets
		WHERE at + make_interval(secs => (burst - tokens) / rate) <= $1`, now.UTC())
	if err != nil {
		return fmt.Errorf("access: sweep rate limits: %w", err)
	}
	return nil
}

// dialectOf is the dialect of a store or transaction (PostgreSQL for any
// other Querier, whose statements then say whether it is one).
func dialectOf(q store.Querier) store.Dialect {
	switch v := q.(type) {
	case *store.DB:
		return v.Dialect
	case *store.Tx:
		return v.Dialect
	}
	return store.Postgres
}
