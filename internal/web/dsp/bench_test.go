package dsp_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/web/dsp"
	"dataport/internal/web/dsp/dsptest"
)

// cpuTime is the CPU time this process has used (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkNegotiations measures Dataspace Protocol negotiations completed
// per second on SQLite, over real HTTP, for a product that agrees
// automatically: each consumer (its own callback server) sends the
// contract request, waits for the agreement callback, verifies and waits
// for the FINALIZED event (the consumers run in the same process, so
// cpu-ms/negotiation counts both sides) — every message validated against the schemas
// on both sides, every step a transaction with its events, the contract
// and its delivery grant written, the callbacks through the outbox.
//
//	go test ./internal/web/dsp -run '^$' -bench Negotiations -benchtime 2000x
func BenchmarkNegotiations(b *testing.B) {
	for _, consumers := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("consumers=%d", consumers), func(b *testing.B) {
			w := newWorld(b, storetest.Open(b, store.SQLite), dsp.Config{InsecureCallbacks: true, Workers: 16})
			token := w.token(b, w.w.CompanyAdmin)
			cs := make([]*dsptest.Consumer, consumers)
			for i := range cs {
				cs[i] = dsptest.NewConsumer(b, w.srv.URL, token, "schemas")
				cs[i].Discover()
			}
			dataset := cs[0].Catalog()[0].(dsptest.Message)
			var left atomic.Int64
			left.Store(int64(b.N))
			var wg sync.WaitGroup
			b.ResetTimer()
			start, cpu := time.Now(), cpuTime()
			for _, c := range cs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for left.Add(-1) >= 0 {
						c.Negotiate(dataset)
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "negotiations/s")
			b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/negotiation")
		})
	}
}
