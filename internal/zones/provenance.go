package zones

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"dataport/internal/store"
)

// OutputOwner returns the organization whose released query an output
// keeps — the operator that may list it on the exchange as a product's
// zone output (its provenance: the zone, the query, the result's hash, on
// the output's page). An unknown id is store.ErrNotFound.
func (s *Service) OutputOwner(ctx context.Context, id string) (string, error) {
	var org string
	err := s.db.QueryRowContext(ctx, `SELECT q.operator_org_id FROM zone_outputs o JOIN zone_queries q ON q.id = o.query_id
		WHERE o.id = $1 AND q.status = $2`, id, QueryReleased).Scan(&org)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("zone output %s: %w", id, store.ErrNotFound)
	}
	return org, err
}
