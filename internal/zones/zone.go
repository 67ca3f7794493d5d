package zones

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/validate"
	"dataport/internal/zones/zsql"
)

// ErrState means the zone's, the application's or the authorisation's
// state does not allow the action (409), like every other "not now".
var ErrState = catalog.ErrState

// Noises are the differential privacy mechanisms a zone may use.
var Noises = []string{"laplace", "gaussian"}

// codePattern is what a zone's code looks like: "ZONE-HEALTH".
var codePattern = regexp.MustCompile(`^[A-Z][A-Z0-9-]{1,39}$`)

// withDefaults returns r with its zero fields taken from DefaultRules (the
// review margin from the minimum cell size), and "sdc", which every zone
// offers, added last to the mechanisms when they lack it.
func (r Rules) withDefaults() Rules {
	d := DefaultRules
	if len(r.Mechanisms) == 0 {
		r.Mechanisms = slices.Clone(d.Mechanisms)
	}
	if !slices.Contains(r.Mechanisms, zsql.SDC) {
		r.Mechanisms = append(slices.Clone(r.Mechanisms), zsql.SDC)
	}
	if r.MinCellSize == 0 {
		r.MinCellSize = d.MinCellSize
	}
	if !r.DominanceOff {
		r.DominanceN = cmpOr(r.DominanceN, d.DominanceN)
		r.DominanceK = cmpOr(r.DominanceK, d.DominanceK)
	}
	r.EpsilonBudget = cmpOr(r.EpsilonBudget, d.EpsilonBudget)
	r.MaxEpsilon = cmpOr(r.MaxEpsilon, d.MaxEpsilon)
	r.Noise = cmpOr(r.Noise, d.Noise)
	r.Delta = cmpOr(r.Delta, d.Delta)
	r.MaxRowsScanned = cmpOr(r.MaxRowsScanned, d.MaxRowsScanned)
	r.MaxSeconds = cmpOr(r.MaxSeconds, d.MaxSeconds)
	r.MaxCells = cmpOr(r.MaxCells, d.MaxCells)
	if r.ReviewMargin == 0 {
		r.ReviewMargin = r.MinCellSize / 2
	}
	r.ReviewCells = cmpOr(r.ReviewCells, d.ReviewCells)
	return r
}

// cmpOr is cmp.Or for the rules' numbers and strings.
func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// validate records what is wrong with rules (defaults applied) under the
// field "rules".
func (r Rules) validate(errs *validate.Errors) {
	for i, m := range r.Mechanisms {
		field := fmt.Sprintf("rules.mechanisms[%d]", i)
		validate.OneOf(errs, field, m, zsql.SDC, zsql.DP)
		if slices.Index(r.Mechanisms, m) < i {
			errs.Add(field, m, validate.CodeDuplicate, "is listed twice")
		}
	}
	intRange(errs, "rules.min_cell_size", r.MinCellSize, 2, 10_000)
	if !r.DominanceOff {
		intRange(errs, "rules.dominance_n", r.DominanceN, 1, 10)
		if !(r.DominanceK > 0 && r.DominanceK <= 100) {
			errs.Add("rules.dominance_k", r.DominanceK, "percent", "must be a percentage above 0 and at most 100")
		}
	}
	positive(errs, "rules.epsilon_budget", r.EpsilonBudget, 1000)
	positive(errs, "rules.max_epsilon", r.MaxEpsilon, 1000)
	if r.MaxEpsilon > r.EpsilonBudget && r.EpsilonBudget > 0 {
		errs.Add("rules.max_epsilon", r.MaxEpsilon, "over_budget", "must be at most the epsilon budget %g", r.EpsilonBudget)
	}
	validate.OneOf(errs, "rules.noise", r.Noise, Noises...)
	if !(r.Delta > 0 && r.Delta < 0.01) {
		errs.Add("rules.delta", r.Delta, validate.CodeRange, "must be between %g and %g (exclusive)", 0.0, 0.01)
	}
	if r.MaxRowsScanned < 1 {
		errs.Add("rules.max_rows_scanned", r.MaxRowsScanned, validate.CodeAtLeast, "must be at least %d", 1)
	}
	intRange(errs, "rules.max_seconds", r.MaxSeconds, 1, 3600)
	intRange(errs, "rules.max_cells", r.MaxCells, 1, 1_000_000)
	intRange(errs, "rules.review_margin", r.ReviewMargin, 0, 10_000)
	intRange(errs, "rules.review_cells", r.ReviewCells, 1, 1_000_000)
}

func intRange(errs *validate.Errors, field string, v, lo, hi int) {
	if v < lo || v > hi {
		errs.Add(field, v, validate.CodeRange, "must be between %d and %d", lo, hi)
	}
}

// positive records a problem unless 0 < v <= hi.
func positive(errs *validate.Errors, field string, v, hi float64) {
	if !(v > 0 && v <= hi) || math.IsNaN(v) {
		errs.Add(field, v, "positive", "must be above 0 and at most %g", hi)
	}
}

// normalize trims the input's text.
func (in *ZoneInput) normalize() {
	for _, f := range []*string{&in.NameZh, &in.NameEn, &in.StewardOrgID, &in.DescriptionZh, &in.DescriptionEn} {
		*f = strings.TrimSpace(*f)
	}
	in.Code = strings.ToUpper(strings.TrimSpace(in.Code))
	in.Domain = Domain(strings.TrimSpace(string(in.Domain)))
}

// validateZone checks a zone as it would be written (the rules with
// their defaults) and its steward institution.
func (s *Service) validateZone(ctx context.Context, z Zone) error {
	var errs validate.Errors
	if errs.Required("code", z.Code) && !codePattern.MatchString(z.Code) {
		errs.Add("code", z.Code, validate.CodeFormat, "must be 2 to 40 capital letters, digits and hyphens, starting with a letter (ZONE-HEALTH)")
	}
	errs.Required("name_zh", z.NameZh)
	errs.MaxLen("name_zh", z.NameZh, 100)
	errs.MaxLen("name_en", z.NameEn, 200)
	validate.OneOf(&errs, "domain", z.Domain, Domains...)
	errs.MaxLen("description_zh", z.DescriptionZh, 4000)
	errs.MaxLen("description_en", z.DescriptionEn, 4000)
	if errs.Required("steward_org_id", z.StewardOrgID) {
		org, err := s.ids.Organization(ctx, z.StewardOrgID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			errs.Add("steward_org_id", z.StewardOrgID, validate.CodeUnknown, "no such organization")
		case err != nil:
			return err
		case !org.Kind.IsPublicBody():
			errs.Add("steward_org_id", z.StewardOrgID, "not_public_body", "is not a public institution: a zone's steward holds public data")
		}
	}
	z.Rules.validate(&errs)
	return errs.Err()
}

// CanCreate says whether p may create zones: platform operators.
func CanCreate(p identity.Principal) bool { return isPlatformOperator(p) }

// CanManage says whether p may change a zone's rules and members: platform
// operators and the steward institution's admins.
func CanManage(p identity.Principal, z Zone) bool {
	return isPlatformOperator(p) || p.AtLeast(z.StewardOrgID, identity.RoleAdmin)
}

// canSee says whether p may see z: anyone an active zone, platform staff
// and the steward's members a closed one too.
func (s *Service) canSee(p identity.Principal, z Zone) bool {
	return z.Status == ZoneActive || p.IsPlatformStaff() || s.isSteward(p, z)
}

// List returns active zones (anyone may list them; platform operators and
// stewards also see closed ones) and the cursor of the next page ("" at the end).
func (s *Service) List(ctx context.Context, actor identity.Principal, f ListFilter) ([]Zone, string, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 200)
	conds, args := []string{"code > $1"}, []any{f.Cursor}
	if f.Domain != "" {
		args = append(args, string(f.Domain))
		conds = append(conds, fmt.Sprintf("domain = $%d", len(args)))
	}
	if !actor.IsPlatformStaff() {
		args = append(args, ZoneActive)
		cond := fmt.Sprintf("(status = $%d", len(args))
		if orgs := actor.OrgIDs(); len(orgs) > 0 {
			cond += " OR steward_org_id IN (" + placeholders(&args, orgs) + ")"
		}
		conds = append(conds, cond+")")
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+zoneColumns+` FROM zones WHERE `+strings.Join(conds, " AND ")+
		fmt.Sprintf(` ORDER BY code LIMIT %d`, limit+1), args...)
	if err != nil {
		return nil, "", fmt.Errorf("zones: list: %w", err)
	}
	out := []Zone{}
	for rows.Next() {
		z, err := scanZone(rows)
		if err != nil {
			rows.Close()
			return nil, "", err
		}
		out = append(out, z)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out, next = out[:limit], out[limit-1].Code
	}
	for i := range out {
		if out[i].Members, err = s.members(ctx, s.db, out[i].ID); err != nil {
			return nil, "", err
		}
	}
	return out, next, nil
}

// placeholders appends vs to args and returns their placeholders, "$n, $m".
func placeholders(args *[]any, vs []string) string {
	ps := make([]string, len(vs))
	for i, v := range vs {
		*args = append(*args, v)
		ps[i] = fmt.Sprintf("$%d", len(*args))
	}
	return strings.Join(ps, ", ")
}

// Get returns a zone by id or code.
func (s *Service) Get(ctx context.Context, actor identity.Principal, idOrCode string) (Zone, error) {
	z, err := s.zone(ctx, s.db, idOrCode)
	if err != nil {
		return Zone{}, err
	}
	if !s.canSee(actor, z) {
		return Zone{}, notFound("zone", idOrCode)
	}
	return z, nil
}

// Create creates a zone (platform operators).
func (s *Service) Create(ctx context.Context, actor identity.Principal, in ZoneInput) (Zone, error) {
	if actor.IsAnonymous() {
		return Zone{}, identity.ErrUnauthenticated
	}
	if !CanCreate(actor) {
		return Zone{}, identity.ErrForbidden
	}
	in.normalize()
	z := Zone{ID: store.NewID(), Code: in.Code, NameZh: in.NameZh, NameEn: in.NameEn, Domain: in.Domain, StewardOrgID: in.StewardOrgID,
		DescriptionZh: in.DescriptionZh, DescriptionEn: in.DescriptionEn, Rules: in.Rules.withDefaults(), Status: ZoneActive,
		Members: []Member{}}
	if err := s.validateZone(ctx, z); err != nil {
		return Zone{}, err
	}
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		if err := codeFree(ctx, tx, z.Code, ""); err != nil {
			return err
		}
		z.CreatedAt, z.UpdatedAt = tx.Now(), tx.Now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO zones (id, code, name_zh, name_en, domain, steward_org_id, description_zh,
			description_en, rules, status, created_by, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$12)`,
			z.ID, z.Code, z.NameZh, z.NameEn, z.Domain, z.StewardOrgID, z.DescriptionZh, z.DescriptionEn, jsonText(z.Rules), z.Status,
			actor.UserID, store.TS(z.CreatedAt)); err != nil {
			return fmt.Errorf("zones: insert zone: %w", err)
		}
		return s.emitZone(ctx, tx, actor, z, "created", nil)
	})
	if err != nil {
		return Zone{}, err
	}
	return z, nil
}

// codeFree refuses a code another zone (not id) has.
func codeFree(ctx context.Context, q store.Querier, code, id string) error {
	taken, err := store.Strings(ctx, q, `SELECT id FROM zones WHERE code = $1 AND id <> $2`, code, id)
	if err != nil {
		return err
	}
	if len(taken) > 0 {
		return validate.Errors{{Field: "code", Value: code, Message: "another zone has this code", Code: validate.CodeDuplicate}}
	}
	return nil
}

// Update changes a zone's description and rules (platform operators, the
// steward's admins). Empty fields of in keep the zone's values; rules left
// entirely zero keep the zone's rules, otherwise they replace them (zero
// fields taking the defaults). Only platform operators change the code,
// the domain or the steward.
func (s *Service) Update(ctx context.Context, actor identity.Principal, id string, in ZoneInput) (Zone, error) {
	if actor.IsAnonymous() {
		return Zone{}, identity.ErrUnauthenticated
	}
	in.normalize()
	var z Zone
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		before, err := s.manageable(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		z = before
		var errs validate.Errors
		for _, f := range []struct {
			name      string
			v         string
			dst       *string
			ownerOnly bool
		}{{"code", in.Code, &z.Code, true}, {"domain", string(in.Domain), (*string)(&z.Domain), true},
			{"steward_org_id", in.StewardOrgID, &z.StewardOrgID, true}, {"name_zh", in.NameZh, &z.NameZh, false},
			{"name_en", in.NameEn, &z.NameEn, false}, {"description_zh", in.DescriptionZh, &z.DescriptionZh, false},
			{"description_en", in.DescriptionEn, &z.DescriptionEn, false}} {
			if f.v == "" || f.v == *f.dst {
				continue
			}
			if f.ownerOnly && !isPlatformOperator(actor) {
				errs.Add(f.name, f.v, "operator_only", "only the platform operator may change it")
			}
			*f.dst = f.v
		}
		if !reflect.DeepEqual(in.Rules, Rules{}) {
			z.Rules = in.Rules.withDefaults()
		}
		if err := errs.Err(); err != nil {
			return err
		}
		if err := s.validateZone(ctx, z); err != nil {
			return err
		}
		if err := codeFree(ctx, tx, z.Code, z.ID); err != nil {
			return err
		}
		z.UpdatedAt = tx.Now()
		if _, err := tx.ExecContext(ctx, `UPDATE zones SET code = $1, name_zh = $2, name_en = $3, domain = $4, steward_org_id = $5,
			description_zh = $6, description_en = $7, rules = $8, updated_at = $9 WHERE id = $10`,
			z.Code, z.NameZh, z.NameEn, z.Domain, z.StewardOrgID, z.DescriptionZh, z.DescriptionEn, jsonText(z.Rules),
			store.TS(z.UpdatedAt), z.ID); err != nil {
			return fmt.Errorf("zones: update zone: %w", err)
		}
		return s.emitZone(ctx, tx, actor, z, "updated", map[string]any{"changed": changedFields(before, z)})
	})
	if err != nil {
		return Zone{}, err
	}
	return z, nil
}

// changedFields names the fields of a zone an update changed.
func changedFields(a, b Zone) []string {
	changed := []string{}
	for _, f := range []struct {
		name string
		a, b any
	}{{"code", a.Code, b.Code}, {"name_zh", a.NameZh, b.NameZh}, {"name_en", a.NameEn, b.NameEn}, {"domain", a.Domain, b.Domain},
		{"steward_org_id", a.StewardOrgID, b.StewardOrgID}, {"description_zh", a.DescriptionZh, b.DescriptionZh},
		{"description_en", a.DescriptionEn, b.DescriptionEn}, {"rules", a.Rules, b.Rules}} {
		if !reflect.DeepEqual(f.a, f.b) {
			changed = append(changed, f.name)
		}
	}
	return changed
}

// emitZone writes the event "zone.<what>" of z: its identifiers, domain,
// steward and the hash of its rules, and extra.
func (s *Service) emitZone(ctx context.Context, tx *store.Tx, actor identity.Principal, z Zone, what string, extra map[string]any) error {
	payload := map[string]any{"code": z.Code, "domain": z.Domain, "steward_org_id": z.StewardOrgID,
		"rules_sha256": store.SHA256Hex(jsonText(z.Rules))}
	maps.Copy(payload, extra)
	return tx.Emit(ctx, store.Event{Type: "zone." + what, ActorUserID: actor.UserID, ActorOrgID: actingOrg(actor, z.StewardOrgID),
		SubjectKind: "zone", SubjectID: z.ID}, payload)
}

// actingOrg is the organization actor acts for in a change about orgID's
// affairs: orgID when a member, else none (platform staff).
func actingOrg(actor identity.Principal, orgID string) string {
	if actor.RoleIn(orgID) != "" {
		return orgID
	}
	return ""
}
