package protect

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// table is a result's cells arranged along its dimensions, with the lines
// (margins) that constrain them.
type table struct {
	cells []Cell
	order []int // cell indexes by canonical key: the tie-break order
	rank  []int // rank[c] is c's position in order
	// lines are the margins of two or more cells, each a list of cell
	// indexes; cellLines[c] the lines through cell c.
	lines     [][]int
	cellLines [][]int
	// alone[c]: c is the only cell of some line, so a query for that line
	// releases c's own value (it is a poor secondary suppression).
	alone []bool
}

// newTable builds the lines of the table: for each dimension, the cells
// that agree on every other dimension.
func newTable(cells []Cell, dims int) (*table, error) {
	t := &table{cells: cells, cellLines: make([][]int, len(cells)), alone: make([]bool, len(cells))}
	keys := make([][]string, len(cells))
	full := make([]string, len(cells))
	for i, c := range cells {
		keys[i] = make([]string, dims)
		for d, v := range c.Key {
			keys[i][d] = canonical(v)
		}
		full[i] = joinKey(keys[i], -1)
	}
	t.order = make([]int, len(cells))
	for i := range t.order {
		t.order[i] = i
	}
	slices.SortFunc(t.order, func(a, b int) int { return strings.Compare(full[a], full[b]) })
	t.rank = make([]int, len(cells))
	for r, c := range t.order {
		t.rank[c] = r
		if r > 0 && full[c] == full[t.order[r-1]] {
			return nil, fmt.Errorf("protect: cells %d and %d have the same key %v", t.order[r-1], c, cells[c].Key)
		}
	}
	for d := range dims {
		byRest := map[string]int{}
		var members [][]int
		for _, c := range t.order {
			rest := joinKey(keys[c], d)
			l, ok := byRest[rest]
			if !ok {
				l = len(members)
				byRest[rest] = l
				members = append(members, nil)
			}
			members[l] = append(members[l], c)
		}
		for _, m := range members {
			if len(m) == 1 {
				t.alone[m[0]] = true
				continue
			}
			for _, c := range m {
				t.cellLines[c] = append(t.cellLines[c], len(t.lines))
			}
			t.lines = append(t.lines, m)
		}
	}
	return t, nil
}

// joinKey encodes a cell's key, leaving out dimension skip (-1: none),
// unambiguously (each value length-prefixed).
func joinKey(key []string, skip int) string {
	var b strings.Builder
	for d, k := range key {
		if d == skip {
			b.WriteString("*;")
			continue
		}
		b.WriteString(strconv.Itoa(len(k)))
		b.WriteByte(':')
		b.WriteString(k)
	}
	return b.String()
}

// canonical spells a group value so that equal values of one column agree
// whatever Go type the driver used (an integral float is the integer).
func canonical(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "b" + strconv.FormatBool(x)
	case int:
		return "i" + strconv.FormatInt(int64(x), 10)
	case int8, int16, int32, int64:
		return fmt.Sprintf("i%d", x)
	case uint, uint8, uint16, uint32, uint64:
		return fmt.Sprintf("i%d", x)
	case float32:
		return canonicalFloat(float64(x))
	case float64:
		return canonicalFloat(x)
	case string:
		return "s" + x
	case []byte:
		return "s" + string(x)
	case time.Time:
		return "t" + x.UTC().Format(time.RFC3339Nano)
	default:
		return fmt.Sprintf("%T:%v", v, v)
	}
}

func canonicalFloat(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
		return "i" + strconv.FormatInt(int64(f), 10)
	}
	return "f" + strconv.FormatFloat(f, 'g', -1, 64)
}

// secondary adds secondary suppressions to st until no suppressed cell is
// determined by the margins (or none can help: ErrUnprotectable).
func (t *table) secondary(st []Status) error {
	supp := make([]bool, len(t.cells))
	inLine := make([]int, len(t.lines)) // suppressed cells in each line
	suppress := func(c int) {
		supp[c] = true
		for _, l := range t.cellLines[c] {
			inLine[l]++
		}
	}
	for c, s := range st {
		if s.Suppressed() {
			suppress(c)
		}
	}
	a := newAuditor(t)
	for {
		c, err := t.nextSuppression(supp, inLine, a)
		if err != nil || c < 0 {
			return err
		}
		st[c] = Secondary
		suppress(c)
	}
}

// nextSuppression returns the cell to suppress next, or -1 when no
// suppressed cell is determined. A margin with exactly one suppressed cell
// gives it away directly; otherwise the exact audit finds a determined
// cell, if any.
func (t *table) nextSuppression(supp []bool, inLine []int, a *auditor) (int, error) {
	for l, n := range inLine {
		if n == 1 {
			return t.best(t.lines[l:l+1], supp), nil
		}
	}
	det, comp := a.determined(supp)
	if det < 0 {
		return -1, nil
	}
	lineSets := [][][]int{t.linesOf([]int{det}), t.linesOf(comp), t.linesOf(suppressedCells(supp))}
	for _, lines := range lineSets {
		if c := t.best(lines, supp); c >= 0 {
			return c, nil
		}
	}
	return -1, fmt.Errorf("%w (cell %d, key %v)", ErrUnprotectable, det, t.cells[det].Key)
}

// best is the unsuppressed cell of the lines to suppress: not alone in a
// line if possible, then the fewest persons, then the smallest key; -1 if
// every cell of the lines is suppressed.
func (t *table) best(lines [][]int, supp []bool) int {
	pick := -1
	for _, line := range lines {
		for _, c := range line {
			if !supp[c] && (pick < 0 || t.before(c, pick)) {
				pick = c
			}
		}
	}
	return pick
}

func (t *table) before(a, b int) bool {
	if t.alone[a] != t.alone[b] {
		return !t.alone[a]
	}
	if t.cells[a].N != t.cells[b].N {
		return t.cells[a].N < t.cells[b].N
	}
	return t.rank[a] < t.rank[b]
}

// linesOf returns the lines through any of the cells, in line order.
func (t *table) linesOf(cells []int) [][]int {
	var ids []int
	for _, c := range cells {
		ids = append(ids, t.cellLines[c]...)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	out := make([][]int, len(ids))
	for i, l := range ids {
		out[i] = t.lines[l]
	}
	return out
}

func suppressedCells(supp []bool) []int {
	var out []int
	for c, s := range supp {
		if s {
			out = append(out, c)
		}
	}
	return out
}
