package ingest

import (
	"archive/zip"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Workbooks made for people put a title, a unit line or a note above the
// header row, often in cells merged across the table, and merge cells that
// repeat a value (a district over its streets). The XLSX reader finds the
// header row below such lines (or takes the one the editor picks) and gives
// every cell of a merged range the range's value.

// headerLook is how many non-blank rows at the top of a sheet are looked at
// for its header row.
const headerLook = 20

// maxHeaderCell is the longest text (in characters) a header cell holds; a
// longer one is a note, not a column name.
const maxHeaderCell = 64

// maxMerges bounds the merged ranges of a sheet the reader fills in; a
// sheet with more is read as stored.
const maxMerges = 5000

// SheetRow is one row at the top of a sheet, as read (merged cells filled).
type SheetRow struct {
	Row   int64    `json:"row"`
	Cells []string `json:"cells"`
}

// mergeRange is a merged range of cells (1-based, inclusive) and the value
// of its top-left cell once that has been read.
type mergeRange struct {
	row1, col1, row2, col2 int
	value                  string
	seen                   bool
}

// readMerges reads the sheet's merged ranges. excelize decodes the whole
// sheet to list them, so it is called only when the workbook's sheets are
// small (smallSheets); sheets unzipped to disk are read without them.
func (x *xlsxReader) readMerges() {
	cells, err := x.f.GetMergeCells(x.info.Sheet, true)
	if err != nil || len(cells) > maxMerges {
		return
	}
	for _, c := range cells {
		c1, r1, err1 := excelize.CellNameToCoordinates(c.GetStartAxis())
		c2, r2, err2 := excelize.CellNameToCoordinates(c.GetEndAxis())
		if err1 == nil && err2 == nil && (r2 > r1 || c2 > c1) {
			x.merges = append(x.merges, mergeRange{row1: r1, col1: c1, row2: r2, col2: c2})
		}
	}
}

// smallSheets reports whether every worksheet of the workbook at path is
// small enough that excelize keeps it in memory anyway.
func smallSheets(path string) bool {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return false
	}
	defer zr.Close()
	for _, p := range xlsxParts(&zr.Reader) {
		if p.kind == sheetPart && p.temp {
			return false
		}
	}
	return true
}

// fillMerged gives the cells of row that lie in a merged range the value of
// the range's top-left cell, widening rec as needed. It reports whether the
// row's only values come from one range spanning several columns (a title).
func (x *xlsxReader) fillMerged(row int64, rec []string) ([]string, bool) {
	title := false
	for i := range x.merges {
		m := &x.merges[i]
		if int64(m.row1) > row || int64(m.row2) < row {
			continue
		}
		if int64(m.row1) == row && !m.seen {
			if m.col1-1 < len(rec) {
				m.value = rec[m.col1-1]
			}
			m.seen = true
			title = m.col2 > m.col1 && filled(rec) == 1 && strings.TrimSpace(m.value) != ""
		}
		for len(rec) < m.col2 {
			rec = append(rec, "")
		}
		for c := m.col1; c <= m.col2; c++ {
			if int64(m.row1) != row || c != m.col1 {
				rec[c-1] = m.value
			}
		}
	}
	return rec, title
}

// filled counts the non-blank cells of rec.
func filled(rec []string) int {
	n := 0
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			n++
		}
	}
	return n
}

// topRow is a row at the top of the sheet with what the header search
// needs to know of it.
type topRow struct {
	SheetRow
	raw   int  // non-blank cells as stored, before merged cells are filled
	title bool // one merged range across columns holds its only value
}

// headerIndex picks the header among the top rows: the first row with at
// least two values, at least half as many as the widest row, each short
// enough to name a column, and not a merged title. A sheet of one column
// (no row has two values) has its first row as header.
func headerIndex(top []topRow) int {
	widest := 0
	for _, r := range top {
		widest = max(widest, r.raw)
	}
	if widest < 2 {
		return 0
	}
	for i, r := range top {
		if r.title || r.raw < 2 || r.raw*2 < widest {
			continue
		}
		if shortCells(r.Cells) {
			return i
		}
	}
	return 0
}

func shortCells(cells []string) bool {
	for _, c := range cells {
		if utf8.RuneCountInString(strings.TrimSpace(c)) > maxHeaderCell {
			return false
		}
	}
	return true
}

// unitCell matches a cell that gives a unit: "(万元)", "（人）", "单位：辆".
var unitCell = regexp.MustCompile(`^(?:[（(]\s*(.+?)\s*[)）]|(?:计量)?单位\s*[:：]\s*(.+))$`)

// unitOf returns the unit a cell names, or "".
func unitOf(cell string) string {
	m := unitCell.FindStringSubmatch(strings.TrimSpace(cell))
	if m == nil {
		return ""
	}
	return m[1] + m[2]
}

// unitRow returns the units of a row in which every value names a unit
// (the row under a header that gives each column's unit), or nil.
func unitRow(rec []string) []string {
	if filled(rec) == 0 {
		return nil
	}
	units := make([]string, len(rec))
	for i, c := range rec {
		if strings.TrimSpace(c) == "" {
			continue
		}
		if units[i] = unitOf(c); units[i] == "" {
			return nil
		}
	}
	return units
}

// readTop reads the non-blank rows at the top of the sheet: headerLook
// rows, or, when a header row is wanted, up to the first non-blank row
// after it (a unit row, perhaps).
func (x *xlsxReader) readTop(want int64) ([]topRow, error) {
	var top []topRow
	more := func() bool {
		if want == 0 {
			return len(top) < headerLook
		}
		return x.row < want || (len(top) > 0 && top[len(top)-1].Row == want)
	}
	for more() {
		if !x.rows.Next() {
			break
		}
		x.row++
		rec, err := x.rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, &FileError{Reason: fmt.Sprintf("row %d cannot be read: %v", x.row, err)}
		}
		raw := filled(rec)
		rec, title := x.fillMerged(x.row, rec)
		if allEmpty(rec) {
			continue
		}
		top = append(top, topRow{SheetRow: SheetRow{Row: x.row, Cells: trimRight(rec)}, raw: raw, title: title})
	}
	if err := x.rows.Error(); err != nil {
		return nil, &FileError{Reason: "the sheet cannot be read: " + err.Error()}
	}
	return top, nil
}

// trimRight drops the blank cells at the end of rec.
func trimRight(rec []string) []string {
	for len(rec) > 0 && strings.TrimSpace(rec[len(rec)-1]) == "" {
		rec = rec[:len(rec)-1]
	}
	return rec
}

// readHeader finds the header row (row want when it is not 0), keeps the
// rows read past it for Next, and takes a unit row right under it.
func (x *xlsxReader) readHeader(lim Limits, want int64) error {
	top, err := x.readTop(want)
	if err != nil {
		return err
	}
	if len(top) == 0 {
		return &FileError{Reason: fmt.Sprintf("sheet %s is empty", x.info.Sheet), Err: ErrEmpty}
	}
	h := headerIndex(top)
	if want > 0 {
		h = slices.IndexFunc(top, func(r topRow) bool { return r.Row == want })
		if h < 0 {
			return &FileError{Reason: fmt.Sprintf("row %d of sheet %s is empty: it cannot be the header", want, x.info.Sheet),
				Code: "header_row_empty", Args: []any{want}}
		}
	}
	x.info.Top = make([]SheetRow, 0, len(top))
	for _, r := range top {
		x.info.Top = append(x.info.Top, r.SheetRow)
	}
	x.info.HeaderRow = top[h].Row
	rec := top[h].Cells
	if err := checkWidth(len(rec), lim); err != nil {
		return err
	}
	x.header = make([]string, len(rec))
	for i, c := range rec {
		x.header[i] = strings.TrimSpace(c)
	}
	rest := top[h+1:]
	if len(rest) > 0 {
		if units := unitRow(rest[0].Cells); units != nil {
			x.info.Units = units[:min(len(units), len(x.header))]
			rest = rest[1:]
		}
	}
	for _, r := range rest {
		x.pending = append(x.pending, r.SheetRow)
	}
	return checkHeader(x.header)
}
