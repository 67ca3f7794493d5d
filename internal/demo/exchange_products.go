package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/classify"
	"dataport/internal/deid"
	"dataport/internal/exchange"
	"dataport/internal/exchange/asset"
	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/workday"
)

// productSpec is one data product of the demo exchange.
type productSpec struct {
	key       string   // how trades and registrations name it
	provider  string   // organization code
	resources []string // titles of the provider's published resources it delivers
	title     string
	desc      string
	scenarios []string
	source    exchange.SourceKind
	note      string   // the source declaration's note
	basis     string   // legal basis
	evidence  document // source evidence (none when its name is empty)
	sample    map[string]deid.ColumnOp
	delivery  []exchange.DeliveryMode
	price     exchange.Price
	offer     exchange.Offer
	derived   []string // keys of the products it is made from
	held      bool     // the law firm has not decided yet: it stays in review
}

// Shorthands for the products' tables.
var (
	fileAndAPI = []exchange.DeliveryMode{exchange.DeliveryFile, exchange.DeliveryAPI}
	apiOnly    = []exchange.DeliveryMode{exchange.DeliveryAPI}
	fileOnly   = []exchange.DeliveryMode{exchange.DeliveryFile}
)

// yuan is an amount in yuan as fen.
func yuan(n int64) int64 { return n * 100 }

// dataRegulation is the city's regulation every product cites.
const dataRegulation = "《京华市数字经济促进条例》第二十二条"

// selfCollected is the source note of a bureau's own data.
func selfCollected(system string) string {
	return "本单位在依法履行职责过程中通过" + system + "采集产生，数据来源合法，依据" + dataRegulation + "经数据交易所交易。"
}

// exchangeProducts are the products, in the order they are listed.
var exchangeProducts = []productSpec{
	{key: "bus_arrivals", provider: "JTW", resources: []string{"公交站点实时到站信息"},
		title: "京华市公交实时到站数据接口",
		desc: "基于全市地面公交智能调度系统车辆定位推算的站点预计到站信息，按线路、方向和站点提供距本站站数、距离和预计到站时间，" +
			"数据延迟不超过30秒。以接口方式实时调用，亦可按日下载全量快照文件。",
		scenarios: []string{"出行服务应用实时公交查询", "公交线网客流研判", "智慧站牌信息发布"},
		source:    exchange.SourceSelfCollected, note: selfCollected("京华市公共交通智能调度系统"),
		basis:  dataRegulation + "；《京华市公共数据管理办法》第十八条",
		sample: map[string]deid.ColumnOp{"vehicle_id": {Op: deid.OpMask, KeepFirst: 2}}, delivery: fileAndAPI,
		price: exchange.Price{Model: exchange.PriceSubscription, AmountFen: yuan(2000), PeriodDays: 30},
		offer: exchange.Offer{Policy: access.Policy{Purposes: []string{"出行服务应用实时公交查询", "公交线网客流研判"},
			Fields:        []string{"stop_id", "stop_name", "line_id", "line_name", "direction", "stops_away", "distance_m", "eta_seconds", "reported_at"},
			RatePerMinute: 600}, PeriodDays: 180, AutoAgree: true}},
	{key: "bus_routes", provider: "JTW", resources: []string{"公交线路基本信息"},
		title: "公交线路与首末班数据包（月度更新）",
		desc: "全市地面公交线路的线路编号、起终点、首末班时间、站点数、线路长度和票制，每月初更新，以文件交付，" +
			"适合导航地图和出行规划产品批量导入。",
		scenarios: []string{"导航地图公交线路更新", "出行规划路径计算"},
		source:    exchange.SourceSelfCollected, note: selfCollected("京华市公共交通智能调度系统"), basis: dataRegulation,
		sample: map[string]deid.ColumnOp{"operator_name": {Op: deid.OpMask, KeepFirst: 4}}, delivery: fileOnly,
		price: exchange.Price{Model: exchange.PriceOneOff, AmountFen: yuan(3000)},
		offer: exchange.Offer{Policy: access.Policy{Purposes: []string{"导航地图公交线路更新", "出行规划路径计算"}}, PeriodDays: 365}},
	{key: "company_check", provider: "SCJG", resources: []string{"市场主体登记信息"},
		title: "市场主体登记信息核验接口",
		desc: "按统一社会信用代码核验市场主体的名称、类型、注册资本、成立日期、登记机关和登记状态，数据来自全市市场主体登记注册系统，" +
			"每日更新。按次计费，单次最多返回20条。",
		scenarios: []string{"信贷客户准入核验", "企业信用评级", "供应商资质审核"},
		source:    exchange.SourceSelfCollected, note: selfCollected("市场主体登记注册系统"),
		basis:  dataRegulation + "；《中华人民共和国市场主体登记管理条例》第三十五条",
		sample: map[string]deid.ColumnOp{"address": {Op: deid.OpMask, KeepFirst: 6}}, delivery: apiOnly,
		price: exchange.Price{Model: exchange.PricePerCall, AmountFen: 50},
		offer: exchange.Offer{Policy: access.Policy{Purposes: []string{"信贷客户准入核验", "企业信用评级"},
			Fields:   []string{"uscc", "entity_name", "entity_type", "registered_capital", "established_on", "registration_authority", "district", "status"},
			MaxCalls: 50000, RowsPerRequest: 20}, PeriodDays: 365}},
	{key: "annual_reports", provider: "SCJG", resources: []string{"企业年度报告非公示信息"},
		title: "企业年报经营数据（非公示部分）",
		desc: "市场主体年度报告中企业选择不公示的从业人数、资产总额、负债总额、营业收入和纳税总额，按年度提供，" +
			"仅限信用评级和信贷风险评估使用，不得向第三方提供。",
		scenarios: []string{"企业信用评级", "信贷风险评估"},
		source:    exchange.SourceSelfCollected,
		note:      "企业依《企业信息公示暂行条例》第八条报送年度报告，本局依法归集；企业选择不公示的信息仅在交易合同约定的用途和期限内使用。",
		basis:     "《企业信息公示暂行条例》第八条、第九条；" + dataRegulation,
		sample:    map[string]deid.ColumnOp{"uscc": {Op: deid.OpMask, KeepFirst: 8}}, delivery: fileAndAPI,
		price: exchange.Price{Model: exchange.PriceSubscription, AmountFen: yuan(20000), PeriodDays: 365},
		offer: exchange.Offer{Policy: access.Policy{Purposes: []string{"企业信用评级", "信贷风险评估"}, RowsPerRequest: 100}, PeriodDays: 365}},
	{key: "air_quality", provider: "STHJ", resources: []string{"空气质量小时监测数据"},
		title: "空气质量小时监测历史数据服务",
		desc: "全市空气质量自动监测站逐小时的AQI、首要污染物和六项污染物浓度，提供历史数据回溯和实时查询接口，" +
			"支持按站点、区和时间段查询，可下载整月数据文件。",
		scenarios: []string{"出行与导航应用空气质量提示", "环境健康研究", "保险产品环境风险定价"},
		source:    exchange.SourceSelfCollected, note: selfCollected("生态环境监测网络"),
		basis:  dataRegulation + "；《中华人民共和国大气污染防治法》第二十三条",
		sample: map[string]deid.ColumnOp{"station_code": {Op: deid.OpMask, KeepFirst: 3}}, delivery: fileAndAPI,
		price: exchange.Price{Model: exchange.PriceSubscription, AmountFen: yuan(5000), PeriodDays: 90},
		offer: exchange.Offer{Policy: access.Policy{Purposes: []string{"出行与导航应用空气质量提示", "环境健康研究"}, RatePerMinute: 120},
			PeriodDays: 90, AutoAgree: true}},
	{key: "enforcement", provider: "STHJ", resources: []string{"生态环境执法检查记录"},
		title: "企业生态环境执法检查记录",
		desc: "市、区两级生态环境执法机构对排污单位开展的日常、专项和“双随机”检查记录，包括检查日期、检查类型、发现问题数和整改情况，" +
			"用于企业环境信用评价和绿色信贷审查。",
		scenarios: []string{"企业ESG评级", "绿色信贷环境风险审查"},
		source:    exchange.SourceSelfCollected, note: selfCollected("生态环境综合执法系统"),
		basis:  dataRegulation + "；《企业环境信息依法披露管理办法》第十二条",
		sample: map[string]deid.ColumnOp{"problem_summary": {Op: deid.OpRedact, With: "（样例不显示）"}}, delivery: fileOnly,
		price: exchange.Price{Model: exchange.PriceOneOff, AmountFen: yuan(8000)},
		offer: exchange.Offer{Policy: access.Policy{Purposes: []string{"企业ESG评级", "绿色信贷环境风险审查"},
			Fields: []string{"inspection_no", "uscc", "entity_name", "inspected_on", "inspection_type", "problems_found", "follow_up"}}, PeriodDays: 365}},
	{key: "tourism_revenue", provider: "WHLYJ", resources: []string{"旅游景区经营收入统计"},
		title:     "A级旅游景区经营收入季度数据",
		desc:      "全市A级旅游景区按季度报送的接待人次、门票收入、其他收入和从业人数统计，用于文旅消费监测、景区经营分析和投资评估。",
		scenarios: []string{"文旅消费趋势分析", "景区投资评估"},
		source:    exchange.SourceSelfCollected, note: selfCollected("文化和旅游统计直报系统"), basis: dataRegulation,
		sample: map[string]deid.ColumnOp{"scenic_name": {Op: deid.OpMask, KeepFirst: 2}}, delivery: fileOnly,
		price: exchange.Price{Model: exchange.PriceOneOff, AmountFen: yuan(4500)},
		offer: exchange.Offer{Policy: access.Policy{Purposes: []string{"文旅消费趋势分析", "景区投资评估"}}, PeriodDays: 180}},
	{key: "economy", provider: "TJJ", resources: []string{"国民经济主要指标"},
		title: "国民经济主要指标月度数据接口",
		desc: "全市地区生产总值、规模以上工业增加值、社会消费品零售总额、固定资产投资等主要指标的月度和季度数据，含累计值和同比增速，" +
			"于统计发布当日更新。合同期内每月调用一次。",
		scenarios: []string{"宏观经济研究", "金融机构行业景气分析"},
		source:    exchange.SourceSelfCollected, note: selfCollected("统计联网直报平台"),
		basis:  dataRegulation + "；《中华人民共和国统计法》第二十五条",
		sample: map[string]deid.ColumnOp{"released_on": {Op: deid.OpRedact}}, delivery: apiOnly,
		price: exchange.Price{Model: exchange.PriceSubscription, AmountFen: yuan(12000), PeriodDays: 365},
		offer: exchange.Offer{Policy: access.Policy{Purposes: []string{"宏观经济研究", "金融机构行业景气分析"}, MaxCalls: 12}, PeriodDays: 365}},
	{key: "presale", provider: "ZJW", resources: []string{"商品房预售许可"},
		title: "商品房预售许可与项目数据",
		desc: "全市商品房预售许可证的项目名称、开发企业、坐落、楼栋、预售面积、套数和预售资金监管银行，按日更新，" +
			"支持按区和发证日期查询，按实际返回条数计费。",
		scenarios: []string{"房地产市场研究", "按揭贷款项目准入审查"},
		source:    exchange.SourceSelfCollected, note: selfCollected("商品房预售许可管理系统"),
		basis:  dataRegulation + "；《城市商品房预售管理办法》第十条",
		sample: map[string]deid.ColumnOp{"supervising_bank": {Op: deid.OpMask, KeepFirst: 2}}, delivery: fileAndAPI,
		price: exchange.Price{Model: exchange.PricePerRow, AmountFen: 20},
		offer: exchange.Offer{Policy: access.Policy{Purposes: []string{"房地产市场研究", "按揭贷款项目准入审查"}, MaxRows: 5000}, PeriodDays: 180}},
	{key: "bus_heat", provider: exchangeMarker, resources: []string{heatIndex.TitleZh},
		title: "京华市公交出行热力指数",
		desc: "在交通公共数据专区内，以市交通委公交实时到站数据和线网数据为基础，按区、按月计算的公交出行量、平均乘距和早高峰拥挤指数，" +
			"经专区出域审核后提供，不含个人信息。",
		scenarios: []string{"公交线网优化咨询", "商业选址与商圈评估"},
		source:    exchange.SourceAuthorised,
		note:      "依据《京华市公共数据授权运营管理办法》和市人民政府与本集团签订的交通公共数据专区授权运营协议，在专区内加工形成。",
		basis:     dataRegulation + "；《京华市公共数据授权运营管理办法》第十四条",
		evidence:  document{kind: "authorisation", name: "交通公共数据专区授权运营协议（摘要）.txt"},
		sample:    map[string]deid.ColumnOp{"district": {Op: deid.OpMask, KeepFirst: 4}}, delivery: apiOnly,
		price:   exchange.Price{Model: exchange.PriceSubscription, AmountFen: yuan(1500), PeriodDays: 30},
		offer:   exchange.Offer{Policy: access.Policy{Purposes: []string{"公交线网优化咨询", "商业选址与商圈评估"}}, PeriodDays: 90},
		derived: []string{"bus_arrivals"}},
	{key: "noise", provider: "STHJ", resources: []string{"功能区噪声自动监测数据"}, held: true,
		title:     "功能区声环境自动监测数据",
		desc:      "全市声环境功能区自动监测站的逐小时等效声级、最大声级和超标情况，用于噪声地图和房地产环境评价。",
		scenarios: []string{"噪声地图制作", "住宅项目声环境评价"},
		source:    exchange.SourceSelfCollected, note: selfCollected("生态环境监测网络"), basis: dataRegulation,
		sample: map[string]deid.ColumnOp{"station_name": {Op: deid.OpMask, KeepFirst: 2}}, delivery: fileAndAPI,
		price: exchange.Price{Model: exchange.PriceSubscription, AmountFen: yuan(3000), PeriodDays: 90},
		offer: exchange.Offer{Policy: access.Policy{Purposes: []string{"噪声地图制作", "住宅项目声环境评价"}}, PeriodDays: 90}},
}

// list lists every product not listed yet, in the table's order.
func (x *exchangeSeed) list(ctx context.Context) error {
	for _, s := range exchangeProducts {
		if _, done := x.products[s.key]; !done {
			if err := x.listProduct(ctx, s); err != nil {
				return err
			}
		}
	}
	return nil
}

// listProduct writes product s as its provider's editor, loads rows into
// its resources when they have none, gives its first resource the sample's
// de-identification profile, files its source evidence, submits it to the
// law firm and has both reviewers tick their checklists and approve it (a
// held product waits for the law firm).
func (x *exchangeSeed) listProduct(ctx context.Context, s productSpec) error {
	p, err := x.product(ctx, s)
	if err != nil {
		return fmt.Errorf("product %s: %w", s.title, err)
	}
	if err := x.vet(ctx, s, p); err != nil {
		return fmt.Errorf("product %s: %w", s.title, err)
	}
	x.products[s.key], err = x.Exchange.Product(ctx, x.editorOf(s.provider), p.ID)
	return err
}

// product creates the draft of s with its sample profile and evidence.
func (x *exchangeSeed) product(ctx context.Context, s productSpec) (exchange.Product, error) {
	editor := x.editorOf(s.provider)
	ids, err := x.resourceIDs(ctx, s)
	if err != nil {
		return exchange.Product{}, err
	}
	profile, err := x.Profiles.Create(ctx, editor, ids[0], deid.ProfileInput{Name: "交易样例", Paths: []classify.Path{classify.PathSandbox},
		Profile: deid.Profile{Columns: s.sample}})
	if err != nil {
		return exchange.Product{}, fmt.Errorf("sample profile: %w", err)
	}
	in := exchange.ProductInput{ProviderID: x.participants[s.provider].ID, Title: s.title, Description: s.desc, UseScenarios: s.scenarios,
		Source: s.source, SourceNote: s.note, LegalBasis: s.basis, ResourceIDs: ids, SampleDeidProfile: profile.ID, Delivery: s.delivery,
		Price: s.price, Offer: s.offer}
	for _, k := range s.derived {
		in.DerivedFrom = append(in.DerivedFrom, x.products[k].ID)
	}
	p, err := x.Exchange.CreateProduct(ctx, editor, in)
	if err != nil || s.evidence.name == "" {
		return p, err
	}
	o := x.orgs[s.provider]
	body := fmt.Sprintf("%s\n\n授权方：京华市人民政府（由京华市政务服务和数据管理局代表）\n被授权方：%s（统一社会信用代码 %s）\n"+
		"授权范围：交通公共数据专区内公交运行数据的加工使用和产品经营\n授权期限：三年\n", strings.TrimSuffix(s.evidence.name, ".txt"), o.NameZh, o.USCC)
	if _, err := x.Exchange.AddProductEvidence(ctx, editor, p.ID, exchange.DocumentInput{Kind: s.evidence.kind, Name: s.evidence.name},
		strings.NewReader(body)); err != nil {
		return p, fmt.Errorf("source evidence: %w", err)
	}
	return p, nil
}

// resourceIDs returns the ids of s's resources, each with rows loaded.
func (x *exchangeSeed) resourceIDs(ctx context.Context, s productSpec) ([]string, error) {
	page, err := x.Catalog.List(ctx, identity.System, catalog.Filter{OrganizationID: x.orgs[s.provider].ID, Status: catalog.StatusPublished, Limit: 200})
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, title := range s.resources {
		for _, r := range page.Items {
			if r.TitleZh == title {
				if err := seedResourceRows(ctx, x.Datastore, r); err != nil {
					return nil, fmt.Errorf("rows of %s: %w", title, err)
				}
				ids = append(ids, r.ID)
			}
		}
	}
	if len(ids) != len(s.resources) {
		return nil, fmt.Errorf("%d of the resources %v are published", len(ids), s.resources)
	}
	return ids, nil
}

// vet submits product p to the law firm; the exchange's reviewer and the
// law firm tick every point of their checklists and approve.
func (x *exchangeSeed) vet(ctx context.Context, s productSpec, p exchange.Product) error {
	l, err := x.Exchange.Submit(ctx, x.editorOf(s.provider), p.ID, exchange.SubmitInput{LawFirmID: x.participants[lawFirmOrg].ID})
	if err != nil {
		return fmt.Errorf("submit: %w", err)
	}
	ticks := map[string]bool{}
	for _, it := range exchange.CheckItems {
		ticks[it.Key] = true
	}
	reviewers := []struct {
		who           identity.Principal
		note, comment string
	}{
		{x.person(exchangeReviewer), "已核验主体身份、来源声明及证明材料、样例去标识化效果和报价", "基本信息、合法合规性和可交易性审查通过"},
		{x.person("lawfirm"), "数据来源合法，权属清晰，使用场景不损害公共利益和他人合法权益，要约条款可由访问控制执行",
			"法律意见：同意挂牌"},
	}
	if s.held {
		reviewers = reviewers[:1]
	}
	for _, r := range reviewers {
		if _, err := x.Exchange.SubmitChecklist(ctx, r.who, l.ID, exchange.ChecklistInput{Items: ticks, Note: r.note}); err != nil {
			return fmt.Errorf("checklist: %w", err)
		}
		if _, err := x.Exchange.ListingReviews().Decide(ctx, r.who, l.ID, review.Approve, r.comment); err != nil {
			return fmt.Errorf("vetting: %w", err)
		}
	}
	return nil
}

// registrationSpec is one product's initial registration.
type registrationSpec struct {
	product   string
	rights    []asset.Right
	statement string
	effective bool // its objection period is run to its end
}

var exchangeRegistrations = []registrationSpec{
	{product: "bus_arrivals", rights: []asset.Right{asset.RightHolding, asset.RightProcessing, asset.RightOperation}, effective: true,
		statement: "本委依法履职采集公交运行数据，对该数据资源享有持有权，对所形成的数据产品享有经营权。"},
	{product: "annual_reports", rights: []asset.Right{asset.RightHolding, asset.RightOperation}, effective: true,
		statement: "本局依法归集企业年度报告数据，经营权限于合同约定的信用评级和信贷风险评估用途。"},
	{product: "bus_heat", rights: []asset.Right{asset.RightProcessing, asset.RightOperation}, effective: true,
		statement: "本集团依授权运营协议在交通公共数据专区内加工形成该指数，享有数据加工使用权和产品经营权，原始数据持有权仍归市交通委。"},
	{product: "air_quality", rights: []asset.Right{asset.RightHolding, asset.RightOperation},
		statement: "本局生态环境监测网络自行采集的监测数据，依法享有数据资源持有权和产品经营权。"},
}

// register files the initial registrations and has the exchange's reviewer
// approve them: those to take effect first, whose objection period is then
// run to its end (asset.Service.Tick with its end as now), then the one
// that stays open to objections.
func (x *exchangeSeed) register(ctx context.Context) error {
	var due time.Time
	for _, s := range exchangeRegistrations {
		if !s.effective {
			continue
		}
		r, err := x.registration(ctx, s)
		if err != nil {
			return err
		}
		if r.PublicityEndsAt != nil && r.PublicityEndsAt.After(due) {
			due = *r.PublicityEndsAt
		}
	}
	n, err := x.Assets.Tick(ctx, due)
	if err != nil {
		return err
	}
	for _, s := range exchangeRegistrations {
		if !s.effective {
			if _, err := x.registration(ctx, s); err != nil {
				return err
			}
			continue
		}
		n--
	}
	if n != 0 {
		return fmt.Errorf("the objection period's end put %d registrations too many or too few into effect", n)
	}
	return nil
}

// registration files s and has the exchange's reviewer approve it: it is
// numbered and open to objections.
func (x *exchangeSeed) registration(ctx context.Context, s registrationSpec) (asset.Registration, error) {
	p := x.products[s.product]
	r, err := x.Assets.Apply(ctx, x.editorOf(orgCode(x.orgs, p.ProviderOrgID)), asset.ApplyInput{Type: asset.TypeInitial, ProductID: p.ID,
		Rights: s.rights, Statement: s.statement})
	if err != nil {
		return r, fmt.Errorf("registration of %s: %w", s.product, err)
	}
	if r, err = x.Assets.Registrations.Decide(ctx, x.person(exchangeReviewer), r.ID, review.Approve, "权属证明材料齐全，准予登记并公示"); err != nil {
		return r, fmt.Errorf("registration of %s: %w", s.product, err)
	}
	return r, nil
}

// orgCode returns the code of the organization with id among orgs.
func orgCode(orgs map[string]identity.Organization, id string) string {
	for code, o := range orgs {
		if o.ID == id {
			return code
		}
	}
	return ""
}

// value has the assessor file two valuation reports: the operator's index
// by the income method, the commission's bus data by the cost method.
func (x *exchangeSeed) value(ctx context.Context) error {
	assessor := x.person("assessor")
	base := time.Now().In(workday.Beijing).AddDate(0, -1, 0)
	base = time.Date(base.Year(), base.Month(), 1, 0, 0, 0, 0, workday.Beijing).AddDate(0, 0, -1) // the end of the month before last
	ptr := func(v int64) *int64 { return &v }
	reports := []asset.ValuationInput{
		{ProductID: x.products["bus_heat"].ID, Method: asset.MethodIncome, Purpose: "数据资产入表及质押融资价值参考",
			Income: &asset.IncomeInputs{CashFlowsFen: []int64{yuan(1_800_000), yuan(2_400_000), yuan(3_000_000)}, PeriodYears: ptr(3),
				DiscountRateBP: ptr(1000), ShareRateBP: ptr(3500)},
			Assumptions: []string{"交通公共数据专区授权运营协议在收益期内持续有效", "公交运行数据源稳定供给，统计口径不变",
				"折现率参考同期贷款市场报价利率加行业风险溢价确定"}},
		{ProductID: x.products["bus_arrivals"].ID, Method: asset.MethodCost, Purpose: "公共数据资产登记价值评估",
			Cost: &asset.CostInputs{CollectionFen: ptr(yuan(450_000)), ProcessingFen: ptr(yuan(280_000)), StorageFen: ptr(yuan(90_000)),
				OtherFen: ptr(yuan(60_000)), ProfitRateBP: ptr(1200), DepreciationBP: ptr(1500)},
			Assumptions: []string{"调度系统按现行技术重建的成本", "数据按月更新，经济性贬值按已运行年限估计"}},
	}
	for i, in := range reports {
		in.BaseDate = base.Format(time.DateOnly)
		number := fmt.Sprintf("京华中衡评报字〔%d〕第%03d号", base.Year(), 18+i*7)
		in.Report = asset.ReportFile{Name: number + ".txt", Content: []byte(fmt.Sprintf("%s\n\n评估对象：%s\n评估方法：%s\n评估基准日：%s\n评估目的：%s\n",
			number, x.productTitle(in.ProductID), in.Method, in.BaseDate, in.Purpose))}
		if _, err := x.Assets.FileValuation(ctx, assessor, in); err != nil {
			return fmt.Errorf("valuation %s: %w", number, err)
		}
	}
	return nil
}

func (x *exchangeSeed) productTitle(id string) string {
	for _, p := range x.products {
		if p.ID == id {
			return p.Title
		}
	}
	return ""
}
