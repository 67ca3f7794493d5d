package protect

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// The statistical tests below use a fixed seed, so they are deterministic;
// their tolerances are what a test at level alpha would allow.
const (
	runs  = 1000
	alpha = 0.01 // the Kolmogorov–Smirnov test's level, as the issue asks
	// momentAlpha is the two-sided level of each moment check.
	momentAlpha = 0.001
)

// ksCritical is the Kolmogorov–Smirnov critical value at level a for n
// samples: the asymptotic Kolmogorov distribution's c(a)/sqrt(n), with
// c(a) = sqrt(−ln(a/2)/2) (about 1.628 for a = 0.01). For a discrete
// distribution the test is conservative (it rejects less often than a).
func ksCritical(a float64, n int) float64 { return math.Sqrt(-math.Log(a/2)/2) / math.Sqrt(float64(n)) }

// zTwoSided is the standard normal quantile z with P(|Z| > z) = a.
func zTwoSided(a float64) float64 { return math.Sqrt2 * math.Erfinv(1-a) }

func laplaceCDF(x, b float64) float64 {
	if x < 0 {
		return math.Exp(x/b) / 2
	}
	return 1 - math.Exp(-x/b)/2
}

func normalCDF(x, sigma float64) float64 { return 0.5 * math.Erfc(-x/(sigma*math.Sqrt2)) }

// ksContinuous is the Kolmogorov–Smirnov distance between the samples'
// empirical distribution and a continuous cdf.
func ksContinuous(samples []float64, cdf func(float64) float64) float64 {
	x := slices.Sorted(slices.Values(samples))
	n := float64(len(x))
	d := 0.0
	for i, v := range x {
		f := cdf(v)
		d = math.Max(d, math.Max(float64(i+1)/n-f, f-float64(i)/n))
	}
	return d
}

// lattice is a distribution on the multiples of grid: cdf(y) = P(Y ≤ y).
type lattice struct {
	grid float64
	cdf  func(y float64) float64
}

// ks is the Kolmogorov–Smirnov distance for samples on the lattice: both
// distribution functions are steps at lattice points, so the largest gap
// is at one of them (from one below the smallest sample to the largest).
func (l lattice) ks(samples []float64) float64 {
	x := slices.Sorted(slices.Values(samples))
	n := float64(len(x))
	d, i := 0.0, 0
	for k := math.Round(x[0]/l.grid) - 1; k <= math.Round(x[len(x)-1]/l.grid); k++ {
		y := k * l.grid
		for i < len(x) && x[i] <= y+l.grid/2 {
			i++
		}
		d = math.Max(d, math.Abs(float64(i)/n-l.cdf(y)))
	}
	return d
}

// moments are the lattice distribution's second and fourth moments
// (its mean is 0 by symmetry).
func (l lattice) moments() (m2, m4 float64) {
	for k := 1.0; ; k++ {
		p := 2 * (l.cdf(k*l.grid) - l.cdf((k-1)*l.grid)) // ±k
		y := k * l.grid
		m2 += p * y * y
		m4 += p * y * y * y * y
		if p < 1e-17 && k > 10 {
			return m2, m4
		}
	}
}

// checkNoise tests noise samples of a symmetric lattice distribution: the
// mean within z·sqrt(var/n) of 0, the mean square (an unbiased estimate of
// the variance, the mean being known) within z·sqrt((m4 − var²)/n) of the
// variance, and the Kolmogorov–Smirnov distance under the critical value.
func checkNoise(t *testing.T, noise []float64, l lattice) {
	t.Helper()
	n := float64(len(noise))
	mean, meanSquare := 0.0, 0.0
	for _, x := range noise {
		mean += x / n
		meanSquare += x * x / n
	}
	m2, m4 := l.moments()
	z := zTwoSided(momentAlpha)
	if tol := z * math.Sqrt(m2/n); math.Abs(mean) > tol {
		t.Errorf("mean %.4f, want 0 ± %.4f", mean, tol)
	}
	if tol := z * math.Sqrt((m4-m2*m2)/n); math.Abs(meanSquare-m2) > tol {
		t.Errorf("variance %.4f, want %.4f ± %.4f", meanSquare, m2, tol)
	}
	d, crit := l.ks(noise), ksCritical(alpha, len(noise))
	if d > crit {
		t.Errorf("Kolmogorov–Smirnov distance %.4f above the critical value %.4f at alpha %v", d, crit, alpha)
	}
	t.Logf("mean %.4f, variance %.4f (expected %.4f), KS distance %.4f (critical %.4f)", mean, meanSquare, m2, d, crit)
}

// releaseCounts releases a count of 1000 persons runs times and returns
// the noise of each release.
func releaseCounts(t *testing.T, p DPParams) ([]float64, Calibration) {
	t.Helper()
	src := SeededSource(20260516)
	noise := make([]float64, runs)
	var cal Calibration
	for i := range noise {
		out, c, err := Noisy([][]float64{{1000}}, []int64{1000}, []Aggregate{{Func: "count"}}, p, src)
		if err != nil {
			t.Fatal(err)
		}
		if out[0][0] != math.Round(out[0][0]) || out[0][0] < 0 {
			t.Fatalf("released count %v: want a non-negative integer", out[0][0])
		}
		noise[i], cal = out[0][0]-1000, c[0]
	}
	return noise, cal
}

// TestLaplaceCountNoise: the noise of 1,000 released counts at epsilon 0.5
// has the snapped Laplace distribution of scale b = 1/ε (widened by
// 2^-19): Λ·round(L/Λ) for L ~ Laplace(b) and Λ = 4, the smallest power of
// two at least b. Its variance is 2b² plus the rounding's share (about
// Λ²/12), computed exactly here from the Laplace distribution function.
func TestLaplaceCountNoise(t *testing.T) {
	noise, cal := releaseCounts(t, DPParams{Noise: Laplace, Epsilon: 0.5})
	b := 1 / 0.5 * (1 + 0x1p-19)
	if cal.Epsilon != 0.5 || cal.Scale != b || cal.Grid != 4 {
		t.Fatalf("calibration %+v: want epsilon 0.5, b %v, grid 4", cal, b)
	}
	for _, x := range noise {
		if math.Mod(x, 4) != 0 {
			t.Fatalf("noise %v is off the grid of 4", x)
		}
	}
	checkNoise(t, noise, lattice{grid: 4, cdf: func(y float64) float64 { return laplaceCDF(y+2, b) }})
	t.Logf("2b² = %.4f", 2*b*b)
}

// TestGaussianCountNoise: the same for Gaussian noise, σ =
// sqrt(2·ln(1.25/δ))/ε, the count rounded to an integer.
func TestGaussianCountNoise(t *testing.T) {
	p := DPParams{Noise: Gaussian, Epsilon: 0.5, Delta: 1e-5}
	noise, cal := releaseCounts(t, p)
	sigma := math.Sqrt(2*math.Log(1.25/p.Delta)) / p.Epsilon
	if math.Abs(cal.Scale-sigma) > 1e-12 || cal.Grid != 1 {
		t.Fatalf("calibration %+v: want sigma %v, grid 1", cal, sigma)
	}
	checkNoise(t, noise, lattice{grid: 1, cdf: func(y float64) float64 { return normalCDF(y+0.5, sigma) }})
}

// TestSamplersContinuous tests the samplers before snapping or rounding
// against the continuous distribution functions.
func TestSamplersContinuous(t *testing.T) {
	src := SeededSource(1)
	lap, gauss := make([]float64, runs), make([]float64, runs)
	for i := range runs {
		sign := 1.0
		if src.Uint64()&1 == 1 {
			sign = -1
		}
		lap[i] = sign * 2 * math.Log(uniform(src))
		gauss[i] = 3 * normal(src)
	}
	crit := ksCritical(alpha, runs)
	if d := ksContinuous(lap, func(x float64) float64 { return laplaceCDF(x, 2) }); d > crit {
		t.Errorf("Laplace(2) sampler: KS distance %.4f above %.4f", d, crit)
	}
	if d := ksContinuous(gauss, func(x float64) float64 { return normalCDF(x, 3) }); d > crit {
		t.Errorf("N(0, 9) sampler: KS distance %.4f above %.4f", d, crit)
	}
}

// zeroSource returns only zero bits.
type zeroSource struct{}

func (zeroSource) Uint64() uint64 { return 0 }

// fixedSource returns the same word.
type fixedSource uint64

func (f fixedSource) Uint64() uint64 { return uint64(f) }

func TestUniformRange(t *testing.T) {
	if u := uniform(zeroSource{}); u <= 0 || u >= 1 {
		t.Fatalf("all-zero bits: %v, want in (0, 1)", u)
	}
	if u := uniform(fixedSource(math.MaxUint64)); u >= 1 || u < 0.5 {
		t.Fatalf("all-one bits: %v, want the largest double below 1", u)
	}
	if u := uniform(fixedSource(1 << 63)); u != 0.75 {
		t.Fatalf("top bit set (exponent -1), mantissa bits 10…0: %v, want 0.75", u)
	}
}

// TestSnappingGrid: released Laplace values lie on the grid of Λ times the
// sensitivity (Λ a power of two at least b), exactly when the sensitivity
// is a power of two, to the last bits otherwise; clamped values are at a
// bound.
func TestSnappingGrid(t *testing.T) {
	aggs := []Aggregate{{Func: "count"}, {Func: "sum", Lower: 0, Upper: 50000}, {Func: "sum", Lower: -8, Upper: 8}, {Func: "max", Lower: 0, Upper: 100}}
	src := SeededSource(5)
	values := [][]float64{{1000, 1000 * 21000.5, -123.25, 98}, {3, 7, 0, 1}}
	for range 200 {
		out, cal, err := Noisy(values, []int64{1000, 3}, aggs, DPParams{Noise: Laplace, Epsilon: 0.3}, src)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range cal {
			frac, _ := math.Frexp(c.Grid / c.Sensitivity)
			if frac != 0.5 || c.Grid/c.Sensitivity < c.Scale/c.Sensitivity {
				t.Fatalf("aggregate %d: grid %v is not a power of two at least b (%v) times the sensitivity %v", i, c.Grid, c.Scale, c.Sensitivity)
			}
			for _, row := range out {
				y := row[i]
				q := y / c.Grid
				exact := c.Sensitivity == math.Exp2(math.Round(math.Log2(c.Sensitivity)))
				switch {
				case aggs[i].Func == "max" && (y == aggs[i].Lower || y == aggs[i].Upper):
				case exact && q != math.Round(q):
					t.Fatalf("aggregate %d: %v is not a multiple of %v", i, y, c.Grid)
				case math.Abs(q-math.Round(q)) > 1e-9:
					t.Fatalf("aggregate %d: %v is not on the grid of %v (%v grid steps)", i, y, c.Grid, q)
				}
			}
		}
	}
}

func TestNoisyPostProcessing(t *testing.T) {
	aggs := []Aggregate{{Func: "count"}, {Func: "avg", Lower: 10, Upper: 20}, {Func: "min", Lower: -5, Upper: 5}, {Func: "SUM", Lower: 0, Upper: 9}}
	src := SeededSource(9)
	for _, noise := range []DPParams{{Noise: Laplace, Epsilon: 0.2}, {Noise: Gaussian, Epsilon: 0.8, Delta: 1e-6}} {
		for range 300 {
			out, _, err := Noisy([][]float64{{0, 15, 0, 0}, {2, 19.5, -5, 3}}, []int64{1, 2}, aggs, noise, src)
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range out {
				switch {
				case row[0] < 0 || row[0] != math.Round(row[0]):
					t.Fatalf("%s count %v: want a non-negative integer", noise.Noise, row[0])
				case row[1] < 10 || row[1] > 20:
					t.Fatalf("%s avg %v outside [10, 20]", noise.Noise, row[1])
				case row[2] < -5 || row[2] > 5:
					t.Fatalf("%s min %v outside [-5, 5]", noise.Noise, row[2])
				case row[3] < 0:
					t.Fatalf("%s sum of non-negative values %v is negative", noise.Noise, row[3])
				}
			}
		}
	}
}

func TestNoisySplitsEpsilon(t *testing.T) {
	aggs := []Aggregate{{Func: "count"}, {Func: "avg", Lower: -4, Upper: 2}, {Func: "min", Lower: 1, Upper: 3}, {Func: "sum", Lower: -4, Upper: 2}}
	_, cal, err := Noisy(nil, nil, aggs, DPParams{Noise: Gaussian, Epsilon: 0.8, Delta: 4e-6}, SeededSource(1))
	if err != nil {
		t.Fatal(err)
	}
	gauss := func(eps, delta, sens float64) float64 { return math.Sqrt(2*math.Log(1.25/delta)) * sens / eps }
	want := []struct{ eps, sens, scale, countScale float64 }{
		{0.2, 1, gauss(0.2, 1e-6, 1), 0},
		{0.2, 4, gauss(0.1, 5e-7, 4), gauss(0.1, 5e-7, 1)},
		{0.2, 2, gauss(0.2, 1e-6, 2), 0},
		{0.2, 4, gauss(0.2, 1e-6, 4), 0},
	}
	for i, w := range want {
		c := cal[i]
		if c.Epsilon != w.eps || c.Sensitivity != w.sens || math.Abs(c.Scale-w.scale) > 1e-9 || math.Abs(c.CountScale-w.countScale) > 1e-9 {
			t.Errorf("aggregate %d (%s): got %+v, want epsilon %v sensitivity %v scale %v count scale %v", i, aggs[i].Func, c, w.eps, w.sens, w.scale, w.countScale)
		}
	}
}

func TestNoisySeededIsReproducible(t *testing.T) {
	run := func(src Source) []float64 {
		out, _, err := Noisy([][]float64{{100, 5000}}, []int64{100}, []Aggregate{{Func: "count"}, {Func: "sum", Lower: 0, Upper: 100}}, DPParams{Noise: Laplace, Epsilon: 1}, src)
		if err != nil {
			t.Fatal(err)
		}
		return out[0]
	}
	a, b, c := run(SeededSource(77)), run(SeededSource(77)), run(SeededSource(78))
	if !slices.Equal(a, b) || slices.Equal(a, c) {
		t.Fatalf("seed 77 twice: %v, %v; seed 78: %v", a, b, c)
	}
	x, y := CryptoSource().Uint64(), CryptoSource().Uint64()
	if x == y {
		t.Fatalf("two crypto draws equal: %x", x)
	}
}

func TestNoisyRefusesBadInput(t *testing.T) {
	count := []Aggregate{{Func: "count"}}
	lap := DPParams{Noise: Laplace, Epsilon: 0.5}
	tests := []struct {
		name   string
		values [][]float64
		counts []int64
		aggs   []Aggregate
		p      DPParams
		want   string
	}{
		{"gaussian at epsilon 1", nil, nil, count, DPParams{Noise: Gaussian, Epsilon: 1, Delta: 1e-6}, "only below 1"},
		{"gaussian, avg's half of 2 is 1", nil, nil, []Aggregate{{Func: "avg", Lower: 0, Upper: 1}}, DPParams{Noise: Gaussian, Epsilon: 2, Delta: 1e-6}, "only below 1"},
		{"gaussian without delta", nil, nil, count, DPParams{Noise: Gaussian, Epsilon: 0.5}, "DPParams.Delta 0"},
		{"zero epsilon", nil, nil, count, DPParams{Noise: Laplace}, "DPParams.Epsilon 0"},
		{"NaN epsilon", nil, nil, count, DPParams{Noise: Laplace, Epsilon: math.NaN()}, "DPParams.Epsilon NaN"},
		{"tiny epsilon", nil, nil, count, DPParams{Noise: Laplace, Epsilon: 1e-10}, "snapping mechanism needs"},
		{"unknown mechanism", nil, nil, count, DPParams{Noise: "exponential", Epsilon: 1}, `Noise "exponential"`},
		{"no aggregates", nil, nil, nil, lap, "no aggregates"},
		{"unknown function", nil, nil, []Aggregate{{Func: "median", Lower: 0, Upper: 1}}, lap, `Func "median"`},
		{"sum without bounds", nil, nil, []Aggregate{{Func: "sum"}}, lap, "bounds [0, 0]"},
		{"max with reversed bounds", nil, nil, []Aggregate{{Func: "max", Lower: 5, Upper: 1}}, lap, "bounds [5, 1]"},
		{"a row too short", [][]float64{{}}, nil, count, lap, "cell 0 has 0 values for 1 aggregates"},
		{"avg without counts", [][]float64{{1}}, nil, []Aggregate{{Func: "avg", Lower: 0, Upper: 1}}, lap, "counts has 0 values for 1 cells"},
		{"an infinite value", [][]float64{{math.Inf(1)}}, nil, count, lap, "not finite"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			out, _, err := Noisy(test.values, test.counts, test.aggs, test.p, SeededSource(1))
			if err == nil || !strings.Contains(err.Error(), test.want) {
				t.Fatalf("got %v, %v; want an error containing %q", out, err, test.want)
			}
		})
	}
}
