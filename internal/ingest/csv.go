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
	budget  *budget // between the decoded text and r: bounds one record
	header  []string
	row     int64
	info    FileInfo
	limits  Limits
	checkUT bool // the file was detected as UTF-8: refuse records that are not
	// Files read through a decoder: lines of the raw file that are UTF-8
	// text (GB18030 only), and whether the decoder replaced bad bytes.
	lines   *lineCheck
	decoded bool
	err     error // the *LimitError that ended the reading
}

// csvBuffer is the buffer encoding/csv reads through: large enough that
// refilling it costs little, small against the read budget's slack.
const csvBuffer = 32 << 10

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
	c := &csvReader{info: FileInfo{Format: CSV, Encoding: name}, limits: opts.Limits, checkUT: enc == nil, decoded: enc != nil}
	var src io.Reader = br
	if enc != nil {
		if name == "GB18030" {
			c.lines = newLineCheck(br)
			src = c.lines
		}
		src = transform.NewReader(src, enc.NewDecoder())
		head, _, _ = transform.Bytes(enc.NewDecoder(), head[bom:])
	} else {
		head = head[bom:]
	}
	delim := opts.Delimiter
	if delim == 0 {
		delim = detectDelimiter(head)
	}
	c.info.Delimiter = delimiterName(delim)
	c.budget = &budget{r: src, limit: opts.Limits.MaxRecordBytes + readSlack}
	c.r = csv.NewReader(bufio.NewReaderSize(c.budget, csvBuffer))
	c.r.Comma = delim
	c.r.FieldsPerRecord = -1
	c.r.ReuseRecord = true
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
	case mostlyUTF8(head):
		return nil, "UTF-8", 0, nil
	}
	return simplifiedchinese.GB18030, "GB18030", 0, nil
}

// mostlyUTF8 reports whether head reads as UTF-8: it is valid UTF-8
// (allowing a rune cut at its end), or at least as many of its lines are
// UTF-8 text (with a rune of three or four bytes, as Chinese is) as are
// not valid UTF-8. Lines of GBK text are almost never valid UTF-8 with such
// a rune, so a file of UTF-8 lines with a stray bad byte or a few GBK
// lines is UTF-8, and its bad lines are refused one by one, instead of the
// whole file being decoded as GB18030 into nonsense.
func mostlyUTF8(head []byte) bool {
	if validUTF8Prefix(head) {
		return true
	}
	lines := bytes.Split(head, []byte("\n"))
	if len(head) >= sniffLen && len(lines) > 1 {
		lines = lines[:len(lines)-1] // the last line may be cut
	}
	var text, bad int
	for _, line := range lines {
		switch {
		case !utf8.Valid(line):
			bad++
		case utf8Text(line):
			text++
		}
	}
	return text > 0 && text >= bad
}

// utf8Text reports whether line, valid UTF-8, holds a rune of three or
// four bytes (GBK text read as UTF-8 only ever forms two-byte runes).
func utf8Text(line []byte) bool {
	for _, c := range line {
		if c >= 0xE0 {
			return true
		}
	}
	return false
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
	rec, err := c.read()
	c.row = 1
	if err == io.EOF {
		return &FileError{Reason: "the file is empty", Err: ErrEmpty}
	}
	var le *LimitError
	if errors.As(err, &le) {
		return err
	}
	if err != nil {
		return &FileError{Reason: "the header row cannot be read: " + csvReason(err)}
	}
	if err := checkWidth(len(rec), c.limits); err != nil {
		return err
	}
	if c.lines != nil {
		last, _ := c.r.FieldPos(len(rec) - 1)
		if len(c.lines.claim(1, last+strings.Count(rec[len(rec)-1], "\n"))) > 0 {
			return &FileError{Reason: "the header is UTF-8 text but the file is read as GB18030 (GBK): save the whole file in one encoding"}
		}
	}
	header := make([]string, len(rec))
	for i, h := range rec {
		header[i] = strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))
		if !utf8.ValidString(header[i]) || (c.decoded && strings.Contains(header[i], "\uFFFD")) {
			return &FileError{Reason: fmt.Sprintf("column %d of the header is not %s text: save the whole file in one encoding", i+1, c.info.Encoding)}
		}
	}
	if err := checkHeader(header); err != nil {
		return err
	}
	c.header = header
	return nil
}

// checkWidth refuses a header wider than the limit.
func checkWidth(columns int, lim Limits) error {
	if columns > lim.MaxColumns {
		return &LimitError{Row: 1, Size: int64(columns), Limit: int64(lim.MaxColumns),
			Reason: fmt.Sprintf("the header has %d columns, over the limit of %d", columns, lim.MaxColumns)}
	}
	return nil
}

// checkHeader refuses nameless and duplicate columns. Two names that
// differ only in case, width or spaces ("ID", "id", "ＩＤ") are duplicates
// too: a mapping matches columns to items by the folded name and could
// not tell them apart.
func checkHeader(header []string) error {
	seen := map[string]int{}
	for i, h := range header {
		if h == "" {
			return &FileError{Reason: fmt.Sprintf("column %d of the header has no name", i+1), Code: "header_blank", Args: []any{i + 1}}
		}
		key := normalizeName(h)
		j, dup := seen[key]
		switch {
		case dup && header[j] == h:
			return &FileError{Reason: fmt.Sprintf("columns %d and %d of the header are both named %q", j+1, i+1, h),
				Code: "header_duplicate", Args: []any{j + 1, i + 1, h}}
		case dup:
			return &FileError{Reason: fmt.Sprintf("columns %d (%q) and %d (%q) of the header differ only in case, width or spaces, so they cannot be told apart", j+1, header[j], i+1, h),
				Code: "header_same_name", Args: []any{j + 1, header[j], i + 1, h}}
		}
		seen[key] = i
	}
	return nil
}

func (c *csvReader) Header() []string { return c.header }
func (c *csvReader) Row() int64       { return c.row }
func (c *csvReader) Info() FileInfo   { return c.info }
func (c *csvReader) Close() error     { return nil }

// read reads one record of at most MaxRecordBytes; a longer one is a
// *LimitError for the record after c.row, and ends the reading.
func (c *csvReader) read() ([]string, error) {
	if c.err != nil {
		return nil, c.err
	}
	c.budget.reset()
	start := c.r.InputOffset()
	rec, err := c.r.Read()
	if errors.Is(err, errOverBudget) {
		c.err = recordTooLong(c.row+1, c.limits.MaxRecordBytes, true, c.limits)
	} else if size := c.r.InputOffset() - start; size > c.limits.MaxRecordBytes && err != io.EOF {
		c.err = recordTooLong(c.row+1, size, false, c.limits)
	}
	if c.err != nil {
		return nil, c.err
	}
	return rec, err
}

// Next returns the next record. A record with a different number of fields
// than the header, bad quoting, or text not in the file's encoding is a
// *RowError; reading may go on after it. A record longer than the limit is
// a *LimitError, and ends the reading.
func (c *csvReader) Next() ([]string, error) {
	rec, err := c.read()
	if err == io.EOF {
		return nil, io.EOF
	}
	c.row++
	if err != nil {
		var pe *csv.ParseError
		if !errors.As(err, &pe) {
			var le *LimitError
			if errors.As(err, &le) {
				return nil, err
			}
			return nil, fmt.Errorf("ingest: read: %w", err)
		}
		return nil, &RowError{Row: c.row, Reason: csvReason(err)}
	}
	wrongText := c.wrongText(rec)
	if len(rec) != len(c.header) {
		if len(rec) < len(c.header) || !allEmpty(rec[len(c.header):]) {
			return nil, &RowError{Row: c.row, Reason: fmt.Sprintf("has %d fields but the header has %d", len(rec), len(c.header))}
		}
		rec = rec[:len(c.header)] // trailing empty fields, as spreadsheets write them
	}
	if wrongText != nil {
		return nil, wrongText
	}
	return rec, nil
}

// wrongText finds, in a record, text that is not in the file's encoding:
// bytes that are not UTF-8 in a UTF-8 file; in a decoded file, bytes the
// decoder had to replace, or (GB18030) a line that is UTF-8 text.
func (c *csvReader) wrongText(rec []string) *RowError {
	column := func(i int) string {
		if i < len(c.header) {
			return c.header[i]
		}
		return fmt.Sprintf("%d", i+1)
	}
	if e := c.utf8Lines(rec, column); e != nil {
		return e
	}
	for i, v := range rec {
		switch {
		case c.checkUT && !utf8.ValidString(v):
			return &RowError{Row: c.row, Column: column(i), Value: clip(asGB18030(v)),
				Reason: "is not valid UTF-8 text (the file began as UTF-8: save the whole file in one encoding)"}
		case c.decoded && strings.Contains(v, "\uFFFD"):
			return &RowError{Row: c.row, Column: column(i), Value: clip(v),
				Reason: fmt.Sprintf("holds bytes that are not %s text (shown as \uFFFD): save the whole file in one encoding", c.info.Encoding)}
		}
	}
	return nil
}

// utf8Lines finds, in a file read as GB18030, a record on a line that is
// UTF-8 text, and the field of it: the field that is UTF-8 text once
// encoded back, else the one field on that line.
func (c *csvReader) utf8Lines(rec []string, column func(int) string) *RowError {
	if c.lines == nil || len(c.lines.flagged) == 0 {
		return nil
	}
	first, _ := c.r.FieldPos(0)
	last, _ := c.r.FieldPos(len(rec) - 1)
	lines := c.lines.claim(first, last+strings.Count(rec[len(rec)-1], "\n"))
	if len(lines) == 0 {
		return nil
	}
	e := &RowError{Row: c.row, Value: clip(lines[0].text), Reason: "is UTF-8 text in a file read as GB18030 (GBK): save the whole file in one encoding"}
	for i, v := range rec {
		if raw, err := simplifiedchinese.GB18030.NewEncoder().String(v); err == nil && utf8.ValidString(raw) && utf8Text([]byte(raw)) {
			e.Column, e.Value = column(i), clip(raw)
			return e
		}
	}
	for i := range rec {
		start, _ := c.r.FieldPos(i)
		next := last + 1 + strings.Count(rec[len(rec)-1], "\n")
		if i+1 < len(rec) {
			next, _ = c.r.FieldPos(i + 1)
		}
		if start < lines[0].n && next > lines[0].n { // the field runs over the line
			e.Column = column(i)
		}
	}
	return e
}

// asGB18030 shows text that is not UTF-8 as GB18030 when it reads as that,
// else with its bad bytes replaced by U+FFFD.
func asGB18030(v string) string {
	if s, err := simplifiedchinese.GB18030.NewDecoder().String(v); err == nil && !strings.ContainsRune(s, utf8.RuneError) {
		return s
	}
	return strings.ToValidUTF8(v, "\uFFFD")
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
