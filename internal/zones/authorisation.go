package zones

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"dataport/internal/store"
)

// authColumns are the columns scanAuthorisation reads, in its order.
const authColumns = `id, zone_id, application_id, operator_org_id, scenario, resource_ids, grant_ids,
	valid_from, valid_until, revoked_at, revoke_reason, created_at`

func scanAuthorisation(r rowScanner) (Authorisation, error) {
	var a Authorisation
	var resources, grants string
	var revokedAt time.Time
	err := r.Scan(&a.ID, &a.ZoneID, &a.ApplicationID, &a.OperatorOrgID, &a.Scenario, &resources, &grants,
		store.ScanTime(&a.ValidFrom), store.ScanTime(&a.ValidUntil), store.ScanTime(&revokedAt), &a.RevokeReason,
		store.ScanTime(&a.CreatedAt))
	if err != nil {
		return a, err
	}
	if !revokedAt.IsZero() {
		a.RevokedAt = &revokedAt
	}
	if err := json.Unmarshal([]byte(resources), &a.ResourceIDs); err != nil {
		return a, fmt.Errorf("zones: authorisation %s resources: %w", a.ID, err)
	}
	if err := json.Unmarshal([]byte(grants), &a.GrantIDs); err != nil {
		return a, fmt.Errorf("zones: authorisation %s grants: %w", a.ID, err)
	}
	return a, nil
}

// authStatus is an authorisation's state at now: revoked, pending (not
// yet valid), expired (ValidUntil passed) or active.
func authStatus(a Authorisation, now time.Time) string {
	switch {
	case a.RevokedAt != nil:
		return AuthRevoked
	case now.Before(a.ValidFrom):
		return AuthPending
	case !now.Before(a.ValidUntil):
		return AuthExpired
	default:
		return AuthActive
	}
}

// queryAuthorisations reads authorisations (where is a condition on
// zone_authorisations with $n placeholders for args), newest first, with
// their status at now and their budgets.
func (s *Service) queryAuthorisations(ctx context.Context, q store.Querier, now time.Time, where string, args ...any) ([]Authorisation, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+authColumns+` FROM zone_authorisations WHERE `+where+
		` ORDER BY created_at DESC, id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("zones: read authorisations: %w", err)
	}
	var out []Authorisation
	for rows.Next() {
		a, err := scanAuthorisation(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		a.Status = authStatus(a, now)
		out = append(out, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Budgets, err = s.budgets(ctx, q, out[i].ZoneID, out[i].OperatorOrgID, out[i].ResourceIDs); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// authorisation reads one authorisation by id, without permission checks.
func (s *Service) authorisation(ctx context.Context, q store.Querier, id string) (Authorisation, error) {
	list, err := s.queryAuthorisations(ctx, q, s.now(), `id = $1`, id)
	if err != nil {
		return Authorisation{}, err
	}
	if len(list) == 0 {
		return Authorisation{}, notFound("authorisation", id)
	}
	return list[0], nil
}

// ErrNoAuthorisation means the operator holds no authorisation in force in
// the zone; it wraps store.ErrNotFound.
var ErrNoAuthorisation = fmt.Errorf("no authorisation in force in the zone: %w", store.ErrNotFound)

// activeAuthorisation returns the authorisation under which an operator
// (one of orgIDs) may compute in the zone at now, covering its resources
// (the newest of those in force); store.ErrNotFound wrapped with a message
// when there is none (expired, revoked, not yet valid).
func (s *Service) activeAuthorisation(ctx context.Context, q store.Querier, zoneID string, orgIDs []string, now time.Time) (Authorisation, error) {
	if len(orgIDs) == 0 {
		return Authorisation{}, fmt.Errorf("%w (the caller acts for no organization)", ErrNoAuthorisation)
	}
	list, err := s.queryAuthorisations(ctx, q, now, `zone_id = $1`, zoneID)
	if err != nil {
		return Authorisation{}, err
	}
	var seen []string
	for _, a := range list {
		if !slices.Contains(orgIDs, a.OperatorOrgID) {
			continue
		}
		if a.Status == AuthActive {
			return a, nil
		}
		seen = append(seen, a.Status)
	}
	if len(seen) == 0 {
		return Authorisation{}, ErrNoAuthorisation
	}
	// The newest one says why (revoked, expired, not yet valid).
	return Authorisation{}, fmt.Errorf("%w (the latest is %s)", ErrNoAuthorisation, seen[0])
}

// isNoRows reports whether err is database/sql's "no rows".
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
