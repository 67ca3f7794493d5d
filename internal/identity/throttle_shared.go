package identity

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"dataport/internal/store"
)

// On PostgreSQL the sign-in throttle and the self-service limits count in
// the table throttle_marks, which every replica on the database shares: a
// guesser spreading attempts over replicas meets the same delays as on
// one. A mark is a key and a time; keys are stored as SHA-256 digests, so
// that the table holds no username, address or e-mail in clear, and marks
// older than the window are deleted as others are written. Should the
// database fail to answer, the replica counts in its own memory meanwhile
// (the in-memory throttle, as on SQLite).

// signInCounter counts failed sign-ins: signInThrottle in memory, or
// sharedThrottle in PostgreSQL.
type signInCounter interface {
	Wait(username, address string) time.Duration
	Fail(username, address string)
	Succeed(username, address string)
}

// selfServiceCounter counts self-service actions: selfServiceLimit in
// memory, or sharedSelfService in PostgreSQL.
type selfServiceCounter interface {
	take(keys ...string) time.Duration
}

// throttleTimeout bounds each statement of the shared counts, which run
// without the request's context.
const throttleTimeout = 5 * time.Second

// newCounters returns the sign-in throttle and self-service limits for db.
func newCounters(db *store.DB) (signInCounter, selfServiceCounter) {
	if db == nil || db.Dialect != store.Postgres {
		return newSignInThrottle(), newSelfServiceLimit()
	}
	m := &marks{db: db, now: time.Now}
	return &sharedThrottle{marks: m, local: newSignInThrottle()}, &sharedSelfService{marks: m, local: newSelfServiceLimit()}
}

// marks reads and writes throttle_marks.
type marks struct {
	db     *store.DB
	now    func() time.Time
	swept  atomic.Int64 // unix seconds of this process's last sweep
	warned atomic.Int64 // unix seconds of the last warning
}

// markKey is how key is stored: its SHA-256, in hex.
func markKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// failed logs err at most once a minute and reports whether there was one.
func (m *marks) failed(err error) bool {
	if err == nil {
		return false
	}
	if onceAMinute(&m.warned, time.Now()) {
		slog.Warn("identity: shared sign-in throttle unavailable; counting in this process", "err", err)
	}
	return true
}

// onceAMinute reports whether a minute has passed since the last time it
// reported so for last (unix seconds), and records now if so.
func onceAMinute(last *atomic.Int64, now time.Time) bool {
	l, t := last.Load(), now.Unix()
	return l <= t-60 && last.CompareAndSwap(l, t)
}

// sweep deletes the marks that have left the window, at most once a
// minute per process.
func (m *marks) sweep(ctx context.Context, q store.Querier, now time.Time) error {
	if !onceAMinute(&m.swept, now) {
		return nil
	}
	_, err := q.ExecContext(ctx, `DELETE FROM throttle_marks WHERE at <= $1`, now.Add(-throttleWindow).UTC())
	return err
}

// add writes a mark at now under each key.
func (m *marks) add(ctx context.Context, q store.Querier, now time.Time, keys ...string) error {
	var b strings.Builder
	args := []any{now.UTC()}
	b.WriteString(`INSERT INTO throttle_marks (key, at) VALUES `)
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		args = append(args, markKey(k))
		b.WriteString("($" + strconv.Itoa(len(args)) + ", $1)")
	}
	if _, err := q.ExecContext(ctx, b.String(), args...); err != nil {
		return err
	}
	return m.sweep(ctx, q, now)
}

// sharedThrottle is the sign-in throttle of throttle.go counted in
// throttle_marks: the same keys, delays and window.
type sharedThrottle struct {
	*marks
	local *signInThrottle
}

func throttleKeys(username, address string) (pair, user, addr string) {
	return "signin:pair\x1f" + username + "\x1f" + address, "signin:user\x1f" + username, "signin:addr\x1f" + address
}

func (t *sharedThrottle) Wait(username, address string) time.Duration {
	ctx, cancel := context.WithTimeout(context.Background(), throttleTimeout)
	defer cancel()
	now := t.now()
	pair, user, addr := throttleKeys(username, address)
	rows, err := t.db.QueryContext(ctx, `SELECT key, count(*), max(at) FROM throttle_marks
		WHERE key IN ($1, $2, $3) AND at > $4 GROUP BY key`, markKey(pair), markKey(user), markKey(addr), now.Add(-throttleWindow).UTC())
	if t.failed(err) {
		return t.local.Wait(username, address)
	}
	defer rows.Close()
	type seen struct {
		n    int
		last time.Time
	}
	got := map[string]seen{}
	for rows.Next() {
		var k string
		var s seen
		if err := rows.Scan(&k, &s.n, &s.last); t.failed(err) {
			return t.local.Wait(username, address)
		}
		got[k] = s
	}
	if t.failed(rows.Err()) {
		return t.local.Wait(username, address)
	}
	var wait time.Duration
	after := func(s seen, d time.Duration) {
		if s.n > 0 {
			wait = max(wait, s.last.Add(d).Sub(now))
		}
	}
	p, a := got[markKey(pair)], got[markKey(addr)]
	after(p, pairBackoff.delay(p.n))
	after(p, usernameDelay.delay(got[markKey(user)].n))
	after(a, addressBackoff.delay(a.n))
	return max(wait, 0)
}

func (t *sharedThrottle) Fail(username, address string) {
	ctx, cancel := context.WithTimeout(context.Background(), throttleTimeout)
	defer cancel()
	pair, user, addr := throttleKeys(username, address)
	if t.failed(t.add(ctx, t.db, t.now(), pair, user, addr)) {
		t.local.Fail(username, address)
	}
}

func (t *sharedThrottle) Succeed(username, address string) {
	ctx, cancel := context.WithTimeout(context.Background(), throttleTimeout)
	defer cancel()
	pair, _, _ := throttleKeys(username, address)
	_, err := t.db.ExecContext(ctx, `DELETE FROM throttle_marks WHERE key = $1`, markKey(pair))
	t.failed(err)
	t.local.Succeed(username, address)
}

// sharedSelfService is selfServiceLimit counted in throttle_marks. A
// transaction locks the keys taken (advisory locks, in order), so that two
// replicas cannot both take the last action a key allows.
type sharedSelfService struct {
	*marks
	local *selfServiceLimit
}

func (l *sharedSelfService) take(keys ...string) time.Duration {
	ctx, cancel := context.WithTimeout(context.Background(), throttleTimeout)
	defer cancel()
	now := l.now()
	stored := make([]string, len(keys))
	for i, k := range keys {
		stored[i] = strings.ReplaceAll(k, "\x00", "\x1f") // PostgreSQL text holds no NUL
	}
	var wait time.Duration
	err := l.db.Transact(ctx, func(tx *store.Tx) error {
		wait = 0
		locks := slices.Sorted(slices.Values(stored))
		for _, k := range locks {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "throttle:"+markKey(k)); err != nil {
				return err
			}
		}
		for i, k := range keys {
			limit := selfServiceLimits[k[:strings.IndexByte(k, 0)]]
			// The limit-th newest action in the window: when it leaves,
			// one more may come.
			var at time.Time
			err := tx.QueryRowContext(ctx, `SELECT at FROM throttle_marks WHERE key = $1 AND at > $2 ORDER BY at DESC OFFSET $3 LIMIT 1`,
				markKey(stored[i]), now.Add(-throttleWindow).UTC(), limit-1).Scan(&at)
			if err == nil {
				wait = max(wait, at.Add(throttleWindow).Sub(now))
			} else if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		if wait > 0 {
			return nil
		}
		return l.add(ctx, tx, now, stored...)
	})
	if l.failed(err) {
		return l.local.take(keys...)
	}
	return wait
}
