package i18n

import (
	"fmt"
	"strconv"
	"strings"
)

// Problem returns the text of a problem's code (validate.FieldError.Code,
// problem.Problem.Code) in lang, with its args in place of {1}, {2}, ...;
// {1:row} shows a 0-based item row 1-based. ok is false for a code the
// catalog does not know.
func Problem(lang, code string, args []any) (text string, ok bool) {
	t, ok := problems[code]
	if !ok || code == "" {
		return "", false
	}
	s := t.zh
	if lang == English {
		s = t.en
	}
	for i, a := range args {
		n := strconv.Itoa(i + 1)
		if strings.Contains(s, "{"+n+":row}") {
			row, _ := strconv.Atoi(fmt.Sprint(a))
			s = strings.ReplaceAll(s, "{"+n+":row}", strconv.Itoa(row+1))
		}
		s = strings.ReplaceAll(s, "{"+n+"}", fmt.Sprint(a))
	}
	return s, true
}

// problems is the text of every problem code. Generic codes (validate's
// Code constants) come first; the rest are specific to one rule.
var problems = map[string]text{
	// Generic.
	"required":       {"不能为空", "is required"},
	"max_len":        {"不能超过 {1} 个字符（现有 {2} 个）", "must be at most {1} characters (got {2})"},
	"one_of":         {"请从给定选项中选择", "must be one of the choices offered"},
	"too_many":       {"最多 {1} 项", "at most {1}"},
	"range":          {"必须在 {1} 到 {2} 之间", "must be between {1} and {2}"},
	"at_least":       {"不能小于 {1}", "must be at least {1}"},
	"integer":        {"必须是整数", "must be a whole number"},
	"number":         {"必须是数字", "must be a number"},
	"numbers":        {"必须是用逗号分隔的数字", "must be numbers separated by commas"},
	"date":           {"不是有效日期，格式为 YYYY-MM-DD", "must be a date written YYYY-MM-DD"},
	"email":          {"不是有效的电子邮箱地址", "is not an email address"},
	"duplicate":      {"重复列出", "is listed twice"},
	"unknown":        {"不存在", "does not exist"},
	"cursor":         {"分页参数无效，请回到第一页", "is not a cursor from a previous page"},
	"invalid_format": {"格式不正确", "is not in the expected form"},
	"at_least_one":   {"至少需要一项", "at least one is required"},
	"not_negative":   {"不能为负数", "cannot be negative"},
	"after_start":    {"不能早于开始日期", "cannot be before the start"},
	"unique":         {"不能为空，也不能重复", "must be present and unique"},

	// Catalog.
	"share_basis":           {"不予共享时必须填写依据：引用禁止共享的法律、法规或政策", "is required when share_type is none: cite the law, regulation or policy that forbids sharing"},
	"open_basis":            {"不予开放时必须填写不予开放的依据", "is required when open_type is none: cite the basis for not opening"},
	"more_open_than_shared": {"开放程度不能高于共享程度", "cannot be more open to the public than the resource is shared between institutions"},
	"core_not_open":         {"核心数据必须不予开放", "must be none for core data"},
	"item_name":             {"必须以小写字母开头，只含小写字母、数字和下划线（最多 63 个字符）", "must start with a lower-case letter and hold only lower-case letters, digits and '_' (at most 63)"},
	"duplicate_name":        {"与第 {1:row} 行的字段名重复", "duplicates the name in row {1:row}"},
	"decimal_only":          {"只适用于小数类型，且不能为负数", "applies only to decimal items and cannot be negative"},
	"code_list":             {"代码型数据项必须填写代码表", "is required for an item of type code"},
	"return_comment":        {"退回时必须填写意见，说明需要修改的内容", "is required when returning a resource: say what to fix"},
	"no_organization":       {"机构不存在", "no such organization"},
	"subject_fixed":         {"创建后不能修改：它是目录编码 {1} 的一部分", "cannot change after creation: it is part of the catalog code {1}"},
	"retire_reason":         {"必须说明下线原因", "is required: say why the resource is retired"},
	"release_comment":       {"必须说明为什么这些问题不妨碍发布", "is required: say why the findings do not block publication"},
	"state":                 {"数据资源的当前状态不允许此操作", "not allowed in the resource's current status"},

	// Identity and accounts.
	"wrong_password":        {"与当前密码不符", "is not your current password"},
	"same_password":         {"不能与当前密码相同", "must differ from the current password"},
	"password_mismatch":     {"与密码不一致", "does not match the password"},
	"new_password_mismatch": {"与新密码不一致", "does not match the new password"},
	"password_changed":      {"密码刚被更改，请重新登录", "the password was changed meanwhile: sign in again"},
	"reset_code":            {"重置码无效，或已过期、已被使用", "is not a valid reset code, or it has expired or been used"},
	"min_len":               {"至少需要 {1} 个字符", "must be at least {1} characters"},
	"max_chars":             {"不能超过 {1} 个字符", "must be at most {1} characters"},
	"username":              {"必须是 3 至 32 个字符：小写字母、数字、“.”、“_”或“-”，以字母或数字开头", "must be 3–32 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter or digit"},
	"uscc_required":         {"该类机构必须填写", "is required for a {1}"},
	"uscc":                  {"不是有效的统一社会信用代码（{1}）", "is not a valid unified social credit code: {1}"},
	"org_code":              {"必须是 2 至 20 位大写字母或数字", "must be 2–20 upper-case letters or digits"},
	"region_code":           {"必须是 6 位行政区划代码（GB/T 2260）", "must be a 6-digit GB/T 2260 administrative division code"},
	"range_days":            {"必须在 {1} 到 {2} 天之间", "must be between {1} and {2} days"},
	"last_admin":            {"机构必须至少保留一名管理员：请先任命其他成员为管理员", "the organization must keep at least one admin: make another member admin first"},
	"last_sysadmin":         {"平台必须至少保留一名启用的系统管理员：请先把该角色授予其他用户", "the platform must keep at least one enabled sysadmin: give another user the role first"},
	"throttled":             {"尝试失败次数过多，请 {1} 秒后再试", "too many failed sign-ins: try again in {1} seconds"},
	"person_in_institution": {"是企业或个人账户：只有平台运营方可以把它加入公共机构", "is a company or person account: only a platform operator may add it to a public body"},
	"institution_in_person": {"属于公共机构：只有平台运营方可以把它加入企业或个人账户", "acts for a public body: only a platform operator may add it to a company or person account"},
	"platform_role_member":  {"持有平台角色：只有平台运营方可以把它加入机构", "holds a platform role: only a platform operator may add it to an organization"},
	"no_user":               {"用户不存在", "no such user"},
	"taken":                 {"已被占用", "is already taken"},
	"actor_person":          {"只有审计和监管人员可以按操作人检索", "is a person: only auditors and regulators search by who acted"},

	// Sharing, opening, grants and access.
	"not_published":          {"不是已发布的数据资源", "is not a published resource"},
	"own_resource":           {"属于本单位，无需申请", "belongs to your own institution: no request is needed"},
	"not_member":             {"不是您所属的单位", "is not an institution you belong to"},
	"sharing_institutions":   {"共享仅限政务部门之间；企业和个人请申请有条件开放数据", "sharing is between public institutions: companies and persons apply for conditionally open data instead"},
	"not_item":               {"不是本资源的数据项", "is not a data item of this resource"},
	"reject_comment":         {"不同意时必须说明理由", "is required when rejecting: say why"},
	"not_applicant":          {"不是您所代表的企业或个人账户", "is not a company or person account you act for"},
	"company_uscc":           {"企业须以统一社会信用代码申请，请先登记", "a company applies with its unified social credit code: register it first"},
	"institution_shares":     {"政务部门请通过共享申请获取数据", "public institutions request sharing instead of applying for open data"},
	"open_to_all":            {"已无条件开放，无需申请", "is open to everyone: no application is needed"},
	"not_open":               {"不予开放：{1}", "is not open to the public: {1}"},
	"grant_revoked":          {"授权已被撤销", "grant is already revoked"},
	"denied":                 {"无权访问：{1}", "access denied: {1}"},
	"rate_limited":           {"请求过于频繁，请稍后再试", "too many requests: try again later"},
	"other_provider":         {"属于其他机构：一项授权只能包含同一提供方的数据资源", "belongs to another institution: one grant covers one provider's resources"},
	"row_filter":             {"行过滤条件无效：{1}", "{1}"},
	"not_own_resource":       {"不是本单位的数据资源", "is not a resource of this institution"},
	"within_year":            {"必须在 {1} 年内", "must fall within {1}"},
	"list_empty":             {"公布前清单至少需要一个计划项", "a list needs at least one item before it is published"},
	"list_published":         {"{1} 年度开放清单已公布，不能再修改", "the {1} open list is published and can no longer be changed"},
	"list_items_draft":       {"开放清单已公布，不能再添加计划项", "the open list is published: items can no longer be added"},
	"list_already_published": {"开放清单已经公布", "the open list is already published"},

	// Data: queries, settings and quality rules.
	"not_readable":    {"不是您可以读取的数据项", "is not an item you may read"},
	"deid_sort":       {"{1} 经去标识化后提供给您，不能按它排序", "{1} is served de-identified to you, so rows cannot be sorted by it"},
	"deid_filter":     {"{1} 经去标识化后提供给您，不能按它筛选", "{1} is served de-identified to you, so rows cannot be filtered by it"},
	"filter_value":    {"值无效：{1}", "{1}"},
	"one_value":       {"运算符 {1} 只接受一个值", "operator {1} takes exactly one value"},
	"too_many_words":  {"含 {1} 个词，最多检索 {2} 个", "has {1} words; at most {2} are searched"},
	"no_text_search":  {"没有可以全文检索的数据项：文本数据项经去标识化后提供给您，或者没有文本数据项", "no item you may read can be searched as text: the text items are served de-identified to you, or there are none"},
	"sort_syntax":     {"请写数据项名称，后跟 asc 或 desc", "write an item, then asc or desc"},
	"sort_direction":  {"排序方向必须是 asc 或 desc", "direction must be asc or desc"},
	"filters_object":  {"必须是数据项名称到值的对象", "must be an object of item names to values"},
	"too_many_values": {"总共最多 {1} 个值（现有 {2} 个）", "hold at most {1} values in all (these hold {2})"},
	"items_json":      {"必须是数据项的 JSON 列表：{1}", "must be a JSON list of data items: {1}"},
	"extras_list":     {"必须是 {key, value} 的列表", "must be a list of {key, value}"},
	"rule_syntax":     {"格式须为“数据项: 表达式”，可在后面加“| 提示”", "must be ITEM: EXPRESSION, optionally followed by | MESSAGE"},
	"cel_syntax":      {"不是有效的 CEL 表达式：{1}", "is not a valid CEL expression: {1}"},
	"expression":      {"表达式无效：{1}", "{1}"},
	"expression_bool": {"结果必须是 true 或 false，而不是 {1}", "must be true or false, not {1}"},
	"expression_run":  {"无法运行：{1}", "cannot run: {1}"},

	// Classification and de-identification.
	"grade_reason":       {"必须填写理由，说明为什么与规则定级不同（至少 5 个字）", "is required: write why the grade differs from the rules' (at least 5 characters)"},
	"grade_stricter":     {"单位管理员只能调高分级，不能调低", "an institution's admin may only make the grade stricter, never weaker"},
	"not_column":         {"不是样例数据中的字段", "is not a column of the table (columns: {1})"},
	"in_other_role":      {"已在其他角色中", "is already in {1}"},
	"sensitive_required": {"l-多样性需要至少一个敏感属性字段", "l-diversity and t-closeness need at least one sensitive attribute"},
	"range_below":        {"必须不小于 {1} 且小于 {2}", "must be at least {1} and below {2}"},
	"qi_operator":        {"准标识符由系统搜索泛化，处理方式须为“保留”，请改为设定泛化层级", "a quasi-identifier is generalised by the search; give it a hierarchy instead of an operator"},
	"keep_negative":      {"保留位数不能为负数", "keep_first and keep_last cannot be negative"},
	"hex_length":         {"必须是 {1} 至 {2} 个十六进制字符", "must be between {1} and {2} hex characters"},
	"top_bottom":         {"顶部/底部编码须设定上限、下限或两者", "top_bottom needs top, bottom or both"},
	"hierarchy_one":      {"须且只能设定一种层级", "give exactly one of a file name, csv text or a type"},
	"hierarchy_widths":   {"区间宽度和层级数只适用于数值区间和掩码层级：层级文件或 CSV 文本自带层级", "widths and levels belong to the interval and mask types: a hierarchy file or csv text has its own levels"},
	"increasing":         {"必须为正数且逐级增大", "must be positive and increasing"},
	"hierarchy_file":     {"已保存的方案不能读取文件：请以 CSV 文本或内置类型设定层级", "a stored profile cannot read files: give the hierarchy as csv text or a built-in type"},
	"profile_name":       {"本资源已有同名方案", "the resource already has a profile of this name"},
	"no_solution":        {"在允许的删除比例内，没有任何泛化方案能满足隐私模型：请放宽 k、l 或提高最大删除比例", "no generalisation satisfies the privacy model within the suppression limit"},
	"lattice_too_large":  {"泛化空间过大：请减少准标识符或层级数", "the generalisation lattice is too large: use fewer quasi-identifiers or fewer hierarchy levels"},
	"sample":             {"样例数据无法读取：{1}", "{1}"},
}
