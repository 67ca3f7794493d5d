package deid

import (
	"math/bits"
	"slices"
	"strconv"
)

// A rollup groups the classes of a table at a node below into the classes
// at the node. A class's key at the node is its mixed-radix number over
// the columns' codes at their levels; a keyer computes it as the sum of
// one lookup per block of columns.

// rollupScratch holds buffers reused across rollups.
type rollupScratch struct {
	keyer  keyer
	keys   []uint64
	keys32 []uint32
	hkeys  []uint64
	hcnt   []int32
	dense  []int32
	first  []int32
	slot   []int32
	count  []int32
	idx    []int32
	order  []int32
	acc    []int32
	touch  []int32
	cols   [][]int32
}

// keyer computes the class keys of one node: luts[b][x] is the key
// contribution of block b's combined level-0 index x.
type keyer struct {
	luts   [][]uint64
	luts32 [][]uint32 // luts as 32 bits, when the key space is small enough to count directly
	space  uint64     // keys are below space
	ok     bool       // there are blocks and the key space fits in 64 bits; without it luts and space are unset
}

// setKeyer prepares k for the node at levels lv.
func (p *problem) setKeyer(lv []int, k *keyer) {
	total := 0
	for j, c := range p.cols {
		total += bits.Len64(uint64(len(c.labels[lv[j]])))
	}
	k.ok = total <= 64 && len(p.blocks) > 0
	if !k.ok {
		return
	}
	for len(k.luts) < len(p.blocks) {
		k.luts = append(k.luts, nil)
	}
	k.luts = k.luts[:len(p.blocks)]
	space := uint64(1)
	for b, bl := range p.blocks {
		tab := grow(k.luts[b], bl.size)[:1]
		tab[0] = 0
		for _, j := range bl.cols {
			gen := p.cols[j].gen[lv[j]]
			n := len(tab)
			tab = tab[:n*len(gen)]
			// Extend the table by column j, from the top so that the
			// entries for code 0 (the old table) are read before they change.
			for c := len(gen) - 1; c >= 0; c-- {
				add := uint64(gen[c]) * space
				seg := tab[c*n : (c+1)*n]
				for t := range seg {
					seg[t] = tab[t] + add
				}
			}
			space *= uint64(len(p.cols[j].labels[lv[j]]))
		}
		k.luts[b] = tab
	}
	k.space = space
	if space <= denseKeys {
		for len(k.luts32) < len(p.blocks) {
			k.luts32 = append(k.luts32, nil)
		}
		k.luts32 = k.luts32[:len(p.blocks)]
		for b, tab := range k.luts {
			t32 := grow(k.luts32[b], len(tab))
			for i, x := range tab {
				t32[i] = uint32(x)
			}
			k.luts32[b] = t32
		}
	}
}

// fillKeys writes the keys of src's classes lo, lo+1, … into keys, from
// a keyer's luts or luts32.
func fillKeys[K uint32 | uint64](luts [][]K, src *table, lo int, keys []K) {
	for b, lut := range luts {
		idx := src.bidx[b][lo : lo+len(keys)]
		keys := keys[:len(idx)]
		if b == 0 {
			for i, x := range idx {
				keys[i] = lut[x]
			}
			continue
		}
		for i, x := range idx {
			keys[i] += lut[x]
		}
	}
}

// blockIndexes returns, per block, the combined level-0 index of each of the classes reps stand for.
func (p *problem) blockIndexes(reps []int32) [][]uint16 {
	out := make([][]uint16, len(p.blocks))
	for b, bl := range p.blocks {
		out[b] = make([]uint16, len(reps))
		for c, r := range reps {
			out[b][c] = bl.idx[r]
		}
	}
	return out
}

// keyChunk is how many keys countClasses computes before counting them:
// few enough to stay in the first-level cache.
const keyChunk = 1024

// countClasses counts the rows of src per class at the node of sc.keyer
// (which must be ok), leaving in sc.count each class's rows, classes in
// order of their first item in src (firstItems finds those items). With
// limit > 0 it stops, reporting false, when there are more than limit
// classes.
func (p *problem) countClasses(src *table, sc *rollupScratch, limit int) bool {
	sc.slot, sc.first = sc.slot[:0], sc.first[:0]
	var ok bool
	var counts []int32
	if sc.keyer.space <= denseKeys {
		ok, counts = sc.countDense(src, limit), sc.dense
	} else {
		ok, counts = sc.countHashed(src, limit), sc.hcnt
	}
	// Read the counts and clear the table for the next rollup.
	sc.count = grow(sc.count, len(sc.slot))
	for c, s := range sc.slot {
		sc.count[c], counts[s] = counts[s], 0
	}
	return ok
}

// countDense counts by direct addressing: dense[key] is the class's rows so
// far, and a class's slot is its key. Every item's key is written as a
// possible new class and kept as one only if its count was 0: a branch
// here would be mispredicted for a good share of the items. The loop keeps
// nothing else (recording each class's first item as well spills registers
// and costs about 5% of the search), so sc.first is left empty.
func (sc *rollupScratch) countDense(src *table, limit int) bool {
	k := &sc.keyer
	if uint64(len(sc.dense)) < k.space {
		sc.dense = make([]int32, denseKeys)
	}
	dense := sc.dense[:k.space]
	room := src.m
	if limit > 0 {
		room = min(room, limit+keyChunk)
	}
	slot := grow(sc.slot, room+1)
	n := 0
	sc.keys32 = grow(sc.keys32, keyChunk)
	for lo := 0; lo < src.m; lo += keyChunk {
		keys := sc.keys32[:min(keyChunk, src.m-lo)]
		fillKeys(k.luts32, src, lo, keys)
		count := src.count[lo : lo+len(keys)]
		for i, key := range keys {
			c := dense[key]
			dense[key] = c + count[i]
			slot[n] = int32(key)
			if c == 0 {
				n++
			}
		}
		if limit > 0 && n > limit {
			sc.slot = slot[:n]
			return false
		}
	}
	sc.slot = slot[:n]
	return true
}

// firstItems sets sc.first to the first item in src of each class that
// countClasses found, unless it is already known. The dense table (clear
// after counting) marks the classes seen.
func (p *problem) firstItems(src *table, sc *rollupScratch) {
	if len(sc.first) == len(sc.slot) {
		return
	}
	k := &sc.keyer
	dense := sc.dense[:k.space]
	first := sc.first[:0]
	for lo := 0; lo < src.m && len(first) < len(sc.slot); lo += keyChunk {
		keys := sc.keys32[:min(keyChunk, src.m-lo)]
		fillKeys(k.luts32, src, lo, keys)
		for i, key := range keys {
			if dense[key] == 0 {
				dense[key] = 1
				first = append(first, int32(lo+i))
			}
		}
	}
	for _, s := range sc.slot {
		dense[s] = 0
	}
	sc.first = first
}

// countHashed counts in an open-addressing hash table (a slot is empty
// while its count is 0) for key spaces too large to address directly.
func (sc *rollupScratch) countHashed(src *table, limit int) bool {
	k := &sc.keyer
	classes := src.m
	if limit > 0 {
		classes = min(classes, limit+keyChunk)
	}
	size := 1
	for size < 2*classes {
		size <<= 1
	}
	if len(sc.hcnt) < size {
		sc.hkeys, sc.hcnt = make([]uint64, size), make([]int32, size)
	}
	hkeys, hcnt := sc.hkeys[:size], sc.hcnt[:size]
	mask := uint64(size - 1)
	shift := 64 - bits.Len64(mask)
	sc.keys = grow(sc.keys, keyChunk)
	for lo := 0; lo < src.m; lo += keyChunk {
		keys := sc.keys[:min(keyChunk, src.m-lo)]
		fillKeys(k.luts, src, lo, keys)
		count := src.count[lo : lo+len(keys)]
		for i, key := range keys {
			h := (key * 0x9E3779B97F4A7C15) >> shift & mask
			for {
				c := hcnt[h]
				if c == 0 {
					hkeys[h], hcnt[h] = key, count[i]
					sc.slot = append(sc.slot, int32(h))
					sc.first = append(sc.first, int32(lo+i))
					break
				}
				if hkeys[h] == key {
					hcnt[h] = c + count[i]
					break
				}
				h = (h + 1) & mask
			}
		}
		if limit > 0 && len(sc.slot) > limit {
			return false
		}
	}
	return true
}

// countedTable is the table of the classes countClasses found in src at lv.
func (p *problem) countedTable(src *table, lv []int, sc *rollupScratch) *table {
	p.firstItems(src, sc)
	m := len(sc.first)
	t := &table{levels: slices.Clone(lv), m: m, rep: make([]int32, m), count: slices.Clone(sc.count[:m])}
	for c, i := range sc.first {
		t.rep[c] = src.rep[i]
	}
	t.bidx = p.blockIndexes(t.rep)
	return t
}

// rollup groups src's classes at the (higher or equal) levels lv.
func (p *problem) rollup(src *table, lv []int, sc *rollupScratch) *table {
	return p.rollupLimit(src, lv, sc, 0)
}

// rollupLimit is rollup that gives up, returning nil, as soon as there are
// more than limit classes (limit > 0).
func (p *problem) rollupLimit(src *table, lv []int, sc *rollupScratch, limit int) *table {
	p.setKeyer(lv, &sc.keyer)
	var first []int32
	var ok bool
	if sc.keyer.ok {
		first, ok = p.groupBlocks(src, sc, limit)
	} else {
		// Every column's code at lv per bottom class.
		for len(sc.cols) < p.q {
			sc.cols = append(sc.cols, nil)
		}
		for j, col := range p.cols {
			sc.cols[j] = grow(sc.cols[j], len(p.codes0[j]))
			for b, code := range p.codes0[j] {
				sc.cols[j][b] = col.gen[lv[j]][code]
			}
		}
		radix, exact := p.radix(lv)
		first, ok = groupBy(sc.cols[:p.q], radix, exact, src.rep, src.m, sc, limit)
	}
	if !ok {
		return nil
	}
	dst := &table{levels: slices.Clone(lv), m: len(first), rep: make([]int32, len(first)), count: make([]int32, len(first))}
	for c, i := range first {
		dst.rep[c] = src.rep[i]
	}
	if len(p.blocks) > 0 {
		dst.bidx = p.blockIndexes(dst.rep)
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

// groupBlocks is groupBy for the classes of src at the node of sc.keyer
// (which must be ok): the keys are counted in a direct-addressed table
// when the key space is small, a hash table otherwise.
func (p *problem) groupBlocks(src *table, sc *rollupScratch, limit int) ([]int32, bool) {
	m := src.m
	sc.idx = grow(sc.idx, m)
	sc.keys = grow(sc.keys, m)
	keys := sc.keys[:m]
	fillKeys(sc.keyer.luts, src, 0, keys)
	space := sc.keyer.space
	first := sc.first[:0]
	out := sc.idx[:m]
	if space <= denseKeys {
		// Direct addressing: dense[key] is the class + 1, reset afterwards.
		if uint64(len(sc.dense)) < space {
			sc.dense = make([]int32, denseKeys)
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
