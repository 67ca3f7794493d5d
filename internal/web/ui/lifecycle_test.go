package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"dataport/internal/identity"
)

// TestMembersPage: an institution's admin adds, changes and removes
// members through forms; a company's account needs the platform operator;
// the last admin stays.
func TestMembersPage(t *testing.T) {
	p := newPortal(t)
	ctx := context.Background()
	p.createUser("admin.li", identity.UserInput{Memberships: []identity.Membership{{OrganizationID: p.org.ID, Role: identity.RoleAdmin}}})
	company, err := p.identity.CreateOrganization(ctx, identity.System, identity.OrgInput{Kind: identity.KindEnterprise, NameZh: "京华智图导航科技有限公司",
		USCC: usccOf(t, "91110108MA04C2N80"), Code: "ZTDH"})
	if err != nil {
		t.Fatal(err)
	}
	p.createUser("company.gao", identity.UserInput{Memberships: []identity.Membership{{OrganizationID: company.ID, Role: identity.RoleAdmin}}})
	p.createUser("newcomer.he", identity.UserInput{})
	path := "/organizations/" + p.org.ID + "/members"

	editor := p.browser()
	editor.login("editor.li")
	mustStatus(t, editor.get(path), http.StatusForbidden)
	if strings.Contains(editor.get("/organizations/"+p.org.ID).body, `href="`+path+`"`) {
		t.Error("an editor is offered the members page")
	}

	admin := p.browser()
	admin.login("admin.li")
	mustContain(t, admin.get("/organizations/"+p.org.ID), `href="`+path+`"`)
	pg := admin.get(path)
	mustStatus(t, pg, http.StatusOK)
	mustContain(t, pg, "成员管理", "admin.li", "editor.li", `name="csrf_token"`)
	token := admin.csrf(path)

	pg = admin.post(path, url.Values{"csrf_token": {token}, "username": {"company.gao"}, "role": {"admin"}})
	mustStatus(t, pg, http.StatusUnprocessableEntity)
	mustContain(t, pg, "是企业或个人账户：只有平台运营方可以把它加入公共机构", `href="#field-username"`, `value="company.gao"`)
	pg = admin.post(path, url.Values{"csrf_token": {token}, "username": {"nobody.here"}, "role": {"member"}})
	mustStatus(t, pg, http.StatusUnprocessableEntity)
	mustContain(t, pg, "用户不存在")

	pg = admin.post(path, url.Values{"csrf_token": {token}, "username": {"newcomer.he"}, "role": {"editor"}})
	mustStatus(t, pg, http.StatusOK)
	mustContain(t, pg, "成员已添加", "newcomer.he")

	operator := p.browser()
	operator.login("operator.wang")
	pg = operator.post(path, url.Values{"csrf_token": {operator.csrf(path)}, "username": {"company.gao"}, "role": {"member"}})
	mustStatus(t, pg, http.StatusOK)
	mustContain(t, pg, "成员已添加", "company.gao")

	editorID := userID(t, p, "editor.li")
	pg = admin.post(path+"/"+editorID+"/role", url.Values{"csrf_token": {token}, "role": {"member"}})
	mustContain(t, pg, "角色已更改")
	before := p.resourceCount()
	editor.post("/my/resources", bikeForm(editor.csrf("/my/resources/new"), p.org.ID))
	if p.resourceCount() != before {
		t.Error("demoted to member, the editor's next request still created a resource")
	}
	pg = admin.post(path+"/"+editorID+"/remove", url.Values{"csrf_token": {token}})
	mustContain(t, pg, "成员已移除")
	if got := roleIn(t, p, "editor.li"); got != "" {
		t.Errorf("removed member still has role %q", got)
	}

	adminID := userID(t, p, "admin.li")
	pg = admin.post(path+"/"+adminID+"/remove", url.Values{"csrf_token": {token}})
	mustStatus(t, pg, http.StatusConflict)
	mustContain(t, pg, "机构必须至少保留一名管理员")
	mustStatus(t, admin.post(path+"/"+adminID+"/remove", url.Values{"csrf_token": {editor.csrf("/my")}}), http.StatusForbidden)
}

// TestRemovedMemberNoLongerSeesDrafts: the next page the removed member
// opens no longer shows the institution's draft.
func TestRemovedMemberNoLongerSeesDrafts(t *testing.T) {
	p := newPortal(t)
	ctx := context.Background()
	if _, err := p.catalog.Create(ctx, identity.System, p.org.ID, sampleInput("内部草稿", "")); err != nil {
		t.Fatal(err)
	}
	editor := p.browser()
	editor.login("editor.li")
	mustContain(t, editor.get("/organizations/"+p.org.ID), "内部草稿")
	if err := p.identity.RemoveMembership(ctx, identity.System, p.org.ID, userID(t, p, "editor.li")); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(editor.get("/organizations/"+p.org.ID).body, "内部草稿") {
		t.Error("the removed member's next request still shows the draft")
	}
}

// TestChangePasswordForm: the current password is checked, this browser
// stays signed in, the others are signed out.
func TestChangePasswordForm(t *testing.T) {
	p := newPortal(t)
	here, elsewhere := p.browser(), p.browser()
	here.login("editor.li")
	elsewhere.login("editor.li")
	token := here.csrf("/account")
	const next = "a new passphrase 42"
	pg := here.post("/account/password", url.Values{"csrf_token": {token}, "current_password": {"not my password"},
		"new_password": {next}, "new_password_confirm": {next}})
	mustStatus(t, pg, http.StatusUnprocessableEntity)
	mustContain(t, pg, "当前密码：与当前密码不符", `href="#field-current_password"`)
	if strings.Contains(pg.body, next) {
		t.Error("the form shows the typed password back")
	}
	pg = here.post("/account/password", url.Values{"csrf_token": {token}, "current_password": {password},
		"new_password": {next}, "new_password_confirm": {next + "x"}})
	mustStatus(t, pg, http.StatusUnprocessableEntity)
	mustContain(t, pg, "与新密码不一致")
	pg = here.post("/account/password", url.Values{"csrf_token": {token}, "current_password": {password},
		"new_password": {next}, "new_password_confirm": {next}})
	mustStatus(t, pg, http.StatusOK)
	mustContain(t, pg, "密码已更改")
	if here.get("/my").url != "/my" {
		t.Error("the browser that changed the password was signed out")
	}
	if elsewhere.get("/my").url != "/login?next=%2Fmy" {
		t.Error("another browser of the user is still signed in")
	}
	b := p.browser()
	pg = b.post("/login", url.Values{"csrf_token": {b.csrf("/login")}, "username": {"editor.li"}, "password": {next}})
	if pg.url != "/my" {
		t.Errorf("sign-in with the new password ended at %s (%d)", pg.url, pg.status)
	}
}

// TestUserAdminPages: a sysadmin disables, enables and resets accounts;
// a one-time code lets the user choose a password without signing in.
func TestUserAdminPages(t *testing.T) {
	p := newPortal(t)
	p.createUser("root", identity.UserInput{PlatformRoles: []identity.PlatformRole{identity.PlatformSysadmin}})
	editor, root := p.browser(), p.browser()
	editor.login("editor.li")
	root.login("root")
	mustStatus(t, editor.get("/admin/users"), http.StatusForbidden)
	if strings.Contains(editor.get("/account").body, `href="/admin/users"`) {
		t.Error("an editor is offered the users page")
	}
	mustContain(t, root.get("/account"), `href="/admin/users"`)
	pg := root.get("/admin/users?q=editor")
	mustStatus(t, pg, http.StatusOK)
	mustContain(t, pg, "editor.li")
	if strings.Contains(pg.body, "operator.wang") {
		t.Error("the search lists an account it does not match")
	}
	id := userID(t, p, "editor.li")
	userPath := "/admin/users/" + id
	mustContain(t, root.get(userPath), "市交通委员会", "停用账户", "生成重置码")
	token := root.csrf(userPath)

	pg = root.post(userPath+"/disable", url.Values{"csrf_token": {token}})
	mustContain(t, pg, "账户已停用", "已停用")
	if editor.get("/my").url != "/login?next=%2Fmy" {
		t.Error("a disabled user's browser is still signed in")
	}
	again := p.browser()
	mustStatus(t, again.post("/login", url.Values{"csrf_token": {again.csrf("/login")}, "username": {"editor.li"}, "password": {password}}), http.StatusUnauthorized)
	mustContain(t, root.post(userPath+"/enable", url.Values{"csrf_token": {token}}), "账户已启用")

	pg = root.post(userPath+"/reset-code", url.Values{"csrf_token": {token}})
	mustStatus(t, pg, http.StatusOK)
	code := regexp.MustCompile(identity.ResetCodePrefix + `[a-z0-9]{20,}`).FindString(pg.body)
	if code == "" || pg.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("no reset code shown uncached (Cache-Control %q)", pg.header.Get("Cache-Control"))
	}
	if strings.Contains(root.get(userPath).body, code) {
		t.Error("the reset code is shown a second time")
	}
	anon := p.browser()
	mustContain(t, anon.get("/login"), `href="/password-reset"`)
	const chosen = "chosen after reset 7"
	resetToken := anon.csrf("/password-reset")
	pg = anon.post("/password-reset", url.Values{"csrf_token": {resetToken}, "reset_code": {"dpr_wrong"}, "new_password": {chosen}, "new_password_confirm": {chosen}})
	mustStatus(t, pg, http.StatusUnprocessableEntity)
	mustContain(t, pg, "重置码：重置码无效", `href="#field-reset_code"`)
	pg = anon.post("/password-reset", url.Values{"csrf_token": {resetToken}, "reset_code": {code}, "new_password": {chosen}, "new_password_confirm": {chosen}})
	mustContain(t, pg, "密码已设置，请用新密码登录")
	pg = anon.post("/login", url.Values{"csrf_token": {anon.csrf("/login")}, "username": {"editor.li"}, "password": {chosen}})
	if pg.url != "/my" {
		t.Errorf("sign-in with the chosen password ended at %s (%d)", pg.url, pg.status)
	}

	pg = root.post(userPath+"/password", url.Values{"csrf_token": {token}, "password": {"set by root 1234"}, "password_confirm": {"something else"}})
	mustStatus(t, pg, http.StatusUnprocessableEntity)
	mustContain(t, pg, "与密码不一致")
	pg = root.post(userPath+"/revoke-access", url.Values{"csrf_token": {token}})
	mustContain(t, pg, "全部登录已注销")
	if anon.get("/my").url != "/login?next=%2Fmy" {
		t.Error("after revocation the user's browser is still signed in")
	}

	rootPath := "/admin/users/" + userID(t, p, "root")
	pg = root.post(rootPath+"/disable", url.Values{"csrf_token": {token}})
	mustStatus(t, pg, http.StatusConflict)
	mustContain(t, pg, "平台必须至少保留一名启用的系统管理员")
	pg = root.post(rootPath+"/platform-roles", url.Values{"csrf_token": {token}, "platform_roles_form": {"1"}})
	mustStatus(t, pg, http.StatusConflict)
	pg = root.post(userPath+"/platform-roles", url.Values{"csrf_token": {token}, "platform_roles_form": {"1"}, "platform_roles": {"auditor"}})
	mustContain(t, pg, "平台角色已保存")
}

// TestLoginAsksToWait: repeated failures give a delay with its length in
// seconds (and Retry-After), not a lockout page.
func TestLoginAsksToWait(t *testing.T) {
	p := newPortal(t)
	b := p.browser()
	token := b.csrf("/login")
	var pg page
	for range 6 {
		pg = b.post("/login", url.Values{"csrf_token": {token}, "username": {"editor.li"}, "password": {"wrong password"}})
	}
	mustStatus(t, pg, http.StatusTooManyRequests)
	secs, err := strconv.Atoi(pg.header.Get("Retry-After"))
	if err != nil || secs < 1 || secs > 30 {
		t.Fatalf("Retry-After = %q, want 1–30 seconds", pg.header.Get("Retry-After"))
	}
	mustContain(t, pg, "请 "+strconv.Itoa(secs)+" 秒后再试", `value="editor.li"`, `name="password"`)
}

// TestCSRFTokenIsBoundToTheSession: a cookie pair planted in a signed-in
// browser (say by a sibling subdomain) does not let a form through: the
// token must come from the browser's own session.
func TestCSRFTokenIsBoundToTheSession(t *testing.T) {
	p := newPortal(t)
	victim := p.browser()
	victim.login("editor.li")
	before := p.resourceCount()

	attacker := p.browser()
	planted := attacker.csrf("/login") // a valid token of the attacker's own cookies
	base, err := url.Parse(p.url)
	if err != nil {
		t.Fatal(err)
	}
	victim.client.Jar.SetCookies(base, attacker.client.Jar.Cookies(base))
	pg := victim.post("/my/resources", bikeForm(planted, p.org.ID))
	mustStatus(t, pg, http.StatusForbidden)
	mustContain(t, pg, "表单已失效")
	if p.resourceCount() != before {
		t.Error("a planted cookie pair let a form through")
	}

	// Another session of the same user has its own tokens.
	other := p.browser()
	other.login("editor.li")
	mustStatus(t, victim.post("/my/resources", bikeForm(other.csrf("/my/resources/new"), p.org.ID)), http.StatusForbidden)
	// The victim's own token still works.
	pg = victim.post("/my/resources", bikeForm(victim.csrf("/my/resources/new"), p.org.ID))
	if p.resourceCount() != before+1 {
		t.Fatalf("the browser's own token was refused: %d %s", pg.status, pg.url)
	}
}

// TestSignInFormNeedsItsPreSessionCookie: the anonymous sign-in form's
// token is bound to a pre-session cookie; a token without it is refused.
func TestSignInFormNeedsItsPreSessionCookie(t *testing.T) {
	p := newPortal(t)
	attacker := p.browser()
	token := attacker.csrf("/login")
	fresh := p.browser() // has no cookies of this site
	pg := fresh.post("/login", url.Values{"csrf_token": {token}, "username": {"editor.li"}, "password": {password}})
	mustStatus(t, pg, http.StatusForbidden)
	if fresh.get("/my").url != "/login?next=%2Fmy" {
		t.Error("a forged sign-in signed the browser in")
	}
}

func userID(t *testing.T, p *portal, username string) string {
	t.Helper()
	u, err := p.identity.UserByName(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// roleIn is a user's role in the portal's institution, read afresh.
func roleIn(t *testing.T, p *portal, username string) identity.Role {
	t.Helper()
	pr, err := p.identity.Principal(context.Background(), userID(t, p, username))
	if err != nil {
		t.Fatal(err)
	}
	return pr.RoleIn(p.org.ID)
}

func usccOf(t *testing.T, first17 string) string {
	t.Helper()
	c, err := identity.USCCCheckChar(first17)
	if err != nil {
		t.Fatal(err)
	}
	return first17 + string(c)
}
