package protect

import (
	"fmt"
	"math"
	"math/bits"
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
	// lines are the margins of two or more cells (sums over one or more
	// dimensions), each a list of cell indexes; cellLines[c] the margins
	// through cell c.
	lines     [][]int
	cellLines [][]int
	// lines[:narrow] sum over one dimension; the rest over several (planes,
	// …, the grand total): few, but long.
	narrow int
	// alone[c]: c is the only cell of some line, so a query for that line
	// releases c's own value (it is a poor secondary suppression).
	alone []bool
}

// newTable builds the margins of the table: for each non-empty set of
// dimensions summed over, the cells that agree on every other dimension
// (lines sum over one dimension, the grand total over all). A margin with
// the same cells as another is kept once.
func newTable(cells []Cell, dims int) (*table, error) {
	t := &table{cells: cells, cellLines: make([][]int, len(cells)), alone: make([]bool, len(cells))}
	keys := make([][]string, len(cells))
	full := make([]string, len(cells))
	for i, c := range cells {
		keys[i] = make([]string, dims)
		for d, v := range c.Key {
			keys[i][d] = canonical(v)
		}
		full[i] = joinKey(keys[i], 0)
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
	seen := map[string]bool{}
	for _, summed := range summedSets(dims) {
		for _, m := range t.group(keys, summed) {
			if len(m) == 1 {
				t.alone[m[0]] = t.alone[m[0]] || bits.OnesCount(summed) == 1
				continue
			}
			if sig := signature(m); !seen[sig] {
				seen[sig] = true
				for _, c := range m {
					t.cellLines[c] = append(t.cellLines[c], len(t.lines))
				}
				t.lines = append(t.lines, m)
			}
		}
		if bits.OnesCount(summed) == 1 {
			t.narrow = len(t.lines)
		}
	}
	return t, nil
}

// summedSets lists the non-empty sets of dimensions (bit masks), the
// smaller first.
func summedSets(dims int) []uint {
	var sets []uint
	for s := uint(1); s < 1<<dims; s++ {
		sets = append(sets, s)
	}
	slices.SortStableFunc(sets, func(a, b uint) int { return bits.OnesCount(a) - bits.OnesCount(b) })
	return sets
}

// group returns the cells (in key order) of each margin that sums over
// the dimensions in summed.
func (t *table) group(keys [][]string, summed uint) [][]int {
	return groupInOrder(t.order, func(c int) (string, bool) { return joinKey(keys[c], summed), true })
}

// groupInOrder groups the cells of order by their label, leaving out those
// without one; each group keeps order, and the groups come in the order of
// their first cells.
func groupInOrder[K comparable](order []int, label func(c int) (K, bool)) [][]int {
	index := map[K]int{}
	var groups [][]int
	for _, c := range order {
		k, ok := label(c)
		if !ok {
			continue
		}
		i, seen := index[k]
		if !seen {
			i = len(groups)
			index[k] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], c)
	}
	return groups
}

// joinKey encodes a cell's key, leaving out the dimensions in skip (a bit
// mask), unambiguously (each value length-prefixed).
func joinKey(key []string, skip uint) string {
	var b strings.Builder
	for d, k := range key {
		if skip&(1<<d) != 0 {
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
// determined by the margins (or none can help: ErrUnprotectable), one at a
// time. A margin with exactly one suppressed cell gives it away directly:
// another cell of that margin is suppressed. When there is none, the exact
// audit lists the determined cells, and the first (by key) that has a
// candidate gets one.
func (t *table) secondary(st []Status) error {
	supp := make([]bool, len(t.cells))
	inLine := make([]int, len(t.lines)) // suppressed cells in each margin
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
		if l := slices.Index(inLine, 1); l >= 0 {
			c := t.best(t.lines[l:l+1], supp)
			st[c] = Secondary
			suppress(c)
			continue
		}
		dets := a.determined(supp)
		if len(dets) == 0 {
			return nil
		}
		c := -1
		for k := 0; k < len(dets) && c < 0; k++ {
			c = t.candidate(dets[k], supp, a)
		}
		if c < 0 {
			return fmt.Errorf("%w (cell %d, key %v)", ErrUnprotectable, dets[0], t.cells[dets[0]].Key)
		}
		st[c] = Secondary
		suppress(c)
	}
}

// candidate is the cell to suppress so that the determined cell det may
// no longer be: the best unsuppressed cell of det's margins, else of the
// margins of its component (the suppressed cells linked to it by lines),
// else of any margin touching a suppressed cell; -1 if there is none.
func (t *table) candidate(det int, supp []bool, a *auditor) int {
	if c := t.best(t.linesOf([]int{det}), supp); c >= 0 {
		return c
	}
	if c := t.best(t.linesOf(a.componentOf(det, supp)), supp); c >= 0 {
		return c
	}
	return t.best(t.linesOf(suppressedCells(supp)), supp)
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

// lineIDsOf returns the ids of the margins through any of the cells, in
// order.
func (t *table) lineIDsOf(cells []int) []int {
	var ids []int
	for _, c := range cells {
		ids = append(ids, t.cellLines[c]...)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// linesOf returns the margins through any of the cells, in order.
func (t *table) linesOf(cells []int) [][]int {
	ids := t.lineIDsOf(cells)
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
