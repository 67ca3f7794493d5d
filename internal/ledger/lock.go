package ledger

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"dataport/internal/store"
)

// advisoryLock is the key of the PostgreSQL advisory lock held by the one
// sequencer of an installation: a hash of its schema's name, so that
// installations in separate schemas of one database (tests, trials beside
// production) each have their own sequencer.
const advisoryLock = `hashtextextended('dataport.ledger.sequencer:' || current_schema(), 0)`

// lockRetry is how often a process that does not hold the sequencer lock
// tries to take it.
const lockRetry = 2 * time.Second

// conn is what the sequencer runs its SQL on: the pool (SQLite) or the one
// connection that holds the advisory lock (PostgreSQL), so that losing the
// lock also stops the sequencer's writes.
type conn interface {
	store.Querier
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// acquire blocks until this process may sequence, and returns where to run
// SQL and how to give the right up. On PostgreSQL it holds an advisory lock
// on a dedicated connection; on SQLite an exclusive flock on a file in the
// log folder keeps a second process on the same data dir from sequencing.
func (s *Service) acquire(ctx context.Context) (conn, func(), error) {
	return s.lock(ctx, true)
}

// errSequencing is returned by lock without waiting when another process
// holds the sequencer lock.
var errSequencing = errors.New("another process sequences the ledger")

// lock takes the sequencer lock, waiting for it when wait is true and
// otherwise returning errSequencing when another process holds it.
func (s *Service) lock(ctx context.Context, wait bool) (conn, func(), error) {
	if s.db.Dialect == store.Postgres {
		return s.acquireAdvisory(ctx, wait)
	}
	return s.acquireFlock(ctx, wait)
}

func (s *Service) acquireAdvisory(ctx context.Context, wait bool) (conn, func(), error) {
	for logged := false; ; logged = true {
		c, err := s.db.Conn(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("ledger: connection for the sequencer lock: %w", err)
		}
		var held bool
		if _, err := c.ExecContext(ctx, store.DeadPeerSQL); err != nil { // a vanished holder's lock is freed in ~10 s
			c.Close()
			return nil, nil, fmt.Errorf("ledger: sequencer lock: %w", err)
		}
		if err := c.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(`+advisoryLock+`)`).Scan(&held); err != nil {
			c.Close()
			return nil, nil, fmt.Errorf("ledger: sequencer lock: %w", err)
		}
		if held {
			release := func() {
				c.ExecContext(context.Background(), `SELECT pg_advisory_unlock(`+advisoryLock+`)`)
				c.Close()
			}
			return c, release, nil
		}
		c.Close()
		if !wait {
			return nil, nil, errSequencing
		}
		if !logged {
			s.log.InfoContext(ctx, "another process sequences the ledger; waiting to take over")
		}
		if err := sleep(ctx, lockRetry); err != nil {
			return nil, nil, err
		}
	}
}

func (s *Service) acquireFlock(ctx context.Context, wait bool) (conn, func(), error) {
	f, err := os.OpenFile(filepath.Join(s.dir, ".sequencer.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("ledger: sequencer lock: %w", err)
	}
	for logged := false; ; logged = true {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return s.db, func() { f.Close() }, nil // closing the file releases the lock
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, nil, fmt.Errorf("ledger: sequencer lock: %w", err)
		}
		if !wait {
			f.Close()
			return nil, nil, errSequencing
		}
		if !logged {
			s.log.WarnContext(ctx, "another process sequences this data dir's ledger; waiting", "dir", s.dir)
		}
		if err := sleep(ctx, lockRetry); err != nil {
			f.Close()
			return nil, nil, err
		}
	}
}

// sleep waits for d or until ctx ends, whichever is first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
