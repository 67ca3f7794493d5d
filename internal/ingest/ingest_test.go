package ingest

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"dataport/internal/catalog"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// readAll opens data and returns its header, records and the errors met.
func readAll(t *testing.T, data []byte, name string) (FileInfo, []string, [][]string, []string) {
	t.Helper()
	r, err := Open(bytes.NewReader(data), name, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer r.Close()
	var recs [][]string
	var errs []string
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		var e *RowError
		if errors.As(err, &e) {
			errs = append(errs, e.Error())
			continue
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		recs = append(recs, append([]string(nil), rec...))
	}
	return r.Info(), r.Header(), recs, errs
}

func gbk(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCSVReaders(t *testing.T) {
	for _, test := range []struct {
		name      string
		data      func(t *testing.T) []byte
		encoding  string
		delimiter string
		header    []string
		records   [][]string
		errs      []string
	}{
		{
			name:     "utf8",
			data:     func(*testing.T) []byte { return []byte("名称,数量\n公园,3\n") },
			encoding: "UTF-8", delimiter: ",",
			header: []string{"名称", "数量"}, records: [][]string{{"公园", "3"}},
		},
		{
			name:     "utf8 with BOM and CRLF",
			data:     func(*testing.T) []byte { return []byte("\xEF\xBB\xBF名称,数量\r\n公园,3\r\n") },
			encoding: "UTF-8 (BOM)", delimiter: ",",
			header: []string{"名称", "数量"}, records: [][]string{{"公园", "3"}},
		},
		{
			name:     "GBK detected",
			data:     func(t *testing.T) []byte { return gbk(t, "站点名称,所属区县\n朝阳门站,东城区\n") },
			encoding: "GB18030", delimiter: ",",
			header: []string{"站点名称", "所属区县"}, records: [][]string{{"朝阳门站", "东城区"}},
		},
		{
			name:     "UTF-8 with a character cut at the end of the detection window",
			data:     func(*testing.T) []byte { return []byte("a,b\n" + strings.Repeat("甲乙,12\n", 10000)) },
			encoding: "UTF-8", delimiter: ",",
			header: []string{"a", "b"}, records: func() [][]string {
				out := make([][]string, 10000)
				for i := range out {
					out[i] = []string{"甲乙", "12"}
				}
				return out
			}(),
		},
		{
			name:     "semicolon and quoted newline",
			data:     func(*testing.T) []byte { return []byte("a;b\n\"line one\nline two\";2\n3;4\n") },
			encoding: "UTF-8", delimiter: ";",
			header: []string{"a", "b"}, records: [][]string{{"line one\nline two", "2"}, {"3", "4"}},
		},
		{
			name:     "tab",
			data:     func(*testing.T) []byte { return []byte("a\tb\n1\t2\n") },
			encoding: "UTF-8", delimiter: "tab",
			header: []string{"a", "b"}, records: [][]string{{"1", "2"}},
		},
		{
			name:     "ragged rows",
			data:     func(*testing.T) []byte { return []byte("a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12,,\n") },
			encoding: "UTF-8", delimiter: ",",
			header:  []string{"a", "b", "c"},
			records: [][]string{{"1", "2", "3"}, {"10", "11", "12"}},
			errs:    []string{"row 3: has 2 fields but the header has 3", "row 4: has 4 fields but the header has 3"},
		},
		{
			name:     "bare quote",
			data:     func(*testing.T) []byte { return []byte("a,b\n5\" pipe,2\n3,4\n") },
			encoding: "UTF-8", delimiter: ",",
			header:  []string{"a", "b"},
			records: [][]string{{"3", "4"}},
			errs:    []string{`row 2: a quote (") appears inside an unquoted field (line 2, column 2): quote the field and double the quote`},
		},
		{
			name: "GBK after a UTF-8 start",
			data: func(t *testing.T) []byte {
				utf := "a,b\n" + strings.Repeat("甲,1\n", 20000) // past the detection window
				return append([]byte(utf), append(gbk(t, "乙"), []byte(",2\n")...)...)
			},
			encoding: "UTF-8", delimiter: ",",
			header: []string{"a", "b"},
			records: func() [][]string {
				out := make([][]string, 20000)
				for i := range out {
					out[i] = []string{"甲", "1"}
				}
				return out
			}(),
			errs: []string{`row 20002, column "a", value "乙": is not valid UTF-8 text (the file began as UTF-8: save the whole file in one encoding)`},
		},
	} {
		t.Run(test.name, func(t *testing.T) {
			info, header, recs, errs := readAll(t, test.data(t), "x.csv")
			if info.Encoding != test.encoding || info.Delimiter != test.delimiter {
				t.Errorf("encoding %q delimiter %q, want %q %q", info.Encoding, info.Delimiter, test.encoding, test.delimiter)
			}
			if diff := cmp.Diff(test.header, header); diff != "" {
				t.Errorf("header (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(test.records, recs); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(test.errs, errs); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFileErrors(t *testing.T) {
	for _, test := range []struct {
		name, file string
		data       []byte
		want       string
		is         error
	}{
		{"empty", "x.csv", nil, "the file is empty", ErrEmpty},
		{"only a BOM and blank lines", "x.csv", []byte("\xEF\xBB\xBF\n\n"), "the file is empty", ErrEmpty},
		{"xlsx renamed csv", "x.csv", []byte("PK\x03\x04\x14\x00\x06\x00"), "the file is not CSV text: it is a ZIP archive (an XLSX workbook renamed .csv?)", ErrBinary},
		{"binary", "x.csv", []byte("ab\x00\x01\x02"), "the file is not CSV text: it holds a NUL byte at offset 2, so it is binary data", ErrBinary},
		{"old excel", "x.csv", []byte{0xD0, 0xCF, 0x11, 0xE0, 1, 2}, "the file is not CSV text: it is an old Excel (.xls) or other OLE file: save it as CSV or XLSX", ErrBinary},
		{"blank header cell", "x.csv", []byte("a,,c\n1,2,3\n"), "column 2 of the header has no name", nil},
		{"duplicate header", "x.csv", []byte("a,b,a\n1,2,3\n"), `columns 1 and 3 of the header are both named "a"`, nil},
		{"header names differing in case only", "x.csv", []byte("B,b\n1,2\n"), `columns 1 ("B") and 2 ("b") of the header differ only in case, width or spaces, so they cannot be told apart`, nil},
		{"header names differing in width and spaces only", "x.csv", []byte("出生 日期,ｉｄ,出生日期\n1,2,3\n"), `columns 1 ("出生 日期") and 3 ("出生日期") of the header differ only in case, width or spaces, so they cannot be told apart`, nil},
		{"json keys differing in case only", "x.json", []byte(`[{"id":1,"ID":2}]`), `columns 1 ("id") and 2 ("ID") of the header differ only in case, width or spaces, so they cannot be told apart`, nil},
		{"csv called xlsx", "x.xlsx", []byte("a,b\n1,2\n"), "the file is not an XLSX workbook (it is not a ZIP archive)", nil},
		{"json empty array", "x.json", []byte("[]"), "the file holds no records", ErrEmpty},
		{"json not objects", "x.json", []byte("[1,2]"), "row 1: is a number, not an object", nil},
		{"json first record without keys", "x.ndjson", []byte("{}\n{\"a\":1}\n"), "row 1: the first record has no keys, so the file has no columns", nil},
	} {
		t.Run(test.name, func(t *testing.T) {
			_, err := Open(bytes.NewReader(test.data), test.file, Options{})
			var fe *FileError
			if !errors.As(err, &fe) || fe.Reason != test.want {
				t.Fatalf("Open = %v, want file error %q", err, test.want)
			}
			if test.is != nil && !errors.Is(err, test.is) {
				t.Errorf("error %v is not %v", err, test.is)
			}
		})
	}
}

func TestJSONReaders(t *testing.T) {
	for _, test := range []struct {
		name, file, data string
		format           Format
		records          [][]string
		errs             []string
	}{
		{"array", "x.json", `[{"a":"x","b":1.50},{"b":2,"a":null},{"a":true}]`, JSON,
			[][]string{{"x", "1.50"}, {"", "2"}, {"true", ""}}, nil},
		{"ndjson", "x.ndjson", "{\"a\":\"x\",\"b\":1}\n{\"a\":\"y\",\"b\":2}\n", NDJSON,
			[][]string{{"x", "1"}, {"y", "2"}}, nil},
		{"ndjson sniffed", "", "{\"a\":1}\n{\"a\":2}\n", NDJSON, [][]string{{"1"}, {"2"}}, nil},
		{"new key and nested value", "x.json", `[{"a":1,"b":2},{"a":1,"c":3},{"a":{"x":1},"b":2},{"a":5,"b":6}]`, JSON,
			[][]string{{"1", "2"}, {"5", "6"}},
			[]string{`row 2, column "c": is a key the first record does not have`,
				`row 3, column "a": is an object: values must be text, numbers, booleans or null`}},
	} {
		t.Run(test.name, func(t *testing.T) {
			info, _, recs, errs := readAll(t, []byte(test.data), test.file)
			if info.Format != test.format {
				t.Errorf("format %s, want %s", info.Format, test.format)
			}
			if diff := cmp.Diff(test.records, recs); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(test.errs, errs); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestXLSX(t *testing.T) {
	f := excelize.NewFile()
	f.NewSheet("数据")
	rows := [][]any{{"名称", "日期", "数量"}, {"公园", time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC), 12.5}, {}, {"广场", "2024-03-06", 7}}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		f.SetSheetRow("数据", cell, &r)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	r, err := Open(bytes.NewReader(buf.Bytes()), "x.xlsx", Options{Sheet: "数据"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	items := []catalog.Item{{Name: "name", LabelZh: "名称", Type: catalog.TypeText}, {Name: "day", LabelZh: "日期", Type: catalog.TypeDate},
		{Name: "n", LabelZh: "数量", Type: catalog.TypeDecimal}}
	m, err := NewMapping(r.Header(), items, r.Info())
	if err != nil {
		t.Fatal(err)
	}
	var got [][]string
	var rowNums []int64
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		vals := make([]any, len(items))
		if errs := m.Convert(r.Row(), rec, vals, nil); len(errs) > 0 {
			t.Fatalf("convert: %v", errs)
		}
		var line []string
		for i, v := range vals {
			line = append(line, FormatValue(items[i].Type, v))
		}
		got, rowNums = append(got, line), append(rowNums, r.Row())
	}
	want := [][]string{{"公园", "2024-03-05", "12.5"}, {"广场", "2024-03-06", "7"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int64{2, 4}, rowNums); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if _, err := Open(bytes.NewReader(buf.Bytes()), "x.xlsx", Options{Sheet: "nope"}); err == nil || !strings.Contains(err.Error(), `no sheet "nope"`) {
		t.Errorf("missing sheet: %v", err)
	}
}

func TestMappingConvert(t *testing.T) {
	items := []catalog.Item{
		{Name: "id", LabelZh: "编号", Type: catalog.TypeInteger, Required: true, Key: true},
		{Name: "price", LabelZh: "价格", Type: catalog.TypeDecimal, Precision: 2},
		{Name: "day", LabelZh: "日期", Type: catalog.TypeDate},
		{Name: "at", LabelZh: "时间", Type: catalog.TypeDatetime},
		{Name: "open", LabelZh: "开放", Type: catalog.TypeBoolean},
		{Name: "district", LabelZh: "区县", Type: catalog.TypeCode, CodeList: []catalog.Code{{Code: "110101", Label: "东城区"}}},
		{Name: "note", LabelZh: "备注", Type: catalog.TypeText, Length: 4},
	}
	header := []string{"ID", "价格", "日期", "时 间", "开放", "区县", "备注", "多余"}
	m, err := NewMapping(header, items, FileInfo{Format: CSV})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"多余"}, m.Unused); diff != "" {
		t.Errorf("unused (-want +got):\n%s", diff)
	}
	vals := make([]any, len(items))
	errs := m.Convert(2, []string{"１２", "3.50", "2024年3月5日", "2024/03/05 08:30", "是", "东城区", "好", "x"}, vals, nil)
	if len(errs) > 0 {
		t.Fatalf("good record refused: %v", errs)
	}
	want := []any{int64(12), 3.5, time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 5, 8, 30, 0, 0, time.UTC), true, "110101", "好"}
	if diff := cmp.Diff(want, vals); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	errs = m.Convert(3, []string{"", "3.555", "2024-02-30", "noon", "maybe", "西城区", "太长了的备注", "x"}, vals, nil)
	wantErrs := []RowError{
		{Row: 3, Column: "ID", Reason: "is empty but the item is required"},
		{Row: 3, Column: "价格", Value: "3.555", Reason: "has more than 2 decimal places"},
		{Row: 3, Column: "日期", Value: "2024-02-30", Reason: "is not a date (write it as YYYY-MM-DD)"},
		{Row: 3, Column: "时 间", Value: "noon", Reason: "is not a date and time (write it as YYYY-MM-DD hh:mm:ss)"},
		{Row: 3, Column: "开放", Value: "maybe", Reason: "is not a boolean (use 是/否, true/false or 1/0)"},
		{Row: 3, Column: "区县", Value: "西城区", Reason: "is not in the item's code list"},
		{Row: 3, Column: "备注", Value: "太长了的备注", Reason: "is longer than 4 characters"},
	}
	if diff := cmp.Diff(wantErrs, errs); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	errs = m.Convert(4, []string{"12a", "x", "", "", "", "", "", ""}, vals, nil)
	if diff := cmp.Diff([]RowError{{4, "ID", "12a", "is not an integer"}, {4, "价格", "x", "is not a number"}}, errs); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if _, err := NewMapping([]string{"价格"}, items, FileInfo{}); err == nil || err.Error() != "no column for required item(s) id (编号): name the columns by item name or Chinese label" {
		t.Errorf("missing required column: %v", err)
	}
}

func TestRules(t *testing.T) {
	items := []catalog.Item{{Name: "age", LabelZh: "年龄", Type: catalog.TypeInteger}, {Name: "idno", LabelZh: "证件号", Type: catalog.TypeText},
		{Name: "uscc", LabelZh: "信用代码", Type: catalog.TypeText}}
	rules, err := CompileRules(items, []QualityRule{
		{Item: "age", Expr: "value >= 0 && value <= 150", Message: "must be between 0 and 150"},
		{Item: "idno", Expr: "gb11643(value)", Message: "is not a valid identity card number (GB 11643)"},
		{Item: "uscc", Expr: "gb32100(value) && row.age > 0"},
	})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := NewMapping([]string{"年龄", "证件号", "信用代码"}, items, FileInfo{})
	vals := make([]any, 3)
	errs := m.Convert(2, []string{"200", "11010519491231002X", "91110000600037341A"}, vals, nil)
	errs = rules.Check(2, m, vals, errs)
	want := []RowError{{Row: 2, Column: "年龄", Value: "200", Reason: "must be between 0 and 150"},
		{Row: 2, Column: "信用代码", Value: "91110000600037341A", Reason: "fails the quality rule gb32100(value) && row.age > 0"}}
	if diff := cmp.Diff(want, errs); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	errs = m.Convert(3, []string{"30", "110105194912310021", "91110000600037341L"}, vals, nil)
	errs = rules.Check(3, m, vals, errs)
	if len(errs) != 1 || errs[0].Column != "证件号" {
		t.Errorf("bad checksum: %v", errs)
	}
	_, err = CompileRules(items, []QualityRule{{Item: "nope", Expr: "true"}, {Item: "age", Expr: "value +"}, {Item: "age", Expr: "'x'"}})
	if err == nil || !strings.Contains(err.Error(), "rules[0].item") || !strings.Contains(err.Error(), "rules[1].expr") || !strings.Contains(err.Error(), "rules[2].expr") {
		t.Errorf("bad rules: %v", err)
	}
}

func TestInferItems(t *testing.T) {
	data := "编号,name,区划代码,金额,日期,开放,备注\n1,a,0101,1.5,2024-01-01,是,\n2,b,0102,2,2024-01-02,否,x\n3,c,0103,3,2024-01-03,是,\n"
	r, err := Open(strings.NewReader(data), "x.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	items, rows, err := InferItems(r)
	if err != nil {
		t.Fatal(err)
	}
	want := []catalog.Item{
		{Name: "col_1", LabelZh: "编号", Type: catalog.TypeInteger, Required: true},
		{Name: "name", LabelZh: "name", Type: catalog.TypeText, Required: true},
		{Name: "col_3", LabelZh: "区划代码", Type: catalog.TypeText, Required: true},
		{Name: "col_4", LabelZh: "金额", Type: catalog.TypeDecimal, Required: true},
		{Name: "col_5", LabelZh: "日期", Type: catalog.TypeDate, Required: true},
		{Name: "col_6", LabelZh: "开放", Type: catalog.TypeBoolean, Required: true},
		{Name: "col_7", LabelZh: "备注", Type: catalog.TypeText},
	}
	if diff := cmp.Diff(want, items); diff != "" || rows != 3 {
		t.Errorf("items (-want +got):\n%s rows %d", diff, rows)
	}
}

// A generated name never takes another column's header: the mapping
// matches names before labels, so "ａ" named col_1 beside a column headed
// "col_1" would take that column and leave its own unmapped.
func TestInferItemsNamesAvoidOtherHeaders(t *testing.T) {
	data := "ａ,col_1,x-,x,A-B,a_b\n1,2,3,4,5,6\n"
	r, err := Open(strings.NewReader(data), "x.csv", Options{})
	if err != nil {
		t.Fatal(err)
	}
	items, _, err := InferItems(r)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, it := range items {
		names = append(names, it.Name)
	}
	if want := []string{"col_1_2", "col_1", "x_2", "x", "a_b_2", "a_b"}; !slices.Equal(names, want) {
		t.Errorf("names %v, want %v", names, want)
	}
	r, _ = Open(strings.NewReader(data), "x.csv", Options{})
	m, err := NewMapping(r.Header(), items, r.Info())
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 1, 2, 3, 4, 5}; !slices.Equal(m.Column, want) {
		t.Errorf("columns %v, want %v", m.Column, want)
	}
}

func TestInferSample(t *testing.T) {
	data := "a,b\n1,x\n2,\n3.5,y\n"
	for _, test := range []struct {
		max      int64
		types    []catalog.ItemType
		required []bool
		rows     int64
		complete bool
	}{
		{1, []catalog.ItemType{catalog.TypeInteger, catalog.TypeText}, []bool{true, true}, 1, false},
		{2, []catalog.ItemType{catalog.TypeInteger, catalog.TypeText}, []bool{true, false}, 2, false},
		{3, []catalog.ItemType{catalog.TypeDecimal, catalog.TypeText}, []bool{true, false}, 3, false},
		{4, []catalog.ItemType{catalog.TypeDecimal, catalog.TypeText}, []bool{true, false}, 3, true},
		{0, []catalog.ItemType{catalog.TypeDecimal, catalog.TypeText}, []bool{true, false}, 3, true},
	} {
		r, err := Open(strings.NewReader(data), "x.csv", Options{})
		if err != nil {
			t.Fatal(err)
		}
		items, rows, complete, err := InferSample(r, test.max)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		for i, it := range items {
			if it.Type != test.types[i] || it.Required != test.required[i] {
				t.Errorf("sample of %d: item %d = %s required %v, want %s %v", test.max, i, it.Type, it.Required, test.types[i], test.required[i])
			}
		}
		if rows != test.rows || complete != test.complete {
			t.Errorf("sample of %d: %d rows, complete %v; want %d, %v", test.max, rows, complete, test.rows, test.complete)
		}
	}
}

// TestAsInferred: a mapping read as inferred refuses exactly the values
// that its item's type would not have been inferred from.
func TestAsInferred(t *testing.T) {
	for _, test := range []struct {
		typ    catalog.ItemType
		in     string
		plain  bool // a plain mapping takes it
		strict bool // a mapping AsInferred takes it
	}{
		{catalog.TypeInteger, "12", true, true}, {catalog.TypeInteger, "007", true, false}, {catalog.TypeInteger, "12.0", true, true},
		{catalog.TypeDecimal, "0.5", true, true}, {catalog.TypeDecimal, "01.5", true, false},
		{catalog.TypeBoolean, "是", true, true}, {catalog.TypeBoolean, "TRUE", true, true}, {catalog.TypeBoolean, "1", true, false},
		{catalog.TypeBoolean, "y", true, false},
		{catalog.TypeDate, "2024-01-02", true, true}, {catalog.TypeDatetime, "2024-01-02", true, true},
	} {
		for _, strict := range []bool{false, true} {
			m, _ := NewMapping([]string{"x"}, []catalog.Item{{Name: "x", LabelZh: "x", Type: test.typ}}, FileInfo{})
			want := test.plain
			if strict {
				m.AsInferred()
				want = test.strict
			}
			errs := m.Convert(2, []string{test.in}, make([]any, 1), nil)
			if got := len(errs) == 0; got != want {
				t.Errorf("%s %q (as inferred: %v): taken %v, want %v (%v)", test.typ, test.in, strict, got, want, errs)
			}
			if strict && Fits(test.typ, test.in) != want {
				t.Errorf("Fits(%s, %q) = %v, want %v", test.typ, test.in, !want, want)
			}
		}
	}
}

func TestPersonalInfoCheck(t *testing.T) {
	got := DefaultPersonalInfoCheck{}.CheckColumn(catalog.Item{Name: "contact"}, []string{"13812345678", "hello", "13912345678"})
	if diff := cmp.Diff([]PIIFinding{{Item: "contact", Kind: "mobile_phone", Matches: 2, Sampled: 3}}, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if got := (DefaultPersonalInfoCheck{}).CheckColumn(catalog.Item{Name: "n"}, []string{"公园", "广场"}); len(got) != 0 {
		t.Errorf("false positive: %v", got)
	}
}

func TestNumberAndDateForms(t *testing.T) {
	for _, test := range []struct {
		typ  catalog.ItemType
		in   string
		want string // "" means refused
	}{
		{catalog.TypeDecimal, "1.5", "1.5"}, {catalog.TypeDecimal, "-.5", "-0.5"}, {catalog.TypeDecimal, "+2e3", "2000"},
		{catalog.TypeDecimal, "１.５", "1.5"}, {catalog.TypeDecimal, "NaN", ""}, {catalog.TypeDecimal, "Inf", ""},
		{catalog.TypeDecimal, "0x10", ""}, {catalog.TypeDecimal, "1_000", ""}, {catalog.TypeDecimal, "1e", ""}, {catalog.TypeDecimal, ".", ""},
		{catalog.TypeDate, "2024-02-29", "2024-02-29"}, {catalog.TypeDate, "2023-02-29", ""}, {catalog.TypeDate, "2024-1-5", "2024-01-05"},
		{catalog.TypeDate, "20240105", "2024-01-05"}, {catalog.TypeDate, "2024-13-01", ""}, {catalog.TypeDate, "2x24-01-01", ""},
		{catalog.TypeDatetime, "2024-01-05 23:59:59", "2024-01-05 23:59:59"}, {catalog.TypeDatetime, "2024-01-05T08:00:00", "2024-01-05 08:00:00"},
		{catalog.TypeDatetime, "2024-01-05 24:00:00", ""}, {catalog.TypeDatetime, "2024-01-05T08:00:00Z", "2024-01-05 16:00:00"},
		{catalog.TypeDatetime, "2024-01-05", "2024-01-05 00:00:00"},
	} {
		m, _ := NewMapping([]string{"x"}, []catalog.Item{{Name: "x", LabelZh: "x", Type: test.typ}}, FileInfo{})
		vals := make([]any, 1)
		errs := m.Convert(2, []string{test.in}, vals, nil)
		got := ""
		if len(errs) == 0 {
			got = FormatValue(test.typ, vals[0])
		}
		if got != test.want {
			t.Errorf("%s %q = %q (%v), want %q", test.typ, test.in, got, errs, test.want)
		}
	}
}
