package ingest

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"dataport/internal/catalog"
	"dataport/internal/ingest/ingesttest"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// fuzzLimits are small, so that the fuzzer reaches them.
var fuzzLimits = Limits{MaxRecordBytes: 4 << 10, MaxColumns: 64, MaxDepth: 8, MaxCells: 5000, MaxSharedStrings: 500,
	MaxUnzipBytes: 8 << 20, MaxRatio: 200, MaxTempBytes: 16 << 20}

// checkReader reads r to the end and fails t when the reader breaks its
// contract: a header of unique, named, valid UTF-8 columns; records as wide
// as the header, of valid UTF-8; rows that only go forward; and a
// *LimitError that ends the reading for good.
func checkReader(t *testing.T, r Reader) {
	t.Helper()
	header := r.Header()
	seen := map[string]bool{}
	for i, h := range header {
		if h == "" || seen[h] || !utf8.ValidString(h) {
			t.Fatalf("header column %d %q: empty, repeated or not UTF-8 (header %q)", i+1, h, header)
		}
		seen[h] = true
	}
	if len(header) == 0 || len(header) > fuzzLimits.MaxColumns {
		t.Fatalf("header of %d columns", len(header))
	}
	last := int64(0)
	for n := 0; n < 100_000; n++ {
		rec, err := r.Next()
		if err == io.EOF {
			return
		}
		var le *LimitError
		if errors.As(err, &le) {
			if _, again := r.Next(); !errors.As(again, new(*LimitError)) {
				t.Fatalf("Next after %v = %v, want the limit error again", err, again)
			}
			return
		}
		var re *RowError
		if errors.As(err, &re) {
			if re.Row < last {
				t.Fatalf("row error at row %d after row %d", re.Row, last)
			}
			last = re.Row
			continue
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if row := r.Row(); row < last || row < 1 {
			t.Fatalf("record at row %d after row %d", row, last)
		}
		last = r.Row()
		if len(rec) != len(header) {
			t.Fatalf("row %d: %d values for %d columns", r.Row(), len(rec), len(header))
		}
		for i, v := range rec {
			if !utf8.ValidString(v) {
				t.Fatalf("row %d, column %q: value %q is not UTF-8", r.Row(), header[i], v)
			}
			if int64(len(v)) > fuzzLimits.MaxRecordBytes {
				t.Fatalf("row %d, column %q: value of %d bytes passed the record limit", r.Row(), header[i], len(v))
			}
		}
	}
	t.Fatal("no end after 100000 records")
}

// openFuzz opens data; a refusal of the whole file is fine, anything else
// than a *FileError or *LimitError is not.
func openFuzz(t *testing.T, data []byte, opts Options) Reader {
	t.Helper()
	opts.Limits = fuzzLimits
	r, err := Open(bytes.NewReader(data), "", opts)
	if err != nil {
		var fe *FileError
		var le *LimitError
		if !errors.As(err, &fe) && !errors.As(err, &le) {
			t.Fatalf("Open: %v (%T)", err, err)
		}
		return nil
	}
	return r
}

func FuzzCSV(f *testing.F) {
	gbk := func(s string) string {
		b, _ := simplifiedchinese.GBK.NewEncoder().String(s)
		return b
	}
	for _, seed := range []string{
		"名称,数量\n公园,3\n",
		"\xEF\xBB\xBF名称;数量\r\n\"公\n园\";3\r\n",
		gbk("站点名称,所属区县\n朝阳门站,东城区\n") + "湖泊,5\n",
		"名称,数量\n广\xff场,4\n湖泊,5\n",
		"a\tb\n1\t2\n3\n4\t5\t6\n",
		"a,b\n5\" pipe,2\n\"x\"y,3\n",
		"\xFF\xFEa\x00,\x00b\x00\n\x001\x00,\x002\x00\n\x00",
		"a,b\n" + strings.Repeat("x", 5000) + ",1\n",
		"a,a\n1,2\n",
	} {
		f.Add([]byte(seed), uint8(0))
	}
	f.Add([]byte(gbk("名称,数量\n公园,3\n")), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, enc uint8) {
		opts := Options{Format: CSV, Encoding: []string{"", "utf-8", "gb18030"}[enc%3]}
		if r := openFuzz(t, data, opts); r != nil {
			defer r.Close()
			checkReader(t, r)
		}
	})
}

func FuzzJSON(f *testing.F) {
	for _, seed := range []string{
		`[{"a":"x","b":1.50},{"b":2,"a":null},{"a":true}]`,
		"{\"a\":\"x\",\"b\":1}\n{\"a\":\"y\",\"b\":2}\n",
		`[{"a":1,"b":2},{"a":1,"c":3},{"a":{"x":1},"b":2},{"a":5,"b":6}]`,
		`[{"a":1},[[[[[[[[[[1]]]]]]]]]],{"a":2}]`,
		`{"a":1}` + "\n" + `{"a":"` + strings.Repeat("y", 5000) + `"}`,
		`[{"a":1}`,
		`{"a":1} {"a":2} 3 "x" [1]`,
		`[{"":1}]`,
		`[{" a":1,"a":2}]`,
	} {
		f.Add([]byte(seed), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, ndjson bool) {
		opts := Options{Format: JSON}
		if ndjson {
			opts.Format = NDJSON
		}
		if r := openFuzz(t, data, opts); r != nil {
			defer r.Close()
			checkReader(t, r)
		}
	})
}

func FuzzXLSX(f *testing.F) {
	valid := excelize.NewFile()
	valid.NewSheet("数据")
	for i, row := range [][]any{{"名称", "日期", "数量"}, {"公园", 45356.0, 12.5}, {}, {"广场", "2024-03-06", 7}} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		valid.SetSheetRow("数据", cell, &row)
	}
	valid.SetActiveSheet(1)
	valid.DeleteSheet("Sheet1")
	var buf bytes.Buffer
	if err := valid.Write(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	sheet := func(rows ...string) string { return ingesttest.SheetXML(strings.Join(rows, "")) }
	f.Add(ingesttest.Zip(ingesttest.Workbook(sheet(ingesttest.Row(1, "a", "b"), ingesttest.Row(2, "x", "y")))))
	f.Add(ingesttest.Zip(ingesttest.Workbook(sheet(`<row><c t="s"><v>0</v></c><c t="s"><v>7</v></c></row>`),
		ingesttest.Part{Name: "xl/sharedStrings.xml", Data: `<sst><si><t>a</t></si><si><r><t>b</t></r></si></sst>`})))
	f.Add(ingesttest.Zip(ingesttest.Workbook(`<!DOCTYPE x>` + sheet(ingesttest.Row(1, "a")))))
	f.Add(ingesttest.Zip(ingesttest.Workbook(sheet(`<row r="1048577"><c r="XFE1"><v>1</v></c></row>`))))
	f.Add(ingesttest.Zip(ingesttest.Workbook(sheet(`<row><c><v><![CDATA[a]]><!-- c --></v></c></row>`))))
	f.Add(ingesttest.Zip([]ingesttest.Part{{Name: "xl/workbook.xml", Data: "<workbook/>"}}))
	f.Add([]byte("PK\x03\x04\x14\x00\x06\x00"))
	f.Add(ingesttest.Zip(ingesttest.Workbook(sheet(ingesttest.Row(1, "a")))[:3]))
	var bomb bytes.Buffer
	ingesttest.Bomb(&bomb, 1, 1<<20)
	f.Add(bomb.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		tmp := t.TempDir()
		if r := openFuzz(t, data, Options{Format: XLSX, TempDir: tmp}); r != nil {
			checkReader(t, r)
			r.Close()
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Fatalf("temporary files left behind: %v", left)
		}
	})
}

// FuzzInfer: the items inferred from a file accept every record of it.
func FuzzInfer(f *testing.F) {
	for _, seed := range []string{
		"编号,价格,日期,时间,是否\n001,1.5,2024-01-02,2024-01-02 10:00:00,是\n2,3,2024-02-30,x,否\n",
		"a,b\n1,2\n,3\n4,\n",
		"a\n1e5\n",
		"a\n true \nFALSE\n",
		"a\n１２\n",
		"a\n45356\n45357.5\n",
		"a\n2024/1/2\n20240102\n",
		"B,b\n1,2\n",
		"ａ,col_1\n1,2\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := openFuzz(t, data, Options{Format: CSV})
		if r == nil {
			return
		}
		items, _, err := InferItems(r)
		r.Close()
		if err != nil {
			return // a limit
		}
		// Read as any load reads, and as a first import reads past its
		// sample (AsInferred): the items must take every value, or a
		// first import would widen what a full pass already widened.
		for _, asInferred := range []bool{false, true} {
			r = openFuzz(t, data, Options{Format: CSV})
			m, err := NewMapping(r.Header(), items, r.Info())
			if err != nil {
				t.Fatalf("the inferred items do not map to the file: %v", err)
			}
			if asInferred {
				m.AsInferred()
			}
			vals := make([]any, len(items))
			for {
				rec, err := r.Next()
				if err != nil {
					break // EOF, or records inference skipped too
				}
				if errs := m.Convert(r.Row(), rec, vals, nil); len(errs) > 0 {
					t.Fatalf("inferred items %v refuse their own file (as inferred: %v): %v", itemTypes(items), asInferred, errs)
				}
			}
			r.Close()
		}
	})
}

func itemTypes(items []catalog.Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Name+":"+string(it.Type))
	}
	return out
}
