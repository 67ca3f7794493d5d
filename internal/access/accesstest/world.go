// Package accesstest builds a small city for tests of access, sharing and
// opening: a providing institution, a requesting institution, a company, a
// person, platform staff, and published resources of every share and open
// type, all written through the real identity and catalog services.
package accesstest

import (
	"context"
	"fmt"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/classify"
	"dataport/internal/identity"
	"dataport/internal/store"
)

// World is the test city.
type World struct {
	DB  *store.DB
	Cat *catalog.Service
	IDs *identity.Service

	Provider, Requester, Company, Person identity.Organization

	Operator, Sysadmin, Auditor         identity.Principal
	ProviderAdmin, ProviderEditor       identity.Principal
	RequesterAdmin, RequesterMember     identity.Principal
	CompanyAdmin, Citizen, Unaffiliated identity.Principal

	// Resources of the provider, published unless named otherwise.
	Open         catalog.Resource // share unconditional, open unconditional, general, level 1
	OpenPersonal catalog.Resource // open unconditional, holding personal information
	Conditional  catalog.Resource // share conditional, open conditional
	Closed       catalog.Resource // share conditional, open none
	Unshared     catalog.Resource // share none, open none
	Important    catalog.Resource // important data, share conditional, open conditional
	Draft        catalog.Resource // open unconditional but still a draft
	Retired      catalog.Resource // was open, now retired
}

// Items are the data items of every test resource.
var Items = []catalog.Item{
	{Name: "station", LabelZh: "站点", Type: catalog.TypeText, Key: true, Required: true},
	{Name: "district", LabelZh: "区", Type: catalog.TypeText},
	{Name: "riders", LabelZh: "客流", Type: catalog.TypeInteger},
	{Name: "phone", LabelZh: "联系电话", Type: catalog.TypeText},
}

// New builds the world in db.
func New(t testing.TB, db *store.DB) *World {
	t.Helper()
	w := &World{DB: db, Cat: catalog.NewService(db), IDs: identity.NewService(db)}
	w.Provider = w.org(t, identity.KindInstitution, "京华市交通委员会", "JTW", "")
	w.Requester = w.org(t, identity.KindInstitution, "京华市生态环境局", "STHJ", "")
	w.Company = w.org(t, identity.KindEnterprise, "京华智通数据有限公司", "ZTSJ", "")
	w.Person = w.org(t, identity.KindIndividual, "林若溪", "GR01", "")
	op := w.org(t, identity.KindOperator, "京华市大数据中心", "DSJZX", "")
	w.Sysadmin = w.user(t, "root", identity.PlatformSysadmin)
	w.Operator = w.user(t, "operator", identity.PlatformOperator, identity.Membership{OrganizationID: op.ID, Role: identity.RoleAdmin})
	w.Auditor = w.user(t, "auditor", identity.PlatformAuditor)
	w.ProviderAdmin = w.user(t, "jtw.admin", "", identity.Membership{OrganizationID: w.Provider.ID, Role: identity.RoleAdmin})
	w.ProviderEditor = w.user(t, "jtw.editor", "", identity.Membership{OrganizationID: w.Provider.ID, Role: identity.RoleEditor})
	w.RequesterAdmin = w.user(t, "sthj.admin", "", identity.Membership{OrganizationID: w.Requester.ID, Role: identity.RoleAdmin})
	w.RequesterMember = w.user(t, "sthj.member", "", identity.Membership{OrganizationID: w.Requester.ID, Role: identity.RoleMember})
	w.CompanyAdmin = w.user(t, "company", "", identity.Membership{OrganizationID: w.Company.ID, Role: identity.RoleAdmin})
	w.Citizen = w.user(t, "citizen", "", identity.Membership{OrganizationID: w.Person.ID, Role: identity.RoleAdmin})
	w.Unaffiliated = w.user(t, "nobody", "")

	w.Open = w.resource(t, "公交站点客流", catalog.ShareUnconditional, catalog.OpenUnconditional, catalog.ClassGeneral, false, catalog.StatusPublished)
	w.OpenPersonal = w.resource(t, "出租车司机联系方式", catalog.ShareUnconditional, catalog.OpenUnconditional, catalog.ClassGeneral, true, catalog.StatusPublished)
	w.Conditional = w.resource(t, "地铁刷卡记录", catalog.ShareConditional, catalog.OpenConditional, catalog.ClassGeneral, true, catalog.StatusPublished)
	w.Closed = w.resource(t, "道路养护计划", catalog.ShareConditional, catalog.OpenNone, catalog.ClassGeneral, false, catalog.StatusPublished)
	w.Unshared = w.resource(t, "执法车辆轨迹", catalog.ShareNone, catalog.OpenNone, catalog.ClassGeneral, false, catalog.StatusPublished)
	w.Important = w.resource(t, "重点车辆实时定位", catalog.ShareConditional, catalog.OpenConditional, catalog.ClassImportant, false, catalog.StatusPublished)
	w.Draft = w.resource(t, "共享单车停放点", catalog.ShareUnconditional, catalog.OpenUnconditional, catalog.ClassGeneral, false, catalog.StatusDraft)
	w.Retired = w.resource(t, "旧公交线路", catalog.ShareUnconditional, catalog.OpenUnconditional, catalog.ClassGeneral, false, catalog.StatusRetired)
	return w
}

func (w *World) org(t testing.TB, kind identity.OrgKind, name, code, uscc string) identity.Organization {
	t.Helper()
	in := identity.OrgInput{Kind: kind, NameZh: name, Code: code, USCC: uscc}
	if kind.NeedsUSCC() && uscc == "" {
		in.USCC = usccFor(code)
	}
	o, err := w.IDs.CreateOrganization(context.Background(), identity.System, in)
	if err != nil {
		t.Fatalf("create organization %s: %v", code, err)
	}
	return o
}

// usccFor returns a valid USCC derived from a short code.
func usccFor(code string) string {
	n := uint32(2166136261)
	for i := range len(code) {
		n = (n ^ uint32(code[i])) * 16777619
	}
	first17 := fmt.Sprintf("91110000%09d", n%1_000_000_000)
	c, err := identity.USCCCheckChar(first17)
	if err != nil {
		panic(err)
	}
	return first17 + string(c)
}

func (w *World) user(t testing.TB, name string, role identity.PlatformRole, ms ...identity.Membership) identity.Principal {
	t.Helper()
	ctx := context.Background()
	in := identity.UserInput{Username: name, DisplayName: name, Password: Password, Memberships: ms}
	if role != "" {
		in.PlatformRoles = []identity.PlatformRole{role}
	}
	u, err := w.IDs.CreateUser(ctx, identity.System, in)
	if err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	p, err := w.IDs.Principal(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Password is every test user's password.
const Password = "a long enough password"

func (w *World) resource(t testing.TB, title string, share catalog.ShareType, open catalog.OpenType, class catalog.Classification,
	personal bool, status catalog.Status) catalog.Resource {
	t.Helper()
	ctx := context.Background()
	in := catalog.Input{TitleZh: title, DescriptionZh: title + "（测试）", Subject: "04", Items: Items,
		UpdateFrequency: catalog.FreqDaily, ShareType: share, OpenType: open, Classification: class, Level: 1, PersonalInfo: personal}
	if share != catalog.ShareUnconditional {
		in.ShareBasis = "《京华市公共数据管理办法》第十条"
	}
	if open != catalog.OpenUnconditional {
		in.OpenBasis = "《京华市公共数据管理办法》第十二条"
	}
	if class == catalog.ClassImportant {
		in.Level = 3
	}
	r, err := w.Cat.Create(ctx, w.ProviderEditor, w.Provider.ID, in)
	if err != nil {
		t.Fatalf("create %s: %v", title, err)
	}
	if status == catalog.StatusDraft {
		return r
	}
	must := func(r catalog.Resource, err error) catalog.Resource {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", title, err)
		}
		return r
	}
	must(w.Cat.Submit(ctx, w.ProviderEditor, r.ID))
	r = must(w.Cat.Review(ctx, w.Operator, r.ID, catalog.Approve, ""))
	if status == catalog.StatusRetired {
		r = must(w.Cat.Retire(ctx, w.ProviderAdmin, r.ID, "停止更新"))
	}
	return r
}

// Rules are classification rules for tests: the platform's default policy,
// with a de-identification profile "mask-<code>" covering every path of
// each resource that holds personal information (as if the provider had
// defined one).
type Rules struct{}

// Requirement implements access.Rules.
func (Rules) Requirement(_ context.Context, r catalog.Resource, use classify.Use, path classify.Path) (classify.Requirement, error) {
	var refs []classify.ProfileRef
	if r.PersonalInfo {
		refs = []classify.ProfileRef{{ID: "mask-" + r.Code, Name: "mask"}}
	}
	return classify.DefaultPolicy.Enforce(classify.EnforcementInput{Resource: r, Use: use, Path: path, Profiles: refs}), nil
}
