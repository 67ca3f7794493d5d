package i18n

// securityMessages are the strings of the security monitoring's pages
// (安全监测, security_*.go): the hub, the alerts, an alert's evidence and
// steps, and the monitoring rules' editor. Code lists: security.severity,
// security.state, security.subject, security.source,
// security.evidence_kind, security.figure.
var securityMessages = map[string]text{
	// Navigation.
	"nav.security":             {"安全监测", "Security"},
	"security.nav.label":       {"安全监测导航", "Security navigation"},
	"security.nav.hub":         {"概览", "Overview"},
	"security.nav.alerts":      {"告警", "Alerts"},
	"security.nav.rules":       {"监测规则", "Rules"},
	"security.nav.incidents":   {"安全事件", "Incidents"},
	"security.nav.assessments": {"风险评估", "Risk assessments"},

	// The hub.
	"security.title": {"数据安全监测", "Data security monitoring"},
	"security.lead": {"平台对数据访问、登录和业务流程持续监测，按规则发现异常并告警。告警的证据是已写入存证账本的访问决定和事件，可以逐条核验。",
		"The platform watches data access, sign-ins and workflows, and raises alerts when a rule finds something unusual. An alert's evidence is the access decisions and events sealed in the ledger, each of which can be verified."},
	"security.hub.open":        {"待处理的告警：%d 条", "Open alerts: %d"},
	"security.hub.newest":      {"最新的新告警", "Newest new alerts"},
	"security.hub.all_new":     {"查看全部新告警", "All new alerts"},
	"security.hub.none_new":    {"没有待受理的新告警。", "No new alert waits."},
	"security.hub.more":        {"更多", "More"},
	"security.hub.rules":       {"监测规则（已启用 %d 条，共 %d 条）", "Monitoring rules (%d of %d enabled)"},
	"security.hub.incidents":   {"数据安全事件、通知与报告", "Security incidents, notices and reports"},
	"security.hub.assessments": {"数据安全风险评估与整改", "Risk assessments and remediation"},
	"security.hub.audit":       {"存证账本与审计记录", "The ledger and audit records"},

	// Lists.
	"security.col.alert":         {"告警", "Alert"},
	"security.col.rule":          {"规则", "Rule"},
	"security.col.severity":      {"严重程度", "Severity"},
	"security.col.subject":       {"对象", "Subject"},
	"security.col.state":         {"状态", "State"},
	"security.col.raised":        {"发现时间", "Raised"},
	"security.col.hits":          {"命中次数", "Hits"},
	"security.alerts.title":      {"安全告警", "Security alerts"},
	"security.alerts.filters":    {"筛选告警", "Filter the alerts"},
	"security.alerts.all_rules":  {"全部规则", "All rules"},
	"security.alerts.all_states": {"全部状态", "All states"},
	"security.alerts.none":       {"没有符合条件的告警。", "No alert matches."},
	"security.alerts.more":       {"更早的告警", "Older alerts"},

	// An alert.
	"security.alert.title":          {"告警", "Alert"},
	"security.alert.last_hit":       {"最近命中", "Last hit"},
	"security.alert.owner":          {"负责人", "Owner"},
	"security.alert.no_owner":       {"尚未指定", "Not assigned"},
	"security.alert.note":           {"处理说明", "Note"},
	"security.alert.incident":       {"安全事件", "Incident"},
	"security.alert.incident_open":  {"查看由此告警立案的安全事件", "The incident this alert became"},
	"security.alert.figures":        {"规则计算的数值", "What the rule measured"},
	"security.alert.evidence":       {"证据", "Evidence"},
	"security.alert.evidence_lead":  {"每条证据都对应存证账本中的一条事件；打开事件可以看到内容，下载存证回执可以离线核验它未被篡改。", "Each piece of evidence is carried by an event in the ledger: open it to see what it records, or download its receipt to verify offline that it was not altered."},
	"security.alert.no_evidence":    {"此告警没有记录证据。", "The alert records no evidence."},
	"security.alert.actions":        {"处理告警", "Work on the alert"},
	"security.alert.incident_title": {"立案为安全事件", "Open an incident"},
	"security.alert.incident_lead":  {"确认发生了数据安全事件时立案：平台按事件级别计算通知个人和报告主管部门的时限。", "When a security incident has happened, open one: the platform computes the deadlines to notify the persons affected and report to the authority from its level."},
	"security.alert.incident_do":    {"立案", "Open an incident"},
	"security.alert.acknowledge":    {"受理", "Acknowledge"},
	"security.alert.acknowledge_do": {"受理告警", "Acknowledge the alert"},
	"security.alert.assign":         {"指定负责人", "Assign"},
	"security.alert.assign_do":      {"指定", "Assign"},
	"security.alert.close":          {"结案", "Close"},
	"security.alert.close_do":       {"结案", "Close the alert"},
	"security.alert.true_positive":  {"属实：确有异常", "True positive: something was wrong"},
	"security.alert.false_positive": {"误报：经核查无异常", "False positive: nothing was wrong"},
	"security.evidence.kind":        {"类型", "Kind"},
	"security.evidence.id":          {"编号", "Id"},
	"security.evidence.at":          {"时间", "At"},
	"security.evidence.event":       {"存证", "Sealed record"},
	"security.evidence.sealed":      {"账本事件", "Ledger event"},
	"security.evidence.receipt":     {"存证回执", "Receipt"},
	"security.evidence.unsealed":    {"尚未存证", "Not sealed yet"},

	// Rules.
	"security.rules.title":          {"监测规则", "Monitoring rules"},
	"security.rules.lead":           {"规则以数据保存（类 Sigma 的 YAML，条件用 CEL 表达式），安全管理员可以修改阈值、时间窗口和严重程度，也可以停用或新增规则。修改后立即生效并记入账本。", "Rules are kept as data (Sigma-like YAML with a CEL condition). The security officer changes thresholds, windows and severities, disables rules or adds new ones; a change takes effect at once and is sealed in the ledger."},
	"security.rules.new":            {"新增规则", "New rule"},
	"security.rules.source":         {"监测对象", "Watches"},
	"security.rules.enabled":        {"启用", "Enabled"},
	"security.rules.updated":        {"更新时间", "Updated"},
	"security.rules.default":        {"平台预置", "Shipped"},
	"security.rules.code":           {"规则代码", "Code"},
	"security.rules.alerts":         {"告警", "Alerts"},
	"security.rules.alerts_link":    {"查看此规则的告警", "This rule's alerts"},
	"security.rules.save":           {"保存规则", "Save the rule"},
	"security.rules.lines":          {"问题所在的行", "Where the problems are"},
	"security.rules.problem":        {"问题：", "Problem: "},
	"security.rules.help":           {"规则怎么写", "How a rule reads"},
	"security.rules.help_source":    {"decision：每次数据访问决定及其返回的行数；signin：每次登录尝试；event：业务流程的事件。", "decision: every access decision and the rows served under it; signin: every sign-in attempt; event: workflow events."},
	"security.rules.help_where":     {"CEL 条件，对每条观察结果求值，例如 '!allow' 表示被拒绝的访问。", "A CEL condition evaluated on each observation, e.g. '!allow' for refused reads."},
	"security.rules.help_correlate": {"type 为 count（窗口内次数达到 threshold）、distinct（field 的不同取值个数达到 threshold）、baseline（窗口内的总量超过本主体基线的 factor 倍且不少于 min）或 hours（在不常用的时段使用）；group_by 指定按什么分组，window 为时间窗口（如 10m、1h、7d）。", "type is count (matches within window reach threshold), distinct (distinct values of field reach threshold), baseline (the window's sum exceeds factor times the subject's own baseline, and min) or hours (use at an unusual hour); group_by says what is counted per, window how long (10m, 1h, 7d)."},
	"security.rules.help_suppress":  {"同一对象在此时间内的再次命中计入同一条告警，不重复告警。", "Further hits on the same subject within it are added to the open alert instead of raising another."},

	// Fields and hints.
	"field.owner":                {"负责人用户名", "Owner's username"},
	"field.verdict":              {"核查结论", "Finding"},
	"field.body":                 {"规则（YAML）", "Rule (YAML)"},
	"field.alert_state":          {"状态", "State"},
	"hint.owner":                 {"填写一位安全管理员的用户名。", "A security officer's username."},
	"hint.security_close_note":   {"写明核查了什么、发现了什么、采取了哪些措施。", "What was checked, what was found and what was done."},
	"hint.rule_body":             {"出错时，问题会列在上方，并在下方标出所在的行。", "Problems are listed above and marked at their line below."},
	"done.security_acknowledged": {"告警已受理。", "The alert is acknowledged."},
	"done.security_assigned":     {"已指定负责人。", "The owner is assigned."},
	"done.security_closed":       {"告警已结案。", "The alert is closed."},
	"done.security_rule_saved":   {"规则已保存，立即生效。", "The rule is saved and in effect."},

	// Code lists.
	"security.severity.low":           {"低", "Low"},
	"security.severity.medium":        {"中", "Medium"},
	"security.severity.high":          {"高", "High"},
	"security.severity.critical":      {"严重", "Critical"},
	"security.state.new":              {"新告警", "New"},
	"security.state.acknowledged":     {"已受理", "Acknowledged"},
	"security.state.escalated":        {"已立案", "Escalated"},
	"security.state.closed_true":      {"已结案（属实）", "Closed: true"},
	"security.state.closed_false":     {"已结案（误报）", "Closed: false"},
	"security.subject.user":           {"用户", "User"},
	"security.subject.key":            {"访问密钥", "API key"},
	"security.subject.grant":          {"授权", "Grant"},
	"security.subject.address":        {"来源地址（散列）", "Address (hashed)"},
	"security.subject.anonymous":      {"匿名访问", "Anonymous"},
	"security.subject.resource":       {"数据资源", "Resource"},
	"security.source.decision":        {"数据访问", "Data access"},
	"security.source.signin":          {"登录", "Sign-ins"},
	"security.source.event":           {"业务事件", "Workflow events"},
	"security.evidence_kind.decision": {"访问决定", "Access decision"},
	"security.evidence_kind.rows":     {"返回的数据行", "Rows served"},
	"security.evidence_kind.signin":   {"登录失败", "Failed sign-in"},
	"security.evidence_kind.event":    {"业务事件", "Workflow event"},
	"security.figure.count":           {"次数", "Count"},
	"security.figure.threshold":       {"阈值", "Threshold"},
	"security.figure.window":          {"时间窗口", "Window"},
	"security.figure.first_at":        {"窗口内首次", "First in window"},
	"security.figure.last_at":         {"窗口内最近", "Last in window"},
	"security.figure.distinct":        {"不同取值个数", "Distinct values"},
	"security.figure.field":           {"计数字段", "Field counted"},
	"security.figure.value":           {"累计的数值", "Value summed"},
	"security.figure.window_sum":      {"窗口内总量", "Window's sum"},
	"security.figure.baseline":        {"本主体基线", "Subject's baseline"},
	"security.figure.factor":          {"倍数", "Factor"},
	"security.figure.min":             {"最低总量", "Minimum"},
	"security.figure.window_start":    {"窗口开始", "Window start"},
	"security.figure.history_windows": {"历史窗口数", "Windows of history"},
	"security.figure.hour":            {"使用时段（时）", "Hour of use"},
	"security.figure.uses_at_hour":    {"此前在该时段使用次数", "Earlier uses at that hour"},
	"security.figure.history":         {"历史使用次数", "Uses in history"},
	"security.figure.usual_hours":     {"惯常时段", "Usual hours"},
	"security.figure.timezone":        {"时区", "Time zone"},
}

// securityProblems are the problems of the monitor's rules and alerts, by
// code. rule_line and rule_body are the UI's: a rule problem with (line,
// detail) or without a line; the detail is the parser's, in English.
var securityProblems = map[string]text{
	"rule_line":            {"第 {1} 行：{2}", "line {1}: {2}"},
	"rule_body":            {"{1}", "{1}"},
	"code_fixed":           {"规则代码不能修改", "the rule's code cannot change"},
	"alert_not_new":        {"只有新告警可以受理", "only a new alert can be acknowledged"},
	"alert_settled":        {"告警已立案或结案，不能再处理", "the alert is escalated or closed: it cannot be worked on"},
	"not_security_officer": {"不是在职的安全管理员", "is not an active security officer"},
}

// The security tables join the others when the package loads; a key or
// code another table has already keeps its text.
func init() {
	for k, v := range securityMessages {
		if _, taken := messages[k]; !taken {
			messages[k] = v
		}
	}
	for code, t := range securityProblems {
		if _, taken := problems[code]; !taken {
			problems[code] = t
		}
	}
}
