// Command ledger measures the ledger's sequencer: how many events per second
// it seals, and the lag from an event's commit to the first signed checkpoint
// that covers it. Figures go in docs/benchmarks.md ("## Ledger").
//
//	go run ./bench/ledger                      # SQLite in a temporary data dir
//	go run ./bench/ledger -db postgres://...   # PostgreSQL (a fresh schema)
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"dataport/bench/internal/benchsrv"
	"dataport/internal/ledger"
	"dataport/internal/store"
)

func main() {
	backlog := flag.Int("backlog", 100000, "events committed before the sequencer starts (drain throughput)")
	rate := flag.Int("rate", 5000, "events per second committed during the sustained run")
	duration := flag.Duration("duration", 30*time.Second, "length of the sustained run")
	writers := flag.Int("writers", 4, "concurrent writers, one event per transaction")
	dsn := flag.String("db", "", "PostgreSQL URL; empty: SQLite in a temporary data dir")
	flag.Parse()
	if err := run(*backlog, *rate, *writers, *duration, *dsn); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(backlog, rate, writers int, duration time.Duration, dsn string) error {
	ctx := context.Background()
	dataDir, err := os.MkdirTemp("", "ledger-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dataDir)
	cfg := store.Config{DataDir: dataDir}
	if dsn != "" {
		var drop func()
		if cfg.URL, drop, err = benchsrv.FreshSchema(dsn, "bench_"); err != nil {
			return err
		}
		defer drop()
	}
	db, err := store.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Printf("store %s, data dir %s\n", db.Dialect, dataDir)

	if err := commitBacklog(ctx, db, backlog); err != nil {
		return err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := ledger.New(db, ledger.Config{DataDir: dataDir, PublicURL: "https://bench.example", Log: quiet})
	start := time.Now()
	if err := svc.Start(ctx); err != nil {
		return err
	}
	defer svc.Stop(ctx)
	if err := awaitCheckpoint(svc, uint64(backlog)); err != nil {
		return err
	}
	if drain := time.Since(start); backlog > 0 {
		fmt.Printf("backlog: %d events sealed and checkpointed in %v: %.0f events/s\n", backlog, drain.Round(time.Millisecond),
			float64(backlog)/drain.Seconds())
	}
	return sustained(ctx, db, svc, rate, writers, duration)
}

// commitBacklog commits n events in transactions of 1,000.
func commitBacklog(ctx context.Context, db *store.DB, n int) error {
	for done := 0; done < n; {
		k := min(1000, n-done)
		err := db.Transact(ctx, func(tx *store.Tx) error {
			for i := range k {
				if err := emit(ctx, tx, done+i); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		done += k
	}
	return nil
}

func emit(ctx context.Context, tx *store.Tx, i int) error {
	return tx.Emit(ctx, store.Event{Type: "bench.event", ActorUserID: "bench", ActorOrgID: "bench-org",
		SubjectKind: "bench", SubjectID: strconv.Itoa(i)}, map[string]int{"i": i})
}

// sustained commits events at rate for d while the sequencer runs, then
// reports the sealing rate and commit-to-checkpoint lag.
func sustained(ctx context.Context, db *store.DB, svc *ledger.Service, rate, writers int, d time.Duration) error {
	obs := &observer{svc: svc}
	stop := make(chan struct{})
	go obs.watch(stop)
	commits, err := load(ctx, db, rate, writers, d)
	if err != nil {
		return err
	}
	sealEnd := time.Now()
	total := uint64(0)
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&total); err != nil {
		return err
	}
	if err := awaitCheckpoint(svc, total); err != nil {
		return err
	}
	close(stop)
	tail := time.Since(sealEnd)
	lags, err := obs.lags(ctx, db, commits)
	if err != nil {
		return err
	}
	fmt.Printf("sustained: %d events committed in %v by %d writers (%.0f/s offered, %d/s asked); backlog cleared %v after the last commit\n",
		len(commits), d, writers, float64(len(commits))/d.Seconds(), rate, tail.Round(time.Millisecond))
	fmt.Printf("commit → signed checkpoint lag: p50 %v, p95 %v, p99 %v, max %v\n",
		pct(lags, 50), pct(lags, 95), pct(lags, 99), pct(lags, 100))
	return nil
}

// load commits one event per transaction from each writer, paced to rate in
// total, for d, and returns each event's id and commit time.
func load(ctx context.Context, db *store.DB, rate, writers int, d time.Duration) (map[string]time.Time, error) {
	var mu sync.Mutex
	commits := make(map[string]time.Time, rate*int(d.Seconds()+1))
	var wg sync.WaitGroup
	errc := make(chan error, writers)
	interval := time.Duration(int64(time.Second) * int64(writers) / int64(rate))
	begin := time.Now()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				next := begin.Add(time.Duration(i) * interval)
				if next.Sub(begin) >= d {
					return
				}
				time.Sleep(time.Until(next))
				var id string
				n := w*10_000_000 + i
				err := db.Transact(ctx, func(tx *store.Tx) error {
					if err := emit(ctx, tx, n); err != nil {
						return err
					}
					return tx.QueryRowContext(ctx, `SELECT id FROM events WHERE subject_kind = 'bench' AND subject_id = $1`,
						strconv.Itoa(n)).Scan(&id)
				})
				if err != nil {
					errc <- err
					return
				}
				mu.Lock()
				commits[id] = time.Now()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errc)
	return commits, <-errc
}

// observer records when each checkpoint size was first seen.
type observer struct {
	svc  *ledger.Service
	mu   sync.Mutex
	seen []sizeAt
}

type sizeAt struct {
	size uint64
	at   time.Time
}

func (o *observer) watch(stop chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-time.After(2 * time.Millisecond):
		}
		cp, _, err := o.svc.Checkpoint(context.Background())
		if err != nil {
			continue
		}
		o.mu.Lock()
		if n := len(o.seen); n == 0 || o.seen[n-1].size < cp.Size {
			o.seen = append(o.seen, sizeAt{cp.Size, time.Now()})
		}
		o.mu.Unlock()
	}
}

// lags returns, for each committed event, the time from its commit to the
// first checkpoint seen that covers its index.
func (o *observer) lags(ctx context.Context, db *store.DB, commits map[string]time.Time) ([]time.Duration, error) {
	rows, err := db.QueryContext(ctx, `SELECT id, ledger_index FROM events WHERE type = 'bench.event' AND ledger_index IS NOT NULL`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var lags []time.Duration
	for rows.Next() {
		var id string
		var idx sql.NullInt64
		if err := rows.Scan(&id, &idx); err != nil {
			return nil, err
		}
		at, ok := commits[id]
		if !ok {
			continue // the backlog
		}
		k := sort.Search(len(o.seen), func(k int) bool { return o.seen[k].size > uint64(idx.Int64) })
		if k == len(o.seen) {
			return nil, fmt.Errorf("event %s (index %d) never seen in a checkpoint", id, idx.Int64)
		}
		lags = append(lags, o.seen[k].at.Sub(at))
	}
	slices.Sort(lags)
	return lags, rows.Err()
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := min(len(sorted)-1, len(sorted)*p/100)
	return sorted[i].Round(time.Millisecond)
}

func awaitCheckpoint(svc *ledger.Service, size uint64) error {
	for deadline := time.Now().Add(10 * time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cp, _, err := svc.Checkpoint(context.Background()); err == nil && cp.Size >= size {
			return nil
		}
	}
	return fmt.Errorf("no checkpoint of %d entries within 10 minutes", size)
}
