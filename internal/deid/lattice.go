package deid

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"sync"
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
	rowClass []int32     // the bottom class of each row
	codes    [][][]int32 // codes[j][level][b]: column j's code at level for bottom class b
	bottom   *table
	// Blocks of columns whose level-0 domains multiply to at most
	// blockSize: a bottom class's codes in a block combine into one index,
	// so a node's class key is a sum of one small-table lookup per block.
	blocks []block
}

// block is a run of columns and each bottom class's combined level-0 index in it.
type block struct {
	cols []int
	size int
	idx  []int32 // idx[b] = Σ code0_j(b) × (product of the domains of the block's earlier columns)
}

// blockSize bounds the lookup table a block needs per node.
const blockSize = 4096

// denseKeys is the largest key space counted in a direct-addressed table rather than a hash table.
const denseKeys = 1 << 18

// table is the equivalence classes of the rows at one node: for each class
// a bottom class it contains (whose codes stand for it), its size, and per
// sensitive attribute the (code, count) pairs of the class.
type table struct {
	levels []int
	m      int
	rep    []int32
	count  []int32
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
	loss       float64
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

func newProblem(cols []qiColumn, rows []int32, n int, sens []sensAttr, k, l int, t, maxSupp float64) (*problem, error) {
	p := &problem{n: n, q: len(cols), cols: cols, rows: rows, sens: sens, k: max(k, 1), l: l, t: t,
		maxSupp: int(math.Floor(maxSupp*float64(n) + 1e-9))}
	p.nodes = 1
	for _, c := range cols {
		p.strides = append(p.strides, p.nodes)
		if p.nodes > maxLatticeNodes/c.height {
			return nil, ErrLatticeTooLarge
		}
		p.nodes *= c.height
	}
	p.groupRows()
	return p, nil
}

// groupRows finds the bottom classes and lays out every column's codes at
// every level per bottom class, so that a rollup reads q short arrays.
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
	p.codes = make([][][]int32, p.q)
	for j, c := range p.cols {
		p.codes[j] = make([][]int32, c.height)
		for l := range c.height {
			codes := make([]int32, m0)
			for b, row := range first {
				codes[b] = c.gen[l][level0[j][row]]
			}
			p.codes[j][l] = codes
		}
	}
	for j, c := range p.cols {
		d := len(c.labels[0])
		if len(p.blocks) == 0 || p.blocks[len(p.blocks)-1].size*d > blockSize {
			p.blocks = append(p.blocks, block{size: 1, idx: make([]int32, m0)})
		}
		bl := &p.blocks[len(p.blocks)-1]
		for b, code := range p.codes[j][0] {
			bl.idx[b] += code * int32(bl.size)
		}
		bl.cols = append(bl.cols, j)
		bl.size *= d
	}
	p.bottom = &table{levels: make([]int, p.q), m: m0, rep: make([]int32, m0), count: make([]int32, m0)}
	for b := range m0 {
		p.bottom.rep[b] = int32(b)
	}
	for _, b := range p.rowClass {
		p.bottom.count[b]++
	}
	if p.l > 0 || p.t > 0 {
		p.bottom = p.withSensitive(p.bottom)
	}
}

func (p *problem) levelsOf(node int) []int {
	lv := make([]int, p.q)
	for j := range p.q {
		lv[j] = node / p.strides[j] % p.cols[j].height
	}
	return lv
}

// lowerBound is the node's loss if nothing were suppressed.
func (p *problem) lowerBound(node int) float64 {
	s := 0.0
	for j := range p.q {
		s += p.cols[j].avgLoss[node/p.strides[j]%p.cols[j].height]
	}
	return s / float64(max(p.q, 1))
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
	height := make([]int, p.nodes)
	order := make([]int, p.nodes)
	for n := range p.nodes {
		s.lb[n] = p.lowerBound(n)
		order[n] = n
		for _, l := range p.levelsOf(n) {
			height[n] += l
		}
	}
	sort.Slice(order, func(a, b int) bool {
		x, y := order[a], order[b]
		if height[x] != height[y] {
			return height[x] < height[y]
		}
		return s.lb[x] < s.lb[y] || (s.lb[x] == s.lb[y] && x < y)
	})
	s.checkPath(s.path(0))
	// With the first path's loss as the bound, decide the region top
	// down; the paths below then find nothing left to evaluate.
	desc := slices.Clone(order)
	sort.Slice(desc, func(a, b int) bool {
		x, y := desc[a], desc[b]
		return s.lb[x] > s.lb[y] || (s.lb[x] == s.lb[y] && x < y)
	})
	s.topDown(desc)
	for _, n := range order {
		if s.st[n] == unknown && s.bound(n) < s.bestLoss {
			s.checkPath(s.path(n))
		}
	}
	frontier := s.evaluated
	cands := []int{}
	for n := range p.nodes {
		if s.st[n] == passes && !s.done[n] && s.bound(n) < s.bestLoss {
			cands = append(cands, n)
		}
	}
	sort.Slice(cands, func(a, b int) bool {
		x, y := cands[a], cands[b]
		return s.lb[x] < s.lb[y] || (s.lb[x] == s.lb[y] && x < y)
	})
	for _, n := range cands {
		if s.lb[n] >= s.bestLoss {
			break
		}
		if s.bound(n) < s.bestLoss {
			s.evaluate(n)
		}
	}
	stats := searchStats{Nodes: p.nodes, Evaluated: s.evaluated, Frontier: frontier, RolledUp: s.rolled}
	if s.best < 0 {
		return -1, evaluation{}, stats, ErrNoSolution
	}
	return s.best, s.eval[s.best], stats, nil
}

type searcher struct {
	p         *problem
	st        []status
	eval      []evaluation
	done      []bool
	lb        []float64
	exc       []float64
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

// topDown evaluates, from the highest lower bound down, every node that
// may still beat the best loss and is not known to fail. Each passing node
// is then evaluated once, for its loss; each failing one only if no node
// above it in the region failed before it. With more than one CPU the next
// node not below the current one is evaluated alongside it, and its result
// is used only if the sequential order would have evaluated it too, so the
// outcome is the same.
func (s *searcher) topDown(desc []int) {
	workers := runtime.GOMAXPROCS(0)
	var other rollupScratch
	for i, n := range desc {
		if !s.needed(n) {
			continue
		}
		m := -1
		if workers > 1 {
			lv := s.p.levelsOf(n)
			for _, c := range desc[i+1 : min(i+64, len(desc))] {
				if s.needed(c) && !below(s.p.levelsOf(c), lv) {
					m = c
					break
				}
			}
		}
		if m < 0 {
			s.evaluate(n)
			continue
		}
		srcN, srcM := s.source(s.p.levelsOf(n)), s.source(s.p.levelsOf(m))
		var tm *table
		var em evaluation
		var wg sync.WaitGroup
		wg.Go(func() { tm, em = s.compute(m, srcM, &other) })
		tn, en := s.compute(n, srcN, &s.scratch)
		wg.Wait()
		s.record(n, tn, en, srcN)
		if s.needed(m) {
			s.record(m, tm, em, srcM)
		}
	}
}

// needed reports whether node n may still be the optimum and is undecided or unmeasured.
func (s *searcher) needed(n int) bool {
	return s.st[n] != fails && !s.done[n] && s.bound(n) < s.bestLoss
}

// compute builds n's classes from src and checks them; it changes nothing shared.
func (s *searcher) compute(n int, src *table, sc *rollupScratch) (*table, evaluation) {
	lv := s.p.levelsOf(n)
	// A passing node has at most n/k classes of k rows or more, and at most
	// as many smaller ones as rows may be suppressed: more classes than
	// that, and the node fails without counting further.
	t := s.p.rollupLimit(src, lv, sc, s.p.n/max(s.p.k, s.p.l, 1)+s.p.maxSupp)
	if t == nil {
		return nil, evaluation{}
	}
	return t, s.p.check(t)
}

// evaluate checks node n (once) and tags the nodes its result decides.
func (s *searcher) evaluate(n int) evaluation {
	if s.done[n] {
		return s.eval[n]
	}
	src := s.source(s.p.levelsOf(n))
	t, e := s.compute(n, src, &s.scratch)
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
	if e.ok {
		s.tag(n, passes, +1)
		if s.p.t == 0 {
			s.raise(n, e.loss-s.lb[n])
		}
		if e.loss < s.bestLoss-1e-12 || (e.loss <= s.bestLoss+1e-12 && n < s.best) {
			s.best, s.bestLoss = n, e.loss
		}
	} else {
		s.tag(n, fails, -1)
	}
}

// bound is a lower bound on the loss of node n if it passes: its loss
// without suppression plus the least cost of the rows it must suppress.
// Under k-anonymity and distinct l-diversity a row suppressed at a node is
// suppressed at every node below it too, and costs there at least as much
// (q minus a cell loss that can only be smaller), so the excess of a
// passing node's loss over its bound without suppression is a lower bound
// for the excess of every node below it.
func (s *searcher) bound(n int) float64 {
	return s.lb[n] + s.exc[n]
}

// raise records excess x (less a rounding margin) at n and every node below it.
func (s *searcher) raise(n int, x float64) {
	x -= 1e-12
	if x <= s.exc[n] {
		return
	}
	stack := []int{n}
	s.exc[n] = x
	for len(stack) > 0 {
		y := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for j, c := range s.p.cols {
			if y/s.p.strides[j]%c.height > 0 {
				z := y - s.p.strides[j]
				if s.exc[z] < x {
					s.exc[z] = x
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

func below(a, b []int) bool {
	for i := range a {
		if a[i] > b[i] {
			return false
		}
	}
	return true
}

// rollupScratch holds buffers reused across rollups.
type rollupScratch struct {
	keys  []uint64
	hkeys []uint64
	lut   []uint64
	dense []int32
	first []int32
	slot  []int32
	idx   []int32
	order []int32
	acc   []int32
	touch []int32
	cols  [][]int32
}

// rollup groups src's classes at the (higher or equal) levels lv.
func (p *problem) rollup(src *table, lv []int, sc *rollupScratch) *table {
	return p.rollupLimit(src, lv, sc, 0)
}

// rollupLimit is rollup that gives up, returning nil, as soon as there are
// more than limit classes (limit > 0).
func (p *problem) rollupLimit(src *table, lv []int, sc *rollupScratch, limit int) *table {
	sc.cols = sc.cols[:0]
	for j := range p.q {
		sc.cols = append(sc.cols, p.codes[j][lv[j]])
	}
	radix, exact := p.radix(lv)
	var first []int32
	ok := false
	if exact {
		reps := src.rep
		if src.m > 0 && &src.rep[0] == &p.bottom.rep[0] {
			reps = nil // the bottom classes stand for themselves
		}
		first, ok = p.groupBlocks(lv, radix, reps, src.m, sc, limit)
	} else {
		first, ok = groupBy(sc.cols, radix, exact, src.rep, src.m, sc, limit)
	}
	if !ok {
		return nil
	}
	dst := &table{levels: slices.Clone(lv), m: len(first), rep: make([]int32, len(first)), count: make([]int32, len(first))}
	for c, i := range first {
		dst.rep[c] = src.rep[i]
	}
	for i := range src.m {
		dst.count[sc.idx[i]] += src.count[i]
	}
	if len(src.sens) > 0 {
		p.mergeSensitive(src, dst, sc)
	}
	return dst
}

// radix returns the domain size of each column at lv, and whether their
// product fits in 64 bits (so a class key packs into a uint64).
func (p *problem) radix(lv []int) ([]uint64, bool) {
	r := make([]uint64, p.q)
	total := 0
	for j, c := range p.cols {
		r[j] = uint64(len(c.labels[lv[j]]))
		total += bits.Len64(r[j])
	}
	return r, total <= 64
}

// groupBy assigns each of m items (item i stands for reps[i], or i when
// reps is nil) a class by its codes in cols, recording the class in
// sc.idx[i] and returning the first item of each class. With limit > 0 it
// stops, reporting false, when there are more than limit classes.
func groupBy(cols [][]int32, radix []uint64, exact bool, reps []int32, m int, sc *rollupScratch, limit int) ([]int32, bool) {
	sc.idx = grow(sc.idx, m)
	if !exact {
		return groupByString(cols, reps, m, sc, limit)
	}
	size := 1
	for size < 2*m {
		size <<= 1
	}
	sc.keys = grow(sc.keys, size)
	sc.slot = grow(sc.slot, size)
	for i := range sc.slot[:size] {
		sc.slot[i] = -1
	}
	mask := uint64(size - 1)
	shift := 64 - bits.Len64(mask)
	first := make([]int32, 0, min(m, 1024))
	for i := range m {
		r := int32(i)
		if reps != nil {
			r = reps[i]
		}
		var key uint64
		for j, c := range cols {
			key = key*radix[j] + uint64(c[r])
		}
		h := (key * 0x9E3779B97F4A7C15) >> shift & mask
		for {
			s := sc.slot[h]
			if s < 0 {
				sc.slot[h], sc.keys[h] = int32(len(first)), key
				sc.idx[i] = int32(len(first))
				first = append(first, int32(i))
				if limit > 0 && len(first) > limit {
					return nil, false
				}
				break
			}
			if sc.keys[h] == key {
				sc.idx[i] = s
				break
			}
			h = (h + 1) & mask
		}
	}
	return first, true
}

// groupBlocks is groupBy for keys that pack into 64 bits: each item's key
// at lv is the sum of one lookup per block, and the keys are counted in a
// direct-addressed table when the key space is small, a hash table otherwise.
func (p *problem) groupBlocks(lv []int, radix []uint64, reps []int32, m int, sc *rollupScratch, limit int) ([]int32, bool) {
	// The multiplier of each column in the node's mixed-radix key.
	mult := make([]uint64, p.q)
	space := uint64(1)
	for j := range p.q {
		mult[j] = space
		space *= radix[j]
	}
	sc.idx = grow(sc.idx, m)
	sc.keys = grow(sc.keys, m)
	keys := sc.keys[:m]
	for bi, bl := range p.blocks {
		// The block's table: the key contribution of each combined index.
		tab := grow(sc.lut, bl.size)[:1]
		tab[0] = 0
		for _, j := range bl.cols {
			gen, mj := p.cols[j].gen[lv[j]], mult[j]
			n := len(tab)
			tab = tab[:n*len(gen)]
			for c := len(gen) - 1; c >= 0; c-- {
				add := uint64(gen[c]) * mj
				seg := tab[c*n : (c+1)*n]
				for t := range seg {
					seg[t] = tab[t] + add
				}
			}
		}
		sc.lut = tab
		idx := bl.idx
		switch {
		case reps == nil && bi == 0:
			for i, x := range idx[:m] {
				keys[i] = tab[x]
			}
		case reps == nil:
			for i, x := range idx[:m] {
				keys[i] += tab[x]
			}
		case bi == 0:
			for i, r := range reps[:m] {
				keys[i] = tab[idx[r]]
			}
		default:
			for i, r := range reps[:m] {
				keys[i] += tab[idx[r]]
			}
		}
	}
	first := sc.first[:0]
	out := sc.idx[:m]
	if space <= denseKeys {
		// Direct addressing: dense[key] is the class + 1, reset afterwards.
		if uint64(len(sc.dense)) < space {
			sc.dense = make([]int32, max(space, 1024))
		}
		dense := sc.dense[:space]
		ok := true
		for i, key := range keys {
			c := dense[key] - 1
			if c < 0 {
				c = int32(len(first))
				dense[key] = c + 1
				first = append(first, int32(i))
				if limit > 0 && len(first) > limit {
					ok = false
					break
				}
			}
			out[i] = c
		}
		for _, i := range first {
			dense[keys[i]] = 0
		}
		sc.first = first
		if !ok {
			return nil, false
		}
		return slices.Clone(first), true
	}
	size := 1
	for size < 2*m {
		size <<= 1
	}
	sc.slot = grow(sc.slot, size)
	sc.hkeys = grow(sc.hkeys, size)
	slot, hkeys := sc.slot[:size], sc.hkeys[:size]
	for i := range slot {
		slot[i] = -1
	}
	mask := uint64(size - 1)
	shift := 64 - bits.Len64(mask)
	for i, key := range keys {
		h := (key * 0x9E3779B97F4A7C15) >> shift & mask
		for {
			s := slot[h]
			if s < 0 {
				slot[h], hkeys[h] = int32(len(first)), key
				out[i] = int32(len(first))
				first = append(first, int32(i))
				if limit > 0 && len(first) > limit {
					sc.first = first
					return nil, false
				}
				break
			}
			if hkeys[h] == key {
				out[i] = s
				break
			}
			h = (h + 1) & mask
		}
	}
	sc.first = first
	return slices.Clone(first), true
}

func groupByString(cols [][]int32, reps []int32, m int, sc *rollupScratch, limit int) ([]int32, bool) {
	ids := make(map[string]int32, m)
	buf := make([]byte, 0, 4*len(cols))
	first := []int32{}
	for i := range m {
		r := int32(i)
		if reps != nil {
			r = reps[i]
		}
		buf = buf[:0]
		for _, c := range cols {
			buf = strconv.AppendInt(buf, int64(c[r]), 36)
			buf = append(buf, ',')
		}
		id, ok := ids[string(buf)]
		if !ok {
			id = int32(len(first))
			ids[string(buf)] = id
			first = append(first, int32(i))
			if limit > 0 && len(first) > limit {
				return nil, false
			}
		}
		sc.idx[i] = id
	}
	return first, true
}

// mergeSensitive sums the (code, count) pairs of the source classes that
// fall into each destination class.
func (p *problem) mergeSensitive(src, dst *table, sc *rollupScratch) {
	// Order source classes by destination class (counting sort).
	start := make([]int32, dst.m+1)
	for i := range src.m {
		start[sc.idx[i]+1]++
	}
	for c := range dst.m {
		start[c+1] += start[c]
	}
	sc.order = grow(sc.order, src.m)
	fill := slices.Clone(start[:dst.m])
	for i := range src.m {
		c := sc.idx[i]
		sc.order[fill[c]] = int32(i)
		fill[c]++
	}
	dst.sens = make([]pairs, len(p.sens))
	for a, attr := range p.sens {
		in := src.sens[a]
		out := pairs{off: make([]int32, dst.m+1)}
		sc.acc = grow(sc.acc, attr.d)
		for c := range dst.m {
			sc.touch = sc.touch[:0]
			for _, i := range sc.order[start[c]:start[c+1]] {
				for x := in.off[i]; x < in.off[i+1]; x++ {
					code := in.code[x]
					if sc.acc[code] == 0 {
						sc.touch = append(sc.touch, code)
					}
					sc.acc[code] += in.cnt[x]
				}
			}
			for _, code := range sc.touch {
				out.code = append(out.code, code)
				out.cnt = append(out.cnt, sc.acc[code])
				sc.acc[code] = 0
			}
			out.off[c+1] = int32(len(out.code))
		}
		dst.sens[a] = out
	}
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// check decides whether the classes of t satisfy the model after
// suppressing failing classes, and the information loss if they do.
func (p *problem) check(t *table) evaluation {
	e := evaluation{}
	keep := 0.0
	for c := range t.m {
		if !p.classOK(t, c) {
			e.suppressed += int(t.count[c])
			if e.suppressed > p.maxSupp {
				return e
			}
			continue
		}
		r := t.rep[c]
		cell := 0.0
		for j, col := range p.cols {
			l := t.levels[j]
			cell += col.loss[l][p.codes[j][l][r]]
		}
		keep += float64(t.count[c]) * cell
	}
	e.ok = true
	e.loss = (keep + float64(e.suppressed*p.q)) / float64(max(p.n*p.q, 1))
	return e
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
