package classify

import (
	"hash/maphash"
	"math"
	"math/bits"
)

// distinctCounter estimates how many distinct values a column holds
// (HyperLogLog, 2^12 registers: about 1.6% standard error in 4 KiB),
// counting exactly while there are few.
type distinctCounter struct {
	exact map[uint64]struct{}
	regs  []uint8
}

const (
	hllBits  = 12
	exactMax = 2048
)

var hashSeed = maphash.MakeSeed()

func (d *distinctCounter) add(v string) { d.addExactHash(maphash.String(hashSeed, v)) }

func (d *distinctCounter) addExactHash(h uint64) {
	if d.regs != nil {
		d.addHash(h)
		return
	}
	if d.exact == nil {
		d.exact = make(map[uint64]struct{}, 64)
	}
	d.exact[h] = struct{}{}
	if len(d.exact) > exactMax {
		d.toRegisters()
	}
}

func (d *distinctCounter) toRegisters() {
	d.regs = make([]uint8, 1<<hllBits)
	for x := range d.exact {
		d.addHash(x)
	}
	d.exact = nil
}

func (d *distinctCounter) addHash(h uint64) {
	idx := h >> (64 - hllBits)
	rank := uint8(bits.LeadingZeros64(h<<hllBits|1<<(hllBits-1)) + 1)
	if rank > d.regs[idx] {
		d.regs[idx] = rank
	}
}

// estimate returns the estimated number of distinct values added.
func (d *distinctCounter) estimate() int64 {
	if d.regs == nil {
		return int64(len(d.exact))
	}
	m := float64(len(d.regs))
	sum, zeros := 0.0, 0
	for _, r := range d.regs {
		sum += 1 / float64(uint64(1)<<r)
		if r == 0 {
			zeros++
		}
	}
	e := 0.7213 / (1 + 1.079/m) * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		e = m * math.Log(m/float64(zeros))
	}
	return int64(e + 0.5)
}

// merge adds the values counted by o.
func (d *distinctCounter) merge(o *distinctCounter) {
	if o.regs == nil {
		for h := range o.exact {
			d.addExactHash(h)
		}
		return
	}
	if d.regs == nil {
		d.toRegisters()
	}
	for i, r := range o.regs {
		d.regs[i] = max(d.regs[i], r)
	}
}
