package datastore_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"dataport/internal/datastore"
	"dataport/internal/store"
	"dataport/internal/store/storetest"

	"github.com/google/go-cmp/cmp"
)

// zonePolicy is a policy of the kind the zones sandbox will bring: its own
// table names, its own functions.
var zonePolicy = datastore.SQLPolicy{
	IsTable:   func(name string) bool { return name == "census" || name == "tax" },
	TableNoun: "zone table",
	TableForm: "FROM census",
	Functions: []string{"count", "sum", "lower"},
}

func TestCheckSQLRender(t *testing.T) {
	for _, test := range []struct{ sql, want string }{
		{`select Count(*) n from census c join TAX using (Id) where not c.Age > 30 limit 2, 10`,
			`SELECT count(*) AS "n" FROM "t_census" AS "c" JOIN "t_tax" AS "tax" USING ("id") WHERE (NOT ("c"."age" > 30)) LIMIT 10 OFFSET 2`},
		{`WITH Adults AS (SELECT * FROM census WHERE age >= 18) SELECT "Name" FROM adults WHERE income IS NOT income2`,
			`WITH "adults" AS (SELECT * FROM "t_census" AS "census" WHERE ("age" >= 18)) SELECT "Name" FROM "adults" WHERE ("income" IS DISTINCT FROM "income2")`},
		{`SELECT * FROM ((census)) x, (SELECT sum(a) FROM tax) WHERE x.id IN (SELECT id FROM tax) AND NOT a IS NULL`,
			`SELECT * FROM "t_census" AS "x", (SELECT sum("a") FROM "t_tax" AS "tax") AS "dataport_subquery_1" WHERE (("x"."id" IN (SELECT "id" FROM "t_tax" AS "tax")) AND (NOT ("a" IS NULL)))`},
		{"SELECT * FROM census WHERE a IS NOT DISTINCT FROM 0 AND b is\n distinct /* c */ from 'x' AND \"is distinct from\" IS 'is distinct from'",
			`SELECT * FROM "t_census" AS "census" WHERE ((("a" IS NOT DISTINCT FROM 0) AND ("b" IS DISTINCT FROM 'x')) AND ("is distinct from" IS NOT DISTINCT FROM 'is distinct from'))`},
		{`SELECT lower(name) FROM census UNION ALL SELECT 'it''s' FROM tax ORDER BY 1 DESC NULLS FIRST`,
			`SELECT lower("name") FROM "t_census" AS "census" UNION ALL SELECT 'it''s' FROM "t_tax" AS "tax" ORDER BY 1 DESC NULLS FIRST`},
	} {
		stmt, err := datastore.CheckSQL(test.sql, zonePolicy)
		if err != nil {
			t.Errorf("%s: %v", test.sql, err)
			continue
		}
		got, err := stmt.Render(map[string]string{"census": "t_census", "tax": "t_tax"})
		if err != nil || got != test.want {
			t.Errorf("%s:\n got %s (%v)\nwant %s", test.sql, got, err, test.want)
		}
	}
	stmt, err := datastore.CheckSQL(`SELECT count(*), SUM(x), "lower"(y) FROM tax, census, tax`, zonePolicy)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"tax", "census"}, stmt.Tables()); diff != "" {
		t.Errorf("tables (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"count", "sum", "lower"}, stmt.Functions()); diff != "" {
		t.Errorf("functions (-want +got):\n%s", diff)
	}
	if _, err := stmt.Render(map[string]string{"tax": "t_tax"}); err == nil {
		t.Error("rendered without a table for census")
	}
}

func TestCheckSQLRefusals(t *testing.T) {
	for _, test := range []struct {
		sql          string
		line, column int
		fragment     string
		reason       string
	}{
		{"SELECT *\nFROM census, (people) p", 2, 15, "people", "may only read zone tables (FROM census), not people"},
		{`SELECT upper(name) FROM census`, 1, 8, "upper", "may not call upper(): allowed functions are count, sum, lower"},
		{`SELECT * FROM census FOR UPDATE`, 1, 22, "FOR", "may not use FOR here (expected semicolon or EOF)"},
		{`SELECT 1`, 0, 0, "", "must read at least one zone table: FROM census"},
		{`WITH census AS (SELECT 1) SELECT * FROM census`, 1, 6, "census", `may not name a WITH table "census" like a table it reads`},
		{`SELECT * FROM census WHERE name GLOB 'a*'`, 1, 33, "GLOB", "may not use the operator GLOB"},
		{"SELECT 1 FROM census WHERE a = '\x00'", 0, 0, "", "contains a NUL character"},
	} {
		_, err := datastore.CheckSQL(test.sql, zonePolicy)
		var r *datastore.SQLRefusal
		if !errors.As(err, &r) {
			t.Errorf("%q: %v, want a refusal", test.sql, err)
			continue
		}
		if r.Line != test.line || r.Column != test.column || r.Fragment != test.fragment || !strings.HasPrefix(r.Reason, test.reason) {
			t.Errorf("%q: %d:%d %q %q, want %d:%d %q %q", test.sql, r.Line, r.Column, r.Fragment, r.Reason,
				test.line, test.column, test.fragment, test.reason)
		}
	}
}

// TestSQLDialects runs the syntax the checker accepts on both stores and
// wants the same records from each: what Render prints must mean the same
// to SQLite and to PostgreSQL.
func TestSQLDialects(t *testing.T) {
	tests := []struct{ name, sql, want string }{
		{"BETWEEN", `SELECT station_id, lines FROM "R" WHERE lines BETWEEN 3 AND 5 ORDER BY station_id`,
			`[{"lines":5,"station_id":"S001"},{"lines":3,"station_id":"S004"}]`},
		{"NOT binds looser than =", `SELECT station_id FROM "R" WHERE NOT district = '110101' ORDER BY 1`,
			`[{"station_id":"S002"},{"station_id":"S004"}]`},
		{"IS NULL", `SELECT station_id FROM "R" WHERE lines IS NULL`, `[{"station_id":"S003"}]`},
		{"IS NOT a value", `SELECT station_id FROM "R" WHERE lines IS NOT 5 ORDER BY 1`,
			`[{"station_id":"S002"},{"station_id":"S003"},{"station_id":"S004"}]`},
		{"NOT NULL postfix", `SELECT count(*) AS n FROM "R" WHERE lines NOT NULL`, `[{"n":3}]`},
		{"aggregates", `SELECT count(*) AS n, count(lines) AS m, sum(lines) AS s, max(station_id) AS top, min(lines) AS low FROM "R"`,
			`[{"low":3,"m":3,"n":4,"s":20,"top":"S004"}]`},
		{"JOIN ON", `SELECT a.station_id, b.station_id AS other FROM "R" a JOIN "R" b ON a.district = b.district AND a.station_id < b.station_id ORDER BY 1`,
			`[{"other":"S003","station_id":"S001"},{"other":"S004","station_id":"S002"}]`},
		{"JOIN USING", `SELECT count(*) AS n FROM "R" a JOIN "R" b USING (district)`, `[{"n":8}]`},
		{"NATURAL JOIN", `SELECT count(*) AS n FROM "R" a NATURAL JOIN "R" b`, `[{"n":2}]`},
		{"LEFT JOIN", `SELECT a.station_id, b.station_id AS b FROM "R" a LEFT JOIN "R" b ON b.lines > a.lines + 5 ORDER BY 1`,
			`[{"b":"S002","station_id":"S001"},{"b":null,"station_id":"S002"},{"b":null,"station_id":"S003"},{"b":"S002","station_id":"S004"}]`},
		{"comma join", `SELECT count(*) AS n FROM "R" a, "R" b WHERE a.lines > b.lines`, `[{"n":3}]`},
		{"qualified by the resource id", `SELECT count(*) AS n FROM "R" WHERE EXISTS (SELECT 1 FROM "R" b WHERE b.lines > "R".lines)`, `[{"n":2}]`},
		{"scalar subquery", `SELECT station_id FROM "R" WHERE lines > (SELECT avg(lines) FROM "R")`, `[{"station_id":"S002"}]`},
		{"IN subquery", `SELECT station_id FROM "R" WHERE station_id IN (SELECT station_id FROM "R" WHERE district = '110102') ORDER BY 1`,
			`[{"station_id":"S002"},{"station_id":"S004"}]`},
		{"IN and NOT IN lists", `SELECT station_id FROM "R" WHERE lines IN (3, 12) OR lines NOT IN (3, 12, 1) ORDER BY 1`,
			`[{"station_id":"S001"},{"station_id":"S002"},{"station_id":"S004"}]`},
		{"subquery without alias", `SELECT d, n FROM (SELECT district AS d, count(*) AS n FROM "R" GROUP BY district) ORDER BY d`,
			`[{"d":"110101","n":2},{"d":"110102","n":2}]`},
		{"parenthesised table", `SELECT count(*) AS n FROM ("R") x WHERE x.lines > 4`, `[{"n":2}]`},
		{"WITH", `WITH big AS (SELECT * FROM "R" WHERE lines > 4), Small AS (SELECT * FROM "R" WHERE lines <= 4) ` +
			`SELECT (SELECT count(*) FROM big) AS b, (SELECT count(*) FROM small) AS s FROM "R" LIMIT 1`, `[{"b":2,"s":1}]`},
		{"UNION", `SELECT station_id FROM "R" WHERE lines > 4 UNION SELECT station_id FROM "R" WHERE district = '110101' ORDER BY 1`,
			`[{"station_id":"S001"},{"station_id":"S002"},{"station_id":"S003"}]`},
		{"INTERSECT", `SELECT station_id FROM "R" WHERE lines > 4 INTERSECT SELECT station_id FROM "R" WHERE district = '110101'`,
			`[{"station_id":"S001"}]`},
		{"EXCEPT", `SELECT station_id FROM "R" WHERE lines > 4 EXCEPT SELECT station_id FROM "R" WHERE district = '110101'`,
			`[{"station_id":"S002"}]`},
		{"LIMIT offset, count", `SELECT station_id FROM "R" UNION ALL SELECT station_id FROM "R" ORDER BY 1 LIMIT 2, 3`,
			`[{"station_id":"S002"},{"station_id":"S002"},{"station_id":"S003"}]`},
		{"LIMIT OFFSET", `SELECT station_id FROM "R" ORDER BY 1 LIMIT 1 OFFSET 3`, `[{"station_id":"S004"}]`},
		{"expressions and functions", `SELECT station_id || '-' || district AS k, ` +
			`CASE WHEN lines IS NULL THEN 'none' WHEN lines > 4 THEN 'many' ELSE 'few' END AS c, CAST(lines AS TEXT) AS t, ` +
			`coalesce(lines, 0) * 2 AS d, upper(lower('AbC')) AS u, length(name) AS len, substr(station_id, 2) AS num, ` +
			`replace(station_id, 'S', 'T') AS r, abs(-lines) AS a, nullif(lines, 5) AS nl, trim('  x ') AS tr ` +
			`FROM "R" ORDER BY station_id LIMIT 2`,
			`[{"a":5,"c":"many","d":10,"k":"S001-110101","len":3,"nl":null,"num":"001","r":"T001","t":"5","tr":"x","u":"ABC"},` +
				`{"a":12,"c":"many","d":24,"k":"S002-110102","len":2,"nl":12,"num":"002","r":"T002","t":"12","tr":"x","u":"ABC"}]`},
		{"simple CASE", `SELECT CASE district WHEN '110101' THEN 'east' ELSE 'west' END AS side FROM "R" ORDER BY station_id LIMIT 2`,
			`[{"side":"east"},{"side":"west"}]`},
		{"LIKE", `SELECT station_id FROM "R" WHERE name LIKE '%胡同' OR replace(station_id, '0', '_') LIKE 'S!_!_1' ESCAPE '!' ORDER BY 1`,
			`[{"station_id":"S001"},{"station_id":"S004"}]`},
		{"NOT LIKE", `SELECT count(*) AS n FROM "R" WHERE station_id NOT LIKE 'S00%'`, `[{"n":0}]`},
		{"window", `SELECT station_id, sum(lines) OVER (PARTITION BY district ORDER BY station_id) AS running FROM "R" ORDER BY station_id`,
			`[{"running":5,"station_id":"S001"},{"running":12,"station_id":"S002"},{"running":5,"station_id":"S003"},{"running":15,"station_id":"S004"}]`},
		{"FILTER", `SELECT count(*) FILTER (WHERE lines > 4) AS n FROM "R"`, `[{"n":2}]`},
		{"NULLS LAST", `SELECT station_id FROM "R" ORDER BY lines DESC NULLS LAST`,
			`[{"station_id":"S002"},{"station_id":"S001"},{"station_id":"S004"},{"station_id":"S003"}]`},
		{"integer arithmetic", `SELECT 7 / 2 AS a, 7 % 3 AS b, -(-1) AS c, (1 + 2) * 3 AS d, 2 - -1 AS e FROM "R" LIMIT 1`,
			`[{"a":3,"b":1,"c":1,"d":9,"e":3}]`},
		{"DISTINCT", `SELECT DISTINCT district FROM "R" ORDER BY district`, `[{"district":"110101"},{"district":"110102"}]`},
		{"identifiers in capitals", `SELECT Station_ID FROM "R" WHERE District = '110102' ORDER BY 1`,
			`[{"station_id":"S002"},{"station_id":"S004"}]`},
		{"GROUP BY HAVING", `SELECT district, count(*) AS n FROM "R" GROUP BY district HAVING count(*) > 1 AND sum(lines) > 10 ORDER BY district`,
			`[{"district":"110102","n":2}]`},
		{"IS NOT NULL AND", `SELECT count(*) AS n FROM "R" WHERE lines IS NOT NULL AND district = '110101'`, `[{"n":1}]`},
		{"BETWEEN AND AND", `SELECT count(*) AS n FROM "R" WHERE lines BETWEEN 1 AND 5 AND district = '110102'`, `[{"n":1}]`},
		{"NOT LIKE AND", `SELECT count(*) AS n FROM "R" WHERE station_id NOT LIKE 'S001' AND station_id NOT LIKE 'S002'`, `[{"n":2}]`},
		{"NOT EXISTS compared", `SELECT count(*) AS n FROM "R" a WHERE NOT EXISTS (SELECT 1 FROM "R" b WHERE b.lines > a.lines) = TRUE`, `[{"n":2}]`},
		{"keywords and literals", `SELECT count(*) AS n FROM "R" WHERE CURRENT_DATE IS NOT NULL AND TRUE AND NOT FALSE AND 'a' <> 'b'`, `[{"n":4}]`},
		{"row values", `SELECT count(*) AS n FROM "R" WHERE (district, lines) = ('110101', 5)`, `[{"n":1}]`},
	}
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		r := f.resource(t, stationItems(), true)
		if _, err := f.load(t, r, "s.csv", stationsCSV); err != nil {
			t.Fatal(err)
		}
		for _, test := range tests {
			out, err := f.ds.SearchSQL(context.Background(), f.outsider, strings.ReplaceAll(test.sql, `"R"`, `"`+r.ID+`"`))
			if err != nil {
				t.Errorf("%s: %v", test.name, err)
				continue
			}
			got, _ := json.Marshal(out.Records)
			if string(got) != test.want {
				t.Errorf("%s:\n got %s\nwant %s", test.name, got, test.want)
			}
		}
	})
}

// TestCheckSQLGroups regroups what rqlite's parser groups wrongly: a
// leading NOT, and the two-word operators (IS NOT, NOT LIKE, NOT BETWEEN)
// followed by AND or OR.
func TestCheckSQLGroups(t *testing.T) {
	for _, test := range []struct{ where, want string }{
		{`NOT a = 1`, `(NOT ("a" = 1))`},
		{`NOT a + b = c AND d`, `((NOT (("a" + "b") = "c")) AND "d")`},
		{`a IS NOT NULL AND b = 1`, `(("a" IS NOT NULL) AND ("b" = 1))`},
		{`a IS NOT b OR c`, `(("a" IS DISTINCT FROM "b") OR "c")`},
		{`a NOT LIKE 'x%' AND b NOT LIKE 'y%' OR c`, `((("a" NOT LIKE 'x%') AND ("b" NOT LIKE 'y%')) OR "c")`},
		{`a BETWEEN 1 AND 5 AND b = 2`, `(("a" BETWEEN 1 AND 5) AND ("b" = 2))`},
		{`a NOT BETWEEN 1 + 1 AND 5 AND NOT b`, `(("a" NOT BETWEEN (1 + 1) AND 5) AND (NOT "b"))`},
		{`a LIKE b ESCAPE c AND d`, `(("a" LIKE "b" ESCAPE "c") AND "d")`},
		{`a IS NULL OR b NOTNULL AND c IN (1) = d`, `(("a" IS NULL) OR (("b" IS NOT NULL) AND (("c" IN (1)) = "d")))`},
		{`a < b = c > d`, `(("a" < "b") = ("c" > "d"))`},
		{`a || b * c - d & e`, `(((("a" || "b") * "c") - "d") & "e")`},
		{`(a OR b) AND NOT (c IS NOT NULL AND d)`, `(("a" OR "b") AND (NOT (("c" IS NOT NULL) AND "d")))`},
		{`((a)) + (CASE WHEN b THEN 1 END)`, `(("a") + (CASE WHEN "b" THEN 1 END))`},
	} {
		stmt, err := datastore.CheckSQL(`SELECT 1 FROM census WHERE `+test.where, zonePolicy)
		if err != nil {
			t.Errorf("%s: %v", test.where, err)
			continue
		}
		if got, _ := strings.CutPrefix(stmt.String(), `SELECT 1 FROM "census" AS "census" WHERE `); got != test.want {
			t.Errorf("%s:\n got %s\nwant %s", test.where, got, test.want)
		}
	}
}
