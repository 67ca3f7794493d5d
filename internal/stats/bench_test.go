package stats

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"dataport/internal/access/accesstest"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
)

// BenchmarkSnapshot measures a day's snapshot over a decision log holding
// DATAPORT_BENCH_DECISIONS (default 1,000,000) access decisions on that
// day, spread over the test city's published resources, and as many on
// the day before (which the snapshot must not read); on PostgreSQL the
// table is then vacuumed and analysed, as autovacuum would leave it after
// such a load. "compute" reads the
// records (what grows with the log), "take" is the whole snapshot — the
// reads, the values written and the event in one transaction. Run:
//
//	go test ./internal/stats/ -run '^$' -bench Snapshot -benchtime 5x
//	DATAPORT_TEST_POSTGRES=postgres://… go test ./internal/stats/ -run '^$' -bench Snapshot -benchtime 5x
func BenchmarkSnapshot(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("DATAPORT_BENCH_DECISIONS")); err == nil && v > 0 {
		n = v
	}
	dialects := []store.Dialect{store.SQLite}
	if os.Getenv(storetest.EnvPostgres) != "" {
		dialects = append(dialects, store.Postgres)
	}
	for _, d := range dialects {
		b.Run(string(d), func(b *testing.B) {
			ctx := context.Background()
			db := storetest.Open(b, d)
			w := accesstest.New(b, db)
			day := time.Now().AddDate(0, 0, -1).In(Beijing)
			ids := []string{w.Open.ID, w.OpenPersonal.ID, w.Conditional.ID, w.Closed.ID, w.Unshared.ID, w.Important.ID}
			start := time.Now()
			fillDecisions(b, db, ids, day.AddDate(0, 0, -1), n)
			fillDecisions(b, db, ids, day, n)
			b.Logf("%s: %d decisions a day for two days written in %v", d, n, time.Since(start).Round(time.Second))
			if d == store.Postgres { // as autovacuum leaves a table after a bulk load: statistics and the visibility map set
				if _, err := db.ExecContext(ctx, `VACUUM ANALYZE access_decisions`); err != nil {
					b.Fatal(err)
				}
			}
			s := New(db)
			today := Today(day)
			b.Run("compute", func(b *testing.B) {
				for b.Loop() {
					if _, _, err := s.compute(ctx, today, reportCache{}); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("take", func(b *testing.B) {
				for b.Loop() {
					b.StopTimer()
					for _, q := range []string{`DELETE FROM stats_values`, `DELETE FROM stats_snapshots`} {
						if _, err := db.ExecContext(ctx, q); err != nil {
							b.Fatal(err)
						}
					}
					b.StartTimer()
					if _, taken, err := s.TakeSnapshot(ctx, today); err != nil || !taken {
						b.Fatal(taken, err)
					}
				}
			})
		})
	}
}

// fillDecisions writes n allowed decisions on day (Beijing time) over ids,
// 500 rows a statement, 100,000 a transaction.
func fillDecisions(b *testing.B, db *store.DB, ids []string, day time.Time, n int) {
	b.Helper()
	ctx := context.Background()
	const per, perTx = 500, 100_000
	start := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, Beijing)
	for done := 0; done < n; {
		err := db.Transact(ctx, func(tx *store.Tx) error {
			for end := min(done+perTx, n); done < end; {
				k := min(per, end-done)
				var q strings.Builder
				q.WriteString(`INSERT INTO access_decisions (id, batch_id, at, resource_id, action, allow, reason, record_hash) VALUES `)
				args := make([]any, 0, 4*k)
				for i := range k {
					if i > 0 {
						q.WriteString(", ")
					}
					ph := rowPlaceholders(tx.Dialect, len(args), 4)
					q.WriteString(strings.Replace(ph, ")", ", 'read', TRUE, 'open_unconditional', 'h')", 1))
					at := start.Add(time.Duration(done+i) * (24 * time.Hour / time.Duration(n)))
					args = append(args, fmt.Sprintf("bench-%s-%09d", Today(day), done+i), "b", store.TS(at), ids[(done+i)%len(ids)])
				}
				if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
					return err
				}
				done += k
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
