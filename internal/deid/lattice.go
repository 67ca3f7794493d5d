package deid

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
)

// The generalisation lattice: a node gives each quasi-identifier a level of
// its hierarchy; node A is below node B when every level of A is at most
// B's. Whether a node satisfies the privacy model (k-anonymity, distinct
// l-diversity, t-closeness, each with the rows of failing classes
// suppressed up to the limit) is monotone: if it holds at a node it holds
// at every node above. The search (after Flash, Kohlmayer et al. 2012)
// binary-searches a first greedy path up the lattice for its lowest node
// that holds, which gives an upper bound on the best loss. Information
// loss with suppression is not monotone, so every node whose lower bound
// (its loss with no suppression, additive per column and known in advance,
// plus the suppression cost inherited from passing nodes above it) is
// below the best loss found must then be decided: the region is walked top
// down, so that a failing node tags everything below it as failing without
// evaluation and only the maximal failing nodes and the passing nodes are
// evaluated, tagging all nodes above a passing node as passing. Remaining
// paths and passing candidates are then checked as before (normally
// nothing is left).

// ErrLatticeTooLarge means the hierarchies allow too many combinations to search.
var ErrLatticeTooLarge = errors.New("the generalisation lattice is too large: use fewer quasi-identifiers or fewer hierarchy levels")

// ErrNoSolution means no generalisation satisfies the privacy model within the suppression limit.
var ErrNoSolution = errors.New("no generalisation satisfies the privacy model within the suppression limit")

const maxLatticeNodes = 1 << 22

// qiColumn is one quasi-identifier, encoded: level-0 codes per row, and per
// level the code of each level-0 code, the labels, and the loss of each code.
type qiColumn struct {
	name    string
	height  int
	gen     [][]int32   // gen[level][code0] → code at level
	labels  [][]string  // labels[level][code]
	loss    [][]float64 // loss[level][code]: (leaves under the code − 1) / (distinct values − 1)
	avgLoss []float64   // mean loss over rows, per level
	// Per level: level / (levels − 1), and the column's non-uniform entropy (see metric.go).
	intensity, entropy []float64
}

// sensAttr is one sensitive attribute: a code per row and the whole table's distribution.
type sensAttr struct {
	name    string
	codes   []int32
	d       int
	global  []float64
	numeric bool
	rank    []int32   // numeric: order of each code by value
	ranked  []float64 // numeric: the global distribution in value order
}

// problem is the search input.
type problem struct {
	n, q    int
	cols    []qiColumn
	rows    []int32 // n*q level-0 codes
	sens    []sensAttr
	k, l    int
	t       float64
	maxSupp int
	strides []int
	nodes   int
	// The bottom classes: rows grouped by their original values.
	rowClass []int32   // the bottom class of each row
	codes0   [][]int32 // codes0[j][b]: column j's level-0 code for bottom class b
	bottom   *table
	// Blocks of columns whose level-0 domains multiply to at most
	// blockSize: a bottom class's codes in a block combine into one index,
	// so a node's class key is a sum of one small-table lookup per block.
	// None when a column has more values than a block index can hold.
	blocks []block
	// ctx stops the search: once it is done, every node left fails at
	// once without being computed, and search returns ctx's error.
	ctx context.Context
	// metric is the one minimised (metric.go); minKept and dmBottom serve
	// discernibility's bounds; eps is the rounding margin of its values.
	metric            string
	minKept, dmBottom float64
	eps               float64
}

// block is a run of columns and each bottom class's combined level-0 index in it.
type block struct {
	cols []int
	size int
	idx  []uint16 // idx[b] = Σ code0_j(b) × (product of the domains of the block's earlier columns)
}

// blockSize bounds the lookup table a block needs per node; a column with
// more values has a block of its own, if its values fit a block index.
const blockSize = 4096

// denseKeys is the largest key space counted in a direct-addressed table rather than a hash table.
const denseKeys = 1 << 18

// table is the equivalence classes of the rows at one node: for each class
// a bottom class it contains (whose codes stand for it), its size, the
// blocks' combined level-0 indexes of that bottom class, and per sensitive
// attribute the (code, count) pairs of the class.
type table struct {
	levels []int
	m      int
	rep    []int32
	count  []int32
	bidx   [][]uint16 // bidx[b][c] = blocks[b].idx[rep[c]]
	sens   []pairs
}

type pairs struct {
	off  []int32 // class c's pairs are [off[c], off[c+1])
	code []int32
	cnt  []int32
}

// evaluation is what checking a node found.
type evaluation struct {
	ok         bool
	suppressed int
	loss       float64 // the chosen metric, for a passing node
	// floor is, for discernibility, the sum of dmFloor over the node's
	// classes when they were all counted (0 otherwise): a lower bound at
	// every node above.
	floor float64
}

// searchStats describe a search.
type searchStats struct {
	Nodes     int `json:"nodes"`
	Evaluated int `json:"evaluated"`
	// Frontier counts the evaluations that found the boundary between
	// passing and failing nodes; the rest compared the loss of passing nodes.
	Frontier int   `json:"frontier"`
	RolledUp int64 `json:"rolled_up_classes"`
}

type status uint8

const (
	unknown status = iota
	passes
	fails
)

func newProblem(cols []qiColumn, rows []int32, n int, sens []sensAttr, k, l int, t, maxSupp float64, metric string) (*problem, error) {
	p := &problem{n: n, q: len(cols), cols: cols, rows: rows, sens: sens, k: max(k, 1), l: l, t: t,
		maxSupp: int(math.Floor(maxSupp*float64(n) + 1e-9)), ctx: context.Background(), metric: metric}
	p.nodes = 1
	for _, c := range cols {
		p.strides = append(p.strides, p.nodes)
		if p.nodes > maxLatticeNodes/c.height {
			return nil, ErrLatticeTooLarge
		}
		p.nodes *= c.height
	}
	p.groupRows()
	p.prepareMetrics()
	return p, nil
}

// groupRows finds the bottom classes and lays out every column's level-0
// codes per bottom class, and their combined index per block.
func (p *problem) groupRows() {
	level0 := make([][]int32, p.q)
	for j := range p.q {
		level0[j] = make([]int32, p.n)
		for i := range p.n {
			level0[j][i] = p.rows[i*p.q+j]
		}
	}
	var sc rollupScratch
	radix, exact := p.radix(make([]int, p.q))
	first, _ := groupBy(level0, radix, exact, nil, p.n, &sc, 0)
	p.rowClass = slices.Clone(sc.idx[:p.n])
	m0 := len(first)
	p.codes0 = make([][]int32, p.q)
	for j := range p.cols {
		p.codes0[j] = make([]int32, m0)
		for b, row := range first {
			p.codes0[j][b] = level0[j][row]
		}
	}
	p.makeBlocks(m0)
	p.bottom = &table{levels: make([]int, p.q), m: m0, rep: make([]int32, m0), count: make([]int32, m0)}
	for b := range m0 {
		p.bottom.rep[b] = int32(b)
	}
	for _, bl := range p.blocks {
		p.bottom.bidx = append(p.bottom.bidx, bl.idx)
	}
	for _, b := range p.rowClass {
		p.bottom.count[b]++
	}
	if p.l > 0 || p.t > 0 {
		p.bottom = p.withSensitive(p.bottom)
	}
}

// makeBlocks packs the columns into blocks, for m0 bottom classes.
func (p *problem) makeBlocks(m0 int) {
	for _, c := range p.cols {
		if len(c.labels[0]) > math.MaxUint16+1 {
			return
		}
	}
	for j, c := range p.cols {
		d := len(c.labels[0])
		if len(p.blocks) == 0 || p.blocks[len(p.blocks)-1].size*d > blockSize {
			p.blocks = append(p.blocks, block{size: 1, idx: make([]uint16, m0)})
		}
		bl := &p.blocks[len(p.blocks)-1]
		for b, code := range p.codes0[j] {
			bl.idx[b] += uint16(code) * uint16(bl.size)
		}
		bl.cols = append(bl.cols, j)
		bl.size *= d
	}
}

func (p *problem) levelsOf(node int) []int {
	return p.levels(node, make([]int, p.q))
}

// levels writes node's level of each column into lv and returns it.
func (p *problem) levels(node int, lv []int) []int {
	for j := range p.q {
		lv[j] = node / p.strides[j] % p.cols[j].height
	}
	return lv
}

// search finds the passing node of least loss. Only nodes whose lower
// bound is below the best loss found so far can matter, and that set is
// closed downwards, so the frontier search is confined to it: a first
// greedy path gives an upper bound, and every passing node evaluated
// afterwards can lower it.
func (p *problem) search() (int, evaluation, searchStats, error) {
	s := &searcher{p: p, st: make([]status, p.nodes), eval: make([]evaluation, p.nodes), done: make([]bool, p.nodes),
		best: -1, bestLoss: math.Inf(1)}
	s.bottom = p.bottom
	s.lb = make([]float64, p.nodes)
	s.exc = make([]float64, p.nodes)
	s.up = make([]float64, p.nodes)
	for n := range p.nodes {
		s.lb[n] = p.lowerBound(n)
	}
	s.checkPath(s.path(0))
	// With the first path's loss as the bound, decide the region top
	// down; the paths below then find nothing left to evaluate. A node
	// not needed now never will be: the best loss only falls and the
	// bounds only rise.
	desc := []int{}
	for n := range p.nodes {
		if s.needed(n) {
			desc = append(desc, n)
		}
	}
	slices.SortFunc(desc, func(x, y int) int {
		if s.lb[x] != s.lb[y] {
			return s.byBound(y, x)
		}
		if hx, hy := p.height(x), p.height(y); hx != hy {
			return hy - hx // top down where the bound does not tell (discernibility)
		}
		return x - y
	})
	s.topDown(desc)
	s.checkPaths()
	frontier := s.evaluated
	cands := []int{}
	for n := range p.nodes {
		if s.st[n] == passes && !s.done[n] && s.bound(n) < s.bestLoss {
			cands = append(cands, n)
		}
	}
	slices.SortFunc(cands, s.byBound)
	for _, n := range cands {
		if s.lb[n] >= s.bestLoss {
			break
		}
		if s.bound(n) < s.bestLoss {
			s.evaluate(n)
		}
	}
	stats := searchStats{Nodes: p.nodes, Evaluated: s.evaluated, Frontier: frontier, RolledUp: s.rolled}
	if err := p.ctx.Err(); err != nil {
		return -1, evaluation{}, stats, fmt.Errorf("deid: search stopped: %w", err)
	}
	if s.best < 0 {
		return -1, evaluation{}, stats, ErrNoSolution
	}
	return s.best, s.eval[s.best], stats, nil
}

// checkPaths checks, lowest nodes first, a path from every node left
// undecided under the best loss (normally none is).
func (s *searcher) checkPaths() {
	undecided := func(n int) bool { return s.st[n] == unknown && s.bound(n) < s.bestLoss }
	order := []int{}
	for n := range s.p.nodes {
		if undecided(n) {
			order = append(order, n)
		}
	}
	slices.SortFunc(order, func(x, y int) int {
		if hx, hy := s.p.height(x), s.p.height(y); hx != hy {
			return hx - hy
		}
		return s.byBound(x, y)
	})
	for _, n := range order {
		if undecided(n) {
			s.checkPath(s.path(n))
		}
	}
}

// height is the sum of node n's levels.
func (p *problem) height(n int) int {
	h := 0
	for j, c := range p.cols {
		h += n / p.strides[j] % c.height
	}
	return h
}

// byBound orders nodes by their loss without suppression, then by number.
func (s *searcher) byBound(x, y int) int {
	switch {
	case s.lb[x] < s.lb[y]:
		return -1
	case s.lb[x] > s.lb[y]:
		return 1
	}
	return x - y
}

type searcher struct {
	p         *problem
	st        []status
	eval      []evaluation
	done      []bool
	lb        []float64
	exc       []float64
	up        []float64
	bottom    *table
	cache     []*table
	cached    int
	evaluated int
	rolled    int64
	scratch   rollupScratch
	best      int
	bestLoss  float64
}

// path climbs greedily from n through untagged nodes, taking at each step
// the successor whose lower bound rises least.
func (s *searcher) path(n int) []int {
	path := []int{n}
	for {
		next := -1
		for j, c := range s.p.cols {
			if n/s.p.strides[j]%c.height+1 < c.height {
				up := n + s.p.strides[j]
				if s.st[up] == unknown && s.bound(up) < s.bestLoss && (next < 0 || s.lb[up] < s.lb[next]) {
					next = up
				}
			}
		}
		if next < 0 {
			return path
		}
		path, n = append(path, next), next
	}
}

// checkPath binary-searches a path (ordered bottom to top) for its lowest passing node.
func (s *searcher) checkPath(path []int) {
	lo, hi := 0, len(path)-1
	for lo <= hi {
		mid := (lo + hi) / 2
		n := path[mid]
		if s.st[n] == unknown {
			s.evaluate(n)
		}
		if s.st[n] == passes {
			hi = mid - 1
		} else {
			lo = mid + 1
		}
	}
}

// needed reports whether node n may still be the optimum and is undecided or unmeasured.
func (s *searcher) needed(n int) bool {
	return s.st[n] != fails && !s.done[n] && s.bound(n) < s.bestLoss
}

// compute builds n's classes from src and checks them; it changes nothing
// shared. The table is returned only when keep is set (and not when the
// node fails by its count of classes).
func (s *searcher) compute(n int, src *table, sc *rollupScratch, keep bool) (*table, evaluation) {
	p := s.p
	if p.ctx.Err() != nil { // stopped: fail the node uncomputed, so the walk ends quickly
		return nil, evaluation{}
	}
	lv := p.levelsOf(n)
	// A passing node that suppresses s ≤ maxSupp rows has at most s classes
	// below k (or l) rows and at most (n − s)/k others: more classes than
	// maxSupp + (n − maxSupp)/k, and the node fails without counting further.
	limit := p.maxSupp + (p.n-p.maxSupp)/max(p.k, p.l, 1)
	if p.l == 0 && p.t == 0 {
		p.setKeyer(lv, &sc.keyer)
		if sc.keyer.ok {
			if !p.countClasses(src, sc, limit) {
				return nil, evaluation{}
			}
			var t *table
			if keep {
				t = p.countedTable(src, lv, sc)
			}
			return t, p.checkCounts(src, lv, sc)
		}
	}
	t := p.rollupLimit(src, lv, sc, limit)
	if t == nil {
		return nil, evaluation{}
	}
	e := p.check(t)
	if !keep {
		t = nil
	}
	return t, e
}

// evaluate checks node n (once) and tags the nodes its result decides.
func (s *searcher) evaluate(n int) evaluation {
	if s.done[n] {
		return s.eval[n]
	}
	src := s.source(s.p.levelsOf(n))
	t, e := s.compute(n, src, &s.scratch, true)
	s.record(n, t, e, src)
	return e
}

// record enters the evaluation of node n (its table t rolled up from src).
func (s *searcher) record(n int, t *table, e evaluation, src *table) {
	s.rolled += int64(src.m)
	if t != nil {
		s.remember(t)
	}
	s.eval[n], s.done[n] = e, true
	s.evaluated++
	if e.floor > 0 {
		s.raiseUp(n, e.floor)
	}
	if e.ok {
		s.tag(n, passes, +1)
		if x, ok := s.p.excess(e, s.lb[n]); ok {
			s.raise(n, x)
		}
		if eps := s.p.eps; e.loss < s.bestLoss-eps || (e.loss <= s.bestLoss+eps && n < s.best) {
			s.best, s.bestLoss = n, e.loss
		}
	} else {
		s.tag(n, fails, -1)
	}
}

// bound is a lower bound on the metric at node n if it passes: its lower
// bound known in advance (lowerBound) plus the least excess of the rows it
// must suppress, inherited from passing nodes above it where the metric
// allows (excess); for discernibility, the largest dmFloor sum of
// a node below it.
func (s *searcher) bound(n int) float64 {
	return max(s.lb[n]+s.exc[n], s.up[n])
}

// raise records excess x (less a rounding margin) at n and every node below it.
func (s *searcher) raise(n int, x float64) { s.lift(s.exc, n, x-s.p.eps, -1) }

// raiseUp records floor x (less a rounding margin) at n and every node above it.
func (s *searcher) raiseUp(n int, x float64) { s.lift(s.up, n, x-s.p.eps, +1) }

// lift sets v to at least x at n and, transitively, every node below (dir
// −1) or above (dir +1) it.
func (s *searcher) lift(v []float64, n int, x float64, dir int) {
	if x <= v[n] {
		return
	}
	stack := []int{n}
	v[n] = x
	for len(stack) > 0 {
		y := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for j, c := range s.p.cols {
			l := y / s.p.strides[j] % c.height
			if (dir > 0 && l+1 < c.height) || (dir < 0 && l > 0) {
				z := y + dir*s.p.strides[j]
				if v[z] < x {
					v[z] = x
					stack = append(stack, z)
				}
			}
		}
	}
}

// tag marks n and, transitively, every node above (dir +1) or below (dir −1) it.
func (s *searcher) tag(n int, st status, dir int) {
	stack := []int{n}
	s.st[n] = st
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for j, c := range s.p.cols {
			l := x / s.p.strides[j] % c.height
			if (dir > 0 && l+1 < c.height) || (dir < 0 && l > 0) {
				y := x + dir*s.p.strides[j]
				if s.st[y] != st {
					s.st[y] = st
					stack = append(stack, y)
				}
			}
		}
	}
}

// source returns the smallest cached table of a node below lv, or the bottom.
func (s *searcher) source(lv []int) *table {
	src := s.bottom
	for _, t := range s.cache {
		if t.m < src.m && below(t.levels, lv) {
			src = t
		}
	}
	return src
}

// remember caches t, evicting the largest tables beyond the memory budget.
func (s *searcher) remember(t *table) {
	s.cache = append(s.cache, t)
	s.cached += t.m
	// Small tables are the cheap sources of later rollups: evict the largest.
	for s.cached > 16*s.p.n+1024 && len(s.cache) > 1 {
		big := 0
		for i, c := range s.cache {
			if c.m > s.cache[big].m {
				big = i
			}
		}
		s.cached -= s.cache[big].m
		s.cache = slices.Delete(s.cache, big, big+1)
	}
}

// nodeBelow reports whether node x is below (or is) node y.
func (p *problem) nodeBelow(x, y int) bool {
	for j, c := range p.cols {
		if x/p.strides[j]%c.height > y/p.strides[j]%c.height {
			return false
		}
	}
	return true
}

func below(a, b []int) bool {
	for i := range a {
		if a[i] > b[i] {
			return false
		}
	}
	return true
}

// checkCounts is check for the classes countClasses found in src at lv
// (k-anonymity alone): the suppressed rows first, the loss, summed as check
// sums it, only for a passing node.
func (p *problem) checkCounts(src *table, lv []int, sc *rollupScratch) evaluation {
	e := evaluation{}
	if p.metric == MetricDiscernibility {
		e.floor = p.dmFloorOf(sc.count)
	}
	for _, c := range sc.count {
		if int(c) < p.k {
			e.suppressed += int(c)
			if e.suppressed > p.maxSupp {
				return e
			}
		}
	}
	if p.metric == MetricLoss || (p.metric == MetricEntropy && e.suppressed > 0) {
		p.firstItems(src, sc)
	}
	e.ok = true
	e.loss = p.measure(p.metric, classes{lv: lv, size: sc.count,
		rep:  func(c int) int32 { return src.rep[sc.first[c]] },
		kept: func(c int) bool { return int(sc.count[c]) >= p.k }}, e.suppressed)
	return e
}

// cellLoss is the loss of the quasi-identifier cells of bottom class r at lv, summed over the columns.
func (p *problem) cellLoss(lv []int, r int32) float64 {
	cell := 0.0
	for j, col := range p.cols {
		l := lv[j]
		cell += col.loss[l][col.gen[l][p.codes0[j][r]]]
	}
	return cell
}

// check decides whether the classes of t satisfy the model after
// suppressing failing classes, and the information loss if they do.
func (p *problem) check(t *table) evaluation {
	e := evaluation{}
	if p.metric == MetricDiscernibility {
		e.floor = p.dmFloorOf(t.count[:t.m])
	}
	for c := range t.m {
		if !p.classOK(t, c) {
			e.suppressed += int(t.count[c])
			if e.suppressed > p.maxSupp {
				return e
			}
		}
	}
	e.ok = true
	e.loss = p.measure(p.metric, p.classesOf(t), e.suppressed)
	return e
}

// classesOf describes t's classes for measure.
func (p *problem) classesOf(t *table) classes {
	return classes{lv: t.levels, size: t.count[:t.m],
		rep:  func(c int) int32 { return t.rep[c] },
		kept: func(c int) bool { return p.classOK(t, c) }}
}

// classOK applies k, l and t to class c.
func (p *problem) classOK(t *table, c int) bool {
	if int(t.count[c]) < p.k {
		return false
	}
	if p.l == 0 && p.t == 0 {
		return true
	}
	for a := range p.sens {
		ps := t.sens[a]
		if p.l > 0 && int(ps.off[c+1]-ps.off[c]) < p.l {
			return false
		}
		if p.t > 0 && p.sens[a].emd(ps, c, t.count[c]) > p.t+1e-12 {
			return false
		}
	}
	return true
}

// emd is the earth mover's distance between class c's distribution of the
// attribute and the whole table's: half the total variation for
// categories, the normalised ordered distance for numbers.
func (s *sensAttr) emd(ps pairs, c int, size int32) float64 {
	n := float64(size)
	if !s.numeric {
		sum, covered := 0.0, 0.0
		for x := ps.off[c]; x < ps.off[c+1]; x++ {
			q := s.global[ps.code[x]]
			sum += math.Abs(float64(ps.cnt[x])/n - q)
			covered += q
		}
		return (sum + 1 - covered) / 2
	}
	if s.d < 2 {
		return 0
	}
	p := make([]float64, s.d)
	for x := ps.off[c]; x < ps.off[c+1]; x++ {
		p[s.rank[ps.code[x]]] = float64(ps.cnt[x]) / n
	}
	cum, sum := 0.0, 0.0
	for r := 0; r < s.d-1; r++ {
		cum += p[r] - s.ranked[r]
		sum += math.Abs(cum)
	}
	return sum / float64(s.d-1)
}

func (p *problem) String() string {
	return fmt.Sprintf("lattice of %d nodes over %d rows and %d quasi-identifiers", p.nodes, p.n, p.q)
}
