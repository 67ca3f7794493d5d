package corpus

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"

	"dataport/internal/classify"
	"dataport/internal/identity"
)

// spec is a kind of column: the type it holds, the headers it is exported
// under and a value generator that says which type a value validly is.
type spec struct {
	t        classify.Type
	zh, en   []string
	unlisted []string // headers the scanner does not know
	value    func(g *gen) (string, classify.Type)
}

var specs = []spec{
	{t: classify.ResidentID, zh: []string{"身份证号", "公民身份号码", "证件号码"}, en: []string{"id_card", "id_no"}, unlisted: []string{"持证人", "zjbh"}, value: (*gen).residentID},
	{t: classify.USCC, zh: []string{"统一社会信用代码", "信用代码"}, en: []string{"uscc", "credit_code"}, unlisted: []string{"主体代码"}, value: (*gen).uscc},
	{t: classify.Mobile, zh: []string{"手机号码", "联系电话", "手机"}, en: []string{"mobile", "phone"}, unlisted: []string{"联系方式1", "通知号码"}, value: (*gen).mobile},
	{t: classify.Landline, zh: []string{"办公电话", "固定电话", "联系电话"}, en: []string{"tel", "office_phone"}, unlisted: []string{"总机", "值班号码"}, value: (*gen).landline},
	{t: classify.BankCard, zh: []string{"银行卡号", "收款账号"}, en: []string{"card_no", "bank_card"}, unlisted: []string{"代发账户", "结算卡"}, value: (*gen).bankCard},
	{t: classify.Email, zh: []string{"电子邮箱", "邮箱"}, en: []string{"email"}, unlisted: []string{"联络"}, value: (*gen).email},
	{t: classify.Passport, zh: []string{"护照号码"}, en: []string{"passport_no"}, unlisted: []string{"出境证件"}, value: (*gen).passport},
	{t: classify.LicensePlate, zh: []string{"车牌号"}, en: []string{"plate_no"}, unlisted: []string{"车辆"}, value: (*gen).plate},
	{t: classify.IPAddress, zh: []string{"IP地址"}, en: []string{"client_ip"}, unlisted: []string{"来源"}, value: (*gen).ip},
	{t: classify.PersonName, zh: []string{"姓名", "客户姓名"}, en: []string{"name", "full_name"},
		unlisted: []string{"付款人", "收款人", "经办人", "联系人", "申请人", "法定代表人", "承办人", "payer", "payee"}, value: (*gen).name},
	{t: classify.PersonName, zh: []string{"姓名"}, en: []string{"name"}, unlisted: []string{"付款人", "收款人", "经办人"}, value: (*gen).repeatedName},
	{t: classify.Address, zh: []string{"家庭住址", "住址"}, en: []string{"address"}, unlisted: []string{"现居", "送达"}, value: (*gen).address},
	{t: classify.GeoCoord, zh: []string{"坐标"}, en: []string{"location"}, unlisted: []string{"点位"}, value: (*gen).geo},
	{t: classify.DateOfBirth, zh: []string{"出生日期", "生日"}, en: []string{"birth_date", "dob"}, unlisted: []string{"日期", "csny"}, value: (*gen).birthDate},

	{zh: []string{"入职日期"}, en: []string{"hire_date"}, unlisted: []string{"日期"}, value: (*gen).hireDate},
	{zh: []string{"交易日期"}, en: []string{"txn_date"}, unlisted: []string{"日期"}, value: (*gen).transactionDate},
	{zh: []string{"下单时间"}, en: []string{"order_time"}, unlisted: []string{"时间"}, value: (*gen).orderTime},
	{zh: []string{"登记日期"}, en: []string{"registered"}, value: (*gen).registrationDate},
	{zh: []string{"有效期至"}, en: []string{"valid_until"}, value: (*gen).expiryDate},
	{zh: []string{"站点", "车站"}, en: []string{"station"}, unlisted: []string{"上车点"}, value: (*gen).station},
	{zh: []string{"仓库"}, en: []string{"warehouse"}, unlisted: []string{"发货地"}, value: (*gen).warehouse},
	{zh: []string{"门店"}, en: []string{"store"}, unlisted: []string{"网点"}, value: (*gen).store},
	{zh: []string{"商品编码"}, en: []string{"sku"}, value: (*gen).productCode},
	{zh: []string{"金额", "交易金额"}, en: []string{"amount"}, value: (*gen).amount},
	{zh: []string{"订单号"}, en: []string{"order_no"}, value: (*gen).orderNumber},
	{zh: []string{"交易流水号"}, en: []string{"serial_no"}, value: (*gen).serialNumber},
	{zh: []string{"状态"}, en: []string{"status"}, value: (*gen).status},
	{zh: []string{"性别"}, en: []string{"gender"}, value: (*gen).gender},
	{zh: []string{"民族"}, en: []string{"ethnicity"}, value: (*gen).ethnicity},
	{zh: []string{"职务"}, en: []string{"title"}, value: (*gen).jobTitle},
	{zh: []string{"部门"}, en: []string{"department"}, value: (*gen).department},
	{zh: []string{"单位名称"}, en: []string{"company"}, value: (*gen).company},
	{zh: []string{"数量"}, en: []string{"quantity"}, value: (*gen).quantity},
	{zh: []string{"备注"}, en: []string{"remark"}, value: (*gen).remark},
}

// Resident identity numbers (GB 11643): a region of the GB/T 2260 code
// table, a birth date, a sequence number and the MOD 11-2 check character;
// some in the legacy 15-digit form, a few with a wrong check character.
var prefectures = []string{"1101", "1201", "1301", "1302", "1401", "1501", "2101", "2102", "2201", "2301", "3101", "3201", "3205",
	"3301", "3302", "3401", "3501", "3502", "3601", "3701", "3702", "4101", "4201", "4301", "4401", "4403", "4419", "4501",
	"4601", "5001", "5101", "5201", "5301", "5401", "6101", "6201", "6301", "6401", "6501", "1102", "3414", "5225", "4290"}

func (g *gen) residentID() (string, classify.Type) {
	region := g.pick(prefectures) + fmt.Sprintf("%02d", 1+g.r.IntN(30))
	birth := g.birthDay()
	if birth.Year() < 1999 && g.percent(4) { // legacy 15-digit numbers were issued until 1999
		return region + birth.Format("060102") + g.digits(3), classify.ResidentID
	}
	body := region + birth.Format("20060102") + g.digits(3)
	check, _ := classify.ResidentIDCheckChar(body)
	if g.percent(3) {
		return body + string("0123456789X"[(strings.IndexByte("0123456789X", check)+1+g.r.IntN(10))%11]), ""
	}
	if check == 'X' && g.percent(20) {
		check = 'x'
	}
	return body + string(check), classify.ResidentID
}

const usccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

func (g *gen) uscc() (string, classify.Type) {
	b := []byte(g.pick([]string{"91", "91", "92", "93", "11", "12", "51", "52"}))
	b = append(b, g.pick(prefectures)+fmt.Sprintf("%02d", 1+g.r.IntN(20))...)
	for range 9 {
		alphabet := usccChars
		if g.percent(70) {
			alphabet = usccChars[:10]
		}
		b = append(b, alphabet[g.r.IntN(len(alphabet))])
	}
	check, _ := identity.USCCCheckChar(string(b))
	return string(append(b, check)), classify.USCC
}

// mobile writes an 11-digit number, labelled by libphonenumber, in one of
// the spellings people use.
func (g *gen) mobile() (string, classify.Type) {
	n := "1" + string("3456789"[g.r.IntN(7)]) + g.digits(9)
	p, err := phonenumbers.Parse(n, "CN")
	t := classify.Type("")
	if err == nil && phonenumbers.IsValidNumber(p) && phonenumbers.GetNumberType(p) == phonenumbers.MOBILE {
		t = classify.Mobile
	}
	grouped := n[:3] + " " + n[3:7] + " " + n[7:]
	dashed := n[:3] + "-" + n[3:7] + "-" + n[7:]
	return g.pick([]string{n, n, n, "+86" + n, "+86 " + n, "+86-" + n, "0086" + n, "0086 " + n, "86-" + n, "86" + n,
		grouped, dashed, "+86 " + grouped, "(+86)" + n, "+86 " + dashed}), t
}

// landline writes a number under an area code of the numbering plan:
// eight-digit subscriber numbers after 10 and 2x, seven or eight after the
// three-digit codes, with the spellings and extensions found in exports.
func (g *gen) landline() (string, classify.Type) {
	codes := classify.AreaCodes()
	area := codes[g.r.IntN(len(codes))]
	length := 8
	if len(area) == 3 && g.percent(40) {
		length = 7
	}
	t := classify.Landline
	if g.percent(2) { // a code that is not in the plan
		area, t = g.pick([]string{"609", "389", "26", "649"}), ""
	}
	sub := string("2345678"[g.r.IntN(7)]) + g.digits(length-1)
	split := sub[:length-4] + " " + sub[length-4:]
	ext := g.digits(1 + g.r.IntN(4))
	return g.pick([]string{"0" + area + "-" + sub, "0" + area + "-" + sub, "0" + area + sub, "(0" + area + ")" + sub,
		"（0" + area + "）" + sub, "0" + area + " " + split, "+86 " + area + " " + sub, "+86-" + area + "-" + sub,
		"0086-" + area + "-" + sub, "86-" + area + "-" + sub, "0" + area + "-" + sub + "-" + ext,
		"0" + area + "-" + sub + "转" + ext, "0" + area + "-" + sub + " ext. " + ext, "(0" + area + ") " + split}), t
}

// cardIssuers are issuer ranges of cards issued in China: prefix, lengths.
var cardIssuers = []struct {
	prefix  func(g *gen) string
	lengths []int
}{
	{func(g *gen) string {
		return "62" + g.pick([]string{"2202", "2848", "2700", "2588", "1700", "1483", "2908", "5887"})
	}, []int{16, 17, 18, 19}},
	{func(g *gen) string { return g.pick([]string{"601382", "603367", "603445", "601428", "603601", "605"}) }, []int{16, 17, 18, 19}},
	{func(g *gen) string { return g.pick([]string{"9558", "95599", "9400", "9111"}) }, []int{16, 19}},
	{func(g *gen) string { return "4" + g.pick([]string{"27020", "33666", "04117", "38088", "5"}) }, []int{16}},
	{func(g *gen) string { return fmt.Sprint(51 + g.r.IntN(5)) }, []int{16}},
	{func(g *gen) string { return fmt.Sprint(2221 + g.r.IntN(500)) }, []int{16}},
	{func(g *gen) string { return fmt.Sprint(3528 + g.r.IntN(62)) }, []int{16}},
}

func (g *gen) bankCard() (string, classify.Type) {
	issuer := cardIssuers[g.r.IntN(len(cardIssuers))]
	if g.percent(40) {
		issuer = cardIssuers[0]
	}
	n := issuer.lengths[g.r.IntN(len(issuer.lengths))]
	body := issuer.prefix(g)
	body += g.digits(n - 1 - len(body))
	check := classify.LuhnCheckDigit(body)
	t := classify.BankCard
	if g.percent(3) {
		check, t = byte('0'+(int(check-'0')+1+g.r.IntN(9))%10), ""
	}
	card := body + string(check)
	switch g.r.IntN(4) {
	case 0:
		return group(card, " "), t
	case 1:
		return group(card, "-"), t
	}
	return card, t
}

func group(s, sep string) string {
	var parts []string
	for i := 0; i < len(s); i += 4 {
		parts = append(parts, s[i:min(i+4, len(s))])
	}
	return strings.Join(parts, sep)
}

var domains = []string{"163.com", "qq.com", "126.com", "sina.com.cn", "beijing.gov.cn", "foxmail.com", "pku.edu.cn", "hotmail.com"}

func (g *gen) email() (string, classify.Type) {
	local := g.pick([]string{"zhang", "wang.li", "liu_yang", "chen", "li-na", "service", "hr"}) + g.digits(g.r.IntN(5))
	if g.percent(3) {
		return local + "#" + g.pick(domains), ""
	}
	return local + "@" + g.pick(domains), classify.Email
}

func (g *gen) passport() (string, classify.Type) {
	switch g.r.IntN(4) {
	case 0:
		return "E" + g.digits(8), classify.Passport
	case 1:
		return "E" + string("ABCDEFGHJKLMNPQRSTUVWXYZ"[g.r.IntN(24)]) + g.digits(7), classify.Passport
	case 2:
		return "C" + g.digits(8), classify.Passport
	}
	return "G" + g.digits(8), classify.Passport
}

const plateProvinces = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"

func (g *gen) plate() (string, classify.Type) {
	p := []rune(plateProvinces)
	prov := string(p[g.r.IntN(len(p))])
	office := string("ABCDEFGHJKLMNPQRSTUVWXYZ"[g.r.IntN(24)])
	if g.percent(30) {
		return prov + office + string("DF"[g.r.IntN(2)]) + g.digits(5), classify.LicensePlate
	}
	return prov + office + g.pick([]string{"", "·"}) + string("ABCDEFGHJK"[g.r.IntN(10)]) + g.digits(4), classify.LicensePlate
}

func (g *gen) ip() (string, classify.Type) {
	if g.percent(20) {
		return fmt.Sprintf("2408:8207:%x::%x", g.r.IntN(65536), g.r.IntN(65536)), classify.IPAddress
	}
	return fmt.Sprintf("%d.%d.%d.%d", 1+g.r.IntN(223), g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254)), classify.IPAddress
}

func (g *gen) geo() (string, classify.Type) {
	return fmt.Sprintf("%.6f,%.6f", 73+g.r.Float64()*62, 18+g.r.Float64()*35), classify.GeoCoord
}

// Names: a surname drawn by its frequency in the population (compound
// surnames more often than in life, so that they are exercised), a given
// name of one or two characters drawn by rank from the common given-name
// characters, sometimes a rare character, and some ethnic-minority names.
type nameTables struct {
	surnames []string
	cum      []float64
	given    []rune
	givenCum []float64
}

var names = func() nameTables {
	var t nameTables
	s, ppb := classify.SurnameFrequencies()
	total := 0.0
	for i, x := range s {
		w := float64(ppb[i])
		if len([]rune(x)) == 2 {
			w = 20e6 / 43 // compound surnames: 2% in all
		}
		total += w
		t.surnames = append(t.surnames, x)
		t.cum = append(t.cum, total)
	}
	t.given = []rune(classify.GivenNameChars())
	total = 0
	for i := range t.given {
		total += 1 / math.Pow(float64(i+20), 1.1)
		t.givenCum = append(t.givenCum, total)
	}
	return t
}()

func draw(cum []float64, u float64) int {
	x := u * cum[len(cum)-1]
	lo, hi := 0, len(cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if cum[mid] < x {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// placeFinals are the characters that end place and facility names (市, 区,
// 站 ...). Some are used in given names, but the scanner by design does not
// count a value ending in one as a name (朝阳区 is not a person), so the
// corpus leaves such names out.
const placeFinals = "省市区县镇乡村路街巷号局厅站馆部厂店仓库"

// rareGiven are characters of real given names outside the common list.
var rareGiven = []rune("昇翀焜琇璟瑄翾珺晞暻旻玥琬瑢甯")

var minorityParts = []string{"买买提", "艾力", "阿依古丽", "热合曼", "吐尔逊", "古丽", "努尔", "巴图", "其其格", "扎西", "次仁", "卓玛", "阿不都", "帕提古丽"}

func (g *gen) name() (string, classify.Type) {
	if g.percent(1) {
		return g.pick(minorityParts) + g.pick([]string{"·", "·", "•"}) + g.pick(minorityParts), classify.PersonName
	}
	var b strings.Builder
	b.WriteString(names.surnames[draw(names.cum, g.r.Float64())])
	n := 2
	if g.percent(25) {
		n = 1
	}
	for i := range n {
		if g.percent(1) {
			b.WriteRune(rareGiven[g.r.IntN(len(rareGiven))])
			continue
		}
		c := names.given[draw(names.givenCum, g.r.Float64())]
		for i == n-1 && strings.ContainsRune(placeFinals, c) {
			c = names.given[draw(names.givenCum, g.r.Float64())]
		}
		b.WriteRune(c)
	}
	return b.String(), classify.PersonName
}

// repeatedName draws from a small set of people, as the payers of a
// transaction table repeat.
func (g *gen) repeatedName() (string, classify.Type) {
	k := newGen(uint64(g.r.IntN(60)), g.now) // one of 60 people
	return k.name()
}

// Addresses with road and number, building and room, or village and group.
var (
	cities    = []string{"北京市海淀区", "北京市朝阳区", "上海市浦东新区", "上海市徐汇区", "广东省深圳市南山区", "广东省广州市天河区", "浙江省杭州市西湖区", "四川省成都市武侯区", "湖北省武汉市洪山区", "江苏省南京市鼓楼区", "河南省郑州市金水区", "天津市和平区"}
	roads     = []string{"中关村大街", "人民路", "解放大道", "建设巷", "科技园路", "文一西路", "长安街", "中山北路", "学院路", "淮海中路", "天府大道", "黄河路"}
	counties  = []string{"河北省保定市涞水县", "湖南省邵阳市隆回县", "四川省南充市仪陇县", "山东省菏泽市曹县", "安徽省阜阳市临泉县"}
	towns     = []string{"城关镇", "石门镇", "新华乡", "太平镇", "双河乡"}
	villages  = []string{"东风村", "红星村", "李家村", "王庄村", "前进村"}
	compounds = []string{"望京西园", "天通苑", "回龙观", "金地花园", "万科城"}
)

func (g *gen) address() (string, classify.Type) {
	switch g.r.IntN(5) {
	case 0:
		return g.pick(counties) + g.pick(towns) + g.pick(villages) + fmt.Sprintf("%d组%d号", 1+g.r.IntN(12), 1+g.r.IntN(80)), classify.Address
	case 1:
		return g.pick(cities) + g.pick(compounds) + fmt.Sprintf("%d号楼%d单元%d", 1+g.r.IntN(30), 1+g.r.IntN(6), 101+g.r.IntN(2000)), classify.Address
	case 2:
		return g.pick(cities) + g.pick(roads) + fmt.Sprintf("%d号%d栋%d单元%d室", 1+g.r.IntN(300), 1+g.r.IntN(20), 1+g.r.IntN(6), 101+g.r.IntN(2000)), classify.Address
	case 3:
		return g.pick(cities)[len("上海市"):] + g.pick(roads) + fmt.Sprintf("%d弄%d号%d室", 1+g.r.IntN(900), 1+g.r.IntN(40), 101+g.r.IntN(600)), classify.Address
	}
	return g.pick(cities) + g.pick(roads) + fmt.Sprintf("%d号", 1+g.r.IntN(500)), classify.Address
}

// Dates. Birth dates follow an age pyramid like China's (0–99 years old);
// the negative columns follow what their events do: tenure of employees,
// recent transactions and orders, registrations since 2005, expiry dates
// in the future.
var ageWeights = []float64{10, 11, 12, 12, 14, 15, 14, 8, 3, 1} // per decade of age, 0–9 ... 90–99

func (g *gen) birthDay() time.Time {
	decade := draw(cumulative(ageWeights), g.r.Float64())
	age := decade*10 + g.r.IntN(10)
	return g.now.AddDate(-age, 0, -g.r.IntN(365)-1)
}

func cumulative(w []float64) []float64 {
	out := make([]float64, len(w))
	total := 0.0
	for i, x := range w {
		total += x
		out[i] = total
	}
	return out
}

func (g *gen) formatDate(t time.Time) string {
	switch g.r.IntN(7) {
	case 0:
		return t.Format("2006/1/2")
	case 1:
		return t.Format("20060102")
	case 2:
		return t.Format("2006年1月2日")
	case 3:
		return t.Format("2006-01-02 00:00:00")
	case 4:
		return t.Format("2006.01.02")
	}
	return t.Format("2006-01-02")
}

func (g *gen) birthDate() (string, classify.Type) {
	return g.formatDate(g.birthDay()), classify.DateOfBirth
}

func (g *gen) hireDate() (string, classify.Type) {
	years := min(40, g.r.ExpFloat64()*8)
	return g.formatDate(g.now.AddDate(0, 0, -int(years*365))), ""
}

func (g *gen) transactionDate() (string, classify.Type) {
	return g.formatDate(g.now.AddDate(0, 0, -g.r.IntN(3*365))), ""
}

func (g *gen) orderTime() (string, classify.Type) {
	t := g.now.Add(-time.Duration(g.r.Int64N(int64(2 * 365 * 24 * time.Hour))))
	return t.Format(g.pick([]string{"2006-01-02 15:04:05", "2006/01/02 15:04", "2006-01-02T15:04:05"})), ""
}

func (g *gen) registrationDate() (string, classify.Type) {
	start := time.Date(2005, 1, 1, 0, 0, 0, 0, time.UTC)
	days := int(g.now.Sub(start).Hours() / 24)
	return g.formatDate(start.AddDate(0, 0, g.r.IntN(days))), ""
}

func (g *gen) expiryDate() (string, classify.Type) {
	return g.formatDate(g.now.AddDate(0, 0, 1+g.r.IntN(20*365))), ""
}

// Places that are not personal addresses.
func (g *gen) station() (string, classify.Type) {
	city := g.pick([]string{"北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "西安"})
	switch g.r.IntN(3) {
	case 0:
		return city + g.pick([]string{"站", "南站", "东站", "西站", "北站"}), ""
	case 1:
		return fmt.Sprintf("地铁%d号线%s站", 1+g.r.IntN(20), g.pick(roads)), ""
	}
	return g.pick(roads) + g.pick([]string{"公交站", "路口站", "东站"}), ""
}

func (g *gen) warehouse() (string, classify.Type) {
	return g.pick([]string{"华北", "华东", "华南", "西南", "嘉定", "廊坊", "武清"}) + g.pick([]string{
		fmt.Sprintf("%d号仓", 1+g.r.IntN(30)), fmt.Sprintf("物流园%d号库", 1+g.r.IntN(20)), "中心仓", "分拨中心", fmt.Sprintf("%s%d号仓库", g.pick(roads), 1+g.r.IntN(99))}), ""
}

func (g *gen) store() (string, classify.Type) {
	brand := g.pick([]string{"永辉超市", "华联超市", "全家便利店", "同仁堂药店", "瑞幸咖啡", "中国移动营业厅", "工商银行"})
	return brand + g.pick([]string{
		"(" + g.pick(roads) + "店)", "（" + g.pick(roads) + fmt.Sprintf("%d号店）", 1+g.r.IntN(300)), g.pick(roads) + "店", g.pick(roads) + "支行", g.pick(roads) + "营业部"}), ""
}

func (g *gen) productCode() (string, classify.Type) {
	return g.pick([]string{"SKU" + g.digits(8), "P" + g.digits(10), "69" + g.digits(11), g.digits(6) + "-" + g.digits(2)}), ""
}

func (g *gen) amount() (string, classify.Type) {
	v := fmt.Sprintf("%d.%02d", g.r.IntN(200000), g.r.IntN(100))
	if g.percent(10) {
		v = "-" + v
	}
	return v, ""
}

// orderNumber and serialNumber are 16–19 digit numbers that are not cards:
// a date and a sequence, or a serial outside every issuer range (and, at 18
// digits, outside the credit codes' registration authorities).
func (g *gen) orderNumber() (string, classify.Type) {
	day := g.now.AddDate(0, 0, -g.r.IntN(700)).Format("20060102")
	return day + g.digits(8+g.r.IntN(4)), ""
}

func (g *gen) serialNumber() (string, classify.Type) {
	return "1" + string("5678"[g.r.IntN(4)]) + g.digits(14+g.r.IntN(4)), ""
}

func (g *gen) status() (string, classify.Type) {
	return g.pick([]string{"正常", "注销", "已办结", "办理中", "已退回", "待审核"}), ""
}

func (g *gen) gender() (string, classify.Type) { return g.pick([]string{"男", "女"}), "" }

func (g *gen) ethnicity() (string, classify.Type) {
	if g.percent(90) {
		return "汉族", ""
	}
	return g.pick([]string{"回族", "满族", "壮族", "蒙古族", "维吾尔族", "土家族", "苗族", "藏族"}), ""
}

func (g *gen) jobTitle() (string, classify.Type) {
	return g.pick([]string{"科员", "副科长", "科长", "副处长", "处长", "主任", "副主任", "经理", "会计", "出纳", "工程师", "高级工程师"}), ""
}

func (g *gen) department() (string, classify.Type) {
	return g.pick([]string{"办公室", "财务处", "人事处", "信息中心", "综合科", "法规科", "市场部", "技术部"}), ""
}

func (g *gen) company() (string, classify.Type) {
	return g.pick([]string{"北京", "上海", "深圳", "杭州"}) + g.pick([]string{"华信", "中科", "云图", "远航", "恒通"}) +
		g.pick([]string{"科技有限公司", "信息技术有限公司", "商贸有限公司", "物流股份有限公司"}), ""
}

func (g *gen) quantity() (string, classify.Type) { return fmt.Sprint(g.r.IntN(5000)), "" }

// remark is free text; some remarks carry a mobile number.
func (g *gen) remark() (string, classify.Type) {
	if g.percent(8) {
		for {
			n := "1" + string("3589"[g.r.IntN(4)]) + g.digits(9)
			if p, err := phonenumbers.Parse(n, "CN"); err == nil && phonenumbers.GetNumberType(p) == phonenumbers.MOBILE && phonenumbers.IsValidNumber(p) {
				return "已电话联系本人，回访号码" + n + "，材料已补齐", classify.Mobile
			}
		}
	}
	return g.pick([]string{"材料齐全，予以受理", "已电话回访，群众表示满意", "请于三个工作日内补交材料", "按期办结"}), ""
}
