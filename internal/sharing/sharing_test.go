package sharing_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/assess/assesstest"
	"dataport/internal/identity"
	"dataport/internal/notify"
	"dataport/internal/review"
	"dataport/internal/sharing"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"
)

type fixture struct {
	w   *accesstest.World
	acc *access.Service
	svc *sharing.Service
}

// newFixture builds the test city with the platform's classification rules;
// its important resource has a completed risk assessment, as sharing it
// requires.
func newFixture(t *testing.T, db *store.DB) fixture {
	w := accesstest.New(t, db)
	grades, assessments := assesstest.Rules(db, w.Cat, w.IDs)
	assesstest.Complete(t, assessments, w.ProviderEditor, w.Important.ID)
	acc := access.New(db, w.Cat, access.Config{Rules: grades})
	t.Cleanup(acc.Close)
	return fixture{w: w, acc: acc, svc: sharing.NewService(db, w.Cat, acc, sharing.Config{})}
}

func (f fixture) input(resourceID string) sharing.RequestInput {
	return sharing.RequestInput{ResourceID: resourceID, RequesterOrgID: f.w.Requester.ID, Purpose: "大气污染溯源分析",
		LegalBasis: "《京华市生态环境保护条例》第二十条", Fields: []string{"station", "riders"}, DurationDays: 90}
}

func (f fixture) reads(t *testing.T, p identity.Principal, resourceID string) access.Decision {
	t.Helper()
	d, err := f.acc.Decide(context.Background(), access.Request{Subject: p, ResourceID: resourceID, Action: access.ActionRead, Channel: access.ChannelAPIRows})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestUnconditionalShareIsGrantedAtOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		r, err := f.svc.Create(context.Background(), f.w.RequesterMember, f.input(f.w.Open.ID))
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != sharing.StatusGranted || r.GrantID == "" || len(r.Steps) != 2 {
			t.Fatalf("request = %+v", r)
		}
		d := f.reads(t, f.w.RequesterMember, f.w.Open.ID)
		if !d.Allow || d.GrantID != r.GrantID || len(d.Constraints.Fields) != 2 {
			t.Fatalf("requester's read: %+v", d)
		}
		if d.Constraints.Expires.Before(time.Now().AddDate(0, 0, 89)) {
			t.Errorf("grant expires %v, want about 90 days from now", d.Constraints.Expires)
		}
	})
}

func TestConditionalShareFromRequestToRevocation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		r, err := f.svc.Create(ctx, f.w.RequesterMember, f.input(f.w.Conditional.ID))
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != sharing.StatusProviderReview || r.DueAt == nil || r.DueAt.Before(time.Now().AddDate(0, 0, 5)) {
			t.Fatalf("request = %+v, want provider review due in 5 working days", r)
		}
		if d := f.reads(t, f.w.RequesterMember, f.w.Conditional.ID); d.Allow {
			t.Fatalf("read before approval: %+v", d)
		}
		queue, _ := f.svc.List(ctx, f.w.ProviderAdmin, sharing.Filter{Side: "queue"})
		if len(queue) != 1 || queue[0].ID != r.ID {
			t.Fatalf("provider's queue = %+v", queue)
		}
		if _, err := f.svc.Decide(ctx, f.w.ProviderEditor, r.ID, review.Approve, ""); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("an editor approved: %v", err)
		}
		if _, err := f.svc.Decide(ctx, f.w.RequesterAdmin, r.ID, review.Approve, ""); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("the requester approved its own request: %v", err)
		}
		var verrs validate.Errors
		if _, err := f.svc.Decide(ctx, f.w.ProviderAdmin, r.ID, review.Reject, " "); !errors.As(err, &verrs) || !verrs.Has("comment") {
			t.Errorf("rejection without a comment: %v", err)
		}
		r, err = f.svc.Decide(ctx, f.w.ProviderAdmin, r.ID, review.Approve, "同意，限用于溯源分析")
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != sharing.StatusGranted || r.GrantID == "" {
			t.Fatalf("after approval: %+v", r)
		}
		d := f.reads(t, f.w.RequesterMember, f.w.Conditional.ID)
		if !d.Allow || d.GrantID != r.GrantID {
			t.Fatalf("read after approval: %+v", d)
		}
		notes, _ := notify.NewService(db).List(ctx, f.w.RequesterMember, false, 10)
		if len(notes) != 1 || notes[0].Kind != "share.granted" {
			t.Errorf("requester's notices = %+v", notes)
		}
		if _, err := f.acc.Revoke(ctx, f.w.ProviderAdmin, r.GrantID, "数据用途已完成"); err != nil {
			t.Fatal(err)
		}
		if d := f.reads(t, f.w.RequesterMember, f.w.Conditional.ID); d.Allow || d.Reason != access.ReasonRevoked {
			t.Fatalf("read after revocation: %+v", d)
		}
		got, _ := f.svc.Get(ctx, f.w.RequesterMember, r.ID)
		if actions := stepActions(got.Steps); actions != "submitted,granted" {
			t.Errorf("history = %s", actions)
		}
	})
}

func stepActions(steps []review.Entry) string {
	s := ""
	for i, st := range steps {
		if i > 0 {
			s += ","
		}
		s += st.Action
	}
	return s
}

func TestImportantDataNeedsTheOperator(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		r, err := f.svc.Create(ctx, f.w.RequesterMember, f.input(f.w.Important.ID))
		if err != nil {
			t.Fatal(err)
		}
		if !r.NeedsOperator {
			t.Fatal("important data does not need the operator")
		}
		r, err = f.svc.Decide(ctx, f.w.ProviderAdmin, r.ID, review.Approve, "")
		if err != nil || r.Status != sharing.StatusOperatorReview {
			t.Fatalf("after the provider's approval: %+v %v", r, err)
		}
		if d := f.reads(t, f.w.RequesterMember, f.w.Important.ID); d.Allow {
			t.Fatal("readable before the operator approved")
		}
		if _, err := f.svc.Decide(ctx, f.w.ProviderAdmin, r.ID, review.Approve, ""); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("the provider approved twice: %v", err)
		}
		opQueue, _ := f.svc.List(ctx, f.w.Operator, sharing.Filter{Side: "queue"})
		if len(opQueue) != 1 {
			t.Fatalf("operator's queue = %+v", opQueue)
		}
		if r, err = f.svc.Decide(ctx, f.w.Operator, r.ID, review.Approve, "重要数据，同意共享"); err != nil || r.Status != sharing.StatusGranted {
			t.Fatalf("after the operator's approval: %+v %v", r, err)
		}
		if d := f.reads(t, f.w.RequesterMember, f.w.Important.ID); !d.Allow {
			t.Fatalf("read after both approvals: %+v", d)
		}
	})
}

func TestUnsharedDataIsRefusedCitingTheBasis(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		r, err := f.svc.Create(context.Background(), f.w.RequesterMember, f.input(f.w.Unshared.ID))
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != sharing.StatusRejected || r.Reason != f.w.Unshared.ShareBasis || r.GrantID != "" {
			t.Fatalf("request = %+v, want rejected citing %q", r, f.w.Unshared.ShareBasis)
		}
	})
}

func TestBadRequestsAreRefusedWithFieldErrors(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		in := f.input(f.w.Conditional.ID)
		in.Purpose, in.DurationDays, in.Fields = "", 0, []string{"nope"}
		_, err := f.svc.Create(ctx, f.w.RequesterMember, in)
		var verrs validate.Errors
		if !errors.As(err, &verrs) || !verrs.Has("purpose") || !verrs.Has("duration_days") || !verrs.Has("fields[0]") {
			t.Errorf("bad input: %v", err)
		}
		company := f.input(f.w.Conditional.ID)
		company.RequesterOrgID = f.w.Company.ID
		if _, err := f.svc.Create(ctx, f.w.CompanyAdmin, company); !errors.As(err, &verrs) || !verrs.Has("requester_org_id") {
			t.Errorf("a company requested sharing: %v", err)
		}
		if _, err := f.svc.Create(ctx, f.w.ProviderAdmin, sharing.RequestInput{ResourceID: f.w.Conditional.ID, RequesterOrgID: f.w.Provider.ID,
			Purpose: "x", LegalBasis: "y", DurationDays: 1}); !errors.As(err, &verrs) || !verrs.Has("resource_id") {
			t.Errorf("an institution requested its own data: %v", err)
		}
		var n int
		db.QueryRowContext(ctx, `SELECT count(*) FROM share_requests`).Scan(&n)
		if n != 0 {
			t.Errorf("%d requests stored from bad input", n)
		}
	})
}

func TestOverdueRequestsAreEscalatedOnce(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		r, err := f.svc.Create(ctx, f.w.RequesterMember, f.input(f.w.Conditional.ID))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Decide(ctx, f.w.Operator, r.ID, review.Approve, ""); !errors.Is(err, identity.ErrForbidden) {
			t.Fatalf("operator decided before the deadline: %v", err)
		}
		later := time.Now().AddDate(0, 0, 10)
		for i, want := range []int{1, 0} {
			tl, err := f.svc.Tick(ctx, later)
			if err != nil || tl.Escalated != want {
				t.Fatalf("escalation %d: %+v, %v (want %d)", i+1, tl, err, want)
			}
		}
		got, _ := f.svc.Get(ctx, f.w.Operator, r.ID)
		if got.EscalatedAt == nil || !got.Overdue(later) {
			t.Fatalf("escalated request = %+v", got)
		}
		notes, _ := notify.NewService(db).List(ctx, f.w.Operator, true, 10)
		if len(notes) != 1 || notes[0].Kind != "share.escalated" {
			t.Errorf("operator's notices = %+v", notes)
		}
		if got, err = f.svc.Decide(ctx, f.w.Operator, r.ID, review.Reject, "逾期未审核，按规定退回"); err != nil || got.Status != sharing.StatusRejected {
			t.Fatalf("operator's decision on the overdue request: %+v %v", got, err)
		}
	})
}

func TestWithdraw(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		r, _ := f.svc.Create(ctx, f.w.RequesterMember, f.input(f.w.Conditional.ID))
		if _, err := f.svc.Withdraw(ctx, f.w.ProviderAdmin, r.ID); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("the provider withdrew the request: %v", err)
		}
		r, err := f.svc.Withdraw(ctx, f.w.RequesterMember, r.ID)
		if err != nil || r.Status != sharing.StatusWithdrawn {
			t.Fatalf("withdraw: %+v %v", r, err)
		}
		if _, err := f.svc.Decide(ctx, f.w.ProviderAdmin, r.ID, review.Approve, ""); !errors.Is(err, sharing.ErrState) {
			t.Errorf("approving a withdrawn request: %v", err)
		}
		if _, err := f.svc.Get(ctx, f.w.CompanyAdmin, r.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a third party sees the request: %v", err)
		}
	})
}

// member returns a new user with the given memberships.
func (f fixture) member(t *testing.T, name string, ms ...identity.Membership) identity.Principal {
	t.Helper()
	ctx := context.Background()
	u, err := f.w.IDs.CreateUser(ctx, identity.System, identity.UserInput{Username: name, DisplayName: name, Password: accesstest.Password, Memberships: ms})
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.w.IDs.Principal(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTheRequesterNeverDecides: a user who acts for both institutions, or
// an operator who filed a request, may not decide it at any step; the
// workflow's CanReview (which the UI asks) and the review queue agree,
// and another reviewer still can.
func TestTheRequesterNeverDecides(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		both := f.member(t, "both.sides", identity.Membership{OrganizationID: f.w.Requester.ID, Role: identity.RoleMember},
			identity.Membership{OrganizationID: f.w.Provider.ID, Role: identity.RoleAdmin})
		r, err := f.svc.Create(ctx, both, f.input(f.w.Conditional.ID))
		if err != nil {
			t.Fatal(err)
		}
		if r.CanReview(both) {
			t.Error("CanReview offers the requester the decision on their own request")
		}
		if queue, _ := f.svc.List(ctx, both, sharing.Filter{Side: "queue"}); len(queue) != 0 {
			t.Errorf("the requester's review queue holds their own request: %+v", queue)
		}
		_, err = f.svc.Decide(ctx, both, r.ID, review.Approve, "自己批准")
		if !errors.Is(err, identity.ErrForbidden) || !strings.Contains(err.Error(), "separation of duties") {
			t.Fatalf("the requester decided their own request: %v", err)
		}
		if got, _ := f.svc.Get(ctx, both, r.ID); got.Status != sharing.StatusProviderReview || got.GrantID != "" || len(got.Steps) != 1 {
			t.Fatalf("the refused decision changed the request: %+v", got)
		}
		if d := f.reads(t, both, f.w.Conditional.ID); d.Allow && d.GrantID != "" {
			t.Fatalf("a grant exists after the refused self-approval: %+v", d)
		}
		if !r.CanReview(f.w.ProviderAdmin) {
			t.Error("CanReview refuses the provider's other admin")
		}
		if got, err := f.svc.Decide(ctx, f.w.ProviderAdmin, r.ID, review.Approve, "同意"); err != nil || got.Status != sharing.StatusGranted {
			t.Fatalf("another admin's approval: %+v %v", got, err)
		}

		// An operator who files a request for their own institution does not
		// decide its operator review either; another operator does.
		opOrg := f.w.Operator.Memberships[0].OrganizationID
		in := f.input(f.w.Important.ID)
		in.RequesterOrgID = opOrg
		r, err = f.svc.Create(ctx, f.w.Operator, in)
		if err != nil {
			t.Fatal(err)
		}
		if r, err = f.svc.Decide(ctx, f.w.ProviderAdmin, r.ID, review.Approve, ""); err != nil || r.Status != sharing.StatusOperatorReview {
			t.Fatalf("provider's approval: %+v %v", r, err)
		}
		if r.CanReview(f.w.Operator) {
			t.Error("CanReview offers the operator the decision on their own request")
		}
		if _, err := f.svc.Decide(ctx, f.w.Operator, r.ID, review.Approve, ""); !errors.Is(err, identity.ErrForbidden) {
			t.Fatalf("the operator decided their own request: %v", err)
		}
		if r, err = f.svc.Decide(ctx, f.w.Sysadmin, r.ID, review.Approve, ""); err != nil || r.Status != sharing.StatusGranted {
			t.Fatalf("another operator's approval: %+v %v", r, err)
		}
	})
}
