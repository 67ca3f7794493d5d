package zones_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/zones"
	"dataport/internal/zones/zsql"
)

// attack is a differencing attack: two statements whose cells (or
// margins, or totals) differ by exactly the target person, spelled so that
// a check comparing texts would not see it.
type attack struct {
	name          string
	first, second string
	kind          string // what the attacker learns: "count" (her presence) or "sum" (her cost)
	mech          zsql.Mechanism
}

func attacks(v, ins string) []attack {
	not := "NOT (" + qTargetWhere + ")"
	return []attack{
		{name: "count_not", kind: "count",
			first:  `SELECT COUNT(*) AS n FROM ` + v,
			second: `SELECT COUNT(*) AS n FROM ` + v + ` WHERE ` + not},
		{name: "sum_not", kind: "sum",
			first:  `SELECT COUNT(*) AS n, SUM(cost) AS s FROM ` + v,
			second: `SELECT COUNT(*) AS n, SUM(cost) AS s FROM ` + v + ` WHERE ` + not},
		{name: "avg_not", kind: "sum",
			first:  `SELECT AVG(cost) AS a, COUNT(*) AS n FROM ` + v,
			second: `SELECT AVG(cost) AS a, COUNT(*) AS n FROM ` + v + ` WHERE NOT (sex = '女' AND district = '110105' AND age = 37)`},
		{name: "sum_complement_ne", kind: "sum",
			first:  `SELECT SUM(cost) AS s, COUNT(*) AS n FROM ` + v,
			second: `SELECT SUM(cost) AS s, COUNT(*) AS n FROM ` + v + ` WHERE age <> 37 OR sex <> '女' OR district <> '110105'`},
		{name: "sum_complement_not_in", kind: "sum",
			first:  `SELECT COUNT(*) AS n, SUM(cost) AS s FROM ` + v,
			second: `SELECT COUNT(*) AS n, SUM(cost) AS s FROM ` + v + ` WHERE age NOT IN (37) OR sex NOT IN ('女') OR district NOT IN ('110105')`},
		{name: "avg_complement_not_between", kind: "sum",
			first:  `SELECT COUNT(*) AS n, AVG(cost) AS a FROM ` + v,
			second: `SELECT COUNT(*) AS n, AVG(cost) AS a FROM ` + v + ` WHERE (age NOT BETWEEN 37 AND 37) OR sex <> '女' OR district <> '110105'`},
		{name: "count_broader_narrower", kind: "count",
			first:  `SELECT COUNT(*) AS n FROM ` + v + ` WHERE sex = '女' AND district = '110105' AND age BETWEEN 30 AND 45`,
			second: `SELECT COUNT(*) AS n FROM ` + v + ` WHERE sex = '女' AND district = '110105' AND age BETWEEN 30 AND 45 AND age <> 37`},
		{name: "sum_broader_narrower", kind: "sum",
			first:  `SELECT COUNT(*) AS n, SUM(cost) AS s FROM ` + v + ` WHERE district = '110105' AND sex = '女'`,
			second: `SELECT COUNT(*) AS n, SUM(cost) AS s FROM ` + v + ` WHERE district = '110105' AND sex = '女' AND (age < 37 OR age > 37)`},
		{name: "same_cell_other_group_by", kind: "sum",
			first:  `SELECT district, sex, COUNT(*) AS n, SUM(cost) AS s FROM ` + v + ` GROUP BY district, sex`,
			second: `SELECT district, COUNT(*) AS n, SUM(cost) AS s FROM ` + v + ` WHERE sex = '女' AND NOT (age = 37 AND district = '110105') GROUP BY district`},
		{name: "margin_of_a_two_way_table", kind: "sum",
			first:  `SELECT sex, district, SUM(cost) AS s, COUNT(*) AS n FROM ` + v + ` GROUP BY sex, district`,
			second: `SELECT COUNT(*) AS n, SUM(cost) AS s FROM ` + v + ` WHERE district = '110105' AND NOT (age = 37 AND sex = '女')`},
		{name: "join_order_and_aliases_swapped", kind: "sum",
			first: `SELECT COUNT(*) AS n, SUM(a.cost) AS s FROM ` + v + ` a JOIN ` + ins + ` b ON a.patient_key = b.patient_key`,
			second: `SELECT COUNT(*) AS n, SUM(x.cost) AS s FROM ` + ins + ` AS y INNER JOIN ` + v + ` AS x ON y.patient_key = x.patient_key
				WHERE NOT (x.age = 37 AND x.sex = '女' AND x.district = '110105')`},
		{name: "total_against_all_groups_but_one", kind: "sum",
			first:  `SELECT COUNT(*) AS n, SUM(cost) AS s FROM ` + v + ` WHERE sex = '女'`,
			second: `SELECT district, COUNT(*) AS n, SUM(cost) AS s FROM ` + v + ` WHERE sex = '女' AND NOT (district = '110105' AND age = 37) GROUP BY district`},
		{name: "total_against_groups_dp", kind: "sum", mech: zsql.DP,
			first:  `SELECT COUNT(*) AS n, SUM(cost) AS s FROM ` + v + ` WHERE sex = '女'`,
			second: `SELECT district, COUNT(*) AS n, SUM(cost) AS s FROM ` + v + ` WHERE sex = '女' AND NOT (district = '110105' AND age = 37) GROUP BY district`},
		{name: "count_not_dp", kind: "count", mech: zsql.DP,
			first:  `SELECT COUNT(*) AS n FROM ` + v,
			second: `SELECT COUNT(*) AS n FROM ` + v + ` WHERE ` + not},
	}
}

// The differencing attack, through COUNT, SUM and AVG in many spellings,
// never gives the target person's value: the second statement is refused,
// or no sum of released cells of one minus a sum of released cells of the
// other is her cost (or, for counts, exactly one person). Results are read
// as the platform operator, so even a result still in review counts as
// given away. Under differential privacy the second is refused outright.
func TestDifferencingAttack(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newQWorld(t, db, zones.Config{})
		for i, a := range attacks(table(w.Visits), table(w.Insured)) {
			t.Run(a.name, func(t *testing.T) {
				q1, q2 := w.runAttack(t, w.authorise(t, fmt.Sprintf("ATK%02d", i), time.Now().Add(30*24*time.Hour)), a)
				t.Logf("second statement: %s %s", q2.Status, q2.Reason)
				if a.mech == zsql.DP && !isRefused(q2, zones.ReasonDifference) {
					t.Fatalf("under dp the second statement is %s (%s), want refused: difference", q2.Status, q2.Reason)
				}
				if q2.Status == zones.QueryRefused {
					return
				}
				r1, r2 := w.asOperator(t, q1), w.asOperator(t, q2)
				if leak, how := leaks(a.kind, r1, r2); leak {
					t.Errorf("the pair gives her away: %s\nfirst: %v\nsecond: %v", how, r1.Rows, r2.Rows)
				}
			})
		}
	})
}

// runAttack runs an attack's two statements as op (under dp with epsilon
// 0.5 each); the first must be released (or in review).
func (w *qWorld) runAttack(t testing.TB, op qOperator, a attack) (first, second zones.Query) {
	t.Helper()
	eps := 0.0
	if a.mech == zsql.DP {
		eps = 0.5
	}
	first = w.run(t, op, a.first, a.mech, eps)
	if first.Status != zones.QueryReleased && first.Status != zones.QueryReview {
		t.Fatalf("the attack's first statement: %s (%s), want it released: the attack needs it", first.Status, first.Reason)
	}
	return first, w.run(t, op, a.second, a.mech, eps)
}

// asOperator reads a query as the platform operator, who sees results in
// review too.
func (w *qWorld) asOperator(t testing.TB, q zones.Query) zones.Query {
	t.Helper()
	q, err := w.Zones.Query(context.Background(), w.Operator, q.ID)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// leaks reports whether subtracting a number of one result from one of the
// other gives the target away: for "count", two counts differing by
// exactly one; for "sum", two sums (or averages times counts) differing
// by her cost. The numbers of a result are the sums over every subset of
// its released rows (every row, margin and total an attacker can add up).
func leaks(kind string, a, b zones.Query) (bool, string) {
	na, nb := sums(a, kind), sums(b, kind)
	for _, x := range na {
		for _, y := range nb {
			d := math.Abs(x - y)
			if kind == "count" && d == 1 || kind == "sum" && math.Abs(d-qTargetCost) < 0.005 {
				return true, fmt.Sprintf("%v − %v", x, y)
			}
		}
	}
	return false, ""
}

// sums are the attacker's numbers of a result: the count (kind "count")
// or the sum of cost (a SUM, or an AVG times the count) of each subset of
// its released rows.
func sums(q zones.Query, kind string) []float64 {
	col := func(name string) int { return slices.Index(q.Columns, name) }
	n, s, a := col("n"), col("s"), col("a")
	var vals []float64
	for i, row := range q.Rows {
		if slices.Contains(q.Suppressed, i) {
			continue
		}
		f := func(j int) float64 {
			switch v := row[j].(type) {
			case int64:
				return float64(v)
			case float64:
				return v
			}
			panic(fmt.Sprintf("value %v (%T)", row[j], row[j]))
		}
		switch {
		case kind == "count":
			vals = append(vals, f(n))
		case s >= 0:
			vals = append(vals, f(s))
		default:
			vals = append(vals, f(a)*f(n))
		}
	}
	if len(vals) > 16 {
		panic("too many rows to add up every subset: " + strings.Join(q.Columns, ","))
	}
	var out []float64
	for mask := 1; mask < 1<<len(vals); mask++ {
		sum := 0.0
		for i, v := range vals {
			if mask&(1<<i) != 0 {
				sum += v
			}
		}
		out = append(out, sum)
	}
	return out
}

// Identical statements, and one spelled differently over the same
// persons, are released again: the check refuses only what isolates.
func TestDifferenceCheckReleasesIdenticalSets(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newQWorld(t, db, zones.Config{})
		op := w.authorise(t, "SAME", time.Now().Add(24*time.Hour))
		v := table(w.Visits)
		for _, sql := range []string{
			`SELECT sex, COUNT(*) AS n, SUM(cost) AS s FROM ` + v + ` GROUP BY sex`,
			`SELECT sex, COUNT(*) AS n, SUM(cost) AS s FROM ` + v + ` GROUP BY sex`,
			`SELECT sex, SUM(cost) AS s, COUNT(*) AS n FROM ` + v + ` WHERE age BETWEEN 0 AND 200 GROUP BY sex`,
			`SELECT COUNT(*) AS n FROM ` + v + ` WHERE sex = '女' OR sex = '男'`,
		} {
			if q := w.run(t, op, sql, zsql.SDC, 0); q.Status != zones.QueryReleased {
				t.Errorf("%s: %s (%s), want released", sql, q.Status, q.Reason)
			}
		}
	})
}
