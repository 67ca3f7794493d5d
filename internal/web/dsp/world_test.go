package dsp_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/datastore"
	"dataport/internal/deid"
	"dataport/internal/exchange"
	"dataport/internal/exchange/trade"
	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/web"
	"dataport/internal/web/dsp"
	"dataport/internal/web/services"
)

// world is the accesstest city with an exchange, served over real HTTP by
// the whole web surface (the native API with its rows API, and the
// protocol under /dsp) on the real services: the transport commission
// is an admitted provider whose product on its closed resource agrees
// automatically to matching requests; the company (user "company") is an
// admitted buyer.
type world struct {
	w       *accesstest.World
	db      *store.DB
	ex      *exchange.Service
	tr      *trade.Service
	dsp     *dsp.Handler
	srv     *httptest.Server
	product exchange.Product
	staff   identity.Principal
}

// stations are the rows of the product's resource.
const stations = "station,district,riders,phone\n朝阳门,东城区,1200,\n西单,西城区,3400,\n国贸,朝阳区,5100,\n"

// newWorld builds the world on db; cfg tunes the provider (its PublicURL
// is the test server's).
func newWorld(t testing.TB, db *store.DB, cfg dsp.Config) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{w: accesstest.New(t, db), db: db}
	w.srv = httptest.NewUnstartedServer(nil)
	t.Cleanup(w.srv.Close)
	public := "http://" + w.srv.Listener.Addr().String()
	log := slog.New(slog.DiscardHandler)
	acc := access.New(db, w.w.Cat, access.Config{Rules: accesstest.Rules{}, AnonymousRate: 1 << 20, UserRate: 1 << 20})
	t.Cleanup(acc.Close)
	ds := datastore.New(datastore.Config{DB: db, Catalog: w.w.Cat, Access: acc})
	w.ex = exchange.New(db, w.w.IDs, w.w.Cat, acc, exchange.Config{Review: review.NewService(db, review.Config{}), DataDir: t.TempDir()})
	w.tr = trade.New(db, w.ex, acc, trade.Config{PublicURL: public, Logger: log})
	cfg.PublicURL, cfg.Log = public, log
	w.dsp = dsp.New(w.tr, w.ex, w.w.IDs, db, cfg)
	h, err := web.New(web.Config{DB: db, PublicURL: public, Version: "test", DSP: w.dsp,
		Services: services.Services{Identity: w.w.IDs, Catalog: w.w.Cat, Access: acc, Datastore: ds, Log: log}})
	if err != nil {
		t.Fatal(err)
	}
	w.srv.Config.Handler = h
	w.srv.Start()
	runCtx, stop := context.WithCancel(ctx)
	w.dsp.Start(runCtx)
	t.Cleanup(func() { stop(); w.dsp.Wait() })

	if _, err := ds.Load(ctx, w.w.ProviderEditor, w.w.Closed.ID, datastore.LoadInput{File: strings.NewReader(stations), Name: "stations.csv",
		Size: int64(len(stations))}); err != nil {
		t.Fatal(err)
	}
	sample, err := deid.NewService(db, w.w.Cat).Create(ctx, w.w.ProviderAdmin, w.w.Closed.ID, deid.ProfileInput{Name: "样例",
		Profile: deid.Profile{Columns: map[string]deid.ColumnOp{"phone": {Op: deid.OpMask, KeepFirst: 3, KeepLast: 2}}}})
	if err != nil {
		t.Fatal(err)
	}
	w.product = w.listProduct(t, sample.ID)
	return w
}

// listProduct admits the provider, the company (buyer) and a law firm,
// and lists the provider's product through double vetting.
func (w *world) listProduct(t testing.TB, sampleProfile string) exchange.Product {
	t.Helper()
	ctx := context.Background()
	exOrg := w.org(t, identity.KindExchange, "京华数据交易所", "SJJYS", "")
	lawOrg := w.org(t, identity.KindEnterprise, "京华明理律师事务所", "MLLS", validUSCC(t, "91110000MA01MLLP30"))
	w.staff = w.user(t, "ex.staff", identity.Membership{OrganizationID: exOrg.ID, Role: identity.RoleMember})
	lawAdmin := w.user(t, "law.admin", identity.Membership{OrganizationID: lawOrg.ID, Role: identity.RoleAdmin})
	provider := w.admit(t, w.w.ProviderAdmin, w.w.Provider, exchange.RoleProvider)
	w.admit(t, w.w.CompanyAdmin, w.w.Company, exchange.RoleBuyer)
	law := w.admit(t, lawAdmin, lawOrg, exchange.RoleLawFirm)
	p, err := w.ex.CreateProduct(ctx, w.w.ProviderEditor, exchange.ProductInput{ProviderID: provider.ID, Title: "道路养护计划数据",
		Description: "按路段的养护计划", UseScenarios: []string{"交通规划"}, Source: exchange.SourceSelfCollected, SourceNote: "本委编制",
		LegalBasis: "《京华市公共数据管理办法》", ResourceIDs: []string{w.w.Closed.ID}, SampleDeidProfile: sampleProfile, Delivery: []exchange.DeliveryMode{exchange.DeliveryAPI},
		Price: exchange.Price{Model: exchange.PriceOneOff, AmountFen: 100000},
		Offer: exchange.Offer{Policy: access.Policy{Purposes: []string{"交通规划"}, Fields: []string{"station", "riders"}, MaxCalls: 50},
			PeriodDays: 365, AutoAgree: true}})
	if err != nil {
		t.Fatalf("create product: %v", err)
	}
	l, err := w.ex.Submit(ctx, w.w.ProviderEditor, p.ID, exchange.SubmitInput{LawFirmID: law.ID})
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	for _, reviewer := range []identity.Principal{w.staff, lawAdmin} {
		items := map[string]bool{}
		for _, it := range exchange.CheckItems {
			items[it.Key] = true
		}
		if _, err := w.ex.SubmitChecklist(ctx, reviewer, l.ID, exchange.ChecklistInput{Items: items}); err != nil {
			t.Fatalf("checklist: %v", err)
		}
		if _, err := w.ex.ListingReviews().Decide(ctx, reviewer, l.ID, review.Approve, "符合挂牌条件"); err != nil {
			t.Fatalf("approve: %v", err)
		}
	}
	if p, err = w.ex.ProductByID(ctx, w.db, p.ID); err != nil || p.Status != exchange.ProductListed {
		t.Fatalf("product after double vetting: %+v %v", p, err)
	}
	return p
}

func (w *world) org(t testing.TB, kind identity.OrgKind, name, code, uscc string) identity.Organization {
	t.Helper()
	o, err := w.w.IDs.CreateOrganization(context.Background(), identity.System, identity.OrgInput{Kind: kind, NameZh: name, Code: code, USCC: uscc})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func (w *world) user(t testing.TB, name string, ms ...identity.Membership) identity.Principal {
	t.Helper()
	ctx := context.Background()
	u, err := w.w.IDs.CreateUser(ctx, identity.System, identity.UserInput{Username: name, DisplayName: name, Password: accesstest.Password, Memberships: ms})
	if err != nil {
		t.Fatal(err)
	}
	p, err := w.w.IDs.Principal(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// admit has org's admin apply with the given role and the staff admit it.
func (w *world) admit(t testing.TB, admin identity.Principal, org identity.Organization, role exchange.Role) exchange.Participant {
	t.Helper()
	ctx := context.Background()
	code := org.USCC
	if code == "" {
		code = "12110000MB1" + strings.ToUpper(org.ID[:6])
	}
	a, err := w.ex.Apply(ctx, admin, exchange.ParticipantInput{OrgID: org.ID, USCC: validUSCC(t, code), LegalRep: "法定代表人" + org.Code,
		ContactName: "联系人", ContactPhone: "010-12345678", Roles: []exchange.Role{role}})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if _, err := w.ex.ApplicationReviews().Decide(ctx, w.staff, a.ID, review.Approve, "材料齐全"); err != nil {
		t.Fatalf("admit: %v", err)
	}
	p, err := w.ex.ParticipantByID(ctx, w.db, a.ParticipantID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// validUSCC is code with its check character set right (code's own last
// character replaced), or code itself when it already checks.
func validUSCC(t testing.TB, code string) string {
	t.Helper()
	if identity.CheckUSCC(code) == nil {
		return code
	}
	c, err := identity.USCCCheckChar(code[:17])
	if err != nil {
		t.Fatalf("USCC %s: %v", code, err)
	}
	return code[:17] + string(c)
}

// token is an API token of p.
func (w *world) token(t testing.TB, p identity.Principal) string {
	t.Helper()
	secret, _, err := w.w.IDs.CreateToken(context.Background(), p, p.UserID, "dsp", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}
