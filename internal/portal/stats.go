package portal

import (
	"context"
	"fmt"
	"time"

	"dataport/internal/catalog"
)

// GroupCount is how many public resources one subject or institution has.
type GroupCount struct {
	Key   string `json:"key"` // the subject code or the organization id
	Count int    `json:"count"`
}

// Stats are the front page's figures. Resources count as the catalog's
// public figures do (catalog.PublishedCounts): published and not core data.
type Stats struct {
	catalog.Counts
	// Rows are the rows of the current data versions of those resources
	// that are open (unconditionally or on application).
	Rows       int64        `json:"rows"`
	Requests   int          `json:"data_requests"`
	Answered   int          `json:"data_requests_answered"`
	Apps       int          `json:"apps"`
	BySubject  []GroupCount `json:"by_subject"`      // subjects with resources, by code
	ByOrg      []GroupCount `json:"by_organization"` // institutions with resources, most first
	ComputedAt time.Time    `json:"computed_at"`
}

// publicResources is the catalog's rule for the public figures
// (catalog.PublishedCounts), as a condition on resources r.
const publicResources = `r.status = 'published' AND r.classification <> 'core'`

// Stats returns the front page's figures, computed at most once per
// Config.StatsTTL.
func (s *Service) Stats(ctx context.Context) (Stats, error) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	if s.cfg.StatsTTL > 0 && !s.statsAt.IsZero() && time.Since(s.statsAt) < s.cfg.StatsTTL {
		return s.stats, nil
	}
	st, err := s.computeStats(ctx)
	if err != nil {
		return Stats{}, err
	}
	s.stats, s.statsAt = st, time.Now()
	return st, nil
}

func (s *Service) computeStats(ctx context.Context) (Stats, error) {
	var st Stats
	var err error
	if st.Counts, err = s.cat.PublishedCounts(ctx); err != nil {
		return st, err
	}
	err = s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(d.row_count), 0) FROM datastore_current d JOIN resources r ON r.id = d.resource_id
		WHERE `+publicResources+` AND r.open_type <> 'none'`).Scan(&st.Rows)
	if err != nil {
		return st, fmt.Errorf("portal: stats: %w", err)
	}
	err = s.db.QueryRowContext(ctx, `SELECT count(*), COALESCE(SUM(CASE WHEN status = 'answered' THEN 1 ELSE 0 END), 0),
		(SELECT count(*) FROM portal_apps WHERE published_at IS NOT NULL) FROM portal_data_requests`).Scan(&st.Requests, &st.Answered, &st.Apps)
	if err != nil {
		return st, fmt.Errorf("portal: stats: %w", err)
	}
	if st.BySubject, err = s.tally(ctx, `r.subject`, `r.subject`); err != nil {
		return st, err
	}
	if st.ByOrg, err = s.tally(ctx, `r.organization_id`, `count(*) DESC, r.organization_id`); err != nil {
		return st, err
	}
	st.ComputedAt = time.Now()
	return st, nil
}

// tally counts the public resources by column.
func (s *Service) tally(ctx context.Context, column, order string) ([]GroupCount, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+column+`, count(*) FROM resources r WHERE `+publicResources+
		` GROUP BY `+column+` ORDER BY `+order)
	if err != nil {
		return nil, fmt.Errorf("portal: stats: %w", err)
	}
	defer rows.Close()
	out := []GroupCount{}
	for rows.Next() {
		var t GroupCount
		if err := rows.Scan(&t.Key, &t.Count); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// ForgetStats makes the next Stats compute the figures afresh.
func (s *Service) ForgetStats() {
	s.statsMu.Lock()
	s.statsAt = time.Time{}
	s.statsMu.Unlock()
}
