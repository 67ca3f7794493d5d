package datastore

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/identity"

	"github.com/parquet-go/parquet-go"
	"github.com/xuri/excelize/v2"
)

// ExportFormats are the formats rows export to, with their media types.
var ExportFormats = map[string]string{
	"csv":     "text/csv; charset=utf-8",
	"json":    "application/json",
	"xlsx":    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"parquet": "application/vnd.apache.parquet",
	"geojson": "application/geo+json", // rows with a place only (Export.CanWrite)
}

// Export is a decided download of a resource's current rows, ready to
// stream once.
type Export struct {
	s    *Service
	p    *plan
	Code string // the resource's catalog code, for the file name
	Rows int64  // rows in the version (before filters)
	// Truncated is true when the grant's rows per request or what is left
	// of its total row quota cut the export: more rows matched than it
	// holds. The rows API says so in the Dataport-Quota-Truncated header.
	Truncated bool

	limit int64 // rows served at most; unlimited when noLimit
	done  atomic.Bool
}

// noLimit is an export's limit when no quota applies.
const noLimit = math.MaxInt64

// PrepareExport asks the access decision point (action download, through
// channel, access.ChannelAPIExport when none is given) and checks the query, so that a denial or a bad
// query is reported before anything is written. Limit, offset and cursor
// of q are ignored: exports hold every matching row the decision allows.
// Under a grant's row quota the rows are reserved here: the caller MUST
// call WriteTo or Close once.
func (s *Service) PrepareExport(ctx context.Context, actor identity.Principal, resourceID string, channel access.Channel, q Query) (*Export, error) {
	if channel == "" {
		channel = access.ChannelAPIExport
	}
	p, err := s.newPlan(ctx, actor, resourceID, access.ActionDownload, channel, q, func(v DataVersion) int64 { return v.Rows })
	if err != nil {
		return nil, err
	}
	e := &Export{s: s, p: p, Code: p.res.Code, Rows: p.v.Rows, limit: p.decision.RowLimit(noLimit)}
	if e.limit < noLimit && e.limit < p.v.Rows {
		// Is there a row past the cap? Asked now, so the header can say so.
		err := s.each(ctx, p, nil, 1, int(e.limit), func(int64, []any) error { e.Truncated = true; return errStop })
		if err != nil {
			e.Close(ctx)
			return nil, err
		}
	}
	return e, nil
}

// Close releases the export's reservation of rows when WriteTo was not
// called; after WriteTo it does nothing.
func (e *Export) Close(ctx context.Context) {
	if e.done.CompareAndSwap(false, true) {
		e.s.recordRows(ctx, e.p.decision, 0)
	}
}

// Version is the version being exported.
func (e *Export) Version() int { return e.p.v.Version }

// WriteTo streams the rows to w in format; bom starts a CSV with a UTF-8
// byte order mark so that Excel reads it as UTF-8. Memory stays flat
// except for XLSX, which excelize buffers on disk past a threshold.
// It stops at the decision's row limit and counts the rows it wrote, also
// when it fails midway. An export is written once: a second call fails.
func (e *Export) WriteTo(ctx context.Context, w io.Writer, format string, bom bool) error {
	if !e.done.CompareAndSwap(false, true) {
		return errors.New("datastore: an export is written once; prepare another")
	}
	if _, ok := ExportFormats[format]; !ok {
		e.s.recordRows(ctx, e.p.decision, 0)
		return fmt.Errorf("datastore: unknown export format %q", format)
	}
	if err := e.CanWrite(format); err != nil {
		e.s.recordRows(ctx, e.p.decision, 0)
		return err
	}
	items := e.items()
	var served int64
	defer func() { e.s.recordRows(ctx, e.p.decision, served) }()
	each := func(fn func(vals []any) error) error {
		limit := 0 // each's "no limit"
		switch {
		case e.limit <= 0:
			return nil
		case e.limit < noLimit:
			limit = int(e.limit)
		}
		row := make([]any, len(items))
		return e.s.each(ctx, e.p, nil, limit, 0, func(_ int64, vals []any) error {
			for k, i := range e.p.out {
				row[k] = vals[i]
			}
			served++
			return fn(row)
		})
	}
	switch format {
	case "csv":
		return writeCSV(w, items, bom, each)
	case "json":
		return writeJSON(w, items, each)
	case "xlsx":
		return writeXLSX(w, items, each)
	case "parquet":
		return writeParquet(w, items, each)
	case "geojson":
		return writeGeoJSON(w, items, each)
	}
	panic("unreachable: format checked above")
}

// items are the exported items, in order.
func (e *Export) items() []catalog.Item {
	items := make([]catalog.Item, len(e.p.out))
	for k, i := range e.p.out {
		items[k] = e.p.items[i]
	}
	return items
}

type eachFunc func(fn func(vals []any) error) error

// csvCell writes a served value as a CSV field that no spreadsheet runs as
// a formula (CWE-1236, as OWASP's "CSV Injection" advises): text whose
// first character other than white space is =, +, -, @, or that begins
// with a tab or a carriage return, gets a leading single quote, which spreadsheets show as text.
// Numbers and booleans are written as they are, so a negative decimal stays
// -3.5; only text values (items of type text and code, and any item served
// as text by a de-identification profile) are neutralised.
func csvCell(v any) string {
	s, ok := v.(string)
	if !ok {
		return CellText(v)
	}
	for _, r := range s {
		switch {
		case strings.ContainsRune("=+-@\t\r", r):
			return "'" + s
		case !unicode.IsSpace(r):
			return s
		}
	}
	return s
}

// CSVCell is csvCell for the platform's other CSV exports (the statistics):
// one rule for what a spreadsheet must not run as a formula.
func CSVCell(v any) string { return csvCell(v) }

// CellText writes a served value as text: "" for null, numbers without
// exponent, other values as fmt prints them.
func CellText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

func writeCSV(w io.Writer, items []catalog.Item, bom bool, each eachFunc) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	if bom {
		bw.WriteString("\uFEFF")
	}
	cw := csv.NewWriter(bw)
	header := make([]string, len(items))
	for i, it := range items {
		header[i] = it.Name
	}
	cw.Write(header)
	rec := make([]string, len(items))
	err := each(func(vals []any) error {
		for i, v := range vals {
			rec[i] = csvCell(v)
		}
		return cw.Write(rec)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

func writeJSON(w io.Writer, items []catalog.Item, each eachFunc) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString("[")
	first := true
	err := each(func(vals []any) error {
		if !first {
			bw.WriteString(",")
		}
		first = false
		bw.WriteString("\n{")
		for i, it := range items {
			if i > 0 {
				bw.WriteString(",")
			}
			k, _ := json.Marshal(it.Name)
			v, err := json.Marshal(vals[i])
			if err != nil {
				return err
			}
			bw.Write(k)
			bw.WriteString(":")
			bw.Write(v)
		}
		bw.WriteString("}")
		return nil
	})
	if err != nil {
		return err
	}
	bw.WriteString("\n]\n")
	return bw.Flush()
}

// xlsxMaxRows is a worksheet's row limit less the header.
const xlsxMaxRows = 1048575

func writeXLSX(w io.Writer, items []catalog.Item, each eachFunc) error {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	header := make([]any, len(items))
	for i, it := range items {
		header[i] = it.LabelZh
	}
	if err := sw.SetRow("A1", header); err != nil {
		return err
	}
	n := 1
	row := make([]any, len(items))
	err = each(func(vals []any) error {
		if n > xlsxMaxRows {
			return fmt.Errorf("datastore: more than %d rows do not fit in an XLSX sheet; export CSV or Parquet", xlsxMaxRows)
		}
		n++
		copy(row, vals)
		cell, _ := excelize.CoordinatesToCellName(1, n)
		return sw.SetRow(cell, row)
	})
	if err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}

func writeParquet(w io.Writer, items []catalog.Item, each eachFunc) error {
	group := parquet.Group{}
	for _, it := range items {
		var node parquet.Node
		switch it.Type {
		case catalog.TypeInteger:
			node = parquet.Int(64)
		case catalog.TypeDecimal:
			node = parquet.Leaf(parquet.DoubleType)
		case catalog.TypeBoolean:
			node = parquet.Leaf(parquet.BooleanType)
		case catalog.TypeDate:
			node = parquet.Date()
		case catalog.TypeDatetime:
			node = parquet.Timestamp(parquet.Microsecond)
		default:
			node = parquet.String()
		}
		group[it.Name] = parquet.Optional(node)
	}
	schema := parquet.NewSchema("row", group)
	index := make([]int, len(items))
	for i, it := range items {
		leaf, _ := schema.Lookup(it.Name)
		index[i] = leaf.ColumnIndex
	}
	pw := parquet.NewWriter(w, schema)
	buf := make([]parquet.Row, 0, 1024)
	flush := func() error {
		if _, err := pw.WriteRows(buf); err != nil {
			return err
		}
		buf = buf[:0]
		return nil
	}
	err := each(func(vals []any) error {
		row := make(parquet.Row, len(schema.Columns()))
		for i, v := range vals {
			row[index[i]] = parquetValue(items[i].Type, v).Level(0, defLevel(v), index[i])
		}
		buf = append(buf, row)
		if len(buf) == cap(buf) {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return err
	}
	return pw.Close()
}

func defLevel(v any) int {
	if v == nil {
		return 0
	}
	return 1
}

func parquetValue(t catalog.ItemType, v any) parquet.Value {
	if v == nil {
		return parquet.NullValue()
	}
	switch t {
	case catalog.TypeDate:
		if d, err := time.Parse("2006-01-02", v.(string)); err == nil {
			return parquet.Int32Value(int32(d.Unix() / 86400))
		}
	case catalog.TypeDatetime:
		if d, err := time.Parse("2006-01-02T15:04:05.999999", v.(string)); err == nil {
			return parquet.Int64Value(d.UnixMicro())
		}
	case catalog.TypeText, catalog.TypeCode:
		return parquet.ByteArrayValue([]byte(v.(string)))
	}
	switch x := v.(type) {
	case int64:
		return parquet.Int64Value(x)
	case float64:
		return parquet.DoubleValue(x)
	case bool:
		return parquet.BooleanValue(x)
	case string:
		return parquet.ByteArrayValue([]byte(x))
	}
	return parquet.ByteArrayValue([]byte(strconv.Quote(fmt.Sprint(v))))
}
