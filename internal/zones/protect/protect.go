// Package protect decides what of a sandbox result may be released:
// statistical disclosure control in the manner of statistics offices
// (minimum cell size, (n,k) dominance, secondary suppression audited so
// that no suppressed cell can be recomputed from the margins), differential
// privacy (Laplace or Gaussian noise calibrated to the clamped sensitivity
// of each aggregate, with the noise drawn from a cryptographic source, or
// a seeded one in tests), and the difference check between releases. It
// is pure computation: the zones service feeds it cells and overlap
// counts and stores what it returns.
//
// # Disclosure control
//
// Suppress works on the table of a query's cells, one cell per group of
// its GROUP BY expressions (the dimensions). Groups absent from the
// result are structural zeros: everyone knows they hold nobody. The
// attacker is assumed to know, besides the released cells, every margin
// of the table — for each set of dimensions, the sums over them with the
// other dimensions' values fixed: lines along one dimension, planes, …,
// the grand total — since another query grouping by fewer expressions
// gives them. A margin holding a single cell is not counted: it is that
// cell itself, which a query asking for it reads as the same persons and
// protects by the same rules (and combinations of such releases across
// queries are the difference check's business). Were one-cell lines
// counted, the higher-order margins would follow from the lines; as they
// are not, every order is audited.
//
// Primary suppression marks cells with fewer than Rules.MinCount persons,
// and cells whose SUM or AVG fails the (n,k) dominance rule. Secondary
// suppression then adds cells until no suppressed cell's value is
// determined by the released cells and the margins, which is audited
// exactly: the unknowns are the suppressed cells, each margin touching
// them is one linear equation, and a suppressed cell is determined iff its
// unit vector lies in the row space of those equations — iff no vector of
// the equations' null space moves it (the null space is grown one
// suppressed cell at a time over the integers, fraction-free with overflow
// detection, falling back to math/big rationals). A cell can be recomputed
// only if it is determined; an undetermined cell can take other values in
// another table that agrees with everything published. Bounds on a
// suppressed cell (the interval an attacker can still narrow it to, which
// tau-Argus's interval protection guarantees a width for) are out of
// scope: the audit guarantees only that no suppressed value is determined
// exactly. So is optimality: each secondary suppression is chosen
// greedily (see Suppress), not by minimising the persons suppressed.
//
// In three or more dimensions two suppressed cells per line are not
// enough (lines of two suppressed cells can close an odd cycle, which
// determines every cell on it). And with structural zeros the margins
// alone can determine a cell however much is suppressed (in two
// dimensions, an L of three cells: its corner is its row plus its column
// less the grand total); Suppress then fails with ErrUnprotectable and
// the result must be refused.
//
// # Differential privacy
//
// Noisy adds Laplace noise through Mironov's snapping mechanism, or
// Gaussian noise (classic calibration, each aggregate's epsilon below 1);
// see Noisy and DPParams.
package protect

import (
	"errors"
	"fmt"
	"math"
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

// Suppressed reports whether the cell's values are withheld.
func (s Status) Suppressed() bool { return s != Released }

// Cell is one cell of a result as the sandbox computed it (true values).
type Cell struct {
	Key []any // group values, one per GROUP BY expression
	N   int64 // persons in the cell
	// Top and Abs are, for each aggregate i that is a SUM or AVG, its
	// largest absolute contributions Top[i] (largest first) and the sum of
	// its absolute contributions Abs[i]; Top[i] is nil for the other
	// aggregates (the dominance rule does not apply to them). Top[i] may
	// hold fewer than DominanceN values when they settle the rule anyway
	// (Rules.Dominated says whether they do; the engine fetches more only
	// when the largest alone cannot settle it), or when the cell has no
	// more than DominanceN persons (then the n largest are all of them and
	// their sum is Abs[i]). Otherwise Suppress fails.
	Top [][]float64
	Abs []float64
}

// ErrUnprotectable is returned by Suppress when a suppressed cell stays
// determined by the margins however many more cells are suppressed (every
// margin touching the suppressed cells is itself entirely suppressed);
// the result must not be released.
var ErrUnprotectable = errors.New("protect: a suppressed cell is determined by the margins whatever else is suppressed")

// Suppress decides each cell's status: primary suppression (MinCount,
// dominance), then secondary suppression until no suppressed cell's value
// is determined by the released cells and the table's margins (see the
// package documentation for the model, and ErrUnprotectable). dims is the number of GROUP BY
// expressions (0: one cell, no margins); every Key must have dims values
// and no two cells the same Key.
//
// Each secondary suppression is the unsuppressed cell with the fewest
// persons in a margin that lets a suppressed cell be recomputed, cells
// that are alone in some line coming last and ties going to the smallest
// key; the result depends on the table, not on the order of cells.
//
// On ErrUnprotectable the statuses are returned too (all that could be
// suppressed is); any other error means bad input and no statuses.
func Suppress(cells []Cell, dims int, r Rules) ([]Status, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	st, err := primary(cells, dims, r)
	if err != nil {
		return nil, err
	}
	if dims == 0 {
		return st, nil
	}
	t, err := newTable(cells, dims)
	if err != nil {
		return nil, err
	}
	return st, t.secondary(st)
}

func (r Rules) validate() error {
	switch {
	case r.MinCount < 0:
		return fmt.Errorf("protect: Rules.MinCount %d: must not be negative", r.MinCount)
	case r.DominanceN < 0:
		return fmt.Errorf("protect: Rules.DominanceN %d: must not be negative", r.DominanceN)
	case r.DominanceN > 0 && !(r.DominanceK > 0 && r.DominanceK <= 100):
		return fmt.Errorf("protect: Rules.DominanceK %v: must be a percentage in (0, 100]", r.DominanceK)
	}
	return nil
}

// primary applies MinCount and the dominance rule to each cell.
func primary(cells []Cell, dims int, r Rules) ([]Status, error) {
	if dims < 0 || (dims == 0 && len(cells) > 1) {
		return nil, fmt.Errorf("protect: dims %d with %d cells: want dims ≥ 0, and one cell when there is no GROUP BY", dims, len(cells))
	}
	st := make([]Status, len(cells))
	for i, c := range cells {
		if err := c.check(i, dims); err != nil {
			return nil, err
		}
		st[i] = Released
		if c.N < int64(r.MinCount) {
			st[i] = Primary
			continue
		}
		for a, top := range c.Top {
			if top == nil {
				continue
			}
			sensitive, decided := r.Dominated(top, c.Abs[a], c.N)
			if !decided {
				return nil, fmt.Errorf("protect: cell %d aggregate %d: the (%d,%v) rule needs the %d largest contributions of its %d persons, got %d",
					i, a, r.DominanceN, r.DominanceK, r.DominanceN, c.N, len(top))
			}
			if sensitive {
				st[i] = Dominated
				break
			}
		}
	}
	return st, nil
}

func (c Cell) check(i, dims int) error {
	switch {
	case len(c.Key) != dims:
		return fmt.Errorf("protect: cell %d: Key has %d values, want %d (dims)", i, len(c.Key), dims)
	case c.N < 0 || (c.N == 0 && dims > 0):
		return fmt.Errorf("protect: cell %d: N %d: a group holds at least one person", i, c.N)
	case len(c.Abs) < len(c.Top):
		return fmt.Errorf("protect: cell %d: Abs has %d values for %d aggregates in Top", i, len(c.Abs), len(c.Top))
	}
	for a, top := range c.Top {
		if top == nil {
			continue
		}
		if abs := c.Abs[a]; !(abs >= 0) || math.IsInf(abs, 0) {
			return fmt.Errorf("protect: cell %d aggregate %d: Abs %v: want a finite sum of absolute values", i, a, abs)
		}
		for _, v := range top {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("protect: cell %d aggregate %d: Top value %v is not finite", i, a, v)
			}
		}
	}
	return nil
}

// Dominated applies the (n,k) rule to one SUM or AVG of a cell: top are
// its largest absolute contributions (any number, largest first), abs the
// sum of all its absolute contributions and persons the cell's persons.
// The cell is sensitive when its n largest contributions exceed k percent
// of abs. decided is false when top is too short to tell: then the caller
// must fetch the n largest. Missing values count as zero only when the
// cell has no more than n persons, and then the n largest are all of them,
// whose sum is abs (so such a cell is sensitive whenever abs > 0 and k <
// 100). Otherwise each missing value lies between 0 and the smallest value
// of top, which settles the rule when even the largest possible sum stays
// under the threshold (or the given values alone exceed it).
func (r Rules) Dominated(top []float64, abs float64, persons int64) (sensitive, decided bool) {
	n := r.DominanceN
	if n <= 0 || abs <= 0 {
		return false, true
	}
	limit := r.DominanceK / 100 * abs
	if persons <= int64(n) {
		return abs > limit, true
	}
	m := min(len(top), n)
	sum, least := 0.0, math.Inf(1)
	for _, v := range top[:m] {
		sum += math.Abs(v)
		least = math.Min(least, math.Abs(v))
	}
	switch {
	case sum > limit:
		return true, true
	case m == n:
		return false, true
	case m == 0:
		return false, false
	}
	most := sum + math.Min(float64(n-m)*least, abs-sum)
	return false, most <= limit
}

// Overlap is the persons of a new released cell (or a new result's total),
// of an earlier one, and of both.
type Overlap struct {
	Now, Earlier, Both int64
}

// Isolates reports whether releasing the new cell next to the earlier one
// would single out fewer than min persons: 0 < Now−Both < min or
// 0 < Earlier−Both < min (the two differ by at least one and fewer than
// min persons on either side). Identical sets isolate nobody. Counts that
// cannot be (negative, or Both above Now or Earlier) are taken to isolate,
// so a bug upstream refuses rather than releases.
func Isolates(o Overlap, min int) bool {
	if o.Both < 0 || o.Both > o.Now || o.Both > o.Earlier {
		return true
	}
	onlyNow, onlyEarlier := o.Now-o.Both, o.Earlier-o.Both
	return (onlyNow > 0 && onlyNow < int64(min)) || (onlyEarlier > 0 && onlyEarlier < int64(min))
}
