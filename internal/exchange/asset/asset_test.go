package asset_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/exchange"
	"dataport/internal/exchange/asset"
	"dataport/internal/identity"
	"dataport/internal/ledger"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"
	"dataport/internal/workday"
)

// world is the accesstest city with an exchange whose staff is the
// platform operator: the transport commission provides products; the
// company (sharing the commission's legal representative, so a related
// party) buys and assesses; the environment bureau is an independent
// assessor; the citizen objects.
type world struct {
	w                           *accesstest.World
	db                          *store.DB
	ex                          *exchange.Service
	reg                         *asset.Service
	dir                         string
	provider, company, assessor exchange.Participant
}

const publicURL = "https://data.jinghua.gov.cn"

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	w := &world{w: accesstest.New(t, db), db: db, dir: t.TempDir()}
	acc := access.New(db, w.w.Cat, access.Config{Rules: accesstest.Rules{}})
	t.Cleanup(acc.Close)
	rev := review.NewService(db, review.Config{})
	w.ex = exchange.New(db, w.w.IDs, w.w.Cat, acc, exchange.Config{Review: rev, DataDir: w.dir})
	w.reg = asset.New(db, w.ex, asset.Config{Review: rev, PublicURL: publicURL + "/", DataDir: w.dir})
	w.provider = w.admit(t, w.w.ProviderAdmin, w.w.Provider, "王建国", exchange.RoleProvider)
	w.company = w.admit(t, w.w.CompanyAdmin, w.w.Company, "王建国", exchange.RoleBuyer, exchange.RoleAssessor)
	w.assessor = w.admit(t, w.w.RequesterAdmin, w.w.Requester, "陈立", exchange.RoleAssessor)
	return w
}

// admit has org apply with roles and the exchange's staff admit it.
func (w *world) admit(t *testing.T, admin identity.Principal, org identity.Organization, legalRep string, roles ...exchange.Role) exchange.Participant {
	t.Helper()
	ctx := context.Background()
	app, err := w.ex.Apply(ctx, admin, exchange.ParticipantInput{OrgID: org.ID, USCC: org.USCC, LegalRep: legalRep, ContactName: "联系人",
		ContactPhone: "010-12345678", Roles: roles})
	if err != nil {
		t.Fatalf("apply %s: %v", org.NameZh, err)
	}
	if _, err := w.ex.ApplicationReviews().Decide(ctx, w.w.Operator, app.ID, review.Approve, ""); err != nil {
		t.Fatalf("admit %s: %v", org.NameZh, err)
	}
	p, err := w.ex.ParticipantByID(ctx, w.db, app.ParticipantID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// product creates a product of the provider delivered in a zone and
// submits it: it is in review.
func (w *world) product(t *testing.T, title string) exchange.Product {
	t.Helper()
	ctx := context.Background()
	p, err := w.ex.CreateProduct(ctx, w.w.ProviderEditor, exchange.ProductInput{ProviderID: w.provider.ID, Title: title, Description: title + "（测试）",
		UseScenarios: []string{"交通规划"}, Source: exchange.SourceSelfCollected, LegalBasis: "《京华市公共数据管理办法》",
		ZoneOutputIDs: []string{"zone-output-1"}, Delivery: []exchange.DeliveryMode{exchange.DeliveryZone},
		Price: exchange.Price{Model: exchange.PriceOneOff, AmountFen: 100_000}, Offer: exchange.Offer{PeriodDays: 365}})
	if err != nil {
		t.Fatalf("product: %v", err)
	}
	if _, err := w.ex.Submit(ctx, w.w.ProviderEditor, p.ID, exchange.SubmitInput{}); err != nil {
		t.Fatalf("submit: %v", err)
	}
	if p, err = w.ex.ProductByID(ctx, w.db, p.ID); err != nil || p.Status != exchange.ProductInReview {
		t.Fatalf("product %s: %v", p.Status, err)
	}
	return p
}

func all() []asset.Right {
	return []asset.Right{asset.RightOperation, asset.RightHolding, asset.RightProcessing}
}

// approved files in as actor and has the staff approve it (after the
// counterparty's admin consents, when consent is given).
func (w *world) approved(t *testing.T, actor identity.Principal, in asset.ApplyInput, consent ...identity.Principal) asset.Registration {
	t.Helper()
	ctx := context.Background()
	r, err := w.reg.Apply(ctx, actor, in)
	if err != nil {
		t.Fatalf("apply %s: %v", in.Type, err)
	}
	for _, p := range consent {
		if r, err = w.reg.Registrations.Decide(ctx, p, r.ID, review.Approve, "同意"); err != nil || r.Status != asset.StatusReview {
			t.Fatalf("consent: %s %v", r.Status, err)
		}
	}
	if r, err = w.reg.Registrations.Decide(ctx, w.w.Operator, r.ID, review.Approve, "材料齐全"); err != nil {
		t.Fatalf("approve %s: %v", in.Type, err)
	}
	return r
}

// effective approves in and ticks past its objection period.
func (w *world) effective(t *testing.T, actor identity.Principal, in asset.ApplyInput, consent ...identity.Principal) asset.Registration {
	t.Helper()
	r := w.approved(t, actor, in, consent...)
	if n, err := w.reg.Tick(context.Background(), r.PublicityEndsAt.Add(time.Second)); err != nil || n != 1 {
		t.Fatalf("tick: %d %v", n, err)
	}
	return w.get(t, r.ID)
}

func (w *world) get(t *testing.T, id string) asset.Registration {
	t.Helper()
	r, err := w.reg.Registrations.Get(context.Background(), w.w.Operator, id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// events are the types of the events of registration id, oldest first.
func (w *world) events(t *testing.T, kind, id string) []string {
	t.Helper()
	evs, err := w.db.Events(context.Background(), store.EventFilter{SubjectKind: kind, SubjectID: id})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(evs) - 1; i >= 0; i-- {
		out = append(out, evs[i].Type)
	}
	return out
}

var tables = []string{"asset_registrations", "asset_registration_numbers", "asset_valuations", "review_cases", "events"}

// TestRegistrationThroughObjectionPeriod: an initial registration is
// reviewed by the staff (never by its filer), numbered at approval, open
// to objections for 10 working days of the review calendar, and effective
// when the tick passes the period's end; its certificate carries the
// holder, rights, the product's and its own hash and the receipt's event.
func TestRegistrationThroughObjectionPeriod(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w, ctx := newWorld(t, db), context.Background()
		p := w.product(t, "地铁客流指数")
		r, err := w.reg.Apply(ctx, w.w.ProviderEditor, asset.ApplyInput{Type: asset.TypeInitial, ProductID: p.ID, Rights: all(), Statement: "自行采集"})
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != asset.StatusReview || r.Stage != asset.StageReview || r.Number != "" || r.HolderUSCC != w.w.Provider.USCC {
			t.Fatalf("filed: %+v", r)
		}
		if _, err := w.reg.Registrations.Decide(ctx, w.w.ProviderEditor, r.ID, review.Approve, ""); !errors.Is(err, identity.ErrForbidden) {
			t.Fatalf("the filer decided: %v", err)
		}
		if _, err := w.reg.Registrations.Decide(ctx, w.w.CompanyAdmin, r.ID, review.Approve, ""); err == nil {
			t.Fatal("a participant outside the exchange's staff decided")
		}
		r, err = w.reg.Registrations.Decide(ctx, w.w.Operator, r.ID, review.Approve, "材料齐全")
		if err != nil {
			t.Fatal(err)
		}
		year := r.ApprovedAt.In(workday.Beijing).Year()
		if want := fmt.Sprintf("JH-DR-%d-000001", year); r.Number != want || r.Stage != asset.StagePublicity {
			t.Fatalf("approved: number %q stage %s, want %s publicity", r.Number, r.Stage, want)
		}
		if want := workday.China().AddWorkingDays(*r.ApprovedAt, 10); !r.PublicityEndsAt.Equal(want) {
			t.Errorf("objections end %v, want 10 working days on: %v", r.PublicityEndsAt, want)
		}
		if r.Hash != store.SHA256Hex(string(r.Canonical())) || r.ProductHash != p.Hash {
			t.Errorf("hashes: registration %s product %s (product is %s)", r.Hash, r.ProductHash, p.Hash)
		}
		c, err := w.reg.Certificate(ctx, r.Number)
		if err != nil {
			t.Fatal(err)
		}
		if c.Holder.USCC != w.w.Provider.USCC || c.Holder.Name != w.w.Provider.NameZh || len(c.Rights) != 3 || c.Rights[0] != asset.RightHolding ||
			c.ProductHash != p.Hash || c.RegistrationHash != store.SHA256Hex(c.Canonical) || c.URL != publicURL+"/exchange/certificates/"+r.Number {
			t.Errorf("certificate: %+v", c)
		}
		qr, err := w.reg.QR(ctx, r.Number)
		if want, _ := asset.QRCode(c.URL); err != nil || string(qr) != string(want) {
			t.Errorf("the certificate's QR code is not that of its URL (%v)", err)
		}
		if _, err := w.reg.QR(ctx, "JH-DR-2026-999999"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("QR of no certificate: %v", err)
		}
		approval := c.ReceiptEventID
		if approval == "" {
			t.Fatal("the certificate names no receipt")
		}

		o, err := w.reg.Object(ctx, w.w.Citizen, r.Number, asset.ObjectionInput{Grounds: "先提出，后撤回"})
		if err != nil {
			t.Fatal(err)
		}
		if o, err = w.reg.Registrations.Withdraw(ctx, w.w.Citizen, o.ID); err != nil || o.Stage != asset.StageRefused {
			t.Fatalf("withdrawn objection: %s %v", o.Stage, err) // a withdrawn objection holds nothing back (below)
		}
		if n, err := w.reg.Tick(ctx, r.PublicityEndsAt.Add(-time.Second)); err != nil || n != 0 {
			t.Fatalf("tick within the period: %d %v", n, err)
		}
		if n, err := w.reg.Tick(ctx, r.PublicityEndsAt.Add(time.Second)); err != nil || n != 1 {
			t.Fatalf("tick past the period: %d %v", n, err)
		}
		if n, err := w.reg.Tick(ctx, r.PublicityEndsAt.Add(time.Hour)); err != nil || n != 0 {
			t.Fatalf("tick again: %d %v", n, err)
		}
		r = w.get(t, r.ID)
		if r.Stage != asset.StageEffective || r.EffectiveAt == nil {
			t.Fatalf("after the period: %s", r.Stage)
		}
		c, _ = w.reg.Certificate(ctx, r.Number)
		if c.Stage != asset.StageEffective || c.ReceiptEventID == approval || c.ReceiptEventID == "" {
			t.Errorf("certificate in effect: stage %s, receipt %s (approval %s)", c.Stage, c.ReceiptEventID, approval)
		}
		want := []string{"asset_registration.created", "asset_registration.exchange_review", "asset_registration.approved", "asset_registration.effective"}
		if got := w.events(t, asset.Kind, r.ID); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("events %v, want %v", got, want)
		}

		before := storetest.CountRows(t, db, tables...)
		_, err = w.reg.Apply(ctx, w.w.ProviderEditor, asset.ApplyInput{Type: asset.TypeInitial, ProductID: p.ID, Rights: all()})
		var refusal *validate.Refusal
		if !errors.As(err, &refusal) || refusal.Code != "already_registered" || !errors.Is(err, exchange.ErrState) {
			t.Errorf("a second initial registration: %v", err)
		}
		storetest.AssertUnchanged(t, db, before)
	})
}

// TestSustainedObjectionRevokes: an open objection holds the registration
// back past its period; sustained, it revokes it; dismissed, the next tick
// puts it into effect. The holder does not object to itself.
func TestSustainedObjectionRevokes(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w, ctx := newWorld(t, db), context.Background()
		for _, sustain := range []bool{true, false} {
			p := w.product(t, fmt.Sprintf("公交到站预测 %v", sustain))
			r := w.approved(t, w.w.ProviderEditor, asset.ApplyInput{Type: asset.TypeInitial, ProductID: p.ID, Rights: all()})
			if _, err := w.reg.Object(ctx, w.w.ProviderAdmin, r.Number, asset.ObjectionInput{Grounds: "自己反对自己"}); !errors.Is(err, identity.ErrForbidden) {
				t.Fatalf("the holder objected: %v", err)
			}
			if _, err := w.reg.Object(ctx, w.w.Citizen, r.ID, asset.ObjectionInput{Grounds: " "}); !isField(err, "grounds") {
				t.Fatalf("blank grounds: %v", err)
			}
			o, err := w.reg.Object(ctx, w.w.Citizen, r.Number, asset.ObjectionInput{Grounds: "该数据由本人参与采集，权属存在争议"})
			if err != nil {
				t.Fatal(err)
			}
			if o.Type != asset.TypeObjection || o.PriorID != r.ID || o.Status != asset.StatusReview {
				t.Fatalf("objection: %+v", o)
			}
			if n, err := w.reg.Tick(ctx, r.PublicityEndsAt.Add(time.Hour)); err != nil || n != 0 {
				t.Fatalf("tick with an open objection: %d %v", n, err)
			}
			d, comment := review.Approve, "异议成立"
			if !sustain {
				d, comment = review.Reject, "异议不成立"
			}
			if o, err = w.reg.Registrations.Decide(ctx, w.w.Operator, o.ID, d, comment); err != nil {
				t.Fatal(err)
			}
			n, err := w.reg.Tick(ctx, r.PublicityEndsAt.Add(2*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			r = w.get(t, r.ID)
			switch {
			case sustain && (o.Stage != asset.StageSustained || r.Stage != asset.StageRevoked || r.EndedBy != o.ID || n != 0):
				t.Errorf("sustained: objection %s, registration %s ended by %q, %d took effect", o.Stage, r.Stage, r.EndedBy, n)
			case !sustain && (o.Stage != asset.StageRefused || r.Stage != asset.StageEffective || n != 1):
				t.Errorf("dismissed: objection %s, registration %s, %d took effect", o.Stage, r.Stage, n)
			}
			c, err := w.reg.Certificate(ctx, r.Number)
			if err != nil || c.Stage != r.Stage {
				t.Errorf("certificate: %s %v", c.Stage, err)
			}
		}
	})
}

func isField(err error, field string) bool {
	var errs validate.Errors
	return errors.As(err, &errs) && errs.Has(field)
}

// TestNumbersUniqueUnderConcurrentApproval approves registrations of
// several products at once: each gets its own number, the year's sequence
// with no gap.
func TestNumbersUniqueUnderConcurrentApproval(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w, ctx := newWorld(t, db), context.Background()
		const n = 8
		ids := make([]string, n)
		for i := range ids {
			p := w.product(t, fmt.Sprintf("停车泊位 %d", i))
			r, err := w.reg.Apply(ctx, w.w.ProviderEditor, asset.ApplyInput{Type: asset.TypeInitial, ProductID: p.ID, Rights: all()})
			if err != nil {
				t.Fatal(err)
			}
			ids[i] = r.ID
		}
		type result struct {
			number string
			err    error
		}
		results := make(chan result, n)
		start := make(chan struct{})
		for _, id := range ids {
			go func() {
				<-start
				r, err := w.reg.Registrations.Decide(ctx, w.w.Operator, id, review.Approve, "")
				results <- result{r.Number, err}
			}()
		}
		close(start)
		seen := map[string]bool{}
		year := time.Now().In(workday.Beijing).Year()
		for range n {
			res := <-results
			if res.err != nil {
				t.Fatal(res.err)
			}
			seen[res.number] = true
		}
		for i := 1; i <= n; i++ {
			if want := fmt.Sprintf("JH-DR-%d-%06d", year, i); !seen[want] {
				t.Errorf("no registration numbered %s: %v", want, seen)
			}
		}
	})
}

// TestLicenceTransferAndCancellation: a licence and a transfer need the
// counterparty's consent; in effect, the licence names the licensee, the
// transfer makes the transferee the holder and supersedes the prior; the
// new holder cancels, after which the product may be registered anew.
func TestLicenceTransferAndCancellation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w, ctx := newWorld(t, db), context.Background()
		p := w.product(t, "共享单车订单热力")
		initial := w.effective(t, w.w.ProviderEditor, asset.ApplyInput{Type: asset.TypeInitial, ProductID: p.ID, Rights: all()})

		until := time.Now().AddDate(1, 0, 0).Format(time.DateOnly)
		for _, bad := range []struct {
			in    asset.ApplyInput
			field string
		}{
			{asset.ApplyInput{Type: asset.TypeLicence, PriorID: initial.Number, CounterpartyID: w.company.ID, LicenceUntil: until,
				Rights: []asset.Right{asset.RightHolding}}, "rights"},
			{asset.ApplyInput{Type: asset.TypeLicence, PriorID: initial.Number, CounterpartyID: w.company.ID, LicenceUntil: "2020-01-01",
				Rights: []asset.Right{asset.RightProcessing}}, "licence_until"},
			{asset.ApplyInput{Type: asset.TypeTransfer, PriorID: initial.Number}, "counterparty_id"},
			{asset.ApplyInput{Type: asset.TypeTransfer, PriorID: initial.Number, CounterpartyID: w.provider.ID}, "counterparty_id"},
			{asset.ApplyInput{Type: asset.TypeChange, PriorID: initial.ID, Rights: []asset.Right{"ownership"}}, "rights[0]"},
		} {
			before := storetest.CountRows(t, db, tables...)
			if _, err := w.reg.Apply(ctx, w.w.ProviderEditor, bad.in); !isField(err, bad.field) {
				t.Errorf("%s %+v: %v, want a problem with %s", bad.in.Type, bad.in, err, bad.field)
			}
			storetest.AssertUnchanged(t, db, before)
		}

		licence := w.effective(t, w.w.ProviderEditor, asset.ApplyInput{Type: asset.TypeLicence, PriorID: initial.Number, CounterpartyID: w.company.ID,
			LicenceUntil: until, Rights: []asset.Right{asset.RightProcessing}}, w.w.CompanyAdmin)
		c, err := w.reg.Certificate(ctx, licence.Number)
		if err != nil || c.Licensee == nil || c.Licensee.ParticipantID != w.company.ID || c.PriorNumber != initial.Number || c.LicenceUntil != until {
			t.Fatalf("licence certificate: %+v %v", c, err)
		}
		if w.get(t, initial.ID).Stage != asset.StageEffective {
			t.Error("a licence ended the registration it licenses")
		}

		transfer := w.effective(t, w.w.ProviderEditor, asset.ApplyInput{Type: asset.TypeTransfer, PriorID: initial.ID, CounterpartyID: w.company.ID},
			w.w.CompanyAdmin)
		if transfer.HolderID != w.company.ID || transfer.HolderUSCC != w.w.Company.USCC || len(transfer.Rights) != 3 {
			t.Errorf("transfer: holder %s, rights %v", transfer.HolderID, transfer.Rights)
		}
		if prior := w.get(t, initial.ID); prior.Stage != asset.StageSuperseded || prior.EndedBy != transfer.ID {
			t.Errorf("the transferred registration is %s, ended by %q", prior.Stage, prior.EndedBy)
		}
		if _, err := w.reg.Apply(ctx, w.w.ProviderEditor, asset.ApplyInput{Type: asset.TypeCancellation, PriorID: transfer.ID}); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("the former holder cancelled: %v", err)
		}
		cancel := w.effective(t, w.w.CompanyAdmin, asset.ApplyInput{Type: asset.TypeCancellation, PriorID: transfer.Number})
		if prior := w.get(t, transfer.ID); cancel.Stage != asset.StageEffective || prior.Stage != asset.StageCancelled {
			t.Errorf("cancellation %s, cancelled registration %s", cancel.Stage, prior.Stage)
		}
		if _, err := w.reg.Apply(ctx, w.w.ProviderEditor, asset.ApplyInput{Type: asset.TypeInitial, ProductID: p.ID, Rights: all()}); err != nil {
			t.Errorf("a new registration after the cancellation: %v", err)
		}
	})
}

// valuation is a complete cost valuation of product by the assessor of orgID.
func valuation(productID, orgID string) asset.ValuationInput {
	v := func(n int64) *int64 { return &n }
	return asset.ValuationInput{ProductID: productID, AssessorOrgID: orgID, Method: asset.MethodCost, BaseDate: "2026-06-30", Purpose: "数据资产入表",
		Cost:        &asset.CostInputs{CollectionFen: v(100_000), ProcessingFen: v(50_000), StorageFen: v(25_000), ProfitRateBP: v(1_000), DepreciationBP: v(2_000)},
		Assumptions: []string{"持续经营"}, Report: asset.ReportFile{Name: "评估报告.pdf", Content: []byte("%PDF-1.7 评估报告")}}
}

// TestValuationByAnIndependentAssessor: a missing input is a field error
// naming it; an assessor related to the holder, or a participant without
// the assessor role, is refused; an independent assessor's report is
// computed, hashed, sealed and shown to the holder but not the public.
func TestValuationByAnIndependentAssessor(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w, ctx := newWorld(t, db), context.Background()
		p := w.product(t, "网约车供需指数")
		for _, bad := range []struct {
			name  string
			actor identity.Principal
			in    func() asset.ValuationInput
			field string
			code  string
		}{
			{"missing input", w.w.RequesterAdmin, func() asset.ValuationInput {
				in := valuation(p.ID, w.w.Requester.ID)
				in.Cost.StorageFen = nil
				return in
			}, "cost.storage_fen", validate.CodeRequired},
			{"related assessor", w.w.CompanyAdmin, func() asset.ValuationInput { return valuation(p.ID, w.w.Company.ID) }, "assessor_org_id", "related_party"},
			{"the holder", w.w.ProviderAdmin, func() asset.ValuationInput { return valuation(p.ID, w.w.Provider.ID) }, "assessor_org_id", "not_assessor"},
			{"not a member", w.w.CompanyAdmin, func() asset.ValuationInput { return valuation(p.ID, w.w.Requester.ID) }, "assessor_org_id", "not_member"},
			{"a member only", w.w.RequesterMember, func() asset.ValuationInput { return valuation(p.ID, "") }, "assessor_org_id", "not_member"},
		} {
			t.Run(bad.name, func(t *testing.T) {
				before := storetest.CountRows(t, db, tables...)
				_, err := w.reg.FileValuation(ctx, bad.actor, bad.in())
				var errs validate.Errors
				if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Field != bad.field || errs[0].Code != bad.code {
					t.Fatalf("err = %v, want %s on %s", err, bad.code, bad.field)
				}
				storetest.AssertUnchanged(t, db, before)
			})
		}
		v, err := w.reg.FileValuation(ctx, w.w.RequesterAdmin, valuation(p.ID, ""))
		if err != nil {
			t.Fatal(err)
		}
		content := "%PDF-1.7 评估报告"
		if v.ValueFen != 154_000 || v.AssessorID != w.assessor.ID || v.HolderID != w.provider.ID || v.Report.SHA256 != store.SHA256Hex(content) ||
			v.Hash != store.SHA256Hex(string(v.Canonical())) {
			t.Errorf("valuation: %+v", v)
		}
		evs, err := db.Events(ctx, store.EventFilter{SubjectKind: asset.ValuationKind, SubjectID: v.ID})
		if err != nil || len(evs) != 1 || evs[0].Type != "asset_valuation.filed" {
			t.Fatalf("events: %v %v", evs, err)
		}
		if payload := string(evs[0].Payload); !strings.Contains(payload, v.Hash) || !strings.Contains(payload, v.Report.SHA256) || strings.Contains(payload, "评估") {
			t.Errorf("the event's payload: %s", payload)
		}
		if got, err := w.reg.Valuation(ctx, w.w.ProviderAdmin, v.ID); err != nil || got.Hash != v.Hash || got.ValueFen != v.ValueFen {
			t.Errorf("the holder reads it: %+v %v", got, err)
		}
		if _, err := w.reg.Valuation(ctx, w.w.Citizen, v.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the public reads it: %v", err)
		}
		for who, want := range map[string]int{"holder": 1, "citizen": 0, "assessor": 1} {
			p := map[string]identity.Principal{"holder": w.w.ProviderEditor, "citizen": w.w.Citizen, "assessor": w.w.RequesterMember}[who]
			if list, err := w.reg.Valuations(ctx, p, ""); err != nil || len(list) != want {
				t.Errorf("%s lists %d valuations (%v), want %d", who, len(list), err, want)
			}
		}
	})
}

// TestCertificateReceiptSealsTheRegistration: the receipt the certificate
// names verifies offline against the ledger's key, is the registration's
// event, and that event's sealed payload carries the certificate's
// registration hash and product hash — before the registration takes
// effect (its approval) and after (its effect).
func TestCertificateReceiptSealsTheRegistration(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w, ctx := newWorld(t, db), context.Background()
		led := ledger.New(db, ledger.Config{DataDir: t.TempDir(), Origin: "asset.test/ledger", PollInterval: 20 * time.Millisecond,
			CheckpointInterval: 100 * time.Millisecond})
		if err := led.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { led.Stop(context.Background()) })
		p := w.product(t, "路网拥堵指数")
		r := w.approved(t, w.w.ProviderEditor, asset.ApplyInput{Type: asset.TypeInitial, ProductID: p.ID, Rights: all()})
		check := func(want string) {
			t.Helper()
			c, err := w.reg.Certificate(ctx, r.Number)
			if err != nil {
				t.Fatal(err)
			}
			rc := sealed(t, led, c.ReceiptEventID)
			v, _, err := led.Verifier()
			if err != nil {
				t.Fatal(err)
			}
			_, entry, err := ledger.CheckReceipt(rc, v)
			if err != nil {
				t.Fatalf("the receipt does not verify: %v", err)
			}
			ev, err := led.Event(ctx, entry.ID)
			if err != nil {
				t.Fatal(err)
			}
			payload := string(ev.Payload)
			if entry.Type != want || entry.Subject.ID != r.ID || entry.PayloadSHA256 != store.SHA256Hex(payload) ||
				!strings.Contains(payload, c.RegistrationHash) || !strings.Contains(payload, c.ProductHash) {
				t.Errorf("receipt of %s: %+v, payload %s", want, entry, payload)
			}
		}
		check("asset_registration.approved")
		if n, err := w.reg.Tick(ctx, r.PublicityEndsAt.Add(time.Second)); err != nil || n != 1 {
			t.Fatalf("tick: %d %v", n, err)
		}
		check("asset_registration.effective")
	})
}

// sealed waits for the receipt of event id.
func sealed(t *testing.T, led *ledger.Service, id string) ledger.Receipt {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		rc, err := led.Receipt(context.Background(), id)
		if err == nil {
			return rc
		}
		if !errors.Is(err, ledger.ErrNotSealed) || time.Now().After(deadline) {
			t.Fatalf("receipt of %s: %v", id, err)
		}
	}
}
