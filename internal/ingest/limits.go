package ingest

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// Limits bound what reading one file may cost, so that a hostile or broken
// file is refused with a located *LimitError before it exhausts memory or
// disk. A zero field takes its value from DefaultLimits.
type Limits struct {
	// MaxRecordBytes bounds one record and so every value in it: a CSV
	// record (its line, with any quoted line breaks), a JSON object, the XML
	// of an XLSX row or shared string. Default 1 MiB.
	MaxRecordBytes int64 `json:"max_record_bytes"`
	// MaxColumns bounds the header's columns and the cells of an XLSX row.
	// Default 16384 (Excel's own limit).
	MaxColumns int `json:"max_columns"`
	// MaxDepth bounds how deeply JSON arrays and objects nest. Default 64.
	MaxDepth int `json:"max_depth"`
	// MaxCells bounds the cells of one XLSX sheet. Default 100 million.
	MaxCells int64 `json:"max_cells"`
	// MaxSharedStrings bounds an XLSX workbook's shared string table, which
	// the XLSX library indexes in memory (about 100 bytes a string: 1 million
	// took 100 MB of heap). Default 1 million.
	MaxSharedStrings int64 `json:"max_shared_strings"`
	// MaxUnzipBytes bounds what an XLSX workbook decompresses to, all its
	// parts together. Default 2 GiB.
	MaxUnzipBytes int64 `json:"max_unzip_bytes"`
	// MaxRatio bounds how many times its compressed size an XLSX part of at
	// least 1 MiB may decompress to (a zip bomb's is about 1000). Default 200.
	MaxRatio int64 `json:"max_ratio"`
	// MaxTempBytes bounds the temporary disk space reading one file takes:
	// an XLSX workbook is copied to disk and its large sheets unzipped there.
	// Default 4 GiB.
	MaxTempBytes int64 `json:"max_temp_bytes"`
}

// DefaultLimits are the limits of a zero Limits field.
var DefaultLimits = Limits{
	MaxRecordBytes:   1 << 20,
	MaxColumns:       16384,
	MaxDepth:         64,
	MaxCells:         100_000_000,
	MaxSharedStrings: 1_000_000,
	MaxUnzipBytes:    2 << 30,
	MaxRatio:         200,
	MaxTempBytes:     4 << 30,
}

// Or returns l with each zero field taken from d.
func (l Limits) Or(d Limits) Limits {
	pick := func(a, b int64) int64 {
		if a > 0 {
			return a
		}
		return b
	}
	l.MaxRecordBytes = pick(l.MaxRecordBytes, d.MaxRecordBytes)
	l.MaxColumns = int(pick(int64(l.MaxColumns), int64(d.MaxColumns)))
	l.MaxDepth = int(pick(int64(l.MaxDepth), int64(d.MaxDepth)))
	l.MaxCells = pick(l.MaxCells, d.MaxCells)
	l.MaxSharedStrings = pick(l.MaxSharedStrings, d.MaxSharedStrings)
	l.MaxUnzipBytes = pick(l.MaxUnzipBytes, d.MaxUnzipBytes)
	l.MaxRatio = pick(l.MaxRatio, d.MaxRatio)
	l.MaxTempBytes = pick(l.MaxTempBytes, d.MaxTempBytes)
	return l
}

// ErrLimit is what every *LimitError wraps.
var ErrLimit = errors.New("the file exceeds a limit of the platform")

// LimitError is a file, or a record of it, beyond one of the Limits.
// Reading stops there: the whole file is refused, whatever the load's
// policy for bad records. Row is 0 when the problem is not in a record.
type LimitError struct {
	Row    int64  // as in RowError
	Column string // the column, JSON key or XLSX cell, when known
	Part   string // XLSX: the sheet or part of the workbook, when known
	Reason string // what is too large, with its size and the limit
	Size   int64  // the size found (or read before stopping)
	Limit  int64
}

func (e *LimitError) Error() string {
	var loc []string
	if e.Part != "" {
		loc = append(loc, e.Part)
	}
	if e.Row > 0 {
		loc = append(loc, fmt.Sprintf("row %d", e.Row))
	}
	if e.Column != "" {
		loc = append(loc, fmt.Sprintf("column %q", e.Column))
	}
	if len(loc) == 0 {
		return e.Reason
	}
	return strings.Join(loc, ", ") + ": " + e.Reason
}

// Unwrap returns ErrLimit.
func (e *LimitError) Unwrap() error { return ErrLimit }

// RowError returns the error as a located refusal, for reports.
func (e *LimitError) RowError() RowError {
	reason := e.Reason
	if e.Part != "" {
		reason = e.Part + ": " + reason
	}
	return RowError{Row: e.Row, Column: e.Column, Reason: reason}
}

// recordTooLong is the error for a record of more than the limit.
func recordTooLong(row int64, size int64, atLeast bool, lim Limits) *LimitError {
	more := ""
	if atLeast {
		more = "more than "
	}
	return &LimitError{Row: row, Size: size, Limit: lim.MaxRecordBytes,
		Reason: fmt.Sprintf("the record is %s%d bytes long, over the limit of %d bytes", more, size, lim.MaxRecordBytes)}
}

// errOverBudget is what a budget returns once over its limit.
var errOverBudget = errors.New("ingest: read budget exceeded")

// budget counts the bytes read through it since the last reset and fails
// the read that would pass its limit, so that a reader above it (which
// buffers a whole record or value) never holds more than about the limit.
type budget struct {
	r     io.Reader
	limit int64
	n     int64
}

func (b *budget) reset() { b.n = 0 }

func (b *budget) Read(p []byte) (int, error) {
	if b.n >= b.limit {
		return 0, errOverBudget
	}
	if rest := b.limit - b.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	return n, err
}

// readSlack is what the readers above a budget may buffer ahead of the
// record they parse; a budget allows a record this much beyond the limit,
// and the exact size is checked once the record is read.
const readSlack = 64 << 10
