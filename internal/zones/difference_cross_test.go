package zones_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/zones"
	"dataport/internal/zones/zsql"
)

// crossWorld is the query world with two more members: follow-ups, one
// row a person of the visits, for every person but the target (a join
// with it drops her alone), and health checks, whose 2,395 persons are
// keyed apart from the visits (no resource in common with them).
type crossWorld struct {
	*qWorld
	FollowUps, Checks catalog.Resource
}

func newCrossWorld(t testing.TB, db *store.DB) *crossWorld {
	t.Helper()
	w := &crossWorld{qWorld: newQWorld(t, db, zones.Config{})}
	var b strings.Builder
	b.WriteString("patient_key,visits\n")
	for i := 1; i < qRows; i++ {
		fmt.Fprintf(&b, "P%05d,%d\n", i, 1+i%4)
	}
	w.FollowUps = w.qResource(t, "随访记录", []catalog.Item{
		{Name: "patient_key", LabelZh: "患者标识", Type: catalog.TypeText, Required: true, Key: true},
		{Name: "visits", LabelZh: "随访次数", Type: catalog.TypeInteger, Required: true},
	}, b.String())
	b.Reset()
	b.WriteString("check_key,check_group\n")
	for i := range qRows - 5 {
		fmt.Fprintf(&b, "H%05d,%s\n", i, []string{"A", "B"}[i%2])
	}
	w.Checks = w.qResource(t, "体检记录", []catalog.Item{
		{Name: "check_key", LabelZh: "体检标识", Type: catalog.TypeText, Required: true, Key: true},
		{Name: "check_group", LabelZh: "体检分组", Type: catalog.TypeCode, Required: true,
			CodeList: []catalog.Code{{Code: "A", Label: "A"}, {Code: "B", Label: "B"}}},
	}, b.String())
	for _, r := range []catalog.Resource{w.FollowUps, w.Checks} {
		z, err := w.Zones.SetMember(context.Background(), w.Operator, w.Zone.ID, zones.MemberInput{ResourceID: r.ID})
		if err != nil {
			t.Fatalf("add %s: %v", r.TitleZh, err)
		}
		w.Zone = z
	}
	return w
}

// authoriseAll authorises a new operator on every member of the zone.
func (w *crossWorld) authoriseAll(t testing.TB, code string) qOperator {
	t.Helper()
	return w.authoriseOn(t, code, time.Now().Add(30*24*time.Hour), w.Visits.ID, w.Insured.ID, w.FollowUps.ID, w.Checks.ID)
}

// crossAttacks are differencing attacks whose two statements read
// different joins with a resource in common: the visits against their join
// with the follow-ups (which lack the target alone), either way round, or
// two joins of the visits.
func crossAttacks(v, ins, f string) []attack {
	on := func(a, b string) string { return " ON " + a + ".patient_key = " + b + ".patient_key" }
	return []attack{
		{name: "count_table_then_join", kind: "count",
			first:  `SELECT COUNT(*) AS n FROM ` + v,
			second: `SELECT COUNT(*) AS n FROM ` + v + ` v JOIN ` + f + ` c` + on("v", "c")},
		{name: "sum_table_then_join_swapped", kind: "sum",
			first:  `SELECT COUNT(*) AS n, SUM(cost) AS s FROM ` + v,
			second: `SELECT SUM(x.cost) AS s, COUNT(*) AS n FROM ` + f + ` AS y INNER JOIN ` + v + ` AS x` + on("y", "x")},
		{name: "avg_narrowed_table_then_join", kind: "sum",
			first: `SELECT AVG(cost) AS a, COUNT(*) AS n FROM ` + v + ` WHERE district = '110105' AND sex = '女'`,
			second: `SELECT AVG(v.cost) AS a, COUNT(*) AS n FROM ` + v + ` v JOIN ` + f + ` c` + on("v", "c") +
				` WHERE v.sex = '女' AND v.district = '110105'`},
		{name: "sum_join_then_table", kind: "sum",
			first:  `SELECT COUNT(*) AS n, SUM(v.cost) AS s FROM ` + v + ` v JOIN ` + f + ` c` + on("v", "c"),
			second: `SELECT COUNT(*) AS n, SUM(cost) AS s FROM ` + v},
		{name: "avg_join_then_table_grouped", kind: "sum",
			first:  `SELECT v.district, AVG(v.cost) AS a, COUNT(*) AS n FROM ` + f + ` c JOIN ` + v + ` v` + on("c", "v") + ` GROUP BY v.district`,
			second: `SELECT COUNT(*) AS n, AVG(cost) AS a FROM ` + v + ` WHERE district = '110105'`},
		{name: "sum_two_joins_sharing_visits", kind: "sum",
			first:  `SELECT v.sex, COUNT(*) AS n, SUM(v.cost) AS s FROM ` + v + ` v JOIN ` + ins + ` i` + on("v", "i") + ` GROUP BY v.sex`,
			second: `SELECT COUNT(*) AS n, SUM(v.cost) AS s FROM ` + v + ` v JOIN ` + f + ` c` + on("v", "c") + ` WHERE v.sex = '女'`},
		{name: "count_three_way_join_against_two", kind: "count",
			first: `SELECT COUNT(*) AS n FROM ` + v + ` v JOIN ` + ins + ` i` + on("v", "i"),
			second: `SELECT COUNT(*) AS n FROM ` + ins + ` i JOIN ` + v + ` v` + on("i", "v") + ` JOIN ` + f + ` c` + on("c", "i") +
				` WHERE NOT i.insured OR i.insured`},
		{name: "count_table_then_join_dp", kind: "count", mech: zsql.DP,
			first:  `SELECT COUNT(*) AS n FROM ` + v,
			second: `SELECT COUNT(*) AS n FROM ` + v + ` v JOIN ` + f + ` c` + on("v", "c")},
	}
}

// The differencing attack across joins — a resource against its join with
// one that lacks the target, and two joins sharing a resource — through
// COUNT, SUM and AVG: the second statement is refused for the difference,
// on both stores.
func TestDifferencingAttackAcrossJoins(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newCrossWorld(t, db)
		for i, a := range crossAttacks(table(w.Visits), table(w.Insured), table(w.FollowUps)) {
			t.Run(a.name, func(t *testing.T) {
				q1, q2 := w.runAttack(t, w.authoriseAll(t, fmt.Sprintf("CRS%02d", i)), a)
				if !isRefused(q2, zones.ReasonDifference) {
					t.Errorf("the second statement is %s (%s), want refused: difference", q2.Status, q2.Reason)
				}
				if q2.Status != zones.QueryRefused {
					if leak, how := leaks(a.kind, w.asOperator(t, q1), w.asOperator(t, q2)); leak {
						t.Errorf("the pair gives her away: %s", how)
					}
				} else if strings.Contains(q2.Reason, "exactly") {
					t.Errorf("refused as not comparable (%s): the overlap can be counted", q2.Reason)
				}
			})
		}
	})
}

// A resource and its join with another holding the same persons read the
// same persons: released again, however the join is written; so is a
// join of the visits whose sets differ from earlier ones by many persons.
func TestDifferenceAcrossJoinsReleasesSamePersons(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newCrossWorld(t, db)
		op := w.authoriseAll(t, "SAMEJ")
		v, ins, f := table(w.Visits), table(w.Insured), table(w.FollowUps)
		for _, sql := range []string{
			`SELECT sex, COUNT(*) AS n, SUM(cost) AS s FROM ` + v + ` GROUP BY sex`,
			`SELECT v.sex, COUNT(*) AS n, SUM(v.cost) AS s FROM ` + v + ` v JOIN ` + ins + ` i ON v.patient_key = i.patient_key GROUP BY v.sex`,
			`SELECT COUNT(*) AS n, AVG(b.cost) AS a FROM ` + ins + ` a INNER JOIN ` + v + ` b ON b.patient_key = a.patient_key`,
			`SELECT COUNT(*) AS n FROM ` + v + ` v JOIN ` + f + ` c ON v.patient_key = c.patient_key WHERE v.age < 40`,
		} {
			if q := w.run(t, op, sql, zsql.SDC, 0); q.Status != zones.QueryReleased {
				t.Errorf("%s: %s (%s), want released", sql, q.Status, q.Reason)
			}
		}
	})
}

// Releases over resources with no resource in common cannot be compared
// person by person (the same people may be in both): a new query is
// refused when one of its sets is within the minimum cell size of an
// earlier one's, and released when none is.
func TestDifferenceDisjointResourcesConservative(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newCrossWorld(t, db)
		op := w.authoriseAll(t, "DISJ")
		v, checks := table(w.Visits), table(w.Checks)
		if q := w.run(t, op, `SELECT COUNT(*) AS n FROM `+v, zsql.SDC, 0); q.Status != zones.QueryReleased {
			t.Fatalf("the visits' count: %s (%s)", q.Status, q.Reason)
		}
		// 2,395 health checks against 2,400 visits: five apart.
		q := w.run(t, op, `SELECT COUNT(*) AS n FROM `+checks, zsql.SDC, 0)
		if !isRefused(q, zones.ReasonDifference) || !strings.Contains(q.Reason, "could not be compared exactly") ||
			!strings.Contains(q.Reason, "none of the same resources") {
			t.Errorf("the checks' count: %s (%s), want refused as not comparable exactly", q.Status, q.Reason)
		}
		if len(q.Rows) != 0 {
			t.Errorf("a refused query has rows: %v", q.Rows)
		}
		// 1,198 checks of group A, and 1,197 of B: far from 2,400 (the
		// table's total, 2,395, is not released when no total is asked).
		for _, sql := range []string{
			`SELECT COUNT(*) AS n FROM ` + checks + ` WHERE check_group = 'A'`,
			`SELECT COUNT(*) AS n FROM ` + checks + ` WHERE check_group = 'B'`,
		} {
			if q := w.run(t, op, sql, zsql.SDC, 0); q.Status != zones.QueryReleased {
				t.Errorf("%s: %s (%s), want released", sql, q.Status, q.Reason)
			}
		}
		// Group A's 1,198 against B's 1,197 is a pair over the same
		// resource: compared exactly, disjoint sets, released above. A
		// grouped query gives the total 2,395 too: refused.
		q = w.run(t, op, `SELECT check_group, COUNT(*) AS n FROM `+checks+` GROUP BY check_group`, zsql.SDC, 0)
		if !isRefused(q, zones.ReasonDifference) || !strings.Contains(q.Reason, "exactly") {
			t.Errorf("the checks by group: %s (%s), want refused as not comparable exactly", q.Status, q.Reason)
		}
	})
}

// An earlier release whose statement the guard no longer plans as it did
// (the zone made an item it groups by free text) cannot be compared with
// a new one exactly: a close pair refuses the new query.
func TestDifferenceAcrossJoinsNotReplayable(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newCrossWorld(t, db)
		op := w.authoriseAll(t, "REPLAY")
		v, f := table(w.Visits), table(w.FollowUps)
		first := `SELECT COUNT(*) AS n FROM ` + v + ` v JOIN ` + f + ` c ON v.patient_key = c.patient_key WHERE v.diagnosis_group <> 'Q'`
		if q := w.run(t, op, first, zsql.SDC, 0); q.Status != zones.QueryReleased {
			t.Fatalf("the join: %s (%s)", q.Status, q.Reason)
		}
		lower, upper := 0.0, 50000.0
		if _, err := w.Zones.SetMember(context.Background(), w.Operator, w.Zone.ID, zones.MemberInput{ResourceID: w.Visits.ID,
			Items: []zones.ItemRule{{Name: "cost", Role: zsql.RoleAttribute, Lower: &lower, Upper: &upper},
				{Name: "diagnosis_group", Role: zsql.RoleText}}}); err != nil {
			t.Fatal(err)
		}
		q := w.run(t, op, `SELECT COUNT(*) AS n FROM `+v, zsql.SDC, 0)
		if !isRefused(q, zones.ReasonDifference) || !strings.Contains(q.Reason, "could not be compared exactly") ||
			!strings.Contains(q.Reason, "no longer plans") {
			t.Errorf("the visits' count: %s (%s), want refused as not comparable exactly", q.Status, q.Reason)
		}
	})
}
