package protect

import (
	"errors"
	"math/big"
	"slices"
	"strconv"
	"strings"
)

// auditor finds suppressed cells that the margins determine. A margin's
// equation says its suppressed cells sum to its total less its released
// cells; a suppressed cell is determined iff its unit vector lies in the
// row space of these equations, that is iff every vector x of the null
// space (A_S·x = 0, A_S the margins restricted to the suppressed cells S)
// has x_j = 0. Suppressing more cells only adds columns, so the null space
// only grows and an undetermined cell stays undetermined: the auditor adds
// each newly suppressed cell's column to a column echelon basis, and when
// the column reduces to zero the combination that did it is a new
// null-space vector, whose support joins the undetermined cells. (The
// null vectors found this way, one per dependent column, are a basis of
// the null space, so their supports cover every undetermined cell.)
type auditor struct {
	t      *table
	nulls  *nullSpace
	inside []bool // cells whose column is in nulls
}

func newAuditor(t *table) *auditor {
	return &auditor{t: t, nulls: newNullSpace(len(t.cells)), inside: make([]bool, len(t.cells))}
}

// determined returns the suppressed cells whose values the margins
// determine, in key order.
func (a *auditor) determined(supp []bool) []int {
	for _, c := range a.t.order {
		if supp[c] && !a.inside[c] {
			a.inside[c] = true
			a.nulls.add(c, a.t.cellLines[c])
		}
	}
	var rat []bool
	if a.nulls.overflow {
		rat = a.determinedRat(supp)
	}
	var dets []int
	for _, c := range a.t.order {
		if supp[c] && (rat == nil && !a.nulls.free[c] || rat != nil && rat[c]) {
			dets = append(dets, c)
		}
	}
	return dets
}

// componentOf returns the suppressed cells linked to cell c by lines with
// suppressed cells in them, in key order.
func (a *auditor) componentOf(c int, supp []bool) []int {
	for _, comp := range a.components(supp) {
		if slices.Contains(comp, c) {
			return comp
		}
	}
	return nil
}

// components groups the suppressed cells that share one-dimensional
// lines, each group in key order and the groups by their first cell.
func (a *auditor) components(supp []bool) [][]int {
	parent := make([]int, len(supp))
	for i := range parent {
		parent[i] = i
	}
	find := func(x int) int {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for _, line := range a.t.lines[:a.t.narrow] {
		first := -1
		for _, c := range line {
			switch {
			case !supp[c]:
			case first < 0:
				first = c
			default:
				parent[find(c)] = find(first)
			}
		}
	}
	return groupInOrder(a.t.order, func(c int) (int, bool) { return find(c), supp[c] })
}

func signature(cells []int) string {
	var b strings.Builder
	for _, c := range cells {
		b.WriteString(strconv.Itoa(c))
		b.WriteByte(',')
	}
	return b.String()
}

// rows restricts the margins with the given ids to the suppressed cells.
func (a *auditor) rows(ids []int, supp []bool) [][]int {
	var rows [][]int
	for _, l := range ids {
		var row []int
		for _, c := range a.t.lines[l] {
			if supp[c] {
				row = append(row, c)
			}
		}
		if len(row) > 0 {
			rows = append(rows, row)
		}
	}
	return rows
}

// span lists the ids from lo up to hi.
func span(lo, hi int) []int {
	ids := make([]int, 0, hi-lo)
	for l := lo; l < hi; l++ {
		ids = append(ids, l)
	}
	return ids
}

// determinedRat solves the whole system in exact rationals, for the rare
// system whose integer coefficients grow too large.
func (a *auditor) determinedRat(supp []bool) []bool {
	var cols []int
	index := make([]int, len(supp))
	for c, s := range supp {
		if s {
			index[c] = len(cols)
			cols = append(cols, c)
		}
	}
	rows := a.rows(span(0, len(a.t.lines)), supp)
	for _, row := range rows {
		for i, c := range row {
			row[i] = index[c]
		}
	}
	det := make([]bool, len(supp))
	for i, d := range determinedRat(rows, len(cols)) {
		det[cols[i]] = d
	}
	return det
}

var errOverflow = errors.New("protect: integer elimination overflows")

// term is one nonzero coefficient of a sparse row.
type term struct {
	col int
	v   int64
}

// nullSpace grows the null space of the margins over the suppressed
// cells, over the integers and fraction-free: each basis column b is kept
// with its expression e over the cells' columns (b = A·e), and a column is
// combined with a basis column by cross-multiplying and then dividing both
// parts by the gcd of their coefficients, which keeps these 0/1 systems'
// coefficients small. If any coefficient would exceed 2^62 it sets
// overflow (and the auditor falls back to rationals).
type nullSpace struct {
	basis    []column
	byPivot  map[int]int // margin → the basis column pivoting on it
	free     []bool      // cells some null vector moves: undetermined
	overflow bool
}

// column is A·e = b, b's first entry (its smallest margin) the pivot.
type column struct{ b, e []term }

func newNullSpace(cells int) *nullSpace {
	return &nullSpace{byPivot: map[int]int{}, free: make([]bool, cells)}
}

// add adds cell c's column (1 in each of its margins): reduced in
// increasing margin order by the basis columns pivoting there, it either
// becomes a basis column or vanishes, leaving a null vector e.
func (n *nullSpace) add(c int, margins []int) {
	if n.overflow {
		return
	}
	b := make([]term, len(margins))
	for i, l := range margins {
		b[i] = term{l, 1}
	}
	slices.SortFunc(b, func(x, y term) int { return x.col - y.col })
	e := []term{{c, 1}}
	for len(b) > 0 {
		k, ok := n.byPivot[b[0].col]
		if !ok {
			n.byPivot[b[0].col] = len(n.basis)
			n.basis = append(n.basis, column{b, e})
			return
		}
		p := n.basis[k]
		x, y := p.b[0].v, b[0].v
		g := gcd(x, y)
		var err1, err2 error
		b, err1 = combine(x/g, b, y/g, p.b)
		e, err2 = combine(x/g, e, y/g, p.e)
		if err1 != nil || err2 != nil {
			n.overflow = true
			return
		}
		g = gcd(content(b), content(e))
		divide(b, g)
		divide(e, g)
	}
	for _, t := range e {
		n.free[t.col] = true
	}
}

// determinedInt reports which of m unknowns the rows (lists of the
// unknowns each sums) determine, through nullSpace; it fails on overflow.
func determinedInt(rows [][]int, m int) ([]bool, error) {
	margins := make([][]int, m)
	for r, row := range rows {
		for _, c := range row {
			margins[c] = append(margins[c], r)
		}
	}
	n := newNullSpace(m)
	for c := range m {
		n.add(c, margins[c])
	}
	if n.overflow {
		return nil, errOverflow
	}
	det := make([]bool, m)
	for c := range det {
		det[c] = !n.free[c]
	}
	return det, nil
}

// combine returns x·r − y·p.
func combine(x int64, r []term, y int64, p []term) ([]term, error) {
	out := make([]term, 0, len(r)+len(p))
	i, j := 0, 0
	for i < len(r) || j < len(p) {
		var col int
		var u, w int64
		switch {
		case j == len(p) || (i < len(r) && r[i].col < p[j].col):
			col, u = r[i].col, r[i].v
			i++
		case i == len(r) || p[j].col < r[i].col:
			col, w = p[j].col, p[j].v
			j++
		default:
			col, u, w = r[i].col, r[i].v, p[j].v
			i++
			j++
		}
		xu, ok1 := mul(x, u)
		yw, ok2 := mul(y, w)
		v := xu - yw
		if !ok1 || !ok2 || v > limit || v < -limit {
			return nil, errOverflow
		}
		if v != 0 {
			out = append(out, term{col, v})
		}
	}
	return out, nil
}

// content is the gcd of the coefficients (1 for none).
func content(v []term) int64 {
	g := int64(0)
	for _, t := range v {
		g = gcd(g, t.v)
	}
	return g
}

func divide(v []term, g int64) {
	for k := range v {
		v[k].v /= g
	}
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

// determinedRat is determinedInt in exact rationals (dense Gauss–Jordan
// to reduced row echelon form; the determined unknowns are the pivot
// columns whose row holds nothing but the pivot).
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
