package classify

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// surnames are common single-character Chinese surnames (the most frequent
// few hundred cover well over 95% of the population).
const surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由"

// compoundSurnames are two-character surnames.
var compoundSurnames = []string{"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
	"宇文", "司徒", "夏侯", "轩辕", "令狐", "钟离", "端木", "澹台", "南宫", "申屠", "独孤", "呼延", "西门", "百里"}

// notGivenName are characters that end place and organisation names, not
// given names: a two-to-four-character word ending in one is not a person.
const notGivenName = "省市区县镇乡村路街道巷号楼局厅院所站馆部委办处科队司厂店行社校园场中心会"

// LooksLikeName reports whether s could be a Chinese personal name: two to
// four Han characters starting with a known surname (or an ethnic-minority
// name of Han characters joined by '·'), not ending like a place or an
// organisation. On its own this is weak evidence; scans use it only where
// the column's header says it holds names.
func LooksLikeName(s string) bool {
	if strings.ContainsRune(s, '·') || strings.ContainsRune(s, '•') {
		n := 0
		for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '·' || r == '•' }) {
			if !allHan(part) {
				return false
			}
			n += utf8.RuneCountInString(part)
		}
		return n >= 3 && n <= 16
	}
	n := utf8.RuneCountInString(s)
	if n < 2 || n > 4 || !allHan(s) {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(s)
	if strings.ContainsRune(notGivenName, last) {
		return false
	}
	first, _ := utf8.DecodeRuneInString(s)
	if classOf(first)&rcSurname != 0 {
		return true
	}
	for _, c := range compoundSurnames {
		if strings.HasPrefix(s, c) && n >= 3 {
			return true
		}
	}
	return false
}

func allHan(s string) bool {
	for _, r := range s {
		if classOf(r)&rcHan == 0 && !unicode.Is(unicode.Han, r) {
			return false
		}
	}
	return s != ""
}

// sentencePunct marks prose: an address is a phrase, not a sentence.
const sentencePunct = "，。；！？：、"

// LooksLikeAddress reports whether s reads as a postal address: at least six
// characters, no sentence punctuation, a street-level word (路, 街, 村, 室,
// 单元 ...) or a house number (27号), and a division word (省, 市, 区, 县 ...)
// or a digit. With context (the header says "address") one street or
// division word suffices.
func LooksLikeAddress(s string, context bool) bool {
	if len(s) < 12 || len(s) > 300 {
		return false
	}
	f := textFactsOf(s)
	if !f.han || f.punct {
		return false
	}
	street := f.street || f.houseNumber
	if context {
		return street || f.division
	}
	return street && (f.division || strings.ContainsAny(s, "0123456789"))
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
