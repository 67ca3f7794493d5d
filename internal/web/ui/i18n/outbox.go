package i18n

// outboxMessages are the strings of the e-mail outbox page
// (outbox_admin.go, admin_outbox.html), merged into messages at start.
var outboxMessages = map[string]text{
	"outbox.title":         {"邮件发件箱", "E-mail outbox"},
	"outbox.manage":        {"邮件发件箱", "E-mail outbox"},
	"outbox.lead":          {"通知的邮件投递情况，最新的在前。为保护个人信息，这里不显示收件人和邮箱地址。", "How the e-mails of notices were delivered, newest first. To protect personal information, recipients and addresses are not shown."},
	"outbox.smtp_on":       {"已配置 SMTP 邮件服务器：待发送的邮件会按时投递，失败的稍后重试。", "An SMTP server is configured: pending e-mails are delivered, failed ones tried again later."},
	"outbox.smtp_off":      {"未配置 SMTP 邮件服务器：通知只在平台内显示，邮件留在发件箱中等待发送（用 --smtp-url 配置）。", "No SMTP server is configured: notices are shown in the platform only and their e-mails wait in the outbox (configure one with --smtp-url)."},
	"outbox.kind":          {"通知", "Notice"},
	"outbox.created":       {"产生时间", "Created"},
	"outbox.next":          {"下次尝试", "Next attempt"},
	"outbox.now":           {"下一轮", "next round"},
	"outbox.none":          {"发件箱是空的。", "The outbox is empty."},
	"outboxstatus.pending": {"待发送", "pending"},
	"outboxstatus.sent":    {"已发送", "sent"},
	"outboxstatus.skipped": {"已跳过（无邮箱）", "skipped (no address)"},
	"outboxstatus.failed":  {"发送失败", "failed"},
	"outboxchannel.email":  {"电子邮件", "e-mail"},
}
