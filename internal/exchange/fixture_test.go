package exchange_test

import (
	"context"
	"strings"
	"testing"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/datastore"
	"dataport/internal/deid"
	"dataport/internal/exchange"
	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/store"
)

// fixture is the test city of accesstest with an exchange: its staff, two
// law firms, the exchange service on the real access point, datastore,
// de-identification profiles and review workflow.
type fixture struct {
	w        *accesstest.World
	db       *store.DB
	acc      *access.Service
	ds       *datastore.Service
	profiles *deid.Service
	ex       *exchange.Service

	exchangeOrg, lawA, lawB, company2 identity.Organization
	staff, lawAAdmin, lawBAdmin       identity.Principal
	company2Admin                     identity.Principal
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	w := accesstest.New(t, db)
	f := &fixture{w: w, db: db}
	f.acc = access.New(db, w.Cat, access.Config{Rules: accesstest.Rules{}})
	t.Cleanup(f.acc.Close)
	f.profiles = deid.NewService(db, w.Cat)
	f.ds = datastore.New(datastore.Config{DB: db, Catalog: w.Cat, Access: f.acc, Deid: datastore.DeidProfiles(f.profiles)})
	f.ex = exchange.New(db, w.IDs, w.Cat, f.acc, exchange.Config{Review: review.NewService(db, review.Config{}), DataDir: t.TempDir(),
		Rows: f.ds, Profiles: f.profiles})
	f.exchangeOrg = f.org(t, identity.KindExchange, "京华数据交易所", "SJJYS")
	f.lawA = f.org(t, identity.KindEnterprise, "京华明理律师事务所", "MLLS")
	f.lawB = f.org(t, identity.KindEnterprise, "京华同德律师事务所", "TDLS")
	f.company2 = f.org(t, identity.KindEnterprise, "京华数联科技有限公司", "SLKJ")
	f.staff = f.user(t, "ex.staff", identity.Membership{OrganizationID: f.exchangeOrg.ID, Role: identity.RoleMember})
	f.lawAAdmin = f.user(t, "law.a", identity.Membership{OrganizationID: f.lawA.ID, Role: identity.RoleAdmin})
	f.lawBAdmin = f.user(t, "law.b", identity.Membership{OrganizationID: f.lawB.ID, Role: identity.RoleAdmin})
	f.company2Admin = f.user(t, "company2", identity.Membership{OrganizationID: f.company2.ID, Role: identity.RoleAdmin})
	return f
}

func (f *fixture) org(t *testing.T, kind identity.OrgKind, name, code string) identity.Organization {
	return f.w.NewOrg(t, kind, name, code)
}

func (f *fixture) user(t *testing.T, name string, ms ...identity.Membership) identity.Principal {
	return f.w.NewUser(t, name, "", ms...)
}

// uscc is the valid USCC of an organization of code.
func uscc(code string) string { return accesstest.USCC(code) }

// application is a complete application of org by its admin.
func application(org identity.Organization, legalRep string, roles ...exchange.Role) exchange.ParticipantInput {
	code := org.USCC
	if code == "" {
		code = uscc(org.Code)
	}
	return exchange.ParticipantInput{OrgID: org.ID, USCC: code, LegalRep: legalRep, ContactName: "联系人", ContactPhone: "010-12345678",
		ContactEmail: "contact@example.cn", Roles: roles}
}

// admit applies for org and has the staff admit it.
func (f *fixture) admit(t *testing.T, admin identity.Principal, in exchange.ParticipantInput) exchange.Participant {
	t.Helper()
	ctx := context.Background()
	a, err := f.ex.Apply(ctx, admin, in)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if _, err := f.ex.ApplicationReviews().Decide(ctx, f.staff, a.ID, review.Approve, "材料齐全"); err != nil {
		t.Fatalf("admit: %v", err)
	}
	p, err := f.ex.ParticipantByID(ctx, f.db, a.ParticipantID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// market admits the provider (the transport commission), the company as a
// buyer and the two law firms.
type market struct {
	provider, buyer, lawA, lawB exchange.Participant
}

func (f *fixture) market(t *testing.T) market {
	t.Helper()
	return market{
		provider: f.admit(t, f.w.ProviderAdmin, application(f.w.Provider, "王建国", exchange.RoleProvider)),
		buyer:    f.admit(t, f.w.CompanyAdmin, application(f.w.Company, "李明", exchange.RoleBuyer)),
		lawA:     f.admit(t, f.lawAAdmin, application(f.lawA, "赵律", exchange.RoleLawFirm)),
		lawB:     f.admit(t, f.lawBAdmin, application(f.lawB, "钱律", exchange.RoleLawFirm)),
	}
}

// stations are rows of the accesstest resources' items.
const stations = "station,district,riders,phone\n" +
	"朝阳门,东城区,1200,13812345678\n西单,西城区,3400,13987654321\n东四,东城区,800,13700001111\n" +
	"灵境胡同,西城区,650,13611112222\n国贸,朝阳区,5100,13533334444\n望京,朝阳区,2900,13455556666\n" +
	"五道口,海淀区,2100,13377778888\n中关村,海淀区,2600,13299990000\n西直门,西城区,4100,13188889999\n" +
	"东直门,东城区,3900,13066667777\n建国门,东城区,1700,15912341234\n复兴门,西城区,2200,15843214321\n"

// loadConditional loads the stations into the conditionally open resource
// (which holds personal information) and gives it a masking profile.
func (f *fixture) loadConditional(t *testing.T) deid.StoredProfile {
	t.Helper()
	ctx := context.Background()
	r := f.w.Conditional
	if _, err := f.ds.Load(ctx, f.w.ProviderEditor, r.ID, datastore.LoadInput{File: strings.NewReader(stations), Name: "stations.csv",
		Size: int64(len(stations))}); err != nil {
		t.Fatal(err)
	}
	sp, err := f.profiles.Create(ctx, f.w.ProviderAdmin, r.ID, deid.ProfileInput{Name: "样例", Profile: deid.Profile{Columns: map[string]deid.ColumnOp{
		"phone": {Op: deid.OpMask, KeepFirst: 3, KeepLast: 2}}}})
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// product is a complete product of the provider on the conditional resource.
func (f *fixture) product(m market, profile string) exchange.ProductInput {
	return exchange.ProductInput{ProviderID: m.provider.ID, Title: "地铁站点客流日报", Description: "按站点汇总的日客流",
		UseScenarios: []string{"商圈选址分析"}, Source: exchange.SourceSelfCollected, SourceNote: "本委闸机采集", LegalBasis: "《京华市公共数据管理办法》",
		ResourceIDs: []string{f.w.Conditional.ID}, SampleDeidProfile: profile, Delivery: []exchange.DeliveryMode{exchange.DeliveryAPI},
		Price: exchange.Price{Model: exchange.PriceSubscription, AmountFen: 500000, PeriodDays: 30},
		Offer: exchange.Offer{Policy: access.Policy{Purposes: []string{"商圈选址分析"}, Fields: []string{"station", "riders", "phone"}, MaxRows: 10000},
			PeriodDays: 365, AutoAgree: true}}
}

// fullChecklist ticks every point.
func fullChecklist() exchange.ChecklistInput {
	items := map[string]bool{}
	for _, it := range exchange.CheckItems {
		items[it.Key] = true
	}
	return exchange.ChecklistInput{Items: items}
}

// vet has a reviewer fill in the whole checklist and approve.
func (f *fixture) vet(t *testing.T, p identity.Principal, listingID string) exchange.Listing {
	t.Helper()
	ctx := context.Background()
	if _, err := f.ex.SubmitChecklist(ctx, p, listingID, fullChecklist()); err != nil {
		t.Fatalf("checklist: %v", err)
	}
	l, err := f.ex.ListingReviews().Decide(ctx, p, listingID, review.Approve, "符合挂牌条件")
	if err != nil {
		t.Fatalf("approve: %v", err)
	}
	return l
}

// listed creates, submits and double-vets a product.
func (f *fixture) listed(t *testing.T, m market, in exchange.ProductInput) exchange.Product {
	t.Helper()
	ctx := context.Background()
	p, err := f.ex.CreateProduct(ctx, f.w.ProviderEditor, in)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	l, err := f.ex.Submit(ctx, f.w.ProviderEditor, p.ID, exchange.SubmitInput{LawFirmID: m.lawA.ID})
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	f.vet(t, f.staff, l.ID)
	f.vet(t, f.lawAAdmin, l.ID)
	p, err = f.ex.ProductByID(ctx, f.db, p.ID)
	if err != nil || p.Status != exchange.ProductListed {
		t.Fatalf("product after double vetting: %+v %v", p, err)
	}
	return p
}

// events returns the types of the events about a subject, oldest first.
func events(t *testing.T, db *store.DB, kind, id string) []string {
	t.Helper()
	evs, err := db.Events(context.Background(), store.EventFilter{SubjectKind: kind, SubjectID: id})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := len(evs) - 1; i >= 0; i-- {
		out = append(out, evs[i].Type)
	}
	return out
}
