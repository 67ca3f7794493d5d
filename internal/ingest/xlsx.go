package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"
)

// xlsxReader streams one sheet of a workbook. Cells are read raw (numbers
// unformatted, dates as serial numbers), so no precision is lost to a
// display format; the schema mapping turns serials into dates.
type xlsxReader struct {
	f      *excelize.File
	rows   *excelize.Rows
	dir    string // the temporary directory of this workbook, removed by Close
	header []string
	row    int64 // the sheet row last read from the stream
	cur    int64 // the sheet row Next returned last
	info   FileInfo

	merges  []mergeRange // the sheet's merged ranges (small sheets only)
	pending []SheetRow   // rows read while looking for the header, for Next
}

// openXLSX copies the workbook to a temporary directory of its own (excelize
// would otherwise read it whole into memory), checks it against lim, and
// opens it there; Close removes the directory.
func openXLSX(r io.Reader, sheet, tempDir string, headerRow int64, lim Limits) (Reader, error) {
	dir, err := os.MkdirTemp(tempDir, "dataport-xlsx-")
	if err != nil {
		return nil, fmt.Errorf("ingest: xlsx: %w", err)
	}
	x, err := openXLSXIn(dir, r, sheet, headerRow, lim)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return x, nil
}

func openXLSXIn(dir string, r io.Reader, sheet string, headerRow int64, lim Limits) (*xlsxReader, error) {
	path := filepath.Join(dir, "workbook.xlsx")
	size, err := spool(path, r, lim.MaxTempBytes)
	if err != nil {
		return nil, err
	}
	if err := checkWorkbook(path, size, lim); err != nil {
		return nil, err
	}
	sum, err := fileSHA256(path)
	if err != nil {
		return nil, err
	}
	f, err := excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: lim.MaxUnzipBytes,
		UnzipXMLSizeLimit: min(xlsxXMLLimit, lim.MaxUnzipBytes), TmpDir: dir})
	small := smallSheets(path)
	os.Remove(path) // excelize has unzipped what it needs, to memory or to dir
	if err != nil {
		if f != nil {
			f.Close()
		}
		return nil, &FileError{Reason: "the file is not a readable XLSX workbook: " + err.Error()}
	}
	sheets := f.GetSheetList()
	if sheet == "" && len(sheets) > 0 {
		sheet = sheets[0]
	}
	if !slices.Contains(sheets, sheet) {
		f.Close()
		return nil, &FileError{Reason: fmt.Sprintf("the workbook has no sheet %q (it has %s)", sheet, strings.Join(sheets, ", "))}
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		f.Close()
		return nil, &FileError{Reason: "sheet " + sheet + " cannot be read: " + err.Error()}
	}
	x := &xlsxReader{f: f, rows: rows, dir: dir, info: FileInfo{Format: XLSX, Sheet: sheet, ExcelSerials: true, SHA256: sum}}
	if small {
		x.readMerges()
	}
	if err := x.readHeader(lim, headerRow); err != nil {
		x.rows.Close()
		x.f.Close()
		return nil, err
	}
	return x, nil
}

// fileSHA256 is the hex SHA-256 of the file at path.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("ingest: xlsx: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("ingest: xlsx: hash the workbook: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// spool copies r to a new file at path, refusing more than max bytes.
func spool(path string, r io.Reader, max int64) (int64, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, fmt.Errorf("ingest: xlsx: %w", err)
	}
	n, err := io.Copy(f, io.LimitReader(r, max+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("ingest: xlsx: copy the workbook: %w", err)
	}
	if n > max {
		return n, &LimitError{Part: "the workbook", Size: n, Limit: max,
			Reason: fmt.Sprintf("it is more than %d bytes, over the limit of %d bytes of temporary space", max, max)}
	}
	return n, nil
}

func (x *xlsxReader) Header() []string { return x.header }
func (x *xlsxReader) Row() int64       { return x.cur }
func (x *xlsxReader) Info() FileInfo   { return x.info }

// Next returns the next non-blank row, padded to the header's width, merged
// cells filled.
func (x *xlsxReader) Next() ([]string, error) {
	rec, err := x.next()
	if err != nil {
		return nil, err
	}
	if len(rec) > len(x.header) {
		if !allEmpty(rec[len(x.header):]) {
			return nil, &RowError{Row: x.cur, Reason: fmt.Sprintf("has values in %d columns but the header names %d", len(rec), len(x.header))}
		}
		rec = rec[:len(x.header)]
	}
	for len(rec) < len(x.header) {
		rec = append(rec, "")
	}
	return rec, nil
}

// next returns the next non-blank row: those read with the header first,
// then the stream's.
func (x *xlsxReader) next() ([]string, error) {
	if len(x.pending) > 0 {
		r := x.pending[0]
		x.pending = x.pending[1:]
		x.cur = r.Row
		return r.Cells, nil
	}
	for x.rows.Next() {
		x.row++
		x.cur = x.row
		rec, err := x.rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, &RowError{Row: x.row, Reason: "cannot be read: " + err.Error()}
		}
		if len(x.merges) > 0 {
			rec, _ = x.fillMerged(x.row, rec)
		}
		if allEmpty(rec) {
			continue
		}
		return rec, nil
	}
	if err := x.rows.Error(); err != nil {
		return nil, fmt.Errorf("ingest: xlsx: %w", err)
	}
	return nil, io.EOF
}

// Close closes the workbook and removes its temporary files.
func (x *xlsxReader) Close() error {
	x.rows.Close()
	err := x.f.Close()
	if rerr := os.RemoveAll(x.dir); err == nil {
		err = rerr
	}
	return err
}
