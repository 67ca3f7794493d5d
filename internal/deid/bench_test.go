package deid

import "testing"

// BenchmarkCensusK5 measures the whole de-identification of the
// 30,000-row, eight-quasi-identifier census-like table to k=5 with at most
// 5% suppression: encoding, the optimal search, the output and the risks.
func BenchmarkCensusK5(b *testing.B) {
	tab, p := census(30000, 2026)
	b.ResetTimer()
	cpu := cpuSeconds()
	defer func() { b.ReportMetric((cpuSeconds()-cpu)*1000/float64(b.N), "cpu-ms/op") }()
	for range b.N {
		if _, _, err := Anonymize(tab, p, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
