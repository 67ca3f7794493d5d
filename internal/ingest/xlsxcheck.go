package ingest

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"strconv"
	"strings"
)

// The XLSX library (excelize) unzips a whole workbook when it opens it:
// sheets and the shared string table larger than xlsxXMLLimit go to
// temporary files, every other part into memory, and it decodes its XML
// parts whole. checkWorkbook sees, before excelize does, that none of this
// can exhaust memory or disk: the zip's declared sizes and ratios first,
// then every XML part as it streams through a scanner that holds nothing.
const (
	xlsxXMLLimit     = 1 << 20  // sheets and shared strings above this are unzipped to disk (a 4 MiB shared string table decoded in memory took 75 MB)
	xlsxMemoryLimit  = 32 << 20 // all the parts excelize keeps in memory
	xlsxMaxDirectory = 4 << 20  // the zip's central directory (about 100 bytes a part)
	xlsxMaxElements  = 200_000  // elements of a part other than a sheet or shared strings
	ratioFloor       = 1 << 20  // parts smaller than this are not checked for ratio
	maxDeclared      = 1 << 62  // declared sizes are clamped to this before adding
	xlsxNameKeep     = 16       // bytes of a tag name kept: enough for "sheetData"
	xlsxAttrKeep     = 256      // bytes of a row's or cell's attributes kept, to find r="..."
	sharedStrings    = "xl/sharedStrings.xml"
	workbookPart     = "xl/workbook.xml"
	workbookRelsPart = "xl/_rels/workbook.xml.rels"
)

// partKind is what the scanner checks in a part.
type partKind int

const (
	otherPart   partKind = iota // element count
	sheetPart                   // rows and cells
	stringsPart                 // shared strings
)

// xlsxPart is a zip entry as excelize names and treats it.
type xlsxPart struct {
	f    *zip.File
	name string
	kind partKind
	temp bool // excelize unzips it to a temporary file
}

func xlsxParts(zr *zip.Reader) []xlsxPart {
	parts := make([]xlsxPart, 0, len(zr.File))
	for _, f := range zr.File {
		p := xlsxPart{f: f, name: strings.ReplaceAll(f.Name, "\\", "/")}
		size := clampSize(f.UncompressedSize64)
		switch {
		case strings.EqualFold(p.name, sharedStrings):
			p.kind, p.temp = stringsPart, size > xlsxXMLLimit
		case strings.HasPrefix(strings.ToLower(p.name), "xl/worksheets/sheet"):
			p.kind, p.temp = sheetPart, size > xlsxXMLLimit && !f.FileInfo().IsDir()
		}
		parts = append(parts, p)
	}
	return parts
}

func clampSize(n uint64) int64 { return int64(min(n, maxDeclared)) }

// checkWorkbook checks the workbook spooled at path (size bytes) against lim.
func checkWorkbook(path string, size int64, lim Limits) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("ingest: xlsx: %w", err)
	}
	defer f.Close()
	if err := checkDirectory(f, size); err != nil {
		return err
	}
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return &FileError{Reason: "the file is not a readable XLSX workbook: " + err.Error()}
	}
	parts := xlsxParts(zr)
	if err := checkDeclared(parts, size, lim); err != nil {
		return err
	}
	names := sheetNames(parts, lim)
	for _, p := range parts {
		if err := scanPart(p, names, lim); err != nil {
			return err
		}
	}
	return nil
}

// checkDirectory bounds the zip's central directory, which archive/zip
// reads whole into memory, from its end record (zip64 too).
func checkDirectory(f io.ReaderAt, size int64) error {
	tail := min(size, 65535+22)
	buf := make([]byte, tail)
	if _, err := f.ReadAt(buf, size-tail); err != nil && err != io.EOF {
		return fmt.Errorf("ingest: xlsx: %w", err)
	}
	i := bytes.LastIndex(buf, []byte("PK\x05\x06"))
	if i < 0 || len(buf)-i < 22 {
		return nil // archive/zip will say the file is not a zip
	}
	end := size - tail + int64(i)
	d := buf[i:]
	dirSize, dirOffset := uint64(binary.LittleEndian.Uint32(d[12:])), uint64(binary.LittleEndian.Uint32(d[16:]))
	if binary.LittleEndian.Uint16(d[10:]) == 0xFFFF || dirSize == 0xFFFFFFFF || dirOffset == 0xFFFFFFFF {
		if z64, ok := zip64End(f, end); ok {
			dirSize, dirOffset = binary.LittleEndian.Uint64(z64[40:]), binary.LittleEndian.Uint64(z64[48:])
		}
	}
	reach := uint64(0) // how much of the file may be read as directory
	if dirOffset < uint64(end) {
		reach = uint64(end) - dirOffset
	}
	if dirSize > xlsxMaxDirectory || reach > xlsxMaxDirectory {
		n := int64(min(max(dirSize, reach), maxDeclared))
		return &LimitError{Part: "the workbook", Size: n, Limit: xlsxMaxDirectory,
			Reason: fmt.Sprintf("its zip directory is %d bytes long, over the limit of %d bytes (too many parts)", n, xlsxMaxDirectory)}
	}
	return nil
}

// zip64End reads the zip64 end of central directory record that the
// locator before the end record at end points to.
func zip64End(f io.ReaderAt, end int64) ([]byte, bool) {
	if end < 20 {
		return nil, false
	}
	loc := make([]byte, 20)
	if _, err := f.ReadAt(loc, end-20); err != nil || !bytes.HasPrefix(loc, []byte("PK\x06\x07")) {
		return nil, false
	}
	at := binary.LittleEndian.Uint64(loc[8:])
	if at > math.MaxInt64-56 {
		return nil, false
	}
	rec := make([]byte, 56)
	if _, err := f.ReadAt(rec, int64(at)); err != nil || !bytes.HasPrefix(rec, []byte("PK\x06\x06")) {
		return nil, false
	}
	return rec, true
}

// checkDeclared checks the parts' declared sizes: all together, their
// ratios, what excelize will hold in memory and write to disk. archive/zip
// refuses a part that decompresses to more than it declares.
func checkDeclared(parts []xlsxPart, spooled int64, lim Limits) error {
	var total, memory int64
	temp := spooled
	for _, p := range parts {
		size := clampSize(p.f.UncompressedSize64)
		total += size
		if total > lim.MaxUnzipBytes {
			return &LimitError{Part: "the workbook", Size: total, Limit: lim.MaxUnzipBytes,
				Reason: fmt.Sprintf("it decompresses to more than %d bytes (by part %s), over the limit of %d bytes", total, p.name, lim.MaxUnzipBytes)}
		}
		if size >= ratioFloor && size/max(1, clampSize(p.f.CompressedSize64)) > lim.MaxRatio {
			ratio := size / max(1, clampSize(p.f.CompressedSize64))
			return &LimitError{Part: "part " + p.name, Size: ratio, Limit: lim.MaxRatio,
				Reason: fmt.Sprintf("it decompresses to %d bytes, %d times its compressed size, over the limit of %d times (a zip bomb?)", size, ratio, lim.MaxRatio)}
		}
		switch {
		case p.temp && p.kind == stringsPart:
			temp += 2 * size // the XML, then the strings excelize indexes
		case p.temp:
			temp += size
		default:
			memory += size
		}
	}
	if memory > xlsxMemoryLimit {
		return &LimitError{Part: "the workbook", Size: memory, Limit: xlsxMemoryLimit,
			Reason: fmt.Sprintf("its parts other than large sheets (styles, pictures, small sheets...) decompress to %d bytes, over the limit of %d bytes", memory, xlsxMemoryLimit)}
	}
	if temp > lim.MaxTempBytes {
		return &LimitError{Part: "the workbook", Size: temp, Limit: lim.MaxTempBytes,
			Reason: fmt.Sprintf("reading it needs %d bytes of temporary disk space, over the limit of %d bytes", temp, lim.MaxTempBytes)}
	}
	return nil
}

// sheetNames maps sheet parts to the names the workbook gives them, for
// messages; it is empty when the workbook cannot say.
func sheetNames(parts []xlsxPart, lim Limits) map[string]string {
	var book struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			ID   string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if !decodePart(parts, workbookPart, &book, lim) || !decodePart(parts, workbookRelsPart, &rels, lim) {
		return nil
	}
	target := map[string]string{}
	for _, r := range rels.Rels {
		t := strings.TrimPrefix(r.Target, "/")
		if !strings.HasPrefix(r.Target, "/") {
			t = path.Join("xl", r.Target)
		}
		target[r.ID] = strings.ToLower(t)
	}
	names := map[string]string{}
	for _, s := range book.Sheets {
		if t, ok := target[s.ID]; ok {
			names[t] = s.Name
		}
	}
	return names
}

// decodePart decodes a small part once it has passed the scanner.
func decodePart(parts []xlsxPart, name string, v any, lim Limits) bool {
	for _, p := range parts {
		if p.name != name {
			continue
		}
		if scanPart(p, nil, lim) != nil {
			return false
		}
		rc, err := p.f.Open()
		if err != nil {
			return false
		}
		defer rc.Close()
		return xml.NewDecoder(io.LimitReader(rc, xlsxMemoryLimit)).Decode(v) == nil
	}
	return false
}

// scanPart streams an XML part through an xmlScan.
func scanPart(p xlsxPart, names map[string]string, lim Limits) error {
	ext := strings.ToLower(path.Ext(p.name))
	if ext != ".xml" && ext != ".rels" && ext != ".vml" {
		return nil
	}
	label := "part " + p.name
	if n, ok := names[strings.ToLower(p.name)]; ok {
		label = "sheet " + n
	}
	rc, err := p.f.Open()
	if err != nil {
		return &FileError{Reason: fmt.Sprintf("the workbook's %s cannot be read: %v", label, err)}
	}
	defer rc.Close()
	s := &xmlScan{kind: p.kind, part: label, lim: lim}
	if _, err := io.Copy(s, rc); err != nil {
		var le *LimitError
		var fe *FileError
		if errors.As(err, &le) || errors.As(err, &fe) {
			return err
		}
		return &FileError{Reason: fmt.Sprintf("the workbook's %s cannot be read: %v", label, err)}
	}
	return s.finish()
}

// lexState is where an xmlScan is in the XML.
type lexState int

const (
	inText    lexState = iota
	inOpen             // just after '<'
	inName             // a tag's name
	inAttrs            // a tag's attributes
	inQuote            // a quoted attribute value
	inBang             // after "<!": a comment, CDATA or a directive
	inComment          // <!-- ... -->
	inCDATA            // <![CDATA[ ... ]]>
	inPI               // <? ... ?>
)

// xmlScan checks an XML part as it is written to it, holding no more than
// a tag's name and a few of its attributes: no token (text, tag, comment)
// longer than MaxRecordBytes, and by kind of part, rows no longer than
// MaxRecordBytes with at most MaxColumns cells, at most MaxCells cells,
// at most MaxSharedStrings strings, or at most xlsxMaxElements elements.
type xmlScan struct {
	kind partKind
	part string
	lim  Limits

	off      int64 // bytes seen
	state    lexState
	tokStart int64
	name     []byte
	attrs    []byte
	closing  bool
	empty    bool // the tag ends "/>"
	quote    byte
	last     [2]byte // the two bytes before this one, for "-->", "]]>", "?>"

	elements        int64
	row             int64 // the row being read, as its r attribute or counted
	rowStart        int64 // -1 outside a row
	cellStart       int64 // -1 outside a cell
	rowCells, cells int64
	cell            string // the cell being read, as its r attribute
	stringsSeen     int64
	err             error
}

func (s *xmlScan) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.off == 0 {
		s.rowStart, s.cellStart = -1, -1
	}
	for i := 0; i < len(p); i++ {
		b := p[i]
		if s.state == inText {
			// Skip the text up to the next tag at once.
			j := bytes.IndexByte(p[i:], '<')
			if j < 0 {
				s.off += int64(len(p) - i)
				break
			}
			i += j
			s.off += int64(j)
			if s.kind != otherPart && s.off-s.tokStart > s.lim.MaxRecordBytes {
				return i, s.fail(s.tooLong("a text"))
			}
			b = '<'
		}
		s.lex(b)
		s.off++
		if s.err != nil {
			return i, s.err
		}
	}
	if s.err == nil {
		s.checkOpen()
	}
	return len(p), s.err
}

// lex takes one byte outside text.
func (s *xmlScan) lex(b byte) {
	switch s.state {
	case inText: // b is '<'
		s.state, s.tokStart = inOpen, s.off
		s.name, s.attrs, s.closing, s.empty = s.name[:0], s.attrs[:0], false, false
	case inOpen:
		switch b {
		case '/':
			s.closing, s.state = true, inName
		case '!':
			s.state = inBang
			s.attrs = s.attrs[:0]
		case '?':
			s.state, s.last = inPI, [2]byte{}
			return
		default:
			s.state = inName
			s.lex(b)
			return
		}
	case inName:
		switch {
		case b == '>':
			s.endTag()
		case b == '/' || b == ' ' || b == '\t' || b == '\r' || b == '\n':
			s.state = inAttrs
			s.empty = b == '/'
		case b == ':':
			s.name = s.name[:0] // keep the local name, as encoding/xml matches it
		case len(s.name) < xlsxNameKeep:
			s.name = append(s.name, b)
		}
	case inAttrs:
		switch b {
		case '>':
			s.endTag()
			return
		case '"', '\'':
			s.state, s.quote = inQuote, b
		}
		s.empty = b == '/'
		s.keepAttr(b)
	case inQuote:
		if b == s.quote {
			s.state = inAttrs
		}
		s.keepAttr(b)
	case inBang:
		s.attrs = append(s.attrs, b)
		switch {
		case string(s.attrs) == "--":
			s.state, s.last = inComment, [2]byte{} // as encoding/xml: "<!-->" does not end it
			return
		case string(s.attrs) == "[CDATA[":
			s.state, s.last = inCDATA, [2]byte{}
			return
		case !strings.HasPrefix("--", string(s.attrs)) && !strings.HasPrefix("[CDATA[", string(s.attrs)):
			s.fail(&FileError{Reason: fmt.Sprintf("the workbook's %s holds an XML directive (<!%s...), which XLSX parts do not", s.part, s.attrs)})
		}
	case inComment:
		if b == '>' && s.last == [2]byte{'-', '-'} {
			s.endToken()
		}
	case inCDATA:
		if b == '>' && s.last == [2]byte{']', ']'} {
			s.endToken()
		}
	case inPI:
		if b == '>' && s.last[1] == '?' {
			s.endToken()
		}
	}
	s.last = [2]byte{s.last[1], b}
}

func (s *xmlScan) keepAttr(b byte) {
	if len(s.attrs) < xlsxAttrKeep {
		s.attrs = append(s.attrs, b)
	}
}

// endToken ends a token (whose '>' is at s.off) that is not a tag.
func (s *xmlScan) endToken() {
	s.checkSpan(s.tokStart, "a comment or CDATA section")
	s.state, s.tokStart = inText, s.off+1
}

// checkSpan fails when what began at start (a token, cell or row) is
// longer than the limit at s.off. Parts other than sheets and shared
// strings are bounded by the memory limit instead.
func (s *xmlScan) checkSpan(start int64, token string) {
	if s.kind != otherPart && start >= 0 && s.off+1-start > s.lim.MaxRecordBytes {
		s.fail(s.tooLong(token))
	}
}

// endTag acts on a start or end tag whose '>' is at s.off.
func (s *xmlScan) endTag() {
	s.checkSpan(s.tokStart, "a tag")
	tagStart := s.tokStart
	s.state, s.tokStart = inText, s.off+1
	if s.err != nil {
		return
	}
	name := s.name
	if i := bytes.IndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	s.elements++
	switch s.kind {
	case otherPart:
		if !s.closing && s.elements > xlsxMaxElements {
			s.fail(&LimitError{Part: s.part, Size: s.elements, Limit: xlsxMaxElements,
				Reason: fmt.Sprintf("it has more than %d XML elements, over the limit", xlsxMaxElements)})
		}
	case sheetPart:
		s.sheetTag(string(name), tagStart)
	case stringsPart:
		if string(name) == "si" && !s.closing {
			s.stringsSeen++
			if s.stringsSeen > s.lim.MaxSharedStrings {
				s.fail(&LimitError{Part: s.part, Size: s.stringsSeen, Limit: s.lim.MaxSharedStrings,
					Reason: fmt.Sprintf("the shared string table has more than %d strings, over the limit", s.lim.MaxSharedStrings)})
			}
			if !s.empty {
				s.cellStart = tagStart
			}
		} else if string(name) == "si" {
			s.checkSpan(s.cellStart, "")
			s.cellStart = -1
		}
	}
}

// sheetTag follows rows and cells; the tag began at start.
func (s *xmlScan) sheetTag(name string, start int64) {
	switch {
	case name == "row" && !s.closing:
		if r, err := strconv.ParseInt(attrValue(s.attrs, "r"), 10, 64); err == nil && r > 0 {
			s.row = r
		} else {
			s.row++
		}
		s.rowCells = 0
		if !s.empty {
			s.rowStart = start
		}
	case name == "row":
		s.checkSpan(s.rowStart, "")
		s.rowStart = -1
	case name == "c" && !s.closing:
		s.rowCells++
		s.cells++
		s.cell = attrValue(s.attrs, "r")
		if !s.empty {
			s.cellStart = start
		}
		switch {
		case s.rowCells > int64(s.lim.MaxColumns):
			s.fail(s.at(&LimitError{Size: s.rowCells, Limit: int64(s.lim.MaxColumns),
				Reason: fmt.Sprintf("the row has more than %d cells, over the limit", s.lim.MaxColumns)}))
		case s.cells > s.lim.MaxCells:
			s.fail(s.at(&LimitError{Size: s.cells, Limit: s.lim.MaxCells,
				Reason: fmt.Sprintf("the sheet has more than %d cells, over the limit", s.lim.MaxCells)}))
		}
	case name == "c":
		s.checkSpan(s.cellStart, "")
		s.cellStart = -1
	}
}

// checkOpen checks the token, row and cell being read at the end of a write.
func (s *xmlScan) checkOpen() {
	s.off-- // checkSpan measures up to s.off inclusive
	defer func() { s.off++ }()
	token := "a tag or comment"
	if s.state == inText {
		token = "a text"
	}
	s.checkSpan(s.tokStart, token)
	s.checkSpan(s.cellStart, "")
	s.checkSpan(s.rowStart, "")
}

// tooLong is the error for a token longer than the limit, named by the
// cell or row it is part of, if any.
func (s *xmlScan) tooLong(token string) *LimitError {
	what := token
	switch {
	case s.cellStart >= 0 && s.kind == stringsPart:
		what = fmt.Sprintf("shared string %d", s.stringsSeen-1)
	case s.cellStart >= 0:
		what = "the cell"
	case s.rowStart >= 0:
		what = "the row"
	}
	return s.at(&LimitError{Size: s.lim.MaxRecordBytes, Limit: s.lim.MaxRecordBytes,
		Reason: fmt.Sprintf("%s is more than %d bytes of XML, over the limit", what, s.lim.MaxRecordBytes)})
}

// at locates e in the part, row and cell being read.
func (s *xmlScan) at(e *LimitError) *LimitError {
	e.Part = s.part
	if s.kind == sheetPart && s.rowStart >= 0 {
		e.Row = s.row
		if s.cellStart >= 0 {
			e.Column = strings.TrimRight(s.cell, "0123456789")
		}
	}
	return e
}

func (s *xmlScan) fail(err error) error {
	if s.err == nil {
		s.err = err
	}
	return s.err
}

// finish checks the end of the part.
func (s *xmlScan) finish() error {
	if s.err == nil && s.off > 0 {
		s.checkOpen()
	}
	return s.err
}

// attrValue finds attribute name (by local name) in a tag's attributes.
func attrValue(attrs []byte, name string) string {
	for len(attrs) > 0 {
		attrs = bytes.TrimLeft(attrs, " \t\r\n/")
		eq := bytes.IndexByte(attrs, '=')
		if eq < 0 {
			return ""
		}
		key := bytes.TrimSpace(attrs[:eq])
		if i := bytes.IndexByte(key, ':'); i >= 0 {
			key = key[i+1:]
		}
		rest := bytes.TrimLeft(attrs[eq+1:], " \t\r\n")
		if len(rest) == 0 || (rest[0] != '"' && rest[0] != '\'') {
			return ""
		}
		end := bytes.IndexByte(rest[1:], rest[0])
		if end < 0 {
			return ""
		}
		if string(key) == name {
			return string(rest[1 : 1+end])
		}
		attrs = rest[2+end:]
	}
	return ""
}
