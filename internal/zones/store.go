package zones

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"dataport/internal/catalog"
	"dataport/internal/store"
	"dataport/internal/zones/zsql"
)

// zoneColumns are the columns scanZone reads, in its order.
const zoneColumns = `id, code, name_zh, name_en, domain, steward_org_id, description_zh, description_en,
	rules, status, created_at, updated_at`

type rowScanner interface{ Scan(dest ...any) error }

func scanZone(r rowScanner) (Zone, error) {
	var z Zone
	var rules string
	err := r.Scan(&z.ID, &z.Code, &z.NameZh, &z.NameEn, &z.Domain, &z.StewardOrgID, &z.DescriptionZh,
		&z.DescriptionEn, &rules, &z.Status, store.ScanTime(&z.CreatedAt), store.ScanTime(&z.UpdatedAt))
	if err != nil {
		return z, err
	}
	if err := json.Unmarshal([]byte(rules), &z.Rules); err != nil {
		return z, fmt.Errorf("zones: zone %s rules: %w", z.ID, err)
	}
	return z, nil
}

// zone reads a zone (with members) by id or code, without permission checks.
func (s *Service) zone(ctx context.Context, q store.Querier, idOrCode string) (Zone, error) {
	z, err := scanZone(q.QueryRowContext(ctx, `SELECT `+zoneColumns+` FROM zones WHERE id = $1 OR code = $1
		ORDER BY CASE WHEN id = $1 THEN 0 ELSE 1 END LIMIT 1`, idOrCode))
	if errors.Is(err, sql.ErrNoRows) {
		return Zone{}, notFound("zone", idOrCode)
	}
	if err != nil {
		return Zone{}, fmt.Errorf("zones: read zone: %w", err)
	}
	z.Members, err = s.members(ctx, q, z.ID)
	return z, err
}

// lockZone reads a zone in tx and, on PostgreSQL, locks its row until tx
// ends, so that changes of one zone (rules, members) apply one after the
// other. SQLite transactions hold the write lock from BEGIN.
func (s *Service) lockZone(ctx context.Context, tx *store.Tx, idOrCode string) (Zone, error) {
	if tx.Dialect == store.Postgres {
		var id string
		err := tx.QueryRowContext(ctx, `SELECT id FROM zones WHERE id = $1 OR code = $1
			ORDER BY CASE WHEN id = $1 THEN 0 ELSE 1 END LIMIT 1 FOR UPDATE`, idOrCode).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return Zone{}, notFound("zone", idOrCode)
		} else if err != nil {
			return Zone{}, fmt.Errorf("zones: lock zone: %w", err)
		}
		idOrCode = id
	}
	return s.zone(ctx, tx, idOrCode)
}

// members reads a zone's member resources with their catalog details and
// every item's effective role (the zone's overrides on the items' defaults),
// in resource-id order.
func (s *Service) members(ctx context.Context, q store.Querier, zoneID string) ([]Member, error) {
	rows, err := q.QueryContext(ctx, `SELECT zr.resource_id, zr.items, zr.added_at,
		COALESCE(r.code, ''), COALESCE(r.title_zh, ''), COALESCE(r.title_en, ''), COALESCE(r.organization_id, ''),
		COALESCE(CAST(r.items AS TEXT), '[]')
		FROM zone_resources zr LEFT JOIN resources r ON r.id = zr.resource_id
		WHERE zr.zone_id = $1 ORDER BY zr.resource_id`, zoneID)
	if err != nil {
		return nil, fmt.Errorf("zones: read members: %w", err)
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		var m Member
		var rules, items string
		if err := rows.Scan(&m.ResourceID, &rules, store.ScanTime(&m.AddedAt), &m.Code, &m.TitleZh, &m.TitleEn,
			&m.OrgID, &items); err != nil {
			return nil, err
		}
		var overrides []ItemRule
		var catItems []catalog.Item
		if err := json.Unmarshal([]byte(rules), &overrides); err != nil {
			return nil, fmt.Errorf("zones: member %s rules: %w", m.ResourceID, err)
		}
		if err := json.Unmarshal([]byte(items), &catItems); err != nil {
			return nil, fmt.Errorf("zones: member %s items: %w", m.ResourceID, err)
		}
		m.Items = effectiveItems(catItems, overrides)
		out = append(out, m)
	}
	return out, rows.Err()
}

// DefaultRole is the role an item has in a zone unless the zone says
// otherwise: key items are keys; numeric, date, date-time and boolean items
// and items with a code list are attributes; other text is free text.
func DefaultRole(it catalog.Item) zsql.Role {
	switch {
	case it.Key:
		return zsql.RoleKey
	case it.Type == catalog.TypeText && len(it.CodeList) == 0:
		return zsql.RoleText
	default:
		return zsql.RoleAttribute
	}
}

// effectiveItems lists every item of a resource, in the catalog's order,
// with the zone's rule for it or its default role.
func effectiveItems(items []catalog.Item, overrides []ItemRule) []ItemRule {
	out := make([]ItemRule, 0, len(items))
	for _, it := range items {
		rule := ItemRule{Name: it.Name, Role: DefaultRole(it)}
		if i := slices.IndexFunc(overrides, func(r ItemRule) bool { return r.Name == it.Name }); i >= 0 {
			rule = overrides[i]
		}
		out = append(out, rule)
	}
	return out
}

// jsonText marshals v for a TEXT column holding JSON.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("zones: marshal %T: %v", v, err))
	}
	return string(b)
}

// notFound wraps store.ErrNotFound with what was not found.
func notFound(what, id string) error { return fmt.Errorf("%s %q: %w", what, id, store.ErrNotFound) }

// micro converts epsilon to micro-epsilon (rounded to the nearest).
func micro(eps float64) int64 { return int64(eps*1e6 + 0.5) }

// epsilon converts micro-epsilon back.
func epsilon(m int64) float64 { return float64(m) / 1e6 }
