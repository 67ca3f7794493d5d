// Package corpus generates labelled tables of the kind public institutions
// export, for measuring the personal-information scanner of package
// classify: meaningful, meaningless (col_01) and mixed headers, Chinese and
// English, headers the scanner does not know (付款人, 经办人 ...), files in
// UTF-8, UTF-8 with BOM and CRLF, and GB18030 with CRLF; columns of every
// detectable type with real check characters and code tables, and columns
// that must not be reported (hire and transaction dates, order timestamps,
// station, warehouse and store names, product codes, amounts, long numbers
// that are not cards). Generation is deterministic for a seed; no data is
// stored in the repository.
package corpus

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"dataport/internal/classify"
)

// Column is a generated column with what it truly holds.
type Column struct {
	Header string
	// Type is what the column holds, "" for a column without personal information.
	Type   classify.Type
	Values []string
	// Matches counts the valid instances per type, as classify's matches should.
	Matches map[classify.Type]int
}

// Encoding is how a table is written to a file.
type Encoding int

// The encodings institutions' exports come in.
const (
	UTF8    Encoding = iota // UTF-8, LF line ends
	UTF8BOM                 // UTF-8 with a byte-order mark, CRLF line ends (Excel's "CSV UTF-8")
	GB18030                 // GB18030, CRLF line ends (Excel's default CSV on Chinese Windows)
	numEncodings
)

func (e Encoding) String() string {
	return [...]string{"UTF-8", "UTF-8 BOM CRLF", "GB18030 CRLF"}[e]
}

// Table is a generated table.
type Table struct {
	Name     string
	Encoding Encoding
	Columns  []Column
}

// Rows returns the number of rows.
func (t Table) Rows() int {
	if len(t.Columns) == 0 {
		return 0
	}
	return len(t.Columns[0].Values)
}

// Header returns the column headers.
func (t Table) Header() []string {
	h := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		h[i] = c.Header
	}
	return h
}

// File returns the table as a CSV file in its encoding.
func (t Table) File() ([]byte, error) {
	var buf bytes.Buffer
	if t.Encoding == UTF8BOM {
		buf.WriteString("\uFEFF")
	}
	w := csv.NewWriter(&buf)
	w.UseCRLF = t.Encoding != UTF8
	if err := w.Write(t.Header()); err != nil {
		return nil, err
	}
	row := make([]string, len(t.Columns))
	for r := range t.Rows() {
		for i, c := range t.Columns {
			row[i] = c.Values[r]
		}
		if err := w.Write(row); err != nil {
			return nil, err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, err
	}
	if t.Encoding == GB18030 {
		return simplifiedchinese.GB18030.NewEncoder().Bytes(buf.Bytes())
	}
	return buf.Bytes(), nil
}

// Options size a corpus.
type Options struct {
	Tables           int       // tables per seed (default 40)
	MinRows, MaxRows int       // rows per table (default 200–1200)
	Now              time.Time // the day the data is exported (default: today, 00:00 UTC)
}

func (o Options) withDefaults() Options {
	if o.Tables == 0 {
		o.Tables = 40
	}
	if o.MinRows == 0 {
		o.MinRows, o.MaxRows = 200, 1200
	}
	if o.Now.IsZero() {
		o.Now = time.Now().UTC().Truncate(24 * time.Hour)
	}
	return o
}

// Header styles of a table.
const (
	styleMeaningful  = iota // every header says what the column holds, in Chinese or English
	styleMeaningless        // col_01, 字段1, F1 ...
	styleMixed              // each column its own way, unknown headers included
	numStyles
)

// Generate returns the corpus of a seed: the same tables for the same seed
// and options.
func Generate(seed uint64, opts Options) []Table {
	opts = opts.withDefaults()
	g := newGen(seed, opts.Now)
	tables := make([]Table, opts.Tables)
	for i := range tables {
		style := i % numStyles
		rows := opts.MinRows + g.r.IntN(opts.MaxRows-opts.MinRows+1)
		specs := g.pickSpecs(6 + g.r.IntN(8))
		t := Table{Name: fmt.Sprintf("seed%d-table%02d", seed, i), Encoding: Encoding((i / numStyles) % int(numEncodings))}
		meaningless := g.pick([]string{"col_%02d", "字段%d", "F%d", "列%d", "COL%d"})
		english := g.r.IntN(2) == 0
		seen := map[string]int{}
		for j, s := range specs {
			header := g.header(s, style, english, meaningless, j+1)
			if seen[header]++; seen[header] > 1 {
				header += fmt.Sprint(seen[header])
			}
			t.Columns = append(t.Columns, g.column(s, header, rows))
		}
		tables[i] = t
	}
	return tables
}

// pickSpecs chooses n different column kinds, about half of them personal.
func (g *gen) pickSpecs(n int) []*spec {
	perm := g.r.Perm(len(specs))
	var personal, other []*spec
	for _, i := range perm {
		if specs[i].t != "" {
			personal = append(personal, &specs[i])
		} else {
			other = append(other, &specs[i])
		}
	}
	k := min(len(personal), n/2+g.r.IntN(2))
	out := append(personal[:k:k], other[:min(len(other), n-k)]...)
	g.r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func (g *gen) header(s *spec, style int, english bool, meaningless string, i int) string {
	switch style {
	case styleMeaningless:
		return fmt.Sprintf(meaningless, i)
	case styleMeaningful:
		if english && len(s.en) > 0 {
			return g.pick(s.en)
		}
		return g.pick(s.zh)
	}
	switch g.r.IntN(4) {
	case 0:
		return fmt.Sprintf(meaningless, i)
	case 1:
		if len(s.unlisted) > 0 {
			return g.pick(s.unlisted)
		}
	case 2:
		if len(s.en) > 0 {
			return g.pick(s.en)
		}
	}
	return g.pick(s.zh)
}

// column generates rows values of a kind; a few are empty.
func (g *gen) column(s *spec, header string, rows int) Column {
	c := Column{Header: header, Type: s.t, Values: make([]string, rows), Matches: map[classify.Type]int{}}
	for r := range c.Values {
		if g.r.IntN(100) < 2 {
			c.Values[r] = g.pick([]string{"", "", "NULL", "-"})
			continue
		}
		v, t := s.value(g)
		c.Values[r] = v
		if t != "" {
			c.Matches[t]++
		}
	}
	return c
}

type gen struct {
	r   *rand.Rand
	now time.Time
}

func newGen(seed uint64, now time.Time) *gen {
	return &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), now: now}
}

func (g *gen) pick(s []string) string { return s[g.r.IntN(len(s))] }

func (g *gen) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.r.IntN(10))
	}
	return string(b)
}

// percent returns true with probability p percent.
func (g *gen) percent(p int) bool { return g.r.IntN(100) < p }
