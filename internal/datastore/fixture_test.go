package datastore_test

import (
	"context"
	"strings"
	"testing"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/datastore/datastoretest"
	"dataport/internal/identity"
	"dataport/internal/store"
)

// fixture is a store with one institution, its editor, a platform operator,
// an outsider, and the datastore on the real access decision point.
type fixture struct {
	db       *store.DB
	cat      *catalog.Service
	ids      *identity.Service
	ds       *datastore.Service
	org      identity.Organization
	editor   identity.Principal
	operator identity.Principal
	outsider identity.Principal
}

func newFixture(t testing.TB, db *store.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{db: db, cat: catalog.NewService(db), ids: identity.NewService(db)}
	f.ds = datastore.New(datastore.Config{DB: db, Catalog: f.cat, Access: access.NewService(db, f.cat), SQL: datastore.SQLConfig{Enabled: true}})
	org, err := f.ids.CreateOrganization(ctx, identity.System, identity.OrgInput{Kind: identity.KindOperator, NameZh: "北京市交通委员会", Code: "BJJTW"})
	if err != nil {
		t.Fatal(err)
	}
	f.org = org
	other, err := f.ids.CreateOrganization(ctx, identity.System, identity.OrgInput{Kind: identity.KindOperator, NameZh: "北京市生态环境局", Code: "BJSTHJJ"})
	if err != nil {
		t.Fatal(err)
	}
	f.editor = f.user(t, "editor", "", identity.Membership{OrganizationID: org.ID, Role: identity.RoleAdmin})
	f.operator = f.user(t, "operator", identity.PlatformOperator)
	f.outsider = f.user(t, "outsider", "", identity.Membership{OrganizationID: other.ID, Role: identity.RoleEditor})
	return f
}

func (f *fixture) user(t testing.TB, name string, role identity.PlatformRole, ms ...identity.Membership) identity.Principal {
	t.Helper()
	ctx := context.Background()
	in := identity.UserInput{Username: name, DisplayName: name, Password: "a long enough password", Memberships: ms}
	if role != "" {
		in.PlatformRoles = []identity.PlatformRole{role}
	}
	u, err := f.ids.CreateUser(ctx, identity.System, in)
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.ids.Principal(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// stationItems describe bus stations (datastoretest.StationItems).
func stationItems() []catalog.Item { return datastoretest.StationItems() }

// resource creates a resource with items; published ones are open to all.
func (f *fixture) resource(t testing.TB, items []catalog.Item, publish bool) catalog.Resource {
	t.Helper()
	ctx := context.Background()
	in := catalog.Input{TitleZh: "公交站点", DescriptionZh: "公交站点基础信息", Subject: "04", Items: items,
		UpdateFrequency: catalog.FreqMonthly, ShareType: catalog.ShareUnconditional, OpenType: catalog.OpenUnconditional,
		Classification: catalog.ClassGeneral, Level: 1}
	r, err := f.cat.Create(ctx, f.editor, f.org.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	if publish {
		if _, err := f.cat.Submit(ctx, f.editor, r.ID); err != nil {
			t.Fatal(err)
		}
		if r, err = f.cat.Review(ctx, f.operator, r.ID, catalog.Approve, ""); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func (f *fixture) load(t testing.TB, r catalog.Resource, name, data string) (datastore.DataVersion, error) {
	t.Helper()
	return f.ds.Load(context.Background(), f.editor, r.ID, datastore.LoadInput{File: strings.NewReader(data), Name: name, Size: int64(len(data))})
}

const stationsCSV = datastoretest.StationsCSV

// tableNames lists the datastore tables (ds_*) present in the store.
func tableNames(t testing.TB, db *store.DB) []string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'ds\_%' ESCAPE '\' ORDER BY name`
	if db.Dialect == store.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE 'ds\_%' ORDER BY table_name`
	}
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		out = append(out, n)
	}
	return out
}
