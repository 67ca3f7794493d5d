package i18n

// registerMessages are the strings of self-registration, e-mail
// confirmation, password resets by e-mail, single sign-on and the
// operators' queue of company verifications, merged into messages at start.
var registerMessages = map[string]text{
	"nav.register": {"注册", "Register"},

	// Registration.
	"register.title":        {"注册账户", "Open an account"},
	"register.lead":         {"个人和企业注册后可以申请有条件开放的数据、调用接口、提出数据需求和发表评论。公共机构的账户由平台运营方开通。", "Persons and companies with an account apply for conditionally open data, call the API, request data and comment. Public institutions' accounts are opened by the platform operators."},
	"register.kind":         {"注册类型", "Account type"},
	"register.person":       {"个人注册", "Person"},
	"register.company":      {"企业注册", "Company"},
	"register.company_lead": {"企业账户在邮箱确认后，由平台运营方核验企业信息，核验通过后即可登录。", "A company account is verified by the platform operators once its e-mail address is confirmed; it signs in when they approve."},
	"register.submit":       {"注册", "Register"},
	"register.have_account": {"已有账户？", "Have an account?"},
	"register.no_account":   {"还没有账户？", "No account yet?"},
	"register.link":         {"个人或企业注册", "Register as a person or a company"},
	"register.resend_link":  {"重新发送确认邮件", "Send the confirmation e-mail again"},
	"field.company_name":    {"企业名称", "Company name"},
	"hint.uscc":             {"18 位，见营业执照。每个企业只能注册一个账户。", "18 characters, as on the business licence. A company has one account."},
	"hint.contact_name":     {"账户联系人的姓名。", "The name of the account's contact person."},
	"hint.register_email":   {"用于登录和接收确认邮件。", "You sign in with it; the confirmation e-mail goes to it."},
	"login.username":        {"用户名或电子邮箱", "Username or e-mail"},

	// After sending an e-mail.
	"sent.confirm.title": {"请查收确认邮件", "Check your e-mail"},
	"sent.confirm.body":  {"如果该邮箱可以注册，我们已向其发送确认链接。请在 48 小时内打开邮件中的链接确认邮箱，然后登录。", "If the address can be registered, we have sent a confirmation link to it. Open the link within 48 hours to confirm the address, then sign in."},
	"sent.forgot.title":  {"请查收重置邮件", "Check your e-mail"},
	"sent.forgot.body":   {"如果该邮箱对应某个账户，我们已向其发送重置密码的链接，1 小时内有效。您的原密码在设置新密码前仍然可用。", "If the address belongs to an account, we have sent it a link to reset the password, valid for one hour. Your password keeps working until you set a new one."},
	"sent.no_mail":       {"没有收到？请检查垃圾邮件，或稍后再试。", "Nothing arrived? Look in the spam folder, or try again later."},
	"forgot.again":       {"重新发送重置邮件", "Send the reset e-mail again"},

	// Confirmation.
	"field.confirm_link":            {"确认链接", "Confirmation link"},
	"confirm.title":                 {"确认邮箱", "Confirm your e-mail address"},
	"confirm.lead":                  {"点击下面的按钮确认邮箱地址。", "Press the button to confirm your e-mail address."},
	"confirm.submit":                {"确认邮箱", "Confirm e-mail address"},
	"confirm.state.unverified":      {"邮箱已确认，企业信息待核验", "E-mail confirmed; the company waits for verification"},
	"confirm.state.unverified.body": {"平台运营方将在 5 个工作日内核验企业信息，结果会发送到您的邮箱。核验通过后即可登录。", "The platform operators verify the company within 5 working days and e-mail you the result. You can sign in once it is approved."},
	"confirm.state.rejected":        {"企业核验未通过", "The company's verification was refused"},
	"confirm.state.rejected.body":   {"请联系平台运营方。", "Please contact the platform operators."},
	"done.email_confirmed":          {"邮箱已确认，请登录。", "Your e-mail address is confirmed. Sign in."},

	// Asking for an e-mail.
	"resend.title":     {"重新发送确认邮件", "Send the confirmation e-mail again"},
	"resend.lead":      {"输入注册时填写的邮箱，我们会发送新的确认链接，之前的链接随之失效。", "Enter the address you registered with: we send a new confirmation link and the earlier one stops working."},
	"resend.submit":    {"发送", "Send"},
	"forgot.link":      {"忘记密码", "Forgot password"},
	"forgot.title":     {"忘记密码", "Forgot your password"},
	"forgot.lead":      {"输入账户的电子邮箱，我们会发送一个重置密码的链接。", "Enter your account's e-mail address and we send you a link to reset the password."},
	"forgot.submit":    {"发送重置链接", "Send reset link"},
	"forgot.have_code": {"已有系统管理员给的重置码？在此设置密码。", "Have a reset code from a system administrator? Set the password here."},

	// Signing in before the account is active.
	"login.state.unconfirmed":      {"邮箱尚未确认", "E-mail address not confirmed"},
	"login.state.unconfirmed.body": {"请打开注册时收到的确认邮件中的链接，确认邮箱后再登录。", "Open the link in the confirmation e-mail you received when you registered, then sign in."},
	"login.state.unverified":       {"企业信息待核验", "The company waits for verification"},
	"login.state.unverified.body":  {"平台运营方核验企业信息后，您即可登录；结果会发送到您的邮箱。", "You can sign in once the platform operators have verified the company; they e-mail you the result."},
	"login.state.rejected":         {"企业核验未通过", "The company's verification was refused"},
	"login.state.rejected.body":    {"核验未通过的原因已发送到您的邮箱。如有疑问，请联系平台运营方。", "The reason was e-mailed to you. Contact the platform operators with any question."},

	// Single sign-on.
	"sso.button":          {"使用统一身份认证登录", "Sign in with the city's unified identity"},
	"sso.or":              {"或使用平台账户登录", "or sign in with a platform account"},
	"sso.failed":          {"统一身份认证登录未成功", "Single sign-on did not succeed"},
	"sso.sso_unavailable": {"暂时无法连接统一身份认证平台，请稍后再试，或使用平台账户登录。", "The unified identity service cannot be reached. Try again later, or sign in with a platform account."},
	"sso.sso_state":       {"登录请求已过期或不完整，请重新点击“使用统一身份认证登录”。", "The sign-in expired or was incomplete. Press the single sign-on button again."},
	"sso.sso_refused":     {"统一身份认证平台未完成登录。", "The unified identity service did not complete the sign-in."},
	"sso.sso_public_body": {"该统一社会信用代码属于已登记的公共机构，请联系平台运营方将您加入该机构。", "This unified social credit code belongs to a registered public institution: ask the platform operators to add you to it."},
	"sso.sso_disabled":    {"该账户已停用。", "This account is disabled."},
	"sso.sso_failed":      {"统一身份认证平台返回的身份信息无法验证，请稍后再试。", "The identity the service returned could not be verified. Try again later."},

	// The account page.
	"account.email_confirmed":   {"已确认", "Confirmed"},
	"account.email_unconfirmed": {"未确认", "Not confirmed"},
	"account.kind":              {"账户类型", "Account type"},
	"account.can_do":            {"可以做什么", "What you can do"},
	"account.can_do_body":       {"申请有条件开放的数据、调用接口、提出数据需求、评论和纠错。编制公共数据目录由公共机构负责。", "Apply for conditionally open data, call the API, request data, comment and report errors. Public institutions catalog public data."},

	// The operators' queue.
	"verify.title":                  {"企业核验", "Company verification"},
	"verify.one":                    {"企业核验", "Company verification"},
	"verify.lead":                   {"自行注册的企业在邮箱确认后等待核验：请对照国家企业信用信息公示系统核对名称和统一社会信用代码。", "Self-registered companies wait here once their e-mail is confirmed: check the name and the code against the national enterprise credit information system."},
	"verify.waiting":                {"待核验", "Waiting"},
	"verify.decided":                {"已处理", "Decided"},
	"verify.none":                   {"没有待核验的企业。", "No company waits for verification."},
	"verify.filed":                  {"提交时间", "Filed"},
	"verify.check":                  {"核验通过后，该企业账户即可登录；不通过时请写明原因，原因会发送给企业。", "Approved, the company account signs in; rejected, the reason you write is sent to the company."},
	"verify.comment_hint":           {"不通过时必填，会发送给企业。", "Required to reject; it is sent to the company."},
	"verification.operator_review":  {"待核验", "Waiting"},
	"verification.approved":         {"已通过", "Approved"},
	"verification.rejected":         {"未通过", "Rejected"},
	"verification.withdrawn":        {"已撤回", "Withdrawn"},
	"casekind.company_verification": {"企业核验", "Company verification"},
	"done.verification_decided":     {"核验结果已记录，并已通知企业。", "The decision is recorded and the company told."},

	// Notices and e-mails.
	"notify.account.confirm":                  {"请确认您的邮箱地址", "Confirm your e-mail address"},
	"notify.account.register_existing":        {"有人尝试用您的邮箱注册账户", "Someone tried to register with your e-mail address"},
	"notify.account.password_reset":           {"重置您的密码", "Reset your password"},
	"notify.company_verification.submitted":   {"有新的企业等待核验", "A company waits for verification"},
	"notify.company_verification.approved":    {"企业核验已通过，现在可以登录", "The company is verified: you can sign in now"},
	"notify.company_verification.rejected":    {"企业核验未通过", "The company's verification was refused"},
	"notify.company_verification.escalated":   {"企业核验已超过期限", "A company verification is past its deadline"},
	"notify.company_verification.reminded":    {"企业核验即将到期", "A company verification is due soon"},
	"mail.lead.account.confirm":               {"请在 48 小时内打开下面的链接确认邮箱（如非本人操作，请忽略本邮件）：", "Open this link within 48 hours to confirm the address (if you did not register, ignore this e-mail):"},
	"mail.lead.account.password_reset":        {"请在 1 小时内打开下面的链接设置新密码（如非本人操作，请忽略本邮件，原密码仍然有效）：", "Open this link within an hour to set a new password (if you did not ask, ignore this e-mail; your password still works):"},
	"mail.lead.account.register_existing":     {"该邮箱已有账户。如果是您本人，请直接登录；忘记密码可在此重置：", "This address already has an account. If it was you, sign in; if you forgot the password, reset it here:"},
	"mail.lead.company_verification.approved": {"登录：", "Sign in:"},
	"event.user.registered":                   {"注册账户", "Account registered"},
	"event.user.email_confirmation_sent":      {"发送邮箱确认", "E-mail confirmation sent"},
	"event.user.email_confirmed":              {"确认邮箱", "E-mail address confirmed"},
	"event.user.state_changed":                {"账户状态变更", "Account state changed"},
	"event.user.password_reset_mailed":        {"发送密码重置邮件", "Password reset e-mailed"},
	"event.user.external_identity_linked":     {"关联统一身份认证", "Unified identity linked"},
	"event.company_verification.created":      {"提交企业核验", "Company verification filed"},
	"event.company_verification.approved":     {"企业核验通过", "Company verification approved"},
	"event.company_verification.rejected":     {"企业核验未通过", "Company verification rejected"},
}

// registerProblems are the problem codes of these pages.
var registerProblems = map[string]text{
	"self_service_throttled": {"尝试次数过多，请 {1} 秒后再试", "too many attempts: try again in {1} seconds"},
	"confirm_code":           {"确认链接无效、已过期或已使用，请重新发送确认邮件", "is not a valid confirmation link, or it has expired or been used: ask for a new one"},
	"not_public_body":        {"是企业或个人账户：只有公共机构可以编制公共数据目录", "is a company's or a person's account: only public institutions catalog public data"},
}

func init() {
	for k, v := range registerProblems {
		problems[k] = v
	}
}
