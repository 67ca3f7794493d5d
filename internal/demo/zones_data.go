package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"dataport/internal/catalog"
)

// The person-level resources of the demo's public data zones: one row is
// one person (its key is a pseudonym), generated deterministically from a
// seeded math/rand/v2 source so that the past queries the demo seeds find
// the same cells on every first start.

// Sizes of the zones' resources.
const (
	zoneVisitRows = 24_000 // patients of the health zone
	zoneCardRows  = 5_000  // transit cards of the transport zone
)

// outpatientPatients is the health commission's resource in the health zone.
var outpatientPatients = catalog.Input{
	TitleZh: "门诊患者就诊费用（专区）", TitleEn: "Outpatients and their visit costs (zone)",
	DescriptionZh: "2026年1月至11月在本市二级及以上医院门诊就诊的患者抽样，每行一名患者（以假名化患者标识区分，不含姓名、身份证号等直接标识）：" +
		"年龄、性别、常住区、主要诊断所属ICD-10章节和期间门诊总费用。仅在医疗健康公共数据专区内供经授权的运营单位做汇总计算，" +
		"结果经最小单元格、优势规则和差分隐私保护后方可出域，原始记录不予共享和开放。",
	Subject: "05", Industry: "Q", Keywords: []string{"门诊", "就诊费用", "疾病谱", "公共数据专区", "授权运营"},
	Formats: []string{"API"}, UpdateFrequency: catalog.FreqMonthly,
	ShareType: shareNone, ShareBasis: "含敏感个人信息（医疗健康信息），原始记录不予共享；需要汇总数据的公共机构可通过医疗健康公共数据专区申请计算。",
	OpenType: openNone, OpenBasis: sensitiveOpenBasis,
	Classification: important, Level: 4, PersonalInfo: true, SourceSystem: "全民健康信息平台门诊结算数据",
	Items: []catalog.Item{
		key(desc(text("patient_key", "患者标识（假名）", 16), "由全民健康信息平台以密钥散列生成的假名化标识，专区外无法还原")),
		desc(integer("age", "年龄"), "首次就诊时的周岁年龄"),
		code("sex", "性别", codes("1", "男", "2", "女")),
		desc(code("district", "常住区", districtCodes()), "患者常住地所在区"),
		desc(code("diagnosis_group", "主要诊断分组", diagnosisGroups), "主要诊断所属ICD-10章节"),
		desc(decimal("cost", "门诊总费用（元）", 12, 2), "期间各次门诊医疗费用合计，含医保支付和个人支付"),
	},
}

// diagnosisGroups are the chapters of ICD-10 a principal diagnosis falls
// in (chapter XX, external causes, is never a principal diagnosis).
var diagnosisGroups = codes(
	"A00-B99", "某些传染病和寄生虫病",
	"C00-D48", "肿瘤",
	"D50-D89", "血液及造血器官疾病和某些涉及免疫机制的疾患",
	"E00-E90", "内分泌、营养和代谢疾病",
	"F00-F99", "精神和行为障碍",
	"G00-G99", "神经系统疾病",
	"H00-H59", "眼和附器疾病",
	"H60-H95", "耳和乳突疾病",
	"I00-I99", "循环系统疾病",
	"J00-J99", "呼吸系统疾病",
	"K00-K93", "消化系统疾病",
	"L00-L99", "皮肤和皮下组织疾病",
	"M00-M99", "肌肉骨骼系统和结缔组织疾病",
	"N00-N99", "泌尿生殖系统疾病",
	"O00-O99", "妊娠、分娩和产褥期",
	"P00-P96", "起源于围生期的某些情况",
	"Q00-Q99", "先天性畸形、变形和染色体异常",
	"R00-R99", "症状、体征和临床与实验室异常所见",
	"S00-T98", "损伤、中毒和外因的某些其他后果",
	"Z00-Z99", "影响健康状态和与保健机构接触的因素",
)

// chapter is one diagnosis group as the generator draws it: how often
// children (0–14), adults (15–64) and the elderly (65+) are seen for it,
// and the median cost of a patient's visits in yuan.
type chapter struct {
	code                   string
	child, adult, elderly  float64
	medianCost, costSpread float64 // log-normal: median and sigma
}

// chapters are drawn for every patient; pregnancy (women 18–45), the
// perinatal period and congenital anomalies are placed apart (rare cells).
var chapters = []chapter{
	{"A00-B99", 4, 2, 1, 520, 0.8},
	{"C00-D48", 0.3, 3, 6, 9200, 1.0},
	{"D50-D89", 1, 0.8, 1, 1500, 0.8},
	{"E00-E90", 1, 7, 12, 3100, 0.7},
	{"F00-F99", 1.5, 4, 2, 2600, 0.8},
	{"G00-G99", 1.5, 3, 4, 1800, 0.8},
	{"H00-H59", 6, 5, 7, 700, 0.8},
	{"H60-H95", 4, 2, 2, 480, 0.7},
	{"I00-I99", 0.2, 9, 22, 2900, 0.8},
	{"J00-J99", 40, 14, 10, 460, 0.7},
	{"K00-K93", 8, 12, 10, 920, 0.8},
	{"L00-L99", 6, 5, 3, 510, 0.7},
	{"M00-M99", 1, 10, 12, 1350, 0.8},
	{"N00-N99", 1.5, 7, 6, 1200, 0.8},
	{"R00-R99", 6, 5, 5, 620, 0.8},
	{"S00-T98", 6, 5, 3, 830, 0.9},
	{"Z00-Z99", 8, 6, 4, 310, 0.6},
}

// Costs of the groups placed apart.
var (
	pregnancy  = chapter{code: "O00-O99", medianCost: 2300, costSpread: 0.5}
	perinatal  = chapter{code: "P00-P96", medianCost: 1600, costSpread: 0.7}
	congenital = chapter{code: "Q00-Q99", medianCost: 2700, costSpread: 0.9}
)

// ageBands are outpatients' ages: lower bound, upper bound and share.
// Nobody is drawn past 94: the few older patients are placed apart.
var ageBands = []struct {
	lo, hi int
	share  float64
}{
	{0, 4, 6}, {5, 14, 6}, {15, 24, 6}, {25, 34, 12}, {35, 44, 12}, {45, 54, 14},
	{55, 64, 18}, {65, 74, 16}, {75, 84, 8}, {85, 94, 2},
}

// The rare cells the demo's past queries meet: patients with congenital
// anomalies per district (in the order of districts: one cell of 12, just
// over the minimum cell size, the others under it), newborns seen for
// perinatal conditions, and the three patients aged 95 or more, all in
// 紫宸区 (the differencing pair of the past queries isolates them).
var (
	congenitalByDistrict = []int{2, 4, 12, 6, 1, 9, 5, 3, 7, 4}
	perinatalByDistrict  = []int{3, 5, 17, 8, 2, 16, 6, 4, 8, 7}
	oldestPatients       = []int{96, 98, 101}
)

// populationWeights are the districts' residents, in the order of districts.
func populationWeights() []float64 {
	out := make([]float64, len(districtPopulation))
	for i, p := range districtPopulation {
		out[i] = float64(p)
	}
	return out
}

// weightedIndex draws an index with probability proportional to its weight.
func weightedIndex(r *rand.Rand, weights []float64) int {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	x := r.Float64() * total
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

// logNormal draws a log-normal value with the given median and sigma.
func logNormal(r *rand.Rand, median, sigma float64) float64 {
	return median * math.Exp(r.NormFloat64()*sigma)
}

// pseudonyms draws distinct 16-character keys (hexadecimal).
type pseudonyms struct {
	r    *rand.Rand
	seen map[uint64]bool
}

func (p *pseudonyms) next() string {
	for {
		v := p.r.Uint64()
		if !p.seen[v] {
			p.seen[v] = true
			return fmt.Sprintf("%016x", v)
		}
	}
}

// patientCost is a patient's cost for chapter c at age: older patients
// are seen more often, so they cost more; in yuan, rounded to the fen.
func patientCost(r *rand.Rand, c chapter, age int) string {
	v := logNormal(r, c.medianCost*(0.75+float64(age)/120), c.costSpread)
	return strconv.FormatFloat(math.Round(max(v, 15)*100)/100, 'f', 2, 64)
}

// OutpatientRows returns the health zone's patients (without a header): n
// drawn ones and the rare ones placed apart, as patient_key, age, sex,
// district, diagnosis_group, cost.
func OutpatientRows(n int) [][]string {
	r := rand.New(rand.NewPCG(20260116, 1))
	keys := pseudonyms{r: rand.New(rand.NewPCG(20260116, 2)), seen: map[uint64]bool{}}
	popWeights := populationWeights()
	bandWeights := make([]float64, len(ageBands))
	for i, b := range ageBands {
		bandWeights[i] = b.share
	}
	var weights [3][]float64 // of the chapters, for children, adults and the elderly
	for g := range weights {
		weights[g] = make([]float64, len(chapters))
	}
	for i, c := range chapters {
		weights[0][i], weights[1][i], weights[2][i] = c.child, c.adult, c.elderly
	}
	row := func(age int, sex, district string, c chapter) []string {
		return []string{keys.next(), strconv.Itoa(age), sex, district, c.code, patientCost(r, c, age)}
	}
	var rare int
	for i := range districts {
		rare += congenitalByDistrict[i] + perinatalByDistrict[i]
	}
	rare += len(oldestPatients)
	out := make([][]string, 0, n+rare)
	for range n - rare {
		d := districts[weightedIndex(r, popWeights)].code
		b := ageBands[weightedIndex(r, bandWeights)]
		age := between(r, b.lo, b.hi)
		sex := "1"
		if r.Float64() < 0.54 { // women see doctors more often
			sex = "2"
		}
		if sex == "2" && age >= 18 && age <= 45 && r.Float64() < 0.07 {
			out = append(out, row(age, sex, d, pregnancy))
			continue
		}
		group := 1
		if age < 15 {
			group = 0
		} else if age >= 65 {
			group = 2
		}
		out = append(out, row(age, sex, d, chapters[weightedIndex(r, weights[group])]))
	}
	for i, d := range districts {
		for range congenitalByDistrict[i] {
			out = append(out, row(between(r, 0, 40), pick(r, []string{"1", "2"}), d.code, congenital))
		}
		for range perinatalByDistrict[i] {
			out = append(out, row(0, pick(r, []string{"1", "2"}), d.code, perinatal))
		}
	}
	for i, age := range oldestPatients {
		out = append(out, row(age, []string{"2", "1", "2"}[i], districts[0].code, []chapter{chapters[8], chapters[3], chapters[12]}[i]))
	}
	return out
}

// transitCards is the transport commission's resource in the transport zone.
var transitCards = catalog.Input{
	TitleZh: "一卡通持卡人月度出行汇总（专区）", TitleEn: "Transit card holders' monthly trips (zone)",
	DescriptionZh: "2026年11月本市公共交通一卡通记名卡持卡人抽样，每行一张卡（以假名化卡标识区分）：持卡人年龄段、居住区、主要出行方式、" +
		"当月乘车次数和支付票款。仅在交通公共数据专区内供经授权的运营单位做汇总计算，原始记录不予共享和开放。",
	Subject: "04", Industry: "G", Keywords: []string{"一卡通", "公共交通", "出行", "公共数据专区"},
	Formats: []string{"API"}, UpdateFrequency: catalog.FreqMonthly,
	ShareType: shareNone, ShareBasis: "含个人出行信息，原始记录不予共享；需要汇总数据的公共机构可通过交通公共数据专区申请计算。",
	OpenType: openNone, OpenBasis: personalOpenBasis,
	Classification: important, Level: 3, PersonalInfo: true, SourceSystem: "公共交通一卡通清分结算系统",
	Items: []catalog.Item{
		key(desc(text("card_key", "卡标识（假名）", 16), "由清分结算系统以密钥散列生成的假名化标识")),
		code("age_band", "年龄段", codes("1", "18岁以下", "2", "18—34岁", "3", "35—59岁", "4", "60—64岁", "5", "65岁及以上")),
		desc(code("home_district", "居住区", districtCodes()), "持卡人登记的居住地所在区"),
		code("mode", "主要出行方式", codes("1", "公交", "2", "地铁", "3", "公交和地铁")),
		integer("trips", "当月乘车次数"),
		desc(decimal("fare", "当月支付票款（元）", 8, 2), "已扣除学生、老年人优惠"),
	},
}

// TransitCardRows returns the transport zone's cards (without a header):
// card_key, age_band, home_district, mode, trips, fare. Students ride at
// half fare, people of 65 and more free; the subway costs more per trip.
func TransitCardRows(n int) [][]string {
	r := rand.New(rand.NewPCG(20260116, 3))
	keys := pseudonyms{r: rand.New(rand.NewPCG(20260116, 4)), seen: map[uint64]bool{}}
	popWeights := populationWeights()
	bands := []float64{12, 34, 38, 6, 10}
	out := make([][]string, 0, n)
	for range n {
		d := districts[weightedIndex(r, popWeights)]
		band := weightedIndex(r, bands)
		mode := weightedIndex(r, []float64{30, 40, 30})
		if band >= 3 {
			mode = weightedIndex(r, []float64{60, 15, 25})
		}
		centre := d.code == "110101" || d.code == "110102"
		mean := []float64{34, 46, 40, 28, 22}[band]
		if centre {
			mean *= 1.15
		}
		trips := max(1, int(math.Round(logNormal(r, mean, 0.5))))
		perTrip := []float64{1, 4.6, 2.9}[mode] // a bus ride 1 yuan with the card, the subway 3–7
		discount := []float64{0.5, 1, 1, 1, 0}[band]
		fare := math.Round(float64(trips)*perTrip*around(r, 1, 0.15)*discount*100) / 100
		out = append(out, []string{keys.next(), strconv.Itoa(band + 1), d.code, strconv.Itoa(mode + 1), strconv.Itoa(trips),
			strconv.FormatFloat(fare, 'f', 2, 64)})
	}
	return out
}
