package i18n

// statsMessages are the strings of the statistics page (/stats,
// stats_page.go): the period, the indicators city-wide, the trends and the
// bars per institution, units, kinds and directions.
var statsMessages = map[string]text{
	"nav.stats":   {"统计数据", "Statistics"},
	"stats.title": {"统计数据", "Statistics"},
	"stats.lead": {"以下指标由平台根据自身记录每日计算（数据目录、数据汇聚、开放、共享、专区、交易和安全），按公共机构和全市分别统计。每天的快照都以其数值的 SHA-256 写入存证账本，任何人都可以下载核对。",
		"These indicators are computed every day from the platform's own records (catalog, data, opening, sharing, zones, exchange and security), per public institution and for the whole city. Each day's snapshot is sealed in the ledger with the SHA-256 of its values; anyone may download and check them."},
	"stats.none":          {"还没有统计快照：平台每天凌晨统计前一天的数据。", "No snapshot yet: the platform takes each day's snapshot once the day is over."},
	"stats.period":        {"统计期", "Period"},
	"stats.period_hint":   {"年（2026）、月（2026-11）或日（2026-11-30）", "A year (2026), a month (2026-11) or a day (2026-11-30)"},
	"stats.show":          {"查看", "Show"},
	"stats.years":         {"年度", "Years"},
	"stats.months":        {"月度", "Months"},
	"stats.days":          {"本统计期共有 %d 天的快照，最新快照日期为 %s。", "%d days of snapshots in this period; the newest snapshot is of %s."},
	"stats.download":      {"下载本期数据：", "Download this period's values:"},
	"stats.snapshots":     {"每日快照及其哈希", "Daily snapshots and their hashes"},
	"stats.city":          {"全市指标（%s）", "City-wide indicators (%s)"},
	"stats.col.indicator": {"指标", "Indicator"},
	"stats.col.value":     {"数值", "Value"},
	"stats.col.unit":      {"单位", "Unit"},
	"stats.col.kind":      {"类型", "Kind"},
	"stats.col.direction": {"方向", "Direction"},
	"stats.trends":        {"每日趋势（全市）", "Daily trends (city-wide)"},
	"stats.trend_summary": {"%s 至 %s 每日数值，最低 %s，最高 %s，最后一天 %s。", "Daily values from %s to %s: lowest %s, highest %s, last day %s."},
	"stats.trend_empty":   {"本统计期没有数值。", "No value in this period."},
	"stats.day":           {"日期", "Day"},
	"stats.by_org":        {"各公共机构", "By institution"},
	"stats.indicator":     {"指标", "Indicator"},
	"stats.bars_title":    {"%s（%s，各公共机构）", "%s (%s, by institution)"},
	"stats.bars_summary":  {"共 %d 个公共机构，按数值从高到低排列；图中显示前 15 个，表格列出全部。", "%d institutions, largest first; the chart shows the first 15, the table lists all."},
	"stats.institution":   {"公共机构", "Institution"},
	"stats.method":        {"指标说明", "How each indicator is computed"},
	"stats.method_lead": {"存量指标取统计期最后一天的数值，流量指标为统计期内各日之和（平均时长按事件数加权）。百分比或平均值没有分母时不给出数值。",
		"A stock takes its value on the period's last day; a flow is summed over the period's days (mean hours weighted by their events). A percentage or mean without a denominator has no value."},
	"stats.unit.count":     {"个", "count"},
	"stats.unit.%":         {"%", "%"},
	"stats.unit.hours":     {"小时", "hours"},
	"stats.unit.score":     {"分", "score"},
	"stats.unit.rows":      {"行", "rows"},
	"stats.unit.yuan":      {"元", "yuan"},
	"stats.kind.stock":     {"存量", "stock"},
	"stats.kind.flow":      {"流量", "flow"},
	"stats.direction.up":   {"越高越好", "higher is better"},
	"stats.direction.down": {"越低越好", "lower is better"},
	"stats.index_link":     {"数字经济综合评价指数", "The digital-economy composite index"},

	"event.stats.snapshot.taken": {"统计快照", "Statistics snapshot taken"},
}

// The statistics' strings join the others when the package loads; a key
// another table has already keeps its text.
func init() {
	for k, v := range statsMessages {
		if _, taken := messages[k]; !taken {
			messages[k] = v
		}
	}
}
