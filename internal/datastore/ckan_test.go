package datastore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"dataport/internal/datastore"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/validate"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"
	"github.com/xuri/excelize/v2"
)

func TestDatastoreSearch(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		r := f.resource(t, stationItems(), true)
		if _, err := f.load(t, r, "s.csv", stationsCSV); err != nil {
			t.Fatal(err)
		}
		// As a CKAN client sends a GET: every value is text, filters are JSON.
		out, err := f.ds.DatastoreSearch(ctx, f.outsider, map[string]any{"resource_id": r.Code, "filters": `{"district": "110101"}`,
			"fields": "station_id,lines", "sort": "lines desc", "limit": "1"})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(out["records"])
		if string(got) != `[{"_id":2,"lines":5,"station_id":"S001"}]` || out["total"] != int64(2) || out["total_was_estimated"] != false {
			t.Errorf("records %s total %v", got, out["total"])
		}
		links := out["_links"].(map[string]string)
		if !strings.Contains(links["next"], "offset=1") {
			t.Errorf("links = %v", links)
		}
		out, err = f.ds.DatastoreSearch(ctx, f.outsider, map[string]any{"resource_id": r.ID, "q": map[string]any{"name": "胡同"},
			"records_format": "csv", "fields": []any{"station_id", "accessible"}, "include_total": false})
		if err != nil {
			t.Fatal(err)
		}
		if out["records"] != "5,S004,false\n" {
			t.Errorf("csv records = %q", out["records"])
		}
		if _, ok := out["total"]; ok {
			t.Error("total given though include_total is false")
		}
		_, err = f.ds.DatastoreSearch(ctx, f.outsider, map[string]any{"resource_id": r.ID, "limit": 32001, "records_format": "xml"})
		var verrs validate.Errors
		if !errors.As(err, &verrs) || !verrs.Has("limit") || !verrs.Has("records_format") {
			t.Errorf("bad parameters: %v", err)
		}
		_, err = f.ds.DatastoreSearch(ctx, f.outsider, map[string]any{"resource_id": r.ID, "fields": "nope", "sort": "secret"})
		if !errors.As(err, &verrs) || !verrs.Has("fields[0]") || !verrs.Has("sort[0]") {
			t.Errorf("unknown fields: %v", err)
		}
	})
}

func TestDatastoreSearchSQL(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		r := f.resource(t, stationItems(), true)
		if _, err := f.load(t, r, "s.csv", stationsCSV); err != nil {
			t.Fatal(err)
		}
		out, err := f.ds.DatastoreSearchSQL(ctx, f.outsider, map[string]any{
			"sql": `SELECT district, COUNT(*) AS n, SUM(lines) AS total FROM "` + r.ID + `" GROUP BY district ORDER BY district`})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(out["records"])
		if string(got) != `[{"district":"110101","n":2,"total":5},{"district":"110102","n":2,"total":15}]` {
			t.Errorf("records = %s", got)
		}
		draft := f.resource(t, stationItems(), false)
		for _, test := range []struct{ sql, want string }{
			{`DELETE FROM "` + r.ID + `"`, "must be one SELECT statement"},
			{`SELECT * FROM "` + r.ID + `"; DROP TABLE resources`, "must be a single statement"},
			{`SELECT * FROM "` + r.ID + `" WHERE 1 = 1 UNION SELECT * FROM "` + r.ID + `" FOR UPDATE`, "may not use FOR"},
			{`SELECT * FROM resources`, "may only read resources"},
			{`SELECT * FROM "` + r.ID + `", users`, "may only read resources"},
			{`SELECT * FROM "` + r.ID + `" WHERE name IN (SELECT name FROM sqlite_master)`, "may only read resources"},
			{`SELECT load_extension('x') FROM "` + r.ID + `"`, "may not call load_extension()"},
			{`SELECT pg_read_file('/etc/passwd') FROM "` + r.ID + `"`, "may not call pg_read_file()"},
			{`SELECT 1`, "must read at least one resource"},
		} {
			_, err := f.ds.DatastoreSearchSQL(ctx, f.outsider, map[string]any{"sql": test.sql})
			if err == nil || !strings.Contains(err.Error(), test.want) {
				t.Errorf("%s: err = %v, want %q", test.sql, err, test.want)
			}
		}
		if _, err := f.ds.DatastoreSearchSQL(ctx, f.outsider, map[string]any{"sql": `SELECT * FROM "` + draft.ID + `"`}); err == nil {
			t.Error("an outsider queried a draft")
		}
		off := datastore.New(datastore.Config{DB: db, Catalog: f.cat})
		if _, err := off.DatastoreSearchSQL(ctx, f.outsider, map[string]any{"sql": `SELECT 1`}); !errors.Is(err, datastore.ErrSQLDisabled) {
			t.Errorf("disabled SQL: %v", err)
		}
	})
}

func TestExports(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		r := f.resource(t, stationItems(), true)
		if _, err := f.load(t, r, "s.csv", stationsCSV); err != nil {
			t.Fatal(err)
		}
		// One decided export is written once: each format is prepared anew.
		export := func(format string, bom bool) *bytes.Buffer {
			t.Helper()
			exp, err := f.ds.PrepareExport(ctx, f.outsider, r.ID, "", datastore.Query{Fields: []string{"station_id", "name", "opened"}})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := exp.WriteTo(ctx, &buf, format, bom); err != nil {
				t.Fatal(err)
			}
			if err := exp.WriteTo(ctx, io.Discard, format, bom); err == nil {
				t.Errorf("%s: an export was written twice", format)
			}
			return &buf
		}
		buf := export("csv", true)
		want := "\uFEFFstation_id,name,opened\nS001,朝阳门,2020-01-02\nS002,西单,2019-05-01\nS003,东四,2021-07-15\nS004,灵境胡同,\n"
		if diff := cmp.Diff(want, buf.String()); diff != "" {
			t.Errorf("csv (-want +got):\n%s", diff)
		}
		var rows []map[string]any
		if err := json.Unmarshal(export("json", false).Bytes(), &rows); err != nil || len(rows) != 4 || rows[3]["opened"] != nil {
			t.Errorf("json: %v %v", rows, err)
		}
		x, err := excelize.OpenReader(export("xlsx", false))
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := x.GetCellValue("Sheet1", "B5"); v != "灵境胡同" {
			t.Errorf("xlsx B5 = %q", v)
		}
		buf = export("parquet", false)
		pf, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil || pf.NumRows() != 4 {
			t.Errorf("parquet: %v rows %d", err, pf.NumRows())
		}
	})
}
