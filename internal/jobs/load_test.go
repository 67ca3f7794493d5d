package jobs_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"dataport/internal/access"
	"dataport/internal/access/accesstest"
	"dataport/internal/catalog"
	"dataport/internal/datastore"
	"dataport/internal/identity"
	"dataport/internal/jobs"
	"dataport/internal/store"
)

// The child process of TestLoadRunsAgainAfterAKilledAttempt: it loads the
// registered load the environment names, straight through the datastore,
// and hangs after its first batch until it is killed.
const (
	envLoad     = "DATAPORT_JOBS_TEST_LOAD" // load id, resource id, user id, file: tab-separated
	envLoadMark = "DATAPORT_JOBS_TEST_LOAD_MARK"
)

func newDatastore(db *store.DB, cat *catalog.Service) (*datastore.Service, func()) {
	log := slog.New(slog.DiscardHandler)
	acc := access.New(db, cat, access.Config{Logger: log})
	return datastore.New(datastore.Config{DB: db, Catalog: cat, Access: acc, Log: log}), acc.Close
}

func runLoadChild() {
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{DataDir: os.Getenv(envChildDir), URL: os.Getenv(envChildURL)})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	f := strings.Split(os.Getenv(envLoad), "\t")
	ds, _ := newDatastore(db, catalog.NewService(db))
	p, err := identity.NewService(db).Principal(ctx, f[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	file, err := os.Open(f[3])
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	_, err = ds.Load(ctx, p, f[1], datastore.LoadInput{File: file, Name: "stations.csv", LoadID: f[0], Progress: func(datastore.Progress) {
		os.WriteFile(os.Getenv(envLoadMark), nil, 0o600)
		select {} // until killed
	}})
	fmt.Fprintln(os.Stderr, "child: the load returned:", err)
	os.Exit(2)
}

// TestLoadRunsAgainAfterAKilledAttempt: a load whose process was killed
// in the middle (its table half written) is loaded in full by its job
// after the start, as a fresh attempt: the earlier attempt's table is
// dropped and exactly one version holds every row.
func TestLoadRunsAgainAfterAKilledAttempt(t *testing.T) {
	eachStore(t, func(t *testing.T, db *store.DB, scfg store.Config) {
		ctx := context.Background()
		w := accesstest.New(t, db)
		ds, closeAccess := newDatastore(db, w.Cat)
		defer closeAccess()
		cfg := testConfig("node-a", scfg.URL)
		cfg.SpoolDir, cfg.Datastore, cfg.Identity = t.TempDir(), ds, w.IDs
		r, err := jobs.Open(ctx, db, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()

		const rows = 50000 // more than one batch
		f, err := r.SpoolFile()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(f, "station,district,riders,phone")
		for i := range rows {
			fmt.Fprintf(f, "站点%d,东城区,%d,\n", i, i)
		}
		f.Close()
		info, _ := os.Stat(f.Name())
		loadID, err := r.EnqueueLoad(ctx, w.ProviderEditor, w.Open.ID, "stations.csv", f.Name(), info.Size())
		if err != nil {
			t.Fatal(err)
		}

		mark := filepath.Join(t.TempDir(), "first-batch")
		child := exec.Command(os.Args[0], "-test.run=^$")
		child.Env = append(os.Environ(), envLoad+"="+strings.Join([]string{loadID, w.Open.ID, w.ProviderEditor.UserID, f.Name()}, "\t"),
			envLoadMark+"="+mark, envChildDir+"="+scfg.DataDir, envChildURL+"="+scfg.URL)
		child.Stderr = os.Stderr
		if err := child.Start(); err != nil {
			t.Fatal(err)
		}
		waitFile(t, mark, 60*time.Second)
		child.Process.Signal(syscall.SIGKILL)
		child.Wait()
		var earlier string
		if err := db.QueryRow(`SELECT table_name FROM datastore_loads WHERE id = $1`, loadID).Scan(&earlier); err != nil || earlier == "" {
			t.Fatalf("the killed attempt left no table (%q, %v)", earlier, err)
		}
		if !tableExists(t, db, earlier) {
			t.Fatalf("the killed attempt's table %s does not exist", earlier)
		}

		if err := r.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer r.Stop(10*time.Second, time.Second)
		deadline := time.Now().Add(60 * time.Second)
		var st datastore.LoadStatus
		for {
			if st, err = ds.LoadStatus(ctx, w.ProviderEditor, loadID); err != nil {
				t.Fatal(err)
			}
			if st.State != "loading" || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if st.State != "done" || st.Version != 1 || st.Rows != rows {
			t.Fatalf("load after the restart: %+v, want done, version 1, %d rows", st, rows)
		}
		v, err := ds.Current(ctx, w.ProviderEditor, w.Open.ID)
		if err != nil || v.Rows != rows {
			t.Errorf("current version: %d rows (%v), want %d", v.Rows, err, rows)
		}
		if tableExists(t, db, earlier) {
			t.Errorf("the killed attempt's table %s is still there", earlier)
		}
		if spooled, _ := os.ReadDir(cfg.SpoolDir); len(spooled) != 0 {
			t.Errorf("spooled files left after the load: %v", spooled)
		}
	})
}

func tableExists(t *testing.T, db *store.DB, name string) bool {
	t.Helper()
	q := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1`
	if db.Dialect == store.Postgres {
		q = `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`
	}
	var n int
	if err := db.QueryRow(q, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}
