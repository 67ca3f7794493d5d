package protect_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"dataport/internal/zones/protect"
)

// benchTable is a 10 × 10 × 20 table (district × diagnosis group × age
// band, say) with about 5% of its cells missing and person counts
// log-normal around 40, so that about 8% of the cells are under 10.
func benchTable() []protect.Cell {
	rng := rand.New(rand.NewPCG(1, 2))
	var cells []protect.Cell
	for a := range 10 {
		for b := range 10 {
			for c := range 20 {
				if rng.Float64() < 0.05 {
					continue
				}
				n := int64(math.Exp(math.Log(40)+rng.NormFloat64())) + 1
				cells = append(cells, protect.Cell{Key: []any{int64(a), int64(b), int64(c)}, N: n})
			}
		}
	}
	return cells
}

func BenchmarkSuppress(b *testing.B) {
	cells := benchTable()
	r := protect.Rules{MinCount: 10}
	var st []protect.Status
	for b.Loop() {
		var err error
		st, err = protect.Suppress(cells, 3, r)
		if err != nil && !errors.Is(err, protect.ErrUnprotectable) {
			b.Fatal(err)
		}
	}
	counts := map[protect.Status]int{}
	for _, s := range st {
		counts[s]++
	}
	b.ReportMetric(float64(len(cells)), "cells")
	b.ReportMetric(float64(counts[protect.Primary]), "primary")
	b.ReportMetric(float64(counts[protect.Secondary]), "secondary")
}

func BenchmarkNoisy(b *testing.B) {
	cells := benchTable()
	values := make([][]float64, len(cells))
	counts := make([]int64, len(cells))
	for i, c := range cells {
		counts[i] = c.N
		values[i] = []float64{float64(c.N), float64(c.N) * 1234.5, 1234.5}
	}
	aggs := []protect.Aggregate{{Func: "count"}, {Func: "sum", Lower: 0, Upper: 50000}, {Func: "avg", Lower: 0, Upper: 50000}}
	for _, bench := range []struct {
		name string
		p    protect.DPParams
		src  protect.Source
	}{
		{"laplace/crypto", protect.DPParams{Noise: protect.Laplace, Epsilon: 0.5}, protect.CryptoSource()},
		{"laplace/seeded", protect.DPParams{Noise: protect.Laplace, Epsilon: 0.5}, protect.SeededSource(1)},
		{"gaussian/crypto", protect.DPParams{Noise: protect.Gaussian, Epsilon: 0.5, Delta: 1e-6}, protect.CryptoSource()},
	} {
		b.Run(bench.name, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := protect.Noisy(values, counts, aggs, bench.p, bench.src); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(cells)), "cells")
		})
	}
}
