package zones

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
	"dataport/internal/zones/zsql"
)

// Roles are the item roles a zone may give.
var Roles = []zsql.Role{zsql.RoleKey, zsql.RoleAttribute, zsql.RoleText}

// isNumeric reports whether an item's values are numbers (which may be
// aggregated and clamped).
func isNumeric(t catalog.ItemType) bool { return t == catalog.TypeInteger || t == catalog.TypeDecimal }

// checkMember validates a member's item rules against its resource and
// returns them normalised: each names an item once, with a role (its
// default when none is given).
func checkMember(r catalog.Resource, in MemberInput) ([]ItemRule, error) {
	var errs validate.Errors
	if r.Status != catalog.StatusPublished {
		errs.Add("resource_id", r.ID, "not_published", "is not a published resource of the catalog (it is %s)", r.Status)
	}
	if !slices.ContainsFunc(r.Items, func(it catalog.Item) bool { return it.Key }) {
		errs.Add("resource_id", r.ID, "no_key", "has no key items: a zone resource needs key items that make one row one person")
	}
	out := make([]ItemRule, 0, len(in.Items))
	for i, rule := range in.Items {
		field := fmt.Sprintf("items[%d]", i)
		rule.Name = strings.TrimSpace(rule.Name)
		j := slices.IndexFunc(r.Items, func(it catalog.Item) bool { return it.Name == rule.Name })
		switch {
		case !errs.Required(field+".name", rule.Name):
			continue
		case j < 0:
			errs.Add(field+".name", rule.Name, "not_item", "is not a data item of resource %s", r.Code)
			continue
		case slices.ContainsFunc(out, func(o ItemRule) bool { return o.Name == rule.Name }):
			errs.Add(field+".name", rule.Name, validate.CodeDuplicate, "is listed twice")
			continue
		}
		it := r.Items[j]
		if rule.Role == "" {
			rule.Role = DefaultRole(it)
		}
		checkRule(&errs, field, it, rule)
		out = append(out, rule)
	}
	return out, errs.Err()
}

// checkRule checks one item's role and bounds.
func checkRule(errs *validate.Errors, field string, it catalog.Item, rule ItemRule) {
	validate.OneOf(errs, field+".role", rule.Role, Roles...)
	switch {
	case rule.Role == zsql.RoleKey && !it.Key:
		errs.Add(field+".role", rule.Role, "key_only_for_key_items", "only a key item of the resource can be a key")
	case it.Key && rule.Role != zsql.RoleKey:
		errs.Add(field+".role", rule.Role, "key_item_is_key", "a key item identifies a person: it stays a key")
	}
	if rule.Lower == nil && rule.Upper == nil {
		return
	}
	switch {
	case !isNumeric(it.Type):
		errs.Add(field+".lower", rule.Lower, "bounds_numeric_only", "clamping bounds apply to numeric items only (this one is %s)", it.Type)
	case rule.Role != zsql.RoleAttribute:
		errs.Add(field+".lower", rule.Lower, "bounds_attribute_only", "clamping bounds apply to attributes only")
	case rule.Lower == nil:
		errs.Add(field+".lower", nil, validate.CodeRequired, "is required with an upper bound")
	case rule.Upper == nil:
		errs.Add(field+".upper", nil, validate.CodeRequired, "is required with a lower bound")
	case !finite(*rule.Lower) || !finite(*rule.Upper):
		errs.Add(field+".upper", *rule.Upper, validate.CodeNumber, "bounds must be finite numbers")
	case *rule.Lower >= *rule.Upper:
		errs.Add(field+".upper", *rule.Upper, "above_lower", "must be above the lower bound %g", *rule.Lower)
	}
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// SetMember adds a resource with data to the zone or changes its item
// rules (platform operators, the steward's admins). The resource must be
// published and have key items; the rules name its items, give key roles
// to key items only and bounds to numeric attributes only. Items without
// a rule take their default role (DefaultRole).
func (s *Service) SetMember(ctx context.Context, actor identity.Principal, zoneID string, in MemberInput) (Zone, error) {
	if actor.IsAnonymous() {
		return Zone{}, identity.ErrUnauthenticated
	}
	in.ResourceID = strings.TrimSpace(in.ResourceID)
	var z Zone
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		var err error
		if z, err = s.manageable(ctx, tx, actor, zoneID); err != nil {
			return err
		}
		var errs validate.Errors
		if !errs.Required("resource_id", in.ResourceID) {
			return errs
		}
		r, err := s.cat.Get(ctx, identity.System, in.ResourceID)
		if errors.Is(err, store.ErrNotFound) {
			return validate.Errors{{Field: "resource_id", Value: in.ResourceID, Message: "no such resource", Code: validate.CodeUnknown}}
		} else if err != nil {
			return err
		}
		rules, err := checkMember(r, in)
		if err != nil {
			return err
		}
		now := store.TS(tx.Now())
		if _, err := tx.ExecContext(ctx, `INSERT INTO zone_resources (zone_id, resource_id, items, added_by, added_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (zone_id, resource_id) DO UPDATE SET items = excluded.items`,
			z.ID, r.ID, jsonText(rules), actor.UserID, now); err != nil {
			return fmt.Errorf("zones: set member: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE zones SET updated_at = $1 WHERE id = $2`, now, z.ID); err != nil {
			return err
		}
		return s.emitZone(ctx, tx, actor, z, "member_set", map[string]any{"resource_id": r.ID, "items": roleSummary(rules)})
	})
	if err != nil {
		return Zone{}, err
	}
	return s.zone(ctx, s.db, z.ID)
}

// roleSummary is what an event says of item rules: each item's role and
// whether it is bounded (item names are the catalog's, not personal data).
func roleSummary(rules []ItemRule) []map[string]any {
	out := make([]map[string]any, len(rules))
	for i, r := range rules {
		out[i] = map[string]any{"name": r.Name, "role": r.Role, "bounded": r.Lower != nil}
	}
	return out
}

// RemoveMember takes a resource out of the zone (platform operators, the
// steward's admins). Authorisations already given keep their grants
// until they end or are revoked.
func (s *Service) RemoveMember(ctx context.Context, actor identity.Principal, zoneID, resourceID string) (Zone, error) {
	if actor.IsAnonymous() {
		return Zone{}, identity.ErrUnauthenticated
	}
	var z Zone
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		var err error
		if z, err = s.manageable(ctx, tx, actor, zoneID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM zone_resources WHERE zone_id = $1 AND resource_id = $2`, z.ID, resourceID)
		if err != nil {
			return fmt.Errorf("zones: remove member: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return notFound("zone resource", resourceID)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE zones SET updated_at = $1 WHERE id = $2`, store.TS(tx.Now()), z.ID); err != nil {
			return err
		}
		return s.emitZone(ctx, tx, actor, z, "member_removed", map[string]any{"resource_id": resourceID})
	})
	if err != nil {
		return Zone{}, err
	}
	return s.zone(ctx, s.db, z.ID)
}

// manageable locks the zone for a change by actor: not found when actor
// may not see it, forbidden when actor may not manage it.
func (s *Service) manageable(ctx context.Context, tx *store.Tx, actor identity.Principal, zoneID string) (Zone, error) {
	z, err := s.lockZone(ctx, tx, zoneID)
	switch {
	case err != nil:
		return Zone{}, err
	case !s.canSee(actor, z):
		return Zone{}, notFound("zone", zoneID)
	case !CanManage(actor, z):
		return Zone{}, identity.ErrForbidden
	}
	return z, nil
}
