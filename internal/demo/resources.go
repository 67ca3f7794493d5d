package demo

import "dataport/internal/catalog"

// state is where a seeded resource ends up in the review workflow.
type state int

const (
	published state = iota // submitted and approved
	draft                  // created, not submitted
	submitted              // waiting in the review queue
	returned               // returned by the reviewer with note as the comment
	revised                // returned with note, fixed by revise, resubmitted and approved
	retired                // published, then retired by the institution's admin with note as the reason
)

// resourceSpec is one catalog resource of an institution and where it ends up.
type resourceSpec struct {
	org    string // organization code
	state  state
	note   string               // review comment or retirement reason
	revise func(*catalog.Input) // the fix made after a return (state revised)
	catalog.Input
}

// allResources lists every resource in creation order, institution by institution.
func allResources() []resourceSpec {
	var out []resourceSpec
	for _, list := range [][]resourceSpec{
		transportResources, healthResources, marketResources, environmentResources,
		educationResources, civilAffairsResources, planningResources, cultureResources,
		labourResources, housingResources, statisticsResources, securityResources,
	} {
		out = append(out, list...)
	}
	return out
}

// forOrg sets the institution of every spec in list.
func forOrg(orgCode string, list []resourceSpec) []resourceSpec {
	for i := range list {
		list[i].org = orgCode
	}
	return list
}

// Grading shorthands.
const (
	general   = catalog.ClassGeneral
	important = catalog.ClassImportant
	core      = catalog.ClassCore
)

// Share and open type shorthands.
const (
	shareAll  = catalog.ShareUnconditional
	shareCond = catalog.ShareConditional
	shareNone = catalog.ShareNone
	openAll   = catalog.OpenUnconditional
	openCond  = catalog.OpenConditional
	openNone  = catalog.OpenNone
)

// Bases shared by the resources that hold personal information.
const (
	personalShareBasis = "仅向依法履行职责的公共机构共享，须说明使用目的和法定依据并经本单位审核，按最小必要原则提供所需数据项；" +
		"依据《中华人民共和国个人信息保护法》第十三条、第三十四条，使用范围不得超出履行法定职责所必需的范围。"
	personalOpenBasis      = "含个人信息，依据《中华人民共和国个人信息保护法》第二十五条，个人信息处理者不得公开其处理的个人信息，不予开放。"
	sensitiveOpenBasis     = "含敏感个人信息（《中华人民共和国个人信息保护法》第二十八条），依据该法第二十五条不得公开，不予开放。"
	enforcementOpenBasis   = "属于行政执法案卷信息，依据《中华人民共和国政府信息公开条例》第十六条可不予公开；行政处罚决定按规定另行公示。"
	tradeSecretOpenBasis   = "涉及经营主体的商业秘密，依据《中华人民共和国政府信息公开条例》第十五条不予开放；汇总数据通过统计公报发布。"
	registeredAPIOpenBasis = "有条件开放：以接口方式提供，申请人须在公共数据开放平台实名注册、说明用途并签订数据使用协议，不得转售数据。"
)

// Item builders. Items are required unless wrapped in opt.

func text(name, label string, length int) catalog.Item {
	return catalog.Item{Name: name, LabelZh: label, Type: catalog.TypeText, Length: length, Required: true}
}

func integer(name, label string) catalog.Item {
	return catalog.Item{Name: name, LabelZh: label, Type: catalog.TypeInteger, Length: 10, Required: true}
}

func decimal(name, label string, length, precision int) catalog.Item {
	return catalog.Item{Name: name, LabelZh: label, Type: catalog.TypeDecimal, Length: length, Precision: precision, Required: true}
}

func date(name, label string) catalog.Item {
	return catalog.Item{Name: name, LabelZh: label, Type: catalog.TypeDate, Length: 10, Required: true}
}

func datetime(name, label string) catalog.Item {
	return catalog.Item{Name: name, LabelZh: label, Type: catalog.TypeDatetime, Length: 19, Required: true}
}

func boolean(name, label string) catalog.Item {
	return catalog.Item{Name: name, LabelZh: label, Type: catalog.TypeBoolean, Required: true}
}

func code(name, label string, list []catalog.Code) catalog.Item {
	n := 0
	for _, c := range list {
		n = max(n, len(c.Code))
	}
	return catalog.Item{Name: name, LabelZh: label, Type: catalog.TypeCode, Length: n, Required: true, CodeList: list}
}

// key marks an item as (part of) the key of the resource's records.
func key(it catalog.Item) catalog.Item { it.Key, it.Required = true, true; return it }

// opt marks an item as optional.
func opt(it catalog.Item) catalog.Item { it.Required = false; return it }

// desc adds a description to an item.
func desc(it catalog.Item, d string) catalog.Item { it.Description = d; return it }

// Common items.

func usccItem() catalog.Item {
	return desc(text("uscc", "统一社会信用代码", 18), "18位统一社会信用代码（GB 32100）")
}

func idNumber(name, label string) catalog.Item {
	return desc(text(name, label, 18), "18位公民身份号码（GB 11643）")
}

func month(name, label string) catalog.Item {
	return desc(text(name, label, 7), "格式为YYYY-MM")
}

func quarter(name, label string) catalog.Item {
	return desc(text(name, label, 6), "格式为YYYYQn，如2026Q1")
}

func district() catalog.Item { return code("district", "所在区", districtCodes()) }

func gender() catalog.Item { return code("gender", "性别", genderCodes) }

// codes builds a code list from alternating codes and labels.
func codes(pairs ...string) []catalog.Code {
	out := make([]catalog.Code, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, catalog.Code{Code: pairs[i], Label: pairs[i+1]})
	}
	return out
}

func districtCodes() []catalog.Code {
	out := make([]catalog.Code, len(districts))
	for i, d := range districts {
		out[i] = catalog.Code{Code: d.code, Label: d.name}
	}
	return out
}

// Shared code lists.
var (
	// genderCodes follow GB/T 2261.1.
	genderCodes = codes("0", "未知的性别", "1", "男性", "2", "女性", "9", "未说明的性别")
	// hospitalGrades are hospital grades (医院等级).
	hospitalGrades = codes("31", "三级甲等", "32", "三级乙等", "39", "三级未定等", "21", "二级甲等", "22", "二级乙等",
		"29", "二级未定等", "10", "一级", "90", "未定级")
	// licenceStatus is the state of a licence.
	licenceStatus = codes("1", "有效", "2", "注销", "3", "吊销", "4", "撤销")
	// landUse is the first level of GB/T 21010-2017.
	landUse = codes("01", "耕地", "02", "园地", "03", "林地", "04", "草地", "05", "商服用地", "06", "工矿仓储用地",
		"07", "住宅用地", "08", "公共管理与公共服务用地", "09", "特殊用地", "10", "交通运输用地", "11", "水域及水利设施用地", "12", "其他土地")
	// insuranceTypes are social insurance types (险种).
	insuranceTypes = codes("110", "企业职工基本养老保险", "210", "失业保险", "310", "职工基本医疗保险", "410", "工伤保险", "510", "生育保险")
	// caseParty is the kind of party of an enforcement case.
	caseParty = codes("1", "单位", "2", "个人")
)
