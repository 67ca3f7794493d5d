package ingest

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"dataport/internal/catalog"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/width"
)

// Mapping maps a file's columns to a resource's items and converts values.
// Converted values are int64 (integer), float64 (decimal), string (text and
// code: the code, even when the file holds its label), bool, time.Time
// (date at midnight UTC; datetime as Beijing wall-clock time in UTC), or nil
// for an empty value.
type Mapping struct {
	Items    []catalog.Item
	Header   []string
	Column   []int    // Column[i] is the file column of Items[i], or -1
	Unused   []string // file columns that match no item (ignored)
	serials  bool
	inferred bool                // values are read as inference reads them (AsInferred)
	codes    []map[string]string // per item: code or label → code
	textOnly []bool
}

// NewMapping matches header to items by item name (case-insensitive) or by
// Chinese label. A required item without a column is a *FileError.
func NewMapping(header []string, items []catalog.Item, info FileInfo) (*Mapping, error) {
	m := &Mapping{Items: items, Header: header, Column: make([]int, len(items)), serials: info.ExcelSerials,
		codes: make([]map[string]string, len(items))}
	byName := map[string]int{}
	for j, h := range header {
		byName[normalizeName(h)] = j
	}
	used := make([]bool, len(header))
	var missing []string
	for i, it := range items {
		m.Column[i] = -1
		for _, key := range []string{normalizeName(it.Name), normalizeName(it.LabelZh)} {
			if j, ok := byName[key]; ok && key != "" && !used[j] {
				m.Column[i], used[j] = j, true
				break
			}
		}
		if m.Column[i] < 0 && it.Required {
			missing = append(missing, fmt.Sprintf("%s (%s)", it.Name, it.LabelZh))
		}
		if it.Type == catalog.TypeCode {
			m.codes[i] = map[string]string{}
			for _, c := range it.CodeList {
				m.codes[i][strings.TrimSpace(c.Label)] = c.Code
			}
			for _, c := range it.CodeList {
				m.codes[i][c.Code] = c.Code // a code wins over a label spelled the same
			}
		}
	}
	if len(missing) > 0 {
		return nil, &FileError{Reason: "no column for required item(s) " + strings.Join(missing, ", ") +
			": name the columns by item name or Chinese label"}
	}
	for j, h := range header {
		if !used[j] {
			m.Unused = append(m.Unused, h)
		}
	}
	return m, nil
}

// AsInferred makes the mapping refuse every value that its item's type
// would not have been inferred from (see Fits): a number with a leading
// zero, a boolean written other than true/false or 是/否, a spreadsheet
// serial for a date. A load into items inferred from a sample of its file
// so finds each later value that breaks the guess, instead of storing
// "007" as 7.
func (m *Mapping) AsInferred() {
	m.inferred, m.serials = true, false
}

// normalizeName folds case, full-width forms and spaces so that "出生 日期",
// "出生日期" and "ＩＤ" match their items.
func normalizeName(s string) string {
	s = width.Fold.String(strings.TrimSpace(s))
	return strings.ToLower(strings.Join(strings.Fields(s), ""))
}

// Convert converts rec (one file record) into out (one value per item),
// appending an Error for every refused value to errs.
func (m *Mapping) Convert(row int64, rec []string, out []any, errs []RowError) []RowError {
	for i, it := range m.Items {
		j := m.Column[i]
		if j < 0 {
			out[i] = nil
			continue
		}
		raw := rec[j]
		v, reason := m.value(i, it, raw)
		if reason != "" {
			errs = append(errs, RowError{Row: row, Column: m.Header[j], Value: clip(raw), Reason: reason})
			out[i] = nil
			continue
		}
		out[i] = v
	}
	return errs
}

func clip(s string) string {
	if utf8.RuneCountInString(s) <= 200 {
		return s
	}
	r := []rune(s)
	return string(r[:200]) + "…"
}

// value converts one value of item it; reason is "" when it is acceptable.
func (m *Mapping) value(i int, it catalog.Item, raw string) (any, string) {
	s := strings.TrimSpace(raw)
	if s == "" {
		if it.Required {
			return nil, "is empty but the item is required"
		}
		return nil, ""
	}
	switch it.Type {
	case catalog.TypeInteger:
		if m.inferred && leadingZero(s) {
			return nil, "starts with 0, as codes do: not an integer"
		}
		return parseInteger(s, it)
	case catalog.TypeDecimal:
		if m.inferred && leadingZero(s) {
			return nil, "starts with 0, as codes do: not a number"
		}
		return parseDecimal(s, it)
	case catalog.TypeDate:
		return parseDate(s, m.serials)
	case catalog.TypeDatetime:
		return parseDatetime(s, m.serials)
	case catalog.TypeBoolean:
		if m.inferred && !inferredBool(s) {
			return nil, "is not a boolean written true/false or 是/否"
		}
		return parseBool(s)
	case catalog.TypeCode:
		if c, ok := m.codes[i][s]; ok {
			return c, ""
		}
		return nil, "is not in the item's code list"
	}
	if it.Length > 0 && utf8.RuneCountInString(s) > it.Length {
		return nil, fmt.Sprintf("is longer than %d characters", it.Length)
	}
	return s, ""
}

func parseInteger(s string, it catalog.Item) (any, string) {
	s = narrow(s)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		if f, ferr := strconv.ParseFloat(s, 64); ferr == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			n = int64(f) // "12.0", as spreadsheets write whole numbers
		} else {
			return nil, "is not an integer"
		}
	}
	if it.Length > 0 && len(strconv.FormatInt(abs(n), 10)) > it.Length {
		return nil, fmt.Sprintf("has more than %d digits", it.Length)
	}
	return n, ""
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// isDecimal reports whether s is written as [+-]digits[.digits][e[+-]digits]
// (no "Inf", "NaN", hex or underscores, which ParseFloat would accept).
func isDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

func parseDecimal(s string, it catalog.Item) (any, string) {
	s = narrow(s)
	if !isDecimal(s) {
		return nil, "is not a number"
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return nil, "is not a number"
	}
	if it.Precision > 0 && !strings.ContainsAny(s, "eE") {
		if _, frac, ok := strings.Cut(s, "."); ok && len(frac) > it.Precision {
			return nil, fmt.Sprintf("has more than %d decimal places", it.Precision)
		}
	}
	return f, ""
}

var dateLayouts = []string{"2006-01-02", "2006/01/02", "20060102", "2006-1-2", "2006/1/2", "2006.01.02", "2006.1.2", "2006年1月2日"}

func parseDate(s string, serials bool) (any, string) {
	s = narrow(s)
	if t, ok := fastDate(s); ok {
		return t, ""
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, ""
		}
	}
	if t, ok := excelSerial(s, serials); ok {
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), ""
	}
	return nil, "is not a date (write it as YYYY-MM-DD)"
}

// beijing is the zone of wall-clock datetimes.
var beijing = time.FixedZone("CST", 8*3600)

var datetimeLayouts = []string{"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02T15:04",
	"2006/01/02 15:04:05", "2006/01/02 15:04", "2006/1/2 15:04:05", "2006/1/2 15:04", "2006-1-2 15:04:05", "2006-1-2 15:04",
	"2006年1月2日 15:04:05", "2006年1月2日 15:04", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"}

func parseDatetime(s string, serials bool) (any, string) {
	s = narrow(s)
	if len(s) == 19 && (s[10] == ' ' || s[10] == 'T') && s[13] == ':' && s[16] == ':' {
		if d, ok := fastDate(s[:10]); ok {
			h, m, sec, ok := digits2(s[11:13]), digits2(s[14:16]), digits2(s[17:19]), true
			if ok = h >= 0 && h < 24 && m >= 0 && m < 60 && sec >= 0 && sec < 60; ok {
				return d.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second), ""
			}
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		wall := t.In(beijing)
		return time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), wall.Nanosecond()/1000*1000, time.UTC), ""
	}
	for _, layout := range datetimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Truncate(time.Microsecond), ""
		}
	}
	if t, ok := excelSerial(s, serials); ok {
		return t.Round(time.Second), ""
	}
	if v, reason := parseDate(s, false); reason == "" {
		return v, "" // a date alone is midnight
	}
	return nil, "is not a date and time (write it as YYYY-MM-DD hh:mm:ss)"
}

// excelSerial reads a spreadsheet date serial (days since 1899-12-30).
func excelSerial(s string, serials bool) (time.Time, bool) {
	if !serials {
		return time.Time{}, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 1 || f > 2958465 {
		return time.Time{}, false
	}
	t, err := excelize.ExcelDateToTime(f, false)
	return t.UTC(), err == nil
}

func parseBool(s string) (any, string) {
	switch s { // the common spellings, without narrowing or folding a copy
	case "是", "true":
		return true, ""
	case "否", "false":
		return false, ""
	}
	switch strings.ToLower(narrow(s)) {
	case "true", "t", "yes", "y", "1", "是", "真", "√":
		return true, ""
	case "false", "f", "no", "n", "0", "否", "假", "×":
		return false, ""
	}
	return nil, "is not a boolean (use 是/否, true/false or 1/0)"
}

// FormatValue writes a converted value as text, as exports and CSV show it.
func FormatValue(t catalog.ItemType, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		if t == catalog.TypeDate {
			return x.Format("2006-01-02")
		}
		if x.Nanosecond() != 0 {
			return x.Format("2006-01-02 15:04:05.999999")
		}
		return x.Format("2006-01-02 15:04:05")
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// narrow turns full-width digits and letters into ASCII (ASCII input is returned as is).
func narrow(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return width.Narrow.String(s)
		}
	}
	return s
}

// fastDate parses YYYY-MM-DD without time.Parse, the common case of big files.
func fastDate(s string) (time.Time, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	c, yy, m, d := digits2(s[0:2]), digits2(s[2:4]), digits2(s[5:7]), digits2(s[8:10])
	if c < 0 || yy < 0 || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	y := c*100 + yy
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d { // 2024-02-30 rolls over: not a date
		return time.Time{}, false
	}
	return t, true
}

// digits2 reads two ASCII digits, or returns -1.
func digits2(s string) int {
	if len(s) != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return -1
	}
	return int(s[0]-'0')*10 + int(s[1]-'0')
}
