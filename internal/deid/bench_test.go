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

// BenchmarkCensusK5Metric is BenchmarkCensusK5 minimising each metric in
// turn; it logs the optimum, every metric there and the search's counts.
func BenchmarkCensusK5Metric(b *testing.B) {
	tab, p := census(30000, 2026)
	for _, metric := range Metrics {
		b.Run(metric, func(b *testing.B) {
			p.Metric = metric
			cpu := cpuSeconds()
			var rep Report
			for range b.N {
				var err error
				if _, rep, err = Anonymize(tab, p, Options{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric((cpuSeconds()-cpu)*1000/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(rep.Search.Evaluated), "evaluated")
			b.Logf("%s: %v, suppressed %d, %+v, search %+v", metric, levelsIn(rep.Transformation, p.QuasiIdentifiers),
				rep.Suppressed, rep.InformationLoss, rep.Search)
		})
	}
}
