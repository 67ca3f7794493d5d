package protect_test

import (
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"dataport/internal/zones/protect"
)

// TestSuppressProperty runs Suppress on many random tables (one to three
// dimensions, with missing cells, some with dominance) and checks, without
// asking Suppress's own audit, that no released cell is small or
// dominated and that every suppressed cell could hold another value: for
// each one the test solves for a change of the suppressed cells that keeps
// every released cell and every margin of two or more cells (of every
// order) the same, and then adds it to the table and recomputes all those
// sums from scratch.
func TestSuppressProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 20260516))
	var tables, suppressed, secondary, unprotectable int
	unprotectableByDims := map[int]int{}
	for trial := range 900 {
		dims := 1 + trial%3
		tab := randomTable(rng, dims)
		r := protect.Rules{MinCount: 3 + rng.IntN(8)}
		if trial%4 == 0 {
			r.DominanceN, r.DominanceK = 1+rng.IntN(3), float64(60+rng.IntN(35))
		}
		cells := tab.protectCells(r.DominanceN)
		st, err := protect.Suppress(cells, dims, r)
		if errors.Is(err, protect.ErrUnprotectable) {
			unprotectable++
			unprotectableByDims[dims]++
			tab.checkUnprotectable(t, st)
			continue
		}
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		tables++
		margins := tab.margins()
		alt := tab.alternatives(st, margins)
		for c, s := range st {
			small := tab.n[c] < int64(r.MinCount)
			dominated := r.DominanceN > 0 && tab.dominated(c, r)
			switch {
			case (small || dominated) && !s.Suppressed():
				t.Fatalf("trial %d: cell %v (N %d, dominated %v) released", trial, tab.keys[c], tab.n[c], dominated)
			case s == protect.Secondary && (small || dominated):
				t.Fatalf("trial %d: cell %v is sensitive but marked %s", trial, tab.keys[c], s)
			case s.Suppressed():
				suppressed++
				if s == protect.Secondary {
					secondary++
				}
				tab.checkUndetermined(t, trial, st, margins, alt[c], c)
			}
		}
	}
	t.Logf("%d tables protected, %d unprotectable (by dimensions: %v): %d suppressed cells, %d of them secondary, each shown to be undetermined", tables, unprotectable, unprotectableByDims, suppressed, secondary)
	if tables < 600 || secondary < 2000 || unprotectable == 0 {
		t.Fatalf("the random tables exercised too little: %d tables, %d secondary suppressions", tables, secondary)
	}
}

// randomTable is a table of persons' contributions per cell.
type randomTab struct {
	dims    int
	keys    [][]any
	n       []int64
	contrib [][]float64 // each person's value of one SUM
}

func randomTable(rng *rand.Rand, dims int) *randomTab {
	sizes := make([]int, dims)
	for d := range sizes {
		sizes[d] = 2 + rng.IntN(5)
		if dims == 1 {
			sizes[d] = 1 + rng.IntN(12)
		}
	}
	density := 0.35 + 0.65*rng.Float64()
	smallShare := 0.05 + 0.3*rng.Float64()
	tab := &randomTab{dims: dims}
	var walk func(prefix []any)
	walk = func(prefix []any) {
		d := len(prefix)
		if d == dims {
			if rng.Float64() > density {
				return // a structural zero
			}
			n := int64(10 + rng.IntN(60))
			if rng.Float64() < smallShare {
				n = int64(1 + rng.IntN(9))
			}
			contrib := make([]float64, n)
			for i := range contrib {
				contrib[i] = float64(rng.IntN(100))
				if rng.IntN(15) == 0 {
					contrib[i] *= 40 // a dominant contributor now and then
				}
			}
			tab.keys = append(tab.keys, slices.Clone(prefix))
			tab.n = append(tab.n, n)
			tab.contrib = append(tab.contrib, contrib)
			return
		}
		for v := range sizes[d] {
			var key any = int64(v)
			if d == 1 {
				key = fmt.Sprintf("g%d", v)
			}
			walk(append(prefix, key))
		}
	}
	walk(nil)
	return tab
}

// protectCells gives the cells as the engine would: N, and for the SUM
// its n largest absolute contributions and their absolute total.
func (tab *randomTab) protectCells(n int) []protect.Cell {
	cells := make([]protect.Cell, len(tab.keys))
	for c := range cells {
		top, abs := sortedAbs(tab.contrib[c])
		cells[c] = protect.Cell{Key: tab.keys[c], N: tab.n[c], Top: [][]float64{nil, top[:min(n, len(top))]}, Abs: []float64{0, abs}}
	}
	return cells
}

func sortedAbs(v []float64) ([]float64, float64) {
	top := make([]float64, len(v))
	abs := 0.0
	for i, x := range v {
		top[i] = max(x, -x)
		abs += top[i]
	}
	slices.SortFunc(top, func(a, b float64) int { return -cmpFloat(a, b) })
	return top, abs
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// dominated applies the (n,k) rule to all of the cell's contributions.
func (tab *randomTab) dominated(c int, r protect.Rules) bool {
	top, abs := sortedAbs(tab.contrib[c])
	sum := 0.0
	for _, v := range top[:min(r.DominanceN, len(top))] {
		sum += v
	}
	return sum > r.DominanceK/100*abs
}

// margins lists, for every non-empty set of dimensions, the groups of
// cells that agree on the other dimensions; only groups of two or more
// cells are margins (a one-cell group is the cell itself).
func (tab *randomTab) margins() [][]int {
	var out [][]int
	for set := 1; set < 1<<tab.dims; set++ {
		groups := map[string][]int{}
		var names []string
		for c, key := range tab.keys {
			var rest []string
			for d, v := range key {
				if set&(1<<d) == 0 {
					rest = append(rest, fmt.Sprintf("%d=%v", d, v))
				}
			}
			name := strings.Join(rest, "|")
			if groups[name] == nil {
				names = append(names, name)
			}
			groups[name] = append(groups[name], c)
		}
		for _, name := range names {
			if len(groups[name]) > 1 {
				out = append(out, groups[name])
			}
		}
	}
	return out
}

// checkUndetermined verifies, by recomputing sums, that x is another
// table's difference from this one that agrees with everything published
// but changes cell j.
func (tab *randomTab) checkUndetermined(t *testing.T, trial int, st []protect.Status, margins [][]int, x []*big.Rat, j int) {
	t.Helper()
	if x == nil {
		t.Fatalf("trial %d: suppressed cell %v (%s) is determined by the released cells and the margins", trial, tab.keys[j], st[j])
	}
	alt := make([]*big.Rat, len(tab.n))
	for c := range alt {
		alt[c] = new(big.Rat).Add(big.NewRat(tab.n[c], 1), x[c])
		if !st[c].Suppressed() && alt[c].Cmp(big.NewRat(tab.n[c], 1)) != 0 {
			t.Fatalf("trial %d: the alternative table changes released cell %v", trial, tab.keys[c])
		}
	}
	for _, m := range margins {
		was, now := new(big.Rat), new(big.Rat)
		for _, c := range m {
			was.Add(was, big.NewRat(tab.n[c], 1))
			now.Add(now, alt[c])
		}
		if was.Cmp(now) != 0 {
			t.Fatalf("trial %d: the alternative table for cell %v changes a margin: %v ≠ %v", trial, tab.keys[j], was, now)
		}
	}
	if alt[j].Cmp(big.NewRat(tab.n[j], 1)) == 0 {
		t.Fatalf("trial %d: the alternative table leaves cell %v as it was", trial, tab.keys[j])
	}
}

// alternatives returns, for each suppressed cell j, a change x of the
// suppressed cells (0 on the released ones) with x[j] ≠ 0 that leaves
// every margin's sum as it is, or nil for j when there is none: the
// null space of the margins over the suppressed cells, from its reduced
// row echelon form in rationals (one basis vector per free column).
func (tab *randomTab) alternatives(st []protect.Status, margins [][]int) map[int][]*big.Rat {
	var unknowns []int
	index := map[int]int{}
	for c, s := range st {
		if s.Suppressed() {
			index[c] = len(unknowns)
			unknowns = append(unknowns, c)
		}
	}
	u := len(unknowns)
	var sys [][]*big.Rat
	for _, m := range margins {
		row := make([]*big.Rat, u)
		for i := range row {
			row[i] = new(big.Rat)
		}
		touched := false
		for _, c := range m {
			if i, ok := index[c]; ok {
				row[i].SetInt64(1)
				touched = true
			}
		}
		if touched {
			sys = append(sys, row)
		}
	}
	pivotOf := map[int]int{} // column → its pivot row
	r := 0
	for col := 0; col < u && r < len(sys); col++ {
		p := slices.IndexFunc(sys[r:], func(row []*big.Rat) bool { return row[col].Sign() != 0 })
		if p < 0 {
			continue
		}
		sys[r], sys[r+p] = sys[r+p], sys[r]
		inv := new(big.Rat).Inv(sys[r][col])
		for k := range u {
			sys[r][k].Mul(sys[r][k], inv)
		}
		for i := range sys {
			if i == r || sys[i][col].Sign() == 0 {
				continue
			}
			f := new(big.Rat).Set(sys[i][col])
			for k := range u {
				sys[i][k].Sub(sys[i][k], new(big.Rat).Mul(f, sys[r][k]))
			}
		}
		pivotOf[col] = r
		r++
	}
	var basis [][]*big.Rat
	for free := range u {
		if _, ok := pivotOf[free]; ok {
			continue
		}
		x := make([]*big.Rat, len(st))
		for c := range x {
			x[c] = new(big.Rat)
		}
		x[unknowns[free]].SetInt64(1)
		for col, row := range pivotOf {
			x[unknowns[col]].Neg(sys[row][free])
		}
		basis = append(basis, x)
	}
	out := map[int][]*big.Rat{}
	for _, c := range unknowns {
		out[c] = nil
		for _, x := range basis {
			if x[c].Sign() != 0 {
				out[c] = x
				break
			}
		}
	}
	return out
}

// checkUnprotectable verifies an ErrUnprotectable answer: every margin
// touching a suppressed cell is entirely suppressed (nothing more could be
// suppressed that matters), and some suppressed cell has no alternative.
func (tab *randomTab) checkUnprotectable(t *testing.T, st []protect.Status) {
	t.Helper()
	margins := tab.margins()
	for _, m := range margins {
		some := slices.ContainsFunc(m, func(c int) bool { return st[c].Suppressed() })
		all := !slices.ContainsFunc(m, func(c int) bool { return !st[c].Suppressed() })
		if some && !all {
			t.Fatalf("ErrUnprotectable while margin %v still has released cells", m)
		}
	}
	for _, x := range tab.alternatives(st, margins) {
		if x == nil {
			return
		}
	}
	t.Fatalf("ErrUnprotectable but every suppressed cell has an alternative")
}

func TestSuppressTables(t *testing.T) {
	const (
		R = protect.Released
		P = protect.Primary
		D = protect.Dominated
		S = protect.Secondary
	)
	cell := func(n int64, key ...any) protect.Cell { return protect.Cell{Key: key, N: n} }
	tests := []struct {
		name  string
		dims  int
		rules protect.Rules
		cells []protect.Cell
		want  []protect.Status
	}{
		{"no group by, small", 0, protect.Rules{MinCount: 10}, []protect.Cell{cell(9)}, []protect.Status{P}},
		{"no group by, large", 0, protect.Rules{MinCount: 10}, []protect.Cell{cell(10)}, []protect.Status{R}},
		{"one dimension: the grand total gives a lone suppressed cell away", 1, protect.Rules{MinCount: 5},
			[]protect.Cell{cell(3, "a"), cell(20, "b"), cell(30, "c")}, []protect.Status{P, S, R}},
		{"one dimension, two small cells protect each other", 1, protect.Rules{MinCount: 5},
			[]protect.Cell{cell(3, "a"), cell(20, "b"), cell(4, "c")}, []protect.Status{P, R, P}},
		{"one cell only: its total is itself", 1, protect.Rules{MinCount: 5},
			[]protect.Cell{cell(3, "a")}, []protect.Status{P}},
		{"two dimensions: a rectangle of four", 2, protect.Rules{MinCount: 5},
			[]protect.Cell{
				cell(2, "x1", "y1"), cell(30, "x1", "y2"), cell(40, "x1", "y3"),
				cell(25, "x2", "y1"), cell(50, "x2", "y2"), cell(60, "x2", "y3"),
			},
			[]protect.Status{P, S, R, S, S, R}},
		{"two dimensions: a structural zero leaves the diagonal, and the grand total needs a second cell", 2, protect.Rules{MinCount: 5},
			[]protect.Cell{cell(2, "x1", "y1"), cell(30, "x2", "y2"), cell(40, "x3", "y3")},
			[]protect.Status{P, S, R}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			got, err := protect.Suppress(test.cells, test.dims, test.rules)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, test.want) {
				t.Fatalf("got %v, want %v", got, test.want)
			}
		})
	}
}

// TestSuppressOrderIndependent: shuffling the cells shuffles the statuses
// with them; the choice of secondary cells depends on the table only.
func TestSuppressOrderIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for trial := range 50 {
		tab := randomTable(rng, 3)
		cells := tab.protectCells(0)
		r := protect.Rules{MinCount: 8}
		want, err := protect.Suppress(cells, 3, r)
		if err != nil && !errors.Is(err, protect.ErrUnprotectable) {
			t.Fatal(err)
		}
		perm := rng.Perm(len(cells))
		shuffled := make([]protect.Cell, len(cells))
		for i, p := range perm {
			shuffled[i] = cells[p]
		}
		got, _ := protect.Suppress(shuffled, 3, r)
		for i, p := range perm {
			if got[i] != want[p] {
				t.Fatalf("trial %d: cell %v is %s in one order and %s in another", trial, cells[p].Key, want[p], got[i])
			}
		}
	}
}

// TestSuppressUnprotectable: seven cells of a three-dimensional table in
// an odd cycle, each consecutive pair alone in a line. The seven line
// totals determine every cell (x1 = (m12 − m23 + m34 − m45 + m56 − m67 +
// m71)/2), so no suppression can protect the small one.
func TestSuppressUnprotectable(t *testing.T) {
	keys := [][]any{{0, 0, 0}, {1, 0, 0}, {1, 1, 0}, {2, 1, 0}, {2, 1, 1}, {0, 1, 1}, {0, 0, 1}}
	cells := make([]protect.Cell, len(keys))
	for i, k := range keys {
		cells[i] = protect.Cell{Key: k, N: 50}
	}
	cells[0].N = 3
	st, err := protect.Suppress(cells, 3, protect.Rules{MinCount: 5})
	if !errors.Is(err, protect.ErrUnprotectable) {
		t.Fatalf("got %v, %v; want ErrUnprotectable", st, err)
	}
	for i, s := range st {
		if !s.Suppressed() {
			t.Fatalf("cell %v left released; all seven should be suppressed: %v", keys[i], st)
		}
	}
}

func TestDominated(t *testing.T) {
	rules := protect.Rules{MinCount: 1, DominanceN: 2, DominanceK: 85}
	tests := []struct {
		name               string
		top                []float64
		abs                float64
		persons            int64
		sensitive, decided bool
		rulesOverride      *protect.Rules
	}{
		{"two largest make 95%", []float64{90, 5}, 100, 10, true, true, nil},
		{"two largest make 80%", []float64{50, 30}, 100, 10, false, true, nil},
		{"exactly 85% is not more than k", []float64{80, 5}, 100, 10, false, true, nil},
		{"negative contributions count by absolute value", []float64{-90, 5}, 100, 10, true, true, nil},
		{"the largest alone exceeds k", []float64{90}, 100, 10, true, true, nil},
		{"the largest alone settles it below: at most 40+40", []float64{40}, 100, 10, false, true, nil},
		{"the largest alone cannot settle it: 60 + up to 40", []float64{60}, 100, 10, false, false, nil},
		{"nothing given", nil, 100, 10, false, false, nil},
		{"two persons: the two largest are all", nil, 100, 2, true, true, nil},
		{"one person", []float64{100}, 100, 1, true, true, nil},
		{"no contributions at all", []float64{0}, 0, 10, false, true, nil},
		{"k = 100 never exceeded", nil, 100, 2, false, true, &protect.Rules{DominanceN: 2, DominanceK: 100}},
		{"the rule off", []float64{100}, 100, 10, false, true, &protect.Rules{}},
		{"(1,60): the largest 70%", []float64{70}, 100, 10, true, true, &protect.Rules{DominanceN: 1, DominanceK: 60}},
		{"(3,90): three given", []float64{50, 20, 10}, 100, 10, false, true, &protect.Rules{DominanceN: 3, DominanceK: 90}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			r := rules
			if test.rulesOverride != nil {
				r = *test.rulesOverride
			}
			sensitive, decided := r.Dominated(test.top, test.abs, test.persons)
			if sensitive != test.sensitive || decided != test.decided {
				t.Fatalf("Dominated(%v, %v, %d) = %v, %v; want %v, %v", test.top, test.abs, test.persons, sensitive, decided, test.sensitive, test.decided)
			}
		})
	}
}

func TestSuppressDominance(t *testing.T) {
	r := protect.Rules{MinCount: 3, DominanceN: 2, DominanceK: 85}
	cells := []protect.Cell{
		{Key: []any{"a"}, N: 10, Top: [][]float64{nil, {900, 20}}, Abs: []float64{0, 1000}},  // 92%: dominated
		{Key: []any{"b"}, N: 10, Top: [][]float64{nil, {300, 200}}, Abs: []float64{0, 1000}}, // 50%
		{Key: []any{"c"}, N: 12, Top: [][]float64{nil, {100}}, Abs: []float64{0, 1000}},      // at most 20%
		{Key: []any{"d"}, N: 2, Top: [][]float64{nil, {}}, Abs: []float64{0, 1000}},          // two persons: all
	}
	got, err := protect.Suppress(cells, 1, r)
	if err != nil {
		t.Fatal(err)
	}
	want := []protect.Status{protect.Dominated, protect.Released, protect.Released, protect.Primary}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}

	cells[1].Top[1] = []float64{500} // 500 + up to 500: the caller must fetch the second
	if _, err := protect.Suppress(cells, 1, r); err == nil || !strings.Contains(err.Error(), "needs the 2 largest") {
		t.Fatalf("an undecidable dominance: got %v", err)
	}
}

func TestSuppressRefusesBadInput(t *testing.T) {
	ok := protect.Rules{MinCount: 5}
	tests := []struct {
		name  string
		cells []protect.Cell
		dims  int
		rules protect.Rules
		want  string
	}{
		{"negative MinCount", nil, 1, protect.Rules{MinCount: -1}, "Rules.MinCount -1"},
		{"dominance k above 100", nil, 1, protect.Rules{DominanceN: 2, DominanceK: 120}, "Rules.DominanceK 120"},
		{"dominance k zero", nil, 1, protect.Rules{DominanceN: 2}, "Rules.DominanceK 0"},
		{"key too short", []protect.Cell{{Key: []any{1}, N: 3}}, 2, ok, "Key has 1 values, want 2"},
		{"several cells without group by", []protect.Cell{{N: 3}, {N: 4}}, 0, ok, "one cell when there is no GROUP BY"},
		{"an empty group", []protect.Cell{{Key: []any{1}, N: 0}}, 1, ok, "N 0"},
		{"the same key twice (1 and 1.0 are one group)", []protect.Cell{{Key: []any{int64(1)}, N: 3}, {Key: []any{1.0}, N: 4}}, 1, ok, "the same key"},
		{"Abs shorter than Top", []protect.Cell{{Key: []any{1}, N: 3, Top: [][]float64{{1}}}}, 1, ok, "Abs has 0 values"},
		{"negative Abs", []protect.Cell{{Key: []any{1}, N: 3, Top: [][]float64{{1}}, Abs: []float64{-1}}}, 1, ok, "Abs -1"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			st, err := protect.Suppress(test.cells, test.dims, test.rules)
			if err == nil || !strings.Contains(err.Error(), test.want) {
				t.Fatalf("got %v, %v; want an error containing %q", st, err, test.want)
			}
		})
	}
}

func TestIsolates(t *testing.T) {
	tests := []struct {
		o    protect.Overlap
		min  int
		want bool
	}{
		{protect.Overlap{Now: 100, Earlier: 100, Both: 100}, 10, false}, // the same persons
		{protect.Overlap{Now: 100, Earlier: 99, Both: 99}, 10, true},    // one person more: the classic difference
		{protect.Overlap{Now: 99, Earlier: 100, Both: 99}, 10, true},    // one person fewer
		{protect.Overlap{Now: 109, Earlier: 100, Both: 100}, 10, true},  // nine more
		{protect.Overlap{Now: 110, Earlier: 100, Both: 100}, 10, false}, // ten more: a cell of its own size
		{protect.Overlap{Now: 50, Earlier: 60, Both: 0}, 10, false},     // disjoint
		{protect.Overlap{Now: 105, Earlier: 105, Both: 100}, 10, true},  // five swapped each way
		{protect.Overlap{Now: 120, Earlier: 103, Both: 100}, 10, true},  // 20 new, but 3 gone
		{protect.Overlap{Now: 120, Earlier: 130, Both: 100}, 10, false}, // 20 and 30 apart
		{protect.Overlap{Now: 5, Earlier: 6, Both: 5}, 1, false},        // min 1: nothing is too few
		{protect.Overlap{Now: 5, Earlier: 6, Both: 7}, 10, true},        // impossible counts: refuse
		{protect.Overlap{Now: 5, Earlier: 6, Both: -1}, 10, true},
	}
	for _, test := range tests {
		if got := protect.Isolates(test.o, test.min); got != test.want {
			t.Errorf("Isolates(%+v, %d) = %v, want %v", test.o, test.min, got, test.want)
		}
	}
}
