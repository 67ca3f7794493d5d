package stats

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"dataport/internal/access"
	"dataport/internal/store"
)

// The rows served per day. The decision log keeps each decision but not
// the rows served under it (grant_usage keeps a running total per grant,
// without days or open data); the access service tells its observers of
// every report of rows served once the batch holding it has committed
// (access.Service.OnLogged). The statistics count them per day of the
// decision and resource in memory and add them to stats_rows_served at
// each FlushServed (a periodic job, and before each snapshot), with a
// stats.rows_served.counted event per day. Rows reported while the
// platform was down, or counted but not yet flushed when it stopped, are
// not counted; a backfilled day has the rows counted live on it.

// served is the rows counted and not yet flushed: day → resource → rows.
type served struct {
	mu   sync.Mutex
	rows map[string]map[string]int64
}

// OnLogged counts the rows served of a committed batch of the decision
// log (register it with access.Service.OnLogged). It only adds to a map in
// memory, as the access service asks of its observers.
func (s *Service) OnLogged(_ context.Context, batch []access.Logged) {
	s.served.mu.Lock()
	defer s.served.mu.Unlock()
	for _, l := range batch {
		if !l.RowsReported || l.Rows <= 0 {
			continue
		}
		if s.served.rows == nil {
			s.served.rows = map[string]map[string]int64{}
		}
		day := Today(l.At)
		if s.served.rows[day] == nil {
			s.served.rows[day] = map[string]int64{}
		}
		s.served.rows[day][l.ResourceID] += l.Rows
	}
}

// FlushServed adds the rows counted since the last flush to the store, a
// day per transaction with its event; a day that fails stays counted for
// the next flush.
func (s *Service) FlushServed(ctx context.Context) error {
	s.served.mu.Lock()
	pending := s.served.rows
	s.served.rows = nil
	s.served.mu.Unlock()
	days := make([]string, 0, len(pending))
	for day := range pending {
		days = append(days, day)
	}
	sort.Strings(days)
	for i, day := range days {
		if err := s.addServed(ctx, day, pending[day]); err != nil {
			s.requeue(pending, days[i:])
			return err
		}
	}
	return nil
}

// requeue puts back the days not flushed.
func (s *Service) requeue(pending map[string]map[string]int64, days []string) {
	s.served.mu.Lock()
	defer s.served.mu.Unlock()
	for _, day := range days {
		for res, n := range pending[day] {
			if s.served.rows == nil {
				s.served.rows = map[string]map[string]int64{}
			}
			if s.served.rows[day] == nil {
				s.served.rows[day] = map[string]int64{}
			}
			s.served.rows[day][res] += n
		}
	}
}

// addServed adds one day's rows per resource.
func (s *Service) addServed(ctx context.Context, day string, rows map[string]int64) error {
	ids := make([]string, 0, len(rows))
	var total int64
	for id, n := range rows {
		ids, total = append(ids, id), total+n
	}
	sort.Strings(ids)
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		for _, id := range ids {
			_, err := tx.ExecContext(ctx, `INSERT INTO stats_rows_served (day, resource_id, rows_served) VALUES ($1, $2, $3)
				ON CONFLICT (day, resource_id) DO UPDATE SET rows_served = stats_rows_served.rows_served + excluded.rows_served`,
				day, id, rows[id])
			if err != nil {
				return fmt.Errorf("stats: rows served on %s: %w", day, err)
			}
		}
		return tx.Emit(ctx, store.Event{Type: "stats.rows_served.counted", SubjectKind: "stats_day", SubjectID: day},
			map[string]any{"day": day, "resources": len(ids), "rows": total})
	})
}
