package dispute_test

import (
	"context"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/exchange"
	"dataport/internal/exchange/dispute"
	"dataport/internal/exchange/exchangetest"
	"dataport/internal/exchange/trade"
	"dataport/internal/identity"
	"dataport/internal/ledger"
	"dataport/internal/store"
)

// world is exchangetest's exchange with a second staff member, a running
// ledger and one active contract: the company bought API access to the
// transport commission's closed resource, read it twice (a download the
// contract does not allow, denied) and started a transfer.
type world struct {
	*exchangetest.World
	db       *store.DB
	tr       *trade.Service
	led      *ledger.Service
	ds       *dispute.Service
	staff2   identity.Principal
	contract trade.Contract
}

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	dir := t.TempDir()
	w := &world{World: exchangetest.New(t, db, dir), db: db}
	w.led = ledger.New(db, ledger.Config{DataDir: dir, Origin: "dispute.test/ledger", PollInterval: 20 * time.Millisecond,
		CheckpointInterval: 100 * time.Millisecond})
	if err := w.led.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.led.Stop(context.Background()) })
	w.tr = trade.New(db, w.Exchange, w.Access, trade.Config{PublicURL: "https://data.example.gov.cn"})
	w.ds = dispute.New(db, w.tr, w.led, dispute.Config{Access: w.Access, DataDir: dir})
	w.staff2 = w.User(t, "ex.staff2", identity.Membership{OrganizationID: w.ExchangeOrg.ID, Role: identity.RoleMember})

	provider := w.Admit(t, w.ProviderAdmin, w.Provider, exchange.RoleProvider)
	w.Admit(t, w.CompanyAdmin, w.Company, exchange.RoleBuyer)
	product := w.List(t, w.ProviderEditor, exchange.ProductInput{ProviderID: provider.ID, Title: "地铁站点客流日报",
		Description: "按站点汇总的日客流", UseScenarios: []string{"商圈选址分析"}, Source: exchange.SourceSelfCollected, SourceNote: "本委闸机采集",
		LegalBasis: "《京华市公共数据管理办法》", ResourceIDs: []string{w.Closed.ID}, SampleDeidProfile: w.SampleProfile(t, w.Closed.ID),
		Delivery: []exchange.DeliveryMode{exchange.DeliveryAPI}, Price: exchange.Price{Model: exchange.PriceOneOff, AmountFen: 120000},
		Offer: exchange.Offer{Policy: access.Policy{Purposes: []string{"商圈选址分析"}, Fields: []string{"station", "riders"}, MaxCalls: 100},
			PeriodDays: 90, AutoAgree: true}})
	w.contract = w.buy(t, product)
	return w
}

// buy orders the product as the company, finalizes the contract, reads
// under its grant (one read allowed, one download denied) and starts a
// transfer.
func (w *world) buy(t *testing.T, p exchange.Product) trade.Contract {
	t.Helper()
	ctx := context.Background()
	buyer := w.CompanyAdmin
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
		if _, err := w.Access.Decide(ctx, access.Request{Subject: buyer, ResourceID: w.Closed.ID, Action: action,
			Purpose: "商圈选址分析", Channel: access.ChannelAPIRows}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.tr.RequestTransfer(ctx, buyer, trade.TransferInput{ContractID: c.ID}); err != nil {
		t.Fatalf("transfer: %v", err)
	}
	return c
}
