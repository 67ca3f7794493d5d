// Package ingesttest builds XLSX workbooks part by part for tests of the
// readers' limits: small hand-made ones, malformed ones, and zip bombs.
package ingesttest

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"io"
	"strings"
)

// Part is one zip entry of a workbook.
type Part struct {
	Name string
	Data string
}

// SheetXML wraps rows (<row> elements) in a worksheet.
func SheetXML(rows string) string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + rows + `</sheetData></worksheet>`
}

// Row is a <row> of inline-string cells A, B, ... holding values.
func Row(n int, values ...string) string {
	var b strings.Builder
	b.WriteString(`<row r="` + itoa(n) + `">`)
	for i, v := range values {
		b.WriteString(`<c r="` + string(rune('A'+i)) + itoa(n) + `" t="inlineStr"><is><t>` + v + `</t></is></c>`)
	}
	b.WriteString(`</row>`)
	return b.String()
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for ; n > 0; n /= 10 {
		d = append([]byte{byte('0' + n%10)}, d...)
	}
	return string(d)
}

// Workbook returns the parts of a workbook with one sheet, 数据, whose
// XML is sheet, plus extra parts (which replace a part of the same name).
func Workbook(sheet string, extra ...Part) []Part {
	parts := []Part{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
			`<Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
			`</Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>` +
			`</Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
			`<sheets><sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>` +
			`</Relationships>`},
		{"xl/worksheets/sheet1.xml", sheet},
	}
	for _, e := range extra {
		replaced := false
		for i := range parts {
			if parts[i].Name == e.Name {
				parts[i], replaced = e, true
			}
		}
		if !replaced {
			parts = append(parts, e)
		}
	}
	return parts
}

// Zip writes parts as a zip archive, deflated.
func Zip(parts []Part) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range parts {
		w, err := zw.Create(p.Name)
		if err != nil {
			panic(err)
		}
		io.WriteString(w, p.Data)
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// Bomb writes to w a workbook whose sheets (sheets of them, the first named
// 数据) each decompress to about size bytes of XML: one row of the same
// inline-string cell repeated, without cell references, as a zip bomb has
// it. The sheet is compressed once and stored under each sheet's name, so
// building a bomb of gigabytes takes seconds and a few megabytes of memory.
func Bomb(w io.Writer, sheets int, size int64) error {
	head := SheetXML("")
	open, close := head[:strings.Index(head, "</sheetData>")]+`<row r="1">`, `</row></sheetData></worksheet>`
	cell := []byte(`<c t="inlineStr"><is><t>炸弹</t></is></c>`)
	chunk := bytes.Repeat(cell, 64<<10/len(cell))
	var comp bytes.Buffer
	fw, err := flate.NewWriter(&comp, flate.DefaultCompression)
	if err != nil {
		return err
	}
	crc := crc32.NewIEEE()
	out := io.MultiWriter(fw, crc)
	n, _ := io.WriteString(out, open)
	total := int64(n)
	for total < size {
		m, _ := out.Write(chunk)
		total += int64(m)
	}
	n, _ = io.WriteString(out, close)
	total += int64(n)
	if err := fw.Close(); err != nil {
		return err
	}
	parts := Workbook("")
	zw := zip.NewWriter(w)
	for _, p := range parts[:4] {
		if p.Name == "xl/workbook.xml" || p.Name == "xl/_rels/workbook.xml.rels" || p.Name == "[Content_Types].xml" {
			p.Data = manySheets(p.Name, p.Data, sheets)
		}
		pw, err := zw.Create(p.Name)
		if err != nil {
			return err
		}
		io.WriteString(pw, p.Data)
	}
	for i := 1; i <= sheets; i++ {
		hdr := &zip.FileHeader{Name: "xl/worksheets/sheet" + itoa(i) + ".xml", Method: zip.Deflate, CRC32: crc.Sum32(),
			CompressedSize64: uint64(comp.Len()), UncompressedSize64: uint64(total)}
		pw, err := zw.CreateRaw(hdr)
		if err != nil {
			return err
		}
		if _, err := pw.Write(comp.Bytes()); err != nil {
			return err
		}
	}
	return zw.Close()
}

// manySheets rewrites the workbook's parts to name sheets 1..n.
func manySheets(name, data string, n int) string {
	var add strings.Builder
	for i := 2; i <= n; i++ {
		s := itoa(i)
		switch name {
		case "xl/workbook.xml":
			add.WriteString(`<sheet name="Sheet` + s + `" sheetId="` + s + `" r:id="rIdS` + s + `"/>`)
		case "xl/_rels/workbook.xml.rels":
			add.WriteString(`<Relationship Id="rIdS` + s + `" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet` + s + `.xml"/>`)
		case "[Content_Types].xml":
			add.WriteString(`<Override PartName="/xl/worksheets/sheet` + s + `.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`)
		}
	}
	for _, end := range []string{"</sheets>", "</Relationships>", "</Types>"} {
		if i := strings.LastIndex(data, end); i >= 0 {
			return data[:i] + add.String() + data[i:]
		}
	}
	return data
}
