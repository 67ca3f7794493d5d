package ingest

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode"

	"dataport/internal/catalog"
)

// Inference guesses the items of a file from all of its values, so that a
// value far down the file cannot break the guess (CKAN's loaders guess from
// the first rows and fail later).
type Inference struct {
	header []string
	cols   []columnGuess
	rows   int64
}

// columnGuess tracks which types every non-empty value of a column fits.
type columnGuess struct {
	nonEmpty, empty                           int64
	integer, decimal, date, datetime, boolean bool
	maxLen                                    int
}

// NewInference starts guessing the items of a file with header.
func NewInference(header []string) *Inference {
	inf := &Inference{header: header, cols: make([]columnGuess, len(header))}
	for i := range inf.cols {
		inf.cols[i] = columnGuess{integer: true, decimal: true, date: true, datetime: true, boolean: true}
	}
	return inf
}

// Add takes one record into account.
func (inf *Inference) Add(rec []string) {
	inf.rows++
	for i, raw := range rec {
		if i >= len(inf.cols) {
			break
		}
		inf.cols[i].add(strings.TrimSpace(raw))
	}
}

func (g *columnGuess) add(s string) {
	if s == "" {
		g.empty++
		return
	}
	g.nonEmpty++
	if n := len([]rune(s)); n > g.maxLen {
		g.maxLen = n
	}
	g.integer = g.integer && Fits(catalog.TypeInteger, s)
	g.decimal = g.decimal && Fits(catalog.TypeDecimal, s)
	g.date = g.date && Fits(catalog.TypeDate, s)
	g.datetime = g.datetime && Fits(catalog.TypeDatetime, s)
	g.boolean = g.boolean && Fits(catalog.TypeBoolean, s)
}

// Fits reports whether s, a trimmed non-empty value, is a value of type t
// as inference reads values: numbers without leading zeros (those mark
// codes: 区划代码, phone numbers), booleans written true/false or 是/否,
// dates and datetimes as text (not spreadsheet serials). Every value fits
// text.
func Fits(t catalog.ItemType, s string) bool {
	var reason string
	switch t {
	case catalog.TypeInteger:
		_, reason = parseInteger(s, catalog.Item{})
		return reason == "" && !leadingZero(s)
	case catalog.TypeDecimal:
		_, reason = parseDecimal(s, catalog.Item{})
		return reason == "" && !leadingZero(s)
	case catalog.TypeDate:
		_, reason = parseDate(s, false)
	case catalog.TypeDatetime:
		_, reason = parseDatetime(s, false)
	case catalog.TypeBoolean:
		return inferredBool(s)
	case catalog.TypeText:
	default:
		return false
	}
	return reason == ""
}

// inferredBool says whether s is one of the boolean spellings inference
// takes (parseBool takes more, but "1" or "y" alone make no boolean column).
func inferredBool(s string) bool {
	switch s {
	case "是", "否", "true", "false":
		return true
	}
	switch strings.ToLower(s) {
	case "true", "false", "是", "否":
		return true
	}
	return false
}

func leadingZero(s string) bool {
	s = strings.TrimLeft(s, "+-")
	return len(s) > 1 && s[0] == '0' && s[1] != '.'
}

// Items returns the guessed items: names from ASCII headers (or col_N),
// Chinese labels from the header, types from the values, and required
// where no value is empty.
func (inf *Inference) Items() []catalog.Item {
	items := make([]catalog.Item, len(inf.header))
	// A mapping matches an item by name before label, so no item may be
	// named as another column is headed: "ａ" (col_1) beside "col_1".
	used := map[string]bool{}
	for _, h := range inf.header {
		used[normalizeName(h)] = true
	}
	for i, h := range inf.header {
		g := inf.cols[i]
		delete(used, normalizeName(h))
		it := catalog.Item{Name: itemName(h, i, used), LabelZh: h, Required: g.empty == 0 && g.nonEmpty > 0}
		switch {
		case g.nonEmpty == 0:
			it.Type = catalog.TypeText
		case g.boolean:
			it.Type = catalog.TypeBoolean
		case g.integer:
			it.Type = catalog.TypeInteger
		case g.decimal:
			it.Type = catalog.TypeDecimal
		case g.date:
			it.Type = catalog.TypeDate
		case g.datetime:
			it.Type = catalog.TypeDatetime
		default:
			it.Type = catalog.TypeText
		}
		items[i] = it
	}
	return items
}

// Rows is how many records were seen.
func (inf *Inference) Rows() int64 { return inf.rows }

var nonName = regexp.MustCompile(`[^a-z0-9_]+`)

// itemName makes a valid item name from a header, unlike every name in
// used, and adds it to used.
func itemName(h string, i int, used map[string]bool) string {
	name := strings.Trim(nonName.ReplaceAllString(strings.ToLower(normalizeName(h)), "_"), "_")
	if name == "" || !unicode.IsLetter(rune(name[0])) || strings.ContainsFunc(h, func(r rune) bool { return r > unicode.MaxASCII }) {
		name = fmt.Sprintf("col_%d", i+1)
	}
	if len(name) > 63 {
		name = name[:63]
	}
	for base, n := name, 2; used[name]; n++ {
		name = fmt.Sprintf("%s_%d", base, n)
	}
	used[name] = true
	return name
}

// InferItems reads all of r and returns the guessed items. Malformed
// records are skipped (the load that follows reports them).
func InferItems(r Reader) ([]catalog.Item, int64, error) {
	items, rows, _, err := InferSample(r, 0)
	return items, rows, err
}

// SampleRows is how many records a first import infers its items from
// before its load starts (the load then widens what later records break).
const SampleRows = 20000

// InferSample guesses the items from the first max records of r (all of
// them when max is 0); complete says the sample held every record.
// Malformed records are skipped (the load that follows reports them).
func InferSample(r Reader, max int64) (items []catalog.Item, rows int64, complete bool, err error) {
	inf := NewInference(r.Header())
	for max == 0 || inf.Rows() < max {
		rec, err := r.Next()
		if err == io.EOF {
			return inf.Items(), inf.Rows(), true, nil
		}
		if _, ok := err.(*RowError); ok {
			continue
		}
		if err != nil {
			return nil, 0, false, err
		}
		inf.Add(rec)
	}
	return inf.Items(), inf.Rows(), false, nil
}
