package deid

import (
	"math"
	"testing"
)

// TestSearchWithoutBlocks checks that a table whose columns have too many
// values for block indexes (rolled up by the generic grouping instead)
// finds the same optimum, suppression and loss as with blocks.
func TestSearchWithoutBlocks(t *testing.T) {
	for _, test := range []struct {
		name string
		k, l int
	}{
		{"k=5", 5, 0},
		{"k=3 l=3", 3, 3},
	} {
		t.Run(test.name, func(t *testing.T) {
			tab, p := census(4000, 7)
			p.K, p.L = test.k, test.l
			enc, err := encode(tab, p, "")
			if err != nil {
				t.Fatal(err)
			}
			var nodes [2]int
			var evals [2]evaluation
			for i := range 2 {
				prob, err := newProblem(enc.qi, enc.rows, enc.n, enc.sens, p.K, p.L, p.T, p.MaxSuppression, MetricLoss)
				if err != nil {
					t.Fatal(err)
				}
				if i == 1 {
					prob.blocks, prob.bottom.bidx = nil, nil
				}
				if nodes[i], evals[i], _, err = prob.search(); err != nil {
					t.Fatal(err)
				}
			}
			if nodes[0] != nodes[1] || evals[0].suppressed != evals[1].suppressed || math.Abs(evals[0].loss-evals[1].loss) > 1e-12 {
				t.Errorf("with blocks node %d %+v, without %d %+v", nodes[0], evals[0], nodes[1], evals[1])
			}
		})
	}
}
