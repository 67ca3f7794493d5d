package zsql_test

import (
	"testing"

	"dataport/internal/zones/zsql"
)

// BenchmarkCheck measures the guard's cost per statement: parsing, the
// datastore's check, the zone's check and the plan, then printing the
// cells statement (what a query pays before the sandbox runs it).
func BenchmarkCheck(b *testing.B) {
	schema := testSchema()
	for _, bc := range []struct{ name, sql string }{
		{"count", "SELECT COUNT(*) FROM %V"},
		{"group_sum", "SELECT district, sex, COUNT(*), SUM(cost) FROM %V WHERE age >= 30 GROUP BY district, sex"},
		{"where_functions", "SELECT age / 10 AS decade, COUNT(*), AVG(clamp(age, 0, 120)), MAX(clamp(cost, 0, 50000)) FROM %V " +
			"WHERE visit_date BETWEEN '2024-01-01' AND '2024-06-30' AND district IN ('110101', '110102', '110105') AND lower(sex) LIKE 'm%' GROUP BY 1"},
		{"join", "SELECT v.sex, COUNT(*), SUM(clamp(i.income, 0, 25000)) FROM %V v JOIN %I i ON v.patient_key = i.patient_key GROUP BY v.sex"},
		{"refused_star", "SELECT * FROM %V"},
	} {
		sql := q(bc.sql)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, err := zsql.Check(sql, schema, zsql.SDC)
				if err == nil {
					_ = p.CellsSQL()
				} else if bc.name != "refused_star" {
					b.Fatal(err)
				}
			}
		})
	}
}
