package trade_test

import (
	"context"
	"testing"

	"dataport/internal/exchange/trade"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// BenchmarkAutoAgreedNegotiation completes negotiations of an
// automatically agreeing product on a real SQLite file, as a protocol
// consumer drives them: request (REQUESTED, then AGREED with its contract
// in the following transaction), verify (VERIFIED and FINALIZED with the
// delivery grant). It reports completed negotiations per second, and the
// process's CPU time per negotiation (a figure a busy machine distorts
// less than the rate).
func BenchmarkAutoAgreedNegotiation(b *testing.B) {
	db := storetest.Open(b, store.SQLite)
	m := newMarket(b, db)
	ctx := context.Background()
	buyer := m.w.CompanyAdmin
	in := trade.RequestInput{ProductID: m.auto.ID, Purpose: purpose}
	cpu := cpuTime()
	for b.Loop() {
		n, err := m.tr.Request(ctx, buyer, in)
		if err != nil {
			b.Fatal(err)
		}
		if n, err = m.tr.Verify(ctx, buyer, n.ID); err != nil || n.State != trade.Finalized {
			b.Fatalf("verify: %+v %v", n, err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "negotiations/s")
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/op")
}
