package ingest

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"dataport/internal/ingest/ingesttest"

	"github.com/google/go-cmp/cmp"
)

// statisticsWorkbook is a sheet as a statistics office makes it: a title
// merged across the table, a unit line, the header, a unit row under it,
// and a district merged down over its streets.
func statisticsWorkbook(t *testing.T) []byte {
	return ingesttest.Sheet(t, [][]any{
		{"京华市2025年各街道常住人口"},
		{nil, nil, nil, "单位：人"},
		{"区", "街道", "常住人口", "户数"},
		{"（名称）", "（名称）", "（人）", "（户）"},
		{"东城区", "景山街道", 31200, 11800},
		{nil, "交道口街道", 28750, 10420},
		{"西城区", "金融街街道", 45010, 17300},
	}, [2]string{"A1", "D1"}, [2]string{"A5", "A6"})
}

func sheetRecords(t *testing.T, r Reader) ([][]string, []int64) {
	t.Helper()
	var got [][]string
	var at []int64
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return got, at
		}
		if err != nil {
			t.Fatal(err)
		}
		got, at = append(got, rec), append(at, r.Row())
	}
}

func TestXLSXHeaderBelowTitle(t *testing.T) {
	book := statisticsWorkbook(t)
	r, err := Open(bytes.NewReader(book), "人口.xlsx", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if diff := cmp.Diff([]string{"区", "街道", "常住人口", "户数"}, r.Header()); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	info := r.Info()
	if info.HeaderRow != 3 {
		t.Errorf("header row = %d, want 3", info.HeaderRow)
	}
	if diff := cmp.Diff([]string{"名称", "名称", "人", "户"}, info.Units); diff != "" {
		t.Errorf("units (-want +got):\n%s", diff)
	}
	if len(info.Top) != 7 || info.Top[0].Row != 1 || info.Top[0].Cells[3] != "京华市2025年各街道常住人口" {
		t.Errorf("top rows = %v", info.Top)
	}
	got, at := sheetRecords(t, r)
	want := [][]string{{"东城区", "景山街道", "31200", "11800"}, {"东城区", "交道口街道", "28750", "10420"}, {"西城区", "金融街街道", "45010", "17300"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int64{5, 6, 7}, at); diff != "" {
		t.Errorf("row numbers (-want +got):\n%s", diff)
	}
	items, _, _, err := InferSample(mustOpen(t, book, Options{}), 0)
	if err != nil {
		t.Fatal(err)
	}
	if items[2].LabelZh != "常住人口" || items[2].Type != "integer" || !items[0].Required {
		t.Errorf("inferred items = %+v", items)
	}
}

func TestXLSXHeaderRowChosen(t *testing.T) {
	book := statisticsWorkbook(t)
	r := mustOpen(t, book, Options{HeaderRow: 3})
	if diff := cmp.Diff([]string{"区", "街道", "常住人口", "户数"}, r.Header()); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	got, _ := sheetRecords(t, r)
	if len(got) != 3 || got[0][0] != "东城区" {
		t.Errorf("rows = %v", got)
	}
	_, err := Open(bytes.NewReader(book), "x.xlsx", Options{HeaderRow: 4})
	var fe *FileError
	if !errors.As(err, &fe) || !strings.Contains(fe.Reason, `both named "（名称）"`) {
		t.Errorf("row 4 as header: %v", err)
	}
	if _, err := Open(bytes.NewReader(book), "x.xlsx", Options{HeaderRow: 40}); !errors.As(err, &fe) {
		t.Errorf("a header row past the sheet's end: %v", err)
	}
}

func mustOpen(t *testing.T, book []byte, opts Options) Reader {
	t.Helper()
	r, err := Open(bytes.NewReader(book), "x.xlsx", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}
