package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// The fictional city of 京华市: its districts with their sub-districts,
// roads and centres, the names people and companies carry, and the
// numbering of its licences. Rows of every demo resource are drawn from
// these tables, so that a district, street and coordinate in one row
// belong together and a city's staff would recognise the shapes.

// place is one district of the city.
type place struct {
	code, name string
	lon, lat   float64 // centre
	streets    []string
	roads      []string
}

// cityBox is the bounding box every demo coordinate lies in.
var cityBox = struct{ minLon, maxLon, minLat, maxLat float64 }{115.90, 116.95, 39.55, 40.45}

// places lists the districts in the order of the district code list.
var places = []place{
	{"110101", "紫宸区", 116.405, 39.925, []string{"景山街道", "鼓楼街道", "安和街道", "崇文门街道", "天坛街道", "永定门外街道"},
		[]string{"紫宸大街", "鼓楼东大街", "安和路", "东华门大街", "崇文门内大街", "天坛路"}},
	{"110102", "西华区", 116.355, 39.915, []string{"金融街街道", "西长安街街道", "新街口街道", "月坛街道", "广安门内街道"},
		[]string{"西华门大街", "金融大街", "阜成门内大街", "月坛北街", "广安门内大街", "白云路"}},
	{"110105", "东湖区", 116.485, 39.935, []string{"东湖街道", "望京街道", "酒仙桥街道", "双井街道", "劲松街道", "亚运村街道"},
		[]string{"东湖路", "东三环中路", "望京街", "酒仙桥路", "广渠路", "湖景东路"}},
	{"110106", "南苑区", 116.290, 39.855, []string{"南苑街道", "卢沟桥街道", "方庄街道", "丰台街道", "花乡地区"},
		[]string{"南苑路", "丰台北路", "方庄路", "花乡路", "槐房路", "榴乡路"}},
	{"110107", "西山区", 116.205, 39.935, []string{"八角街道", "古城街道", "苹果园街道", "金顶街街道", "五里坨街道"},
		[]string{"西山大街", "石景山路", "古城大街", "苹果园路", "金顶街", "模式口大街"}},
	{"110108", "文澜区", 116.305, 39.995, []string{"中关村街道", "学院路街道", "燕园街道", "清河街道", "万柳地区", "上地街道"},
		[]string{"文澜大街", "学院路", "中关村大街", "知春路", "上地信息路", "清河中街"}},
	{"110112", "运河区", 116.660, 39.905, []string{"北苑街道", "中仓街道", "新华街道", "玉桥街道", "梨园镇", "宋庄镇"},
		[]string{"运河东大街", "新华大街", "通惠北路", "玉带河大街", "梨园北街", "九棵树东路"}},
	{"110113", "空港区", 116.655, 40.130, []string{"胜利街道", "光明街道", "空港街道", "后沙峪镇", "南彩镇"},
		[]string{"空港大道", "府前街", "光明北街", "天竺路", "裕民大街", "顺于路"}},
	{"110114", "北岭区", 116.235, 40.220, []string{"城北街道", "城南街道", "回龙观街道", "天通苑北街道", "南口镇"},
		[]string{"北岭路", "政府街", "鼓楼南大街", "回龙观西大街", "立汤路", "昌平路"}},
	{"110115", "青原区", 116.340, 39.730, []string{"兴丰街道", "林校路街道", "清源街道", "观音寺街道", "亦庄镇"},
		[]string{"青原大街", "兴丰大街", "清源路", "黄村东大街", "林校北路", "亦庄路"}},
}

// placeOf returns the district with code c (the first one if unknown).
func placeOf(c string) place {
	for _, p := range places {
		if p.code == c {
			return p
		}
	}
	return places[0]
}

// short drops the district's suffix: 东湖区 → 东湖.
func (p place) short() string { return strings.TrimSuffix(p.name, "区") }

// point returns a coordinate near the district's centre.
func (p place) point(r *rand.Rand) (lon, lat float64) {
	return p.lon + (r.Float64()-0.5)*0.09, p.lat + (r.Float64()-0.5)*0.07
}

// address returns a street address in the district: 东湖区望京街36号.
func (p place) address(r *rand.Rand) string {
	return fmt.Sprintf("%s%s%d号", p.name, pick(r, p.roads), 1+r.IntN(180))
}

// Personal names: common surnames and given-name characters. Every person
// in the demo is invented.
var (
	surnames   = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
	givenChars = []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力健俊峰宇浩凯晨欣怡思雨子涵梓轩博文雅琳佳琪嘉诚志远晓东海燕春梅立新国庆永红丹阳")
)

// personName returns an invented Chinese name of two or three characters.
func personName(r *rand.Rand) string {
	n := string(surnames[r.IntN(len(surnames))]) + string(givenChars[r.IntN(len(givenChars))])
	if r.IntN(3) > 0 {
		n += string(givenChars[r.IntN(len(givenChars))])
	}
	return n
}

// Company names: trade names and industries.
var (
	tradeNames = []string{"华通", "恒信", "瑞丰", "京诚", "远航", "启明", "嘉禾", "盛达", "泰和", "鼎力", "安康", "汇智",
		"德润", "新源", "博远", "宏图", "金桥", "长城", "天元", "众合", "正阳", "永兴", "中科", "锦程", "蓝天", "润泽", "鸿运", "晟世"}
	companyTrades = []string{"科技", "商贸", "物流", "餐饮管理", "建设工程", "信息技术", "医药", "文化传媒", "物业管理", "环保科技",
		"食品", "汽车服务", "人力资源", "教育科技", "旅游", "建材"}
)

// companyName returns a company name registered in the district, with the
// given trade ("" for any).
func companyName(r *rand.Rand, p place, trade string) string {
	if trade == "" {
		trade = pick(r, companyTrades)
	}
	suffix := pick(r, []string{"有限公司", "有限公司", "有限责任公司", "股份有限公司"})
	if r.IntN(2) == 0 {
		return "京华" + pick(r, tradeNames) + trade + suffix
	}
	return "京华市" + p.short() + pick(r, tradeNames) + trade + suffix
}

// companyUSCC returns a valid unified social credit code of a company
// registered in the district, unique for seq.
func companyUSCC(p place, seq int) string {
	code, err := uscc("91", p.code, fmt.Sprintf("%08d", 50000000+seq*7919%40000000))
	if err != nil {
		panic(err) // the body is eight digits: uscc cannot fail
	}
	return code
}

// landline returns a fixed-line number in the city's area code.
func landline(r *rand.Rand) string {
	return fmt.Sprintf("010-%d%07d", []int{6, 8}[r.IntN(2)], r.IntN(10000000))
}

// authority names the district's (or the city's, for "") office of a bureau.
func authority(p place, bureau string) string {
	if p.code == "" {
		return "京华市" + bureau
	}
	return "京华市" + p.name + bureau
}

func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

// between returns an integer in [lo, hi].
func between(r *rand.Rand, lo, hi int) int { return lo + r.IntN(hi-lo+1) }

// around returns v varied by up to frac of itself.
func around(r *rand.Rand, v, frac float64) float64 { return v * (1 + (r.Float64()*2-1)*frac) }

// hospitalCode returns a medical institution's registration number
// (医疗机构登记号): 22 characters, its organization code, district and a
// sequence.
func hospitalCode(org int, p place, seq int) string {
	return fmt.Sprintf("PDY%06d%s11A%05d", org, p.code, 1001+seq)[:22]
}

// idCardNumber returns an invented but well-formed citizen identity number
// (GB 11643) registered in the district: the check digit is right, the
// birth date real.
func idCardNumber(r *rand.Rand, p place) string {
	birth := dataEnd.AddDate(-18-r.IntN(60), -r.IntN(12), -r.IntN(28))
	body := fmt.Sprintf("%s%s%03d", p.code, birth.Format("20060102"), r.IntN(1000))
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, c := range body {
		sum += int(c-'0') * weights[i]
	}
	return body + string("10X98765432"[sum%11])
}
