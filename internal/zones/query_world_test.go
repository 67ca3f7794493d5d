package zones_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/zones"
	"dataport/internal/zones/protect"
	"dataport/internal/zones/zsql"
)

// qWorld is a city with a health zone for the query tests: the health
// commission (the zone's steward and the visits' provider) with its
// admin, editor and a plain member; a person-level resource of visits
// loaded with qRows synthetic rows and a resource of insurance records
// keyed the same; the zone over both, with a minimum cell size of 10 and a
// budget of 3.0 per resource; all written through the real services.
type qWorld struct {
	*accesstest.World
	Acc    *access.Service
	DS     *datastore.Service
	Review *review.Service
	Zones  *zones.Service

	Health                                     identity.Organization
	StewardAdmin, StewardEditor, StewardMember identity.Principal
	Visits, Insured                            catalog.Resource
	Zone                                       zones.Zone
}

// qRows is how many visits the test resource holds.
const qRows = 2400

// The target person: the only 37-year-old woman of district 110105. Her
// cost is what a differencing attack would learn.
const (
	qTargetAge      = 37
	qTargetSex      = "女"
	qTargetDistrict = "110105"
	qTargetCost     = 43210.5
)

// qTargetWhere is the target's predicate, unaliased.
const qTargetWhere = "age = 37 AND sex = '女' AND district = '110105'"

var qDistricts = []string{"110101", "110102", "110105", "110106", "110107", "110108"}

// qVisitItems describe one visit of one person.
func qVisitItems() []catalog.Item {
	codes := func(cs ...string) []catalog.Code {
		out := make([]catalog.Code, len(cs))
		for i, c := range cs {
			out[i] = catalog.Code{Code: c, Label: c}
		}
		return out
	}
	return []catalog.Item{
		{Name: "patient_key", LabelZh: "患者标识", Type: catalog.TypeText, Required: true, Key: true},
		{Name: "age", LabelZh: "年龄", Type: catalog.TypeInteger, Required: true},
		{Name: "sex", LabelZh: "性别", Type: catalog.TypeCode, Required: true, CodeList: codes("男", "女")},
		{Name: "district", LabelZh: "区县", Type: catalog.TypeCode, Required: true, CodeList: codes(qDistricts...)},
		{Name: "diagnosis_group", LabelZh: "诊断分组", Type: catalog.TypeCode, Required: true, CodeList: codes("A", "B", "C", "D", "E", "Y", "Z")},
		{Name: "cost", LabelZh: "费用", Type: catalog.TypeDecimal, Precision: 2, Required: true},
		{Name: "note", LabelZh: "备注", Type: catalog.TypeText},
	}
}

// qVisitsCSV is the visits: random persons but for the target, who is
// alone in her (age, sex, district); diagnosis group Y has 12 persons and
// Z has 3 (small cells).
func qVisitsCSV() string {
	rnd := rand.New(rand.NewPCG(16, 2024))
	var b strings.Builder
	b.WriteString("patient_key,age,sex,district,diagnosis_group,cost,note\n")
	for i := range qRows {
		key := fmt.Sprintf("P%05d", i)
		if i == 0 {
			fmt.Fprintf(&b, "%s,%d,%s,%s,%s,%.2f,本人\n", key, qTargetAge, qTargetSex, qTargetDistrict, "B", qTargetCost)
			continue
		}
		age, sex, district := 18+rnd.IntN(70), []string{"男", "女"}[rnd.IntN(2)], qDistricts[rnd.IntN(len(qDistricts))]
		if age == qTargetAge && sex == qTargetSex && district == qTargetDistrict {
			age++
		}
		group := []string{"A", "B", "C", "D", "E"}[rnd.IntN(5)]
		switch {
		case i <= 12:
			group = "Y"
		case i <= 15:
			group = "Z"
		}
		fmt.Fprintf(&b, "%s,%d,%s,%s,%s,%.2f,\n", key, age, sex, district, group, float64(rnd.IntN(3_000_000))/100)
	}
	return b.String()
}

// qInsuredCSV gives every person an insurance record (whether insured).
func qInsuredCSV() string {
	var b strings.Builder
	b.WriteString("patient_key,insured\n")
	for i := range qRows {
		fmt.Fprintf(&b, "P%05d,%s\n", i, []string{"是", "否"}[i%3/2])
	}
	return b.String()
}

// newQWorld builds the world in db with the zones service configured by
// cfg (its Review and Noise filled in when unset).
func newQWorld(t testing.TB, db *store.DB, cfg zones.Config) *qWorld {
	t.Helper()
	ctx := context.Background()
	w := &qWorld{World: accesstest.New(t, db)}
	w.Acc = access.New(db, w.Cat, access.Config{})
	t.Cleanup(w.Acc.Close)
	w.DS = datastore.New(datastore.Config{DB: db, Catalog: w.Cat, Access: w.Acc})
	w.Health = w.NewOrg(t, identity.KindInstitution, "京华市卫生健康委员会", "WJW")
	w.StewardAdmin = w.NewUser(t, "wjw.admin", "", identity.Membership{OrganizationID: w.Health.ID, Role: identity.RoleAdmin})
	w.StewardEditor = w.NewUser(t, "wjw.editor", "", identity.Membership{OrganizationID: w.Health.ID, Role: identity.RoleEditor})
	w.StewardMember = w.NewUser(t, "wjw.member", "", identity.Membership{OrganizationID: w.Health.ID, Role: identity.RoleMember})
	w.Visits = w.qResource(t, "门诊就诊记录", qVisitItems(), qVisitsCSV())
	w.Insured = w.qResource(t, "参保记录", []catalog.Item{
		{Name: "patient_key", LabelZh: "患者标识", Type: catalog.TypeText, Required: true, Key: true},
		{Name: "insured", LabelZh: "是否参保", Type: catalog.TypeBoolean, Required: true},
	}, qInsuredCSV())
	if cfg.Review == nil {
		cfg.Review = review.NewService(db, review.Config{})
	}
	if cfg.Noise == nil {
		cfg.Noise = protect.SeededSource(7)
	}
	w.Review = cfg.Review
	w.Zones = zones.New(db, w.IDs, w.Cat, w.Acc, w.DS, cfg)
	lower, upper := 0.0, 50000.0
	z, err := w.Zones.Create(ctx, w.Operator, zones.ZoneInput{Code: "ZONE-HEALTH", NameZh: "医疗健康专区", NameEn: "Health zone",
		Domain: zones.DomainHealth, StewardOrgID: w.Health.ID, DescriptionZh: "医疗健康数据专区",
		Rules: zones.Rules{Mechanisms: []zsql.Mechanism{zsql.SDC, zsql.DP}, MinCellSize: 10, EpsilonBudget: 3, MaxEpsilon: 1}})
	if err != nil {
		t.Fatalf("create zone: %v", err)
	}
	if _, err := w.Zones.SetMember(ctx, w.Operator, z.ID, zones.MemberInput{ResourceID: w.Visits.ID,
		Items: []zones.ItemRule{{Name: "cost", Role: zsql.RoleAttribute, Lower: &lower, Upper: &upper}}}); err != nil {
		t.Fatalf("add visits: %v", err)
	}
	if w.Zone, err = w.Zones.SetMember(ctx, w.Operator, z.ID, zones.MemberInput{ResourceID: w.Insured.ID}); err != nil {
		t.Fatalf("add insurance: %v", err)
	}
	return w
}

// qResource creates a published resource of the health commission with
// personal information, shared on conditions, and loads data into it.
func (w *qWorld) qResource(t testing.TB, title string, items []catalog.Item, data string) catalog.Resource {
	t.Helper()
	ctx := context.Background()
	r, err := w.Cat.Create(ctx, w.StewardEditor, w.Health.ID, catalog.Input{TitleZh: title, DescriptionZh: title + "（测试）", Subject: "05",
		Items: items, UpdateFrequency: catalog.FreqMonthly, ShareType: catalog.ShareConditional, ShareBasis: "《京华市公共数据管理办法》第十条",
		OpenType: catalog.OpenNone, OpenBasis: "《京华市公共数据管理办法》第十二条", Classification: catalog.ClassGeneral, Level: 2, PersonalInfo: true})
	if err != nil {
		t.Fatalf("create %s: %v", title, err)
	}
	if _, err := w.Cat.Submit(ctx, w.StewardEditor, r.ID); err != nil {
		t.Fatal(err)
	}
	if r, err = w.Cat.Review(ctx, w.Operator, r.ID, catalog.Approve, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := w.DS.Load(ctx, w.StewardEditor, r.ID, datastore.LoadInput{File: strings.NewReader(data), Name: "data.csv",
		Size: int64(len(data))}); err != nil {
		t.Fatalf("load %s: %v", title, err)
	}
	return r
}

// qOperator is an authorised operator: a company, its member who runs
// queries, and the authorisation.
type qOperator struct {
	Org  identity.Organization
	User identity.Principal
	Auth zones.Authorisation
}

// authorise has a new company apply for the zone over both resources
// until until, and the steward and the platform operator approve.
func (w *qWorld) authorise(t testing.TB, code string, until time.Time) qOperator {
	t.Helper()
	return w.authoriseOn(t, code, until, w.Visits.ID, w.Insured.ID)
}

// authoriseOn is authorise over the zone's resources resourceIDs.
func (w *qWorld) authoriseOn(t testing.TB, code string, until time.Time, resourceIDs ...string) qOperator {
	t.Helper()
	ctx := context.Background()
	org := w.NewOrg(t, identity.KindEnterprise, "京华"+code+"数据科技有限公司", code)
	admin := w.NewUser(t, strings.ToLower(code)+".admin", "", identity.Membership{OrganizationID: org.ID, Role: identity.RoleAdmin})
	user := w.NewUser(t, strings.ToLower(code)+".analyst", "", identity.Membership{OrganizationID: org.ID, Role: identity.RoleMember})
	app, err := w.Zones.Apply(ctx, admin, w.Zone.ID, zones.ApplicationInput{Scenario: "医疗费用统计分析", DocumentNo: "京卫授〔2024〕" + code,
		DocumentTitle: "授权运营协议", ResourceIDs: resourceIDs, ValidFrom: time.Now().Add(-time.Hour), ValidUntil: until})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	for _, reviewer := range []identity.Principal{w.StewardAdmin, w.Operator} {
		if app, err = w.Zones.DecideApplication(ctx, reviewer, app.ID, review.Approve, "同意"); err != nil {
			t.Fatalf("approve as %s: %v", reviewer.Username, err)
		}
	}
	if app.AuthorisationID == "" {
		t.Fatalf("approved application without an authorisation: %+v", app)
	}
	auth, err := w.Zones.Authorisation(ctx, admin, app.AuthorisationID)
	if err != nil {
		t.Fatal(err)
	}
	return qOperator{Org: org, User: user, Auth: auth}
}

// run submits a statement as op and waits for its outcome.
func (w *qWorld) run(t testing.TB, op qOperator, sql string, mech zsql.Mechanism, eps float64) zones.Query {
	t.Helper()
	q, err := w.Zones.Submit(context.Background(), op.User, w.Zone.ID, zones.QueryInput{SQL: sql, Mechanism: mech, Epsilon: eps})
	if err != nil {
		t.Fatalf("submit %q: %v", sql, err)
	}
	return w.await(t, op.User, q.ID)
}

// await waits (up to five minutes) for a query to finish.
func (w *qWorld) await(t testing.TB, p identity.Principal, id string) zones.Query {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // generous: CI machines run other packages beside
	defer cancel()
	q, err := w.Zones.Await(ctx, p, id)
	if err != nil {
		t.Fatal(err)
	}
	if !q.Finished() {
		t.Fatalf("query %s still %s after a minute", id, q.Status)
	}
	return q
}

// table names a zone resource in a statement.
func table(r catalog.Resource) string { return `"` + r.ID + `"` }

// num reads a released value as a number (ok false when null).
func num(t testing.TB, v any) (float64, bool) {
	t.Helper()
	switch v := v.(type) {
	case nil:
		return 0, false
	case int64:
		return float64(v), true
	case float64:
		return v, true
	}
	t.Fatalf("value %v (%T) is not a number", v, v)
	return 0, false
}

// isRefused reports whether q was refused for reason (a code).
func isRefused(q zones.Query, reason string) bool {
	return q.Status == zones.QueryRefused && (q.Reason == reason || strings.HasPrefix(q.Reason, reason+":"))
}
