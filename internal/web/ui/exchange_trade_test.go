package ui_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/datastore"
	"dataport/internal/deid"
	"dataport/internal/exchange"
	"dataport/internal/exchange/dispute"
	"dataport/internal/exchange/risk"
	"dataport/internal/exchange/trade"
	"dataport/internal/identity"
	"dataport/internal/ledger"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/services"
	"dataport/internal/web/ui"
	"dataport/internal/web/ui/i18n"
)

// tradeWorld is the exchange world of the exchange pages' tests with
// trading, disputes (on a running ledger) and the risk engine: the
// transport commission admitted as a provider, the company as a buyer, a
// law firm, and two listed products on the closed resource (loaded with
// rows, no personal information): one agreeing automatically (file and
// API delivery, two fields, three reads), one held for the provider.
type tradeWorld struct {
	*exWorld
	tr         *trade.Service
	rk         *risk.Engine
	ds         *dispute.Service
	auto, held exchange.Product
	rival      identity.Principal // admin of an admitted buyer that is no party
	acc        *access.Service
}

// counts flushes the decision log (its batches are events) and counts the
// rows of the trade's tables.
func (x *tradeWorld) counts() map[string]int {
	x.t.Helper()
	if err := x.acc.Flush(context.Background()); err != nil {
		x.t.Fatal(err)
	}
	return storetest.CountRows(x.t, x.db, tradeTables...)
}

// tradeTables are the tables a refused trade form must leave alone.
var tradeTables = []string{"trade_negotiations", "trade_contracts", "trade_transfers", "trade_settlements", "trade_ratings",
	"exchange_disputes", "risk_alerts", "risk_rules", "exchange_products", "exchange_participants", "events"}

// purpose is the purpose the automatic product's offer allows.
const tradePurpose = "商圈选址分析"

func newTradeWorld(t *testing.T, db *store.DB) *tradeWorld {
	t.Helper()
	ctx := context.Background()
	w := accesstest.New(t, db)
	x := &tradeWorld{exWorld: &exWorld{t: t, db: db, w: w}}
	acc := access.New(db, w.Cat, access.Config{Rules: accesstest.Rules{}})
	t.Cleanup(acc.Close)
	x.acc = acc
	profiles := deid.NewService(db, w.Cat)
	rows := datastore.New(datastore.Config{DB: db, Catalog: w.Cat, Access: acc, Deid: datastore.DeidProfiles(profiles)})
	rev := review.NewService(db, review.Config{})
	dir := t.TempDir()
	led := ledger.New(db, ledger.Config{DataDir: dir, Origin: "ui.test/ledger", PollInterval: 20 * time.Millisecond,
		CheckpointInterval: 100 * time.Millisecond})
	if err := led.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { led.Stop(context.Background()) })
	x.ex = exchange.New(db, w.IDs, w.Cat, acc, exchange.Config{Review: rev, DataDir: dir, Rows: rows, Profiles: profiles})
	x.tr = trade.New(db, x.ex, acc, trade.Config{PublicURL: "https://data.example.gov.cn"})
	x.rk = risk.New(db, x.ex, risk.Config{})
	if err := x.rk.Load(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(x.rk.Close)
	x.tr.OnChange(x.rk.OnTradeChange)
	acc.OnDenied(x.rk.OnAccessDenied)
	x.ds = dispute.New(db, x.tr, led, dispute.Config{Access: acc, DataDir: dir})
	h, err := ui.New(ui.Config{Services: services.Services{Identity: w.IDs, Catalog: w.Cat, Access: acc, Review: rev, Datastore: rows,
		Profiles: profiles, Ledger: led, Exchange: x.ex, Trade: x.tr, Disputes: x.ds, Risk: x.rk,
		Log: slog.New(slog.NewTextHandler(t.Output(), nil))}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	x.url = srv.URL

	x.exchangeOrg = x.org(identity.KindExchange, "京华数据交易所", "SJJYS")
	x.lawOrg = x.org(identity.KindEnterprise, "京华明理律师事务所", "MLLS")
	rivalOrg := x.org(identity.KindEnterprise, "京华数联科技有限公司", "SLKJ")
	x.staff = x.user("ex.staff", identity.Membership{OrganizationID: x.exchangeOrg.ID, Role: identity.RoleMember})
	x.lawyer = x.user("law.partner", identity.Membership{OrganizationID: x.lawOrg.ID, Role: identity.RoleAdmin})
	x.rival = x.user("rival.admin", identity.Membership{OrganizationID: rivalOrg.ID, Role: identity.RoleAdmin})
	csv := "station,district,riders,phone\n朝阳门,东城区,1200,010-1\n西单,西城区,3400,010-2\n国贸,朝阳区,5100,010-3\n"
	if _, err := rows.Load(ctx, w.ProviderEditor, w.Closed.ID, datastore.LoadInput{File: strings.NewReader(csv), Name: "plan.csv",
		Size: int64(len(csv))}); err != nil {
		t.Fatal(err)
	}
	if x.profile, err = profiles.Create(ctx, w.ProviderAdmin, w.Closed.ID, deid.ProfileInput{Name: "样例", Profile: deid.Profile{
		Columns: map[string]deid.ColumnOp{"district": {Op: deid.OpMask, KeepFirst: 1}}}}); err != nil {
		t.Fatal(err)
	}
	provider := x.admit(w.ProviderAdmin, w.Provider, exchange.RoleProvider)
	x.admit(w.CompanyAdmin, w.Company, exchange.RoleBuyer)
	x.admit(x.rival, rivalOrg, exchange.RoleBuyer)
	lawFirm := x.admit(x.lawyer, x.lawOrg, exchange.RoleLawFirm)
	x.auto = x.vetted(provider, lawFirm, true)
	x.held = x.vetted(provider, lawFirm, false)
	return x
}

// vetted lists a product on the closed resource through double vetting.
func (x *tradeWorld) vetted(provider, lawFirm exchange.Participant, auto bool) exchange.Product {
	x.t.Helper()
	ctx := context.Background()
	title := map[bool]string{true: "道路养护计划（自动成交）", false: "道路养护计划（人工审核）"}[auto]
	pr, err := x.ex.CreateProduct(ctx, x.w.ProviderEditor, exchange.ProductInput{ProviderID: provider.ID, Title: title,
		Description: "按路段的养护计划", UseScenarios: []string{tradePurpose, "施工绕行导航"}, Source: exchange.SourceSelfCollected,
		SourceNote: "本委编制", LegalBasis: "《京华市公共数据管理办法》", ResourceIDs: []string{x.w.Closed.ID}, SampleDeidProfile: x.profile.ID,
		Delivery: []exchange.DeliveryMode{exchange.DeliveryAPI, exchange.DeliveryFile},
		Price:    exchange.Price{Model: exchange.PriceSubscription, AmountFen: 100_000, PeriodDays: 30},
		Offer: exchange.Offer{Policy: access.Policy{Purposes: []string{tradePurpose}, Fields: []string{"station", "riders"}, MaxCalls: 3},
			PeriodDays: 90, AutoAgree: auto}})
	if err != nil {
		x.t.Fatalf("create: %v", err)
	}
	l, err := x.ex.Submit(ctx, x.w.ProviderEditor, pr.ID, exchange.SubmitInput{LawFirmID: lawFirm.ID})
	if err != nil {
		x.t.Fatalf("submit: %v", err)
	}
	items := map[string]bool{}
	for _, it := range exchange.CheckItems {
		items[it.Key] = true
	}
	for _, p := range []identity.Principal{x.staff, x.lawyer} {
		if _, err := x.ex.SubmitChecklist(ctx, p, l.ID, exchange.ChecklistInput{Items: items}); err != nil {
			x.t.Fatal(err)
		}
		if _, err := x.ex.ListingReviews().Decide(ctx, p, l.ID, review.Approve, "符合挂牌条件"); err != nil {
			x.t.Fatal(err)
		}
	}
	return pr
}

// agreed orders the automatic product as the company and returns the
// negotiation's page address.
func (x *tradeWorld) agreed(buyer *browser) string {
	x.t.Helper()
	product := "/exchange/hall/" + x.auto.ID
	to := location(x.t, buyer.form(product, product+"/order", url.Values{"order_purpose": {tradePurpose}, "order_fields": {"station", "riders"}}))
	return strings.SplitN(to, "?", 2)[0]
}

// contract orders and verifies the automatic product as the company and
// returns the contract's page address.
func (x *tradeWorld) contract(buyer *browser) string {
	x.t.Helper()
	n := x.agreed(buyer)
	return strings.SplitN(location(x.t, buyer.form(n, n+"/verify", url.Values{})), "?", 2)[0]
}

// tradeRefused checks a 422 that names each field beside its input and in
// the summary, and that the trade's tables did not change.
func (x *tradeWorld) tradeRefused(pg page, before map[string]int, fields ...string) {
	x.t.Helper()
	if pg.status != http.StatusUnprocessableEntity {
		x.t.Fatalf("%s: status %d, want 422\n%s", pg.url, pg.status, mainOf(pg.body))
	}
	for _, f := range fields {
		if !strings.Contains(pg.body, `href="#`+f+`"`) || !strings.Contains(pg.body, `id="`+f+`-error"`) {
			x.t.Errorf("the refusal does not show a problem at %s:\n%s", f, mainOf(pg.body))
		}
	}
	if err := x.acc.Flush(context.Background()); err != nil {
		x.t.Fatal(err)
	}
	storetest.AssertUnchanged(x.t, x.db, before)
}

// TestTradeHallOrderDeliverySettleRate: the hall finds the listed products
// by a use scenario's words and filters by delivery mode, price model and
// provider; a product's page puts the offer in plain words and the price
// in yuan; the sample needs a sign-in and shows the masked rows; an order
// with a period that is no number, or one the offer does not allow, is
// refused at its field and writes nothing; a good one is agreed at once,
// the buyer verifies it, sees the delivery grant, reads rows through it
// (only the contract's fields, each read counted) and downloads the file;
// the provider settles, the buyer rates (a missing star count refused)
// and the product shows its rating in the hall.
func TestTradeHallOrderDeliverySettleRate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		x := newTradeWorld(t, db)
		anon := x.anon()
		hall := anon.get("/exchange?q=" + url.QueryEscape("绕行导航"))
		mustContain(t, hall, "/exchange/hall/"+x.auto.ID, "/exchange/hall/"+x.held.ID, "¥1,000.00 / 30 天", "共找到 2 个挂牌产品")
		if pg := anon.get("/exchange?price=per_row"); strings.Contains(pg.body, "/exchange/hall/"+x.auto.ID) {
			t.Error("the per-row filter shows a subscription product")
		}
		if pg := anon.get("/exchange?delivery=zone"); strings.Contains(pg.body, "/exchange/hall/"+x.auto.ID) {
			t.Error("the zone filter shows a product delivered by file and API")
		}
		if pg := anon.get("/exchange?q=" + url.QueryEscape("没有这个词")); !strings.Contains(pg.body, "没有符合条件的挂牌产品") {
			t.Error("a search for absent words lists products")
		}
		product := "/exchange/hall/" + x.auto.ID
		page := anon.get(product)
		mustContain(t, page, "仅限以下用途：商圈选址分析", "可使用的数据项：station、riders", "合同期内最多读取 3 次", "合同期 90 天",
			"禁止向第三方转让或提供", "自行采集", "登录后下单", "/login?next=/exchange/hall/"+x.auto.ID+"/sample")
		if pg := anon.noRedirects().get(product + "/sample"); pg.status != http.StatusSeeOther {
			t.Errorf("an anonymous sample: status %d, want a sign-in", pg.status)
		}

		buyer := x.as("company")
		sample := buyer.get(product + "/sample")
		mustContain(t, sample, "朝阳门", "样例数据（3 行）")
		if strings.Contains(sample.body, "东城区") {
			t.Error("the sample shows the district unmasked")
		}

		before := x.counts()
		bad := buyer.form(product, product+"/order", url.Values{"order_purpose": {tradePurpose}, "order_fields": {"station"},
			"order_period_days": {"九十"}})
		x.tradeRefused(bad, before, "field-order_period_days")
		bad = buyer.form(product, product+"/order", url.Values{"order_purpose": {tradePurpose}, "order_fields": {"station"},
			"order_period_days": {"-5"}})
		x.tradeRefused(bad, before, "field-order_period_days")
		mustContain(t, bad, `value="-5"`)

		negotiation := x.agreed(buyer)
		page = buyer.get(negotiation)
		mustContain(t, page, "已达成协议，待核验", `action="`+negotiation+`/verify"`, "可使用的数据项：station、riders")
		contract := strings.SplitN(location(t, buyer.form(negotiation, negotiation+"/verify", url.Values{})), "?", 2)[0]
		page = buyer.get(contract)
		mustContain(t, page, "履行中", "交付授权", `id="usage-calls">0 / 3`, contract+"/contract.json", contract+"/evidence.zip",
			contract+"/rows?resource="+x.w.Closed.ID, contract+"/file?resource="+x.w.Closed.ID)
		rowsPage := buyer.get(contract + "/rows?resource=" + x.w.Closed.ID)
		mustContain(t, rowsPage, "国贸", "本次读取的数据（3 行）", "<th scope=\"col\">客流</th>")
		if strings.Contains(rowsPage.body, "010-3") || strings.Contains(rowsPage.body, "朝阳区") || strings.Contains(rowsPage.body, "联系电话") {
			t.Error("the rows read under the contract show items outside its fields")
		}
		file := buyer.get(contract + "/file?resource=" + x.w.Closed.ID)
		if file.status != http.StatusOK || !strings.Contains(file.body, "station,riders") || strings.Contains(file.body, "phone") {
			t.Errorf("the file through the grant: status %d\n%s", file.status, file.body)
		}
		mustContain(t, buyer.get(contract), `id="usage-calls">2 / 3`)
		doc := buyer.get(contract + "/contract.json")
		if doc.status != http.StatusOK || !strings.Contains(doc.header.Get("Content-Disposition"), "attachment") || !strings.Contains(doc.body, `"purpose":"`+tradePurpose+`"`) {
			t.Errorf("contract document: %d %s", doc.status, doc.body)
		}

		provider := x.as("jtw.editor")
		mustContain(t, provider.get(contract), `action="`+contract+`/settle"`)
		location(t, provider.form(contract, contract+"/settle", url.Values{}))
		mustContain(t, buyer.get(contract), "已结算", "¥1,000.00", "交易服务费（购买方）", `action="`+contract+`/rate"`)

		before = x.counts()
		x.tradeRefused(buyer.form(contract, contract+"/rate", url.Values{"rating_comment": {"数据及时"}}), before, "field-rating_stars")
		location(t, buyer.form(contract, contract+"/rate", url.Values{"rating_stars": {"4"}, "rating_comment": {"数据及时"}}))
		mustContain(t, buyer.get(contract), `id="rating"`, "4 星")
		mustContain(t, anon.get("/exchange"), "4.0 分（1 条评价）")
		mustContain(t, anon.get(product), "4 星", "数据及时")
		english := anon.get("/lang?to=en&next=" + url.QueryEscape(product))
		mustContain(t, english, `lang="en"`, "¥1,000.00 per 30 days", "At most 3 reads over the contract", "No onward transfer to third parties",
			"4.0 of 5 (ratings: 1)", "Self-collected")
	})
}

// TestTradeProviderQueue: a request for the held product waits in the
// provider's queue; a counter-offer whose count is no number is refused at
// its field and changes nothing; the counter-offer goes to the buyer, who
// accepts it; the provider agrees and the buyer verifies.
func TestTradeProviderQueue(t *testing.T) {
	x := newTradeWorld(t, storetest.Open(t, store.SQLite))
	buyer, provider := x.as("company"), x.as("jtw.editor")
	product := "/exchange/hall/" + x.held.ID
	n := strings.SplitN(location(t, buyer.form(product, product+"/order", url.Values{"order_purpose": {tradePurpose},
		"order_fields": {"station", "riders"}})), "?", 2)[0]
	mustContain(t, buyer.get(n), "已下单，待提供方处理")
	if strings.Contains(buyer.get(n).body, `action="`+n+`/agree"`) {
		t.Error("the buyer is offered the provider's agreement")
	}
	mustContain(t, provider.get("/exchange/contracts"), n)

	before := x.counts()
	x.tradeRefused(provider.form(n, n+"/offer", url.Values{"counter_fields": {"station"}, "counter_max_calls": {"两次"},
		"counter_period_days": {"30"}}), before, "field-counter_max_calls")
	location(t, provider.form(n, n+"/offer", url.Values{"counter_fields": {"station"}, "counter_max_calls": {"2"}, "counter_period_days": {"30"}}))
	mustContain(t, buyer.get(n), "提供方已还价", "可使用的数据项：station", "合同期内最多读取 2 次", `action="`+n+`/accept"`)
	location(t, buyer.form(n, n+"/accept", url.Values{}))
	location(t, provider.form(n, n+"/agree", url.Values{}))
	contract := location(t, buyer.form(n, n+"/verify", url.Values{}))
	mustContain(t, buyer.get(strings.SplitN(contract, "?", 2)[0]), "履行中", `id="usage-calls">0 / 2`)
}

var contractID = regexp.MustCompile(`/exchange/contracts/([^/?"]+)`)

// TestTradeStrangersAndStaffOnly: another party's order, contract (its
// document, rows, file and evidence) and dispute do not exist for a
// stranger (404); the risk desk and its rules refuse anyone but the
// exchange's staff; anonymous callers are sent to sign in.
func TestTradeStrangersAndStaffOnly(t *testing.T) {
	x := newTradeWorld(t, storetest.Open(t, store.SQLite))
	buyer := x.as("company")
	n := x.agreed(buyer)
	contract := strings.SplitN(location(t, buyer.form(n, n+"/verify", url.Values{})), "?", 2)[0]
	dispute := location(t, buyer.form(contract+"/dispute", contract+"/dispute", url.Values{"claim": {"交付的数据缺少最近一周的记录"}}))
	dispute = strings.SplitN(dispute, "?", 2)[0]
	res := "?resource=" + x.w.Closed.ID
	for _, who := range []string{"rival.admin", "citizen", "sthj.admin"} {
		b := x.as(who)
		for _, path := range []string{n, contract, contract + "/contract.json", contract + "/rows" + res, contract + "/file" + res,
			contract + "/evidence.zip", contract + "/dispute", dispute, dispute + "/evidence.zip", dispute + "/record.zip"} {
			if pg := b.get(path); pg.status != http.StatusNotFound {
				t.Errorf("%s GET %s: status %d, want 404", who, path, pg.status)
			}
		}
		for _, path := range []string{n + "/verify", contract + "/settle", contract + "/rate", dispute + "/withdraw"} {
			pg := b.post(path, url.Values{"csrf_token": {b.csrf("/exchange")}, "rating_stars": {"1"}})
			if pg.status != http.StatusNotFound {
				t.Errorf("%s POST %s: status %d, want 404", who, path, pg.status)
			}
		}
		if strings.Contains(b.get("/exchange/contracts").body, contractID.FindString(contract)) {
			t.Errorf("%s sees the contract in their list", who)
		}
	}
	alerts, err := x.rk.Rules(context.Background(), x.staff)
	if err != nil || len(alerts) == 0 {
		t.Fatalf("rules: %v %v", alerts, err)
	}
	for _, who := range []string{"company", "jtw.admin"} {
		b := x.as(who)
		for _, path := range []string{"/exchange/risk", "/exchange/risk/rules", "/exchange/risk/rules/" + alerts[0].ID, "/exchange/risk/rules/new"} {
			if pg := b.get(path); pg.status != http.StatusForbidden {
				t.Errorf("%s GET %s: status %d, want 403", who, path, pg.status)
			}
		}
		if strings.Contains(b.get("/exchange").body, `href="/exchange/risk"`) {
			t.Errorf("%s is offered the risk desk", who)
		}
	}
	anon := x.anon().noRedirects()
	for _, path := range []string{"/exchange/contracts", contract, "/exchange/disputes", "/exchange/risk"} {
		if pg := anon.get(path); pg.status != http.StatusSeeOther || !strings.HasPrefix(pg.header.Get("Location"), "/login") {
			t.Errorf("anonymous GET %s: status %d to %q, want a sign-in", path, pg.status, pg.header.Get("Location"))
		}
	}
	mustContain(t, x.as("ex.staff").get("/exchange/risk"), "交易风险监测")
}

// TestTradeDisputePages: a claim left empty is refused at its field and
// opens nothing; a claim opens the case with the evidence attached (its
// hash shown, the bundle a zip); the exchange's staff take it into
// mediation; a settlement without reasons is refused at its field; with
// reasons the case closes, sealed.
func TestTradeDisputePages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		x := newTradeWorld(t, db)
		buyer := x.as("company")
		contract := x.contract(buyer)
		form := contract + "/dispute"
		before := x.counts()
		x.tradeRefused(buyer.form(form, form, url.Values{"claim": {"  "}}), before, "field-claim")
		d := strings.SplitN(location(t, buyer.form(form, form, url.Values{"claim": {"交付的数据缺少最近一周的记录"}})), "?", 2)[0]
		page := buyer.get(d)
		mustContain(t, page, "已提出", "交付的数据缺少最近一周的记录", d+"/evidence.zip", `action="`+d+`/withdraw"`)
		if strings.Contains(page.body, `action="`+d+`/mediate"`) {
			t.Error("the claimant is offered the mediation")
		}
		hash := regexp.MustCompile(`<code class="trade-hash">([0-9a-f]{64})</code>`).FindStringSubmatch(page.body)
		if hash == nil {
			t.Fatalf("the dispute shows no evidence hash:\n%s", mainOf(page.body))
		}
		zip := buyer.get(d + "/evidence.zip")
		if zip.status != http.StatusOK || !strings.HasPrefix(zip.body, "PK") || zip.header.Get("Content-Type") != "application/zip" {
			t.Errorf("evidence download: %d %s", zip.status, zip.header.Get("Content-Type"))
		}
		mustContain(t, buyer.get("/exchange/disputes"), d)

		staff := x.as("ex.staff")
		mustContain(t, staff.get("/exchange/disputes?status=open"), d)
		location(t, staff.form(d, d+"/mediate", url.Values{"dispute_note": {"受理"}}))
		before = x.counts()
		x.tradeRefused(staff.form(d, d+"/decide", url.Values{"dispute_outcome": {"settled"}}), before, "field-dispute_reasons")
		location(t, staff.form(d, d+"/decide", url.Values{"dispute_outcome": {"settled"}, "dispute_reasons": {"提供方补发数据，双方同意结案"}}))
		mustContain(t, buyer.get(d), "调解结案", "提供方补发数据，双方同意结案")
	})
}

// TestTradeRiskDesk: a buyer reading past its contract's count is refused
// by the access point and the risk engine raises an alert in the usage
// queue; the staff see it on the desk with its evidence; suspending
// without a target is refused at its field and suspends nothing; the
// product is suspended from the alert and leaves the hall; a rule's
// expression that is not CEL is refused at its field and the rule stays.
func TestTradeRiskDesk(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		x := newTradeWorld(t, db)
		buyer := x.as("company")
		contract := x.contract(buyer)
		rows := contract + "/rows?resource=" + x.w.Closed.ID
		for range 3 {
			mustContain(t, buyer.get(rows), "国贸")
		}
		mustContain(t, buyer.get(rows), "访问控制拒绝了这次读取")

		staff := x.as("ex.staff")
		var desk page
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if desk = staff.get("/exchange/risk?queue=usage"); strings.Contains(desk.body, "/exchange/risk/alerts/") {
				break
			}
		}
		alert := regexp.MustCompile(`href="(/exchange/risk/alerts/[^"]+)"`).FindStringSubmatch(desk.body)
		if alert == nil {
			t.Fatalf("no alert on the desk after a read past the contract's count:\n%s", mainOf(desk.body))
		}
		page := staff.get(alert[1])
		mustContain(t, page, "买方超出合同约定用量", "over_quota", x.auto.Title, `value="product:`+x.auto.ID+`"`)

		before := x.counts()
		x.tradeRefused(staff.form(alert[1], alert[1]+"/suspend", url.Values{"suspend_reason": {"超量读取"}}), before, "field-suspend_target")
		location(t, staff.form(alert[1], alert[1]+"/suspend", url.Values{"suspend_target": {"product:" + x.auto.ID}, "suspend_reason": {"超量读取，暂停核查"}}))
		mustContain(t, staff.get(alert[1]), "暂停产品", "超量读取，暂停核查")
		if strings.Contains(x.anon().get("/exchange").body, "/exchange/hall/"+x.auto.ID) {
			t.Error("the suspended product is still in the hall")
		}

		rules, err := x.rk.Rules(context.Background(), x.staff)
		if err != nil {
			t.Fatal(err)
		}
		rule := "/exchange/risk/rules/" + rules[0].ID
		form := staff.get(rule)
		mustContain(t, form, rules[0].Expr, "orders.buyer_recent")
		before = x.counts()
		pg := staff.form(rule, rule, url.Values{"rule_name": {rules[0].Name}, "rule_title": {rules[0].Title}, "rule_on": {string(rules[0].On)},
			"rule_expr": {"price.ratio >"}, "rule_severity": {string(rules[0].Severity)}, "rule_queue": {rules[0].Queue}, "rule_enabled": {"on"}})
		x.tradeRefused(pg, before, "field-rule_expr")
		mustContain(t, pg, "不是有效的 CEL 表达式", `price.ratio &gt;`)
		if again, _ := x.rk.Rule(context.Background(), x.staff, rules[0].ID); again.Expr != rules[0].Expr {
			t.Errorf("the refused expression changed the rule to %q", again.Expr)
		}
	})
}

// TestTradeMessagesAreTranslated checks every code of the trade pages'
// code lists in both languages.
func TestTradeMessagesAreTranslated(t *testing.T) {
	lists := map[string][]string{
		"trade.mode":            strs(exchange.DeliveryModes),
		"trade.model":           strs(exchange.PriceModels),
		"trade.source":          strs(exchange.Sources),
		"trade.state":           {"REQUESTED", "OFFERED", "ACCEPTED", "AGREED", "VERIFIED", "FINALIZED", "TERMINATED", "STARTED", "SUSPENDED", "COMPLETED"},
		"trade.contract_status": {trade.ContractAgreed, trade.ContractActive, trade.ContractSettled, trade.ContractCompleted, trade.ContractTerminated},
		"trade.invoice":         {"price", "buyer_fee", "provider_fee"},
		"dispute.status":        {"open", "mediation", "arbitration", "settled", "decided", "withdrawn"},
		"dispute.outcome":       {dispute.OutcomeSettled, dispute.OutcomeUpheld, dispute.OutcomePartlyUpheld, dispute.OutcomeDismissed, dispute.OutcomeWithdrawn},
		"risk.severity":         strs(risk.Severities),
		"risk.kind":             strs(risk.Kinds),
		"risk.alert_status":     {"open", "acknowledged", "closed", "all"},
		"risk.action":           {string(risk.ActionSuspendParticipant), string(risk.ActionSuspendProduct)},
		"trade.product_status":  {"draft", "in_review", "rejected", "listed", "suspended", "delisted"},
	}
	for _, r := range risk.DefaultRules {
		lists["risk.queue"] = append(lists["risk.queue"], r.Queue)
	}
	for list, codes := range lists {
		for _, code := range codes {
			if zh, en, ok := i18n.Lookup(list + "." + code); !ok || zh == "" || en == "" {
				t.Errorf("%s.%s is not translated in both languages", list, code)
			}
		}
	}
}

// anon is a browser without a session that follows redirects.
func (x *tradeWorld) anon() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: x.t, base: x.url, client: &http.Client{Jar: jar}}
}

func strs[T ~string](list []T) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = fmt.Sprint(v)
	}
	return out
}
