package datastore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"testing"

	"dataport/internal/datastore"
	"dataport/internal/store"
	"dataport/internal/store/storetest"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"
	"github.com/xuri/excelize/v2"
)

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
