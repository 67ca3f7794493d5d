package deid

import (
	"runtime"
	"slices"
	"sync"
)

// topDown evaluates, from the highest lower bound down, every node that
// may still beat the best loss and is not known to fail. Each passing node
// is then evaluated once, for its loss; each failing one only if no node
// above it in the region failed before it. Nodes evaluated later are never
// above the current one, so no table is kept for them.
//
// With more than one CPU a helper evaluates, ahead of the walk, nodes that
// are needed so far and not below a node still pending (whose failure
// would make them unneeded). The walk records results in its own order,
// and uses the helper's only for nodes it would have evaluated itself: an
// evaluation does not depend on when it is made (the cache of tables does
// not change during the walk), so the outcome is that of one CPU.
func (s *searcher) topDown(desc []int) {
	if runtime.GOMAXPROCS(0) == 1 {
		for _, n := range desc {
			if s.needed(n) {
				src := s.source(s.p.levelsOf(n))
				t, e := s.compute(n, src, &s.scratch, false)
				s.record(n, t, e, src)
			}
		}
		return
	}
	ah := &ahead{desc: desc, results: map[int]result{}}
	ah.cond = sync.NewCond(&ah.mu)
	var wg sync.WaitGroup
	wg.Go(func() { s.help(ah) })
	s.walk(ah)
	wg.Wait()
}

// ahead is what the walk and its helper share, guarded by mu.
type ahead struct {
	mu       sync.Mutex
	cond     *sync.Cond // signalled when a result arrives, the walk moves on or ends
	desc     []int
	pos      int            // desc[pos] is the next node the walk decides
	pending  []int          // nodes claimed for evaluation and not yet passed by the walk
	results  map[int]result // finished evaluations of pending nodes
	finished bool
}

// result is an evaluation made ahead of the walk.
type result struct {
	t, src *table
	e      evaluation
}

// walk is topDown's own order: it records each node it needs, evaluating
// it unless the helper has; while the helper is evaluating it, the walk
// evaluates another node ahead.
func (s *searcher) walk(ah *ahead) {
	ah.mu.Lock()
	defer ah.mu.Unlock()
	for ah.pos < len(ah.desc) {
		n := ah.desc[ah.pos]
		if !s.needed(n) {
			ah.pass(n)
			continue
		}
		if r, ok := ah.results[n]; ok {
			s.record(n, r.t, r.e, r.src)
			ah.pass(n)
			continue
		}
		c, src := n, (*table)(nil)
		if slices.Contains(ah.pending, n) {
			// The helper is evaluating n.
			if c, src = s.claim(ah); c < 0 {
				ah.cond.Wait()
				continue
			}
		} else {
			ah.pending = append(ah.pending, n)
			src = s.source(s.p.levelsOf(n))
		}
		s.evaluateAhead(ah, c, src, &s.scratch)
	}
	ah.finished = true
	ah.cond.Broadcast()
}

// pass moves the walk past node n.
func (ah *ahead) pass(n int) {
	ah.pos++
	if i := slices.Index(ah.pending, n); i >= 0 {
		ah.pending = slices.Delete(ah.pending, i, i+1)
		delete(ah.results, n)
	}
	ah.cond.Broadcast()
}

// help evaluates nodes ahead of the walk until it ends.
func (s *searcher) help(ah *ahead) {
	var sc rollupScratch
	ah.mu.Lock()
	defer ah.mu.Unlock()
	for !ah.finished {
		c, src := s.claim(ah)
		if c < 0 {
			ah.cond.Wait()
			continue
		}
		s.evaluateAhead(ah, c, src, &sc)
	}
}

// lookahead is how far past the walk's position nodes are evaluated ahead.
const lookahead = 64

// claim picks the next node worth evaluating ahead of the walk (−1 if
// none) and its source: one needed now, not pending, and not below a
// pending node.
func (s *searcher) claim(ah *ahead) (int, *table) {
	for _, c := range ah.desc[ah.pos:min(ah.pos+lookahead, len(ah.desc))] {
		if !s.needed(c) || slices.Contains(ah.pending, c) {
			continue
		}
		if !slices.ContainsFunc(ah.pending, func(x int) bool { return s.p.nodeBelow(c, x) }) {
			ah.pending = append(ah.pending, c)
			return c, s.source(s.p.levelsOf(c))
		}
	}
	return -1, nil
}

// evaluateAhead evaluates pending node c outside the lock and files the result.
func (s *searcher) evaluateAhead(ah *ahead, c int, src *table, sc *rollupScratch) {
	ah.mu.Unlock()
	t, e := s.compute(c, src, sc, false)
	ah.mu.Lock()
	ah.results[c] = result{t: t, src: src, e: e}
	ah.cond.Broadcast()
}
