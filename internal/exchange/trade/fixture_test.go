package trade_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/deid"
	"dataport/internal/exchange"
	"dataport/internal/exchange/trade"
	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/store"
)

// market is the accesstest city with an exchange: its staff, a law firm,
// the transport commission admitted as a provider (and a buyer, to try
// buying its own product), the company and a second company admitted as
// buyers, and two listed products on the closed resource (no personal
// information): one agreeing automatically (API and file delivery, three
// reads, two fields), one not.
type market struct {
	w     *accesstest.World
	db    *store.DB
	acc   *access.Service
	ex    *exchange.Service
	tr    *trade.Service
	staff identity.Principal

	rival      identity.Principal // admin of a second admitted buyer
	rivalOrg   identity.Organization
	auto, held exchange.Product

	mu      sync.Mutex
	changes []string // "negotiation REQUESTED→AGREED", as the hook saw them
}

// purpose is the purpose the automatic product's offer allows.
const purpose = "商圈选址分析"

func newMarket(t testing.TB, db *store.DB) *market {
	t.Helper()
	m := &market{w: accesstest.New(t, db), db: db}
	m.acc = access.New(db, m.w.Cat, access.Config{Rules: accesstest.Rules{}})
	t.Cleanup(m.acc.Close)
	m.ex = exchange.New(db, m.w.IDs, m.w.Cat, m.acc, exchange.Config{Review: review.NewService(db, review.Config{}), DataDir: t.TempDir()})
	m.tr = trade.New(db, m.ex, m.acc, trade.Config{PublicURL: "https://data.example.gov.cn/",
		FeeRates: map[exchange.Role]int{exchange.RoleProvider: 100, exchange.RoleBuyer: 30}})
	m.tr.OnChange(m.record)

	exOrg := m.org(t, identity.KindExchange, "京华数据交易所", "SJJYS")
	law := m.org(t, identity.KindEnterprise, "京华明理律师事务所", "MLLS")
	m.rivalOrg = m.org(t, identity.KindEnterprise, "京华数联科技有限公司", "SLKJ")
	m.staff = m.user(t, "ex.staff", identity.Membership{OrganizationID: exOrg.ID, Role: identity.RoleMember})
	lawAdmin := m.user(t, "law.admin", identity.Membership{OrganizationID: law.ID, Role: identity.RoleAdmin})
	m.rival = m.user(t, "rival.admin", identity.Membership{OrganizationID: m.rivalOrg.ID, Role: identity.RoleAdmin})

	provider := m.admit(t, m.w.ProviderAdmin, m.w.Provider, exchange.RoleProvider, exchange.RoleBuyer)
	m.admit(t, m.w.CompanyAdmin, m.w.Company, exchange.RoleBuyer)
	m.admit(t, m.rival, m.rivalOrg, exchange.RoleBuyer)
	lawFirm := m.admit(t, lawAdmin, law, exchange.RoleLawFirm)
	sample, err := deid.NewService(db, m.w.Cat).Create(context.Background(), m.w.ProviderAdmin, m.w.Closed.ID, deid.ProfileInput{Name: "样例",
		Profile: deid.Profile{Columns: map[string]deid.ColumnOp{"district": {Op: deid.OpMask, KeepFirst: 1}}}})
	if err != nil {
		t.Fatal(err)
	}
	m.auto = m.listed(t, provider, lawFirm, lawAdmin, sample.ID, true)
	m.held = m.listed(t, provider, lawFirm, lawAdmin, sample.ID, false)
	return m
}

// record is the OnChange hook: it notes each change.
func (m *market) record(_ context.Context, _ *store.Tx, c trade.Change) error {
	kind := "contract"
	switch {
	case c.Negotiation != nil:
		kind = "negotiation"
	case c.Transfer != nil:
		kind = "transfer"
	}
	m.mu.Lock()
	m.changes = append(m.changes, fmt.Sprintf("%s %s→%s", kind, c.From, c.To))
	m.mu.Unlock()
	return nil
}

func (m *market) seen() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.changes
	m.changes = nil
	return out
}

func (m *market) org(t testing.TB, kind identity.OrgKind, name, code string) identity.Organization {
	t.Helper()
	in := identity.OrgInput{Kind: kind, NameZh: name, Code: code}
	if kind.NeedsUSCC() {
		in.USCC = uscc(code)
	}
	o, err := m.w.IDs.CreateOrganization(context.Background(), identity.System, in)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func (m *market) user(t testing.TB, name string, ms ...identity.Membership) identity.Principal {
	t.Helper()
	ctx := context.Background()
	u, err := m.w.IDs.CreateUser(ctx, identity.System, identity.UserInput{Username: name, DisplayName: name, Password: accesstest.Password,
		Memberships: ms})
	if err != nil {
		t.Fatal(err)
	}
	p, err := m.w.IDs.Principal(ctx, u.ID)
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
	first17 := fmt.Sprintf("91120000%09d", n%1_000_000_000)
	c, err := identity.USCCCheckChar(first17)
	if err != nil {
		panic(err)
	}
	return first17 + string(c)
}

// admit has org apply with roles and the staff admit it.
func (m *market) admit(t testing.TB, admin identity.Principal, org identity.Organization, roles ...exchange.Role) exchange.Participant {
	t.Helper()
	ctx := context.Background()
	code := org.USCC
	if code == "" {
		code = uscc(org.Code)
	}
	a, err := m.ex.Apply(ctx, admin, exchange.ParticipantInput{OrgID: org.ID, USCC: code, LegalRep: "法定代表人" + org.Code,
		ContactName: "联系人", ContactPhone: "010-12345678", ContactEmail: "contact@example.cn", Roles: roles})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if _, err := m.ex.ApplicationReviews().Decide(ctx, m.staff, a.ID, review.Approve, "材料齐全"); err != nil {
		t.Fatalf("admit: %v", err)
	}
	p, err := m.ex.ParticipantByID(ctx, m.db, a.ParticipantID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// listed creates a product on the closed resource and has it double vetted.
func (m *market) listed(t testing.TB, provider, lawFirm exchange.Participant, lawAdmin identity.Principal, sample string, auto bool) exchange.Product {
	t.Helper()
	ctx := context.Background()
	p, err := m.ex.CreateProduct(ctx, m.w.ProviderEditor, exchange.ProductInput{ProviderID: provider.ID, Title: fmt.Sprintf("道路养护计划 %v", auto),
		Description: "按路段的养护计划", UseScenarios: []string{purpose}, Source: exchange.SourceSelfCollected, SourceNote: "本委编制",
		LegalBasis: "《京华市公共数据管理办法》", ResourceIDs: []string{m.w.Closed.ID}, SampleDeidProfile: sample,
		Delivery: []exchange.DeliveryMode{exchange.DeliveryAPI, exchange.DeliveryFile},
		Price:    exchange.Price{Model: exchange.PriceSubscription, AmountFen: 100_000, PeriodDays: 30},
		Offer: exchange.Offer{Policy: access.Policy{Purposes: []string{purpose}, Fields: []string{"station", "riders"}, MaxCalls: 3},
			PeriodDays: 90, AutoAgree: auto}})
	if err != nil {
		t.Fatalf("create product: %v", err)
	}
	l, err := m.ex.Submit(ctx, m.w.ProviderEditor, p.ID, exchange.SubmitInput{LawFirmID: lawFirm.ID})
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	items := map[string]bool{}
	for _, it := range exchange.CheckItems {
		items[it.Key] = true
	}
	for _, reviewer := range []identity.Principal{m.staff, lawAdmin} {
		if _, err := m.ex.SubmitChecklist(ctx, reviewer, l.ID, exchange.ChecklistInput{Items: items}); err != nil {
			t.Fatalf("checklist: %v", err)
		}
		if _, err := m.ex.ListingReviews().Decide(ctx, reviewer, l.ID, review.Approve, "符合挂牌条件"); err != nil {
			t.Fatalf("vet: %v", err)
		}
	}
	if p, err = m.ex.ProductByID(ctx, m.db, p.ID); err != nil || p.Status != exchange.ProductListed {
		t.Fatalf("product after double vetting: %+v %v", p, err)
	}
	return p
}

// order is the company's order of product p on the offer's terms.
func (m *market) order(t testing.TB, p exchange.Product) trade.Negotiation {
	t.Helper()
	n, err := m.tr.Request(context.Background(), m.w.CompanyAdmin, trade.RequestInput{ProductID: p.ID, Purpose: purpose})
	if err != nil {
		t.Fatalf("order: %v", err)
	}
	return n
}

// finalized orders the automatic product and verifies the agreement.
func (m *market) finalized(t testing.TB) (trade.Negotiation, trade.Contract) {
	t.Helper()
	ctx := context.Background()
	n, err := m.tr.Verify(ctx, m.w.CompanyAdmin, m.order(t, m.auto).ID)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	c, err := m.tr.Contract(ctx, m.w.CompanyAdmin, n.ContractID)
	if err != nil {
		t.Fatal(err)
	}
	return n, c
}

// read asks the decision point for a read of the closed resource as p
// (or with the API key secret, when it is not empty).
func (m *market) read(t testing.TB, p identity.Principal, secret string, action access.Action) access.Decision {
	t.Helper()
	ctx := context.Background()
	if secret != "" {
		ctx = access.WithClient(ctx, access.Client{IP: "203.0.113.7", Key: secret})
	}
	d, err := m.acc.Decide(ctx, access.Request{Subject: p, ResourceID: m.w.Closed.ID, Action: action, Purpose: purpose,
		Channel: access.ChannelAPIRows})
	if err != nil {
		t.Fatal(err)
	}
	return d
}
