package ingest

import (
	"fmt"
	"io"
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
	header []string
	row    int64
	info   FileInfo
}

// xlsxXMLLimit is how much of a sheet excelize unzips into memory; larger
// sheets are unzipped to a temporary file, keeping memory flat.
const xlsxXMLLimit = 16 << 20

func openXLSX(r io.Reader, sheet string) (Reader, error) {
	f, err := excelize.OpenReader(r, excelize.Options{UnzipXMLSizeLimit: xlsxXMLLimit})
	if err != nil {
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
	x := &xlsxReader{f: f, rows: rows, info: FileInfo{Format: XLSX, Sheet: sheet, ExcelSerials: true}}
	if err := x.readHeader(); err != nil {
		x.Close()
		return nil, err
	}
	return x, nil
}

func (x *xlsxReader) readHeader() error {
	for x.rows.Next() {
		x.row++
		rec, err := x.rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return &FileError{Reason: fmt.Sprintf("row %d cannot be read: %v", x.row, err)}
		}
		if allEmpty(rec) {
			continue // blank rows above the header
		}
		for len(rec) > 0 && strings.TrimSpace(rec[len(rec)-1]) == "" {
			rec = rec[:len(rec)-1]
		}
		x.header = make([]string, len(rec))
		for i, h := range rec {
			x.header[i] = strings.TrimSpace(h)
		}
		return checkHeader(x.header)
	}
	if err := x.rows.Error(); err != nil {
		return &FileError{Reason: "the sheet cannot be read: " + err.Error()}
	}
	return &FileError{Reason: fmt.Sprintf("sheet %s is empty", x.info.Sheet), Err: ErrEmpty}
}

func (x *xlsxReader) Header() []string { return x.header }
func (x *xlsxReader) Row() int64       { return x.row }
func (x *xlsxReader) Info() FileInfo   { return x.info }

// Next returns the next non-blank row, padded to the header's width.
func (x *xlsxReader) Next() ([]string, error) {
	for x.rows.Next() {
		x.row++
		rec, err := x.rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, &RowError{Row: x.row, Reason: "cannot be read: " + err.Error()}
		}
		if allEmpty(rec) {
			continue
		}
		if len(rec) > len(x.header) {
			if !allEmpty(rec[len(x.header):]) {
				return nil, &RowError{Row: x.row, Reason: fmt.Sprintf("has values in %d columns but the header names %d", len(rec), len(x.header))}
			}
			rec = rec[:len(x.header)]
		}
		for len(rec) < len(x.header) {
			rec = append(rec, "")
		}
		return rec, nil
	}
	if err := x.rows.Error(); err != nil {
		return nil, fmt.Errorf("ingest: xlsx: %w", err)
	}
	return nil, io.EOF
}

func (x *xlsxReader) Close() error {
	x.rows.Close()
	return x.f.Close()
}
