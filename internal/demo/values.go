package demo

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"dataport/internal/catalog"
)

// The rows of the demo's generated resources. A table is made row by row:
// first the key columns are enumerated so keys never repeat (a statistic
// gets one row per month, district and category), then the resource's own
// maker (tables.go) sets the columns that depend on each other (an AQI
// from its pollutants, occupied beds below open beds), and every column
// still empty gets a value that fits its name: an address in the row's
// district, a company name, a plausible count. Everything is drawn from a
// generator seeded with the resource's title, so the demo is the same on
// every machine.

// dataEnd is the last day the demo's history reaches.
var dataEnd = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

// monthBack returns the first day of the j-th month before the last one of
// the data (0 is the last full month).
func monthBack(j int) time.Time {
	return time.Date(dataEnd.Year(), dataEnd.Month()-time.Month(1+j), 1, 0, 0, 0, 0, time.UTC)
}

// rowGen makes the rows of one resource.
type rowGen struct {
	r     *rand.Rand
	title string
	items []catalog.Item
	col   map[string]int // item name → column
	row   []string
	k     int   // row number, from 0
	place place // the row's district
}

// generatedRows returns n rows for the resource (fewer when its keys allow
// fewer), without a header.
func generatedRows(title string, items []catalog.Item, n int) [][]string {
	h := fnv.New64a()
	h.Write([]byte(title))
	g := &rowGen{r: rand.New(rand.NewPCG(20261130, h.Sum64())), title: title, items: items, col: map[string]int{}}
	for i, it := range items {
		g.col[it.Name] = i
	}
	dims, free := g.keyDims()
	total := 1 // key combinations; rows are spread evenly over them
	for _, d := range dims {
		total *= d.size
	}
	if free < 0 {
		n = min(n, total)
	}
	maker := tableMakers[title]
	out := make([][]string, 0, n)
	for g.k = 0; g.k < n; g.k++ {
		g.row = make([]string, len(items))
		g.place = pick(g.r, places)
		g.setKeys(dims, free, g.k*total/n)
		if maker != nil {
			maker(g)
		}
		for i, it := range items {
			if g.row[i] == "" && (it.Required || it.Key || g.r.IntN(10) > 0) {
				g.row[i] = g.value(it)
			}
			if it.Type == catalog.TypeText && it.Length > 0 && utf8.RuneCountInString(g.row[i]) > it.Length {
				g.row[i] = string([]rune(g.row[i])[:it.Length])
			}
		}
		out = append(out, g.row)
	}
	return out
}

// has reports whether the resource has an item called name.
func (g *rowGen) has(name string) bool { _, ok := g.col[name]; return ok }

// get returns the row's value of the item called name ("" if none yet).
func (g *rowGen) get(name string) string {
	if i, ok := g.col[name]; ok {
		return g.row[i]
	}
	return ""
}

// set sets the row's value of the item called name, if the resource has it.
func (g *rowGen) set(name string, v any) {
	i, ok := g.col[name]
	if !ok {
		return
	}
	switch v := v.(type) {
	case string:
		g.row[i] = v
	case float64:
		prec := g.items[i].Precision
		if prec == 0 {
			prec = 2
		}
		g.row[i] = strconv.FormatFloat(v, 'f', prec, 64)
	case bool:
		g.row[i] = map[bool]string{true: "是", false: "否"}[v]
	default:
		g.row[i] = fmt.Sprint(v)
	}
}

// getInt returns the row's integer value of name (0 if none).
func (g *rowGen) getInt(name string) int { n, _ := strconv.Atoi(g.get(name)); return n }

// keyDim is one enumerated key column.
type keyDim struct {
	item   int
	size   int
	values func(i int) string
}

// keyDims returns the enumerable key columns, and the column of a key that
// is unique on its own (an identifier; -1 if none).
func (g *rowGen) keyDims() ([]keyDim, int) {
	var dims []keyDim
	free := -1
	for i, it := range g.items {
		if !it.Key {
			continue
		}
		switch d, ok := periodDim(it); {
		case ok:
			d.item = i
			dims = append(dims, d)
		case it.Type == catalog.TypeCode:
			list := statCodes(it)
			dims = append(dims, keyDim{item: i, size: len(list), values: func(j int) string { return list[j].Code }})
		case free < 0:
			free = i
		}
	}
	return dims, free
}

// statCodes returns the codes a statistic is broken down by: gender counts
// only men and women.
func statCodes(it catalog.Item) []catalog.Code {
	if it.Name != "gender" {
		return it.CodeList
	}
	var out []catalog.Code
	for _, c := range it.CodeList {
		if c.Code == "1" || c.Code == "2" {
			out = append(out, c)
		}
	}
	return out
}

// periodDim enumerates a time key, newest first.
func periodDim(it catalog.Item) (keyDim, bool) {
	name := it.Name
	switch {
	case it.Type == catalog.TypeText && it.Length == 7 && (strings.HasSuffix(name, "month") || name == "period"):
		return keyDim{size: 24, values: func(j int) string { return monthBack(j).Format("2006-01") }}, true
	case it.Type == catalog.TypeText && it.Length == 6 && strings.HasSuffix(name, "quarter"):
		return keyDim{size: 12, values: quarterBack}, true
	case name == "school_year":
		return keyDim{size: 5, values: func(j int) string { return fmt.Sprintf("%d-%d学年", 2025-j, 2026-j) }}, true
	case it.Type == catalog.TypeInteger && strings.HasSuffix(name, "year"):
		return keyDim{size: 5, values: func(j int) string { return strconv.Itoa(2025 - j) }}, true
	case it.Type == catalog.TypeDate:
		return keyDim{size: 90, values: func(j int) string { return dataEnd.AddDate(0, 0, -j).Format("2006-01-02") }}, true
	case it.Type == catalog.TypeDatetime:
		return keyDim{size: 240, values: func(j int) string {
			return dataEnd.Add(-time.Duration(j) * time.Hour).Format("2006-01-02 15:04:05")
		}}, true
	}
	return keyDim{}, false
}

// quarterBack returns the j-th quarter before the last full one: 2026Q3, 2026Q2, …
func quarterBack(j int) string {
	q := (int(dataEnd.Month())-1)/3 - 1 - j // quarters before the current one, from 0
	y := dataEnd.Year()
	for q < 0 {
		q += 4
		y--
	}
	return fmt.Sprintf("%dQ%d", y, q+1)
}

// setKeys fills the key columns of row k: the identifier gets a unique
// value; the enumerated keys take the given combination of their values
// (the time key varies slowest, so rows run newest first), or random values
// beside an identifier.
func (g *rowGen) setKeys(dims []keyDim, free, combination int) {
	if free >= 0 {
		for _, d := range dims {
			g.row[d.item] = d.values(g.r.IntN(d.size))
		}
		g.row[free] = g.identifier(g.items[free], g.k)
	} else {
		rest := combination
		for i := len(dims) - 1; i >= 0; i-- {
			g.row[dims[i].item] = dims[i].values(rest % dims[i].size)
			rest /= dims[i].size
		}
	}
	if d := g.get("district"); d != "" {
		g.place = placeOf(d)
	}
}

// identifier returns the k-th unique value of an identifying column.
func (g *rowGen) identifier(it catalog.Item, k int) string {
	year := 2019 + k%7
	switch it.Name {
	case "uscc", "employer_uscc":
		return companyUSCC(g.place, k+1+int(hashString(g.title)%1000)*1000)
	case "line_id":
		return strconv.Itoa(k + 1)
	case "school_code":
		return fmt.Sprintf("21%02d%06d", 10+k%90, 100000+k*37)
	case "kindergarten_code":
		return fmt.Sprintf("31%02d%06d", 10+k%90, 200000+k*41)
	case "institution_code", "hospital_code":
		return hospitalCode(400000+k, g.place, k)
	case "address_code":
		return fmt.Sprintf("%s%03d%06d", g.place.code, 1+g.r.IntN(20), 100000+k)
	}
	prefix := strings.ToUpper(initials(it.Name))
	return fmt.Sprintf("%s%d%s%04d", prefix, year, g.place.code[4:], k+1)
}

// initials returns the first letters of a snake_case name's words.
func initials(name string) string {
	var b strings.Builder
	for _, w := range strings.Split(name, "_") {
		if w != "" && w != "no" && w != "code" && w != "id" {
			b.WriteByte(w[0])
		}
	}
	if b.Len() == 0 {
		return "JH"
	}
	return b.String()
}

func hashString(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// value returns a value for a column the maker left empty.
func (g *rowGen) value(it catalog.Item) string {
	r := g.r
	switch it.Type {
	case catalog.TypeCode:
		if it.Name == "district" {
			return g.place.code
		}
		return pick(r, statCodes(it)).Code
	case catalog.TypeBoolean:
		return map[bool]string{true: "是", false: "否"}[r.IntN(3) > 0]
	case catalog.TypeDate:
		return g.date(it).Format("2006-01-02")
	case catalog.TypeDatetime:
		return dataEnd.Add(-time.Duration(r.IntN(24*180)) * time.Hour).Add(time.Duration(r.IntN(3600)) * time.Second).Format("2006-01-02 15:04:05")
	case catalog.TypeInteger:
		return strconv.Itoa(g.count(it))
	case catalog.TypeDecimal:
		prec := it.Precision
		if prec == 0 {
			prec = 2
		}
		return strconv.FormatFloat(g.measure(it), 'f', prec, 64)
	}
	if it.Key {
		return g.identifier(it, g.k)
	}
	return g.text(it)
}

// date returns a date for the column: an end of validity a few years after
// the row's earlier date, anything else within the last years.
func (g *rowGen) date(it catalog.Item) time.Time {
	r := g.r
	start := func() (time.Time, bool) {
		for _, name := range []string{"issued_on", "licensed_on", "registered_on", "listed_on", "certified_on", "enrolled_on", "received_at", "found_on", "rated_on"} {
			if t, err := time.Parse("2006-01-02", firstField(g.get(name))); err == nil {
				return t, true
			}
		}
		return time.Time{}, false
	}
	switch it.Name {
	case "valid_to", "licence_valid_to":
		if t, ok := start(); ok {
			return t.AddDate(5, 0, -1)
		}
		return dataEnd.AddDate(1+r.IntN(4), r.IntN(12), 0)
	case "removed_on", "closed_on", "paid_on":
		if t, ok := start(); ok {
			return t.AddDate(0, 0, 5+r.IntN(80))
		}
	case "next_inspection":
		if t, ok := start(); ok {
			return t.AddDate(1+r.IntN(2), 0, 0)
		}
	case "established_on":
		return dataEnd.AddDate(-r.IntN(25), -r.IntN(12), -r.IntN(28))
	case "birth_date":
		return dataEnd.AddDate(-18-r.IntN(60), -r.IntN(12), -r.IntN(28))
	}
	return dataEnd.AddDate(-r.IntN(5), -r.IntN(12), -r.IntN(28))
}

func firstField(s string) string { f, _, _ := strings.Cut(s, " "); return f }

// count returns a plausible integer for the column from its name.
func (g *rowGen) count(it catalog.Item) int {
	r, n := g.r, it.Name
	switch {
	case strings.HasSuffix(n, "year"):
		return 2021 + r.IntN(5)
	case strings.Contains(n, "employee") || n == "employees_paid":
		return between(r, 5, 800)
	case strings.Contains(n, "beds"):
		return between(r, 40, 600)
	case n == "rooms":
		return between(r, 60, 600)
	case strings.Contains(n, "capacity"):
		return between(r, 200, 3000) * 10
	case n == "stop_count":
		return between(r, 12, 40)
	case n == "household_size":
		return between(r, 1, 5)
	case strings.Contains(n, "count") || strings.HasSuffix(n, "s") || strings.Contains(n, "people"):
		return between(r, 10, 5000)
	}
	return between(r, 1, 500)
}

// measure returns a plausible decimal for the column from its name and label.
func (g *rowGen) measure(it catalog.Item) float64 {
	r, n, label := g.r, it.Name, it.LabelZh
	switch {
	case n == "longitude":
		lon, _ := g.place.point(r)
		return lon
	case n == "latitude":
		_, lat := g.place.point(r)
		return lat
	case strings.Contains(n, "growth") || strings.Contains(n, "yoy"):
		return math.Round((r.Float64()*14-3)*100) / 100
	case strings.Contains(n, "rate") || n == "share" || strings.Contains(label, "%") || strings.Contains(label, "％"):
		return 20 + r.Float64()*75
	case n == "length_km":
		return float64(max(g.getInt("stop_count"), 10)) * (0.55 + r.Float64()*0.35)
	case n == "building_area" && strings.Contains(g.title, "存量房"):
		return float64(between(r, 38, 180)) + float64(r.IntN(100))/100
	case strings.Contains(n, "area"):
		return float64(between(r, 800, 60000)) + r.Float64()
	case strings.Contains(label, "万元"):
		return float64(between(r, 5, 5000)) + r.Float64()
	case strings.Contains(label, "亿元"):
		return float64(between(r, 1, 900)) + r.Float64()
	case strings.Contains(n, "amount") || strings.Contains(n, "price") || strings.Contains(label, "元"):
		return float64(between(r, 500, 500000)) + float64(r.IntN(100))/100
	}
	return float64(between(r, 1, 1000)) + r.Float64()
}

// text returns a value for a text column from its name and label.
func (g *rowGen) text(it catalog.Item) string {
	r, p, n, label := g.r, g.place, it.Name, it.LabelZh
	switch {
	case n == "uscc" || n == "employer_uscc":
		return companyUSCC(p, between(r, 1, 9000000))
	case n == "appointment_url":
		return "https://hy.mzj.jinghua.example/yuyue/" + p.code
	case strings.Contains(n, "phone"):
		return landline(r)
	case n == "industry_code":
		return pick(r, industries).code[1:] + fmt.Sprint(between(r, 1, 9)) + "0"
	case n == "ethnicity":
		return pick(r, []string{"汉族", "汉族", "汉族", "汉族", "汉族", "回族", "满族", "蒙古族"})
	case n == "grade":
		return pick(r, []string{"一年级", "二年级", "三年级", "四年级", "五年级", "六年级", "初一", "初二", "初三"})
	case n == "class_name":
		return fmt.Sprintf("%d班", between(r, 1, 12))
	case n == "use_type":
		return pick(r, []string{"住宅", "商业", "办公", "商业、办公", "公共服务设施", "工业"})
	case n == "qualification":
		return pick(r, []string{"建筑工程施工总承包", "市政公用工程施工总承包", "机电工程施工总承包", "建筑装修装饰工程专业承包", "地基基础工程专业承包"})
	case strings.Contains(n, "id_number"):
		return idCardNumber(r, p)
	case strings.Contains(label, "姓名") || n == "head_name" || n == "owner_name" || n == "buyer_name" || n == "seller_name" || n == "complainant_name":
		return personName(r)
	case n == "line_name":
		return fmt.Sprintf("%d路", between(r, 1, 300))
	case strings.Contains(n, "stop"):
		return stopName(r, p)
	case n == "last_bus_time":
		return fmt.Sprintf("%02d:%02d", 22+r.IntN(2), r.IntN(6)*10)
	case n == "street":
		return pick(r, p.streets)
	case n == "road_name":
		return pick(r, p.roads)
	case strings.Contains(n, "address") || n == "location" || n == "property_location" || strings.Contains(label, "坐落") || strings.Contains(label, "地址"):
		return p.address(r)
	case strings.Contains(n, "authority"):
		return authority(p, authorityOf(g.title))
	case n == "office_hours" || n == "opening_hours":
		return pick(r, []string{"周一至周五 9:00-17:00", "周一至周五 8:30-12:00、13:30-17:30", "周二至周日 9:00-16:30（周一闭馆）", "全天开放"})
	case strings.Contains(n, "time") && it.Length <= 5:
		return fmt.Sprintf("%02d:%02d", 5+r.IntN(2), r.IntN(4)*10)
	case n == "services" || n == "business_scope":
		return servicesOf(g.title, r)
	case n == "industry_name":
		return pick(r, industries).name
	case n == "operator_name" || n == "developer" || n == "land_user" || n == "user_name" || n == "manufacturer" ||
		n == "supervising_bank" || strings.HasSuffix(n, "_name") || n == "name" || strings.Contains(label, "名称") || strings.Contains(label, "企业"):
		return g.named(it)
	case strings.HasSuffix(n, "_no") || strings.HasSuffix(n, "_code") || strings.HasSuffix(n, "_id"):
		return g.identifier(it, between(r, 1, 99999))
	}
	return pick(r, []string{"详见附件", "按规定办理", "正常", "已核实"})
}

// named returns the name of a body for the column (a company, a school, a
// station …), from the column's label.
func (g *rowGen) named(it catalog.Item) string {
	r, p, label := g.r, g.place, it.LabelZh
	switch {
	case it.Name == "supervising_bank":
		return pick(r, []string{"中国工商银行京华分行", "中国建设银行京华分行", "京华银行", "中国银行京华分行", "交通银行京华分行"})
	case strings.Contains(label, "幼儿园"):
		return fmt.Sprintf("京华市%s第%s幼儿园", p.name, chineseNumber(1+g.k%12))
	case strings.Contains(label, "驿站"):
		return strings.TrimSuffix(strings.TrimSuffix(pick(r, p.streets), "街道"), "镇") + pick(r, []string{"东里", "西里", "南里", "北里", "中街"}) + "社区养老服务驿站"
	case strings.Contains(label, "饭店"):
		return "京华" + pick(r, tradeNames) + pick(r, []string{"大酒店", "饭店", "宾馆", "国际酒店"})
	case strings.Contains(label, "旅行社"):
		return "京华" + pick(r, tradeNames) + "国际旅行社有限公司"
	case strings.Contains(label, "考场"):
		return fmt.Sprintf("京华市%s%s机动车驾驶人考场", p.name, pick(r, tradeNames))
	case strings.Contains(label, "网点"):
		return fmt.Sprintf("京华市公安局%s分局%s派出所", p.name, strings.TrimSuffix(strings.TrimSuffix(pick(r, p.streets), "街道"), "镇"))
	case strings.Contains(label, "登记机关"), strings.Contains(g.title, "婚姻登记"):
		return p.name + "民政局婚姻登记处"
	case strings.Contains(label, "景区"):
		return scenicName(g.k)
	case strings.Contains(label, "站点") || strings.Contains(label, "起点") || strings.Contains(label, "终点"):
		return stopName(r, p)
	case strings.Contains(label, "项目"):
		return pick(r, p.roads) + pick(r, []string{"北侧", "南侧", "东侧", "西侧"}) + pick(r, []string{"住宅项目", "商业办公项目", "保障性住房项目", "产业园项目"})
	case strings.Contains(label, "机构") && strings.Contains(g.title, "养老"):
		return p.name + pick(r, []string{"第一社会福利院", "颐养院", "康养中心", "老年公寓", "养老照料中心"})
	case strings.Contains(label, "培训") || strings.Contains(g.title, "培训"):
		return "京华" + pick(r, tradeNames) + pick(r, []string{"教育科技有限公司", "职业技能培训学校", "文化艺术培训中心"})
	case strings.Contains(label, "运营") && strings.Contains(g.title, "公交"):
		return fmt.Sprintf("京华公交集团第%s客运分公司", chineseNumber(1+r.IntN(8)))
	}
	return companyName(r, p, tradeOf(g.title))
}

// stopName returns a bus stop's name in the district.
func stopName(r *rand.Rand, p place) string {
	return pick(r, p.roads) + pick(r, []string{"口", "东口", "西口", "北站", "南站", "路口", "中街"})
}

// chineseNumber writes 1–99 in Chinese numerals.
func chineseNumber(n int) string {
	digits := []string{"", "一", "二", "三", "四", "五", "六", "七", "八", "九"}
	switch {
	case n < 10:
		return digits[n]
	case n < 20:
		return "十" + digits[n%10]
	default:
		return digits[n/10] + "十" + digits[n%10]
	}
}

// tradeOf is the line of business a resource's companies are in.
func tradeOf(title string) string {
	for _, t := range []struct{ word, trade string }{{"出租", "出租汽车"}, {"食品", "餐饮管理"}, {"物业", "物业管理"},
		{"建筑", "建设工程"}, {"排污", "化工"}, {"商品房", "房地产开发"}, {"人力资源", "人力资源"}, {"特种设备", "物业管理"}} {
		if strings.Contains(title, t.word) {
			return t.trade
		}
	}
	return ""
}

// authorityOf is the bureau that issues a resource's licences.
func authorityOf(title string) string {
	switch {
	case strings.Contains(title, "建筑"):
		return "住房和城乡建设委员会"
	case strings.Contains(title, "教师"):
		return "教育委员会"
	}
	return "市场监督管理局"
}

// servicesOf lists the services or business scope of a row.
func servicesOf(title string, r *rand.Rand) string {
	var list []string
	switch {
	case strings.Contains(title, "养老"):
		list = []string{"日间照料", "助餐服务", "助浴服务", "健康指导", "精神慰藉", "呼叫服务"}
	case strings.Contains(title, "户籍"):
		list = []string{"户口迁移", "居民身份证办理", "出生登记", "居住证办理", "户籍证明"}
	case strings.Contains(title, "人力资源"):
		list = []string{"职业介绍", "人才推荐", "人力资源外包", "劳务派遣", "职业指导", "招聘会组织"}
	case strings.Contains(title, "食品"):
		list = []string{"热食类食品制售", "冷食类食品制售", "预包装食品销售", "散装食品销售", "自制饮品制售"}
	default:
		list = []string{"技术开发", "技术咨询", "技术服务", "销售日用品", "企业管理咨询", "会议服务", "软件开发"}
	}
	a := r.IntN(len(list))
	b := (a + 1 + r.IntN(len(list)-1)) % len(list)
	return list[a] + "、" + list[b]
}

// scenicName names the k-th scenic area of the city.
func scenicName(k int) string {
	names := []string{"紫宸宫博物院", "鼓楼钟楼景区", "东湖国家湿地公园", "西山森林公园", "运河文化旅游区", "文澜园", "北岭长城景区",
		"青原野生动物园", "天坛公园", "南苑皇家猎苑遗址公园", "空港航空科技馆", "景山公园", "京华植物园", "月坛公园", "白云观",
		"八角游乐园", "回龙观温泉度假区", "宋庄艺术小镇", "南口古道", "亦庄科技文化园"}
	if k < len(names) {
		return names[k]
	}
	return fmt.Sprintf("%s（%s园区）", names[k%len(names)], chineseNumber(k/len(names)+1))
}

// industry is a GB/T 4754-2017 class used by the statistics.
type industry struct{ code, name string }

var industries = []industry{
	{"C13", "农副食品加工业"}, {"C14", "食品制造业"}, {"C15", "酒、饮料和精制茶制造业"}, {"C26", "化学原料和化学制品制造业"},
	{"C27", "医药制造业"}, {"C34", "通用设备制造业"}, {"C35", "专用设备制造业"}, {"C36", "汽车制造业"},
	{"C38", "电气机械和器材制造业"}, {"C39", "计算机、通信和其他电子设备制造业"}, {"C40", "仪器仪表制造业"},
	{"D44", "电力、热力生产和供应业"}, {"D45", "燃气生产和供应业"}, {"D46", "水的生产和供应业"},
}
