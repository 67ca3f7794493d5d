package catalog_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"
	"github.com/google/go-cmp/cmp"
)

// catalogTables are the tables a catalog write changes.
var catalogTables = []string{"resources", "resource_versions", "events", "catalog_sequences"}

// validInput returns a fresh input that passes Validate: a transport
// resource with a text key, a decimal and a coded item.
func validInput() catalog.Input {
	return catalog.Input{
		TitleZh:       "公交线路基础信息",
		TitleEn:       "Bus Route Basics",
		DescriptionZh: "本市地面公交线路的编号、名称、票价和类型。",
		DescriptionEn: "Numbers, names, fares and kinds of the city's bus routes.",
		Subject:       "04",
		Industry:      "G",
		Keywords:      []string{"公交", "线路"},
		Formats:       []string{"CSV", "JSON"},
		Items: []catalog.Item{
			{Name: "route_id", LabelZh: "线路编号", Type: catalog.TypeText, Length: 20, Required: true, Key: true},
			{Name: "fare", LabelZh: "票价", Type: catalog.TypeDecimal, Length: 6, Precision: 2},
			{Name: "kind", LabelZh: "线路类型", Type: catalog.TypeCode, CodeList: []catalog.Code{{Code: "1", Label: "常规线"}, {Code: "2", Label: "快速线"}}},
		},
		UpdateFrequency: catalog.FreqMonthly,
		ShareType:       catalog.ShareUnconditional,
		OpenType:        catalog.OpenUnconditional,
		Classification:  catalog.ClassGeneral,
		Level:           1,
		SourceSystem:    "公交运营调度系统",
		ContactName:     "李工",
		ContactPhone:    "010-12345678",
		ContactEmail:    "data@jtw.beijing.gov.cn",
	}
}

// inputWith returns validInput changed by change.
func inputWith(change func(in *catalog.Input)) catalog.Input {
	in := validInput()
	change(&in)
	return in
}

// fixture is a store with two institutions and people in every role the
// catalog asks about, signed in through the identity service.
type fixture struct {
	db        *store.DB
	cat       *catalog.Service
	ids       *identity.Service
	orgA      identity.Organization // code BJJTW
	orgB      identity.Organization // code BJSTHJJ
	sysadmin  identity.Principal
	operator  identity.Principal
	regulator identity.Principal
	adminA    identity.Principal
	editorA   identity.Principal
	memberA   identity.Principal
	editorB   identity.Principal
}

func newFixture(t testing.TB, db *store.DB) *fixture {
	t.Helper()
	f := &fixture{db: db, cat: catalog.NewService(db), ids: identity.NewService(db)}
	f.orgA = f.createOrg(t, "北京市交通委员会", "BJJTW")
	f.orgB = f.createOrg(t, "北京市生态环境局", "BJSTHJJ")
	f.sysadmin = f.createUser(t, "root", identity.PlatformSysadmin)
	f.operator = f.createUser(t, "operator", identity.PlatformOperator)
	f.regulator = f.createUser(t, "regulator", identity.PlatformRegulator)
	f.adminA = f.createUser(t, "admin-a", "", identity.Membership{OrganizationID: f.orgA.ID, Role: identity.RoleAdmin})
	f.editorA = f.createUser(t, "editor-a", "", identity.Membership{OrganizationID: f.orgA.ID, Role: identity.RoleEditor})
	f.memberA = f.createUser(t, "member-a", "", identity.Membership{OrganizationID: f.orgA.ID, Role: identity.RoleMember})
	f.editorB = f.createUser(t, "editor-b", "", identity.Membership{OrganizationID: f.orgB.ID, Role: identity.RoleEditor})
	return f
}

func (f *fixture) createOrg(t testing.TB, name, code string) identity.Organization {
	t.Helper()
	org, err := f.ids.CreateOrganization(context.Background(), identity.System,
		identity.OrgInput{Kind: identity.KindOperator, NameZh: name, Code: code})
	if err != nil {
		t.Fatalf("create organization %s: %v", code, err)
	}
	return org
}

func (f *fixture) createUser(t testing.TB, username string, role identity.PlatformRole, ms ...identity.Membership) identity.Principal {
	t.Helper()
	ctx := context.Background()
	in := identity.UserInput{Username: username, DisplayName: username, Password: "a long enough password", Memberships: ms}
	if role != "" {
		in.PlatformRoles = []identity.PlatformRole{role}
	}
	u, err := f.ids.CreateUser(ctx, identity.System, in)
	if err != nil {
		t.Fatalf("create user %s: %v", username, err)
	}
	p, err := f.ids.Principal(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// editorOf returns an editor of the organization.
func (f *fixture) editorOf(orgID string) identity.Principal {
	if orgID == f.orgB.ID {
		return f.editorB
	}
	return f.editorA
}

// resource creates a resource of orgID and moves it to status through the
// ordinary workflow.
func (f *fixture) resource(t testing.TB, orgID string, in catalog.Input, status catalog.Status) catalog.Resource {
	t.Helper()
	ctx := context.Background()
	editor := f.editorOf(orgID)
	r, err := f.cat.Create(ctx, editor, orgID, in)
	if err != nil {
		t.Fatalf("create %s: %v", in.TitleZh, err)
	}
	step := func(r catalog.Resource, err error) catalog.Resource {
		t.Helper()
		if err != nil {
			t.Fatalf("moving %s towards %s: %v", in.TitleZh, status, err)
		}
		return r
	}
	if status == catalog.StatusDraft {
		return r
	}
	r = step(f.cat.Submit(ctx, editor, r.ID))
	switch status {
	case catalog.StatusReturned:
		r = step(f.cat.Review(ctx, f.operator, r.ID, catalog.Return, "请补充数据项说明"))
	case catalog.StatusPublished, catalog.StatusRetired:
		r = step(f.cat.Review(ctx, f.operator, r.ID, catalog.Approve, ""))
	}
	if status == catalog.StatusRetired {
		r = step(f.cat.Retire(ctx, f.operator, r.ID, "数据已停止更新"))
	}
	return r
}

// get returns the stored resource as a sysadmin sees it.
func (f *fixture) get(t testing.TB, id string) catalog.Resource {
	t.Helper()
	r, err := f.cat.Get(context.Background(), f.sysadmin, id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// checkErr checks err against a sentinel (wantErr) or a list of fields; with
// neither, err must be nil.
func checkErr(t *testing.T, err, wantErr error, fields []string) {
	t.Helper()
	switch {
	case wantErr != nil:
		if !errors.Is(err, wantErr) {
			t.Errorf("error = %v, want %v", err, wantErr)
		}
	case fields != nil:
		if diff := cmp.Diff(fields, errorFields(t, err)); diff != "" {
			t.Errorf("fields in error %q (-want +got):\n%s", err, diff)
		}
	case err != nil:
		t.Errorf("error = %v, want nil", err)
	}
}

// events returns the events about a resource, oldest first.
func events(t testing.TB, db *store.DB, id string) []store.Event {
	t.Helper()
	evs, err := db.Events(context.Background(), store.EventFilter{SubjectKind: "resource", SubjectID: id})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(evs)
	return evs
}

// idsOf lists the ids of resources in order.
func idsOf(rs []catalog.Resource) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

// newestFirst returns the ids of rs sorted as List sorts them.
func newestFirst(rs ...catalog.Resource) []string {
	ids := idsOf(rs)
	slices.Sort(ids)
	slices.Reverse(ids)
	return ids
}

func countRows(t testing.TB, db *store.DB, tables ...string) map[string]int {
	t.Helper()
	return storetest.CountRows(t, db, tables...)
}

func assertUnchanged(t testing.TB, db *store.DB, before map[string]int) {
	t.Helper()
	storetest.AssertUnchanged(t, db, before)
}

// errorFields returns the fields named by err, which must be validate.Errors.
func errorFields(t testing.TB, err error) []string {
	t.Helper()
	fields, ok := validate.Fields(err)
	if !ok {
		t.Fatalf("error = %v (%T), want validate.Errors", err, err)
	}
	return fields
}
