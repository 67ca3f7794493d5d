package zsql_test

import (
	"errors"
	"strings"
	"testing"

	"dataport/internal/datastore"
	"dataport/internal/zones/zsql"
)

// TestCheckRefuses shows every refused form with where it is refused: the
// line and column, the fragment as written, and the reason.
func TestCheckRefuses(t *testing.T) {
	cases := []struct {
		name      string
		sql       string
		mech      zsql.Mechanism
		line, col int
		fragment  string
		reason    string
	}{
		{"select star", "SELECT *\nFROM %V", zsql.SDC, 1, 8, "*", "may not select every item (SELECT *)"},
		{"select table star", "SELECT v.*\nFROM %V v", zsql.SDC, 1, 8, "v.*", "may not select every item of a table"},
		{"select key", "SELECT patient_key, COUNT(*)\nFROM %V\nGROUP BY patient_key", zsql.SDC, 1, 8, "patient_key", `key item "patient_key"`},
		{"count key", "SELECT COUNT(patient_key)\nFROM %V", zsql.SDC, 1, 14, "patient_key", `may not use the key item "patient_key"`},
		{"select free text", "SELECT note, COUNT(*)\nFROM %V\nGROUP BY note", zsql.SDC, 1, 8, "note", `free-text item "note"`},
		{"filter free text", "SELECT COUNT(*)\nFROM %V\nWHERE age > 30 AND note LIKE '%头痛%'", zsql.SDC, 3, 20, "note", `may not use the free-text item "note"`},
		{"group by key", "SELECT COUNT(*)\nFROM %V\nGROUP BY patient_key", zsql.SDC, 3, 10, "patient_key", `may not group by the key item "patient_key"`},
		{"group by key qualified", "SELECT COUNT(*)\nFROM %V v\nGROUP BY sex, v.\"patient_key\"", zsql.SDC, 3, 15, `v."patient_key"`, `may not group by the key item "patient_key"`},
		{"group_concat", "SELECT sex, group_concat(age)\nFROM %V\nGROUP BY sex", zsql.SDC, 1, 13, "group_concat", "may not call group_concat()"},
		{"string_agg", "SELECT string_agg(district, ',')\nFROM %V", zsql.SDC, 1, 8, "string_agg", "may not call string_agg()"},
		{"json", "SELECT json_group_array(age)\nFROM %V", zsql.SDC, 1, 8, "json_group_array", "may not call json_group_array()"},
		{"min without clamping", "SELECT sex, MIN(age)\nFROM %V\nGROUP BY sex", zsql.SDC, 1, 13, "MIN(age)", `may not compute MIN of "age" without clamping`},
		{"max without clamping", "SELECT MAX(\"age\")\nFROM %V", zsql.SDC, 1, 8, `MAX("age")`, `may not compute MAX of "age" without clamping`},
		{"sum unclamped under dp", "SELECT SUM(age)\nFROM %V", zsql.DP, 1, 8, "SUM(age)", "without clamping under differential privacy"},
		{"having", "SELECT sex, COUNT(*)\nFROM %V\nGROUP BY sex\nHAVING COUNT(*) > 5", zsql.SDC, 4, 1, "HAVING", "may not use HAVING"},
		{"subquery in from", "SELECT COUNT(*)\nFROM (SELECT age FROM %V)", zsql.SDC, 2, 6, "(SELECT", "may not read a subquery"},
		{"subquery in where", "SELECT COUNT(*)\nFROM %V\nWHERE age IN (SELECT age FROM %V)", zsql.SDC, 3, 15, "SELECT", "may not use subqueries"},
		{"scalar subquery", "SELECT COUNT(*)\nFROM %V\nWHERE age > (SELECT 1)", zsql.SDC, 3, 14, "SELECT", "may not use subqueries"},
		{"exists", "SELECT COUNT(*)\nFROM %V\nWHERE EXISTS (SELECT 1)", zsql.SDC, 3, 7, "EXISTS", "may not use subqueries"},
		{"with", "WITH x AS (SELECT 1)\nSELECT COUNT(*) FROM %V", zsql.SDC, 1, 1, "WITH", "may not use WITH"},
		{"union", "SELECT COUNT(*) FROM %V\nUNION SELECT COUNT(*) FROM %I", zsql.SDC, 2, 1, "UNION", "may not combine SELECTs with UNION"},
		{"union all", "SELECT COUNT(*) FROM %V\nUNION ALL SELECT COUNT(*) FROM %I", zsql.SDC, 2, 1, "UNION", "may not combine SELECTs with UNION"},
		{"except", "SELECT COUNT(*) FROM %V\nEXCEPT SELECT COUNT(*) FROM %I", zsql.SDC, 2, 1, "EXCEPT", "may not combine SELECTs with EXCEPT"},
		{"window", "SELECT sex, COUNT(*) OVER (PARTITION BY sex)\nFROM %V", zsql.SDC, 1, 22, "OVER", "may not use window functions"},
		{"window function", "SELECT row_number() OVER (ORDER BY age)\nFROM %V", zsql.SDC, 1, 8, "row_number", "may not call row_number()"},
		{"distinct", "SELECT DISTINCT sex\nFROM %V", zsql.SDC, 1, 8, "DISTINCT", "may not use DISTINCT"},
		{"count distinct", "SELECT COUNT(DISTINCT age)\nFROM %V", zsql.SDC, 1, 14, "DISTINCT", "may not use DISTINCT in COUNT()"},
		{"case in aggregate", "SELECT SUM(CASE WHEN age > 30 THEN cost ELSE 0 END)\nFROM %V", zsql.SDC, 1, 12, "CASE WHEN age > 30 THEN cost ELSE 0 END", "may only compute SUM() of an item or clamp(item, lower, upper)"},
		{"product in aggregate", "SELECT SUM(age * cost)\nFROM %V", zsql.SDC, 1, 12, "age * cost", "may only compute SUM() of an item"},
		{"sum over count", "SELECT SUM(cost)/COUNT(*)\nFROM %V", zsql.SDC, 1, 17, "SUM(cost)/COUNT(*)", "may not compute with an aggregate (SUM(cost))"},
		{"arithmetic around aggregate", "SELECT sex, 2 * AVG(cost)\nFROM %V\nGROUP BY sex", zsql.SDC, 1, 15, "2 * AVG(cost)", "may not compute with an aggregate"},
		{"nested aggregate", "SELECT SUM(COUNT(*))\nFROM %V", zsql.SDC, 1, 12, "COUNT(*)", "may not nest aggregates"},
		{"aggregate in where", "SELECT COUNT(*)\nFROM %V\nWHERE SUM(cost) > 10", zsql.SDC, 3, 7, "SUM(cost)", "may not use an aggregate in WHERE"},
		{"aggregate in group by", "SELECT COUNT(*)\nFROM %V\nGROUP BY COUNT(*)", zsql.SDC, 3, 10, "COUNT(*)", "may not use an aggregate in GROUP BY"},
		{"join not on all keys", "SELECT COUNT(*)\nFROM %V v\nJOIN %E e\nON e.patient_key = v.patient_key", zsql.SDC, 4, 4, "e.patient_key = v.patient_key", "e.episode not equated"},
		{"join on an attribute", "SELECT COUNT(*)\nFROM %V v\nJOIN %I i\nON v.patient_key = i.patient_key AND v.age = i.income", zsql.SDC, 4, 38, "v.age", `may only join ON key items: "age"`},
		{"join on an inequality", "SELECT COUNT(*)\nFROM %V v\nJOIN %I i\nON v.patient_key <> i.patient_key", zsql.SDC, 4, 4, "v.patient_key <> i.patient_key", "may only join ON equalities of key items"},
		{"left join", "SELECT COUNT(*)\nFROM %V v\nLEFT JOIN %I i ON v.patient_key = i.patient_key", zsql.SDC, 3, 1, "LEFT", "may not use outer joins"},
		{"cross join", "SELECT COUNT(*)\nFROM %V v\nCROSS JOIN %I i", zsql.SDC, 3, 1, "CROSS", "may not use CROSS JOIN"},
		{"comma join", "SELECT COUNT(*)\nFROM %V v\n, %I i", zsql.SDC, 3, 1, ",", "may not join tables with a comma"},
		{"natural join", "SELECT COUNT(*)\nFROM %V v\nNATURAL JOIN %I i", zsql.SDC, 3, 1, "NATURAL", "may not use NATURAL JOIN"},
		{"join using", "SELECT COUNT(*)\nFROM %V v\nJOIN %I i\nUSING (patient_key)", zsql.SDC, 4, 1, "USING", "may not join with USING"},
		{"join without on", "SELECT COUNT(*)\nFROM %V v\nJOIN %I i", zsql.SDC, 3, 1, "JOIN", "must join ON every key item"},
		{"self join", "SELECT COUNT(*)\nFROM %V a\nJOIN %V b ON a.patient_key = b.patient_key", zsql.SDC, 3, 6, idV, "reads resource " + idV + " twice"},
		{"offset", "SELECT sex, COUNT(*)\nFROM %V\nGROUP BY sex\nLIMIT 5 OFFSET 5", zsql.SDC, 4, 9, "OFFSET", "may not use OFFSET"},
		{"limit expression", "SELECT sex, COUNT(*)\nFROM %V\nGROUP BY sex\nLIMIT 2 + 3", zsql.SDC, 4, 1, "LIMIT 2 + 3", "may only give LIMIT a whole number"},
		{"no aggregate", "SELECT sex\nFROM %V\nGROUP BY sex", zsql.SDC, 1, 1, "SELECT", "must compute an aggregate"},
		{"row values", "SELECT age, sex\nFROM %V", zsql.SDC, 1, 1, "SELECT", "must compute an aggregate"},
		{"not grouped", "SELECT sex, district, COUNT(*)\nFROM %V\nGROUP BY sex", zsql.SDC, 1, 13, "district", "neither an aggregate nor grouped"},
		{"group not selected", "SELECT COUNT(*)\nFROM %V\nGROUP BY sex", zsql.SDC, 3, 10, "sex", "without selecting it"},
		{"too many groups", "SELECT COUNT(*)\nFROM %V\nGROUP BY age, sex, district, insured, visit_date, age + 1, age + 2, age + 3, age + 4", zsql.SDC, 3, 78, "age + 4", "more than 8 expressions"},
		{"unknown item", "SELECT COUNT(*)\nFROM %V\nWHERE income > 5", zsql.SDC, 3, 7, "income", `names no item "income" of resource ` + idV},
		{"unknown qualified item", "SELECT COUNT(*)\nFROM %V v\nWHERE v.salary > 5", zsql.SDC, 3, 7, "v.salary", `names no item "salary" of resource ` + idV},
		{"unknown table", "SELECT COUNT(*)\nFROM %V v\nWHERE w.age > 5", zsql.SDC, 3, 7, "w.age", `names no table "w"`},
		{"ambiguous item", "SELECT COUNT(*)\nFROM %V v JOIN %I i ON v.patient_key = i.patient_key\nWHERE patient_key = 'x'", zsql.SDC, 3, 7, "patient_key", `names the item "patient_key", which resources ` + idV + " and " + idI + " both have"},
		{"keys of different types", "SELECT COUNT(*)\nFROM %V v JOIN %E e\nON v.patient_key = e.patient_key AND v.patient_key = e.episode", zsql.SDC, 3, 38, "v.patient_key = e.episode", "compares key items of different types (integer and text)"},
		{"sum of text", "SELECT SUM(sex)\nFROM %V", zsql.SDC, 1, 12, "sex", `may not compute SUM of "sex" (code)`},
		{"clamp outside aggregate", "SELECT COUNT(*)\nFROM %V\nWHERE clamp(age, 0, 10) > 5", zsql.SDC, 3, 7, "clamp(age, 0, 10)", "may only use clamp() as the argument"},
		{"clamp bounds reversed", "SELECT SUM(clamp(age, 10, 0))\nFROM %V", zsql.SDC, 1, 23, "clamp(age, 10, 0)", "lower bound below its upper bound"},
		{"clamp bound not a number", "SELECT SUM(clamp(age, 0, age))\nFROM %V", zsql.SDC, 1, 26, "age", "must give clamp() numbers as bounds"},
		{"clamp of expression", "SELECT SUM(clamp(age * 2, 0, 10))\nFROM %V", zsql.SDC, 1, 18, "age * 2", "may only clamp an item"},
		{"other function", "SELECT COUNT(*)\nFROM %V\nWHERE hex(age) = '1'", zsql.SDC, 3, 7, "hex", "may not call hex()"},
		{"cast", "SELECT COUNT(*)\nFROM %V\nWHERE CAST(age AS text) = '1'", zsql.SDC, 3, 7, "CAST", "may not use CAST"},
		{"concatenation", "SELECT COUNT(*)\nFROM %V\nWHERE sex || district = 'M1'", zsql.SDC, 3, 11, "||", "may not use the operator ||"},
		{"text compared with number", "SELECT COUNT(*)\nFROM %V\nWHERE sex = 1", zsql.SDC, 3, 11, "sex = 1", "compares a text value with a integer value"},
		{"boolean compared with number", "SELECT COUNT(*)\nFROM %V\nWHERE insured = 1", zsql.SDC, 3, 15, "insured = 1", "compares a boolean value with a integer value"},
		{"date literal", "SELECT COUNT(*)\nFROM %V\nWHERE visit_date >= '2024-1-1'", zsql.SDC, 3, 21, "'2024-1-1'", "must write a date as 'YYYY-MM-DD'"},
		{"where not a condition", "SELECT COUNT(*)\nFROM %V\nWHERE age + 1", zsql.SDC, 3, 7, "age + 1", "must give WHERE a condition"},
		{"like backslash", "SELECT COUNT(*)\nFROM %V\nWHERE district LIKE '11\\%'", zsql.SDC, 3, 21, `'11\%'`, "backslash"},
		{"like pattern from an item", "SELECT COUNT(*)\nFROM %V\nWHERE district LIKE sex", zsql.SDC, 3, 21, "sex", "pattern written as text"},
		{"current date", "SELECT COUNT(*)\nFROM %V\nWHERE visit_date < CURRENT_DATE", zsql.SDC, 3, 20, "CURRENT_DATE", "may not use CURRENT_DATE"},
		{"in list of items", "SELECT COUNT(*)\nFROM %V\nWHERE age IN (1, income)", zsql.SDC, 3, 18, "income", "may only list literal values"},
		{"order by expression", "SELECT sex, COUNT(*) AS n\nFROM %V\nGROUP BY sex\nORDER BY age", zsql.SDC, 4, 10, "age", "may only order by an output column"},
		{"duplicate column names", "SELECT sex, COUNT(*) AS sex\nFROM %V\nGROUP BY sex", zsql.SDC, 1, 13, "COUNT(*)", `two output columns named "sex"`},
		{"values", "VALUES (1)", zsql.SDC, 1, 1, "VALUES", "may not use VALUES"},
		{"not a select", "DELETE FROM %V", zsql.SDC, 0, 0, "Delete", "must be one SELECT statement"},
		{"another table", "SELECT COUNT(*)\nFROM users", zsql.SDC, 2, 6, "users", "may only read zone resources"},
		{"group by position of an aggregate", "SELECT sex, COUNT(*)\nFROM %V\nGROUP BY 2", zsql.SDC, 3, 10, "2", "may not group by an aggregate"},
		{"round digits", "SELECT round(cost, age), COUNT(*)\nFROM %V\nGROUP BY 1", zsql.SDC, 1, 20, "round(cost, age)", "must give round() its digits"},
		{"substr from zero", "SELECT substr(district, 0, 2), COUNT(*)\nFROM %V\nGROUP BY 1", zsql.SDC, 1, 25, "substr(district, 0, 2)", "must give substr() a start from 1"},
		{"division by an item", "SELECT COUNT(*)\nFROM %V\nWHERE cost / age > 10", zsql.SDC, 3, 12, "cost / age", "may only divide by a number written in the statement, other than 0"},
		{"division by zero", "SELECT COUNT(*)\nFROM %V\nWHERE age % 0 = 1", zsql.SDC, 3, 11, "age % 0", "other than 0"},
		{"many products", "SELECT COUNT(*)\nFROM %V\nWHERE age * 10 * 10 * 10 * 10 * 10 * 10 * 10 * 10 * 10 > 1", zsql.SDC, 3, 51, "age * 10 * 10 * 10 * 10 * 10 * 10 * 10 * 10 * 10", "may not multiply more than 8 times"},
		{"huge number", "SELECT COUNT(*)\nFROM %V\nWHERE age < 1e16", zsql.SDC, 3, 13, "1e16", "may only write numbers up to 1e15"},
		{"huge clamping bound", "SELECT SUM(clamp(age, 0, 1e10))\nFROM %V", zsql.SDC, 1, 26, "1e10", "bounds from -1e9 to 1e9"},
		{"like ending in escape", "SELECT COUNT(*)\nFROM %V\nWHERE sex LIKE 'a!' ESCAPE '!'", zsql.SDC, 3, 16, "'a!'", "may not end a LIKE pattern with its ESCAPE character"},
		{"filter clause", "SELECT COUNT(*) FILTER (WHERE age > 3)\nFROM %V", zsql.SDC, 1, 17, "FILTER", "may not use FILTER"},
	}
	schema := testSchema()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := zsql.Check(q(tc.sql), schema, tc.mech)
			var r *datastore.SQLRefusal
			if !errors.As(err, &r) {
				t.Fatalf("err = %v, want a refusal", err)
			}
			if r.Line != tc.line || r.Column != tc.col || (tc.fragment != "" && r.Fragment != tc.fragment) || !strings.Contains(r.Reason, tc.reason) {
				t.Errorf("refusal at %d:%d %q: %s\nwant at %d:%d %q: …%s…", r.Line, r.Column, r.Fragment, r.Reason, tc.line, tc.col, tc.fragment, tc.reason)
			}
		})
	}
}
