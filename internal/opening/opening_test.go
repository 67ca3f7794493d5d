package opening_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/opening"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"
)

type fixture struct {
	w   *accesstest.World
	acc *access.Service
	svc *opening.Service
}

func newFixture(t *testing.T, db *store.DB) fixture {
	w := accesstest.New(t, db)
	acc := access.New(db, w.Cat, access.Config{Rules: accesstest.Rules{}})
	t.Cleanup(acc.Close)
	return fixture{w: w, acc: acc, svc: opening.NewService(db, w.Cat, w.IDs, acc, opening.Config{RowQuota: 10000})}
}

func (f fixture) input(orgID string) opening.ApplicationInput {
	return opening.ApplicationInput{ResourceID: f.w.Conditional.ID, ApplicantOrgID: orgID, Purpose: "地铁客流预测模型训练",
		Scenario: "公司内部交通出行分析平台", SecurityMeasures: "专网隔离、访问审计、数据加密存储", Fields: []string{"station", "riders"}, DurationDays: 180}
}

func TestConditionalOpenApplicationFromApplyToRevocation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		a, err := f.svc.Apply(ctx, f.w.CompanyAdmin, f.input(f.w.Company.ID))
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != opening.StatusProviderReview || a.ApplicantKind != opening.ApplicantCompany || a.DueAt == nil {
			t.Fatalf("application = %+v", a)
		}
		read := func() access.Decision {
			d, err := f.acc.Decide(ctx, access.Request{Subject: f.w.CompanyAdmin, ResourceID: f.w.Conditional.ID, Action: access.ActionRead})
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		if d := read(); d.Allow {
			t.Fatal("readable before review")
		}
		if _, err := f.svc.Decide(ctx, f.w.Operator, a.ID, review.Approve, ""); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("operator reviewed before the provider: %v", err)
		}
		if a, err = f.svc.Decide(ctx, f.w.ProviderAdmin, a.ID, review.Approve, "用途明确"); err != nil || a.Status != opening.StatusOperatorReview {
			t.Fatalf("provider approval: %+v %v", a, err)
		}
		if d := read(); d.Allow {
			t.Fatal("readable before the operator approved")
		}
		if a, err = f.svc.Decide(ctx, f.w.Operator, a.ID, review.Approve, "同意"); err != nil || a.Status != opening.StatusGranted {
			t.Fatalf("operator approval: %+v %v", a, err)
		}
		if a.AgreementHash == "" || !strings.Contains(a.Agreement, f.w.Conditional.Code) || !strings.Contains(a.Agreement, f.w.Company.USCC) {
			t.Errorf("agreement = %q (hash %q)", a.Agreement, a.AgreementHash)
		}
		evs, _ := db.Events(ctx, store.EventFilter{SubjectKind: opening.Kind, SubjectID: a.ID, Type: "open_application.granted"})
		var payload map[string]any
		if len(evs) != 1 || json.Unmarshal(evs[0].Payload, &payload) != nil || payload["agreement_sha256"] != a.AgreementHash {
			t.Fatalf("granted event = %+v", evs)
		}
		d := read()
		if !d.Allow || d.GrantID != a.GrantID || d.Constraints.DeidProfile != "mask-"+f.w.Conditional.Code ||
			len(d.Constraints.Fields) != 2 || d.Constraints.RowsLeft != 10000 {
			t.Fatalf("read after grant: %+v", d)
		}
		if _, err := f.acc.Revoke(ctx, f.w.Operator, a.GrantID, "违反协议约定用途"); err != nil {
			t.Fatal(err)
		}
		if d := read(); d.Allow || d.Reason != access.ReasonRevoked {
			t.Fatalf("read after revocation: %+v", d)
		}
	})
}

func TestWhoMayApplyForWhat(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		person, err := f.svc.Apply(ctx, f.w.Citizen, f.input(f.w.Person.ID))
		if err != nil || person.ApplicantKind != opening.ApplicantPerson {
			t.Fatalf("person's application: %+v %v", person, err)
		}
		var verrs validate.Errors
		for name, test := range map[string]struct {
			actor identity.Principal
			in    func(opening.ApplicationInput) opening.ApplicationInput
			field string
		}{
			"institution": {f.w.RequesterAdmin, func(in opening.ApplicationInput) opening.ApplicationInput {
				in.ApplicantOrgID = f.w.Requester.ID
				return in
			}, "applicant_org_id"},
			"someone else's":  {f.w.Citizen, func(in opening.ApplicationInput) opening.ApplicationInput { return in }, "applicant_org_id"},
			"open to all":     {f.w.CompanyAdmin, func(in opening.ApplicationInput) opening.ApplicationInput { in.ResourceID = f.w.Open.ID; return in }, "resource_id"},
			"not open":        {f.w.CompanyAdmin, func(in opening.ApplicationInput) opening.ApplicationInput { in.ResourceID = f.w.Closed.ID; return in }, "resource_id"},
			"missing purpose": {f.w.CompanyAdmin, func(in opening.ApplicationInput) opening.ApplicationInput { in.Purpose = ""; return in }, "purpose"},
			"unknown item":    {f.w.CompanyAdmin, func(in opening.ApplicationInput) opening.ApplicationInput { in.Fields = []string{"x"}; return in }, "fields[0]"},
		} {
			in := test.in(f.input(f.w.Company.ID))
			if _, err := f.svc.Apply(ctx, test.actor, in); !errors.As(err, &verrs) || !verrs.Has(test.field) {
				t.Errorf("%s: %v, want a problem with %s", name, err, test.field)
			}
		}
		if _, err := f.svc.Get(ctx, f.w.CompanyAdmin, person.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another applicant sees the application: %v", err)
		}
		sent, _ := f.svc.List(ctx, f.w.Citizen, opening.Filter{Side: "sent"})
		queue, _ := f.svc.List(ctx, f.w.ProviderAdmin, opening.Filter{Side: "queue"})
		if len(sent) != 1 || len(queue) != 1 {
			t.Errorf("sent %d, provider's queue %d", len(sent), len(queue))
		}
	})
}

func TestAnnualOpenList(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		year := time.Now().Year()
		l, err := f.svc.SaveList(ctx, f.w.ProviderEditor, f.w.Provider.ID, year, "全年计划开放交通出行类数据 3 项。")
		if err != nil {
			t.Fatal(err)
		}
		date := func(m time.Month, d int) string {
			return time.Date(year, m, d, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
		}
		past, future := date(1, 1), date(12, 31)
		if time.Now().Month() == 1 && time.Now().Day() == 1 {
			t.Skip("no past date in the year on 1 January")
		}
		for _, in := range []opening.ItemInput{
			{ResourceID: f.w.Open.ID, OpenType: catalog.OpenUnconditional, PlannedDate: past},
			{TitleZh: "公交到站预测", OpenType: catalog.OpenUnconditional, PlannedDate: future},
			{TitleZh: "出租车运营里程", OpenType: catalog.OpenConditional, PlannedDate: past},
		} {
			if l, err = f.svc.AddItem(ctx, f.w.ProviderEditor, l.ID, in); err != nil {
				t.Fatal(err)
			}
		}
		var verrs validate.Errors
		if _, err := f.svc.AddItem(ctx, f.w.ProviderEditor, l.ID, opening.ItemInput{TitleZh: "x", OpenType: catalog.OpenNone, PlannedDate: "2001-01-01"}); !errors.As(err, &verrs) ||
			!verrs.Has("open_type") || !verrs.Has("planned_date") {
			t.Errorf("bad item: %v", err)
		}
		if got, _ := f.svc.Lists(ctx, identity.Anonymous, year); len(got) != 0 {
			t.Fatalf("a draft list is public: %+v", got)
		}
		if _, err := f.svc.Publish(ctx, f.w.ProviderEditor, l.ID); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("an editor published: %v", err)
		}
		if _, err := f.svc.Publish(ctx, f.w.ProviderAdmin, l.ID); err != nil {
			t.Fatal(err)
		}
		lists, _ := f.svc.Lists(ctx, identity.Anonymous, year)
		if len(lists) != 1 {
			t.Fatalf("public lists = %+v", lists)
		}
		planned, opened, late := lists[0].Counts()
		if planned != 1 || opened != 1 || late != 1 {
			t.Errorf("planned %d, opened %d, late %d; want 1 each: %+v", planned, opened, late, lists[0].Items)
		}
		if _, err := f.svc.AddItem(ctx, f.w.ProviderEditor, l.ID, opening.ItemInput{TitleZh: "y", OpenType: catalog.OpenConditional, PlannedDate: future}); !errors.Is(err, opening.ErrState) {
			t.Errorf("added to a published list: %v", err)
		}
	})
}

// TestTheApplicantNeverDecides: a user who applies for a company and also
// administers the provider may not decide the application; CanReview and
// the queue agree; the provider's other admin can.
func TestTheApplicantNeverDecides(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		u, err := f.w.IDs.CreateUser(ctx, identity.System, identity.UserInput{Username: "both.sides", DisplayName: "both", Password: accesstest.Password,
			Memberships: []identity.Membership{{OrganizationID: f.w.Company.ID, Role: identity.RoleAdmin}, {OrganizationID: f.w.Provider.ID, Role: identity.RoleAdmin}}})
		if err != nil {
			t.Fatal(err)
		}
		both, err := f.w.IDs.Principal(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		a, err := f.svc.Apply(ctx, both, f.input(f.w.Company.ID))
		if err != nil {
			t.Fatal(err)
		}
		if a.CanReview(both) {
			t.Error("CanReview offers the applicant the decision on their own application")
		}
		if queue, _ := f.svc.List(ctx, both, opening.Filter{Side: "queue"}); len(queue) != 0 {
			t.Errorf("the applicant's review queue holds their own application: %+v", queue)
		}
		_, err = f.svc.Decide(ctx, both, a.ID, review.Approve, "自己批准")
		if !errors.Is(err, identity.ErrForbidden) || !strings.Contains(err.Error(), "separation of duties") {
			t.Fatalf("the applicant decided their own application: %v", err)
		}
		if got, _ := f.svc.Get(ctx, both, a.ID); got.Status != opening.StatusProviderReview || len(got.Steps) != 1 {
			t.Fatalf("the refused decision changed the application: %+v", got)
		}
		if a, err = f.svc.Decide(ctx, f.w.ProviderAdmin, a.ID, review.Approve, "同意"); err != nil || a.Status != opening.StatusOperatorReview {
			t.Fatalf("another admin's approval: %+v %v", a, err)
		}
	})
}
