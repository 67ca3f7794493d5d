package zones_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/jobs"
	"dataport/internal/review"
	"dataport/internal/store"
	"dataport/internal/store/storetest"
	"dataport/internal/zones"
	"dataport/internal/zones/zsql"
)

// qStores calls fn with the config of a fresh store of each dialect (to
// open it, and open it again).
func qStores(t *testing.T, fn func(t *testing.T, cfg store.Config)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, storetest.Config(t, store.SQLite)) })
	if os.Getenv(storetest.EnvPostgres) != "" {
		t.Run("postgres", func(t *testing.T) { fn(t, storetest.Config(t, store.Postgres)) })
	}
}

func qOpen(t testing.TB, cfg store.Config) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// reopen is the world on another connection to its store, with every
// service built again (as after a restart).
func (w *qWorld) reopen(t testing.TB, db *store.DB) *qWorld {
	t.Helper()
	nw, city := *w, *w.World
	city.DB, city.Cat, city.IDs = db, catalog.NewService(db), identity.NewService(db)
	nw.World = &city
	nw.Acc = access.New(db, city.Cat, access.Config{})
	t.Cleanup(nw.Acc.Close)
	nw.DS = datastore.New(datastore.Config{DB: db, Catalog: city.Cat, Access: nw.Acc})
	nw.Review = review.NewService(db, review.Config{})
	nw.Zones = zones.New(db, city.IDs, city.Cat, nw.Acc, nw.DS, zones.Config{Review: nw.Review})
	return &nw
}

// Twelve concurrent dp queries of epsilon 0.5 on a budget of 3.0: exactly
// six are released and six refused for the budget, which is then spent
// on both resources a query reads; after a restart (the store and every
// service opened again) it is still spent: the next dp query is refused,
// while disclosure control, which spends none, still runs.
func TestBudgetRaceAndRestart(t *testing.T) {
	qStores(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		w := newQWorld(t, qOpen(t, cfg), zones.Config{})
		op := w.authorise(t, "EPS", time.Now().Add(24*time.Hour))
		sql := `SELECT b.insured, COUNT(*) AS n FROM ` + table(w.Visits) + ` a JOIN ` + table(w.Insured) +
			` b ON a.patient_key = b.patient_key GROUP BY b.insured`
		var wg sync.WaitGroup
		var mu sync.Mutex
		count := map[string]int{}
		for range 12 {
			wg.Go(func() {
				q, err := w.Zones.Submit(ctx, op.User, w.Zone.ID, zones.QueryInput{SQL: sql, Mechanism: zsql.DP, Epsilon: 0.5})
				if err != nil {
					t.Errorf("submit: %v", err)
					return
				}
				q = w.await(t, op.User, q.ID)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case q.Status == zones.QueryReleased:
					count["released"]++
				case isRefused(q, zones.ReasonBudget):
					count["budget"]++
				default:
					t.Errorf("query %s: %s (%s)", q.ID, q.Status, q.Reason)
				}
			})
		}
		wg.Wait()
		if count["released"] != 6 || count["budget"] != 6 {
			t.Fatalf("12 queries of 0.5 on 3.0: %v, want 6 released and 6 refused for the budget", count)
		}
		checkSpent(t, w, op)

		w.Acc.Close()
		w.DB.Close()
		w2 := w.reopen(t, qOpen(t, cfg))
		checkSpent(t, w2, op)
		q, err := w2.Zones.Submit(ctx, op.User, w.Zone.ID, zones.QueryInput{SQL: sql, Mechanism: zsql.DP, Epsilon: 0.1})
		if err != nil || !isRefused(q, zones.ReasonBudget) || q.EpsilonRemaining != 0 {
			t.Errorf("a dp query after the restart: %+v %v, want refused for the budget", q, err)
		}
		if q := w2.run(t, op, sql, zsql.SDC, 0); q.Status != zones.QueryReleased || q.EpsilonSpent != 0 {
			t.Errorf("an sdc query after the restart: %s (%s)", q.Status, q.Reason)
		}
		checkSpent(t, w2, op)
	})
}

// checkSpent checks that the operator's budgets on both resources are spent.
func checkSpent(t *testing.T, w *qWorld, op qOperator) {
	t.Helper()
	auth, err := w.Zones.Authorisation(context.Background(), op.User, op.Auth.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(auth.Budgets) != 2 {
		t.Fatalf("budgets %+v", auth.Budgets)
	}
	for _, b := range auth.Budgets {
		if b.Total != 3 || b.Spent != 3 || b.Remaining != 0 {
			t.Errorf("budget %+v, want 3.0 spent of 3.0", b)
		}
	}
}

// lateZones lets the job runner, opened first, call the zones service
// built on it.
type lateZones struct{ s **zones.Service }

func (l lateZones) Run(ctx context.Context, id string) error { return (*l.s).Run(ctx, id) }

// openRunner opens a job runner on the world's store that runs zone
// queries with *svc, started when start.
func openRunner(t *testing.T, db *store.DB, cfg store.Config, svc **zones.Service, start bool) *jobs.Runner {
	t.Helper()
	ctx := context.Background()
	r, err := jobs.Open(ctx, db, jobs.Config{Node: "zones-test", DatabaseURL: cfg.URL, Zones: lateZones{svc}, PollInterval: 200 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	if start {
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Stop(5*time.Second, time.Second) })
	}
	return r
}

// With the app's job runner, a submitted query is queued in the
// transaction that records it and run by the runner.
func TestQueryRunsAsJob(t *testing.T) {
	qStores(t, func(t *testing.T, cfg store.Config) {
		db := qOpen(t, cfg)
		var svc *zones.Service
		r := openRunner(t, db, cfg, &svc, true)
		w := newQWorld(t, db, zones.Config{Jobs: r})
		svc = w.Zones
		op := w.authorise(t, "JOB", time.Now().Add(24*time.Hour))
		q, err := w.Zones.Submit(context.Background(), op.User, w.Zone.ID, zones.QueryInput{
			SQL: `SELECT district, COUNT(*) AS n, SUM(cost) AS s FROM ` + table(w.Visits) + ` GROUP BY district`})
		if err != nil || q.Status != zones.QueryQueued {
			t.Fatalf("submit: %+v %v", q, err)
		}
		if q = w.await(t, op.User, q.ID); q.Status != zones.QueryReleased || len(q.Rows) != len(qDistricts) {
			t.Errorf("run by the job runner: %s (%s) %v", q.Status, q.Reason, q.Rows)
		}
	})
}

// Revocation and expiry stop the next query: a query queued before is
// refused when it runs, with the access decision's reason, and a new one
// is denied at submission.
func TestRevocationAndExpiryStopTheNextQuery(t *testing.T) {
	qStores(t, func(t *testing.T, cfg store.Config) {
		ctx := context.Background()
		db := qOpen(t, cfg)
		var svc *zones.Service
		r := openRunner(t, db, cfg, &svc, false) // queues, never runs: the test runs each query itself
		w := newQWorld(t, db, zones.Config{Jobs: r})
		svc = w.Zones
		sql := `SELECT sex, COUNT(*) AS n FROM ` + table(w.Visits) + ` GROUP BY sex`
		submit := func(op qOperator) zones.Query {
			t.Helper()
			q, err := w.Zones.Submit(ctx, op.User, w.Zone.ID, zones.QueryInput{SQL: sql})
			if err != nil {
				t.Fatal(err)
			}
			return q
		}
		runNow := func(op qOperator, q zones.Query) zones.Query {
			t.Helper()
			if err := w.Zones.Run(ctx, q.ID); err != nil {
				t.Fatal(err)
			}
			return w.await(t, op.User, q.ID)
		}

		revoked := w.authorise(t, "RVK", time.Now().Add(24*time.Hour))
		if q := runNow(revoked, submit(revoked)); q.Status != zones.QueryReleased {
			t.Fatalf("before revocation: %s (%s)", q.Status, q.Reason)
		}
		queued := submit(revoked)
		if _, err := w.Zones.Revoke(ctx, w.StewardAdmin, revoked.Auth.ID, "超出授权范围使用"); err != nil {
			t.Fatal(err)
		}
		if q := runNow(revoked, queued); q.Status != zones.QueryRefused || q.Reason == "" || q.Rows != nil {
			t.Errorf("queued before the revocation: %s (%s), want refused by the access decision", q.Status, q.Reason)
		} else {
			t.Logf("refused: %s", q.Reason)
		}
		if _, err := w.Zones.Submit(ctx, revoked.User, w.Zone.ID, zones.QueryInput{SQL: sql}); !errors.Is(err, access.ErrDenied) {
			t.Errorf("after revocation: %v, want denied", err)
		}

		until := time.Now().Add(3 * time.Second)
		expiring := w.authorise(t, "EXP", until)
		queued = submit(expiring)
		time.Sleep(time.Until(until) + 100*time.Millisecond) // the authorisation's end passes
		if q := runNow(expiring, queued); q.Status != zones.QueryRefused || q.Reason == "" {
			t.Errorf("queued before the expiry: %s (%s), want refused by the access decision", q.Status, q.Reason)
		} else {
			t.Logf("refused: %s", q.Reason)
		}
		if _, err := w.Zones.Submit(ctx, expiring.User, w.Zone.ID, zones.QueryInput{SQL: sql}); !errors.Is(err, access.ErrDenied) {
			t.Errorf("after expiry: %v, want denied", err)
		}
	})
}
