package protect

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestDeterminedIntMatchesRat: the integer elimination and the rational
// one agree on random 0/1 systems, sparse and dense, and on the small
// systems whose answer is known.
func TestDeterminedIntMatchesRat(t *testing.T) {
	known := []struct {
		name string
		rows [][]int
		m    int
		want []bool
	}{
		{"one equation, two unknowns", [][]int{{0, 1}}, 2, []bool{false, false}},
		{"a lone unknown", [][]int{{0}, {0, 1}}, 2, []bool{true, true}},
		{"a rectangle (rows and columns of a 2×2)", [][]int{{0, 1}, {2, 3}, {0, 2}, {1, 3}}, 4, []bool{false, false, false, false}},
		{"an odd cycle", [][]int{{0, 1}, {1, 2}, {2, 0}}, 3, []bool{true, true, true}},
		{"an L: row, column and total", [][]int{{0, 1}, {0, 2}, {0, 1, 2}}, 3, []bool{true, true, true}},
		{"no equations", nil, 2, []bool{false, false}},
	}
	for _, k := range known {
		gotInt, err := determinedInt(k.rows, k.m)
		if err != nil {
			t.Fatal(err)
		}
		if gotRat := determinedRat(k.rows, k.m); !slices.Equal(gotInt, k.want) || !slices.Equal(gotRat, k.want) {
			t.Errorf("%s: integer %v, rational %v, want %v", k.name, gotInt, gotRat, k.want)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	determined := 0
	for trial := range 3000 {
		m := 1 + rng.IntN(14)
		rows := make([][]int, rng.IntN(2*m+1))
		density := rng.Float64()
		for i := range rows {
			for c := range m {
				if rng.Float64() < density {
					rows[i] = append(rows[i], c)
				}
			}
		}
		gotInt, err := determinedInt(rows, m)
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		if gotRat := determinedRat(rows, m); !slices.Equal(gotInt, gotRat) {
			t.Fatalf("trial %d: rows %v: integer %v, rational %v", trial, rows, gotInt, gotRat)
		}
		for _, d := range gotInt {
			if d {
				determined++
			}
		}
	}
	if determined == 0 {
		t.Fatal("no random system determined anything")
	}
}

// TestCombineOverflow: coefficients beyond 2^62 are detected (the audit
// then falls back to rationals) rather than wrapping around.
func TestCombineOverflow(t *testing.T) {
	big := int64(1) << 40
	if _, err := combine(big, []term{{0, big}}, 1, nil); !errors.Is(err, errOverflow) {
		t.Fatalf("2^40·2^40: got %v, want errOverflow", err)
	}
	if _, err := combine(1, []term{{0, 1 << 62}}, -1, []term{{0, 1 << 62}}); !errors.Is(err, errOverflow) {
		t.Fatalf("2^62 + 2^62: got %v, want errOverflow", err)
	}
	got, err := combine(1, []term{{0, 2}, {1, 4}}, 2, []term{{0, 1}, {1, 1}})
	if err != nil || !slices.Equal(got, []term{{1, 2}}) {
		t.Fatalf("(2,4) − 2·(1,1): got %v, %v; want [{1 2}]", got, err)
	}
}

// TestAuditorFallsBackToRationals: a null space marked overflowed makes
// the auditor solve in rationals, with the same answer.
func TestAuditorFallsBackToRationals(t *testing.T) {
	cells := []Cell{
		{Key: []any{"x1", "y1"}, N: 2}, {Key: []any{"x1", "y2"}, N: 30},
		{Key: []any{"x2", "y1"}, N: 25}, {Key: []any{"x2", "y2"}, N: 50}, {Key: []any{"x3", "y3"}, N: 50},
	}
	tab, err := newTable(cells, 2)
	if err != nil {
		t.Fatal(err)
	}
	supp := []bool{true, true, true, false, false}
	want := newAuditor(tab).determined(supp)
	a := newAuditor(tab)
	a.nulls.overflow = true
	got := a.determined(supp)
	// Row x2 and column y2 each hold one suppressed cell besides a
	// released one, which gives x2y1 and x1y2 away, and then row x1 x1y1.
	if !slices.Equal(got, want) || len(want) != 3 {
		t.Fatalf("rationals %v, integers %v; want all three determined", got, want)
	}
}
