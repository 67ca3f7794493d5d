package dispute_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/deid"
	"dataport/internal/exchange"
	"dataport/internal/exchange/dispute"
	"dataport/internal/exchange/trade"
	"dataport/internal/identity"
	"dataport/internal/ledger"
	"dataport/internal/review"
	"dataport/internal/store"
)

// world is the accesstest city with an exchange, its staff, a law firm,
// a running ledger and one active contract: the company bought API access
// to the transport commission's closed resource, read it twice (once
// too many fields, denied) and started a transfer.
type world struct {
	w        *accesstest.World
	db       *store.DB
	acc      *access.Service
	ex       *exchange.Service
	tr       *trade.Service
	led      *ledger.Service
	ds       *dispute.Service
	staff    identity.Principal
	staff2   identity.Principal
	contract trade.Contract
}

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{w: accesstest.New(t, db), db: db}
	w.acc = access.New(db, w.w.Cat, access.Config{Rules: accesstest.Rules{}})
	t.Cleanup(w.acc.Close)
	dir := t.TempDir()
	w.led = ledger.New(db, ledger.Config{DataDir: dir, Origin: "dispute.test/ledger", PollInterval: 20 * time.Millisecond,
		CheckpointInterval: 100 * time.Millisecond})
	if err := w.led.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.led.Stop(context.Background()) })
	w.ex = exchange.New(db, w.w.IDs, w.w.Cat, w.acc, exchange.Config{Review: review.NewService(db, review.Config{}), DataDir: dir})
	w.tr = trade.New(db, w.ex, w.acc, trade.Config{PublicURL: "https://data.example.gov.cn"})
	w.ds = dispute.New(db, w.tr, w.led, dispute.Config{Access: w.acc, DataDir: dir})

	exOrg := w.org(t, identity.KindExchange, "京华数据交易所", "SJJYS")
	law := w.org(t, identity.KindEnterprise, "京华明理律师事务所", "MLLS")
	w.staff = w.user(t, "ex.staff", identity.Membership{OrganizationID: exOrg.ID, Role: identity.RoleMember})
	w.staff2 = w.user(t, "ex.staff2", identity.Membership{OrganizationID: exOrg.ID, Role: identity.RoleMember})
	lawAdmin := w.user(t, "law.admin", identity.Membership{OrganizationID: law.ID, Role: identity.RoleAdmin})

	provider := w.admit(t, w.w.ProviderAdmin, w.w.Provider, exchange.RoleProvider)
	w.admit(t, w.w.CompanyAdmin, w.w.Company, exchange.RoleBuyer)
	lawFirm := w.admit(t, lawAdmin, law, exchange.RoleLawFirm)
	product := w.listed(t, provider, lawFirm, lawAdmin)
	w.contract = w.buy(t, product)
	return w
}

func (w *world) org(t *testing.T, kind identity.OrgKind, name, code string) identity.Organization {
	t.Helper()
	in := identity.OrgInput{Kind: kind, NameZh: name, Code: code}
	if kind.NeedsUSCC() {
		in.USCC = uscc(code)
	}
	o, err := w.w.IDs.CreateOrganization(context.Background(), identity.System, in)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func (w *world) user(t *testing.T, name string, ms ...identity.Membership) identity.Principal {
	t.Helper()
	ctx := context.Background()
	u, err := w.w.IDs.CreateUser(ctx, identity.System, identity.UserInput{Username: name, DisplayName: name, Password: accesstest.Password,
		Memberships: ms})
	if err != nil {
		t.Fatal(err)
	}
	p, err := w.w.IDs.Principal(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// uscc is a valid USCC made from a short code.
func uscc(code string) string {
	n := uint32(2166136261)
	for i := range len(code) {
		n = (n ^ uint32(code[i])) * 16777619
	}
	first17 := fmt.Sprintf("91110000%09d", n%1_000_000_000)
	c, err := identity.USCCCheckChar(first17)
	if err != nil {
		panic(err)
	}
	return first17 + string(c)
}

// admit has org apply with role and the staff admit it.
func (w *world) admit(t *testing.T, admin identity.Principal, org identity.Organization, role exchange.Role) exchange.Participant {
	t.Helper()
	ctx := context.Background()
	code := org.USCC
	if code == "" {
		code = uscc(org.Code)
	}
	a, err := w.ex.Apply(ctx, admin, exchange.ParticipantInput{OrgID: org.ID, USCC: code, LegalRep: "法定代表人" + org.Code, ContactName: "联系人",
		ContactPhone: "010-12345678", ContactEmail: "contact@example.cn", Roles: []exchange.Role{role}})
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

// listed creates an automatically agreeing API product on the
// closed resource (no personal information) and has it double vetted.
func (w *world) listed(t *testing.T, provider, lawFirm exchange.Participant, lawAdmin identity.Principal) exchange.Product {
	t.Helper()
	ctx := context.Background()
	sample, err := deid.NewService(w.db, w.w.Cat).Create(ctx, w.w.ProviderAdmin, w.w.Closed.ID, deid.ProfileInput{Name: "样例",
		Profile: deid.Profile{Columns: map[string]deid.ColumnOp{"district": {Op: deid.OpMask, KeepFirst: 1}}}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := w.ex.CreateProduct(ctx, w.w.ProviderEditor, exchange.ProductInput{ProviderID: provider.ID, Title: "地铁站点客流日报",
		Description: "按站点汇总的日客流", UseScenarios: []string{"商圈选址分析"}, Source: exchange.SourceSelfCollected, SourceNote: "本委闸机采集",
		LegalBasis: "《京华市公共数据管理办法》", ResourceIDs: []string{w.w.Closed.ID}, SampleDeidProfile: sample.ID, Delivery: []exchange.DeliveryMode{exchange.DeliveryAPI},
		Price: exchange.Price{Model: exchange.PriceOneOff, AmountFen: 120000},
		Offer: exchange.Offer{Policy: access.Policy{Purposes: []string{"商圈选址分析"}, Fields: []string{"station", "riders"}, MaxCalls: 100},
			PeriodDays: 90, AutoAgree: true}})
	if err != nil {
		t.Fatalf("create product: %v", err)
	}
	l, err := w.ex.Submit(ctx, w.w.ProviderEditor, p.ID, exchange.SubmitInput{LawFirmID: lawFirm.ID})
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	items := map[string]bool{}
	for _, it := range exchange.CheckItems {
		items[it.Key] = true
	}
	for _, reviewer := range []identity.Principal{w.staff, lawAdmin} {
		if _, err := w.ex.SubmitChecklist(ctx, reviewer, l.ID, exchange.ChecklistInput{Items: items}); err != nil {
			t.Fatalf("checklist: %v", err)
		}
		if _, err := w.ex.ListingReviews().Decide(ctx, reviewer, l.ID, review.Approve, "符合挂牌条件"); err != nil {
			t.Fatalf("vet: %v", err)
		}
	}
	if p, err = w.ex.ProductByID(ctx, w.db, p.ID); err != nil || p.Status != exchange.ProductListed {
		t.Fatalf("product after double vetting: %+v %v", p, err)
	}
	return p
}

// buy orders the product as the company, finalizes the contract, reads
// under its grant (one read allowed, one denied) and starts a transfer.
func (w *world) buy(t *testing.T, p exchange.Product) trade.Contract {
	t.Helper()
	ctx := context.Background()
	buyer := w.w.CompanyAdmin
	n, err := w.tr.Request(ctx, buyer, trade.RequestInput{ProductID: p.ID, Purpose: "商圈选址分析"})
	if err != nil {
		t.Fatalf("order: %v", err)
	}
	if n, err = w.tr.Negotiation(ctx, buyer, n.ID); err != nil || n.State != trade.Agreed {
		t.Fatalf("not agreed automatically: %+v %v", n, err)
	}
	if n, err = w.tr.Verify(ctx, buyer, n.ID); err != nil || n.State != trade.Finalized {
		t.Fatalf("verify: %+v %v", n, err)
	}
	c, err := w.tr.Contract(ctx, buyer, n.ContractID)
	if err != nil || c.GrantID == "" {
		t.Fatalf("contract: %+v %v", c, err)
	}
	for _, action := range []access.Action{access.ActionRead, access.ActionDownload} {
		if _, err := w.acc.Decide(ctx, access.Request{Subject: buyer, ResourceID: w.w.Closed.ID, Action: action,
			Purpose: "商圈选址分析", Channel: access.ChannelAPIRows}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.tr.RequestTransfer(ctx, buyer, trade.TransferInput{ContractID: c.ID}); err != nil {
		t.Fatalf("transfer: %v", err)
	}
	return c
}
