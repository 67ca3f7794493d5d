package zsql_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/zones/zsql"
)

func mustCheck(t testing.TB, sql string, mech zsql.Mechanism) *zsql.Plan {
	t.Helper()
	p, err := zsql.Check(q(sql), testSchema(), mech)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return p
}

// recheck asserts that every statement the plan produces passes the
// datastore's check under the zone's policy.
func recheck(t testing.TB, p *zsql.Plan) {
	t.Helper()
	policy := zsql.Policy(testSchema())
	stmts := []string{p.CellsSQL()}
	for i, a := range p.Aggregates {
		if a.Func == zsql.Sum || a.Func == zsql.Avg {
			key := make([]any, len(p.Groups))
			for j, g := range p.Groups {
				key[j] = map[catalog.ItemType]any{catalog.TypeInteger: int64(-3), catalog.TypeDecimal: 2.5, catalog.TypeBoolean: int64(1),
					catalog.TypeText: "it's", catalog.TypeDate: "2024-01-02"}[g.Type]
			}
			top, err := p.TopSQL(i, key, 3)
			if err != nil {
				t.Fatal(err)
			}
			stmts = append(stmts, top)
		}
	}
	overlap, err := zsql.OverlapSQL(p, p)
	if err != nil {
		t.Fatal(err)
	}
	stmts = append(stmts, overlap)
	for _, o := range crossPlans(t) {
		shared := slices.ContainsFunc(o.Tables, func(id string) bool { return slices.Contains(p.Tables, id) })
		for _, pair := range [][2]*zsql.Plan{{p, o}, {o, p}} {
			cross, err := zsql.CrossOverlapSQL(pair[0], pair[1], testSchema())
			switch {
			case !shared && !errors.Is(err, zsql.ErrNoSharedTable):
				t.Errorf("%s\nagainst %s: %v, want ErrNoSharedTable", pair[0].SQL, pair[1].SQL, err)
			case shared && err != nil:
				t.Errorf("%s\nagainst %s: %v", pair[0].SQL, pair[1].SQL, err)
			case shared:
				stmts = append(stmts, cross)
			}
		}
	}
	for _, s := range stmts {
		if _, err := datastore.CheckSQL(s, policy); err != nil {
			t.Errorf("%s\nrefused: %v", s, err)
		}
	}
}

// crossPlans are plans over one resource and over joins, to compare
// others with across joins.
func crossPlans(t testing.TB) []*zsql.Plan {
	t.Helper()
	var out []*zsql.Plan
	for _, sql := range []string{
		"SELECT COUNT(*) FROM %V",
		"SELECT v.sex, COUNT(*) FROM %V v JOIN %I i ON v.patient_key = i.patient_key WHERE i.income > 0 GROUP BY v.sex",
		"SELECT COUNT(*), SUM(clamp(x.drugs, 0, 9)) FROM %X x JOIN %V v ON v.patient_key = x.patient_key WHERE v.age > 3 AND v.sex <> 't1'",
		"SELECT ward, COUNT(*) FROM %E e JOIN %F f ON e.patient_key = f.patient_key AND e.episode = f.episode GROUP BY ward",
	} {
		out = append(out, mustCheck(t, sql, zsql.SDC))
	}
	return out
}

func TestCheckPlans(t *testing.T) {
	p := mustCheck(t, `SELECT sex AS "性别", COUNT(*) AS n, SUM(cost), AVG(clamp(age, 0, 120)) AS mean_age
FROM %V
WHERE age >= 30 AND NOT insured OR district IN ('110101', '110102')
GROUP BY 1
ORDER BY n DESC, 1
LIMIT 10`, zsql.SDC)
	want := &zsql.Plan{
		Tables: []string{idV},
		From:   `"` + idV + `" AS "t1"`,
		Where:  `(((("t1"."age" >= 30) AND (NOT "t1"."insured")) OR ("t1"."district" IN ('110101', '110102'))) AND ("t1"."age" IS NOT NULL) AND ("t1"."cost" IS NOT NULL))`,
		Groups: []zsql.Group{{Name: "性别", Expr: `"t1"."sex"`, Type: catalog.TypeText}},
		Aggregates: []zsql.Aggregate{
			{Name: "n", Func: zsql.Count},
			{Name: "sum_cost", Func: zsql.Sum, Item: "cost", Table: idV, Bounded: true, Lower: 0, Upper: 50000,
				Arg:     `CASE WHEN ("t1"."cost" < 0.0) THEN 0.0 WHEN ("t1"."cost" > 50000.0) THEN 50000.0 ELSE "t1"."cost" END`,
				CellMax: `CASE WHEN (max("t1"."cost") < 0.0) THEN 0.0 WHEN (max("t1"."cost") > 50000.0) THEN 50000.0 ELSE max("t1"."cost") END`,
				CellMin: `CASE WHEN (min("t1"."cost") < 0.0) THEN 0.0 WHEN (min("t1"."cost") > 50000.0) THEN 50000.0 ELSE min("t1"."cost") END`},
			{Name: "mean_age", Func: zsql.Avg, Item: "age", Table: idV, Bounded: true, Lower: 0, Upper: 120,
				Arg:     `CASE WHEN ("t1"."age" < 0) THEN 0 WHEN ("t1"."age" > 120) THEN 120 ELSE "t1"."age" END`,
				CellMax: `CASE WHEN (max("t1"."age") < 0) THEN 0 WHEN (max("t1"."age") > 120) THEN 120 ELSE max("t1"."age") END`,
				CellMin: `CASE WHEN (min("t1"."age") < 0) THEN 0 WHEN (min("t1"."age") > 120) THEN 120 ELSE min("t1"."age") END`},
		},
		Columns: []string{"性别", "n", "sum_cost", "mean_age"},
		Select:  []int{0, 1, 2, 3},
		Order:   []zsql.OrderTerm{{Column: 1, Desc: true}, {Column: 0}},
		Limit:   10,
	}
	sql := p.SQL
	p.SQL = ""
	if !reflect.DeepEqual(stripped(p), stripped(want)) {
		t.Errorf("plan:\n%+v\nwant:\n%+v", stripped(p), stripped(want))
	}
	l := p.Layout()
	// Both are bounded below by 0: the absolute contributions are the
	// contributions, summed once.
	wantLayout := zsql.CellColumns{N: 1, Value: []int{2, 3, 5}, Top: []int{-1, 4, 6}, Abs: []int{-1, 3, 7}, Sum: []int{-1, 3, 7}, TotalWidth: 8}
	if !reflect.DeepEqual(l, wantLayout) {
		t.Errorf("layout %+v, want %+v", l, wantLayout)
	}
	p.SQL = sql // CrossOverlapSQL plans it again
	recheck(t, p)

	// Computed groups, a date literal, BETWEEN, LIKE, functions and CASE.
	p = mustCheck(t, `SELECT age / 10 AS decade, upper(substr(district, 1, 4)) AS area, CASE WHEN insured THEN 'yes' ELSE 'no' END AS ins,
  round(cost, 1) AS rounded, COUNT(age)
FROM %V
WHERE visit_date BETWEEN '2024-01-01' AND '2024-02-29' AND district LIKE '1101%' AND coalesce(age, 0) > 0
GROUP BY decade, 2, CASE WHEN insured THEN 'yes' ELSE 'no' END, round(cost, 1)`, zsql.DP)
	var types []catalog.ItemType
	for _, g := range p.Groups {
		types = append(types, g.Type)
	}
	if !reflect.DeepEqual(types, []catalog.ItemType{catalog.TypeInteger, catalog.TypeText, catalog.TypeText, catalog.TypeDecimal}) ||
		p.Groups[3].Expr != `CAST(round(CAST("t1"."cost" AS numeric), 1) AS float)` ||
		!strings.Contains(p.Where, `(lower("t1"."district") LIKE lower('1101%'))`) ||
		!strings.HasSuffix(p.Where, `AND ("t1"."age" IS NOT NULL))`) {
		t.Errorf("plan: %+v", p)
	}
	recheck(t, p)

	// MIN and MAX of an item with declared bounds need no clamp().
	p = mustCheck(t, "SELECT MIN(cost), MAX(cost), insured\nFROM %V\nGROUP BY insured", zsql.SDC)
	if a := p.Aggregates[0]; !a.Bounded || a.Upper != 50000 || p.Select[2] != 0 || p.Select[0] != 1 {
		t.Errorf("plan: %+v", p)
	}
	recheck(t, p)
}

func stripped(p *zsql.Plan) zsql.Plan {
	c := *p
	c.SQL = ""
	return c
}

// TestCheckCanonicalJoin shows that spellings of the same join give the
// same From, aliased by resource id, and that every join is on all keys.
func TestCheckCanonicalJoin(t *testing.T) {
	spellings := []string{
		"SELECT COUNT(*) FROM %V v JOIN %I i ON v.patient_key = i.patient_key",
		"SELECT COUNT(*) FROM %I INNER JOIN %V ON %V.patient_key = %I.\"patient_key\"",
		"SELECT COUNT(*) FROM %I AS x JOIN %V AS y ON (y.PATIENT_KEY = x.patient_key)",
	}
	want := `"` + idI + `" AS "t1" INNER JOIN "` + idV + `" AS "t2" ON ("t1"."patient_key" = "t2"."patient_key")`
	for _, s := range spellings {
		if p := mustCheck(t, s, zsql.SDC); p.From != want {
			t.Errorf("%s:\nFrom %s\nwant %s", s, p.From, want)
		}
	}
	a := mustCheck(t, "SELECT COUNT(*) FROM %V v JOIN %I i ON v.patient_key = i.patient_key JOIN %X x ON x.patient_key = i.patient_key", zsql.SDC)
	b := mustCheck(t, "SELECT COUNT(*) FROM %X JOIN %V ON %X.patient_key = %V.patient_key JOIN %I ON %I.patient_key = %X.patient_key", zsql.SDC)
	want = `"` + idI + `" AS "t1" INNER JOIN "` + idV + `" AS "t2" ON ("t1"."patient_key" = "t2"."patient_key") INNER JOIN "` + idX +
		`" AS "t3" ON ("t1"."patient_key" = "t3"."patient_key")`
	if a.From != want || b.From != want {
		t.Errorf("three tables:\n%s\n%s\nwant %s", a.From, b.From, want)
	}
	// A composite key joins when both of its items are equated.
	c := mustCheck(t, "SELECT ward, SUM(clamp(days, 0, 30)) AS d FROM %E e JOIN %F f ON e.patient_key = f.patient_key AND e.episode = f.episode GROUP BY ward", zsql.SDC)
	d := mustCheck(t, "SELECT ward, SUM(clamp(days, 0, 30)) AS d FROM %F JOIN %E ON %F.episode = %E.episode AND %E.patient_key = %F.patient_key GROUP BY ward", zsql.SDC)
	want = `"` + idE + `" AS "t1" INNER JOIN "` + idF + `" AS "t2" ON (("t1"."episode" = "t2"."episode") AND ("t1"."patient_key" = "t2"."patient_key"))`
	if c.From != want || d.From != want {
		t.Errorf("composite keys:\n%s\n%s\nwant %s", c.From, d.From, want)
	}
	recheck(t, c)
	recheck(t, a)
	if _, err := zsql.OverlapSQL(a, mustCheck(t, "SELECT COUNT(*) FROM %V", zsql.SDC)); !errors.Is(err, zsql.ErrFromDiffers) {
		t.Errorf("overlap of different Froms: %v", err)
	}
}

// CrossOverlapSQL plans both statements again: a plan its statement no
// longer gives (the zone changed an item's role, or the stored plan is
// not the statement's) is ErrPlanChanged, and equal From is OverlapSQL.
func TestCrossOverlapReplans(t *testing.T) {
	now := mustCheck(t, "SELECT COUNT(*) FROM %V", zsql.SDC)
	earlier := mustCheck(t, "SELECT v.sex, COUNT(*) FROM %V v JOIN %I i ON v.patient_key = i.patient_key GROUP BY v.sex", zsql.SDC)
	if _, err := zsql.CrossOverlapSQL(now, earlier, testSchema()); err != nil {
		t.Fatal(err)
	}
	schema := testSchema()
	for i, it := range schema.Tables[0].Items {
		if it.Name == "sex" {
			schema.Tables[0].Items[i].Role = zsql.RoleText
		}
	}
	if _, err := zsql.CrossOverlapSQL(now, earlier, schema); !errors.Is(err, zsql.ErrPlanChanged) {
		t.Errorf("sex no longer an attribute: %v, want ErrPlanChanged", err)
	}
	tampered := *earlier
	tampered.Where = `("t1"."income" > 0)`
	if _, err := zsql.CrossOverlapSQL(now, &tampered, testSchema()); !errors.Is(err, zsql.ErrPlanChanged) {
		t.Errorf("a plan its statement does not give: %v, want ErrPlanChanged", err)
	}
	same := mustCheck(t, "SELECT sex, COUNT(*) FROM %V WHERE age > 30 GROUP BY sex", zsql.SDC)
	cross, err1 := zsql.CrossOverlapSQL(now, same, testSchema())
	plain, err2 := zsql.OverlapSQL(now, same)
	if err1 != nil || err2 != nil || cross != plain {
		t.Errorf("equal From: %s (%v), want OverlapSQL's %s (%v)", cross, err1, plain, err2)
	}
}
