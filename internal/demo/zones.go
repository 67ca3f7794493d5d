package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"dataport/internal/assess"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/validate"
	"dataport/internal/zones"
	"dataport/internal/zones/zsql"
)

// The public data zones of 京华市 (公共数据专区, article 19), seeded
// through the zones service so that the zones, the authorisation, its
// access grants and budgets, and the past queries are real:
//
//   - 医疗健康专区 (ZONE-HEALTH), stewarded by 市卫生健康委, holding its
//     person-level outpatients resource (24,000 patients, one row each);
//     minimum cell size 10, (n,k) dominance, and differential privacy with
//     an epsilon budget of 3.0 per operator and resource;
//   - 交通专区 (ZONE-TRANSPORT), stewarded by 市交通委, holding its transit
//     cards resource (5,000 cards), with no operator yet;
//   - 京华健康数据科技有限公司, whose admin zone.operator applied for the
//     health zone, approved by the commission's editor (wjw.editor) and
//     then the platform operator;
//   - zone.operator's past queries in the health zone: visits and average
//     cost by district (released), perinatal patients by district
//     (released with suppressed cells), a district's patients (released)
//     followed by the same without its three oldest (refused: the
//     difference would isolate them), SELECT * (refused by the guard),
//     patients by sex under differential privacy (released, epsilon 0.5
//     spent) and congenital anomalies by district (a cell of 12, near the
//     minimum: waiting for the steward's review).
//
// The commission's editor reads the raw rows of its own resource (it is
// its institution's data); the operator sees only released results.

// ZoneServices are the services SeedZones goes through. Zones must queue
// its queries for a job runner (zones.Config.Jobs) that is not started
// yet, as the demo's server starts it after seeding: SeedZones runs each
// query it submits itself, and the job later finds it finished.
type ZoneServices struct {
	Identity  *identity.Service
	Catalog   *catalog.Service
	Datastore *datastore.Service
	Zones     *zones.Service
	// Assess assesses each zone's important resource before the zone uses
	// it (art. 46: zone use of important data needs a current assessment).
	Assess *assess.Service
}

// zoneOperatorOrg is the code of the organization SeedZones creates
// first: when it exists, the zones are seeded.
const zoneOperatorOrg = "JKSJ"

// Codes of the demo's zones.
const (
	healthZone    = "ZONE-HEALTH"
	transportZone = "ZONE-TRANSPORT"
)

// zoneOperator is the operator company's admin, authorised in the health zone.
const zoneOperator = "zone.operator"

// zoneOrgs are the organizations the zones bring to the city.
var zoneOrgs = withOrgDefaults([]orgSpec{
	{code: zoneOperatorOrg, kind: identity.KindEnterprise, zh: "京华健康数据科技有限公司", en: "Jinghua Health Data Technology Co., Ltd.",
		short: "健康数据科技", region: "110108", class: "91", body: "MA0H3K6W",
		desc: "从事医疗健康数据分析、慢性病管理服务和健康保险精算支持的科技企业，经市卫生健康委授权运营医疗健康公共数据专区。"},
})

// zoneUsers are the zones' demo logins (the stewards act through the
// institutions' existing editors, wjw.editor and jtw.editor).
var zoneUsers = []userSpec{
	{username: zoneOperator, display: "苏明哲", role: "zone operator, authorised in the health zone", org: zoneOperatorOrg, member: identity.RoleAdmin},
}

// zoneSpec is one demo zone: its stewarding institution and its resource.
type zoneSpec struct {
	in       zones.ZoneInput
	steward  string // organization code
	resource catalog.Input
	rows     func() [][]string
	bounds   []zones.ItemRule // clamping bounds of the numeric items
}

func bound(name string, lo, hi float64) zones.ItemRule {
	return zones.ItemRule{Name: name, Role: zsql.RoleAttribute, Lower: &lo, Upper: &hi}
}

// zoneRules are both zones' rules: statistical disclosure control and
// differential privacy, at least 10 persons a cell, 3.0 epsilon per
// operator and resource (the other rules take their defaults).
var zoneRules = zones.Rules{Mechanisms: []zsql.Mechanism{zsql.SDC, zsql.DP}, MinCellSize: 10, EpsilonBudget: 3}

var demoZones = []zoneSpec{
	{steward: "WJW", resource: outpatientPatients, rows: func() [][]string { return OutpatientRows(zoneVisitRows) },
		bounds: []zones.ItemRule{bound("age", 0, 110), bound("cost", 0, 50000)},
		in: zones.ZoneInput{Code: healthZone, NameZh: "医疗健康专区", NameEn: "Health data zone", Domain: zones.DomainHealth,
			DescriptionZh: "市卫生健康委管理的医疗健康公共数据专区：门诊就诊等个人级医疗数据留在专区内，经授权的运营单位只能提交聚合查询；" +
				"每个出域数字都经过最小单元格（10人）、(n,k)优势规则和次级抑制，按需叠加差分隐私（每个运营单位每项资源的隐私预算为3.0），" +
				"并与该单位此前的出域结果做差分检查。数据可用不可见，用途可控可计量。",
			DescriptionEn: "The health commission's public data zone: person-level outpatient data stays in the zone, and authorised operators " +
				"may only submit aggregate queries. Every released number passes a minimum cell size of 10 persons, (n,k) dominance and " +
				"secondary suppression, differential privacy on request (an epsilon budget of 3.0 per operator and resource), and a " +
				"difference check against the operator's earlier releases. Usable but not visible; its use controlled and metered.",
			Rules: zoneRules}},
	{steward: "JTW", resource: transitCards, rows: func() [][]string { return TransitCardRows(zoneCardRows) },
		bounds: []zones.ItemRule{bound("trips", 0, 200), bound("fare", 0, 1500)},
		in: zones.ZoneInput{Code: transportZone, NameZh: "交通专区", NameEn: "Transport data zone", Domain: zones.DomainTransport,
			DescriptionZh: "市交通委管理的交通公共数据专区：公共交通一卡通持卡人的出行记录留在专区内，经授权的运营单位可按区、年龄段和出行方式" +
				"统计出行量和票款，结果经最小单元格（10人）和差分隐私保护后出域，用于线网优化和出行服务研究。",
			DescriptionEn: "The transport commission's public data zone: transit card holders' trips stay in the zone; authorised operators " +
				"count trips and fares by district, age band and mode, released under a minimum cell size of 10 and differential privacy, " +
				"for network planning and mobility research.",
			Rules: zoneRules}},
}

// zoneSeed is the seeding in progress.
type zoneSeed struct {
	ZoneServices
	people map[string]identity.Principal    // by username
	orgs   map[string]identity.Organization // by code
	zones  map[string]zones.Zone            // by code
}

// SeedZones gives the demo city its public data zones, an authorised
// operator and its past queries. It runs after Seed on the same store and
// does nothing when the zones are seeded already.
func SeedZones(ctx context.Context, s ZoneServices) error {
	if seeded, err := hasOrganization(ctx, s.Identity, identity.KindEnterprise, zoneOperatorOrg); err != nil {
		return fmt.Errorf("demo zones: %w", err)
	} else if seeded {
		return nil
	}
	z := &zoneSeed{ZoneServices: s, people: map[string]identity.Principal{}, orgs: map[string]identity.Organization{},
		zones: map[string]zones.Zone{}}
	for _, step := range []func(context.Context) error{z.organizations, z.create, z.authorise, z.queries} {
		if err := step(ctx); err != nil {
			return fmt.Errorf("demo zones: %w", err)
		}
	}
	return nil
}

// organizations creates the operator company and its admin, and reads the
// stewards and the platform operator.
func (z *zoneSeed) organizations(ctx context.Context) error {
	for _, s := range zoneOrgs {
		if _, err := createOrganization(ctx, z.Identity, s); err != nil {
			return err
		}
	}
	all, err := z.Identity.Organizations(ctx, identity.OrgFilter{})
	if err != nil {
		return err
	}
	orgIDs := map[string]string{}
	for _, o := range all {
		z.orgs[o.Code], orgIDs[o.Code] = o, o.ID
	}
	people, err := createUsers(ctx, z.Identity, zoneUsers, orgIDs)
	if err != nil {
		return err
	}
	z.people = people
	for _, name := range []string{operatorName, editorName("WJW"), editorName("JTW")} {
		u, err := z.Identity.UserByName(ctx, name)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if z.people[name], err = z.Identity.Principal(ctx, u.ID); err != nil {
			return err
		}
	}
	return nil
}

// create catalogs each zone's resource as its steward's editor (approved
// by the platform operator), loads its rows in one load, and has the
// platform operator create the zone with the resource as its member.
func (z *zoneSeed) create(ctx context.Context) error {
	operator := z.people[operatorName]
	for _, spec := range demoZones {
		steward, ok := z.orgs[spec.steward]
		if !ok {
			return fmt.Errorf("%s: no organization %s", spec.in.Code, spec.steward)
		}
		editor := z.people[editorName(spec.steward)]
		r, err := z.Catalog.Create(ctx, editor, steward.ID, prepare(spec.resource, orgSpecOf(spec.steward)))
		if err == nil {
			r, err = z.Catalog.Submit(ctx, editor, r.ID)
		}
		if err == nil {
			r, err = z.Catalog.Review(ctx, operator, r.ID, catalog.Approve, "专区数据资源目录要素齐全，同意发布（不予共享、不予开放，仅在专区内计算）")
		}
		if err != nil {
			return fmt.Errorf("%s: %w", spec.resource.TitleZh, err)
		}
		data := labelledCSV(spec.resource.Items, spec.rows())
		if _, err := z.Datastore.Load(ctx, editor, r.ID, datastore.LoadInput{File: bytes.NewReader(data), Name: "rows.csv",
			Size: int64(len(data))}); err != nil {
			return fmt.Errorf("%s: rows: %w", spec.resource.TitleZh, err)
		}
		if err := assessResource(ctx, z.Assess, editor, r, true); err != nil {
			return err
		}
		in := spec.in
		in.StewardOrgID = steward.ID
		zone, err := z.Zones.Create(ctx, operator, in)
		if err != nil {
			return fmt.Errorf("zone %s: %w", in.Code, err)
		}
		if z.zones[in.Code], err = z.Zones.SetMember(ctx, operator, zone.ID, zones.MemberInput{ResourceID: r.ID, Items: spec.bounds}); err != nil {
			return fmt.Errorf("zone %s: member %s: %w", in.Code, spec.resource.TitleZh, err)
		}
	}
	return nil
}

// orgSpecOf returns the spec of the demo's institution with code.
func orgSpecOf(code string) orgSpec {
	for _, o := range allOrgs() {
		if o.code == code {
			return o
		}
	}
	return orgSpec{code: code}
}

// authorise has zone.operator apply for the health zone for a year, and
// the commission's editor and then the platform operator approve.
func (z *zoneSeed) authorise(ctx context.Context) error {
	zone := z.zones[healthZone]
	start := time.Now().UTC().Truncate(24 * time.Hour)
	a, err := z.Zones.Apply(ctx, z.people[zoneOperator], zone.ID, zones.ApplicationInput{
		Scenario: "慢性病门诊就医负担分析：按区、性别、年龄和疾病分组统计门诊患者人数和平均费用，用于社区慢性病管理服务布局和" +
			"普惠型商业健康保险产品精算；只使用经专区审核出域的汇总结果，不尝试识别任何个人。",
		DocumentNo:    "京华卫健授〔2026〕3号",
		DocumentTitle: "京华市卫生健康委员会关于授权京华健康数据科技有限公司开展医疗健康公共数据专区运营的批复",
		ResourceIDs:   zone.ResourceIDs(), EpsilonBudget: 3, ValidFrom: start, ValidUntil: start.AddDate(1, 0, 0)})
	if err != nil {
		return fmt.Errorf("%s applies: %w", zoneOperator, err)
	}
	if _, err := z.Zones.DecideApplication(ctx, z.people[editorName("WJW")], a.ID, review.Approve,
		"应用场景明确，申请的数据资源与场景相符，同意；出域结果按专区规则审核。"); err != nil {
		return fmt.Errorf("the steward's review: %w", err)
	}
	if _, err := z.Zones.DecideApplication(ctx, z.people[operatorName], a.ID, review.Approve,
		"授权批复文件齐全，运营单位已通过数据安全能力评估，同意授权一年。"); err != nil {
		return fmt.Errorf("the platform operator's review: %w", err)
	}
	return nil
}

// pastQuery is one of zone.operator's past queries in the health zone; %s
// in its SQL is the resource.
type pastQuery struct {
	sql       string
	mechanism zsql.Mechanism
	epsilon   float64
	want      string // the status it ends in (zones_test.go checks it)
}

// pastQueries are submitted in this order: the refused pair needs the
// district's patients released before it.
var pastQueries = []pastQuery{
	{sql: `SELECT district, COUNT(*) AS patients, AVG(cost) AS avg_cost FROM "%s" GROUP BY district`, want: zones.QueryReleased},
	{sql: `SELECT district, COUNT(*) AS patients FROM "%s" WHERE diagnosis_group = 'P00-P96' GROUP BY district`, want: zones.QueryReleased},
	{sql: `SELECT COUNT(*) AS patients, AVG(cost) AS avg_cost FROM "%s" WHERE district = '110101'`, want: zones.QueryReleased},
	{sql: `SELECT COUNT(*) AS patients, AVG(cost) AS avg_cost FROM "%s" WHERE district = '110101' AND age < 95`, want: zones.QueryRefused},
	{sql: `SELECT * FROM "%s"`, want: zones.QueryRefused},
	{sql: `SELECT sex, COUNT(*) AS patients, AVG(cost) AS avg_cost FROM "%s" GROUP BY sex`, mechanism: zsql.DP, epsilon: 0.5,
		want: zones.QueryReleased},
	{sql: `SELECT district, COUNT(*) AS patients FROM "%s" WHERE diagnosis_group = 'Q00-Q99' GROUP BY district`, want: zones.QueryReview},
}

// queries submits zone.operator's past queries and runs each (the job
// runner is not started yet). A statement the guard refuses is recorded
// refused by Submit.
func (z *zoneSeed) queries(ctx context.Context) error {
	zone, op := z.zones[healthZone], z.people[zoneOperator]
	for _, p := range pastQueries {
		in := zones.QueryInput{SQL: fmt.Sprintf(p.sql, zone.Members[0].ResourceID), Mechanism: p.mechanism, Epsilon: p.epsilon}
		if in.Mechanism == "" {
			in.Mechanism = zsql.SDC
		}
		q, err := z.Zones.Submit(ctx, op, zone.ID, in)
		var refused validate.Errors
		if errors.As(err, &refused) && p.want == zones.QueryRefused {
			continue
		} else if err != nil {
			return fmt.Errorf("query %q: %w", in.SQL, err)
		}
		if !q.Finished() {
			if err := z.Zones.Run(ctx, q.ID); err != nil {
				return fmt.Errorf("query %q: %w", in.SQL, err)
			}
		}
	}
	return nil
}
