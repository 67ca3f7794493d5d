package demo

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"dataport/internal/access"
	"dataport/internal/datastore"
	"dataport/internal/exchange/dispute"
	"dataport/internal/exchange/trade"
	"dataport/internal/identity"
)

// tradeSpec is one order on the demo exchange and how far it goes.
type tradeSpec struct {
	product  string // productSpec.key
	buyer    string // organization code
	purpose  string
	queued   bool // the order waits in the provider's queue
	transfer bool // the buyer reads through an HttpData-PULL transfer's data address
	reads    int  // pages of rows the buyer reads under the contract
	overrun  bool // and one read more than the contract allows, which is refused
	settle   bool // settled by the provider and rated by the buyer
	stars    int
	comment  string
	claim    string // the buyer disputes the contract with this claim ("" none)
}

// exchangeTrades are the orders, in the order they are placed. The
// mobility company's purchase of the commission's bus data, then the
// commission's purchase of the index the mobility company's parent derives
// from it, close a circular trade; the rating agency reads the statistics
// bureau's indicators once more than its contract allows; the broker's
// purchase of presale permits is disputed (dispute, below).
var exchangeTrades = []tradeSpec{
	{product: "bus_arrivals", buyer: "SZCX", purpose: "出行服务应用实时公交查询", transfer: true, reads: 3, settle: true, stars: 5,
		comment: "接口稳定，到站预测准确，已接入数智出行App的实时公交功能。"},
	{product: "air_quality", buyer: "ZTDH", purpose: "出行与导航应用空气质量提示", transfer: true, reads: 2, settle: true, stars: 5,
		comment: "历史数据完整，接口响应快，导航页面的空气质量提示已上线。"},
	{product: "bus_routes", buyer: "ZTDH", purpose: "导航地图公交线路更新", settle: true, stars: 4,
		comment: "线路和首末班时间准确，建议在数据包中增加站点坐标。"},
	{product: "annual_reports", buyer: "XHXY", purpose: "企业信用评级", transfer: true, reads: 2, settle: true, stars: 4,
		comment: "字段口径清楚，对中小企业评级很有价值；希望缩短年报数据的更新周期。"},
	{product: "company_check", buyer: "XHXY", purpose: "信贷客户准入核验", reads: 5, settle: true, stars: 5,
		comment: "核验结果与登记系统一致，按次计费透明。"},
	{product: "economy", buyer: "XHXY", purpose: "金融机构行业景气分析", transfer: true, reads: 12, overrun: true, settle: true, stars: 3,
		comment: "数据发布及时，但每年12次的调用次数偏少，不适合按周更新的模型。"},
	{product: "tourism_revenue", buyer: "SLJJ", purpose: "文旅消费趋势分析", settle: true, stars: 4,
		comment: "代客户采购，数据按季度汇总，满足景区经营分析需要。"},
	{product: "bus_heat", buyer: "JTW", purpose: "公交线网优化咨询", reads: 1, settle: true, stars: 4,
		comment: "指数口径清晰，可用于线网调整评估，建议增加分时段数据。"},
	{product: "presale", buyer: "SLJJ", purpose: "房地产市场研究", transfer: true, reads: 2, claim: disputedClaim},
	{product: "enforcement", buyer: "XHXY", purpose: "企业ESG评级"},
	{product: "economy", buyer: "SZCX", purpose: "宏观经济研究", queued: true},
}

// trade places every order but the disputed one: agreed at once when the
// product agrees automatically, else by the provider's editor; verified by
// the buyer, which creates the delivery grant; read; settled and rated.
func (x *exchangeSeed) trade(ctx context.Context) error {
	for _, s := range exchangeTrades {
		if s.claim != "" {
			continue
		}
		if err := x.order(ctx, s); err != nil {
			return fmt.Errorf("%s buys %s: %w", s.buyer, s.product, err)
		}
	}
	return nil
}

func (x *exchangeSeed) order(ctx context.Context, s tradeSpec) error {
	buyer, p := x.editorOf(s.buyer), x.products[s.product]
	provider := x.editorOf(orgCode(x.orgs, p.ProviderOrgID))
	n, err := x.Trade.Request(ctx, buyer, trade.RequestInput{ProductID: p.ID, BuyerOrgID: x.orgs[s.buyer].ID, Purpose: s.purpose})
	if err != nil || s.queued {
		return err
	}
	if n, err = x.Trade.Negotiation(ctx, buyer, n.ID); err != nil {
		return err
	}
	switch {
	case p.Offer.AutoAgree && n.State != trade.Agreed:
		return fmt.Errorf("the order was not agreed automatically (%s)", n.State)
	case n.State == trade.Requested:
		if n, err = x.Trade.Agree(ctx, provider, n.ID); err != nil {
			return fmt.Errorf("agree: %w", err)
		}
	}
	if n, err = x.Trade.Verify(ctx, buyer, n.ID); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	c, err := x.Trade.Contract(ctx, buyer, n.ContractID)
	if err != nil {
		return err
	}
	x.contracts[s.product] = c
	if err := x.read(ctx, buyer, c, s); err != nil {
		return err
	}
	if !s.settle {
		return nil
	}
	if _, err := x.Trade.Settle(ctx, provider, c.ID); err != nil {
		return fmt.Errorf("settle: %w", err)
	}
	_, err = x.Trade.Rate(ctx, buyer, c.ID, s.stars, s.comment)
	return err
}

// buyerIP is the address the buyers' reads come from.
const buyerIP = "10.32.5.17"

// read reads pages of the contract's first resource as the buyer does:
// through a transfer's data address (a short-lived per-grant key, decided
// under the delivery grant alone), or in its own name (a closed or
// conditionally open resource, which only the delivery grant opens to it).
func (x *exchangeSeed) read(ctx context.Context, buyer identity.Principal, c trade.Contract, s tradeSpec) error {
	var t trade.Transfer
	if s.transfer {
		var err error
		if t, err = x.Trade.RequestTransfer(ctx, buyer, trade.TransferInput{ContractID: c.ID}); err != nil {
			return fmt.Errorf("transfer: %w", err)
		}
		addr, err := x.Trade.AddressFor(ctx, buyer, t.ID)
		if err != nil {
			return fmt.Errorf("data address: %w", err)
		}
		ctx = access.WithClient(ctx, access.Client{IP: buyerIP, Key: addr.Token})
	} else {
		ctx = access.WithClient(ctx, access.Client{IP: buyerIP})
	}
	cursor := ""
	for i := range s.reads {
		page, err := x.Datastore.Search(ctx, buyer, c.ResourceIDs[0], access.ChannelAPIRows, datastore.Query{Limit: 20, Cursor: cursor})
		if err != nil {
			return fmt.Errorf("read %d: %w", i+1, err)
		}
		cursor = page.NextCursor
	}
	if s.overrun {
		_, err := x.Datastore.Search(ctx, buyer, c.ResourceIDs[0], access.ChannelAPIRows, datastore.Query{Limit: 20})
		if !errors.Is(err, access.ErrDenied) {
			return fmt.Errorf("a read past the contract's count was not refused (%v)", err)
		}
	}
	if !s.transfer {
		return nil
	}
	_, err := x.Trade.CompleteTransfer(ctx, buyer, t.ID)
	return err
}

// disputedClaim is the broker's claim on its purchase of presale permits.
const disputedClaim = "合同约定提供全市商品房预售许可数据，但交付数据中运河区、空港区部分项目的预售面积与市住房城乡建设委网站公示不一致，" +
	"且缺少近一个月核发的许可。请求提供方核实更正，并按核实后的合格数据量结算。"

// dispute lists the product of the disputed order, places the order and
// has its buyer open a case on it, which stays open for the exchange's
// mediator. It runs before the other products are listed: the case is
// opened in the background, its evidence bundle attached once the ledger
// (running during the seeding) has sealed the contract's events and the
// opening in a checkpoint; then the ledger stops (it seals the rest when
// the server starts it), while the rest is seeded. SeedExchange waits for
// both before it returns.
func (x *exchangeSeed) dispute(ctx context.Context) error {
	for _, s := range exchangeTrades {
		if s.claim == "" {
			continue
		}
		i := slices.IndexFunc(exchangeProducts, func(p productSpec) bool { return p.key == s.product })
		if i < 0 {
			return fmt.Errorf("no product %s to dispute", s.product)
		}
		if err := x.listProduct(ctx, exchangeProducts[i]); err != nil {
			return err
		}
		if err := x.order(ctx, s); err != nil {
			return fmt.Errorf("%s buys %s: %w", s.buyer, s.product, err)
		}
		claimant, in := x.editorOf(s.buyer), dispute.OpenInput{ContractID: x.contracts[s.product].ID, Claim: s.claim}
		x.opening.Go(func() {
			if _, err := x.Disputes.Open(ctx, claimant, in); err != nil {
				x.disputeErr = fmt.Errorf("%s disputes its purchase of %s: %w", s.buyer, s.product, err)
			}
			x.stopLedger() // its error is SeedExchange's
		})
	}
	return nil
}
