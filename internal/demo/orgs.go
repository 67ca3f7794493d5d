package demo

import "dataport/internal/identity"

// cityRegion is the GB/T 2260 code of the municipality as a whole.
const cityRegion = "110000"

// orgSpec is one organization of the demo city.
type orgSpec struct {
	code   string // short organization code, the prefix of catalog codes
	kind   identity.OrgKind
	zh, en string
	short  string // short Chinese name shown in account roles, e.g. "市交通委"
	region string // GB/T 2260 code
	class  string // USCC registration authority and type: "11" organ, "12" public service unit, "91" company; "" for persons
	body   string // the first 8 characters of the organization code; its GB 11714 check is computed
	desc   string
	site   string
	// contact for catalog entries (institutions)
	dept, phone string
	// display names of the institution's admin and editor users (invented)
	admin, editor string
}

// institutions are the public institutions (公共机构) that catalog data.
var institutions = []orgSpec{
	{code: "JTW", zh: "京华市交通委员会", en: "Jinghua Municipal Commission of Transport", short: "市交通委",
		body: "00002101", desc: "负责全市综合交通运输规划、建设、运营和行业监管，统筹城市公共交通、出租汽车和道路运输管理。",
		dept: "信息中心", phone: "010-02101001", admin: "何志远", editor: "孙雨桐"},
	{code: "WJW", zh: "京华市卫生健康委员会", en: "Jinghua Municipal Health Commission", short: "市卫生健康委",
		body: "00002102", desc: "负责全市卫生健康事业发展、医疗机构和医疗服务行业管理、疾病预防控制和公共卫生应急。",
		dept: "规划发展与信息化处", phone: "010-02102001", admin: "郑文博", editor: "韩静怡"},
	{code: "SCJG", zh: "京华市市场监督管理局", en: "Jinghua Municipal Administration for Market Regulation", short: "市市场监管局",
		body: "00002103", desc: "负责市场主体统一登记注册、食品安全监督管理、特种设备安全监察和消费者权益保护。",
		dept: "信息中心", phone: "010-02103001", admin: "冯国栋", editor: "许嘉宁"},
	{code: "STHJ", zh: "京华市生态环境局", en: "Jinghua Municipal Ecology and Environment Bureau", short: "市生态环境局",
		body: "00002104", desc: "负责全市生态环境监测、大气和水污染防治、排污许可和生态环境执法。",
		dept: "生态环境监测中心", phone: "010-02104001", admin: "曹立新", editor: "彭晓琳"},
	{code: "JW", zh: "京华市教育委员会", en: "Jinghua Municipal Education Commission", short: "市教委",
		body: "00002105", desc: "负责全市各级各类教育的统筹规划和管理，指导中小学校、幼儿园办学和招生工作。",
		dept: "信息中心", phone: "010-02105001", admin: "袁明哲", editor: "蒋若楠"},
	{code: "MZJ", zh: "京华市民政局", en: "Jinghua Municipal Civil Affairs Bureau", short: "市民政局",
		body: "00002106", desc: "负责养老服务、社会救助、婚姻登记、社会组织登记管理和殡葬管理等民政工作。",
		dept: "信息中心", phone: "010-02106001", admin: "沈嘉诚", editor: "吕思涵"},
	{code: "GHZRW", zh: "京华市规划和自然资源委员会", en: "Jinghua Municipal Commission of Planning and Natural Resources", short: "市规划自然资源委",
		body: "00002107", desc: "负责城乡规划管理、国土空间用途管制、土地供应、不动产登记和测绘地理信息管理。",
		dept: "信息中心", phone: "010-02107001", admin: "魏振华", editor: "潘梓萱"},
	{code: "WHLYJ", zh: "京华市文化和旅游局", en: "Jinghua Municipal Bureau of Culture and Tourism", short: "市文化和旅游局",
		body: "00002109", desc: "负责公共文化服务、文化市场管理、旅游景区和旅游住宿业的行业管理。",
		dept: "信息中心", phone: "010-02109001", admin: "杜承宇", editor: "程语嫣"},
	{code: "RSJ", zh: "京华市人力资源和社会保障局", en: "Jinghua Municipal Human Resources and Social Security Bureau", short: "市人力社保局",
		body: "00002110", desc: "负责就业促进、社会保险、职业能力建设、劳动关系和工资收入分配政策。",
		dept: "信息中心", phone: "010-02110001", admin: "田守正", editor: "葛欣然"},
	{code: "ZJW", zh: "京华市住房和城乡建设委员会", en: "Jinghua Municipal Commission of Housing and Urban-Rural Development", short: "市住房城乡建设委",
		body: "00002111", desc: "负责房地产市场监管、保障性住房建设管理、建筑业和物业服务行业管理。",
		dept: "信息中心", phone: "010-02111001", admin: "钟立群", editor: "方可馨"},
	{code: "TJJ", zh: "京华市统计局", en: "Jinghua Municipal Bureau of Statistics", short: "市统计局",
		body: "00002112", desc: "负责组织实施统计调查和经济普查，发布全市国民经济和社会发展统计数据。",
		dept: "数据管理中心", phone: "010-02112001", admin: "范德明", editor: "姚诗琪"},
	{code: "GAJ", zh: "京华市公安局", en: "Jinghua Municipal Public Security Bureau", short: "市公安局",
		body: "00002113", desc: "负责社会治安管理、户籍和居民身份证管理、道路交通安全管理和机动车驾驶人管理。",
		dept: "科技信息化处", phone: "010-02113001", admin: "贺建军", editor: "邹雅琴"},
}

// platformOrgs run, trade on and oversee the platform.
var platformOrgs = []orgSpec{
	{code: "DSJZX", kind: identity.KindOperator, zh: "京华市大数据中心", en: "Jinghua Big Data Center", short: "市大数据中心",
		class: "12", body: "00002114",
		desc: "市政务服务和数据管理局所属事业单位，负责公共数据的汇聚、清洗、共享、开放和评估，建设维护市级大数据平台和公共数据开放平台。"},
	{code: "SJJYS", kind: identity.KindExchange, zh: "京华数据交易所", en: "Jinghua Data Exchange", short: "京华数据交易所",
		region: "110105", class: "91", body: "MA01B7K3",
		desc: "经市人民政府批准设立的数据交易机构，提供数据产品登记、合规审查、交易撮合和交付结算服务。"},
	{code: "WXB", kind: identity.KindRegulator, zh: "中共京华市委网络安全和信息化委员会办公室", en: "Cyberspace Affairs Office of the CPC Jinghua Municipal Committee", short: "市委网信办",
		class: "11", body: "00002115",
		desc: "负责全市网络安全、数据安全和个人信息保护工作的统筹协调和监督管理。"},
}

// publicUsers are the companies and persons that use open data.
var publicUsers = []orgSpec{
	{code: "ZTDH", kind: identity.KindEnterprise, zh: "京华智图导航科技有限公司", en: "Jinghua Zhitu Navigation Technology Co., Ltd.", short: "智图导航",
		region: "110108", class: "91", body: "MA04C2N8", desc: "从事电子地图、导航和位置服务的科技企业。"},
	{code: "SDWL", kind: identity.KindEnterprise, zh: "京华顺达物流有限公司", en: "Jinghua Shunda Logistics Co., Ltd.", short: "顺达物流",
		region: "110112", class: "91", body: "MA07D5R1", desc: "从事城市配送、仓储和多式联运的物流企业。"},
	{code: "XHXY", kind: identity.KindEnterprise, zh: "京华信衡信用评级有限公司", en: "Jinghua Xinheng Credit Rating Co., Ltd.", short: "信衡评级",
		region: "110102", class: "91", body: "MA02F4W9", desc: "从事企业信用评级和信用风险评估服务的专业机构。"},
	{code: "GR01", kind: identity.KindIndividual, zh: "林若溪", en: "Lin Ruoxi", short: "个人用户",
		region: "110105", desc: "独立开发者，使用开放数据开发出行类应用。"},
	{code: "GR02", kind: identity.KindIndividual, zh: "周子航", en: "Zhou Zihang", short: "个人用户",
		region: "110108", desc: "高校研究人员，以个人身份申请使用开放数据开展城市研究。"},
}

// districts are the city's districts, used by code lists and addresses.
var districts = []struct{ code, name string }{
	{"110101", "紫宸区"}, {"110102", "西华区"}, {"110105", "东湖区"}, {"110106", "南苑区"},
	{"110107", "西山区"}, {"110108", "文澜区"}, {"110112", "运河区"}, {"110113", "空港区"},
	{"110114", "北岭区"}, {"110115", "青原区"},
}

// allOrgs lists every organization spec in creation order, with defaults
// filled: institutions are organs (class "11") of the whole city.
func allOrgs() []orgSpec {
	out := make([]orgSpec, 0, len(institutions)+len(platformOrgs)+len(publicUsers))
	for _, o := range institutions {
		o.kind, o.class = identity.KindInstitution, "11"
		out = append(out, o)
	}
	out = append(out, platformOrgs...)
	out = append(out, publicUsers...)
	return withOrgDefaults(out)
}

// withOrgDefaults fills in what the specs of list leave out: the city's
// region, and a website for every organization that is not a person.
func withOrgDefaults(list []orgSpec) []orgSpec {
	for i := range list {
		if list[i].region == "" {
			list[i].region = cityRegion
		}
		if list[i].site == "" && list[i].kind != identity.KindIndividual {
			list[i].site = "https://" + lower(list[i].code) + ".jinghua.example"
		}
	}
	return list
}
