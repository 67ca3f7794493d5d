package zones

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"dataport/internal/access"
	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// ApplicationKind names operators' applications as review cases.
const ApplicationKind = "zone_application"

// The steps of an application: the steward institution's admins or
// editors, then the platform operators (any one of each).
const (
	StepStewardReview  = "steward_review"
	StepOperatorReview = "operator_review"
)

// MaxPeriod is the longest an authorisation may last.
const MaxPeriod = 5 * 365 * 24 * time.Hour

// appRecord is an application with its review case (never encoded).
type appRecord struct {
	Application
	review.State `json:"-"`
}

func (s *Service) registerApplications() review.Records[appRecord] {
	w := s.cfg.Review.Register(review.Kind{Name: ApplicationKind, Title: "zone application", Noun: "application", Article: "an",
		Link: "/zones/applications/", FilerOrgRole: identity.RoleAdmin, AnswerDays: 10,
		Steps: []review.Step{
			{Name: StepStewardReview, Need: review.AnyOf, Days: 10, RemindDays: 2,
				Reviewers: []review.Reviewer{{Name: "steward", Party: review.PartySubject, Role: identity.RoleEditor}}},
			{Name: StepOperatorReview, Need: review.AnyOf, Days: 5, RemindDays: 1,
				Reviewers: []review.Reviewer{{Name: "platform_operator", Platform: []identity.PlatformRole{identity.PlatformOperator, identity.PlatformSysadmin}}}},
		},
		Notices: map[string]string{StepStewardReview: "zone.application_submitted", StepOperatorReview: "zone.application_to_operator",
			"approved": "zone.authorised", string(review.StatusRejected): "zone.application_rejected",
			string(review.StatusMoreInfo): "zone.application_returned"},
		Payload: s.applicationPayload, Decided: s.applicationDecided})
	return review.Records[appRecord]{Workflow: w, Scan: scanApplication, Attach: attachCase,
		Select: `SELECT id, zone_id, operator_org_id, scenario, document_no, document_title, resource_ids, epsilon_micro,
			valid_from, valid_until, authorisation_id, created_by, created_at FROM zone_applications`}
}

func scanApplication(row review.Row) (string, appRecord, error) {
	var a Application
	var resources string
	var eps int64
	err := row.Scan(&a.ID, &a.ZoneID, &a.OperatorOrgID, &a.Scenario, &a.DocumentNo, &a.DocumentTitle, &resources, &eps,
		store.ScanTime(&a.ValidFrom), store.ScanTime(&a.ValidUntil), &a.AuthorisationID, &a.CreatedBy, store.ScanTime(&a.CreatedAt))
	if err != nil {
		return "", appRecord{}, err
	}
	a.EpsilonBudget = epsilon(eps)
	if err := json.Unmarshal([]byte(resources), &a.ResourceIDs); err != nil {
		return "", appRecord{}, fmt.Errorf("zones: application %s resources: %w", a.ID, err)
	}
	return a.ID, appRecord{Application: a}, nil
}

// attachCase fills in what an application shows of its case.
func attachCase(rec *appRecord, c review.Case) {
	rec.Application.Status = string(c.Status)
	if !c.Open() && (c.Status == "approved" || c.Status == review.StatusRejected) {
		at := c.UpdatedAt
		rec.Application.DecidedAt = &at
	}
}

func (s *Service) applicationPayload(ctx context.Context, q store.Querier, c review.Case) (map[string]any, error) {
	rec, err := s.apps.Record(ctx, q, c.ID)
	if err != nil {
		return nil, err
	}
	a := rec.Application
	return map[string]any{"zone_id": a.ZoneID, "operator_org_id": a.OperatorOrgID, "resource_ids": a.ResourceIDs,
		"epsilon_micro": micro(a.EpsilonBudget), "valid_from": a.ValidFrom, "valid_until": a.ValidUntil,
		"scenario_sha256": store.SHA256Hex(a.Scenario), "authorisation_id": a.AuthorisationID, "status": c.Status}, nil
}

func (in *ApplicationInput) normalize() {
	for _, f := range []*string{&in.OperatorOrgID, &in.Scenario, &in.DocumentNo, &in.DocumentTitle} {
		*f = strings.TrimSpace(*f)
	}
	for i := range in.ResourceIDs {
		in.ResourceIDs[i] = strings.TrimSpace(in.ResourceIDs[i])
	}
	in.ValidFrom = in.ValidFrom.UTC().Truncate(time.Microsecond)
	in.ValidUntil = in.ValidUntil.UTC().Truncate(time.Microsecond)
}

// CanOperate says whether organizations of kind k may apply to work in a
// zone: companies, institutions and authorised operating bodies.
func CanOperate(k identity.OrgKind) bool {
	return k == identity.KindEnterprise || k == identity.KindInstitution || k == identity.KindOperator
}

// applicant returns the organization actor applies for: the one named,
// which actor must belong to, or actor's only company or institution.
func (s *Service) applicant(ctx context.Context, actor identity.Principal, orgID string) (string, error) {
	fail := func(code, msg string) (string, error) {
		return "", validate.Errors{{Field: "operator_org_id", Value: orgID, Message: msg, Code: code}}
	}
	if orgID == "" {
		var mine []string
		for _, m := range actor.Memberships {
			if CanOperate(m.OrgKind) {
				mine = append(mine, m.OrganizationID)
			}
		}
		switch len(mine) {
		case 0:
			return fail("no_operator_org", "you belong to no company or institution that could operate in a zone")
		case 1:
			return mine[0], nil
		}
		return fail(validate.CodeRequired, "is required: you belong to several organizations")
	}
	if actor.RoleIn(orgID) == "" {
		return fail("not_member", "is not an organization you belong to")
	}
	org, err := s.ids.Organization(ctx, orgID)
	if err != nil {
		return "", err
	}
	if !CanOperate(org.Kind) {
		return fail("not_operator_kind", "is not a company or institution: only they operate in zones")
	}
	return orgID, nil
}

// checkApplication validates in against the zone at now and returns the
// application it files (the period starting now when it names no start,
// the zone's budget when it asks none).
func checkApplication(z Zone, in ApplicationInput, now time.Time) (Application, error) {
	var errs validate.Errors
	errs.Required("scenario", in.Scenario)
	errs.MaxLen("scenario", in.Scenario, 500)
	errs.Required("document_no", in.DocumentNo)
	errs.MaxLen("document_no", in.DocumentNo, 100)
	errs.MaxLen("document_title", in.DocumentTitle, 200)
	if len(in.ResourceIDs) == 0 {
		errs.Add("resource_ids", nil, validate.CodeAtLeast, "at least %d resource of the zone is required", 1)
	}
	for i, id := range in.ResourceIDs {
		field := fmt.Sprintf("resource_ids[%d]", i)
		switch {
		case !slices.Contains(z.ResourceIDs(), id):
			errs.Add(field, id, "not_member", "is not a resource of zone %s", z.Code)
		case slices.Index(in.ResourceIDs, id) < i:
			errs.Add(field, id, validate.CodeDuplicate, "is listed twice")
		}
	}
	eps := in.EpsilonBudget
	switch {
	case eps == 0:
		eps = z.Rules.EpsilonBudget
	case !(eps > 0) || eps > z.Rules.EpsilonBudget || micro(eps) == 0:
		errs.Add("epsilon_budget", in.EpsilonBudget, "epsilon_budget", "must be above 0 and at most the zone's budget %g", z.Rules.EpsilonBudget)
	}
	from := in.ValidFrom
	if from.IsZero() {
		from = now
	}
	switch {
	case in.ValidUntil.IsZero():
		errs.Add("valid_until", nil, validate.CodeRequired, "is required")
	case !in.ValidUntil.After(from):
		errs.Add("valid_until", in.ValidUntil, "after_start", "must be after valid_from")
	case !in.ValidUntil.After(now):
		errs.Add("valid_until", in.ValidUntil, "in_future", "must be in the future")
	case in.ValidUntil.Sub(from) > MaxPeriod:
		errs.Add("valid_until", in.ValidUntil, "max_period", "the period may last at most %d years", 5)
	}
	if err := errs.Err(); err != nil {
		return Application{}, err
	}
	return Application{ID: store.NewID(), ZoneID: z.ID, Scenario: in.Scenario, DocumentNo: in.DocumentNo,
		DocumentTitle: in.DocumentTitle, ResourceIDs: slices.Clone(in.ResourceIDs), EpsilonBudget: epsilon(micro(eps)),
		ValidFrom: from, ValidUntil: in.ValidUntil}, nil
}

// Apply files an operator's application (a member of a company or
// institution, for its organization): it waits for the steward's review.
// An organization with an application to the zone under review cannot
// file another.
func (s *Service) Apply(ctx context.Context, actor identity.Principal, zoneID string, in ApplicationInput) (Application, error) {
	if actor.IsAnonymous() {
		return Application{}, identity.ErrUnauthenticated
	}
	z, err := s.Get(ctx, actor, zoneID)
	if err != nil {
		return Application{}, err
	}
	if z.Status != ZoneActive {
		return Application{}, validate.Refuse(ErrState, "zone_closed", "the zone is closed: it takes no applications")
	}
	in.normalize()
	org, err := s.applicant(ctx, actor, in.OperatorOrgID)
	if err != nil {
		return Application{}, err
	}
	a, err := checkApplication(z, in, s.now())
	if err != nil {
		return Application{}, err
	}
	a.OperatorOrgID, a.CreatedBy = org, actor.UserID
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		// One application at a time per zone: two filed at once by the
		// same organization cannot both find none open.
		if _, err := s.lockZone(ctx, tx, z.ID); err != nil {
			return err
		}
		open, err := store.Strings(ctx, tx, `SELECT a.id FROM zone_applications a JOIN review_cases c ON c.id = a.id
			WHERE a.zone_id = $1 AND a.operator_org_id = $2 AND c.step <> '' ORDER BY a.id`, z.ID, org)
		if err != nil {
			return err
		}
		if len(open) > 0 {
			return validate.Refuse(ErrState, "application_open", "the organization's application %s to the zone is still under review", open[0])
		}
		a.CreatedAt = tx.Now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO zone_applications (id, zone_id, operator_org_id, scenario, document_no,
			document_title, resource_ids, epsilon_micro, valid_from, valid_until, created_by, created_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`,
			a.ID, a.ZoneID, a.OperatorOrgID, a.Scenario, a.DocumentNo, a.DocumentTitle, jsonText(a.ResourceIDs),
			micro(a.EpsilonBudget), store.TS(a.ValidFrom), store.TS(a.ValidUntil), a.CreatedBy, store.TS(a.CreatedAt)); err != nil {
			return fmt.Errorf("zones: insert application: %w", err)
		}
		_, err = s.apps.File(ctx, tx, actor, review.Filing{ID: a.ID, FilerOrgID: org,
			Subject: review.Subject{Kind: "zone", ID: z.ID, OrgID: z.StewardOrgID}})
		return err
	})
	if err != nil {
		return Application{}, err
	}
	a, _, err = s.Application(ctx, actor, a.ID)
	return a, err
}

// Applications lists the applications actor may see: its organizations',
// and those it reviews (the steward's, and every one to platform staff),
// newest first.
func (s *Service) Applications(ctx context.Context, actor identity.Principal, f ApplicationFilter) ([]Application, error) {
	if actor.IsAnonymous() {
		return nil, identity.ErrUnauthenticated
	}
	zoneID := f.ZoneID
	if zoneID != "" {
		z, err := s.Get(ctx, actor, zoneID)
		if err != nil {
			return nil, err
		}
		zoneID = z.ID
	}
	rf := review.Filter{Status: review.Status(f.Status), Limit: 500}
	if f.Mine {
		rf.Side = "sent"
	}
	recs, err := s.apps.List(ctx, actor, rf)
	if err != nil {
		return nil, err
	}
	out := []Application{}
	for _, r := range recs {
		if zoneID == "" || r.Application.ZoneID == zoneID {
			out = append(out, r.Application)
		}
	}
	return out, nil
}

// Application returns one application with its review state.
func (s *Service) Application(ctx context.Context, actor identity.Principal, id string) (Application, review.State, error) {
	rec, err := s.apps.Get(ctx, actor, id)
	if err != nil {
		return Application{}, review.State{}, err
	}
	return rec.Application, rec.State, nil
}

// DecideApplication records a reviewer's decision; the last approval
// creates the authorisation, its grants and budgets in the same transaction.
func (s *Service) DecideApplication(ctx context.Context, actor identity.Principal, id string, d review.Decision, comment string) (Application, error) {
	rec, err := s.apps.Decide(ctx, actor, id, d, comment)
	return rec.Application, err
}

// applicationDecided authorises the operator of an approved application,
// in the decision's transaction.
func (s *Service) applicationDecided(ctx context.Context, tx *store.Tx, actor identity.Principal, c review.Case) error {
	if c.Status == review.StatusRejected {
		return nil
	}
	rec, err := s.apps.Record(ctx, tx, c.ID)
	if err != nil {
		return err
	}
	z, err := s.zone(ctx, tx, rec.Application.ZoneID)
	if err != nil {
		return err
	}
	_, err = s.authorise(ctx, tx, actor, z, rec.Application)
	return err
}

// authorise creates the authorisation of an approved application: one
// access grant (origin zone, action compute) per providing institution,
// and the operator's budget on each resource it has none on yet (a
// renewed authorisation does not refill a budget).
func (s *Service) authorise(ctx context.Context, tx *store.Tx, actor identity.Principal, z Zone, a Application) (Authorisation, error) {
	now := tx.Now()
	if !a.ValidUntil.After(now) {
		return Authorisation{}, validate.Refuse(ErrState, "period_ended", "the application's period ended at %s: it cannot be approved",
			a.ValidUntil.Format(time.RFC3339))
	}
	byProvider := map[string][]string{}
	for _, id := range a.ResourceIDs {
		i := slices.IndexFunc(z.Members, func(m Member) bool { return m.ResourceID == id })
		if i < 0 {
			return Authorisation{}, validate.Refuse(ErrState, "resource_left_zone", "resource %s has left the zone since the application", id)
		}
		byProvider[z.Members[i].OrgID] = append(byProvider[z.Members[i].OrgID], id)
	}
	auth := Authorisation{ID: store.NewID(), ZoneID: z.ID, ApplicationID: a.ID, OperatorOrgID: a.OperatorOrgID, Scenario: a.Scenario,
		ResourceIDs: a.ResourceIDs, GrantIDs: []string{}, ValidFrom: a.ValidFrom, ValidUntil: a.ValidUntil, CreatedAt: now}
	for _, provider := range slices.Sorted(maps.Keys(byProvider)) {
		g, err := s.acc.CreateGrant(ctx, tx, actor, access.NewGrant{GranteeKind: access.GranteeOrganization, GranteeID: a.OperatorOrgID,
			ResourceIDs: byProvider[provider], Purpose: a.Scenario, Policy: access.Policy{Actions: []access.Action{access.ActionCompute}},
			ValidFrom: a.ValidFrom, ValidUntil: a.ValidUntil, OriginKind: access.OriginZone, OriginID: auth.ID})
		if err != nil {
			return Authorisation{}, fmt.Errorf("zones: grant for provider %s: %w", provider, err)
		}
		auth.GrantIDs = append(auth.GrantIDs, g.ID)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO zone_authorisations (id, zone_id, application_id, operator_org_id, scenario,
		resource_ids, grant_ids, valid_from, valid_until, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
		auth.ID, auth.ZoneID, auth.ApplicationID, auth.OperatorOrgID, auth.Scenario, jsonText(auth.ResourceIDs), jsonText(auth.GrantIDs),
		store.TS(auth.ValidFrom), store.TS(auth.ValidUntil), store.TS(now)); err != nil {
		return Authorisation{}, fmt.Errorf("zones: insert authorisation: %w", err)
	}
	for _, id := range a.ResourceIDs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO zone_budgets (zone_id, operator_org_id, resource_id, total_micro, spent_micro,
			updated_at) VALUES ($1,$2,$3,$4,0,$5) ON CONFLICT (zone_id, operator_org_id, resource_id) DO NOTHING`,
			z.ID, a.OperatorOrgID, id, micro(a.EpsilonBudget), store.TS(now)); err != nil {
			return Authorisation{}, fmt.Errorf("zones: budget: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE zone_applications SET authorisation_id = $1 WHERE id = $2`, auth.ID, a.ID); err != nil {
		return Authorisation{}, err
	}
	err := tx.Emit(ctx, store.Event{Type: "zone.authorised", ActorUserID: actor.UserID, ActorOrgID: actingOrg(actor, z.StewardOrgID),
		SubjectKind: "zone_authorisation", SubjectID: auth.ID}, map[string]any{"zone_id": z.ID, "application_id": a.ID,
		"operator_org_id": a.OperatorOrgID, "resource_ids": auth.ResourceIDs, "grant_ids": auth.GrantIDs,
		"valid_from": auth.ValidFrom, "valid_until": auth.ValidUntil, "epsilon_micro": micro(a.EpsilonBudget)})
	return auth, err
}
