package deid

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"dataport/internal/classify"
	"dataport/internal/validate"
)

// Hierarchy generalises one column's values: level 0 is the value itself,
// each further level coarser, the last usually "*". Every value's
// generalisation at level i+1 depends only on its generalisation at level
// i, so that generalising never splits a group.
type Hierarchy struct {
	levels map[string][]string // value → its generalisations at levels 1..Height-1
	height int
}

// Height is the number of levels, the value itself included.
func (h *Hierarchy) Height() int { return h.height }

// Generalize returns v at level (0 is v itself); false when v is not in the hierarchy.
func (h *Hierarchy) Generalize(v string, level int) (string, bool) {
	if level == 0 {
		return v, true
	}
	g, ok := h.levels[v]
	if !ok || level >= h.height {
		return "", false
	}
	return g[level-1], true
}

// ReadARX reads a hierarchy in ARX's CSV format: one line per value, the
// value first and its generalisations after it, separated by ';' (ARX's
// default; ',' and tabs are also accepted when a line holds no ';').
func ReadARX(r io.Reader) (*Hierarchy, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	text := strings.TrimPrefix(string(data), "\uFEFF")
	rows, err := arxReader(text, arxSeparator(text)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("hierarchy: %w", err)
	}
	return newHierarchy(rows)
}

// arxSeparator is the separator of a hierarchy's text: ';' when the first
// record has more than one field with it, else a tab likewise, else ','.
// The first record, not the first line: a quoted value may hold a line break.
func arxSeparator(text string) rune {
	for _, sep := range []rune{';', '\t'} {
		if rec, err := arxReader(text, sep).Read(); err == nil && len(rec) > 1 {
			return sep
		}
	}
	return ','
}

func arxReader(text string, sep rune) *csv.Reader {
	cr := csv.NewReader(strings.NewReader(text))
	cr.Comma, cr.FieldsPerRecord, cr.LazyQuotes = sep, -1, true
	return cr
}

// newHierarchy checks rows (value, level 1, ...) and builds the hierarchy.
func newHierarchy(rows [][]string) (*Hierarchy, error) {
	h := &Hierarchy{levels: make(map[string][]string, len(rows))}
	for i, row := range rows {
		if len(row) == 1 && strings.TrimSpace(row[0]) == "" {
			continue
		}
		if h.height == 0 {
			h.height = len(row)
		}
		if len(row) != h.height {
			return nil, fmt.Errorf("hierarchy line %d has %d levels, line 1 has %d", i+1, len(row), h.height)
		}
		if _, dup := h.levels[row[0]]; dup {
			return nil, fmt.Errorf("hierarchy line %d: value %q appears twice", i+1, row[0])
		}
		h.levels[row[0]] = row[1:]
	}
	if h.height < 2 {
		return nil, fmt.Errorf("hierarchy needs at least one generalisation level")
	}
	return h, h.checkConsistent()
}

// checkConsistent verifies that level i+1 is a function of level i.
func (h *Hierarchy) checkConsistent() error {
	for lvl := 1; lvl < h.height-1; lvl++ {
		parent := map[string]string{}
		for v, g := range h.levels {
			if p, ok := parent[g[lvl-1]]; ok && p != g[lvl] {
				return fmt.Errorf("hierarchy is not a tree: %q at level %d generalises to both %q and %q at level %d (value %q)",
					g[lvl-1], lvl, p, g[lvl], lvl+1, v)
			}
			parent[g[lvl-1]] = g[lvl]
		}
	}
	return nil
}

// BuildHierarchy makes the hierarchy that spec describes for a column
// holding values. Files are read relative to dir. With an empty spec the
// builder is chosen from the values: dates, region codes, numbers, or "values".
func BuildHierarchy(spec HierarchySpec, values []string, dir string) (*Hierarchy, error) {
	switch {
	case spec.File != "":
		path := spec.File
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return ReadARX(f)
	case spec.CSV != "":
		return ReadARX(strings.NewReader(spec.CSV))
	}
	typ := spec.Type
	if typ == "" {
		typ = guessType(values)
	}
	rows, err := buildRows(typ, spec, distinct(values))
	if err != nil {
		return nil, err
	}
	return newHierarchy(rows)
}

func buildRows(typ string, spec HierarchySpec, values []string) ([][]string, error) {
	rows := make([][]string, 0, len(values))
	switch typ {
	case "values":
		for _, v := range values {
			rows = append(rows, []string{v, "*"})
		}
	case "mask":
		levels := cmp0(spec.Levels, 3)
		for _, v := range values {
			row := []string{v}
			r := []rune(v)
			for i := 1; i <= levels; i++ {
				n := max(len(r)-i, 0)
				row = append(row, string(r[:n])+strings.Repeat("*", len(r)-n))
			}
			rows = append(rows, append(row, "*"))
		}
	case "region":
		for _, v := range values {
			if len(v) != 6 || !allDigits(v) {
				return nil, fmt.Errorf("region hierarchy: %q is not a six-digit GB/T 2260 code", v)
			}
			rows = append(rows, []string{v, v[:4] + "00", v[:2] + "0000", "*"})
		}
	case "date":
		for _, v := range values {
			y, m, _, ok := classify.ParseDate(v)
			if !ok {
				return nil, fmt.Errorf("date hierarchy: %q is not a date", v)
			}
			rows = append(rows, []string{v, fmt.Sprintf("%04d-%02d", y, m), fmt.Sprintf("%04d", y), fmt.Sprintf("%03d0s", y/10), "*"})
		}
	case "interval":
		return intervalRows(spec.Widths, values)
	default:
		return nil, fmt.Errorf("unknown hierarchy type %q", typ)
	}
	return rows, nil
}

// intervalRows generalises numbers into intervals of the given widths
// ([20, 25) ...), aligned on multiples of the width; without widths, five
// levels from a tenth of the range upwards.
func intervalRows(widths []float64, values []string) ([][]string, error) {
	nums := make([]float64, len(values))
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, v := range values {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return nil, fmt.Errorf("interval hierarchy: %q is not a number", v)
		}
		nums[i], lo, hi = f, min(lo, f), max(hi, f)
	}
	if len(widths) == 0 {
		w := niceWidth((hi - lo) / 10)
		widths = []float64{w, 2 * w, 5 * w, 10 * w}
	}
	rows := make([][]string, len(values))
	for i, v := range values {
		row := []string{v}
		for _, w := range widths {
			start := math.Floor(nums[i]/w) * w
			row = append(row, fmt.Sprintf("[%s, %s)", fmtNum(start), fmtNum(start+w)))
		}
		rows[i] = append(row, "*")
	}
	return rows, nil
}

func niceWidth(x float64) float64 {
	if x <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

func fmtNum(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// guessType picks a builder from the values: all dates, all region codes, all numbers, else values.
func guessType(values []string) string {
	dates, regions, nums, n := 0, 0, 0, 0
	for _, v := range values {
		if v == "" {
			continue
		}
		n++
		if _, _, _, ok := classify.ParseDate(v); ok && len(v) >= 8 && !allDigits(v) {
			dates++
		}
		if len(v) == 6 && allDigits(v) && classify.KnownRegion(v) {
			regions++
		}
		if _, err := strconv.ParseFloat(v, 64); err == nil {
			nums++
		}
	}
	switch {
	case n == 0:
		return "values"
	case dates == n:
		return "date"
	case regions == n:
		return "region"
	case nums == n:
		return "interval"
	}
	return "values"
}

func distinct(values []string) []string {
	seen := make(map[string]struct{}, 64)
	out := []string{}
	for _, v := range values {
		if _, ok := seen[v]; !ok {
			seen[v] = struct{}{}
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func cmp0(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// missingValues reports values absent from h as a field error.
func missingValues(col string, h *Hierarchy, values []string) error {
	var missing []string
	for _, v := range distinct(values) {
		if _, ok := h.levels[v]; !ok {
			missing = append(missing, v)
			if len(missing) == 5 {
				break
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return validate.Errors{{Field: "hierarchies." + col, Value: missing,
		Message: fmt.Sprintf("the hierarchy has no line for %d or more values of the column, e.g. %q", len(missing), missing)}}
}
