package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"dataport/internal/identity"
	"dataport/internal/jobs"
	"dataport/internal/store"
	"dataport/internal/store/storetest"

	"github.com/riverqueue/river"
)

// sleepArgs is a test job that runs for Millis milliseconds, or until its
// context ends when Millis is negative or, with BlockFirst, on its first
// attempt. When Marker is set, each attempt creates the file
// Marker-<attempt> as it starts.
type sleepArgs struct {
	Millis     int    `json:"millis"`
	Marker     string `json:"marker"`
	BlockFirst bool   `json:"block_first"`
}

func (sleepArgs) Kind() string { return "test.sleep" }

type sleepWorker struct {
	river.WorkerDefaults[sleepArgs]
}

func (sleepWorker) Work(ctx context.Context, job *river.Job[sleepArgs]) error {
	if job.Args.Marker != "" {
		if err := os.WriteFile(fmt.Sprintf("%s-%d", job.Args.Marker, job.Attempt), nil, 0o600); err != nil {
			return err
		}
	}
	if job.Args.Millis < 0 || job.Args.BlockFirst && job.Attempt == 1 {
		<-ctx.Done()
		return ctx.Err()
	}
	select {
	case <-time.After(time.Duration(job.Args.Millis) * time.Millisecond):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// The child process of TestJobSurvivesKill: it works jobs on the store the
// environment names, as node childNode, until it is killed.
const (
	envChild    = "DATAPORT_JOBS_TEST_CHILD"
	envChildDir = "DATAPORT_JOBS_TEST_DIR"
	envChildURL = "DATAPORT_JOBS_TEST_URL"
	childNode   = "test-node"
)

func TestMain(m *testing.M) {
	if os.Getenv(envLoad) != "" {
		runLoadChild()
		return
	}
	if os.Getenv(envChild) != "" {
		runChild()
		return
	}
	os.Exit(m.Run())
}

func runChild() {
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{DataDir: os.Getenv(envChildDir), URL: os.Getenv(envChildURL)})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	r, err := jobs.Open(ctx, db, testConfig(childNode, os.Getenv(envChildURL)))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	if err := r.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	select {} // until killed
}

func testConfig(node, url string) jobs.Config {
	w := river.NewWorkers()
	river.AddWorker(w, sleepWorker{})
	return jobs.Config{Node: node, DatabaseURL: url, Workers: w, PollInterval: 200 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
}

// eachStore calls fn with a fresh store of each dialect and its config.
func eachStore(t *testing.T, fn func(t *testing.T, db *store.DB, cfg store.Config)) {
	t.Run("sqlite", func(t *testing.T) {
		cfg := storetest.Config(t, store.SQLite)
		fn(t, open(t, cfg), cfg)
	})
	if os.Getenv(storetest.EnvPostgres) != "" {
		t.Run("postgres", func(t *testing.T) {
			cfg := storetest.Config(t, store.Postgres)
			fn(t, open(t, cfg), cfg)
		})
	}
}

func open(t *testing.T, cfg store.Config) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newRunner(t *testing.T, db *store.DB, scfg store.Config, node string) *jobs.Runner {
	t.Helper()
	r, err := jobs.Open(context.Background(), db, testConfig(node, scfg.URL))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

func enqueue(t *testing.T, db *store.DB, r *jobs.Runner, args river.JobArgs) int64 {
	t.Helper()
	var id int64
	err := db.Transact(context.Background(), func(tx *store.Tx) error {
		var err error
		id, err = r.Enqueue(context.Background(), tx, args, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// jobState returns a job's state and its last attempt's error.
func jobState(t *testing.T, r *jobs.Runner, id int64) (string, string) {
	t.Helper()
	j, err := r.Job(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return j.State, j.LastError
}

func waitState(t *testing.T, r *jobs.Runner, id int64, want string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		state, errs := jobState(t, r, id)
		if state == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d is %s after %v, want %s (errors %s)", id, state, within, want, errs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestEnqueueIsTransactional: a job queued in a transaction that rolls back
// does not exist; one queued in a committed transaction runs.
func TestEnqueueIsTransactional(t *testing.T) {
	eachStore(t, func(t *testing.T, db *store.DB, scfg store.Config) {
		r := newRunner(t, db, scfg, "node-a")
		ctx := context.Background()
		refused := errors.New("the change is refused")
		err := db.Transact(ctx, func(tx *store.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO server_keys (name, secret, created_at) VALUES ('k', 'v', $1)`, store.TS(tx.Now())); err != nil {
				return err
			}
			if _, err := r.Enqueue(ctx, tx, sleepArgs{}, nil); err != nil {
				return err
			}
			return refused
		})
		if !errors.Is(err, refused) {
			t.Fatalf("transaction: %v", err)
		}
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM river_job`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("after a rollback: %d jobs (%v), want 0", n, err)
		}
		id := enqueue(t, db, r, sleepArgs{})
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer r.Stop(5*time.Second, time.Second)
		waitState(t, r, id, "completed", 10*time.Second)
		if err := db.QueryRow(`SELECT count(*) FROM river_job`).Scan(&n); err != nil || n != 1 {
			t.Errorf("%d jobs (%v), want the committed one", n, err)
		}
	})
}

// TestJobSurvivesKill: a job running in a process that is killed (SIGKILL,
// no shutdown) runs again, to completion, once the node's process starts
// again; it is not left running until River's rescuer takes it for stuck.
func TestJobSurvivesKill(t *testing.T) {
	eachStore(t, func(t *testing.T, db *store.DB, scfg store.Config) {
		r := newRunner(t, db, scfg, childNode)
		marker := filepath.Join(t.TempDir(), "attempt")
		id := enqueue(t, db, r, sleepArgs{BlockFirst: true, Marker: marker})

		// The first process takes the job, and is killed while it runs.
		child := exec.Command(os.Args[0], "-test.run=^$")
		child.Env = append(os.Environ(), envChild+"=1", envChildDir+"="+scfg.DataDir, envChildURL+"="+scfg.URL)
		child.Stderr = os.Stderr
		if err := child.Start(); err != nil {
			t.Fatal(err)
		}
		waitFile(t, marker+"-1", 30*time.Second)
		child.Process.Signal(syscall.SIGKILL)
		child.Wait()
		if state, _ := jobState(t, r, id); state != "running" {
			t.Fatalf("after the kill the job is %s, want running (the kill came too late)", state)
		}

		// The node starts again: the job runs, a second attempt, at once.
		began := time.Now()
		if err := r.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		defer r.Stop(5*time.Second, time.Second)
		waitState(t, r, id, "completed", 15*time.Second)
		t.Logf("completed %v after the start", time.Since(began).Round(10*time.Millisecond))
		if _, err := os.Stat(marker + "-2"); err != nil {
			t.Errorf("no second attempt: %v", err)
		}
		if _, errs := jobState(t, r, id); !strings.Contains(errs, "interrupted") {
			t.Errorf("the job's errors do not record the interruption: %s", errs)
		}
	})
}

// TestOtherNodesJobsAreLeftToTheirNode: a job another node was running is
// not taken from it at start (that node may be alive), but once that
// node's lease has lapsed (it was killed, and renews it no more) a live
// node runs the job again: a replica's death delays its jobs by the lease.
func TestOtherNodesJobsAreLeftToTheirNode(t *testing.T) {
	eachStore(t, func(t *testing.T, db *store.DB, scfg store.Config) {
		r := newRunner(t, db, scfg, childNode)
		marker := filepath.Join(t.TempDir(), "attempt")
		id := enqueue(t, db, r, sleepArgs{BlockFirst: true, Marker: marker})
		child := exec.Command(os.Args[0], "-test.run=^$")
		child.Env = append(os.Environ(), envChild+"=1", envChildDir+"="+scfg.DataDir, envChildURL+"="+scfg.URL)
		if err := child.Start(); err != nil {
			t.Fatal(err)
		}
		waitFile(t, marker+"-1", 30*time.Second)
		child.Process.Signal(syscall.SIGKILL)
		child.Wait()
		other := newRunner(t, db, scfg, "another-node")
		if err := other.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		defer other.Stop(5*time.Second, time.Second)
		time.Sleep(time.Second)
		if state, _ := jobState(t, r, id); state != "running" {
			t.Errorf("another node's start left the job %s, want running", state)
		}
		killed := time.Now()
		waitState(t, r, id, "completed", 30*time.Second)
		t.Logf("the dead node's job completed by another %v after its death", time.Since(killed).Round(100*time.Millisecond))
		if _, err := os.Stat(marker + "-2"); err != nil {
			t.Errorf("no second attempt: %v", err)
		}
		if _, errs := jobState(t, r, id); !strings.Contains(errs, "lease") {
			t.Errorf("the job's errors do not say its node's lease lapsed: %s", errs)
		}
	})
}

// TestSecondLiveProcessOfANodeIsRefused: replicas sharing a data dir name
// their nodes; one started with the name of a live one (its lease renewed
// all along) waits for the lease to lapse, then refuses to start.
func TestSecondLiveProcessOfANodeIsRefused(t *testing.T) {
	eachStore(t, func(t *testing.T, db *store.DB, scfg store.Config) {
		first := newRunner(t, db, scfg, "replica-a")
		if err := first.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		defer first.Stop(5*time.Second, time.Second)
		cfg := testConfig("replica-a", scfg.URL)
		cfg.Shared = true
		second, err := jobs.Open(context.Background(), db, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer second.Close()
		if err := second.Start(context.Background()); !errors.Is(err, jobs.ErrNodeInUse) {
			second.Stop(time.Second, time.Second)
			t.Fatalf("a second live process as replica-a: %v, want ErrNodeInUse", err)
		}
	})
}

func waitFile(t *testing.T, path string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear within %v", path, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestStopWaitsForRunningJobs: Stop lets a running job finish within the
// grace period; a job still running at its end is cancelled, made
// available again without counting the attempt, and runs after the next
// start.
func TestStopWaitsForRunningJobs(t *testing.T) {
	eachStore(t, func(t *testing.T, db *store.DB, scfg store.Config) {
		ctx := context.Background()
		marker := filepath.Join(t.TempDir(), "attempt")
		r := newRunner(t, db, scfg, "node-a")
		short := enqueue(t, db, r, sleepArgs{Millis: 700, Marker: marker + "short"})
		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		waitFile(t, marker+"short-1", 10*time.Second)
		began := time.Now()
		if err := r.Stop(10*time.Second, time.Second); err != nil {
			t.Fatal(err)
		}
		took := time.Since(began)
		if state, errs := jobState(t, r, short); state != "completed" {
			t.Errorf("a job shorter than the grace is %s after Stop (errors %s), want completed", state, errs)
		}
		if took < 300*time.Millisecond || took > 5*time.Second {
			t.Errorf("Stop returned after %v, want once the 700 ms job had finished", took)
		}

		r2 := newRunner(t, db, scfg, "node-a")
		long := enqueue(t, db, r2, sleepArgs{Millis: -1, Marker: marker + "long"})
		if err := r2.Start(ctx); err != nil {
			t.Fatal(err)
		}
		waitFile(t, marker+"long-1", 10*time.Second)
		began = time.Now()
		if err := r2.Stop(500*time.Millisecond, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(began); took < 500*time.Millisecond || took > 4*time.Second {
			t.Errorf("Stop with a job longer than the grace returned after %v, want just after the 500 ms grace", took)
		}
		j, err := r2.Job(ctx, long)
		if err != nil {
			t.Fatal(err)
		}
		if j.State != "available" || j.Attempt != 0 {
			t.Errorf("a job cut short by Stop is %s after %d attempts, want available again with the attempt not counted", j.State, j.Attempt)
		}

		os.Remove(marker + "long-1")
		r3 := newRunner(t, db, scfg, "node-a")
		if err := r3.Start(ctx); err != nil {
			t.Fatal(err)
		}
		waitFile(t, marker+"long-1", 15*time.Second)
		r3.Stop(100*time.Millisecond, 5*time.Second)
	})
}

// TestPeriodicWorkRunsOnStart: periodic work runs when the runner starts
// (its leader queues it), then every period, and a failed run is recorded
// as a discarded job with its error.
func TestPeriodicWorkRunsOnStart(t *testing.T) {
	eachStore(t, func(t *testing.T, db *store.DB, scfg store.Config) {
		ran := make(chan time.Time, 10)
		cfg := testConfig("node-a", scfg.URL)
		cfg.Periodic = []jobs.Periodic{
			{Name: "test.tick", Every: time.Hour, Run: func(_ context.Context, now time.Time) error { ran <- now; return nil }},
			{Name: "test.broken", Every: time.Hour, Run: func(context.Context, time.Time) error { return errors.New("the check failed") }},
		}
		r, err := jobs.Open(context.Background(), db, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if err := r.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		defer r.Stop(5*time.Second, time.Second)
		select {
		case <-ran:
		case <-time.After(30 * time.Second):
			t.Fatal("the periodic work did not run at start")
		}
		deadline := time.Now().Add(15 * time.Second)
		for {
			troubled, err := r.Troubled(context.Background(), identity.System, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(troubled) > 0 {
				j := troubled[0]
				if j.Kind != "periodic" || j.Name != "test.broken" || j.State != "discarded" || j.LastError != "the check failed" {
					t.Errorf("the failed run: %+v", j)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the failing periodic work is not among the troubled jobs")
			}
			time.Sleep(100 * time.Millisecond)
		}
		if len(ran) != 0 {
			t.Errorf("the hourly work ran %d more times within seconds", len(ran))
		}
		failed := map[string]int64{}
		for _, f := range r.Failures() {
			failed[f.Kind+"/"+f.Name] = f.Failures
		}
		if n, ok := failed["periodic/test.tick"]; !ok || n != 0 || failed["periodic/test.broken"] != 1 {
			t.Errorf("failed attempts %v: want periodic/test.broken 1 and periodic/test.tick present at 0", failed)
		}
	})
}

// TestNodeIDIsKeptInTheDataDir: a data dir names the same node at every
// start (its jobs and spooled files follow it, whatever the host is called
// then); another data dir is another node.
func TestNodeIDIsKeptInTheDataDir(t *testing.T) {
	dir := t.TempDir()
	first, err := jobs.NodeID(dir)
	if err != nil {
		t.Fatal(err)
	}
	again, err := jobs.NodeID(dir)
	if err != nil || again != first {
		t.Errorf("second NodeID of the same data dir: %q (%v), want %q", again, err, first)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "node-id")); err != nil || strings.TrimSpace(string(b)) != first {
		t.Errorf("node-id file: %q (%v), want %q", b, err, first)
	}
	if other, err := jobs.NodeID(t.TempDir()); err != nil || other == first {
		t.Errorf("another data dir's node: %q (%v), the same as the first", other, err)
	}
}
