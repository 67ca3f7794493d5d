package i18n

// deskMessages are the strings of the desk pages, merged into messages at start.
var deskMessages = map[string]text{
	// The to-do list on the workspace, and the notices.
	"desk.todo.title":           {"待办事项", "To do"},
	"desk.todo.empty":           {"暂无待办事项。", "Nothing waits for you."},
	"desk.todo.returned":        {"审核退回", "Returned by review"},
	"desk.todo.reason":          {"退回理由：", "Reason: "},
	"desk.todo.due":             {"期限 ", "due "},
	"desk.todo.late":            {"开放清单逾期", "Open list item late"},
	"desk.todo.planned":         {"%d 年开放清单，计划 %s 开放", "open list %d, planned for %s"},
	"desk.todo.held":            {"数据暂缓发布", "Data held"},
	"desk.todo.held_why":        {"载入的数据检出个人信息，已暂缓对外提供：查看原因和处理办法。", "Personal information was found in the loaded data, so it is held back: see why and what to do."},
	"notify.resource.returned":  {"您机构的数据资源被审核退回，请按退回理由修改后重新提交", "A resource of your institution was returned by review: fix it as the reason says and submit it again"},
	"notify.resource.published": {"您机构的数据资源已通过审核并发布", "A resource of your institution passed review and is published"},
	"desk.unread":               {"条未读", " unread"},
	"desk.notice_dataset":       {"数据资源：", "Dataset: "},

	// Why a version is held.
	"desk.held.finding": {"“%s”列（%s）检出%s：抽查 %[5]d 个值，%[4]d 个符合。", "Column “%s” (%s) holds %s: %[4]d of %[5]d values checked match."},
	"desk.held.who":     {"在确认这些信息不是个人信息、或公开有法律依据之前，此版本不对外提供。可以放行的是：本机构的管理员和平台运营人员（在本页填写放行理由）。", "Until someone confirms the findings are not personal information, or that publishing them is lawful, this version is not served. Who may release it: the institution's admins and the platform operators (with a reason, on this page)."},
	"desk.held.admins":  {"本机构管理员：%s。", "The institution's admins: %s."},
	"desk.held.options": {"如果数据确实含有个人信息，您可以：", "If the data does hold personal information, you can:"},
	"desk.held.deid":    {"配置脱敏方案（如姓名打码、电话隐藏），对外只提供脱敏后的数据", "set a de-identification profile (names masked, phones hidden) so that only de-identified data is served"},
	"desk.held.declare": {"在资源信息中勾选“含个人信息”并说明依据，再重新上传", "tick “holds personal information” in the resource's details, say why, and upload again"},

	"desk.deid.preview_held": {"应用于暂缓发布的第 %d 版数据（检出个人信息）的结果，仅预览，不保存，仅本机构编辑和平台人员可见。", "The profile applied to version %d, held for personal information; nothing is stored, and only the institution's editors and platform staff see it."},

	// De-identification presets.
	"desk.preset.title":       {"按用途选择脱敏方案", "De-identify by purpose"},
	"desk.preset.hint":        {"选择数据的用途，系统按常用规则生成脱敏方案；已识别为个人信息的列已预先勾选。生成后可预览效果，也可再逐列调整。", "Choose what the data is for and a profile is made from the usual rules; the columns found to hold personal information are already ticked. Preview it afterwards, or adjust it column by column."},
	"desk.preset.purpose":     {"数据用途", "What the data is for"},
	"desk.preset.columns":     {"需要处理的列", "Columns to de-identify"},
	"desk.preset.age":         {"年龄", "age"},
	"desk.preset.create":      {"生成脱敏方案", "Make the profile"},
	"desk.preset.open_public": {"姓名只留姓氏、电话只留前三位、身份证号和银行卡号等证件账号删除、地址只留到区县、出生日期只留年份、年龄按 10 岁分段", "names keep the surname only, phones their first three digits, identity and bank card numbers are removed, addresses kept to the district, birth dates to the year, ages in bands of ten"},
	"desk.preset.share_gov":   {"姓名和电话保留，身份证号只显示前 6 位和后 4 位，银行卡号只显示后 4 位", "names and phones kept, identity numbers show their first 6 and last 4 characters, bank cards their last 4 digits"},
	"desk.preset.research":    {"姓名和证件号替换为假名（同一人同一假名），电话、邮箱删除，出生日期只留年份，年龄按 5 岁分段", "names and document numbers become pseudonyms (one person, one pseudonym), phones and e-mail removed, birth dates to the year, ages in bands of five"},
	"deidpreset.open_public":  {"向社会开放", "Open to the public"},
	"deidpreset.share_gov":    {"政务共享", "Shared with institutions"},
	"deidpreset.research":     {"科研分析", "Research"},

	// Quality rules from templates.
	"desk.rules.title":          {"从常用规则添加质量规则", "Add a quality rule from a template"},
	"desk.rules.hint":           {"选择数据项和规则，系统自动写出规则表达式并加入下方的质量规则；不符合的值按载入策略拒收或隔离。必填、唯一请在数据项中勾选“必填”“主键”。", "Choose an item and a rule: the rule's expression is written for you and added to the quality rules below; values that break it are refused or quarantined as the load policy says. For required and unique values tick “required” and “key” on the item."},
	"desk.rules.add":            {"添加规则", "Add the rule"},
	"field.rule_item":           {"数据项", "Item"},
	"field.rule_template":       {"规则", "Rule"},
	"field.rule_min":            {"最小值", "Minimum"},
	"field.rule_max":            {"最大值", "Maximum"},
	"field.rule_length":         {"最大长度", "Longest length"},
	"done.rule_added":           {"质量规则已添加，下次载入时生效。", "The quality rule was added; it applies from the next load."},
	"ruletemplate.range":        {"数值在最小值和最大值之间", "a number between the minimum and the maximum"},
	"ruletemplate.not_negative": {"不能为负数", "not negative"},
	"ruletemplate.max_length":   {"长度不超过最大长度", "no longer than the longest length"},
	"ruletemplate.resident_id":  {"有效的居民身份证号码（校验位正确）", "a valid resident ID number (check character)"},
	"ruletemplate.uscc":         {"有效的统一社会信用代码（校验位正确）", "a valid unified social credit code (check character)"},
	"ruletemplate.mobile":       {"有效的手机号码", "a valid mobile number"},
	"ruletemplate.email":        {"有效的电子邮箱地址", "a valid e-mail address"},
	"ruletemplate.postcode":     {"6 位邮政编码", "a 6-digit postcode"},

	// The resource form's sample file.
	"desk.sample.title":       {"从样例文件生成数据项", "Data items from a sample file"},
	"desk.sample.hint":        {"上传 CSV 或 XLSX 样例文件，系统按文件内容推断数据项（名称、类型、是否必填、个人信息），填入下方供您修改后再保存。表格上方的标题行、单位行会被自动跳过。", "Upload a CSV or XLSX sample: the data items (name, type, required, personal information) are inferred from its content and filled in below for you to edit before saving. Title and unit lines above the table are skipped."},
	"desk.sample.file":        {"样例文件", "Sample file"},
	"desk.sample.file_again":  {"（可另选文件）", "(or choose another file)"},
	"desk.sample.infer":       {"上传并生成数据项", "Upload and infer items"},
	"desk.sample.again":       {"按所选表头重新生成", "Infer again with the chosen header"},
	"desk.sample.inferred":    {"已根据 %s 的 %d 条记录生成数据项，请核对后保存。", "Items inferred from %[2]d records of %[1]s: check them, then save."},
	"desk.sample.partial":     {"（文件较大，仅分析了前面的记录）", "(a large file: only its first records were read)"},
	"desk.sample.personal":    {"以下列可能含有个人信息，已勾选“含个人信息”：%s。开放前请配置脱敏方案。", "These columns may hold personal information, so “holds personal information” is ticked: %s. Set a de-identification profile before opening the data."},
	"desk.sample.header_row":  {"表头所在行", "Header row"},
	"desk.sample.header_hint": {"系统已识别表头行（高亮）。如识别有误，请选择正确的一行后点击“按所选表头重新生成”。", "The header row found is highlighted. If it is wrong, choose the right row and press “Infer again with the chosen header”."},
	"desk.sample.pick":        {"选择", "Choose"},
	"desk.sample.row":         {"行号", "Row"},
	"desk.sample.row_n":       {"第 %d 行", "Row %d"},
	"desk.sample.cells":       {"内容", "Cells"},
	"desk.personal_column":    {"个人信息", "Personal information"},
	"field.sample_file":       {"样例文件", "Sample file"},

	// Personal information types (classify.Type), as findings name them.
	"pii.CN_RESIDENT_ID":   {"居民身份证号码", "resident ID numbers"},
	"pii.CN_USCC":          {"统一社会信用代码", "unified social credit codes"},
	"pii.CN_MOBILE":        {"手机号码", "mobile numbers"},
	"pii.CN_LANDLINE":      {"固定电话号码", "landline numbers"},
	"pii.BANK_CARD":        {"银行卡号", "bank card numbers"},
	"pii.EMAIL":            {"电子邮箱地址", "e-mail addresses"},
	"pii.CN_PASSPORT":      {"护照或通行证号码", "passport or travel permit numbers"},
	"pii.CN_LICENSE_PLATE": {"机动车号牌", "vehicle plates"},
	"pii.IP_ADDRESS":       {"IP 地址", "IP addresses"},
	"pii.PERSON_NAME":      {"姓名", "names of persons"},
	"pii.ADDRESS":          {"详细地址", "addresses"},
	"pii.GEO_COORDINATE":   {"经纬度坐标", "coordinates"},
	"pii.DATE_OF_BIRTH":    {"出生日期", "dates of birth"},
}

// deskProblems are the problem codes of the desk, merged into problems.
var deskProblems = map[string]text{
	"sample_empty":      {"文件是空的", "the file is empty"},
	"sample_binary":     {"不是 CSV 或 XLSX 表格文件，请另存为 CSV 或 XLSX 后再上传", "is not a CSV or XLSX table: save it as CSV or XLSX and upload it again"},
	"sample_too_large":  {"文件超出了可读取的大小或列数上限", "is over the size or column limits for reading"},
	"sample_unreadable": {"无法读取为表格，请检查文件是否损坏或另存为 CSV 后再试", "cannot be read as a table: check the file, or save it as CSV and try again"},
	"header_blank":      {"表头第 {1} 列没有名称：请选择正确的表头行，或在文件中补上列名", "column {1} of the header has no name: choose the right header row, or name the column in the file"},
	"header_duplicate":  {"表头第 {1} 列和第 {2} 列同名（“{3}”）：请选择正确的表头行，或修改列名", "columns {1} and {2} of the header are both named “{3}”: choose the right header row, or rename one"},
	"header_same_name":  {"表头第 {1} 列（“{2}”）和第 {3} 列（“{4}”）只差大小写、全角半角或空格，无法区分：请修改其中一个列名", "columns {1} (“{2}”) and {3} (“{4}”) of the header differ only in case, width or spaces and cannot be told apart: rename one"},
	"header_row_empty":  {"第 {1} 行是空行，不能作为表头", "row {1} is empty and cannot be the header"},
}

func init() {
	for code, t := range deskProblems {
		problems[code] = t
	}
}
