package classify

import "strings"

// A column's header is context: "身份证号" makes an 18-digit column identity
// numbers, "姓名" makes two-character words names. headerHints lists, per
// type, words that name it in Chinese and in the abbreviations and English
// that source systems use. Matching is on the lower-cased header with
// spaces, '_' and '-' removed; ASCII words must match a whole header or a
// whole word of it, Chinese words anywhere in it.
var headerHints = []struct {
	t     Type
	words []string
}{
	{ResidentID, []string{"身份证", "公民身份号码", "证件号码", "证件号", "idcard", "idno", "idnumber", "sfz", "sfzh", "sfzhm", "zjhm", "citizenid", "nationalid"}},
	{USCC, []string{"统一社会信用代码", "社会信用代码", "信用代码", "uscc", "creditcode", "tyshxydm", "shxydm"}},
	{Mobile, []string{"手机", "移动电话", "mobile", "cellphone", "cell", "sjhm", "sjh"}},
	{Landline, []string{"座机", "固定电话", "固话", "办公电话", "传真", "landline", "telephone", "tel", "fax", "gddh"}},
	{BankCard, []string{"银行卡", "卡号", "银行账号", "银行账户", "账号", "bankcard", "cardno", "cardnumber", "accountno", "yhkh", "yhzh"}},
	{Email, []string{"邮箱", "电子邮件", "电子信箱", "email", "mail", "yx", "dzyx"}},
	{Passport, []string{"护照", "通行证", "台胞证", "回乡证", "passport", "permit", "hzhm"}},
	{LicensePlate, []string{"车牌", "号牌", "牌照", "licenseplate", "plate", "plateno", "hphm", "cph"}},
	{IPAddress, []string{"ip", "ip地址", "ipaddress", "ipaddr", "clientip", "sourceip"}},
	{PersonName, []string{"姓名", "联系人", "法定代表人", "法人代表", "负责人", "申请人", "户主", "患者", "监护人", "经办人", "name", "fullname", "personname", "xm", "lxr", "fddbr"}},
	{Address, []string{"地址", "住址", "住所", "居住地", "户籍地", "通讯地址", "address", "addr", "dz", "zz", "jzd"}},
	{GeoCoord, []string{"经度", "纬度", "经纬度", "坐标", "lng", "lon", "longitude", "lat", "latitude", "coordinate", "coordinates", "gps", "jd", "wd"}},
	{DateOfBirth, []string{"出生", "生日", "birth", "birthday", "birthdate", "dob", "csrq"}},
	// "电话" and "phone" may hold mobiles or landlines: Phone is a pseudo-type for both.
	{phoneHint, []string{"电话", "联系方式", "phone", "phonenumber", "lxdh", "dh"}},
}

// phoneHint marks a header that names a telephone without saying which kind.
const phoneHint Type = "phone"

// notPersonName are header words that make "name" the name of something else.
var notPersonName = []string{"企业", "公司", "单位", "机构", "组织", "部门", "商户", "产品", "项目", "文件", "地名", "路名", "小区", "学校", "医院",
	"company", "org", "organization", "dept", "department", "product", "file", "project", "shop", "school", "hospital", "place", "street", "brand"}

// headerWords splits a header into lower-case ASCII words and keeps Han text whole.
func normalizeHeader(h string) (joined string, words []string) {
	h = strings.ToLower(strings.TrimSpace(h))
	words = strings.FieldsFunc(h, func(r rune) bool {
		return r == '_' || r == '-' || r == ' ' || r == '.' || r == '/' || r == '(' || r == ')' || r == '（' || r == '）'
	})
	return strings.Join(words, ""), words
}

// HeaderHint returns the type a column header names, or "" when it names none.
func HeaderHint(header string) Type {
	joined, words := normalizeHeader(header)
	if joined == "" {
		return ""
	}
	for _, h := range headerHints {
		for _, w := range h.words {
			if hintMatches(joined, words, w) {
				if h.t == PersonName && containsAnyFold(joined, notPersonName) {
					continue
				}
				return h.t
			}
		}
	}
	return ""
}

func hintMatches(joined string, words []string, w string) bool {
	if !isASCII(w) {
		return strings.Contains(joined, w)
	}
	if joined == w {
		return true
	}
	for _, x := range words {
		if x == w || (len(w) >= 4 && strings.HasSuffix(x, w)) || (len(w) >= 5 && strings.HasPrefix(x, w)) {
			return true
		}
	}
	return false
}

func containsAnyFold(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// categoryHints name, per sensitive category, header words that mark a
// column as holding that kind of sensitive personal information.
var categoryHints = []struct {
	c     Category
	words []string
}{
	{CatHealth, []string{"疾病", "诊断", "病历", "病史", "病情", "健康", "体检", "传染病", "残疾", "过敏", "用药", "处方", "diagnosis", "disease", "medical", "health", "illness", "icd"}},
	{CatReligion, []string{"宗教", "信仰", "religion", "faith"}},
	{CatBiometric, []string{"指纹", "人脸", "面部", "虹膜", "声纹", "掌纹", "基因", "步态", "fingerprint", "face", "iris", "biometric", "dna", "gene"}},
	{CatFinancial, []string{"收入", "工资", "薪资", "存款", "余额", "贷款", "信贷", "征信", "流水", "负债", "salary", "income", "balance", "loan", "credit", "debt"}},
	{CatLocation, []string{"轨迹", "行踪", "行程", "定位", "位置", "trajectory", "track", "trace", "location", "gps"}},
	{CatMinor, []string{"未成年", "儿童", "幼儿", "婴儿", "新生儿", "小学", "初中", "minor", "child", "children", "pupil", "infant"}},
	{CatIdentity, []string{"犯罪", "前科", "刑事", "违法记录", "服刑", "戒毒", "criminal", "conviction", "offence", "offense"}},
}

// HeaderCategory returns the sensitive category a column header names, or "".
func HeaderCategory(header string) Category {
	joined, words := normalizeHeader(header)
	for _, h := range categoryHints {
		for _, w := range h.words {
			if hintMatches(joined, words, w) {
				return h.c
			}
		}
	}
	return ""
}
