package protect

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	mrand "math/rand/v2"
	"strings"
	"sync"
)

// Source is where noise comes from. Implementations here are safe for
// concurrent use.
type Source interface {
	// Uint64 returns 64 uniformly random bits.
	Uint64() uint64
}

// CryptoSource draws from crypto/rand: what production uses.
func CryptoSource() Source { return cryptoSource{} }

type cryptoSource struct{}

func (cryptoSource) Uint64() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:]) // never fails (Go 1.24+: it crashes the program rather than return short)
	return binary.LittleEndian.Uint64(b[:])
}

// SeededSource is deterministic (ChaCha8 keyed by the seed) for tests and
// reproducible demos: the same seed gives the same noise.
func SeededSource(seed uint64) Source {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	return &lockedSource{r: mrand.NewChaCha8(key)}
}

type lockedSource struct {
	mu sync.Mutex
	r  *mrand.ChaCha8
}

func (s *lockedSource) Uint64() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r.Uint64()
}

// Noise is a differential-privacy mechanism.
type Noise string

// Mechanisms.
const (
	Laplace  Noise = "laplace"
	Gaussian Noise = "gaussian"
)

// DPParams are the parameters of one release under differential privacy.
type DPParams struct {
	Noise   Noise
	Epsilon float64 // the whole query's epsilon, split evenly across its aggregates
	// Delta is the whole query's delta (Gaussian only), split like epsilon:
	// by basic composition the query is (Epsilon, Delta)-DP.
	Delta float64
}

// Aggregate describes one aggregate for noise calibration: a COUNT has
// sensitivity 1 (one person is one row); SUM, AVG, MIN and MAX have the
// clamping bounds.
type Aggregate struct {
	Func         string // count, sum, avg, min, max
	Lower, Upper float64
}

// Calibration is how one aggregate's noise was set.
type Calibration struct {
	Epsilon     float64 // its share of the query's epsilon (an AVG spends half on its sum, half on its count)
	Delta       float64 // its share of delta (Gaussian)
	Sensitivity float64 // of its value (AVG: of its sum)
	// Scale is the noise's scale in the value's units: the Laplace b
	// (snapping's λ) or the Gaussian σ; for an AVG, of its sum, and
	// CountScale that of its count.
	Scale, CountScale float64
	// Grid: under Laplace, released values are whole multiples of Grid
	// (snapping's Λ in the value's units), except where clamped to a bound;
	// counts are whole multiples of Grid under either mechanism (at least
	// 1); 0 when the values are not on a grid (AVG, Gaussian non-counts).
	Grid float64

	value, count noiser
}

// Noisy returns the cells' aggregate values with noise added (values[c][i]
// is cell c's true value of aggregate i; counts is each cell's person
// count, which AVG needs) and each aggregate's calibration.
//
// Epsilon (and Delta) is split evenly across the aggregates. Sensitivity:
// COUNT 1; SUM max(|Lower|, |Upper|); MIN and MAX Upper−Lower; an AVG is
// released as a noisy sum over a noisy count (floored at 1), each with
// half its share, clamped to [Lower, Upper]. Counts are released as
// integers and never negative, MIN and MAX are clamped to their bounds, and
// a SUM of non-negative (non-positive) values is never negative
// (positive) — all post-processing, which costs no privacy.
//
// Laplace noise goes through Mironov's snapping mechanism ("On significance
// of the least significant bits for differential privacy", CCS 2012),
// which closes the attack on textbook floating-point Laplace samples (whose
// low bits reveal the true value): the value, divided by its sensitivity,
// is clamped to ±B (B = 2^30), noise S·λ·ln(U) is added where S is a
// random sign and U a uniformly random double in (0,1) drawn with each
// double's probability its spacing (52 random mantissa bits and a
// geometric exponent: 53 or more random bits), the sum is rounded to the
// nearest multiple of Λ, the smallest power of two at least λ, and clamped
// to ±B again. Mironov proves this (1/λ + 2^-49·B/λ)-DP for λ < B < 2^46·λ,
// so λ = (1 + 2^-19)/ε gives exactly ε: b is ε's textbook scale widened by
// 2^-19, and the output lies on a grid of Λ·sensitivity. (The proof
// assumes a correctly rounded logarithm; Go's math.Log is within one ulp.)
//
// Gaussian noise has the classic calibration σ = sqrt(2·ln(1.25/δ))·Δ/ε,
// which holds only for ε < 1: an aggregate whose share of epsilon is 1 or
// more is refused (use Laplace, or a smaller epsilon). The normal sample
// comes from Box–Muller over the same uniform doubles; it is not snapped.
func Noisy(values [][]float64, counts []int64, aggs []Aggregate, p DPParams, src Source) (noisy [][]float64, cal []Calibration, err error) {
	if cal, err = calibrate(aggs, p); err != nil {
		return nil, nil, err
	}
	if err := checkValues(values, counts, aggs); err != nil {
		return nil, nil, err
	}
	noisy = make([][]float64, len(values))
	for c, row := range values {
		noisy[c] = make([]float64, len(aggs))
		for i, a := range aggs {
			var n int64
			if counts != nil {
				n = counts[c]
			}
			noisy[c][i] = cal[i].release(a, row[i], n, src)
		}
	}
	return noisy, cal, nil
}

func checkValues(values [][]float64, counts []int64, aggs []Aggregate) error {
	needCounts := false
	for _, a := range aggs {
		needCounts = needCounts || strings.EqualFold(a.Func, "avg")
	}
	if (needCounts || counts != nil) && len(counts) != len(values) {
		return fmt.Errorf("protect: counts has %d values for %d cells", len(counts), len(values))
	}
	for c, row := range values {
		if len(row) != len(aggs) {
			return fmt.Errorf("protect: cell %d has %d values for %d aggregates", c, len(row), len(aggs))
		}
		for i, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("protect: cell %d aggregate %d: value %v is not finite", c, i, v)
			}
		}
	}
	return nil
}

// snapB is the snapping mechanism's clamp B, in sensitivities: values up
// to about 10^9 persons (or sensitivities) pass unclamped.
const snapB = 1 << 30

func calibrate(aggs []Aggregate, p DPParams) ([]Calibration, error) {
	if len(aggs) == 0 {
		return nil, fmt.Errorf("protect: no aggregates to add noise to")
	}
	if !(p.Epsilon > 0) || math.IsInf(p.Epsilon, 0) {
		return nil, fmt.Errorf("protect: DPParams.Epsilon %v: want a positive number", p.Epsilon)
	}
	if p.Noise == Gaussian && !(p.Delta > 0 && p.Delta < 1) {
		return nil, fmt.Errorf("protect: DPParams.Delta %v: gaussian noise needs 0 < delta < 1", p.Delta)
	}
	if p.Noise != Laplace && p.Noise != Gaussian {
		return nil, fmt.Errorf("protect: DPParams.Noise %q: want %q or %q", p.Noise, Laplace, Gaussian)
	}
	share := DPParams{Noise: p.Noise, Epsilon: p.Epsilon / float64(len(aggs)), Delta: p.Delta / float64(len(aggs))}
	cal := make([]Calibration, len(aggs))
	for i, a := range aggs {
		c, err := calibrateOne(a, share)
		if err != nil {
			return nil, fmt.Errorf("protect: aggregate %d (%s): %w", i, a.Func, err)
		}
		cal[i] = c
	}
	return cal, nil
}

func calibrateOne(a Aggregate, share DPParams) (Calibration, error) {
	fn := strings.ToLower(a.Func)
	if fn != "count" && !(a.Lower < a.Upper && !math.IsInf(a.Lower, 0) && !math.IsInf(a.Upper, 0)) {
		return Calibration{}, fmt.Errorf("bounds [%v, %v]: want finite Lower < Upper", a.Lower, a.Upper)
	}
	c := Calibration{Epsilon: share.Epsilon, Delta: share.Delta}
	var err error
	switch fn {
	case "count":
		c.Sensitivity = 1
		c.value, err = newNoiser(share, 1)
	case "sum":
		c.Sensitivity = math.Max(math.Abs(a.Lower), math.Abs(a.Upper))
		c.value, err = newNoiser(share, c.Sensitivity)
	case "min", "max":
		c.Sensitivity = a.Upper - a.Lower
		c.value, err = newNoiser(share, c.Sensitivity)
	case "avg":
		half := DPParams{Noise: share.Noise, Epsilon: share.Epsilon / 2, Delta: share.Delta / 2}
		c.Sensitivity = math.Max(math.Abs(a.Lower), math.Abs(a.Upper))
		if c.value, err = newNoiser(half, c.Sensitivity); err == nil {
			c.count, err = newNoiser(half, 1)
		}
	default:
		return Calibration{}, fmt.Errorf("Func %q: want count, sum, avg, min or max", a.Func)
	}
	if err != nil {
		return Calibration{}, err
	}
	c.Scale, c.CountScale = c.value.scale(), c.count.scale()
	if share.Noise == Laplace && fn != "avg" {
		c.Grid = c.value.grid * c.value.sensitivity
	}
	if fn == "count" {
		c.Grid = math.Max(c.Grid, 1)
	}
	return c, nil
}

// release adds the aggregate's noise to its true value v (n persons).
func (c Calibration) release(a Aggregate, v float64, n int64, src Source) float64 {
	switch strings.ToLower(a.Func) {
	case "count":
		return math.Max(0, math.Round(c.value.add(v, src)))
	case "sum":
		y := c.value.add(v, src)
		if a.Lower >= 0 {
			y = math.Max(y, 0)
		} else if a.Upper <= 0 {
			y = math.Min(y, 0)
		}
		return y
	case "avg":
		sum := c.value.add(v*float64(n), src)
		count := math.Max(1, math.Round(c.count.add(float64(n), src)))
		return clamp(sum/count, a.Lower, a.Upper)
	default: // min, max
		return clamp(c.value.add(v, src), a.Lower, a.Upper)
	}
}

// noiser adds one mechanism's noise to values of one sensitivity.
type noiser struct {
	kind        Noise
	sensitivity float64
	lambda      float64 // Laplace: snapping's λ, in sensitivities
	grid        float64 // Laplace: snapping's Λ, in sensitivities
	sigma       float64 // Gaussian: σ, in the value's units
}

func newNoiser(share DPParams, sensitivity float64) (noiser, error) {
	n := noiser{kind: share.Noise, sensitivity: sensitivity}
	if share.Noise == Gaussian {
		if share.Epsilon >= 1 {
			return noiser{}, fmt.Errorf("epsilon share %v: the gaussian mechanism's calibration holds only below 1 (use laplace, or a smaller epsilon)", share.Epsilon)
		}
		n.sigma = math.Sqrt(2*math.Log(1.25/share.Delta)) * sensitivity / share.Epsilon
		return n, nil
	}
	n.lambda = (1 + 0x1p-49*snapB) / share.Epsilon
	if !(n.lambda < snapB && snapB < 0x1p46*n.lambda) {
		return noiser{}, fmt.Errorf("epsilon share %v: the snapping mechanism needs it between 2^-30 and 2^16", share.Epsilon)
	}
	n.grid = math.Exp2(math.Ceil(math.Log2(n.lambda)))
	if n.grid < n.lambda { // guard log2's rounding: Λ must be at least λ
		n.grid *= 2
	}
	return n, nil
}

func (n noiser) scale() float64 {
	if n.kind == Gaussian {
		return n.sigma
	}
	return n.lambda * n.sensitivity
}

func (n noiser) add(v float64, src Source) float64 {
	if n.kind == Gaussian {
		return v + n.sigma*normal(src)
	}
	return n.sensitivity * snap(v/n.sensitivity, n.lambda, n.grid, src)
}

// snap is Mironov's snapping mechanism for a value of sensitivity 1.
func snap(x, lambda, grid float64, src Source) float64 {
	x = clamp(x, -snapB, snapB)
	sign := 1.0
	if src.Uint64()&1 == 1 {
		sign = -1
	}
	x += sign * lambda * math.Log(uniform(src))
	x = grid * math.Round(x/grid) // Λ is a power of two: both steps exact
	return clamp(x, -snapB, snapB)
}

// uniform returns a double in (0, 1), each with probability the length of
// the interval [d, next double): the exponent is geometric (count the
// leading zero bits of a random stream) and the 52 mantissa bits uniform.
func uniform(src Source) float64 {
	exp := -1
	for {
		w := src.Uint64()
		if w != 0 {
			exp -= bits.LeadingZeros64(w)
			break
		}
		exp -= 64
		if exp < -1074 {
			return math.SmallestNonzeroFloat64 // probability 2^-1088
		}
	}
	mantissa := src.Uint64() >> 12
	return math.Ldexp(1+float64(mantissa)/(1<<52), exp)
}

// normal is a standard normal sample (Box–Muller).
func normal(src Source) float64 {
	u1 := uniform(src)
	u2 := float64(src.Uint64()>>11) / (1 << 53)
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

func clamp(x, lo, hi float64) float64 { return math.Min(math.Max(x, lo), hi) }
