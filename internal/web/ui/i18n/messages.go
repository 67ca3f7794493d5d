// Package i18n is the UI's translation catalog: every string of the pages
// in Chinese and English, and the text of every field problem's code.
package i18n

import (
	"fmt"
	"slices"
	"strings"
)

// English is the alternative language; every other value of lang is
// Chinese, the default (the values session.Lang returns).
const English = "en"

// text is one UI string in both languages.
type text struct{ zh, en string }

// T returns the string key in lang, formatted with args when given. A
// missing key shows as itself (the template test fails on any).
func T(lang, key string, args ...any) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	s := m.zh
	if lang == English {
		s = m.en
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Has reports whether key is in the message table.
func Has(key string) bool {
	_, ok := messages[key]
	return ok
}

// The tables kept beside the pages they serve join messages when the
// package loads, in this order: a key already there keeps its text, except
// that the access pages' table overrides the general one.
func init() {
	for k, v := range accessMessages {
		messages[k] = v
	}
	for _, table := range []map[string]text{accountMessages, classifyMessages, ledgerMessages, accountEvents, dataMessages, jobMessages, harvestMessages, outboxMessages, helpMessages, registerMessages, datasetMessages, discoveryMessages, deskMessages, cockpitMessages, engageMessages, searchMessages, exchangeMessages} {
		for k, v := range table {
			if _, taken := messages[k]; !taken {
				messages[k] = v
			}
		}
	}
}

// Keys returns, sorted, the rest of every key that starts with prefix
// ("event." gives the event types the table names).
func Keys(prefix string) []string {
	var out []string
	for key := range messages {
		if rest, ok := strings.CutPrefix(key, prefix); ok {
			out = append(out, rest)
		}
	}
	slices.Sort(out)
	return out
}

// Lookup returns both languages of key, for tests that check the table.
func Lookup(key string) (zh, en string, ok bool) {
	m, ok := messages[key]
	return m.zh, m.en, ok
}

// messages is every UI string. Keys of code lists are "<list>.<code>" so
// that templates can translate a value with {{code "status" .Status}}.
var messages = map[string]text{
	// Layout.
	"site.name":      {"京华市公共数据开放平台", "Jinghua Public Data Open Platform"},
	"site.tagline":   {"公共数据目录 · 共享 · 开放", "Public data catalog, sharing and opening"},
	"skip":           {"跳到主要内容", "Skip to main content"},
	"nav.label":      {"主导航", "Main navigation"},
	"nav.home":       {"首页", "Home"},
	"nav.catalog":    {"数据目录", "Data catalog"},
	"nav.orgs":       {"机构", "Organizations"},
	"nav.my":         {"我的工作台", "My work"},
	"nav.review":     {"审核", "Review"},
	"nav.account":    {"账户", "Account"},
	"nav.login":      {"登录", "Sign in"},
	"nav.logout":     {"退出", "Sign out"},
	"nav.signed_in":  {"已登录：%s", "Signed in as %s"},
	"lang.other":     {"English", "中文"},
	"lang.other_tag": {"en", "zh-CN"},
	"lang.other_to":  {"en", "zh"},
	"lang.label":     {"切换语言", "Change language"},
	"footer.text":    {"本平台依据《京华市数字经济促进条例》建设运行，由京华市大数据中心负责运营维护。", "Run under the Jinghua Municipal Digital Economy Promotion Regulations by the Jinghua Big Data Center."},
	"footer.api":     {"开发者接口", "Developer API"},
	"notice.done":    {"操作成功", "Success"},
	"yes":            {"是", "Yes"},
	"no":             {"否", "No"},
	"none":           {"—", "—"},
	"never":          {"从未", "Never"},

	// Home.
	"home.title":       {"首页", "Home"},
	"home.heading":     {"查找公共数据", "Find public data"},
	"home.lead":        {"检索本市公共机构编目、共享和开放的数据资源。", "Search the data resources that the city's public institutions catalog, share and open."},
	"search.label":     {"搜索数据资源", "Search data resources"},
	"search.button":    {"搜索", "Search"},
	"counts.heading":   {"平台概况", "At a glance"},
	"counts.published": {"已发布数据资源", "Published resources"},
	"counts.orgs":      {"提供数据的机构", "Institutions providing data"},
	"counts.items":     {"数据项", "Data items"},
	"counts.open_all":  {"无条件开放的资源", "Resources open to all"},
	"counts.open_cond": {"有条件开放的资源", "Resources open on application"},
	"home.newest":      {"最新发布", "Newest resources"},
	"home.browse":      {"浏览全部数据资源", "Browse all resources"},
	"empty.resources":  {"没有符合条件的数据资源。", "No resources match."},

	// Catalog.
	"catalog.title":   {"数据目录", "Data catalog"},
	"catalog.lead":    {"已发布的公共数据资源。", "Published public data resources."},
	"catalog.filters": {"筛选条件", "Filters"},
	"catalog.results": {"数据资源", "Resources"},

	// Search page and dataset page (the open data portal).
	"search.placeholder":        {"例如：公交、医疗机构、空气质量", "e.g. bus, hospitals, air quality"},
	"search.count":              {"%d 项", "%d resources"},
	"search.found":              {"共 %d 个数据资源", "%d resources"},
	"search.found_q":            {"找到 %d 个与“%s”相关的数据资源", "%d resources match “%s”"},
	"search.sort":               {"排序", "Sort by"},
	"search.to_filters":         {"筛选 ↓", "Filters ↓"},
	"search.sort_apply":         {"排序", "Sort"},
	"sort.relevance":            {"相关度", "Relevance"},
	"sort.newest":               {"最近更新", "Recently updated"},
	"sort.name":                 {"名称", "Name"},
	"search.chosen":             {"已选筛选条件", "Filters in use"},
	"search.remove":             {"移除筛选条件", "Remove filter"},
	"search.updated":            {"更新于", "Updated"},
	"search.empty_hint":         {"请尝试更少或更宽泛的关键词，或清除筛选条件。", "Try fewer or broader words, or clear the filters."},
	"search.machine":            {"机器可读：", "Machine-readable:"},
	"resource.facts":            {"概要", "At a glance"},
	"resource.freq_is":          {"%s更新", "Updated %s"},
	"access.title":              {"如何获取", "How to get it"},
	"access.open":               {"向社会开放", "Open to the public"},
	"access.share":              {"在公共机构间共享", "Shared between institutions"},
	"access.examples":           {"接口调用示例", "API examples"},
	"access.examples_hint":      {"本平台兼容 CKAN 接口和 DCAT-AP，现有的开放数据工具可直接使用。", "The platform speaks the CKAN API and DCAT-AP, so existing open data tools work unchanged."},
	"access.formats":            {"元数据的其他格式", "This description in other formats"},
	"access.ckan":               {"CKAN 接口（JSON）", "CKAN API (JSON)"},
	"access.dcat":               {"DCAT-AP 3", "DCAT-AP 3"},
	"access.distributions":      {"数据格式", "Formats"},
	"access.distribution_of":    {"格式的“%s”", "distribution of “%s”"},
	"terms.open.unconditional":  {"任何单位和个人都可以直接获取和使用这份数据，无需申请。", "Anyone may get and use this data directly, without applying."},
	"terms.open.conditional":    {"需要向提供机构提出申请、说明用途，获批后在约定的范围和期限内使用。", "You apply to the providing institution and say what it is for; once approved, you use it within the agreed scope and period."},
	"terms.open.none":           {"这份数据不向社会开放。", "This data is not open to the public."},
	"terms.share.unconditional": {"其他公共机构可以直接共享使用。", "Other public institutions may use it directly."},
	"terms.share.conditional":   {"其他公共机构需按条件申请共享。", "Other public institutions apply to use it, on conditions."},
	"terms.share.none":          {"不与其他公共机构共享。", "It is not shared with other public institutions."},
	"terms.basis":               {"依据或条件：", "Basis or conditions: "},
	"history.revised":           {"修订", "Revised"},
	"org.search":                {"在数据目录中查看和筛选", "Search and filter them in the catalog"},
	"org.count":                 {"已发布数据资源", "Published resources"},
	"col.resources":             {"数据资源", "Resources"},
	"filter.q":                  {"关键词", "Keywords"},
	"filter.any":                {"全部", "Any"},
	"filter.apply":              {"应用筛选", "Apply filters"},
	"filter.clear":              {"清除筛选", "Clear filters"},
	"pager.label":               {"分页", "Pagination"},
	"pager.next":                {"下一页", "Next page"},
	"pager.first":               {"回到第一页", "First page"},

	// Table columns.
	"col.code":     {"目录编码", "Code"},
	"col.title":    {"名称", "Title"},
	"col.org":      {"机构", "Institution"},
	"col.open":     {"开放类型", "Open type"},
	"col.freq":     {"更新频率", "Update frequency"},
	"col.status":   {"状态", "Status"},
	"col.updated":  {"更新时间", "Updated"},
	"col.name":     {"名称", "Name"},
	"col.kind":     {"类型", "Kind"},
	"col.region":   {"行政区划代码", "Region code"},
	"col.role":     {"我的角色", "My role"},
	"col.prefix":   {"前缀", "Prefix"},
	"col.created":  {"创建时间", "Created"},
	"col.expires":  {"到期时间", "Expires"},
	"col.lastused": {"最近使用", "Last used"},
	"col.action":   {"操作", "Action"},

	// Resource fields.
	"field.code":             {"目录编码", "Catalog code"},
	"field.organization_id":  {"所属机构", "Institution"},
	"field.title_zh":         {"资源名称（中文）", "Title (Chinese)"},
	"field.title_en":         {"资源名称（英文）", "Title (English)"},
	"field.description_zh":   {"资源摘要（中文）", "Description (Chinese)"},
	"field.description_en":   {"资源摘要（英文）", "Description (English)"},
	"field.subject":          {"主题分类", "Subject"},
	"field.industry":         {"行业分类", "Industry"},
	"field.keywords":         {"关键词", "Keywords"},
	"field.formats":          {"数据格式", "Formats"},
	"field.update_frequency": {"更新频率", "Update frequency"},
	"field.share_type":       {"共享类型", "Share type"},
	"field.share_basis":      {"共享条件或不予共享依据", "Share conditions or basis"},
	"field.open_type":        {"开放类型", "Open type"},
	"field.open_basis":       {"开放条件或不予开放依据", "Open conditions or basis"},
	"field.classification":   {"数据分类", "Classification"},
	"field.level":            {"数据分级", "Level"},
	"field.personal_info":    {"包含个人信息", "Contains personal information"},
	"field.source_system":    {"来源系统", "Source system"},
	"field.contact_name":     {"联系人", "Contact name"},
	"field.contact_phone":    {"联系电话", "Contact phone"},
	"field.contact_email":    {"联系邮箱", "Contact email"},
	"field.items":            {"数据项", "Data items"},
	"field.status":           {"状态", "Status"},
	"field.version":          {"版本", "Version"},
	"field.created_at":       {"创建时间", "Created"},
	"field.updated_at":       {"更新时间", "Updated"},
	"field.published_at":     {"发布时间", "Published"},
	"field.review_comment":   {"审核意见", "Review comment"},
	"field.decision":         {"审核结论", "Decision"},
	"field.comment":          {"审核意见", "Comment"},
	"field.reason":           {"下线原因", "Reason"},
	"field.name":             {"令牌名称", "Token name"},
	"field.expires_in_days":  {"有效期（天）", "Valid for (days)"},
	"field.cursor":           {"分页参数", "Page cursor"},
	"field.username":         {"用户名", "Username"},
	"field.password":         {"密码", "Password"},
	"field.display_name":     {"姓名", "Name"},
	"field.email":            {"电子邮箱", "Email"},
	"field.platform_roles":   {"平台角色", "Platform roles"},
	"field.kind":             {"机构类型", "Kind"},
	"field.name_zh":          {"中文名称", "Name (Chinese)"},
	"field.name_en":          {"英文名称", "Name (English)"},
	"field.uscc":             {"统一社会信用代码", "Unified social credit code"},
	"field.org_code":         {"机构代码", "Organization code"},
	"field.region_code":      {"行政区划代码", "Region code"},
	"field.website":          {"网站", "Website"},
	"field.description":      {"简介", "Description"},

	// Item fields.
	"item.row":         {"数据项第 %d 行", "Item row %d"},
	"item.name":        {"字段名", "Name"},
	"item.label_zh":    {"中文名称", "Label (Chinese)"},
	"item.type":        {"数据类型", "Type"},
	"item.length":      {"长度", "Length"},
	"item.precision":   {"精度", "Precision"},
	"item.size":        {"长度/精度", "Length / precision"},
	"item.description": {"说明", "Description"},
	"item.required":    {"必填", "Required"},
	"item.key":         {"主键", "Key"},
	"item.code_list":   {"代码表", "Code list"},

	// Hints.
	"hint.keywords":      {"用逗号或顿号分隔，最多 20 个。", "Separate with commas; at most 20."},
	"hint.formats":       {"选择提供数据的格式。", "Choose the formats the data is provided in."},
	"hint.code_list":     {"代码型数据项必填，格式：代码=名称; 代码=名称", "Needed for code items. Format: code=label; code=label"},
	"hint.items":         {"每行一个数据项。字段名和中文名称都为空的行会被忽略。字段名以小写字母开头，只含小写字母、数字和下划线。", "One item per row. Rows with neither name nor label are ignored. Names start with a lower-case letter and hold only lower-case letters, digits and _."},
	"hint.share_basis":   {"有条件共享时填写共享条件；不予共享时填写禁止共享的法律、法规或政策依据。", "For conditional sharing, the conditions; for no sharing, the law, regulation or policy that forbids it."},
	"hint.open_basis":    {"有条件开放时填写开放条件；不予开放时填写不予开放的依据。开放程度不能高于共享程度。", "For conditional opening, the conditions; for no opening, its basis. A resource cannot be more open than it is shared."},
	"hint.level":         {"按 GB/T 43697 定级，1 级最低，4 级最高。核心数据不予开放。", "Graded under GB/T 43697: 1 is lowest, 4 highest. Core data is never open."},
	"hint.subject_fixed": {"主题分类是目录编码的一部分，创建后不能修改。", "The subject is part of the catalog code and cannot change after creation."},
	"hint.expires":       {"1 到 366 天。", "1 to 366 days."},

	// Resource form.
	"form.new_title":        {"新建数据资源", "New data resource"},
	"form.edit_title":       {"编辑数据资源", "Edit data resource"},
	"form.section.basic":    {"基本信息", "Basic information"},
	"form.section.classify": {"分类", "Classification"},
	"form.section.share":    {"共享与开放", "Sharing and opening"},
	"form.section.security": {"安全分级", "Security grading"},
	"form.section.contact":  {"来源与联系人", "Source and contact"},
	"form.section.items":    {"数据项", "Data items"},
	"form.choose":           {"请选择", "Choose"},
	"form.optional":         {"（选填）", "(optional)"},
	"form.create":           {"保存为草稿", "Save as draft"},
	"form.save":             {"保存修改", "Save changes"},
	"form.add_rows":         {"增加数据项行", "Add item rows"},
	"form.cancel":           {"取消", "Cancel"},
	"form.level":            {"%d 级", "Level %d"},
	"errors.summary":        {"提交的内容有问题", "There is a problem"},

	// Resource page.
	"resource.metadata":           {"元数据", "Metadata"},
	"resource.items":              {"数据项", "Data items"},
	"resource.history":            {"变更记录", "History"},
	"resource.actions":            {"操作", "Actions"},
	"resource.no_items":           {"没有数据项。", "No data items."},
	"action.edit":                 {"编辑", "Edit"},
	"action.submit":               {"提交审核", "Submit for review"},
	"action.review":               {"审核", "Review"},
	"action.decide":               {"提交审核结论", "Record decision"},
	"action.retire":               {"下线", "Retire"},
	"action.retire_do":            {"下线该资源", "Retire this resource"},
	"decision.approve":            {"通过并发布", "Approve and publish"},
	"decision.return":             {"退回修改", "Return for changes"},
	"hint.comment":                {"退回时必填，说明需要修改的内容。", "Required when returning: say what to fix."},
	"hint.reason":                 {"说明下线原因，将记入变更记录。", "Say why; it is kept in the history."},
	"history.version":             {"版本", "Version"},
	"history.action":              {"操作", "Action"},
	"history.who":                 {"操作人", "By"},
	"history.when":                {"时间", "When"},
	"history.comment":             {"说明", "Comment"},
	"history.changes":             {"变更字段", "Changed fields"},
	"history.initial_description": {"初次编目（全部字段）", "First description (all fields)"},
	"history.someone":             {"平台用户", "Platform user"},
	"history.created":             {"创建", "Created"},
	"history.updated":             {"修改", "Updated"},
	"history.submitted":           {"提交审核", "Submitted"},
	"history.published":           {"审核通过并发布", "Approved and published"},
	"history.returned":            {"退回修改", "Returned"},
	"history.retired":             {"下线", "Retired"},

	// Done banners (?done=).
	"done.created":       {"数据资源草稿已创建。", "The draft resource was created."},
	"done.updated":       {"修改已保存。", "Your changes were saved."},
	"done.submitted":     {"已提交审核。", "Submitted for review."},
	"done.published":     {"已审核通过并发布。", "Approved and published."},
	"done.returned":      {"已退回修改。", "Returned for changes."},
	"done.retired":       {"已下线。", "Retired."},
	"done.token_revoked": {"令牌已吊销。", "The token was revoked."},
	"done.signed_out":    {"您已退出登录。", "You have signed out."},

	// Organizations.
	"orgs.title":    {"机构", "Organizations"},
	"orgs.lead":     {"在本平台登记的公共机构、企业和其他组织。", "Public institutions, companies and other bodies registered on the platform."},
	"orgs.empty":    {"没有机构。", "No organizations."},
	"org.details":   {"机构信息", "Details"},
	"org.resources": {"数据资源", "Data resources"},

	// My work.
	"my.title":        {"我的工作台", "My work"},
	"my.orgs":         {"我的机构", "My organizations"},
	"my.role":         {"我的角色：%s", "Your role: %s"},
	"my.new":          {"新建数据资源", "New data resource"},
	"my.no_orgs":      {"您不属于任何机构。", "You do not belong to any organization."},
	"my.review_queue": {"查看审核队列", "Open the review queue"},

	// Review queue.
	"review.title": {"审核队列", "Review queue"},
	"review.lead":  {"等待平台运营方审核的数据资源，最早提交的在前。", "Resources waiting for the platform operator's review, oldest first."},
	"review.empty": {"没有待审核的数据资源。", "Nothing is waiting for review."},

	// Account.
	"account.title":       {"账户", "Account"},
	"account.user":        {"用户信息", "Your details"},
	"tokens.heading":      {"API 令牌", "API tokens"},
	"tokens.lead":         {"令牌用于程序调用 /api/v1 接口，权限与您的账户相同。", "Tokens let programs call /api/v1 with your account's permissions."},
	"tokens.create":       {"创建令牌", "Create token"},
	"tokens.new":          {"新令牌", "Your new token"},
	"tokens.new_note":     {"请立即复制并妥善保存：令牌只显示这一次。", "Copy it now and keep it safe: it is shown only this once."},
	"tokens.empty":        {"还没有令牌。", "No tokens yet."},
	"tokens.revoke":       {"吊销", "Revoke"},
	"tokens.revoke_named": {"吊销令牌“%s”", "Revoke token “%s”"},
	"token.active":        {"有效", "Active"},
	"token.revoked":       {"已吊销", "Revoked"},
	"token.expired":       {"已过期", "Expired"},

	// Sign in.
	"login.title":  {"登录", "Sign in"},
	"login.submit": {"登录", "Sign in"},
	"login.failed": {"用户名或密码错误。", "The username or password is wrong."},

	// Errors.
	"error.400.title":    {"无法处理该请求", "Bad request"},
	"error.403.title":    {"没有权限", "Forbidden"},
	"error.403.text":     {"您无权进行此操作。", "You are not allowed to do this."},
	"error.404.title":    {"页面不存在", "Page not found"},
	"error.404.text":     {"找不到该页面或数据资源，或者您无权查看。", "There is no such page or resource, or you may not see it."},
	"error.409.title":    {"当前状态不允许此操作", "Not possible right now"},
	"error.409.text":     {"数据资源的当前状态不允许此操作，它可能刚被其他人处理过。", "The resource's current status does not allow this; someone may have just acted on it."},
	"error.413.title":    {"提交的内容过大", "Too much data"},
	"error.422.title":    {"输入有误", "Invalid input"},
	"error.429.title":    {"尝试次数过多", "Too many attempts"},
	"error.429.text":     {"请求过于频繁，请稍后再试。", "Too many requests. Please try again later."},
	"error.500.title":    {"系统出错", "Something went wrong"},
	"error.500.text":     {"系统出现问题，已记录。请稍后再试。", "The system had a problem, which has been logged. Please try again later."},
	"error.503.title":    {"服务暂时不可用", "Service unavailable"},
	"error.503.text":     {"系统繁忙，请稍后再试。", "The system is busy. Please try again later."},
	"error.csrf":         {"表单已失效或无法确认来自本站。请返回，刷新页面后重新提交。", "The form had expired or could not be confirmed as coming from this site. Go back, reload the page and try again."},
	"error.cross_origin": {"已拒绝来自其他网站的请求。", "A request from another site was refused."},
	"error.too_large":    {"提交的内容超过 1 MiB。", "The form sent more than 1 MiB."},
	"error.bad_request":  {"无法读取提交的表单。", "The form could not be read."},
	"error.detail":       {"详细信息", "Details"},
	"error.home":         {"返回首页", "Go to the home page"},

	// Code lists.
	"status.draft":     {"草稿", "Draft"},
	"status.submitted": {"待审核", "Submitted"},
	"status.published": {"已发布", "Published"},
	"status.returned":  {"已退回", "Returned"},
	"status.retired":   {"已下线", "Retired"},

	"share.unconditional": {"无条件共享", "Shared unconditionally"},
	"share.conditional":   {"有条件共享", "Shared on conditions"},
	"share.none":          {"不予共享", "Not shared"},
	"open.unconditional":  {"无条件开放", "Open to all"},
	"open.conditional":    {"有条件开放", "Open on application"},
	"open.none":           {"不予开放", "Not open"},

	"class.general":   {"一般数据", "General data"},
	"class.important": {"重要数据", "Important data"},
	"class.core":      {"核心数据", "Core data"},

	"freq.realtime":  {"实时", "Real time"},
	"freq.daily":     {"每日", "Daily"},
	"freq.weekly":    {"每周", "Weekly"},
	"freq.monthly":   {"每月", "Monthly"},
	"freq.quarterly": {"每季度", "Quarterly"},
	"freq.yearly":    {"每年", "Yearly"},
	"freq.irregular": {"不定期", "Irregular"},

	"itemtype.integer":  {"整数", "Integer"},
	"itemtype.decimal":  {"小数", "Decimal"},
	"itemtype.text":     {"文本", "Text"},
	"itemtype.date":     {"日期", "Date"},
	"itemtype.datetime": {"日期时间", "Date and time"},
	"itemtype.boolean":  {"布尔（是/否）", "Yes/no"},
	"itemtype.code":     {"代码", "Code"},

	"kind.institution": {"公共机构", "Public institution"},
	"kind.enterprise":  {"企业", "Enterprise"},
	"kind.individual":  {"个人", "Individual"},
	"kind.operator":    {"授权运营单位", "Authorised operator"},
	"kind.exchange":    {"数据交易机构", "Data exchange"},
	"kind.regulator":   {"监管部门", "Regulator"},

	"role.member": {"成员", "Member"},
	"role.editor": {"编辑", "Editor"},
	"role.admin":  {"管理员", "Administrator"},

	"platform.sysadmin":  {"系统管理员", "System administrator"},
	"platform.operator":  {"平台运营（目录审核）", "Platform operator (catalog review)"},
	"platform.regulator": {"监管", "Regulator"},
	"platform.auditor":   {"审计", "Auditor"},
	"platform.security":  {"安全管理员", "Security officer"},
}
