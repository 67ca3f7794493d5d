package access

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"dataport/internal/store"
)

const grantColumns = `g.id, g.grantee_kind, g.grantee_id, g.provider_org_id, g.purpose, g.policy, g.valid_from, g.valid_until,
	g.origin_kind, g.origin_id, g.created_by, g.created_at, g.revoked_at, g.revoked_by, g.revoke_reason,
	COALESCE(u.calls, 0), COALESCE(u.rows_served, 0), COALESCE(u.denied, 0), u.last_used_at`

const grantFrom = ` FROM grants g LEFT JOIN grant_usage u ON u.grant_id = g.id`

func scanGrant(row interface{ Scan(...any) error }) (Grant, error) {
	var g Grant
	var policy []byte
	var until, revoked, lastUsed time.Time
	err := row.Scan(&g.ID, &g.GranteeKind, &g.GranteeID, &g.ProviderOrgID, &g.Purpose, &policy,
		store.ScanTime(&g.ValidFrom), store.ScanTime(&until), &g.OriginKind, &g.OriginID, &g.CreatedBy,
		store.ScanTime(&g.CreatedAt), store.ScanTime(&revoked), &g.RevokedBy, &g.RevokeReason,
		&g.Usage.Calls, &g.Usage.Rows, &g.Usage.Denied, store.ScanTime(&lastUsed))
	if err != nil {
		return g, err
	}
	g.ValidUntil, g.RevokedAt, g.Usage.LastUsedAt = timePtr(until), timePtr(revoked), timePtr(lastUsed)
	if err := json.Unmarshal(policy, &g.Policy); err != nil {
		return g, fmt.Errorf("access: grant %s policy: %w", g.ID, err)
	}
	return g, nil
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// queryGrants returns the grants selected by cond (over alias g) with
// their resources and usage; tail orders and limits ("ORDER BY g.id").
func queryGrants(ctx context.Context, q store.Querier, cond, tail string, args ...any) ([]Grant, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+grantColumns+grantFrom+` WHERE `+cond+` `+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("access: grants: %w", err)
	}
	var out []Grant
	for rows.Next() {
		g, err := scanGrant(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, attachResources(ctx, q, out)
}

// attachResources fills the ResourceIDs of grants.
func attachResources(ctx context.Context, q store.Querier, grants []Grant) error {
	byID := make(map[string]*Grant, len(grants))
	for i := range grants {
		byID[grants[i].ID] = &grants[i]
	}
	for start := 0; start < len(grants); start += 500 {
		chunk := grants[start:min(start+500, len(grants))]
		ph, args := make([]string, len(chunk)), make([]any, len(chunk))
		for i, g := range chunk {
			ph[i], args[i] = fmt.Sprintf("$%d", i+1), g.ID
		}
		rows, err := q.QueryContext(ctx, `SELECT grant_id, resource_id FROM grant_resources
			WHERE grant_id IN (`+strings.Join(ph, ", ")+`) ORDER BY grant_id, resource_id`, args...)
		if err != nil {
			return fmt.Errorf("access: grant resources: %w", err)
		}
		for rows.Next() {
			var gid, rid string
			if err := rows.Scan(&gid, &rid); err != nil {
				rows.Close()
				return err
			}
			byID[gid].ResourceIDs = append(byID[gid].ResourceIDs, rid)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

func getGrant(ctx context.Context, q store.Querier, id string) (Grant, error) {
	gs, err := queryGrants(ctx, q, `g.id = $1`, ``, id)
	if err != nil {
		return Grant{}, err
	}
	if len(gs) == 0 {
		return Grant{}, fmt.Errorf("grant %q: %w", id, store.ErrNotFound)
	}
	return gs[0], nil
}

func insertGrant(ctx context.Context, tx *store.Tx, g Grant) error {
	policy, err := json.Marshal(g.Policy)
	if err != nil {
		return err
	}
	var until any
	if g.ValidUntil != nil {
		until = store.TS(*g.ValidUntil)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO grants (id, grantee_kind, grantee_id, provider_org_id, purpose, policy,
		valid_from, valid_until, origin_kind, origin_id, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`,
		g.ID, g.GranteeKind, g.GranteeID, g.ProviderOrgID, g.Purpose, string(policy), store.TS(g.ValidFrom), until,
		g.OriginKind, g.OriginID, g.CreatedBy, store.TS(g.CreatedAt))
	if err != nil {
		return fmt.Errorf("access: insert grant: %w", err)
	}
	for _, rid := range g.ResourceIDs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO grant_resources (grant_id, resource_id) VALUES ($1, $2)`, g.ID, rid); err != nil {
			return fmt.Errorf("access: insert grant resource: %w", err)
		}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO grant_usage (grant_id) VALUES ($1)`, g.ID)
	return err
}

// lockGrant reads a grant in tx, locking its row on PostgreSQL.
func lockGrant(ctx context.Context, tx *store.Tx, id string) (Grant, error) {
	if tx.Dialect == store.Postgres {
		var got string
		err := tx.QueryRowContext(ctx, `SELECT id FROM grants WHERE id = $1 FOR UPDATE`, id).Scan(&got)
		if errors.Is(err, sql.ErrNoRows) {
			return Grant{}, fmt.Errorf("grant %q: %w", id, store.ErrNotFound)
		} else if err != nil {
			return Grant{}, err
		}
	}
	return getGrant(ctx, tx, id)
}

// GrantFilter selects grants for Grants; zero fields match everything visible.
type GrantFilter struct {
	// Side is "received" (grants held by the caller or their organizations),
	// "issued" (grants on their organizations' data) or "" for both.
	Side       string
	ResourceID string
	OriginKind OriginKind
	Limit      int // 1–500, default 100
}

// where builds the SQL condition for f as seen by the holder of orgIDs and
// userID; all means platform staff, who see every grant.
func (f GrantFilter) where(userID string, orgIDs []string, all bool) (string, []any) {
	var conds []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	in := func(ids []string) string {
		ph := make([]string, len(ids))
		for i, id := range ids {
			ph[i] = arg(id)
		}
		return strings.Join(ph, ", ")
	}
	received := func() string {
		cond := "(g.grantee_kind = 'user' AND g.grantee_id = " + arg(userID) + ")"
		if len(orgIDs) == 0 {
			return cond
		}
		return "(" + cond + " OR (g.grantee_kind = 'organization' AND g.grantee_id IN (" + in(orgIDs) + "))" +
			" OR (g.grantee_kind = 'group' AND g.grantee_id IN (SELECT group_id FROM access_group_members WHERE organization_id IN (" + in(orgIDs) + "))))"
	}
	issued := func() string {
		if len(orgIDs) == 0 {
			return "FALSE"
		}
		return "g.provider_org_id IN (" + in(orgIDs) + ")"
	}
	switch {
	case f.Side == "received":
		conds = append(conds, received())
	case f.Side == "issued" && !all:
		conds = append(conds, issued())
	case !all:
		r := received()
		conds = append(conds, "("+r+" OR "+issued()+")")
	}
	if f.ResourceID != "" {
		conds = append(conds, "g.id IN (SELECT grant_id FROM grant_resources WHERE resource_id = "+arg(f.ResourceID)+")")
	}
	if f.OriginKind != "" {
		conds = append(conds, "g.origin_kind = "+arg(string(f.OriginKind)))
	}
	if len(conds) == 0 {
		return "TRUE", args
	}
	return strings.Join(conds, " AND "), args
}
