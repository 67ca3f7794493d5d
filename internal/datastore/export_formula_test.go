package datastore_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"testing"

	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/store"
	"dataport/internal/store/storetest"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

// formulaCSV holds text cells a spreadsheet would run as formulas, beside
// negative numbers in numeric items, which must stay numbers.
const formulaCSV = "编号,备注,金额,数量\n" +
	"A1,=1+2,-3.5,-7\n" +
	"A2,\" +SUM(A1:A9)\",2,1\n" +
	"A3,-2+3,0,0\n" +
	"A4,@cmd,,\n" +
	"A5,普通文本 = 不是公式,1,1\n" +
	"A6,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",1,1\n"

// TestCSVExportNeutralisesFormulas: in a CSV export, text cells starting
// (after white space) with =, +, -, @, tab or carriage return get a
// leading single quote (OWASP); numbers, also negative ones, are written as
// numbers; JSON carries the values unchanged and XLSX writes them as text
// cells, never formulas. On b162710 the CSV carried =1+2 raw.
func TestCSVExportNeutralisesFormulas(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		r := f.resource(t, []catalog.Item{
			{Name: "code", LabelZh: "编号", Type: catalog.TypeText, Key: true, Required: true},
			{Name: "note", LabelZh: "备注", Type: catalog.TypeText},
			{Name: "amount", LabelZh: "金额", Type: catalog.TypeDecimal},
			{Name: "count", LabelZh: "数量", Type: catalog.TypeInteger},
		}, true)
		if _, err := f.load(t, r, "f.csv", formulaCSV); err != nil {
			t.Fatal(err)
		}
		export := func(format string) []byte {
			t.Helper()
			exp, err := f.ds.PrepareExport(ctx, f.outsider, r.ID, "", datastore.Query{})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := exp.WriteTo(ctx, &buf, format, false); err != nil {
				t.Fatal(err)
			}
			return buf.Bytes()
		}
		got, err := csv.NewReader(bytes.NewReader(export("csv"))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := [][]string{
			{"code", "note", "amount", "count"},
			{"A1", "'=1+2", "-3.5", "-7"},
			{"A2", "'+SUM(A1:A9)", "2", "1"}, // the load trimmed the space
			{"A3", "'-2+3", "0", "0"},
			{"A4", "'@cmd", "", ""},
			{"A5", "普通文本 = 不是公式", "1", "1"},
			{"A6", `'=HYPERLINK("http://x","y")`, "1", "1"},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("csv (-want +got):\n%s", diff)
		}

		var rows []map[string]any
		if err := json.Unmarshal(export("json"), &rows); err != nil || len(rows) != 6 || rows[0]["note"] != "=1+2" || rows[0]["amount"] != -3.5 {
			t.Errorf("json carries values unchanged: %v %v", rows, err)
		}

		x, err := excelize.OpenReader(bytes.NewReader(export("xlsx")))
		if err != nil {
			t.Fatal(err)
		}
		for i, row := range want[1:] {
			cell, _ := excelize.CoordinatesToCellName(2, i+2)
			v, _ := x.GetCellValue("Sheet1", cell)
			formula, _ := x.GetCellFormula("Sheet1", cell)
			typ, _ := x.GetCellType("Sheet1", cell)
			text := row[1]
			if text != "普通文本 = 不是公式" {
				text = text[1:] // XLSX holds the value itself
			}
			if v != text || formula != "" || typ != excelize.CellTypeInlineString {
				t.Errorf("xlsx %s = %q (formula %q, type %v), want the text %q", cell, v, formula, typ, text)
			}
		}
		if v, _ := x.GetCellValue("Sheet1", "C2"); v != "-3.5" {
			t.Errorf("xlsx C2 = %q, want the number -3.5", v)
		}
		if typ, _ := x.GetCellType("Sheet1", "C2"); typ == excelize.CellTypeInlineString {
			t.Error("xlsx C2 holds a number as text")
		}
	})
}
