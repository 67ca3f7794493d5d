package asset

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"dataport/internal/exchange"
	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/validate"
	"dataport/internal/workday"
)

// Kind names registrations' review cases, their events
// ("asset_registration.created", ".approved", ".effective", ...) and notices.
const Kind = "asset_registration"

// The statuses of a registration's review case: the counterparty of a
// transfer or licence consents first, then the exchange's staff review it.
const (
	StatusConsent  review.Status = "counterparty_consent"
	StatusReview   review.Status = "exchange_review"
	StatusApproved review.Status = "approved"
)

// Registration is one registration, or one objection to a registration,
// with its review case. Status is the case's; Stage is the registration's.
type Registration struct {
	ID              string     `json:"id"`
	Type            Type       `json:"type"`
	ProductID       string     `json:"product_id"`
	ProductHash     string     `json:"product_hash" doc:"The product's hash (SHA-256 of its canonical description) as registered"`
	HolderID        string     `json:"holder_id" doc:"The participant holding the rights (after a transfer, the transferee)"`
	HolderOrgID     string     `json:"holder_org_id"`
	HolderName      string     `json:"holder_name"`
	HolderUSCC      string     `json:"holder_uscc"`
	Rights          []Right    `json:"rights"`
	PriorID         string     `json:"prior_id,omitempty" doc:"The registration this one changes, transfers, licenses, cancels or objects to"`
	CounterpartyID  string     `json:"counterparty_id,omitempty" doc:"Transfer: the transferee; licence: the licensee"`
	LicenceUntil    string     `json:"licence_until,omitempty" doc:"Licence: its last day, YYYY-MM-DD"`
	Statement       string     `json:"statement" doc:"The applicant's statement; an objection's grounds"`
	Number          string     `json:"number,omitempty" doc:"Given at approval: JH-DR-2026-000123"`
	Hash            string     `json:"registration_hash,omitempty" doc:"SHA-256 of the canonical registration, fixed at approval"`
	Stage           Stage      `json:"stage"`
	ApprovedAt      *time.Time `json:"approved_at"`
	PublicityEndsAt *time.Time `json:"publicity_ends_at" doc:"When the objection period ends"`
	EffectiveAt     *time.Time `json:"effective_at"`
	EndedAt         *time.Time `json:"ended_at"`
	EndedBy         string     `json:"ended_by,omitempty" doc:"The objection, change, transfer or cancellation that ended it"`
	FilerUserID     string     `json:"-"`
	review.State
}

// attachCase fills in what a registration shows of its case: a case
// closed without approval (rejected, withdrawn, expired) refuses it.
func attachCase(r *Registration, c review.Case) {
	r.FilerUserID = c.FilerUserID
	if r.Stage == StageReview && !c.Open() {
		r.Stage = StageRefused
	}
}

// ApplyInput is what a holder files.
type ApplyInput struct {
	Type      Type    `json:"type" enum:"initial,change,transfer,licence,cancellation"`
	ProductID string  `json:"product_id,omitempty" doc:"Initial: the product (listed or in review) whose rights are registered"`
	PriorID   string  `json:"prior_id,omitempty" doc:"Change, transfer, licence, cancellation: the registration in effect it acts on (id or number)"`
	Rights    []Right `json:"rights,omitempty" doc:"Initial, change: the rights registered; licence: the rights licensed; transfer and cancellation: those of the prior"`
	// CounterpartyID is the participant taking the rights over (transfer)
	// or licensed (licence); its admins consent before the staff review.
	CounterpartyID string `json:"counterparty_id,omitempty"`
	LicenceUntil   string `json:"licence_until,omitempty" doc:"Licence: its last day, YYYY-MM-DD"`
	Statement      string `json:"statement,omitempty" maxLength:"2000" doc:"What the applicant states in support"`
}

func (in *ApplyInput) normalize() {
	for _, f := range []*string{&in.ProductID, &in.PriorID, &in.CounterpartyID, &in.LicenceUntil, &in.Statement} {
		*f = strings.TrimSpace(*f)
	}
}

// check records what is wrong with in on its own: the type, the rights,
// the date and the lengths.
func (in ApplyInput) check(errs *validate.Errors, today string) {
	validate.OneOf(errs, "type", in.Type, Types...)
	checkRights(errs, in.Rights)
	errs.MaxLen("statement", in.Statement, 2000)
	switch in.Type {
	case TypeInitial:
		errs.Required("product_id", in.ProductID)
	case TypeChange, TypeTransfer, TypeLicence, TypeCancellation:
		errs.Required("prior_id", in.PriorID)
	}
	if in.Type == TypeChange || in.Type == TypeInitial || in.Type == TypeLicence {
		if len(in.Rights) == 0 && !errs.Has("rights") {
			errs.Add("rights", nil, validate.CodeRequired, "is required: name at least one right")
		}
	}
	if in.Type == TypeTransfer || in.Type == TypeLicence {
		errs.Required("counterparty_id", in.CounterpartyID)
	}
	if in.Type != TypeLicence {
		return
	}
	if in.LicenceUntil == "" {
		errs.Add("licence_until", "", validate.CodeRequired, "is required: the licence's last day")
	} else if _, err := time.Parse(time.DateOnly, in.LicenceUntil); err != nil {
		errs.Add("licence_until", in.LicenceUntil, validate.CodeDate, "must be a date written YYYY-MM-DD")
	} else if in.LicenceUntil <= today {
		errs.Add("licence_until", in.LicenceUntil, "after_today", "must be after today (%s)", today)
	}
	if slices.Contains(in.Rights, RightHolding) {
		errs.Add("rights", RightHolding, "licence_holding", "cannot license the holding of the data resource: transfer it instead")
	}
}

// checkRights records unknown or repeated rights.
func checkRights(errs *validate.Errors, rights []Right) {
	for i, r := range rights {
		field := fmt.Sprintf("rights[%d]", i)
		validate.OneOf(errs, field, r, Rights...)
		if slices.Index(rights, r) < i {
			errs.Add(field, string(r), validate.CodeDuplicate, "is listed twice")
		}
	}
}

// sortedRights returns rights in display order.
func sortedRights(rights []Right) []Right {
	out := slices.Clone(rights)
	slices.SortFunc(out, func(a, b Right) int { return slices.Index(Rights, a) - slices.Index(Rights, b) })
	return out
}

// today is the date in Beijing at t.
func today(t time.Time) string { return t.In(workday.Beijing).Format(time.DateOnly) }

// CanApply says whether p may file registrations for the organization
// orgID holding the rights: its editors and admins.
func CanApply(p identity.Principal, orgID string) bool { return p.AtLeast(orgID, identity.RoleEditor) }

// Apply files a registration as actor for the holder's organization: it
// waits for the counterparty's consent (transfer, licence), then for the
// exchange's staff. Nothing is written unless it may be filed.
func (s *Service) Apply(ctx context.Context, actor identity.Principal, in ApplyInput) (Registration, error) {
	if actor.IsAnonymous() {
		return Registration{}, identity.ErrUnauthenticated
	}
	in.normalize()
	var errs validate.Errors
	in.check(&errs, today(time.Now()))
	if err := errs.Err(); err != nil {
		return Registration{}, err
	}
	var id string
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		r, f, err := s.application(ctx, tx, actor, in)
		if err != nil {
			return err
		}
		id = r.ID
		if err := insertRegistration(ctx, tx, r); err != nil {
			return err
		}
		_, err = s.Registrations.File(ctx, tx, actor, f)
		return err
	})
	if err != nil {
		return Registration{}, err
	}
	return s.Registrations.Get(ctx, actor, id)
}

// application is the registration in asks for and the case that reviews
// it, checked against the store in tx: the product or the prior
// registration, the holder, the counterparty and actor's standing.
func (s *Service) application(ctx context.Context, tx *store.Tx, actor identity.Principal, in ApplyInput) (Registration, review.Filing, error) {
	r := Registration{ID: store.NewID(), Type: in.Type, Rights: sortedRights(in.Rights), Statement: in.Statement, Stage: StageReview,
		LicenceUntil: in.LicenceUntil}
	var filer exchange.Participant
	var err error
	if in.Type == TypeInitial {
		filer, err = s.initial(ctx, tx, actor, &r, in.ProductID)
	} else {
		filer, err = s.onPrior(ctx, tx, actor, &r, in)
	}
	if err != nil {
		return r, review.Filing{}, err
	}
	f := review.Filing{ID: r.ID, Subject: review.Subject{Kind: "exchange_product", ID: r.ProductID, OrgID: filer.OrgID}, FilerOrgID: filer.OrgID,
		Plan: []string{string(StatusReview)}}
	if in.Type == TypeTransfer || in.Type == TypeLicence {
		cp, err := s.counterparty(ctx, tx, in.CounterpartyID, filer)
		if err != nil {
			return r, f, err
		}
		r.CounterpartyID = cp.ID
		f.Parties, f.Plan = map[string]string{"counterparty": cp.OrgID}, []string{string(StatusConsent), string(StatusReview)}
		if in.Type == TypeTransfer {
			r.HolderID, r.HolderOrgID, r.HolderName, r.HolderUSCC = cp.ID, cp.OrgID, cp.Name, cp.USCC
		}
	}
	return r, f, nil
}

// initial fills in r, an initial registration of product id, and returns
// its holder: the product's provider, for which actor must act.
func (s *Service) initial(ctx context.Context, tx *store.Tx, actor identity.Principal, r *Registration, productID string) (exchange.Participant, error) {
	p, err := s.ex.Product(ctx, actor, productID)
	if err != nil {
		return exchange.Participant{}, validate.Errors{{Field: "product_id", Value: productID, Message: "is not a product you may see", Code: validate.CodeUnknown}}
	}
	if !CanApply(actor, p.ProviderOrgID) {
		return exchange.Participant{}, identity.ErrForbidden
	}
	if p.Status != exchange.ProductListed && p.Status != exchange.ProductInReview {
		return exchange.Participant{}, validate.Errors{{Field: "product_id", Value: productID, Code: "not_registrable",
			Message: fmt.Sprintf("is %s: only a product listed or in review is registered", p.Status), Args: []any{string(p.Status)}}}
	}
	if err := lockProduct(ctx, tx, p.ID); err != nil {
		return exchange.Participant{}, err
	}
	if live, err := s.liveRegistration(ctx, tx, p.ID); err != nil || live != "" {
		if err == nil {
			err = validate.Refuse(exchange.ErrState, "already_registered",
				"the product's rights are registered or under registration already (%s): change, transfer, license or cancel that registration", live)
		}
		return exchange.Participant{}, err
	}
	holder, err := s.holder(ctx, tx, p.ProviderID)
	if err != nil {
		return holder, err
	}
	r.ProductID, r.ProductHash = p.ID, p.Hash
	r.HolderID, r.HolderOrgID, r.HolderName, r.HolderUSCC = holder.ID, holder.OrgID, holder.Name, holder.USCC
	return holder, nil
}

// holder returns participant id, which must be trading to hold rights.
func (s *Service) holder(ctx context.Context, q store.Querier, id string) (exchange.Participant, error) {
	p, err := s.ex.ParticipantByID(ctx, q, id)
	if err != nil {
		return p, err
	}
	if !p.Trading() {
		return p, validate.Refuse(exchange.ErrState, "holder_not_trading", "the holder %s is %s, not admitted: it cannot register rights now", p.Name, p.Status)
	}
	return p, nil
}

// onPrior fills in r, which acts on a registration in effect, and returns
// the holder of that registration, for which actor must act.
func (s *Service) onPrior(ctx context.Context, tx *store.Tx, actor identity.Principal, r *Registration, in ApplyInput) (exchange.Participant, error) {
	prior, err := s.byRef(ctx, tx, in.PriorID)
	if err != nil || prior.Type == TypeObjection || prior.Type == TypeLicence || prior.Type == TypeCancellation {
		return exchange.Participant{}, validate.Errors{{Field: "prior_id", Value: in.PriorID, Message: "is not a registration of rights", Code: validate.CodeUnknown}}
	}
	if !CanApply(actor, prior.HolderOrgID) {
		return exchange.Participant{}, identity.ErrForbidden
	}
	if err := lockProduct(ctx, tx, prior.ProductID); err != nil {
		return exchange.Participant{}, err
	}
	if prior.Stage != StageEffective {
		return exchange.Participant{}, validate.Refuse(exchange.ErrState, "prior_not_effective",
			"registration %s is %s: only a registration in effect is changed, transferred, licensed or cancelled", prior.Number, prior.Stage)
	}
	if pending, err := s.pendingChange(ctx, tx, prior.ID); err != nil || (pending != "" && in.Type != TypeLicence) {
		if err == nil {
			err = validate.Refuse(exchange.ErrState, "change_pending", "registration %s has a change, transfer or cancellation under way (%s)", prior.Number, pending)
		}
		return exchange.Participant{}, err
	}
	if err := priorRights(in, prior.Rights); err != nil {
		return exchange.Participant{}, err
	}
	holder, err := s.holder(ctx, tx, prior.HolderID)
	if err != nil {
		return holder, err
	}
	product, err := s.ex.ProductByID(ctx, tx, prior.ProductID)
	if err != nil {
		return holder, err
	}
	r.ProductID, r.ProductHash, r.PriorID = product.ID, product.Hash, prior.ID
	r.HolderID, r.HolderOrgID, r.HolderName, r.HolderUSCC = holder.ID, holder.OrgID, holder.Name, holder.USCC
	if in.Type == TypeTransfer || in.Type == TypeCancellation {
		r.Rights = prior.Rights
	}
	return holder, nil
}

// priorRights checks in's rights against those of the registration it
// acts on: a licence licenses some of them; a transfer and a cancellation
// take them all.
func priorRights(in ApplyInput, prior []Right) error {
	var errs validate.Errors
	switch in.Type {
	case TypeLicence:
		for i, r := range in.Rights {
			if !slices.Contains(prior, r) {
				errs.Add(fmt.Sprintf("rights[%d]", i), string(r), "not_registered", "is not a right of the registration licensed")
			}
		}
	case TypeTransfer, TypeCancellation:
		if len(in.Rights) > 0 && !slices.Equal(sortedRights(in.Rights), prior) {
			errs.Add("rights", nil, "all_rights", "must be empty or every right of the registration: a %s takes them all", in.Type)
		}
	}
	return errs.Err()
}

// counterparty returns participant id, the other party of a transfer or
// licence by holder: trading, and not the holder.
func (s *Service) counterparty(ctx context.Context, q store.Querier, id string, holder exchange.Participant) (exchange.Participant, error) {
	p, err := s.ex.ParticipantByID(ctx, q, id)
	switch {
	case err != nil:
		return p, validate.Errors{{Field: "counterparty_id", Value: id, Message: "is not a participant of the exchange", Code: validate.CodeUnknown}}
	case p.ID == holder.ID:
		return p, validate.Errors{{Field: "counterparty_id", Value: id, Message: "is the holder itself", Code: "self"}}
	case !p.Trading():
		return p, validate.Errors{{Field: "counterparty_id", Value: id, Message: fmt.Sprintf("is %s, not admitted", p.Status), Code: "not_trading",
			Args: []any{string(p.Status)}}}
	}
	return p, nil
}

// kind configures registrations' review: the counterparty's admins
// consent to a transfer or licence, then the exchange's staff decide
// within ReviewDays working days (escalated to the platform operators
// after); decisions are told to the filer.
func (s *Service) kind() review.Kind {
	staff := func(p identity.Principal, _ review.Case) bool { return exchange.CanStaff(p) }
	return review.Kind{Name: Kind, Title: "asset registration", Noun: "registration", Article: "a", Link: "/exchange/registrations/",
		Approved: StatusApproved, FilerOrgRole: identity.RoleAdmin, AnswerDays: s.cfg.ReviewDays,
		Steps: []review.Step{
			{Name: string(StatusConsent), Days: s.cfg.ReviewDays, Reviewers: []review.Reviewer{{Name: "counterparty", Party: "counterparty", Role: identity.RoleAdmin}}},
			{Name: string(StatusReview), Days: s.cfg.ReviewDays, Reviewers: []review.Reviewer{{Name: "exchange", May: staff}}},
		},
		Notices: map[string]string{string(StatusConsent): "asset.consent", string(StatusApproved): "asset.approved",
			string(review.StatusRejected): "asset.rejected", "more_info": "asset.more_info", "expired": "asset.expired"},
		Payload: s.payload, Decided: s.decided}
}

// decided is the decision handler: an approved registration is published
// with its number for objections, a sustained objection revokes the
// registration it objects to, a rejected one is refused.
func (s *Service) decided(ctx context.Context, tx *store.Tx, actor identity.Principal, c review.Case) error {
	r, err := s.Registrations.Record(ctx, tx, c.ID)
	if err != nil {
		return err
	}
	if err := lockProduct(ctx, tx, r.ProductID); err != nil {
		return err
	}
	switch {
	case c.Status != StatusApproved:
		r.Stage = StageRefused
	case r.Type == TypeObjection:
		return s.sustain(ctx, tx, actor, r)
	default:
		if err := s.publish(ctx, tx, &r); err != nil {
			return err
		}
	}
	return updateRegistration(ctx, tx, r)
}

// publish numbers r at its approval and opens its objection period, once
// its holder, product and prior are still as filed.
func (s *Service) publish(ctx context.Context, tx *store.Tx, r *Registration) error {
	holder, err := s.holder(ctx, tx, r.HolderID)
	if err != nil {
		return err
	}
	product, err := s.ex.ProductByID(ctx, tx, r.ProductID)
	if err != nil {
		return err
	}
	if r.PriorID != "" {
		prior, err := s.Registrations.Record(ctx, tx, r.PriorID)
		if err != nil {
			return err
		}
		if prior.Stage != StageEffective {
			return validate.Refuse(exchange.ErrState, "prior_not_effective", "registration %s is %s now: reject this one", prior.Number, prior.Stage)
		}
	}
	now := tx.Now()
	if r.Number, err = s.nextNumber(ctx, tx, now); err != nil {
		return err
	}
	ends := s.cal.AddWorkingDays(now, s.cfg.ObjectionDays)
	r.Stage, r.ApprovedAt, r.PublicityEndsAt = StagePublicity, &now, &ends
	r.ProductHash, r.HolderName, r.HolderUSCC = product.Hash, holder.Name, holder.USCC
	r.Hash = store.SHA256Hex(string(r.Canonical()))
	return nil
}

// Canonical is the registration as its hash covers it: JSON with fixed
// field order, the rights in display order, times in UTC to the
// microsecond. Anyone holding a certificate can recompute the hash.
func (r Registration) Canonical() []byte {
	ts := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return store.TS(*t)
	}
	b, _ := json.Marshal(struct {
		Number          string  `json:"number"`
		Type            Type    `json:"type"`
		ProductID       string  `json:"product_id"`
		ProductHash     string  `json:"product_hash"`
		HolderID        string  `json:"holder_id"`
		HolderName      string  `json:"holder_name"`
		HolderUSCC      string  `json:"holder_uscc"`
		Rights          []Right `json:"rights"`
		PriorID         string  `json:"prior_id"`
		CounterpartyID  string  `json:"counterparty_id"`
		LicenceUntil    string  `json:"licence_until"`
		ApprovedAt      string  `json:"approved_at"`
		PublicityEndsAt string  `json:"publicity_ends_at"`
	}{r.Number, r.Type, r.ProductID, r.ProductHash, r.HolderID, r.HolderName, r.HolderUSCC, sortedRights(r.Rights), r.PriorID,
		r.CounterpartyID, r.LicenceUntil, ts(r.ApprovedAt), ts(r.PublicityEndsAt)})
	return b
}

// payload is the payload of a registration's events: identifiers and hashes.
func (s *Service) payload(ctx context.Context, q store.Querier, c review.Case) (map[string]any, error) {
	r, err := s.Registrations.Record(ctx, q, c.ID)
	if err != nil {
		return nil, err
	}
	return eventPayload(r), nil
}

func eventPayload(r Registration) map[string]any {
	return map[string]any{"type": r.Type, "product_id": r.ProductID, "product_sha256": r.ProductHash, "holder_id": r.HolderID,
		"prior_id": r.PriorID, "counterparty_id": r.CounterpartyID, "rights": r.Rights, "stage": r.Stage, "number": r.Number,
		"registration_sha256": r.Hash, "statement_sha256": store.SHA256Hex(r.Statement)}
}

// emit writes the event "asset_registration.<what>" of r.
func emit(ctx context.Context, tx *store.Tx, actor identity.Principal, r Registration, what string) error {
	return tx.Emit(ctx, store.Event{Type: Kind + "." + what, ActorUserID: actor.UserID, SubjectKind: Kind, SubjectID: r.ID}, eventPayload(r))
}

// byRef returns the registration whose id or number is ref.
func (s *Service) byRef(ctx context.Context, q store.Querier, ref string) (Registration, error) {
	id := ref
	if strings.HasPrefix(ref, s.cfg.NumberPrefix+"-") {
		if err := q.QueryRowContext(ctx, `SELECT id FROM asset_registrations WHERE number = $1`, ref).Scan(&id); err != nil {
			return Registration{}, fmt.Errorf("registration %q: %w", ref, store.ErrNotFound)
		}
	}
	return s.Registrations.Record(ctx, q, id)
}

// liveRegistration returns the id of a registration of product's rights
// under review, in its objection period or in effect ("" when none).
func (s *Service) liveRegistration(ctx context.Context, q store.Querier, productID string) (string, error) {
	return firstLive(ctx, q, `r.product_id = $1 AND r.type IN ('initial', 'change', 'transfer')
		AND r.stage IN ('review', 'publicity', 'effective')`, productID)
}

// pendingChange returns the id of a change, transfer or cancellation of
// registration id under review or in its objection period ("" when none).
func (s *Service) pendingChange(ctx context.Context, q store.Querier, id string) (string, error) {
	return firstLive(ctx, q, `r.prior_id = $1 AND r.type IN ('change', 'transfer', 'cancellation') AND r.stage IN ('review', 'publicity')`, id)
}

// openObjection returns the id of an objection to registration id still
// under review ("" when none).
func (s *Service) openObjection(ctx context.Context, q store.Querier, id string) (string, error) {
	return firstLive(ctx, q, `r.prior_id = $1 AND r.type = 'objection' AND r.stage = 'review'`, id)
}

// firstLive returns the first registration that cond (on r) selects and
// that is live: past review, or under a review whose case is still open (a
// case withdrawn or expired leaves its registration's stage at review).
// It reads in q, the caller's transaction.
func firstLive(ctx context.Context, q store.Querier, cond string, args ...any) (string, error) {
	ids, err := store.Strings(ctx, q, `SELECT r.id FROM asset_registrations r JOIN review_cases c ON c.id = r.id
		WHERE `+cond+` AND (r.stage <> 'review' OR c.step <> '') ORDER BY r.id LIMIT 1`, args...)
	if err != nil || len(ids) == 0 {
		return "", err
	}
	return ids[0], nil
}

// lockProduct serializes the registrations of one product: on PostgreSQL
// a transaction-scoped advisory lock; SQLite's write transactions are
// serialized already.
func lockProduct(ctx context.Context, tx *store.Tx, productID string) error {
	if tx.Dialect != store.Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "asset_registration:"+productID)
	return err
}
