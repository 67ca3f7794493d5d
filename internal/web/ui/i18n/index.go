package i18n

// indexMessages are the strings of the composite index's pages
// (/stats/index, /stats/index/{period}). Code lists: index.normalisation,
// index.aggregation, index.direction, index.transform, index.reason.
var indexMessages = map[string]text{
	"index.list.title": {"数字经济综合评价指数", "Digital economy composite index"},
	"index.title":      {"%s 年数字经济综合评价指数", "Digital economy composite index %s"},
	"index.year":       {"%s 年", "%s"},
	"index.lead": {"综合评价指数把各公共机构在数据供给、开放、质量、利用、市场和安全方面的统计指标合成为一个得分并排名。方法、权重和所用数据随每次发布公开，任何人都可以据此复算。",
		"The composite index combines each public institution's indicators of data supply, openness, quality, use, market and security into one score and a ranking. The method, the weights and the data are published with each release so that anyone can recompute it."},
	"index.back_stats":   {"统计数据", "Statistics"},
	"index.back_list":    {"历年指数", "All years"},
	"index.list.empty":   {"还没有发布综合评价指数。", "No index has been published yet."},
	"index.list.ranked":  {"排名机构 %d 个", "%d institutions ranked"},
	"index.published_at": {"发布于", "Published"},
	"index.json":         {"指数数据（JSON）", "The index (JSON)"},
	"index.data_json":    {"所用指标数据（JSON）", "Its indicator values (JSON)"},
	"index.data_csv":     {"所用指标数据（CSV）", "Its indicator values (CSV)"},

	"index.publish.title":  {"发布年度指数", "Publish a year's index"},
	"index.publish.lead":   {"按平台发布的默认方法，用该年度的统计指标计算并发布指数。每个年度只能发布一次，发布后不能修改。", "Computes the year's index from its indicators with the shipped method and publishes it. A year is published once and never changes."},
	"index.publish.hint":   {"四位年份，例如 2025", "A year, e.g. 2025"},
	"index.publish.submit": {"计算并发布", "Compute and publish"},
	"field.period":         {"年度", "Year"},
	"done.index_published": {"指数已发布", "The index is published"},

	"index.ranking":                     {"排名", "Ranking"},
	"index.ranking_lead":                {"得分相同的机构并列，下一名次顺延。排名区间是敏感性分析中各机构名次的最好和最差值。", "Institutions with equal scores share a rank and the next rank is skipped. The range is each institution's best and worst rank under the sensitivity analysis."},
	"index.col.rank":                    {"名次", "Rank"},
	"index.col.org":                     {"机构", "Institution"},
	"index.col.score":                   {"得分", "Score"},
	"index.col.range":                   {"排名区间", "Rank range"},
	"index.col.coverage":                {"数据覆盖", "Coverage"},
	"index.unranked":                    {"未参与排名的机构", "Institutions not ranked"},
	"index.unranked_item":               {"%s：%s（数据覆盖 %s）", "%s: %s (coverage %s)"},
	"index.reason.coverage":             {"有数据的指标权重不足", "values for too little of the weight"},
	"index.reason.no_varying_indicator": {"其指标在各机构间没有差异", "only indicators that do not vary"},

	"index.ranges":      {"排名的稳健性", "How robust the ranks are"},
	"index.ranges_lead": {"横线是机构在随机扰动权重（以及换用其他标准化和合成方法）后名次的范围，圆点是发布的名次。横线越短，排名越稳健。", "Each bar spans the ranks an institution takes when the weights are perturbed at random (and under the other normalisation and aggregation); the dot is its published rank. The shorter the bar, the more robust the rank."},
	"index.chart.title": {"敏感性分析下的名次区间（左为第 1 名）", "Rank ranges under the sensitivity analysis (rank 1 at the left)"},

	"index.weights":         {"指标与权重", "Indicators and weights"},
	"index.col.indicator":   {"指标", "Indicator"},
	"index.col.weight":      {"权重", "Weight"},
	"index.col.direction":   {"方向", "Direction"},
	"index.col.transform":   {"变换", "Transform"},
	"index.excluded":        {"本期不参与", "left out this year"},
	"index.direction.1":     {"越大越好", "more is better"},
	"index.direction.-1":    {"越小越好", "less is better"},
	"index.transform.log1p": {"取对数 ln(1+x)", "logarithm ln(1+x)"},

	"index.method":                    {"计算方法", "Method"},
	"index.method.version":            {"方法版本", "Method version"},
	"index.method.normalisation":      {"标准化", "Normalisation"},
	"index.method.aggregation":        {"合成", "Aggregation"},
	"index.method.coverage":           {"参与排名的条件", "Who is ranked"},
	"index.method.coverage_value":     {"有数据的指标权重之和不低于 %s", "values for at least %s of the weight"},
	"index.method.sensitivity":        {"敏感性分析", "Sensitivity analysis"},
	"index.method.sensitivity_value":  {"%d 组随机权重，每个权重乘以 1±%s 内的均匀随机数，随机种子 %d（SplitMix64）", "%d random weight sets, each weight times a uniform draw within 1±%s, seed %d (SplitMix64)"},
	"index.method.alternatives":       {"替代方法", "Alternatives"},
	"index.method.alternatives_value": {"另以最小—最大值、Z 分数的加权算术平均和几何平均（下限 %v）各计算一次排名", "the ranks are also computed under min-max and z-score arithmetic and geometric (floor %v) aggregation"},
	"index.method.excluded":           {"本期无差异而未参与的指标", "Indicators left out (no variation)"},
	"index.method.runs":               {"排名区间涵盖的排名次数", "Rank sets the ranges cover"},
	"index.normalisation.minmax":      {"最小—最大值标准化：(x − 最小值) / (最大值 − 最小值)，得分 0–100", "Min-max: (x − min) / (max − min), scores 0–100"},
	"index.normalisation.zscore":      {"Z 分数：(x − 均值) / 标准差", "Z-score: (x − mean) / standard deviation"},
	"index.aggregation.arithmetic":    {"加权算术平均（缺失的指标不计，其余权重按比例放大）", "Weighted arithmetic mean (missing indicators left out, the other weights scaled up)"},
	"index.aggregation.geometric":     {"加权几何平均，标准化值先映射到 [%v, 1]", "Weighted geometric mean of the values mapped onto [%v, 1]"},
	"index.step.1":                    {"取各机构该年度的指标值；缺失值不填补。", "Take each institution's indicator values for the year; missing values are not imputed."},
	"index.step.2":                    {"有数据的指标权重不足规定比例的机构不参与排名。", "Institutions with values for too little of the weight are not ranked."},
	"index.step.3":                    {"“越小越好”的指标取负值；标注“取对数”的指标先取 ln(1+x)；在各机构间没有差异的指标不参与。", "Less-is-better indicators are negated; log indicators take ln(1+x) first; indicators that do not vary are left out."},
	"index.step.4":                    {"按所列方法标准化。", "Normalise as stated."},
	"index.step.5":                    {"对每个机构有数据的指标按权重合成，权重按其有数据的指标重新归一。", "Combine each institution's indicators with their weights, renormalised over the indicators it has."},
	"index.step.6":                    {"得分保留 6 位小数，从高到低排名，得分相同者并列。", "Round scores to 6 decimals and rank them, highest first, equal scores sharing a rank."},
	"index.step.7":                    {"用随机扰动的权重（及替代方法）重复第 5、6 步，记录每个机构的最好和最差名次。", "Repeat steps 5–6 with perturbed weights (and the alternatives) and keep each institution's best and worst rank."},
	"index.hashes":                    {"校验值（SHA-256）", "Checksums (SHA-256)"},
	"index.hash.method":               {"方法", "Method"},
	"index.hash.inputs":               {"输入数据", "Input values"},
	"index.hash.result":               {"结果", "Result"},

	"event.stats.index.published": {"发布综合评价指数", "Composite index published"},
}

// indexProblems are the problem codes of the index.
var indexProblems = map[string]text{
	"index_published": {"该年度的指数已经发布，不能再次发布", "the year's index is already published"},
}

// The index's tables join the others when the package loads; a key or
// code another table has already keeps its text.
func init() {
	for k, v := range indexMessages {
		if _, taken := messages[k]; !taken {
			messages[k] = v
		}
	}
	for code, t := range indexProblems {
		if _, taken := problems[code]; !taken {
			problems[code] = t
		}
	}
}
