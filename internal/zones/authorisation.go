package zones

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
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

// canSeeAuthorisations says whether p sees every authorisation of z:
// platform staff and the steward's members.
func (s *Service) canSeeAuthorisations(p identity.Principal, z Zone) bool {
	return p.IsPlatformStaff() || s.isSteward(p, z)
}

// Authorisations lists the authorisations of a zone (zoneID "" for all)
// that actor may see: its organizations', or all to the steward and
// platform staff; newest first.
func (s *Service) Authorisations(ctx context.Context, actor identity.Principal, zoneID string) ([]Authorisation, error) {
	if actor.IsAnonymous() {
		return nil, identity.ErrUnauthenticated
	}
	var conds []string
	var args []any
	if zoneID != "" {
		z, err := s.Get(ctx, actor, zoneID)
		if err != nil {
			return nil, err
		}
		args = append(args, z.ID)
		conds = append(conds, "zone_id = $1")
		if s.canSeeAuthorisations(actor, z) {
			return s.queryAuthorisations(ctx, s.db, s.now(), conds[0], args...)
		}
	}
	if !actor.IsPlatformStaff() {
		orgs := actor.OrgIDs()
		if len(orgs) == 0 {
			return []Authorisation{}, nil
		}
		mine := "operator_org_id IN (" + placeholders(&args, orgs) + ")"
		if zoneID == "" {
			mine = "(" + mine + " OR zone_id IN (SELECT id FROM zones WHERE steward_org_id IN (" + placeholders(&args, orgs) + ")))"
		}
		conds = append(conds, mine)
	}
	if len(conds) == 0 {
		conds = []string{"1 = 1"}
	}
	list, err := s.queryAuthorisations(ctx, s.db, s.now(), strings.Join(conds, " AND "), args...)
	if list == nil && err == nil {
		list = []Authorisation{}
	}
	return list, err
}

// Authorisation returns one authorisation with its budgets, to its
// operator's members, the zone's steward and platform staff.
func (s *Service) Authorisation(ctx context.Context, actor identity.Principal, id string) (Authorisation, error) {
	if actor.IsAnonymous() {
		return Authorisation{}, identity.ErrUnauthenticated
	}
	a, err := s.authorisation(ctx, s.db, id)
	if err != nil {
		return Authorisation{}, err
	}
	z, err := s.zone(ctx, s.db, a.ZoneID)
	if err != nil {
		return Authorisation{}, err
	}
	if actor.RoleIn(a.OperatorOrgID) == "" && !s.canSeeAuthorisations(actor, z) {
		return Authorisation{}, notFound("authorisation", id)
	}
	return a, nil
}

// ErrRevoked means the authorisation is already revoked.
var ErrRevoked = fmt.Errorf("the authorisation is already revoked: %w", ErrState)

// Revoke ends an authorisation at once and revokes its grants (the
// steward's admins, platform operators), in one transaction; the next
// query is refused. Its budgets stay as spent.
func (s *Service) Revoke(ctx context.Context, actor identity.Principal, id, reason string) (Authorisation, error) {
	if actor.IsAnonymous() {
		return Authorisation{}, identity.ErrUnauthenticated
	}
	reason = strings.TrimSpace(reason)
	var errs validate.Errors
	errs.Required("reason", reason)
	errs.MaxLen("reason", reason, 1000)
	if err := errs.Err(); err != nil {
		return Authorisation{}, err
	}
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		a, err := s.lockAuthorisation(ctx, tx, id)
		if err != nil {
			return err
		}
		z, err := s.zone(ctx, tx, a.ZoneID)
		if err != nil {
			return err
		}
		switch {
		case actor.RoleIn(a.OperatorOrgID) == "" && !s.canSeeAuthorisations(actor, z):
			return notFound("authorisation", id)
		case !CanManage(actor, z):
			return identity.ErrForbidden
		case a.RevokedAt != nil:
			return ErrRevoked
		}
		for _, g := range a.GrantIDs {
			if _, err := s.acc.RevokeIn(ctx, tx, actor, g, reason); err != nil {
				return fmt.Errorf("zones: revoke grant %s: %w", g, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE zone_authorisations SET revoked_at = $1, revoked_by = $2, revoke_reason = $3
			WHERE id = $4`, store.TS(tx.Now()), actor.UserID, reason, a.ID); err != nil {
			return fmt.Errorf("zones: revoke authorisation: %w", err)
		}
		return tx.Emit(ctx, store.Event{Type: "zone.authorisation_revoked", ActorUserID: actor.UserID,
			ActorOrgID: actingOrg(actor, z.StewardOrgID), SubjectKind: "zone_authorisation", SubjectID: a.ID},
			map[string]any{"zone_id": a.ZoneID, "operator_org_id": a.OperatorOrgID, "grant_ids": a.GrantIDs,
				"reason_sha256": store.SHA256Hex(reason)})
	})
	if err != nil {
		return Authorisation{}, err
	}
	return s.authorisation(ctx, s.db, id)
}

// lockAuthorisation reads an authorisation in tx, locking its row on
// PostgreSQL until tx ends (SQLite transactions hold the write lock).
func (s *Service) lockAuthorisation(ctx context.Context, tx *store.Tx, id string) (Authorisation, error) {
	if tx.Dialect == store.Postgres {
		var got string
		err := tx.QueryRowContext(ctx, `SELECT id FROM zone_authorisations WHERE id = $1 FOR UPDATE`, id).Scan(&got)
		if errors.Is(err, sql.ErrNoRows) {
			return Authorisation{}, notFound("authorisation", id)
		} else if err != nil {
			return Authorisation{}, err
		}
	}
	return s.authorisation(ctx, tx, id)
}
