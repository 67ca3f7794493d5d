package exchange_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"dataport/internal/exchange"
	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"
)

var exchangeTables = []string{"exchange_participants", "exchange_applications", "exchange_relations", "exchange_documents",
	"exchange_products", "exchange_listings", "exchange_checklists", "review_cases", "events", "grants"}

// TestApplicationRefusedAtTheField: a bad USCC (mistyped check character,
// wrong length, another organization's code), a missing legal
// representative or an unknown role is refused at its field, and nothing
// is written.
func TestApplicationRefusedAtTheField(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		good := application(f.w.Company, "李明", exchange.RoleBuyer)
		mistyped := []byte(good.USCC)
		mistyped[17] = map[bool]byte{true: '1', false: '2'}[mistyped[17] != '1']
		tests := []struct {
			name  string
			edit  func(in *exchange.ParticipantInput)
			field string
		}{
			{"mistyped check character", func(in *exchange.ParticipantInput) { in.USCC = string(mistyped) }, "uscc"},
			{"17 characters", func(in *exchange.ParticipantInput) { in.USCC = in.USCC[:17] }, "uscc"},
			{"letter O", func(in *exchange.ParticipantInput) { in.USCC = "O" + in.USCC[1:] }, "uscc"},
			{"another organization's code", func(in *exchange.ParticipantInput) { in.USCC = uscc("OTHER") }, "uscc"},
			{"no legal representative", func(in *exchange.ParticipantInput) { in.LegalRep = " " }, "legal_representative"},
			{"no role", func(in *exchange.ParticipantInput) { in.Roles = nil }, "roles"},
			{"unknown role", func(in *exchange.ParticipantInput) { in.Roles = []exchange.Role{"dealer"} }, "roles[0]"},
			{"bad email", func(in *exchange.ParticipantInput) { in.ContactEmail = "nobody" }, "contact_email"},
		}
		before := storetest.CountRows(t, db, exchangeTables...)
		for _, test := range tests {
			t.Run(test.name, func(t *testing.T) {
				in := good
				test.edit(&in)
				_, err := f.ex.Apply(ctx, f.w.CompanyAdmin, in)
				var errs validate.Errors
				if !errors.As(err, &errs) || !errs.Has(test.field) {
					t.Fatalf("Apply = %v, want a field error at %s", err, test.field)
				}
			})
		}
		storetest.AssertUnchanged(t, db, before)
		if _, err := f.ex.ParticipantOfOrg(ctx, db, f.w.Company.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a refused application left a participant: %v", err)
		}
		if _, err := f.ex.Apply(ctx, f.w.RequesterMember, application(f.w.Requester, "张三", exchange.RoleBuyer)); err == nil {
			t.Error("a plain member applied for the institution")
		}
	})
}

// TestAdmission: an application waits for the exchange's staff, who may
// return it for more material with a deadline in working days; once the
// applicant answers, staff admit it; the applicant cannot decide it and
// nobody but staff can; a second application while admitted is refused.
func TestAdmission(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		apps := f.ex.ApplicationReviews()
		a, err := f.ex.Apply(ctx, f.w.CompanyAdmin, application(f.w.Company, "李明", exchange.RoleBuyer, exchange.RoleProvider))
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != exchange.StaffReview || a.DueAt == nil {
			t.Fatalf("application = %+v, want it waiting for the staff with a deadline", a)
		}
		p, _ := f.ex.ParticipantByID(ctx, db, a.ParticipantID)
		if p.Status != exchange.ParticipantApplied || p.USCC != f.w.Company.USCC {
			t.Fatalf("participant = %+v", p)
		}
		queue, err := apps.List(ctx, f.staff, review.Filter{Side: "queue"})
		if err != nil || len(queue) != 1 || queue[0].ID != a.ID {
			t.Fatalf("staff queue = %+v (%v)", queue, err)
		}
		for _, who := range []identity.Principal{f.w.CompanyAdmin, f.lawAAdmin} {
			if _, err := apps.Decide(ctx, who, a.ID, review.Approve, ""); err == nil {
				t.Errorf("%s admitted the application", who.Username)
			}
		}
		a, err = apps.RequestInfo(ctx, f.staff, a.ID, "请补充营业执照副本")
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != review.StatusMoreInfo || a.AnswerDueAt == nil {
			t.Fatalf("returned application = %+v, want more_info with an answer deadline", a)
		}
		if _, err := f.ex.AddParticipantDocument(ctx, f.w.CompanyAdmin, p.ID, exchange.DocumentInput{Kind: "business_licence", Name: "执照.pdf"},
			strings.NewReader("%PDF-1.4 licence")); err != nil {
			t.Fatal(err)
		}
		if _, err := apps.Answer(ctx, f.w.CompanyAdmin, a.ID, "已上传营业执照"); err != nil {
			t.Fatal(err)
		}
		if a, err = apps.Decide(ctx, f.staff, a.ID, review.Approve, "同意准入"); err != nil {
			t.Fatal(err)
		}
		p, _ = f.ex.ParticipantByID(ctx, db, a.ParticipantID)
		if a.Status != "admitted" || p.Status != exchange.ParticipantAdmitted || p.AdmittedAt == nil || !p.Trading() || len(p.Documents) != 1 {
			t.Fatalf("after admission: application %+v, participant %+v", a, p)
		}
		if p.Documents[0].SHA256 != store.SHA256Hex("%PDF-1.4 licence") {
			t.Errorf("document hash = %s", p.Documents[0].SHA256)
		}
		want := []string{"exchange.participant.applied", "exchange.participant.returned", "exchange.participant.document_added", "exchange.participant.admitted"}
		if got := events(t, db, "exchange_participant", p.ID); !slices.Equal(got, want) {
			t.Errorf("events = %v, want %v", got, want)
		}
		for _, ev := range mustEvents(t, db, "exchange_participant", p.ID) {
			if strings.Contains(string(ev.Payload), "李明") || strings.Contains(string(ev.Payload), "执照") || strings.Contains(string(ev.Payload), p.USCC) {
				t.Errorf("event %s carries personal data or names: %s", ev.Type, ev.Payload)
			}
		}
		if _, err := f.ex.Apply(ctx, f.w.CompanyAdmin, application(f.w.Company, "李明", exchange.RoleBuyer)); !errors.Is(err, exchange.ErrState) {
			t.Errorf("second application = %v, want ErrState", err)
		}
		// The public sees the admitted participant's face only.
		pub, err := f.ex.Participant(ctx, f.lawAAdmin, p.ID)
		if err != nil || pub.LegalRep != "" || pub.ContactPhone != "" || len(pub.Documents) != 0 {
			t.Errorf("an outsider sees %+v (%v)", pub, err)
		}
	})
}

func mustEvents(t *testing.T, db *store.DB, kind, id string) []store.Event {
	t.Helper()
	evs, err := db.Events(context.Background(), store.EventFilter{SubjectKind: kind, SubjectID: id})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestRejectionAndReapplication: a rejected participant may apply again.
func TestRejectionAndReapplication(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		a, err := f.ex.Apply(ctx, f.w.CompanyAdmin, application(f.w.Company, "李明", exchange.RoleBuyer))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.ex.ApplicationReviews().Decide(ctx, f.staff, a.ID, review.Reject, "经营范围不符"); err != nil {
			t.Fatal(err)
		}
		p, _ := f.ex.ParticipantByID(ctx, db, a.ParticipantID)
		if p.Status != exchange.ParticipantRejected || p.StatusReason != "经营范围不符" {
			t.Fatalf("rejected participant = %+v", p)
		}
		b, err := f.ex.Apply(ctx, f.w.CompanyAdmin, application(f.w.Company, "李明", exchange.RoleBuyer))
		if err != nil || b.ParticipantID != p.ID || b.ID == a.ID {
			t.Fatalf("reapplication = %+v (%v)", b, err)
		}
	})
}

// TestRelatedParties: two participants declaring the same legal
// representative (spelled with different spacing) are found related;
// declared relations are kept, staff may remove them; Relations lists
// every pair.
func TestRelatedParties(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		a := f.admit(t, f.w.CompanyAdmin, application(f.w.Company, "王 建国", exchange.RoleBuyer))
		b := f.admit(t, f.company2Admin, application(f.company2, "王建国", exchange.RoleProvider))
		c := f.admit(t, f.lawAAdmin, application(f.lawA, "赵律", exchange.RoleLawFirm))
		rels, err := f.ex.Relations(ctx, db)
		if err != nil || len(rels) != 1 || rels[0].Kind != exchange.RelationLegalRep ||
			!slices.Contains([]string{rels[0].ParticipantID, rels[0].OtherID}, a.ID) || !slices.Contains([]string{rels[0].ParticipantID, rels[0].OtherID}, b.ID) {
			t.Fatalf("relations = %+v (%v), want a and b by legal representative", rels, err)
		}
		if _, err := f.ex.DeclareRelation(ctx, f.lawAAdmin, a.ID, exchange.RelationInput{OtherID: c.ID, Kind: exchange.RelationShareholder}); err == nil {
			t.Error("another participant declared a relation of a")
		}
		got, err := f.ex.DeclareRelation(ctx, f.w.CompanyAdmin, a.ID, exchange.RelationInput{OtherID: c.ID, Kind: exchange.RelationShareholder, Note: "持股 30%"})
		if err != nil || len(got.RelatedParties) != 2 {
			t.Fatalf("after declaring: %+v (%v)", got.RelatedParties, err)
		}
		var errs validate.Errors
		if _, err := f.ex.DeclareRelation(ctx, f.staff, a.ID, exchange.RelationInput{OtherID: a.ID, Kind: exchange.RelationController}); !errors.As(err, &errs) ||
			!errs.Has("other_participant_id") {
			t.Errorf("self relation = %v", err)
		}
		if _, err := f.ex.RemoveRelation(ctx, f.w.CompanyAdmin, a.ID, exchange.RelationInput{OtherID: c.ID, Kind: exchange.RelationShareholder}); err == nil {
			t.Error("a participant removed a relation")
		}
		if _, err := f.ex.RemoveRelation(ctx, f.staff, a.ID, exchange.RelationInput{OtherID: c.ID, Kind: exchange.RelationShareholder}); err != nil {
			t.Fatal(err)
		}
		if rels, _ := f.ex.Relations(ctx, db); len(rels) != 1 {
			t.Errorf("relations after removal = %+v", rels)
		}
	})
}

// TestSuspension: staff suspend an admitted participant, who cannot write
// products then, and reinstate it; others cannot; a reason is required.
func TestSuspension(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		m := f.market(t)
		var errs validate.Errors
		if _, err := f.ex.SuspendParticipant(ctx, f.staff, m.provider.ID, " "); !errors.As(err, &errs) || !errs.Has("reason") {
			t.Errorf("suspension without a reason = %v", err)
		}
		if _, err := f.ex.SuspendParticipant(ctx, f.w.ProviderAdmin, m.provider.ID, "自查"); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("the participant suspended itself: %v", err)
		}
		p, err := f.ex.SuspendParticipant(ctx, f.staff, m.provider.ID, "风险预警：循环交易")
		if err != nil || p.Status != exchange.ParticipantSuspended || p.Trading() {
			t.Fatalf("suspended = %+v (%v)", p, err)
		}
		if _, err := f.ex.CreateProduct(ctx, f.w.ProviderEditor, f.product(m, "")); err == nil {
			t.Error("a suspended provider wrote a product")
		}
		if _, err := f.ex.SuspendParticipant(ctx, f.staff, m.provider.ID, "again"); !errors.Is(err, exchange.ErrState) {
			t.Errorf("second suspension = %v", err)
		}
		if p, err = f.ex.ReinstateParticipant(ctx, f.staff, m.provider.ID, "核查无误"); err != nil || !p.Trading() {
			t.Fatalf("reinstated = %+v (%v)", p, err)
		}
		if p, err = f.ex.SetTier(ctx, f.staff, m.provider.ID, "certified"); err != nil || p.Tier != "certified" {
			t.Fatalf("tier = %+v (%v)", p, err)
		}
	})
}
