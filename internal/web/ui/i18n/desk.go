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
	"header_row_empty":  {"第 {1} 行是空行，不能作为表头", "row {1} is empty and cannot be the header"},
}

func init() {
	for code, t := range deskProblems {
		problems[code] = t
	}
}
