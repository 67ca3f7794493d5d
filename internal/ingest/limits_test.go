package ingest

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"dataport/internal/ingest/ingesttest"

	"github.com/google/go-cmp/cmp"
)

// TestCSVEncodingPerLine: text in another encoding than the file's is
// refused row by row, located, instead of loading garbled.
func TestCSVEncodingPerLine(t *testing.T) {
	for _, test := range []struct {
		name     string
		data     func(t *testing.T) []byte
		encoding string
		records  [][]string
		errs     []string
	}{
		{
			name:     "UTF-8 with a stray byte early in the file",
			data:     func(*testing.T) []byte { return []byte("名称,数量\n公园,3\n广\xff场,4\n湖泊,5\n") },
			encoding: "UTF-8",
			records:  [][]string{{"公园", "3"}, {"湖泊", "5"}},
			errs:     []string{`row 3, column "名称", value "广` + "\uFFFD" + `场": is not valid UTF-8 text (the file began as UTF-8: save the whole file in one encoding)`},
		},
		{
			name: "UTF-8 with a GBK line early in the file",
			data: func(t *testing.T) []byte {
				return bytes.Join([][]byte{[]byte("名称,数量\n公园,3\n"), gbk(t, "广场,4\n"), []byte("湖泊,5\n")}, nil)
			},
			encoding: "UTF-8",
			records:  [][]string{{"公园", "3"}, {"湖泊", "5"}},
			errs:     []string{`row 3, column "名称", value "广场": is not valid UTF-8 text (the file began as UTF-8: save the whole file in one encoding)`},
		},
		{
			name: "GBK with a UTF-8 line",
			data: func(t *testing.T) []byte {
				return bytes.Join([][]byte{gbk(t, "名称,数量\n公园,3\n"), []byte("湖泊,5\n"), gbk(t, "广场,4\n")}, nil)
			},
			encoding: "GB18030",
			records:  [][]string{{"公园", "3"}, {"广场", "4"}},
			errs:     []string{`row 3, column "名称", value "湖泊": is UTF-8 text in a file read as GB18030 (GBK): save the whole file in one encoding`},
		},
		{
			name: "GBK with a UTF-8 line inside a quoted field",
			data: func(t *testing.T) []byte {
				return bytes.Join([][]byte{gbk(t, "名称,说明\n公园,\"第一行\n"), []byte("第二行\"\n"), gbk(t, "广场,好\n")}, nil)
			},
			encoding: "GB18030",
			records:  [][]string{{"广场", "好"}},
			errs:     []string{`row 2, column "说明", value "第二行\"": is UTF-8 text in a file read as GB18030 (GBK): save the whole file in one encoding`},
		},
		{
			name: "GBK with a byte that is not GB18030",
			data: func(t *testing.T) []byte {
				return bytes.Join([][]byte{gbk(t, "名称,数量\n公园,3\n广场"), []byte("\xff,4\n"), gbk(t, "湖泊,5\n")}, nil)
			},
			encoding: "GB18030",
			records:  [][]string{{"公园", "3"}, {"湖泊", "5"}},
			errs:     []string{`row 3, column "名称", value "广场` + "\uFFFD" + `": holds bytes that are not GB18030 text (shown as ` + "\uFFFD" + `): save the whole file in one encoding`},
		},
		{
			name: "GBK only (two-byte runes that happen to be UTF-8 are not flagged)",
			data: func(t *testing.T) []byte {
				return gbk(t, "名称,数量\n公园,3\n"+strings.Repeat("厂,1\n", 3)) // 厂 is C2 A7 in GBK, valid UTF-8 ("§")
			},
			encoding: "GB18030",
			records:  [][]string{{"公园", "3"}, {"厂", "1"}, {"厂", "1"}, {"厂", "1"}},
		},
	} {
		t.Run(test.name, func(t *testing.T) {
			info, _, recs, errs := readAll(t, test.data(t), "x.csv")
			if info.Encoding != test.encoding {
				t.Errorf("encoding %q, want %q", info.Encoding, test.encoding)
			}
			if diff := cmp.Diff(test.records, recs); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(test.errs, errs); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("a GB18030 file whose header is UTF-8", func(t *testing.T) {
		data := append([]byte("名称,数量\n"), gbk(t, "公园,3\n广场,4\n")...)
		_, err := Open(bytes.NewReader(data), "x.csv", Options{})
		var fe *FileError
		if !errors.As(err, &fe) || !strings.Contains(fe.Reason, "the header is UTF-8 text") {
			t.Errorf("Open = %v", err)
		}
	})
}

// readUntilLimit reads data with lim and returns the records before the
// *LimitError that must end the reading, and that error.
func readUntilLimit(t *testing.T, data []byte, name string, lim Limits) ([][]string, *LimitError) {
	t.Helper()
	r, err := Open(bytes.NewReader(data), name, Options{Limits: lim})
	var le *LimitError
	if errors.As(err, &le) {
		return nil, le
	}
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer r.Close()
	var recs [][]string
	for {
		rec, err := r.Next()
		if errors.As(err, &le) {
			if !errors.Is(err, ErrLimit) {
				t.Errorf("%v is not ErrLimit", err)
			}
			if _, again := r.Next(); !errors.As(again, new(*LimitError)) {
				t.Errorf("Next after a limit error = %v, want the error again", again)
			}
			return recs, le
		}
		if err == io.EOF {
			t.Fatalf("read to the end without a limit error: %v", recs)
		}
		if err != nil && !errors.As(err, new(*RowError)) {
			t.Fatalf("Next: %v", err)
		}
		if err == nil {
			recs = append(recs, append([]string(nil), rec...))
		}
	}
}

func TestRecordLimits(t *testing.T) {
	small := Limits{MaxRecordBytes: 100, MaxColumns: 3, MaxDepth: 4}
	for _, test := range []struct {
		name, file string
		data       string
		records    [][]string
		want       string
	}{
		{"CSV line over the limit", "x.csv", "a,b\n1,2\n" + strings.Repeat("x", 1000) + ",3\n4,5\n", [][]string{{"1", "2"}},
			"row 3: the record is 1003 bytes long, over the limit of 100 bytes"},
		{"CSV line far over the limit (stops reading)", "x.csv", "a,b\n1,2\n" + strings.Repeat("x", 300<<10) + ",3\n4,5\n", [][]string{{"1", "2"}},
			"row 3: the record is more than 100 bytes long, over the limit of 100 bytes"},
		{"CSV quoted field over many lines", "x.csv", "a,b\n1,2\n\"" + strings.Repeat("x\n", 200<<10) + "\",3\n", [][]string{{"1", "2"}},
			"row 3: the record is more than 100 bytes long, over the limit of 100 bytes"},
		{"CSV header too wide", "x.csv", "a,b,c,d\n1,2,3,4\n", nil, "row 1: the header has 4 columns, over the limit of 3"},
		{"CSV header line too long", "x.csv", strings.Repeat("h", 200) + "\n1\n", nil, "row 1: the record is 201 bytes long, over the limit of 100 bytes"},
		{"NDJSON value over the limit", "x.ndjson", `{"a":1,"b":"x"}` + "\n" + `{"a":2,"b":"` + strings.Repeat("y", 300<<10) + `"}` + "\n", [][]string{{"1", "x"}},
			`row 2, column "b": the record is more than 100 bytes long, over the limit of 100 bytes`},
		{"JSON object over the limit", "x.json", `[{"a":1,"b":"x"},{"a":2,"b":"` + strings.Repeat("y", 200) + `"},{"a":3,"b":"z"}]`, [][]string{{"1", "x"}},
			"row 2: the record is 215 bytes long, over the limit of 100 bytes"},
		{"JSON nesting over the limit", "x.ndjson", `{"a":1}` + "\n" + `{"a":[[[[1]]]]}` + "\n", [][]string{{"1"}},
			`row 2, column "a": arrays and objects nest more than 4 levels deep, over the limit`},
		{"JSON record nesting over the limit", "x.ndjson", `{"a":1}` + "\n" + strings.Repeat("[", 50) + "\n", [][]string{{"1"}},
			`row 2: arrays and objects nest more than 4 levels deep, over the limit`},
		{"JSON header too wide", "x.ndjson", `{"a":1,"b":2,"c":3,"d":4}`, nil, "row 1: the header has 4 columns, over the limit of 3"},
	} {
		t.Run(test.name, func(t *testing.T) {
			recs, le := readUntilLimit(t, []byte(test.data), test.file, small)
			if le.Error() != test.want {
				t.Errorf("error %q\nwant  %q", le.Error(), test.want)
			}
			if diff := cmp.Diff(test.records, recs); diff != "" {
				t.Errorf("records before the error (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("deep JSON with the default limits", func(t *testing.T) {
		_, le := readUntilLimit(t, []byte(`{"a":1}`+"\n"+strings.Repeat("[", 10<<20)), "x.ndjson", Limits{})
		if le.Row != 2 || le.Limit != int64(DefaultLimits.MaxDepth) {
			t.Errorf("error %v", le)
		}
	})
}

// TestXLSXLimits: a workbook beyond a limit is refused with a located
// error before excelize unzips or decodes it.
func TestXLSXLimits(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	sheet := func(rows ...string) string { return ingesttest.SheetXML(strings.Join(rows, "")) }
	var bomb bytes.Buffer
	if err := ingesttest.Bomb(&bomb, 2, 64<<20); err != nil {
		t.Fatal(err)
	}
	lying := lyingWorkbook(t)
	for _, test := range []struct {
		name string
		data []byte
		lim  Limits
		want string // the error; # stands for a number
	}{
		{"zip bomb (ratio)", bomb.Bytes(), Limits{},
			"part xl/worksheets/sheet1.xml: it decompresses to # bytes, # times its compressed size, over the limit of 200 times (a zip bomb?)"},
		{"zip bomb (decompressed size)", bomb.Bytes(), Limits{MaxRatio: 1000, MaxUnzipBytes: 100 << 20},
			"the workbook: it decompresses to more than # bytes (by part xl/worksheets/sheet2.xml), over the limit of 104857600 bytes"},
		{"zip bomb (cells in a row)", bomb.Bytes(), Limits{MaxRatio: 1000},
			"sheet 数据, row 1: the row has more than 16384 cells, over the limit"},
		{"zip bomb (temporary space)", bomb.Bytes(), Limits{MaxRatio: 1000, MaxTempBytes: 100 << 20},
			"the workbook: reading it needs # bytes of temporary disk space, over the limit of 104857600 bytes"},
		{"workbook larger than the temporary space", bomb.Bytes(), Limits{MaxTempBytes: 1000},
			"the workbook: it is more than 1000 bytes, over the limit of 1000 bytes of temporary space"},
		{"cell over the record limit", ingesttest.Zip(ingesttest.Workbook(sheet(ingesttest.Row(1, "a", "b"), ingesttest.Row(2, "x", strings.Repeat("y", 2000))))),
			Limits{MaxRecordBytes: 1000}, `sheet 数据, row 2, column "B": the cell is more than 1000 bytes of XML, over the limit`},
		{"row over the record limit", ingesttest.Zip(ingesttest.Workbook(sheet(ingesttest.Row(1, "a"), ingesttest.Row(7, strings.Repeat("<b/>", 30)+"x")))),
			Limits{MaxRecordBytes: 100}, `sheet 数据, row 7, column "A": the cell is more than 100 bytes of XML, over the limit`},
		{"cells under a long namespace prefix", ingesttest.Zip(ingesttest.Workbook(sheet(`<row r="4">` +
			strings.Repeat(`<averyveryverylongprefix:c><v>1</v></averyveryverylongprefix:c>`, 3) + `</row>`))),
			Limits{MaxColumns: 2}, "sheet 数据, row 4: the row has more than 2 cells, over the limit"},
		{"too many cells", ingesttest.Zip(ingesttest.Workbook(sheet(ingesttest.Row(1, "a", "b"), ingesttest.Row(2, "1", "2"), ingesttest.Row(3, "3", "4")))),
			Limits{MaxCells: 5}, `sheet 数据, row 3, column "B": the sheet has more than 5 cells, over the limit`},
		{"too many shared strings", ingesttest.Zip(ingesttest.Workbook(sheet(ingesttest.Row(1, "a")),
			ingesttest.Part{Name: "xl/sharedStrings.xml", Data: `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` + strings.Repeat("<si><t>x</t></si>", 3) + `</sst>`})),
			Limits{MaxSharedStrings: 2}, "part xl/sharedStrings.xml: the shared string table has more than 2 strings, over the limit"},
		{"long shared string", ingesttest.Zip(ingesttest.Workbook(sheet(ingesttest.Row(1, "a")),
			ingesttest.Part{Name: "xl/sharedStrings.xml", Data: `<sst><si><t>x</t></si><si><t>` + strings.Repeat("y", 200) + `</t></si></sst>`})),
			Limits{MaxRecordBytes: 100}, "part xl/sharedStrings.xml: shared string 1 is more than 100 bytes of XML, over the limit"},
		{"text over the record limit outside cells", ingesttest.Zip(ingesttest.Workbook(sheet(ingesttest.Row(1, "a")) + strings.Repeat("z", 200))),
			Limits{MaxRecordBytes: 100}, "sheet 数据: a text is more than 100 bytes of XML, over the limit"},
		{"too many elements in another part", ingesttest.Zip(ingesttest.Workbook(sheet(ingesttest.Row(1, "a")),
			ingesttest.Part{Name: "xl/styles.xml", Data: "<styleSheet>" + strings.Repeat("<x/>", xlsxMaxElements) + "</styleSheet>"})),
			Limits{}, "part xl/styles.xml: it has more than 200000 XML elements, over the limit"},
	} {
		t.Run(test.name, func(t *testing.T) {
			_, err := Open(bytes.NewReader(test.data), "x.xlsx", Options{Limits: test.lim})
			var le *LimitError
			pattern := "^" + strings.ReplaceAll(regexp.QuoteMeta(test.want), "#", `\d+`) + "$"
			if !errors.As(err, &le) || !regexp.MustCompile(pattern).MatchString(le.Error()) {
				t.Errorf("Open = %v\nwant    %s", err, test.want)
			}
		})
	}
	for _, test := range []struct {
		name string
		data []byte
		want string
	}{
		{"a DOCTYPE", ingesttest.Zip(ingesttest.Workbook(`<!DOCTYPE x [<!ENTITY a "b">]>` + sheet(ingesttest.Row(1, "a")))),
			"the workbook's sheet 数据 holds an XML directive (<!D...), which XLSX parts do not"},
		{"a part larger than it declares", lying, "the workbook's sheet 数据 cannot be read: zip: not a valid zip file"},
	} {
		t.Run(test.name, func(t *testing.T) {
			_, err := Open(bytes.NewReader(test.data), "x.xlsx", Options{})
			var fe *FileError
			if !errors.As(err, &fe) || fe.Reason != test.want {
				t.Errorf("Open = %v\nwant    %s", err, test.want)
			}
		})
	}
	if left, _ := os.ReadDir(os.Getenv("TMPDIR")); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// lyingWorkbook is a workbook whose sheet declares 100 bytes but holds more.
func lyingWorkbook(t *testing.T) []byte {
	parts := ingesttest.Workbook(ingesttest.SheetXML(ingesttest.Row(1, "a") + ingesttest.Row(2, strings.Repeat("x", 5000))))
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range parts {
		if p.Name != "xl/worksheets/sheet1.xml" {
			w, _ := zw.Create(p.Name)
			io.WriteString(w, p.Data)
			continue
		}
		var comp bytes.Buffer
		cw, _ := flate.NewWriter(&comp, flate.DefaultCompression)
		io.WriteString(cw, p.Data)
		cw.Close()
		w, err := zw.CreateRaw(&zip.FileHeader{Name: p.Name, Method: zip.Deflate, CompressedSize64: uint64(comp.Len()), UncompressedSize64: 100})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(comp.Bytes())
	}
	zw.Close()
	return buf.Bytes()
}

// TestXLSXDeclaredAndDirectory checks the limits decided from the zip's
// directory alone, on headers made up for the purpose.
func TestXLSXDeclaredAndDirectory(t *testing.T) {
	part := func(name string, size, comp uint64) xlsxPart {
		f := &zip.File{FileHeader: zip.FileHeader{Name: name, UncompressedSize64: size, CompressedSize64: comp}}
		return xlsxParts(&zip.Reader{File: []*zip.File{f}})[0]
	}
	lim := DefaultLimits
	for _, test := range []struct {
		name  string
		parts []xlsxPart
		want  string
	}{
		{"pictures kept in memory", []xlsxPart{part("xl/media/a.png", 20<<20, 20<<20), part("xl/media/b.png", 20<<20, 20<<20)},
			"the workbook: its parts other than large sheets (styles, pictures, small sheets...) decompress to 41943040 bytes, over the limit of 33554432 bytes"},
		{"declared size near 2^64", []xlsxPart{part("xl/worksheets/sheet1.xml", 1<<63+5, 1<<62)},
			"the workbook: it decompresses to more than 4611686018427387904 bytes (by part xl/worksheets/sheet1.xml), over the limit of 2147483648 bytes"},
		{"nothing compressed to something", []xlsxPart{part("xl/worksheets/sheet1.xml", 2<<20, 0)},
			"part xl/worksheets/sheet1.xml: it decompresses to 2097152 bytes, 2097152 times its compressed size, over the limit of 200 times (a zip bomb?)"},
	} {
		t.Run(test.name, func(t *testing.T) {
			err := checkDeclared(test.parts, 1000, lim)
			if err == nil || err.Error() != test.want {
				t.Errorf("checkDeclared = %v\nwant %s", err, test.want)
			}
		})
	}
	t.Run("directory too large", func(t *testing.T) {
		end := make([]byte, 22)
		copy(end, "PK\x05\x06")
		binary.LittleEndian.PutUint16(end[10:], 60000)
		binary.LittleEndian.PutUint32(end[12:], 5<<20)
		binary.LittleEndian.PutUint32(end[16:], 0)
		file := append(bytes.Repeat([]byte{0}, 1000), end...)
		err := checkDirectory(bytes.NewReader(file), int64(len(file)))
		if err == nil || err.Error() != "the workbook: its zip directory is 5242880 bytes long, over the limit of 4194304 bytes (too many parts)" {
			t.Errorf("checkDirectory = %v", err)
		}
	})
}

// TestXLSXTempFilesRemoved: a workbook read to the end, and one refused,
// leave nothing in the temporary directory.
func TestXLSXTempFilesRemoved(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	big := strings.Builder{}
	big.WriteString(ingesttest.Row(1, "名称", "说明"))
	for i := 2; big.Len() < 2*xlsxXMLLimit; i++ {
		big.WriteString(ingesttest.Row(i, "公园", strings.Repeat("长", 100)))
	}
	data := ingesttest.Zip(ingesttest.Workbook(ingesttest.SheetXML(big.String())))
	r, err := Open(bytes.NewReader(data), "x.xlsx", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 1 {
		t.Errorf("while reading: %d entries in the temporary directory, want its own", len(left))
	}
	n := 0
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	r.Close()
	if n < 1000 {
		t.Errorf("read %d records", n)
	}
	if _, err := Open(bytes.NewReader(data), "x.xlsx", Options{Limits: Limits{MaxCells: 10}}); !errors.Is(err, ErrLimit) {
		t.Errorf("Open = %v", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}
