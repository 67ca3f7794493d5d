package stats

import (
	"context"
	"fmt"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/store"
)

// countBy runs a query of (org, number[, number]) rows and adds each
// number to its indicator for the row's organization.
func countBy(ctx context.Context, s *Service, t tally, codes []string, query string, args ...any) error {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("stats: %s: %w", codes[0], err)
	}
	defer rows.Close()
	for rows.Next() {
		var org string
		nums := make([]float64, len(codes))
		dest := []any{&org}
		for i := range nums {
			dest = append(dest, &nums[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		for i, code := range codes {
			t.add(org, code, nums[i], 0)
		}
	}
	return rows.Err()
}

// measureOpenLists: the items of the day's year's published open lists and
// those opened by the day's end.
func measureOpenLists(ctx context.Context, s *Service, w window, t tally, _ reportCache) error {
	end := store.TS(w.end)
	rows, err := s.db.QueryContext(ctx, `SELECT l.organization_id, COUNT(*),
		SUM(CASE WHEN r.published_at IS NOT NULL AND r.published_at < $2 AND r.status <> 'retired' AND r.open_type IN ($3, $4)
		THEN 1 ELSE 0 END)
		FROM open_list_items i JOIN open_lists l ON l.id = i.list_id LEFT JOIN resources r ON r.id = i.resource_id
		WHERE l.year = $1 AND l.published_at IS NOT NULL AND l.published_at < $2 AND i.created_at < $2
		GROUP BY l.organization_id`, w.start.Year(), end, string(catalog.OpenUnconditional), string(catalog.OpenConditional))
	if err != nil {
		return fmt.Errorf("stats: open lists: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var org string
		var listed, opened float64
		if err := rows.Scan(&org, &listed, &opened); err != nil {
			return err
		}
		t.add(org, OpenListFulfilment, opened, listed)
	}
	return rows.Err()
}

// measureDecisions: the day's access decisions on each institution's
// resources (the query starts from the resources, so that each resource's
// decisions of the day are one range of the decision log's (resource_id,
// at) index), and the rows served under them (served.go).
func measureDecisions(ctx context.Context, s *Service, w window, t tally, _ reportCache) error {
	err := countBy(ctx, s, t, []string{APICalls}, `SELECT r.organization_id, COUNT(*)
		FROM resources r JOIN access_decisions d ON d.resource_id = r.id AND d.at >= $1 AND d.at < $2
		GROUP BY r.organization_id`, store.TS(w.start), store.TS(w.end))
	if err != nil {
		return err
	}
	return countBy(ctx, s, t, []string{RowsServed}, `SELECT r.organization_id, SUM(v.rows_served)
		FROM stats_rows_served v JOIN resources r ON r.id = v.resource_id WHERE v.day = $1 GROUP BY r.organization_id`, w.day)
}

// measureReviews: share requests decided and granted and their hours to a
// decision; open-data applications filed and granted — from the review
// workflow's cases and history.
func measureReviews(ctx context.Context, s *Service, w window, t tally, _ reportCache) error {
	rows, err := s.db.QueryContext(ctx, `SELECT c.kind, c.subject_org_id, c.created_at, h.at, h.status
		FROM review_history h JOIN review_cases c ON c.id = h.case_id
		WHERE c.kind IN ('share_request', 'open_application') AND h.status IN ('granted', 'rejected')
		AND h.at >= $1 AND h.at < $2`, store.TS(w.start), store.TS(w.end))
	if err != nil {
		return fmt.Errorf("stats: review decisions: %w", err)
	}
	for rows.Next() {
		var kind, org, status string
		var filed, decided time.Time
		if err := rows.Scan(&kind, &org, store.ScanTime(&filed), store.ScanTime(&decided), &status); err != nil {
			rows.Close()
			return err
		}
		granted := b2f(status == "granted")
		if kind == "open_application" {
			t.add(org, OpenApplicationsGrant, granted, 0)
			continue
		}
		t.add(org, ShareDecided, 1, 0)
		t.add(org, ShareGranted, granted, 0)
		t.add(org, ShareDecisionHours, decided.Sub(filed).Hours(), 1)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	return countBy(ctx, s, t, []string{OpenApplications}, `SELECT subject_org_id, COUNT(*) FROM review_cases
		WHERE kind = 'open_application' AND created_at >= $1 AND created_at < $2 GROUP BY subject_org_id`,
		store.TS(w.start), store.TS(w.end))
}

// measureZones: queries submitted in each steward's zones.
func measureZones(ctx context.Context, s *Service, w window, t tally, _ reportCache) error {
	return countBy(ctx, s, t, []string{ZoneQueries}, `SELECT z.steward_org_id, COUNT(*) FROM zone_queries q
		JOIN zones z ON z.id = q.zone_id WHERE q.created_at >= $1 AND q.created_at < $2 GROUP BY z.steward_org_id`,
		store.TS(w.start), store.TS(w.end))
}

// measureExchange: contracts concluded and their amounts by provider, and
// the participants admitted (city-wide).
func measureExchange(ctx context.Context, s *Service, w window, t tally, _ reportCache) error {
	err := countBy(ctx, s, t, []string{ExchangeContracts, ExchangeVolume}, `SELECT provider_org_id, COUNT(*), SUM(amount_fen) / 100.0
		FROM trade_contracts WHERE created_at >= $1 AND created_at < $2 GROUP BY provider_org_id`,
		store.TS(w.start), store.TS(w.end))
	if err != nil {
		return err
	}
	var n float64
	err = s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM exchange_participants WHERE admitted_at IS NOT NULL AND admitted_at < $1`,
		store.TS(w.end)).Scan(&n)
	t.add(CityWide, ExchangeParticipants, n, 0)
	return err
}

// measureIncidents: incidents discovered on the day, open at its end, and
// the hours to report those reported on the day.
func measureIncidents(ctx context.Context, s *Service, w window, t tally, _ reportCache) error {
	start, end := store.TS(w.start), store.TS(w.end)
	err := countBy(ctx, s, t, []string{Incidents, IncidentsOpen}, `SELECT org_id,
		SUM(CASE WHEN discovered_at >= $1 THEN 1 ELSE 0 END),
		SUM(CASE WHEN closed_at IS NULL OR closed_at >= $2 THEN 1 ELSE 0 END)
		FROM incidents WHERE discovered_at < $2 GROUP BY org_id`, start, end)
	if err != nil {
		return err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT org_id, discovered_at, reported_at FROM incidents
		WHERE reported_at >= $1 AND reported_at < $2`, start, end)
	if err != nil {
		return fmt.Errorf("stats: incidents reported: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var org string
		var found, reported time.Time
		if err := rows.Scan(&org, store.ScanTime(&found), store.ScanTime(&reported)); err != nil {
			return err
		}
		t.add(org, IncidentReportHours, reported.Sub(found).Hours(), 1)
	}
	return rows.Err()
}

// measureAssessments: risk assessments completed and valid at the day's end.
func measureAssessments(ctx context.Context, s *Service, w window, t tally, _ reportCache) error {
	return countBy(ctx, s, t, []string{AssessmentsCurrent}, `SELECT org_id, COUNT(*) FROM risk_assessments
		WHERE completed_at IS NOT NULL AND completed_at < $1 AND (valid_until IS NULL OR valid_until >= $1) GROUP BY org_id`,
		store.TS(w.end))
}
