package monitor_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/monitor"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// BenchmarkRequestPath is what the monitor adds to a read's own path: a
// decision (access.Decide) and the report of the rows it served
// (RecordRows), as every data path makes them, on a real SQLite store,
// without the monitor and with it observing every committed batch and
// evaluating the default rules on its own goroutine — and, between the
// two, with the decision log telling an observer that does nothing (the
// hook alone). It reports the p50 and p99 of one decision and report: the
// hook's cost on the request path is hook_only against without_monitor;
// with_monitor adds the evaluating goroutine's competition for the CPUs.
//
//	go test -run '^$' -bench 'RequestPath' -benchtime 20000x ./internal/monitor/
func BenchmarkRequestPath(b *testing.B) {
	for _, mode := range []string{"without_monitor", "hook_only", "with_monitor"} {
		b.Run(mode, func(b *testing.B) {
			db := storetest.Open(b, store.SQLite)
			w := accesstest.New(b, db)
			acc := access.New(db, w.Cat, access.Config{Rules: accesstest.Rules{}, UserRate: 1 << 30})
			defer acc.Close()
			ctx := context.Background()
			if mode == "hook_only" { // the decision log tells an observer that does nothing
				acc.OnLogged(func(context.Context, []access.Logged) {})
			}
			if mode == "with_monitor" {
				m := monitor.New(db, monitor.Config{})
				if err := m.Load(ctx); err != nil {
					b.Fatal(err)
				}
				acc.OnLogged(m.OnLogged)
				if err := m.Start(ctx); err != nil {
					b.Fatal(err)
				}
				defer m.Stop()
			}
			req := access.Request{Subject: w.Citizen, ResourceID: w.Open.ID, Action: access.ActionRead, Channel: access.ChannelAPIRows, Rows: 20,
				FilterFields: []string{"district"}}
			took := make([]time.Duration, 0, b.N)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				d, err := acc.Decide(ctx, req)
				if err != nil || !d.Allow {
					b.Fatal(err, d.Reason)
				}
				if err := acc.RecordRows(ctx, d, 20); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(t0))
			}
			b.StopTimer()
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(took[len(took)*99/100].Nanoseconds()), "p99-ns")
		})
	}
}
