package demo

import "dataport/internal/identity"

// userSpec is one demo user.
type userSpec struct {
	username string
	display  string
	role     string // human-readable role for the account list
	org      string // organization code, "" for none
	member   identity.Role
	platform []identity.PlatformRole
}

// platformUsers oversee the platform; the operator reviews catalog entries.
var platformUsers = []userSpec{
	{username: "admin", display: "系统管理员", role: "sysadmin",
		platform: []identity.PlatformRole{identity.PlatformSysadmin}},
	{username: "operator", display: "罗晓东", role: "platform operator", org: "DSJZX", member: identity.RoleAdmin,
		platform: []identity.PlatformRole{identity.PlatformOperator}},
	{username: "regulator", display: "严启航", role: "regulator", org: "WXB", member: identity.RoleMember,
		platform: []identity.PlatformRole{identity.PlatformRegulator}},
	{username: "auditor", display: "白清源", role: "auditor",
		platform: []identity.PlatformRole{identity.PlatformAuditor}},
	{username: "security", display: "韩振宇", role: "security officer", org: "DSJZX", member: identity.RoleMember,
		platform: []identity.PlatformRole{identity.PlatformSecurity}},
}

// marketUsers use, trade and apply for data.
var marketUsers = []userSpec{
	{username: "exchange", display: "陆一鸣", role: "exchange staff", org: "SJJYS", member: identity.RoleAdmin},
	{username: "company", display: "高书航", role: "company user, exchange buyer", org: "ZTDH", member: identity.RoleAdmin},
	{username: "citizen", display: "林若溪", role: "person user", org: "GR01", member: identity.RoleAdmin},
	{username: "researcher", display: "周子航", role: "person user", org: "GR02", member: identity.RoleAdmin},
}

// password is the demo password of a user: readable, distinct, deterministic.
func password(username string) string { return "Jinghua@" + username }

// operatorName is the user who reviews catalog entries.
const operatorName = "operator"

func adminName(orgCode string) string  { return lower(orgCode) + ".admin" }
func editorName(orgCode string) string { return lower(orgCode) + ".editor" }

// allUsers lists every user in creation order: platform staff, each
// institution's admin and editor, then the public and market users.
func allUsers() []userSpec {
	out := append([]userSpec{}, platformUsers...)
	for _, o := range institutions {
		out = append(out,
			userSpec{username: adminName(o.code), display: o.admin, role: "institution admin (" + o.short + ")",
				org: o.code, member: identity.RoleAdmin},
			userSpec{username: editorName(o.code), display: o.editor, role: "institution editor (" + o.short + ")",
				org: o.code, member: identity.RoleEditor})
	}
	return append(out, marketUsers...)
}
