package exchange

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// Dimension is one side of a listing review.
type Dimension string

// The three dimensions of a compliance review.
const (
	DimensionBasic       Dimension = "basic_information" // 基本信息
	DimensionLegality    Dimension = "legality"          // 合法合规
	DimensionTradability Dimension = "tradability"       // 可交易性
)

// CheckItem is one point of the checklist a reviewer ticks.
type CheckItem struct {
	Key       string    `json:"key"`
	Dimension Dimension `json:"dimension"`
	Text      string    `json:"text"`
}

// CheckItems are the points every reviewer of a listing ticks, per
// dimension; approving needs every one ticked.
var CheckItems = []CheckItem{
	{"provider_identity", DimensionBasic, "The provider is an admitted participant and its identity (USCC, legal representative) is verified"},
	{"description_accurate", DimensionBasic, "Title, description and use scenarios describe the product accurately"},
	{"delivery_price_clear", DimensionBasic, "Delivery modes, price model and amounts are clear"},
	{"source_lawful", DimensionLegality, "The source declaration and its evidence show the data was obtained lawfully"},
	{"personal_information", DimensionLegality, "Personal information is de-identified or covered by individuals' consent"},
	{"no_core_data", DimensionLegality, "No core data, and no important data without the required approval"},
	{"legal_basis", DimensionLegality, "The legal basis cited supports trading the data"},
	{"rights_clear", DimensionTradability, "The provider holds the rights it offers (holding, processing and use, operation)"},
	{"scenarios_lawful", DimensionTradability, "The use scenarios are lawful and do not harm public interests or others' rights"},
	{"policy_controllable", DimensionTradability, "The offer's usage policy (purpose, period, count, fields, no onward transfer) can be enforced by the access point"},
	{"sample_deidentified", DimensionTradability, "The sample is de-identified and representative"},
}

// ChecklistInput is a reviewer's ticked checklist: every key of CheckItems,
// true when the point holds.
type ChecklistInput struct {
	Items map[string]bool `json:"items" doc:"Every checklist key (see the checklist of a listing review), true when the point holds"`
	Note  string          `json:"note,omitempty" required:"false" maxLength:"2000"`
}

func (in *ChecklistInput) check() error {
	in.Note = strings.TrimSpace(in.Note)
	var errs validate.Errors
	for _, it := range CheckItems {
		if _, ok := in.Items[it.Key]; !ok {
			errs.Add("items."+it.Key, nil, validate.CodeRequired, "is required: tick it or leave it unticked (false)")
		}
	}
	for _, k := range sortedKeys(in.Items) {
		if !slices.ContainsFunc(CheckItems, func(it CheckItem) bool { return it.Key == k }) {
			errs.Add("items."+k, k, validate.CodeUnknown, "is not a point of the checklist")
		}
	}
	errs.MaxLen("note", in.Note, 2000)
	return errs.Err()
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Checklist is one reviewer's checklist at a step of a listing review,
// kept with the vote it supports (Decision, once cast).
type Checklist struct {
	Step      string          `json:"step"`
	Reviewer  string          `json:"reviewer" doc:"exchange, law_firm, or takeover"`
	ActorID   string          `json:"actor_id"`
	Items     map[string]bool `json:"items"`
	Note      string          `json:"note,omitempty"`
	Decision  string          `json:"decision,omitempty" doc:"approve or reject once the vote is cast; empty while a draft"`
	UpdatedAt time.Time       `json:"updated_at"`
}

func checklists(ctx context.Context, q store.Querier, caseID string) ([]Checklist, error) {
	rows, err := q.QueryContext(ctx, `SELECT step, reviewer, actor_id, items, note, decision, updated_at FROM exchange_checklists
		WHERE case_id = $1 ORDER BY updated_at, reviewer`, caseID)
	if err != nil {
		return nil, fmt.Errorf("exchange: checklists: %w", err)
	}
	defer rows.Close()
	out := []Checklist{}
	for rows.Next() {
		var c Checklist
		var items string
		if err := rows.Scan(&c.Step, &c.Reviewer, &c.ActorID, &items, &c.Note, &c.Decision, store.ScanTime(&c.UpdatedAt)); err != nil {
			return nil, err
		}
		if err := jsonUnmarshal(items, &c.Items); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// reviewerOf is the reviewer p decides case c's current step as (the rule
// review applies: the first of the step's reviewers p may act for that has
// not decided, or the platform operators' takeover of an escalated step),
// or "" when p may not decide it now.
func reviewerOf(c review.Case, p identity.Principal) string {
	if !c.CanDecide(p) {
		return ""
	}
	voted := func(name string) bool {
		return slices.ContainsFunc(c.Votes, func(v review.Vote) bool { return v.Step == c.Step && v.Reviewer == name })
	}
	if CanStaff(p) && !voted(ReviewerExchange) {
		return ReviewerExchange
	}
	if org := c.Parties[PartyLawFirm]; org != "" && p.RoleIn(org) != "" && !voted(ReviewerLawFirm) {
		return ReviewerLawFirm
	}
	if c.EscalatedAt != nil && review.CanTakeOver(p) {
		return review.Takeover
	}
	return ""
}

// deciding reads listing review id as p would decide it, with the
// reviewer p decides as; when p may not decide it now, it says why.
func (s *Service) deciding(ctx context.Context, p identity.Principal, id string) (review.Case, string, error) {
	c, err := s.lists.Workflow.Get(ctx, p, id)
	if err != nil {
		return c, "", err
	}
	reviewer := reviewerOf(c, p)
	switch {
	case reviewer != "":
		return c, reviewer, nil
	case !c.Open() || c.Status == review.StatusMoreInfo:
		return c, "", validate.Refuse(ErrState, "listing_status", "the listing review is %s: nothing to decide now", c.Status)
	}
	return c, "", identity.ErrForbidden
}

// SubmitChecklist stores actor's ticked checklist for listing review id,
// as the reviewer actor decides its step as; it may be changed until the
// vote is cast with Decide. The event carries the checklist's hash.
func (s *Service) SubmitChecklist(ctx context.Context, actor identity.Principal, id string, in ChecklistInput) (Listing, error) {
	if err := in.check(); err != nil {
		return Listing{}, err
	}
	c, reviewer, err := s.deciding(ctx, actor, id)
	if err != nil {
		return Listing{}, err
	}
	items := jsonOf(in.Items) // encoding/json sorts map keys
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO exchange_checklists (case_id, step, reviewer, actor_id, items, note, decision, updated_at)
			VALUES ($1,$2,$3,$4,$5,$6,'',$7) ON CONFLICT (case_id, step, reviewer) DO UPDATE SET actor_id = $4, items = $5, note = $6,
			updated_at = $7 WHERE exchange_checklists.decision = ''`, c.ID, c.Step, reviewer, actor.UserID, items, in.Note, store.TS(tx.Now()))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return validate.Refuse(ErrState, "checklist_decided", "the %s's checklist of this step is decided", reviewer)
		}
		return tx.Emit(ctx, store.Event{Type: "exchange.listing.checklist", ActorUserID: actor.UserID, SubjectKind: ListingKind, SubjectID: c.ID},
			map[string]any{"step": c.Step, "reviewer": reviewer, "checklist_sha256": store.SHA256Hex(items), "ticked": ticked(in.Items),
				"of": len(CheckItems), "note_sha256": hashOrEmpty(in.Note)})
	})
	if err != nil {
		return Listing{}, err
	}
	return s.listing(ctx, actor, id)
}

func ticked(items map[string]bool) int {
	n := 0
	for _, v := range items {
		if v {
			n++
		}
	}
	return n
}

// ListingReviews are the listing reviews as the case operations (list,
// get, review, withdraw, request more material, answer) see them, with the
// exchange's rules on top of review's: a vote needs the voter's checklist
// (all ticked to approve), a law firm that has become a related party of
// the provider may not vote, a return for more material sends the product
// back to draft and calls the OnReviewFailed hooks, an answer resubmits it.
type ListingReviews struct{ s *Service }

// ListingReviews returns the listing reviews' case operations.
func (s *Service) ListingReviews() ListingReviews { return ListingReviews{s} }

// Get returns listing review id with its checklists.
func (r ListingReviews) Get(ctx context.Context, p identity.Principal, id string) (Listing, error) {
	return r.s.listing(ctx, p, id)
}

// List returns the listing reviews p may see that f selects.
func (r ListingReviews) List(ctx context.Context, p identity.Principal, f review.Filter) ([]Listing, error) {
	ls, err := r.s.lists.List(ctx, p, f)
	for i := range ls {
		if err == nil {
			ls[i].Checklists, err = checklists(ctx, r.s.db, ls[i].ID)
		}
	}
	return ls, err
}

// Decide casts p's vote on listing review id, with the checklist p filled
// in for this step, which is kept with the vote.
func (r ListingReviews) Decide(ctx context.Context, p identity.Principal, id string, d review.Decision, comment string) (Listing, error) {
	s := r.s
	c, reviewer, err := s.deciding(ctx, p, id)
	if err != nil {
		return Listing{}, err
	}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		if err := s.checkVote(ctx, tx, c, reviewer, p, d); err != nil {
			return err
		}
		after, err := s.lists.Workflow.Decide(ctx, tx, p, id, d, comment)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(after.Votes, func(v review.Vote) bool { return v.Step == c.Step && v.Reviewer == reviewer && v.ActorID == p.UserID }) {
			return fmt.Errorf("exchange: listing %s: the vote was not cast as %s", id, reviewer)
		}
		_, err = tx.ExecContext(ctx, `UPDATE exchange_checklists SET decision = $1 WHERE case_id = $2 AND step = $3 AND reviewer = $4`,
			string(d), id, c.Step, reviewer)
		return err
	})
	if err != nil {
		return Listing{}, err
	}
	return s.listing(ctx, p, id)
}

// checkVote checks what a vote needs beyond review's rules: the voter's
// checklist (every point ticked to approve) and, for the law firm, its
// independence from the provider at the time of the vote.
func (s *Service) checkVote(ctx context.Context, tx *store.Tx, c review.Case, reviewer string, p identity.Principal, d review.Decision) error {
	var items, actor string
	err := tx.QueryRowContext(ctx, `SELECT items, actor_id FROM exchange_checklists WHERE case_id = $1 AND step = $2 AND reviewer = $3
		AND decision = ''`, c.ID, c.Step, reviewer).Scan(&items, &actor)
	if err != nil || actor != p.UserID {
		return validate.Errors{{Field: "checklist", Message: "fill in your checklist for this step before you decide", Code: "checklist_required"}}
	}
	var ticks map[string]bool
	if err := jsonUnmarshal(items, &ticks); err != nil {
		return err
	}
	if d == review.Approve {
		var errs validate.Errors
		for _, it := range CheckItems {
			if !ticks[it.Key] {
				errs.Add("checklist."+it.Key, nil, "not_ticked", "is not ticked: a listing is approved only when every point holds")
			}
		}
		if err := errs.Err(); err != nil {
			return err
		}
	}
	if reviewer != ReviewerLawFirm {
		return nil
	}
	l, err := s.lists.Record(ctx, tx, c.ID)
	if err != nil {
		return err
	}
	if rel, err := related(ctx, tx, l.LawFirmID, l.ProviderID); err != nil || rel {
		if err == nil {
			err = errConflict(l.LawFirmID)
		}
		return err
	}
	return nil
}

// Withdraw withdraws listing review id (the provider): the product is a
// draft again.
func (r ListingReviews) Withdraw(ctx context.Context, p identity.Principal, id string) (Listing, error) {
	return r.move(ctx, p, id, func(tx *store.Tx) error {
		if _, err := r.s.lists.Workflow.Withdraw(ctx, tx, p, id); err != nil {
			return err
		}
		return r.s.productBack(ctx, tx, p, id, "withdrawn", "", false)
	})
}

// RequestInfo returns listing review id to the provider for more material
// (a reviewer), with a deadline in working days: the product is a draft
// again until the provider answers, and the OnReviewFailed hooks are called.
func (r ListingReviews) RequestInfo(ctx context.Context, p identity.Principal, id, question string) (Listing, error) {
	return r.move(ctx, p, id, func(tx *store.Tx) error {
		if _, err := r.s.lists.Workflow.RequestInfo(ctx, tx, p, id, question); err != nil {
			return err
		}
		return r.s.productBack(ctx, tx, p, id, "returned", strings.TrimSpace(question), true)
	})
}

// Answer answers a request for more material (the provider): the product,
// complete again, goes back to its reviewers. A product changed after one
// of them approved it must be withdrawn and submitted anew, so that both
// review it as it is.
func (r ListingReviews) Answer(ctx context.Context, p identity.Principal, id, answer string) (Listing, error) {
	return r.move(ctx, p, id, func(tx *store.Tx) error { return r.s.answer(ctx, tx, p, id, answer) })
}

func (r ListingReviews) move(ctx context.Context, p identity.Principal, id string, fn func(tx *store.Tx) error) (Listing, error) {
	if err := r.s.db.Transact(ctx, fn); err != nil {
		return Listing{}, err
	}
	return r.s.listing(ctx, p, id)
}

// productBack puts the product of listing review id back to draft after a
// withdrawal or a return (what), calling the OnReviewFailed hooks when
// failed.
func (s *Service) productBack(ctx context.Context, tx *store.Tx, actor identity.Principal, id, what, reason string, failed bool) error {
	l, err := s.lists.Record(ctx, tx, id)
	if err != nil {
		return err
	}
	p, err := s.lockProduct(ctx, tx, l.ProductID)
	if err != nil {
		return err
	}
	p.Status, p.StatusReason, p.UpdatedAt = ProductDraft, reason, tx.Now()
	if err := saveProduct(ctx, tx, p); err != nil {
		return err
	}
	if failed {
		if err := s.reviewFailed(ctx, tx, p, reason); err != nil {
			return err
		}
	}
	return s.emitProduct(ctx, tx, actor, p, what, map[string]any{"listing_id": id, "reason_sha256": hashOrEmpty(reason)})
}

func (s *Service) answer(ctx context.Context, tx *store.Tx, actor identity.Principal, id, answer string) error {
	l, err := s.lists.Record(ctx, tx, id)
	if err != nil {
		return notFound("listing review", id)
	}
	p, err := s.lockProduct(ctx, tx, l.ProductID)
	if err != nil {
		return err
	}
	var errs validate.Errors
	s.checkComplete(ctx, &errs, p)
	if err := errs.Err(); err != nil {
		return err
	}
	c, err := s.lists.Workflow.Answer(ctx, tx, actor, id, answer)
	if err != nil {
		return err
	}
	if p.Hash != l.ProductHash && len(c.Votes) > 0 {
		return validate.Refuse(ErrState, "product_changed", "the product changed after a reviewer approved it: withdraw it and submit it again")
	}
	if _, err := tx.ExecContext(ctx, `UPDATE exchange_listings SET product_hash = $1 WHERE id = $2`, p.Hash, id); err != nil {
		return err
	}
	p.Status, p.StatusReason, p.UpdatedAt = ProductInReview, "", tx.Now()
	if err := saveProduct(ctx, tx, p); err != nil {
		return err
	}
	if err := s.ensureSampleGrant(ctx, tx, actor, p); err != nil {
		return err
	}
	return s.emitProduct(ctx, tx, actor, p, "submitted", map[string]any{"listing_id": id, "answered": true})
}

// ApplicationReviews are the participant applications as the case
// operations see them; a return for more material is also the event
// "exchange.participant.returned".
type ApplicationReviews struct{ s *Service }

// ApplicationReviews returns the applications' case operations.
func (s *Service) ApplicationReviews() ApplicationReviews { return ApplicationReviews{s} }

// Get returns application id, if p may see it.
func (r ApplicationReviews) Get(ctx context.Context, p identity.Principal, id string) (ParticipantApplication, error) {
	return r.s.apps.Get(ctx, p, id)
}

// List returns the applications p may see that f selects.
func (r ApplicationReviews) List(ctx context.Context, p identity.Principal, f review.Filter) ([]ParticipantApplication, error) {
	return r.s.apps.List(ctx, p, f)
}

// Decide admits (approve) or rejects the application (the exchange's staff).
func (r ApplicationReviews) Decide(ctx context.Context, p identity.Principal, id string, d review.Decision, comment string) (ParticipantApplication, error) {
	return r.s.apps.Decide(ctx, p, id, d, comment)
}

// Withdraw withdraws the application (the applying organization).
func (r ApplicationReviews) Withdraw(ctx context.Context, p identity.Principal, id string) (ParticipantApplication, error) {
	return r.s.apps.Withdraw(ctx, p, id)
}

// Answer answers a request for more material (the applying organization).
func (r ApplicationReviews) Answer(ctx context.Context, p identity.Principal, id, answer string) (ParticipantApplication, error) {
	return r.s.apps.Answer(ctx, p, id, answer)
}

// RequestInfo returns the application for more material (the exchange's
// staff), with a deadline in working days.
func (r ApplicationReviews) RequestInfo(ctx context.Context, p identity.Principal, id, question string) (ParticipantApplication, error) {
	s := r.s
	err := s.db.Transact(ctx, func(tx *store.Tx) error {
		c, err := s.apps.Workflow.RequestInfo(ctx, tx, p, id, question)
		if err != nil {
			return err
		}
		a, err := s.apps.Record(ctx, tx, id)
		if err != nil {
			return err
		}
		pt, err := s.lockParticipant(ctx, tx, a.ParticipantID)
		if err != nil {
			return err
		}
		return s.emitParticipant(ctx, tx, p, pt, "returned", map[string]any{"application_id": id, "answer_due_at": c.AnswerDueAt,
			"question_sha256": store.SHA256Hex(strings.TrimSpace(question))})
	})
	if err != nil {
		return ParticipantApplication{}, err
	}
	return s.apps.Get(ctx, p, id)
}
