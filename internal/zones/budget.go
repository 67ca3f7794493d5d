package zones

import (
	"context"
	"fmt"
	"slices"

	"dataport/internal/store"
)

// chargeBudgets charges micro (epsilon × 1e6) to the operator's budget on
// each resource atomically (a conditional UPDATE per resource in tx, so
// concurrent queries on any replica never overspend) and returns the
// least remaining; ErrBudget, changing nothing, when one cannot take it
// (or the operator has no budget there). The caller emits the charge's
// event (zone.budget.charged) with its query in the same transaction.
func (s *Service) chargeBudgets(ctx context.Context, tx *store.Tx, zoneID, orgID string, resourceIDs []string, micro int64) (int64, error) {
	if micro < 0 {
		return 0, fmt.Errorf("zones: negative epsilon charge %d", micro)
	}
	// One order for every transaction, so that two charges on the same
	// resources never wait for each other crosswise (PostgreSQL row locks).
	ids := slices.Sorted(slices.Values(resourceIDs))
	ids = slices.Compact(ids)
	if len(ids) == 0 {
		return 0, fmt.Errorf("zones: a charge needs resources")
	}
	// A savepoint makes the charge all-or-nothing even when the caller
	// goes on with the transaction after ErrBudget (to record the refusal).
	if _, err := tx.ExecContext(ctx, `SAVEPOINT zone_budget_charge`); err != nil {
		return 0, fmt.Errorf("zones: budget savepoint: %w", err)
	}
	for _, id := range ids {
		res, err := tx.ExecContext(ctx, `UPDATE zone_budgets SET spent_micro = spent_micro + $1, updated_at = $2
			WHERE zone_id = $3 AND operator_org_id = $4 AND resource_id = $5 AND spent_micro + $1 <= total_micro`,
			micro, store.TS(tx.Now()), zoneID, orgID, id)
		if err != nil {
			return 0, fmt.Errorf("zones: charge budget: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return 0, fmt.Errorf("zones: charge budget: %w", err)
		} else if n == 0 {
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT zone_budget_charge`); err != nil {
				return 0, fmt.Errorf("zones: undo budget charge: %w", err)
			}
			return 0, fmt.Errorf("resource %s: %w", id, ErrBudget)
		}
	}
	if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT zone_budget_charge`); err != nil {
		return 0, fmt.Errorf("zones: release budget savepoint: %w", err)
	}
	return s.budgetLeft(ctx, tx, zoneID, orgID, ids)
}

// budgetLeft returns the least remaining micro-epsilon of the operator on
// the resources (0 when it has no budget on one of them).
func (s *Service) budgetLeft(ctx context.Context, q store.Querier, zoneID, orgID string, resourceIDs []string) (int64, error) {
	have, err := budgetRows(ctx, q, zoneID, orgID)
	if err != nil || len(resourceIDs) == 0 {
		return 0, err
	}
	least := int64(-1)
	for _, id := range resourceIDs {
		b := have[id] // zero: no budget
		if left := b.total - b.spent; least < 0 || left < least {
			least = left
		}
	}
	return least, nil
}

// budgets returns the operator's budgets on those of the resources of a
// zone it has one on, in the order of resourceIDs.
func (s *Service) budgets(ctx context.Context, q store.Querier, zoneID, orgID string, resourceIDs []string) ([]Budget, error) {
	have, err := budgetRows(ctx, q, zoneID, orgID)
	if err != nil {
		return nil, err
	}
	out := []Budget{}
	for _, id := range resourceIDs {
		if b, ok := have[id]; ok {
			out = append(out, Budget{ResourceID: id, Total: epsilon(b.total), Spent: epsilon(b.spent),
				Remaining: epsilon(b.total - b.spent)})
		}
	}
	return out, nil
}

type budgetRow struct{ total, spent int64 }

// budgetRows reads an operator's budgets in a zone by resource.
func budgetRows(ctx context.Context, q store.Querier, zoneID, orgID string) (map[string]budgetRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT resource_id, total_micro, spent_micro FROM zone_budgets
		WHERE zone_id = $1 AND operator_org_id = $2`, zoneID, orgID)
	if err != nil {
		return nil, fmt.Errorf("zones: read budgets: %w", err)
	}
	defer rows.Close()
	have := map[string]budgetRow{}
	for rows.Next() {
		var id string
		var b budgetRow
		if err := rows.Scan(&id, &b.total, &b.spent); err != nil {
			return nil, err
		}
		have[id] = b
	}
	return have, rows.Err()
}
