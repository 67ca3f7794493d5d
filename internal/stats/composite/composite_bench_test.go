package composite

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// BenchmarkCompute is one publication's computation: units institutions,
// 16 indicators (a tenth of the values missing), 1,000 perturbation runs
// and the two alternatives — the shipped method's shape.
func BenchmarkCompute(b *testing.B) {
	for _, units := range []int{20, 100, 1000} {
		b.Run(strconv.Itoa(units)+"_units", func(b *testing.B) {
			m := Method{Version: "bench", Normalisation: MinMax, Aggregation: Arithmetic, Floor: 0.1, MinCoverage: 0.6,
				Sensitivity: Sensitivity{Runs: 1000, Jitter: 0.5, Seed: 1, Alternatives: true}}
			for i := range 16 {
				m.Indicators = append(m.Indicators, Weighted{Code: "i" + strconv.Itoa(i), Weight: float64(i%4 + 1), Direction: 1})
			}
			rng := rand.New(rand.NewPCG(1, 2))
			in := Input{}
			for u := range units {
				vals := map[string]float64{}
				for _, ind := range m.Indicators {
					if rng.Float64() >= 0.1 {
						vals[ind.Code] = rng.Float64() * 100
					}
				}
				in["u"+strconv.Itoa(u)] = vals
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := Compute(m, in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
