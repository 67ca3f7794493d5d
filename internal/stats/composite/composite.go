// Package composite computes a composite index over indicators the way
// the OECD/JRC Handbook on Constructing Composite Indicators describes:
// normalisation (min-max or z-score), weights, aggregation (arithmetic or
// geometric), ranking, and a sensitivity analysis of the ranks under
// perturbed weights. It is pure computation: the same Method and Input
// give the same Result anywhere, so anyone can recompute a published index.
//
// CONTRACT STUB (session 24): the types and signatures below are what the
// other parts build against; the composite part replaces the bodies.
package composite

import "errors"

// Method is a published index's method: everything needed to recompute it.
type Method struct {
	Version       string      `json:"version"`
	Normalisation string      `json:"normalisation"` // "minmax" or "zscore"
	Aggregation   string      `json:"aggregation"`   // "arithmetic" or "geometric"
	Indicators    []Weighted  `json:"indicators"`
	Sensitivity   Sensitivity `json:"sensitivity"`
}

// Weighted is one indicator in a method.
type Weighted struct {
	Code      string  `json:"code"`
	Weight    float64 `json:"weight"`
	Direction int     `json:"direction"` // +1 or -1
}

// Sensitivity says how the ranks are tested.
type Sensitivity struct {
	Runs   int     `json:"runs"`   // perturbed weight sets
	Jitter float64 `json:"jitter"` // each weight times U(1-jitter, 1+jitter), renormalised
	Seed   uint64  `json:"seed"`
}

// Input is the values to combine: unit → indicator code → value.
type Input map[string]map[string]float64

// Score is one unit's result.
type Score struct {
	Unit       string             `json:"unit"`
	Score      float64            `json:"score"`
	Rank       int                `json:"rank"`
	RankMin    int                `json:"rank_min"` // over the sensitivity runs (and the published weights)
	RankMax    int                `json:"rank_max"`
	Normalised map[string]float64 `json:"normalised"`
}

// Result is an index computed.
type Result struct {
	Scores []Score `json:"scores"` // best first
}

// Compute computes the index of in under m.
func Compute(m Method, in Input) (Result, error) {
	return Result{}, errors.New("composite: not built yet")
}
