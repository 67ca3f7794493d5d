package zones

import (
	"context"
	"fmt"

	"dataport/internal/identity"
)

// Usage returns each operator's metering in a zone (the steward and
// platform operators see all operators, an operator its own): queries by
// outcome, rows scanned, compute time, cells released and epsilon spent.
func (s *Service) Usage(ctx context.Context, actor identity.Principal, zoneID string) ([]Usage, error) {
	if actor.IsAnonymous() {
		return nil, identity.ErrUnauthenticated
	}
	z, err := s.zone(ctx, s.db, zoneID)
	if err != nil {
		return nil, err
	}
	where, args := "zone_id = $1", []any{z.ID, QueryReleased, QueryRefused, QueryReview}
	if !isPlatformOperator(actor) && !s.isSteward(actor, z) {
		orgs := actor.OrgIDs()
		if len(orgs) == 0 {
			return []Usage{}, nil
		}
		where += " AND operator_org_id IN (" + placeholders(&args, orgs) + ")"
	}
	rows, err := s.db.QueryContext(ctx, `SELECT operator_org_id, COUNT(*),
		SUM(CASE WHEN status = $2 THEN 1 ELSE 0 END), SUM(CASE WHEN status = $3 THEN 1 ELSE 0 END),
		SUM(CASE WHEN status = $4 THEN 1 ELSE 0 END), SUM(rows_scanned), SUM(compute_ms),
		SUM(CASE WHEN status = $2 THEN released_cells ELSE 0 END), SUM(epsilon_spent_micro)
		FROM zone_queries WHERE `+where+` GROUP BY operator_org_id ORDER BY operator_org_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("zones: usage: %w", err)
	}
	defer rows.Close()
	out := []Usage{}
	for rows.Next() {
		var u Usage
		var spent int64
		if err := rows.Scan(&u.OperatorOrgID, &u.Queries, &u.Released, &u.Refused, &u.InReview, &u.RowsScanned, &u.ComputeMS,
			&u.CellsReleased, &spent); err != nil {
			return nil, err
		}
		u.EpsilonSpent = epsilon(spent)
		out = append(out, u)
	}
	return out, rows.Err()
}
