package i18n

// accountMessages are the strings of the account lifecycle pages: the
// password forms (account.go, password_reset.go), the members page
// (org_members.go), the sysadmin's account pages (users_admin.go) and the
// sign-in delay (session.go), merged into messages when the package loads.
var accountMessages = map[string]text{
	// Sign-in delay and reset link.
	"login.wait_title": {"请稍后再试", "Please wait"},
	"login.wait":       {"登录失败次数过多，请 %d 秒后再试。", "Too many failed sign-ins. Try again in %d seconds."},
	"reset.link":       {"忘记密码？请联系系统管理员获取一次性重置码，然后在此设置新密码。", "Forgot your password? Ask a system administrator for a one-time reset code, then set a new password here."},

	// Password change and reset.
	"account.password":           {"更改密码", "Change password"},
	"account.password_lead":      {"更改后，您在其他浏览器和设备上的登录会被注销；本次登录和 API 令牌保持有效。", "Your sign-ins in other browsers and devices end; this one and your API tokens stay valid."},
	"account.password_submit":    {"更改密码", "Change password"},
	"reset.title":                {"用重置码设置密码", "Set a password with a reset code"},
	"reset.lead":                 {"输入系统管理员给您的一次性重置码，并设置新密码。重置码只能使用一次。", "Enter the one-time reset code a system administrator gave you and choose a new password. The code works once."},
	"reset.submit":               {"设置密码", "Set password"},
	"field.current_password":     {"当前密码", "Current password"},
	"field.new_password":         {"新密码", "New password"},
	"field.new_password_confirm": {"再次输入新密码", "New password again"},
	"field.password_confirm":     {"再次输入密码", "Password again"},
	"field.reset_code":           {"重置码", "Reset code"},
	"field.role":                 {"角色", "Role"},
	"field.user_id":              {"用户", "User"},
	"hint.new_password":          {"至少 10 个字符。", "At least 10 characters."},
	"hint.reset_code":            {"以 dpr_ 开头。", "It starts with dpr_."},
	"done.password_changed":      {"密码已更改，其他登录已注销。", "Your password was changed and your other sign-ins ended."},
	"done.password_set":          {"密码已设置，请用新密码登录。", "Your password is set. Sign in with it."},

	// Members of an organization.
	"members.title":             {"成员管理", "Members"},
	"members.manage":            {"管理成员", "Manage members"},
	"members.lead":              {"成员可以查看本机构的草稿和未开放数据；编辑可以编目和上传数据；管理员还可以管理成员。角色变更和移除在该用户的下一次请求时生效。机构至少要保留一名管理员。", "Members see the organization's drafts and unopened data; editors also catalog and upload data; admins also manage members. A change holds from the user's next request. An organization keeps at least one admin."},
	"members.empty":             {"还没有成员。", "No members yet."},
	"members.role_of":           {"%s 的角色", "Role of %s"},
	"members.role_save":         {"保存角色", "Save role"},
	"members.remove":            {"移除", "Remove"},
	"members.remove_named":      {"移除成员 %s", "Remove member %s"},
	"members.add":               {"添加成员", "Add a member"},
	"members.add_lead":          {"按用户名添加。企业或个人账户、平台人员账户加入公共机构（或公共机构人员加入企业、个人账户）须由平台运营方添加。", "Add an account by username. A company or person account, or a platform staff account, joins a public body (and a public body's staff a company or person account) only when a platform operator adds it."},
	"members.add_lead_operator": {"按用户名添加。作为平台运营方或系统管理员，您可以添加任何类型的账户。", "Add an account by username. As a platform operator or sysadmin you may add an account of any kind."},
	"done.member_added":         {"成员已添加。", "The member was added."},
	"done.member_role_set":      {"角色已更改，在该用户的下一次请求时生效。", "The role was changed; it holds from the user's next request."},
	"done.member_removed":       {"成员已移除，在该用户的下一次请求时生效。", "The member was removed; it holds from the user's next request."},

	// The sysadmin's account pages.
	"users.title":              {"用户管理", "Users"},
	"users.manage":             {"用户管理", "Manage users"},
	"users.lead":               {"平台的全部账户。停用、重置密码和吊销令牌都记入透明日志。", "Every account of the platform. Disabling, password resets and revocations are sealed in the transparency log."},
	"users.search":             {"用户名或姓名", "Username or name"},
	"users.orgs":               {"所属机构", "Organizations"},
	"users.details":            {"账户信息", "Account details"},
	"users.membership":         {"（%s）：%s", " (%s): %s"},
	"users.disabled":           {"已停用", "Disabled"},
	"users.enabled":            {"正常", "Active"},
	"users.empty":              {"没有符合条件的用户。", "No users match."},
	"users.back":               {"返回用户列表", "Back to the users"},
	"users.status":             {"账户状态与登录", "Status and sign-ins"},
	"users.disable_lead":       {"停用后该用户不能登录，其全部登录立即注销、全部 API 令牌立即吊销。重新启用只恢复登录，令牌需重新创建。", "A disabled user cannot sign in; every sign-in ends and every API token is revoked at once. Enabling again restores sign-in only; tokens must be created anew."},
	"users.disable":            {"停用账户", "Disable account"},
	"users.enable_lead":        {"该账户已停用。启用后可以再次登录。", "This account is disabled. Enabling it lets the user sign in again."},
	"users.enable":             {"启用账户", "Enable account"},
	"users.revoke_lead":        {"立即注销该用户的全部登录并吊销全部 API 令牌，例如在凭据可能泄露时。", "End every sign-in of the user and revoke every API token at once, for instance when a credential may have leaked."},
	"users.revoke":             {"注销登录并吊销令牌", "End sign-ins and revoke tokens"},
	"users.roles_save":         {"保存平台角色", "Save platform roles"},
	"users.password":           {"重置密码", "Reset password"},
	"users.password_lead":      {"两种方式都会使旧密码立即失效、注销全部登录并吊销全部 API 令牌。", "Either way the old password stops working at once, every sign-in ends and every API token is revoked."},
	"users.code":               {"一次性重置码", "One-time reset code"},
	"users.code_lead":          {"生成一个重置码，通过可靠渠道交给用户；用户在登录页的“忘记密码”处用它自行设置新密码。", "Issue a code and hand it to the user over a trusted channel; they set a new password with it from the sign-in page."},
	"users.code_issue":         {"生成重置码", "Issue a reset code"},
	"users.code_new":           {"一次性重置码", "One-time reset code"},
	"users.code_note":          {"请立即交给用户：重置码只显示这一次，在 %s 前有效，只能使用一次。", "Hand it over now: it is shown only this once, is valid until %s and works once."},
	"users.set_password":       {"设置新密码", "Set a new password"},
	"done.user_disabled":       {"账户已停用，其登录和令牌已失效。", "The account is disabled; its sign-ins and tokens no longer work."},
	"done.user_enabled":        {"账户已启用。", "The account is enabled."},
	"done.user_access_revoked": {"该用户的全部登录已注销，全部令牌已吊销。", "Every sign-in of the user ended and every token was revoked."},
	"done.user_password_set":   {"密码已设置，该用户的登录和令牌已失效。", "The password is set; the user's sign-ins and tokens no longer work."},
	"done.user_roles_set":      {"平台角色已保存。", "The platform roles were saved."},
}

// accountEvents name the events of the account lifecycle on the event
// pages; they join ledgerMessages so that the audit page offers them.
var accountEvents = map[string]text{
	"event.membership.removed":      {"移除机构成员", "Membership removed"},
	"event.user.disabled":           {"停用账户", "Account disabled"},
	"event.user.enabled":            {"启用账户", "Account enabled"},
	"event.user.platform_roles_set": {"设置平台角色", "Platform roles set"},
	"event.user.access_revoked":     {"注销登录并吊销令牌", "Sign-ins ended and tokens revoked"},
	"event.user.password_changed":   {"更改密码", "Password changed"},
	"event.user.password_reset":     {"重置密码", "Password reset"},
	"event.server_key.created":      {"生成服务器密钥", "Server key created"},
	"subjectkind.server_key":        {"服务器密钥", "Server key"},
}
