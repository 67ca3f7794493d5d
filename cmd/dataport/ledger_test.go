package main

import (
	"bytes"
	"context"
	byteorder "encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"dataport/internal/store"
	"dataport/internal/store/storetest"

	"golang.org/x/mod/sumdb/tlog"
)

// ledgerProc is a `dataport serve` process the ledger tests may kill.
type ledgerProc struct {
	cmd    *exec.Cmd
	url    string
	stderr *lockedBuffer
}

// ledgerServe starts `dataport serve` on dataDir (and dbURL, when set) and
// waits until it answers.
func ledgerServe(t *testing.T, dataDir, dbURL string, extra ...string) *ledgerProc {
	t.Helper()
	addr := freeAddr(t)
	args := []string{"serve", "--data", dataDir, "--addr", addr, "--ledger-origin", "e2e.dataport.test/ledger"}
	if dbURL != "" {
		args = append(args, "--db", dbURL)
	}
	args = append(args, extra...)
	p := &ledgerProc{cmd: exec.Command(binary, args...), url: "http://" + addr, stderr: &lockedBuffer{}}
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(p.url + "/healthz"); err == nil {
			resp.Body.Close()
			return p
		}
	}
	t.Fatalf("dataport did not start:\n%s", p.stderr)
	return nil
}

// stop ends the server with SIGINT and waits for a clean exit.
func (p *ledgerProc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(os.Interrupt)
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("dataport exited with %v:\n%s", err, p.stderr)
	}
}

// dataportCLI runs the binary and returns its combined output and exit code.
func dataportCLI(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

// ledgerStores are the stores the end-to-end ledger tests run on: a data dir
// with SQLite always, PostgreSQL too when DATAPORT_TEST_POSTGRES is set.
func ledgerStores(t *testing.T, fn func(t *testing.T, dataDir, dbURL string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, t.TempDir(), "") })
	if dsn := os.Getenv(storetest.EnvPostgres); dsn != "" {
		t.Run("postgres", func(t *testing.T) { fn(t, t.TempDir(), storetest.NewSchema(t, dsn)) })
	}
}

// ledgerStore opens the store the server of dataDir (and dbURL) uses,
// until the test ends.
func ledgerStore(t *testing.T, dataDir, dbURL string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Config{DataDir: dataDir, URL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// storeFlags are the command line's flags naming that store.
func storeFlags(dataDir, dbURL string) []string {
	return withDB([]string{"--data", dataDir}, dbURL)
}

// TestLedgerSealsEveryEventOnceAcrossSIGKILL kills the server with SIGKILL
// several times while events are committed and sealed under load, then
// restarts it and checks that every committed event is in the log exactly
// once, at the index its row records.
func TestLedgerSealsEveryEventOnceAcrossSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts the server under load")
	}
	ledgerStores(t, func(t *testing.T, dataDir, dbURL string) {
		ctx := context.Background()
		db := ledgerStore(t, dataDir, dbURL)
		token := ledgerToken(t, dataDir, dbURL)

		var committed atomic.Int64
		stopLoad := make(chan struct{})
		var load sync.WaitGroup
		var stopOnce sync.Once
		endLoad := func() { stopOnce.Do(func() { close(stopLoad) }); load.Wait() }
		defer endLoad()    // before db.Close, also when the test fails early
		for w := range 4 { // writers commit events straight into the outbox, as services do
			load.Add(1)
			go func() {
				defer load.Done()
				for i := 0; ; i++ {
					select {
					case <-stopLoad:
						return
					default:
					}
					err := db.Transact(ctx, func(tx *store.Tx) error {
						return tx.Emit(ctx, store.Event{Type: "load.tick", ActorUserID: "writer-" + strconv.Itoa(w),
							SubjectKind: "load", SubjectID: strconv.Itoa(i)}, map[string]int{"i": i})
					})
					if err != nil {
						t.Errorf("writer %d: %v", w, err)
						return
					}
					committed.Add(1)
				}
			}()
		}
		var apiURL atomic.Value // the live server's URL; API calls also emit events
		load.Add(1)
		go func() {
			defer load.Done()
			for i := 0; ; i++ {
				select {
				case <-stopLoad:
					return
				default:
				}
				if u, _ := apiURL.Load().(string); u != "" {
					req, _ := http.NewRequest(http.MethodPost, u+"/api/v1/users/me/tokens", strings.NewReader(`{"name":"load-`+strconv.Itoa(i)+`"}`))
					req.Header.Set("Authorization", "Bearer "+token)
					req.Header.Set("Content-Type", "application/json")
					if resp, err := http.DefaultClient.Do(req); err == nil {
						resp.Body.Close()
					}
				}
				time.Sleep(2 * time.Millisecond)
			}
		}()

		var procs []*ledgerProc
		inWindow := 0
		for round := range 6 {
			p := ledgerServe(t, dataDir, dbURL)
			procs = append(procs, p)
			apiURL.Store(p.url)
			time.Sleep(time.Duration(200+rand.IntN(500)) * time.Millisecond)
			// Even rounds kill at a random moment; odd rounds wait for the
			// narrow moment when the log holds entries the table has not recorded.
			if round%2 == 1 && ledgerAwaitUnrecorded(db, dataDir, 3*time.Second) {
				inWindow++
			}
			p.cmd.Process.Kill() // SIGKILL: no shutdown, no final checkpoint
			p.cmd.Wait()
			apiURL.Store("")
			t.Logf("round %d: %d events committed so far", round, committed.Load())
		}
		endLoad()

		p := ledgerServe(t, dataDir, dbURL)
		procs = append(procs, p)
		var total int64
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&total); err != nil {
			t.Fatal(err)
		}
		if total < committed.Load() {
			t.Fatalf("%d events in the table, %d committed", total, committed.Load())
		}
		size := ledgerWaitCheckpoint(t, db, p.url, total)
		if size != total {
			t.Fatalf("log holds %d entries for %d events: some were appended twice", size, total)
		}
		ids := ledgerEntryIDs(t, p.url, size)
		rows, err := db.QueryContext(ctx, `SELECT id, ledger_index FROM events`)
		if err != nil {
			t.Fatal(err)
		}
		seen := 0
		for rows.Next() {
			var id string
			var idx *int64
			if err := rows.Scan(&id, &idx); err != nil {
				t.Fatal(err)
			}
			if idx == nil || *idx >= size || ids[*idx] != id {
				t.Errorf("event %s has index %v, not its entry in the log", id, idx)
			}
			seen++
		}
		rows.Close()
		if seen != int(size) {
			t.Errorf("%d rows for %d log entries", seen, size)
		}
		reconciled := 0
		for _, p := range procs[1:] {
			if strings.Contains(p.stderr.String(), "recording entries appended before a stop") {
				reconciled++
			}
		}
		t.Logf("%d events (%d committed by the test's writers) sealed exactly once across 6 SIGKILLs; "+
			"%d kills landed between append and record, %d restarts recorded such entries", total, committed.Load(), inWindow, reconciled)
		if inWindow > 0 && reconciled == 0 {
			t.Errorf("kills between append and record, yet no restart recorded the log's tail")
		}
		if strings.Contains(p.stderr.String(), "level=ERROR") {
			t.Errorf("errors after restart:\n%s", p.stderr)
		}

		// A receipt from the live server verifies against it with the CLI.
		var last string
		db.QueryRowContext(ctx, `SELECT id FROM events ORDER BY seq DESC LIMIT 1`).Scan(&last)
		resp, err := http.Get(p.url + "/api/v1/ledger/receipts/" + last)
		if err != nil {
			t.Fatal(err)
		}
		receipt, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		receiptFile := filepath.Join(t.TempDir(), "receipt.json")
		os.WriteFile(receiptFile, receipt, 0o644)
		out, code := dataportCLI(t, nil, "ledger", "verify", "--url", p.url, "--receipt", receiptFile)
		if code != 0 || !strings.Contains(out, "\nOK\n") {
			t.Errorf("ledger verify --receipt: exit %d\n%s\nreceipt %s", code, out, receipt)
		}
		p.stop(t)

		if out, code := dataportCLI(t, nil, append([]string{"ledger", "verify"}, storeFlags(dataDir, dbURL)...)...); code != 0 {
			t.Errorf("ledger verify --data after the crashes: exit %d\n%s", code, out)
		}
	})
}

// TestLedgerVerifyNamesTamperedRowAndTile edits an event row in the
// database and one byte of a hash tile; `ledger verify` must name both.
func TestLedgerVerifyNamesTamperedRowAndTile(t *testing.T) {
	ledgerStores(t, func(t *testing.T, dataDir, dbURL string) {
		ctx := context.Background()
		db := ledgerStore(t, dataDir, dbURL)
		for i := range 300 { // a full tile and a partial one
			err := db.Transact(ctx, func(tx *store.Tx) error {
				return tx.Emit(ctx, store.Event{Type: "resource.published", ActorUserID: "u", ActorOrgID: "o",
					SubjectKind: "resource", SubjectID: fmt.Sprint("r", i)}, map[string]int{"version": 1})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		p := ledgerServe(t, dataDir, dbURL)
		ledgerWaitCheckpoint(t, db, p.url, 300)
		p.stop(t)
		args := append([]string{"ledger", "verify"}, storeFlags(dataDir, dbURL)...)
		if out, code := dataportCLI(t, nil, args...); code != 0 {
			t.Fatalf("untouched ledger: exit %d\n%s", code, out)
		}

		var victim string
		db.QueryRowContext(ctx, `SELECT id FROM events WHERE ledger_index = 42`).Scan(&victim)
		if _, err := db.ExecContext(ctx, `UPDATE events SET subject_id = 'r-forged' WHERE id = $1`, victim); err != nil {
			t.Fatal(err)
		}
		tile := filepath.Join(dataDir, "ledger", "tile", "0", "000")
		raw, err := os.ReadFile(tile)
		if err != nil {
			t.Fatal(err)
		}
		raw[100*32] ^= 0x80
		os.WriteFile(tile, raw, 0o644)

		out, code := dataportCLI(t, nil, args...)
		if code == 0 {
			t.Fatalf("ledger verify passed a tampered ledger:\n%s", out)
		}
		for _, want := range []string{"FAIL event " + victim + ": stored row differs from log entry 42 in subject.id",
			"FAIL tile tile/0/000: hash 100 differs"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
}

// TestLedgerRotateKey rotates the ledger's key with the CLI between two
// runs of the server: refused while the server runs, then the old log is
// retired, the server seals every event into a new log under the new origin
// and `ledger verify` passes on it.
func TestLedgerRotateKey(t *testing.T) {
	ledgerStores(t, func(t *testing.T, dataDir, dbURL string) {
		ctx := context.Background()
		db := ledgerStore(t, dataDir, dbURL)
		p := ledgerServe(t, dataDir, dbURL)
		before := ledgerWaitCheckpoint(t, db, p.url, 1) // the events of the server's own first start
		common := storeFlags(dataDir, dbURL)
		rotate := append([]string{"ledger", "rotate-key", "--new-origin", "e2e.dataport.test/ledger/2027"}, common...)
		if out, code := dataportCLI(t, nil, rotate...); code == 0 || !strings.Contains(out, "stop every replica") {
			t.Fatalf("rotate-key while the server runs: exit %d\n%s", code, out)
		}
		p.stop(t)

		out, code := dataportCLI(t, nil, rotate...)
		if code != 0 || !strings.Contains(out, fmt.Sprintf("retired e2e.dataport.test/ledger (checkpoint of %d entries", before)) ||
			!strings.Contains(out, "new log e2e.dataport.test/ledger/2027, verifier key e2e.dataport.test/ledger/2027+") {
			t.Fatalf("rotate-key: exit %d\n%s", code, out)
		}
		retired, _ := filepath.Glob(filepath.Join(dataDir, "ledger-retired", "e2e.dataport.test_ledger-*", "ledger", "checkpoint"))
		if len(retired) != 1 {
			t.Fatalf("retired checkpoints %v", retired)
		}

		// The old origin no longer starts a server; the new one seals every
		// event again, and the new log verifies.
		serveOld := append([]string{"serve", "--addr", freeAddr(t), "--ledger-origin", "e2e.dataport.test/ledger"}, common...)
		if out, code := dataportCLI(t, nil, serveOld...); code == 0 || !strings.Contains(out, "keeps its origin") {
			t.Fatalf("serve with the retired origin: exit %d\n%s", code, out)
		}
		p = ledgerServe(t, dataDir, dbURL, "--ledger-origin", "e2e.dataport.test/ledger/2027")
		var events int64
		db.QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&events)
		ledgerWaitCheckpoint(t, db, p.url, events)
		p.stop(t)
		out, code = dataportCLI(t, nil, append([]string{"ledger", "verify"}, common...)...)
		if code != 0 || !strings.Contains(out, "ledger e2e.dataport.test/ledger/2027: checkpoint of") {
			t.Fatalf("ledger verify after rotation: exit %d\n%s", code, out)
		}
	})
}

// ledgerToken adds a sysadmin and returns an API token for them.
func ledgerToken(t *testing.T, dataDir, dbURL string) string {
	t.Helper()
	common := storeFlags(dataDir, dbURL)
	env := []string{"DATAPORT_PASSWORD=load-tester-password-1"}
	if out, code := dataportCLI(t, env, append([]string{"user", "add", "--username", "loadtester", "--display-name", "Load", "--role", "sysadmin"}, common...)...); code != 0 {
		t.Fatalf("user add: %s", out)
	}
	cmd := exec.Command(binary, append([]string{"token", "create", "--user", "loadtester"}, common...)...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("token create: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// ledgerWaitCheckpoint waits until no event waits for the sequencer and the
// served checkpoint covers want entries; it returns the checkpoint's size.
func ledgerWaitCheckpoint(t *testing.T, db *store.DB, url string, want int64) int64 {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var unsealed int64
		db.QueryRowContext(context.Background(), `SELECT count(*) FROM events WHERE ledger_index IS NULL`).Scan(&unsealed)
		size := int64(-1)
		if resp, err := http.Get(url + "/ledger/checkpoint"); err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if lines := strings.Split(string(body), "\n"); len(lines) > 2 {
				size, _ = strconv.ParseInt(lines[1], 10, 64)
			}
		}
		if unsealed == 0 && size >= want {
			return size
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 60s: %d events unsealed, checkpoint size %d, want %d", unsealed, size, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ledgerEntryIDs reads every entry bundle of a log of the given size over
// HTTP (tlog-tiles paths, parsed here with no dataport code) and returns the
// event id of each entry.
func ledgerEntryIDs(t *testing.T, url string, size int64) []string {
	t.Helper()
	ids := make([]string, 0, size)
	for n := int64(0); n*256 < size; n++ {
		w := min(256, size-n*256)
		path := strings.Replace(tlog.Tile{H: 8, L: -1, N: n, W: int(w)}.Path(), "tile/8/data/", "tile/entries/", 1)
		resp, err := http.Get(url + "/ledger/" + path)
		if err != nil {
			t.Fatal(err)
		}
		bundle, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		for len(bundle) > 0 && int64(len(ids)) < size {
			l := int(byteorder.BigEndian.Uint16(bundle))
			var e struct{ ID string }
			if err := json.NewDecoder(bytes.NewReader(bundle[2 : 2+l])).Decode(&e); err != nil {
				t.Fatalf("entry %d: %v", len(ids), err)
			}
			ids = append(ids, e.ID)
			bundle = bundle[2+l:]
		}
	}
	if int64(len(ids)) != size {
		t.Fatalf("read %d entries, want %d", len(ids), size)
	}
	return ids
}

// ledgerAwaitUnrecorded polls until the log's integrated size (Tessera's tree
// state) is ahead of the highest index recorded in the events table — the
// sequencer has appended a batch and not yet recorded it — and reports
// whether that happened within d.
func ledgerAwaitUnrecorded(db *store.DB, dataDir string, d time.Duration) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); {
		var recorded *int64
		db.QueryRowContext(context.Background(), `SELECT max(ledger_index) FROM events`).Scan(&recorded)
		raw, err := os.ReadFile(filepath.Join(dataDir, "ledger", ".state", "treeState"))
		var state struct{ Size int64 }
		if err == nil && json.Unmarshal(raw, &state) == nil && recorded != nil && state.Size > *recorded+1 {
			return true
		}
	}
	return false
}
