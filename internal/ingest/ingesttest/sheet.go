package ingesttest

import (
	"bytes"
	"testing"

	"github.com/xuri/excelize/v2"
)

// Sheet is a workbook (excelize) of one sheet, "Sheet1", holding rows from
// A1 down, with the given ranges merged (e.g. {"A1", "D1"} for a title
// across four columns).
func Sheet(t testing.TB, rows [][]any, merges ...[2]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range merges {
		if err := f.MergeCell("Sheet1", m[0], m[1]); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
