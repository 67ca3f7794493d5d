package stats

// The indicator system. Every indicator is computed from the platform's own
// records as they stood at the end of a day (Beijing time, UTC+8), per
// institution (the organization a record belongs to: a resource's provider,
// a review case's subject organization, a zone's steward, a contract's
// provider, an incident's or assessment's unit) and for the whole city
// (CityWide: every record, whoever it belongs to — not a mean of the
// institutions).
//
// A value is num/den: counts have den 1 per day; percentages are
// 100·num/den; means (unit hours) are num/den with num a sum of hours and
// den the number of events. A period's value of a stock is the one of its
// last snapshot day; of a flow, sum(num)/sum(den) over its days (counts are
// summed, means re-weighted by their events). A percentage or mean whose
// denominator is zero has no value (the row is absent, not 0).
//
// Indicators of the docs (How) say exactly what is counted.

// Kinds of indicators.
const (
	Stock = "stock" // the value at the period's end
	Flow  = "flow"  // accumulated over the period
)

// Units of indicators.
const (
	UnitCount   = "count"
	UnitPercent = "%"
	UnitHours   = "hours"
	UnitScore   = "score" // 0–100
	UnitRows    = "rows"
	UnitYuan    = "yuan"
)

// Indicator codes (the published index and the API use them).
const (
	ResourcesPublished    = "resources_published"
	CatalogCompleteness   = "catalog_completeness"
	DataCoverage          = "data_coverage"
	OpenResources         = "open_resources"
	OpenListFulfilment    = "open_list_fulfilment"
	FreshnessRate         = "freshness_rate"
	QualityScore          = "quality_score"
	APICalls              = "api_calls"
	RowsServed            = "rows_served"
	ShareDecided          = "share_requests_decided"
	ShareGranted          = "share_requests_granted"
	ShareDecisionHours    = "share_decision_hours"
	OpenApplications      = "open_applications"
	OpenApplicationsGrant = "open_applications_granted"
	ZoneQueries           = "zone_queries"
	ExchangeContracts     = "exchange_contracts"
	ExchangeVolume        = "exchange_volume"
	ExchangeParticipants  = "exchange_participants"
	Incidents             = "incidents"
	IncidentsOpen         = "incidents_open"
	IncidentReportHours   = "incident_report_hours"
	AssessmentsCurrent    = "assessments_current"
)

// system is the indicator system, in its published order.
var system = []Indicator{
	{Code: ResourcesPublished, NameZh: "已发布数据资源", NameEn: "Published resources", Unit: UnitCount, Direction: 1, Kind: Stock,
		HowZh: "当日结束前已发布（发布时间早于当日结束）且未撤销的数据资源数",
		How:   "resources published by the day's end (published_at before it) and not retired since"},
	{Code: CatalogCompleteness, NameZh: "目录完整度", NameEn: "Catalog completeness", Unit: UnitPercent, Direction: 1, Kind: Stock,
		HowZh: "已发布数据资源中八项推荐目录字段（描述、英文名称、关键词、格式、数据项、来源系统、联系人、联系电话或邮箱）已填写的比例；字段取当前值",
		How:   "share of the eight recommended catalog fields filled (description, English title, keywords, formats, items, source system, contact name, contact phone or e-mail) over the published resources; fields as they are now"},
	{Code: DataCoverage, NameZh: "数据汇聚率", NameEn: "Resources with data", Unit: UnitPercent, Direction: 1, Kind: Stock,
		HowZh: "已发布数据资源中，当日结束前至少有一个数据版本的比例",
		How:   "published resources with at least one datastore version created by the day's end, of all published resources"},
	{Code: OpenResources, NameZh: "开放数据资源", NameEn: "Open resources", Unit: UnitCount, Direction: 1, Kind: Stock,
		HowZh: "开放属性为无条件开放或有条件开放的已发布数据资源数",
		How:   "published resources whose open type is unconditional or conditional"},
	{Code: OpenListFulfilment, NameZh: "开放清单完成率", NameEn: "Open list fulfilment", Unit: UnitPercent, Direction: 1, Kind: Stock,
		HowZh: "当年已发布的年度开放清单中，其数据资源在当日结束前已发布并开放的条目所占比例；没有已发布清单的机构不计",
		How:   "items of the day's year's published annual open lists whose resource is published and open by the day's end, of the items listed by then; absent for an institution without a published list"},
	{Code: FreshnessRate, NameZh: "数据更新及时率", NameEn: "Data on time", Unit: UnitPercent, Direction: 1, Kind: Stock,
		HowZh: "有固定更新频率且有数据的已发布数据资源中，最新版本（截至当日结束）按其更新频率未逾期的比例（与数据汇聚的及时性规则相同）",
		How:   "published resources with a fixed update frequency and data whose newest version (by the day's end) is not past due under that frequency (the datastore's timeliness rule), of those resources"},
	{Code: QualityScore, NameZh: "数据质量得分", NameEn: "Data quality score", Unit: UnitScore, Direction: 1, Kind: Stock,
		HowZh: "有数据的资源按截至当日结束最新版本的质量报告计算：100 × 入库行数/读取行数 × (1 − 数据项平均空值率) × (1 − 主键重复行数/入库行数)，再取平均",
		How:   "mean over resources with data of 100 × rows loaded/rows read × (1 − mean null rate of the items) × (1 − duplicate-key rows/rows loaded), from the quality report of the newest version by the day's end"},
	{Code: APICalls, NameZh: "数据访问次数", NameEn: "Data access calls", Unit: UnitCount, Direction: 1, Kind: Flow,
		HowZh: "当日对本机构数据资源的访问决定次数（接口、CKAN、下载、SQL；允许与拒绝均计）",
		How:   "access decisions recorded on the day (API, CKAN, downloads, SQL; allowed and denied) on the institution's resources"},
	{Code: RowsServed, NameZh: "数据服务行数", NameEn: "Rows served", Unit: UnitRows, Direction: 1, Kind: Flow,
		HowZh: "当日从本机构数据资源提供的数据行数（接口分页、导出、CKAN 和 SQL 结果），以访问服务在访问日志提交后报告的数为准；实时计数，平台开始计数之前的日期为 0",
		How:   "rows served on the day from the institution's resources (API pages, exports, CKAN and SQL answers), as the access service reports them once its decision log has committed them; counted live, so a day before the platform counted them has 0"},
	{Code: ShareDecided, NameZh: "共享申请办结数", NameEn: "Share requests decided", Unit: UnitCount, Direction: 1, Kind: Flow,
		HowZh: "当日办结（通过或不予通过）的共享申请数，按提供方统计",
		How:   "share requests granted or rejected on the day, by the provider"},
	{Code: ShareGranted, NameZh: "共享申请通过数", NameEn: "Share requests granted", Unit: UnitCount, Direction: 1, Kind: Flow,
		HowZh: "当日通过的共享申请数，按提供方统计",
		How:   "share requests granted on the day, by the provider"},
	{Code: ShareDecisionHours, NameZh: "共享申请平均办理时长", NameEn: "Mean time to a share decision", Unit: UnitHours, Direction: -1, Kind: Flow,
		HowZh: "统计期内办结的共享申请从提交到办结的平均小时数",
		How:   "mean hours from filing to the decision of the share requests decided in the period"},
	{Code: OpenApplications, NameZh: "开放申请受理数", NameEn: "Open-data applications filed", Unit: UnitCount, Direction: 1, Kind: Flow,
		HowZh: "当日提交的有条件开放数据申请数，按提供方统计",
		How:   "applications for conditionally open data filed on the day, by the provider"},
	{Code: OpenApplicationsGrant, NameZh: "开放申请通过数", NameEn: "Open-data applications granted", Unit: UnitCount, Direction: 1, Kind: Flow,
		HowZh: "当日通过的有条件开放数据申请数，按提供方统计",
		How:   "applications for conditionally open data granted on the day, by the provider"},
	{Code: ZoneQueries, NameZh: "专区查询次数", NameEn: "Zone queries", Unit: UnitCount, Direction: 1, Kind: Flow,
		HowZh: "当日在本机构管理的公共数据专区提交的查询数",
		How:   "queries submitted on the day in the public data zones the institution stewards"},
	{Code: ExchangeContracts, NameZh: "数据交易合同数", NameEn: "Exchange contracts", Unit: UnitCount, Direction: 1, Kind: Flow,
		HowZh: "当日签订的数据交易合同数，按提供方统计",
		How:   "exchange contracts concluded on the day, by the provider"},
	{Code: ExchangeVolume, NameZh: "数据交易额", NameEn: "Exchange volume", Unit: UnitYuan, Direction: 1, Kind: Flow,
		HowZh: "当日签订的数据交易合同金额合计（元）",
		How:   "sum of the amounts of the exchange contracts concluded on the day, in yuan"},
	{Code: ExchangeParticipants, NameZh: "数据交易参与方", NameEn: "Exchange participants", Unit: UnitCount, Direction: 1, Kind: Stock, CityOnly: true,
		HowZh: "当日结束前获准入场的数据交易参与方（数商）数；仅全市",
		How:   "participants (数商) admitted to the exchange by the day's end; city-wide only"},
	{Code: Incidents, NameZh: "数据安全事件数", NameEn: "Security incidents", Unit: UnitCount, Direction: -1, Kind: Flow,
		HowZh: "当日发现的数据安全事件数",
		How:   "security incidents discovered on the day"},
	{Code: IncidentsOpen, NameZh: "未结安全事件", NameEn: "Open security incidents", Unit: UnitCount, Direction: -1, Kind: Stock,
		HowZh: "当日结束前已发现且尚未结案的安全事件数",
		How:   "incidents discovered by the day's end and not closed by then"},
	{Code: IncidentReportHours, NameZh: "事件平均报告时长", NameEn: "Mean time to report an incident", Unit: UnitHours, Direction: -1, Kind: Flow,
		HowZh: "统计期内已向主管部门报告的事件从发现到报告的平均小时数",
		How:   "mean hours from discovery to the report to the authority of the incidents reported in the period"},
	{Code: AssessmentsCurrent, NameZh: "有效风险评估数", NameEn: "Current risk assessments", Unit: UnitCount, Direction: 1, Kind: Stock,
		HowZh: "当日结束前已完成且在当日仍有效的风险评估数",
		How:   "risk assessments completed by the day's end and still valid at it"},
}

// System lists the indicator system in its published order: each
// indicator's code, names, unit, direction, kind and how it is computed.
func System() []Indicator {
	out := make([]Indicator, len(system))
	copy(out, system)
	return out
}

// indicator returns the indicator of code.
func indicator(code string) (Indicator, bool) {
	for _, in := range system {
		if in.Code == code {
			return in, true
		}
	}
	return Indicator{}, false
}

// systemOrder maps each code to its place in the system.
func systemOrder() map[string]int {
	order := make(map[string]int, len(system))
	for i, in := range system {
		order[in.Code] = i
	}
	return order
}
