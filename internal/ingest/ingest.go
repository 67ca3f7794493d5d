// Package ingest reads the files institutions aggregate to the platform (CSV
// in UTF-8 or GB18030/GBK, XLSX, JSON arrays and NDJSON) as streams of
// records with constant memory, maps their columns to a resource's data
// items, converts every value to its item's type, and checks the quality
// rules, reporting each refused value as (row, column, value, reason).
package ingest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// Format is a file format the readers understand.
type Format string

// Formats.
const (
	CSV    Format = "csv"
	XLSX   Format = "xlsx"
	JSON   Format = "json"   // a JSON array of objects
	NDJSON Format = "ndjson" // one JSON object per line
)

// ErrEmpty means the file holds no header (or, for JSON, no record).
var ErrEmpty = errors.New("the file is empty")

// ErrBinary means a file expected to be text is not.
var ErrBinary = errors.New("the file is not text")

// RowError is one refused record or value. Row counts the file's records as a
// spreadsheet shows them: in CSV and XLSX the header is row 1 and the first
// data record row 2; in JSON the first record is row 1. Column is the
// column's name in the file ("" for a problem with the whole record).
type RowError struct {
	Row    int64  `json:"row"`
	Column string `json:"column,omitempty"`
	Value  string `json:"value,omitempty"`
	Reason string `json:"reason"`
}

func (e *RowError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "row %d", e.Row)
	if e.Column != "" {
		fmt.Fprintf(&b, ", column %q", e.Column)
	}
	if e.Value != "" {
		fmt.Fprintf(&b, ", value %q", e.Value)
	}
	b.WriteString(": " + e.Reason)
	return b.String()
}

// FileError is a problem with the file as a whole: nothing can be loaded.
type FileError struct {
	Reason string
	Err    error // ErrEmpty, ErrBinary or nil
	// Code and Args name the problem for a translation (the problem codes
	// of internal/web/ui/i18n), where it has one: "header_blank" {column},
	// "header_duplicate" {column, column, name}, "header_same_name"
	// {column, name, column, name}, "header_row_empty" {row}.
	Code string
	Args []any
}

func (e *FileError) Error() string { return e.Reason }

// Unwrap returns ErrEmpty or ErrBinary when the problem is one of those.
func (e *FileError) Unwrap() error { return e.Err }

// Reader streams a file's records. Next returns io.EOF after the last
// record, and a *RowError for a malformed record, after which reading may
// go on; any other error (a *LimitError among them) ends the reading. The
// returned slice is only valid until the next call.
type Reader interface {
	Header() []string
	Next() ([]string, error)
	Row() int64 // the row of the record Next last returned
	Info() FileInfo
	Close() error
}

// FileInfo describes what the reader found.
type FileInfo struct {
	Format    Format `json:"format"`
	Encoding  string `json:"encoding,omitempty"`  // CSV: "UTF-8", "UTF-8 (BOM)", "GB18030", "UTF-16LE" ...
	Delimiter string `json:"delimiter,omitempty"` // CSV
	Sheet     string `json:"sheet,omitempty"`     // XLSX
	// HeaderRow is the sheet row (1-based) read as the header (XLSX).
	HeaderRow int64 `json:"header_row,omitempty"`
	// Top are the non-blank rows at the top of the sheet, the header among
	// them, for a person to see which row is the header (XLSX).
	Top []SheetRow `json:"-"`
	// Units are the units a row under the header gives its columns
	// ("万元" for "(万元)"), "" where it gives none (XLSX).
	Units []string `json:"-"`
	// ExcelSerials: dates may come as spreadsheet serial numbers.
	ExcelSerials bool `json:"-"`
	// SHA256 is the hex SHA-256 of the whole file, where the reader had to
	// keep the file to read it (XLSX): it is hashed only once it has
	// passed the workbook checks, so a refused zip bomb costs no hashing.
	SHA256 string `json:"-"`
}

// Options choose how a file is read.
type Options struct {
	Format    Format // empty: from the file name, else sniffed from the content
	Sheet     string // XLSX: the sheet to read; empty for the first
	HeaderRow int64  // XLSX: the header's row (1-based); 0 finds it below title and unit lines
	Delimiter rune   // CSV: 0 to detect among , ; tab |
	Encoding  string // CSV: "" to detect, or "utf-8", "gb18030" (also "gbk")
	Limits    Limits // what reading may cost; zero fields take DefaultLimits
	TempDir   string // XLSX: where the workbook is unzipped; "" for os.TempDir()
}

// Open returns a reader for r, whose name (a file name or "") helps choose
// the format. Problems with the whole file are *FileError, and a file beyond
// opts.Limits is a *LimitError, here or from Next.
func Open(r io.Reader, name string, opts Options) (Reader, error) {
	opts.Limits = opts.Limits.Or(DefaultLimits)
	br := bufio.NewReaderSize(r, 256<<10)
	format := opts.Format
	if format == "" {
		format = FormatOf(name)
	}
	head, err := br.Peek(sniffLen)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("ingest: read: %w", err)
	}
	if len(bytes.TrimSpace(bytes.TrimPrefix(head, utf8BOM))) == 0 {
		return nil, &FileError{Reason: "the file is empty", Err: ErrEmpty}
	}
	if format == "" {
		format = sniffFormat(head)
	}
	switch format {
	case XLSX:
		if !bytes.HasPrefix(head, zipMagic) {
			return nil, &FileError{Reason: "the file is not an XLSX workbook (it is not a ZIP archive)"}
		}
		return openXLSX(br, opts.Sheet, opts.TempDir, opts.HeaderRow, opts.Limits)
	case JSON, NDJSON:
		return openJSON(br, head, opts.Limits)
	case CSV:
		return openCSV(br, head, opts)
	}
	return nil, &FileError{Reason: fmt.Sprintf("unsupported format %q: use CSV, XLSX, JSON or NDJSON", format)}
}

// sniffLen is how much of a file is inspected to guess its format, encoding and delimiter.
const sniffLen = 64 << 10

var (
	utf8BOM  = []byte{0xEF, 0xBB, 0xBF}
	zipMagic = []byte("PK\x03\x04")
)

// FormatOf guesses the format from a file name's extension ("" if unknown).
func FormatOf(name string) Format {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv", ".txt", ".tsv":
		return CSV
	case ".xlsx", ".xlsm":
		return XLSX
	case ".json":
		return JSON
	case ".ndjson", ".jsonl":
		return NDJSON
	}
	return ""
}

func sniffFormat(head []byte) Format {
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(head, utf8BOM), " \t\r\n")
	switch {
	case bytes.HasPrefix(head, zipMagic):
		return XLSX
	case len(trimmed) > 0 && trimmed[0] == '[':
		return JSON
	case len(trimmed) > 0 && trimmed[0] == '{':
		return NDJSON
	}
	return CSV
}

// ReadAll is a convenience for tests and small files: it reads every record
// of r, stopping at the first error.
func ReadAll(r Reader) ([][]string, error) {
	var out [][]string
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, append([]string(nil), rec...))
	}
}
