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
	if g.integer {
		_, reason := parseInteger(s, catalog.Item{})
		// Leading zeros mark codes (区划代码, phone numbers), not numbers.
		g.integer = reason == "" && !leadingZero(s)
	}
	if g.decimal {
		_, reason := parseDecimal(s, catalog.Item{})
		g.decimal = reason == "" && !leadingZero(s)
	}
	if g.date {
		_, reason := parseDate(s, false)
		g.date = reason == ""
	}
	if g.datetime {
		_, reason := parseDatetime(s, false)
		g.datetime = reason == ""
	}
	if g.boolean {
		switch strings.ToLower(s) {
		case "true", "false", "是", "否":
		default:
			g.boolean = false
		}
	}
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
	used := map[string]bool{}
	for i, h := range inf.header {
		g := inf.cols[i]
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

// itemName makes a valid, unique item name from a header.
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
	inf := NewInference(r.Header())
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return inf.Items(), inf.Rows(), nil
		}
		if _, ok := err.(*RowError); ok {
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		inf.Add(rec)
	}
}
