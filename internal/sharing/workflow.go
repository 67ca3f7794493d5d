package sharing

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/notify"
	"dataport/internal/store"
	"dataport/internal/validate"
)

// Workflow is the review that share requests have in common with open
// applications (package opening): an item waits in provider_review, then
// perhaps operator_review, within a deadline; every move is stored with a
// history step, an event and notices in the caller's transaction; an item
// past its deadline is escalated to the operators once. A Workflow names
// where its items live and how they are called; the steps are the same.
type Workflow struct {
	Kind    string // names items in histories, notices and events: "share_request"
	Table   string // holds the items: "share_requests"
	Noun    string // names an item in errors: "the request is granted", "only a request under review"
	Article string // goes before Noun: "a", "an"
	Notices string // starts the kinds of notices: "share" for share.submitted, share.escalated
	Link    string // is an item's page without its id: "/share-requests/"
	// RequesterColumn holds the requesting organization: "requester_org_id".
	RequesterColumn string
	// RequesterUserColumn holds the user who filed the item: "requester_user_id".
	RequesterUserColumn string
}

// Item is what Workflow reads of one share request or application.
type Item struct {
	ID             string
	ProviderOrgID  string
	RequesterOrgID string // the requesting institution, or the applicant
	// RequesterUserID is the user who filed it; they never decide it.
	RequesterUserID string
	Status          string
	DueAt           *time.Time
	EscalatedAt     *time.Time
	Reason          string
	Decisions       notify.To      // who is told of a decision
	Payload         map[string]any // the item's event payload: ids and hashes only
}

// actorOrg is the organization on whose behalf actor acts on it.
func (it Item) actorOrg(actor identity.Principal) string {
	for _, org := range []string{it.ProviderOrgID, it.RequesterOrgID} {
		if actor.RoleIn(org) != "" {
			return org
		}
	}
	return ""
}

// Decision is a reviewer's verdict.
type Decision string

// Verdicts.
const (
	Approve Decision = "approve"
	Reject  Decision = "reject"
)

// Fields returns the data items a requester names, trimmed, without
// blanks and repeats.
func Fields(names []string) []string {
	fields := []string{}
	for _, f := range names {
		if f = strings.TrimSpace(f); f != "" && !slices.Contains(fields, f) {
			fields = append(fields, f)
		}
	}
	return fields
}

// ValidateScope adds to errs what is wrong with the scope a requester asks
// of r: a duration of 1 to 1095 days, fields among r's data items.
func ValidateScope(errs *validate.Errors, r catalog.Resource, fields []string, days int) {
	if days < 1 || days > 1095 {
		errs.Add("duration_days", days, "must be between 1 and 1095 days")
	}
	for i, f := range fields {
		if !slices.ContainsFunc(r.Items, func(it catalog.Item) bool { return it.Name == f }) {
			errs.Add(fmt.Sprintf("fields[%d]", i), f, "is not a data item of this resource")
		}
	}
}

// ValidateReview checks a verdict and returns its comment trimmed; a
// rejection needs a comment saying why.
func ValidateReview(d Decision, comment string) (string, error) {
	comment = strings.TrimSpace(comment)
	var errs validate.Errors
	validate.OneOf(&errs, "decision", d, Approve, Reject)
	if d == Reject && comment == "" {
		errs.Add("comment", "", "is required when rejecting: say why")
	}
	errs.MaxLen("comment", comment, 2000)
	return comment, errs.Err()
}

// ErrSelfReview means the actor filed the item and so may not decide it,
// whatever roles they hold on either side (separation of duties). It is
// returned wrapped in identity.ErrForbidden; its text is the reason a
// client is shown.
var ErrSelfReview = errors.New("separation of duties: whoever filed a request or application may not decide it; another reviewer must")

// MayReview says whether actor may decide it now: the provider's admins
// in provider review (the operators too once it is escalated), the
// operators in operator review, nobody once it is decided (ErrState), and
// never the user who filed it (ErrSelfReview), even when they also act for
// the provider or the platform.
func (w Workflow) MayReview(actor identity.Principal, it Item) error {
	if !Status(it.Status).Open() {
		return fmt.Errorf("%w: the %s is %s", ErrState, w.Noun, it.Status)
	}
	if actor.UserID != "" && actor.UserID == it.RequesterUserID {
		return fmt.Errorf("%w: %w", identity.ErrForbidden, ErrSelfReview)
	}
	operator := CanReviewAsOperator(actor)
	switch Status(it.Status) {
	case StatusProviderReview:
		if CanReviewAsProvider(actor, it.ProviderOrgID) || (operator && it.EscalatedAt != nil) {
			return nil
		}
	case StatusOperatorReview:
		if operator {
			return nil
		}
	}
	return identity.ErrForbidden
}

// MayWithdraw says whether actor may withdraw it: members of the
// requesting organization, while it is under review (else ErrState).
func (w Workflow) MayWithdraw(actor identity.Principal, it Item) error {
	if !CanRequest(actor, it.RequesterOrgID) {
		return identity.ErrForbidden
	}
	if !Status(it.Status).Open() {
		return fmt.Errorf("%w: only %s %s under review can be withdrawn (this one is %s)", ErrState, w.Article, w.Noun, it.Status)
	}
	return nil
}

// NotifySubmitted tells the provider's admins that it waits for their review.
func (w Workflow) NotifySubmitted(ctx context.Context, tx *store.Tx, it Item) error {
	return notify.Send(ctx, tx, w.Notices+".submitted", w.Kind, it.ID, w.Link+it.ID,
		notify.To{Orgs: []string{it.ProviderOrgID}, OrgRole: identity.RoleAdmin})
}

// Move stores the status, deadline, escalation and reason already set on
// it, with a history step (action, comment) and the event Kind.<status>.
// The operators are told when it enters operator review; it.Decisions get
// a notice of kind notice unless that is "".
func (w Workflow) Move(ctx context.Context, tx *store.Tx, actor identity.Principal, it Item, action, comment, notice string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE `+w.Table+` SET status = $1, due_at = $2, escalated_at = $3, reason = $4, updated_at = $5
		WHERE id = $6`, it.Status, store.NullTSPtr(it.DueAt), store.NullTSPtr(it.EscalatedAt), it.Reason, store.TS(tx.Now()), it.ID); err != nil {
		return err
	}
	if err := AddStep(ctx, tx, w.Kind, it.ID, Step{Action: action, Status: it.Status, ActorID: actor.UserID,
		ActorOrgID: it.actorOrg(actor), Comment: comment}); err != nil {
		return err
	}
	if err := w.Emit(ctx, tx, actor, it, it.Status, comment); err != nil {
		return err
	}
	if it.Status == string(StatusOperatorReview) {
		if err := notify.Send(ctx, tx, w.Notices+".operator_review", w.Kind, it.ID, w.Link+it.ID, notify.To{Operators: true}); err != nil {
			return err
		}
	}
	if notice == "" {
		return nil
	}
	return notify.Send(ctx, tx, notice, w.Kind, it.ID, w.Link+it.ID, it.Decisions)
}

// Emit records the event Kind.what of it: its payload, plus the comment's
// hash when there is a comment.
func (w Workflow) Emit(ctx context.Context, tx *store.Tx, actor identity.Principal, it Item, what, comment string) error {
	payload := maps.Clone(it.Payload)
	if comment != "" {
		payload["comment_sha256"] = store.SHA256Hex(comment)
	}
	return tx.Emit(ctx, store.Event{Type: w.Kind + "." + what, ActorUserID: actor.UserID, ActorOrgID: it.actorOrg(actor),
		SubjectKind: w.Kind, SubjectID: it.ID}, payload)
}

// ByID selects one item by its id ($1).
const ByID = ` WHERE id = $1`

// ByIDForUpdate is ByID locking the item's row until tx ends (a SQLite
// transaction holds the whole database).
func ByIDForUpdate(tx *store.Tx) string {
	if tx.Dialect == store.Postgres {
		return ByID + ` FOR UPDATE`
	}
	return ByID
}

// Overdue selects the items under review past their deadline ($1) that
// are not escalated yet: the ones Escalate flags.
const Overdue = ` WHERE status IN ('provider_review', 'operator_review') AND escalated_at IS NULL AND due_at < $1`

// Escalate flags it, past its deadline, as escalated, with a history step,
// an event and a notice to the operators and the provider's admins.
func (w Workflow) Escalate(ctx context.Context, tx *store.Tx, it Item) error {
	if _, err := tx.ExecContext(ctx, `UPDATE `+w.Table+` SET escalated_at = $1 WHERE id = $2`, store.TS(tx.Now()), it.ID); err != nil {
		return err
	}
	if err := AddStep(ctx, tx, w.Kind, it.ID, Step{Action: "escalated", Status: it.Status, ActorID: identity.System.UserID}); err != nil {
		return err
	}
	if err := w.Emit(ctx, tx, identity.System, it, "escalated", ""); err != nil {
		return err
	}
	return notify.Send(ctx, tx, w.Notices+".escalated", w.Kind, it.ID, w.Link+it.ID,
		notify.To{Operators: true, Orgs: []string{it.ProviderOrgID}, OrgRole: identity.RoleAdmin})
}
