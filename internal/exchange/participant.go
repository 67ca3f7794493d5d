package exchange

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// Tiers are the participant tiers, lowest first.
var Tiers = []string{"standard", "certified", "premier"}

// ParticipantInput is what an organization's admin fills in to apply.
type ParticipantInput struct {
	OrgID        string `json:"org_id" doc:"The organization applying; you must be its admin"`
	USCC         string `json:"uscc" doc:"Unified social credit code (统一社会信用代码), 18 characters, checked (GB 32100)"`
	LegalRep     string `json:"legal_representative" doc:"The legal representative's name (法定代表人)"`
	ContactName  string `json:"contact_name"`
	ContactPhone string `json:"contact_phone"`
	ContactEmail string `json:"contact_email"`
	Roles        []Role `json:"roles" doc:"provider, buyer, broker, assessor, law_firm, delivery"`
}

func (in *ParticipantInput) normalize() {
	for _, f := range []*string{&in.OrgID, &in.LegalRep, &in.ContactName, &in.ContactPhone, &in.ContactEmail} {
		*f = strings.TrimSpace(*f)
	}
	in.USCC = strings.ToUpper(strings.TrimSpace(in.USCC))
	roles := []Role{}
	for _, r := range in.Roles {
		if !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	in.Roles = roles
}

func (in ParticipantInput) validate(org identity.Organization) error {
	var errs validate.Errors
	errs.Required("org_id", in.OrgID)
	if errs.Required("uscc", in.USCC) {
		if err := identity.CheckUSCC(in.USCC); err != nil {
			errs.Add("uscc", in.USCC, "uscc", "%v", err)
		} else if org.USCC != "" && org.USCC != in.USCC {
			errs.Add("uscc", in.USCC, "uscc_mismatch", "is not the organization's registered code")
		}
	}
	errs.Required("legal_representative", in.LegalRep)
	errs.MaxLen("legal_representative", in.LegalRep, 100)
	errs.Required("contact_name", in.ContactName)
	errs.MaxLen("contact_name", in.ContactName, 100)
	errs.Required("contact_phone", in.ContactPhone)
	errs.MaxLen("contact_phone", in.ContactPhone, 40)
	if in.ContactEmail != "" && (!strings.Contains(in.ContactEmail, "@") || len(in.ContactEmail) > 254) {
		errs.Add("contact_email", in.ContactEmail, validate.CodeEmail, "is not an email address")
	}
	if len(in.Roles) == 0 {
		errs.Add("roles", nil, validate.CodeAtLeast, "at least %d role is required", 1)
	}
	for i, r := range in.Roles {
		validate.OneOf(&errs, fmt.Sprintf("roles[%d]", i), r, Roles...)
	}
	return errs.Err()
}

// ParticipantApplication is one organization's application to trade, reviewed by the
// exchange's staff as a review case (its id is the case's): admitted,
// returned for more material (with a deadline in working days), or
// rejected.
type ParticipantApplication struct {
	ID            string `json:"id"`
	ParticipantID string `json:"participant_id"`
	OrgID         string `json:"org_id"`
	Roles         []Role `json:"roles"`
	Tier          string `json:"tier"`
	review.State
}

// ApplicationKind names participant applications as review cases.
const ApplicationKind = "exchange_participant"

// StaffReview is the step at which the exchange's staff decide an
// application.
const StaffReview = "staff_review"

// staffReviewer is the exchange's staff as a reviewer.
var staffReviewer = review.Reviewer{Name: "exchange", May: func(p identity.Principal, _ review.Case) bool { return CanStaff(p) }}

func (s *Service) registerApplications() {
	w := s.reviews.Register(review.Kind{Name: ApplicationKind, Title: "participant application", Noun: "application", Article: "an",
		Link: "/exchange/applications/", FilerOrgRole: identity.RoleAdmin, AnswerDays: s.cfg.AnswerDays, Approved: "admitted",
		Steps: []review.Step{{Name: StaffReview, Days: 10, RemindDays: 1, Reviewers: []review.Reviewer{staffReviewer}}},
		Notices: map[string]string{"admitted": "exchange.admitted", string(review.StatusRejected): "exchange.application_rejected",
			string(review.StatusMoreInfo): "exchange.application_returned"},
		Payload: s.applicationPayload, Decided: s.applicationDecided})
	s.apps = review.Records[ParticipantApplication]{Workflow: w,
		Select: `SELECT id, participant_id, org_id, roles, tier FROM exchange_applications`, Scan: scanApplication}
}

func scanApplication(row review.Row) (string, ParticipantApplication, error) {
	var a ParticipantApplication
	var roles string
	if err := row.Scan(&a.ID, &a.ParticipantID, &a.OrgID, &roles, &a.Tier); err != nil {
		return "", a, err
	}
	return a.ID, a, jsonUnmarshal(roles, &a.Roles)
}

func (s *Service) applicationPayload(ctx context.Context, q store.Querier, c review.Case) (map[string]any, error) {
	a, err := s.apps.Record(ctx, q, c.ID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"participant_id": a.ParticipantID, "org_id": a.OrgID, "roles": a.Roles, "status": c.Status}, nil
}

// CanApply: an organization's admins apply for it.
func CanApply(p identity.Principal, orgID string) bool { return p.AtLeast(orgID, identity.RoleAdmin) }

// Apply files org's application to trade: the participant is recorded as
// applied, a participant declaring the legal representative of another is
// recorded as its related party, and the application waits for the
// exchange's staff. An organization that is admitted, suspended or already
// under review cannot apply again; a rejected one may.
func (s *Service) Apply(ctx context.Context, actor identity.Principal, in ParticipantInput) (ParticipantApplication, error) {
	in.normalize()
	if actor.IsAnonymous() {
		return ParticipantApplication{}, identity.ErrUnauthenticated
	}
	if in.OrgID != "" && !CanApply(actor, in.OrgID) {
		return ParticipantApplication{}, validate.Errors{{Field: "org_id", Value: in.OrgID, Message: "is not an organization you administer", Code: "not_admin"}}
	}
	org, err := s.ids.Organization(ctx, in.OrgID)
	if err != nil && in.OrgID != "" {
		return ParticipantApplication{}, validate.Errors{{Field: "org_id", Value: in.OrgID, Message: "no such organization", Code: validate.CodeUnknown}}
	}
	if err := in.validate(org); err != nil {
		return ParticipantApplication{}, err
	}
	if org.Kind == identity.KindIndividual {
		return ParticipantApplication{}, validate.Errors{{Field: "org_id", Value: in.OrgID, Message: "is a person: participants are companies and institutions", Code: "not_organization"}}
	}
	var id string
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		p, err := s.applying(ctx, tx, in)
		if err != nil {
			return err
		}
		a := ParticipantApplication{ID: store.NewID(), ParticipantID: p.ID, OrgID: p.OrgID, Roles: p.Roles, Tier: p.Tier}
		id = a.ID
		if _, err := tx.ExecContext(ctx, `INSERT INTO exchange_applications (id, participant_id, org_id, roles, tier) VALUES ($1,$2,$3,$4,$5)`,
			a.ID, a.ParticipantID, a.OrgID, jsonOf(a.Roles), a.Tier); err != nil {
			return err
		}
		if _, err := s.apps.File(ctx, tx, actor, review.Filing{ID: a.ID, FilerOrgID: p.OrgID,
			Subject: review.Subject{Kind: "exchange_participant", ID: p.ID, OrgID: p.OrgID}}); err != nil {
			return err
		}
		if err := s.detectLegalRep(ctx, tx, actor, p); err != nil {
			return err
		}
		return s.emitParticipant(ctx, tx, actor, p, "applied", map[string]any{"application_id": a.ID, "uscc_sha256": store.SHA256Hex(p.USCC)})
	})
	if err != nil {
		return ParticipantApplication{}, err
	}
	return s.apps.Get(ctx, actor, id)
}

// applying writes the participant of an application: new, or a rejected
// (or withdrawn, or expired) one applying again.
func (s *Service) applying(ctx context.Context, tx *store.Tx, in ParticipantInput) (Participant, error) {
	now := tx.Now()
	p, err := s.ParticipantOfOrg(ctx, tx, in.OrgID)
	switch {
	case isNotFound(err):
		p = Participant{ID: store.NewID(), OrgID: in.OrgID, Tier: Tiers[0], Status: ParticipantApplied, CreatedAt: now}
		p.USCC, p.LegalRep, p.ContactName, p.ContactPhone, p.ContactEmail, p.Roles = in.USCC, in.LegalRep, in.ContactName, in.ContactPhone,
			in.ContactEmail, in.Roles
		p.UpdatedAt = now
		return p, insertParticipant(ctx, tx, p)
	case err != nil:
		return p, err
	case p.Status == ParticipantAdmitted || p.Status == ParticipantSuspended:
		return p, validate.Refuse(ErrState, "participant_exists", "the organization is already a participant (%s)", p.Status)
	}
	if open, err := s.openApplication(ctx, tx, p.ID); err != nil || open != "" {
		if err == nil {
			err = validate.Refuse(ErrState, "application_open", "the organization's application %s is still under review", open)
		}
		return p, err
	}
	if p, err = s.lockParticipant(ctx, tx, p.ID); err != nil {
		return p, err
	}
	p.USCC, p.LegalRep, p.ContactName, p.ContactPhone, p.ContactEmail, p.Roles = in.USCC, in.LegalRep, in.ContactName, in.ContactPhone,
		in.ContactEmail, in.Roles
	p.Status, p.StatusReason, p.UpdatedAt = ParticipantApplied, "", now
	return p, saveParticipant(ctx, tx, p)
}

// openApplication returns the id of participant id's application still
// under review ("" when none).
func (s *Service) openApplication(ctx context.Context, q store.Querier, id string) (string, error) {
	ids, err := store.Strings(ctx, q, `SELECT a.id FROM exchange_applications a JOIN review_cases c ON c.id = a.id
		WHERE a.participant_id = $1 AND c.step <> '' ORDER BY a.id`, id)
	if err != nil || len(ids) == 0 {
		return "", err
	}
	return ids[0], nil
}

// applicationDecided admits or rejects the participant of an application.
func (s *Service) applicationDecided(ctx context.Context, tx *store.Tx, actor identity.Principal, c review.Case) error {
	a, err := s.apps.Record(ctx, tx, c.ID)
	if err != nil {
		return err
	}
	p, err := s.lockParticipant(ctx, tx, a.ParticipantID)
	if err != nil {
		return err
	}
	now := tx.Now()
	p.UpdatedAt, p.StatusReason = now, c.Reason
	what := "rejected"
	if c.Status == review.StatusRejected {
		p.Status = ParticipantRejected
	} else {
		p.Status, p.AdmittedAt, p.Roles, what = ParticipantAdmitted, &now, a.Roles, "admitted"
	}
	if err := saveParticipant(ctx, tx, p); err != nil {
		return err
	}
	return s.emitParticipant(ctx, tx, actor, p, what, map[string]any{"application_id": a.ID, "reason_sha256": hashOrEmpty(c.Reason)})
}

// emitParticipant writes the event "exchange.participant.<what>" of p.
func (s *Service) emitParticipant(ctx context.Context, tx *store.Tx, actor identity.Principal, p Participant, what string, extra map[string]any) error {
	payload := map[string]any{"org_id": p.OrgID, "status": p.Status, "roles": p.Roles, "tier": p.Tier}
	for k, v := range extra {
		payload[k] = v
	}
	return tx.Emit(ctx, store.Event{Type: "exchange.participant." + what, ActorUserID: actor.UserID, ActorOrgID: actingOrg(actor, p.OrgID),
		SubjectKind: "exchange_participant", SubjectID: p.ID}, payload)
}

// actingOrg is the organization actor acts for in a change about orgID's
// affairs: orgID when a member, else the first exchange organization.
func actingOrg(actor identity.Principal, orgID string) string {
	if actor.RoleIn(orgID) != "" {
		return orgID
	}
	for _, m := range actor.Memberships {
		if m.OrgKind == identity.KindExchange {
			return m.OrganizationID
		}
	}
	return ""
}

func hashOrEmpty(s string) string {
	if s == "" {
		return ""
	}
	return store.SHA256Hex(s)
}

// CanViewParticipant: the exchange's staff and the participant's own
// members see all of it; anyone else sees an admitted (or suspended)
// participant's public face (Public).
func CanViewParticipant(actor identity.Principal, p Participant) bool {
	return CanStaff(actor) || actor.RoleIn(p.OrgID) != "" || actor.IsPlatformStaff()
}

// Public is what anyone may see of p: who it is and how it trades, not its
// contacts, legal representative, documents or relations.
func (p Participant) Public() Participant {
	return Participant{ID: p.ID, OrgID: p.OrgID, Name: p.Name, USCC: p.USCC, Roles: p.Roles, Tier: p.Tier, Status: p.Status,
		AdmittedAt: p.AdmittedAt, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

// Participant returns participant id as actor may see it: whole for its
// members and the exchange's staff, its public face for anyone else once
// admitted; otherwise store.ErrNotFound.
func (s *Service) Participant(ctx context.Context, actor identity.Principal, id string) (Participant, error) {
	p, err := s.ParticipantByID(ctx, s.db, id)
	switch {
	case err != nil:
		return Participant{}, err
	case CanViewParticipant(actor, p):
		return p, nil
	case p.Status == ParticipantAdmitted || p.Status == ParticipantSuspended:
		return p.Public(), nil
	}
	return Participant{}, notFound("participant", id)
}

// ParticipantFilter selects participants for Participants.
type ParticipantFilter struct {
	Status ParticipantStatus
	Role   Role
	Limit  int // 1–500, default 100
}

// Participants lists participants, newest first: every one for the
// exchange's staff; admitted ones (their public face) for anyone else.
func (s *Service) Participants(ctx context.Context, actor identity.Principal, f ParticipantFilter) ([]Participant, error) {
	staff := CanStaff(actor) || actor.IsPlatformStaff()
	var conds []string
	var args []any
	if f.Status != "" {
		args = append(args, string(f.Status))
		conds = append(conds, fmt.Sprintf("p.status = $%d", len(args)))
	}
	if !staff {
		conds = append(conds, "p.status = 'admitted'")
	}
	if f.Role != "" {
		args = append(args, `%"`+string(f.Role)+`"%`)
		conds = append(conds, fmt.Sprintf("p.roles LIKE $%d", len(args)))
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	q := `SELECT ` + participantColumns + participantFrom
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	rows, err := s.db.QueryContext(ctx, q+fmt.Sprintf(" ORDER BY p.id DESC LIMIT %d", limit), args...)
	if err != nil {
		return nil, fmt.Errorf("exchange: participants: %w", err)
	}
	defer rows.Close()
	out := []Participant{}
	for rows.Next() {
		p, err := scanParticipant(rows)
		if err != nil {
			return nil, err
		}
		if !staff && !CanViewParticipant(actor, p) {
			p = p.Public()
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// SuspendParticipant suspends an admitted participant (the exchange's
// staff, with a reason, e.g. from a risk alert): it cannot trade until
// reinstated.
func (s *Service) SuspendParticipant(ctx context.Context, actor identity.Principal, id, reason string) (Participant, error) {
	return s.moveParticipant(ctx, actor, id, reason, ParticipantAdmitted, ParticipantSuspended, "suspended")
}

// ReinstateParticipant lets a suspended participant trade again (the
// exchange's staff, with a reason).
func (s *Service) ReinstateParticipant(ctx context.Context, actor identity.Principal, id, reason string) (Participant, error) {
	return s.moveParticipant(ctx, actor, id, reason, ParticipantSuspended, ParticipantAdmitted, "reinstated")
}

func (s *Service) moveParticipant(ctx context.Context, actor identity.Principal, id, reason string, from, to ParticipantStatus, what string) (Participant, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return Participant{}, err
	}
	if !CanStaff(actor) {
		return Participant{}, identity.ErrForbidden
	}
	var p Participant
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		if p, err = s.lockParticipant(ctx, tx, id); err != nil {
			return err
		}
		if p.Status != from {
			return validate.Refuse(ErrState, "participant_status", "only an %s participant can be %s (this one is %s)", from, what, p.Status)
		}
		p.Status, p.StatusReason, p.UpdatedAt = to, reason, tx.Now()
		if err := saveParticipant(ctx, tx, p); err != nil {
			return err
		}
		return s.emitParticipant(ctx, tx, actor, p, what, map[string]any{"reason_sha256": store.SHA256Hex(reason)})
	})
	return p, err
}

// SetTier sets an admitted participant's tier (the exchange's staff).
func (s *Service) SetTier(ctx context.Context, actor identity.Principal, id, tier string) (Participant, error) {
	var errs validate.Errors
	validate.OneOf(&errs, "tier", tier, Tiers...)
	if err := errs.Err(); err != nil {
		return Participant{}, err
	}
	if !CanStaff(actor) {
		return Participant{}, identity.ErrForbidden
	}
	var p Participant
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		var err error
		if p, err = s.lockParticipant(ctx, tx, id); err != nil {
			return err
		}
		if p.Status != ParticipantAdmitted && p.Status != ParticipantSuspended {
			return validate.Refuse(ErrState, "participant_status", "only an admitted participant has a tier (this one is %s)", p.Status)
		}
		p.Tier, p.UpdatedAt = tier, tx.Now()
		if err := saveParticipant(ctx, tx, p); err != nil {
			return err
		}
		return s.emitParticipant(ctx, tx, actor, p, "tier_set", nil)
	})
	return p, err
}

// checkReason checks the reason of a staff action (the field "reason").
func checkReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	var errs validate.Errors
	errs.Required("reason", reason)
	errs.MaxLen("reason", reason, 1000)
	return reason, errs.Err()
}
