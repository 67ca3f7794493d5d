package datastore

import (
	"context"
	"fmt"
	"strings"

	"dataport/internal/identity"
)

// Held lists the versions the legality check holds back, oldest first, of
// the resources actor is an insider of (every resource for platform staff;
// those of the institutions where actor is an editor or admin otherwise),
// without their reports, at most limit (1–500, default 100).
func (s *Service) Held(ctx context.Context, actor identity.Principal, limit int) ([]DataVersion, error) {
	if actor.IsAnonymous() {
		return nil, identity.ErrUnauthenticated
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	where, args := "v.status = $1", []any{StatusHeld}
	if !actor.IsPlatformStaff() {
		var marks []string
		for _, m := range actor.Memberships {
			if actor.AtLeast(m.OrganizationID, identity.RoleEditor) {
				args = append(args, m.OrganizationID)
				marks = append(marks, fmt.Sprintf("$%d", len(args)))
			}
		}
		if len(marks) == 0 {
			return []DataVersion{}, nil
		}
		where += " AND r.organization_id IN (" + strings.Join(marks, ", ") + ")"
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+versionColumns+` FROM datastore_versions v
		JOIN resources r ON r.id = v.resource_id
		LEFT JOIN datastore_current c ON c.resource_id = v.resource_id
		WHERE `+where+fmt.Sprintf(` ORDER BY v.created_at, v.resource_id, v.version LIMIT %d`, limit), args...)
	if err != nil {
		return nil, fmt.Errorf("datastore: held versions: %w", err)
	}
	defer rows.Close()
	out := []DataVersion{}
	for rows.Next() {
		v, err := scanVersion(rows, false)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
