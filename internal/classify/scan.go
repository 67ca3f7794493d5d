package classify

import (
	"iter"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// Column is what a scan found in one column: counts and decisions, never
// values, so that it can be stored and logged.
type Column struct {
	Name string `json:"name"`
	// Detected is the type the column holds, or null.
	Detected *Type `json:"detected"`
	// Matches counts valid instances per type (check characters pass),
	// whole values and those embedded in free text alike.
	Matches map[Type]int `json:"matches"`
	// Confidence is the share of non-empty values that support Detected,
	// lowered when the header names another type (0 when nothing is detected).
	Confidence float64 `json:"confidence"`
	NonEmpty   int     `json:"non_empty"`
	// Distinct estimates the number of distinct values (exact below 2048).
	Distinct int64 `json:"distinct"`
	// FreeText marks a column of longer text, scanned for embedded identifiers.
	FreeText bool `json:"free_text,omitempty"`
	// Embedded counts the valid identifiers found inside longer values.
	Embedded map[Type]int `json:"embedded,omitempty"`
	// Category is the sensitive category (PIPL art. 28) the column falls in, if any.
	Category Category `json:"sensitive_category,omitempty"`
	// GeoDecimals is the least precision (decimals) of the column's coordinates.
	GeoDecimals int `json:"geo_decimals,omitempty"`
	// Minors counts birth dates less than 14 years ago.
	Minors int `json:"minors,omitempty"`
}

// Result is the outcome of scanning a table.
type Result struct {
	Rows    int      `json:"rows"`
	Bytes   int64    `json:"bytes"`
	Columns []Column `json:"columns"`
	// Classification is filled in by Grade.
	Classification *Grading `json:"classification,omitempty"`
}

// Scanner scans a table row by row in constant memory per column. The
// zero value is not usable; call NewScanner. A Scanner is not safe for
// concurrent use: scan parts of a table with separate Scanners and Merge them.
type Scanner struct {
	cols []*columnState
	rows int
}

type columnState struct {
	nonEmpty  int
	bytes     int64
	valid     [numKinds]int
	weak      [numKinds]int
	embedded  [numKinds]int
	minDec    int
	dobs      int
	minors    int
	names     nameStats
	distinct  distinctCounter
	minorDate int32 // birth dates after this (yyyymmdd) are of children under 14
	today     int32 // yyyymmdd of the scan's day: later dates are in the future
	hint      Type
	name      string
	category  Category
	dates     dateStats
	also      [numKinds][numKinds]int32 // values valid as [primary] and as [also]: counted as what the column holds
	alsoWeak  [numKinds][numKinds]int32 // values valid as [primary] and shaped like [also]
}

// NewScanner returns a scanner for a table with the given header.
func NewScanner(header []string) *Scanner {
	s := &Scanner{}
	now := time.Now()
	minor, today := dayKey(now.AddDate(-14, 0, 0)), dayKey(now)
	for _, h := range header {
		h = strings.TrimPrefix(h, "\uFEFF")
		s.cols = append(s.cols, &columnState{name: h, hint: HeaderHint(h), category: HeaderCategory(h), minDec: math.MaxInt, minorDate: minor, today: today})
	}
	return s
}

// Add scans one row. Values beyond the header are ignored; missing ones count as empty.
func (s *Scanner) Add(row []string) {
	s.rows++
	for i, v := range row {
		if i >= len(s.cols) {
			break
		}
		s.cols[i].add(v)
	}
}

func (c *columnState) add(v string) {
	v = trimSpace(v)
	if isNull(v) {
		return
	}
	c.nonEmpty++
	c.bytes += int64(len(v))
	c.distinct.add(v)
	vd := detect(v, c.hint)
	switch vd.kind {
	case kindNone:
		if len(v) >= 11 {
			embedded(v, &c.embedded)
		}
		return
	case kDateOfBirth:
		c.dates.add(vd.date, c.today)
		if vd.date > c.today {
			c.weak[kDateOfBirth]++
			return
		}
		c.dobs++
		if vd.date > c.minorDate {
			c.minors++
		}
	case kName:
		c.names.add(vd.nameShape(), vd.flags&vCommon != 0)
	}
	if !vd.valid() {
		c.weak[vd.kind]++
		return
	}
	c.valid[vd.kind]++
	switch {
	case vd.also == kindNone:
	case vd.flags&vAlsoWeak != 0:
		c.alsoWeak[vd.kind][vd.also]++
	default:
		c.also[vd.kind][vd.also]++
	}
	if vd.kind == kGeo {
		c.minDec = min(c.minDec, int(vd.decimals))
	}
}

// trimSpace is strings.TrimSpace, without decoding the first and last runes
// when they are ASCII or Han characters (most values): no space begins with
// a byte other than an ASCII space, 0xC2 or 0xE1–0xE3, and no space is a
// three-byte rune that begins with 0xE4–0xEF.
func trimSpace(v string) string {
	if v == "" {
		return v
	}
	first, last := v[0], v[len(v)-1]
	startsClean := (first < utf8.RuneSelf && !asciiSpace(first)) || (first >= utf8.RuneSelf && first != 0xC2 && (first < 0xE1 || first > 0xE3))
	endsClean := (last < utf8.RuneSelf && !asciiSpace(last)) ||
		(len(v) >= 3 && v[len(v)-3] >= 0xE4 && v[len(v)-3] <= 0xEF && v[len(v)-2]&0xC0 == 0x80 && last&0xC0 == 0x80)
	if startsClean && endsClean {
		return v
	}
	return strings.TrimSpace(v)
}

func asciiSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func dayKey(t time.Time) int32 {
	return int32(t.Year()*10000 + int(t.Month())*100 + t.Day())
}

func isNull(v string) bool {
	switch v {
	case "", "NULL", "null", "Null", `\N`, "N/A", "n/a", "NA", "-", "--", "无", "空", "未知", "不详", "暂无", "未填", "未填写":
		return true
	}
	return false
}

// Result decides, per column, what it holds.
func (s *Scanner) Result() Result {
	r := Result{Rows: s.rows, Columns: make([]Column, len(s.cols))}
	for i, c := range s.cols {
		r.Columns[i] = c.decide()
		r.Bytes += c.bytes
	}
	return r
}

// hintAgrees reports whether a header hint names kind k.
func hintAgrees(hint Type, k kind) bool {
	if k == kindNone {
		return false
	}
	t := Types[k]
	return hint == t || (hint == phoneHint && (t == Mobile || t == Landline))
}

// Detection thresholds: the share of non-empty values that must support a
// type, without and with a header naming it.
const (
	detectShare     = 0.6
	detectShareHint = 0.3
	freeTextBytes   = 24 // average length from which a column is treated as free text
)

func (c *columnState) decide() Column {
	col := Column{Name: c.name, Matches: map[Type]int{}, NonEmpty: c.nonEmpty, Distinct: c.distinct.estimate(), Category: c.category}
	best, share := c.best(col.Distinct)
	c.resolveAmbiguous(best)
	for k := range kind(numKinds) {
		if n := c.valid[k] + c.embedded[k]; n > 0 && (!Types[k].needsContext() || k == best) {
			col.Matches[Types[k]] = n
		}
		if c.embedded[k] > 0 {
			if col.Embedded == nil {
				col.Embedded = map[Type]int{}
			}
			col.Embedded[Types[k]] = c.embedded[k]
		}
	}
	if best != kindNone {
		t := Types[best]
		col.Detected = &t
		factor := 1.0
		switch {
		case c.hint == "":
			factor = 0.95
		case !hintAgrees(c.hint, best):
			factor = 0.85
		}
		col.Confidence = math.Round(share*factor*1000) / 1000
		c.typeCategory(&col, t)
		if best == kDateOfBirth {
			col.Minors = c.minors
		}
	} else if c.nonEmpty > 0 && c.bytes/int64(c.nonEmpty) >= freeTextBytes {
		col.FreeText = true
	}
	if c.minDec != math.MaxInt {
		col.GeoDecimals = c.minDec
	}
	return col
}

// best returns the kind the column holds and the share of its non-empty
// values that support it, or kindNone. Names and birth dates, which single
// values cannot tell apart from other words and dates, are only taken when
// the header names them or the column's values are distributed as names
// and birth dates are.
func (c *columnState) best(distinct int64) (kind, float64) {
	if c.nonEmpty == 0 {
		return kindNone, 0
	}
	best, bestScore := kindNone, 0.0
	for k := range kind(numKinds) {
		score := float64(c.valid[k]) + 0.5*float64(c.weak[k])
		if score <= bestScore || (Types[k].needsContext() && !hintAgrees(c.hint, k) && !c.contextFromValues(k, distinct)) {
			continue
		}
		best, bestScore = k, score
	}
	share := bestScore / float64(c.nonEmpty)
	if best == kindNone || !(share >= detectShare || (hintAgrees(c.hint, best) && share >= detectShareHint)) {
		return kindNone, 0
	}
	return best, share
}

// contextFromValues reports whether the column's values alone show that it
// holds names (k == kName) or birth dates (k == kDateOfBirth).
func (c *columnState) contextFromValues(k kind, distinct int64) bool {
	switch k {
	case kName:
		return c.names.plausible(c.nonEmpty, distinct)
	case kDateOfBirth:
		return c.dates.plausibleBirths(c.today)
	}
	return false
}

// resolveAmbiguous counts the values valid as two kinds (an 18-digit card
// number that is also a valid credit code) as the kind the column holds,
// and those valid as one kind but shaped like the kind the column holds (an
// identity number with a wrong check character that passes a card's Luhn
// check) as a failed instance of it.
func (c *columnState) resolveAmbiguous(best kind) {
	if best == kindNone {
		return
	}
	for k := range kind(numKinds) {
		if k == best {
			continue
		}
		if n := int(c.also[k][best]); n > 0 {
			c.valid[k] -= n
			c.valid[best] += n
		}
		if n := int(c.alsoWeak[k][best]); n > 0 {
			c.valid[k] -= n
			c.weak[best] += n
		}
	}
}

// typeCategory sets the sensitive category a detected type implies, unless
// the header already named one.
func (c *columnState) typeCategory(col *Column, t Type) {
	if col.Category != "" {
		return
	}
	switch {
	case t == ResidentID || t == Passport:
		col.Category = CatIdentity
	case t == BankCard:
		col.Category = CatFinancial
	case t == GeoCoord:
		col.Category = CatLocation
	case t == DateOfBirth && c.minors > 0 && c.minors*100 >= c.dobs:
		col.Category = CatMinor
	}
}

// ScanColumns scans a whole table: header, then rows as they come (an
// iterator, so a file or a database cursor streams through in constant
// memory). It stops at the first error the rows yield.
func ScanColumns(header []string, rows iter.Seq2[[]string, error]) (Result, error) {
	s := NewScanner(header)
	for row, err := range rows {
		if err != nil {
			return s.Result(), err
		}
		s.Add(row)
	}
	return s.Result(), nil
}

// Merge adds the counts of other, a scanner of the same header over other rows.
func (s *Scanner) Merge(other *Scanner) {
	s.rows += other.rows
	for i, c := range s.cols {
		if i >= len(other.cols) {
			break
		}
		o := other.cols[i]
		c.nonEmpty += o.nonEmpty
		c.bytes += o.bytes
		for k := range c.valid {
			c.valid[k] += o.valid[k]
			c.weak[k] += o.weak[k]
			c.embedded[k] += o.embedded[k]
			for j := range c.also[k] {
				c.also[k][j] += o.also[k][j]
				c.alsoWeak[k][j] += o.alsoWeak[k][j]
			}
		}
		c.names.merge(&o.names)
		c.dates.merge(&o.dates)
		c.minDec = min(c.minDec, o.minDec)
		c.dobs += o.dobs
		c.minors += o.minors
		c.distinct.merge(&o.distinct)
	}
}
