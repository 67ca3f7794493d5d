package engage

import (
	"context"
	"fmt"
	"sync"
	"time"

	"dataport/internal/store"
	"dataport/internal/workday"
)

// Views and downloads are statistics, not changes anyone decided: a page
// view approves, grants or alters nothing. So they do not follow the rule
// "every change is an event" one by one — an event per view would flood the
// ledger with entries that prove nothing and would make every page view a
// write. They are counted in memory (View, Download: a map increment under
// a mutex) and written in batches (Flush, every Config.FlushEvery and when
// the service closes): one transaction adds the batch to the totals and to
// the day's figures, and emits one summary event, "engage.counts_flushed",
// with the batch's sums, so the ledger still shows that and when the counts
// moved. A process that dies loses at most one interval's counts.

// tally is what was counted for one resource since the last flush.
type tally struct{ views, downloads int64 }

// counter holds the counts not yet flushed.
type counter struct {
	mu      sync.Mutex
	pending map[string]*tally
}

func (c *counter) add(resourceID string, views, downloads int64) {
	c.mu.Lock()
	t := c.pending[resourceID]
	if t == nil {
		t = &tally{}
		c.pending[resourceID] = t
	}
	t.views += views
	t.downloads += downloads
	c.mu.Unlock()
}

// take empties the counter and returns what it held.
func (c *counter) take() map[string]*tally {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.pending
	c.pending = map[string]*tally{}
	return out
}

func (c *counter) peek(resourceID string) tally {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t := c.pending[resourceID]; t != nil {
		return *t
	}
	return tally{}
}

// View counts one view of a resource's page. Callers count only pages they
// served (the resource exists and the viewer may see it).
func (s *Service) View(resourceID string) { s.counts.add(resourceID, 1, 0) }

// Download counts one download of a resource's data.
func (s *Service) Download(resourceID string) { s.counts.add(resourceID, 0, 1) }

// Count is a resource's views and downloads.
type Count struct {
	ResourceID string `json:"resource_id"`
	Views      int64  `json:"views"`
	Downloads  int64  `json:"downloads"`
}

// Counts returns the views and downloads of the given resources, with what
// this process counted since its last flush; a resource never viewed has
// zeros. The map has an entry for every id asked.
func (s *Service) Counts(ctx context.Context, resourceIDs ...string) (map[string]Count, error) {
	out := make(map[string]Count, len(resourceIDs))
	for _, id := range resourceIDs {
		var c Count
		err := s.db.QueryRowContext(ctx, `SELECT views, downloads FROM engage_counts WHERE resource_id = $1`, id).Scan(&c.Views, &c.Downloads)
		if err != nil && !isNoRows(err) {
			return nil, fmt.Errorf("engage: counts: %w", err)
		}
		t := s.counts.peek(id)
		c.ResourceID, c.Views, c.Downloads = id, c.Views+t.views, c.Downloads+t.downloads
		out[id] = c
	}
	return out, nil
}

// MostViewed returns the n published resources viewed most (ties: more
// downloads, then id), as of the last flush. n is capped at 100.
func (s *Service) MostViewed(ctx context.Context, n int) ([]Count, error) {
	if n <= 0 || n > 100 {
		n = 10
	}
	rows, err := s.db.QueryContext(ctx, `SELECT c.resource_id, c.views, c.downloads FROM engage_counts c
		JOIN resources r ON r.id = c.resource_id WHERE r.status = 'published' AND c.views > 0
		ORDER BY c.views DESC, c.downloads DESC, c.resource_id LIMIT $1`, n)
	if err != nil {
		return nil, fmt.Errorf("engage: most viewed: %w", err)
	}
	defer rows.Close()
	out := []Count{}
	for rows.Next() {
		var c Count
		if err := rows.Scan(&c.ResourceID, &c.Views, &c.Downloads); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Totals are the platform's engagement figures, for its statistics.
type Totals struct {
	Views        int64 `json:"views"`
	Downloads    int64 `json:"downloads"`
	Ratings      int64 `json:"ratings"`
	Comments     int64 `json:"comments"` // not hidden
	ErrorReports int64 `json:"error_reports"`
	Answered     int64 `json:"error_reports_answered"`
	Follows      int64 `json:"follows"`
}

// Totals returns the platform's totals as of the last flush.
func (s *Service) Totals(ctx context.Context) (Totals, error) {
	var t Totals
	err := s.db.QueryRowContext(ctx, `SELECT
		(SELECT COALESCE(SUM(views), 0) FROM engage_counts), (SELECT COALESCE(SUM(downloads), 0) FROM engage_counts),
		(SELECT count(*) FROM ratings), (SELECT count(*) FROM comments WHERE hidden_at IS NULL),
		(SELECT count(*) FROM error_reports), (SELECT count(*) FROM error_reports WHERE status = 'answered'),
		(SELECT count(*) FROM follows)`).Scan(&t.Views, &t.Downloads, &t.Ratings, &t.Comments, &t.ErrorReports, &t.Answered, &t.Follows)
	if err != nil {
		return t, fmt.Errorf("engage: totals: %w", err)
	}
	return t, nil
}

// Day is the platform's views and downloads on one day (Beijing time).
type Day struct {
	Day       string `json:"day"` // YYYY-MM-DD
	Views     int64  `json:"views"`
	Downloads int64  `json:"downloads"`
}

// Daily returns the views and downloads of the last days days up to now,
// oldest first, one entry a day (zeros included). days is capped at 366.
func (s *Service) Daily(ctx context.Context, now time.Time, days int) ([]Day, error) {
	if days <= 0 || days > 366 {
		days = 30
	}
	first := now.In(workday.Beijing).AddDate(0, 0, -(days - 1)).Format(time.DateOnly)
	rows, err := s.db.QueryContext(ctx, `SELECT day, SUM(views), SUM(downloads) FROM engage_daily WHERE day >= $1 GROUP BY day`, first)
	if err != nil {
		return nil, fmt.Errorf("engage: daily: %w", err)
	}
	defer rows.Close()
	got := map[string]Day{}
	for rows.Next() {
		var d Day
		if err := rows.Scan(&d.Day, &d.Views, &d.Downloads); err != nil {
			return nil, err
		}
		got[d.Day] = d
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Day, days)
	for i := range out {
		day := now.In(workday.Beijing).AddDate(0, 0, i-(days-1)).Format(time.DateOnly)
		out[i] = got[day]
		out[i].Day = day
	}
	return out, nil
}

// Flush writes the counts held in memory to the store in one transaction,
// with one "engage.counts_flushed" event summing the batch. On failure the
// batch is kept for the next flush.
func (s *Service) Flush(ctx context.Context) error {
	batch := s.counts.take()
	if len(batch) == 0 {
		return nil
	}
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		day := tx.Now().In(workday.Beijing).Format(time.DateOnly)
		var views, downloads int64
		for id, t := range batch {
			if _, err := tx.ExecContext(ctx, `INSERT INTO engage_counts (resource_id, views, downloads, updated_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (resource_id) DO UPDATE SET views = engage_counts.views + $2, downloads = engage_counts.downloads + $3, updated_at = $4`,
				id, t.views, t.downloads, store.TS(tx.Now())); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO engage_daily (day, resource_id, views, downloads) VALUES ($1, $2, $3, $4)
				ON CONFLICT (day, resource_id) DO UPDATE SET views = engage_daily.views + $3, downloads = engage_daily.downloads + $4`,
				day, id, t.views, t.downloads); err != nil {
				return err
			}
			views, downloads = views+t.views, downloads+t.downloads
		}
		return tx.Emit(ctx, store.Event{Type: "engage.counts_flushed", SubjectKind: "engage_counts", SubjectID: day},
			map[string]any{"resources": len(batch), "views": views, "downloads": downloads})
	})
	if err != nil {
		for id, t := range batch {
			s.counts.add(id, t.views, t.downloads)
		}
		return fmt.Errorf("engage: flush counts: %w", err)
	}
	return nil
}

// Start flushes the counts every Config.FlushEvery until Close; a second
// call does nothing.
func (s *Service) Start(ctx context.Context) {
	if s.stop != nil {
		return
	}
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(s.done)
		tick := time.NewTicker(s.cfg.FlushEvery)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				if err := s.Flush(ctx); err != nil {
					s.log.WarnContext(ctx, "engage: counts not flushed; kept for the next flush", "err", err)
				}
			case <-s.stop:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
}

// Close stops the flushing that Start began and flushes what is left.
func (s *Service) Close() error {
	s.once.Do(func() {
		if s.stop != nil {
			close(s.stop)
			<-s.done
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.Flush(ctx)
}
