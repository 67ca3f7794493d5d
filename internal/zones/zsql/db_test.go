package zsql_test

import (
	"context"
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
	"dataport/internal/zones/zsql"
)

// visitsCSV is twelve patients' visits (headed by the items' labels):
// key, age, sex, district, cost, insured, visit date, note. P05's cost is
// above the declared bound (50000); P06 has no cost, P07 no age, P11 no
// district.
const visitsCSV = "患者,年龄,性别,区县,费用,参保,就诊日期,备注\n" +
	"P01,34,M,110101,120.5,是,2024-01-03,头痛\n" +
	"P02,45,F,110101,300,否,2024-01-05,\n" +
	"P03,29,F,110102,80,是,2024-02-01,\n" +
	"P04,61,M,110102,5000,是,2024-02-11,复诊\n" +
	"P05,52,F,110101,60000,否,2024-03-01,\n" +
	"P06,38,M,110101,,是,2024-03-02,\n" +
	"P07,,F,110102,200,否,2024-03-09,\n" +
	"P08,70,M,110105,1500.25,是,2024-01-20,\n" +
	"P09,33,F,110105,90,是,2024-02-14,\n" +
	"P10,41,M,110101,410,否,2024-02-28,\n" +
	"P11,25,F,,75,是,2024-03-15,\n" +
	"P12,58,M,110102,2600,否,2024-01-30,\n"

// insuranceCSV is the patients' incomes: P10 has none, P99 no visit.
const insuranceCSV = "患者,收入\nP01,8000\nP02,12000\nP03,5000\nP04,20000\nP05,9000\nP08,15000\nP10,\nP12,30000\nP99,7000\n"

// prescriptionsCSV is the patients' prescribed drugs: P07 has no count,
// P77 no visit.
const prescriptionsCSV = "患者,药品数\nP01,3\nP02,1\nP04,2\nP06,5\nP07,\nP10,4\nP11,2\nP77,1\n"

func visitItems() []catalog.Item {
	return []catalog.Item{
		{Name: "patient_key", LabelZh: "患者", Type: catalog.TypeText, Required: true, Key: true},
		{Name: "age", LabelZh: "年龄", Type: catalog.TypeInteger},
		{Name: "sex", LabelZh: "性别", Type: catalog.TypeCode, CodeList: []catalog.Code{{Code: "M", Label: "男"}, {Code: "F", Label: "女"}}},
		{Name: "district", LabelZh: "区县", Type: catalog.TypeCode, CodeList: []catalog.Code{
			{Code: "110101", Label: "东城区"}, {Code: "110102", Label: "西城区"}, {Code: "110105", Label: "朝阳区"}}},
		{Name: "cost", LabelZh: "费用", Type: catalog.TypeDecimal},
		{Name: "insured", LabelZh: "参保", Type: catalog.TypeBoolean},
		{Name: "visit_date", LabelZh: "就诊日期", Type: catalog.TypeDate},
		{Name: "note", LabelZh: "备注", Type: catalog.TypeText},
	}
}

func insuranceItems() []catalog.Item {
	return []catalog.Item{
		{Name: "patient_key", LabelZh: "患者", Type: catalog.TypeText, Required: true, Key: true},
		{Name: "income", LabelZh: "收入", Type: catalog.TypeInteger},
	}
}

func prescriptionItems() []catalog.Item {
	return []catalog.Item{
		{Name: "patient_key", LabelZh: "患者", Type: catalog.TypeText, Required: true, Key: true},
		{Name: "drugs", LabelZh: "药品数", Type: catalog.TypeInteger},
	}
}

// zoneWorld is a store with the visits, insurance and prescriptions
// resources loaded, an operator's member holding zone grants on them, and
// a sandbox session.
type zoneWorld struct {
	db     *store.DB
	ds     *datastore.Service
	schema zsql.Schema
	ids    map[byte]string
	sess   *datastore.SandboxSession
}

func newZoneWorld(t *testing.T, db *store.DB) *zoneWorld {
	t.Helper()
	ctx := context.Background()
	ids, cat := identity.NewService(db), catalog.NewService(db)
	acc := access.New(db, cat, access.Config{})
	t.Cleanup(acc.Close)
	w := &zoneWorld{db: db, ds: datastore.New(datastore.Config{DB: db, Catalog: cat, Access: acc}), ids: map[byte]string{}}
	user := func(name string, role identity.PlatformRole, ms ...identity.Membership) identity.Principal {
		in := identity.UserInput{Username: name, DisplayName: name, Password: "a long enough password", Memberships: ms}
		if role != "" {
			in.PlatformRoles = []identity.PlatformRole{role}
		}
		u, err := ids.CreateUser(ctx, identity.System, in)
		if err != nil {
			t.Fatal(err)
		}
		p, err := ids.Principal(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	org := func(name, code string) identity.Organization {
		o, err := ids.CreateOrganization(ctx, identity.System, identity.OrgInput{Kind: identity.KindOperator, NameZh: name, Code: code})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	steward, operatorOrg := org("京华市卫生健康委员会", "WJW"), org("京华健康数据运营有限公司", "JKYY")
	editor := user("steward.editor", "", identity.Membership{OrganizationID: steward.ID, Role: identity.RoleAdmin})
	platform := user("platform", identity.PlatformOperator)
	member := user("zone.operator", "", identity.Membership{OrganizationID: operatorOrg.ID, Role: identity.RoleEditor})
	for _, r := range []struct {
		key   byte
		title string
		items []catalog.Item
		csv   string
	}{{'V', "门诊就诊记录", visitItems(), visitsCSV}, {'I', "参保收入", insuranceItems(), insuranceCSV},
		{'R', "处方记录", prescriptionItems(), prescriptionsCSV}} {
		res, err := cat.Create(ctx, editor, steward.ID, catalog.Input{TitleZh: r.title, DescriptionZh: r.title, Subject: "09", Items: r.items,
			UpdateFrequency: catalog.FreqMonthly, ShareType: catalog.ShareConditional, OpenType: catalog.OpenConditional,
			ShareBasis: "《京华市公共数据管理办法》第十条", OpenBasis: "《京华市公共数据管理办法》第十二条",
			Classification: catalog.ClassGeneral, Level: 2})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cat.Submit(ctx, editor, res.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := cat.Review(ctx, platform, res.ID, catalog.Approve, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := w.ds.Load(ctx, editor, res.ID, datastore.LoadInput{File: strings.NewReader(r.csv), Name: "data.csv", Size: int64(len(r.csv))}); err != nil {
			t.Fatal(err)
		}
		w.ids[r.key] = res.ID
		table := zsql.Table{ID: res.ID}
		for _, it := range r.items {
			item := zsql.Item{Name: it.Name, Type: it.Type, Role: zsql.RoleAttribute}
			switch {
			case it.Key:
				item.Role = zsql.RoleKey
			case it.Name == "note":
				item.Role = zsql.RoleText
			case it.Name == "cost":
				item.Lower, item.Upper = bound(0), bound(50000)
			}
			table.Items = append(table.Items, item)
		}
		w.schema.Tables = append(w.schema.Tables, table)
	}
	const purpose = "门诊费用结构研究"
	err := db.Transact(ctx, func(tx *store.Tx) error {
		_, err := acc.CreateGrant(ctx, tx, platform, access.NewGrant{GranteeKind: access.GranteeOrganization, GranteeID: operatorOrg.ID,
			ResourceIDs: []string{w.ids['V'], w.ids['I'], w.ids['R']}, Purpose: purpose, Policy: access.Policy{Actions: []access.Action{access.ActionCompute}},
			OriginKind: access.OriginZone, OriginID: store.NewID()})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if w.sess, err = w.ds.OpenSandbox(ctx, member, purpose, []string{w.ids['V'], w.ids['I'], w.ids['R']}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.sess.Close(context.Background()) })
	return w
}

// check plans a statement written with %V, %I and %R for the resources.
func (w *zoneWorld) check(t *testing.T, sql string) *zsql.Plan {
	t.Helper()
	sql = strings.NewReplacer("%V", `"`+w.ids['V']+`"`, "%I", `"`+w.ids['I']+`"`, "%R", `"`+w.ids['R']+`"`).Replace(sql)
	p, err := zsql.Check(sql, w.schema, zsql.SDC)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return p
}

// run runs a statement in the sandbox and returns its rows, each printed
// with its Go types, sorted.
func (w *zoneWorld) run(t *testing.T, sql string) []string {
	t.Helper()
	var rows []string
	_, err := w.sess.Run(context.Background(), sql, zsql.Policy(w.schema), 10*time.Second, 1000, func(row []any) error {
		rows = append(rows, fmt.Sprintf("%#v", row))
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	slices.Sort(rows)
	return rows
}

func printed(rows ...[]any) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = fmt.Sprintf("%#v", r)
	}
	slices.Sort(out)
	return out
}

// TestCellsOnBothStores runs the cells of accepted statements on a small
// loaded resource and compares them with values computed by hand.
func TestCellsOnBothStores(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newZoneWorld(t, db)
		cases := []struct {
			name string
			sql  string
			want []string
		}{
			{"count by district, NULL a cell of its own",
				"SELECT district, COUNT(*) AS n FROM %V GROUP BY district",
				printed([]any{"110101", int64(5), int64(5)}, []any{"110102", int64(4), int64(4)}, []any{"110105", int64(2), int64(2)},
					[]any{nil, int64(1), int64(1)})},
			{"sum and average of a bounded decimal, complete cases only",
				"SELECT sex, SUM(cost) AS total, AVG(cost) FROM %V WHERE age >= 30 GROUP BY sex",
				// M: P01 120.5, P04 5000, P08 1500.25, P10 410, P12 2600 (P06 has no cost);
				// F: P02 300, P05 60000 clamped to 50000, P09 90.
				printed([]any{"M", int64(5), 9630.75, 5000.0, 1926.15, 5000.0, 9630.75},
					[]any{"F", int64(3), 50390.0, 50000.0, 50390.0 / 3, 50000.0, 50390.0})},
			{"clamped MIN, MAX and COUNT of an integer",
				"SELECT district, MIN(clamp(age, 18, 65)) AS lo, MAX(clamp(age, 18, 65)) AS hi, COUNT(age) FROM %V GROUP BY district",
				printed([]any{"110101", int64(5), int64(34), int64(52), int64(5)}, []any{"110102", int64(3), int64(29), int64(61), int64(3)},
					[]any{"110105", int64(2), int64(33), int64(65), int64(2)}, []any{nil, int64(1), int64(25), int64(25), int64(1)})},
			{"join on the key, clamped income",
				"SELECT v.sex, COUNT(*), SUM(clamp(i.income, 0, 25000)) AS inc FROM %V v JOIN %I i ON v.patient_key = i.patient_key GROUP BY v.sex",
				// M: P01 8000, P04 20000, P08 15000, P12 30000→25000 (P10 has no income); F: P02 12000, P03 5000, P05 9000.
				printed([]any{"M", int64(4), int64(4), int64(68000), int64(25000)},
					[]any{"F", int64(3), int64(3), int64(26000), int64(12000)})},
			{"booleans, dates, BETWEEN, IN and a computed group",
				"SELECT insured, age / 10 AS decade, COUNT(*) FROM %V WHERE visit_date BETWEEN '2024-01-01' AND '2024-02-29' AND district IN ('110101', '110102') GROUP BY insured, age / 10",
				printed([]any{int64(1), int64(3), int64(1), int64(1)}, []any{int64(0), int64(4), int64(2), int64(2)}, []any{int64(1), int64(2), int64(1), int64(1)},
					[]any{int64(1), int64(6), int64(1), int64(1)}, []any{int64(0), int64(5), int64(1), int64(1)})},
			{"no groups, a function in WHERE",
				"SELECT COUNT(*), SUM(clamp(age, 0, 100)) FROM %V WHERE lower(sex) = 'm'",
				printed([]any{int64(6), int64(6), int64(302), int64(70)})},
			{"LIKE ignores case on both stores, NOT of a boolean",
				"SELECT COUNT(*) FROM %V WHERE upper(sex) LIKE 'm%' AND NOT insured",
				// Men not insured: P10, P12.
				printed([]any{int64(2), int64(2)})},
			{"non-integral bounds of an integer item give doubles",
				"SELECT sex, SUM(clamp(age, 30.5, 60)) FROM %V WHERE district = '110102' GROUP BY sex",
				// M: P04 61→60, P12 58; F: P03 29→30.5 (P07 has no age).
				printed([]any{"M", int64(2), 118.0, 60.0}, []any{"F", int64(1), 30.5, 30.5})},
			{"products in double precision, division by a number, LIKE with ESCAPE",
				"SELECT age * 2 AS twice, COUNT(*) FROM %V WHERE age / 10 = 3 AND age % 2 = 0 AND district LIKE '1101!0%' ESCAPE '!' GROUP BY 1",
				// Aged 30 to 39: P01 34, P06 38 and P09 33 (odd); P09 is in 110105.
				printed([]any{68.0, int64(1), int64(1)}, []any{76.0, int64(1), int64(1)})},
			{"dates and rounded decimals as groups",
				"SELECT visit_date, round(cost / 3, 2) AS third, COUNT(*) FROM %V WHERE cost > 1000 GROUP BY 1, 2",
				printed([]any{"2024-02-11", 1666.67, int64(1), int64(1)}, []any{"2024-03-01", 20000.0, int64(1), int64(1)},
					[]any{"2024-01-20", 500.08, int64(1), int64(1)}, []any{"2024-01-30", 866.67, int64(1), int64(1)})},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				p := w.check(t, tc.sql)
				got := w.run(t, p.CellsSQL())
				if !slices.Equal(got, tc.want) {
					t.Errorf("%s\ncells:\n%s\nwant:\n%s", p.CellsSQL(), strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
				}
				if width := p.Layout().TotalWidth; len(got) > 0 && strings.Count(got[0], ",")+1 != width {
					t.Errorf("layout width %d, row %s", width, got[0])
				}
			})
		}
		// A boolean group reads as 0 or 1 and is released as false or true.
		p := w.check(t, "SELECT insured, COUNT(*) FROM %V GROUP BY insured")
		if g := p.Groups[0]; g.Value(int64(1)) != true || g.Value(int64(0)) != false || g.Value(nil) != nil {
			t.Errorf("boolean group values: %v %v", g.Value(int64(1)), g.Value(int64(0)))
		}
	})
}

// TestTopContributionsOnBothStores ranks the contributions of cells,
// with text, NULL and boolean keys.
func TestTopContributionsOnBothStores(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newZoneWorld(t, db)
		cases := []struct {
			sql  string
			agg  int
			key  []any
			n    int
			want []any
		}{
			{"SELECT sex, SUM(cost) FROM %V WHERE age >= 30 GROUP BY sex", 0, []any{"M"}, 3, []any{5000.0, 2600.0, 1500.25}},
			{"SELECT district, COUNT(*), AVG(cost) FROM %V GROUP BY district", 1, []any{"110101"}, 2, []any{50000.0, 410.0}},
			{"SELECT district, SUM(cost) FROM %V GROUP BY district", 0, []any{nil}, 5, []any{75.0}},
			{"SELECT insured, SUM(cost) FROM %V GROUP BY insured", 0, []any{int64(1)}, 1, []any{5000.0}},
			{"SELECT insured, SUM(cost) FROM %V GROUP BY insured", 0, []any{false}, 2, []any{50000.0, 2600.0}},
			{"SELECT SUM(clamp(age, 0, 60)) FROM %V WHERE district = '110102'", 0, []any{}, 2, []any{int64(60), int64(58)}},
			{"SELECT visit_date, sex, SUM(clamp(age, 0, 100)) FROM %V GROUP BY visit_date, sex", 0, []any{"2024-01-03", "M"}, 2, []any{int64(34)}},
		}
		for _, tc := range cases {
			p := w.check(t, tc.sql)
			text, err := p.TopSQL(tc.agg, tc.key, tc.n)
			if err != nil {
				t.Fatal(err)
			}
			var got []any
			if _, err := w.sess.Run(context.Background(), text, zsql.Policy(w.schema), 10*time.Second, tc.n, func(row []any) error {
				got = append(got, row[0])
				return nil
			}); err != nil {
				t.Fatalf("%s: %v", text, err)
			}
			if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", tc.want) {
				t.Errorf("%s\ntop %#v, want %#v", text, got, tc.want)
			}
		}
		p := w.check(t, "SELECT sex, COUNT(*), SUM(cost) FROM %V GROUP BY sex")
		for _, bad := range []struct {
			agg int
			key []any
			n   int
		}{{0, []any{"M"}, 1}, {1, []any{}, 1}, {1, []any{"M"}, 0}, {1, []any{[]int{1}}, 1}, {2, []any{"M"}, 1}} {
			if _, err := p.TopSQL(bad.agg, bad.key, bad.n); err == nil {
				t.Errorf("TopSQL(%d, %v, %d) accepted", bad.agg, bad.key, bad.n)
			}
		}
	})
}

// TestOverlapOnBothStores counts the persons two queries' cells share.
func TestOverlapOnBothStores(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newZoneWorld(t, db)
		// now: men aged 55 or more (P04, P08, P12); earlier: patients aged
		// 50 or more by district (P05 in 110101; P04, P12 in 110102; P08 in 110105).
		now := w.check(t, "SELECT sex, COUNT(*) FROM %V WHERE age >= 55 GROUP BY sex")
		earlier := w.check(t, "SELECT district, COUNT(*) FROM %V WHERE age >= 50 GROUP BY district")
		text, err := zsql.OverlapSQL(now, earlier)
		if err != nil {
			t.Fatal(err)
		}
		want := printed([]any{"M", "110102", int64(1), int64(1), int64(2)}, []any{"M", "110105", int64(1), int64(1), int64(1)},
			[]any{nil, "110101", int64(0), int64(1), int64(1)})
		if got := w.run(t, text); !slices.Equal(got, want) {
			t.Errorf("%s\nrows:\n%s\nwant:\n%s", text, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// The differencing pair: everyone with a cost, and everyone with a
		// cost but one (age under 70): they differ by P08 alone.
		all := w.check(t, "SELECT COUNT(*), SUM(cost) FROM %V")
		but := w.check(t, "SELECT SUM(cost), COUNT(*) FROM %V WHERE age < 70 OR age IS NULL")
		text, err = zsql.OverlapSQL(but, all)
		if err != nil {
			t.Fatal(err)
		}
		want = printed([]any{int64(1), int64(1), int64(10)}, []any{int64(0), int64(1), int64(1)})
		if got := w.run(t, text); !slices.Equal(got, want) {
			t.Errorf("%s\nrows:\n%s\nwant:\n%s", text, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// A plan without a WHERE reads every row of its From.
		text, err = zsql.OverlapSQL(w.check(t, "SELECT COUNT(*) FROM %V"), w.check(t, "SELECT insured, COUNT(*) FROM %V WHERE age > 60 GROUP BY insured"))
		if err != nil {
			t.Fatal(err)
		}
		want = printed([]any{nil, int64(1), int64(0), int64(10)}, []any{int64(1), int64(1), int64(1), int64(2)})
		if got := w.run(t, text); !slices.Equal(got, want) {
			t.Errorf("%s\nrows:\n%s\nwant:\n%s", text, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}

// TestCrossOverlapOnBothStores counts the persons shared by the cells of
// two queries over different joins with a resource in common, as the
// difference check runs it, against counts made by hand.
func TestCrossOverlapOnBothStores(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newZoneWorld(t, db)
		overlap := func(now, earlier *zsql.Plan) []string {
			t.Helper()
			text, err := zsql.CrossOverlapSQL(now, earlier, w.schema)
			if err != nil {
				t.Fatal(err)
			}
			return w.run(t, text)
		}
		cases := []struct {
			name         string
			now, earlier string
			want         []string
		}{
			{"a resource against its join with one lacking some of its persons",
				"SELECT COUNT(*) FROM %V",
				"SELECT v.sex, COUNT(*) FROM %V v JOIN %I i ON v.patient_key = i.patient_key GROUP BY v.sex",
				// Joined: M P01 P04 P08 P10 P12, F P02 P03 P05; P06 (M), P07, P09, P11 (F) only in now.
				printed([]any{"M", int64(1), int64(1), int64(5)}, []any{"F", int64(1), int64(1), int64(3)},
					[]any{nil, int64(1), int64(0), int64(4)})},
			{"the join first, complete cases and a Where on each side",
				"SELECT COUNT(*), SUM(clamp(i.income, 0, 25000)) FROM %I i JOIN %V v ON i.patient_key = v.patient_key",
				"SELECT district, COUNT(*) FROM %V WHERE age >= 40 GROUP BY district",
				// now: joined with an income (P10 has none): P01 P02 P03 P04 P05 P08 P12; earlier: aged 40 or more,
				// 110101 P02 P05 P10, 110102 P04 P12, 110105 P08; P99 has no visit, so is in neither.
				printed([]any{nil, int64(1), int64(0), int64(2)}, []any{"110101", int64(1), int64(1), int64(2)},
					[]any{"110101", int64(0), int64(1), int64(1)}, []any{"110102", int64(1), int64(1), int64(2)},
					[]any{"110105", int64(1), int64(1), int64(1)})},
			{"two joins sharing the visits, a literal that reads like an alias",
				"SELECT v.sex, COUNT(*) FROM %V v JOIN %I i ON v.patient_key = i.patient_key GROUP BY v.sex",
				"SELECT COUNT(*), SUM(clamp(r.drugs, 0, 10)) FROM %R r JOIN %V v ON r.patient_key = v.patient_key WHERE v.sex <> 't1' AND v.sex <> 'u1'",
				// now: M P01 P04 P08 P10 P12, F P02 P03 P05; earlier (a drug count, P07 has none): P01 P02 P04 P06 P10 P11.
				printed([]any{"M", int64(1), int64(1), int64(3)}, []any{"F", int64(1), int64(1), int64(1)},
					[]any{"M", int64(1), int64(0), int64(2)}, []any{"F", int64(1), int64(0), int64(2)},
					[]any{nil, int64(0), int64(1), int64(2)})},
			{"a three-way join against a two-way one",
				"SELECT COUNT(*) FROM %R r JOIN %I i ON r.patient_key = i.patient_key JOIN %V v ON v.patient_key = i.patient_key",
				"SELECT v.district, COUNT(*) FROM %I i JOIN %V v ON v.patient_key = i.patient_key GROUP BY v.district",
				// now: in all three, P01 P02 P04 P10; earlier: 110101 P01 P02 P05 P10, 110102 P03 P04 P12, 110105 P08.
				printed([]any{"110101", int64(1), int64(1), int64(3)}, []any{"110101", int64(0), int64(1), int64(1)},
					[]any{"110102", int64(1), int64(1), int64(1)}, []any{"110102", int64(0), int64(1), int64(2)},
					[]any{"110105", int64(0), int64(1), int64(1)})},
		}
		// Re-aliased from the syntax tree, not the text: the literals stay.
		text, err := zsql.CrossOverlapSQL(w.check(t, cases[0].now), w.check(t, cases[2].earlier), w.schema)
		if err != nil || !strings.Contains(text, `<> 't1')`) || !strings.Contains(text, `<> 'u1')`) || !strings.Contains(text, ` AS "u`) {
			t.Errorf("%s: %v", text, err)
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				now, earlier := w.check(t, tc.now), w.check(t, tc.earlier)
				if got := overlap(now, earlier); !slices.Equal(got, tc.want) {
					t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
				}
				// Either way round, the same persons: each row's groups and flags swapped.
				back := overlap(earlier, now)
				var swapped []string
				for _, row := range tc.want {
					swapped = append(swapped, swapRow(t, row, len(now.Groups), len(earlier.Groups)))
				}
				slices.Sort(swapped)
				if !slices.Equal(back, swapped) {
					t.Errorf("the other way round:\n%s\nwant:\n%s", strings.Join(back, "\n"), strings.Join(swapped, "\n"))
				}
			})
		}
	})
}

// swapRow swaps a printed overlap row's two plans: their groups (gn and ge
// values) and their flags.
func swapRow(t *testing.T, row string, gn, ge int) string {
	t.Helper()
	inner := strings.TrimSuffix(strings.TrimPrefix(row, "[]interface {}{"), "}")
	v := strings.Split(inner, ", ")
	if len(v) != gn+ge+3 {
		t.Fatalf("row %s has %d values, want %d", row, len(v), gn+ge+3)
	}
	out := slices.Concat(v[gn:gn+ge], v[:gn], []string{v[gn+ge+1], v[gn+ge], v[gn+ge+2]})
	return "[]interface {}{" + strings.Join(out, ", ") + "}"
}
