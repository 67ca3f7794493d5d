// Package protect decides what of a sandbox result may be released:
// statistical disclosure control in the manner of statistics offices
// (minimum cell size, (n,k) dominance, secondary suppression audited so
// that no suppressed cell can be recomputed from the margins), differential
// privacy (Laplace or Gaussian noise calibrated to the clamped sensitivity
// of each aggregate, with the noise drawn from a cryptographic source, or
// a seeded one in tests), and the difference check between releases. It
// is pure computation: the zones service feeds it cells and overlap
// counts and stores what it returns.
package protect

import (
	"errors"
	"math/rand/v2"
)

// Rules are a zone's disclosure-control parameters.
type Rules struct {
	// MinCount is the fewest persons a released cell may hold.
	MinCount int
	// DominanceN and DominanceK are the (n,k) rule for SUM and AVG: a cell
	// is sensitive when its n largest absolute contributions make more than
	// k percent of its total absolute contribution. DominanceN 0 turns it off.
	DominanceN int
	DominanceK float64
}

// Status is what happened to a cell.
type Status string

// Cell states.
const (
	Released  Status = "released"
	Primary   Status = "suppressed_min_count" // fewer persons than MinCount
	Dominated Status = "suppressed_dominance" // the (n,k) rule
	Secondary Status = "suppressed_secondary" // so that suppressed cells cannot be recomputed from margins
)

// Cell is one cell of a result as the sandbox computed it (true values).
type Cell struct {
	Key []any // group values, one per GROUP BY expression
	N   int64 // persons in the cell
	// Top and Abs are, for each aggregate that is a SUM or AVG, its
	// largest absolute contributions (largest first, up to DominanceN; the
	// engine fetches more than one only when the largest alone cannot
	// settle the rule) and the sum of its absolute contributions; nil for
	// other aggregates.
	Top [][]float64
	Abs []float64
}

// Suppress decides each cell's status: primary suppression (MinCount,
// dominance), then secondary suppression until no suppressed cell's value
// is determined by the released cells and the table's margins along each
// GROUP BY dimension (all lines of the table: totals over one dimension
// with the others fixed, which any other query may give). dims is the
// number of GROUP BY expressions (0: one cell, no margins).
func Suppress(cells []Cell, dims int, r Rules) []Status { panic("protect.Suppress: not built yet") }

// Source is where noise comes from.
type Source interface {
	// Uint64 returns 64 uniformly random bits.
	Uint64() uint64
}

// CryptoSource draws from crypto/rand: what production uses.
func CryptoSource() Source { panic("not built yet") }

// SeededSource is deterministic (ChaCha8) for tests and reproducible demos.
func SeededSource(seed uint64) Source {
	return rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16), byte(seed >> 24), byte(seed >> 32), byte(seed >> 40), byte(seed >> 48), byte(seed >> 56)})
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
	Epsilon float64 // the whole query's epsilon, split across its aggregates
	Delta   float64 // Gaussian only
}

// Aggregate describes one aggregate for noise calibration: a COUNT has
// sensitivity 1 (one person is one row); SUM, AVG, MIN and MAX have the
// clamping bounds.
type Aggregate struct {
	Func         string // count, sum, avg, min, max
	Lower, Upper float64
}

// Noisy returns the cells' aggregate values with noise added (values[c][i]
// is cell c's true value of aggregate i; counts is each cell's person
// count, which AVG needs), the epsilon each aggregate used and the noise
// scale (Laplace b, or Gaussian sigma) of each. Epsilon is split evenly
// across the aggregates, and an AVG splits its share between a noisy sum
// and a noisy count. Released values are snapped to a grid (Mironov's
// mitigation of floating-point attacks on the Laplace mechanism).
func Noisy(values [][]float64, counts []int64, aggs []Aggregate, p DPParams, src Source) (noisy [][]float64, scales []float64, err error) {
	return nil, nil, errors.New("protect.Noisy: not built yet")
}

// Overlap is the persons of a new released cell (or a new result's total),
// of an earlier one, and of both.
type Overlap struct {
	Now, Earlier, Both int64
}

// Isolates reports whether releasing the new cell next to the earlier one
// would single out fewer than min persons: the two differ by at least one
// and fewer than min persons on either side.
func Isolates(o Overlap, min int) bool { panic("not built yet") }
