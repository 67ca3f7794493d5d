package demo

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// tableMakers set the columns of a resource's row that depend on each
// other, by the resource's title. Columns a maker leaves empty get values
// from their names (values.go).
var tableMakers = map[string]func(*rowGen){
	"空气质量小时监测数据":   airQualityRow,
	"功能区噪声自动监测数据":  noiseRow,
	"医疗机构名录":       medicalInstitutionRow,
	"二级以上医院门诊量":    outpatientRow,
	"医院床位使用情况":     bedUsageRow,
	"中小学校名录":       schoolRow,
	"幼儿园名录":        kindergartenRow,
	"养老机构名录":       elderlyCareRow,
	"道路交通事故统计":     trafficAccidentRow,
	"人口抽样调查汇总数据":   populationRow,
	"居民消费价格指数":     cpiRow,
	"国民经济主要指标":     economyRow,
	"规模以上工业增加值":    industryRow,
	"社会保险参保单位数":    insuranceRow,
	"机动车保有量统计":     vehicleRow,
	"中小学生体质健康监测统计": fitnessRow,
	"公交站点实时到站信息":   busArrivalRow,
	"星级饭店名录":       hotelRow,
	"A级旅游景区名录":     scenicRow,
	"最低工资标准":       minimumWageRow,
	"养老服务补贴发放统计":   subsidyRow,
	"职业技能培训补贴发放统计": trainingRow,
	"国有建设用地供应":     landSupplyRow,
	"物业服务企业名录":     propertyServiceRow,
	"机动车驾驶人考场":     testSiteRow,
	"商品房预售许可":      presaleRow,
	"特种设备使用登记信息":   equipmentRow,
	"企业年度报告非公示信息":  annualReportRow,
	"校外培训机构白名单":    trainingInstitutionRow,
	"重点排污单位名录":     polluterRow,
	"标准地名地址信息":     addressRow,
	"食品经营许可证信息":    foodLicenceRow,
	"市场主体登记信息":     registrationRow,
	"公交出行热力指数":     heatIndexRow, // the authorised operator's product (exchange.go)
}

// station is a fixed monitoring site.
type station struct {
	code, name string
	place      place
	lon, lat   float64
}

// airStations are the city's automatic air quality monitoring stations:
// one or two per district, each at a fixed point.
var airStations = func() []station {
	sites := []string{"万寿宫", "鼓楼", "官园", "东湖农展馆", "望京", "南苑", "西山古城", "文澜万柳", "运河北苑", "空港新城", "北岭定陵", "青原黄村"}
	in := []int{0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9}
	out := make([]station, len(sites))
	for i, s := range sites {
		p := places[in[i]]
		out[i] = station{code: fmt.Sprintf("%dA", 1001+i), name: s, place: p,
			lon: p.lon + float64(i%3-1)*0.012, lat: p.lat + float64(i%2)*0.01}
	}
	return out
}()

// Breakpoints of the individual air quality index (HJ 633-2012): the
// concentrations at IAQI 0, 50, 100, 150, 200, 300, 400 and 500. PM2.5 and
// PM10 use their 24-hour breakpoints, as hourly city reports do.
var (
	iaqiSteps = []float64{0, 50, 100, 150, 200, 300, 400, 500}
	aqiLimits = map[string][]float64{
		"PM2.5": {0, 35, 75, 115, 150, 250, 350, 500},
		"PM10":  {0, 50, 150, 250, 350, 420, 500, 600},
		"O3":    {0, 160, 200, 300, 400, 800, 1000, 1200},
		"NO2":   {0, 100, 200, 700, 1200, 2340, 3090, 3840},
		"CO":    {0, 5, 10, 35, 60, 90, 120, 150},
	}
)

// iaqi is the individual index of concentration c of pollutant p.
func iaqi(p string, c float64) int {
	bp := aqiLimits[p]
	for i := 1; i < len(bp); i++ {
		if c <= bp[i] {
			return int(math.Ceil(iaqiSteps[i-1] + (iaqiSteps[i]-iaqiSteps[i-1])*(c-bp[i-1])/(bp[i]-bp[i-1])))
		}
	}
	return 500
}

// aqiOf returns the AQI of the concentrations, its level (1–6) and the
// primary pollutant ("" when the air is excellent).
func aqiOf(conc map[string]float64) (aqi, level int, primary string) {
	for _, p := range []string{"PM2.5", "PM10", "O3", "NO2", "CO"} {
		if v := iaqi(p, conc[p]); v > aqi {
			aqi, primary = v, p
		}
	}
	for level = 1; level < 6 && aqi > []int{50, 100, 150, 200, 300}[level-1]; level++ {
	}
	if aqi <= 50 {
		primary = ""
	}
	return aqi, level, primary
}

// airQualityRow: station k%12 at hour k/12 before the end of the data.
func airQualityRow(g *rowGen) {
	s := airStations[g.k%len(airStations)]
	t := dataEnd.Add(-time.Duration(g.k/len(airStations)+1) * time.Hour)
	g.place = s.place
	// A winter day: fine particles build up overnight, ozone peaks after noon.
	hour := float64(t.Hour())
	base := 28 + 22*math.Sin(float64(t.YearDay())/3) // the weather of the day
	conc := map[string]float64{"PM2.5": math.Max(3, around(g.r, base+12*math.Cos(hour/24*2*math.Pi), 0.25))}
	conc["PM10"] = conc["PM2.5"] * around(g.r, 1.6, 0.2)
	conc["O3"] = math.Max(2, around(g.r, 25+45*math.Max(0, math.Sin((hour-8)/12*math.Pi)), 0.3))
	conc["NO2"] = around(g.r, 45-12*math.Sin((hour-8)/12*math.Pi), 0.3)
	conc["CO"] = math.Round(around(g.r, 0.3+conc["PM2.5"]/90, 0.2)*100) / 100
	for _, p := range []string{"PM2.5", "PM10", "O3", "NO2"} {
		conc[p] = math.Round(conc[p]*10) / 10
	}
	aqi, level, primary := aqiOf(conc)
	g.set("station_code", s.code)
	g.set("station_name", s.name)
	g.set("district", s.place.code)
	g.set("monitor_time", t.Format("2006-01-02 15:04:05"))
	g.set("longitude", s.lon)
	g.set("latitude", s.lat)
	g.set("aqi", aqi)
	g.set("aqi_level", fmt.Sprint(level))
	g.set("primary_pollutant", primary)
	if primary == "" {
		g.set("primary_pollutant", "—")
	}
	g.set("pm25", conc["PM2.5"])
	g.set("pm10", conc["PM10"])
	g.set("o3", conc["O3"])
	g.set("no2", conc["NO2"])
	g.set("co", conc["CO"])
}

// noiseLimits are the daytime limits of each acoustic zone (GB 3096-2008), dB(A).
var noiseLimits = map[string]float64{"0": 50, "1": 55, "2": 60, "3": 65, "4a": 70, "4b": 70}

// noiseRow: eight stations, one reading each per hour.
func noiseRow(g *rowGen) {
	zones := []string{"1", "2", "2", "3", "4a", "1", "4b", "0"}
	i := g.k % len(zones)
	s := airStations[i]
	g.place = s.place
	zone := zones[i]
	t := dataEnd.Add(-time.Duration(g.k/len(zones)+1) * time.Hour)
	leq := around(g.r, noiseLimits[zone]-4, 0.08)
	g.set("station_code", fmt.Sprintf("ZS%03d", 101+i))
	g.set("station_name", s.place.short()+s.name+"声环境监测点")
	g.set("functional_zone", zone)
	g.set("monitor_time", t.Format("2006-01-02 15:04:05"))
	g.set("leq", math.Round(leq*10)/10)
	g.set("lmax", math.Round((leq+8+g.r.Float64()*12)*10)/10)
	g.set("l10", math.Round((leq+2+g.r.Float64()*2)*10)/10)
	g.set("l90", math.Round((leq-6-g.r.Float64()*4)*10)/10)
	g.set("exceeded", leq > noiseLimits[zone])
}

// hospital is one hospital of the city, shared by the health statistics.
type hospital struct {
	code, name, grade string
	place             place
	beds              int
}

// hospitals are the city's hospitals of grade two and above.
var hospitals = func() []hospital {
	names := []struct {
		name, grade string
		district    int
		beds        int
	}{
		{"京华市第一人民医院", "31", 0, 1800}, {"京华大学附属医院", "31", 5, 2200}, {"京华市中医医院", "31", 1, 1100},
		{"京华市儿童医院", "31", 1, 970}, {"京华市肿瘤医院", "31", 5, 1350}, {"京华市第二人民医院", "32", 2, 900},
		{"东湖区人民医院", "21", 2, 620}, {"南苑区人民医院", "21", 3, 580}, {"西山区人民医院", "21", 4, 450},
		{"运河区人民医院", "21", 6, 700}, {"空港区医院", "22", 7, 380}, {"北岭区医院", "21", 8, 520},
		{"青原区人民医院", "21", 9, 650}, {"京华市妇产医院", "31", 0, 660}, {"京华市口腔医院", "32", 2, 180},
	}
	out := make([]hospital, len(names))
	for i, n := range names {
		out[i] = hospital{code: hospitalCode(400101+i, places[n.district], i),
			name: n.name, grade: n.grade, place: places[n.district], beds: n.beds}
	}
	return out
}()

// hospitalMonth returns the hospital and month of row k of a monthly statistic.
func hospitalMonth(g *rowGen) (hospital, time.Time) {
	h := hospitals[g.k%len(hospitals)]
	return h, monthBack(g.k / len(hospitals))
}

func medicalInstitutionRow(g *rowGen) {
	if g.k < len(hospitals) {
		h := hospitals[g.k]
		g.place = h.place
		g.set("institution_code", h.code)
		g.set("name", h.name)
		g.set("category", "A")
		g.set("grade", h.grade)
		g.set("ownership", "1")
		g.set("district", h.place.code)
		g.set("beds", int(float64(h.beds)*1.05))
		g.set("insurance_designated", true)
		return
	}
	street := strings.TrimSuffix(strings.TrimSuffix(pick(g.r, g.place.streets), "街道"), "镇")
	switch g.k % 4 {
	case 0, 1:
		g.set("name", fmt.Sprintf("%s%s社区卫生服务中心", g.place.name, street))
		g.set("category", "B")
		g.set("grade", "10")
		g.set("beds", between(g.r, 0, 40))
	case 2:
		g.set("name", fmt.Sprintf("京华%s%s门诊部", pick(g.r, tradeNames), pick(g.r, []string{"口腔", "中医", "综合"})))
		g.set("category", "D")
		g.set("grade", "90")
		g.set("ownership", "2")
		g.set("beds", 0)
	default:
		g.set("name", fmt.Sprintf("%s%s卫生院", g.place.name, street))
		g.set("category", "C")
		g.set("grade", "10")
		g.set("beds", between(g.r, 20, 80))
	}
}

func outpatientRow(g *rowGen) {
	h, m := hospitalMonth(g)
	visits := h.beds * between(g.r, 90, 130) // outpatients a month scale with the beds
	g.set("stat_month", m.Format("2006-01"))
	g.set("hospital_code", h.code)
	g.set("hospital_name", h.name)
	g.set("grade", h.grade)
	g.set("outpatient_visits", visits)
	g.set("emergency_visits", visits*between(g.r, 6, 11)/100)
	g.set("online_visits", visits*between(g.r, 1, 6)/100)
	g.set("yoy_change", math.Round((g.r.Float64()*16-4)*100)/100)
}

func bedUsageRow(g *rowGen) {
	h := hospitals[g.k%len(hospitals)]
	day := dataEnd.AddDate(0, 0, -g.k/len(hospitals))
	open := h.beds
	occupied := open * between(g.r, 72, 98) / 100
	g.set("stat_date", day.Format("2006-01-02"))
	g.set("hospital_code", h.code)
	g.set("hospital_name", h.name)
	g.set("approved_beds", int(float64(open)*1.05))
	g.set("open_beds", open)
	g.set("occupied_beds", occupied)
	g.set("occupancy_rate", math.Round(float64(occupied)/float64(open)*10000)/100)
	g.set("avg_stay_days", math.Round(around(g.r, 7.5, 0.3)*10)/10)
}

func schoolRow(g *rowGen) {
	p := g.place
	types := []struct{ code, suffix string }{{"211", "小学"}, {"211", "实验小学"}, {"311", "中学"}, {"312", "学校"}, {"342", "中学"}}
	t := types[g.k%len(types)]
	if strings.Contains(fmt.Sprint(g.items[g.col["school_type"]].CodeList), t.code) {
		g.set("school_type", t.code)
	}
	classes := between(g.r, 12, 48)
	g.set("school_name", fmt.Sprintf("京华市%s第%s%s", p.name, chineseNumber(1+g.k/len(types)%40), t.suffix))
	g.set("class_count", classes)
	g.set("student_count", classes*between(g.r, 32, 44))
	g.set("boarding", g.r.IntN(6) == 0)
}

func kindergartenRow(g *rowGen) {
	classes := between(g.r, 4, 15)
	g.set("class_count", classes)
	g.set("enrolled", classes*between(g.r, 22, 30))
}

func elderlyCareRow(g *rowGen) {
	beds := between(g.r, 40, 600)
	g.set("beds", beds)
	g.set("nursing_beds", beds*between(g.r, 30, 80)/100)
}

// trafficAccidentRow: each month, in each district, three main roads.
func trafficAccidentRow(g *rowGen) {
	p := places[g.k%len(places)]
	g.place = p
	m := monthBack(g.k / (len(places) * 3))
	accidents := between(g.r, 2, 28)
	deaths := 0
	for range accidents {
		if g.r.IntN(12) == 0 {
			deaths++
		}
	}
	g.set("stat_month", m.Format("2006-01"))
	g.set("district", p.code)
	g.set("road_name", p.roads[g.k/len(places)%3])
	g.set("accidents", accidents)
	g.set("deaths", deaths)
	g.set("injuries", accidents*between(g.r, 60, 130)/100)
	g.set("property_loss", math.Round(float64(accidents)*around(g.r, 1.8, 0.5)*100)/100)
}

// Residents of each district, in thousands, and the share of each age group.
var (
	districtPopulation = []int{700, 1100, 3450, 2010, 560, 3130, 1840, 1320, 2260, 1990}
	ageShares          = map[string]float64{"1": 0.12, "2": 0.66, "3": 0.22}
)

func populationRow(g *rowGen) {
	year := g.getInt("survey_year")
	i := indexOfPlace(g.get("district"))
	men := 0.51
	if g.get("age_group") == "3" {
		men = 0.46 // more women than men among the old
	}
	share := ageShares[g.get("age_group")] * map[string]float64{"1": men, "2": 1 - men}[g.get("gender")]
	pop := float64(districtPopulation[i]*1000) * (1 + float64(year-2025)*0.004) * share
	g.set("population", int(pop))
	g.set("share", math.Round(share*10000)/100)
	g.set("sample_size", int(pop/100))
}

func indexOfPlace(code string) int {
	for i, p := range places {
		if p.code == code {
			return i
		}
	}
	return 0
}

func cpiRow(g *rowGen) {
	yoy := around(g.r, 100.6, 0.012)
	if g.get("category") == "00" {
		yoy = around(g.r, 100.4, 0.004)
	}
	g.set("mom_index", math.Round(around(g.r, 100.1, 0.004)*100)/100)
	g.set("yoy_index", math.Round(yoy*100)/100)
	g.set("ytd_index", math.Round(around(g.r, yoy, 0.003)*100)/100)
}

// indicators are the main economic indicators the statistics bureau releases monthly.
var indicators = []struct {
	code, name, unit string
	monthly          float64 // a month's value; 0 for a rate
}{
	{"A01", "地区生产总值", "亿元", 4100}, {"A02", "规模以上工业增加值", "亿元", 420}, {"A03", "社会消费品零售总额", "亿元", 1180},
	{"A04", "一般公共预算收入", "亿元", 560}, {"A05", "城镇调查失业率", "%", 0}, {"A06", "居民消费价格指数（上年同月=100）", "%", 0},
	{"A07", "进出口总额", "亿元", 3000}, {"A08", "商品住宅销售面积", "万平方米", 95},
}

func economyRow(g *rowGen) {
	ind := indicators[g.k%len(indicators)]
	m := monthBack(g.k / len(indicators))
	g.set("period", m.Format("2006-01"))
	g.set("indicator_code", ind.code)
	g.set("indicator_name", ind.name)
	g.set("unit", ind.unit)
	g.set("released_on", m.AddDate(0, 1, 18).Format("2006-01-02"))
	switch ind.code {
	case "A05":
		g.set("value", math.Round(around(g.r, 4.3, 0.05)*100)/100)
		g.set("cumulative", "")
		g.set("yoy_growth", "")
		return
	case "A06":
		g.set("value", math.Round(around(g.r, 100.5, 0.005)*100)/100)
		g.set("cumulative", "")
		g.set("yoy_growth", "")
		return
	}
	v := around(g.r, ind.monthly, 0.08)
	g.set("value", math.Round(v*100)/100)
	g.set("cumulative", math.Round(v*float64(m.Month())*around(g.r, 1, 0.02)*100)/100)
	g.set("yoy_growth", math.Round(around(g.r, 5.2, 0.4)*100)/100)
}

func industryRow(g *rowGen) {
	in := industries[g.k%len(industries)]
	m := monthBack(g.k / len(industries))
	g.set("period", m.Format("2006-01"))
	g.set("industry_code", in.code[1:]) // the division, two digits
	g.set("industry_name", in.name)
	g.set("yoy_growth", math.Round((g.r.Float64()*18-4)*100)/100)
	g.set("ytd_growth", math.Round((g.r.Float64()*14-2)*100)/100)
	g.set("enterprises", between(g.r, 30, 420))
}

func insuranceRow(g *rowGen) {
	employers := between(g.r, 8000, 60000)
	g.set("employer_count", employers)
	g.set("insured_people", employers*between(g.r, 9, 22))
	g.set("new_employers", employers*between(g.r, 5, 20)/1000)
}

func vehicleRow(g *rowGen) {
	base := map[string]int{"K1": 2500, "K2": 1800, "K3": 280000, "H1": 3000, "H2": 2500, "H3": 12000}[g.get("vehicle_type")]
	if base == 0 {
		base = 4000
	}
	share := map[string]float64{"A": 0.72, "B": 0.05, "C": 0.16, "O": 0.06, "E": 0.01}[g.get("energy_type")]
	vehicles := int(float64(base) * share * around(g.r, 1, 0.3))
	g.set("vehicles", vehicles)
	g.set("new_registrations", vehicles*between(g.r, 3, 15)/1000)
}

func fitnessRow(g *rowGen) {
	pass := 80 + g.r.Float64()*17
	g.set("tested_count", between(g.r, 1800, 16000))
	g.set("pass_rate", math.Round(pass*100)/100)
	g.set("excellent_rate", math.Round(pass*(0.18+g.r.Float64()*0.15)*100)/100)
	myopia := map[string]float64{"1": 30, "2": 52, "3": 71, "4": 81}[g.get("stage")]
	g.set("myopia_rate", math.Round(around(g.r, myopia, 0.1)*100)/100)
	g.set("obesity_rate", math.Round(around(g.r, 14, 0.3)*100)/100)
}

// busArrivalRow: the next buses at the city's stops, a few seconds old.
func busArrivalRow(g *rowGen) {
	stop := g.k / 4
	p := places[stop%len(places)]
	g.place = p
	line := 1 + (stop*7+g.k%4*3)%30
	away := 1 + g.r.IntN(9)
	distance := away*between(g.r, 420, 760) + g.r.IntN(200)
	lon, lat := p.point(g.r)
	g.set("stop_id", fmt.Sprintf("%s%04d", p.code[2:], 100+stop))
	g.set("stop_name", p.roads[stop%len(p.roads)]+[]string{"口", "东口", "西口", "北站"}[stop%4])
	g.set("line_id", fmt.Sprint(line))
	g.set("line_name", fmt.Sprintf("%d路", line))
	g.set("direction", fmt.Sprint(g.k%2))
	g.set("vehicle_id", fmt.Sprintf("%d-%04d", line%9+1, 1000+g.r.IntN(9000)))
	g.set("stops_away", away)
	g.set("distance_m", distance)
	g.set("eta_seconds", distance*10/65) // 23 km/h with stops
	g.set("reported_at", dataEnd.Add(-time.Duration(g.k)*7*time.Second).Format("2006-01-02 15:04:05"))
	g.set("longitude", lon)
	g.set("latitude", lat)
}

func hotelRow(g *rowGen) {
	star := g.get("star")
	rooms := map[string][2]int{"5": {280, 620}, "4": {160, 380}, "3": {80, 220}, "2": {40, 120}, "1": {20, 60}}[star]
	if rooms[1] == 0 {
		rooms = [2]int{60, 200}
	}
	g.set("rooms", between(g.r, rooms[0], rooms[1]))
}

func scenicRow(g *rowGen) {
	g.set("name", scenicName(g.k))
	level := []string{"5A", "4A", "4A", "3A", "3A", "2A"}[g.k%6]
	g.set("level", level)
	g.set("max_daily_capacity", map[string]int{"5A": 60000, "4A": 25000, "3A": 8000, "2A": 3000}[level]*between(g.r, 60, 140)/100)
	g.set("ticket_price", pick(g.r, []string{"免费", "旺季60元，淡季40元", "成人30元，学生半价", "免费（需预约）", "80元"}))
}

func minimumWageRow(g *rowGen) {
	year := g.getInt("adjust_year")
	monthly := 2420 - (2025-year)*80
	g.set("monthly_min_wage", float64(monthly))
	g.set("hourly_min_wage", math.Round(float64(monthly)/21.75/8*1.15*100)/100) // part-time rate includes social insurance
	g.set("document_no", fmt.Sprintf("京华人社发〔%d〕%d号", year, 10+year%17))
	g.set("scope", "本市行政区域内的用人单位和与之形成劳动关系的劳动者")
}

func subsidyRow(g *rowGen) {
	per := map[string]int{"1": 600, "2": 400, "3": 100}[g.get("subsidy_type")]
	recipients := between(g.r, 800, 9000)
	g.set("recipients", recipients)
	g.set("amount", float64(recipients*per))
	g.set("new_recipients", recipients*between(g.r, 1, 4)/100)
}

func trainingRow(g *rowGen) {
	trainees := between(g.r, 40, 900)
	certified := trainees * between(g.r, 70, 96) / 100
	jobs := []string{"养老护理员", "电工", "焊工", "中式烹调师", "家政服务员", "育婴员", "网约配送员", "健康管理师"}
	g.place = places[g.k/len(jobs)%len(places)]
	g.set("stat_quarter", quarterBack(g.k/(len(jobs)*len(places))))
	g.set("district", g.place.code)
	g.set("occupation_name", jobs[g.k%len(jobs)])
	g.set("trainees", trainees)
	g.set("certified", certified)
	g.set("subsidy_amount", float64(certified*between(g.r, 1200, 3000)))
}

func landSupplyRow(g *rowGen) {
	area := float64(between(g.r, 3000, 120000))
	g.set("area_sqm", area)
	method := g.get("supply_method")
	if method == "1" {
		g.set("price", "")
		return
	}
	ratio := math.Round((1+g.r.Float64()*2.5)*100) / 100
	g.set("plot_ratio_max", ratio)
	g.set("price", math.Round(area*ratio*between2(g.r, 0.8, 3.5)*100)/100) // 万元: floor area × price per m²
}

func between2(r interface{ Float64() float64 }, lo, hi float64) float64 {
	return lo + r.Float64()*(hi-lo)
}

func propertyServiceRow(g *rowGen) {
	projects := between(g.r, 2, 60)
	g.set("projects_managed", projects)
	g.set("managed_area", float64(projects*between(g.r, 30000, 150000)))
	g.set("credit_score", math.Round(around(g.r, 88, 0.08)*10)/10)
}

func testSiteRow(g *rowGen) {
	g.set("subjects", pick(g.r, []string{"科目一", "科目二、科目三", "科目一、科目二、科目三", "科目二"}))
	g.set("vehicle_types", pick(g.r, []string{"C1、C2", "A1、A2、B1、B2", "C1、C2、D、E", "C1"}))
	g.set("daily_capacity", between(g.r, 8, 60)*10)
}

func presaleRow(g *rowGen) {
	units := between(g.r, 80, 900)
	g.set("units", units)
	g.set("presale_area", float64(units*between(g.r, 75, 140)))
	g.set("buildings", fmt.Sprintf("%d号楼至%d号楼", 1, 1+g.r.IntN(12)))
}

func equipmentRow(g *rowGen) {
	g.set("user_name", companyName(g.r, g.place, "物业管理"))
}

func annualReportRow(g *rowGen) {
	assets := float64(between(g.r, 50, 90000)) * 10
	g.set("total_assets", assets)
	g.set("total_liabilities", math.Round(assets*between2(g.r, 0.2, 0.8)*100)/100)
	revenue := assets * between2(g.r, 0.3, 1.5)
	g.set("revenue", math.Round(revenue*100)/100)
	g.set("tax_paid", math.Round(revenue*between2(g.r, 0.01, 0.06)*100)/100)
}

func trainingInstitutionRow(g *rowGen) {
	g.set("name", "京华"+pick(g.r, tradeNames)+pick(g.r, []string{"教育科技有限公司", "艺术培训学校", "体育培训中心", "科技创新培训学校"}))
}

func polluterRow(g *rowGen) {
	ind := industries[g.r.IntN(len(industries))]
	g.set("industry_name", ind.name)
	g.set("entity_name", companyName(g.r, g.place, strings.TrimSuffix(strings.TrimSuffix(ind.name, "业"), "制造")))
}

func addressRow(g *rowGen) {
	road := pick(g.r, g.place.roads)
	door := fmt.Sprintf("%d号", 1+g.r.IntN(200))
	g.set("street", pick(g.r, g.place.streets))
	g.set("road_name", road)
	g.set("door_no", door)
	g.set("full_address", "京华市"+g.place.name+road+door)
	g.set("building_name", pick(g.r, []string{"", "", pick(g.r, tradeNames) + "大厦", pick(g.r, tradeNames) + "家园" + fmt.Sprint(1+g.r.IntN(12)) + "号楼"}))
}

func foodLicenceRow(g *rowGen) {
	g.set("licence_no", fmt.Sprintf("JY1%s%08d", g.place.code[:6], 10000000+g.k*7919%90000000))
	g.set("business_name", companyName(g.r, g.place, "餐饮管理"))
}

func registrationRow(g *rowGen) {
	g.set("registration_authority", authority(g.place, "市场监督管理局"))
	g.set("registered_capital", float64(between(g.r, 10, 5000)*10))
}
