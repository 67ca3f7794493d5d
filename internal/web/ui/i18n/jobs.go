package i18n

// jobMessages are the strings of the background jobs: the load status page
// (data_load.html) and the sysadmin's jobs page (jobs_admin.go), merged
// into messages at start.
var jobMessages = map[string]text{
	"job.label":              {"后台任务：", "Background job:"},
	"jobstate.available":     {"排队中", "queued"},
	"jobstate.scheduled":     {"已排期", "scheduled"},
	"jobstate.pending":       {"待定", "pending"},
	"jobstate.running":       {"运行中", "running"},
	"jobstate.retryable":     {"等待重试", "waiting to retry"},
	"jobstate.completed":     {"已完成", "completed"},
	"jobstate.discarded":     {"已放弃", "given up"},
	"jobstate.cancelled":     {"已取消", "cancelled"},
	"jobkind.datastore.load": {"数据载入", "data load"},
	"jobkind.periodic":       {"定期任务", "periodic work"},
	"load.queued":            {"文件已接收，正在排队等待载入。", "The file has been received and is queued for loading."},
	"load.retry":             {"第 %d 次尝试（共 %d 次）未完成，将于 %s 重试：", "Try %d of %d did not finish; it is tried again at %s:"},
	"load.gave_up":           {"载入尝试 %d 次均未完成，已停止重试，数据未作任何改变：", "The load did not finish in %d tries and is no longer retried; nothing changed:"},
	"jobs.title":             {"后台任务异常", "Background jobs in trouble"},
	"jobs.lead":              {"已放弃、已取消（无法运行）和等待重试的任务，最新的在前。已完成和已取消的任务保留一天，已放弃的保留一周。", "Jobs given up, cancelled (unable to run) and waiting to try again, newest first. Completed and cancelled jobs are kept for a day, given-up ones for a week."},
	"jobs.manage":            {"后台任务", "Background jobs"},
	"jobs.id":                {"编号", "No."},
	"jobs.kind":              {"任务", "Job"},
	"jobs.attempts":          {"尝试次数", "Tries"},
	"jobs.when":              {"时间", "When"},
	"jobs.next":              {"下次：", "next:"},
	"jobs.error":             {"最近的错误", "Last error"},
	"jobs.none":              {"没有异常的后台任务。", "No background job is in trouble."},
}
