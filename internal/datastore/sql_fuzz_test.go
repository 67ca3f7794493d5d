package datastore_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"dataport/internal/datastore"

	rq "github.com/rqlite/sql"
)

// FuzzSQLGuard checks the statement check of datastore_search_sql (and of
// the zones sandbox) on any text: it never panics or loops, it refuses
// with an SQLRefusal, and what it accepts reads only allowed tables and
// calls only allowed functions — as it says (Tables, Functions) and as the
// printed statement, parsed again and searched field by field by
// reflection, shows. The printed statement is a fixed point: checking it
// again prints it unchanged.
func FuzzSQLGuard(f *testing.F) {
	for _, test := range sqlBypasses {
		f.Add(strings.NewReplacer(`"{RID}"`, "census", `"{BIG}"`, "tax", `"{DRAFT}"`, `"tax"`, "{X5000}", "xxxx").Replace(test.sql))
	}
	for _, seed := range []string{
		`SELECT count(*) n FROM census c JOIN tax USING (id) WHERE NOT c.age > 30 LIMIT 2, 10`,
		`WITH a AS (SELECT * FROM census), b AS (SELECT * FROM a) SELECT * FROM b, (tax) t WHERE t.x IN (SELECT x FROM a)`,
		`SELECT sum(x) OVER (PARTITION BY y ORDER BY z NULLS LAST), count(*) FILTER (WHERE x IS NOT NULL AND y) FROM census`,
		`SELECT CASE WHEN x BETWEEN 1 AND 2 AND y NOT LIKE 'a!%' ESCAPE '!' THEN CAST(x AS integer) END FROM census ORDER BY 1`,
		`SELECT lower(name) FROM census UNION SELECT name FROM tax INTERSECT SELECT 'a' FROM census EXCEPT SELECT "b" FROM tax`,
		`SELECT * FROM ((census) AS c CROSS JOIN (SELECT 1) s), tax NATURAL JOIN census LEFT OUTER JOIN tax t2 ON 1`,
		`SELECT -x, +y, ~z, NOT w, x || 'it''s' FROM census WHERE (x, y) = (1, 2) AND EXISTS (SELECT 1 FROM tax)`,
		`WITH census AS (SELECT 1) SELECT * FROM census`,
		`SELECT * FROM census WHERE a IS NOT NULL AND b ISNULL OR c NOTNULL`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		stmt, err := datastore.CheckSQL(text, zonePolicy)
		if err != nil {
			var r *datastore.SQLRefusal
			if !errors.As(err, &r) || r.Reason == "" {
				t.Fatalf("%q: %v is not a refusal", text, err)
			}
			return
		}
		for _, table := range stmt.Tables() {
			if !zonePolicy.IsTable(table) {
				t.Fatalf("%q reads %q", text, table)
			}
		}
		for _, fn := range stmt.Functions() {
			if !slices.Contains(zonePolicy.Functions, fn) {
				t.Fatalf("%q calls %q", text, fn)
			}
		}
		printed := stmt.String()
		again, err := datastore.CheckSQL(printed, zonePolicy)
		if err != nil {
			t.Fatalf("%q printed %q, which is refused: %v", text, printed, err)
		}
		if again.String() != printed || !slices.Equal(again.Tables(), stmt.Tables()) || !slices.Equal(again.Functions(), stmt.Functions()) {
			t.Fatalf("%q printed %q, which prints %q", text, printed, again.String())
		}
		parsed, err := rq.NewParser(strings.NewReader(datastore.DistinctFromAsIs(printed))).ParseStatement()
		if err != nil {
			t.Fatalf("%q printed %q: %v", text, printed, err)
		}
		var found nodesFound
		found.search(reflect.ValueOf(parsed))
		for _, name := range found.tables {
			if !zonePolicy.IsTable(name) && !slices.Contains(found.withNames, name) {
				t.Fatalf("%q printed %q, which reads %q", text, printed, name)
			}
		}
		for _, name := range found.calls {
			if !slices.Contains(zonePolicy.Functions, name) {
				t.Fatalf("%q printed %q, which calls %q", text, printed, name)
			}
		}
		if found.other != "" {
			t.Fatalf("%q printed %q, which holds a %s", text, printed, found.other)
		}
	})
}

// nodesFound are the table names, WITH names and calls of a syntax tree,
// found by visiting every field of every node.
type nodesFound struct {
	tables, withNames, calls []string
	other                    string // a node that reads something other than a table
}

func (n *nodesFound) search(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return
		}
		switch x := v.Interface().(type) {
		case *rq.QualifiedTableName:
			if x.Schema != nil {
				n.other = "schema " + x.Schema.Name
			}
			n.tables = append(n.tables, x.Name.Name)
		case *rq.CTE:
			n.withNames = append(n.withNames, x.TableName.Name)
		case *rq.Call:
			n.calls = append(n.calls, x.Name.Name)
		case *rq.QualifiedTableFunctionName:
			n.other = "table-valued function " + x.Name.Name
		case *rq.BindExpr, *rq.BlobLit, *rq.Raise:
			n.other = reflect.TypeOf(x).String()
		}
		n.search(v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				n.search(v.Field(i))
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			n.search(v.Index(i))
		}
	}
}
