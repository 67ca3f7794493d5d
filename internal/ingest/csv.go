package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// csvReader reads delimited text, decoded to UTF-8.
type csvReader struct {
	r       *csv.Reader
	header  []string
	row     int64
	info    FileInfo
	checkUT bool // the file was detected as UTF-8: refuse records that are not
}

func openCSV(br *bufio.Reader, head []byte, opts Options) (Reader, error) {
	if reason := binaryReason(head); reason != "" {
		return nil, &FileError{Reason: "the file is not CSV text: " + reason, Err: ErrBinary}
	}
	enc, name, bom, err := detectEncoding(head, opts.Encoding)
	if err != nil {
		return nil, err
	}
	if bom > 0 {
		br.Discard(bom)
	}
	var src io.Reader = br
	if enc != nil {
		src = transform.NewReader(br, enc.NewDecoder())
		head, _, _ = transform.Bytes(enc.NewDecoder(), head[bom:])
	} else {
		head = head[bom:]
	}
	delim := opts.Delimiter
	if delim == 0 {
		delim = detectDelimiter(head)
	}
	r := csv.NewReader(src)
	r.Comma = delim
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	c := &csvReader{r: r, info: FileInfo{Format: CSV, Encoding: name, Delimiter: delimiterName(delim)}, checkUT: enc == nil}
	if err := c.readHeader(); err != nil {
		return nil, err
	}
	return c, nil
}

// binaryReason says why head is not text, or "" when it may be.
func binaryReason(head []byte) string {
	for _, m := range []struct {
		magic []byte
		what  string
	}{
		{zipMagic, "it is a ZIP archive (an XLSX workbook renamed .csv?)"},
		{[]byte{0xD0, 0xCF, 0x11, 0xE0}, "it is an old Excel (.xls) or other OLE file: save it as CSV or XLSX"},
		{[]byte("%PDF"), "it is a PDF document"},
		{[]byte("\x89PNG"), "it is a PNG image"},
		{[]byte{0xFF, 0xD8, 0xFF}, "it is a JPEG image"},
		{[]byte{0x1F, 0x8B}, "it is gzip-compressed: decompress it first"},
	} {
		if bytes.HasPrefix(head, m.magic) {
			return m.what
		}
	}
	if bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}) {
		return "" // UTF-16 text has NUL bytes
	}
	if i := bytes.IndexByte(head, 0); i >= 0 {
		return fmt.Sprintf("it holds a NUL byte at offset %d, so it is binary data", i)
	}
	return ""
}

// detectEncoding returns the decoder for head's encoding (nil for UTF-8),
// the encoding's name, and the length of a byte order mark to skip.
func detectEncoding(head []byte, want string) (encoding.Encoding, string, int, error) {
	switch strings.ToLower(want) {
	case "utf-8", "utf8":
		if bytes.HasPrefix(head, utf8BOM) {
			return nil, "UTF-8 (BOM)", 3, nil
		}
		return nil, "UTF-8", 0, nil
	case "gb18030", "gbk", "gb2312":
		return simplifiedchinese.GB18030, "GB18030", 0, nil
	case "":
	default:
		return nil, "", 0, &FileError{Reason: fmt.Sprintf("unknown encoding %q: use utf-8 or gb18030", want)}
	}
	switch {
	case bytes.HasPrefix(head, utf8BOM):
		return nil, "UTF-8 (BOM)", 3, nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		return unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM), "UTF-16LE", 0, nil
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM), "UTF-16BE", 0, nil
	case validUTF8Prefix(head):
		return nil, "UTF-8", 0, nil
	}
	return simplifiedchinese.GB18030, "GB18030", 0, nil
}

// validUTF8Prefix reports whether head is UTF-8, allowing a rune cut at its end.
func validUTF8Prefix(head []byte) bool {
	if utf8.Valid(head) {
		return true
	}
	if len(head) < sniffLen {
		return false // the whole file was read: nothing was cut
	}
	for cut := 1; cut < utf8.UTFMax; cut++ {
		if utf8.Valid(head[:len(head)-cut]) {
			return true
		}
	}
	return false
}

// detectDelimiter picks, among comma, tab, semicolon and bar, the one that
// splits the first lines into the same number of fields most consistently.
func detectDelimiter(head []byte) rune {
	lines := bytes.Split(head, []byte("\n"))
	if len(lines) > 1 {
		lines = lines[:len(lines)-1] // the last line may be cut
	}
	if len(lines) > 30 {
		lines = lines[:30]
	}
	best, bestScore := ',', 0
	for _, d := range []rune{',', '\t', ';', '|'} {
		first, score := -1, 0
		for _, line := range lines {
			n := countOutsideQuotes(line, byte(d))
			if first < 0 {
				first = n
			}
			if n > 0 && n == first {
				score++
			}
		}
		if score > bestScore {
			best, bestScore = d, score
		}
	}
	return best
}

func countOutsideQuotes(line []byte, d byte) int {
	n, quoted := 0, false
	for _, c := range line {
		switch {
		case c == '"':
			quoted = !quoted
		case c == d && !quoted:
			n++
		}
	}
	return n
}

func delimiterName(d rune) string {
	if d == '\t' {
		return "tab"
	}
	return string(d)
}

func (c *csvReader) readHeader() error {
	rec, err := c.r.Read()
	c.row = 1
	if err == io.EOF {
		return &FileError{Reason: "the file is empty", Err: ErrEmpty}
	}
	if err != nil {
		return &FileError{Reason: "the header row cannot be read: " + csvReason(err)}
	}
	header := make([]string, len(rec))
	for i, h := range rec {
		header[i] = strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))
	}
	if err := checkHeader(header); err != nil {
		return err
	}
	c.header = header
	return nil
}

// checkHeader refuses nameless and duplicate columns.
func checkHeader(header []string) error {
	seen := map[string]int{}
	for i, h := range header {
		if h == "" {
			return &FileError{Reason: fmt.Sprintf("column %d of the header has no name", i+1)}
		}
		if j, dup := seen[h]; dup {
			return &FileError{Reason: fmt.Sprintf("columns %d and %d of the header are both named %q", j+1, i+1, h)}
		}
		seen[h] = i
	}
	return nil
}

func (c *csvReader) Header() []string { return c.header }
func (c *csvReader) Row() int64       { return c.row }
func (c *csvReader) Info() FileInfo   { return c.info }
func (c *csvReader) Close() error     { return nil }

// Next returns the next record. A record with a different number of fields
// than the header, bad quoting or (in a UTF-8 file) bytes that are not
// UTF-8 is an *Error; reading may go on after it.
func (c *csvReader) Next() ([]string, error) {
	rec, err := c.r.Read()
	if err == io.EOF {
		return nil, io.EOF
	}
	c.row++
	if err != nil {
		var pe *csv.ParseError
		if !errors.As(err, &pe) {
			return nil, fmt.Errorf("ingest: read: %w", err)
		}
		return nil, &RowError{Row: c.row, Reason: csvReason(err)}
	}
	if len(rec) != len(c.header) {
		if len(rec) < len(c.header) || !allEmpty(rec[len(c.header):]) {
			return nil, &RowError{Row: c.row, Reason: fmt.Sprintf("has %d fields but the header has %d", len(rec), len(c.header))}
		}
		rec = rec[:len(c.header)] // trailing empty fields, as spreadsheets write them
	}
	if c.checkUT {
		for i, v := range rec {
			if !utf8.ValidString(v) {
				return nil, &RowError{Row: c.row, Column: c.header[i], Reason: "is not valid UTF-8 text (the file began as UTF-8: save the whole file in one encoding)"}
			}
		}
	}
	return rec, nil
}

func allEmpty(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// csvReason turns a parse error into a sentence without the package's prefix.
func csvReason(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		switch {
		case errors.Is(pe.Err, csv.ErrBareQuote):
			return fmt.Sprintf("a quote (\") appears inside an unquoted field (line %d, column %d): quote the field and double the quote", pe.Line, pe.Column)
		case errors.Is(pe.Err, csv.ErrQuote):
			return fmt.Sprintf("a quoted field is not closed, or has text after its closing quote (line %d, column %d)", pe.Line, pe.Column)
		}
		return fmt.Sprintf("%v (line %d, column %d)", pe.Err, pe.Line, pe.Column)
	}
	return err.Error()
}
