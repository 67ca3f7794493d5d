// Package dispute resolves disputes over exchange contracts online
// (article 50): a party of a contract opens a case with a claim; the
// evidence bundle of the contract (its canonical document, every event of
// its negotiation, contract, delivery grant, transfers and usage, each
// with its ledger receipt) is attached at once, stored as a blob and its
// hash sealed; the exchange's staff mediate (open → mediation → settled)
// or, when mediation fails, arbitrate (→ arbitration → decided); the
// claimant may withdraw until the case is closed. Every step is recorded
// with its reasons and sealed by an event carrying their hash: events
// exchange.dispute.{opened, evidence_attached, mediation, arbitration,
// settled, decided, withdrawn} on subject kind exchange_dispute, whose
// payloads carry ids and hashes, never the texts.
//
// It is its own small state machine rather than a kind of internal/review:
// a review approves or rejects a filer's request step by step, while a
// dispute has two sides, one case officer at a time and outcomes that are
// not approvals.
package dispute

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"dataport/internal/access"
	"dataport/internal/exchange"
	"dataport/internal/exchange/trade"
	"dataport/internal/identity"
	"dataport/internal/ledger"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// Status is where a dispute stands.
type Status string

// The statuses: open → mediation → settled, or mediation → arbitration →
// decided; open, mediation and arbitration → withdrawn by the claimant.
const (
	StatusOpen        Status = "open"
	StatusMediation   Status = "mediation"
	StatusArbitration Status = "arbitration"
	StatusSettled     Status = "settled"
	StatusDecided     Status = "decided"
	StatusWithdrawn   Status = "withdrawn"
)

// Outcomes record how a case closed: settled in mediation, or the
// arbitrator's award on the claim.
const (
	OutcomeSettled      = "settled"
	OutcomeUpheld       = "upheld"
	OutcomePartlyUpheld = "partly_upheld"
	OutcomeDismissed    = "dismissed"
	OutcomeWithdrawn    = "withdrawn"
)

// awards are the outcomes an arbitrator may decide.
var awards = []string{OutcomeUpheld, OutcomePartlyUpheld, OutcomeDismissed}

// Sides of a contract a claimant may stand on.
const (
	SideBuyer    = "buyer"
	SideProvider = "provider"
)

// ErrState means the dispute's status does not allow the step (409). It
// matches store.ErrConflict.
var ErrState = fmt.Errorf("the dispute's status does not allow this step: %w", store.ErrConflict)

// maxText is the longest claim or reasons, in characters.
const maxText = 8000

// subjectKind is the events' subject kind of a dispute.
const subjectKind = "exchange_dispute"

// Dispute is one case about one contract.
type Dispute struct {
	ID              string    `json:"id"`
	ContractID      string    `json:"contract_id"`
	ClaimantOrgID   string    `json:"claimant_org_id"`
	RespondentOrgID string    `json:"respondent_org_id"`
	ClaimantSide    string    `json:"claimant_side" enum:"buyer,provider"`
	Claim           string    `json:"claim"`
	Status          Status    `json:"status" enum:"open,mediation,arbitration,settled,decided,withdrawn"`
	MediatorID      string    `json:"mediator_id,omitempty" doc:"The staff member who mediates (from mediation on)"`
	ArbitratorID    string    `json:"arbitrator_id,omitempty" doc:"The staff member who arbitrates (from arbitration on)"`
	Outcome         string    `json:"outcome,omitempty" enum:"settled,upheld,partly_upheld,dismissed,withdrawn"`
	EvidenceSHA256  string    `json:"evidence_sha256,omitempty" doc:"SHA-256 of the evidence bundle attached when the case opened, sealed in the ledger; empty while it is being attached"`
	EvidenceSize    int64     `json:"evidence_size,omitempty"`
	CreatedBy       string    `json:"created_by"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
	Steps           []Step    `json:"steps"`
}

// Step is one recorded transition with its reasons.
type Step struct {
	Seq     int       `json:"seq"`
	From    Status    `json:"from" doc:"Empty for the opening"`
	To      Status    `json:"to"`
	ActorID string    `json:"actor_id"`
	Outcome string    `json:"outcome,omitempty"`
	Reasons string    `json:"reasons,omitempty"`
	At      time.Time `json:"at"`
}

// Closed reports whether the case is over.
func (d Dispute) Closed() bool {
	return d.Status == StatusSettled || d.Status == StatusDecided || d.Status == StatusWithdrawn
}

// Config wires a dispute service.
type Config struct {
	// Access is flushed before the usage of a contract's grant is read.
	Access *access.Service
	// DataDir holds the evidence bundles (DataDir/blobs/dispute).
	DataDir string
	Logger  *slog.Logger
}

// Service keeps the disputes of one store.
type Service struct {
	db    *store.DB
	tr    *trade.Service
	led   *ledger.Service
	cfg   Config
	blobs blobs
}

// New returns the dispute service.
func New(db *store.DB, tr *trade.Service, led *ledger.Service, cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{db: db, tr: tr, led: led, cfg: cfg, blobs: blobs{dir: cfg.DataDir}}
}

// canSee says whether p may see disputes between the two organizations:
// their members, the exchange's staff and platform staff (auditors).
func canSee(p identity.Principal, d Dispute) bool {
	return p.RoleIn(d.ClaimantOrgID) != "" || p.RoleIn(d.RespondentOrgID) != "" || exchange.CanStaff(p) || p.IsPlatformStaff()
}

// canOfficiate says whether p may mediate or arbitrate d: exchange staff
// who belong to neither party.
func canOfficiate(p identity.Principal, d Dispute) bool {
	return exchange.CanStaff(p) && p.RoleIn(d.ClaimantOrgID) == "" && p.RoleIn(d.RespondentOrgID) == ""
}

// OpenInput is a party's claim on a contract.
type OpenInput struct {
	ContractID string `json:"-"`
	Side       string `json:"side,omitempty" enum:"buyer,provider" doc:"The side the claimant stands on; needed only by someone who may act for both"`
	Claim      string `json:"claim" doc:"What is claimed and why (kept by the exchange; events carry only its hash)" maxLength:"8000"`
}

// Open files a claim on a contract for the actor's organization (an
// editor or admin of its buyer or provider), attaches the contract's
// evidence bundle and seals it. A contract the actor may not see does not
// exist; a second unresolved claim of the same party on it is refused.
func (s *Service) Open(ctx context.Context, actor identity.Principal, in OpenInput) (Dispute, error) {
	if actor.IsAnonymous() {
		return Dispute{}, identity.ErrUnauthenticated
	}
	c, err := s.tr.Contract(ctx, actor, in.ContractID)
	if err != nil {
		return Dispute{}, err
	}
	d, err := claimFor(actor, c, in)
	if err != nil {
		return Dispute{}, err
	}
	usage, err := s.usage(ctx, c)
	if err != nil {
		return Dispute{}, err
	}
	usageSum, err := s.blobs.put(usage) // kept as sealed at opening, for the bundle
	if err != nil {
		return Dispute{}, err
	}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		if err := refuseSecondClaim(ctx, tx, d); err != nil {
			return err
		}
		d.ID, d.CreatedBy, d.CreatedAt, d.UpdatedAt = store.NewID(), actor.UserID, tx.Now(), tx.Now()
		if err := insertDispute(ctx, tx, d); err != nil {
			return err
		}
		return s.step(ctx, tx, actor, &d, "", StatusOpen, "", "", map[string]any{"contract_sha256": c.Hash,
			"claimant_side": d.ClaimantSide, "claim_sha256": store.SHA256Hex(d.Claim), "usage_sha256": usageSum})
	})
	if err != nil {
		return Dispute{}, err
	}
	if err := s.attach(ctx, actor, &d); err != nil {
		// The case stands; the bundle is attached again when first asked for.
		s.cfg.Logger.WarnContext(ctx, "dispute: evidence not attached yet", "dispute", d.ID, "err", err)
	}
	return d, nil
}

// claimFor checks the claim and returns the dispute it opens.
func claimFor(actor identity.Principal, c trade.Contract, in OpenInput) (Dispute, error) {
	var errs validate.Errors
	claim := strings.TrimSpace(in.Claim)
	if errs.Required("claim", claim) {
		checkText(&errs, "claim", claim)
	}
	if in.Side != "" {
		validate.OneOf(&errs, "side", in.Side, SideBuyer, SideProvider)
	}
	if err := errs.Err(); err != nil {
		return Dispute{}, err
	}
	buyer, provider := actor.AtLeast(c.BuyerOrgID, identity.RoleEditor), actor.AtLeast(c.ProviderOrgID, identity.RoleEditor)
	d := Dispute{ContractID: c.ID, Claim: claim, Status: StatusOpen}
	switch {
	case buyer && in.Side != SideProvider:
		d.ClaimantOrgID, d.RespondentOrgID, d.ClaimantSide = c.BuyerOrgID, c.ProviderOrgID, SideBuyer
	case provider && in.Side != SideBuyer:
		d.ClaimantOrgID, d.RespondentOrgID, d.ClaimantSide = c.ProviderOrgID, c.BuyerOrgID, SideProvider
	default:
		return Dispute{}, fmt.Errorf("only an editor or admin of the contract's buyer or provider may open a dispute on it: %w", identity.ErrForbidden)
	}
	return d, nil
}

func refuseSecondClaim(ctx context.Context, tx *store.Tx, d Dispute) error {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM exchange_disputes WHERE contract_id = $1 AND claimant_org_id = $2
		AND status IN ('open', 'mediation', 'arbitration')`, d.ContractID, d.ClaimantOrgID).Scan(&n)
	if err != nil {
		return err
	}
	if n > 0 {
		return validate.Refuse(ErrState, "dispute_pending", "the party already has an unresolved dispute on contract %s", d.ContractID)
	}
	return nil
}

// Mediate takes an open case into mediation, with the actor (exchange
// staff belonging to neither party) as its mediator.
func (s *Service) Mediate(ctx context.Context, actor identity.Principal, id, note string) (Dispute, error) {
	return s.move(ctx, actor, id, StatusMediation, "", note, func(d *Dispute) error {
		if !canOfficiate(actor, *d) {
			return fmt.Errorf("only the exchange's staff, belonging to neither party, mediate: %w", identity.ErrForbidden)
		}
		d.MediatorID = actor.UserID
		return nil
	})
}

// Escalate takes a case whose mediation failed to arbitration, with the
// actor (exchange staff belonging to neither party) as its arbitrator;
// reasons (why mediation failed) are required.
func (s *Service) Escalate(ctx context.Context, actor identity.Principal, id, reasons string) (Dispute, error) {
	if err := requireReasons(reasons); err != nil {
		return Dispute{}, err
	}
	return s.move(ctx, actor, id, StatusArbitration, "", reasons, func(d *Dispute) error {
		if !canOfficiate(actor, *d) {
			return fmt.Errorf("only the exchange's staff, belonging to neither party, arbitrate: %w", identity.ErrForbidden)
		}
		d.ArbitratorID = actor.UserID
		return nil
	})
}

// Decide closes a case: in mediation the mediator records the settlement
// the parties reached (outcome "settled"); in arbitration the arbitrator
// records the award (upheld, partly_upheld or dismissed). Reasons are
// required either way.
func (s *Service) Decide(ctx context.Context, actor identity.Principal, id, outcome, reasons string) (Dispute, error) {
	if err := requireReasons(reasons); err != nil {
		return Dispute{}, err
	}
	d, err := s.Dispute(ctx, actor, id)
	if err != nil {
		return Dispute{}, err
	}
	to, officer, allowed := StatusSettled, d.MediatorID, []string{OutcomeSettled}
	if d.Status == StatusArbitration {
		to, officer, allowed = StatusDecided, d.ArbitratorID, awards
	}
	var errs validate.Errors
	validate.OneOf(&errs, "outcome", outcome, allowed...)
	if err := errs.Err(); err != nil && (d.Status == StatusMediation || d.Status == StatusArbitration) {
		return Dispute{}, err
	}
	return s.move(ctx, actor, id, to, outcome, reasons, func(d *Dispute) error {
		if actor.UserID != officer || !canOfficiate(actor, *d) {
			return fmt.Errorf("only the case's %s decides it: %w", map[Status]string{StatusSettled: "mediator", StatusDecided: "arbitrator"}[to], identity.ErrForbidden)
		}
		d.Outcome = outcome
		return nil
	})
}

// Withdraw ends an unresolved case at the claimant's request (an editor
// or admin of the claimant organization).
func (s *Service) Withdraw(ctx context.Context, actor identity.Principal, id, reason string) (Dispute, error) {
	var errs validate.Errors
	checkText(&errs, "reason", reason)
	if err := errs.Err(); err != nil {
		return Dispute{}, err
	}
	return s.move(ctx, actor, id, StatusWithdrawn, OutcomeWithdrawn, reason, func(d *Dispute) error {
		if !actor.AtLeast(d.ClaimantOrgID, identity.RoleEditor) {
			return fmt.Errorf("only the claimant withdraws a dispute: %w", identity.ErrForbidden)
		}
		d.Outcome = OutcomeWithdrawn
		return nil
	})
}

func requireReasons(reasons string) error {
	var errs validate.Errors
	if errs.Required("reasons", strings.TrimSpace(reasons)) {
		checkText(&errs, "reasons", reasons)
	}
	return errs.Err()
}

// transitions are the steps the state machine allows.
var transitions = map[Status][]Status{
	StatusOpen:        {StatusMediation, StatusWithdrawn},
	StatusMediation:   {StatusSettled, StatusArbitration, StatusWithdrawn},
	StatusArbitration: {StatusDecided, StatusWithdrawn},
}

// move takes dispute id to status to in one transaction: it checks the
// actor may see it and the step is allowed, lets check (the step's own
// permission) change the dispute, and records the step and its event.
func (s *Service) move(ctx context.Context, actor identity.Principal, id string, to Status, outcome, reasons string,
	check func(d *Dispute) error) (Dispute, error) {
	var d Dispute
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		var err error
		if d, err = getDispute(ctx, tx, id); err != nil {
			return err
		}
		if !canSee(actor, d) {
			return notFound(id)
		}
		from := d.Status
		if !allowed(from, to) {
			return validate.Refuse(ErrState, "dispute_state", "a dispute in status %s cannot move to %s", from, to)
		}
		if err := check(&d); err != nil {
			return err
		}
		d.Status, d.UpdatedAt = to, tx.Now()
		if err := updateDispute(ctx, tx, d, from); err != nil {
			return err
		}
		return s.step(ctx, tx, actor, &d, from, to, outcome, strings.TrimSpace(reasons), nil)
	})
	if err != nil {
		return Dispute{}, err
	}
	return d, nil
}

func allowed(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// step records a transition of d and emits its event, whose payload
// carries the hash of the reasons, never the text.
func (s *Service) step(ctx context.Context, tx *store.Tx, actor identity.Principal, d *Dispute, from, to Status, outcome, reasons string,
	extra map[string]any) error {
	st := Step{Seq: len(d.Steps), From: from, To: to, ActorID: actor.UserID, Outcome: outcome, Reasons: reasons, At: tx.Now()}
	if err := insertStep(ctx, tx, d.ID, st); err != nil {
		return err
	}
	d.Steps = append(d.Steps, st)
	payload := map[string]any{"contract_id": d.ContractID, "claimant_org_id": d.ClaimantOrgID, "respondent_org_id": d.RespondentOrgID,
		"from": from, "to": to, "seq": st.Seq}
	if outcome != "" {
		payload["outcome"] = outcome
	}
	if reasons != "" {
		payload["reasons_sha256"] = store.SHA256Hex(reasons)
	}
	for k, v := range extra {
		payload[k] = v
	}
	org := ""
	if actor.RoleIn(d.ClaimantOrgID) != "" {
		org = d.ClaimantOrgID
	}
	return tx.Emit(ctx, store.Event{Type: eventType(to), ActorUserID: actor.UserID, ActorOrgID: org,
		SubjectKind: subjectKind, SubjectID: d.ID}, payload)
}

// eventType names the event of arriving in status to:
// exchange.dispute.opened, .mediation, .arbitration, .settled, .decided,
// .withdrawn.
func eventType(to Status) string {
	if to == StatusOpen {
		return "exchange.dispute.opened"
	}
	return "exchange.dispute." + string(to)
}

// Dispute returns a case its parties, the exchange's staff and platform
// staff may see; to anyone else it does not exist.
func (s *Service) Dispute(ctx context.Context, actor identity.Principal, id string) (Dispute, error) {
	d, err := getDispute(ctx, s.db, id)
	if err != nil {
		return Dispute{}, err
	}
	if !canSee(actor, d) {
		return Dispute{}, notFound(id)
	}
	return d, nil
}

// Filter selects disputes; zero fields match every dispute the caller may see.
type Filter struct {
	Status     Status
	ContractID string
	Cursor     string // the last id of the previous page
	Limit      int    // 1–200, default 50
}

// Disputes lists the disputes the caller may see, newest first: the
// exchange's staff and platform staff see all of them, anyone else those
// of their organizations.
func (s *Service) Disputes(ctx context.Context, actor identity.Principal, f Filter) ([]Dispute, error) {
	if actor.IsAnonymous() {
		return nil, identity.ErrUnauthenticated
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var orgs []string
	if !exchange.CanStaff(actor) && !actor.IsPlatformStaff() {
		if orgs = actor.OrgIDs(); len(orgs) == 0 {
			return []Dispute{}, nil
		}
	}
	return listDisputes(ctx, s.db, f, orgs)
}

func notFound(id string) error { return fmt.Errorf("dispute %q: %w", id, store.ErrNotFound) }

// checkText adds a problem when s is too long or not plain text.
func checkText(errs *validate.Errors, field, s string) { errs.Text(field, s, maxText) }
