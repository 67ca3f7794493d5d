package datastore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"
)

// sqlWorld is a store with an open resource (the stations), a bigger open
// one (2,000 rows, for statements that run long) and a draft whose rows an
// outsider may not read, served by a datastore whose SQL stops after 300 ms.
type sqlWorld struct {
	*fixture
	sql                      *datastore.Service
	open, big, draft         catalog.Resource
	openTable, draftTable    string
	anonymous                identity.Principal
	replacement, longPattern string
}

// Sentinels that must never appear in an answer: every user's password
// hash starts with the first, the draft's one row holds the second.
const (
	passwordSentinel = "$argon2id$"
	draftSentinel    = "SECRET-DRAFT-ROW"
)

func newSQLWorld(t *testing.T, db *store.DB) *sqlWorld {
	t.Helper()
	ctx := context.Background()
	w := &sqlWorld{fixture: newFixture(t, db)}
	w.sql = datastore.New(datastore.Config{DB: db, Catalog: w.cat, Access: access.NewService(db, w.cat),
		SQL: datastore.SQLConfig{Enabled: true, Timeout: 300 * time.Millisecond}})
	w.open = w.resource(t, stationItems(), true)
	w.big = w.resource(t, stationItems(), true)
	w.draft = w.resource(t, stationItems(), false)
	var big strings.Builder
	big.WriteString("站点编号,站点名称,所属区县,线路数,启用日期,无障碍\n")
	for i := range 2000 {
		fmt.Fprintf(&big, "B%04d,站点%d,东城区,%d,2020-01-02,是\n", i, i, i%40)
	}
	for r, data := range map[*catalog.Resource]string{&w.open: stationsCSV, &w.big: big.String(),
		&w.draft: "站点编号,站点名称,所属区县,线路数,启用日期,无障碍\nS999," + draftSentinel + ",东城区,1,2020-01-02,是\n"} {
		if _, err := w.load(t, *r, "s.csv", data); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	if w.openTable, err = w.sql.VersionTable(ctx, w.open.ID); err != nil {
		t.Fatal(err)
	}
	if w.draftTable, err = w.sql.VersionTable(ctx, w.draft.ID); err != nil {
		t.Fatal(err)
	}
	w.replacement = strings.Repeat("x", 5000)
	return w
}

// expand puts the world's resource ids into a statement.
func (w *sqlWorld) expand(q string) string {
	return strings.NewReplacer("{RID}", w.open.ID, "{BIG}", w.big.ID, "{DRAFT}", w.draft.ID, "{DRAFT_TABLE}", w.draftTable,
		"{X5000}", w.replacement).Replace(q)
}

// What stops a statement of the bypass table.
const (
	denied  = "denied" // the access decision point refused a resource
	timeout = "took longer than the statement timeout"
)

// sqlBypasses are statements that tried, or would try, to read outside
// the request, or to run past the deadline or take memory. Each names
// what refuses it (any of the substrings of the error).
var sqlBypasses = []struct {
	name string
	sql  string
	want []string
}{
	// The reported bypass and its relatives: parentheses, comments, quotes.
	{"issue 11: FROM (users)", `SELECT DISTINCT u.username,u.password_hash FROM (users) u, "{RID}" LIMIT 2`, []string{"may only read resources"}},
	{"double parentheses", `SELECT u.password_hash FROM ((users)) AS u, "{RID}"`, []string{"may only read resources"}},
	{"parenthesised join", `SELECT * FROM ("{RID}" CROSS JOIN users)`, []string{"may only read resources"}},
	{"block comment before the table", `SELECT * FROM "{RID}", /* users */ users`, []string{"may only read resources"}},
	{"comment glued to FROM", `SELECT password_hash FROM/**/users`, []string{"may only read resources"}},
	{"line comment hiding a comma", "SELECT * FROM \"{RID}\" -- comment\n, users", []string{"may only read resources"}},
	{"quoted system table", `SELECT * FROM "{RID}", "users"`, []string{"may only read resources"}},
	{"upper-case table", `SELECT * FROM "{RID}", USERS`, []string{"may only read resources"}},
	{"Cyrillic look-alike name", `SELECT * FROM "{RID}", "usеrs"`, []string{"may only read resources"}},
	{"full-width letters", `ＳＥＬＥＣＴ * FROM users`, []string{`has a character SQL does not allow here: "Ｓ"`}},
	{"look-alike of a resource id", `SELECT * FROM "{RID}" AS a, "０1a24d1d-9170-7ecb-8f7f-d83939a8ae27"`, []string{"may only read resources"}},
	{"version table by name", `SELECT * FROM "{DRAFT_TABLE}"`, []string{"may only read resources"}},
	{"schema-qualified resource", `SELECT * FROM main."{RID}"`, []string{"may not name a schema"}},
	{"sessions", `SELECT * FROM sessions, "{RID}"`, []string{"may only read resources"}},
	{"API tokens", `SELECT * FROM "{RID}" JOIN api_tokens ON 1 = 1`, []string{"may only read resources"}},
	{"de-identification secrets", `SELECT * FROM "{RID}" LEFT JOIN deid_profiles USING (name)`, []string{"may only read resources"}},
	{"grant keys", `SELECT * FROM "{RID}" NATURAL JOIN grant_keys`, []string{"may only read resources"}},
	// System catalogs.
	{"sqlite_master", `SELECT sql FROM sqlite_master`, []string{"may only read resources"}},
	{"sqlite_schema in a subquery", `SELECT * FROM "{RID}" WHERE name IN (SELECT name FROM sqlite_schema)`, []string{"may only read resources"}},
	{"main.sqlite_master", `SELECT * FROM "{RID}", main.sqlite_master`, []string{"may not name a schema"}},
	{"pg_catalog.pg_authid", `SELECT rolpassword FROM pg_catalog.pg_authid, "{RID}"`, []string{"may not name a schema"}},
	{"pg_user", `SELECT * FROM "{RID}", pg_user`, []string{"may only read resources"}},
	{"information_schema", `SELECT * FROM information_schema.tables, "{RID}"`, []string{"may not name a schema"}},
	// Table-valued functions.
	{"pragma_table_info", `SELECT * FROM "{RID}", pragma_table_info('users')`, []string{"may not read the table-valued function pragma_table_info()"}},
	{"quoted pragma function", `SELECT "pragma_table_info"('users') FROM "{RID}"`, []string{"may not call pragma_table_info()"}},
	{"json_each", `SELECT * FROM "{RID}" JOIN json_each('[1]')`, []string{"may not read the table-valued function json_each()"}},
	{"generate_series", `SELECT * FROM "{RID}", generate_series(1, 1000000000)`, []string{"may not read the table-valued function"}},
	// Subqueries anywhere.
	{"scalar subquery in SELECT", `SELECT (SELECT password_hash FROM users LIMIT 1) FROM "{RID}"`, []string{"may only read resources"}},
	{"EXISTS in WHERE", `SELECT * FROM "{RID}" WHERE EXISTS (SELECT 1 FROM users WHERE password_hash LIKE '$%')`, []string{"may only read resources"}},
	{"subquery in HAVING", `SELECT district FROM "{RID}" GROUP BY district HAVING count(*) < (SELECT count(*) FROM users)`, []string{"may only read resources"}},
	{"subquery in ORDER BY", `SELECT * FROM "{RID}" ORDER BY (SELECT password_hash FROM users)`, []string{"may only read resources"}},
	{"subquery in a function argument", `SELECT coalesce(name, (SELECT password_hash FROM users)) FROM "{RID}"`, []string{"may only read resources"}},
	{"subquery in CASE", `SELECT CASE WHEN 1 = 1 THEN (SELECT username FROM users) END FROM "{RID}"`, []string{"may only read resources"}},
	{"subquery in FROM", `SELECT * FROM "{RID}", (SELECT * FROM users) u`, []string{"may only read resources"}},
	{"nested subqueries", `SELECT * FROM (SELECT * FROM (SELECT * FROM (SELECT password_hash FROM users)))`, []string{"may only read resources"}},
	{"UNION with a system table", `SELECT name FROM "{RID}" UNION SELECT password_hash FROM users`, []string{"may only read resources"}},
	{"UNION with sqlite_master", `SELECT name FROM "{RID}" UNION ALL SELECT sql FROM sqlite_master`, []string{"may only read resources"}},
	{"cross join with users", `SELECT * FROM "{RID}" CROSS JOIN users`, []string{"may only read resources"}},
	// WITH.
	{"CTE over users", `WITH x AS (SELECT * FROM users) SELECT * FROM x, "{RID}"`, []string{"may only read resources"}},
	{"CTE named like a resource", `WITH "{RID}" AS (SELECT * FROM users) SELECT * FROM "{RID}"`, []string{"may not name a WITH table"}},
	{"CTE reading itself", `WITH c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c) SELECT count(*) FROM c, "{RID}"`, []string{"may only read resources (named by id in double quotes: FROM \"<resource id>\"), not c"}},
	{"recursive CTE CPU bomb", `WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c) SELECT count(*) FROM c, "{RID}"`, []string{"may not use WITH RECURSIVE"}},
	// Other statements.
	{"ATTACH", `ATTACH DATABASE '/tmp/x.db' AS x`, []string{"may not use ATTACH"}},
	{"second statement", `SELECT * FROM "{RID}"; DELETE FROM users`, []string{"must be a single statement"}},
	{"PRAGMA", `PRAGMA table_info(users)`, []string{"must be one SELECT statement"}},
	{"DELETE", `DELETE FROM "{RID}"`, []string{"must be one SELECT statement"}},
	{"INSERT via WITH", `WITH x AS (SELECT 1) INSERT INTO users SELECT * FROM x`, []string{"must be one SELECT statement"}},
	{"EXPLAIN", `EXPLAIN SELECT * FROM users`, []string{"must be one SELECT statement"}},
	// Functions.
	{"quoted randomblob", `SELECT "randomblob"(900000000) FROM "{RID}"`, []string{"may not call randomblob()"}},
	{"upper-case RANDOMBLOB", `SELECT RANDOMBLOB(900000000) FROM "{RID}"`, []string{"may not call RANDOMBLOB()"}},
	{"zeroblob", `SELECT length(zeroblob(1000000000)) FROM "{RID}"`, []string{"may not call zeroblob()"}},
	{"printf padding", `SELECT printf('%.*c', 1000000000, 'x') FROM "{RID}"`, []string{"may not call printf()"}},
	{"load_extension", `SELECT load_extension('/tmp/x.so') FROM "{RID}"`, []string{"may not call load_extension()"}},
	{"Kelvin-sign look-alike of a function", "SELECT coun\u212a(*) FROM \"{RID}\"", []string{"has a character SQL does not allow here: \"\u212a\" (U+212A)"}},
	{"pg_read_file", `SELECT pg_read_file('/etc/passwd') FROM "{RID}"`, []string{"may not call pg_read_file()"}},
	{"query_to_xml", `SELECT query_to_xml('select * from users', true, true, '') FROM "{RID}"`, []string{"may not call query_to_xml()"}},
	{"pg_sleep", `SELECT pg_sleep(60) FROM "{RID}"`, []string{"may not call pg_sleep()"}},
	{"current_setting", `SELECT current_setting('is_superuser') FROM "{RID}"`, []string{"may not call current_setting()"}},
	{"blob literal", `SELECT x'00' FROM "{RID}"`, []string{"may not write blob literals"}},
	{"hexadecimal number", `SELECT 0x10 FROM "{RID}"`, []string{"may only write numbers in decimal"}},
	{"parameter", `SELECT * FROM "{RID}" WHERE name = ?`, []string{"may not use parameters"}},
	{"INDEXED BY", `SELECT * FROM "{RID}" INDEXED BY sqlite_autoindex_users_1`, []string{"may not use INDEXED BY"}},
	{"cast to an unknown type", `SELECT CAST(name AS regclass) FROM "{RID}"`, []string{"may not cast to regclass"}},
	{"too deep", `SELECT ` + strings.Repeat("(", 300) + `1` + strings.Repeat(")", 300) + ` FROM "{RID}"`, []string{"nests expressions or subqueries more than"}},
	{"too many UNIONs", `SELECT 1 FROM "{RID}"` + strings.Repeat(` UNION SELECT 1 FROM "{RID}"`, 20), []string{"joins more than 8 SELECTs"}},
	{"too long", `SELECT * FROM "{RID}" WHERE name IN ('` + strings.Repeat("x", 21000) + `')`, []string{"is longer than 20000 characters"}},
	// Resources the reader may not read.
	{"draft resource", `SELECT * FROM "{DRAFT}"`, []string{denied}},
	{"draft resource in a UNION", `SELECT name FROM "{RID}" UNION SELECT name FROM "{DRAFT}"`, []string{denied}},
	{"draft resource in a CTE", `WITH d AS (SELECT * FROM "{DRAFT}") SELECT * FROM d`, []string{denied}},
	// Accepted by the syntax check, stopped by the database.
	{"replace amplification", `SELECT length(replace(replace(replace(name || 'x', 'x', '{X5000}'), 'x', '{X5000}'), 'x', '{X5000}')) FROM "{RID}"`,
		[]string{"built a value longer than 1 MB", "memory alloc", "out of memory", timeout}},
	{"cross join of the resource with itself", `SELECT count(*) FROM "{BIG}" a, "{BIG}" b, "{BIG}" c`, []string{timeout}},
	{"cross join finding its first row at once", `SELECT a.station_id FROM "{BIG}" a, "{BIG}" b, "{BIG}" c ` +
		`WHERE (a.station_id = 'B0000' AND b.station_id = 'B0000' AND c.station_id = 'B0000') OR a.lines + b.lines + c.lines < 0`, []string{timeout}},
	{"grouping a cross join", `SELECT a.name || b.name || c.name, count(*) FROM "{BIG}" a, "{BIG}" b, "{BIG}" c GROUP BY 1`, []string{timeout}},
	{"sorting a cross join", `SELECT * FROM "{BIG}" a, "{BIG}" b, "{BIG}" c ORDER BY a.name || b.name || c.name DESC`, []string{timeout}},
}

// TestSQLBypasses runs the bypass table as an outsider and as an anonymous
// caller on both stores: every statement must be refused or stopped with
// an error, nothing may come back, and the process's memory must stay
// flat (peak resident size within 256 MB of where it started).
func TestSQLBypasses(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newSQLWorld(t, db)
		ctx := context.Background()
		for _, test := range sqlBypasses {
			t.Run(test.name, func(t *testing.T) {
				for _, who := range []identity.Principal{w.outsider, identity.Anonymous} {
					before := resetPeakRSS()
					out, err := w.sql.SearchSQL(ctx, who, w.expand(test.sql))
					if grown := peakRSS() - before; grown > 256<<20 {
						t.Errorf("peak resident memory grew by %d MB", grown>>20)
					}
					if err == nil {
						t.Fatalf("ran and answered %.300v", out)
					}
					if !matchesAny(err, test.want) {
						t.Errorf("err = %v, want one of %q", err, test.want)
					}
					if who.IsAnonymous() {
						t.Logf("%v", err)
					}
				}
			})
		}
	})
}

func matchesAny(err error, want []string) bool {
	for _, w := range want {
		if w == denied && (errors.Is(err, access.ErrDenied) || errors.Is(err, store.ErrNotFound)) {
			return true
		}
		var verrs validate.Errors
		if w != denied && errors.As(err, &verrs) && verrs.Has("sql") && strings.Contains(err.Error(), w) {
			return true
		}
	}
	return false
}

// TestSQLIssueBypassReadsNothing is the reported statement, plus the
// password hashes and draft rows it was after: no answer of the bypass
// table, nor of its relatives that do run, may hold either.
func TestSQLIssueBypassReadsNothing(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newSQLWorld(t, db)
		ctx := context.Background()
		for _, q := range []string{
			`SELECT DISTINCT u.username, u.password_hash FROM (users) u, "{RID}" LIMIT 2`,
			// Runs: the parentheses hold the resource, aliased users.
			`SELECT * FROM ("{RID}") users`,
			// Runs: a WITH table called users shadows the platform's.
			`WITH "Users" AS (SELECT name FROM "{RID}") SELECT * FROM users`,
			`SELECT name FROM "{RID}" WHERE name = 'sqlite_master' OR name IN (SELECT name FROM "{RID}")`,
		} {
			out, err := w.sql.SearchSQL(ctx, identity.Anonymous, w.expand(q))
			got := fmt.Sprint(out)
			if strings.Contains(got, passwordSentinel) || strings.Contains(got, draftSentinel) {
				t.Errorf("%s read outside the request: %.300s", q, got)
			}
			t.Logf("%s: %d records, err %v", q, len(out.Records), err)
		}
		out, err := w.sql.SearchSQL(ctx, identity.Anonymous, w.expand(`WITH "Users" AS (SELECT name FROM "{RID}") SELECT * FROM users`))
		if err != nil || len(out.Records) != 4 {
			t.Errorf("WITH table named like a platform table: %v %v, want the resource's 4 names", out, err)
		}
	})
}

// resetPeakRSS resets the process's peak resident size (Linux) and returns
// the current one, in bytes.
func resetPeakRSS() int {
	runtime.GC()
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	return procStatus("VmRSS:")
}

// peakRSS is the peak resident size since the last reset, in bytes.
func peakRSS() int { return procStatus("VmHWM:") }

func procStatus(field string) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return kb << 10
		}
	}
	return 0
}

// TestSQLAnswer checks the answer's shape, as CKAN clients read it:
// records, fields with their types, and records_truncated when the rows
// ran past the limit.
func TestSQLAnswer(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		r := f.resource(t, stationItems(), true)
		if _, err := f.load(t, r, "s.csv", stationsCSV); err != nil {
			t.Fatal(err)
		}
		ds := datastore.New(datastore.Config{DB: db, Catalog: f.cat, Access: access.NewService(db, f.cat),
			SQL: datastore.SQLConfig{Enabled: true, MaxRows: 2}})
		q := `SELECT station_id, lines FROM "` + r.ID + `" ORDER BY station_id`
		out, err := ds.SearchSQL(context.Background(), f.outsider, q)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(map[string]any{"records": out.Records, "truncated": out.Truncated, "sql": out.SQL})
		want := `{"records":[{"lines":5,"station_id":"S001"},{"lines":12,"station_id":"S002"}],"sql":` + strconv.Quote(q) + `,"truncated":true}`
		if string(got) != want {
			t.Errorf("answer:\n got %s\nwant %s", got, want)
		}
		fields := out.Fields
		if len(fields) != 2 || fields[0].ID != "station_id" || fields[1].ID != "lines" || fields[0].Type == "" || fields[1].Type == "" {
			t.Errorf("fields = %+v", fields)
		}
		out, err = ds.SearchSQL(context.Background(), f.outsider, q+" LIMIT 2")
		if err != nil || out.Truncated || len(out.Records) != 2 {
			t.Errorf("exactly the limit: %v %v", out, err)
		}
	})
}
