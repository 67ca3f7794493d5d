package assess

import (
	"cmp"
	"slices"
)

// The matrix method of GB/T 20984 (its appendix's worked example, kept
// here so that anyone can recompute a risk by hand):
//
//  1. Each vulnerability names the asset it exposes and the threat that
//     exploits it. Its severity is lowered by one grade (not below 1) when
//     an effective existing measure addresses it.
//  2. Likelihood of a security event = Matrix(threat likelihood, severity),
//     a value 1–25, banded into a grade 1–5 by GradeBands (1–5, 6–10,
//     11–15, 16–20, 21–25).
//  3. Loss of a security event = Matrix(asset value, severity), banded the
//     same way.
//  4. Risk value = Matrix(likelihood grade, loss grade), 1–25, and its level
//     by LevelBands: 1–6 very low (1), 7–12 low (2), 13–18 medium (3),
//     19–22 high (4), 23–25 very high (5).
//
// Matrix(a, b) is the rank of the cell (a, b) of the 5×5 grid when the
// cells are ordered by a×b, then by b (the second factor, the one nearer
// the loss, weighs more), then by a: Matrix(1,1) = 1, Matrix(5,5) = 25, and
// a cell is never below one whose both factors are at most its own.

// The risk levels.
const (
	LevelVeryLow  = 1 // 很低
	LevelLow      = 2 // 低
	LevelMedium   = 3 // 中
	LevelHigh     = 4 // 高
	LevelVeryHigh = 5 // 很高
)

// GradeBands are the highest matrix value of grades 1–4 (a higher value is 5).
var GradeBands = [4]int{5, 10, 15, 20}

// LevelBands are the highest risk value of levels 1–4 (a higher value is 5).
var LevelBands = [4]int{6, 12, 18, 22}

// matrix holds Matrix's values, matrix[a-1][b-1].
var matrix = func() [5][5]int {
	type cell struct{ a, b int }
	cells := make([]cell, 0, 25)
	for a := 1; a <= 5; a++ {
		for b := 1; b <= 5; b++ {
			cells = append(cells, cell{a, b})
		}
	}
	slices.SortFunc(cells, func(x, y cell) int {
		return cmp.Or(cmp.Compare(x.a*x.b, y.a*y.b), cmp.Compare(x.b, y.b), cmp.Compare(x.a, y.a))
	})
	var m [5][5]int
	for i, c := range cells {
		m[c.a-1][c.b-1] = i + 1
	}
	return m
}()

// Matrix is the method's two-factor matrix: grades a and b (1–5) give a
// value 1–25 (see the method above).
func Matrix(a, b int) int { return matrix[clamp(a)-1][clamp(b)-1] }

// Band is the grade 1–5 of value v under bands.
func Band(v int, bands [4]int) int {
	for i, hi := range bands {
		if v <= hi {
			return i + 1
		}
	}
	return 5
}

func clamp(g int) int { return min(max(g, 1), 5) }

// Risk is one computed risk: a vulnerability of an asset exploited by a
// threat, with every step of the computation.
type Risk struct {
	Vulnerability   string   `json:"vulnerability"` // the vulnerability's code
	Asset           string   `json:"asset"`
	Threat          string   `json:"threat"`
	AssetValue      int      `json:"asset_value"`
	Likelihood      int      `json:"threat_likelihood"`
	Severity        int      `json:"severity"`          // as assessed
	Residual        int      `json:"residual_severity"` // after effective measures
	Measures        []string `json:"measures"`          // the effective measures that lowered it
	EventLikelihood int      `json:"event_likelihood"`  // grade 1–5
	EventLoss       int      `json:"event_loss"`        // grade 1–5
	Value           int      `json:"value"`             // 1–25
	Level           int      `json:"level"`             // 1–5
}

// Compute computes the risk of every vulnerability of items whose asset and
// threat exist, in the vulnerabilities' order.
func Compute(items Items) []Risk {
	assets := map[string]int{}
	for _, a := range items.Assets {
		assets[a.Code] = a.Value
	}
	threats := map[string]int{}
	for _, t := range items.Threats {
		threats[t.Code] = t.Likelihood
	}
	out := make([]Risk, 0, len(items.Vulnerabilities))
	for _, v := range items.Vulnerabilities {
		value, okA := assets[v.Asset]
		likelihood, okT := threats[v.Threat]
		if !okA || !okT {
			continue
		}
		r := Risk{Vulnerability: v.Code, Asset: v.Asset, Threat: v.Threat, AssetValue: value, Likelihood: likelihood,
			Severity: v.Severity, Residual: v.Severity, Measures: []string{}}
		for _, m := range items.Measures {
			if m.Effective && slices.Contains(m.Vulnerabilities, v.Code) {
				r.Measures = append(r.Measures, m.Code)
			}
		}
		if len(r.Measures) > 0 {
			r.Residual = max(v.Severity-1, 1)
		}
		r.EventLikelihood = Band(Matrix(likelihood, r.Residual), GradeBands)
		r.EventLoss = Band(Matrix(value, r.Residual), GradeBands)
		r.Value = Matrix(r.EventLikelihood, r.EventLoss)
		r.Level = Band(r.Value, LevelBands)
		out = append(out, r)
	}
	return out
}

// HighestLevel is the highest level among risks, 0 when there are none.
func HighestLevel(risks []Risk) int {
	level := 0
	for _, r := range risks {
		level = max(level, r.Level)
	}
	return level
}
