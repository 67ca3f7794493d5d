// Package zonestest builds a public data zone for tests on top of
// accesstest's city: a health commission stewarding a zone with a
// person-level resource of visits, and a company operating in it once
// authorised through the real application workflow (the steward's editor,
// then the platform operator) — all written through the real identity,
// catalog, review, access and zones services.
package zonestest

import (
	"context"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/zones"
)

// Options say how to build the world. Zero fields take the defaults.
type Options struct {
	// Sandbox builds the zones' sandbox from the world built so far
	// (access and catalog are ready); nil: no sandbox (no queries run).
	Sandbox func(w *World) zones.Sandbox
	// Zones configures the zones service (its Review defaults to the
	// world's review service).
	Zones zones.Config
	// Rules are the health zone's rules (zero: DefaultRules with the
	// "dp" mechanism and a minimum cell size of 10).
	Rules zones.Rules
}

// World is the test city with a health zone.
type World struct {
	*accesstest.World
	Access *access.Service
	Review *review.Service
	Zones  *zones.Service

	// Steward is the health commission (an institution) keeping the zone;
	// its admin manages the zone, its editor reviews applications and
	// results.
	Steward                                    identity.Organization
	StewardAdmin, StewardEditor, StewardMember identity.Principal
	// OperatorOrg is the company that applies to compute in the zone;
	// OperatorUser is its admin. (Operator is the platform operator.)
	OperatorOrg  identity.Organization
	OperatorUser identity.Principal
	// Visits is the steward's published person-level resource (VisitItems).
	Visits catalog.Resource
	// Zone is ZONE-HEALTH with Visits, its bounds on cost (0–50,000).
	Zone zones.Zone
}

// VisitItems describe one patient's visits: a key, numbers, codes and a
// free-text note.
func VisitItems() []catalog.Item {
	return []catalog.Item{
		{Name: "patient_key", LabelZh: "患者标识", Type: catalog.TypeText, Key: true, Required: true},
		{Name: "age", LabelZh: "年龄", Type: catalog.TypeInteger},
		{Name: "sex", LabelZh: "性别", Type: catalog.TypeCode, CodeList: []catalog.Code{{Code: "1", Label: "男"}, {Code: "2", Label: "女"}}},
		{Name: "district", LabelZh: "所属区县", Type: catalog.TypeCode,
			CodeList: []catalog.Code{{Code: "110101", Label: "东城区"}, {Code: "110102", Label: "西城区"}, {Code: "110105", Label: "朝阳区"}}},
		{Name: "diagnosis_group", LabelZh: "诊断分组", Type: catalog.TypeCode,
			CodeList: []catalog.Code{{Code: "A", Label: "呼吸系统"}, {Code: "B", Label: "循环系统"}, {Code: "C", Label: "消化系统"}}},
		{Name: "cost", LabelZh: "费用", Type: catalog.TypeDecimal, Precision: 2},
		{Name: "note", LabelZh: "病历摘要", Type: catalog.TypeText},
	}
}

// CostUpper is the upper clamping bound the health zone sets on cost.
const CostUpper = 50_000

// New builds the world in db. The access service is closed when the test ends.
func New(t testing.TB, db *store.DB, opts Options) *World {
	t.Helper()
	ctx := context.Background()
	w := &World{World: accesstest.New(t, db), Review: review.NewService(db, review.Config{})}
	w.Access = access.New(db, w.Cat, access.Config{})
	t.Cleanup(w.Access.Close)
	w.Steward = w.NewOrg(t, identity.KindInstitution, "京华市卫生健康委员会", "WJW")
	w.StewardAdmin = w.NewUser(t, "wjw.admin", "", identity.Membership{OrganizationID: w.Steward.ID, Role: identity.RoleAdmin})
	w.StewardEditor = w.NewUser(t, "wjw.editor", "", identity.Membership{OrganizationID: w.Steward.ID, Role: identity.RoleEditor})
	w.StewardMember = w.NewUser(t, "wjw.member", "", identity.Membership{OrganizationID: w.Steward.ID, Role: identity.RoleMember})
	w.OperatorOrg = w.NewOrg(t, identity.KindEnterprise, "京华健康数据科技有限公司", "JKSJ")
	w.OperatorUser = w.NewUser(t, "zone.operator", "", identity.Membership{OrganizationID: w.OperatorOrg.ID, Role: identity.RoleAdmin})
	w.Visits = w.Resource(t, w.Steward, w.StewardEditor, "门诊就诊记录", VisitItems())
	var sandbox zones.Sandbox
	if opts.Sandbox != nil {
		sandbox = opts.Sandbox(w)
	}
	cfg := opts.Zones
	if cfg.Review == nil {
		cfg.Review = w.Review
	}
	w.Zones = zones.New(db, w.IDs, w.Cat, w.Access, sandbox, cfg)
	rules := opts.Rules
	if len(rules.Mechanisms) == 0 {
		rules.Mechanisms = zones.DefaultRules.Mechanisms
	}
	z, err := w.Zones.Create(ctx, w.Operator, zones.ZoneInput{Code: "ZONE-HEALTH", NameZh: "医疗健康专区", NameEn: "Health zone",
		Domain: zones.DomainHealth, StewardOrgID: w.Steward.ID, DescriptionZh: "医疗健康数据的授权运营", Rules: rules})
	if err != nil {
		t.Fatalf("create zone: %v", err)
	}
	lower, upper := 0.0, float64(CostUpper)
	if w.Zone, err = w.Zones.SetMember(ctx, w.StewardAdmin, z.ID, zones.MemberInput{ResourceID: w.Visits.ID,
		Items: []zones.ItemRule{{Name: "cost", Role: "attribute", Lower: &lower, Upper: &upper}}}); err != nil {
		t.Fatalf("add visits to the zone: %v", err)
	}
	return w
}

// Resource creates a resource of org with items (its editor writing it)
// and has the platform operator publish it.
func (w *World) Resource(t testing.TB, org identity.Organization, editor identity.Principal, title string, items []catalog.Item) catalog.Resource {
	t.Helper()
	ctx := context.Background()
	r, err := w.Cat.Create(ctx, editor, org.ID, catalog.Input{TitleZh: title, DescriptionZh: title + "（测试）", Subject: "04", Items: items,
		UpdateFrequency: catalog.FreqDaily, ShareType: catalog.ShareConditional, ShareBasis: "《京华市公共数据管理办法》第十条",
		OpenType: catalog.OpenNone, OpenBasis: "《个人信息保护法》第二十八条", Classification: catalog.ClassGeneral, Level: 2, PersonalInfo: true})
	if err != nil {
		t.Fatalf("create %s: %v", title, err)
	}
	if _, err := w.Cat.Submit(ctx, editor, r.ID); err != nil {
		t.Fatalf("submit %s: %v", title, err)
	}
	if r, err = w.Cat.Review(ctx, w.Operator, r.ID, catalog.Approve, ""); err != nil {
		t.Fatalf("publish %s: %v", title, err)
	}
	return r
}

// Application is an application of the operator to the zone for Visits,
// valid from an hour ago for a year.
func (w *World) Application() zones.ApplicationInput {
	now := time.Now().UTC()
	return zones.ApplicationInput{Scenario: "区域门诊负担统计分析", DocumentNo: "京卫授〔2026〕1号", DocumentTitle: "授权运营协议",
		ResourceIDs: []string{w.Visits.ID}, ValidFrom: now.Add(-time.Hour), ValidUntil: now.AddDate(1, 0, 0)}
}

// Authorise has the operator apply with in, the steward's editor and then
// the platform operator approve, and returns the authorisation created.
func (w *World) Authorise(t testing.TB, in zones.ApplicationInput) zones.Authorisation {
	t.Helper()
	ctx := context.Background()
	a, err := w.Zones.Apply(ctx, w.OperatorUser, w.Zone.ID, in)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if _, err := w.Zones.DecideApplication(ctx, w.StewardEditor, a.ID, review.Approve, "场景合理"); err != nil {
		t.Fatalf("steward review: %v", err)
	}
	if a, err = w.Zones.DecideApplication(ctx, w.Operator, a.ID, review.Approve, "同意授权"); err != nil {
		t.Fatalf("operator review: %v", err)
	}
	if a.AuthorisationID == "" {
		t.Fatalf("the approved application %s has no authorisation (status %s)", a.ID, a.Status)
	}
	auth, err := w.Zones.Authorisation(ctx, w.OperatorUser, a.AuthorisationID)
	if err != nil {
		t.Fatal(err)
	}
	return auth
}
