package deid

import (
	"math"
)

// The metrics a profile may optimise, named and defined as ARX defines
// their default (non-monotonic) variants, so that a result can be compared
// with ARX's:
//
//   - loss (ARX "Loss", Iyengar's LM, the granularity): the mean over the
//     quasi-identifier cells of (values under the cell's label − 1) /
//     (distinct values − 1), a suppressed cell counting 1;
//   - precision (ARX "Precision", generalisation intensity): the mean over
//     the quasi-identifier cells of level / (levels − 1), a suppressed cell
//     counting 1;
//   - discernibility (ARX "Discernibility", DM): Σ |E|² over the classes
//     kept plus n·|E| over the classes suppressed;
//   - entropy (ARX "Non-uniform entropy", in bits, summed over the
//     quasi-identifiers): Σ over all rows of log₂(rows sharing the cell's
//     label / rows sharing its original value), plus, over the suppressed
//     rows, the entropy of their labels (ARX's non-monotonic variant).
//
// None of them is monotone in the lattice once rows are suppressed, and the
// search does not assume it: it prunes only on lower bounds (see bound).
const (
	MetricLoss           = "loss"
	MetricPrecision      = "precision"
	MetricDiscernibility = "discernibility"
	MetricEntropy        = "entropy"
)

// Metrics lists the metrics a profile may choose; the first is the default.
var Metrics = []string{MetricLoss, MetricPrecision, MetricDiscernibility, MetricEntropy}

// InformationLoss is every metric for the released table, and the one the
// search minimised: Value is that metric's value (for loss, the number the
// report carried before it had the others).
type InformationLoss struct {
	Metric                  string  `json:"metric"`
	Value                   float64 `json:"value"`
	Granularity             float64 `json:"granularity"`
	GeneralizationIntensity float64 `json:"generalization_intensity"`
	Discernibility          float64 `json:"discernibility"`
	Entropy                 float64 `json:"entropy"`
}

// metricOf is the profile's metric, the default when it names none.
func metricOf(p Profile) string {
	if p.Metric == "" {
		return MetricLoss
	}
	return p.Metric
}

// prepareMetrics computes what the metrics need per column and level: the
// generalisation intensity and the non-uniform entropy of the whole column
// (rows counted from the bottom classes).
func (p *problem) prepareMetrics() {
	for j := range p.cols {
		c := &p.cols[j]
		c.intensity = make([]float64, c.height)
		for l := range c.height {
			if c.height > 1 {
				c.intensity[l] = float64(l) / float64(c.height-1)
			}
		}
		rows0 := make([]float64, len(c.labels[0]))
		for b, code := range p.codes0[j] {
			rows0[code] += float64(p.bottom.count[b])
		}
		c.entropy = make([]float64, c.height)
		for l := range c.height {
			rows := make([]float64, len(c.labels[l]))
			for code, g := range c.gen[l] {
				rows[g] += rows0[code]
			}
			for code, g := range c.gen[l] {
				if a := rows0[code]; a > 0 {
					c.entropy[l] += a * math.Log2(rows[g]/a)
				}
			}
		}
	}
	// A kept class has at least k rows (and l, under l-diversity); a
	// suppressed one costs n per row, at least as much.
	p.minKept = float64(min(max(p.k, p.l, 1), p.n))
	for _, size := range p.bottom.count {
		p.dmBottom += p.dmFloor(size)
	}
	p.eps = 1e-12
	switch p.metric {
	case MetricDiscernibility:
		p.eps *= float64(p.n) * float64(p.n)
	case MetricEntropy:
		p.eps *= float64(p.n*p.q) * math.Log2(float64(p.n)+1)
	}
	p.eps = max(p.eps, 1e-12)
}

// dmFloor is the least a class of size rows can add to the discernibility:
// size² kept, n·size suppressed, both at least size·max(minKept, size).
// The sum of it over a node's classes only grows up the lattice (merging
// classes never lowers it), so a node's sum bounds the discernibility of
// every node above it.
func (p *problem) dmFloor(size int32) float64 {
	s := float64(size)
	return s * max(p.minKept, s)
}

// lowerBound is a lower bound of the chosen metric at node whatever is
// suppressed there: the metric with nothing suppressed for loss, precision
// and entropy (a suppressed row costs at least its generalisation), and
// for discernibility the bottom classes' dmFloor.
func (p *problem) lowerBound(node int) float64 {
	if p.metric == MetricDiscernibility {
		return p.dmBottom
	}
	s := 0.0
	for j := range p.q {
		c := &p.cols[j]
		l := node / p.strides[j] % c.height
		switch p.metric {
		case MetricPrecision:
			s += c.intensity[l]
		case MetricEntropy:
			s += c.entropy[l]
		default:
			s += c.avgLoss[l]
		}
	}
	if p.metric == MetricEntropy {
		return s
	}
	return s / float64(max(p.q, 1))
}

// excess is what a passing node's evaluation e (at a node of lower bound
// lb) adds to the lower bound of every node below it, if anything (ok).
// Under k-anonymity and distinct l-diversity a row suppressed at a node is
// suppressed at every node below too; a suppressed row costs there, for
// loss and precision, 1 minus a cell cost that can only be smaller; for
// entropy, the suppressed rows' entropy only grows with more rows and finer
// labels; for discernibility, a node suppressing S rows costs at least
// n·S + (n − S)·minKept, which grows with S. t-closeness may keep a class
// below that it suppressed above, so nothing is inherited under it.
func (p *problem) excess(e evaluation, lb float64) (float64, bool) {
	if p.t > 0 {
		return 0, false
	}
	if p.metric == MetricDiscernibility {
		s := float64(e.suppressed)
		return float64(p.n)*s + (float64(p.n)-s)*p.minKept - lb, true
	}
	return e.loss - lb, true
}

// classes describes the classes of a node for measuring: each one's size,
// the bottom class that stands for it, and whether it is kept.
type classes struct {
	lv   []int
	size []int32
	rep  func(c int) int32
	kept func(c int) bool
}

// measure is metric m of a node whose classes are cs, suppressed rows
// being suppressed in all; loss is summed in class order as it always was.
func (p *problem) measure(m string, cs classes, suppressed int) float64 {
	switch m {
	case MetricPrecision:
		s := 0.0
		for j := range p.q {
			s += p.cols[j].intensity[cs.lv[j]]
		}
		kept := float64(p.n - suppressed)
		return (kept*s + float64(suppressed*p.q)) / float64(max(p.n*p.q, 1))
	case MetricDiscernibility:
		s := 0.0
		for c, size := range cs.size {
			if cs.kept(c) {
				s += float64(size) * float64(size)
			} else {
				s += float64(p.n) * float64(size)
			}
		}
		return s
	case MetricEntropy:
		return p.entropyOf(cs, suppressed)
	}
	keep := 0.0
	for c, size := range cs.size {
		if cs.kept(c) {
			keep += float64(size) * p.cellLoss(cs.lv, cs.rep(c))
		}
	}
	return (keep + float64(suppressed*p.q)) / float64(max(p.n*p.q, 1))
}

// entropyOf is the non-uniform entropy: every row's generalisation, then
// the entropy of the suppressed rows' labels in each column.
func (p *problem) entropyOf(cs classes, suppressed int) float64 {
	s := 0.0
	for j := range p.q {
		s += p.cols[j].entropy[cs.lv[j]]
	}
	if suppressed == 0 {
		return s
	}
	for j, col := range p.cols {
		gen := col.gen[cs.lv[j]]
		rows := make([]float64, len(col.labels[cs.lv[j]]))
		for c, size := range cs.size {
			if !cs.kept(c) {
				rows[gen[p.codes0[j][cs.rep(c)]]] += float64(size)
			}
		}
		for _, r := range rows {
			if r > 0 {
				s += r * math.Log2(float64(suppressed)/r)
			}
		}
	}
	return s
}

// dmFloorOf is the sum of dmFloor over classes of the given sizes.
func (p *problem) dmFloorOf(sizes []int32) float64 {
	s := 0.0
	for _, size := range sizes {
		s += p.dmFloor(size)
	}
	return s
}

// informationLoss measures every metric on the released classes.
func (p *problem) informationLoss(cs classes, suppressed int) InformationLoss {
	il := InformationLoss{Metric: p.metric,
		Granularity:             round6(p.measure(MetricLoss, cs, suppressed)),
		GeneralizationIntensity: round6(p.measure(MetricPrecision, cs, suppressed)),
		Discernibility:          round6(p.measure(MetricDiscernibility, cs, suppressed)),
		Entropy:                 round6(p.measure(MetricEntropy, cs, suppressed)),
	}
	switch p.metric {
	case MetricPrecision:
		il.Value = il.GeneralizationIntensity
	case MetricDiscernibility:
		il.Value = il.Discernibility
	case MetricEntropy:
		il.Value = il.Entropy
	default:
		il.Value = il.Granularity
	}
	return il
}
