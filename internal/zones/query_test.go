package zones_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/identity"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"
	"dataport/internal/zones"
	"dataport/internal/zones/zsql"
)

// Bad input is refused at its field and records nothing; a statement the
// guard refuses is a 422 on "sql" with the refused fragment, recorded as a
// refused query whose event holds the statement's hash, never its text;
// without an authorisation the actor is denied.
func TestSubmitRefusals(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newQWorld(t, db, zones.Config{})
		op := w.authorise(t, "SUB", time.Now().Add(24*time.Hour))
		v := table(w.Visits)
		ok := `SELECT sex, COUNT(*) AS n FROM ` + v + ` GROUP BY sex`
		before := storetest.CountRows(t, db, "zone_queries", "events")
		for _, c := range []struct {
			in    zones.QueryInput
			field string
		}{
			{zones.QueryInput{SQL: " "}, "sql"},
			{zones.QueryInput{SQL: ok, Mechanism: "magic"}, "mechanism"},
			{zones.QueryInput{SQL: ok, Mechanism: zsql.DP}, "epsilon"},
			{zones.QueryInput{SQL: ok, Mechanism: zsql.DP, Epsilon: 1.5}, "epsilon"},
			{zones.QueryInput{SQL: ok, Mechanism: zsql.DP, Epsilon: -1}, "epsilon"},
			{zones.QueryInput{SQL: ok, Mechanism: zsql.SDC, Epsilon: 0.5}, "epsilon"},
		} {
			_, err := w.Zones.Submit(ctx, op.User, w.Zone.ID, c.in)
			if fields, _ := validate.Fields(err); !slices.Equal(fields, []string{c.field}) {
				t.Errorf("%+v: %v, want a problem with %s only", c.in, err, c.field)
			}
		}
		storetest.AssertUnchanged(t, db, before)

		if _, err := w.Zones.Submit(ctx, w.CompanyAdmin, w.Zone.ID, zones.QueryInput{SQL: ok}); !errors.Is(err, access.ErrDenied) {
			t.Errorf("an unauthorised company: %v, want access denied", err)
		}
		if _, err := w.Zones.Submit(ctx, identity.Anonymous, w.Zone.ID, zones.QueryInput{SQL: ok}); !errors.Is(err, identity.ErrUnauthenticated) {
			t.Errorf("anonymous: %v", err)
		}
		storetest.AssertUnchanged(t, db, before)

		leak := `SELECT patient_key, COUNT(*) FROM ` + v + ` GROUP BY patient_key`
		_, err := w.Zones.Submit(ctx, op.User, w.Zone.ID, zones.QueryInput{SQL: leak})
		var errs validate.Errors
		if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Field != "sql" || errs[0].Value == nil {
			t.Fatalf("a key item grouped: %v, want a 422 on sql with the fragment", err)
		}
		list, _, err := w.Zones.Queries(ctx, op.User, zones.QueryFilter{ZoneID: w.Zone.ID, Status: zones.QueryRefused})
		if err != nil || len(list) != 1 || !isRefused(list[0], zones.ReasonSQL) || list[0].SQL != leak {
			t.Fatalf("refused queries: %+v %v, want the statement recorded refused (sql)", list, err)
		}
		events, err := db.Events(ctx, store.EventFilter{SubjectKind: "zone_query", SubjectID: list[0].ID})
		if err != nil || len(events) != 2 {
			t.Fatalf("events: %v %v", events, err)
		}
		for _, ev := range events {
			if strings.Contains(string(ev.Payload), "patient_key") {
				t.Errorf("event %s carries the statement: %s", ev.Type, ev.Payload)
			}
		}
		if events[0].Type != "zone.query.refused" || !strings.Contains(string(events[0].Payload), store.SHA256Hex(leak)) {
			t.Errorf("refusal event %s %s, want the statement's hash", events[0].Type, events[0].Payload)
		}
	})
}

// qTrue counts the visits by key among those where keep holds (the truth
// the tests compare released cells with).
func qTrue(keep func(r []string) bool, key func(r []string) string) map[string]int {
	recs, err := csv.NewReader(strings.NewReader(qVisitsCSV())).ReadAll()
	if err != nil {
		panic(err)
	}
	out := map[string]int{}
	for _, r := range recs[1:] {
		if keep(r) {
			out[key(r)]++
		}
	}
	return out
}

// A cell under the minimum count is never released, under either
// mechanism, even once the steward approves (results are read as the
// platform operator, who sees them in review too): its values are null
// and it is listed as suppressed, and in every line of the table a
// suppressed cell has company (secondary suppression), so the line's
// total, which another query may give, does not give it back. Released counts are the true ones under disclosure
// control and at least the minimum's worth of persons under both.
func TestMinimumCellNeverReleased(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		w := newQWorld(t, db, zones.Config{})
		op := w.authorise(t, "MIN", time.Now().Add(24*time.Hour))
		v := table(w.Visits)
		age := func(r []string) int { a, _ := strconv.Atoi(r[1]); return a }
		for _, mech := range []zsql.Mechanism{zsql.SDC, zsql.DP} {
			eps := map[zsql.Mechanism]float64{zsql.DP: 0.4}[mech]
			q := w.asOperator(t, w.run(t, op, `SELECT diagnosis_group, COUNT(*) AS n, SUM(cost) AS s FROM `+v+` GROUP BY diagnosis_group`, mech, eps))
			truth := qTrue(func([]string) bool { return true }, func(r []string) string { return r[4] })
			checkCells(t, q, truth, 1, func(row []any) string { return row[0].(string) })
			if !q.Finished() || !containsRow(q, "Z") {
				t.Fatalf("%s: %+v", mech, q)
			}

			q = w.asOperator(t, w.run(t, op, `SELECT district, sex, COUNT(*) AS n FROM `+v+` WHERE age BETWEEN 30 AND 34 GROUP BY district, sex`, mech, eps))
			truth = qTrue(func(r []string) bool { return age(r) >= 30 && age(r) <= 34 }, func(r []string) string { return r[3] + "/" + r[2] })
			checkCells(t, q, truth, 2, func(row []any) string { return row[0].(string) + "/" + row[1].(string) })
			if q.SuppressedCells == 0 {
				t.Errorf("%s: no cell suppressed in %v: the test needs small cells", mech, truth)
			}
		}
	})
}

func containsRow(q zones.Query, key string) bool {
	for _, row := range q.Rows {
		if row[0] == key {
			return true
		}
	}
	return false
}

// checkCells checks a released table against the true counts: cells under
// 10 persons suppressed (values null), released counts exact under sdc,
// and no line with exactly one suppressed cell.
func checkCells(t *testing.T, q zones.Query, truth map[string]int, dims int, key func(row []any) string) {
	t.Helper()
	if q.Status != zones.QueryReleased && q.Status != zones.QueryReview {
		t.Fatalf("%s: %s (%s)", q.SQL, q.Status, q.Reason)
	}
	if len(q.Rows) != len(truth) {
		t.Fatalf("%d rows, want %d (%v)", len(q.Rows), len(truth), truth)
	}
	suppressed := map[string]bool{}
	for i, row := range q.Rows {
		k, n := key(row), truth[key(row)]
		supp := slices.Contains(q.Suppressed, i)
		suppressed[k] = supp
		if n < 10 && !supp {
			t.Errorf("%s: cell %s of %d persons released: %v", q.Mechanism, k, n, row)
		}
		for _, v := range row[dims:] {
			if (v == nil) != supp {
				t.Errorf("%s: cell %s suppressed=%v with value %v", q.Mechanism, k, supp, v)
			}
		}
		if !supp && q.Mechanism == zsql.SDC && row[dims] != int64(n) {
			t.Errorf("cell %s: count %v, want %d", k, row[dims], n)
		}
	}
	if q.SuppressedCells != len(q.Suppressed) {
		t.Errorf("suppressed_cells %d, %d rows suppressed", q.SuppressedCells, len(q.Suppressed))
	}
	lines := map[string]int{}
	for k, supp := range suppressed {
		if !supp {
			continue
		}
		parts := strings.Split(k, "/")
		lines["total"]++
		if dims == 2 {
			lines["a:"+parts[0]]++
			lines["b:"+parts[1]]++
		}
	}
	for line, n := range lines {
		if n == 1 {
			t.Errorf("%s: line %s has one suppressed cell: its margin gives it back (%v)", q.Mechanism, line, suppressed)
		}
	}
}

// A result with a cell near the minimum goes to the steward's review: the
// operator does not see it meanwhile, the steward does; a plain member of
// the steward and the operator cannot decide; the steward's editor's
// approval releases it and a rejection refuses another.
func TestRiskyResultGoesToReview(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newQWorld(t, db, zones.Config{})
		op := w.authorise(t, "REV", time.Now().Add(24*time.Hour))
		v := table(w.Visits)
		q := w.run(t, op, `SELECT diagnosis_group, COUNT(*) AS n FROM `+v+` WHERE diagnosis_group = 'Y' GROUP BY diagnosis_group`, zsql.SDC, 0)
		if q.Status != zones.QueryReview || q.Rows != nil {
			t.Fatalf("a cell of 12 persons: %s %v (%s), want in review and hidden from the operator", q.Status, q.Rows, q.Reason)
		}
		seen, err := w.Zones.Query(ctx, w.StewardEditor, q.ID)
		if err != nil || len(seen.Rows) != 1 || seen.Rows[0][1] != int64(12) {
			t.Fatalf("the steward sees %+v %v, want the cell of 12", seen.Rows, err)
		}
		if _, err := w.Zones.Query(ctx, w.CompanyAdmin, q.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a stranger reads the query: %v", err)
		}
		for _, p := range []identity.Principal{w.StewardMember, op.User} {
			if _, err := w.Zones.DecideRelease(ctx, p, q.ID, review.Approve, ""); err == nil {
				t.Errorf("%s released a result", p.Username)
			}
		}
		if err := w.Zones.WriteCSV(ctx, op.User, q.ID, &bytes.Buffer{}); !errors.Is(err, catalog.ErrState) {
			t.Errorf("CSV of a result in review: %v", err)
		}
		q, err = w.Zones.DecideRelease(ctx, w.StewardEditor, q.ID, review.Approve, "核对无误")
		if err != nil || q.Status != zones.QueryReleased {
			t.Fatalf("approve: %+v %v", q, err)
		}
		if q, err = w.Zones.Query(ctx, op.User, q.ID); err != nil || len(q.Rows) != 1 {
			t.Fatalf("the operator after release: %+v %v", q, err)
		}
		if _, err := w.Zones.DecideRelease(ctx, w.StewardEditor, q.ID, review.Approve, ""); !errors.Is(err, catalog.ErrState) {
			t.Errorf("deciding a released result again: %v", err)
		}

		q2 := w.run(t, op, `SELECT COUNT(*) AS n FROM `+v+` WHERE diagnosis_group = 'Y'`, zsql.SDC, 0)
		if q2.Status != zones.QueryReview {
			t.Fatalf("second: %s", q2.Status)
		}
		if q2, err = w.Zones.DecideRelease(ctx, w.StewardAdmin, q2.ID, review.Reject, "范围过窄"); err != nil || !isRefused(q2, zones.ReasonRejected) || q2.Rows != nil {
			t.Fatalf("reject: %+v %v", q2, err)
		}
		types := eventTypes(t, db, q.ID)
		if !strings.Contains(types, "zone.query.review") || !strings.Contains(types, "zone.query.released") {
			t.Errorf("events of the released query: %s", types)
		}
	})
}

func eventTypes(t *testing.T, db *store.DB, id string) string {
	t.Helper()
	evs, err := db.Events(context.Background(), store.EventFilter{SubjectKind: "zone_query", SubjectID: id})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, ev := range evs {
		types = append(types, ev.Type)
	}
	return strings.Join(types, " ")
}

// A released result downloads as CSV, is kept as an output naming its
// hash, and is metered: the operator sees its usage, the steward all.
func TestOutputsAndUsage(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newQWorld(t, db, zones.Config{})
		op := w.authorise(t, "OUT", time.Now().Add(24*time.Hour))
		other := w.authorise(t, "OTH", time.Now().Add(24*time.Hour))
		v := table(w.Visits)
		q := w.run(t, op, `SELECT sex, COUNT(*) AS n, AVG(cost) AS a FROM `+v+` GROUP BY sex ORDER BY n DESC LIMIT 5`, zsql.DP, 0.5)
		if q.Status != zones.QueryReleased || len(q.Rows) != 2 || q.EpsilonSpent != 0.5 || q.EpsilonRemaining != 2.5 {
			t.Fatalf("dp query: %+v", q)
		}
		if q.Meter.RowsScanned != qRows || q.Meter.CellsReleased != 2 || q.Progress != 100 {
			t.Errorf("meter %+v, progress %d", q.Meter, q.Progress)
		}
		if n0, n1 := q.Rows[0][1].(int64), q.Rows[1][1].(int64); n0 < n1 {
			t.Errorf("ORDER BY n DESC: %v", q.Rows)
		}
		var buf bytes.Buffer
		if err := w.Zones.WriteCSV(ctx, op.User, q.ID, &buf); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(buf.String(), "\uFEFFsex,n,a\n") || strings.Count(buf.String(), "\n") != 3 {
			t.Errorf("CSV:\n%s", buf.String())
		}
		if _, err := w.Zones.Keep(ctx, op.User, q.ID, zones.OutputInput{}); !validateField(err, "name_zh") {
			t.Errorf("an output without a name: %v", err)
		}
		if _, err := w.Zones.Keep(ctx, other.User, q.ID, zones.OutputInput{NameZh: "别人的"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another operator keeps the result: %v", err)
		}
		o, err := w.Zones.Keep(ctx, op.User, q.ID, zones.OutputInput{NameZh: "分性别就诊费用", Description: "差分隐私"})
		if err != nil || len(o.ResultSHA256) != 64 {
			t.Fatalf("keep: %+v %v", o, err)
		}
		for _, c := range []struct {
			p    identity.Principal
			want int
		}{{op.User, 1}, {w.StewardMember, 1}, {other.User, 0}} {
			if list, err := w.Zones.Outputs(ctx, c.p, w.Zone.Code); err != nil || len(list) != c.want {
				t.Errorf("%s sees outputs %+v %v, want %d", c.p.Username, list, err, c.want)
			}
		}
		got, gq, err := w.Zones.Output(ctx, op.User, o.ID)
		if err != nil || got.QueryID != q.ID || len(gq.Rows) != 2 {
			t.Errorf("output: %+v %+v %v", got, gq, err)
		}
		w.run(t, other, `SELECT district, COUNT(*) AS n FROM `+v+` GROUP BY district`, zsql.SDC, 0)
		mine, err := w.Zones.Usage(ctx, op.User, w.Zone.ID)
		if err != nil || len(mine) != 1 || mine[0].Released != 1 || mine[0].EpsilonSpent != 0.5 || mine[0].RowsScanned != qRows || mine[0].CellsReleased != 2 {
			t.Errorf("operator's usage %+v %v", mine, err)
		}
		all, err := w.Zones.Usage(ctx, w.StewardEditor, w.Zone.ID)
		if err != nil || len(all) != 2 {
			t.Errorf("steward's usage %+v %v", all, err)
		}
		page, next, err := w.Zones.Queries(ctx, w.Operator, zones.QueryFilter{ZoneID: w.Zone.ID, Limit: 1})
		if err != nil || len(page) != 1 || next == "" {
			t.Fatalf("page: %v %q %v", page, next, err)
		}
		rest, next, err := w.Zones.Queries(ctx, w.Operator, zones.QueryFilter{ZoneID: w.Zone.ID, Cursor: next})
		if err != nil || len(rest) != 1 || next != "" || rest[0].ID != q.ID {
			t.Errorf("next page: %v %q %v", rest, next, err)
		}
		if _, _, err := w.Zones.Queries(ctx, w.Operator, zones.QueryFilter{Cursor: "x"}); !validateField(err, "cursor") {
			t.Errorf("bad cursor: %v", err)
		}
		kept := eventTypes(t, db, q.ID)
		if !strings.Contains(kept, "zone.budget.charged") || !strings.Contains(kept, "zone.query.released") {
			t.Errorf("events: %s", kept)
		}
		evs, _ := db.Events(ctx, store.EventFilter{Type: "zone.query.released", SubjectID: q.ID})
		var payload map[string]any
		if len(evs) != 1 || json.Unmarshal(evs[0].Payload, &payload) != nil || payload["result_sha256"] != o.ResultSHA256 {
			t.Errorf("released event %v, want the kept output's hash %s", evs, o.ResultSHA256)
		}
	})
}

func validateField(err error, field string) bool {
	fields, ok := validate.Fields(err)
	return ok && slices.Equal(fields, []string{field})
}
