package access

import (
	"context"
	"fmt"
	"time"

	"dataport/internal/store"
)

// watcher follows the events table for changes made by other processes
// (another replica, the CLI) and by services that do not tell the cache
// themselves (the catalog): a grant or key event reloads the grant, a
// resource event drops the cached resource, a group event reloads groups.
// Changes made through this Service are applied before its methods return;
// others take effect within one WatchInterval.
type watcher struct {
	last int64
	seen map[int64]bool // seqs handled within the overlap window
}

// overlap is how far back each poll looks again: PostgreSQL may commit a
// lower seq after a higher one, so a seq just below the last seen may
// still appear.
const overlap = 256

func (w *watcher) init(ctx context.Context, db *store.DB) error {
	w.seen = map[int64]bool{}
	err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM events`).Scan(&w.last)
	if err != nil {
		return fmt.Errorf("access: watch: %w", err)
	}
	return nil
}

// Start follows changes made elsewhere until ctx ends, and sweeps idle
// rate-limit buckets.
func (s *Service) Start(ctx context.Context) error {
	if err := s.ensureLoaded(ctx); err != nil {
		return err
	}
	s.watching.Store(true)
	go func() {
		defer s.watching.Store(false)
		tick := time.NewTicker(s.cfg.WatchInterval)
		defer tick.Stop()
		sweep := time.NewTicker(time.Minute)
		defer sweep.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if err := s.poll(ctx); err != nil && ctx.Err() == nil {
					s.cfg.Logger.WarnContext(ctx, "access: following changes failed", "err", err)
				}
			case now := <-sweep.C:
				s.limit.sweep(ctx, now)
			}
		}
	}()
	return nil
}

type change struct {
	seq       int64
	kind, id  string
	eventType string
}

// poll applies the changes recorded since the last poll. It reads up to
// the newest event now, so that the many events of other kinds (decision
// batches, workflows) are not scanned again by the next poll.
func (s *Service) poll(ctx context.Context) error {
	var newest int64
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM events`).Scan(&newest); err != nil {
		return err
	}
	s.loadMu.Lock()
	from := s.watch.last - overlap
	s.loadMu.Unlock()
	// The kinds are filtered here, not in SQL: with a condition on
	// subject_kind SQLite's planner prefers the (subject_kind, subject_id,
	// seq) index and walks every event of those kinds instead of the short
	// seq range.
	rows, err := s.db.QueryContext(ctx, `SELECT seq, subject_kind, subject_id, type FROM events WHERE seq > $1 AND seq <= $2
		ORDER BY seq`, from, newest)
	if err != nil {
		return err
	}
	var changes []change
	for rows.Next() {
		var c change
		if err := rows.Scan(&c.seq, &c.kind, &c.id, &c.eventType); err != nil {
			rows.Close()
			return err
		}
		if c.kind == "grant" || c.kind == "resource" || c.kind == "access_group" {
			changes = append(changes, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if err := s.apply(ctx, changes); err != nil {
		return err
	}
	s.loadMu.Lock()
	s.watch.last = max(s.watch.last, newest)
	s.loadMu.Unlock()
	return nil
}

func (s *Service) apply(ctx context.Context, changes []change) error {
	for _, c := range changes {
		s.loadMu.Lock()
		done := s.watch.seen[c.seq]
		s.loadMu.Unlock()
		if done {
			continue
		}
		var err error
		switch c.kind {
		case "resource":
			s.cache.dropResource(c.id)
		case "grant":
			err = s.reloadGrant(ctx, c.id)
		case "access_group":
			err = s.reloadGroups(ctx)
		}
		if err != nil {
			return err
		}
		s.loadMu.Lock()
		s.watch.seen[c.seq] = true
		s.watch.last = max(s.watch.last, c.seq)
		for seq := range s.watch.seen {
			if seq <= s.watch.last-overlap {
				delete(s.watch.seen, seq)
			}
		}
		s.loadMu.Unlock()
	}
	return nil
}

func (s *Service) reloadGroups(ctx context.Context) error {
	groups, err := loadGroups(ctx, s.db)
	if err != nil {
		return err
	}
	s.cache.mu.Lock()
	s.cache.groups = groups
	s.cache.mu.Unlock()
	return nil
}
