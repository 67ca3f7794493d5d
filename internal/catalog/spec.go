package catalog

// The catalog spec: the code lists every institution fills its resources in
// with. Codes are stable identifiers; labels are for display.

// Label is a code's display name in Chinese and English.
type Label struct {
	Code string `json:"code"`
	Zh   string `json:"zh"`
	En   string `json:"en"`
}

// Subjects are the subject categories (主题分类); the code goes into catalog codes.
var Subjects = []Label{
	{"01", "经济建设", "Economy"},
	{"02", "财税金融", "Finance and taxation"},
	{"03", "信用服务", "Credit"},
	{"04", "交通服务", "Transport"},
	{"05", "医疗健康", "Health"},
	{"06", "教育科研", "Education and research"},
	{"07", "文化休闲", "Culture and leisure"},
	{"08", "旅游住宿", "Tourism"},
	{"09", "生态环境", "Ecology and environment"},
	{"10", "城建住房", "Urban construction and housing"},
	{"11", "社会保障", "Social security"},
	{"12", "劳动就业", "Employment"},
	{"13", "民政服务", "Civil affairs"},
	{"14", "公共安全", "Public safety"},
	{"15", "安全生产", "Work safety"},
	{"16", "农业农村", "Agriculture and rural affairs"},
	{"17", "市场监管", "Market regulation"},
	{"18", "机构团体", "Organizations"},
	{"19", "地理空间", "Geospatial"},
	{"20", "统计数据", "Statistics"},
	{"21", "生活服务", "Daily life services"},
	{"22", "科技创新", "Science and innovation"},
}

// Industries are the GB/T 4754-2017 industry sections (行业分类).
var Industries = []Label{
	{"A", "农、林、牧、渔业", "Agriculture, forestry, animal husbandry and fishery"},
	{"B", "采矿业", "Mining"},
	{"C", "制造业", "Manufacturing"},
	{"D", "电力、热力、燃气及水生产和供应业", "Electricity, heat, gas and water"},
	{"E", "建筑业", "Construction"},
	{"F", "批发和零售业", "Wholesale and retail"},
	{"G", "交通运输、仓储和邮政业", "Transport, storage and post"},
	{"H", "住宿和餐饮业", "Accommodation and catering"},
	{"I", "信息传输、软件和信息技术服务业", "Information technology services"},
	{"J", "金融业", "Finance"},
	{"K", "房地产业", "Real estate"},
	{"L", "租赁和商务服务业", "Leasing and business services"},
	{"M", "科学研究和技术服务业", "Scientific research and technical services"},
	{"N", "水利、环境和公共设施管理业", "Water, environment and public facilities"},
	{"O", "居民服务、修理和其他服务业", "Resident and other services"},
	{"P", "教育", "Education"},
	{"Q", "卫生和社会工作", "Health and social work"},
	{"R", "文化、体育和娱乐业", "Culture, sports and entertainment"},
	{"S", "公共管理、社会保障和社会组织", "Public administration and social organizations"},
	{"T", "国际组织", "International organizations"},
}

// Formats are the distribution formats a resource may declare.
var Formats = []string{"CSV", "XLSX", "JSON", "XML", "API", "PDF", "GeoJSON", "SHP", "Parquet", "RDF"}

// ShareType says whether and how a resource is shared between institutions.
type ShareType string

// OpenType says whether and how a resource is opened to the public.
type OpenType string

// Share and open types.
const (
	ShareUnconditional ShareType = "unconditional" // 无条件共享
	ShareConditional   ShareType = "conditional"   // 有条件共享
	ShareNone          ShareType = "none"          // 不予共享
	OpenUnconditional  OpenType  = "unconditional" // 无条件开放
	OpenConditional    OpenType  = "conditional"   // 有条件开放
	OpenNone           OpenType  = "none"          // 不予开放
)

// ShareTypes and OpenTypes list the types from most to least permissive.
var (
	ShareTypes = []ShareType{ShareUnconditional, ShareConditional, ShareNone}
	OpenTypes  = []OpenType{OpenUnconditional, OpenConditional, OpenNone}
)

// Classification is a resource's class under GB/T 43697.
type Classification string

// Classes.
const (
	ClassGeneral   Classification = "general"   // 一般数据
	ClassImportant Classification = "important" // 重要数据
	ClassCore      Classification = "core"      // 核心数据
)

// Classifications lists the classes, least sensitive first.
var Classifications = []Classification{ClassGeneral, ClassImportant, ClassCore}

// Frequency is how often a resource is updated.
type Frequency string

// Update frequencies.
const (
	FreqRealtime  Frequency = "realtime"
	FreqDaily     Frequency = "daily"
	FreqWeekly    Frequency = "weekly"
	FreqMonthly   Frequency = "monthly"
	FreqQuarterly Frequency = "quarterly"
	FreqYearly    Frequency = "yearly"
	FreqIrregular Frequency = "irregular"
)

// Frequencies lists the update frequencies, most frequent first.
var Frequencies = []Frequency{FreqRealtime, FreqDaily, FreqWeekly, FreqMonthly, FreqQuarterly, FreqYearly, FreqIrregular}

// ItemType is the type of a data item's values.
type ItemType string

// Item types.
const (
	TypeInteger  ItemType = "integer"
	TypeDecimal  ItemType = "decimal"
	TypeText     ItemType = "text"
	TypeDate     ItemType = "date"
	TypeDatetime ItemType = "datetime"
	TypeBoolean  ItemType = "boolean"
	TypeCode     ItemType = "code" // value from the item's code list
)

// ItemTypes lists the item types.
var ItemTypes = []ItemType{TypeInteger, TypeDecimal, TypeText, TypeDate, TypeDatetime, TypeBoolean, TypeCode}

// Status is where a resource is in its lifecycle.
type Status string

// Lifecycle states: draft → submitted → published | returned; returned →
// submitted; published → retired.
const (
	StatusDraft     Status = "draft"
	StatusSubmitted Status = "submitted"
	StatusPublished Status = "published"
	StatusReturned  Status = "returned"
	StatusRetired   Status = "retired"
)

// Statuses lists every state.
var Statuses = []Status{StatusDraft, StatusSubmitted, StatusPublished, StatusReturned, StatusRetired}

// SubjectLabel returns the label of a subject code (zero Label when unknown).
func SubjectLabel(code string) Label { return find(Subjects, code) }

// IndustryLabel returns the label of an industry code (zero Label when unknown).
func IndustryLabel(code string) Label { return find(Industries, code) }

func find(list []Label, code string) Label {
	for _, l := range list {
		if l.Code == code {
			return l
		}
	}
	return Label{}
}

func codes(list []Label) []string {
	out := make([]string, len(list))
	for i, l := range list {
		out[i] = l.Code
	}
	return out
}
