package classify

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"dataport/internal/identity"
)

// The generators below make labelled values for the detection tests and
// benchmarks: valid instances (check characters right) and near misses
// (wrong check character, impossible date, unknown region, unallocated
// segment), deterministically from a seed. Phone numbers are labelled by
// libphonenumber itself, independently of the lookup tables under test.

type labelled struct {
	value string
	label Type // "" for a value that is not a valid instance of any type
}

type gen struct{ r *rand.Rand }

func newGen(seed uint64) *gen { return &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))} }

func (g *gen) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.r.IntN(10))
	}
	return string(b)
}

func (g *gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

var genPrefectures = []string{"1101", "1201", "1301", "1302", "2101", "2201", "3101", "3201", "3205", "3301", "3302",
	"3401", "3501", "3502", "3701", "3702", "4101", "4201", "4301", "4401", "4403", "4419", "4501", "5001", "5101",
	"5201", "5301", "6101", "6201", "6501", "1102", "3414", "5225", "4290"}

func (g *gen) birth(minYear, maxYear int) string {
	for {
		y, m, d := minYear+g.r.IntN(maxYear-minYear+1), 1+g.r.IntN(12), 1+g.r.IntN(31)
		if validDate(y, m, d) {
			return fmt.Sprintf("%04d%02d%02d", y, m, d)
		}
	}
}

// residentID returns a valid 18-digit identity number, or a near miss.
func (g *gen) residentID(valid bool) string {
	region := g.pick(genPrefectures) + fmt.Sprintf("%02d", 1+g.r.IntN(30))
	body := region + g.birth(1935, 2020) + g.digits(3)
	check, _ := ResidentIDCheckChar(body)
	if valid {
		return body + string(check)
	}
	switch g.r.IntN(3) {
	case 0: // wrong check character
		wrong := idCheckChars[(strings.IndexByte(idCheckChars, check)+1+g.r.IntN(10))%11]
		return body + string(wrong)
	case 1: // impossible date, right check character
		body = region + fmt.Sprintf("%04d%02d%02d", 1950+g.r.IntN(50), 13+g.r.IntN(6), 1+g.r.IntN(28)) + g.digits(3)
	default: // unknown region, right check character
		body = fmt.Sprintf("%02d", 90+g.r.IntN(10)) + g.digits(4) + g.birth(1950, 2000) + g.digits(3)
	}
	check, _ = ResidentIDCheckChar(body)
	return body + string(check)
}

func (g *gen) legacyID(valid bool) string {
	region := g.pick(genPrefectures) + fmt.Sprintf("%02d", 1+g.r.IntN(30))
	if valid {
		return region + g.birth(1930, 1999)[2:] + g.digits(3)
	}
	return region + fmt.Sprintf("%02d%02d%02d", g.r.IntN(100), 13+g.r.IntN(80), 1+g.r.IntN(28)) + g.digits(3)
}

const usccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

func (g *gen) uscc(valid bool) string {
	b := []byte{"159"[g.r.IntN(3)], "123"[g.r.IntN(3)]}
	b = append(b, g.pick(genPrefectures)+fmt.Sprintf("%02d", 1+g.r.IntN(20))...)
	for range 9 {
		b = append(b, usccChars[g.r.IntN(len(usccChars))])
	}
	check, _ := identity.USCCCheckChar(string(b))
	if !valid {
		check = usccChars[(strings.IndexByte(usccChars, check)+1+g.r.IntN(30))%31]
	}
	return string(append(b, check))
}

// mobile returns an 11-digit number labelled by libphonenumber, in one of
// the ways people write them.
func (g *gen) mobile() labelled {
	n := "1" + string("3456789"[g.r.IntN(7)]) + g.digits(9)
	p, err := phonenumbers.Parse(n, "CN")
	label := Type("")
	if err == nil && phonenumbers.IsValidNumber(p) && phonenumbers.GetNumberType(p) == phonenumbers.MOBILE {
		label = Mobile
	}
	switch g.r.IntN(4) {
	case 1:
		n = "+86 " + n
	case 2:
		n = n[:3] + "-" + n[3:7] + "-" + n[7:]
	case 3:
		n = "+86" + n[:3] + " " + n[3:7] + " " + n[7:]
	}
	return labelled{n, label}
}

// genAreaCodes are area codes of the numbering plan and, marked '*', codes
// that are not in it.
var genAreaCodes = []string{"10", "21", "22", "23", "24", "25", "27", "28", "29", "20", "311", "351", "371", "431", "451",
	"471", "531", "551", "571", "591", "731", "755", "757", "769", "871", "898", "931", "991", "*609", "*399", "*549", "*649", "*26"}

// landline returns a number under an area code of the numbering plan
// (labelled valid when its subscriber number has the plan's length: eight
// digits after a two-digit code, seven or eight after a three-digit one)
// or under a code that is not in the plan.
func (g *gen) landline() labelled {
	area := g.pick(genAreaCodes)
	sub := string("2345678"[g.r.IntN(7)]) + g.digits(6+g.r.IntN(2))
	label := Type("")
	if !strings.HasPrefix(area, "*") && (len(area) == 3 || len(sub) == 8) {
		label = Landline
	}
	area = strings.TrimPrefix(area, "*")
	switch g.r.IntN(3) {
	case 0:
		return labelled{"0" + area + "-" + sub, label}
	case 1:
		return labelled{"(0" + area + ")" + sub, label}
	}
	return labelled{"0" + area + sub, label}
}

func (g *gen) bankCard(valid bool) string {
	n := 16 + 3*g.r.IntN(2) // 16 or 19 digits
	body := g.pick([]string{"62", "60", "4", "9", "35" + fmt.Sprint(28+g.r.IntN(62))})
	if g.r.IntN(4) == 0 {
		n, body = 16, "5"+string("12345"[g.r.IntN(5)])
	}
	body += g.digits(n - 1 - len(body))
	check := LuhnCheckDigit(body)
	if !valid {
		check = byte('0' + (int(check-'0')+1+g.r.IntN(9))%10)
	}
	card := body + string(check)
	if g.r.IntN(3) == 0 {
		parts := []string{}
		for i := 0; i < len(card); i += 4 {
			parts = append(parts, card[i:min(i+4, len(card))])
		}
		return strings.Join(parts, " ")
	}
	return card
}

var genDomains = []string{"163.com", "qq.com", "126.com", "sina.com.cn", "beijing.gov.cn", "example.org", "pku.edu.cn"}

func (g *gen) email(valid bool) string {
	local := g.pick([]string{"zhang", "wang.li", "liu_yang", "chen88", "a.b+tag", "service"}) + g.digits(g.r.IntN(4))
	if valid {
		return local + "@" + g.pick(genDomains)
	}
	return g.pick([]string{local + "@", local + "@@" + g.pick(genDomains), local + "@localhost", "@" + g.pick(genDomains), local + "@qq.c0m", local + " at qq.com"})
}

func (g *gen) passport(valid bool) string {
	if valid {
		switch g.r.IntN(6) {
		case 0:
			return "E" + g.digits(8)
		case 1:
			return "E" + string("ABCDEFGHJKLMNPQRSTUVWXYZ"[g.r.IntN(24)]) + g.digits(7)
		case 2:
			return "G" + g.digits(8)
		case 3:
			return "C" + g.digits(8)
		case 4:
			return "H" + g.digits(8+2*g.r.IntN(2))
		default:
			return "SE" + g.digits(7)
		}
	}
	return g.pick([]string{"Z" + g.digits(8), "E" + g.digits(7), "EI" + g.digits(7), "E" + g.digits(10), "K" + g.digits(8)})
}

const genProvinces = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"

func (g *gen) plate(valid bool) string {
	prov := []rune(genProvinces)[g.r.IntN(len([]rune(genProvinces)))]
	office := string("ABCDEFGHJKLMNPQRSTUVWXYZ"[g.r.IntN(24)])
	if valid {
		switch g.r.IntN(4) {
		case 0:
			return string(prov) + office + g.digits(5)
		case 1:
			return string(prov) + office + "·" + string("ABCDEFGHJK"[g.r.IntN(10)]) + g.digits(4)
		case 2:
			return string(prov) + office + string("DF"[g.r.IntN(2)]) + g.digits(5)
		default:
			return string(prov) + office + g.digits(5) + string("DF"[g.r.IntN(2)])
		}
	}
	return g.pick([]string{"外" + office + g.digits(5), string(prov) + "I" + g.digits(5), string(prov) + office + g.digits(4), string(prov) + office + "ABCDE", string(prov) + "1" + g.digits(5)})
}

func (g *gen) ip(valid bool) string {
	if valid {
		if g.r.IntN(4) == 0 {
			return fmt.Sprintf("2001:db8:%x::%x", g.r.IntN(65536), g.r.IntN(65536))
		}
		return fmt.Sprintf("%d.%d.%d.%d", 1+g.r.IntN(223), g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254))
	}
	return g.pick([]string{fmt.Sprintf("%d.%d.%d.%d", 256+g.r.IntN(100), g.r.IntN(256), g.r.IntN(256), g.r.IntN(256)),
		fmt.Sprintf("%d.%d.%d", g.r.IntN(256), g.r.IntN(256), g.r.IntN(256)), "1.2.3.4.5", "2001:db8:::1"})
}

var (
	genSurnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "欧阳", "司马"}
	genGiven    = []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅子涵浩然欣怡宇轩")
)

func (g *gen) name(valid bool) string {
	if valid {
		given := string(genGiven[g.r.IntN(len(genGiven))])
		if g.r.IntN(3) > 0 {
			given += string(genGiven[g.r.IntN(len(genGiven))])
		}
		return g.pick(genSurnames) + given
	}
	return g.pick([]string{"未知", "不详", "测试用户", "北京市", "朝阳区", "海淀路", "人民医院", "Zhang San", "无名氏甲乙丙"})
}

var (
	genCities  = []string{"北京市海淀区", "上海市浦东新区", "广东省深圳市南山区", "浙江省杭州市西湖区", "四川省成都市武侯区", "湖北省武汉市洪山区"}
	genStreets = []string{"中关村大街", "人民路", "解放大道", "建设巷", "科技园路", "文一西路"}
)

func (g *gen) address(valid bool) string {
	if valid {
		a := g.pick(genCities) + g.pick(genStreets) + fmt.Sprintf("%d号", 1+g.r.IntN(300))
		if g.r.IntN(2) == 0 {
			a += fmt.Sprintf("%d栋%d单元%d室", 1+g.r.IntN(20), 1+g.r.IntN(6), 101+g.r.IntN(2000))
		}
		return a
	}
	return g.pick([]string{"详见附件", "同上", "无固定住所", "待补充信息", "外地"})
}

func (g *gen) geo(valid bool) string {
	if valid {
		return fmt.Sprintf("%.6f,%.6f", 73+g.r.Float64()*62, 18+g.r.Float64()*35)
	}
	return g.pick([]string{fmt.Sprintf("%d,%d", 73+g.r.IntN(62), 18+g.r.IntN(35)), fmt.Sprintf("%.4f,%.4f", 200+g.r.Float64()*50, 95+g.r.Float64()*10), "北纬39度"})
}

func (g *gen) birthDate(valid bool) string {
	if valid {
		d := g.birth(1930, 2020)
		switch g.r.IntN(3) {
		case 0:
			return d[:4] + "-" + d[4:6] + "-" + d[6:]
		case 1:
			return d[:4] + "/" + d[4:6] + "/" + d[6:]
		}
		return d
	}
	return g.pick([]string{"2099-01-01", "1990-02-30", "1988-13-01", "1850-05-05", "未知", "19900231"})
}

// column is a generated column: its header and labelled values.
type column struct {
	header string
	values []labelled
}

// labelledColumns generates one column per type (valid instances mixed with
// near misses at the share bad) and distractor columns holding no personal
// information at all.
func labelledColumns(g *gen, rows int, bad float64) []column {
	mk := func(header string, f func(valid bool) string, t Type) column {
		c := column{header: header}
		for range rows {
			valid := g.r.Float64() >= bad
			l := labelled{value: f(valid)}
			if valid {
				l.label = t
			}
			c.values = append(c.values, l)
		}
		return c
	}
	mkL := func(header string, f func() labelled) column {
		c := column{header: header}
		for range rows {
			c.values = append(c.values, f())
		}
		return c
	}
	return []column{
		mk("身份证号", g.residentID, ResidentID),
		mk("sfzh_old", g.legacyID, ResidentID),
		mk("统一社会信用代码", g.uscc, USCC),
		mkL("手机号码", g.mobile),
		mkL("联系电话", g.landline),
		mk("银行卡号", g.bankCard, BankCard),
		mk("email", g.email, Email),
		mk("护照号码", g.passport, Passport),
		mk("车牌号", g.plate, LicensePlate),
		mk("client_ip", g.ip, IPAddress),
		mk("姓名", g.name, PersonName),
		mk("家庭住址", g.address, Address),
		mk("位置", g.geo, GeoCoord),
		mk("出生日期", g.birthDate, DateOfBirth),
		mk("amount", func(bool) string { return fmt.Sprintf("%d.%02d", g.r.IntN(100000), g.r.IntN(100)) }, ""),
		mk("order_no", func(bool) string { return "20" + g.digits(16) }, ""),
		mk("登记日期", func(bool) string { return g.birth(2000, 2024) }, ""),
		mk("status", func(bool) string { return g.pick([]string{"正常", "注销", "吊销", "迁出"}) }, ""),
		mk("count", func(bool) string { return fmt.Sprint(g.r.IntN(1000000)) }, ""),
		mk("product_code", func(bool) string { return "SKU" + g.digits(8) }, ""),
	}
}
