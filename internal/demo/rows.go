package demo

import (
	"bytes"
	"context"
	"embed"
	"encoding/csv"
	"fmt"
	"strings"
	"time"

	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/identity"
)

// Demo rows: every published, open resource of the demo city gets a first
// data version, so the portal has previews, downloads and working row
// APIs. Two come from real files as institutions send them — a GBK CSV
// (bus routes) and an XLSX workbook (taxi companies); the others are
// synthetic rows generated from their items. Everything is deterministic.

//go:embed testdata/bus_routes_gbk.csv testdata/taxi_companies.xlsx
var rowFiles embed.FS

// rowFilesByTitle maps a resource's title to its file in testdata.
var rowFilesByTitle = map[string]string{
	"公交线路基本信息": "testdata/bus_routes_gbk.csv",
	"出租汽车企业名录": "testdata/taxi_companies.xlsx",
}

// syntheticRows is how many rows a generated resource gets.
const syntheticRows = 200

// SeedRows loads a first version into every published resource that is
// open (unconditionally or on application) and has no data yet.
func SeedRows(ctx context.Context, cat *catalog.Service, ds *datastore.Service) error {
	for _, open := range []catalog.OpenType{catalog.OpenUnconditional, catalog.OpenConditional} {
		f := catalog.Filter{Status: catalog.StatusPublished, OpenType: open, Limit: 200}
		for {
			page, err := cat.List(ctx, identity.System, f)
			if err != nil {
				return fmt.Errorf("demo rows: %w", err)
			}
			for _, r := range page.Items {
				if err := seedResourceRows(ctx, ds, r); err != nil {
					return fmt.Errorf("demo rows: %s %s: %w", r.Code, r.TitleZh, err)
				}
			}
			if page.NextCursor == "" {
				break
			}
			f.Cursor = page.NextCursor
		}
	}
	return nil
}

func seedResourceRows(ctx context.Context, ds *datastore.Service, r catalog.Resource) error {
	if _, err := ds.Current(ctx, identity.System, r.ID); err == nil {
		return nil // already has data
	}
	name, data := "rows.csv", SyntheticCSV(r.TitleZh, r.Items, syntheticRows)
	if file, ok := rowFilesByTitle[r.TitleZh]; ok {
		b, err := rowFiles.ReadFile(file)
		if err != nil {
			return err
		}
		name, data = file[strings.LastIndex(file, "/")+1:], b
	}
	_, err := ds.Load(ctx, identity.System, r.ID, datastore.LoadInput{File: bytes.NewReader(data), Name: name, Size: int64(len(data))})
	return err
}

// SyntheticCSV generates up to n deterministic rows for the resource titled
// title, with a header of the items' Chinese labels (values.go, tables.go).
func SyntheticCSV(title string, items []catalog.Item, n int) []byte {
	return labelledCSV(items, generatedRows(title, items, n))
}

// labelledCSV writes rows under a header of the items' Chinese labels.
func labelledCSV(items []catalog.Item, rows [][]string) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	rec := make([]string, len(items))
	for i, it := range items {
		rec[i] = it.LabelZh
	}
	w.Write(rec)
	w.WriteAll(rows)
	return buf.Bytes()
}

var demoEpoch = time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC)
