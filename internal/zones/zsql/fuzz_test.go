package zsql_test

import (
	"errors"
	"reflect"
	"testing"

	"dataport/internal/datastore"
	"dataport/internal/zones/zsql"
)

// FuzzZoneCheck feeds the guard arbitrary statements (seeded from
// testdata/fuzz/FuzzZoneCheck): it must never panic, must refuse with a
// located *datastore.SQLRefusal, and every statement it accepts must plan
// the same way twice and produce cells, top and overlap statements that
// the datastore's own check accepts under the zone's policy.
func FuzzZoneCheck(f *testing.F) {
	for _, s := range []string{
		"SELECT sex, COUNT(*), SUM(cost), AVG(clamp(age, 0, 120)) FROM %V WHERE age >= 30 AND NOT insured GROUP BY sex",
		"SELECT v.sex, COUNT(*), SUM(clamp(i.income, 0, 25000)) FROM %V v JOIN %I i ON v.patient_key = i.patient_key GROUP BY v.sex ORDER BY 2 DESC LIMIT 3",
		"SELECT ward, MIN(clamp(days, 0, 30)), MAX(clamp(days, 0, 30)) FROM %E e JOIN %F f ON e.patient_key = f.patient_key AND e.episode = f.episode GROUP BY ward",
		"SELECT age / 10 AS d, upper(substr(district, 1, 4)), COUNT(age) FROM %V WHERE visit_date BETWEEN '2024-01-01' AND '2024-02-29' GROUP BY 1, 2",
		"SELECT CASE WHEN age < 30 THEN 'young' ELSE 'old' END AS band, round(cost * 1.5, 1), COUNT(*) FROM %V WHERE district LIKE '1101%' OR district IS NULL GROUP BY 1, 2",
		"SELECT * FROM %V",
		"SELECT patient_key, COUNT(*) FROM %V GROUP BY patient_key",
		"SELECT SUM(cost)/COUNT(*) FROM %V",
		"SELECT COUNT(*) FROM %V v LEFT JOIN %I i ON v.patient_key = i.patient_key",
		"WITH x AS (SELECT 1) SELECT COUNT(*) FROM %V UNION SELECT COUNT(*) FROM %I",
	} {
		f.Add(q(s))
	}
	schema := testSchema()
	f.Fuzz(func(t *testing.T, sql string) {
		for _, mech := range []zsql.Mechanism{zsql.SDC, zsql.DP} {
			p, err := zsql.Check(sql, schema, mech)
			if err != nil {
				var r *datastore.SQLRefusal
				if !errors.As(err, &r) || r.Reason == "" {
					t.Fatalf("%q: %v is not a refusal with a reason", sql, err)
				}
				continue
			}
			again, err := zsql.Check(sql, schema, mech)
			if err != nil || !reflect.DeepEqual(p, again) {
				t.Fatalf("%q: planned twice differently: %v", sql, err)
			}
			recheck(t, p)
		}
	})
}
