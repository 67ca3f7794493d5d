package protect

import (
	"errors"
	"math/big"
	"slices"
	"strconv"
	"strings"
)

// auditor finds suppressed cells that the margins determine. The margins
// touching the suppressed cells split them into connected components
// (cells linked by sharing a margin), which are solved separately; a
// component found clean stays clean until a suppression changes it.
type auditor struct {
	t     *table
	clean map[string]bool
}

func newAuditor(t *table) *auditor { return &auditor{t: t, clean: map[string]bool{}} }

// determined returns a suppressed cell whose value the margins determine
// (the first by key of the first component that has one) and that cell's
// component, or -1 when there is none.
func (a *auditor) determined(supp []bool) (int, []int) {
	for _, comp := range a.components(supp) {
		sig := signature(comp)
		if a.clean[sig] {
			continue
		}
		if det := a.solve(comp, supp); det >= 0 {
			return det, comp
		}
		a.clean[sig] = true
	}
	return -1, nil
}

// components groups the suppressed cells that share margins, each group
// in key order and the groups by their first cell.
func (a *auditor) components(supp []bool) [][]int {
	parent := make([]int, len(supp))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(x int) int {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for _, line := range a.t.lines {
		first := -1
		for _, c := range line {
			if !supp[c] {
				continue
			}
			if first < 0 {
				first = c
			} else {
				parent[find(c)] = find(first)
			}
		}
	}
	byRoot := map[int]int{}
	var comps [][]int
	for _, c := range a.t.order { // key order, so each group is in key order
		if !supp[c] || len(a.t.cellLines[c]) == 0 {
			continue // a cell in no margin is undetermined
		}
		r := find(c)
		i, ok := byRoot[r]
		if !ok {
			i = len(comps)
			byRoot[r] = i
			comps = append(comps, nil)
		}
		comps[i] = append(comps[i], c)
	}
	return comps
}

func signature(comp []int) string {
	var b strings.Builder
	for _, c := range comp {
		b.WriteString(strconv.Itoa(c))
		b.WriteByte(',')
	}
	return b.String()
}

// solve returns the first cell of comp (in key order) determined by the
// margins through it, or -1.
func (a *auditor) solve(comp []int, supp []bool) int {
	col := make(map[int]int, len(comp))
	for i, c := range comp {
		col[c] = i
	}
	var rows [][]int
	for _, line := range a.t.linesOf(comp) {
		var row []int
		for _, c := range line {
			if supp[c] {
				row = append(row, col[c])
			}
		}
		rows = append(rows, row)
	}
	for i, d := range determinedUnknowns(rows, len(comp)) {
		if d {
			return comp[i]
		}
	}
	return -1
}

// determinedUnknowns solves a system of margins over m unknowns, each row
// listing the unknowns it sums (coefficient 1), and reports which
// unknowns are determined: those whose unit vector lies in the row space.
// After Gauss–Jordan elimination to reduced row echelon form, those are
// the pivot columns whose row holds nothing but the pivot (any other entry
// is a free column, and the null-space vector of that free column moves
// the pivot's value).
func determinedUnknowns(rows [][]int, m int) []bool {
	if det, err := determinedInt(rows, m); err == nil {
		return det
	}
	return determinedRat(rows, m)
}

var errOverflow = errors.New("protect: integer elimination overflows")

// term is one nonzero coefficient of a sparse row.
type term struct {
	col int
	v   int64
}

// determinedInt eliminates over the integers, fraction-free: a row is
// combined with the pivot row by cross-multiplying and then divided by the
// gcd of its coefficients, which keeps these 0/1 systems' coefficients
// small. It fails with errOverflow if any coefficient would exceed 2^62.
func determinedInt(rows [][]int, m int) ([]bool, error) {
	rs := make([][]term, len(rows))
	for i, row := range rows {
		rs[i] = make([]term, len(row))
		for j, c := range row {
			rs[i][j] = term{c, 1}
		}
		slices.SortFunc(rs[i], func(a, b term) int { return a.col - b.col })
	}
	pivotRow := make([]int, m)
	isPivot := make([]bool, len(rs))
	for c := range m {
		pivotRow[c] = -1
		for i, r := range rs { // the shortest row with c that is no pivot yet
			if !isPivot[i] && coef(r, c) != 0 && (pivotRow[c] < 0 || len(r) < len(rs[pivotRow[c]])) {
				pivotRow[c] = i
			}
		}
		p := pivotRow[c]
		if p < 0 {
			continue
		}
		isPivot[p] = true
		for i := range rs {
			if i != p && coef(rs[i], c) != 0 {
				var err error
				if rs[i], err = eliminate(rs[i], rs[p], c); err != nil {
					return nil, err
				}
			}
		}
	}
	det := make([]bool, m)
	for c, p := range pivotRow {
		det[c] = p >= 0 && len(rs[p]) == 1
	}
	return det, nil
}

func coef(r []term, c int) int64 {
	i, ok := slices.BinarySearchFunc(r, c, func(t term, c int) int { return t.col - c })
	if !ok {
		return 0
	}
	return r[i].v
}

// eliminate returns a·r − b·p divided by its content, where a and b make
// column c vanish.
func eliminate(r, p []term, c int) ([]term, error) {
	a, b := coef(p, c), coef(r, c)
	g := gcd(a, b)
	a, b = a/g, b/g
	out := make([]term, 0, len(r)+len(p))
	i, j := 0, 0
	for i < len(r) || j < len(p) {
		var col int
		var x, y int64
		switch {
		case j == len(p) || (i < len(r) && r[i].col < p[j].col):
			col, x = r[i].col, r[i].v
			i++
		case i == len(r) || p[j].col < r[i].col:
			col, y = p[j].col, p[j].v
			j++
		default:
			col, x, y = r[i].col, r[i].v, p[j].v
			i++
			j++
		}
		ax, ok1 := mul(a, x)
		by, ok2 := mul(b, y)
		v := ax - by
		if !ok1 || !ok2 || v > limit || v < -limit {
			return nil, errOverflow
		}
		if v != 0 {
			out = append(out, term{col, v})
		}
	}
	content := int64(0)
	for _, t := range out {
		content = gcd(content, t.v)
	}
	for k := range out {
		out[k].v /= content
	}
	return out, nil
}

const limit = 1 << 62

// mul multiplies, reporting false when the product exceeds 2^62.
func mul(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	p := a * b
	return p, p/b == a && p <= limit && p >= -limit
}

// gcd is the greatest common divisor of |a| and |b| (gcd(0, 0) = 1, so
// that dividing by it is harmless).
func gcd(a, b int64) int64 {
	a, b = max(a, -a), max(b, -b)
	for b != 0 {
		a, b = b, a%b
	}
	if a == 0 {
		return 1
	}
	return a
}

// determinedRat is determinedInt in exact rationals, for the rare system
// whose integer coefficients grow too large.
func determinedRat(rows [][]int, m int) []bool {
	a := make([][]*big.Rat, len(rows))
	for i, row := range rows {
		a[i] = make([]*big.Rat, m)
		for j := range a[i] {
			a[i][j] = new(big.Rat)
		}
		for _, c := range row {
			a[i][c].SetInt64(1)
		}
	}
	var pivots []int // pivots[k] is the column of row k
	tmp := new(big.Rat)
	for c := 0; c < m && len(pivots) < len(a); c++ {
		r := len(pivots)
		i := slices.IndexFunc(a[r:], func(row []*big.Rat) bool { return row[c].Sign() != 0 })
		if i < 0 {
			continue
		}
		a[r], a[r+i] = a[r+i], a[r]
		inv := new(big.Rat).Inv(a[r][c])
		for j := range m {
			a[r][j].Mul(a[r][j], inv)
		}
		for k := range a {
			if k == r || a[k][c].Sign() == 0 {
				continue
			}
			f := new(big.Rat).Set(a[k][c])
			for j := range m {
				a[k][j].Sub(a[k][j], tmp.Mul(f, a[r][j]))
			}
		}
		pivots = append(pivots, c)
	}
	det := make([]bool, m)
	for k, c := range pivots {
		det[c] = !slices.ContainsFunc(a[k], func(x *big.Rat) bool { return x != a[k][c] && x.Sign() != 0 })
	}
	return det
}
