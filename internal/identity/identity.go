// Package identity holds organizations, users, their roles, browser sessions
// and API tokens, and the authorization questions about them.
package identity

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"dataport/internal/store"
)

// Sentinel errors; the web layer maps them to statuses.
var (
	// ErrUnauthenticated means the caller must sign in first.
	ErrUnauthenticated = errors.New("authentication required")
	// ErrForbidden means the caller is signed in but may not do this.
	ErrForbidden = errors.New("forbidden")
	// ErrBadCredentials means the username or password is wrong.
	ErrBadCredentials = errors.New("wrong username or password")
	// ErrThrottled means too many failed sign-ins; try again later. The
	// error Authenticate returns is a *ThrottledError saying how long to wait.
	ErrThrottled = errors.New("too many failed sign-ins")
	// ErrLastAdmin refuses removing or demoting an organization's last admin.
	ErrLastAdmin error = conflictError("the organization must keep at least one admin: make another member admin first")
	// ErrLastSysadmin refuses disabling, or taking the role from, the
	// platform's last enabled sysadmin.
	ErrLastSysadmin error = conflictError("the platform must keep at least one enabled sysadmin: give another user the role first")
	// ErrPasswordChanged refuses a password change whose check raced another
	// change of the same password.
	ErrPasswordChanged error = conflictError("the password was changed meanwhile: sign in again")
)

// conflictError is a refusal because of the state of other records; it
// unwraps to store.ErrConflict, which the web layer answers with 409.
type conflictError string

func (e conflictError) Error() string { return string(e) }
func (e conflictError) Unwrap() error { return store.ErrConflict }

// ThrottledError refuses a sign-in attempt until Wait has passed. It never
// locks an account: see throttle.go.
type ThrottledError struct {
	Wait time.Duration
}

// Seconds is the wait in whole seconds, rounded up (at least 1).
func (e *ThrottledError) Seconds() int { return max(1, int(math.Ceil(e.Wait.Seconds()))) }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many failed sign-ins: try again in %d seconds", e.Seconds())
}

// Unwrap makes errors.Is(err, ErrThrottled) hold.
func (e *ThrottledError) Unwrap() error { return ErrThrottled }

// OrgKind is the kind of an organization.
type OrgKind string

// Organization kinds.
const (
	KindInstitution OrgKind = "institution" // 公共机构
	KindEnterprise  OrgKind = "enterprise"  // 企业
	KindIndividual  OrgKind = "individual"  // 个人 (a person acting alone)
	KindOperator    OrgKind = "operator"    // 授权运营单位 / 平台运营
	KindExchange    OrgKind = "exchange"    // 数据交易机构
	KindRegulator   OrgKind = "regulator"   // 监管部门
)

// OrgKinds lists every organization kind in display order.
var OrgKinds = []OrgKind{KindInstitution, KindEnterprise, KindIndividual, KindOperator, KindExchange, KindRegulator}

// IsPublicBody reports whether organizations of kind k are public bodies
// (public institutions and the platform's operating body), the only ones
// that catalog public data. Companies and persons apply, request and comment.
func (k OrgKind) IsPublicBody() bool { return k == KindInstitution || k == KindOperator }

// NeedsUSCC reports whether organizations of kind k must carry a USCC.
func (k OrgKind) NeedsUSCC() bool { return k == KindInstitution || k == KindEnterprise }

// Organization is a body that holds, uses or oversees data.
type Organization struct {
	ID          string    `json:"id"`
	Kind        OrgKind   `json:"kind"`
	NameZh      string    `json:"name_zh"`
	NameEn      string    `json:"name_en"`
	USCC        string    `json:"uscc"`
	Code        string    `json:"code"`
	RegionCode  string    `json:"region_code"`
	Description string    `json:"description"`
	Website     string    `json:"website"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`

	// ResponsibleUserID is the unit's person responsible for data security
	// (数据安全负责人) and ChiefDataOfficerUserID its chief data officer
	// (首席数据官, optional): members of the unit, named by SetOfficers.
	ResponsibleUserID      string `json:"responsible_user_id"`
	ChiefDataOfficerUserID string `json:"chief_data_officer_user_id"`
}

// Role is a user's role within one organization.
type Role string

// Membership roles, weakest first.
const (
	RoleMember Role = "member"
	RoleEditor Role = "editor"
	RoleAdmin  Role = "admin"
)

// Roles lists membership roles weakest first.
var Roles = []Role{RoleMember, RoleEditor, RoleAdmin}

func (r Role) rank() int { return slices.Index(Roles, r) }

// PlatformRole is a role over the whole platform.
type PlatformRole string

// Platform roles.
const (
	PlatformSysadmin  PlatformRole = "sysadmin"
	PlatformOperator  PlatformRole = "operator" // 市大数据中心 platform operator
	PlatformRegulator PlatformRole = "regulator"
	PlatformAuditor   PlatformRole = "auditor"
	// PlatformSecurity is the security officer (安全管理员): security
	// monitoring rules and alerts, incidents, risk assessments (art. 46–48).
	PlatformSecurity PlatformRole = "security"
)

// PlatformRoles lists every platform role.
var PlatformRoles = []PlatformRole{PlatformSysadmin, PlatformOperator, PlatformRegulator, PlatformAuditor, PlatformSecurity}

// User is a person who signs in.
type User struct {
	ID          string `json:"id"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Email       string `json:"email,omitempty"`
	Disabled    bool   `json:"disabled"`
	// State is where a self-registered account stands (active for accounts
	// made by staff); EmailConfirmed says its address was confirmed.
	State          AccountState   `json:"state"`
	EmailConfirmed bool           `json:"email_confirmed"`
	PlatformRoles  []PlatformRole `json:"platform_roles"`
	Memberships    []Membership   `json:"memberships"`
	CreatedAt      time.Time      `json:"created_at"`
}

// Membership is a user's role in one organization.
type Membership struct {
	OrganizationID string `json:"organization_id"`
	Role           Role   `json:"role"`
	// OrgKind is the organization's kind, read with the user's roles (as
	// Principal loads them) so that rules such as "exchange staff are
	// members of an organization of kind exchange" need no query; it is
	// neither input nor output.
	OrgKind OrgKind `json:"-"`
}

// Principal is who is acting: a user with their roles, or nobody (anonymous).
type Principal struct {
	UserID        string
	Username      string
	DisplayName   string
	PlatformRoles []PlatformRole
	Memberships   []Membership
}

// Anonymous is the principal of a caller who has not signed in.
var Anonymous = Principal{}

// System is the principal of the platform itself (seeding, CLI maintenance).
var System = Principal{UserID: "system", Username: "system", DisplayName: "system", PlatformRoles: []PlatformRole{PlatformSysadmin}}

// IsAnonymous reports whether nobody is signed in.
func (p Principal) IsAnonymous() bool { return p.UserID == "" }

// Has reports whether p holds platform role r.
func (p Principal) Has(r PlatformRole) bool { return slices.Contains(p.PlatformRoles, r) }

// RoleIn returns p's role in organization orgID, or "" when p is not a member.
func (p Principal) RoleIn(orgID string) Role {
	for _, m := range p.Memberships {
		if m.OrganizationID == orgID {
			return m.Role
		}
	}
	return ""
}

// AtLeast reports whether p holds role r or a stronger one in orgID.
func (p Principal) AtLeast(orgID string, r Role) bool {
	have := p.RoleIn(orgID)
	return have != "" && have.rank() >= r.rank()
}

// IsPlatformStaff reports whether p oversees the whole platform (sysadmin,
// operator, regulator or auditor) and so may see work in progress.
func (p Principal) IsPlatformStaff() bool { return len(p.PlatformRoles) > 0 }

// OrgIDs returns the organizations p belongs to.
func (p Principal) OrgIDs() []string {
	ids := make([]string, len(p.Memberships))
	for i, m := range p.Memberships {
		ids[i] = m.OrganizationID
	}
	return ids
}

// CanManageOrganizations: sysadmins and platform operators register organizations.
func CanManageOrganizations(p Principal) bool {
	return p.Has(PlatformSysadmin) || p.Has(PlatformOperator)
}

// CanManageUsers: sysadmins create users and grant platform roles.
func CanManageUsers(p Principal) bool { return p.Has(PlatformSysadmin) }

// CanManageMembers: sysadmins and platform operators anywhere, and admins
// of the organization, add, change and remove its members. Which accounts an
// organization's admin may add is narrower: see SetMembership.
func CanManageMembers(p Principal, orgID string) bool {
	return CanEnrolAnyAccount(p) || p.AtLeast(orgID, RoleAdmin)
}

// CanEnrolAnyAccount: sysadmins and platform operators may add any account
// to any organization, including a company or person account to a public
// body (the operator's approval that an organization's own admin lacks).
func CanEnrolAnyAccount(p Principal) bool {
	return p.Has(PlatformSysadmin) || p.Has(PlatformOperator)
}

// CanSeeActors: auditors and regulators see who did what in any event; other
// people see an event's actor only when it is themselves or the event is
// about something they own (the web layer asks that part).
func CanSeeActors(p Principal) bool { return p.Has(PlatformAuditor) || p.Has(PlatformRegulator) }
