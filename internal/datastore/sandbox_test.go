package datastore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// sandboxWorld is a conditionally open station resource with data, the
// datastore on the real decision point, and an enterprise whose members
// may be given zone grants.
type sandboxWorld struct {
	*fixture
	acc      *access.Service
	ds       *datastore.Service
	res      catalog.Resource
	company  identity.Organization
	member   identity.Principal
	policy   datastore.SQLPolicy
	purpose  string
	anotherR catalog.Resource
}

func newSandboxWorld(t *testing.T, db *store.DB) *sandboxWorld {
	t.Helper()
	ctx := context.Background()
	f := newFixture(t, db)
	w := &sandboxWorld{fixture: f, acc: access.New(db, f.cat, access.Config{}), purpose: "客流研究"}
	t.Cleanup(w.acc.Close)
	w.ds = datastore.New(datastore.Config{DB: db, Catalog: f.cat, Access: w.acc})
	for _, r := range []*catalog.Resource{&w.res, &w.anotherR} {
		in := catalog.Input{TitleZh: "公交站点（有条件开放）", DescriptionZh: "公交站点基础信息", Subject: "04", Items: stationItems(),
			UpdateFrequency: catalog.FreqMonthly, ShareType: catalog.ShareConditional, OpenType: catalog.OpenConditional,
			ShareBasis: "《京华市公共数据管理办法》第十条", OpenBasis: "《京华市公共数据管理办法》第十二条",
			Classification: catalog.ClassGeneral, Level: 1}
		created, err := f.cat.Create(ctx, f.editor, f.org.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.cat.Submit(ctx, f.editor, created.ID); err != nil {
			t.Fatal(err)
		}
		if *r, err = f.cat.Review(ctx, f.operator, created.ID, catalog.Approve, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := f.load(t, *r, "s.csv", stationsCSV); err != nil {
			t.Fatal(err)
		}
	}
	company, err := f.ids.CreateOrganization(ctx, identity.System, identity.OrgInput{Kind: identity.KindOperator, NameZh: "京华数据科技有限公司", Code: "JHSJ"})
	if err != nil {
		t.Fatal(err)
	}
	w.company = company
	w.member = f.user(t, "zone.member", "", identity.Membership{OrganizationID: company.ID, Role: identity.RoleEditor})
	ids := []string{w.res.ID, w.anotherR.ID}
	w.policy = datastore.SQLPolicy{IsTable: func(name string) bool { return slices.Contains(ids, name) },
		TableNoun: "zone resource", TableForm: `FROM "<id>"`, Functions: []string{"count", "sum", "max"}}
	return w
}

// zoneGrant gives an organization a grant of origin zone on resources
// (default: the station resource), as an approved zone application does.
func (w *sandboxWorld) zoneGrant(t *testing.T, grantee string, p access.Policy, resourceIDs ...string) {
	t.Helper()
	ctx := context.Background()
	p.Actions = []access.Action{access.ActionCompute}
	if len(resourceIDs) == 0 {
		resourceIDs = []string{w.res.ID}
	}
	err := w.db.Transact(ctx, func(tx *store.Tx) error {
		_, err := w.acc.CreateGrant(ctx, tx, w.operator, access.NewGrant{GranteeKind: access.GranteeOrganization, GranteeID: grantee,
			ResourceIDs: resourceIDs, Purpose: w.purpose, Policy: p, OriginKind: access.OriginZone, OriginID: store.NewID()})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSandboxSessionNeedsAZoneGrant(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newSandboxWorld(t, db)
		ctx := context.Background()
		var denied *access.DeniedError
		if _, err := w.ds.OpenSandbox(ctx, w.member, w.purpose, []string{w.res.ID}); !errors.As(err, &denied) {
			t.Fatalf("without a grant: err = %v, want a denial", err)
		}
		// A grant to read does not let anyone compute.
		if _, err := w.acc.GrantDirectly(ctx, w.operator, access.NewGrant{GranteeKind: access.GranteeOrganization, GranteeID: w.company.ID,
			ResourceIDs: []string{w.res.ID}, Purpose: w.purpose}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.ds.OpenSandbox(ctx, w.member, w.purpose, []string{w.res.ID}); !errors.As(err, &denied) {
			t.Fatalf("with a read grant: err = %v, want a denial", err)
		}
		w.zoneGrant(t, w.company.ID, access.Policy{Fields: []string{"district", "lines"}})
		if _, err := w.ds.OpenSandbox(ctx, w.member, "另一个用途", []string{w.res.ID}); !errors.As(err, &denied) {
			t.Errorf("another purpose: err = %v, want a denial", err)
		}
		if _, err := w.ds.OpenSandbox(ctx, w.member, w.purpose, []string{w.res.ID, w.anotherR.ID}); !errors.As(err, &denied) {
			t.Errorf("a resource outside the grant: err = %v, want a denial", err)
		}
		if _, err := w.ds.OpenSandbox(ctx, w.member, w.purpose, nil); err == nil {
			t.Error("no resources: opened")
		}
		ss, err := w.ds.OpenSandbox(ctx, w.member, w.purpose, []string{w.res.ID, w.res.ID})
		if err != nil {
			t.Fatal(err)
		}
		defer ss.Close(ctx)
		d := ss.Decision(w.res.ID)
		if !d.Allow || d.GrantID == "" || !slices.Equal(d.Constraints.Fields, []string{"district", "lines"}) {
			t.Errorf("decision = %+v, want an allow under the grant keeping its fields", d)
		}
		if ss.Rows(w.res.ID) != 4 || len(ss.Items(w.res.ID)) != len(stationItems()) || ss.Version(w.res.ID) != 1 {
			t.Errorf("pinned version: %d rows, %d items, version %d", ss.Rows(w.res.ID), len(ss.Items(w.res.ID)), ss.Version(w.res.ID))
		}

		// A grant that hides rows or rewrites values cannot be computed on.
		other, err := w.ids.CreateOrganization(ctx, identity.System, identity.OrgInput{Kind: identity.KindOperator, NameZh: "京华另一公司", Code: "JHLY"})
		if err != nil {
			t.Fatal(err)
		}
		filtered := w.user(t, "filtered.member", "", identity.Membership{OrganizationID: other.ID, Role: identity.RoleEditor})
		w.zoneGrant(t, other.ID, access.Policy{RowFilter: "lines > 3"})
		_, err = w.ds.OpenSandbox(ctx, filtered, w.purpose, []string{w.res.ID})
		if !errors.As(err, &denied) || denied.Decision.Reason != "constrained" || !strings.Contains(err.Error(), "limited to some rows") {
			t.Errorf("row-filtered grant: err = %v, want a constrained denial", err)
		}
	})
}

func TestSandboxRun(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newSandboxWorld(t, db)
		ctx := context.Background()
		w.zoneGrant(t, w.company.ID, access.Policy{})
		ss, err := w.ds.OpenSandbox(ctx, w.member, w.purpose, []string{w.res.ID})
		if err != nil {
			t.Fatal(err)
		}
		defer ss.Close(ctx)
		run := func(q string, maxRows int) ([]string, int, error) {
			var got []string
			n, err := ss.Run(ctx, q, w.policy, 0, maxRows, func(row []any) error {
				got = append(got, fmt.Sprintf("%#v", row))
				return nil
			})
			slices.Sort(got)
			return got, n, err
		}
		// Booleans, dates, NULLs and sums come out alike on both stores.
		q := `SELECT "district", "accessible", "opened", count(*) AS n, sum("lines") AS s, max("lines") * 1.5 AS m FROM "` + w.res.ID + `" GROUP BY 1, 2, 3`
		got, n, err := run(q, 10)
		if err != nil || n != 4 {
			t.Fatalf("run: %d rows, %v", n, err)
		}
		wantTyped := []string{
			fmt.Sprintf("%#v", []any{"110101", int64(1), "2020-01-02", int64(1), int64(5), 7.5}),
			fmt.Sprintf("%#v", []any{"110101", int64(1), "2021-07-15", int64(1), nil, nil}),
			fmt.Sprintf("%#v", []any{"110102", int64(0), "2019-05-01", int64(1), int64(12), 18.0}),
			fmt.Sprintf("%#v", []any{"110102", int64(0), nil, int64(1), int64(3), 4.5}),
		}
		slices.Sort(wantTyped)
		if !slices.Equal(got, wantTyped) {
			t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantTyped, "\n"))
		}

		// More rows than allowed stop the statement.
		if _, n, err := run(`SELECT "lines" FROM "`+w.res.ID+`"`, 2); !errors.Is(err, datastore.ErrSandboxRows) || n != 2 {
			t.Errorf("over maxRows: %d rows, err = %v", n, err)
		}
		// The callback's error comes back as it is.
		stop := errors.New("enough")
		if _, err := ss.Run(ctx, `SELECT count(*) FROM "`+w.res.ID+`"`, w.policy, 0, 5, func([]any) error { return stop }); !errors.Is(err, stop) {
			t.Errorf("callback error: %v", err)
		}
		// The policy is checked again, and only the session's resources are read.
		var refusal *datastore.SQLRefusal
		if _, _, err := run(`SELECT avg("lines") FROM "`+w.res.ID+`"`, 5); !errors.As(err, &refusal) || refusal.Fragment != "avg" {
			t.Errorf("a function outside the policy: %v", err)
		}
		if _, _, err := run(`SELECT count(*) FROM "`+w.anotherR.ID+`"`, 5); err == nil || !strings.Contains(err.Error(), "not a resource of the sandbox session") {
			t.Errorf("a resource outside the session: %v", err)
		}
		// The pinned version is read even after a new load.
		if _, err := w.load(t, w.res, "s2.csv", "站点编号,站点名称,所属区县,线路数,启用日期,无障碍\nS009,新站,东城区,1,2024-01-01,是\n"); err != nil {
			t.Fatal(err)
		}
		if got, _, err := run(`SELECT count(*) FROM "`+w.res.ID+`"`, 5); err != nil || len(got) != 1 || got[0] != fmt.Sprintf("%#v", []any{int64(4)}) {
			t.Errorf("after a new version: %v %v", got, err)
		}
	})
}

// TestSandboxTimeout stops a statement that runs past the caller's
// timeout, on both stores (the SQLite interrupt, PostgreSQL's
// statement_timeout).
func TestSandboxTimeout(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newSandboxWorld(t, db)
		ctx := context.Background()
		var b strings.Builder
		b.WriteString("站点编号,站点名称,所属区县,线路数,启用日期,无障碍\n")
		for i := range 2000 {
			fmt.Fprintf(&b, "T%04d,站点%d,东城区,%d,2020-01-02,是\n", i, i, i%9)
		}
		if _, err := w.load(t, w.anotherR, "big.csv", b.String()); err != nil {
			t.Fatal(err)
		}
		w.zoneGrant(t, w.company.ID, access.Policy{}, w.anotherR.ID)
		ss, err := w.ds.OpenSandbox(ctx, w.member, w.purpose, []string{w.anotherR.ID})
		if err != nil {
			t.Fatal(err)
		}
		defer ss.Close(ctx)
		id := `"` + w.anotherR.ID + `"`
		// Eight billion rows: far more than a quarter of a second allows.
		_, err = ss.Run(ctx, "SELECT count(*) FROM "+id+" a, "+id+" b, "+id+" c", w.policy, 250*time.Millisecond, 5, func([]any) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "took longer than the statement timeout (250ms)") {
			t.Errorf("err = %v, want the timeout", err)
		}
	})
}
