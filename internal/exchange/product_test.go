package exchange_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"dataport/internal/access"
	"dataport/internal/exchange"
	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"
)

// TestProductRefusedAtTheField: what a provider writes is checked field by
// field — resources of its own organization, published; offer fields that
// are items of them; a positive period; prices in whole fen — and a
// refused write changes nothing.
func TestProductRefusedAtTheField(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		m := f.market(t)
		other := f.admit(t, f.company2Admin, application(f.company2, "孙七", exchange.RoleProvider))
		tests := []struct {
			name  string
			edit  func(in *exchange.ProductInput)
			field string
		}{
			{"no title", func(in *exchange.ProductInput) { in.Title = "" }, "title"},
			{"unpublished resource", func(in *exchange.ProductInput) { in.ResourceIDs = []string{f.w.Draft.ID} }, "resource_ids[0]"},
			{"retired resource", func(in *exchange.ProductInput) { in.ResourceIDs = []string{f.w.Retired.ID} }, "resource_ids[0]"},
			{"unknown resource", func(in *exchange.ProductInput) { in.ResourceIDs = []string{"nope"} }, "resource_ids[0]"},
			{"offer field not an item", func(in *exchange.ProductInput) { in.Offer.Policy.Fields = []string{"station", "salary"} }, "offer.policy.fields[1]"},
			{"bad row filter", func(in *exchange.ProductInput) { in.Offer.Policy.RowFilter = "salary >" }, "offer.policy.row_filter"},
			{"period zero", func(in *exchange.ProductInput) { in.Offer.PeriodDays = 0 }, "offer.period_days"},
			{"negative count", func(in *exchange.ProductInput) { in.Offer.Policy.MaxCalls = -1 }, "offer.policy.max_calls"},
			{"action not delivered", func(in *exchange.ProductInput) { in.Offer.Policy.Actions = []access.Action{access.ActionDownload} }, "offer.policy.actions[0]"},
			{"subscription without period", func(in *exchange.ProductInput) { in.Price.PeriodDays = 0 }, "price.period_days"},
			{"negative price", func(in *exchange.ProductInput) { in.Price.AmountFen = -1 }, "price.amount_fen"},
			{"unknown source", func(in *exchange.ProductInput) { in.Source = "found" }, "source"},
			{"unknown delivery", func(in *exchange.ProductInput) { in.Delivery = []exchange.DeliveryMode{"fax"} }, "delivery[0]"},
			{"sample profile of nothing", func(in *exchange.ProductInput) { in.SampleDeidProfile = "no-such-profile" }, "sample_deid_profile"},
			{"not my provider", func(in *exchange.ProductInput) { in.ProviderID = other.ID }, "provider_id"},
		}
		before := storetest.CountRows(t, db, exchangeTables...)
		for _, test := range tests {
			t.Run(test.name, func(t *testing.T) {
				in := f.product(m, "")
				test.edit(&in)
				_, err := f.ex.CreateProduct(ctx, f.w.ProviderEditor, in)
				var errs validate.Errors
				if !errors.As(err, &errs) || !errs.Has(test.field) {
					t.Fatalf("CreateProduct = %v, want a field error at %s", err, test.field)
				}
			})
		}
		// Another organization's published resource.
		in := f.product(market{}, "")
		in.ProviderID = other.ID
		if _, err := f.ex.CreateProduct(ctx, f.company2Admin, in); !hasField(err, "resource_ids[0]") {
			t.Errorf("a product on another organization's resource = %v", err)
		}
		storetest.AssertUnchanged(t, db, before)
	})
}

func hasField(err error, field string) bool {
	var errs validate.Errors
	return errors.As(err, &errs) && errs.Has(field)
}

// TestNoListingWithoutUseScenario: a draft may lack use scenarios, but it
// cannot be submitted without one, and the refusal files nothing.
func TestNoListingWithoutUseScenario(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		m := f.market(t)
		sp := f.loadConditional(t)
		in := f.product(m, sp.ID)
		in.UseScenarios = []string{" "}
		p, err := f.ex.CreateProduct(ctx, f.w.ProviderEditor, in)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.UseScenarios) != 0 || p.Status != exchange.ProductDraft || p.Hash != p.CanonicalHash() || len(p.Hash) != 64 {
			t.Fatalf("draft = %+v", p)
		}
		before := storetest.CountRows(t, db, exchangeTables...)
		if _, err := f.ex.Submit(ctx, f.w.ProviderEditor, p.ID, exchange.SubmitInput{LawFirmID: m.lawA.ID}); !hasField(err, "use_scenarios") {
			t.Fatalf("Submit without a use scenario = %v", err)
		}
		storetest.AssertUnchanged(t, db, before)
		in.UseScenarios = []string{"商圈选址分析"}
		p2, err := f.ex.UpdateProduct(ctx, f.w.ProviderEditor, p.ID, in)
		if err != nil || p2.Hash == p.Hash || p2.Offer.ID != p.Offer.ID {
			t.Fatalf("after adding a scenario: %+v (%v): the hash must change, the offer's id must not", p2, err)
		}
		l, err := f.ex.Submit(ctx, f.w.ProviderEditor, p.ID, exchange.SubmitInput{LawFirmID: m.lawA.ID})
		if err != nil || l.Status != exchange.ComplianceReview || l.ProductHash != p2.Hash {
			t.Fatalf("Submit = %+v (%v)", l, err)
		}
		in.Title = "改名"
		if _, err := f.ex.UpdateProduct(ctx, f.w.ProviderEditor, p.ID, in); !errors.Is(err, exchange.ErrState) {
			t.Errorf("a product under review changed: %v", err)
		}
	})
}

// TestDoubleVetting: a listing needs both the exchange's staff and the
// law firm to approve, each with the whole checklist ticked; one approval
// is not enough; the provider cannot vet its own product; an approval
// with a point unticked is refused; both votes keep their checklists.
func TestDoubleVetting(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		m := f.market(t)
		sp := f.loadConditional(t)
		p, err := f.ex.CreateProduct(ctx, f.w.ProviderEditor, f.product(m, sp.ID))
		if err != nil {
			t.Fatal(err)
		}
		l, err := f.ex.Submit(ctx, f.w.ProviderEditor, p.ID, exchange.SubmitInput{LawFirmID: m.lawA.ID})
		if err != nil {
			t.Fatal(err)
		}
		lists := f.ex.ListingReviews()
		if _, err := lists.Decide(ctx, f.staff, l.ID, review.Approve, ""); !hasField(err, "checklist") {
			t.Fatalf("a vote without a checklist = %v", err)
		}
		partial := fullChecklist()
		partial.Items["source_lawful"] = false
		if _, err := f.ex.SubmitChecklist(ctx, f.staff, l.ID, partial); err != nil {
			t.Fatal(err)
		}
		if _, err := lists.Decide(ctx, f.staff, l.ID, review.Approve, ""); !hasField(err, "checklist.source_lawful") {
			t.Fatalf("an approval with a point unticked = %v", err)
		}
		bad := fullChecklist()
		delete(bad.Items, "rights_clear")
		bad.Items["vibes"] = true
		if _, err := f.ex.SubmitChecklist(ctx, f.staff, l.ID, bad); !hasField(err, "items.rights_clear") || !hasField(err, "items.vibes") {
			t.Errorf("an incomplete checklist = %v", err)
		}
		for _, who := range []identity.Principal{f.w.ProviderAdmin, f.lawBAdmin, f.w.CompanyAdmin} {
			if _, err := f.ex.SubmitChecklist(ctx, who, l.ID, fullChecklist()); err == nil {
				t.Errorf("%s filled in a checklist", who.Username)
			}
		}
		l = f.vet(t, f.staff, l.ID)
		if l.Status != exchange.ComplianceReview {
			t.Fatalf("after the staff's approval alone: %s, want still in compliance review", l.Status)
		}
		if got, _ := f.ex.ProductByID(ctx, db, p.ID); got.Status != exchange.ProductInReview {
			t.Fatalf("product after one approval: %s", got.Status)
		}
		if _, err := f.ex.SubmitChecklist(ctx, f.staff, l.ID, fullChecklist()); err == nil {
			t.Error("the staff changed their decided checklist (or voted twice)")
		}
		l = f.vet(t, f.lawAAdmin, l.ID)
		got, _ := f.ex.ProductByID(ctx, db, p.ID)
		if l.Status != "listed" || got.Status != exchange.ProductListed || got.ListedAt == nil {
			t.Fatalf("after both approvals: listing %s, product %+v", l.Status, got)
		}
		reviewers := []string{}
		for _, c := range l.Checklists {
			if c.Decision != string(review.Approve) || len(c.Items) != len(exchange.CheckItems) {
				t.Errorf("checklist %+v", c)
			}
			reviewers = append(reviewers, c.Reviewer)
		}
		slices.Sort(reviewers)
		if !slices.Equal(reviewers, []string{exchange.ReviewerExchange, exchange.ReviewerLawFirm}) {
			t.Errorf("checklists by %v", reviewers)
		}
		want := []string{"exchange.product.created", "exchange.product.submitted", "exchange.product.listed"}
		if evs := events(t, db, "exchange_product", p.ID); !slices.Equal(evs, want) {
			t.Errorf("product events = %v, want %v", evs, want)
		}
		// Listed: anyone sees it; the buyer finds it.
		if _, err := f.ex.Product(ctx, identity.Anonymous, p.ID); err != nil {
			t.Errorf("anonymous on a listed product: %v", err)
		}
		found, err := f.ex.Products(ctx, f.w.CompanyAdmin, exchange.ProductFilter{Q: "客流"})
		if err != nil || len(found) != 1 || found[0].ID != p.ID {
			t.Errorf("search = %+v (%v)", found, err)
		}
	})
}

// TestLawFirmMustBeIndependent: a law firm that is a related party of the
// provider cannot be named, neither by the provider nor by the staff, and
// a law firm that becomes one after being named cannot vote.
func TestLawFirmMustBeIndependent(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		m := f.market(t)
		sp := f.loadConditional(t)
		if _, err := f.ex.DeclareRelation(ctx, f.staff, m.provider.ID, exchange.RelationInput{OtherID: m.lawB.ID, Kind: exchange.RelationController}); err != nil {
			t.Fatal(err)
		}
		p, err := f.ex.CreateProduct(ctx, f.w.ProviderEditor, f.product(m, sp.ID))
		if err != nil {
			t.Fatal(err)
		}
		before := storetest.CountRows(t, db, exchangeTables...)
		for _, firm := range []string{m.lawB.ID, m.buyer.ID, m.provider.ID} {
			if _, err := f.ex.Submit(ctx, f.w.ProviderEditor, p.ID, exchange.SubmitInput{LawFirmID: firm}); !hasField(err, "law_firm_id") {
				t.Errorf("Submit naming %s = %v", firm, err)
			}
		}
		storetest.AssertUnchanged(t, db, before)
		l, err := f.ex.Submit(ctx, f.w.ProviderEditor, p.ID, exchange.SubmitInput{})
		if err != nil || l.LawFirmID != "" {
			t.Fatalf("Submit without a law firm = %+v (%v)", l, err)
		}
		if _, err := f.ex.SubmitChecklist(ctx, f.lawAAdmin, l.ID, fullChecklist()); err == nil {
			t.Error("a law firm not named filled in a checklist")
		}
		if _, err := f.ex.AssignLawFirm(ctx, f.staff, l.ID, m.lawB.ID); !hasField(err, "law_firm_id") {
			t.Errorf("staff naming a related law firm = %v", err)
		}
		if _, err := f.ex.AssignLawFirm(ctx, f.w.ProviderAdmin, l.ID, m.lawA.ID); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("the provider assigning = %v", err)
		}
		if l, err = f.ex.AssignLawFirm(ctx, f.staff, l.ID, m.lawA.ID); err != nil || l.LawFirmID != m.lawA.ID {
			t.Fatalf("staff naming law firm A = %+v (%v)", l, err)
		}
		if _, err := f.ex.SubmitChecklist(ctx, f.lawAAdmin, l.ID, fullChecklist()); err != nil {
			t.Fatal(err)
		}
		// Law firm A turns out to be held by the provider.
		if _, err := f.ex.DeclareRelation(ctx, f.w.ProviderAdmin, m.provider.ID, exchange.RelationInput{OtherID: m.lawA.ID, Kind: exchange.RelationShareholder}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.ex.ListingReviews().Decide(ctx, f.lawAAdmin, l.ID, review.Approve, ""); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("a related law firm's vote = %v, want forbidden", err)
		}
	})
}

// TestSampleGoesThroughAccess: the sample is read through the access point
// on the product's sample channel — a few rows, the offer's fields, masked
// by the sample's profile — while the buyer's own reads of the resource are
// still denied; before listing only the provider, the staff and the law
// firm see it; after delisting nobody else does.
func TestSampleGoesThroughAccess(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		m := f.market(t)
		sp := f.loadConditional(t)
		in := f.product(m, sp.ID)
		in.Offer.Policy.Fields = []string{"station", "phone"}
		p, err := f.ex.CreateProduct(ctx, f.w.ProviderEditor, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.ex.Sample(ctx, f.w.ProviderEditor, p.ID); err == nil {
			t.Error("a draft served a sample (no sample grant yet)")
		}
		l, err := f.ex.Submit(ctx, f.w.ProviderEditor, p.ID, exchange.SubmitInput{LawFirmID: m.lawA.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.ex.Sample(ctx, f.w.CompanyAdmin, p.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the buyer saw the sample of a product in review: %v", err)
		}
		for _, who := range []identity.Principal{f.staff, f.lawAAdmin, f.w.ProviderEditor} {
			if _, err := f.ex.Sample(ctx, who, p.ID); err != nil {
				t.Errorf("%s on the sample in review: %v", who.Username, err)
			}
		}
		f.vet(t, f.staff, l.ID)
		f.vet(t, f.lawAAdmin, l.ID)

		tctx, tracker := access.Track(ctx)
		s, err := f.ex.Sample(tctx, f.w.CompanyAdmin, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Rows) != 10 {
			t.Errorf("sample of %d rows, want 10 of 12", len(s.Rows))
		}
		var names []string
		for _, fd := range s.Fields {
			names = append(names, fd.ID)
		}
		if !slices.Equal(names, []string{"_id", "station", "phone"}) {
			t.Errorf("sample fields = %v, want the offer's", names)
		}
		for _, row := range s.Rows {
			phone, _ := row[2].(string)
			if !strings.Contains(phone, "*") || strings.Contains(stations, phone) {
				t.Errorf("phone served as %q, want it masked", phone)
			}
		}
		ds := tracker.Decisions()
		if len(ds) != 1 || !ds[0].Allow || ds[0].Reason != access.ReasonGrant || ds[0].Constraints.DeidProfile != sp.ID {
			t.Fatalf("decisions = %+v, want one allow under the sample grant through the profile", ds)
		}
		if g, err := f.acc.GrantsByOrigin(ctx, access.OriginExchangeSample, p.ID); err != nil || len(g) != 1 || g[0].ID != ds[0].GrantID {
			t.Errorf("sample grants = %+v (%v)", g, err)
		}
		// The buyer's reads elsewhere are not widened by the sample grant.
		d, err := f.acc.Decide(ctx, access.Request{Subject: f.w.CompanyAdmin, ResourceID: f.w.Conditional.ID, Action: access.ActionRead,
			Channel: access.ChannelAPIRows})
		if err != nil || d.Allow {
			t.Errorf("the buyer's row API read = %+v (%v), want denied", d, err)
		}
		// Another product's channel does not reach this grant.
		d, _ = f.acc.Decide(ctx, access.Request{Subject: f.w.CompanyAdmin, ResourceID: f.w.Conditional.ID, Action: access.ActionRead,
			Channel: access.ProductSample("another-product")})
		if d.Allow {
			t.Errorf("another product's sample channel = %+v", d)
		}
		if _, err := f.ex.Sample(ctx, identity.Anonymous, p.ID); !errors.Is(err, identity.ErrUnauthenticated) {
			t.Errorf("anonymous sample = %v", err)
		}
		if _, err := f.ex.Delist(ctx, f.w.ProviderEditor, p.ID, "停止供应"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.ex.Sample(ctx, f.w.CompanyAdmin, p.ID); err == nil {
			t.Error("the buyer saw the sample of a delisted product")
		}
		d, _ = f.acc.Decide(ctx, access.Request{Subject: f.w.CompanyAdmin, ResourceID: f.w.Conditional.ID, Action: access.ActionRead,
			Channel: access.ProductSample(p.ID)})
		if d.Allow {
			t.Errorf("the delisted product's sample grant still allows: %+v", d)
		}
	})
}

// TestSourceChangeAfterListing: a listed product changes only its source
// declaration, which calls the OnSourceChange hooks in the transaction of
// the change and marks it; a draft's does not; a hook's error undoes the
// change.
func TestSourceChangeAfterListing(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		var calls []string
		fail := false
		f.ex.OnSourceChange(func(ctx context.Context, tx *store.Tx, before, after exchange.Product) error {
			if fail {
				return errors.New("hook refuses")
			}
			calls = append(calls, string(before.Source)+"→"+string(after.Source))
			return nil
		})
		m := f.market(t)
		sp := f.loadConditional(t)
		in := f.product(m, sp.ID)
		p, err := f.ex.CreateProduct(ctx, f.w.ProviderEditor, in)
		if err != nil {
			t.Fatal(err)
		}
		in.SourceNote = "草稿修改"
		if _, err := f.ex.UpdateProduct(ctx, f.w.ProviderEditor, p.ID, in); err != nil || len(calls) != 0 {
			t.Fatalf("a draft's source change: %v, hooks %v", err, calls)
		}
		l, err := f.ex.Submit(ctx, f.w.ProviderEditor, p.ID, exchange.SubmitInput{LawFirmID: m.lawA.ID})
		if err != nil {
			t.Fatal(err)
		}
		f.vet(t, f.staff, l.ID)
		f.vet(t, f.lawAAdmin, l.ID)
		listed, _ := f.ex.ProductByID(ctx, db, p.ID)

		changed := in
		changed.Title = "新标题"
		if _, err := f.ex.UpdateProduct(ctx, f.w.ProviderEditor, p.ID, changed); !errors.Is(err, exchange.ErrState) {
			t.Errorf("a listed product's title changed: %v", err)
		}
		changed = in
		changed.Source, changed.SourceNote = exchange.SourcePurchased, "购自京华数联"
		fail = true
		if _, err := f.ex.UpdateProduct(ctx, f.w.ProviderEditor, p.ID, changed); err == nil {
			t.Error("the change survived its hook's error")
		}
		if got, _ := f.ex.ProductByID(ctx, db, p.ID); got.Hash != listed.Hash {
			t.Error("a refused change was written")
		}
		fail = false
		got, err := f.ex.UpdateProduct(ctx, f.w.ProviderEditor, p.ID, changed)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(calls, []string{"self_collected→purchased"}) || !got.SourceChangedAtListed || got.Status != exchange.ProductListed || got.Hash == listed.Hash {
			t.Fatalf("after the source change: hooks %v, product %+v", calls, got)
		}
		if _, err := f.ex.AddProductEvidence(ctx, f.w.ProviderEditor, p.ID, exchange.DocumentInput{Kind: "purchase_contract", Name: "合同.pdf"},
			strings.NewReader("contract")); err != nil {
			t.Fatal(err)
		}
		if len(calls) != 2 {
			t.Errorf("new evidence on a listed product: hooks %v, want a second call", calls)
		}
	})
}

// TestReturnedAndRejectedListings: a reviewer's return for more material
// sends the product back to draft and calls the OnReviewFailed hooks; the
// provider's answer sends it back to review; a rejection marks it rejected
// and calls the hooks too.
func TestReturnedAndRejectedListings(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		var failed []string
		f.ex.OnReviewFailed(func(ctx context.Context, tx *store.Tx, p exchange.Product, reason string) error {
			failed = append(failed, string(p.Status)+":"+reason)
			return nil
		})
		m := f.market(t)
		sp := f.loadConditional(t)
		p, err := f.ex.CreateProduct(ctx, f.w.ProviderEditor, f.product(m, sp.ID))
		if err != nil {
			t.Fatal(err)
		}
		l, err := f.ex.Submit(ctx, f.w.ProviderEditor, p.ID, exchange.SubmitInput{LawFirmID: m.lawA.ID})
		if err != nil {
			t.Fatal(err)
		}
		lists := f.ex.ListingReviews()
		if l, err = lists.RequestInfo(ctx, f.lawAAdmin, l.ID, "请补充数据采集授权文件"); err != nil {
			t.Fatal(err)
		}
		got, _ := f.ex.ProductByID(ctx, db, p.ID)
		if l.Status != review.StatusMoreInfo || l.AnswerDueAt == nil || got.Status != exchange.ProductDraft || len(failed) != 1 {
			t.Fatalf("after a return: listing %s, product %s, hooks %v", l.Status, got.Status, failed)
		}
		if _, err := f.ex.Submit(ctx, f.w.ProviderEditor, p.ID, exchange.SubmitInput{}); !errors.Is(err, exchange.ErrState) {
			t.Errorf("a second submission while the first waits for an answer = %v", err)
		}
		if l, err = lists.Answer(ctx, f.w.ProviderEditor, l.ID, "已补充"); err != nil || l.Status != exchange.ComplianceReview {
			t.Fatalf("answer = %+v (%v)", l, err)
		}
		if got, _ = f.ex.ProductByID(ctx, db, p.ID); got.Status != exchange.ProductInReview {
			t.Fatalf("product after the answer: %s", got.Status)
		}
		if _, err := f.ex.SubmitChecklist(ctx, f.staff, l.ID, fullChecklist()); err != nil {
			t.Fatal(err)
		}
		if _, err := lists.Decide(ctx, f.staff, l.ID, review.Reject, "来源证明不足"); err != nil {
			t.Fatal(err)
		}
		got, _ = f.ex.ProductByID(ctx, db, p.ID)
		if got.Status != exchange.ProductRejected || len(failed) != 2 || failed[1] != "rejected:来源证明不足" {
			t.Fatalf("after rejection: product %s, hooks %v", got.Status, failed)
		}
		// A rejected product may be corrected and submitted again.
		if _, err := f.ex.Submit(ctx, f.w.ProviderEditor, p.ID, exchange.SubmitInput{LawFirmID: m.lawA.ID}); err != nil {
			t.Errorf("resubmission = %v", err)
		}
	})
}

// TestProductStaffActions: staff suspend and relist a listed product;
// the provider delists it; others cannot.
func TestProductStaffActions(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		m := f.market(t)
		sp := f.loadConditional(t)
		p := f.listed(t, m, f.product(m, sp.ID))
		if _, err := f.ex.SuspendProduct(ctx, f.w.ProviderAdmin, p.ID, "自查"); !errors.Is(err, identity.ErrForbidden) {
			t.Errorf("the provider suspended = %v", err)
		}
		got, err := f.ex.SuspendProduct(ctx, f.staff, p.ID, "价格异常预警")
		if err != nil || got.Status != exchange.ProductSuspended {
			t.Fatalf("suspend = %+v (%v)", got, err)
		}
		if _, err := f.ex.Product(ctx, f.w.CompanyAdmin, p.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a buyer sees a suspended product: %v", err)
		}
		if got, err = f.ex.RelistProduct(ctx, f.staff, p.ID, "核查无误"); err != nil || got.Status != exchange.ProductListed {
			t.Fatalf("relist = %+v (%v)", got, err)
		}
		if _, err := f.ex.Delist(ctx, f.w.CompanyAdmin, p.ID, "x"); err == nil {
			t.Error("a buyer delisted the product")
		}
		if got, err = f.ex.Delist(ctx, f.w.ProviderEditor, p.ID, "停止供应"); err != nil || got.Status != exchange.ProductDelisted {
			t.Fatalf("delist = %+v (%v)", got, err)
		}
		want := []string{"exchange.product.created", "exchange.product.submitted", "exchange.product.listed", "exchange.product.suspended",
			"exchange.product.relisted", "exchange.product.delisted"}
		if evs := events(t, db, "exchange_product", p.ID); !slices.Equal(evs, want) {
			t.Errorf("events = %v, want %v", evs, want)
		}
	})
}
