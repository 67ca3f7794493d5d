package datastore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/ingest"
	"dataport/internal/store"
	"dataport/internal/store/storetest"

	"github.com/google/go-cmp/cmp"
)

func TestLoadAndSearch(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		r := f.resource(t, stationItems(), true)
		v, err := f.load(t, r, "stations.csv", stationsCSV)
		if err != nil {
			t.Fatal(err)
		}
		if v.Version != 1 || v.Rows != 4 || v.Status != datastore.StatusReady || !v.Current {
			t.Fatalf("version = %+v", v)
		}
		res, err := f.ds.Search(ctx, f.outsider, r.ID, "test", datastore.Query{Total: true})
		if err != nil {
			t.Fatal(err)
		}
		want := [][]any{
			{int64(2), "S001", "朝阳门", "110101", int64(5), "2020-01-02", true},
			{int64(3), "S002", "西单", "110102", int64(12), "2019-05-01", false},
			{int64(4), "S003", "东四", "110101", nil, "2021-07-15", true},
			{int64(5), "S004", "灵境胡同", "110102", int64(3), nil, false},
		}
		if diff := cmp.Diff(want, res.Rows); diff != "" || res.Total != 4 || res.TotalEstimated {
			t.Errorf("rows (-want +got):\n%s total %d", diff, res.Total)
		}
		// Filters, sort, fields and keyset paging.
		q := datastore.Query{Fields: []string{"name", "lines"}, Filters: []datastore.Filter{{Item: "district", Op: "eq", Values: []string{"110101"}}}, Total: true}
		res, err = f.ds.Search(ctx, f.outsider, r.ID, "test", q)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([][]any{{int64(2), "朝阳门", int64(5)}, {int64(4), "东四", nil}}, res.Rows); diff != "" || res.Total != 2 {
			t.Errorf("filtered (-want +got):\n%s", diff)
		}
		q = datastore.Query{Fields: []string{"station_id"}, Sort: []datastore.SortKey{{Item: "lines", Desc: true}}, Limit: 2}
		var ids []any
		for page := 0; page < 3; page++ {
			res, err = f.ds.Search(ctx, f.outsider, r.ID, "test", q)
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range res.Rows {
				ids = append(ids, row[1])
			}
			if res.NextCursor == "" {
				break
			}
			q.Cursor = res.NextCursor
		}
		if diff := cmp.Diff([]any{"S002", "S001", "S004", "S003"}, ids); diff != "" {
			t.Errorf("keyset pages (-want +got):\n%s", diff)
		}
		res, err = f.ds.Search(ctx, f.outsider, r.ID, "test", datastore.Query{Q: "胡同", Fields: []string{"station_id"},
			Filters: []datastore.Filter{{Item: "lines", Op: "in", Values: []string{"3", "5"}}}})
		if err != nil || len(res.Rows) != 1 || res.Rows[0][1] != "S004" {
			t.Errorf("q and in: %v %v", res.Rows, err)
		}
	})
}

func TestLoadRefusesBadFile(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		r := f.resource(t, stationItems(), true)
		bad := stationsCSV + "S005,王府井,海淀区,x,2020-13-01,是\nS001,重复,东城区,1,2020-01-01,否\n"
		_, err := f.load(t, r, "stations.csv", bad)
		var le *datastore.LoadError
		if !errors.As(err, &le) {
			t.Fatalf("err = %v", err)
		}
		want := []ingest.RowError{
			{Row: 6, Column: "所属区县", Value: "海淀区", Reason: "is not in the item's code list"},
			{Row: 6, Column: "线路数", Value: "x", Reason: "is not an integer"},
			{Row: 6, Column: "启用日期", Value: "2020-13-01", Reason: "is not a date (write it as YYYY-MM-DD)"},
		}
		if diff := cmp.Diff(want, le.Errors); diff != "" {
			t.Errorf("errors (-want +got):\n%s", diff)
		}
		if got := tableNames(t, db); len(got) != 0 {
			t.Errorf("tables left behind: %v", got)
		}
		// Duplicated key alone.
		_, err = f.load(t, r, "stations.csv", stationsCSV+"S001,重复,东城区,1,2020-01-01,否\n")
		if !errors.As(err, &le) || le.Reason != "1 record(s) repeat the key (station_id) of an earlier record" ||
			!cmp.Equal(le.Errors, []ingest.RowError{{Row: 6, Column: "station_id", Reason: "repeats the key of row 2"}}) {
			t.Errorf("duplicate key: %v", err)
		}
		if vs, _ := f.ds.Versions(context.Background(), f.editor, r.ID, false); len(vs) != 0 {
			t.Errorf("versions after refusals: %v", vs)
		}
		if got := tableNames(t, db); len(got) != 0 {
			t.Errorf("tables left behind: %v", got)
		}
		if _, err := f.load(t, r, "x.csv", ""); !errors.As(err, &le) || le.Reason != "the file is empty" {
			t.Errorf("empty file: %v", err)
		}
	})
}

func TestQuarantineVersionsRollbackDiff(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		r := f.resource(t, stationItems(), true)
		if _, err := f.ds.SetSettings(ctx, f.editor, r.ID, datastore.LoadSettings{OnError: datastore.Quarantine, KeepVersions: 2,
			Rules: []ingest.QualityRule{{Item: "lines", Expr: "value < 10", Message: "must be under 10"}}, Indexes: []string{"district"}}); err != nil {
			t.Fatal(err)
		}
		v1, err := f.load(t, r, "stations.csv", stationsCSV+"S001,重复,东城区,1,2020-01-01,否\n")
		if err != nil {
			t.Fatal(err)
		}
		if v1.Rows != 3 || v1.Rejected != 2 {
			t.Errorf("v1 rows %d rejected %d, want 3 and 2 (rule, duplicate)", v1.Rows, v1.Rejected)
		}
		rep := v1.Report
		if rep.Duplicates.Rows != 1 || len(rep.ErrorCounts) != 2 || rep.Items[3].Invalid != 1 || rep.Items[4].Nulls != 1 {
			t.Errorf("report = %+v", rep)
		}
		changed := "站点编号,站点名称,所属区县,线路数,启用日期,无障碍\nS001,朝阳门,东城区,6,2020-01-02,是\nS003,东四,东城区,,2021-07-15,是\nS009,新站,西城区,1,2024-01-01,否\n"
		v2, err := f.load(t, r, "stations.csv", changed)
		if err != nil {
			t.Fatal(err)
		}
		d, err := f.ds.Diff(ctx, f.editor, r.ID, v1.Version, v2.Version)
		if err != nil {
			t.Fatal(err)
		}
		if d.Added != 1 || d.Removed != 1 || d.Changed != 1 {
			t.Errorf("diff = %+v", d)
		}
		if _, err := f.ds.Rollback(ctx, f.outsider, r.ID, 1); err == nil {
			t.Error("an outsider rolled back")
		}
		if _, err := f.ds.Rollback(ctx, f.editor, r.ID, 1); err != nil {
			t.Fatal(err)
		}
		res, _ := f.ds.Search(ctx, f.outsider, r.ID, "test", datastore.Query{Total: true})
		if res.Version != 1 || res.Total != 3 {
			t.Errorf("after rollback: version %d total %d", res.Version, res.Total)
		}
		if _, err := f.load(t, r, "stations.csv", changed); err != nil {
			t.Fatal(err)
		}
		vs, err := f.ds.Versions(ctx, f.editor, r.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		var statuses []string
		for _, v := range vs {
			statuses = append(statuses, v.Status)
		}
		if diff := cmp.Diff([]string{"ready", "ready", "pruned"}, statuses); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
		if n := len(tableNames(t, db)); n != 4 {
			t.Errorf("%d tables, want 4 (two versions and their quarantine tables)", n)
		}
	})
}

func TestAccessAndLegality(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		draft := f.resource(t, stationItems(), false)
		if _, err := f.load(t, draft, "s.csv", stationsCSV); err != nil {
			t.Fatal(err)
		}
		if _, err := f.ds.Search(ctx, f.outsider, draft.ID, "test", datastore.Query{}); err == nil {
			t.Error("an outsider read a draft's rows")
		}
		if _, err := f.ds.Search(ctx, f.editor, draft.ID, "test", datastore.Query{}); err != nil {
			t.Errorf("the provider cannot read its draft: %v", err)
		}
		if _, err := f.ds.Load(ctx, f.outsider, draft.ID, datastore.LoadInput{}); err == nil {
			t.Error("an outsider loaded")
		}
		items := append(stationItems(), catalog.Item{Name: "phone", LabelZh: "联系电话", Type: catalog.TypeText})
		r := f.resource(t, items, true)
		data := "站点编号,站点名称,联系电话\nS1,甲,13812345678\nS2,乙,13912345678\n"
		v, err := f.load(t, r, "p.csv", data)
		if err != nil {
			t.Fatal(err)
		}
		if v.Status != datastore.StatusHeld || v.Current || !v.Report.Legality.Blocked {
			t.Fatalf("personal data not held: %+v", v)
		}
		if _, err := f.ds.Search(ctx, f.outsider, r.ID, "test", datastore.Query{}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("held version served: %v", err)
		}
		// Neither the held version nor the columns it found personal
		// information in are shown to anyone but the provider and staff.
		if vs, err := f.ds.Versions(ctx, f.outsider, r.ID, true); err != nil || len(vs) != 0 {
			t.Errorf("an outsider lists the held version: %+v %v", vs, err)
		}
		if _, err := f.ds.Version(ctx, f.outsider, r.ID, v.Version); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an outsider reads the held version's report: %v", err)
		}
		if _, err := f.ds.Version(ctx, identity.Anonymous, r.ID, v.Version); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("an anonymous visitor reads the held version's report: %v", err)
		}
		if vs, err := f.ds.Versions(ctx, f.editor, r.ID, true); err != nil || len(vs) != 1 || len(vs[0].Report.Legality.Findings) == 0 {
			t.Errorf("the provider's view of the held version: %+v %v", vs, err)
		}
		if _, err := f.ds.Release(ctx, f.operator, r.ID, v.Version, "电话为公共服务热线"); err != nil {
			t.Fatal(err)
		}
		if res, err := f.ds.Search(ctx, f.outsider, r.ID, "test", datastore.Query{}); err != nil || len(res.Rows) != 2 {
			t.Errorf("released version: %v %v", res.Rows, err)
		}
		if got, err := f.ds.Version(ctx, f.outsider, r.ID, v.Version); err != nil || len(got.Report.Legality.Findings) != 0 {
			t.Errorf("an outsider's view of the released version: %+v %v", got.Report.Legality, err)
		}
		if got, err := f.ds.Version(ctx, f.operator, r.ID, v.Version); err != nil || len(got.Report.Legality.Findings) == 0 {
			t.Errorf("the operator's view of the released version: %+v %v", got.Report.Legality, err)
		}
	})
}

// TestEstimatedTotal counts exactly up to ExactCountLimit and estimates
// beyond it from a window of the table.
func TestEstimatedTotal(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		r := f.resource(t, stationItems(), true)
		var b strings.Builder
		b.WriteString("站点编号,站点名称,所属区县,线路数\n")
		const n = 30000
		for k := 0; k < n; k++ {
			fmt.Fprintf(&b, "S%06d,站%d,%s,%d\n", k, k, []string{"东城区", "西城区", "西城区"}[k%3], k%7)
		}
		if _, err := f.load(t, r, "s.csv", b.String()); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		for _, test := range []struct {
			filter    datastore.Filter
			want      int64
			estimated bool
		}{
			{datastore.Filter{Item: "lines", Op: "eq", Values: []string{"3"}}, n/7 + 1, false}, // k%7 == 3 for 4,286 of 30,000
			{datastore.Filter{Item: "district", Op: "eq", Values: []string{"110102"}}, 2 * n / 3, true},
		} {
			res, err := f.ds.Search(ctx, f.outsider, r.ID, "test", datastore.Query{Filters: []datastore.Filter{test.filter}, Limit: 1, Total: true})
			if err != nil {
				t.Fatal(err)
			}
			if res.TotalEstimated != test.estimated || (!test.estimated && res.Total != test.want) ||
				(test.estimated && (res.Total < test.want*9/10 || res.Total > test.want*11/10)) {
				t.Errorf("%v: total %d estimated %v, want %d estimated %v", test.filter, res.Total, res.TotalEstimated, test.want, test.estimated)
			}
		}
	})
}

// TestKeyAcrossBatches loads files of more than one batch: while the keys
// ascend the key index is kept as the rows go in, and a key that repeats
// or falls in a later batch is still found (or accepted) as in a file
// whose keys come in any order.
func TestKeyAcrossBatches(t *testing.T) {
	const n = 20000 + 50 // more than one batch
	file := func(key func(i int) string) string {
		var b strings.Builder
		b.WriteString("站点编号,站点名称,所属区县,线路数,启用日期,无障碍\n")
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, "%s,站%d,东城区,%d,2020-01-02,是\n", key(i), i, i%9)
		}
		return b.String()
	}
	tests := []struct {
		name    string
		key     func(i int) string
		refusal []ingest.RowError // nil: loaded
	}{
		{"ascending", func(i int) string { return fmt.Sprintf("S%06d", i) }, nil},
		{"a later batch repeats an early key", func(i int) string { return fmt.Sprintf("S%06d", map[bool]int{true: 5, false: i}[i == n]) },
			[]ingest.RowError{{Row: n + 1, Column: "station_id", Reason: "repeats the key of row 6"}}},
		{"a later batch goes back, no key repeats", func(i int) string { return fmt.Sprintf("S%06d", (i+n-40)%n) }, nil},
	}
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		for _, test := range tests {
			t.Run(test.name, func(t *testing.T) {
				r := f.resource(t, stationItems(), true)
				v, err := f.load(t, r, "stations.csv", file(test.key))
				var le *datastore.LoadError
				if test.refusal != nil {
					if !errors.As(err, &le) || !cmp.Equal(le.Errors[:1], test.refusal) {
						t.Fatalf("err = %v, want the refusal %v", err, test.refusal)
					}
					return
				}
				if err != nil || v.Rows != n {
					t.Fatalf("load: %+v %v", v, err)
				}
				key := test.key(n / 2)
				res, err := f.ds.Search(context.Background(), f.outsider, r.ID, "test", datastore.Query{Fields: []string{"station_id"},
					Filters: []datastore.Filter{{Item: "station_id", Op: "eq", Values: []string{key}}}})
				if err != nil || len(res.Rows) != 1 || res.Rows[0][1] != key {
					t.Errorf("key %s: %v %v", key, res.Rows, err)
				}
			})
		}
	})
}
