package demo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/deid"
	"dataport/internal/exchange"
	"dataport/internal/exchange/asset"
	"dataport/internal/exchange/dispute"
	"dataport/internal/exchange/risk"
	"dataport/internal/exchange/trade"
	"dataport/internal/identity"
	"dataport/internal/ledger"
	"dataport/internal/review"
)

// The data exchange of 京华市 (京华数据交易所), seeded through the
// exchange's own workflows so that every admission, listing review,
// registration, contract, delivery grant, read and settlement is real, with
// its review cases, grants, decisions and events:
//
//   - thirteen admitted participants: six municipal bureaus listing their
//     data (article 22: public institutions trade through the exchange), the
//     city's authorised operator 京华数据集团 (provider and buyer) and its
//     subsidiary 京华数智出行 (a related party: the group holds 51% of it),
//     the demo's company 京华智图导航 and the rating agency 京华信衡 as
//     buyers, a data broker, a law firm and an asset assessor;
//   - eleven products double vetted by the exchange's reviewer and the law
//     firm (ten listed, one waiting for the law firm), two of them agreeing
//     automatically to orders within their offer with file and API delivery;
//     four registered (three certificates in effect, one in its objection
//     period) and two valued;
//   - ten contracts: eight settled and rated, read through their delivery
//     grants (HttpData-PULL transfers or the buyer's own session), one
//     disputed by its buyer and one still running; one order in the
//     provider's queue;
//   - the alerts the trading raised: a circular trade (the transport
//     commission's bus data, bought by the subsidiary, comes back to the
//     commission as the group's derived index) and a buyer reading past its
//     contract's count.
//
// The demo's clock is the real one: the objection periods of the
// registrations in effect are driven by asset.Service.Tick with the end of
// their period as now, so their certificates show the day they take effect.

// ExchangeServices are the services SeedExchange goes through.
type ExchangeServices struct {
	Identity  *identity.Service
	Catalog   *catalog.Service
	Datastore *datastore.Service
	Profiles  *deid.Service
	Access    *access.Service
	Exchange  *exchange.Service
	Assets    *asset.Service
	Trade     *trade.Service
	Risk      *risk.Engine
	Disputes  *dispute.Service
	// Ledger, when set, is started by SeedExchange and stopped once the
	// dispute's evidence is sealed (before SeedExchange returns), so that
	// the evidence is attached as the dispute opens instead of after a
	// wait for a sequencer that is not running.
	Ledger *ledger.Service
}

// exchangeMarker is the code of the organization SeedExchange creates
// first: when it exists, the exchange is seeded.
const exchangeMarker = "JHSJJT"

// SeedExchange gives the demo city's exchange its participants, products,
// trades, alerts and a dispute. It runs after Seed, SeedRows and SeedDeid on
// the same store and does nothing when the exchange is seeded already.
func SeedExchange(ctx context.Context, s ExchangeServices) error {
	if seeded, err := hasOrganization(ctx, s.Identity, identity.KindOperator, exchangeMarker); err != nil {
		return fmt.Errorf("demo exchange: %w", err)
	} else if seeded {
		return nil
	}
	x := &exchangeSeed{ExchangeServices: s, people: map[string]identity.Principal{}, orgs: map[string]identity.Organization{},
		participants: map[string]exchange.Participant{}, products: map[string]exchange.Product{}, contracts: map[string]trade.Contract{},
		stopLedger: func() error { return nil }}
	if s.Ledger != nil {
		// The sequencer seals the city's events while the exchange is
		// seeded, and stops once the dispute's evidence is attached.
		if err := s.Ledger.Start(ctx); err != nil {
			return fmt.Errorf("demo exchange: %w", err)
		}
		x.stopLedger = sync.OnceValue(func() error {
			stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
			defer cancel()
			return s.Ledger.Stop(stop)
		})
	}
	// The dispute comes first: its parties join, and it is opened in the
	// background, where sealing its evidence waits for the ledger's next
	// checkpoint, while the others join and the rest is seeded.
	var err error
	for _, step := range []func(context.Context) error{x.organizations, x.join(true), x.dispute, x.join(false), x.operatorResource,
		x.relate, x.list, x.register, x.value, x.trade} {
		if err = step(ctx); err != nil {
			break
		}
	}
	x.opening.Wait()
	if err = errors.Join(err, x.disputeErr, x.stopLedger()); err != nil {
		return fmt.Errorf("demo exchange: %w", err)
	}
	return nil
}

// exchangeSeed is the seeding in progress: who acts, and what was made.
type exchangeSeed struct {
	ExchangeServices
	people       map[string]identity.Principal    // by username
	orgs         map[string]identity.Organization // by code
	participants map[string]exchange.Participant  // by organization code
	products     map[string]exchange.Product      // by productSpec.key
	contracts    map[string]trade.Contract        // by productSpec.key of the product bought

	opening    sync.WaitGroup // the dispute being opened
	disputeErr error          // why it could not be opened
	stopLedger func() error   // stops the ledger started for the seeding (once)
}

// exchangeOrgs are the organizations the exchange brings to the city.
var exchangeOrgs = withOrgDefaults([]orgSpec{
	{code: exchangeMarker, kind: identity.KindOperator, zh: "京华数据集团有限公司", en: "Jinghua Data Group Co., Ltd.", short: "京华数据集团",
		region: "110105", class: "91", body: "MA0C4R7L", dept: "数据运营部", phone: "010-65871200",
		desc: "市属国有独资企业，经市人民政府授权运营交通、金融等公共数据专区，开发和经营公共数据产品。"},
	{code: "SZCX", kind: identity.KindEnterprise, zh: "京华数智出行科技有限公司", en: "Jinghua Shuzhi Mobility Technology Co., Ltd.",
		short: "数智出行", region: "110108", class: "91", body: "MA0D8K2P",
		desc: "京华数据集团控股子公司，开发实时公交、出行规划等出行服务应用。"},
	{code: "SLJJ", kind: identity.KindEnterprise, zh: "京华数联数据经纪有限公司", en: "Jinghua Shulian Data Brokerage Co., Ltd.",
		short: "数联经纪", region: "110105", class: "91", body: "MA0E6T3N",
		desc: "为金融、房地产和文旅企业提供数据产品撮合、采购代理和合规咨询的数据经纪机构。"},
	{code: lawFirmOrg, kind: identity.KindEnterprise, zh: "京华正衡律师事务所", en: "Jinghua Zhengheng Law Firm", short: "正衡律所",
		class: "31", body: "40072158", desc: "专注数据合规、个人信息保护和数字经济法律事务的合伙制律师事务所。"},
	{code: "ZHPG", kind: identity.KindEnterprise, zh: "京华中衡资产评估有限公司", en: "Jinghua Zhongheng Asset Appraisal Co., Ltd.",
		short: "中衡评估", region: "110102", class: "91", body: "MA0F2W9Q",
		desc: "从事数据资产、无形资产和企业价值评估的资产评估机构，已在财政部门备案。"},
})

// exchangeUsers are the exchange's demo logins: its staff, and an admin of
// each participating company (the bureaus act through their existing admins
// and editors). 顺达物流 has not applied: its admin can try the application.
var exchangeUsers = []userSpec{
	{username: "exchange.reviewer", display: "程佳怡", role: "exchange compliance reviewer", org: "SJJYS", member: identity.RoleMember},
	{username: "exchange.risk", display: "邹远航", role: "exchange risk officer and mediator", org: "SJJYS", member: identity.RoleMember},
	{username: "datagroup", display: "薛文博", role: "exchange provider: authorised operator", org: exchangeMarker, member: identity.RoleAdmin},
	{username: "mobility", display: "韩思远", role: "exchange buyer", org: "SZCX", member: identity.RoleAdmin},
	{username: "credit", display: "钱雅文", role: "exchange buyer", org: "XHXY", member: identity.RoleAdmin},
	{username: "broker", display: "唐晓峰", role: "exchange data broker", org: "SLJJ", member: identity.RoleAdmin},
	{username: "lawfirm", display: "方致远", role: "exchange law firm", org: lawFirmOrg, member: identity.RoleAdmin},
	{username: "assessor", display: "孔令仪", role: "exchange asset assessor", org: "ZHPG", member: identity.RoleAdmin},
	{username: "logistics", display: "马骏", role: "company user, not on the exchange yet", org: "SDWL", member: identity.RoleAdmin},
}

// exchangeReviewer is the exchange's staff member who admits, vets and
// registers in the seeding.
const exchangeReviewer = "exchange.reviewer"

// organizations creates the exchange's organizations and reads every
// organization, and the principals of the existing users who act.
func (x *exchangeSeed) organizations(ctx context.Context) error {
	for _, s := range exchangeOrgs {
		if _, err := createOrganization(ctx, x.Identity, s); err != nil {
			return err
		}
	}
	all, err := x.Identity.Organizations(ctx, identity.OrgFilter{})
	if err != nil {
		return err
	}
	for _, o := range all {
		x.orgs[o.Code] = o
	}
	names := []string{"exchange", "company", operatorName}
	for _, p := range exchangeParticipants {
		if o, ok := x.orgs[p.org]; ok && o.Kind == identity.KindInstitution {
			names = append(names, adminName(p.org), editorName(p.org))
		}
	}
	for _, name := range names {
		u, err := x.Identity.UserByName(ctx, name)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if x.people[name], err = x.Identity.Principal(ctx, u.ID); err != nil {
			return err
		}
	}
	return nil
}

// join returns the step in which the organizations the dispute involves
// (first), or the others, get their exchange users and are admitted.
func (x *exchangeSeed) join(first bool) func(context.Context) error {
	parties := disputeParties()
	return func(ctx context.Context) error {
		var users []userSpec
		for _, u := range exchangeUsers {
			if parties[u.org] == first {
				users = append(users, u)
			}
		}
		orgIDs := make(map[string]string, len(x.orgs))
		for code, o := range x.orgs {
			orgIDs[code] = o.ID
		}
		people, err := createUsers(ctx, x.Identity, users, orgIDs)
		if err != nil {
			return err
		}
		maps.Copy(x.people, people)
		for _, p := range exchangeParticipants {
			if parties[p.org] == first {
				if err := x.admit(ctx, p); err != nil {
					return err
				}
			}
		}
		return nil
	}
}

// lawFirmOrg is the law firm that vets every listing.
const lawFirmOrg = "ZHLS"

// disputeParties are the organizations the disputed order involves: the
// exchange, its law firm, the product's provider and the buyer.
func disputeParties() map[string]bool {
	parties := map[string]bool{"SJJYS": true, lawFirmOrg: true}
	for _, t := range exchangeTrades {
		if t.claim == "" {
			continue
		}
		parties[t.buyer] = true
		for _, p := range exchangeProducts {
			if p.key == t.product {
				parties[p.provider] = true
			}
		}
	}
	return parties
}

// person returns the principal of username, read by accounts.
func (x *exchangeSeed) person(username string) identity.Principal { return x.people[username] }

// editorOf is the user who writes org's products and orders for it: the
// editor of a bureau, the admin of a company.
func (x *exchangeSeed) editorOf(org string) identity.Principal {
	if p, ok := x.people[editorName(org)]; ok {
		return p
	}
	for _, u := range exchangeUsers {
		if u.org == org {
			return x.people[u.username]
		}
	}
	for _, p := range exchangeParticipants {
		if p.org == org {
			return x.people[p.admin]
		}
	}
	return identity.Principal{}
}

// heatIndex is the catalog entry of the authorised operator's product: an
// index computed in the transport data zone from the commission's bus data.
var heatIndex = catalog.Input{
	TitleZh: "公交出行热力指数", TitleEn: "Bus travel heat index",
	DescriptionZh: "京华数据集团在交通公共数据专区内，以市交通委公交实时到站和线网数据为基础，按区、按月计算的公交出行量、平均乘距、" +
		"早高峰拥挤指数和热力等级，经专区出域审核后提供，不含个人信息。",
	Subject: "04", Industry: "G", Keywords: []string{"公交", "出行热力", "授权运营", "交通指数"},
	Formats: []string{"API", "CSV"}, UpdateFrequency: catalog.FreqMonthly,
	ShareType: shareCond, ShareBasis: "授权运营数据产品：公共机构履职需要时经本单位同意后共享，须说明用途。",
	OpenType: openNone, OpenBasis: "授权运营形成的数据产品，通过京华数据交易所有偿提供，不予开放。",
	Classification: general, Level: 2, SourceSystem: "京华市交通公共数据专区",
	Items: []catalog.Item{
		key(month("stat_month", "统计月份")),
		key(district()),
		integer("trips", "公交出行量（人次）"),
		decimal("avg_trip_km", "平均乘距（公里）", 5, 1),
		desc(decimal("peak_index", "早高峰拥挤指数", 5, 2), "早高峰（7:00—9:00）车厢平均满载率与额定载客量之比"),
		code("heat_level", "热力等级", codes("1", "低", "2", "较低", "3", "中", "4", "较高", "5", "高")),
	},
}

// heatIndexRow: a district's month of bus travel — more trips, shorter
// and more crowded in the centre; the heat level follows the crowding.
func heatIndexRow(g *rowGen) {
	scale, km := 0.8, 8.4
	if slices.Contains([]string{"110101", "110102", "110105", "110108"}, g.get("district")) {
		scale, km = 1.3, 6.2
	}
	peak := math.Round(around(g.r, 0.78*scale, 0.12)*100) / 100
	g.set("trips", int(around(g.r, 4_200_000*scale, 0.15)))
	g.set("avg_trip_km", math.Round(around(g.r, km, 0.1)*10)/10)
	g.set("peak_index", peak)
	level := 1
	for _, bound := range []float64{0.65, 0.8, 0.95, 1.1} {
		if peak > bound {
			level++
		}
	}
	g.set("heat_level", fmt.Sprint(level))
}

// operatorResource catalogs the authorised operator's index: its admin
// writes and submits it, the platform operator approves it; it is closed
// (sold on the exchange), so its rows are loaded by products below.
func (x *exchangeSeed) operatorResource(ctx context.Context) error {
	o := x.orgs[exchangeMarker]
	in := prepare(heatIndex, exchangeOrgs[0])
	in.ContactEmail = "data@jhsjjt.jinghua.example"
	editor := x.editorOf(exchangeMarker)
	r, err := x.Catalog.Create(ctx, editor, o.ID, in)
	if err != nil {
		return fmt.Errorf("%s: %w", heatIndex.TitleZh, err)
	}
	if r, err = x.Catalog.Submit(ctx, editor, r.ID); err != nil {
		return fmt.Errorf("%s: %w", heatIndex.TitleZh, err)
	}
	_, err = x.Catalog.Review(ctx, x.person(operatorName), r.ID, catalog.Approve, "授权运营产品目录要素齐全，同意发布")
	return err
}

// participantSpec is one organization admitted to the exchange.
type participantSpec struct {
	org      string // organization code
	admin    string // the username who applies
	legalRep string // 法定代表人 (a law firm's 负责人)
	phone    string
	roles    []exchange.Role
	tier     string   // "" standard
	licence  document // uploaded with the application (none when its name is empty)
}

// document is a supporting file a participant uploads: its kind, its name
// and who issued it ("" the market regulator of the holder's district).
type document struct{ kind, name, issuer string }

var businessLicence = document{kind: "business_licence", name: "营业执照（副本）.txt"}

// exchangeParticipants are admitted in this order. The bureaus avoid the
// first two institutions by code (公安局, 规划和自然资源委), which the
// end-to-end tests admit themselves.
var exchangeParticipants = []participantSpec{
	{org: "JTW", admin: adminName("JTW"), legalRep: "周卫东", phone: "010-02101001",
		roles: []exchange.Role{exchange.RoleProvider, exchange.RoleBuyer}, tier: "premier"},
	{org: "SCJG", admin: adminName("SCJG"), legalRep: "陈立平", phone: "010-02103001", roles: []exchange.Role{exchange.RoleProvider}, tier: "certified"},
	{org: "STHJ", admin: adminName("STHJ"), legalRep: "刘海涛", phone: "010-02104001", roles: []exchange.Role{exchange.RoleProvider}, tier: "certified"},
	{org: "WHLYJ", admin: adminName("WHLYJ"), legalRep: "宋文君", phone: "010-02109001", roles: []exchange.Role{exchange.RoleProvider}},
	{org: "TJJ", admin: adminName("TJJ"), legalRep: "吴国良", phone: "010-02112001", roles: []exchange.Role{exchange.RoleProvider}},
	{org: "ZJW", admin: adminName("ZJW"), legalRep: "黄建新", phone: "010-02111001", roles: []exchange.Role{exchange.RoleProvider}},
	{org: exchangeMarker, admin: "datagroup", legalRep: "邵明远", phone: "010-65871200",
		roles: []exchange.Role{exchange.RoleProvider, exchange.RoleBuyer}, tier: "premier", licence: businessLicence},
	{org: "SZCX", admin: "mobility", legalRep: "韩立群", phone: "010-82635510", roles: []exchange.Role{exchange.RoleBuyer},
		licence: businessLicence},
	{org: "ZTDH", admin: "company", legalRep: "高书航", phone: "010-62981736", roles: []exchange.Role{exchange.RoleBuyer}, tier: "certified",
		licence: businessLicence},
	{org: "XHXY", admin: "credit", legalRep: "钱志诚", phone: "010-66195288", roles: []exchange.Role{exchange.RoleBuyer}, tier: "certified",
		licence: businessLicence},
	{org: "SLJJ", admin: "broker", legalRep: "唐嘉禾", phone: "010-65502817", roles: []exchange.Role{exchange.RoleBroker, exchange.RoleBuyer},
		licence: businessLicence},
	{org: lawFirmOrg, admin: "lawfirm", legalRep: "方致远", phone: "010-68012466", roles: []exchange.Role{exchange.RoleLawFirm}, tier: "certified",
		licence: document{"qualification", "律师事务所执业许可证.txt", "京华市司法局"}},
	{org: "ZHPG", admin: "assessor", legalRep: "孔令仪", phone: "010-68327190", roles: []exchange.Role{exchange.RoleAssessor}, tier: "certified",
		licence: document{"qualification", "资产评估机构备案公告.txt", "京华市财政局"}},
}

// admit has participant s apply (with its document) and the exchange's
// reviewer admit it and set its tier.
func (x *exchangeSeed) admit(ctx context.Context, s participantSpec) error {
	reviewer := x.person(exchangeReviewer)
	o := x.orgs[s.org]
	admin := x.person(s.admin)
	a, err := x.Exchange.Apply(ctx, admin, exchange.ParticipantInput{OrgID: o.ID, USCC: o.USCC, LegalRep: s.legalRep,
		ContactName: admin.DisplayName, ContactPhone: s.phone, ContactEmail: "exchange@" + lower(s.org) + ".jinghua.example", Roles: s.roles})
	if err != nil {
		return fmt.Errorf("%s applies: %w", s.org, err)
	}
	if d := s.licence; d.name != "" {
		if _, err := x.Exchange.AddParticipantDocument(ctx, admin, a.ParticipantID, exchange.DocumentInput{Kind: d.kind, Name: d.name},
			strings.NewReader(d.text(o, s.legalRep))); err != nil {
			return fmt.Errorf("%s uploads %s: %w", s.org, d.name, err)
		}
	}
	if _, err := x.Exchange.ApplicationReviews().Decide(ctx, reviewer, a.ID, review.Approve, "主体资格和证明材料核验无误，准予入场"); err != nil {
		return fmt.Errorf("%s admitted: %w", s.org, err)
	}
	if s.tier != "" {
		if _, err := x.Exchange.SetTier(ctx, reviewer, a.ParticipantID, s.tier); err != nil {
			return err
		}
	}
	x.participants[s.org], err = x.Exchange.Participant(ctx, reviewer, a.ParticipantID)
	return err
}

// relate records that the authorised operator holds 51% of the mobility
// company, as the group declares it; the risk engine reads the related
// parties again at once (it otherwise rereads them every half minute).
func (x *exchangeSeed) relate(ctx context.Context) error {
	group, sub := x.participants[exchangeMarker], x.participants["SZCX"]
	if _, err := x.Exchange.DeclareRelation(ctx, x.person("datagroup"), group.ID, exchange.RelationInput{OtherID: sub.ID,
		Kind: exchange.RelationShareholder, Note: "本集团持有京华数智出行科技有限公司51%股权，为其控股股东"}); err != nil {
		return err
	}
	if x.Risk == nil {
		return nil
	}
	return x.Risk.Load(ctx)
}

// text is the document's content as the demo files it: the certificate's
// particulars.
func (d document) text(o identity.Organization, legalRep string) string {
	issuer := d.issuer
	if issuer == "" {
		issuer = "京华市市场监督管理局"
		if o.RegionCode != cityRegion {
			issuer = authority(placeOf(o.RegionCode), "市场监督管理局")
		}
	}
	return fmt.Sprintf("%s\n\n名称：%s\n统一社会信用代码：%s\n法定代表人（负责人）：%s\n发证机关：%s\n",
		strings.TrimSuffix(d.name, ".txt"), o.NameZh, o.USCC, legalRep, issuer)
}
