package signup

import (
	"context"
	"fmt"

	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/store"
)

// VerificationKind names the review kind of company verifications.
const VerificationKind = "company_verification"

// VerificationDays is how many working days the operators have to decide a
// company's verification before it is escalated.
const VerificationDays = 5

// OperatorQueue verifies companies by the platform operators' approval: a
// case of the review workflow at one step that any operator or sysadmin
// decides. Approval makes the account active; rejection, with its reason,
// leaves it unable to sign in. It is the identity.Verifier until an outside
// real-name service is wired in its place.
type OperatorQueue struct {
	db  *store.DB
	w   *review.Workflow
	ids *identity.Service
}

func newOperatorQueue(db *store.DB, rs *review.Service, ids *identity.Service) *OperatorQueue {
	q := &OperatorQueue{db: db, ids: ids}
	q.w = rs.Register(review.Kind{Name: VerificationKind, Title: "company verification", Noun: "verification", Article: "a",
		Link: "/admin/verifications/",
		Steps: []review.Step{{Name: "operator_review", Reviewers: []review.Reviewer{{Name: "operator",
			Platform: []identity.PlatformRole{identity.PlatformOperator, identity.PlatformSysadmin}}},
			Days: VerificationDays, RemindDays: 1}},
		Notices: map[string]string{"operator_review": VerificationKind + ".submitted", "approved": VerificationKind + ".approved",
			"rejected": VerificationKind + ".rejected", "escalated": VerificationKind + ".escalated", "reminded": VerificationKind + ".reminded"},
		Decided: q.decided})
	return q
}

// Verify files company's verification for the operators; the account waits
// in state unverified until they decide.
func (q *OperatorQueue) Verify(ctx context.Context, tx *store.Tx, account identity.Principal, company identity.Organization) (identity.AccountState, error) {
	_, err := q.w.File(ctx, tx, account, review.Filing{Subject: review.Subject{Kind: "organization", ID: company.ID, OrgID: company.ID},
		FilerOrgID: company.ID})
	if err != nil {
		return "", fmt.Errorf("signup: filing the verification: %w", err)
	}
	return identity.StateUnverified, nil
}

// decided moves the account on once the operators have decided.
func (q *OperatorQueue) decided(ctx context.Context, tx *store.Tx, actor identity.Principal, c review.Case) error {
	state := identity.StateRejected
	if c.Status == review.Status("approved") {
		state = identity.StateActive
	}
	return q.ids.SetAccountState(ctx, tx, actor, c.FilerUserID, state, "verification_"+string(c.Status))
}

// Verification is a company's verification case with what the operators
// need to decide it.
type Verification struct {
	review.Case
	Company identity.Organization
	Account identity.User
}

// List returns the verifications p may see (the platform staff: all),
// newest first; status "" is any.
func (q *OperatorQueue) List(ctx context.Context, p identity.Principal, status review.Status) ([]Verification, error) {
	if !review.CanTakeOver(p) {
		return nil, identity.ErrForbidden
	}
	cases, err := q.w.List(ctx, p, review.Filter{Status: status, Limit: 200})
	if err != nil {
		return nil, err
	}
	out := make([]Verification, 0, len(cases))
	for _, c := range cases {
		v, err := q.fill(ctx, p, c)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Get returns verification id with its history, for the platform staff.
func (q *OperatorQueue) Get(ctx context.Context, p identity.Principal, id string) (Verification, error) {
	if !review.CanTakeOver(p) {
		return Verification{}, identity.ErrForbidden
	}
	c, err := q.w.Get(ctx, p, id)
	if err != nil {
		return Verification{}, err
	}
	return q.fill(ctx, p, c)
}

func (q *OperatorQueue) fill(ctx context.Context, p identity.Principal, c review.Case) (Verification, error) {
	v := Verification{Case: c}
	var err error
	if v.Company, err = q.ids.Organization(ctx, c.Subject.ID); err != nil {
		return v, err
	}
	v.Account, err = q.ids.User(ctx, identity.System, c.FilerUserID)
	return v, err
}

// Decide records p's verdict on verification id (a comment is required to
// reject: it is the reason the company is told).
func (q *OperatorQueue) Decide(ctx context.Context, p identity.Principal, id string, d review.Decision, comment string) error {
	return q.db.Transact(ctx, func(tx *store.Tx) error {
		_, err := q.w.Decide(ctx, tx, p, id, d, comment)
		return err
	})
}

// CanDecide says whether p may decide verification v now.
func (v Verification) CanDecide(p identity.Principal) bool { return v.Case.CanDecide(p) }
