// Package composite computes a composite index over indicators the way
// the OECD/JRC Handbook on Constructing Composite Indicators describes:
// normalisation (min-max or z-score), weights, aggregation (arithmetic or
// geometric), ranking, and a sensitivity analysis of the ranks under
// perturbed weights (and, when asked, under the other normalisation and
// aggregation). It is pure computation: the same Method and Input give the
// same Result anywhere, so anyone can recompute a published index.
//
// The steps, in order (docs/stats-index.md states them for recomputation):
//
//  1. Units are the Input's keys in byte order; a value is present when its
//     key exists and it is finite (NaN and ±Inf count as missing), and,
//     for an indicator with transform log1p, at least 0: it is then
//     replaced by ln(1 + x).
//  2. A unit's coverage is the sum of the weights of its present
//     indicators over the sum of all weights (in method order). A unit
//     with coverage 0 or below MinCoverage is not ranked (Unranked).
//  3. Over the ranked units, each value is multiplied by its indicator's
//     direction; an indicator whose present values are all equal (or
//     present for fewer than two units) is constant: it cannot tell units
//     apart and is left out of the index (Excluded), its weight with it.
//  4. Min-max: n = (x − min) / (max − min), in [0, 1]. Z-score: n =
//     (x − mean) / sd with the population standard deviation.
//  5. Each unit is aggregated over its present, not excluded indicators,
//     weights renormalised over them (missing values are neither imputed
//     nor counted as zero): arithmetic s = Σ w·n / Σ w; geometric s =
//     exp(Σ w·ln g / Σ w) with g = floor + (1 − floor)·n, so a unit at an
//     indicator's minimum (n = 0) gets the floor instead of a zero that
//     would wipe out its whole score. Min-max scores are 100·s (0 to 100);
//     z-score scores are s. Geometric aggregation needs min-max: z-scores
//     are negative. A unit left with no indicator is not ranked.
//  6. Scores are rounded to 6 decimals; ranks are competition ranks of
//     the rounded scores, highest first (equal scores share a rank, the
//     next rank skips: 1, 2, 2, 4).
//  7. Sensitivity: run r = 1..Runs draws, for each indicator in method
//     order, u = (SplitMix64(seed) >> 11) / 2⁵³ from one stream and weighs
//     the indicator weight·(1 − jitter + 2·jitter·u); steps 5–6 are
//     repeated with those weights (the ranked units and normalised values
//     stay). With Alternatives, the published weights are also run under
//     each other combination of min-max/arithmetic, z-score/arithmetic and
//     min-max/geometric. A unit's rank range covers its published rank and
//     every run's.
package composite

import (
	"math"
	"slices"
	"strconv"

	"dataport/internal/validate"
)

// Normalisations and aggregations a Method may name.
const (
	MinMax     = "minmax"
	ZScore     = "zscore"
	Arithmetic = "arithmetic"
	Geometric  = "geometric"
)

// Bounds of a method's sensitivity analysis and of its indicators.
const (
	MaxRuns       = 10_000
	MaxIndicators = 200
	// ScoreDecimals is how many decimals a score is rounded to before ranking.
	ScoreDecimals = 6
)

// Reasons a unit is not ranked or an indicator is left out.
const (
	ReasonCoverage    = "coverage"             // too little of the weight has values
	ReasonNoIndicator = "no_varying_indicator" // every indicator it has a value for is constant
	ReasonConstant    = "constant"             // an indicator that does not vary across the ranked units
)

// Method is a published index's method: everything needed to recompute it.
type Method struct {
	Version       string `json:"version"`
	Normalisation string `json:"normalisation"` // "minmax" or "zscore"
	Aggregation   string `json:"aggregation"`   // "arithmetic" or "geometric"
	// Floor is where min-max values start for geometric aggregation
	// (g = floor + (1 − floor)·n), in (0, 1); required with geometric
	// aggregation or the alternatives of the sensitivity analysis.
	Floor float64 `json:"floor,omitempty"`
	// MinCoverage is the share of the total weight a unit needs values
	// for to be ranked, in [0, 1].
	MinCoverage float64     `json:"min_coverage"`
	Indicators  []Weighted  `json:"indicators"`
	Sensitivity Sensitivity `json:"sensitivity"`
}

// Weighted is one indicator in a method.
type Weighted struct {
	Code      string  `json:"code"`
	Weight    float64 `json:"weight"`    // > 0; weights need not sum to 1
	Direction int     `json:"direction"` // +1 or -1
	// Transform is applied to each value before anything else: "" none,
	// "log1p" ln(1 + x) for heavy-tailed counts (a value below 0 is then
	// missing).
	Transform string `json:"transform,omitempty"`
}

// Log1p is the transform of heavy-tailed counts.
const Log1p = "log1p"

// Sensitivity says how the ranks are tested.
type Sensitivity struct {
	Runs   int     `json:"runs"`   // perturbed weight sets, 0 to MaxRuns
	Jitter float64 `json:"jitter"` // each weight times U(1-jitter, 1+jitter), in [0, 1)
	Seed   uint64  `json:"seed"`
	// Alternatives also ranks the units under the other normalisation and
	// aggregation combinations, with the published weights.
	Alternatives bool `json:"alternatives,omitempty"`
}

// Input is the values to combine: unit → indicator code → value.
type Input map[string]map[string]float64

// Score is one unit's result.
type Score struct {
	Unit       string             `json:"unit"`
	Score      float64            `json:"score"` // rounded to ScoreDecimals
	Rank       int                `json:"rank"`
	RankMin    int                `json:"rank_min"` // over the sensitivity runs (and the published weights)
	RankMax    int                `json:"rank_max"`
	Coverage   float64            `json:"coverage"`   // share of the weight the unit has values for
	Normalised map[string]float64 `json:"normalised"` // indicator code → normalised value (present, not excluded)
}

// Unranked is a unit the index does not rank, and why.
type Unranked struct {
	Unit     string  `json:"unit"`
	Reason   string  `json:"reason"` // ReasonCoverage or ReasonNoIndicator
	Coverage float64 `json:"coverage"`
}

// Excluded is an indicator left out of the index, and why.
type Excluded struct {
	Code   string `json:"code"`
	Reason string `json:"reason"` // ReasonConstant
}

// Result is an index computed.
type Result struct {
	Scores   []Score    `json:"scores"` // best first; equal ranks by unit
	Unranked []Unranked `json:"unranked"`
	Excluded []Excluded `json:"excluded"`
	// Runs is how many rank sets the ranges cover: the published one,
	// the perturbed ones and the alternatives.
	Runs int `json:"runs"`
}

// Compute computes the index of in under m. A bad method is a
// validate.Errors naming each field; any input is accepted (missing and
// non-finite values are missing).
func Compute(m Method, in Input) (Result, error) {
	if err := Check(m); err != nil {
		return Result{}, err
	}
	t := newTable(m, in)
	res := Result{Unranked: t.unranked, Excluded: t.excluded, Scores: []Score{}}
	if res.Unranked == nil {
		res.Unranked = []Unranked{}
	}
	if res.Excluded == nil {
		res.Excluded = []Excluded{}
	}
	weights := make([]float64, len(m.Indicators))
	for i, ind := range m.Indicators {
		weights[i] = ind.Weight
	}
	norm := t.normalise(m.Normalisation)
	scores := t.aggregate(norm, weights, m.Normalisation, m.Aggregation, m.Floor)
	units, unranked := t.rankable(scores)
	res.Unranked = append(res.Unranked, unranked...)
	published := ranks(units, scores)
	r := newRanges(units, published)
	for _, w := range perturbed(weights, m.Sensitivity) {
		r.add(ranks(units, t.aggregate(norm, w, m.Normalisation, m.Aggregation, m.Floor)))
	}
	if m.Sensitivity.Alternatives {
		for _, alt := range alternatives(m) {
			alts := t.aggregate(t.normalise(alt[0]), weights, alt[0], alt[1], m.Floor)
			r.add(ranks(units, alts))
		}
	}
	res.Runs = r.runs
	for _, u := range units {
		res.Scores = append(res.Scores, Score{Unit: t.units[u], Score: scores[u], Rank: published[u], RankMin: r.min[u],
			RankMax: r.max[u], Coverage: t.coverage[u], Normalised: t.normalisedOf(u, norm)})
	}
	slices.SortStableFunc(res.Scores, func(a, b Score) int { return a.Rank - b.Rank })
	return res, nil
}

// Check validates a method, naming every bad field.
func Check(m Method) error {
	var errs validate.Errors
	validate.OneOf(&errs, "normalisation", m.Normalisation, MinMax, ZScore)
	validate.OneOf(&errs, "aggregation", m.Aggregation, Arithmetic, Geometric)
	if m.Aggregation == Geometric && m.Normalisation == ZScore {
		errs.Add("aggregation", m.Aggregation, validate.CodeFormat,
			"geometric aggregation needs min-max normalisation (z-scores are negative)")
	}
	if (m.Aggregation == Geometric || m.Sensitivity.Alternatives) && !(m.Floor > 0 && m.Floor < 1) {
		errs.Add("floor", m.Floor, validate.CodeRange, "must be between %v and %v (exclusive) with geometric aggregation", 0, 1)
	}
	if !(m.MinCoverage >= 0 && m.MinCoverage <= 1) {
		errs.Add("min_coverage", m.MinCoverage, validate.CodeRange, "must be between %v and %v", 0, 1)
	}
	checkIndicators(&errs, m.Indicators)
	s := m.Sensitivity
	if s.Runs < 0 || s.Runs > MaxRuns {
		errs.Add("sensitivity.runs", s.Runs, validate.CodeRange, "must be between %d and %d", 0, MaxRuns)
	}
	if !(s.Jitter >= 0 && s.Jitter < 1) {
		errs.Add("sensitivity.jitter", s.Jitter, validate.CodeRange, "must be at least %v and below %v", 0, 1)
	}
	return errs.Err()
}

func checkIndicators(errs *validate.Errors, inds []Weighted) {
	if len(inds) == 0 {
		errs.Add("indicators", nil, validate.CodeRequired, "is required")
	}
	if len(inds) > MaxIndicators {
		errs.Add("indicators", len(inds), validate.CodeTooMany, "must list at most %d indicators", MaxIndicators)
	}
	seen := map[string]bool{}
	for i, ind := range inds {
		field := "indicators[" + strconv.Itoa(i) + "]"
		if errs.Required(field+".code", ind.Code) && seen[ind.Code] {
			errs.Add(field+".code", ind.Code, validate.CodeDuplicate, "is listed twice")
		}
		seen[ind.Code] = true
		if !(ind.Weight > 0 && ind.Weight <= 1e6) {
			errs.Add(field+".weight", ind.Weight, validate.CodeRange, "must be above %v and at most %v", 0, 1e6)
		}
		validate.OneOf(errs, field+".transform", ind.Transform, "", Log1p)
		if ind.Direction != 1 && ind.Direction != -1 {
			errs.Add(field+".direction", ind.Direction, validate.CodeOneOf, "must be one of %s", "1, -1")
		}
	}
}

// round rounds a score to ScoreDecimals decimals, as its decimal text
// would (correctly rounded, half to even), and turns -0 into 0.
func round(x float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', ScoreDecimals, 64), 64)
	return r + 0
}

// missing reports whether a value counts as missing.
func missing(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) }

// clamp01 is x within [0, 1] (a guard against rounding: a min-max value
// is in [0, 1] by construction).
func clamp01(x float64) float64 { return max(0, min(1, x)) }

// mean is the average of xs, summed in order.
func mean(xs []float64) float64 {
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

// sd is the population standard deviation of xs around mu, summed in order.
func sd(xs []float64, mu float64) float64 {
	sum := 0.0
	for _, x := range xs {
		d := x - mu
		sum += float64(d * d)
	}
	return math.Sqrt(sum / float64(len(xs)))
}

// isFinite reports whether x is a finite number.
func isFinite(x float64) bool { return !missing(x) }
