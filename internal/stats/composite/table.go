package composite

import (
	"math"
	"slices"
)

// table is an Input laid out for computing: units in byte order,
// indicators in method order, values with their direction applied.
type table struct {
	codes    []string
	units    []string
	present  [][]bool    // [unit][indicator]
	values   [][]float64 // [unit][indicator], times the direction
	coverage []float64
	ranked   []bool // enough coverage (step 2)
	constant []bool // [indicator]: left out (step 3)
	unranked []Unranked
	excluded []Excluded
}

func newTable(m Method, in Input) *table {
	t := &table{}
	for _, ind := range m.Indicators {
		t.codes = append(t.codes, ind.Code)
	}
	for u := range in {
		t.units = append(t.units, u)
	}
	slices.Sort(t.units)
	total := 0.0
	for _, ind := range m.Indicators {
		total += ind.Weight
	}
	for _, unit := range t.units {
		present, values := make([]bool, len(t.codes)), make([]float64, len(t.codes))
		have := 0.0
		for i, ind := range m.Indicators {
			x, ok := in[unit][ind.Code]
			if ind.Transform == Log1p && ok && x >= 0 {
				x = math.Log1p(x)
			}
			if ok && isFinite(x) && (ind.Transform != Log1p || x >= 0) {
				present[i], values[i] = true, x*float64(ind.Direction)
				have += ind.Weight
			}
		}
		cov := have / total
		ok := have > 0 && cov >= m.MinCoverage
		t.present, t.values = append(t.present, present), append(t.values, values)
		t.coverage, t.ranked = append(t.coverage, cov), append(t.ranked, ok)
		if !ok {
			t.unranked = append(t.unranked, Unranked{Unit: unit, Reason: ReasonCoverage, Coverage: cov})
		}
	}
	t.findConstant()
	return t
}

// column is indicator i's present values over the ranked units, in unit order.
func (t *table) column(i int) []float64 {
	var xs []float64
	for u := range t.units {
		if t.ranked[u] && t.present[u][i] {
			xs = append(xs, t.values[u][i])
		}
	}
	return xs
}

// findConstant marks the indicators that do not vary across the ranked units.
func (t *table) findConstant() {
	t.constant = make([]bool, len(t.codes))
	for i, code := range t.codes {
		xs := t.column(i)
		if len(xs) < 2 || slices.Min(xs) == slices.Max(xs) {
			t.constant[i] = true
			t.excluded = append(t.excluded, Excluded{Code: code, Reason: ReasonConstant})
		}
	}
}

// used reports whether unit u's indicator i enters its score.
func (t *table) used(u, i int) bool { return t.ranked[u] && t.present[u][i] && !t.constant[i] }

// normalise returns every used value normalised by kind (MinMax or
// ZScore); unused cells are NaN. Z-scores are computed from the min-max
// values: a z-score does not change under a linear rescaling, and [0, 1]
// values cannot overflow.
func (t *table) normalise(kind string) [][]float64 {
	norm := make([][]float64, len(t.units))
	for u := range norm {
		norm[u] = make([]float64, len(t.codes))
		for i := range norm[u] {
			norm[u][i] = math.NaN()
		}
	}
	for i := range t.codes {
		if t.constant[i] {
			continue
		}
		xs := t.column(i)
		lo, hi := slices.Min(xs), slices.Max(xs)
		for j, x := range xs {
			xs[j] = minMax(x, lo, hi)
		}
		mu, sigma := mean(xs), sd(xs, mean(xs))
		for u := range t.units {
			if !t.used(u, i) {
				continue
			}
			n := minMax(t.values[u][i], lo, hi)
			if kind == ZScore {
				n = (n - mu) / sigma
			}
			norm[u][i] = n
		}
	}
	return norm
}

// minMax is (x − lo) / (hi − lo); with a range too wide for a float64 it
// halves the operands first.
func minMax(x, lo, hi float64) float64 {
	if math.IsInf(hi-lo, 0) {
		return clamp01((x/2 - lo/2) / (hi/2 - lo/2))
	}
	return clamp01((x - lo) / (hi - lo))
}

// aggregate returns every unit's rounded score under weights (NaN for a
// unit not ranked or left with no indicator).
func (t *table) aggregate(norm [][]float64, weights []float64, kind, agg string, floor float64) []float64 {
	scores := make([]float64, len(t.units))
	for u := range t.units {
		sum, w := 0.0, 0.0
		for i, n := range norm[u] {
			if !t.used(u, i) {
				continue
			}
			if agg == Geometric {
				n = math.Log(floor + float64((1-floor)*n))
			}
			sum += float64(weights[i] * n)
			w += weights[i]
		}
		s := math.NaN()
		if w > 0 {
			s = sum / w
			if agg == Geometric {
				s = math.Exp(s)
			}
			if kind == MinMax {
				s *= 100
			}
			s = round(s)
		}
		scores[u] = s
	}
	return scores
}

// rankable returns the units with a score, and the ranked units left
// with no indicator as Unranked.
func (t *table) rankable(scores []float64) ([]int, []Unranked) {
	var units []int
	var out []Unranked
	for u, s := range scores {
		switch {
		case !math.IsNaN(s):
			units = append(units, u)
		case t.ranked[u]:
			out = append(out, Unranked{Unit: t.units[u], Reason: ReasonNoIndicator, Coverage: t.coverage[u]})
		}
	}
	return units, out
}

// normalisedOf is unit u's normalised values by indicator code.
func (t *table) normalisedOf(u int, norm [][]float64) map[string]float64 {
	out := map[string]float64{}
	for i, code := range t.codes {
		if t.used(u, i) {
			out[code] = norm[u][i]
		}
	}
	return out
}

// ranks returns the competition rank of each of units by score, highest
// first: 1 + how many of units score strictly more.
func ranks(units []int, scores []float64) map[int]int {
	order := slices.Clone(units)
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case scores[a] > scores[b]:
			return -1
		case scores[a] < scores[b]:
			return 1
		}
		return 0
	})
	out := make(map[int]int, len(order))
	for k, u := range order {
		if k > 0 && scores[u] == scores[order[k-1]] {
			out[u] = out[order[k-1]]
		} else {
			out[u] = k + 1
		}
	}
	return out
}

// ranges are the lowest and highest rank of each unit over rank sets.
type ranges struct {
	min, max map[int]int
	runs     int
}

func newRanges(units []int, published map[int]int) *ranges {
	r := &ranges{min: map[int]int{}, max: map[int]int{}}
	for _, u := range units {
		r.min[u], r.max[u] = published[u], published[u]
	}
	r.runs = 1
	return r
}

func (r *ranges) add(rs map[int]int) {
	for u, k := range rs {
		r.min[u], r.max[u] = min(r.min[u], k), max(r.max[u], k)
	}
	r.runs++
}

// perturbed returns s.Runs weight sets: each weight times 1 − jitter +
// 2·jitter·u, u drawn in method order from one SplitMix64 stream.
func perturbed(weights []float64, s Sensitivity) [][]float64 {
	rng := splitMix64{state: s.Seed}
	out := make([][]float64, s.Runs)
	for r := range out {
		out[r] = make([]float64, len(weights))
		for i, w := range weights {
			f := (1 - s.Jitter) + float64(float64(2*s.Jitter)*rng.float())
			out[r][i] = w * f
		}
	}
	return out
}

// alternatives are the normalisation and aggregation combinations other
// than m's, in a fixed order.
func alternatives(m Method) [][2]string {
	var out [][2]string
	for _, c := range [][2]string{{MinMax, Arithmetic}, {ZScore, Arithmetic}, {MinMax, Geometric}} {
		if c != [2]string{m.Normalisation, m.Aggregation} {
			out = append(out, c)
		}
	}
	return out
}

// splitMix64 is Steele, Lea and Flood's generator (the seeding generator
// of xoshiro): a few lines in any language, so that anyone can draw the
// same perturbations.
type splitMix64 struct{ state uint64 }

func (g *splitMix64) next() uint64 {
	g.state += 0x9E3779B97F4A7C15
	z := g.state
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// float is a uniform draw in [0, 1) with 53 random bits.
func (g *splitMix64) float() float64 { return float64(g.next()>>11) * 0x1p-53 }
