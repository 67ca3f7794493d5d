package access

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// BenchmarkAllow measures one rate-limit check: in this process's memory
// (SQLite, one process) and in PostgreSQL's shared buckets (every
// replica), serially and from 16 parallel clients (8 per CPU on 2 CPUs),
// over 1,000 client keys.
//
//	DATAPORT_TEST_POSTGRES=postgres://… go test ./internal/access -run '^$' -bench BenchmarkAllow -benchtime 3s
func BenchmarkAllow(b *testing.B) {
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = fmt.Sprintf("ip:198.51.%d.%d", i/256, i%256)
	}
	run := func(b *testing.B, l limits) {
		ctx := context.Background()
		b.Run("serial", func(b *testing.B) {
			i := 0
			for b.Loop() {
				l.allow(ctx, keys[i%len(keys)], "address", 1<<30, time.Now())
				i++
			}
		})
		b.Run("parallel", func(b *testing.B) {
			var next atomic.Int64
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					l.allow(ctx, keys[next.Add(1)%int64(len(keys))], "address", 1<<30, time.Now())
				}
			})
		})
	}
	b.Run("memory", func(b *testing.B) { run(b, newLimiter()) })
	b.Run("postgres", func(b *testing.B) {
		db := storetest.Open(b, store.Postgres)
		l := newSharedLimiter(db, slog.Default())
		if w, r := l.allow(context.Background(), "probe", "address", 60, time.Now()); w != 0 || r.Remaining != 59 {
			b.Fatalf("shared limiter does not count: %v %+v", w, r)
		}
		run(b, l)
	})
}
