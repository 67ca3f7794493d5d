package demo

import (
	"bytes"
	"context"
	"embed"
	"encoding/csv"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

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
	name, data := "rows.csv", SyntheticCSV(r.Items, syntheticRows)
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

// SyntheticCSV generates n deterministic rows for items, with a header of
// the items' Chinese labels: keys are unique, codes come from the code
// lists, and text fits each item's length.
func SyntheticCSV(items []catalog.Item, n int) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	rec := make([]string, len(items))
	for i, it := range items {
		rec[i] = it.LabelZh
	}
	w.Write(rec)
	for k := 1; k <= n; k++ {
		for i, it := range items {
			rec[i] = syntheticValue(it, i, k)
		}
		w.Write(rec)
	}
	w.Flush()
	return buf.Bytes()
}

var demoEpoch = time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC)

func syntheticValue(it catalog.Item, i, k int) string {
	switch it.Type {
	case catalog.TypeInteger:
		return fmt.Sprint((k*37 + i*11) % 1000)
	case catalog.TypeDecimal:
		prec := it.Precision
		if prec == 0 {
			prec = 2
		}
		return fmt.Sprintf("%.*f", prec, float64((k*137+i*7)%100000)/100)
	case catalog.TypeDate:
		return demoEpoch.AddDate(0, 0, (k*3+i)%365).Format("2006-01-02")
	case catalog.TypeDatetime:
		return demoEpoch.Add(time.Duration(k*37+i) * time.Minute).Format("2006-01-02 15:04:05")
	case catalog.TypeBoolean:
		return map[bool]string{true: "是", false: "否"}[k%2 == 0]
	case catalog.TypeCode:
		return it.CodeList[(k+i)%len(it.CodeList)].Code
	}
	return syntheticText(it, k)
}

func syntheticText(it catalog.Item, k int) string {
	switch {
	case it.Name == "uscc":
		first := fmt.Sprintf("91110000%09d", k)
		c, _ := identity.USCCCheckChar(first)
		return first + string(c)
	case it.Length > 0 && it.Length <= 5:
		return fmt.Sprintf("%02d:%02d", 5+k%3, (k*7)%60)[:min(5, it.Length)]
	case it.Key:
		s := fmt.Sprintf("%s%06d", strings.ToUpper(it.Name[:1]), k)
		if it.Length > 0 && len(s) > it.Length {
			s = s[len(s)-it.Length:]
		}
		return s
	}
	s := fmt.Sprintf("%s%d", it.LabelZh, k)
	if it.Length > 0 && utf8.RuneCountInString(s) > it.Length {
		s = string([]rune(s)[:it.Length])
	}
	return s
}
